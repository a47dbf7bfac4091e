#!/usr/bin/env bash
# Spreadsheet ingestion: a sheet of about 50 MB of XML (ROWS rows of
# numbers, text, dates, timestamps and booleans, written by
# `pond export --xlsx`) loaded with `pond ingest` into a new table, against
# DuckDB loading the same rows as CSV into a table,
#   CREATE TABLE t AS SELECT * FROM read_csv('x.csv')
# run through `pond sql` in the same script (the target: pond within 3x).
#   ROWS=170000 RUNS=3 bench/xlsx.sh
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-170000}
RUNS=${RUNS:-3}
T=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-xlsx-XXXXXX"); trap 'rm -rf "$T"' EXIT
"$POND" init --bare "$T/p" > /dev/null
cd "$T/p"

gen="select range as id, 'customer ' || (range % 5000) as name, round(range * 0.37 + 0.01, 2) as price,
  (range % 97) - 40 as qty, date '2020-01-01' + (range % 1500)::int as day,
  timestamp '2024-01-01' + to_seconds(range * 17 % 31536000) as ts, range % 3 = 0 as flag
  from range($ROWS)"
"$POND" export "$gen" --xlsx "$T/big.xlsx" -q
"$POND" sql "copy ($gen) to '$T/big.csv' (header)" > /dev/null
sheet_mb=$(python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(round(z.getinfo("xl/worksheets/sheet1.xml").file_size / 1e6, 1))' "$T/big.xlsx")
xlsx_mb=$(python3 -c 'import os, sys; print(round(os.path.getsize(sys.argv[1]) / 1e6, 1))' "$T/big.xlsx")
csv_mb=$(python3 -c 'import os, sys; print(round(os.path.getsize(sys.argv[1]) / 1e6, 1))' "$T/big.csv")

# once CMD...: one run; prints "wall_ms cpu_ms" (cpu: user + system).
once() {
  /usr/bin/time -f '%e %U %S' -o "$T/time" "$@" > /dev/null
  awk '{ printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000 }' "$T/time"
}

median() { sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f", m }'; }

pond_wall=() pond_cpu=() duck_wall=() duck_cpu=() csv_wall=()
for ((i = 0; i < RUNS; i++)); do
  # A temporary table: DuckDB's own storage, not a pond table.
  set -- $(once "$POND" sql "create temp table t as select * from read_csv('$T/big.csv'); select count(*) from t")
  duck_wall+=("$1"); duck_cpu+=("$2")
  set -- $(once "$POND" ingest "$T/big.xlsx" --table "bench.t$i" -q)
  pond_wall+=("$1"); pond_cpu+=("$2")
  set -- $(once "$POND" ingest "$T/big.csv" --table "bench.c$i" -q)
  csv_wall+=("$1")
done
rows=$("$POND" sql "select count(*) from bench.t0" --format csv | tail -n 1)
[ "$rows" = "$ROWS" ] || { echo "xlsx bench: loaded $rows rows, expected $ROWS" >&2; exit 1; }
same=$("$POND" sql "select count(*) from (select * from bench.t0 except select * from bench.c0)" --format csv | tail -n 1)
[ "$same" = "0" ] || { echo "xlsx bench: $same rows of the xlsx load differ from the CSV load" >&2; exit 1; }
pw=$(printf '%s\n' "${pond_wall[@]}" | median); pc=$(printf '%s\n' "${pond_cpu[@]}" | median)
dw=$(printf '%s\n' "${duck_wall[@]}" | median); dc=$(printf '%s\n' "${duck_cpu[@]}" | median)
cw=$(printf '%s\n' "${csv_wall[@]}" | median)
printf 'xlsx ingest: %s rows, sheet of %s MB XML (%s MB zipped; as CSV %s MB): pond %s ms (cpu %s ms), DuckDB read_csv into a table %s ms (cpu %s ms): %.2fx DuckDB wall time, %.2fx cpu (target <= 3x); pond ingest of the CSV %s ms\n' \
  "$ROWS" "$sheet_mb" "$xlsx_mb" "$csv_mb" "$pw" "$pc" "$dw" "$dc" "$(echo "$pw / $dw" | bc -l)" "$(echo "$pc / $dc" | bc -l)" "$cw"
