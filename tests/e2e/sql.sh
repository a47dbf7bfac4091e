#!/usr/bin/env bash
# End-to-end: `pond sql` one-shot, formats, errors and exit codes, files
# DuckDB reads, and the interactive shell on a pseudo-terminal.
. "$(dirname "$0")/lib.sh"

# --- the issue's examples ---
expect_exit "answer as csv exits 0" 0 "$POND" sql "select 42 as answer" --format csv
expect_eq "answer as csv prints header and value" "$OUT" "answer
42"

expect_exit "unknown table exits 1" 1 "$POND" sql "select * from nope"
expect_eq "unknown table error is one stderr line" "$(echo "$ERR" | wc -l)" "1"
expect_contains "unknown table error names the table" "$ERR" "Table with name nope does not exist"
expect_contains "unknown table error has the position" "$ERR" "(line 1, column 15)"
expect_eq "nothing on stdout after an error" "$OUT" ""

expect_exit "bogus format exits 2" 2 "$POND" sql --format bogus "select 1"
expect_contains "bogus format says why" "$ERR" 'unknown format "bogus"'
expect_exit "unknown option exits 2" 2 "$POND" sql --nope "select 1"
expect_exit "two queries exit 2" 2 "$POND" sql "select 1" "select 2"
expect_exit "unknown command exits 2" 2 "$POND" frobnicate
expect_contains "unknown command named" "$ERR" 'unknown command "frobnicate"'

# --- a 1M-row CSV generated here ---
seq 1 1000000 | awk 'BEGIN { print "id,grp,amount" } { printf "%d,g%d,%d.%02d\n", $1, $1 % 7, $1 % 1000, $1 % 100 }' > "$T/big.csv"
want_sum=$(awk -F, 'NR > 1 { s += $3 } END { printf "%.2f", s }' "$T/big.csv")
expect_exit "count over 1M-row csv" 0 "$POND" sql "select count(*) from '$T/big.csv'"
expect_eq "count is 1000000" "$(echo "$OUT" | tail -n 1)" "1000000"
expect_exit "sum over 1M-row csv" 0 "$POND" sql "select sum(amount)::decimal(18,2) as s from '$T/big.csv'"
expect_eq "sum matches awk" "$(echo "$OUT" | tail -n 1)" "$want_sum"
expect_exit "group by over csv" 0 "$POND" sql "select grp, count(*) from '$T/big.csv' group by grp order by grp" --format csv
expect_eq "group counts" "$(echo "$OUT" | sed -n 2p)" "g0,142857"

# --- formats ---
q="select 1 as a, 'x,y' as b, null as c union all select 2, 'q\"uote', 3 order by a"
expect_exit "csv" 0 "$POND" sql "$q" --format csv
expect_eq "csv quoting and null" "$OUT" 'a,b,c
1,"x,y",
2,"q""uote",3'
expect_exit "tsv is the piped default" 0 "$POND" sql "$q"
expect_eq "tsv output" "$OUT" "$(printf 'a\tb\tc\n1\tx,y\t\n2\tq"uote\t3')"
expect_exit "json" 0 "$POND" sql "$q" --format json
check "json parses and has the rows" node -e '
  const rows = JSON.parse(process.argv[1]);
  if (rows.length !== 2 || rows[0].a !== 1 || rows[0].c !== null || rows[1].b !== "q\"uote") process.exit(1);' "$OUT"
expect_exit "ndjson" 0 "$POND" sql "$q" --format ndjson
expect_eq "ndjson lines" "$OUT" '{"a":1,"b":"x,y","c":null}
{"a":2,"b":"q\"uote","c":3}'
expect_exit "empty json result" 0 "$POND" sql "select 1 as a where false" --format json
expect_eq "empty json is []" "$OUT" "[]"
expect_exit "markdown" 0 "$POND" sql "select 1 as n, 'a|b' as s" --format markdown
expect_eq "markdown table" "$OUT" '| n | s |
|---:|---|
| 1 | a\|b |'
expect_exit "table format forced" 0 "$POND" sql "select 42 as answer, null as nothing" --format table
expect_contains "table has a box" "$OUT" "│ answer  │ nothing │"
expect_contains "table shows NULL" "$OUT" "NULL"
expect_contains "table footer counts rows" "$OUT" "1 row, 2 columns"
expect_exit "long table elides the middle" 0 "$POND" sql "select * from range(1000)" --format table
expect_contains "elided footer" "$OUT" "1000 rows (40 shown)"
expect_contains "last row shown" "$OUT" "999"

expect_exit "--output writes a file" 0 "$POND" sql "select 7 as seven" --format csv --output "$T/out.csv"
expect_eq "output file contents" "$(cat "$T/out.csv")" "seven
7"
expect_exit "--output to a bad path fails" 1 "$POND" sql "select 1" --output "$T/no/such/dir/x.csv"
expect_contains "bad output path named" "$ERR" "$T/no/such/dir/x.csv"

# --- scripts, stdin, files DuckDB reads ---
expect_exit "multi-statement script" 0 "$POND" sql "create table t as select range as i from range(10); select sum(i) from t"
expect_eq "script result" "$(echo "$OUT" | tail -n 1)" "45"
OUT=$(echo "select 'from stdin' as s;" | "$POND" sql --format csv)
expect_eq "statements from stdin" "$OUT" "s
from stdin"
echo "select 3 * 3 as nine;" > "$T/q.sql"
expect_exit "--file" 0 "$POND" sql --file "$T/q.sql" --format csv
expect_eq "--file result" "$OUT" "nine
9"
expect_exit "write parquet and json" 0 "$POND" sql "copy (select range as i, range * 2 as j from range(100)) to '$T/x.parquet' (format parquet); copy (select 1 as a, [1,2] as l) to '$T/x.json' (format json)"
expect_exit "read parquet" 0 "$POND" sql "select sum(j) from '$T/x.parquet'"
expect_eq "parquet sum" "$(echo "$OUT" | tail -n 1)" "9900"
expect_exit "read json" 0 "$POND" sql "select l from '$T/x.json'" --format csv
expect_eq "json list" "$(echo "$OUT" | tail -n 1)" '"[1, 2]"'
expect_exit "a later statement's error exits 1" 1 "$POND" sql "select 1; select * from nope2"
expect_contains "error names nope2" "$ERR" "nope2"

# --- catalog tables answer as DuckDB does on the same rows (issue 11) ---
"$POND" init "$T/lake" --bare >/dev/null
# same_as_duckdb NAME TABLE PREDICATE: count(*) where PREDICATE over the
# pond table and over a native DuckDB copy of its rows.
same_as_duckdb() {
  local got want
  got=$(cd "$T/lake" && "$POND" sql "select count(*) from $2 where $3" --format csv 2>&1 | tail -n 1)
  want=$(cd "$T/lake" && "$POND" sql "create temp table native as select * from $2; select count(*) from native where $3" --format csv 2>&1 | tail -n 1)
  expect_eq "$1" "$got" "$want"
}
(cd "$T/lake" && "$POND" sql "create table t.a (k varchar, v int, d double, m decimal(10,2))" &&
  "$POND" sql "alter table t.a add partition field k" &&
  "$POND" sql "insert into t.a values ('x',1,2.25,1.50),('y',null,225.0,150.00)") >/dev/null 2>&1
same_as_duckdb "double literal keeps its scale" t.a "d = 2.25"
same_as_duckdb "decimal literal keeps its scale" t.a "m = 1.50"
same_as_duckdb "double range" t.a "d > 2.0 and d < 3.0"
same_as_duckdb "is not null is not is null" t.a "v is not null"
expect_eq "d = 2.25 finds its row" "$(cd "$T/lake" && "$POND" sql "select k from t.a where d = 2.25" --format csv | tail -n 1)" "x"
(cd "$T/lake" && "$POND" sql "create table t.kids as select range::int id, case when range % 2 = 0 then [range] end kids from range(4)") >/dev/null 2>&1
same_as_duckdb "a null check on a list column is left to DuckDB" t.kids "kids is not null"
# A struct column added later is NULL in the files written before it;
# a filter on one of its fields must not reach DuckDB's scan (it fails
# there with "StructValue::GetChildren on a NULL value").
(cd "$T/lake" && "$POND" sql "create table t.s (id bigint)" && "$POND" sql "insert into t.s values (1)" &&
  "$POND" sql "alter table t.s add column c struct(a integer, b varchar)" &&
  "$POND" sql "insert into t.s values (2, null), (3, {'a': 3, 'b': 'x'})") >/dev/null 2>&1
same_as_duckdb "a filter on a field of a struct added later" t.s "c.a = 3"
same_as_duckdb "a null filter on a field of a struct added later" t.s "c.b is null"

# a PIVOT without IN is several statements to DuckDB (issue 11 item 7)
printf 'symbol,price,day\nA,1,1\nB,2,1\nA,3,2\n' > "$T/f.csv"
pivot="pivot (select * from '$T/f.csv') on symbol using first(price) group by day order by day"
expect_exit "pivot over a file" 0 "$POND" sql "$pivot" --format csv
expect_eq "pivot rows" "$OUT" "$(printf 'day,A,B\n1,1,2\n2,3,')"
expect_exit "pivot over a file in a project" 0 bash -c "cd '$T/lake' && '$POND' sql \"$pivot\" --format csv"
expect_eq "pivot rows in a project" "$OUT" "$(printf 'day,A,B\n1,1,2\n2,3,')"
expect_exit "create table as pivot" 0 bash -c "cd '$T/lake' && '$POND' sql \"create table t.pv as $pivot\" && '$POND' sql 'select count(*) from t.pv' --format csv"
expect_eq "the pivoted table" "$(echo "$OUT" | tail -n 1)" "2"

# --- help and version ---
expect_exit "--version" 0 "$POND" --version
expect_contains "version names DuckDB" "$OUT" "DuckDB v1.4.4"
expect_exit "help sql" 0 "$POND" help sql
expect_contains "help sql shows usage" "$OUT" "usage: pond sql"
expect_exit "sql --help" 0 "$POND" sql --help
expect_contains "sql --help shows formats" "$OUT" "ndjson"
expect_exit "--help lists commands" 0 "$POND" --help
expect_contains "--help lists sql" "$OUT" "sql "

# --- the interactive shell on a pseudo-terminal ---
shell_out=$( (printf 'select 40 +\n  2 as multi;\n.mode csv\nselect 5 as after_mode;\n.timer on\nselect 1;\n.tables\n.bogus\n.quit\n') \
  | HOME="$T" script -qec "$POND sql" /dev/null 2>&1)
expect_contains "shell joins lines until ;" "$shell_out" "42"
expect_contains "shell .mode csv" "$shell_out" "after_mode"
expect_contains "shell .timer" "$shell_out" "run time:"
expect_contains "shell unknown dot-command" "$shell_out" 'unknown command ".bogus"'
check "shell wrote history" test -s "$T/.pond_history"

wide_out=$( (printf "select repeat('x', 300) as wide, 42 as n;\n.quit\n") \
  | HOME="$T" script -qec "stty cols 60; $POND sql" /dev/null 2>&1)
expect_contains "terminal table truncates wide columns" "$wide_out" "xxx…"
check "terminal table fits 60 columns" python3 -c '
import sys
rows = [l for l in sys.argv[1].split("\n") if "42 \u2502" in l]
sys.exit(0 if rows and all(len(l) <= 60 for l in rows) else 1)' "$(echo "$wide_out" | tr -d '\r')"

# Ctrl-C is sent once the progress bar shows the query running (no sleep:
# the driver waits for the output), then the shell must take a new query.
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cancel_out=$(HOME="$T" python3 "$ROOT/tests/pty_session.py" 120 \
  'send:select count(*) from range(100000000000) where range % 7 = 1;\n' 'expect:\[[#.]{40}\]' \
  'send:\x03' 'expect:query canceled' 'send:select 99 as still_here;\n' 'expect:still_here' 'send:.quit\n' \
  -- "$POND" sql 2>&1)
expect_contains "Ctrl-C cancels the query" "$cancel_out" "query canceled"
expect_contains "shell keeps running after Ctrl-C" "$cancel_out" "still_here"
# The bar itself ("[####....]"): the echoed query contains a % of its own.
check "progress bar after a second" bash -c 'echo "$1" | grep -Eq "\[[#.]{40}\]"' _ "$cancel_out"

# SHOW TABLES and .tables list the project's catalog tables, which DuckDB
# itself only sees once a query names them.
SHOWP="$T/showproj"
"$POND" init --bare "$SHOWP" > /dev/null 2>&1
(cd "$SHOWP" && "$POND" sql "create table s.listed as select 1 as x" > /dev/null 2>&1)
expect_eq "show tables lists catalog tables" "$(cd "$SHOWP" && "$POND" sql --format csv "show tables")" "namespace,name
s,listed"
expect_eq "show all tables too" "$(cd "$SHOWP" && "$POND" sql --format csv "SHOW ALL TABLES;")" "namespace,name
s,listed"
tables_out=$(cd "$SHOWP" && HOME="$T" python3 "$ROOT/tests/pty_session.py" 120 'send:.tables\n' 'expect:listed' \
  'send:.quit\n' -- "$POND" sql 2>&1)
expect_contains ".tables in the shell lists catalog tables" "$tables_out" "listed"

finish
