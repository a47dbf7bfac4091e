#!/usr/bin/env bash
# End-to-end: `pond ingest` against real files, a real HTTP API (tests/http/
# server.py on 127.0.0.1), a real PostgreSQL (POND_TEST_PG_URL, started by
# tests/run.sh) and SQLite. Each check reads the table back with `pond sql`.
. "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

# --- a project and the test API ---
P="$T/proj"
if "$POND" init --bare "$P" >/dev/null 2>&1; then :; else
  mkdir -p "$P/sources"
  printf 'name: t\nwarehouse: warehouse\ncatalog: catalog.db\n' > "$P/pond.yml"
fi
mkdir -p "$P/sources" "$T/files"
cd "$P" || exit 1
mkdir -p "$T/marks"
python3 "$ROOT/tests/http/server.py" --port-file "$T/port" --timeout 3600 --files "$T/files" --marks "$T/marks" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")
API="http://127.0.0.1:$PORT"

q() { "$POND" sql "$1" --format csv | tail -n +2; }
# wait_mark NAME: until the test server says the request for NAME arrived.
wait_mark() { for _ in $(seq 1 600); do [ -e "$T/marks/$1" ] && return 0; sleep 0.05; done; return 1; }
qt() { "$POND" sql "$1" --format tsv | tail -n +2; }
export PGOPTIONS='--client-min-messages=warning'
count() { q "select count(*) from $1"; }
source_yml() { cat > "$P/sources/$1.yml"; }

# --- one-off file loads ---
seq 1 1000000 | awk 'BEGIN { print "id,grp,amount" } { printf "%d,g%d,%d.%02d\n", $1, $1 % 7, $1 % 1000, $1 % 100 }' > "$T/big.csv"
want_sum=$(awk -F, 'NR > 1 { s += $3 } END { printf "%.2f", s }' "$T/big.csv")
expect_exit "csv 1M rows loads" 0 "$POND" ingest "$T/big.csv" --table raw.big
expect_contains "csv load says how many rows" "$OUT" "loaded 1000000 rows into raw.big"
expect_contains "csv load created the table" "$OUT" "created table raw.big"
expect_eq "csv count" "$(count raw.big)" "1000000"
expect_eq "csv sum" "$(q "select sum(amount)::decimal(18,2) from raw.big")" "$want_sum"
expect_eq "csv group" "$(q "select count(*) from raw.big where grp = 'g0'")" "142857"

printf 'id,name\n1,a\n2,b\n3,c\n' > "$T/small.csv"
gzip -c "$T/small.csv" > "$T/small.csv.gz"
zstd -q -c "$T/small.csv" > "$T/small2.csv.zst"
expect_exit "gzip csv loads" 0 "$POND" ingest "$T/small.csv.gz" --table raw.gz
expect_eq "gzip rows" "$(q "select string_agg(name, '' order by id) from raw.gz")" "abc"
expect_exit "zstd csv loads" 0 "$POND" ingest "$T/small2.csv.zst" --table raw.zst
expect_eq "zstd rows" "$(count raw.zst)" "3"

printf '1|x\n2|y\n' > "$T/pipes.txt"
expect_exit "delimiter and no header" 0 "$POND" ingest "$T/pipes.txt" --table raw.pipes --delimiter '|' --header false --format csv
expect_eq "delimited columns" "$(q "select string_agg(column1, '-' order by column0) from raw.pipes")" "x-y"
printf 'a\tb\n1\t2\n' > "$T/t.tsv"
expect_exit "tsv loads" 0 "$POND" ingest "$T/t.tsv" --table raw.tsv
expect_eq "tsv columns" "$(q "select a + b from raw.tsv")" "3"

seq 1 1000 | awk '{ printf "{\"id\":%d,\"tags\":[\"t%d\"],\"user\":{\"name\":\"u%d\",\"age\":%d}}\n", $1, $1 % 3, $1, $1 % 90 }' > "$T/events.ndjson"
expect_exit "ndjson loads" 0 "$POND" ingest "$T/events.ndjson" --table raw.nd
expect_eq "ndjson count and nested struct" "$(q "select count(*), sum(\"user\".age) from raw.nd")" "1000,$(seq 1 1000 | awk '{ s += $1 % 90 } END { print s }')"
expect_exit "ndjson flattened" 0 "$POND" ingest "$T/events.ndjson" --table raw.flat --flatten
expect_eq "flattened columns" "$(q "select user__name from raw.flat where id = 7")" "u7"
echo '[{"k": 1, "v": "one"}, {"k": 2, "v": "two"}]' > "$T/arr.json"
expect_exit "json array loads" 0 "$POND" ingest "$T/arr.json" --table raw.arr
expect_eq "json array rows" "$(q "select string_agg(v, '-' order by k) from raw.arr")" "one-two"
"$POND" sql "copy (select range as id, range * 2 as dbl from range(5000)) to '$T/p.parquet' (format parquet)" >/dev/null
expect_exit "parquet loads" 0 "$POND" ingest "$T/p.parquet" --table raw.pq
expect_eq "parquet sum" "$(q "select sum(dbl) from raw.pq")" "24995000"
mkdir -p "$T/glob" && printf 'a\n1\n' > "$T/glob/1.csv" && printf 'a\n2\n' > "$T/glob/2.csv"
expect_exit "glob loads every file" 0 "$POND" ingest "$T/glob/*.csv" --table raw.glob
expect_eq "glob rows" "$(q "select sum(a) from raw.glob")" "3"

# appends, replace and merge
expect_exit "append again" 0 "$POND" ingest "$T/small.csv" --table raw.gz
expect_eq "appended" "$(count raw.gz)" "6"
expect_exit "replace" 0 "$POND" ingest "$T/small.csv" --table raw.gz --mode replace
expect_eq "replaced" "$(count raw.gz)" "3"
printf 'id,name\n2,B\n4,d\n' > "$T/upd.csv"
expect_exit "merge on a key" 0 "$POND" ingest "$T/upd.csv" --table raw.gz --mode merge --key id
expect_eq "merged in place" "$(q "select string_agg(name, '' order by id) from raw.gz")" "aBcd"
expect_exit "merge without a key is a usage error" 2 "$POND" ingest "$T/upd.csv" --table raw.gz --mode merge

# a malformed CSV names the file and line; nothing is committed
(echo "id,grp,amount"; seq 1 30000 | awk '{ printf "%d,g,%d\n", $1, $1 }'; echo "30001,g,notanumber"; echo "30002,g,5") > "$T/badtype.csv"
expect_exit "wrong type fails" 1 "$POND" ingest "$T/badtype.csv" --table raw.big
expect_contains "wrong type names file and line" "$ERR" "$T/badtype.csv:30002:"
expect_contains "wrong type names the value" "$ERR" '"notanumber"'
expect_eq "wrong type error is one line" "$(echo "$ERR" | wc -l)" "1"
(echo "id,grp,amount"; seq 1 30000 | awk '{ printf "%d,g,%d\n", $1, $1 }'; echo "1,2,3,4") > "$T/badcols.csv"
expect_exit "extra column fails" 1 "$POND" ingest "$T/badcols.csv" --table raw.big
expect_contains "extra column names file and line" "$ERR" "$T/badcols.csv:30002: expected 3 columns, found 4"
expect_eq "table unchanged after bad input" "$(count raw.big)" "1000000"
expect_exit "a bad first load creates no table" 1 "$POND" ingest "$T/badtype.csv" --table raw.never
expect_exit "no such table afterwards" 1 "$POND" sql "select * from raw.never"
printf '{"a": 1}\n{"a": \n' > "$T/bad.ndjson"
expect_exit "malformed ndjson fails" 1 "$POND" ingest "$T/bad.ndjson" --table raw.badjson
expect_contains "malformed ndjson names file and line" "$ERR" "bad.ndjson:3: malformed JSON"
printf '{"id": 1, "n": 3}\n' > "$T/ints.ndjson"
printf '{"id": 2, "n": 8.0}\n{"id": 3, "n": 7.5}\n' > "$T/frac.ndjson"
expect_exit "whole numbers load" 0 "$POND" ingest "$T/ints.ndjson" --table raw.ints
expect_exit "a fraction into a whole-number column fails" 1 "$POND" ingest "$T/frac.ndjson" --table raw.ints
expect_contains "the fraction error names the file, field and value" "$ERR" 'frac.ndjson: Invalid Input Error: field "n" holds 7.5, not a whole number for a long column'
expect_eq "nothing rounded, nothing committed" "$(q "select count(*), sum(n) from raw.ints")" "1,3"
expect_exit "missing file fails" 1 "$POND" ingest "$T/nope.csv" --table raw.nope
expect_contains "missing file named" "$ERR" "$T/nope.csv"
expect_exit "no --table is a usage error" 2 "$POND" ingest "$T/small.csv"

# schema policies on a one-off load
printf 'id,name,extra\n9,z,1\n' > "$T/extra.csv"
expect_exit "freeze refuses a new field" 1 "$POND" ingest "$T/extra.csv" --table raw.gz --schema freeze
expect_contains "freeze names the field" "$ERR" 'field "extra"'
expect_exit "discard drops it" 0 "$POND" ingest "$T/extra.csv" --table raw.gz --schema discard
expect_contains "discard is reported" "$OUT" "discarded column extra"
expect_eq "discarded column absent" "$(q "select count(*) from (describe raw.gz) where column_name = 'extra'")" "0"
expect_exit "evolve adds it" 0 "$POND" ingest "$T/extra.csv" --table raw.gz
expect_eq "evolved column, null for old rows" "$(q "select count(extra), count(*) from raw.gz")" "1,6"

# over HTTP (downloaded, then read)
cp "$T/small.csv.gz" "$T/files/remote.csv.gz"
cp "$T/events.ndjson" "$T/files/remote_events"
expect_exit "url loads" 0 "$POND" ingest "$API/files/remote.csv.gz" --table raw.remote
expect_eq "url rows" "$(count raw.remote)" "3"
expect_exit "url without extension sniffed as json" 0 "$POND" ingest "$API/files/remote_events" --table raw.remote2
expect_eq "sniffed rows" "$(count raw.remote2)" "1000"
expect_exit "url 404 fails" 1 "$POND" ingest "$API/files/missing.csv" --table raw.remote
expect_contains "404 named" "$ERR" "404"

# --- HTTP API sources: pagination, each record exactly once ---
for kind in pages offset cursor next link; do
  case $kind in
    pages) pag='paginate: {type: page_number, size_param: per_page, size: 10}'; rec='records: data' ;;
    offset) pag='paginate: {type: offset, limit: 10}'; rec='' ;;
    cursor) pag='paginate: {type: cursor, path: meta.next}'; rec='records: items' ;;
    next) pag='paginate: {type: next_url, path: next}'; rec='records: results' ;;
    link) pag='paginate: {type: link_header}'; rec='' ;;
  esac
  source_yml "p_$kind" <<EOF
type: http
table: api.$kind
url: $API/$kind
$rec
$pag
EOF
  expect_exit "$kind pagination runs" 0 "$POND" ingest "p_$kind"
  expect_eq "$kind: every record exactly once" "$(q "select count(*), count(distinct id), min(id), max(id) from api.$kind")" "25,25,1,25"
done
expect_eq "nested objects stay structs" "$(q "select nested.b from api.pages where id = 3")" "x3"

# 429 with Retry-After, and a 500, are retried
source_yml ratelimited <<EOF
type: http
table: api.rl
url: $API/ratelimited
records: data
paginate: {type: page_number}
rate_limit: {requests_per_second: 20}
retry: {max_attempts: 3, backoff_ms: 10, max_backoff_ms: 2000}
EOF
# The wait pond chose is in its debug log: Retry-After's 1 s, not the 10 ms backoff.
POND_LOG=debug expect_exit "429 is retried" 0 "$POND" ingest ratelimited --json
expect_contains "429 retries counted" "$OUT" '"retries":4'
expect_eq "429: all records" "$(q "select count(distinct id) from api.rl")" "25"
expect_eq "Retry-After: 1 was honoured" "$(grep -c 'bad status, retry 1 in 1000 ms' <<< "$ERR")" "4"
source_yml flaky <<EOF
type: http
table: api.flaky
url: $API/flaky
records: data
paginate: {type: page_number}
retry: {backoff_ms: 10}
EOF
expect_exit "500 is retried" 0 "$POND" ingest flaky --json
expect_contains "500 retries counted" "$OUT" '"retries":4'
expect_eq "500: all records once" "$(q "select count(*), count(distinct id) from api.flaky")" "25,25"
source_yml giveup <<EOF
type: http
table: api.giveup
url: $API/nothere
retry: {max_attempts: 2, backoff_ms: 10}
EOF
expect_exit "404 is not retried, fails" 1 "$POND" ingest giveup
expect_contains "404 error names the URL" "$ERR" "$API/nothere: 404"

# a malformed page fails the run: nothing committed
source_yml malformed <<EOF
type: http
table: api.pages
url: $API/malformed
records: data
paginate: {type: page_number}
EOF
expect_exit "malformed page fails" 1 "$POND" ingest malformed
expect_contains "malformed page named" "$ERR" "malformed page 2 of $API/malformed"
expect_eq "malformed: table unchanged" "$(count api.pages)" "25"

# Ctrl-C stops a run between requests: nothing committed
source_yml slow <<EOF
type: http
table: api.pages
url: $API/slow
records: data
paginate: {type: page_number}
EOF
"$POND" ingest slow > "$T/slow.out" 2> "$T/slow.err" &
slow_pid=$!
wait_mark slow-3 || fail "the slow API was not asked for page 3"
kill -INT $slow_pid
wait $slow_pid
expect_eq "Ctrl-C fails the run" "$?" "1"
expect_contains "Ctrl-C says so" "$(cat "$T/slow.err")" "interrupted: nothing was committed"
expect_eq "Ctrl-C: table unchanged" "$(count api.pages)" "25"

# incremental: the cursor advances, the next run fetches only new records,
# and a field that appears mid-stream becomes a column (null before)
source_yml events <<EOF
type: http
table: api.events
url: $API/events
records: events
incremental:
  field: updated_at
  param: since
EOF
expect_exit "incremental first run" 0 "$POND" ingest events --json
expect_contains "first run state" "$OUT" '"state":{"cursor":"2024-01-01T00:00:20Z"}'
expect_eq "first run rows" "$(count api.events)" "20"
expect_exit "incremental, nothing new" 0 "$POND" ingest events
expect_contains "nothing new commits nothing" "$OUT" "no new rows"
curl -s "$API/events/add?n=15" >/dev/null
expect_exit "incremental second run" 0 "$POND" ingest events --json
expect_contains "second run fetched only the new records" "$OUT" '"rows":15'
expect_eq "events exactly once" "$(q "select count(*), count(distinct id) from api.events")" "35,35"
expect_eq "new field is a column, null for old rows" "$(q "select count(score), min(id) filter (where score is not null) from api.events")" "5,31"
expect_contains "schema change reported" "$OUT" '{"kind":"add","column":"score"'

# merge: row count stable, values new
source_yml merged <<EOF
type: http
table: api.merged
url: $API/merge
mode: merge
key: id
EOF
expect_exit "merge source first run" 0 "$POND" ingest merged
curl -s "$API/merge/bump" >/dev/null
expect_exit "merge source second run" 0 "$POND" ingest merged
expect_eq "merge keeps one row per key with new values" "$(q "select count(*), count(distinct id), min(value) from api.merged")" "10,10,v2-1"

# fan-out (the HackerNews shape), with failing details retried in parallel
source_yml hn <<EOF
type: http
table: raw.hn_items
url: $API/v0/topstories.json
fan_out:
  url: $API/v0/item/{id}.json
  parallel: 8
incremental:
  field: id
retry: {backoff_ms: 10}
mode: merge
key: id
EOF
expect_exit "fan-out runs" 0 "$POND" ingest hn --json
expect_contains "fan-out retried the 503s" "$OUT" '"retries":5'
expect_eq "fan-out: each story once, null detail skipped" "$(q "select count(*), count(distinct id), max(id) from raw.hn_items")" "40,40,40"
expect_exit "fan-out second run" 0 "$POND" ingest hn --json
expect_contains "fan-out second run fetches no known ids" "$OUT" '"requests":2'

# list-then-fetch by a seen-set: an id below the maximum that first shows
# up later is fetched, known ids are not, and nothing is fetched twice
source_yml top <<EOF
type: http
table: raw.top
url: $API/v1/top.json
fan_out:
  url: $API/v1/item/{id}.json
  fetch: unseen
EOF
expect_exit "unseen: first run" 0 "$POND" ingest top --json
expect_contains "unseen: every id new" "$OUT" '"fan_out":{"new":20,"refreshed":0,"unchanged":0}'
curl -s "$API/v1/top/set?ids=3,25,21,5,2" > /dev/null
expect_exit "unseen: second run" 0 "$POND" ingest top
expect_contains "unseen: only the ids not fetched before" "$OUT" "ids: 2 new, 0 refreshed, 3 unchanged (not fetched)"
expect_eq "unseen: each id once, 21 (below the last maximum) included" \
  "$(q "select count(*), count(distinct id), min(id) filter (where id > 20) from raw.top")" "22,22,21"
expect_exit "unseen: nothing new" 0 "$POND" ingest top
expect_contains "unseen: nothing fetched, nothing committed" "$OUT" "no new rows for raw.top"
expect_eq "unseen: the seen-set lives in the catalog" \
  "$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from pond_seen_ids where source = ?", ("top",)).fetchone()[0])' "$P/catalog.db")" "22"

# ... and again within a window: young items' changing fields are refreshed
source_yml fresh <<EOF
type: http
table: raw.fresh
url: $API/v1/top.json
fan_out: {url: "$API/v1/item/{id}.json", fetch: unseen, refresh_within: 2d}
mode: merge
key: id
EOF
POND_NOW="2030-01-01 00:00:00" expect_exit "refresh: first run" 0 "$POND" ingest fresh --json
expect_contains "refresh: all new" "$OUT" '"fan_out":{"new":5,"refreshed":0,"unchanged":0}'
curl -s "$API/v1/top/bump" > /dev/null
curl -s "$API/v1/top/set?ids=3,25,21,5,2,30" > /dev/null
POND_NOW="2030-01-02 00:00:00" expect_exit "refresh: a day later" 0 "$POND" ingest fresh
expect_contains "refresh: the refreshed rows are counted as replaced" "$OUT" ", 5 replaced"
expect_contains "refresh: counts" "$OUT" "ids: 1 new, 5 refreshed, 0 unchanged (not fetched)"
expect_eq "refresh: one row per id with the new scores" \
  "$(q "select count(*), min(score), max(score) from raw.fresh")" "6,1002,1030"
curl -s "$API/v1/top/bump" > /dev/null
POND_NOW="2030-01-05 00:00:00" expect_exit "refresh: past the window" 0 "$POND" ingest fresh
expect_contains "refresh: old ids left alone" "$OUT" "ids: 0 new, 0 refreshed, 6 unchanged (not fetched)"
expect_eq "refresh: scores stay" "$(q "select max(score) from raw.fresh")" "1030"
# 600 items, 2% of them answered 429 or 500 once: every item exactly once
source_yml many <<EOF
type: http
table: raw.many
url: $API/v2/top.json
fan_out: {url: "$API/v2/item/{id}.json", fetch: unseen, parallel: 16}
retry: {backoff_ms: 1, max_backoff_ms: 5}
EOF
expect_exit "600 ids with failures" 0 "$POND" ingest many --json
expect_contains "600 ids: the 12 failures retried" "$OUT" '"retries":12'
expect_eq "600 ids: each exactly once" "$(q "select count(*), count(distinct id), sum(id) from raw.many")" "600,600,180300"
source_yml badfresh <<EOF
type: http
table: raw.bad
url: $API/v1/top.json
fan_out: {url: "$API/v1/item/{id}.json", refresh_within: 2d}
EOF
expect_exit "refresh without unseen is refused" 1 "$POND" ingest badfresh
expect_contains "refresh error names the line" "$ERR" 'sources/badfresh.yml:4: fan_out "refresh_within" needs fetch: unseen'

# auth: bearer from the environment, api key from .pond/secrets.yml, POST
source_yml authed <<EOF
type: http
table: api.authed
url: $API/auth
auth: {type: bearer, token: "\${POND_TEST_TOKEN}"}
EOF
expect_exit "missing secret fails" 1 "$POND" ingest authed
expect_contains "missing secret named with its line" "$ERR" 'sources/authed.yml:4: ${POND_TEST_TOKEN} is not set'
POND_TEST_TOKEN=wrong expect_exit "wrong token fails" 1 "$POND" ingest authed
expect_contains "401 named" "$ERR" "401"
POND_TEST_TOKEN=sekret expect_exit "bearer token from env" 0 "$POND" ingest authed
mkdir -p "$P/.pond" && echo 'API_KEY: k1' > "$P/.pond/secrets.yml"
source_yml keyed <<EOF
type: http
table: api.keyed
url: $API/apikey
auth: {type: api_key, key: "\${API_KEY}", name: api_key, in: query}
EOF
expect_exit "api key from secrets file" 0 "$POND" ingest keyed
expect_eq "api key rows" "$(q "select secret from api.keyed")" "ok"
source_yml posted <<EOF
type: http
table: api.posted
url: $API/search
method: POST
body: '{"q": "ducks"}'
records: hits
EOF
expect_exit "POST with a body" 0 "$POND" ingest posted
expect_eq "POST body reached the server" "$(q "select query from api.posted")" "ducks"

# --- config errors name the file and line ---
source_yml typo <<EOF
type: http
table: api.x
url: $API/pages
paginat: {type: page_number}
EOF
expect_exit "unknown key fails" 1 "$POND" ingest typo
expect_eq "unknown key named with line" "$ERR" 'pond: error: sources/typo.yml:4: unknown key "paginat"'
source_yml badpage <<EOF
type: http
table: api.x
url: $API/pages
paginate:
  type: cursr
EOF
expect_exit "bad pagination type fails" 1 "$POND" ingest badpage
expect_contains "bad pagination named with line" "$ERR" 'sources/badpage.yml:5: unknown pagination type "cursr"'
expect_exit "unknown source fails" 1 "$POND" ingest nosuchsource
expect_contains "unknown source named" "$ERR" "sources/nosuchsource.yml does not exist"

# --- a landing folder: each file once ---
mkdir -p "$T/landing"
printf 'id,v\n1,a\n2,b\n' > "$T/landing/001.csv"
printf 'id,v\n3,c\n' > "$T/landing/002.csv"
source_yml landing <<EOF
type: folder
table: raw.landed
path: $T/landing/*.csv
EOF
expect_exit "landing first run" 0 "$POND" ingest landing
expect_eq "landing loaded both files" "$(count raw.landed)" "3"
printf 'id,v\n4,d\n' > "$T/landing/003.csv"
expect_exit "landing second run" 0 "$POND" ingest landing
expect_eq "landing loaded only the new file" "$(q "select count(*), count(distinct id) from raw.landed")" "4,4"
expect_exit "landing third run" 0 "$POND" ingest landing
expect_contains "landing: nothing new" "$OUT" "no new rows"

# --- SQLite ---
sqlite3 "$T/app.db" "create table users(id integer primary key, name text, score real, joined text);
  insert into users values (1, 'ann', 1.5, '2024-01-01'), (2, 'bob', null, '2024-02-01');"
source_yml lite <<EOF
type: sqlite
table: raw.users
database: $T/app.db
from: users
incremental: {field: id}
EOF
expect_exit "sqlite source" 0 "$POND" ingest lite
expect_eq "sqlite rows" "$(q "select count(*), sum(score) from raw.users")" "2,1.5"
sqlite3 "$T/app.db" "insert into users values (3, 'cy', 2.0, '2024-03-01')"
expect_exit "sqlite incremental" 0 "$POND" ingest lite --json
expect_contains "sqlite fetched only the new row" "$OUT" '"rows":1,'
expect_eq "sqlite rows after" "$(count raw.users)" "3"

# --- PostgreSQL (the server tests/run.sh starts) ---
if [ -z "${POND_TEST_PG_URL:-}" ]; then
  fail "postgres source" "POND_TEST_PG_URL is not set (tests/run.sh starts a server)"
else
  schema="ingest_$$_$RANDOM"
  psql -q "$POND_TEST_PG_URL" -v ON_ERROR_STOP=1 -c "create schema $schema;
    create table $schema.orders(id bigint primary key, customer text, amount numeric(10,2), paid boolean,
      created timestamptz, note text);
    insert into $schema.orders select g, 'c' || (g % 10), g * 1.25, g % 2 = 0,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', case when g % 3 = 0 then null else 'n,\"q\"' end
      from generate_series(1, 50000) g;" >/dev/null
  source_yml pg <<EOF
type: postgres
table: raw.orders
database: "\${POND_TEST_PG_URL}"
from: $schema.orders
incremental: {field: id}
mode: merge
key: id
EOF
  expect_exit "postgres source" 0 "$POND" ingest pg --json
  expect_eq "postgres rows and sums" "$(q "select count(*), sum(amount), count(*) filter (where paid), count(note) from raw.orders")" "50000,1562531250.00,25000,33334"
  expect_eq "postgres types kept" "$(qt "select typeof(amount), typeof(created), typeof(paid) from raw.orders limit 1")" "$(printf 'DECIMAL(10,2)\tTIMESTAMP WITH TIME ZONE\tBOOLEAN')"
  expect_eq "postgres quotes and commas survive" "$(qt "select note from raw.orders where id = 1")" 'n,"q"'
  psql -q "$POND_TEST_PG_URL" -c "insert into $schema.orders values (50001, 'new', 1, true, now(), 'x')" >/dev/null
  expect_exit "postgres incremental" 0 "$POND" ingest pg --json
  expect_contains "postgres fetched only the new row" "$OUT" '"rows":1,'
  expect_eq "postgres rows after" "$(count raw.orders)" "50001"
  source_yml pgq <<EOF
type: postgres
table: raw.order_totals
database: "\${POND_TEST_PG_URL}"
query: select customer, sum(amount) as total from $schema.orders group by customer
EOF
  expect_exit "postgres query source" 0 "$POND" ingest pgq
  expect_eq "postgres query rows" "$(count raw.order_totals)" "11"
  psql -q "$POND_TEST_PG_URL" -c "drop schema $schema cascade" >/dev/null
fi

# tables_named NAME: how many catalog tables are called NAME (0 when none).
tables_named() { "$POND" tables 2>/dev/null | grep -c "$1" || true; }

# --- bad CSV: ragged rows, nameless files, long lines, errors at the input ---
(echo "id,name,amount"; seq 1 1000 | awk '{ if ($1 == 500) print "500,x,1,EXTRA"; else printf "%d,n%d,%d\n", $1, $1, $1 }') > "$T/ragged.csv"
expect_exit "a ragged row fails the load" 1 "$POND" ingest "$T/ragged.csv" --table raw.ragged
expect_eq "ragged row named by file and line" "$ERR" "pond: error: $T/ragged.csv:501: expected 3 columns, found 4"
printf 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n' > "$T/short.csv"
expect_exit "a short row fails the load" 1 "$POND" ingest "$T/short.csv" --table raw.ragged
expect_eq "short row named" "$ERR" "pond: error: $T/short.csv:3: expected 3 columns, found 2"
expect_exit "no table from a ragged file" 1 "$POND" sql "select * from raw.ragged"
expect_exit "--rejects keeps the good rows" 0 "$POND" ingest "$T/ragged.csv" --table raw.ragged --rejects raw.ragged_rejects
expect_contains "rejected lines are counted" "$OUT" "1 rejected lines in raw.ragged_rejects"
expect_eq "good rows loaded" "$(count raw.ragged)" "999"
expect_eq "the bad line is kept with its number" "$(q "select file, line, error_type, text from raw.ragged_rejects")" "$T/ragged.csv,501,TOO MANY COLUMNS,\"500,x,1,EXTRA\""
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' > "$T/passwd"
expect_exit "a nameless non-CSV file is refused" 1 "$POND" ingest "$T/passwd" --table raw.passwd
expect_contains "it asks for a format" "$ERR" "cannot tell the format of $T/passwd"
expect_exit "--format csv loads it anyway" 0 "$POND" ingest "$T/passwd" --table raw.passwd --format csv --header false
python3 -c "import sys; sys.stdout.write('id,name\n1,' + 'x' * 10000000 + '\n2,b\n')" > "$T/longline.csv"
expect_exit "a 10 MB line fails" 1 "$POND" ingest "$T/longline.csv" --table raw.long
expect_eq "the long line is named in one short line" "$ERR" "pond: error: $T/longline.csv:2: line is 10000002 bytes long, over the CSV reader's limit of 2097152 (is it CSV?)"
printf 'id,amount\n1,2.5\n' > "$T/typed.csv"
printf 'id,amount\n2,1.5\n3,n/a\n' > "$T/typed_bad.csv"
expect_exit "typed table" 0 "$POND" ingest "$T/typed.csv" --table raw.typed
expect_exit "a value of the wrong type fails" 1 "$POND" ingest "$T/typed_bad.csv" --table raw.typed
expect_eq "type mismatch names the csv line, not pond's sql" "$ERR" "pond: error: $T/typed_bad.csv:3: error when converting column \"amount\": could not convert string \"n/a\" to 'DOUBLE'"
printf 'select 1;\n\n-- a comment\nselect\n  1 +\n  nosuchcol\nfrom raw.typed;\n' > "$T/script.sql"
expect_exit "a failing script statement" 1 "$POND" sql -F "$T/script.sql"
expect_contains "script error names file:line:column" "$ERR" "pond: error: $T/script.sql:6:3: Binder Error: Referenced column \"nosuchcol\" not found"

# --- a load is one commit: no empty columns, no empty tables ---
printf 'id,name\n1,a\n' > "$T/ev1.csv"
(echo "id,name,rank"; seq 1 30000 | awk '{ printf "%d,x,%d\n", $1 + 1, $1 }'; echo "99999,x,oops") > "$T/ev_bad.csv"
expect_exit "base table" 0 "$POND" ingest "$T/ev1.csv" --table raw.ev
expect_eq "created with its first snapshot in one commit" "$(ls "$P"/warehouse/raw/ev/metadata/*.metadata.json | wc -l)" "1"
expect_exit "a failing load with a new field" 1 "$POND" ingest "$T/ev_bad.csv" --table raw.ev
expect_contains "it names the bad line" "$ERR" "ev_bad.csv:30002:"
expect_eq "no empty column is left behind" "$(q "select count(*) from (describe raw.ev) where column_name = 'rank'")" "0"
expect_eq "no commit at all" "$(ls "$P"/warehouse/raw/ev/metadata/*.metadata.json | wc -l)" "1"
printf 'id,name,rank\n2,b,7\n' > "$T/ev2.csv"
expect_exit "a good load with a new field" 0 "$POND" ingest "$T/ev2.csv" --table raw.ev
expect_eq "new column and rows in one commit" "$(ls "$P"/warehouse/raw/ev/metadata/*.metadata.json | wc -l)" "2"
expect_eq "evolved rows" "$(q "select count(*), sum(rank) from raw.ev")" "2,7"
printf 'id,name,rank,tier\n2,B,8,gold\n3,c,9,tin\n' > "$T/ev3.csv"
expect_exit "a merge with a new field" 0 "$POND" ingest "$T/ev3.csv" --table raw.ev --mode merge --key id
expect_eq "merged and evolved in one commit" "$(ls "$P"/warehouse/raw/ev/metadata/*.metadata.json | wc -l)" "3"
expect_eq "merged rows read the new column" "$(q "select string_agg(coalesce(tier, '-'), ' ' order by id) from raw.ev")" "- gold tin"

# kill -9 in the middle of CREATE TABLE ... AS: the query reads a fifo, so
# opening its other end says the statement is running.
mkfifo "$T/ctas.fifo"
"$POND" sql "create table raw.ctas as select * from read_csv('$T/ctas.fifo', auto_detect = false, header = false, delim = ',', columns = {'a': 'BIGINT'})" >/dev/null 2>&1 &
pid=$!
# The writer end is held by a helper, so that a pond that never opens the
# fifo fails the test (no mark after 30 s) rather than hanging it.
( exec 3>"$T/ctas.fifo"; touch "$T/marks/ctas.opened"; exec sleep 600 ) >/dev/null 2>&1 &
opener=$!
wait_mark ctas.opened && kill -9 $pid
wait $pid 2>/dev/null
kill $opener 2>/dev/null
expect_eq "a killed CTAS leaves no table" "$(tables_named raw.ctas)" "0"
printf '1\n2\n' > "$T/ctas.csv"
expect_exit "and runs again" 0 "$POND" sql "create table raw.ctas as select * from read_csv('$T/ctas.csv', header = false, columns = {'a': 'BIGINT'})"
expect_eq "rerun rows" "$(q "select sum(a) from raw.ctas")" "3"
expect_exit "a failing CTAS" 1 "$POND" sql "create table raw.ctas_bad as select cast(x as int) as v from (values ('1'), ('x')) t(x)"
expect_eq "leaves no table either" "$(tables_named raw.ctas_bad)" "0"

# --- faults on URLs: HTML pages, stalls, timeouts, Ctrl-C ---
mkdir -p "$T/tmp"
expect_exit "an HTML page is not data" 1 "$POND" ingest "$API/login.csv" --table raw.html
expect_contains "html error names the url and what came back" "$ERR" "$API/login.csv: 200 got an HTML page (text/html; charset=utf-8), not CSV: \"Login required\""
expect_eq "html error is one line" "$(echo "$ERR" | wc -l)" "1"
expect_exit "an HTML page without extension is not data either" 1 "$POND" ingest "$API/login" --table raw.html
expect_contains "html without extension" "$ERR" "got an HTML page"
expect_eq "no table from an HTML page" "$(tables_named raw.html)" "0"
source_yml loginapi <<EOF
type: http
table: raw.loginapi
url: $API/login
EOF
expect_exit "an API answering with a login page fails" 1 "$POND" ingest loginapi
expect_contains "the page error says what came back" "$ERR" "page 1 of $API/login ($API/login): 200 got an HTML page (text/html; charset=utf-8), not JSON: \"Login required\""
expect_eq "no table from a login page" "$(tables_named raw.loginapi)" "0"


expect_exit "a stalled download fails" 1 env TMPDIR="$T/tmp" "$POND" ingest "$API/stall.csv" --table raw.stall --stall-timeout 1
expect_contains "stall error names the url and the limit" "$ERR" "could not fetch $API/stall.csv: no data for 1 s (stall limit"
expect_exit "a server that never answers fails" 1 env TMPDIR="$T/tmp" "$POND" ingest "$API/silent.csv" --table raw.stall --stall-timeout 1
expect_contains "silent server error" "$ERR" "could not fetch $API/silent.csv: no data for 1 s"
expect_exit "an overall timeout fails a trickling download" 1 env TMPDIR="$T/tmp" "$POND" ingest "$API/trickle.csv" --table raw.stall --timeout 1
expect_contains "timeout error" "$ERR" "could not fetch $API/trickle.csv: not done after 1 s (timeout)"
source_yml stalled <<EOF
type: file
table: raw.stall
path: $API/stall.csv
stall_timeout: 1
EOF
expect_exit "a source's stall_timeout applies" 1 env TMPDIR="$T/tmp" "$POND" ingest stalled
expect_contains "source stall error" "$ERR" "no data for 1 s"
expect_eq "nothing committed after stalls" "$(tables_named raw.stall)" "0"
expect_eq "no temporary files after stalls" "$(ls -A "$T/tmp" | wc -l)" "0"

# Ctrl-C and SIGTERM while a download is under way: the test server marks
# the request's arrival; the signal goes after it.
for sig in INT TERM; do
  rm -f "$T/marks/stall.csv"
  TMPDIR="$T/tmp" "$POND" ingest "$API/stall.csv" --table raw.sig >"$T/sig.out" 2>"$T/sig.err" &
  pid=$!
  if wait_mark stall.csv; then kill -$sig $pid; fi
  wait $pid; rc=$?
  expect_eq "SIG$sig during a download exits 1" "$rc" "1"
  expect_eq "SIG$sig message" "$(cat "$T/sig.err")" "pond: error: interrupted: nothing was committed"
  expect_eq "SIG$sig commits nothing" "$(tables_named raw.sig)" "0"
  expect_eq "SIG$sig leaves no temporary file" "$(ls -A "$T/tmp" | wc -l)" "0"
done

# --- help ---
expect_exit "ingest --help" 0 "$POND" ingest --help
expect_contains "help shows usage" "$OUT" "usage: pond ingest"

finish
