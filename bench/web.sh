#!/usr/bin/env bash
# Benchmark: the web page on `pond serve` of the demo project. (1) Home
# page interactive time: navigation start to the pipelines table drawn
# (main[data-ready]), in Debian's Chromium through puppeteer-core, first
# load and median of 5 reloads (target: under 300 ms). (2) A 100,000-row
# SQL result: time from the response to the grid and chart drawn (target:
# under 1 s), and the time per frame while scrolling through it.
# (3) Resident memory of the server after 10 s idle, with the page's
# assets embedded, before and after the page was used (target: under
# 30 MB). (4) The page's compressed size.
. "$(dirname "$0")/lib.sh"
IDLE=${IDLE:-10}
W=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-web-XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null; done; rm -rf "$W"' EXIT

"$POND" demo "$W/demo" --no-serve > /dev/null 2>&1
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
serve_start "$W/demo" "$W/serve"
sleep "$IDLE"
idle=$(rss_kb "$SERVE")
# The first load: the page, app.js, the chunks app.js imports, app.css.
gz=$(curl -s -H 'Accept-Encoding: gzip' "$URL/" | wc -c)
for a in app.js app.css $(curl -s "$URL/assets/app.js" | grep -o 'chunk-[A-Za-z0-9]*\.js' | sort -u); do
  gz=$((gz + $(curl -s -H 'Accept-Encoding: gzip' "$URL/assets/$a" | wc -c)))
done
node "$ROOT/tests/node/web_browser.mjs" bench "$URL" | tee "$W/bench.out"
sleep "$IDLE"
after=$(rss_kb "$SERVE")
echo "web: first load $((gz / 1024)) KB compressed (index.html, app.js and its chunks, app.css; the SQL editor loads with its page)"
echo "web: pond serve idle RSS $((idle / 1024)) MB with the page embedded; $((after / 1024)) MB idle again after the page ran queries"
