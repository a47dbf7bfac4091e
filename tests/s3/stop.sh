#!/usr/bin/env bash
# Stops the S3 test server started by tests/s3/start.sh DIR and removes DIR.
set -u
dir=${1:?usage: tests/s3/stop.sh DIR}
if [ -f "$dir/pid" ]; then
  pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
fi
rm -rf "$dir"
