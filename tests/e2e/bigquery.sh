#!/usr/bin/env bash
# End-to-end: BigQuery sources (type: bigquery) against a local fake of
# the REST API (tests/node/bigquery_fake.mjs) that generates its own RSA
# key pair, writes the service-account key file, and checks every token
# request's RS256 signature with the public half. The all-types query
# (every BigQuery type, NULLs, nested RECORDs and REPEATED fields, a
# jobComplete: false first answer, several pages, an injected 500 and 429)
# must load equal to DuckDB's reading of the rows the fake states it sent;
# an incremental source asks only for rows above its cursor; a wrong key,
# a bad key file, an API error, a bad value, a short result and a
# repeated page token fail in one line and commit nothing. Also run by a pipeline (`pond run`).
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" >/dev/null 2>&1 || { mkdir -p "$P"; printf 'name: t\nwarehouse: warehouse\ncatalog: catalog.db\n' > "$P/pond.yml"; }
mkdir -p "$P/sources" "$P/.pond" "$T/fake"
cd "$P" || exit 1

node "$NODE_DIR/bigquery_fake.mjs" "$T/fake" 2> "$T/fake.log" &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null; rm -rf "$T"' EXIT
wait_for test -s "$T/fake/port" || { fail "the fake BigQuery started" "$(cat "$T/fake.log")"; finish; exit 1; }
API="http://127.0.0.1:$(cat "$T/fake/port")"
stat_of() { curl -s "$API/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
q() { "$POND" sql "$1" --format csv | tail -n +2; }
# snapshots TABLE: how many snapshots the table has (0 when it does not exist).
snapshots() { "$POND" history "$1" --json 2>/dev/null | python3 -c 'import json,sys
try: print(len(json.load(sys.stdin)))
except Exception: print(0)'; }
source_yml() { cat > "$P/sources/$1.yml"; }

# --- every type, paged, with a job that is not complete at first and a 500 and a 429 on the way ---
cp "$T/fake/key.json" "$P/bq-key.json"
source_yml types <<EOF
type: bigquery
table: raw.types
key_file: bq-key.json          # relative to the project
from: shop.all_types           # in the key's project, proj-1
endpoint: $API
page_size: 7
retry: {backoff_ms: 1, max_backoff_ms: 5}
EOF
expect_exit "all types load" 0 "$POND" ingest types --json
expect_eq "all types: 25 rows over 4 pages, the 500 and the 429 retried" \
  "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows"], d["retries"], d["requests"])')" \
  "25 2 8"
expect_eq "one token for the whole run (reused across pages)" "$(stat_of tokens)" "1"
expect_eq "BigQuery types as Iceberg types" \
  "$("$POND" sql "describe raw.types" --format csv | tail -n +2 | cut -d, -f1,2 | paste -sd' ')" \
  "$(printf '%s' 'id,BIGINT i,BIGINT f,DOUBLE n,"DECIMAL(38 bn,VARCHAR b,BOOLEAN s,VARCHAR by,BLOB ts,TIMESTAMP WITH TIME ZONE ' \
      'd,DATE t,TIME dt,TIMESTAMP j,VARCHAR g,VARCHAR rec,"STRUCT(a BIGINT arr,BIGINT[] blobs,BLOB[] recs,"STRUCT(k VARCHAR')"
expect_eq "nested types in full" "$(q "select typeof(rec) || ' | ' || typeof(recs) from raw.types limit 1")" \
  '"STRUCT(a BIGINT, tags VARCHAR[], ""inner"" STRUCT(x DOUBLE, raw BLOB)) | STRUCT(k VARCHAR, v TIMESTAMP WITH TIME ZONE)[]"'
COLS='id, i, f, n, bn, b, s, hex("by") AS "by", ts, d, t, dt, j, g, rec.a AS ra, rec.tags AS rtags,
  rec."inner".x AS rx, hex(rec."inner".raw) AS rraw, arr, list_transform(blobs, lambda b: hex(b)) AS blobs, recs'
WANT="read_ndjson('$T/fake/expected.ndjson', columns = {'id': 'BIGINT', 'i': 'BIGINT', 'f': 'DOUBLE',
  'n': 'DECIMAL(38,9)', 'bn': 'VARCHAR', 'b': 'BOOLEAN', 's': 'VARCHAR', 'by': 'VARCHAR', 'ts': 'TIMESTAMPTZ',
  'd': 'DATE', 't': 'TIME', 'dt': 'TIMESTAMP', 'j': 'VARCHAR', 'g': 'VARCHAR', 'ra': 'BIGINT', 'rtags': 'VARCHAR[]',
  'rx': 'DOUBLE', 'rraw': 'VARCHAR', 'arr': 'BIGINT[]', 'blobs': 'VARCHAR[]', 'recs': 'STRUCT(k VARCHAR, v TIMESTAMPTZ)[]'})"
"$POND" sql "select $COLS from raw.types order by id" --format csv > "$T/got.csv"
"$POND" sql "select * from $WANT order by id" --format csv > "$T/want.csv"
expect_eq "every value equals DuckDB's reading of the rows the fake sent" "$(diff "$T/got.csv" "$T/want.csv" && echo same)" "same"
expect_eq "the reference holds every row" "$(q "select count(*) from $WANT")" "25"
expect_eq "timestamps keep their microseconds, before 1970 too" \
  "$(q "select ts from raw.types where id in (1, 3, 4) order by id")" \
  "$(printf '%s\n' '2024-04-05 19:34:38.123456+00' '1969-12-31 23:59:59.999985+00' '9999-12-31 23:59:59.999999+00')"
expect_eq "NaN and infinities, bytes that are not UTF-8" \
  "$(q "select f::VARCHAR, hex(\"by\") from raw.types where id <= 3 order by id" | paste -sd' ')" \
  "nan,0000FF800A inf,0100FF810A -inf,0200FF820A"
expect_eq "the query asked for the table in the key's project" "$(head -n 1 "$T/fake/queries.log")" \
  'SELECT * FROM `proj-1.shop.all_types`'
expect_eq "a second run of a source without incremental appends again" \
  "$("$POND" ingest types -q >/dev/null 2>&1; q "select count(*) from raw.types")" "50"

# --- incremental: rows above the last updated_at only; merge on id ---
cat > "$T/fake/orders.json" <<'EOF'
[{"id": 1, "updated_us": "1700000000000001", "amount": "10.50"},
 {"id": 2, "updated_us": "1700000000123456", "amount": "20.00"},
 {"id": 3, "updated_us": "1699999999999999", "amount": "-3.25"}]
EOF
printf 'BQ_KEY_FILE: %s\n' "$T/fake/key.json" > "$P/.pond/secrets.yml"
source_yml orders <<EOF
type: bigquery
table: raw.orders
key_file: \${BQ_KEY_FILE}       # from .pond/secrets.yml
project: proj-1
from: proj-1.shop.orders
location: EU
endpoint: $API/
incremental: {field: updated_at}
page_size: 1
mode: merge
key: id
retry: {backoff_ms: 1}
EOF
tokens=$(stat_of tokens)
expect_exit "incremental: first run" 0 "$POND" ingest orders --json
expect_eq "incremental: first run loads every row, the first page in the query's answer" \
  "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["rows"], d["requests"])')" "3 4"
expect_eq "incremental: one token" "$(stat_of tokens)" "$((tokens + 1))"
expect_eq "incremental: the first query has no filter" "$(tail -n 1 "$T/fake/queries.log")" \
  'SELECT * FROM `proj-1.shop.orders`'
# Five orders: 2 changed, 4 and 5 new (5 not above the cursor); kept for
# the one-off loads below.
cat > "$T/orders5.json" <<'EOF'
[{"id": 1, "updated_us": "1700000000000001", "amount": "10.50"},
 {"id": 2, "updated_us": "1700000100000000", "amount": "22.00"},
 {"id": 3, "updated_us": "1699999999999999", "amount": "-3.25"},
 {"id": 4, "updated_us": "1700000000123457", "amount": "4.00"},
 {"id": 5, "updated_us": "1700000000123456", "amount": "5.00"}]
EOF
cp "$T/orders5.json" "$T/fake/orders.json"
tokens=$(stat_of tokens)
touch "$T/fake/short_tokens"
expect_exit "incremental: second run" 0 "$POND" ingest orders
rm "$T/fake/short_tokens"
expect_eq "a token about to expire is replaced before each request" "$(stat_of tokens)" "$((tokens + 2))"
expect_eq "incremental: the second query asks for rows above the last maximum, to the microsecond" \
  "$(tail -n 1 "$T/fake/queries.log")" \
  "SELECT * FROM (SELECT * FROM \`proj-1.shop.orders\`) AS q WHERE \`updated_at\` > '2023-11-14 22:13:20.123456+00'"
expect_contains "incremental: only the new and changed rows come" "$OUT" "loaded 2 rows into raw.orders"
expect_eq "incremental: merged on id (2 changed, 4 added, 5 not above the cursor)" \
  "$(q "select id, amount, updated_at from raw.orders order by id" | paste -sd' ')" \
  "1,10.500000000,2023-11-14 22:13:20.000001+00 2,22.000000000,2023-11-14 22:15:00+00 3,-3.250000000,2023-11-14 22:13:19.999999+00 4,4.000000000,2023-11-14 22:13:20.123457+00"
before=$(snapshots raw.orders)
expect_eq "incremental: two runs, two snapshots" "$before" "2"
expect_exit "incremental: a run with nothing new" 0 "$POND" ingest orders
expect_eq "incremental: nothing new commits nothing" "$(snapshots raw.orders)" "$before"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); o.append({"id": 6, "updated_us": "1700000200000000",
  "amount": "6.00", "note": "late"}); json.dump(o, open(sys.argv[2], "w"))' "$T/orders5.json" "$T/fake/orders.json"
sed 's/^mode: merge$/schema: freeze\nmode: merge/' "$P/sources/orders.yml" > "$P/sources/orders_frozen.yml"
expect_exit "schema: freeze refuses a new column" 1 "$POND" ingest orders_frozen
expect_eq "schema: freeze names the column, in one line" "$ERR" \
  "pond: error: sources/orders_frozen.yml has field \"note\" (string) that table raw.orders does not have (schema: freeze)"
expect_eq "schema: freeze committed nothing" "$(snapshots raw.orders)" "$before"
expect_exit "schema: evolve (the default) adds a new column" 0 "$POND" ingest orders
expect_eq "evolve: the new column, NULL in older rows" \
  "$(q "select id, coalesce(note, '-') from raw.orders order by id" | paste -sd' ')" "1,- 2,- 3,- 4,- 6,late"
cp "$T/orders5.json" "$T/fake/orders.json"

# --- the key as JSON from the environment, in a pipeline run ---
source_yml env_key <<EOF
type: bigquery
table: raw.env_key
key_file: \${BQ_KEY_JSON}
query: SELECT * FROM \`proj-1.shop.orders\`
endpoint: $API
retry: {backoff_ms: 1}
EOF
cat >> "$P/pond.yml" <<'EOF'
pipelines:
  bq:
    steps:
      - ingest: env_key
EOF
expect_exit "pond run: a pipeline step reads BigQuery with the key from the environment" 0 \
  env BQ_KEY_JSON="$(cat "$T/fake/key.json")" "$POND" run bq
expect_eq "pond run: the rows are in" "$(q "select count(*) from raw.env_key")" "5"

# --- one-off loads: pond ingest QUERY_OR_TABLE --bigquery ---
expect_exit "pond ingest TABLE --bigquery" 0 "$POND" ingest shop.orders --bigquery --key-file bq-key.json \
  --endpoint "$API" --table raw.cli_orders
expect_contains "--bigquery: a table in the key's project" "$OUT" "loaded 5 rows into raw.cli_orders"
expect_eq "--bigquery: the table read whole" "$(tail -n 1 "$T/fake/queries.log")" 'SELECT * FROM `proj-1.shop.orders`'
expect_exit "pond ingest QUERY --bigquery" 0 "$POND" ingest 'SELECT * FROM `proj-1.shop.orders`' --bigquery \
  --key-file "$T/fake/key.json" --gcp-project proj-1 --location EU --endpoint "$API" --table raw.cli_orders --mode replace
expect_eq "--bigquery: a query, mode replace" "$(q "select count(*), sum(amount) from raw.cli_orders")" "5,38.250000000"
tokens=$(stat_of tokens)
touch "$T/fake/revoke"
expect_exit "a token revoked during the run: a new one, and the run goes on" 0 "$POND" ingest shop.all_types \
  --bigquery --key-file bq-key.json --endpoint "$API" --table raw.revoked
rm "$T/fake/revoke"
expect_eq "revoked: a second token was asked for" "$(stat_of tokens)" "$((tokens + 2))"
expect_eq "revoked: every row came" "$(q "select count(*) from raw.revoked")" "25"
expect_exit "--bigquery: an API error fails" 1 "$POND" ingest "SELEC 1" --bigquery --key-file bq-key.json \
  --endpoint "$API" --table raw.cli_bad
expect_eq "--bigquery: the error in one line" "$ERR" \
  'pond: error: bigquery: could not run the query: 400: Syntax error: Unexpected identifier "SELEC" at [1:1]'
expect_exit "--key-file without --bigquery is a usage error" 2 "$POND" ingest shop.orders --key-file bq-key.json \
  --table raw.cli_bad
expect_exit "--bigquery without --key-file is a usage error" 2 "$POND" ingest shop.orders --bigquery --table raw.cli_bad
expect_eq "usage errors made no table" "$(snapshots raw.cli_bad)" "0"

# --- failures: one line naming the source, nothing committed ---
before=$(snapshots raw.orders)
sed "s#\${BQ_KEY_FILE}#$T/fake/wrong_key.json#" "$P/sources/orders.yml" > "$P/sources/wrong_key.yml"
expect_exit "a key whose signature does not verify fails" 1 "$POND" ingest wrong_key
expect_eq "wrong key: the token endpoint's answer in one line" "$ERR" \
  "pond: error: sources/wrong_key.yml: could not get an access token from $API/token: 401: invalid_grant: Invalid JWT Signature."
echo '{"type": "service_account", "project_id": "proj-1"' > "$P/broken-key.json"
sed "s#\${BQ_KEY_FILE}#broken-key.json#" "$P/sources/orders.yml" > "$P/sources/broken_key.yml"
expect_exit "a key file that is not JSON fails" 1 "$POND" ingest broken_key
expect_eq "broken key file: named" "$ERR" "pond: error: $P/broken-key.json is not a service-account key: not JSON"
python3 -c "import json,sys; k=json.load(open(sys.argv[1])); del k['private_key']; json.dump(k, open(sys.argv[2], 'w'))" \
  "$T/fake/key.json" "$P/nokey.json"
sed "s#\${BQ_KEY_FILE}#nokey.json#" "$P/sources/orders.yml" > "$P/sources/no_private_key.yml"
expect_exit "a key file without private_key fails" 1 "$POND" ingest no_private_key
expect_eq "no private_key: named" "$ERR" "pond: error: $P/nokey.json: the service-account key has no \"private_key\""
sed "s#\${BQ_KEY_FILE}#missing.json#" "$P/sources/orders.yml" > "$P/sources/missing_key.yml"
expect_exit "a missing key file fails" 1 "$POND" ingest missing_key
expect_contains "missing key file: named" "$ERR" "sources/missing_key.yml: key_file: could not open $P/missing.json"
expect_eq "failed runs committed nothing to raw.orders" "$(snapshots raw.orders)" "$before"

source_yml syntax <<EOF
type: bigquery
table: raw.syntax
key_file: bq-key.json
query: SELEC 1
endpoint: $API
EOF
expect_exit "an API error fails" 1 "$POND" ingest syntax
expect_eq "API error: BigQuery's message in one line" "$ERR" \
  'pond: error: sources/syntax.yml: could not run the query: 400: Syntax error: Unexpected identifier "SELEC" at [1:1]'
expect_eq "API error: no table made" "$(snapshots raw.syntax)" "0"

source_yml bad_value <<EOF
type: bigquery
table: raw.bad_value
key_file: bq-key.json
query: bad_value
endpoint: $API
retry: {backoff_ms: 1}
EOF
expect_exit "a value that is not of its type fails" 1 "$POND" ingest bad_value
expect_eq "bad value: the row and column named" "$ERR" \
  'pond: error: sources/bad_value.yml: row 2 (page 1): column "when": "soon" is not a TIMESTAMP (seconds since 1970)'
expect_eq "bad value: no table made" "$(snapshots raw.bad_value)" "0"

# The answers' own bookkeeping is checked: rows that never came, and a
# page token that would page forever, fail the run.
source_yml rows_lost <<EOF
type: bigquery
table: raw.rows_lost
key_file: bq-key.json
query: rows_lost
endpoint: $API
EOF
expect_exit "fewer rows than totalRows fails" 1 "$POND" ingest rows_lost
expect_eq "rows lost: both counts named" "$ERR" \
  "pond: error: sources/rows_lost.yml: the query's result has 3 rows, 2 were read"
expect_eq "rows lost: no table made" "$(snapshots raw.rows_lost)" "0"
source_yml repeat_token <<EOF
type: bigquery
table: raw.repeat_token
key_file: bq-key.json
query: repeat_token
endpoint: $API
retry: {backoff_ms: 1}
EOF
expect_exit "a page token given twice fails instead of paging forever" 1 "$POND" ingest repeat_token
expect_eq "repeated token: named" "$ERR" \
  'pond: error: sources/repeat_token.yml: the result repeats page token "again"'
expect_eq "repeated token: no table made" "$(snapshots raw.repeat_token)" "0"

source_yml both <<EOF
type: bigquery
table: raw.both
key_file: bq-key.json
query: SELECT 1
from: shop.all_types
EOF
expect_exit "query and from together are refused" 1 "$POND" ingest both
expect_eq "config error: one line naming the file" "$ERR" \
  'pond: error: sources/both.yml:1: give either "query" or "from" (a table: dataset.table)'
source_yml bad_from <<EOF
type: bigquery
table: raw.both
key_file: bq-key.json
from: all_types
EOF
expect_exit "a table without its dataset is refused" 1 "$POND" ingest bad_from
expect_eq "bad from: the line named" "$ERR" \
  'pond: error: sources/bad_from.yml:4: "from" is dataset.table or project.dataset.table, not "all_types"'

finish
