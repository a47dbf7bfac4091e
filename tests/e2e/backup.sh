#!/usr/bin/env bash
# End-to-end: pond backup and pond restore. A project with several tables,
# time travel history and pipeline runs is backed up, restored into a new
# folder and compared query by query (time travel included); a write after
# restore lands in the restored project only; a second backup copies
# nothing, and after an insert only the new files; a backup killed with
# kill -9 half-way (it blocks reading a fifo planted as a new data file)
# leaves the previous backup whole, and the next run completes it; restore
# refuses to clobber a catalog or warehouse.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
B="$T/nas/backup"
R="$T/restored"
"$POND" init --bare "$P" >/dev/null || { echo "FAIL pond init"; exit 1; }
cd "$P" || exit 1
mkdir -p "$T/marks"
wait_mark() { for _ in $(seq 1 1200); do [ -e "$T/marks/$1" ] && return 0; sleep 0.05; done; return 1; }
q() { "$POND" sql --format csv "$1" | tail -n +2; }
json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# --- a project: tables with history, a pipeline run, a model file ---
expect_exit "create orders" 0 "$POND" sql "create table sales.orders as select range as id, 'c' || (range % 5) as customer, range * 1.5 as amount from range(1000)"
first=$("$POND" history sales.orders --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
expect_exit "insert" 0 "$POND" sql "insert into sales.orders values (5000, 'new', 1.0)"
expect_exit "delete" 0 "$POND" sql "delete from sales.orders where id < 10"
expect_exit "create a second table" 0 "$POND" sql "create table ref.customers as select 'c' || range as customer, range as tier from range(5)"
expect_exit "create the last table" 0 "$POND" sql "create table zz.last as select range as n from range(3)"
cat >> pond.yml <<'EOF'
pipelines:
  hello:
    steps:
      - shell: "echo hello"
EOF
echo "select 1 as one" > models/one.sql
expect_exit "a pipeline run" 0 "$POND" run hello

QUERIES=(
  "select count(*), sum(id), sum(amount) from sales.orders"
  "select count(*), sum(id) from sales.orders at (version => $first)"
  "select customer, count(*) from sales.orders group by 1 order by 1"
  "select * from ref.customers order by 1"
  "select * from zz.last order by 1"
)
snapshot_queries() { for s in "${QUERIES[@]}"; do echo "== $s"; q "$s" 2>&1; done; }
before=$(snapshot_queries)
runs_before=$("$POND" runs --json | python3 -c 'import json,sys; print([(r["id"], r["status"]) for r in json.load(sys.stdin)])')

# --- the first backup ---
expect_exit "backup" 0 "$POND" backup "$B"
expect_contains "backup says what it copied" "$OUT" "backed up 3 tables:"
check "backup.json is there" test -s "$B/backup.json"
check "the catalog copy is there" test -s "$B/catalog.db"
check "pond.yml is in the backup" test -s "$B/project/pond.yml"
check "the model is in the backup" test -s "$B/project/models/one.sql"
expect_eq "backup.json lists the tables" \
  "$(python3 -c 'import json,sys; print(" ".join(t["table"] for t in json.load(open(sys.argv[1]))["tables"]))' "$B/backup.json")" \
  "ref.customers sales.orders zz.last"
expect_eq "backup.json has every snapshot of orders" \
  "$(python3 -c 'import json,sys; print([len(t["snapshot_ids"]) for t in json.load(open(sys.argv[1]))["tables"] if t["table"] == "sales.orders"][0])' "$B/backup.json")" \
  "3"
expect_eq "every data file is in the backup" \
  "$(cd "$P/warehouse" && find . -name '*.parquet' | sort | md5sum)" "$(cd "$B/warehouse" && find . -name '*.parquet' | sort | md5sum)"

# --- the second backup of an unchanged project copies nothing ---
expect_exit "second backup" 0 "$POND" backup "$B" --json
expect_eq "nothing copied" "$(json_field "$OUT" files_copied)" "0"
expect_eq "everything skipped" "$(json_field "$OUT" files_skipped)" "$(json_field "$OUT" files)"

# --- restore into a new folder: the same rows, time travel, runs ---
expect_exit "restore into a new folder" 0 "$POND" restore "$B" "$R"
expect_contains "restore says what it did" "$OUT" "restored 3 tables:"
cd "$R" || exit 1
expect_eq "the same rows after restore" "$(snapshot_queries)" "$before"
expect_eq "the same pipeline runs" "$("$POND" runs --json | python3 -c 'import json,sys; print([(r["id"], r["status"]) for r in json.load(sys.stdin)])')" "$runs_before"
check "the model file came back" test -s "$R/models/one.sql"
expect_contains "the catalog points at the new folder" "$(sqlite3 "$R/catalog.db" "select group_concat(metadata_location) from iceberg_tables")" "$R/warehouse/"
touch "$T/marks/before-write"
expect_exit "a write after restore" 0 "$POND" sql "insert into sales.orders values (7000, 'restored', 2.0)"
expect_exit "an update after restore" 0 "$POND" sql "update ref.customers set tier = tier + 10 where customer = 'c1'"
expect_eq "the write is read back" "$(q "select count(*), max(id) from sales.orders")" "992,7000"
expect_eq "the update is read back" "$(q "select tier from ref.customers where customer = 'c1'")" "11"
expect_eq "time travel still works after the write" "$(q "select count(*) from sales.orders at (version => $first)")" "1000"
expect_eq "nothing was written into the original project" \
  "$(find "$P/warehouse" "$P/catalog.db" -newer "$T/marks/before-write" -type f | wc -l)" "0"
expect_eq "the original is unchanged" "$(cd "$P" && snapshot_queries)" "$before"
orig_md=$(sqlite3 "$P/catalog.db" "select metadata_location from iceberg_tables where table_name = 'customers'")
check "a restored metadata file is the original, byte for byte" cmp "$orig_md" "$R/warehouse/${orig_md#"$P/warehouse/"}"

# --- restore refuses to clobber ---
cd "$T" || exit 1
expect_exit "restore into the original project refuses" 1 "$POND" restore "$B" "$P"
expect_contains "it names the warehouse" "$ERR" "is not empty; pass --force"
expect_exit "restore into the restored project refuses" 1 "$POND" restore "$B" "$R"
rm -rf "$T/emptywh" && mkdir -p "$T/emptywh" && cp "$P/pond.yml" "$T/emptywh/" && cp "$P/catalog.db" "$T/emptywh/"
expect_exit "a catalog with tables is refused" 1 "$POND" restore "$B" "$T/emptywh"
expect_contains "it names the catalog" "$ERR" "holds tables; pass --force"
expect_exit "with --force it replaces" 0 "$POND" restore "$B" "$R" --force
expect_eq "forced restore is the backup again" "$(cd "$R" && snapshot_queries)" "$before"
expect_exit "restore from a folder that is no backup" 1 "$POND" restore "$T/marks" "$T/nowhere"
expect_contains "it says so" "$ERR" "is not a pond backup"
expect_exit "backup with no folder" 2 "$POND" backup

# --- after an insert, only the new files are copied ---
cd "$P" || exit 1
expect_exit "insert into the original" 0 "$POND" sql "insert into sales.orders values (8000, 'later', 3.0)"
expect_exit "flush it into a snapshot" 0 "$POND" flush sales.orders
expect_exit "incremental backup" 0 "$POND" backup "$B" --json
# data file, manifest, manifest list, metadata file
expect_eq "only the insert's four files are copied" "$(json_field "$OUT" files_copied)" "4"

echo "select 2 as one" > models/one.sql  # the same size, other bytes
expect_exit "backup after a model edit" 0 "$POND" backup "$B"
expect_eq "the edited model is in the backup" "$(cat "$B/project/models/one.sql")" "select 2 as one"

# --- kill -9 half-way: the previous backup stays whole, the next completes ---
expect_exit "insert into the last table" 0 "$POND" sql "insert into zz.last values (100)"
expect_exit "flush it into a data file" 0 "$POND" flush zz.last
after=$(snapshot_queries)
new_file=$(find "$P/warehouse/zz" -name '*.parquet' -newer "$B/backup.json" | head -n 1)
check "the insert made a data file" test -n "$new_file"
mv "$new_file" "$T/held.parquet"
mkfifo "$new_file"
manifest_before=$(cat "$B/backup.json")
"$POND" backup "$B" >/dev/null 2>&1 &
pid=$!
# Opening the fifo's write end returns once the backup opened it to read:
# then it is half-way, with the files before it copied.
( exec 3>"$new_file"; touch "$T/marks/fifo.opened"; exec sleep 600 ) >/dev/null 2>&1 &
opener=$!
wait_mark fifo.opened && { kill -9 $pid; wait $pid; } 2>/dev/null
kill $opener 2>/dev/null
wait $opener 2>/dev/null
rm -f "$new_file" && mv "$T/held.parquet" "$new_file"
expect_eq "the killed backup left backup.json as it was" "$(cat "$B/backup.json")" "$manifest_before"
check "it left a .part file" test -n "$(find "$B" -name '*.part' | head -n 1)"
rm -rf "$T/r2"
expect_exit "the previous backup restores" 0 "$POND" restore "$B" "$T/r2"
expect_eq "to the rows it held" "$(cd "$T/r2" && q "select count(*) from zz.last")" "3"
expect_exit "backup again after the kill" 0 "$POND" backup "$B"
expect_eq "no .part file is left" "$(find "$B" -name '*.part' | wc -l)" "0"
rm -rf "$T/r3"
expect_exit "restore the completed backup" 0 "$POND" restore "$B" "$T/r3"
expect_eq "it holds the rows of the last insert" "$(cd "$T/r3" && snapshot_queries)" "$after"

# --- a backup while another process commits: the copy is one point in time ---
cd "$P" || exit 1
expect_exit "create the busy table" 0 "$POND" sql "create table busy.t as select 0 as n"
( for i in $(seq 1 15); do "$POND" sql "insert into busy.t values ($i)" >/dev/null 2>&1 || exit 1; done ) &
writer=$!
expect_exit "backup during commits" 0 "$POND" backup "$T/busybk"
wait $writer
expect_eq "the writer's commits all landed" "$(q "select count(*) from busy.t")" "16"
rm -rf "$T/busyr"
expect_exit "restore the backup taken during commits" 0 "$POND" restore "$T/busybk" "$T/busyr"
busy=$(cd "$T/busyr" && q "select count(*) = max(n) + 1 and count(*) between 1 and 16 from busy.t")
expect_eq "it reads a whole snapshot" "$busy" "true"

# --- a PostgreSQL catalog: its rows copied in one REPEATABLE READ transaction ---
if [ -z "${POND_TEST_PG_URL:-}" ]; then
  fail "postgres catalog backup" "POND_TEST_PG_URL is not set: run the suite through tests/run.sh"
else
  G="$T/pgproj"
  mkdir -p "$G"
  printf 'name: pg\nwarehouse: warehouse\ncatalog: %s\ncatalog_name: e2e%s\npipelines:\n  hi:\n    steps:\n      - shell: "echo hi"\n' \
    "$POND_TEST_PG_URL" "$RANDOM$RANDOM" > "$G/pond.yml"
  cd "$G" || exit 1
  expect_exit "pg: create" 0 "$POND" sql "create table pg.t as select range as x from range(10)"
  expect_exit "pg: insert" 0 "$POND" sql "insert into pg.t values (99)"
  expect_exit "pg: a pipeline run" 0 "$POND" run hi
  pg_before=$(q "select count(*), sum(x) from pg.t")
  pg_runs=$("$POND" runs --json | python3 -c 'import json,sys; print([(r["pipeline"], r["status"]) for r in json.load(sys.stdin)])')
  expect_exit "pg: backup" 0 "$POND" backup "$T/pgbk"
  expect_eq "pg: the copy holds this project's table only" \
    "$(sqlite3 "$T/pgbk/catalog.db" "select count(*) from iceberg_tables")" "1"
  expect_exit "pg: restore asks for a SQLite catalog" 1 "$POND" restore "$T/pgbk" "$T/pgr"
  expect_contains "pg: it says what to change" "$ERR" "set \"catalog: catalog.db\" in $T/pgr/pond.yml"
  sed -i 's|^catalog: .*|catalog: catalog.db|' "$T/pgr/pond.yml"
  expect_exit "pg: restore into SQLite" 0 "$POND" restore "$T/pgbk" "$T/pgr"
  cd "$T/pgr" || exit 1
  expect_eq "pg: the same rows" "$(q "select count(*), sum(x) from pg.t")" "$pg_before"
  expect_eq "pg: the same runs" "$("$POND" runs --json | python3 -c 'import json,sys; print([(r["pipeline"], r["status"]) for r in json.load(sys.stdin)])')" "$pg_runs"
  expect_exit "pg: a write after restore" 0 "$POND" sql "insert into pg.t values (1)"
fi

finish
