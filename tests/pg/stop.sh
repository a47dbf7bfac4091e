#!/usr/bin/env bash
# Stops the PostgreSQL server tests/pg/start.sh DIR started and removes DIR.
set -u
dir=${1:?usage: tests/pg/stop.sh DIR}
[ -d "$dir" ] || exit 0
if [ -f "$dir/bindir" ] && [ -d "$dir/data" ]; then
  bindir=$(cat "$dir/bindir")
  run_pg=()
  [ "$(id -u)" -eq 0 ] && run_pg=(runuser -u postgres --)
  "${run_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
