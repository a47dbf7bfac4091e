#!/usr/bin/env bash
# End-to-end: pond demo from nothing. It writes a project, runs its daily
# pipeline (ingest, models, data tests, an Excel report), and serves it.
# Checks the tables, the recorded test results, the workbook (read back by
# openpyxl, a real spreadsheet reader) and the served JSON API.
. "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
D="$T/demo"

expect_exit "pond demo --no-serve" 0 "$POND" demo "$D" --no-serve
expect_contains "the pipeline run succeeded" "$OUT" "run 1 of daily: success"
expect_contains "it says where things are" "$OUT" "Everything is in $D"
cd "$D" || exit 1
q() { "$POND" sql --format csv "$1" | tail -n 1; }

expect_eq "raw prices: ten years of 20 tickers" "$(q "select count(*) || '|' || count(distinct ticker) from raw.prices")" "52160|20"
expect_eq "daily returns: one per price" "$(q "select count(*) from markets.daily_returns")" "52160"
expect_eq "positions: ten holdings, valued" "$(q "select count(*) || '|' || count(value_chf) from markets.positions")" "10|10"
expect_eq "monthly value: 120 month ends" "$(q "select count(*) from markets.monthly_value")" "120"
expect_eq "positions agree with prices and FX" \
  "$(q "select count(*) from markets.positions p join raw.prices r on r.ticker = p.ticker and r.date = p.priced_on and r.close = p.close")" "10"
expect_eq "dividends: paid only while held" \
  "$(q "select count(*) from markets.dividend_income d join raw.holdings h using (ticker) where d.year < year(h.bought_on)")" "0"
# Model runs and test results are kept in the catalog database.
expect_eq "data test results recorded, all passing" "$(python3 -c '
import sqlite3
rows = sqlite3.connect("catalog.db").execute("select status from pond_test_results").fetchall()
print("%s|%d" % (len(rows) >= 10, sum(1 for (s,) in rows if s != "pass")))')" "True|0"
expect_exit "pond runs" 0 "$POND" runs --json
expect_eq "the run is recorded as a success" \
  "$(echo "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r), r[0]["status"])')" "1 success"

report=$(ls "$D"/out/report-*.xlsx 2>/dev/null | head -n 1)
check "the report was written" test -s "$report"
dump=$(/usr/bin/python3 "$ROOT/tests/unit/export/xlsx_dump.py" "$report")
check "workbook: three sheets, typed cells, a chart on Monthly value" python3 -c '
import json, sys
wb = {s["name"]: s for s in json.loads(sys.argv[1])["sheets"]}
assert list(wb) == ["Positions", "Monthly value", "Dividends"], list(wb)
pos = wb["Positions"]
header = [c["v"] for c in pos["rows"][0]]
assert header[0] == "ticker" and "value_chf" in header, header
assert all(c["bold"] for c in pos["rows"][0])
assert len(pos["rows"]) == 11
v = pos["rows"][1][header.index("value_chf")]
assert v["t"] == "n" and v["v"] > 0 and v["f"] == "#,##0.00", v
assert pos["rows"][1][header.index("bought_on")]["t"] == "d"
mv = wb["Monthly value"]
assert len(mv["rows"]) == 121 and len(mv["charts"]) == 1, (len(mv["rows"]), mv["charts"])
assert not pos["charts"]
assert wb["Dividends"]["rows"][1][2]["t"] == "n"
' "$dump"

# A second run reuses the project; the incremental model takes no new rows.
expect_exit "pond demo again" 0 "$POND" demo "$D" --no-serve
expect_contains "second run on the same project" "$OUT" "already holds a project"
expect_contains "second run succeeds" "$OUT" "run 2 of daily: success"
expect_eq "no duplicate returns after a rerun" "$(q "select count(*) from markets.daily_returns")" "52160"

# Served: the demo ends by serving the project.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cd "$T"
"$POND" demo "$D" --listen "127.0.0.1:$port" > "$T/serve.log" 2>&1 &
pid=$!
demo_up() { curl -sf "http://127.0.0.1:$port/api/health" > /dev/null 2>&1 || ! kill -0 "$pid" 2> /dev/null; }
# the demo reruns its pipeline before it serves: slow under the sanitizers
POND_TEST_WAIT=600 wait_for demo_up
kill -0 "$pid" 2> /dev/null || { echo "pond demo exited before serving:"; tail -n 20 "$T/serve.log"; }
health=$(curl -sf "http://127.0.0.1:$port/api/health")
expect_contains "served: health" "$health" "ok"
tables=$(curl -sf "http://127.0.0.1:$port/api/tables")
expect_contains "served: tables" "$tables" "markets.positions"
runs=$(curl -sf "http://127.0.0.1:$port/api/runs")
check "served: three successful runs" python3 -c '
import json, sys
d = json.loads(sys.argv[1]); runs = d["runs"] if isinstance(d, dict) else d
assert len(runs) == 3 and all(r["status"] == "success" for r in runs), runs' "$runs"
kill -TERM "$pid"
wait "$pid"
expect_eq "served: stops cleanly on SIGTERM" "$?" "0"

finish
