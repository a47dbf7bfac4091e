#!/usr/bin/env bash
# End-to-end: catalog tables through the real binary. pond init, SQL
# writes (CREATE TABLE AS, INSERT, DELETE, UPDATE, DROP), reads with time
# travel, pond tables/show/history, on SQLite and on a real PostgreSQL;
# concurrent writers; writers killed mid-commit.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
expect_exit "pond init" 0 "$POND" init --bare "$P"
check "init wrote pond.yml" test -s "$P/pond.yml"
expect_exit "init refuses an existing project" 1 "$POND" init --bare "$P"
cd "$P" || exit 1

sql() { "$POND" sql --format csv "$@"; }
value() { "$POND" sql --format csv "$1" | tail -n 1; }

expect_exit "create table as select" 0 "$POND" sql "create table sales.orders as select range as id, 'c' || (range % 5) as customer, range * 1.5 as amount, date '2024-01-01' + (range % 30)::int as day from range(1000)"
expect_contains "create says what it did" "$ERR" "created sales.orders with 1000 rows"
expect_eq "count after create" "$(value "select count(*) from sales.orders")" "1000"
expect_eq "sum after create" "$(value "select sum(id) from sales.orders")" "499500"

expect_exit "insert values" 0 "$POND" sql "insert into sales.orders values (5000, 'new', 1.0, date '2024-02-01')"
expect_contains "insert says rows" "$ERR" "inserted 1 row into sales.orders"
expect_exit "insert with a column list" 0 "$POND" sql "insert into sales.orders (customer, id) values ('partial', 6000)"
expect_eq "omitted columns are null" "$(value "select amount is null from sales.orders where id = 6000")" "true"
expect_eq "count after inserts" "$(value "select count(*) from sales.orders")" "1002"
expect_eq "unqualified name is main" "$(cd "$P" && "$POND" sql --format csv "create table t1 as select 1 as x; select x from main.t1" | tail -n 1)" "1"

# --- table names resolve as DuckDB resolves them (issue 11 item 15) ---
expect_exit "create a mixed-case table" 0 "$POND" sql "create table n.Mixed as select 1 as x"
expect_eq "read it in lower case" "$(value "select count(*) from n.mixed")" "1"
expect_exit "insert in upper case" 0 "$POND" sql "insert into N.MIXED values (2)"
expect_eq "the insert landed" "$(value "select sum(x) from n.Mixed")" "3"
expect_exit "a missing table exits 1" 1 "$POND" sql "select * from n.nope"
expect_eq "the error names it and the tables there are" "$ERR" "pond: error: table n.nope does not exist; n has Mixed"

# --- pond tables / show / history ---
expect_exit "pond tables" 0 "$POND" tables
expect_contains "tables lists the table" "$OUT" "sales.orders"
expect_exit "pond tables --json" 0 "$POND" tables --json
check "tables json has the record count" node -e '
  const t = JSON.parse(process.argv[1]).find(r => r.table === "sales.orders");
  if (!t || t.records !== 1002) process.exit(1);' "$OUT"
# The two inserts wait in the row buffer: reads see them, history does not.
expect_contains "tables shows the buffered rows" "$("$POND" tables)" "(2 buffered: pond flush)"
expect_contains "history says rows are buffered" "$("$POND" history sales.orders)" "2 rows in the row buffer"
expect_exit "pond flush" 0 "$POND" flush
expect_contains "flush says what it wrote" "$OUT" "flushed 2 rows into sales.orders"
expect_exit "a second flush has nothing to do" 0 "$POND" flush sales.orders
expect_contains "nothing buffered" "$OUT" "sales.orders has no buffered rows"
expect_exit "pond show" 0 "$POND" show sales.orders
expect_contains "show lists the schema" "$OUT" "customer"
expect_contains "show gives totals" "$OUT" "1002 records"
expect_exit "pond history --json" 0 "$POND" history sales.orders --json
# Snapshot ids are 63-bit: parse JSON with python, not node (doubles).
first=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[0]["snapshot_id"])' "$OUT")
expect_eq "two snapshots: create, flush" "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$OUT")" "2"
expect_exit "pond history text" 0 "$POND" history sales.orders
expect_contains "history names the operation" "$OUT" "append"

# --- time travel ---
expect_eq "time travel by snapshot id" "$(value "select count(*) from sales.orders at (version => $first)")" "1000"
expect_eq "time travel next to the current table" \
  "$(value "select (select count(*) from sales.orders) - (select count(*) from sales.orders at (version => $first))")" "2"
ts=$("$POND" history sales.orders --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["committed_at"])')
expect_eq "time travel by timestamp" "$(value "select count(*) from sales.orders at (timestamp => '$ts')")" "1000"
expect_exit "unknown snapshot" 1 "$POND" sql "select * from sales.orders at (version => 42)"
expect_contains "unknown snapshot named" "$ERR" "42"

# --- delete, update, create or replace ---
expect_exit "delete where" 0 "$POND" sql "delete from sales.orders where customer = 'c1'"
expect_contains "delete says rows" "$ERR" "deleted 200 rows from sales.orders"
expect_eq "count after delete" "$(value "select count(*) from sales.orders")" "802"
expect_eq "deleted rows gone" "$(value "select count(*) from sales.orders where customer = 'c1'")" "0"
expect_eq "old snapshot still has them" "$(value "select count(*) from sales.orders at (version => $first) where customer = 'c1'")" "200"
expect_exit "update" 0 "$POND" sql "update sales.orders set amount = 0, customer = 'zero' where id < 10"
expect_eq "count stable after update" "$(value "select count(*) from sales.orders")" "802"
expect_eq "updated values" "$(value "select count(*) || ':' || sum(amount) from sales.orders where customer = 'zero'")" "8:0.0"
# An update rewrites exactly the rows it matches, whatever planning pruned:
# here files of an older partition spec hold rows of both partitions.
"$POND" sql "create table t.l (k varchar, v int, d double); insert into t.l values ('x',1,2.25),('y',2,225.0); alter table t.l add partition field k; insert into t.l values ('x',3,2.25),('y',4,225.0)" 2>/dev/null
expect_exit "update across partition specs" 0 "$POND" sql "update t.l set v = v + 100 where d = 2.25"
expect_contains "update counts the rows it changed" "$ERR" "updated 2 rows in t.l"
expect_eq "update across specs keeps every row" "$(value "select string_agg(k || v, ' ' order by k, v) from t.l")" "x101 x103 y2 y4"
expect_exit "update by partition" 0 "$POND" sql "update t.l set v = v + 1 where k = 'x'"
expect_eq "update by partition keeps every row" "$(value "select string_agg(k || v, ' ' order by k, v) from t.l")" "x102 x104 y2 y4"
expect_exit "delete across specs" 0 "$POND" sql "delete from t.l where v = 2"
expect_contains "delete counts the rows it removed" "$ERR" "deleted 1 row from t.l"
expect_eq "delete across specs" "$(value "select string_agg(k || v, ' ' order by k, v) from t.l")" "x102 x104 y4"
expect_exit "create table with columns" 0 "$POND" sql "create table sales.notes (id bigint, note varchar); insert into sales.notes values (1, 'a'), (2, 'b')"
expect_eq "rows in a table made from column definitions" "$(value "select string_agg(note, '' order by id) from sales.notes")" "ab"
expect_exit "create or replace" 0 "$POND" sql "create or replace table sales.notes as select 7 as n"
expect_eq "replaced table" "$(value "select n from sales.notes")" "7"
expect_exit "drop table" 0 "$POND" sql "drop table sales.notes"
# Replacing a table from itself reads it before anything goes: one
# overwrite commit when the columns stay, a new table when they change.
"$POND" sql "create table s.t as select range::int id, 'a' || range v from range(5)" 2>/dev/null
expect_exit "create or replace from itself" 0 "$POND" sql "create or replace table s.t as select * from s.t where id < 3"
expect_eq "replaced from itself" "$(value "select string_agg(v, ' ' order by id) from s.t")" "a0 a1 a2"
expect_eq "replace is one overwrite snapshot" "$("$POND" history s.t --json | python3 -c 'import json,sys; h = json.load(sys.stdin); print(len(h), " ".join(x["operation"] for x in h))')" "2 append overwrite"
expect_exit "create or replace from itself with new columns" 0 "$POND" sql "create or replace table s.t as select id, v, id * 2 as w from s.t where id > 0"
expect_eq "replaced with new columns" "$(value "select string_agg(v || w, ' ' order by id) from s.t")" "a12 a24"
expect_exit "dropped table is gone" 1 "$POND" sql "select * from sales.notes"

# --- a drop removes its own files only; tables never nest ---
printf 'a,b\n1,2\n' > "$T/f.csv"
expect_exit "ingest a.b.c" 0 "$POND" ingest "$T/f.csv" --table nest.b.c
expect_exit "ingest a.b" 0 "$POND" ingest "$T/f.csv" --table nest.b
c_files=$(find warehouse/nest/b/c -name '*.parquet' | wc -l)
check "nest.b.c has data files" test "$c_files" -gt 0
expect_exit "drop the outer table" 0 "$POND" sql "drop table nest.b"
expect_eq "the inner table's files stay" "$(find warehouse/nest/b/c -name '*.parquet' | wc -l)" "$c_files"
expect_contains "the inner table is listed" "$("$POND" tables 2>&1)" "nest.b.c"
expect_exit "a name with a slash" 0 "$POND" sql "create table n.\"a/b\" as select 1 as x"
expect_exit "a table whose folder would hold it" 0 "$POND" sql "create table n.a as select 2 as x"
expect_exit "drop it" 0 "$POND" sql "drop table n.a"
expect_eq "the slashed table keeps its rows" "$(value 'select x from n."a/b"')" "1"
"$POND" sql "create table n.keep as select 3 as x" 2>/dev/null
keep_dir=$(find warehouse -type d -name keep | head -n 1)
echo "not the table's" > "$keep_dir/notes.txt"
expect_exit "drop a table with a stranger's file in its folder" 0 "$POND" sql "drop table n.keep"
check "a file the table does not reference stays" test -f "$keep_dir/notes.txt"
check "the table's metadata is gone" test ! -e "$keep_dir/metadata"

# --- ALTER TABLE as Iceberg commits ---
"$POND" sql "create table sales.items as select range as id, 'i' || range as label, range::int as qty from range(5)" 2>/dev/null
# Column defaults are format v3 fields: a v2 table refuses them rather than
# hold metadata other readers ignore.
expect_exit "alter: a default on a v2 table is refused" 1 "$POND" sql "alter table sales.items add column note varchar default 'none'"
expect_contains "the refusal names format v3" "$ERR" "column defaults need Iceberg format v3"
check "the refused alter wrote no v3 field" bash -c '! grep -q "initial-default\|write-default" "$1"/*.metadata.json' _ "$(find warehouse/sales/items -type d -name metadata)"
expect_exit "alter: add column" 0 "$POND" sql "alter table sales.items add column note varchar"
expect_contains "alter says what it did" "$ERR" "added column note to sales.items"
expect_eq "old rows read null" "$(value "select count(*) from sales.items where note is null")" "5"
# NOT NULL is a required field, enforced on every write; constraints pond
# cannot enforce are refused.
expect_exit "create with not null" 0 "$POND" sql "create table q.r (id int not null, v int)"
check "not null is a required field" grep -q '"required":true' $(ls warehouse/q/r/metadata/*.metadata.json | head -n 1)
expect_exit "insert null into a not null column" 1 "$POND" sql "insert into q.r values (null, 1)"
expect_contains "the error names the column" "$ERR" 'column "id" of q.r is NOT NULL'
expect_exit "insert leaving a not null column out" 1 "$POND" sql "insert into q.r (v) values (1)"
expect_exit "insert a value" 0 "$POND" sql "insert into q.r values (1, 1)"
expect_exit "update to null" 1 "$POND" sql "update q.r set id = null"
expect_eq "refused writes changed nothing" "$(value "select count(*) || ' ' || sum(id) from q.r")" "1 1"
expect_exit "primary key" 0 "$POND" sql "create table q.p (id int primary key, v int)"
check "primary key is an identifier field" grep -q '"identifier-field-ids":\[1\]' $(ls warehouse/q/p/metadata/*.metadata.json | head -n 1)
for c in "check (id > 0)" "unique" "default 4" "references q.p (id)"; do
  expect_exit "create with $c is refused" 1 "$POND" sql "create table q.c (id int $c)"
done
expect_contains "a refused constraint is named" "$("$POND" sql "create table q.c (id int unique)" 2>&1)" "cannot enforce UNIQUE constraints"
expect_exit "alter: rename column" 0 "$POND" sql "alter table sales.items rename column label to name"
expect_eq "renamed column reads old data" "$(value "select name from sales.items where id = 3")" "i3"
expect_exit "alter: widen int to bigint" 0 "$POND" sql "alter table sales.items alter column qty type bigint"
expect_eq "widened column" "$(value "select any_value(typeof(qty)) || '|' || sum(qty) from sales.items")" "BIGINT|10"
expect_exit "alter: a narrowing change is refused" 1 "$POND" sql "alter table sales.items alter column name type int"
expect_contains "refusal names the column" "$ERR" 'cannot change column "name"'
expect_exit "alter: drop column" 0 "$POND" sql "alter table sales.items drop column note"
expect_eq "dropped column is gone" "$(value "select count(*) from (describe sales.items) where column_name = 'note'")" "0"
expect_exit "alter: add a partition field" 0 "$POND" sql "alter table sales.items add partition field bucket(4, id)"
expect_exit "appends after partitioning" 0 "$POND" sql "insert into sales.items values (10, 'x', 1)"
expect_eq "rows across both specs" "$(value "select count(*) from sales.items")" "6"
expect_exit "alter: tag" 0 "$POND" sql "alter table sales.items create tag 'six-rows'"
"$POND" sql "insert into sales.items values (11, 'y', 1)" 2>/dev/null
expect_eq "time travel by tag" "$(value "select count(*) from sales.items at (version => 'six-rows')")" "6"
expect_exit "alter: table properties" 0 "$POND" sql "alter table sales.items set tblproperties ('owner' = 'shop')"
expect_contains "show lists the property" "$("$POND" show sales.items)" "owner"
expect_exit "alter: rename table" 0 "$POND" sql "alter table sales.items rename to sales.goods"
expect_eq "renamed table reads" "$(value "select count(*) from sales.goods")" "7"
expect_exit "old name is gone" 1 "$POND" sql "select * from sales.items"

# --- pond rollback ---
rb_first=$("$POND" history sales.goods --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
expect_exit "rollback to the first snapshot" 0 "$POND" rollback sales.goods "$rb_first"
expect_eq "rolled back rows" "$(value "select count(*) from sales.goods")" "5"
# A rollback moves the branch, not the schema: the old files read through
# the current columns (label was renamed to name).
expect_eq "rolled-back rows read through the current schema" "$(value "select name from sales.goods where id = 3")" "i3"
expect_exit "rollback of an unknown snapshot" 1 "$POND" rollback sales.goods 42
expect_contains "names the snapshot" "$ERR" "42"
expect_exit "rollback usage error" 2 "$POND" rollback sales.goods notanumber

# --- errors leave the table as it was ---
before=$(value "select count(*) from sales.orders")
expect_exit "insert of a wrong type fails" 1 "$POND" sql "insert into sales.orders values ('x', 'y', 1, date '2024-01-01')"
expect_eq "one line of error" "$(echo "$ERR" | wc -l)" "1"
expect_exit "insert of the wrong column count fails" 1 "$POND" sql "insert into sales.orders values (1)"
expect_contains "column count error" "$ERR" "has 4 columns but the query returns 1"
expect_eq "table unchanged after failed inserts" "$(value "select count(*) from sales.orders")" "$before"
expect_exit "unknown table" 1 "$POND" sql "select * from sales.nope"
expect_contains "unknown table named" "$ERR" "nope"
expect_exit "show unknown table" 1 "$POND" show sales.nope
expect_contains "show names it" "$ERR" "sales.nope"
expect_exit "commands outside a project say how to make one" 1 bash -c "cd / && '$POND' tables"
expect_contains "hint" "$ERR" "pond init"

# --- an independent reader sees the same rows ---
loc=$("$POND" show sales.orders --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["location"], d["metadata_file"].split("/")[-1])')
ib_count=$(cd "$OLDPWD" 2>/dev/null; node "$NODE_DIR/iceberg_read.mjs" $loc | wc -l)
expect_eq "icebird reads the same row count" "$ib_count" "$(value "select count(*) from sales.orders")"

# --- four writers at once, 10 commits each (written through, not buffered) ---
"$POND" sql "create table race as select 0 as writer, 0 as i where false" 2>/dev/null
"$POND" sql "alter table race set tblproperties ('pond.buffer.enabled' = 'false')" 2>/dev/null
# keep the whole history (commits expire past 100 by default), so the
# parent chain below shows every commit
"$POND" sql "alter table race set tblproperties ('pond.history.max-snapshots' = '1000')" >/dev/null 2>&1
for w in 1 2 3 4; do
  ( for i in $(seq 1 10); do "$POND" sql "insert into race values ($w, $i)" 2>>"$T/race.err" || echo "fail $w $i" >> "$T/race.fail"; done ) &
done
wait
check "no concurrent insert failed" test ! -s "$T/race.fail"
expect_eq "every concurrent insert landed" "$(value "select count(*) from race")" "40"
expect_eq "each writer's rows all there" "$(value "select count(distinct writer || '-' || i) from race")" "40"
check "snapshot parent chain is intact" bash -c "'$POND' history race --json | python3 -c '
import json, sys
h = json.load(sys.stdin)
by_id = {s[\"snapshot_id\"]: s for s in h}
cur = next(s for s in h if s[\"current\"])
n = 0
while cur:
    n += 1
    cur = by_id.get(cur[\"parent_snapshot_id\"])
sys.exit(0 if n == len(h) == 40 else 1)'"

# --- the same through the row buffer: the 30th append flushes by itself ---
"$POND" sql "create table race2 as select 0 as writer, 0 as i where false" 2>/dev/null
"$POND" sql "alter table race2 set tblproperties ('pond.buffer.flush-batches' = '30')" >/dev/null 2>&1
nsnaps() { "$POND" history "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
race2_snaps=$(nsnaps race2)
for w in 1 2 3 4; do
  ( for i in $(seq 1 10); do "$POND" sql "insert into race2 values ($w, $i)" 2>>"$T/race2.err" || echo "fail $w $i" >> "$T/race2.fail"; done ) &
done
wait
check "no buffered concurrent insert failed" test ! -s "$T/race2.fail"
expect_eq "every buffered insert is read" "$(value "select count(*) from race2")" "40"
check "the buffer flushed by itself on the way" test "$(nsnaps race2)" -gt "$race2_snaps"
expect_exit "flush what is left" 0 "$POND" flush race2
expect_eq "every buffered insert landed once" "$(value "select count(distinct writer || '-' || i) || '/' || count(*) from race2")" "40/40"
expect_eq "the snapshots hold every row" "$("$POND" history race2 --json | python3 -c 'import json,sys; print(sum(s["added_records"] for s in json.load(sys.stdin)))')" "40"

# --- writers killed with SIGKILL at random points ---
"$POND" sql "create table crash as select 0 as k where false" 2>/dev/null
for i in $(seq 1 12); do
  "$POND" sql "insert into crash select range from range(10)" >/dev/null 2>&1 &
  pid=$!
  sleep "0.0$((RANDOM % 9))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
crash_rows=$(value "select count(*) from crash")
check "table readable after 12 killed writers" test -n "$crash_rows"
expect_eq "rows are whole inserts only" "$((crash_rows % 10))" "0"
expect_exit "flush after the killed writers" 0 "$POND" flush crash
expect_eq "the flush keeps every row" "$(value "select count(*) from crash")" "$crash_rows"
expect_eq "the snapshots hold them all" "$("$POND" history crash --json | python3 -c 'import json,sys; print(sum(s["added_records"] for s in json.load(sys.stdin)))')" "$crash_rows"

# --- the same on PostgreSQL ---
PG="$T/pgproj"
if pg_project "$PG" e2e; then
  expect_exit "pg: create table" 0 "$POND" --project "$PG" sql "create table s.t as select range as id from range(100)"
  expect_exit "pg: insert" 0 "$POND" --project "$PG" sql "insert into s.t values (100)"
  expect_eq "pg: count" "$("$POND" --project "$PG" sql --format csv "select count(*) from s.t" | tail -n 1)" "101"
  expect_exit "pg: delete" 0 "$POND" --project "$PG" sql "delete from s.t where id >= 50"
  expect_eq "pg: count after delete" "$("$POND" --project "$PG" sql --format csv "select count(*) from s.t" | tail -n 1)" "50"
  pg_first=$("$POND" --project "$PG" history s.t --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot_id"])')
  expect_eq "pg: time travel" "$("$POND" --project "$PG" sql --format csv "select count(*) from s.t at (version => $pg_first)" | tail -n 1)" "100"
  expect_exit "pg: tables" 0 "$POND" --project "$PG" tables
  expect_contains "pg: tables lists it" "$OUT" "s.t"
fi

finish
