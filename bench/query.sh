#!/usr/bin/env bash
# Benchmarks for reading catalog tables:
#  1. a query on a catalog table against the same query on read_parquet of
#     the same files, both through `pond sql` (target: ratio at most 1.05);
#  2. a selective query on a 10,000-file table hands DuckDB only the files
#     that can match (pond_session_prepare reports the count).
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
ROWS=${ROWS:-10000000}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$POND" init --bare "$T/p" > /dev/null
cd "$T/p"
"$POND" sql "create table bench.trips as select range as id, range % 7 as vendor, (range % 1000) / 10.0 as fare, \
  (range % 97) * 0.1 as distance, timestamp '2024-01-01' + to_seconds(range % 31536000) as pickup from range($ROWS)" 2>/dev/null
files=$("$POND" inspect "$T/p/warehouse/bench/trips" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(", ".join("\x27%s\x27" % f["path"] for f in d["snapshot"]["data_files"]))')
# Rounded: parallel floating-point sums differ in the last bits run to run.
agg="select vendor, count(*), round(sum(fare), 2), round(avg(distance), 6), max(pickup) from %s group by vendor order by vendor"
table_q=$(printf "$agg" "bench.trips")
parquet_q=$(printf "$agg" "read_parquet([$files])")
check_a=$("$POND" sql --format csv "$table_q" | md5sum)
check_b=$("$POND" sql --format csv "$parquet_q" | md5sum)
[ "$check_a" = "$check_b" ] || echo "query    WARNING: the two queries returned different rows"
t_table=$(median_ms "$RUNS" "$POND" sql "$table_q")
t_parquet=$(median_ms "$RUNS" "$POND" sql "$parquet_q")
printf 'query    %s-row table, group by: catalog table %s ms, read_parquet of the same files %s ms (median of %d); ratio %.3f; target <= 1.05: %s\n' \
  "$ROWS" "$t_table" "$t_parquet" "$RUNS" "$(echo "$t_table / $t_parquet" | bc -l)" \
  "$([ "$(echo "$t_table / $t_parquet <= 1.05" | bc -l)" = 1 ] && echo met || echo MISSED)"
cd "$ROOT"
build_bench query_files
set -- $("$BENCH_BUILD/query_files" "$T/files" 9)
printf 'query    selective query on a %s-file table: %s file(s) handed to DuckDB, bound in %s ms (median of 9), %s rows matched: %s\n' \
  "$1" "$2" "$3" "$4" "$([ "$2" = 1 ] && [ "$4" = 10 ] && echo met || echo MISSED)"
