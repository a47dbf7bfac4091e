#!/usr/bin/env bash
# End-to-end: `pond archive`. A day-partitioned table's old partitions move
# to a "NAS" folder: pond sql reads the same results, and so does icebird
# (an independent Iceberg reader, tests/node), also with the originals
# hidden, so it really reads the moved paths; pond orphans leaves the
# archived files alone; an unmounted (missing) or unwritable destination
# fails with one line and nothing changed; archives killed with kill -9 at
# random points leave the same rows, and a rerun finishes the job; pond
# maintain archives by pond.yml's policy. "Now" is POND_NOW, never a wait.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
"$POND" init proj >/dev/null 2>&1
cd proj || exit 1
NOW="2024-02-01 00:00:00"

value() { "$POND" sql --format csv "$1" | tail -n 1; }
rows() { "$POND" sql --format csv "select * from $1 order by all" | tail -n +2; }
snaps() { "$POND" history "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
parquet_under() { find "$1" -name '*.parquet' 2>/dev/null | wc -l; }

# --- a day-partitioned table: January 2024, four inserts (four files a day) ---
{
  echo "create table events (id bigint, ts timestamp, v varchar);"
  echo "alter table events add partition field day(ts);"
  echo "alter table events set tblproperties ('pond.buffer.enabled' = 'false');"
  for k in 0 1 2 3; do
    echo "insert into events select range + $k * 1000, timestamp '2024-01-01' + to_hours(range * 6 + $k), 'e' || range from range(124);"
  done
} > events.sql
check "a day-partitioned table" "$POND" sql -F events.sql
"$POND" sql "create table plain as select 1 as id" >/dev/null 2>&1
before=$(rows events)
agg="select count(*), sum(id), min(ts), max(ts), count(distinct v) from events"
agg_before=$(value "$agg")
ib_before=$(icebird_rows events)
expect_eq "icebird reads the rows before" "$(echo "$ib_before" | wc -l)" "496"
mkdir -p "$T/nas"

# --- usage and a destination that cannot take files ---
expect_exit "help" 0 "$POND" help archive
expect_contains "help shows usage" "$OUT" "usage: pond archive [TABLE...] --to DEST --older-than AGE"
expect_exit "--help" 0 "$POND" archive --help
expect_contains "--help shows usage" "$OUT" "usage: pond archive"
expect_exit "--to is required" 2 "$POND" archive events --older-than 10d
expect_contains "says so" "$ERR" "--to DEST is required"
expect_exit "--older-than is required" 2 "$POND" archive events --to "$T/nas"
expect_exit "a bad age" 2 "$POND" archive events --to "$T/nas" --older-than soon
expect_exit "an unknown table" 1 "$POND" archive nope --to "$T/nas" --older-than 10d
expect_contains "names it" "$ERR" "nope"

snaps_before=$(snaps events)
expect_exit "a share that is not mounted fails" 1 env POND_NOW="$NOW" "$POND" archive events --to /mnt/not-mounted-$$ --older-than 10d
expect_eq "in one line" "$(echo "$ERR" | wc -l)" "1"
expect_contains "naming the folder" "$ERR" "archive destination /mnt/not-mounted-$$ is not there (is the share mounted?)"
check "the missing folder was not made" test ! -e /mnt/not-mounted-$$
if [ "$(id -u)" = 0 ]; then ro=/sys; else mkdir -p "$T/ro"; chmod 555 "$T/ro"; ro="$T/ro"; fi
expect_exit "an unwritable destination fails" 1 env POND_NOW="$NOW" "$POND" archive events --to "$ro" --older-than 10d
expect_contains "says it is not writable" "$ERR" "archive destination $ro is not writable"
expect_exit "the warehouse is no destination" 1 env POND_NOW="$NOW" "$POND" archive events --to warehouse/main --older-than 10d
expect_contains "says why" "$ERR" "inside the warehouse"
expect_eq "nothing committed by the failures" "$(snaps events)" "$snaps_before"
expect_eq "rows unchanged by the failures" "$(rows events)" "$before"

# --- a dry run, then the archive ---
expect_exit "dry run" 0 env POND_NOW="$NOW" "$POND" archive events --to "$T/nas" --older-than 10d --dry-run
expect_contains "says what would move" "$OUT" "main.events: would move 84 files"
expect_contains "of 21 days" "$OUT" "of 21 partitions"
expect_eq "dry run copied nothing" "$(parquet_under "$T/nas")" "0"
expect_eq "dry run committed nothing" "$(snaps events)" "$snaps_before"

t0=$(date +%s%N)
expect_exit "archive" 0 env POND_NOW="$NOW" "$POND" archive --to "$T/nas" --older-than 10d
archive_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_contains "moved the files of days before Jan 22" "$OUT" "main.events: moved 84 files"
expect_contains "frees nothing now, the rest on expiry" "$OUT" "frees 0 B now"
expect_contains "a table without a time partition is skipped" "$OUT" "main.plain: skipped: no time partition"
expect_eq "84 files at the NAS, in the warehouse's layout" "$(parquet_under "$T/nas/main/events/data")" "84"
expect_eq "history says replace" "$("$POND" history events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["operation"])')" "replace"
expect_eq "pond sql: the same rows" "$(rows events)" "$before"
expect_eq "pond sql: the same aggregates" "$(value "$agg")" "$agg_before"
expect_eq "icebird: the same rows" "$(icebird_rows events)" "$ib_before"
expect_eq "a filter on archived days" "$(value "select count(*) from events where ts < '2024-01-05'")" "64"

# The originals stay for the snapshots before; hidden, the current
# snapshot still reads everything: pond and icebird use the moved paths.
mkdir -p "$T/hidden"
find warehouse/main/events/data -name '*.parquet' -path '*ts_day=2024-01-[01]*' > originals.txt
find warehouse/main/events/data -name '*.parquet' -path '*ts_day=2024-01-2[01]*' >> originals.txt
expect_eq "84 originals still on the local disk" "$(wc -l < originals.txt)" "84"
hide() {  # $1 = 1: move the originals away; 0: back
  python3 - "$1" "$T/hidden" <<'PY'
import os, sys
away, hidden = sys.argv[1] == "1", sys.argv[2]
for f in open("originals.txt").read().split():
    h = os.path.join(hidden, f.replace("/", "_"))
    os.rename(f, h) if away else os.rename(h, f)
PY
}
hide 1
expect_eq "pond reads the moved files" "$(rows events)" "$before"
expect_eq "icebird reads the moved files" "$(icebird_rows events)" "$ib_before"
hide 0
first=$("$POND" history events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-2]["snapshot_id"])')
expect_eq "time travel to before the archive" "$(value "select count(*) from events at (version => $first)")" "496"

# --- orphans: archived files are nobody's orphans ---
expect_exit "orphans" 0 env POND_NOW="2099-01-01 00:00:00" "$POND" orphans events --older-than 1s --delete
expect_contains "no orphans" "$OUT" "main.events: 0 orphan files"
expect_eq "the NAS files stay" "$(parquet_under "$T/nas")" "84"
expect_eq "the originals stay" "$(parquet_under warehouse/main/events/data)" "124"
expect_eq "rows after orphans" "$(rows events)" "$before"
expect_exit "archive again: nothing left" 0 env POND_NOW="$NOW" "$POND" archive events --to "$T/nas" --older-than 10d --json
expect_eq "json: nothing moved" "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["files"], d["snapshot_id"], d["skipped"])')" "0 0 None"

# --- kill -9 at random points during an archive ---
# Each round adds files to old days and starts an archive that is killed
# at a random point (kill_round: before the first copy, between copies,
# around the commit): whatever point it died at, the table reads the same
# rows.
ok=1 round_now="2024-02-05 00:00:00" KILL_BASE_MS=$archive_ms round=1
while kill_rounds_left $round; do
  for i in 1 2 3 4 5 6; do
    echo "insert into events select range + $round * 100000 + $i * 1000, timestamp '2024-01-2$((i % 4 + 2))' + to_minutes(range * 7 + $round), 'k' from range(20);"
  done > more.sql
  "$POND" sql -F more.sql >/dev/null 2>&1 || { ok=0; echo "round $round: insert failed"; }
  want=$(rows events)
  kill_round env POND_NOW="$round_now" "$POND" archive events --to "$T/nas" --older-than 10d
  if [ "$(rows events)" != "$want" ]; then ok=0; echo "round $round: rows changed"; fi
  round=$((round + 1))
done
echo "     ($KILLED of $((round - 1)) archives killed before they ended)"
check "some archives were killed before they ended" test "$KILLED" -gt 0
expect_eq "rows survive archives killed at random points" "$ok" "1"
expect_exit "an archive after the kills" 0 env POND_NOW="$round_now" "$POND" archive events --to "$T/nas" --older-than 10d
expect_eq "rows after the last archive" "$(rows events)" "$want"
expect_eq "icebird agrees after the kills" "$(icebird_rows events | wc -l)" "$(value 'select count(*) from events')"
expect_exit "nothing old left to move" 0 env POND_NOW="$round_now" "$POND" archive events --to "$T/nas" --older-than 10d --dry-run
expect_contains "says so" "$OUT" "main.events: nothing older than 10d to move"

# --- pond maintain, by pond.yml ---
cat >> pond.yml <<'YML'
maintenance:
  archive:
    older_than: 7d
YML
expect_exit "archive without to is off" 0 env POND_NOW="$round_now" "$POND" maintain events
sed -i '/^maintenance:/,$d' pond.yml
cat >> pond.yml <<'YML'
maintenance:
  archive:
    to: ../nas2
YML
expect_exit "archive.to needs older_than" 1 "$POND" maintain events
expect_contains "names pond.yml" "$ERR" "pond.yml:"
expect_contains "and the key" "$ERR" "older_than"
sed -i '/^maintenance:/,$d' pond.yml
cat >> pond.yml <<'YML'
maintenance:
  archive:
    to: ../nas2
    older_than: 5d
YML
mkdir -p "$T/nas2"
want=$(rows events)
expect_exit "maintain archives" 0 env POND_NOW="$round_now" "$POND" maintain events --json
expect_eq "json: archived files" "$(echo "$OUT" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read().splitlines()[0]); print(d["archived_files"] > 0)')" "True"
expect_eq "to the folder pond.yml names, relative to the project" "$(parquet_under "$T/nas2/main/events/data")" "$(echo "$OUT" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[0])["archived_files"])')"
expect_eq "rows after maintain" "$(rows events)" "$want"
# The share unmounted: maintain does the rest and fails the table with
# the reason; reads of recent days still work (their partitions are
# pruned), reads of archived days name the missing file.
mv "$T/nas2" "$T/nas2.away"
expect_exit "maintain with the share gone fails the table" 1 env POND_NOW="2024-03-01 00:00:00" "$POND" maintain events
expect_contains "saying why" "$OUT$ERR" "is not there (is the share mounted?)"
expect_eq "recent days read without the share" "$(value "select count(*) from events where ts >= '2024-01-31'")" "16"
expect_exit "archived days need the share" 1 "$POND" sql "select count(*) from events"
expect_contains "naming the file" "$ERR" "$T/nas2/main/events/data/"
mv "$T/nas2.away" "$T/nas2"
expect_eq "rows with the share back" "$(rows events)" "$want"

# --- as a pipeline step (what pond serve schedules): the step's log says what moved ---
python3 - <<'PY'
text = open("pond.yml").read()
step = "  upkeep:\n    steps:\n      - maintain: events\n        name: tidy\n"
open("pond.yml", "w").write(text.replace("pipelines:\n", "pipelines:\n" + step, 1))
PY
expect_exit "a maintain pipeline archives" 0 env POND_NOW="2024-03-01 00:00:00" "$POND" run upkeep
run_id=$("$POND" runs upkeep --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_exit "the step's log" 0 "$POND" logs "$run_id" tidy
expect_contains "says what it archived" "$OUT" "main.events: archived 4 files"
expect_eq "rows after the pipeline" "$(rows events)" "$want"
expect_eq "icebird at the end" "$(icebird_rows events | wc -l)" "$(value 'select count(*) from events')"

finish
