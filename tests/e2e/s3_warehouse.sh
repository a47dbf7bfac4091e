#!/usr/bin/env bash
# End-to-end: a project whose warehouse is on the suite's S3 test server
# (POND_TEST_S3_URL: s3rver behind a proxy that checks every SigV4
# signature and injects faults), driven through the real binary and
# compared, command by command, with the same project on a local disk:
# the example pipeline (ingest, model, tests, export), every kind of SQL
# write, time travel, flush, compact, expire, orphans, maintain, inspect,
# show and tables; icebird (an independent Iceberg reader) reads the
# tables from the server over HTTP; an ingest through 503s and connections
# dropped mid-upload lands exactly once, and one whose upload is refused
# commits nothing; ingests killed with kill -9 leave the table as before
# or after, never in between.
. "$(dirname "$0")/lib.sh"

s3_bucket pond-wh
# The credentials come through the variables pond.yml names.
export LAKE_KEY=pondtest LAKE_SECRET=pondtestsecret
cd "$T" || exit 1

# --- two projects: one on S3, one on the local disk ---
"$POND" init s3p >/dev/null 2>&1
"$POND" init loc >/dev/null 2>&1
expect_contains "pond init shows the storage settings" "$(cat s3p/pond.yml)" "# storage:"
s3_storage s3p/pond.yml "s3://$B/lake/"
S() { "$POND" --project "$T/s3p" "$@"; }
L() { "$POND" --project "$T/loc" "$@"; }
rows_s3() { S sql --format csv "$1" | tail -n +2 | sort; }
rows_loc() { L sql --format csv "$1" | tail -n +2 | sort; }
same() {  # same NAME QUERY: both projects answer alike
  local a b
  a=$(rows_s3 "$2"); b=$(rows_loc "$2")
  if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "$1"; else fail "$1" "s3:    $(echo "$a" | head -c 300)" "local: $(echo "$b" | head -c 300)"; fi
}
both() {  # both NAME SQL: a statement that must work on both
  expect_exit "$1 (s3)" 0 S sql "$2"
  expect_exit "$1 (local)" 0 L sql "$2"
}
data_keys() { S s3 ls "s3://$B/lake/$1/" | grep -c '/data/' ; }

mkdir -p bad && printf 'warehouse: gs://b/wh\n' > bad/pond.yml
expect_exit "another URL scheme is refused" 1 "$POND" --project "$T/bad" tables
expect_contains "the error names the line and what works" "$ERR" "pond.yml:1: warehouse \"gs://b/wh\" is not supported: use a folder or s3://BUCKET/PREFIX"
test ! -e "$T/bad/gs:" && pass "no local folder named after the URL" || fail "no local folder named after the URL"

# --- the example pipeline: ingest, model, data tests, export ---
expect_exit "pond run example on S3" 0 S run example
expect_exit "pond run example locally" 0 L run example
check "the export is the same file" cmp "$T/s3p/out/daily_sales.csv" "$T/loc/out/daily_sales.csv"
same "raw.sales reads the same" "select * from raw.sales"
same "the model reads the same" "select * from marts.daily_sales"
test ! -e "$T/s3p/warehouse/raw" && pass "nothing of the S3 tables is on the local disk" || fail "nothing of the S3 tables is on the local disk"
expect_contains "the table's files are on S3" "$(S s3 ls "s3://$B/lake/raw/sales/")" "lake/raw/sales/metadata/00000-"
expect_exit "pond transform" 0 S transform
expect_exit "pond export" 0 S export daily_sales
check "the export again" cmp "$T/s3p/out/daily_sales.csv" "$T/loc/out/daily_sales.csv"

# --- every kind of SQL write, compared after each ---
both "create a partitioned table" "create table ev (id bigint, kind varchar, amount decimal(10, 2), day date)"
both "add a partition field" "alter table ev add partition field kind"
both "bulk insert" "insert into ev select range, ['a', 'b', 'c'][range % 3 + 1], range / 4, date '2024-03-01' + (range % 9)::int from range(3000)"
same "after the bulk insert" "select * from ev"
both "a small insert (the row buffer)" "insert into ev values (9000, 'b', 1.25, date '2024-04-01'), (9001, 'z', NULL, NULL)"
same "buffered rows are read at once" "select * from ev"
expect_exit "flush" 0 S flush ev
expect_exit "flush (local)" 0 L flush ev
both "update" "update ev set amount = amount * 2 where kind = 'a' and id < 500"
both "delete" "delete from ev where id % 7 = 0"
both "create table as" "create table ev_sum as select kind, count(*) as n, sum(amount) as total from ev group by kind"
both "add a column" "alter table ev add column note varchar"
both "insert with the new column" "insert into ev select range + 20000, 'c', 2.5, date '2024-05-01', 'new' from range(40)"
same "after the writes" "select * from ev"
same "the summary table" "select * from ev_sum"
same "a selective read" "select count(*), sum(amount) from ev where kind = 'b'"
first_s3=$(S history ev --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
first_loc=$(L history ev --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
expect_eq "time travel to the first snapshot" \
  "$(rows_s3 "select count(*), sum(amount) from ev at (version => $first_s3)")" \
  "$(rows_loc "select count(*), sum(amount) from ev at (version => $first_loc)")"

# --- maintenance ---
expect_exit "compact" 0 S compact ev --min-input-files 2
expect_contains "compaction rewrote files" "$OUT" "main.ev:"
same "compaction keeps the rows" "select * from ev"
expect_exit "expire" 0 S expire ev --older-than 0s --retain-last 1
expect_contains "expiry deleted files" "$OUT" "deleted"
same "expiry keeps the rows" "select * from ev"
expect_exit "orphans: none" 0 S orphans ev --older-than 0s
expect_contains "no orphan after expiry" "$OUT" "main.ev: 0 orphan files"
printf 'junk' > junk.parquet
check "an orphan object" S s3 put junk.parquet "s3://$B/lake/main/ev/data/stray/junk.parquet"
expect_exit "orphans finds it (young: not yet)" 0 S orphans ev
expect_contains "a fresh stray file is young" "$OUT" "0 orphan files"
expect_exit "orphans --delete" 0 S orphans ev --older-than 0s --delete
expect_contains "the stray file is deleted" "$OUT" "1 orphan file, 4 B deleted"
expect_eq "and gone from S3" "$(S s3 ls "s3://$B/lake/main/ev/data/stray/")" ""
same "orphans keep the rows" "select * from ev"
expect_exit "pond maintain" 0 S maintain
expect_contains "maintain measures the S3 folders" "$OUT" "main.ev:"
same "maintain keeps the rows" "select * from ev"

# --- looking at tables ---
expect_exit "pond tables" 0 S tables
expect_contains "tables lists ev" "$OUT" "main.ev"
expect_exit "pond show" 0 S show ev
expect_contains "show names the S3 location" "$OUT" "s3://$B/lake/main/ev"
expect_exit "pond inspect a table folder on S3" 0 S inspect "s3://$B/lake/main/ev"
expect_contains "inspect lists the data files" "$OUT" "s3://$B/lake/main/ev/data/"
expect_exit "pond inspect outside a project (AWS settings)" 0 \
  env AWS_ACCESS_KEY_ID=pondtest AWS_SECRET_ACCESS_KEY=pondtestsecret AWS_ENDPOINT_URL="$U" "$POND" inspect "s3://$B/lake/main/ev" --json
expect_contains "inspect --json" "$OUT" '"format_version": 2'
# a table folder's version-hint.text names the metadata file, on S3 as on a disk
first_md=$(S s3 ls "s3://$B/lake/main/ev/metadata/" | grep -o '[0-9]*-[0-9a-f-]*\.metadata\.json' | sort | head -n 1)
newest_md=$(S s3 ls "s3://$B/lake/main/ev/metadata/" | grep -o '[0-9]*-[0-9a-f-]*\.metadata\.json' | sort | tail -n 1)
check "the table has two metadata files" test -n "$first_md" -a "$first_md" != "$newest_md"
inspect_file() { S inspect "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata_file"].split("/")[-1])'; }
expect_eq "without a hint: the newest metadata file" "$(inspect_file "s3://$B/lake/main/ev")" "$newest_md"
printf '%s\n' "$first_md" > hint.txt
check "a version hint" S s3 put hint.txt "s3://$B/lake/main/ev/metadata/version-hint.text"
expect_eq "with a hint: the file it names" "$(inspect_file "s3://$B/lake/main/ev")" "$first_md"
check "the hint removed" S s3 rm "s3://$B/lake/main/ev/metadata/version-hint.text"
expect_exit "pond inspect of an S3 folder with no table" 1 S inspect "s3://$B/lake/main/nothing"
expect_contains "says it is no table folder" "$ERR" "could not open s3://$B/lake/main/nothing: not a metadata file or a table folder"

# --- pond serve: the JSON API reads the S3 tables (from their cached copies) ---
(cd "$T/s3p" && exec "$POND" serve --listen 127.0.0.1:0 --no-scheduler) > "$T/serve.out" 2> "$T/serve.err" &
spid=$!
URL=
server_up() {
  URL=$(grep -o 'http://[0-9.:]*' "$T/serve.out" 2> /dev/null | head -n 1)
  [ -n "$URL" ] || ! kill -0 "$spid" 2> /dev/null
}
wait_for server_up
api=$(curl -s -X POST -H 'Content-Type: application/json' --data-binary   '{"sql": "select count(*) as n, sum(id) as s from ev"}' "$URL/api/sql")
expect_eq "the API's SQL reads an S3 table" "$(echo "$api" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(",".join(str(v) for v in d["rows"][0]))' 2>&1)" "$(rows_s3 "select count(*), sum(id) from ev")"
api=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary   "{\"sql\": \"select * from read_csv('/etc/passwd')\"}" "$URL/api/sql")
expect_eq "and no file outside the cache" "$api" "400"
# the REST catalog hands clients the storage settings, never the keys
load=$(curl -s "$URL/iceberg/v1/namespaces/main/tables/ev")
expect_eq "REST loadTable of an S3 table" "$(echo "$load" | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["config"]
print(d["metadata-location"].startswith("s3://"), d["metadata"]["location"], c.get("s3.endpoint"),
      c.get("s3.path-style-access"), c.get("s3.region"))' 2>&1)" "True s3://$B/lake/main/ev $U true us-east-1"
case "$load" in *pondtestsecret*|*LAKE_SECRET*) fail "REST never hands out the secret" ;; *) pass "REST never hands out the secret" ;; esac
kill -TERM "$spid" 2> /dev/null
wait "$spid" 2> /dev/null

# --- an independent reader: icebird, from the S3 server over HTTP ---
icebird_rows() {
  local loc
  loc=$(S show "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["location"], d["metadata_file"].split("/")[-1])')
  POND_ICEBIRD_S3_ENDPOINT="$U" node "$NODE_DIR/iceberg_read.mjs" $loc
}
ib=$(icebird_rows ev | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
print(len(rows), sum(int(r["id"]) for r in rows))')
expect_eq "icebird reads ev from S3" "$ib" "$(rows_s3 "select count(*) || ' ' || sum(id) from ev")"
expect_eq "icebird reads the model from S3" "$(icebird_rows marts.daily_sales | wc -l)" "$(rows_s3 "select count(*) from marts.daily_sales")"

# --- an ingest through faults lands exactly once ---
cat > s3p/sources/sales_log.yml <<'EOF'
type: file
path: data/sales.csv
table: raw.sales_log
mode: append
EOF
expect_exit "a first appending ingest" 0 S ingest sales_log
# every append a snapshot (a small one would wait in the row buffer)
check "no row buffer for sales_log" S sql "alter table raw.sales_log set tblproperties ('pond.buffer.enabled' = 'false')"
snaps=$(S history raw.sales_log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
curl -sf -X POST "$U/__pond/faults" -d "{\"bucket\": \"$B\", \"rules\": [
  {\"method\": \"PUT\", \"key\": \"/data/\", \"action\": \"503\", \"times\": 2},
  {\"method\": \"PUT\", \"key\": \"/data/\", \"action\": \"drop-body\", \"times\": 1},
  {\"method\": \"PUT\", \"key\": \".avro\", \"action\": \"drop\", \"times\": 1},
  {\"method\": \"PUT\", \"key\": \".metadata.json\", \"action\": \"503\", \"times\": 1}]}" >/dev/null
expect_exit "an ingest through 503s and dropped uploads" 0 S ingest sales_log
expect_eq "its rows landed exactly once" "$(rows_s3 "select count(*) from raw.sales_log")" "18"
expect_eq "in one snapshot" "$(S history raw.sales_log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$((snaps + 1))"
log=$(curl -sf "$U/__pond/log?bucket=$B")
expect_eq "the faults were met" "$(echo "$log" | python3 -c '
import json, sys
print(sorted({e.get("fault") for e in json.load(sys.stdin) if e.get("fault")}))')" "['503', 'drop', 'drop-body']"
expect_eq "every upload was signed" "$(echo "$log" | python3 -c '
import json, sys
print(all(e.get("sig") in (None, "ok") for e in json.load(sys.stdin) if e["method"] in ("PUT", "POST", "DELETE") and e["key"]))')" "True"
before=$(data_keys raw/sales_log)
snaps=$(S history raw.sales_log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
curl -sf -X POST "$U/__pond/faults" -d "{\"bucket\": \"$B\", \"rules\": [
  {\"method\": \"PUT\", \"key\": \"sales_log/data/\", \"action\": \"403\", \"times\": 20}]}" >/dev/null
expect_exit "an ingest whose upload is refused fails" 1 S ingest sales_log
expect_contains "the error names the object and S3's code" "$ERR" "AccessDenied"
expect_eq "nothing was committed" "$(rows_s3 "select count(*) from raw.sales_log")" "18"
expect_eq "no snapshot was added" "$(S history raw.sales_log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$snaps"
expect_eq "no data object was left" "$(data_keys raw/sales_log)" "$before"
curl -sf -X POST "$U/__pond/faults" -d "{\"bucket\": \"$B\", \"rules\": [
  {\"method\": \"PUT\", \"key\": \"sales_log/data/\", \"action\": \"403\", \"times\": 0}]}" >/dev/null

# --- writers killed with kill -9 mid-ingest ---
N=200000
awk -v n=$N 'BEGIN { print "id,name,score"; for (i = 0; i < n; i++) printf "%d,name-%d,%d.5\n", i, i % 977, i % 13 }' > "$T/s3p/data/big.csv"
cat > s3p/sources/big.yml <<'EOF'
type: file
path: data/big.csv
table: raw.big
mode: append
EOF
expect_exit "a whole ingest" 0 S ingest big
n=$(rows_s3 "select count(*) from raw.big")
expect_eq "all rows" "$n" "$N"
staging="$T/s3p/.pond/cache/staging"
ok=1 killed=0
for round in $(seq 1 8); do
  # the binary itself in the background (a function would run in a
  # subshell, and the kill would end the subshell, not pond)
  "$POND" --project "$T/s3p" ingest big >/dev/null 2>&1 &
  pid=$!
  if [ $((round % 2)) -eq 0 ]; then
    # once its staging folder is there: it is writing or uploading
    wait_for sh -c "ls -A '$staging' 2>/dev/null | grep -q . || ! kill -0 $pid 2>/dev/null"
  else
    sleep "0.$(printf '%03d' $((RANDOM % 600)))"
  fi
  kill -9 "$pid" 2>/dev/null
  # kill succeeds on a process that ended but was not waited for: only
  # the exit status says whether the signal ended it
  wait "$pid" 2>/dev/null
  [ $? -eq 137 ] && killed=$((killed + 1))
  now=$(rows_s3 "select count(*) from raw.big")
  if [ "$now" != "$n" ] && [ "$now" != "$((n + N))" ]; then ok=0; echo "round $round: $now rows after $n"; fi
  n=$now
done
echo "     ($killed of 8 ingests killed before they ended)"
check "some ingests were killed before they ended" test "$killed" -gt 0
expect_eq "every killed ingest left all or nothing" "$ok" "1"
expect_eq "the rows are whole copies of the file" "$(rows_s3 "select count(*) % $N, count(distinct id) from raw.big")" "0,$N"
expect_exit "an ingest after the kills" 0 S ingest big
expect_eq "it lands" "$(rows_s3 "select count(*) from raw.big")" "$((n + N))"
expect_eq "killed writers' staging folders were swept" "$(ls -A "$T/s3p/.pond/cache/staging")" ""
expect_eq "icebird reads what pond reads" "$(icebird_rows raw.big | wc -l)" "$((n + N))"
finish
