#!/usr/bin/env bash
# pond serve end to end: the real binary on a free port of 127.0.0.1 in a
# fresh project, every endpoint hit with curl and its JSON checked, a run
# triggered through the API and one fired by a schedule, the SQL endpoint's
# refusals, tokens, malformed requests, and a clean exit on SIGTERM (exit
# 0; in the sanitizer build a leak would make it non-zero).
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" > /dev/null 2>&1
(cd "$P" && "$POND" sql "create table sales.orders as select range as id, 'item ' || range as item from range(10)") > /dev/null 2>&1
cat >> "$P/pond.yml" <<'EOF'

pipelines:
  hello:
    steps:
      - shell: echo hello from pond
        name: greet
  slow:
    steps:
      - shell: sleep 2; echo slept
  ticker:
    schedule: "* * * * *"
    steps:
      - shell: echo tick
EOF

# start_server ARGS...: starts pond serve in the project; sets PID and URL.
start_server() {
  (cd "$P" && exec "$POND" serve "$@") > "$T/serve.out" 2> "$T/serve.err" &
  PID=$!
  URL=
  server_up() {
    URL=$(grep -o 'http://[0-9.:]*' "$T/serve.out" 2> /dev/null | head -n 1)
    [ -n "$URL" ] || ! kill -0 "$PID" 2> /dev/null
  }
  wait_for server_up
  [ -n "$URL" ] || { echo "server did not start:"; cat "$T/serve.err"; }
}

# stop_server: SIGTERM, then the exit code in STOP_RC.
stop_server() {
  kill -TERM "$PID" 2> /dev/null
  wait "$PID"
  STOP_RC=$?
}

# req METHOD PATH [BODY] [CURL ARGS...]: the status in CODE, the body in BODY.
req() {
  local method=$1 path=$2 body=${3:-}
  shift 3 2> /dev/null || shift $#
  if [ -n "$body" ]; then
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
      --data-binary "$body" "$@" "$URL$path")
  else
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$method" "$@" "$URL$path")
  fi
  BODY=$(cat "$T/body")
}

# js EXPR: evaluates a Python expression over the last body parsed as d.
js() {
  printf '%s' "$BODY" | python3 -c "import json,sys; d=json.load(sys.stdin); print(($1))" 2>&1
}

# expect_req NAME CODE METHOD PATH [BODY]
expect_req() {
  local name=$1 want=$2
  shift 2
  req "$@"
  if [ "$CODE" = "$want" ]; then pass "$name"; else fail "$name" "status $CODE, want $want" "body: $(echo "$BODY" | head -c 400)"; fi
}

# expect_error NAME CODE METHOD PATH [BODY]: the status, and a JSON {"error": "..."} body.
expect_error() {
  expect_req "$@"
  expect_eq "$1: json error" "$(js 'type(d["error"]).__name__')" "str"
}

# Start just before a minute boundary on the scheduler's clock, so that
# ticker's "* * * * *" fires within seconds.
now_ms=$(python3 -c 'import time; print(int(time.time()*1000))')
export POND_SERVE_CLOCK_START_MS=$(( (now_ms / 60000 + 1) * 60000 - 3000 ))
# POND_LOG=info: the request log says what each request ended with
POND_LOG=info start_server --listen 127.0.0.1:0
unset POND_SERVE_CLOCK_START_MS
[ -n "$URL" ] && pass "serve starts on a free port ($URL)" || fail "serve starts" "$(cat "$T/serve.err")"
expect_contains "listens on 127.0.0.1" "$URL" "http://127.0.0.1:"

# ---- health and tables ----
expect_req "health" 200 GET /api/health
expect_eq "health: status" "$(js 'd["status"]')" "ok"
expect_eq "health: scheduler on" "$(js 'd["scheduler"]')" "True"

expect_req "tables" 200 GET /api/tables
expect_eq "tables: sales.orders with 10 records" "$(js '[(t["table"], t["records"]) for t in d["tables"]]')" \
  "[('sales.orders', 10)]"
expect_req "tables in a namespace" 200 GET '/api/tables?namespace=sales'
expect_eq "tables in a namespace: one" "$(js 'len(d["tables"])')" "1"
expect_req "table" 200 GET /api/tables/sales.orders
expect_eq "table: schema" "$(js '[f["name"] for f in d["schema"]["fields"]]')" "['id', 'item']"
expect_eq "table: totals" "$(js 'd["totals"]["records"], d["totals"]["data_files"] > 0')" "(10, True)"
expect_eq "table: partitioning and properties" "$(js 'd["partition_spec"]["fields"], type(d["properties"]).__name__')" \
  "([], 'dict')"
expect_eq "table: current snapshot" "$(js 'd["current_snapshot"]["operation"]')" "append"
expect_req "snapshots" 200 GET /api/tables/sales.orders/snapshots
expect_eq "snapshots: one, current" "$(js '[(s["current"], s["total_records"]) for s in d["snapshots"]]')" \
  "[(True, 10)]"
expect_error "missing table is 404" 404 GET /api/tables/sales.nope
expect_error "missing table snapshots is 404" 404 GET /api/tables/sales.nope/snapshots

# ---- SQL ----
expect_req "sql select" 200 POST /api/sql '{"sql": "select id, item from sales.orders where id >= 8 order by id"}'
expect_eq "sql: columns" "$(js '[(c["name"], c["type"]) for c in d["columns"]]')" "[('id', 'bigint'), ('item', 'varchar')]"
expect_eq "sql: rows" "$(js 'd["rows"]')" "[[8, 'item 8'], [9, 'item 9']]"
expect_req "sql limit" 200 POST /api/sql '{"sql": "from sales.orders", "limit": 3}'
expect_eq "sql limit: 3 rows, truncated" "$(js 'len(d["rows"]), d["truncated"]')" "(3, True)"
expect_error "sql refuses COPY TO" 400 POST /api/sql "{\"sql\": \"copy (select 1) to '$T/leak.csv'\"}"
[ -e "$T/leak.csv" ] && fail "COPY wrote no file" || pass "COPY wrote no file"
expect_error "sql refuses COPY TO inside the warehouse" 400 POST /api/sql \
  "{\"sql\": \"copy (select 1) to '$P/warehouse/leak.csv'\"}"
expect_error "sql refuses read_csv('/etc/passwd')" 400 POST /api/sql "{\"sql\": \"select * from read_csv('/etc/passwd')\"}"
expect_contains "read_csv: file access is disabled" "$BODY" "disabled by configuration"
expect_error "sql refuses the catalog file" 400 POST /api/sql "{\"sql\": \"select * from read_blob('$P/catalog.db')\"}"
expect_error "sql refuses INSERT" 400 POST /api/sql '{"sql": "insert into sales.orders values (99, '"'x'"')"}'
expect_error "sql refuses CREATE TABLE" 400 POST /api/sql '{"sql": "create table sales.x as select 1 as a"}'
expect_error "sql refuses SET" 400 POST /api/sql '{"sql": "set enable_external_access = true"}'
expect_error "sql refuses two statements" 400 POST /api/sql '{"sql": "select 1; select 2"}'
expect_req "sql: table unchanged" 200 POST /api/sql '{"sql": "select count(*) as n from sales.orders"}'
expect_eq "sql: still 10 rows" "$(js 'd["rows"]')" "[[10]]"
expect_error "sql error is 400" 400 POST /api/sql '{"sql": "select nope from sales.orders"}'
# A client that goes away (the page's Cancel, curl's --max-time) stops its
# query: the server logs it as 499 long before the SQL timeout.
curl -s --max-time 1 -o /dev/null -X POST -H 'Content-Type: application/json' \
  --data-binary '{"sql": "select sum(a.range * b.range) from range(1000000) a, range(1000000) b"}' "$URL/api/sql"
# (waits at most 30 s: the SQL timeout, 60 s, must not be what ends it)
POND_TEST_WAIT=30 check "a query whose client left is stopped" wait_for grep -q "POST /api/sql 499" "$T/serve.err"

# ---- malformed requests ----
expect_error "unknown route is 404" 404 GET /api/nothing
expect_error "wrong method is 405" 405 DELETE /api/tables
allow=$(curl -s -D - -o /dev/null -X PUT "$URL/api/sql" | tr -d '\r' | grep -i '^allow:')
expect_eq "405 names the allowed method" "$allow" "Allow: POST"
expect_error "bad JSON is 400" 400 POST /api/sql '{"sql": '
expect_error "JSON that is not an object is 400" 400 POST /api/sql '[1, 2]'
expect_error "unknown body key is 400" 400 POST /api/sql '{"query": "select 1"}'
expect_error "bad escape is 400" 400 GET '/api/tables/%zz'
expect_error "bad limit is 400" 400 GET '/api/runs?limit=abc'
head -c 2000000 /dev/zero | tr '\0' 'a' > "$T/big.json"
req POST /api/sql "@$T/big.json"
expect_eq "body over 1 MB is 413" "$CODE" "413"
expect_eq "413: json error" "$(js 'type(d["error"]).__name__')" "str"
long=$(head -c 10000 /dev/zero | tr '\0' a)
expect_error "URL over 8 KB is 414" 414 GET "/api/$long"
req GET /api/health '' -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' a)"
expect_eq "headers over 64 KB are refused" "$CODE" "431"
hostport=${URL#http://}
exec 3<> "/dev/tcp/${hostport%:*}/${hostport##*:}"
printf 'NOT HTTP AT ALL\r\n\r\n' >&3
garbage=$(timeout 5 head -n 1 <&3 | tr -d '\r')
exec 3<&-
expect_eq "a request that is not HTTP is 400" "$garbage" "HTTP/1.1 400 Bad Request"
expect_req "server still answers" 200 GET /api/health

# ---- pipelines and runs ----
expect_req "pipelines" 200 GET /api/pipelines
expect_eq "pipelines: names" "$(js '[p["name"] for p in d["pipelines"]]')" "['hello', 'slow', 'ticker']"
expect_req "pipeline" 200 GET /api/pipelines/ticker
expect_eq "pipeline: schedule" "$(js 'd["schedule"], d["next_run_ms"] is not None')" "('* * * * *', True)"
expect_error "missing pipeline is 404" 404 GET /api/pipelines/nope
expect_error "trigger a missing pipeline is 404" 404 POST /api/pipelines/nope/runs '{}'
expect_error "trigger with bad parameters is 400" 400 POST /api/pipelines/hello/runs '{"parameters": {"day": 1}}'
expect_req "trigger" 202 POST /api/pipelines/hello/runs '{"parameters": {"day": "2024-01-31"}}'
run=$(js 'd["run_id"]')
expect_eq "trigger: queued" "$(js 'd["status"]')" "queued"
status=
run_ended() {
  req GET "/api/runs/$run"
  status=$(js 'd["status"]')
  case "$status" in success|failed|interrupted) return 0 ;; esac
  return 1
}
wait_for run_ended
expect_eq "triggered run succeeds" "$status" "success"
expect_eq "run: trigger and parameters" "$(js 'd["trigger"], d["pipeline"]')" "('api', 'hello')"
expect_req "run steps" 200 GET "/api/runs/$run/steps"
expect_eq "run steps: greet succeeded" "$(js '[(s["step"], s["status"]) for s in d["steps"]]')" "[('greet', 'success')]"
expect_req "run logs" 200 GET "/api/runs/$run/logs"
expect_contains "run logs: the step's output" "$(js 'd["log"]')" "hello from pond"
expect_req "run logs of a step" 200 GET "/api/runs/$run/logs?step=greet"
expect_contains "step log: the step's output" "$(js 'd["log"]')" "hello from pond"
expect_req "runs filtered" 200 GET '/api/runs?pipeline=hello&status=success&limit=5'
expect_eq "runs filtered: the run" "$(js '[r["id"] for r in d["runs"]]')" "[$run]"
expect_error "runs with a bad status is 400" 400 GET '/api/runs?status=bogus'
expect_error "missing run is 404" 404 GET /api/runs/999999
expect_error "bad run id is 400" 400 GET /api/runs/abc/steps

# The scheduler fires ticker at the minute boundary (3 s after start).
fired=
ticker_fired() {
  req GET '/api/runs?pipeline=ticker&status=success'
  fired=$(js '[r["trigger"] for r in d["runs"]][:1]')
  [ "$fired" = "['schedule']" ]
}
wait_for ticker_fired
expect_eq "schedule fires and the run is recorded" "$fired" "['schedule']"

# ---- graceful shutdown: a running step finishes ----
expect_req "trigger slow" 202 POST /api/pipelines/slow/runs ''
slow=$(js 'd["run_id"]')
slow_running() { req GET "/api/runs/$slow"; [ "$(js 'd["status"]')" = running ]; }
wait_for slow_running
stop_server
expect_eq "SIGTERM: exit 0" "$STOP_RC" "0"
expect_contains "SIGTERM: stopped" "$(cat "$T/serve.err")" "stopped"

# ---- binding rules and tokens ----
expect_exit "0.0.0.0 without a token is refused" 2 sh -c "cd '$P' && env -u POND_TOKEN '$POND' serve --listen 0.0.0.0:0"
expect_contains "refusal says why" "$ERR" "without a token"
expect_exit "a short token is refused" 2 sh -c "cd '$P' && '$POND' serve --listen 0.0.0.0:0 --token abc"

TOKEN=e2e-token-0123456789abcdef
start_server --listen 127.0.0.1:0 --token "$TOKEN" --no-scheduler
expect_error "no token is 401" 401 GET /api/health
expect_error "wrong token is 401" 401 GET /api/health '' -H "Authorization: Bearer wrong-0123456789abcdef"
expect_req "right token is 200" 200 GET /api/tables '' -H "Authorization: Bearer $TOKEN"
expect_req "the slow run" 200 GET "/api/runs/$slow" '' -H "Authorization: Bearer $TOKEN"
expect_eq "slow run finished within the grace period" "$(js 'd["status"]')" "success"
expect_error "a body without the token is refused" 401 POST /api/sql '{"sql": "select 1"}'
expect_req "no scheduler: trigger queues" 202 POST /api/pipelines/hello/runs '' -H "Authorization: Bearer $TOKEN"
expect_req "no scheduler: run stays queued" 200 GET "/api/runs/$(js 'd["run_id"]')" '' -H "Authorization: Bearer $TOKEN"
expect_eq "no scheduler: queued" "$(js 'd["status"]')" "queued"
stop_server
expect_eq "token server: exit 0" "$STOP_RC" "0"

POND_TOKEN=$TOKEN start_server --listen 127.0.0.1:0 --no-scheduler
expect_error "POND_TOKEN is enforced" 401 GET /api/health
expect_req "POND_TOKEN accepted" 200 GET /api/health '' -H "Authorization: Bearer $TOKEN"
stop_server

finish
