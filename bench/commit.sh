#!/usr/bin/env bash
# Benchmark: median latency of a metadata-only commit on the SQLite catalog
# (target: under 5 ms) and on PostgreSQL (POND_BENCH_PG_URL, or a server
# started here with tests/pg/start.sh). Reference in the same run: one
# atomic metadata file write plus one catalog row swap, the floor of any
# commit.
. "$(dirname "$0")/lib.sh"
N=${N:-200}
build_bench commit
T=$(mktemp -d); trap 'rm -rf "$T"; [ -n "${PGDIR:-}" ] && "$ROOT/tests/pg/stop.sh" "$PGDIR" >/dev/null 2>&1' EXIT
report() {  # $1 name, $2 "median p90 floor"
  set -- "$1" $2
  printf 'commit   %-10s metadata-only commit: median %s ms, p90 %s ms (%d commits); floor (file write + row swap) %s ms; ratio %.2f' \
    "$1" "$2" "$3" "$N" "$4" "$(echo "$2 / $4" | bc -l)"
}
line=$("$BENCH_BUILD/commit" "$T/sqlite/catalog.db" "$T/sqlite" "$N")
report sqlite "$line"
printf '; target < 5 ms: %s\n' "$([ "$(echo "$(echo "$line" | cut -d' ' -f1) < 5" | bc -l)" = 1 ] && echo met || echo MISSED)"
url=${POND_BENCH_PG_URL:-}
if [ -z "$url" ]; then
  PGDIR=$(mktemp -d)  # its own folder: postgres must reach it
  url=$("$ROOT/tests/pg/start.sh" "$PGDIR" 2>/dev/null) || { echo "commit   postgresql: could not start a server"; exit 0; }
fi
line=$("$BENCH_BUILD/commit" "$url" "$T/pgproj" "$N")
report postgresql "$line"
echo
