/*
 * Tests of the test runner itself (tests/e2e/harness.sh drives them): with
 * POND_TEST_SELFCHECK=1 the first two fail on purpose, one after leaking
 * (a CHECK returns early) and one by crashing, and the runner must still
 * name each, run the last one and print its summary line. Without the
 * variable they pass and do nothing.
 */
#include "../test.h"

#include <signal.h>
#include <stdlib.h>

#include "pond/util.h"

static int selfcheck(void)
{
	const char *v = getenv("POND_TEST_SELFCHECK");
	return v && strcmp(v, "1") == 0;
}

TEST(harness_selfcheck_a_failing_check_that_leaks)
{
	if (!selfcheck())
		return;
	char *leaked = pond_strdup("what a failed CHECK leaves behind");
	CHECK(leaked == NULL);
	pond_free(leaked);
}

TEST(harness_selfcheck_b_crash)
{
	if (!selfcheck())
		return;
	raise(SIGSEGV);
}

TEST(harness_selfcheck_c_runs_after_the_others)
{
	CHECK(1);
}
