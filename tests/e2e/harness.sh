#!/usr/bin/env bash
# End-to-end: the unit-test runner reports a failing CHECK that leaked and
# a crashing test by name, goes on with the next test and still prints its
# summary line (under the sanitizers too, where a leak used to abort the
# whole binary before the summary).
. "$(dirname "$0")/lib.sh"

UNIT="$(dirname "$POND")/test_unit"
OUT=$(POND_TEST_SELFCHECK=1 "$UNIT" harness_selfcheck_ 2>&1)
rc=$?
expect_eq "the runner exits 1 when tests fail" "$rc" "1"
expect_contains "a failing check that leaked is named" "$OUT" "FAIL harness_selfcheck_a_failing_check_that_leaks"
expect_contains "a crash is named" "$OUT" "FAIL harness_selfcheck_b_crash"
expect_contains "the next test still runs" "$OUT" "ok   harness_selfcheck_c_runs_after_the_others"
expect_eq "the summary line prints last" "$(echo "$OUT" | tail -n 1)" "1 passed, 2 failed"
OUT=$("$UNIT" harness_selfcheck_ 2>&1)
expect_eq "without the switch they pass" "$(echo "$OUT" | tail -n 1)" "3 passed, 0 failed"
finish
