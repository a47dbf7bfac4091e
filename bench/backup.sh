#!/usr/bin/env bash
# Benchmark: `pond backup` of a project, first run (everything copied) and
# second run of the unchanged project (everything skipped), against `cp -r`
# of the same warehouse in the same run (the first run's floor). Target: the
# second run of a 1 GB project under 2 s.
#
#   bench/backup.sh [MB]     project size in MB of Parquet (default 64; 1024 for the target)
. "$(dirname "$0")/lib.sh"
MB=${1:-64}
RUNS=${RUNS:-5}
FILES=${FILES:-40}  # appends: data files per table
W=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-backup-XXXXXX")
trap 'rm -rf "$W"' EXIT
"$POND" init --bare "$W/proj" > /dev/null
cd "$W/proj"
# About 54 bytes a row of Parquet (md5 hex compresses to about half).
rows=$((MB * 1024 * 1024 / 54 / FILES))
"$POND" sql "create table bench.events as select range as id, md5(range::varchar) || md5((range * 7)::varchar) || md5((range * 13)::varchar) as payload from range(0)" > /dev/null 2>&1
for ((i = 0; i < FILES; i++)); do
  "$POND" sql "insert into bench.events select range + $((i * rows)) as id, md5(range::varchar || '$i') || md5((range * 7)::varchar || '$i') || md5((range * 13)::varchar) as payload from range($rows)" > /dev/null 2>&1
done
size_mb=$(du -sm "$W/proj/warehouse" | cut -f1)
nfiles=$(find "$W/proj/warehouse" -type f | wc -l)
sync
start=$EPOCHREALTIME
"$POND" backup "$W/bk" > /dev/null
first_ms=$(echo "($EPOCHREALTIME - $start) * 1000" | bc -l)
start=$EPOCHREALTIME
cp -r "$W/proj/warehouse" "$W/cp"
cp_ms=$(echo "($EPOCHREALTIME - $start) * 1000" | bc -l)
second_ms=$(median_ms "$RUNS" "$POND" backup "$W/bk")
copied=$("$POND" backup "$W/bk" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["files_copied"])')
verdict=$(echo "$second_ms < 2000" | bc -l)
printf 'backup  %s MB, %s files: first run %.0f ms (cp -r of the warehouse: %.0f ms, ratio %.2f); second run %.1f ms median of %d, %s files copied; target second run < 2 s: %s\n' \
  "$size_mb" "$nfiles" "$first_ms" "$cp_ms" "$(echo "$first_ms / $cp_ms" | bc -l)" "$second_ms" "$RUNS" "$copied" \
  "$([ "$verdict" = 1 ] && echo met || echo MISSED)"
