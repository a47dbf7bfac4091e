#!/usr/bin/env bash
# Benchmark: commit N of a table against commit 100 (target: at most 1.2x
# at N = 10,000 under pond's default upkeep). Each commit is a one-row
# append through pond_table_append_query on the SQLite catalog; the driver
# (bench/history.c) prints the median of the 21 commits around commit 100
# and of the last 21, and what the table's folder holds at the end.
# Commits 90-110 are of a second table in the same project, alternated
# with the big table's last 21, so both see the same load. Reference in
# the same run (N_OFF, default 1000; 0 skips it): the same with the upkeep
# turned off by table properties, as pond committed before it (its cost
# grows with the history, so 10,000 such commits would take hours).
. "$(dirname "$0")/lib.sh"
N=${N:-10000}
N_OFF=${N_OFF:-1000}
build_bench history
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
report() {  # $1 name, $2 "c100 cN ratio files bytes snapshots"
  set -- "$1" $2
  printf 'history  %-8s commit 100: %s ms, commit %d: %s ms, ratio %s; after: %d files, %.1f MB, %d snapshots\n' \
    "$1" "$2" "$N" "$3" "$4" "$5" "$(echo "$6 / 1048576" | bc -l)" "$7"
}
line=$("$BENCH_BUILD/history" "$T/on" "$N")
report default "$line"
ratio=$(echo "$line" | cut -d' ' -f3)
printf 'history  target <= 1.2x: %s\n' "$([ "$(echo "$ratio <= 1.2" | bc -l)" = 1 ] && echo met || echo MISSED)"
if [ "$N_OFF" -gt 0 ]; then
  N=$N_OFF
  line=$("$BENCH_BUILD/history" "$T/off" "$N" off)
  report no-upkeep "$line"
fi
