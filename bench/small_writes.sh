#!/usr/bin/env bash
# Benchmark: small writes (issue 13). N inserts of 10 rows (default 1000)
#  1. in one `pond sql` session, against the same statements on one DuckDB
#     connection to a table in a .duckdb file (target: ratio at most 2);
#  2. as N separate `pond sql` processes, against N processes each opening
#     the .duckdb file and inserting (target: ratio at most 1.5);
#  3. afterwards, `select count(*), sum(x)` and a selective filter through
#     `pond sql`, against the same queries on one Parquet file holding the
#     same rows (target: ratio at most 1.5), and the warehouse plus catalog
#     on disk (target: at most 5 MB for 10,000 rows).
# Everything under pond's default policy (row buffer on).
. "$(dirname "$0")/lib.sh"
N=${N:-1000}
RUNS=${RUNS:-7}
build_ref ref_small_writes
REF="$BENCH_BUILD/ref_small_writes"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
ins() {  # $1 table, $2 insert number: 10 rows
  echo "insert into $1 select $2 * 10 + range, ($2 * 10 + range) * 0.5, 'r' || range from range(10);"
}
for i in $(seq 0 $((N - 1))); do ins t "$i"; done > "$T/inserts.sql"
create="create table t (x bigint, y double, s varchar)"
now_ms() { echo "$EPOCHREALTIME * 1000" | bc -l; }
ratio() { echo "$1 / $2" | bc -l; }
verdict() { [ "$(echo "$1 <= $2" | bc -l)" = 1 ] && echo met || echo MISSED; }

# 1. one session
"$POND" init --bare "$T/a" > /dev/null
(cd "$T/a" && "$POND" sql "$create" > /dev/null 2>&1)
"$REF" "$T/a.duckdb" -e "$create"
s=$(now_ms); (cd "$T/a" && "$POND" sql -F "$T/inserts.sql" > /dev/null 2>&1); e=$(now_ms)
t_pond=$(echo "$e - $s" | bc -l)
s=$(now_ms); "$REF" "$T/a.duckdb" "$T/inserts.sql"; e=$(now_ms)
t_ref=$(echo "$e - $s" | bc -l)
printf 'small    %d inserts of 10 rows, one session: pond %.0f ms, DuckDB (.duckdb file) %.0f ms; ratio %.2f; target <= 2: %s\n' \
  "$N" "$t_pond" "$t_ref" "$(ratio "$t_pond" "$t_ref")" "$(verdict "$(ratio "$t_pond" "$t_ref")" 2)"

# 2. one process per insert
"$POND" init --bare "$T/b" > /dev/null
(cd "$T/b" && "$POND" sql "$create" > /dev/null 2>&1)
"$REF" "$T/b.duckdb" -e "$create"
s=$(now_ms)
(cd "$T/b" && while read -r q; do "$POND" sql "$q" > /dev/null 2>&1; done < "$T/inserts.sql")
e=$(now_ms); t_pond=$(echo "$e - $s" | bc -l)
s=$(now_ms)
while read -r q; do "$REF" "$T/b.duckdb" -e "$q"; done < "$T/inserts.sql"
e=$(now_ms); t_ref=$(echo "$e - $s" | bc -l)
printf 'small    %d inserts of 10 rows, one process each: pond %.0f ms, DuckDB (.duckdb file) %.0f ms; ratio %.2f; target <= 1.5: %s\n' \
  "$N" "$t_pond" "$t_ref" "$(ratio "$t_pond" "$t_ref")" "$(verdict "$(ratio "$t_pond" "$t_ref")" 1.5)"

# 3. reading them back, and what they cost on disk
cd "$T/b"
rows=$("$POND" sql --format csv "select count(*) from t" | tail -n 1)
[ "$rows" = "$((N * 10))" ] || echo "small    WARNING: $rows rows in the table, $((N * 10)) inserted"
"$POND" sql "copy (select * from t) to '$T/one.parquet' (format parquet)" > /dev/null
for q in "select count(*), sum(y) from %s" "select * from %s where x = $((N * 5 + 3))"; do
  a=$(printf "$q" t); b=$(printf "$q" "'$T/one.parquet'")
  [ "$("$POND" sql --format csv "$a" | md5sum)" = "$("$POND" sql --format csv "$b" | md5sum)" ] ||
    echo "small    WARNING: '$a' differs from the Parquet file"
  t_table=$(median_ms "$RUNS" "$POND" sql "$a")
  t_file=$(median_ms "$RUNS" "$POND" sql "$b")
  printf 'small    after: %-40s table %s ms, one Parquet file %s ms (median of %d); ratio %.2f; target <= 1.5: %s\n' \
    "$(printf "$q" t | cut -c1-40)" "$t_table" "$t_file" "$RUNS" "$(ratio "$t_table" "$t_file")" \
    "$(verdict "$(ratio "$t_table" "$t_file")" 1.5)"
done
bytes=$(du -sb "$T/b/warehouse" "$T/b/catalog.db" "$T/b/.pond" 2>/dev/null | awk '{ s += $1 } END { print s }')
files=$(find "$T/b/warehouse" -type f | wc -l)
printf 'small    after: warehouse + catalog %.2f MB in %d files for %d rows; target <= 5 MB: %s\n' \
  "$(echo "$bytes / 1048576" | bc -l)" "$files" "$((N * 10))" "$(verdict "$bytes" 5242880)"
