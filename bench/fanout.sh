#!/usr/bin/env bash
# List-then-fetch with failures (issue 17's target): an http source whose
# list answers ITEMS ids and whose item URL answers 2% of them (every 50th)
# 429 or 500 the first time (tests/http/server.py). The target: every item
# exactly once, each failure retried. Checks the rows and the retries the
# run reports, and prints the time against one `curl` of every item URL
# in the same run (the same requests without pond's retries and load).
#   ITEMS=2000 bench/fanout.sh
. "$(dirname "$0")/lib.sh"
ITEMS=${ITEMS:-2000}
T=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-fanout-XXXXXX")
python3 "$ROOT/tests/http/server.py" --port-file "$T/port" --timeout 3600 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -s "$T/port" ] && break; sleep 0.05; done
API="http://127.0.0.1:$(cat "$T/port")"
"$POND" init --bare "$T/p" > /dev/null
cd "$T/p"
cat > sources/many.yml <<YML
type: http
table: raw.many
url: $API/v2/top.json?n=$ITEMS
fan_out: {url: "$API/v2/item/{id}.json", fetch: unseen, parallel: 16}
retry: {backoff_ms: 1, max_backoff_ms: 5}
YML
start=$EPOCHREALTIME
"$POND" ingest many --json > "$T/out.json"
pond_ms=$(echo "($EPOCHREALTIME - $start) * 1000" | bc -l)
retries=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d=d[0] if isinstance(d,list) else d; print(d["retries"])' "$T/out.json")
got=$("$POND" sql --format csv "select count(*), count(distinct id), sum(id) from raw.many" | tail -n 1)
want="$ITEMS,$ITEMS,$((ITEMS * (ITEMS + 1) / 2))"
failures=$((ITEMS / 50))
# The reference: every item URL once by one curl, 16 at a time, after the
# server has answered each failing one (so it answers 200 now).
for i in $(seq 1 "$ITEMS"); do printf 'url = "%s/v2/item/%d.json"\noutput = "/dev/null"\n' "$API" "$i"; done > "$T/urls"
start=$EPOCHREALTIME
curl -s -Z --parallel-max 16 -K "$T/urls"
curl_ms=$(echo "($EPOCHREALTIME - $start) * 1000" | bc -l)
printf 'fan-out of %d items, %d failing once: pond %.0f ms, one curl of every item %.0f ms (%.2fx)\n' \
  "$ITEMS" "$failures" "$pond_ms" "$curl_ms" "$(echo "$pond_ms / $curl_ms" | bc -l)"
printf 'rows (count, distinct, sum): %s (want %s); retries %s (want %d)\n' "$got" "$want" "$retries" "$failures"
[ "$got" = "$want" ] && [ "$retries" = "$failures" ] && echo "target met: every item exactly once" || { echo "TARGET MISSED"; exit 1; }
