#!/usr/bin/env bash
# End-to-end: pipelines in a project made by `pond init`: `pond run` with
# shell and ingest steps, exit codes, `pond runs`, `pond logs`, a failure
# webhook received by a small HTTP server on 127.0.0.1, a `pond run` killed
# with kill -9 marked interrupted at once (its process is gone; lease expiry
# is covered by unit tests with a fake clock), SIGTERM, and two `pond
# schedule` processes on one catalog never running one pipeline at once.
# Nothing here depends on how fast the machine is: waits poll for a state.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" >/dev/null || { echo "FAIL pond init"; exit 1; }
cd "$P" || exit 1
printf 'id,v\n1,a\n2,b\n3,c\n' > "$P/nums.csv"
cat > "$P/sources/nums.yml" <<'EOF'
type: file
table: raw.nums
path: nums.csv
mode: replace
EOF

# --- the webhook receiver: writes each POST body to $T/hook.N ---
cat > "$T/hook.py" <<'EOF'
import http.server, sys, os
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    n = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        H.n += 1
        with open(f"{out}.{H.n}.tmp", "wb") as f:
            f.write(body)
        os.rename(f"{out}.{H.n}.tmp", f"{out}.{H.n}")
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[2], "w") as f:
    f.write(str(s.server_address[1]))
s.timeout = 120
s.serve_forever()
EOF
python3 "$T/hook.py" "$T/hook" "$T/hook.port" &
HOOK_PID=$!
PIDS="$HOOK_PID"
trap 'kill $PIDS 2>/dev/null; rm -rf "$T"' EXIT
wait_for test -s "$T/hook.port"
HOOK="http://127.0.0.1:$(cat "$T/hook.port")/alert"

cat >> "$P/pond.yml" <<EOF
defaults:
  lease: 60s
  grace: 1s
  poll: 200ms
pipelines:
  load:
    schedule: "0 6 * * mon-fri"
    timezone: Europe/Zurich
    steps:
      - ingest: nums
      - shell: "echo hello \$POND_PARAM_WHO from \$POND_PIPELINE"
        name: greet
  broken:
    on_failure:
      webhook: "$HOOK"
      command: "echo \$POND_RUN_ID \$POND_FAILED_STEP > alert.txt"
    steps:
      - shell: "echo about to fail; exit 7"
  full:
    steps:
      - ingest: nums
      - transform: "+marts.big"
      - test
      - export: rep
  long:
    steps:
      - shell: "echo \$\$ > long.pid; sleep 30"
  spans:
    steps:
      - shell: "echo start \$POND_RUN_ID >> spans.txt; sleep 0.3; echo end \$POND_RUN_ID >> spans.txt"
EOF

# --- pond run: shell + ingest ---
expect_exit "run load succeeds" 0 "$POND" run load --param who=e2e
expect_contains "run prints step starts" "$OUT" "[load] ingest:nums started"
expect_contains "run prints the ingest result" "$OUT" "ingest:nums success"
expect_contains "run prints shell output live" "$OUT" "[load] greet | hello e2e from load"
expect_contains "run prints the outcome" "$OUT" "run 1 of load: success"
expect_eq "ingest step loaded the table" "$("$POND" sql "select count(*) from raw.nums" --format csv | tail -n 1)" "3"
expect_exit "runs lists" 0 "$POND" runs
expect_contains "runs shows the run" "$OUT" "load"
expect_contains "runs shows success" "$OUT" "success"
expect_exit "runs --json" 0 "$POND" runs load --json
expect_eq "runs --json status" "$(echo "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(r["status"], r["trigger"], r["parameters"]["who"])')" "success manual e2e"
expect_exit "runs show" 0 "$POND" runs show 1
expect_contains "runs show lists attempts" "$OUT" "ingest:nums"
expect_contains "runs show counts rows" "$OUT" "3"
expect_exit "logs of a run" 0 "$POND" logs 1
expect_contains "logs hold the shell output" "$OUT" "== greet =="
expect_contains "logs hold the greeting" "$OUT" "hello e2e from load"
expect_exit "logs of one step" 0 "$POND" logs 1 greet
expect_eq "one step's log" "$OUT" "hello e2e from load"
expect_exit "logs of an unknown run" 1 "$POND" logs 99
expect_exit "logs of an unknown step" 1 "$POND" logs 1 nope

# --- every step kind: ingest, transform, test, export ---
mkdir -p "$P/models/marts" "$P/exports"
echo "select id, v from raw.nums where id > 1" > "$P/models/marts/big.sql"
printf 'format: csv\npath: out/rep.csv\nsql: select * from marts.big order by id\n' > "$P/exports/rep.yml"
expect_exit "run with transform, test and export steps" 0 "$POND" run full
expect_contains "transform step built the model" "$OUT" "[full] transform | marts.big ok"
expect_contains "export step wrote rows" "$OUT" "[full] export:rep success"
expect_eq "export file" "$(cat "$P/out/rep.csv" 2>/dev/null | tr '\n' ' ')" "id,v 2,b 3,c "

# --- exit codes ---
expect_exit "run without a pipeline is a usage error" 2 "$POND" run
expect_exit "a bad --param is a usage error" 2 "$POND" run load --param =x
expect_exit "an unknown pipeline fails" 1 "$POND" run nope
expect_contains "unknown pipeline named" "$ERR" 'no pipeline "nope"'
expect_exit "an unknown --from step fails" 1 "$POND" run load --from nope

# --- failure: exit 1, webhook and command ---
expect_exit "a failing run exits 1" 1 "$POND" run broken
expect_contains "failure names the step" "$ERR" "step shell failed: command exited with code 7"
wait_for test -f "$T/hook.1"
if [ -f "$T/hook.1" ]; then
  expect_eq "webhook got the failed run" "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["event"], d["pipeline"], d["status"], d["failed_step"])' "$T/hook.1")" "run_failed broken failed shell"
else
  fail "webhook got the failed run" "no POST arrived"
fi
expect_eq "failure command ran" "$(cat "$P/alert.txt" 2>/dev/null)" "$(echo "$("$POND" runs broken --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])') shell")"

# --- one run at a time; kill -9 leaves a run whose dead process is seen at once ---
"$POND" run long >"$T/long.out" 2>&1 &
LONG_PID=$!
wait_for test -s "$P/long.pid"
expect_exit "a second run of a running pipeline is refused" 1 "$POND" run long
expect_contains "refusal says it is running" "$ERR" "pipeline long is already running"
{ kill -9 "$LONG_PID"; wait "$LONG_PID"; } 2>/dev/null
kill "$(cat "$P/long.pid")" 2>/dev/null
LONG_ID=$("$POND" runs long --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_eq "a killed run is interrupted at once, its lease unexpired" "$("$POND" runs show "$LONG_ID" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["steps"][0]["status"])')" "interrupted interrupted"
expect_contains "the killed run says its process is gone" "$("$POND" runs show "$LONG_ID" --json)" "is gone"
rm -f "$P/long.pid"
"$POND" run long >"$T/again.out" 2>&1 &
AGAIN_PID=$!
wait_for test -s "$P/long.pid"
kill -TERM "$AGAIN_PID"
wait "$AGAIN_PID"
expect_contains "the pipeline runs again at once after a kill -9" "$(cat "$T/again.out")" "of long started"

# --- SIGTERM: the running step gets the grace period, then the run is interrupted ---
rm -f "$P/long.pid"
"$POND" run long >"$T/term.out" 2>&1 &
TERM_PID=$!
wait_for test -s "$P/long.pid"
kill -TERM "$TERM_PID"
wait "$TERM_PID"
rc=$?
expect_eq "SIGTERM ends pond run with exit 1" "$rc" "1"
expect_contains "SIGTERM marks the run interrupted" "$(cat "$T/term.out")" "interrupted"
expect_eq "the step's process is gone" "$(kill -0 "$(cat "$P/long.pid")" 2>/dev/null && echo alive || echo gone)" "gone"

# --- two schedulers on one catalog never run one pipeline at once ---
"$POND" schedule >"$T/s1.out" 2>&1 &
S1=$!
"$POND" schedule >"$T/s2.out" 2>&1 &
S2=$!
PIDS="$PIDS $S1 $S2"
for i in 1 2 3 4 5 6; do "$POND" run spans --queue >/dev/null; done
spans_done() {
  done_count=$("$POND" runs spans --json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["status"] == "success"))')
  [ "$done_count" = 6 ]
}
done_count=0
wait_for spans_done
expect_eq "six queued runs ran" "$done_count" "6"
overlap=$(awk '/^start/ { if (open) bad = 1; open = 1; id = $2 } /^end/ { if (!open || $2 != id) bad = 1; open = 0 } END { print (NR == 12 && !bad) ? "none" : "overlap or missing" }' "$P/spans.txt")
expect_eq "runs never overlapped" "$overlap" "none"
ran_in_both=$(cat "$T/s1.out" "$T/s2.out" | grep -c "of spans: success")
expect_eq "each run ran exactly once" "$ran_in_both" "6"
kill -TERM "$S1" "$S2"
wait "$S1"; rc1=$?
wait "$S2"; rc2=$?
expect_eq "schedulers stop on SIGTERM with exit 0" "$rc1 $rc2" "0 0"
expect_exit "schedule --once with nothing due" 0 "$POND" schedule --once --quiet

finish
