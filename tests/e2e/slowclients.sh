#!/usr/bin/env bash
# End-to-end: slow clients do not starve pond serve. 200 connections from
# one loopback address (127.0.0.2), each sending a header line every
# second and never finishing, are held to a few slots by the per-address
# limit and cut by the header deadline (2 s here, counted from the
# connection's start, not per byte); /api/health from 127.0.0.1 answers
# while they keep reconnecting. No timing assertion: waits are bounded
# polls for a state.
. "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

P="$T/proj"
"$POND" init --bare "$P" > /dev/null 2>&1 || { echo "FAIL pond init"; exit 1; }
cat >> "$P/pond.yml" <<'EOF2'

server:
  header_timeout: 2s
EOF2

(cd "$P" && exec "$POND" serve --listen 127.0.0.1:0 --no-scheduler) > "$T/serve.out" 2> "$T/serve.err" &
SERVE_PID=$!
PIDS="$SERVE_PID"
trap 'kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
server_url() { URL=$(grep -o 'http://[0-9.:]*' "$T/serve.out" 2> /dev/null | head -n 1); [ -n "$URL" ]; }
wait_for server_url || { echo "server did not start:"; cat "$T/serve.err"; }
PORT=${URL##*:}

python3 "$ROOT/tests/http/slow_client.py" "$PORT" "$T/slow.json" --clients 200 --interval 1 --duration 100 \
  --watch 127.0.0.3 &
PIDS="$PIDS $!"
status() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/slow.json" "$1" 2>/dev/null; }
two_rounds() { [ "$(status rounds)" -ge 2 ] 2>/dev/null; }
wait_for two_rounds
before=$(status rounds)

# --max-time bounds a hang (the old server never answered here); it is not
# a timing assertion.
health=$(curl -s --max-time 30 "$URL/api/health")
expect_contains "health answers while slow clients hold connections" "$health" '"status":"ok"'
after=$(status rounds)
check "the slow clients were running meanwhile" test "$before" -lt "$((after + 1))"
expect_eq "the slow clients had connections open" "$( [ "$(status open)" -gt 0 ] && echo yes)" "yes"

cut() { [ "$(status watched)" = cut ]; }
check "a request trickling headers is cut at the header deadline" wait_for cut
reconnected() { [ "$(status reopened)" -ge 200 ]; }
check "slow clients beyond the per-address limit are refused or cut" wait_for reconnected

health=$(curl -s --max-time 30 "$URL/api/health")
expect_contains "health still answers" "$health" '"status":"ok"'
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "the server stops cleanly" "$?" "0"
finish
