#!/usr/bin/env bash
# Benchmark: `pond archive` of a day-partitioned table (every file old),
# against copying the same files the same careful way (each to NAME.part,
# fsynced, renamed; Python's shutil in one process) and against `cp -r`
# plus one sync, all to a folder on the same disk in the same run. What
# pond adds over the careful copy is choosing the files, the size checks
# and the one commit.
#
#   bench/archive.sh [ROWS]     rows in the table (default 2,000,000: about
#                               90 MB in 70 day files; 10,000,000 for 450 MB)
. "$(dirname "$0")/lib.sh"
ROWS=${1:-2000000}
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-archive-XXXXXX")
trap 'rm -rf "$W"' EXIT
"$POND" init --bare "$W/proj" > /dev/null
cd "$W/proj"
export POND_NOW="2030-01-01 00:00:00"

ms_since() { echo "($EPOCHREALTIME - $1) * 1000" | bc -l; }
median() { sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f", m }'; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }

pond_times=() careful_times=() cp_times=()
for ((i = 0; i < RUNS; i++)); do
  "$POND" sql "create table t$i (id bigint, ts timestamp, payload varchar, x double);
    alter table t$i add partition field day(ts);
    insert into t$i select range, timestamp '2023-01-01' + to_seconds(range * 3), md5(range::varchar) ||
      md5((range * 7)::varchar), random() from range($ROWS)" > /dev/null 2>&1
  data="warehouse/main/t$i/data"
  files=$(find "$data" -name '*.parquet' | wc -l)
  mb=$(du -sm "$data" | cut -f1)
  mkdir -p "$W/nas$i"
  drop_caches
  start=$EPOCHREALTIME
  python3 - "$data" "$W/careful$i" <<'PY'
import os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for root, _, names in os.walk(src):
    for n in names:
        f = os.path.join(root, n)
        d = os.path.join(dst, os.path.relpath(f, src))
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copyfile(f, d + ".part")
        fd = os.open(d + ".part", os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        os.rename(d + ".part", d)
PY
  careful_times+=("$(ms_since "$start")")
  drop_caches
  start=$EPOCHREALTIME
  cp -r "$data" "$W/cp$i" && sync
  cp_times+=("$(ms_since "$start")")
  drop_caches
  start=$EPOCHREALTIME
  out=$("$POND" archive "t$i" --to "$W/nas$i" --older-than 1d 2>&1)
  pond_times+=("$(ms_since "$start")")
  case "$out" in *"moved $files files"*) ;; *) echo "archive  WARNING: $out" ;; esac
done
p=$(printf '%s\n' "${pond_times[@]}" | median)
c=$(printf '%s\n' "${careful_times[@]}" | median)
k=$(printf '%s\n' "${cp_times[@]}" | median)
echo "archive  $out"
printf 'archive  %s files, %s MB: pond archive %s ms, careful copy %s ms (ratio %.2f), cp -r + sync %s ms (ratio %.2f), median of %d\n' \
  "$files" "$mb" "$p" "$c" "$(echo "$p / $c" | bc -l)" "$k" "$(echo "$p / $k" | bc -l)" "$RUNS"
