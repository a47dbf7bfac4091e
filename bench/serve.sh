#!/usr/bin/env bash
# Benchmark: `pond serve` on a generated project with 10 scheduled
# pipelines. (1) Resident memory (VmRSS) after 10 s idle; target under
# 30 MB. Also after it served table listings and SQL queries and idled
# again (DuckDB is opened per SQL request and closed, but its code pages
# stay resident). (2) N requests to GET /api/health over one keep-alive
# connection (one curl process reading N URLs), against Python's
# http.server answering the same path with the same JSON, same client,
# same run.
. "$(dirname "$0")/lib.sh"
N=${N:-1000}
IDLE=${IDLE:-10}
W=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-serve-XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$W"' EXIT

P="$W/proj"
"$POND" init --bare "$P" > /dev/null 2>&1
(cd "$P" && "$POND" sql "create table main.t as select range as id, range * 2 as v from range(100000)") > /dev/null 2>&1
{
  echo
  echo "pipelines:"
  for i in $(seq 1 10); do
    echo "  p$i:"
    echo "    schedule: \"$((i * 5)) * * * *\""
    echo "    steps:"
    echo "      - shell: echo $i"
  done
} >> "$P/pond.yml"

rss_kb() { awk -v k="${2:-VmRSS}:" '$1 == k { print $2 }' "/proc/$1/status"; }

serve_start "$P" "$W/serve"
sleep "$IDLE"
idle_kb=$(rss_kb "$SERVE")
pipelines=$(curl -s "$URL/api/pipelines" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pipelines"]))')

# (2) the request rate, pond first, then the reference.
python3 - "$W/ref.py" <<'EOF'
import sys
open(sys.argv[1], "w").write('''
import http.server, json, sys
BODY = json.dumps({"status": "ok", "project": "proj", "duckdb": "v1.4.4", "scheduler": True, "auth": False,
                   "uptime_s": 1, "requests": 1}, separators=(",", ":")).encode()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer and no Nagle delay, as pond's server does:
    # otherwise every keep-alive request waits 40 ms for a delayed ACK.
    wbufsize = 65536
    disable_nagle_algorithm = True
    def do_GET(self):
        if self.path != "/api/health":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("http://127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
''')
EOF
python3 "$W/ref.py" > "$W/ref.out" &
PIDS+=("$!")
REF=
for _ in $(seq 1 100); do
  REF=$(head -n 1 "$W/ref.out" 2> /dev/null) && [ -n "$REF" ] && break
  sleep 0.1
done

# run_n BASE: N GETs of BASE/api/health in one curl process; prints ms.
run_n() {
  local cfg="$W/urls.cfg"
  : > "$cfg"
  for _ in $(seq 1 "$N"); do printf 'url = "%s/api/health"\noutput = "/dev/null"\n' "$1"; done >> "$cfg"
  local start=$EPOCHREALTIME
  curl -s --fail -K "$cfg" || { echo "requests to $1 failed" >&2; exit 1; }
  echo "($EPOCHREALTIME - $start) * 1000" | bc -l
}
run_n "$URL" > /dev/null  # warm up both
run_n "$REF" > /dev/null
pond_ms=$(run_n "$URL")
ref_ms=$(run_n "$REF")

# (1b) memory after work: table listings and SQL, then idle again.
for _ in $(seq 1 20); do
  curl -s "$URL/api/tables" > /dev/null
  curl -s -X POST "$URL/api/sql" -d '{"sql": "select sum(v) from main.t"}' > /dev/null
done
sleep "$IDLE"
after_kb=$(rss_kb "$SERVE")
after_anon_kb=$(rss_kb "$SERVE" RssAnon)
after_file_kb=$(rss_kb "$SERVE" RssFile)
kill -TERM "$SERVE"
wait "$SERVE" || true

printf 'serve  idle RSS with %s pipelines after %s s: %.1f MB; target < 30 MB: %s\n' "$pipelines" "$IDLE" \
  "$(echo "$idle_kb / 1024" | bc -l)" "$([ "$idle_kb" -lt 30720 ] && echo met || echo MISSED)"
printf 'serve  RSS after 20 table listings + 20 SQL queries and %s s idle: %.1f MB (anonymous %.1f MB, file pages %.1f MB)\n' \
  "$IDLE" "$(echo "$after_kb / 1024" | bc -l)" "$(echo "$after_anon_kb / 1024" | bc -l)" "$(echo "$after_file_kb / 1024" | bc -l)"
printf 'serve  %d x GET /api/health (keep-alive, one curl): pond %.0f ms (%.3f ms/request); python3 http.server %.0f ms; ratio %.2f\n' \
  "$N" "$pond_ms" "$(echo "$pond_ms / $N" | bc -l)" "$ref_ms" "$(echo "$pond_ms / $ref_ms" | bc -l)"
