#!/usr/bin/env bash
# End-to-end: the row buffer through the real binary. Small inserts are
# read at once and listed as buffered; pond flush makes them one snapshot
# that an independent Iceberg reader (icebird) reads; flushes killed with
# SIGKILL at random points never lose or double a row; ingest and models
# see buffered rows.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" > /dev/null
cd "$P" || exit 1
value() { "$POND" sql --format csv "$1" | tail -n 1; }
icebird_count() {
  local loc
  loc=$("$POND" show "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["location"], d["metadata_file"].split("/")[-1])')
  (cd "$OLDPWD" 2>/dev/null; node "$NODE_DIR/iceberg_read.mjs" $loc | wc -l)
}

expect_exit "create" 0 "$POND" sql "create table s.t as select range as id, 'a' as v from range(5)"
for i in 1 2 3; do
  expect_exit "small insert $i" 0 "$POND" sql "insert into s.t select 100 * $i + range, 'b' from range(4)"
done
expect_eq "reads see buffered rows" "$(value "select count(*) from s.t")" "17"
expect_eq "a filter sees them" "$(value "select count(*) from s.t where id >= 300")" "4"
expect_contains "tables lists them" "$("$POND" tables)" "(12 buffered: pond flush)"
expect_contains "tables --json counts them" "$("$POND" tables --json)" '"buffered_records": 12'
expect_eq "other engines see only snapshots before a flush" "$(icebird_count s.t)" "5"
expect_exit "flush" 0 "$POND" flush s.t
expect_contains "flush reports" "$OUT" "flushed 12 rows into s.t"
expect_eq "icebird reads the flushed rows" "$(icebird_count s.t)" "17"
expect_eq "pond reads the same after the flush" "$(value "select count(*) from s.t")" "17"
expect_eq "one snapshot for the three inserts" "$("$POND" history s.t --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "2"

# A table that does not buffer writes a snapshot per insert.
expect_exit "turn the buffer off" 0 "$POND" sql "alter table s.t set tblproperties ('pond.buffer.enabled' = 'false')"
expect_exit "insert written through" 0 "$POND" sql "insert into s.t values (999, 'c')"
expect_eq "a snapshot at once" "$(icebird_count s.t)" "18"
expect_exit "turn it on again" 0 "$POND" sql "alter table s.t unset tblproperties ('pond.buffer.enabled')"

# Delete and update see buffered rows (they flush first).
expect_exit "buffer more" 0 "$POND" sql "insert into s.t values (1000, 'd'), (1001, 'd')"
expect_exit "delete a buffered row" 0 "$POND" sql "delete from s.t where id = 1000"
expect_eq "deleted" "$(value "select count(*) from s.t where v = 'd'")" "1"
expect_exit "update a row" 0 "$POND" sql "insert into s.t values (1002, 'e'); update s.t set v = 'f' where v = 'e'"
expect_eq "updated" "$(value "select count(*) from s.t where v = 'f'")" "1"

# Ingest of a small file goes to the buffer and says so.
printf 'id,v\n2000,g\n2001,g\n' > "$T/small.csv"
expect_exit "ingest a small file" 0 "$POND" ingest "$T/small.csv" --table s.t
expect_contains "ingest says buffered" "$OUT" "buffered"
expect_eq "ingested rows read" "$(value "select count(*) from s.t where v = 'g'")" "2"

# Flushes killed at random points: every row is there exactly once.
expected=$(value "select count(*) from s.t")
i=1
while kill_rounds_left $i; do
  "$POND" sql "insert into s.t select 5000 + $i * 10 + range, 'k' from range(3)" > /dev/null 2>&1
  expected=$((expected + 3))
  kill_round "$POND" flush s.t
  i=$((i + 1))
done
check "some flushes were killed before they ended ($KILLED of $((i - 1)))" test "$KILLED" -gt 0
expect_eq "no row lost or doubled by killed flushes" "$(value "select count(*) || '/' || count(distinct id) from s.t")" "$expected/$expected"
expect_exit "a last flush" 0 "$POND" flush
expect_eq "still every row once" "$(value "select count(*) || '/' || count(distinct id) from s.t")" "$expected/$expected"
expect_eq "icebird agrees" "$(icebird_count s.t)" "$expected"

# DROP TABLE takes the buffered rows with it.
expect_exit "buffer then drop" 0 "$POND" sql "insert into s.t values (1, 'z'); drop table s.t"
expect_exit "create again" 0 "$POND" sql "create table s.t (id bigint, v varchar)"
expect_eq "the new table is empty" "$(value "select count(*) from s.t")" "0"
expect_contains "nothing buffered" "$("$POND" flush)" "no table has buffered rows"

finish
