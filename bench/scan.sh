#!/usr/bin/env bash
# Benchmark: scan planning on a table of 10,000 data files in 100 manifests
# (day-partitioned, with column bounds). Target: a selective filter (one
# day and a bound on id) plans in under 20 ms. Reference in the same run:
# planning with no filter (all 10,000 files read from all 100 manifests).
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-15}
make -C "$ROOT" --no-print-directory -s build/libpond.a
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -isystem "$DUCKDB_INC" -o "$BENCH_BUILD/scan" \
  "$ROOT/bench/scan.c" "$ROOT/build/libpond.a" $(pkg-config --libs jansson zlib libzstd) -lsnappy -lm -lpthread
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
line=$("$BENCH_BUILD/scan" "$T/t" "$RUNS")
sel=$(echo "$line" | awk '{ print $2 }'); kept=$(echo "$line" | awk '{ print $4 }')
skipped=$(echo "$line" | awk '{ print $6 }'); all=$(echo "$line" | awk '{ print $8 }')
printf 'scan 10,000 files / 100 manifests: selective %s ms (median of %d, %s files kept, %s manifests skipped); ratio to the 20 ms target %.3f: %s; no filter (all 10,000 files) %s ms\n' \
  "$sel" "$RUNS" "$kept" "$skipped" "$(echo "$sel / 20" | bc -l)" "$([ "$(echo "$sel < 20" | bc -l)" = 1 ] && echo met || echo MISSED)" "$all"
