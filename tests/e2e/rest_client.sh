#!/usr/bin/env bash
# pond as an Iceberg REST catalog client, end to end: a project whose
# pond.yml says `catalog: {uri: http://127.0.0.1:PORT/iceberg, token:
# ${VAR}}` works against a first project's `pond serve`. Ingest, SQL
# reads and writes, a model run and `pond tables` give the same results
# as the same commands on a project with a local SQL catalog; the
# server's own `pond sql` sees what the client wrote; writers on both
# sides at once leave every row exactly once; backup, restore and
# orphans say in one line that they cannot run on a REST project.
. "$(dirname "$0")/lib.sh"

TOKEN=rest-client-e2e-token-0123456789
SRV="$T/srv" CLI="$T/cli" LOC="$T/loc"
"$POND" init --bare "$SRV" > /dev/null
"$POND" init --bare "$LOC" > /dev/null
mkdir -p "$CLI" "$CLI/models/m" "$LOC/models/m"

(cd "$SRV" && exec "$POND" serve --listen 127.0.0.1:0 --token "$TOKEN" --no-scheduler) \
  > "$T/serve.out" 2> "$T/serve.err" &
PID=$!
trap 'kill -TERM $PID 2> /dev/null; wait $PID 2> /dev/null; rm -rf "$T"' EXIT
URI=
server_up() {
  URI=$(grep -o 'http://[0-9.:]*' "$T/serve.out" 2> /dev/null | head -n 1)
  [ -n "$URI" ] || ! kill -0 "$PID" 2> /dev/null
}
wait_for server_up
[ -n "$URI" ] || { echo "server did not start:"; cat "$T/serve.err"; exit 1; }
printf 'name: cli\ncatalog:\n  uri: %s/iceberg\n  token: ${POND_E2E_REST_TOKEN}\n' "$URI" > "$CLI/pond.yml"
export POND_E2E_REST_TOKEN=$TOKEN

# q DIR SQL: pond sql's CSV rows in project DIR.
q() { "$POND" --project "$1" sql --format csv "$2" | tail -n +2; }
# same NAME CMD...: CMD (a pond command) in the REST project and in the
# local one must exit 0 and print the same (timings aside).
same() {
  local name=$1 a b ra rb
  shift
  a=$(cd "$CLI" && "$POND" "$@" 2>&1); ra=$?
  b=$(cd "$LOC" && "$POND" "$@" 2>&1); rb=$?
  if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then fail "$name" "rest exit $ra: $a" "local exit $rb: $b"; return; fi
  expect_eq "$name" "$(untimed "$a")" "$(untimed "$b")"
}
untimed() { echo "$1" | sed -E 's/ in [0-9.]+ s \([0-9]+ rows\/s\)//'; }
# same_rows NAME SQL: the query's rows in both projects.
same_rows() {
  local a b
  a=$(q "$CLI" "$2" 2>&1)
  b=$(q "$LOC" "$2" 2>&1)
  if [ -z "$b" ]; then fail "$1" "no rows from the local project: $a"; return; fi
  expect_eq "$1" "$a" "$b"
}

# --- ingest ---
seq 1 2000 | awk 'BEGIN { print "id,grp,amount" } { printf "%d,g%d,%d.%02d\n", $1, $1 % 7, $1 % 100, $1 % 100 }' > "$T/items.csv"
same "ingest a CSV file" ingest "$T/items.csv" --table raw.items
same_rows "ingested rows" "select count(*), sum(amount), min(id), max(id) from raw.items"
expect_eq "the server's project has the table" "$(q "$SRV" "select count(*) from raw.items")" "2000"

# --- sql writes ---
same "insert" sql "insert into raw.items values (5000, 'g9', 1.5), (5001, 'g9', 2.5)"
same "update" sql "update raw.items set amount = amount * 2 where grp = 'g3'"
same "delete" sql "delete from raw.items where id % 10 = 0"
same "alter table" sql "alter table raw.items add column note varchar"
same "update the new column" sql "update raw.items set note = 'big' where amount > 150"
same "create table as" sql "create table m.base as select grp, count(*) as n from raw.items group by grp"
same "create an empty table" sql "create table raw.empty (a int, b varchar)"
same "insert into it" sql "insert into raw.empty select range, 'r' || range from range(3)"
same_rows "rows after the writes" "select id, grp, amount, note from raw.items order by id"
same_rows "the created tables" "select * from m.base order by grp"
same_rows "the empty table filled" "select * from raw.empty order by a"
same_rows "time travel to the first snapshot" \
  "select count(*) from raw.items at (version => (select min(snapshot_id) from pond_snapshots('raw.items')))"

# --- a model run ---
printf -- '-- materialized: table\nselect grp, sum(amount) as total, count(note) as noted\nfrom raw.items\ngroup by grp\n' \
  | tee "$CLI/models/m/totals.sql" > "$LOC/models/m/totals.sql"
expect_exit "transform over REST" 0 "$POND" --project "$CLI" transform
expect_exit "transform on the local catalog" 0 "$POND" --project "$LOC" transform
same_rows "the model's table" "select * from m.totals order by grp"
expect_eq "the server reads the model the client built" \
  "$(q "$SRV" "select * from m.totals order by grp")" "$(q "$LOC" "select * from m.totals order by grp")"
table_dir=$("$POND" --project "$CLI" show m.totals --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["location"])')
case "$table_dir" in
  "$SRV"/*) pass "the server chose the new table's place, in its warehouse" ;;
  *) fail "the server chose the new table's place, in its warehouse" "location: $table_dir" ;;
esac

# --- pond tables ---
tables_of() { "$POND" --project "$1" tables | awk 'NR > 1 { print $1, $2 }'; }
expect_eq "pond tables lists the same tables and rows" "$(tables_of "$CLI")" "$(tables_of "$LOC")"

# --- a view model: an Iceberg view in the REST catalog, written by its server ---
printf -- '-- materialized: view\nselect grp, total from m.totals where total > 0\n' > "$CLI/models/m/big.sql"
expect_exit "a view model over REST builds" 0 "$POND" --project "$CLI" transform
check "without a warning" bash -c "! grep -q warning <<< \"\$1\"" _ "$ERR"
expect_eq "pond reads the view model" "$(q "$CLI" "select count(*) from m.big")" \
  "$(q "$LOC" "select count(*) from m.totals where total > 0")"
expect_exit "pond tables works beside it" 0 "$POND" --project "$CLI" tables
# An independent client of the server (fetch, every answer checked against
# the spec's schemas) loads the view pond published through the server.
node "$NODE_DIR/rest_views.mjs" "$URI/iceberg" "$TOKEN" load m big > "$T/view.out" 2>&1
check "the server's catalog holds the view, answers in the spec's shape" \
  bash -c "grep -q '^ok   load view m.big' '$T/view.out' && ! grep -q '^FAIL' '$T/view.out'"
expect_contains "with the model's SQL in the duckdb dialect" "$(grep '^value sql' "$T/view.out")" "where total > 0"
expect_contains "in the server's warehouse" "$(grep '^value location' "$T/view.out")" "$SRV/"
# A second build replaces the view's version (a commit through the server).
printf -- '-- materialized: view\nselect grp, total from m.totals where total > 1\n' > "$CLI/models/m/big.sql"
expect_exit "a changed view model builds again" 0 "$POND" --project "$CLI" transform
node "$NODE_DIR/rest_views.mjs" "$URI/iceberg" "$TOKEN" load m big > "$T/view.out" 2>&1
expect_contains "the server has the new version" "$(grep '^value sql' "$T/view.out")" "where total > 1"
printf -- '-- materialized: table\nselect grp, total from m.totals where total > 0\n' > "$CLI/models/m/big.sql"
expect_exit "the view model becomes a table over REST" 0 "$POND" --project "$CLI" transform
node "$NODE_DIR/rest_views.mjs" "$URI/iceberg" "$TOKEN" list m > "$T/views.out" 2>&1
check "and its view is gone from the server's catalog" \
  bash -c "grep -q '^value views' '$T/views.out' && ! grep -q 'm\.big' '$T/views.out'"
expect_eq "its rows" "$(q "$CLI" "select count(*) from m.big")" \
  "$(q "$LOC" "select count(*) from m.totals where total > 0")"
rm "$CLI/models/m/big.sql"

# --- writers on both sides at once ---
writer() {  # writer DIR FIRST: 15 single-row inserts
  local i
  for i in $(seq "$2" $(($2 + 14))); do
    "$POND" --project "$1" sql "insert into raw.empty values ($i, 'w')" > /dev/null 2>> "$T/writers.err" || echo "$1 $i" >> "$T/writers.failed"
  done
}
writer "$CLI" 100 & w1=$!
writer "$SRV" 200 & w2=$!
writer "$CLI" 300 & w3=$!
wait $w1 $w2 $w3
expect_eq "every concurrent write succeeded" "$(cat "$T/writers.failed" 2> /dev/null)" ""
want="48,48,45"
expect_eq "every row is there once, seen over REST" \
  "$(q "$CLI" "select count(*), count(distinct a), count(*) filter (where b = 'w') from raw.empty")" "$want"
expect_eq "every row is there once, seen by the server's project" \
  "$(q "$SRV" "select count(*), count(distinct a), count(*) filter (where b = 'w') from raw.empty")" "$want"

# --- what a REST project cannot do says so ---
expect_exit "backup of a REST project fails" 1 "$POND" --project "$CLI" backup "$T/bk"
expect_contains "backup says why" "$ERR" "cannot back up a project whose tables are in the REST catalog"
expect_eq "in one line" "$(echo "$ERR" | wc -l)" "1"

expect_exit "a local project backs up" 0 "$POND" --project "$LOC" backup "$T/bk-loc"
expect_exit "restore into a REST project fails" 1 "$POND" --project "$CLI" restore "$T/bk-loc"
expect_contains "restore says why" "$ERR" "cannot restore into catalog $URI/iceberg"
expect_eq "in one line, too" "$(echo "$ERR" | wc -l)" "1"
expect_exit "orphans on a REST project fails" 1 "$POND" --project "$CLI" orphans
expect_contains "orphans says why" "$ERR" "cannot look for orphan files: the tables are in the REST catalog"
expect_eq "once" "$(echo "$ERR" | wc -l)" "1"
expect_exit "maintain leaves the server's files to the server" 0 "$POND" --project "$CLI" maintain
expect_eq "and the tables are intact" "$(q "$CLI" "select count(*) from raw.empty")" "48"

# --- settings ---
printf 'name: cli\ncatalog:\n  uri: %s/iceberg\n  token: %s\n' "$URI" "$TOKEN" > "$T/secret.yml"
mkdir -p "$T/bad" && cp "$T/secret.yml" "$T/bad/pond.yml"
expect_exit "a token written into pond.yml is refused" 1 "$POND" --project "$T/bad" tables
expect_contains "naming the line" "$ERR" "pond.yml:4: catalog token must name an environment variable"
expect_exit "a wrong token fails" 1 env POND_E2E_REST_TOKEN=wrong-token-000000000000 "$POND" --project "$CLI" tables
expect_contains "with the server's 401" "$ERR" "401"

finish
