#!/usr/bin/env bash
# End-to-end: table upkeep through the real binary. pond expire (dry run,
# retain-last, by age with POND_NOW), killed with SIGKILL at random points
# in a loop (the table reads the same rows after every kill, and pond
# orphans then finds what the kills left), pond orphans on planted files
# (touch -d, never a sleep), pond maintain by pond.yml's policy, expiry on
# commit past pond.history.max-snapshots, and the independent reader
# icebird reading the table after all of it.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
"$POND" init proj > /dev/null 2>&1
cd proj || exit 1
value() { "$POND" sql --format csv "$1" | tail -n 1; }
FUTURE="2099-01-01 00:00:00"

# These tables get their history from many small inserts: each must be a
# snapshot, not a row in the buffer.
nobuffer() { "$POND" sql "alter table $1 set tblproperties ('pond.buffer.enabled' = 'false')" > /dev/null 2>&1; }
# inserts TABLE VALUES...: one insert (one snapshot) per value, in one pond process.
inserts() {
  local t=$1 v sql=
  shift
  for v in "$@"; do sql+="insert into $t values ($v); "; done
  "$POND" sql "$sql" > /dev/null 2>&1
}

# --- a table with history: inserts and a delete ---
"$POND" sql "create table sales.orders as select 0 as id, 'x' as name" > /dev/null 2>&1
nobuffer sales.orders
inserts sales.orders $(for i in $(seq 1 12); do echo "$i,'n$i'"; done)
"$POND" sql "delete from sales.orders where id < 3" > /dev/null 2>&1
rows=$(value "select count(*)::varchar || ' ' || sum(id)::varchar from sales.orders")
expect_eq "rows before expiry" "$rows" "10 75"
snaps() { "$POND" history "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
expect_eq "14 snapshots" "$(snaps sales.orders)" "14"

expect_exit "expire: young snapshots stay" 0 "$POND" expire sales.orders
expect_contains "says nothing to expire" "$OUT" "nothing to expire (14 snapshots)"
expect_exit "expire --dry-run" 0 env POND_NOW="$FUTURE" "$POND" expire sales.orders --dry-run
expect_contains "dry run says what would go" "$OUT" "would expire 13 snapshots (1 left)"
expect_eq "dry run changed nothing" "$(snaps sales.orders)" "14"
expect_exit "expire --retain-last 4" 0 env POND_NOW="$FUTURE" "$POND" expire sales.orders --retain-last 4
expect_contains "expired ten" "$OUT" "expired 10 snapshots (4 left)"
expect_eq "4 snapshots left" "$(snaps sales.orders)" "4"
expect_eq "same rows after expiry" "$(value "select count(*)::varchar || ' ' || sum(id)::varchar from sales.orders")" "$rows"
expect_exit "expire --json" 0 env POND_NOW="$FUTURE" "$POND" expire --older-than 1d --json
expect_contains "json per table" "$OUT" '"table":"sales.orders"'
expect_contains "json counts" "$OUT" '"snapshots":3'
expect_exit "expire: bad age is a usage error" 2 "$POND" expire --older-than soon
expect_exit "expire: unknown table" 1 "$POND" expire sales.nope
expect_contains "names it" "$ERR" "sales.nope"

# --- kill -9 at random points of an expiry, in a loop ---
"$POND" sql "create table k as select 0 as id" > /dev/null 2>&1
nobuffer k
sum=0
for round in $(seq 1 8); do
  sum=$((sum + round * 30 + 6))
  "$POND" sql "insert into k values ($((round * 10 + 1))); insert into k values ($((round * 10 + 2)));
               insert into k values ($((round * 10 + 3))); delete from k where id = $((round * 10 + 1))" > /dev/null 2>&1
  sum=$((sum - round * 10 - 1))
  # a random point: from before the commit to the middle of the deletes
  delay=$(printf '0.%03d' $((RANDOM % 120)))
  ( POND_NOW="$FUTURE" timeout -s KILL "$delay" "$POND" expire k --retain-last 1 > /dev/null 2>&1; exit 0 ) 2> /dev/null
  got=$(value "select coalesce(sum(id), 0) from k")
  [ "$got" = "$sum" ] || fail "kill round $round: rows" "got $got want $sum (delay $delay)"
done
pass "the table read the same rows after every kill"
expect_exit "expire after the kills" 0 env POND_NOW="$FUTURE" "$POND" expire k --retain-last 1
expect_exit "orphans --delete cleans what the kills left" 0 env POND_NOW="$FUTURE" "$POND" orphans main.k --delete
expect_exit "orphans: none left" 0 env POND_NOW="$FUTURE" "$POND" orphans main.k
expect_contains "zero" "$OUT" "main.k: 0 orphan files"
expect_eq "rows after the clean-up" "$(value "select coalesce(sum(id), 0) from k")" "$sum"
expect_eq "DuckDB agrees on the files" \
  "$(value "select count(*) from k")" "$(( 1 + 8 * 2 ))"

# --- orphans: planted files ---
loc=$("$POND" show sales.orders --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["location"])')
mkdir -p "$loc/data/0dead" "$loc/data/0empty" "$loc/data/0young"
echo junk > "$loc/data/0dead/00000-0-x.parquet"
echo junk > "$loc/metadata/snap-1-1-x.avro"
echo junk > "$loc/metadata/00099-x.metadata.json"
echo junk > "$loc/stray.txt"
echo junk > "$loc/data/0young/00000-0-y.parquet"
touch -d "2020-01-01" "$loc/data/0dead/00000-0-x.parquet" "$loc/metadata/snap-1-1-x.avro" \
  "$loc/metadata/00099-x.metadata.json" "$loc/stray.txt" "$loc/data/0empty"
# another table's files, in a folder of their own under this one
mkdir -p "$loc/nested/metadata" && echo '{}' > "$loc/nested/metadata/00000-n.metadata.json"
touch -d "2020-01-01" "$loc/nested/metadata/00000-n.metadata.json"
expect_exit "orphans lists" 0 "$POND" orphans sales.orders
expect_contains "the planted data file" "$OUT" "data/0dead/00000-0-x.parquet"
expect_contains "the planted list" "$OUT" "snap-1-1-x.avro"
expect_contains "summary" "$OUT" "sales.orders: 4 orphan files"
expect_contains "young left alone" "$OUT" "1 newer unreferenced file left alone"
case "$OUT" in *nested*|*0young*) fail "orphans lists only true orphans" "$OUT" ;; *) pass "orphans lists only true orphans" ;; esac
expect_exit "orphans --delete" 0 "$POND" orphans sales.orders --delete
check "planted data file gone" test ! -e "$loc/data/0dead/00000-0-x.parquet"
check "empty write folder gone" test ! -e "$loc/data/0empty"
check "young file kept" test -e "$loc/data/0young/00000-0-y.parquet"
check "other table's file kept" test -e "$loc/nested/metadata/00000-n.metadata.json"
expect_eq "rows after orphans" "$(value "select count(*)::varchar || ' ' || sum(id)::varchar from sales.orders")" "$rows"
expect_exit "orphans --older-than 0s takes the young one too" 0 "$POND" orphans sales.orders --older-than 0s --delete
check "young file gone with a zero window" test ! -e "$loc/data/0young/00000-0-y.parquet"
expect_eq "rows still the same" "$(value "select count(*)::varchar || ' ' || sum(id)::varchar from sales.orders")" "$rows"

# --- maintain by pond.yml's policy ---
cat >> pond.yml <<'YML'
maintenance:
  expire:
    older_than: 1d
    retain_last: 2
  orphans:
    older_than: 3d
YML
echo junk > "$loc/stray2.txt"; touch -d "2020-01-01" "$loc/stray2.txt"
inserts sales.orders "13,'n13'" "14,'n14'" "15,'n15'"
expect_exit "maintain" 0 env POND_NOW="$FUTURE" "$POND" maintain
expect_contains "per table before and after" "$OUT" "sales.orders: "
expect_contains "arrow" "$OUT" " -> "
expect_contains "total" "$OUT" "total: 2 tables"
check "maintain removed the orphan" test ! -e "$loc/stray2.txt"
expect_eq "retain_last from pond.yml" "$(snaps sales.orders)" "2"
expect_exit "maintain --json" 0 "$POND" maintain sales.orders --json
expect_contains "json" "$OUT" '"table":"sales.orders"'
printf 'maintenance:\n  expire:\n    keep: 2\n' > bad.yml
sed -i '/^maintenance:/,$d' pond.yml; cat bad.yml >> pond.yml
expect_exit "a bad policy key fails" 1 "$POND" maintain
expect_contains "names pond.yml and the key" "$ERR" 'unknown key "keep"'
sed -i '/^maintenance:/,$d' pond.yml

# --- maintain flushes the row buffer and compacts small files ---
"$POND" sql "create table b.buffered (id int)" > /dev/null 2>&1
inserts b.buffered 1 2 3
"$POND" sql "create table b.small (id int)" > /dev/null 2>&1
nobuffer b.small
inserts b.small 1 2 3 4 5 6
expect_contains "three rows wait in the buffer" "$("$POND" tables b)" "(3 buffered: pond flush)"
expect_exit "maintain the b tables" 0 "$POND" maintain b.buffered
expect_contains "it flushed them" "$OUT" "flushed 3 rows"
expect_contains "nothing buffered after" "$("$POND" flush)" "no table has buffered rows"
expect_exit "maintain the small files" 0 "$POND" maintain b.small --json
expect_eq "six files compacted into one" "$(echo "$OUT" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d = d[0] if isinstance(d, list) else d; print(d["compacted_files"], d["compact_added_files"])')" "6 1"
expect_eq "the rows are all there" "$(value "select count(*)::varchar || ' ' || sum(id)::varchar from b.small")" "6 21"

# --- commits expire by themselves past the high-water mark ---
"$POND" sql "create table h as select 0 as id" > /dev/null 2>&1
nobuffer h
"$POND" sql "alter table h set tblproperties ('pond.history.max-snapshots' = '4')" > /dev/null 2>&1
inserts h $(seq 1 10)
n=$(snaps main.h)
[ "$n" -le 5 ] && pass "snapshots stay under the high-water mark ($n)" || fail "snapshots stay under the high-water mark" "$n"
expect_eq "all rows" "$(value "select sum(id) from h")" "55"

# --- four writers at once while their commits expire snapshots ---
"$POND" sql "create table race as select 0 as writer, 0 as i where false" > /dev/null 2>&1
nobuffer race
"$POND" sql "alter table race set tblproperties ('pond.history.max-snapshots' = '6')" > /dev/null 2>&1
for w in 1 2 3 4; do
  ( for i in $(seq 1 8); do "$POND" sql "insert into race values ($w, $i)" > /dev/null 2>> "$T/race.err" || echo "fail $w $i" >> "$T/race.fail"; done ) &
done
wait
check "no insert failed while commits expired snapshots" test ! -s "$T/race.fail"
expect_eq "every insert landed" "$(value "select count(distinct writer || '-' || i) from race")" "32"
n=$(snaps main.race)
[ "$n" -le 7 ] && pass "race table under its high-water mark ($n)" || fail "race table under its high-water mark" "$n"
expect_exit "race table: no orphans but young ones" 0 env POND_NOW="$FUTURE" "$POND" orphans main.race --older-than 0s
# Writers that lost a race removed what they wrote; expiry deleted what it
# expired: nothing is left unreferenced.
expect_contains "race left no orphans" "$OUT" "main.race: 0 orphan files"
expect_eq "rows after removing them" "$(env POND_NOW="$FUTURE" "$POND" orphans main.race --older-than 0s --delete >/dev/null 2>&1; value "select count(*) from race")" "32"

# --- maintenance as a pipeline step: scheduled runs and run history ---
cp pond.yml pond.yml.orig
python3 - <<'PY'
text = open("pond.yml").read()
step = """  upkeep:
    schedule: "0 3 * * *"
    steps:
      - maintain
      - maintain: sales.orders
        name: orders
"""
open("pond.yml", "w").write(text.replace("pipelines:\n", "pipelines:\n" + step, 1))
PY
echo junk > "$loc/stray3.txt"; touch -d "2020-01-01" "$loc/stray3.txt"
expect_exit "pond run of a maintain pipeline" 0 "$POND" run upkeep
check "the step removed the orphan" test ! -e "$loc/stray3.txt"
expect_exit "pond runs" 0 "$POND" runs upkeep
expect_contains "the run is in the history" "$OUT" "success"
run_id=$("$POND" runs upkeep --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_exit "pond logs of the maintain step" 0 "$POND" logs "$run_id" orders
expect_contains "the step's summary" "$OUT" "sales.orders: "
mv pond.yml.orig pond.yml

# --- help ---
for c in expire orphans maintain; do
  expect_exit "pond help $c" 0 "$POND" help "$c"
done

# --- the independent reader icebird reads the table after all of it ---
loc_name=$("$POND" show sales.orders --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["location"], d["metadata_file"].split("/")[-1])')
ib_count=$(node "$NODE_DIR/iceberg_read.mjs" $loc_name | wc -l)
expect_eq "icebird reads the same row count" "$ib_count" "13"
loc_name=$("$POND" show main.k --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["location"], d["metadata_file"].split("/")[-1])')
ib_sum=$(node "$NODE_DIR/iceberg_read.mjs" $loc_name | python3 -c 'import json,sys; print(sum(json.loads(l)["id"] for l in sys.stdin))')
expect_eq "icebird reads the same rows of the killed table" "$ib_sum" "$sum"

finish
