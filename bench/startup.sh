#!/usr/bin/env bash
# Benchmark: `pond sql "select 1"` from process start to answer, against a
# minimal C program that opens DuckDB and runs the same query (the floor
# for any program built on DuckDB). Target: pond under 50 ms.
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-30}
build_ref ref_select1
"$POND" sql "select 1" > /dev/null  # warm the page cache
pond_ms=$(median_ms "$RUNS" "$POND" sql "select 1")
ref_ms=$(median_ms "$RUNS" "$BENCH_BUILD/ref_select1")
ratio=$(echo "$pond_ms / $ref_ms" | bc -l)
verdict=$(echo "$pond_ms < 50" | bc -l)
printf 'startup  pond sql "select 1": %s ms median of %d; DuckDB C API floor: %s ms; ratio %.2f; target < 50 ms: %s\n' \
  "$pond_ms" "$RUNS" "$ref_ms" "$ratio" "$([ "$verdict" = 1 ] && echo met || echo MISSED)"
