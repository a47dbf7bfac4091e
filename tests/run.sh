#!/usr/bin/env bash
# Runs pond's whole suite for each build folder given (e.g. build and
# build/san): the unit-test binary, then every end-to-end script in
# tests/e2e against that build's pond. Prints each part's result and, last,
# the total as "N passed, N failed". Exits non-zero on any failure or when
# no test ran.
set -u
cd "$(dirname "$0")/.."
export POND_FIXTURES="${POND_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"
[ $# -gt 0 ] || set -- build

total_pass=0
total_fail=0
failures=()

add_counts() {  # $1: label, $2: log file
  local line p f
  line=$(grep -E '^[a-z0-9_:-]*:? ?[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
  if [ -z "$line" ]; then
    echo "FAIL $1: no summary line (crashed?)"
    total_fail=$((total_fail + 1))
    failures+=("$1")
    return
  fi
  p=$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/')
  f=$(echo "$line" | sed -E 's/^.*[^0-9]([0-9]+) failed.*/\1/')
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  [ "$f" -eq 0 ] || failures+=("$1")
}

# One throw-away PostgreSQL server for the whole suite (catalog tests run
# against it too), unless the caller already names one in POND_TEST_PG_URL.
# Failing to start it is a test failure, not a skip.
if [ -z "${POND_TEST_PG_URL:-}" ]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/pond-pg-XXXXXX")
  trap 'tests/pg/stop.sh "$pg_dir"' EXIT
  if POND_TEST_PG_URL=$(tests/pg/start.sh "$pg_dir" 2>"$pg_dir.log"); then
    export POND_TEST_PG_URL
    rm -f "$pg_dir.log"
    echo "== postgresql test server: $POND_TEST_PG_URL"
  else
    unset POND_TEST_PG_URL
    echo "FAIL postgresql test server did not start:"
    sed 's/^/    /' "$pg_dir.log"
    rm -f "$pg_dir.log"
    total_fail=$((total_fail + 1))
    failures+=("postgresql-server")
  fi
fi

for build in "$@"; do
  [ -x "$build/pond" ] || { echo "no $build/pond: run make first" >&2; exit 1; }
  export POND_BIN="$PWD/$build/pond"
  case "$build" in
    *san*) export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
           export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ;;
  esac
  log=$(mktemp)
  echo "== $build: unit tests"
  "$build/test_unit" > "$log" 2>&1
  rc=$?
  grep -E '^FAIL|^    ' "$log"
  tail -n 1 "$log"
  add_counts "$build unit" "$log"
  if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$log"; then
    cat "$log" | tail -n 20
  fi
  for script in tests/e2e/*.sh; do
    [ "$(basename "$script")" = lib.sh ] && continue
    name=$(basename "$script" .sh)
    echo "== $build: e2e $name"
    bash "$script" > "$log" 2>&1
    grep -E '^FAIL|^    ' "$log"
    tail -n 1 "$log"
    add_counts "$build e2e $name" "$log"
  done
  # The differential tester (tests/difftest): a fixed budget of checks,
  # from a fixed seed, with the switches of tests/difftest/known_bugs.h
  # off. The sanitizer build is several times slower: a smaller budget.
  if [ -x "$build/difftest" ]; then
    case "$build" in
      *san*) budget=${POND_DIFFTEST_SAN_CASES:-1000} ;;
      *) budget=${POND_DIFFTEST_CASES:-2500} ;;
    esac
    echo "== $build: difftest ($budget checks)"
    "$build/difftest" --seed "${POND_DIFFTEST_SEED:-1}" --cases "$budget" > "$log" 2>&1
    grep -E '^FAIL|^    |^ok ' "$log"
    tail -n 1 "$log"
    add_counts "$build difftest" "$log"
  else
    echo "FAIL $build/difftest is missing: run make"
    total_fail=$((total_fail + 1))
    failures+=("$build difftest")
  fi
  rm -f "$log"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed in: ${failures[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
