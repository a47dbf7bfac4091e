#!/usr/bin/env bash
# Compaction throughput: a table of FILES small data files of about 100 KB
# each (FILES=10000 is issue 13's 1 GB table of 10,000 files), compacted by
# `pond compact`, against DuckDB copying the same files into one Parquet
# file (zstd, as pond writes) through `pond sql` in the same script (the
# target: pond at least 0.5x DuckDB's speed).
#   bench/compact.sh [FILES]        # default 400 (40 MB, under a minute)
#   RUNS=3 bench/compact.sh 10000
#
# The table is written by one partitioned append (one file per value of
# `sensor`), then its partition field is dropped: every file is small and
# of an older spec, so the compaction rewrites all of them, which is the
# same work as bin-packing 10,000 small appends without waiting for 10,000
# commits to build it.
. "$(dirname "$0")/lib.sh"
FILES=${1:-${FILES:-400}}
RUNS=${RUNS:-3}
ROWS_PER_FILE=9500
T=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-compact-XXXXXX"); trap 'rm -rf "$T"' EXIT
"$POND" init --bare "$T/p" > /dev/null
cd "$T/p"

gen="select (range // $ROWS_PER_FILE)::int as sensor, range as id, timestamp '2024-01-01' + to_seconds(range) as ts,
  hash(range) % 100000 / 7.0 as v, 'n' || (hash(range) % 1000000)::varchar as note
  from range($FILES * $ROWS_PER_FILE)"

# make_table N: main.tN with FILES small files of the spec before the current.
make_table() {
  "$POND" sql "create table t$1 (sensor int, id bigint, ts timestamp, v double, note varchar);
    alter table t$1 add partition field sensor; insert into t$1 $gen;
    alter table t$1 drop partition field sensor" > /dev/null 2>&1
}

ms_since() { echo "($EPOCHREALTIME - $1) * 1000" | bc -l; }
median() { sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f", m }'; }

pond_times=() duck_times=()
for ((i = 0; i < RUNS; i++)); do
  make_table "$i"
  files=$(find "warehouse/main/t$i/data" -name '*.parquet' | wc -l)
  mb=$(du -sm "warehouse/main/t$i/data" | cut -f1)
  sync
  start=$EPOCHREALTIME
  "$POND" sql "copy (select * from read_parquet('warehouse/main/t$i/data/*/*/*.parquet')) to '$T/ref.parquet'
    (format parquet, compression zstd)" > /dev/null
  duck_times+=("$(ms_since "$start")")
  rm -f "$T/ref.parquet"
  sync
  start=$EPOCHREALTIME
  out=$("$POND" compact "t$i" 2>&1)
  pond_times+=("$(ms_since "$start")")
  case "$out" in *"-> "*) ;; *) echo "compact  WARNING: $out" ;; esac
done
p=$(printf '%s\n' "${pond_times[@]}" | median)
d=$(printf '%s\n' "${duck_times[@]}" | median)
r=$(echo "$d / $p" | bc -l)
rows=$("$POND" sql "select count(*) from t0" --format csv | tail -n 1)
[ "$rows" = "$((FILES * ROWS_PER_FILE))" ] || echo "compact  WARNING: t0 has $rows rows, want $((FILES * ROWS_PER_FILE))"
echo "compact  $out"
printf 'compact  %s files, %s MB, %s rows: pond compact %s ms, DuckDB COPY of the same files to one parquet %s ms (median of %d); speed ratio %.2f (target >= 0.5: %s)\n' \
  "$files" "$mb" "$rows" "$p" "$d" "$RUNS" "$r" "$([ "$(echo "$r >= 0.5" | bc -l)" = 1 ] && echo met || echo MISSED)"
