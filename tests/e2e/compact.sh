#!/usr/bin/env bash
# End-to-end: `pond compact`. Many small inserts through `pond sql`, then a
# compaction: the same rows through pond and through icebird (an
# independent Iceberg reader, tests/node) before and after; a partitioned
# table with --where; usage errors; and compactions killed with kill -9 at
# random points, after which the table reads the same rows.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
"$POND" init proj >/dev/null 2>&1
cd proj || exit 1

value() { "$POND" sql --format csv "$1" | tail -n 1; }
rows() { "$POND" sql --format csv "select * from $1 order by all" | tail -n +2; }

# --- many small inserts, one compaction ---
{
  echo "create table events (id bigint, name varchar, score double);"
  # each insert its own file (the row buffer would gather them)
  echo "alter table events set tblproperties ('pond.buffer.enabled' = 'false');"
  for i in $(seq 1 40); do
    echo "insert into events select range + $i * 1000, case when range % 4 = 0 then null else 'e' || range end, range / 3 from range(25);"
  done
} > inserts.sql
check "40 inserts through pond sql" "$POND" sql -F inserts.sql
expect_eq "40 files before" "$(value "select count(*) from (select distinct filename from read_parquet('warehouse/main/events/data/*/*.parquet', filename = true))")" "40"
before=$(rows events)
ib_before=$(icebird_rows events)
expect_eq "icebird reads the rows before" "$(echo "$ib_before" | wc -l)" "1000"

expect_exit "compact events" 0 "$POND" compact events
expect_contains "before and after" "$OUT" "main.events: 40 files"
expect_contains "one file after" "$OUT" "-> 1 file,"
expect_eq "the same rows after" "$(rows events)" "$before"
expect_eq "icebird reads the same rows after" "$(icebird_rows events)" "$ib_before"
expect_eq "history says replace" "$("$POND" history events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["operation"])')" "replace"
expect_exit "compact again: nothing to do" 0 "$POND" compact events
expect_contains "nothing to compact" "$OUT" "main.events: nothing to compact (1 file,"

# --- partitioned, --where, all tables, --json ---
{
  echo "create table sales (id bigint, region varchar);"
  echo "alter table sales add partition field region;"
  echo "alter table sales set tblproperties ('pond.buffer.enabled' = 'false');"
  for i in $(seq 1 6); do
    echo "insert into sales select range + $i * 100, ['eu', 'us'][range % 2 + 1] from range(10);"
  done
} > sales.sql
check "partitioned inserts" "$POND" sql -F sales.sql
sales_before=$(rows sales)
expect_exit "compact --where one partition" 0 "$POND" compact sales --where "region = 'eu'"
expect_contains "one partition rewritten" "$OUT" "rewrote 6 in 1 group)"
expect_eq "sales rows unchanged" "$(rows sales)" "$sales_before"
expect_exit "compact all tables, json" 0 "$POND" compact --json
expect_eq "json: both tables, us rewritten" "$(echo "$OUT" | python3 -c '
import json,sys; d={r["table"]: r for r in json.load(sys.stdin)}
print(d["main.events"]["snapshot_id"], d["main.sales"]["rewritten_files"], d["main.sales"]["data_files_after"])')" "0 6 2"
expect_eq "sales rows still unchanged" "$(rows sales)" "$sales_before"
expect_eq "icebird reads the partitioned table" "$(icebird_rows sales | wc -l)" "60"

# --- usage and errors ---
expect_exit "bad target size" 2 "$POND" compact events --target-size lots
expect_contains "says which option" "$ERR" "--target-size"
expect_exit "bad min-input-files" 2 "$POND" compact events --min-input-files 0
expect_exit "two tables" 2 "$POND" compact a b
expect_exit "unknown table" 1 "$POND" compact nope
expect_contains "names the table" "$ERR" "nope"
expect_exit "bad filter" 1 "$POND" compact events --where "nosuch = 1"
expect_contains "names the column" "$ERR" "nosuch"
expect_exit "help" 0 "$POND" help compact
expect_contains "help shows usage" "$OUT" "usage: pond compact [TABLE]"
expect_exit "target size accepted" 0 "$POND" compact events --target-size 64MB --min-input-files 2

# --- kill -9 at random points during compaction ---
# Each round adds small files, starts a compaction and kills it at a
# random point (kill_round: anywhere from before the first read to after
# the commit): whatever point it died at, the table reads exactly the rows
# inserted.
ok=1 round=1
while kill_rounds_left $round; do
  for i in 1 2 3 4 5 6; do
    echo "insert into events select range + $round * 100000 + $i * 1000, 'k', 1 from range(5);"
  done > more.sql
  "$POND" sql -F more.sql >/dev/null 2>&1 || { ok=0; echo "round $round: insert failed"; }
  want=$(rows events)
  kill_round "$POND" compact events
  if [ "$(rows events)" != "$want" ]; then ok=0; echo "round $round: rows changed"; fi
  round=$((round + 1))
done
echo "     ($KILLED of $((round - 1)) compactions killed before they ended)"
check "some compactions were killed before they ended" test "$KILLED" -gt 0
expect_eq "rows survive compactions killed at random points" "$ok" "1"
expect_exit "a compaction after the kills" 0 "$POND" compact events --min-input-files 2
expect_eq "rows after the last compaction" "$(rows events)" "$want"
expect_eq "icebird agrees after the kills" "$(icebird_rows events | wc -l)" "$(value 'select count(*) from events')"

finish
