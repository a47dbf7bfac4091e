#!/usr/bin/env bash
# pond serve's Iceberg REST catalog end to end: a real server on a free
# port with a token, driven by iceberg-js (tests/node/rest_client.mjs,
# every response checked against the spec's schemas) and curl: the OAuth2
# token request with credential=ID:SECRET, a namespace and table lifecycle,
# four clients committing to one table at once (each commit lands, or is a
# 409 that lands on retry; every change is there exactly once), a table
# created over REST read and written by pond sql, and a table pond made
# (with buffered rows) loaded over REST and read by an independent reader
# (icebird) from the metadata the REST load named. All of it on a SQLite
# catalog and on PostgreSQL.
. "$(dirname "$0")/lib.sh"

TOKEN=rest-e2e-token-0123456789
CLIENT="$NODE_DIR/rest_client.mjs"

# client LABEL ARGS...: rest_client.mjs's checks (lib.sh's node_checks).
client() { local label=$1; shift; node_checks "$label" node "$CLIENT" "$URI" "$TOKEN" "$@"; }

# sql DIR STATEMENT: one value from pond sql.
sql() { "$POND" --project "$1" sql --format csv "$2" | tail -n 1; }

# icebird_count LOCATION: rows an independent reader finds at a metadata file.
icebird_count() { node "$NODE_DIR/iceberg_read.mjs" "$(dirname "$(dirname "$1")")" "$(basename "$1")" | wc -l; }

# run_all P LABEL: every check on the project in folder P.
run_all() {
  local P=$1 L=$2
  "$POND" --project "$P" sql "create table sales.orders as select range as id, 'item ' || range as name from range(10)" \
    > /dev/null 2>&1
  if rest_serve_start "$P" "$TOKEN"; then pass "$L: serve starts ($URI)"; else fail "$L: serve starts"; return; fi

  # ---- the OAuth2 token request, as Spark and pyiceberg send it ----
  code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$URI/v1/oauth/tokens" \
    -d "grant_type=client_credentials&client_id=spark&client_secret=$TOKEN&scope=catalog")
  expect_eq "$L: oauth client credentials" "$code $(python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])' < "$T/body")" \
    "200 $TOKEN"
  code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$URI/v1/oauth/tokens" \
    -d "grant_type=client_credentials&client_id=spark&client_secret=wrong")
  expect_eq "$L: oauth with a wrong secret is 401" "$code" "401"
  code=$(curl -s -o "$T/body" -w '%{http_code}' "$URI/v1/config")
  expect_eq "$L: config without the token is 401" "$code" "401"
  expect_contains "$L: 401 is an ErrorModel" "$(cat "$T/body")" '"type":"NotAuthorizedException","code":401'
  code=$(curl -s -o "$T/body" -w '%{http_code}' -I -H "Authorization: Bearer $TOKEN" "$URI/v1/namespaces/sales/tables/orders")
  expect_eq "$L: HEAD of a table is 204" "$code" "204"

  # ---- iceberg-js: create, load, commit, rename, drop ----
  client "$L: iceberg-js" lifecycle

  # ---- four clients commit to one table at once ----
  expect_exit "$L: the rows the race appends" 0 "$POND" --project "$P" sql \
    "create table conc.src as select range as id, 'x' || range as name from range(3)"
  client "$L: a table to race on" create conc t
  pids=()
  for i in 0 1 2 3; do
    node "$CLIENT" "$URI" "$TOKEN" commit conc t src "$i" 5 > "$T/conc.$i" 2>&1 &
    pids+=($!)
  done
  for i in 0 1 2 3; do
    wait "${pids[$i]}"
    expect_eq "$L: client $i: every commit landed" "$(grep -c '^ok ' "$T/conc.$i") $(grep -c '^FAIL' "$T/conc.$i")" "2 0"
    grep '^FAIL' "$T/conc.$i" | sed 's/^/    /'
  done
  echo "    conflicts (409, retried): $(cat "$T"/conc.* | sed -n 's/^value conflicts //p' | awk '{s += $1} END {print s + 0}')"
  client "$L: after the race" verify conc t 4 5
  expect_eq "$L: pond sql reads the raced table" "$(sql "$P" "select count(*) || ' ' || sum(id) from conc.t")" "3 3"

  # ---- a table created over REST, written and read by pond sql ----
  client "$L: create" create web events
  expect_exit "$L: pond sql inserts into the REST table" 0 "$POND" --project "$P" sql \
    "insert into web.events select range, 'n' || range from range(7)"
  expect_eq "$L: pond sql reads it" "$(sql "$P" "select count(*) || ' ' || sum(id) from web.events")" "7 21"
  client "$L: reload" load web events
  expect_eq "$L: REST sees pond's rows" "$(value_of records)" "7"
  expect_eq "$L: icebird reads them where REST says" "$(icebird_count "$(value_of location)")" "7"

  # ---- a table pond made, with buffered rows, loaded over REST ----
  expect_exit "$L: a small insert is buffered" 0 "$POND" --project "$P" sql "insert into sales.orders values (10, 'late')"
  expect_contains "$L: it waits in the buffer" "$("$POND" --project "$P" tables)" "buffered"
  client "$L: load" load sales orders
  expect_eq "$L: the load flushed the buffer first" "$(value_of records)" "11"
  expect_eq "$L: icebird reads every row" "$(icebird_count "$(value_of location)")" "11"
  expect_eq "$L: pond sql agrees" "$(sql "$P" "select count(*) from sales.orders")" "11"

  rest_serve_stop
  expect_eq "$L: SIGTERM: exit 0" "$STOP_RC" "0"
}

node_checks schemas node "$CLIENT" - - schemas

"$POND" init --bare "$T/sqlite" > /dev/null
run_all "$T/sqlite" sqlite

PG="$T/pg"
pg_project "$PG" rest && run_all "$PG" pg

finish
