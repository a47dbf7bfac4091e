#!/usr/bin/env bash
# End-to-end: SQL models through the real binary. The markets example is
# copied, its sources ingested, built, tested, rebuilt incrementally after
# new raw rows; then small projects show a cycle, an unknown table, a
# failing test stopping what is downstream, incremental merge, selectors,
# and a changed model rebuilding only what depends on it.
. "$(dirname "$0")/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
value() { "$POND" sql --format csv "$1" | tail -n 1; }
runs() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$2"; }

# --- the markets example ---
M="$T/markets"
cp -r "$ROOT/examples/markets" "$M"
rm -rf "$M/warehouse" "$M"/catalog.db*
cd "$M" || exit 1
for s in prices tickers holdings; do check "ingest $s" "$POND" ingest "$s"; done
expect_exit "lineage" 0 "$POND" lineage
expect_contains "lineage shows the source" "$OUT" "raw.prices"
expect_contains "lineage shows the export" "$OUT" "export  monthly"
expect_exit "transform builds the example" 0 "$POND" transform
expect_contains "progress names the incremental model" "$OUT" "ok      marts.daily_returns: 100 rows"
expect_contains "the ephemeral model is inlined" "$OUT" "inline  staging.prices"
expect_contains "a warn-level test warns" "$OUT" "WARN  freshness(day, 30 days): 1 failing row"
expect_contains "and shows the failing row" "$OUT" "latest=2024-02-05"
expect_contains "summary line" "$OUT" "done: 4 ok, 0 up to date, 0 failed, 0 not run"
expect_eq "daily returns rows" "$(value "select count(*) from marts.daily_returns")" "100"
expect_eq "monthly performance rows" "$(value "select count(*) from marts.monthly_performance")" "10"
expect_eq "the view is queryable in pond sql" "$(value "select count(*) from marts.latest_prices")" "4"
expect_eq "the watermark is in the snapshot summary" \
  "$("$POND" show marts.daily_returns --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["snapshots"][-1]["summary"].get("pond.model.watermark"))' 2>/dev/null)" "2024-02-05"
expect_eq "model runs recorded" "$(runs catalog.db "select count(*) from pond_model_runs where status = 'ok'")" "3"
expect_eq "test results recorded" "$(runs catalog.db "select count(*) from pond_test_results")" "11"
expect_exit "pond test" 0 "$POND" test
expect_contains "pond test runs the custom test" "$OUT" "tests/holdings_have_prices.sql"
expect_exit "second transform" 0 "$POND" transform
expect_contains "nothing changed: all up to date" "$OUT" "done: 1 ok, 3 up to date"

# New raw rows: one more week for every ticker.
check "append raw rows" "$POND" sql "insert into raw.prices select ticker, day + 7, close * 1.01, volume from raw.prices where day >= date '2024-02-01'"
expect_exit "incremental transform" 0 "$POND" transform --json
expect_eq "only the new days were processed" \
  "$(python3 -c 'import json,sys; print([m["rows"] for m in json.loads(sys.argv[1])["models"] if m["model"]=="marts.daily_returns"][0])' "$OUT")" "12"
expect_eq "daily returns now" "$(value "select count(*) from marts.daily_returns")" "112"
expect_eq "no duplicate days" "$(value "select count(*) - count(distinct (ticker, day)) from marts.daily_returns")" "0"
expect_eq "first new return uses the previous close" \
  "$(value "select round(ret, 6) = round(1.01 * 0 + (select close from raw.prices where ticker='AAPL' and day = date '2024-02-08') / (select close from raw.prices where ticker='AAPL' and day = date '2024-02-05') - 1, 6) from marts.daily_returns where ticker='AAPL' and day = date '2024-02-08'")" "true"
expect_eq "the view sees the new days" "$(value "select max(day) from marts.latest_prices")" "2024-02-12"
expect_eq "table model history kept (overwrite)" \
  "$("$POND" history marts.monthly_performance --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "2"
expect_exit "full refresh" 0 "$POND" transform --full-refresh --select marts.daily_returns
expect_contains "full refresh rebuilds everything" "$OUT" "112 rows"

# --- small projects ---
new_project() {
  local dir="$T/$1"
  "$POND" init --bare "$dir" >/dev/null && cd "$dir" && mkdir -p models/m tests &&
    "$POND" sql "create table raw.t as select range as id, range % 3 as grp from range(10)" 2>/dev/null
}

new_project cycle
printf 'select * from m.b\n' > models/m/a.sql
printf -- '-- a comment\nselect * from m.a\n' > models/m/b.sql
expect_exit "a cycle fails" 1 "$POND" transform
expect_contains "the cycle names both files" "$ERR" "cycle: models/m/b.sql -> models/m/a.sql -> models/m/b.sql"

new_project unknown
printf -- '-- materialized: table\nselect *\nfrom raw.nope\n' > models/m/a.sql
expect_exit "an unknown table fails" 1 "$POND" transform
expect_contains "the error names file and line" "$ERR" "models/m/a.sql:3: unknown table raw.nope"
printf -- '-- materialised: table\nselect 1\n' > models/m/a.sql
expect_exit "a misspelt setting fails" 1 "$POND" transform
expect_contains "the misspelling is named" "$ERR" 'models/m/a.sql:1: unknown setting "materialised" (did you mean "materialized"?)'

new_project failing
printf -- '-- tests: not_null(grp2), row_count(>= 1)\nselect id, case when id < 7 then grp end as grp2 from raw.t\n' > models/m/base.sql
printf 'select * from m.base\n' > models/m/down.sql
printf 'select count(*) as n from m.down\n' > models/m/further.sql
printf 'select 1 as x\n' > models/m/other.sql
expect_exit "a failing test fails the run" 1 "$POND" transform --threads 2
expect_contains "the failing rows are counted" "$OUT" "FAIL  not_null(grp2): 3 failing rows"
expect_contains "the first failing row is shown" "$OUT" "id=7, grp2=NULL"
expect_contains "downstream is not run" "$OUT" "not run m.down: upstream m.base failed"
expect_contains "and further downstream" "$OUT" "not run m.further: upstream m.down failed"
expect_contains "unrelated models still run" "$OUT" "ok      m.other"
check "down was not built" test "$(value "select count(*) from information_schema.tables where table_name = 'down'")" = "0"
printf -- '-- tests: not_null(grp2) severity: warn\nselect id, case when id < 7 then grp end as grp2 from raw.t\n' > models/m/base.sql
expect_exit "severity warn lets downstream run" 0 "$POND" transform
expect_contains "downstream runs" "$OUT" "ok      m.further"

# Incremental merge on a key, without a watermark: every run upserts.
new_project merge
printf -- '-- materialized: incremental\n-- unique_key: id\nselect id, grp * 10 as v from raw.t\n' > models/m/inc.sql
expect_exit "merge model first build" 0 "$POND" transform
expect_eq "merge built" "$(value "select count(*) || '/' || sum(v) from m.inc")" "10/90"
check "change raw rows" "$POND" sql "update raw.t set grp = 5 where id < 2; insert into raw.t values (10, 1)"
expect_exit "merge model incremental run" 0 "$POND" transform
expect_eq "changed rows replaced, new row added" "$(value "select count(*) || '/' || sum(v) from m.inc")" "11/190"
# Append with a watermark: only rows past it.
printf -- '-- materialized: incremental\n-- incremental: append\n-- watermark: id\nselect id, grp from raw.t\n' > models/m/app.sql
expect_exit "append model first build" 0 "$POND" transform --select m.app
check "more raw rows" "$POND" sql "insert into raw.t values (11, 2), (12, 0)"
expect_exit "append model increment" 0 "$POND" transform --select app --json
expect_eq "append took only the new rows" \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["models"][0]["rows"])' "$OUT")" "2"
expect_eq "append total" "$(value "select count(*) from m.app")" "13"

# Selectors and a changed model: only it and what reads it run again.
new_project select
printf -- '-- tags: nightly\nselect id, grp from raw.t\n' > models/m/a.sql
printf 'select grp, count(*) as n from m.a group by grp\n' > models/m/b.sql
printf 'select sum(n) as total from m.b\n' > models/m/c.sql
printf -- '-- materialized: view\nselect * from m.a where id > 5\n' > models/m/v.sql
mkdir -p models/other && printf 'select 42 as answer\n' > models/other/d.sql
plan() { "$POND" transform --dry-run "$@" 2>/dev/null | awk '{print $2}' | tr '\n' ' '; }
expect_eq "all, in order" "$(plan)" "m.a other.d m.b m.v m.c "
expect_eq "one model" "$(plan --select m.b)" "m.b "
expect_eq "ancestors" "$(plan --select +c)" "m.a m.b m.c "
expect_eq "descendants" "$(plan --select b+)" "m.b m.c "
expect_eq "tag" "$(plan --select tag:nightly)" "m.a "
expect_eq "path" "$(plan --select path:other/)" "other.d "
expect_eq "union of selectors" "$(plan --select m.c other.d)" "other.d m.c "
expect_eq "intersection" "$(plan --select 'a+,tag:nightly')" "m.a "
expect_eq "exclude" "$(plan --exclude m.b+)" "m.a other.d m.v "
expect_exit "a selector matching nothing" 2 "$POND" transform --select nope
expect_contains "is named" "$ERR" 'selector "nope" matches no model'
expect_exit "build all" 0 "$POND" transform
expect_eq "c computed" "$(value "select total from m.c")" "10"
expect_eq "nothing modified" "$(plan --select state:modified+)" ""
printf 'select grp, count(*) * 2 as n from m.a group by grp\n' > models/m/b.sql
expect_eq "state:modified+ is b and c" "$(plan --select state:modified+)" "m.b m.c "
expect_exit "rebuild after a change" 0 "$POND" transform
expect_contains "a is up to date" "$OUT" "skip    m.a: up to date"
expect_contains "b rebuilt" "$OUT" "ok      m.b"
expect_contains "c rebuilt (its input changed)" "$OUT" "ok      m.c"
expect_contains "d up to date" "$OUT" "skip    other.d: up to date"
expect_eq "c sees the change" "$(value "select total from m.c")" "20"
expect_exit "force" 0 "$POND" transform --force --select other.d
expect_contains "force builds an up-to-date model" "$OUT" "ok      other.d"
expect_exit "lineage json" 0 "$POND" lineage m.b --format json
expect_eq "lineage of b: a, b, c" \
  "$(python3 -c 'import json,sys; print(" ".join(sorted(n["name"] for n in json.loads(sys.argv[1])["nodes"])))' "$OUT")" "m.a m.b m.c raw.t"

finish
