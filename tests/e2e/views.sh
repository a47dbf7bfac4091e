#!/usr/bin/env bash
# What other engines see of pond's views, end to end: a `materialized:
# view` model becomes an Iceberg view (a catalog row of iceberg_type
# 'VIEW' and a view metadata file, checked against a JSON schema written
# from the view spec's rules), its duckdb SQL gives what pond's view gives,
# pond serve's REST catalog lists and loads it (plain fetch: iceberg-js has
# no view calls; every response checked against the OpenAPI document's
# schemas), a client's full view lifecycle (create, replace with
# requirements and updates, rename, drop, the error model), a view created
# over REST is listed by pond, and a model that stops being a view takes
# its Iceberg view with it. On a SQLite catalog and on PostgreSQL.
. "$(dirname "$0")/lib.sh"

TOKEN=views-e2e-token-0123456789
CLIENT="$NODE_DIR/rest_views.mjs"

client() { local label=$1; shift; node_checks "$label" node "$CLIENT" "$URI" "$TOKEN" "$@"; }
sql() { "$POND" --project "$1" sql --format csv "$2" | tail -n 1; }

run_all() {
  local P=$1 L=$2
  expect_exit "$L: a table to read" 0 "$POND" --project "$P" sql \
    "create table raw.t as select range as id, 'x' || range as name from range(10)"
  mkdir -p "$P/models/marts"
  printf -- '-- materialized: view\n-- description: the big ones\nselect id, upper(name) as label from raw.t where id >= 6\n' \
    > "$P/models/marts/big.sql"
  expect_exit "$L: transform builds the view model" 0 "$POND" --project "$P" transform
  expect_eq "$L: pond binds the view as before" "$(sql "$P" "select count(*) || ' ' || sum(id) from marts.big")" "4 30"
  expect_contains "$L: pond tables lists the Iceberg view" "$("$POND" --project "$P" tables)" "marts.big"

  if rest_serve_start "$P" "$TOKEN"; then pass "$L: serve starts"; else fail "$L: serve starts"; return; fi
  client "$L: config" config
  client "$L: list" list marts
  expect_eq "$L: REST lists the model's view" "$(value_of views)" "marts.big"
  client "$L: load" load marts big
  expect_eq "$L: its SQL is duckdb with names qualified" "$(value_of sql)" \
    '"select id, upper(name) as label from raw.t where id >= 6"'
  expect_eq "$L: its schema is the query's, in Iceberg types" "$(value_of columns)" "id:long,label:string"
  expect_eq "$L: bare names mean pond's default namespace" "$(value_of namespace)" "main"
  cp "$T/values" "$T/load.values"
  local location
  location=$(value_of location)
  case "$location" in
    s3://*) ;;
    *)
      node_checks "$L: file" node "$CLIENT" - - file "$location"
      ;;
  esac
  # another engine running the stored SQL gets what pond's view gives
  local stored
  stored=$(sed -n 's/^sql //p' "$T/load.values" | python3 -c 'import json,sys; print(json.load(sys.stdin))')
  expect_eq "$L: the stored SQL run as it is gives the view's rows" \
    "$(sql "$P" "select count(*) || ' ' || sum(id) from ($stored)")" "4 30"

  client "$L: lifecycle" lifecycle raw t
  client "$L: create" create web made "select 42 as n"
  rest_serve_stop
  expect_eq "$L: SIGTERM: exit 0" "$STOP_RC" "0"
  expect_contains "$L: pond lists the view made over REST" "$("$POND" --project "$P" tables)" "web.made"

  # the model stops being a view: its Iceberg view goes
  printf -- 'select id from raw.t where id >= 6\n' > "$P/models/marts/big.sql"
  expect_exit "$L: the model becomes a table" 0 "$POND" --project "$P" transform
  expect_eq "$L: the Iceberg view is gone" "$("$POND" --project "$P" tables | grep -c '^marts\.big .* duckdb$')" "0"
  expect_contains "$L: the other view stays" "$("$POND" --project "$P" tables)" "web.made"
  expect_eq "$L: and the table holds the rows" "$(sql "$P" "select count(*) from marts.big")" "4"
}

node_checks schemas node "$CLIENT" - - schemas

"$POND" init --bare "$T/sqlite" > /dev/null
run_all "$T/sqlite" sqlite
expect_eq "sqlite: the catalog row is Java's: iceberg_type VIEW" \
  "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select group_concat(table_namespace || \".\" || table_name || \"=\" || iceberg_type) from iceberg_tables where iceberg_type = '"'"'VIEW'"'"'").fetchone()[0])' "$T/sqlite/catalog.db")" \
  "web.made=VIEW"

PG="$T/pg"
pg_project "$PG" views && run_all "$PG" pg

finish
