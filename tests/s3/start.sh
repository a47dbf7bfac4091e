#!/usr/bin/env bash
# Starts pond's S3 test server (tests/s3/server.js: s3rver behind a proxy
# that checks SigV4 signatures and injects faults) and prints its URL,
#   http://127.0.0.1:PORT
# on stdout (nothing else goes there). Usage: tests/s3/start.sh DIR
# DIR (created if missing, removed by tests/s3/stop.sh DIR) holds the
# objects, the server's pid and its log. Needs node and the npm packages of
# tests/node (scripts/setup.sh installs them).
set -euo pipefail

dir=${1:?usage: tests/s3/start.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)

command -v node >/dev/null || { echo "start.sh: node is not installed (scripts/setup.sh)" >&2; exit 1; }
[ -d "$root/tests/node/node_modules/s3rver" ] \
  || { echo "start.sh: tests/node/node_modules/s3rver is missing (run scripts/setup.sh)" >&2; exit 1; }

# s3rver makes continuation tokens with DES, which OpenSSL 3 keeps in its
# legacy provider.
NODE_PATH="$root/tests/node/node_modules" node --openssl-legacy-provider "$root/tests/s3/server.js" "$dir" \
  >"$dir/url" 2>"$dir/server.log" </dev/null &
echo $! > "$dir/pid"

# Wait for the listening line (or the process to die): up to 20 s.
for _ in $(seq 1 200); do
  if [ -s "$dir/url" ]; then
    cat "$dir/url"
    exit 0
  fi
  kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
  sleep 0.1
done
echo "start.sh: the S3 test server did not start:" >&2
tail -n 20 "$dir/server.log" >&2
kill "$(cat "$dir/pid")" 2>/dev/null || true
exit 1
