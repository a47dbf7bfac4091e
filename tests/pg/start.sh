#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for pond's tests and prints its URL,
#   postgresql://postgres@127.0.0.1:PORT/pond_test
# on stdout (nothing else goes there). Usage: tests/pg/start.sh DIR
# DIR (created if missing, removed by tests/pg/stop.sh DIR) holds the data
# folder, the unix socket and the server log. Uses Debian's postgresql
# package (/usr/lib/postgresql/VERSION/bin, newest version) or initdb on
# PATH. As root the server runs as the `postgres` system user, because
# PostgreSQL refuses to run as root. Trust authentication on 127.0.0.1 only,
# fsync off: test data, not data to keep.
set -euo pipefail

dir=${1:?usage: tests/pg/start.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  bindir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
fi
[ -x "$bindir/initdb" ] || { echo "start.sh: no PostgreSQL server binaries (install Debian's postgresql package)" >&2; exit 1; }

run_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "start.sh: running as root but there is no postgres user" >&2; exit 1; }
  chown postgres: "$dir"
  chmod 700 "$dir"
  run_pg=(runuser -u postgres --)
fi

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  return 1
}

"${run_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
  --no-sync >"$dir/initdb.log" 2>&1 || { echo "start.sh: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }

started=0
for attempt in 1 2 3 4 5; do
  port=$(free_port) || { echo "start.sh: found no free port" >&2; exit 1; }
  if "${run_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
       -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
       start >"$dir/pg_ctl.log" 2>&1; then
    started=1; break
  fi
  # most likely the port was taken between the check and the bind: retry
done
[ "$started" -eq 1 ] || { echo "start.sh: postgres did not start:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
echo "$port" > "$dir/port"
echo "$bindir" > "$dir/bindir"

for _ in $(seq 1 100); do
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.1
done
"$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || { echo "start.sh: postgres is not accepting connections:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres pond_test \
  || { echo "start.sh: could not create database pond_test" >&2; exit 1; }

echo "postgresql://postgres@127.0.0.1:$port/pond_test"
