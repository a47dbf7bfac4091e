#!/usr/bin/env bash
# The web page end to end: `pond serve` on the demo project, its embedded
# assets (gzip as stored, inflated for a client without gzip, ETag
# revalidation), the page's endpoints (session, lineage, saved queries,
# run events as Server-Sent Events), the cross-site and DNS-rebinding
# refusals with curl; then Debian's Chromium driven by puppeteer-core
# (tests/node/web_browser.mjs): every page, a SQL query into the grid and
# the chart, a run started from the page followed live to success, a
# table at an older snapshot, a lineage node followed, the phone layout,
# axe-core, and, on a server with a token, the login form, the cookie and
# the CSRF check. WEB_SHOTS=DIR saves screenshots of each page there.
. "$(dirname "$0")/lib.sh"

P="$T/demo"
"$POND" demo "$P" --no-serve > "$T/demo.out" 2>&1 || { cat "$T/demo.out"; }
# A quick pipeline to run from the page, and a second snapshot of
# raw.holdings (11 rows now, 10 in the first) to open the older one.
cat >> "$P/pond.yml" <<'EOF'
  hello:
    steps:
      - shell: echo hello from pond; echo second line
        name: greet
      - shell: echo done
        name: bye
        after: [greet]
  broken:
    steps:
      - shell: echo about to fail; exit 3
        name: fail
EOF
# A run that waits for a file: its event stream is open before it starts.
cat >> "$P/pond.yml" <<EOF
  gated:
    steps:
      - shell: while [ ! -f "$T/gate" ]; do sleep 0.05; done; echo hello from the gate
        name: wait
EOF
(cd "$P" && "$POND" sql "insert into raw.holdings values ('ZZZ', 'Test', 'CHF', 1, date '2024-01-02', 1.0)" &&
  "$POND" flush) > "$T/sql.out" 2>&1 || cat "$T/sql.out"
# For the lineage page's marks: the models over raw.holdings are stale now
# (it changed after they were built), and a model that fails to build.
echo "select nope from raw.prices" > "$P/models/markets/broken.sql"
expect_exit "a model that fails to build" 1 bash -c "cd '$P' && '$POND' transform --select markets.broken"

# start_server ARGS...: pond serve on a free port; PID and URL (each
# server its own output files).
NSERVERS=0
start_server() {
  NSERVERS=$((NSERVERS + 1))
  local out="$T/serve$NSERVERS"
  (cd "$P" && exec "$POND" serve --listen 127.0.0.1:0 "$@") > "$out.out" 2> "$out.err" &
  PID=$!
  URL=
  server_up() {
    URL=$(grep -o 'http://[0-9.:]*' "$out.out" 2> /dev/null | head -n 1)
    [ -n "$URL" ] || ! kill -0 "$PID" 2> /dev/null
  }
  wait_for server_up
  [ -n "$URL" ] || { echo "server did not start:"; cat "$out.err"; }
}
stop_server() {
  kill -TERM "$PID" 2> /dev/null
  wait "$PID"
  STOP_RC=$?
}

# POND_LOG=info: the request log says what each request ended with
POND_LOG=info start_server

# ---- assets ----
curl -s -D "$T/h1" -H 'Accept-Encoding: gzip' -o "$T/app.js.gz" "$URL/assets/app.js"
expect_contains "app.js is sent gzip-compressed" "$(tr -d '\r' < "$T/h1")" "Content-Encoding: gzip"
check "the gzip body inflates to JavaScript" bash -c "gzip -dc '$T/app.js.gz' | head -c 200 | grep -q ."
curl -s -o "$T/app.js" "$URL/assets/app.js"
check "without Accept-Encoding the same file comes inflated" cmp -s "$T/app.js" <(gzip -dc "$T/app.js.gz")
etag=$(tr -d '\r' < "$T/h1" | sed -n 's/^ETag: //p')
expect_eq "a matching If-None-Match is answered 304" "304" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/assets/app.js")"
curl -s -D "$T/h2" -o "$T/index.html" "$URL/"
expect_contains "the page has a Content-Security-Policy" "$(tr -d '\r' < "$T/h2")" "Content-Security-Policy: default-src 'self'"
expect_contains "the page loads its bundle" "$(cat "$T/index.html")" '/assets/app.js'
expect_eq "an unknown asset is 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/assets/nope.js")"
js_kb=$(( $(stat -c %s "$T/app.js.gz") / 1024 ))
check "the bundle is under 300 KB compressed (${js_kb} KB)" test "$js_kb" -lt 300

# ---- refusals ----
expect_eq "a cross-site POST is refused" "403" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H 'Origin: http://evil.example' -d '{"sql":"select 1"}' "$URL/api/sql")"
expect_eq "a same-origin POST goes through" "200" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H "Origin: $URL" -d '{"sql":"select 1"}' "$URL/api/sql")"
expect_eq "a foreign Host is refused without a token (DNS rebinding)" "403" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:8765' "$URL/api/tables")"

# ---- the page's endpoints ----
curl -s -X POST -d '{"sql":"select month, value_chf from markets.monthly_value order by month","format":"xlsx"}' \
  -o "$T/r.xlsx" "$URL/api/sql"
check "a result as xlsx has the rows DuckDB returns (read by openpyxl)" python3 -c '
import json, sys, openpyxl
rows = list(openpyxl.load_workbook(sys.argv[1]).active.iter_rows(values_only=True))
ref = json.loads(sys.argv[2])["rows"]
assert rows[0] == ("month", "value_chf"), rows[0]
assert len(rows) - 1 == len(ref) == 120, (len(rows), len(ref))
assert all(abs(a[1] - b[1]) < 1e-9 and a[0].strftime("%Y-%m-%d") == b[0] for a, b in zip(rows[1:], ref))' \
  "$T/r.xlsx" "$(curl -s -X POST -d '{"sql":"select month, value_chf from markets.monthly_value order by month"}' "$URL/api/sql")"
lin=$(curl -s "$URL/api/lineage")
check "lineage has the demo's models with their build state" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
names = {n["name"]: n for n in d["nodes"]}
assert names["markets.positions"]["state"]["status"] == "ok", names["markets.positions"]
assert {"from": "raw.prices", "to": "markets.daily_returns"} in d["edges"]' "$lin"
curl -s -X POST -d '{"name":"n","sql":"select 1","chart":{"type":"bar"},"pinned":true}' "$URL/api/queries" > /dev/null
check "a saved query comes back" python3 -c '
import json, sys
q = json.loads(sys.argv[1])["queries"]
assert q[-1]["name"] == "n" and q[-1]["pinned"] and q[-1]["chart"] == {"type": "bar"}, q' "$(curl -s "$URL/api/queries")"
qid=$(curl -s "$URL/api/queries" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queries"][-1]["id"])')
expect_eq "a saved query is deleted" "204" "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/api/queries/$qid")"
ev=$(curl -s -N --max-time 60 "$URL/api/runs/1/events")
expect_contains "a finished run's event stream sends its state and ends" "$ev" 'event: state'
expect_contains "its data is the run" "$ev" '"status":"success"'

# ---- a run streamed live with curl ----
rid=$(curl -s -X POST "$URL/api/pipelines/gated/runs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
curl -s -N --max-time 120 "$URL/api/runs/$rid/events" > "$T/events" &
CURL=$!
wait_for grep -q '^event: state' "$T/events"
touch "$T/gate"
wait "$CURL"
check "the live stream has the step's output line" grep -q '"line":"hello from the gate"' "$T/events"
check "and ends with the run's success" bash -c "grep '^event: run' -A1 '$T/events' | tail -n 1 | grep -q '\"status\":\"success\"'"

# A failed run for the page's Retry button.
fid=$(curl -s -X POST "$URL/api/pipelines/broken/runs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
# Its stream ends once the run has ended (live, or at once when it already had).
curl -s -N --max-time 120 "$URL/api/runs/$fid/events" > /dev/null
expect_eq "the failing run failed" "failed" \
  "$(curl -s "$URL/api/runs/$fid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
export WEB_FAILED_RUN=$fid

# ---- the browser, on this server and on one with a token ----
TOKEN=web-test-token-0123456789
A_PID=$PID
A_URL=$URL
# No scheduler there: runs started on the first server must run in it,
# whose event streams the page follows.
start_server --token "$TOKEN" --no-scheduler
B_PID=$PID
B_URL=$URL
expect_eq "the page itself needs no token" "200" "$(curl -s -o /dev/null -w '%{http_code}' "$B_URL/")"
expect_eq "the API does" "401" "$(curl -s -o /dev/null -w '%{http_code}' "$B_URL/api/tables")"
if [ -x "${POND_CHROMIUM:-/usr/bin/chromium}" ]; then
  shots=${WEB_SHOTS:-}
  [ -z "$shots" ] || mkdir -p "$shots"
  node "$NODE_DIR/web_browser.mjs" all "$A_URL" "$B_URL" "$TOKEN" $shots > "$T/browser.out" 2>&1
  cat "$T/browser.out"
  _pass=$((_pass + $(grep -c '^ok ' "$T/browser.out")))
  _fail=$((_fail + $(grep -c '^FAIL' "$T/browser.out")))
  grep -qE '^(ok|FAIL) ' "$T/browser.out" || fail "the browser test ran" "$(tail -5 "$T/browser.out")"
  # The page's Cancel closed the query's connection: the server stopped
  # it (499) rather than let it run to the SQL timeout (60 s; the wait
  # here is 30 s at most).
  POND_TEST_WAIT=30 check "the page's Cancel stopped the query on the server" \
    wait_for grep -q "POST /api/sql 499" "$T/serve1.err"
else
  fail "chromium is installed (scripts/setup.sh)"
fi
for PID in "$A_PID" "$B_PID"; do
  stop_server
  expect_eq "pond serve exits 0 on SIGTERM" "0" "$STOP_RC"
done
finish
