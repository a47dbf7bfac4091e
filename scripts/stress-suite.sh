#!/usr/bin/env bash
# Runs the test suite N times in a row while other work loads every core,
# to show that it does not flake on a busy machine (issue 12):
#
#   scripts/stress-suite.sh [N] [BUILD...]     # N=5, BUILD=build build/san
#
# The load is one busy loop per core (plus LOAD_EXTRA more, default 1), so
# the suite's parts get less CPU than they would alone. Stops at the first
# failing run and keeps its output; ends with "N of N runs passed".
set -u
cd "$(dirname "$0")/.."
runs=${1:-5}
shift || true
[ $# -gt 0 ] || set -- build build/san
for b in "$@"; do
  [ -x "$b/pond" ] || { echo "no $b/pond: run make (and make SAN=1) first" >&2; exit 1; }
done

burners=()
stop_load() { [ ${#burners[@]} -eq 0 ] || kill "${burners[@]}" 2>/dev/null; }
trap stop_load EXIT
n=$(( $(nproc 2>/dev/null || echo 2) + ${LOAD_EXTRA:-1} ))
for _ in $(seq 1 "$n"); do
  ( while :; do :; done ) &
  burners+=($!)
done
echo "stress-suite: $n busy loops on $(nproc) cores; $runs runs of tests/run.sh $*"

passed=0
for i in $(seq 1 "$runs"); do
  log=$(mktemp "${TMPDIR:-/tmp}/pond-stress-XXXXXX.log")
  start=$SECONDS
  if tests/run.sh "$@" > "$log" 2>&1; then
    passed=$((passed + 1))
    echo "run $i: $(tail -n 1 "$log") in $((SECONDS - start)) s"
    rm -f "$log"
  else
    echo "run $i: FAILED in $((SECONDS - start)) s: $(tail -n 1 "$log"); output kept in $log"
    grep -E '^failed in:' "$log"
    break
  fi
done
echo "$passed of $runs runs passed"
[ "$passed" -eq "$runs" ]
