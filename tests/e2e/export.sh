#!/usr/bin/env bash
# End-to-end: pond export through the real binary. A temp project with
# tables made by pond sql; exports/NAME.yml run by name (Excel with two
# sheets, formats and a chart, read back by openpyxl; CSV with a date in
# its path); one-off exports of a query to every format, read back by pond
# sql; files outside a project; errors with line numbers and exit codes;
# Excel's row limit; a query failing on a late row and a SIGTERM mid-write
# leave no file and no temporary file.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
DUMP="$(cd "$(dirname "$0")/../unit/export" && pwd)/xlsx_dump.py"
P="$T/proj"
expect_exit "pond init" 0 "$POND" init --bare "$P"
cd "$P" || exit 1
csv() { "$POND" sql --format csv "$1"; }

expect_exit "create tables" 0 "$POND" sql "
  create table marts.prices as select date '2024-01-01' + range::int as day, 'ACME' as ticker,
    (100 + range * 1.25)::double as close, range::bigint * 1000 as volume from range(30);
  create table marts.holdings as select 'ACME' as ticker, 10 as qty, true as active
    union all select 'INIT', null, false"

# --- an Excel export by name -------------------------------------------------------------
mkdir -p exports
cat > exports/report.yml <<'YML'
format: xlsx
path: out/report-{date}.xlsx
sheets:
  - name: Prices
    sql: select * from marts.prices order by day
    columns: {close: {format: "#,##0.00"}, day: {format: "dd/mm/yyyy"}}
    chart: {type: line, x: day, y: [close], title: Close}
  - name: Holdings
    table: marts.holdings
YML
expect_exit "pond export NAME" 0 "$POND" export report --date 2024-01-31
expect_contains "reports rows per sheet" "$OUT" "sheet Prices: 30 rows"
expect_contains "reports the holdings sheet" "$OUT" "sheet Holdings: 2 rows"
check "the date is in the file name" test -s out/report-2024-01-31.xlsx
expect_exit "today by default" 0 "$POND" export report -q
check "today's file" test -s "out/report-$(date +%F).xlsx"
expect_eq "quiet prints nothing" "$OUT" ""

check "openpyxl reads the workbook" $PY - "$DUMP" out/report-2024-01-31.xlsx <<'PY'
import json, subprocess, sys
d = json.loads(subprocess.check_output(["/usr/bin/python3", sys.argv[1], sys.argv[2]]))
p, h = d["sheets"]
assert [s["name"] for s in d["sheets"]] == ["Prices", "Holdings"], d
assert [c["v"] for c in p["rows"][0]] == ["day", "ticker", "close", "volume"]
assert all(c["bold"] for c in p["rows"][0])
assert p["freeze"] == "A2" and p["autofilter"] == "A1:D31", (p["freeze"], p["autofilter"])
assert len(p["rows"]) == 31
day, ticker, close, volume = p["rows"][2]
assert day["t"] == "d" and day["v"] == "2024-01-02 00:00:00" and day["f"] == "dd/mm/yyyy", day
assert ticker == {"t": "s", "v": "ACME", "f": "General", "bold": False}, ticker
assert close["t"] == "n" and close["v"] == 101.25 and close["f"] == "#,##0.00", close
assert volume["t"] == "n" and volume["v"] == 1000, volume
assert all(w >= 6 for w in p["widths"].values()) and len(p["widths"]) == 4, p["widths"]
assert p["charts"] == [{"type": "line", "series": 1}], p["charts"]
assert h["charts"] == []
assert [c and c["v"] for c in h["rows"][1]] == ["ACME", 10, True], h["rows"][1]
assert h["rows"][2][1] is None and h["rows"][2][2]["t"] == "b" and h["rows"][2][2]["v"] is False, h["rows"][2]
PY

if command -v soffice >/dev/null 2>&1; then
  check "libreoffice converts the workbook" soffice --headless --convert-to csv --outdir "$T/lo" out/report-2024-01-31.xlsx
  expect_eq "libreoffice sees the first row" "$(sed -n 2p "$T/lo/report-2024-01-31.csv")" "01/01/2024,ACME,100.00,0"
fi

# --- a CSV export by name, with a templated folder ----------------------------------------
cat > exports/daily.yml <<'YML'
path: out/{yyyy}/{mm}/prices-{dd}.csv
sql: select day, close from marts.prices where day < date '2024-01-04' order by day
YML
expect_exit "csv export by name" 0 "$POND" export daily --date 2024-02-09 --report-json
check "report is json with the rows" $PY -c 'import json,sys; r = json.loads(sys.argv[1]); assert r["rows"] == 3 and r["format"] == "csv", r' "$OUT"
expect_eq "csv contents" "$(cat out/2024/02/prices-09.csv)" "$(printf 'day,close\n2024-01-01,100.0\n2024-01-02,101.25\n2024-01-03,102.5')"
expect_exit "pond export lists exports" 0 "$POND" export
expect_contains "list names report" "$OUT" "report"
expect_contains "list names daily's path" "$OUT" "out/{yyyy}/{mm}/prices-{dd}.csv"

# --- one-off exports round-trip through pond sql -------------------------------------------
Q="select * from marts.prices order by day"
want=$(csv "$Q")
for f in csv json ndjson parquet; do
  case $f in csv) r=read_csv ;; json|ndjson) r=read_json ;; parquet) r=read_parquet ;; esac
  expect_exit "one-off --$f" 0 "$POND" export "$Q" --$f "one/p.$f"
  expect_contains "one-off --$f reports rows" "$OUT" "wrote 30 rows"
  expect_eq "$f round-trips" "$(csv "select day::date as day, ticker, close, volume from $r('one/p.$f') order by day")" "$want"
done
expect_eq "export --json is pond sql's json" "$(cat one/p.json)" "$("$POND" sql --format json "$Q")"
expect_eq "export --csv is pond sql's csv" "$(cat one/p.csv)" "$want"

expect_exit "one-off --xlsx" 0 "$POND" export "select ticker, qty from marts.holdings order by ticker" --xlsx one/h.xlsx --sheet Holdings
check "one-off workbook reads back" $PY - "$DUMP" one/h.xlsx <<'PY'
import json, subprocess, sys
d = json.loads(subprocess.check_output(["/usr/bin/python3", sys.argv[1], sys.argv[2]]))
s = d["sheets"][0]
assert s["name"] == "Holdings" and s["autofilter"] == "A1:B3", s
assert [[c and c["v"] for c in r] for r in s["rows"]] == [["ticker", "qty"], ["ACME", 10], ["INIT", None]], s["rows"]
PY

# --- outside a project: files only ------------------------------------------------------------
mkdir -p "$T/plain"
printf 'a,b\n1,x\n2,y\n' > "$T/plain/in.csv"
expect_exit "export outside a project" 0 bash -c "cd '$T/plain' && '$POND' export \"select a * 10 as a, b from 'in.csv'\" --ndjson out.ndjson"
expect_eq "ndjson lines" "$(cat "$T/plain/out.ndjson")" "$(printf '{"a":10,"b":"x"}\n{"a":20,"b":"y"}')"

# --- statements DuckDB expands into several (a PIVOT without IN) work as in DuckDB ---
printf 'symbol,price,day\nA,1,1\nB,2,1\nA,3,2\n' > "$T/plain/f.csv"
expect_exit "pivot export" 0 bash -c "cd '$T/plain' && '$POND' export \"pivot 'f.csv' on symbol using first(price) group by day order by day\" --csv pivot.csv"
expect_eq "pivot export rows" "$(cat "$T/plain/pivot.csv")" "$(printf 'day,A,B\n1,1,2\n2,3,')"
expect_exit "pivot export in a project" 0 "$POND" export "pivot (select * from '$T/plain/f.csv') on symbol using first(price) group by day order by day" --csv one/pivot.csv
expect_eq "pivot export rows in a project" "$(cat one/pivot.csv)" "$(printf 'day,A,B\n1,1,2\n2,3,')"

# --- errors and exit codes ----------------------------------------------------------------------
printf 'format: xlsx\npath: out/x.xlsx\nsheets:\n  - name: A\n    sql: select 1\n    colums: {}\n' > exports/bad.yml
expect_exit "unknown key fails" 1 "$POND" export bad
expect_contains "error names file and line" "$ERR" "exports/bad.yml:6"
expect_contains "error names the key" "$ERR" "colums"
printf 'path: out/y.xlsx\nsql: select 1 as a\ncolumns:\n  b: {format: "0.0"}\n' > exports/badcol.yml
expect_exit "unknown column fails" 1 "$POND" export badcol
expect_contains "column error names the line" "$ERR" "exports/badcol.yml:4: sheet badcol has no column \"b\""
printf 'path: out/z.csv\nsql: select * from marts.nope\n' > exports/badsql.yml
expect_exit "bad query fails" 1 "$POND" export badsql
expect_contains "query error names the file and line" "$ERR" "exports/badsql.yml:2: "
expect_exit "missing export" 1 "$POND" export nothing
expect_contains "missing export named" "$ERR" "exports/nothing.yml does not exist"
expect_exit "query without a file is usage" 2 "$POND" export "select 1"
expect_exit "two formats is usage" 2 "$POND" export "select 1" --csv a.csv --xlsx a.xlsx
expect_exit "unknown option is usage" 2 "$POND" export report --nope
expect_exit "bad date is usage" 2 "$POND" export report --date 31/01/2024
expect_exit "write statements are refused" 1 "$POND" export "delete from marts.prices" --csv d.csv
expect_eq "table unchanged" "$(csv "select count(*) from marts.prices" | tail -n 1)" "30"
check "no out/x.xlsx after failures" test ! -e out/x.xlsx

# --- nothing half-written ------------------------------------------------------------------------
expect_exit "excel row limit" 1 "$POND" export "select range::int as n from range(1048576)" --xlsx lim/big.xlsx --sheet Big
expect_contains "row limit names the sheet" "$ERR" "sheet Big has more than 1048575 rows"
expect_eq "no file past the row limit" "$(ls -A lim)" ""
BAD="select range as id, cast(case when range < 190000 then '1' else 'x' end as int) as v from range(200000)"
for f in xlsx csv parquet; do
  expect_exit "late failure --$f" 1 "$POND" export "$BAD" --$f fail/late.$f
  expect_eq "late failure --$f leaves nothing" "$(ls -A fail)" ""
done
echo "old" > fail/keep.csv
expect_exit "late failure over an old file" 1 "$POND" export "$BAD" --csv fail/keep.csv
expect_eq "old file kept" "$(cat fail/keep.csv)" "old"

mkdir -p term
"$POND" export "select range as id, md5(range::varchar) as h from range(20000000)" --csv term/long.csv 2>"$T/term.err" &
pid=$!
# SIGTERM once the export is writing (its temporary file is there), not
# after a guessed delay
export_started() { [ -n "$(ls -A term)" ]; }
wait_for export_started
kill -TERM $pid
wait $pid
expect_eq "SIGTERM fails the export" "$?" "1"
expect_contains "SIGTERM says nothing was written" "$(cat "$T/term.err")" "canceled"
expect_eq "SIGTERM leaves nothing" "$(ls -A term)" ""

finish
