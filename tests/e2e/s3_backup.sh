#!/usr/bin/env bash
# End-to-end: pond backup and pond restore of a project whose warehouse is
# on the suite's S3 test server (POND_TEST_S3_URL), through the real
# binary. A project with history is backed up into a local folder (the
# layout of a local backup), backed up again (nothing downloaded); a GET
# refused with 403 fails a backup naming the object and S3's code;
# backups killed with kill -9 mid-download leave the previous backup whole
# and the next run completes; the backup restores into a local folder and
# back onto S3 in another bucket and prefix, each reading the rows of the
# backup's point in time and writing at its own place only.
. "$(dirname "$0")/lib.sh"

s3_bucket pond-bk
export LAKE_KEY=pondtest LAKE_SECRET=pondtestsecret
cd "$T" || exit 1
"$POND" init --bare s3p > /dev/null || { echo "FAIL pond init"; exit 1; }
s3_storage s3p/pond.yml "s3://$B/lake"
S() { "$POND" --project "$T/s3p" "$@"; }
q() { "$POND" --project "$1" sql --format csv "$2" | tail -n +2; }
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
objects() { S s3 ls "s3://$1/" | wc -l; }  # lines: SIZE<tab>KEY

# --- a project on S3: partitioned tables with history ---
expect_exit "create orders" 0 S sql "create table sales.orders (id bigint, day int, amount double)"
# every insert a snapshot and files (a small one would wait in the row buffer)
check "no row buffer for orders" S sql "alter table sales.orders set tblproperties ('pond.buffer.enabled' = 'false')"
expect_exit "partition it" 0 S sql "alter table sales.orders add partition field day"
expect_exit "a bulk insert (40 partitions)" 0 S sql "insert into sales.orders select range, range % 40, range * 1.5 from range(4000)"
first=$(S history sales.orders --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
expect_exit "delete" 0 S sql "delete from sales.orders where id % 10 = 0 and day < 5"
expect_exit "create a second table" 0 S sql "create table ref.days as select range as day, 'd' || range as name from range(40)"

# One query for a project's state (each pond run starts DuckDB): the
# orders now, at the first snapshot (time travel), and the second table.
STATE="select 'now', count(*), sum(id), sum(amount) from sales.orders
  union all select 'first', count(*), sum(id), sum(amount) from sales.orders at (version => $first)
  union all select 'days', count(*), sum(day), count(distinct name) from ref.days order by 1"
snapshot_queries() { q "$1" "$STATE" 2>&1; }
before=$(snapshot_queries "$T/s3p")

# --- the first backup: every object the tables reference, by key ---
BK="$T/nas/bk"
expect_exit "backup of an S3 project" 0 S backup "$BK"
expect_contains "it says what it copied" "$OUT" "backed up 2 tables:"
expect_eq "backup.json names the S3 warehouse" \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["warehouse"])' "$BK/backup.json")" "s3://$B/lake"
expect_eq "every data object is in the backup, under its key" \
  "$(S s3 ls "s3://$B/lake/" | grep -o 'lake/[^ ]*\.parquet' | sed 's|^lake/||' | sort | md5sum)" \
  "$(cd "$BK/warehouse" && find . -name '*.parquet' | sed 's|^\./||' | sort | md5sum)"
expect_exit "second backup" 0 S backup "$BK" --json
expect_eq "nothing downloaded" "$(json_field "$OUT" files_copied)" "0"
expect_eq "everything skipped" "$(json_field "$OUT" files_skipped)" "$(json_field "$OUT" files)"
expect_exit "a backup folder is local" 1 S backup "s3://$B/elsewhere"
expect_contains "it says so" "$ERR" "a backup is a local folder"

# --- a change; a GET refused with 403 fails the backup, naming it ---
expect_exit "insert into every partition" 0 S sql "insert into sales.orders select range + 10000, range % 40, 1 from range(400)"
after=$(snapshot_queries "$T/s3p")
manifest=$(cat "$BK/backup.json")
curl -sf -X POST "$U/__pond/faults" -d "{\"bucket\": \"$B\", \"rules\": [
  {\"method\": \"GET\", \"key\": \"/data/\", \"action\": \"403\", \"times\": 1}]}" > /dev/null
expect_exit "a backup whose GET is refused" 1 S backup "$BK"
expect_contains "names the object" "$ERR" "could not get s3://$B/lake/sales/orders/data/"
expect_contains "and S3's code" "$ERR" "AccessDenied"
expect_eq "backup.json is as it was" "$(cat "$BK/backup.json")" "$manifest"

# --- kill -9 mid-download: each round starts from the previous backup ---
K="$T/nas/k"
copied() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files_copied"])' "$1/backup.json"; }
ok=1
for round in $(seq 1 24); do
  kill_rounds_left "$round" || break
  rm -rf "$K" && cp -a "$BK" "$K"
  kill_round "$POND" --project "$T/s3p" backup "$K"
  if [ "$(cat "$K/backup.json")" != "$manifest" ] && [ "$(copied "$K")" != 40 ]; then
    ok=0; echo "round $round: backup.json is neither the previous one nor a finished run's"
  fi
done
echo "     ($KILLED of $((round - 1)) backups killed before they ended)"
check "some backups were killed before they ended" test "$KILLED" -gt 0
expect_eq "each left the previous backup.json or a finished run's" "$ok" "1"
# Once objects came down: killed half-way through the downloads.
rm -rf "$K" && cp -a "$BK" "$K"
"$POND" --project "$T/s3p" backup "$K" > /dev/null 2>&1 &
pid=$!
wait_for sh -c "find '$K/warehouse' -name '*.parquet' -newer '$K/backup.json' | grep -q . || ! kill -0 $pid 2>/dev/null"
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
if [ $? -eq 137 ]; then
  expect_eq "a backup killed half-way left backup.json as it was" "$(cat "$K/backup.json")" "$manifest"
  check "and some of the new objects" test -n "$(find "$K/warehouse" -name '*.parquet' -newer "$K/backup.json")"
else
  echo "     (the backup ended before the kill: the rounds above covered it)"
fi
rm -rf "$T/rk"
expect_exit "the killed folder restores (the previous backup)" 0 "$POND" restore "$K" "$T/rk"
expect_eq "to the rows it held" "$(snapshot_queries "$T/rk")" "$before"
expect_exit "a backup after the kills" 0 S backup "$BK" --json
# The insert's metadata file, list and manifest came down before the 403.
expect_eq "it downloads the insert's 40 data files" "$(json_field "$OUT" files_copied)" "40"
expect_eq "no .part file is left" "$(find "$BK" -name '*.part' | wc -l)" "0"

# --- restore into a local folder ---
keys=$(objects "$B")
check "the bucket holds the project's objects" test "$keys" -gt 90
expect_exit "restore into a local folder" 0 "$POND" restore "$BK" "$T/local"
expect_contains "it says what it did" "$OUT" "restored 2 tables:"
expect_eq "its warehouse is the local folder" "$(grep '^warehouse:' "$T/local/pond.yml")" "warehouse: warehouse"
expect_contains "the catalog names the local files" \
  "$(sqlite3 "$T/local/catalog.db" "select group_concat(metadata_location) from iceberg_tables")" "$T/local/warehouse/"
expect_eq "the rows of the backup" "$(snapshot_queries "$T/local")" "$after"
expect_exit "a write after the restore" 0 "$POND" --project "$T/local" sql "insert into sales.orders values (99999, 1, 2.5)"
expect_eq "is read back" "$(q "$T/local" "select count(*) from sales.orders where id = 99999")" "1"
expect_eq "and nothing was written to the bucket" "$(objects "$B")" "$keys"

# --- restore onto S3, another bucket and prefix ---
B2="pond-bk2-$$"
curl -sf -X PUT "$U/$B2" > /dev/null || fail "create bucket $B2"
expect_exit "restore onto S3" 0 "$POND" restore "$BK" "$T/ons3" --warehouse "s3://$B2/moved/wh"
expect_eq "every file was uploaded" "$(objects "$B2")" "$(find "$BK/warehouse" -type f | wc -l)"
expect_eq "under the prefix" "$(S s3 ls "s3://$B2/moved/wh/" | wc -l)" "$(objects "$B2")"
expect_contains "the catalog names the new place" \
  "$(sqlite3 "$T/ons3/catalog.db" "select group_concat(metadata_location) from iceberg_tables")" "s3://$B2/moved/wh/"
expect_eq "the rows of the backup, from S3" "$(snapshot_queries "$T/ons3")" "$after"
expect_exit "a write after the restore" 0 "$POND" --project "$T/ons3" sql "insert into sales.orders values (77777, 1, 2.5)"
expect_eq "is read back" "$(q "$T/ons3" "select count(*) from sales.orders where id = 77777")" "1"
expect_eq "into the new bucket only" "$(objects "$B")" "$keys"
expect_exit "a second restore onto the same prefix" 1 "$POND" restore "$BK" "$T/ons3b" --warehouse "s3://$B2/moved/wh"
expect_contains "is refused" "$ERR" "warehouse s3://$B2/moved/wh is not empty; pass --force"
expect_exit "restore --warehouse needs a value" 2 "$POND" restore "$BK" "$T/x" --warehouse
finish
