# Shared helpers for pond's benchmarks: timing commands and printing a
# result line with the ratio to a reference measured in the same run.
set -euo pipefail
# Debian's tools first (scripts/setup.sh installs them): a version
# manager's python3 shim earlier on PATH costs most of a second per call.
case ":$PATH:" in :/usr/bin:*) ;; *) export PATH="/usr/bin:$PATH" ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POND="${POND_BIN:-$ROOT/build/pond}"
DUCKDB_LIB="${DUCKDB_PREFIX:+$DUCKDB_PREFIX/lib}"
DUCKDB_LIB="${DUCKDB_LIB:-$ROOT/.deps/duckdb/lib}"
DUCKDB_INC="${DUCKDB_PREFIX:+$DUCKDB_PREFIX/include}"
DUCKDB_INC="${DUCKDB_INC:-$ROOT/.deps/duckdb/include}"
BENCH_BUILD="$ROOT/build/bench"
mkdir -p "$BENCH_BUILD"

# median_ms N CMD...: runs CMD N times, prints the median wall time in ms.
median_ms() {
  local n=$1; shift
  local times=() start end
  for ((i = 0; i < n; i++)); do
    start=$EPOCHREALTIME
    "$@" > /dev/null
    end=$EPOCHREALTIME
    times+=("$(echo "($end - $start) * 1000" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m }'
}

# build_ref NAME: compiles bench/NAME.c against DuckDB into build/bench.
build_ref() {
  cc -O2 -o "$BENCH_BUILD/$1" "$ROOT/bench/$1.c" -I"$DUCKDB_INC" -L"$DUCKDB_LIB" -lduckdb -Wl,-rpath,"$DUCKDB_LIB"
}

# build_bench NAME: compiles bench/NAME.c against build/libpond.a.
build_bench() {
  make -C "$ROOT" --no-print-directory -s build/libpond.a
  cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -isystem "$DUCKDB_INC" -o "$BENCH_BUILD/$1" "$ROOT/bench/$1.c" \
    "$ROOT/build/libpond.a" -L"$DUCKDB_LIB" -Wl,-rpath,"$DUCKDB_LIB" -lduckdb \
    $(pkg-config --libs jansson sqlite3 libcurl libpq zlib libzstd yaml-0.1) -lsnappy -lm -lpthread
}

# serve_start DIR OUT [ARGS...]: starts `pond serve --listen 127.0.0.1:0
# ARGS` in project DIR, output in OUT.out / OUT.err; sets SERVE (its pid,
# also added to PIDS) and URL. Exits when it does not start.
serve_start() {
  local dir=$1 out=$2
  shift 2
  (cd "$dir" && exec "$POND" serve --listen 127.0.0.1:0 "$@") > "$out.out" 2> "$out.err" &
  SERVE=$!
  PIDS+=("$SERVE")
  URL=
  for _ in $(seq 1 100); do
    URL=$(grep -o 'http://[0-9.:]*' "$out.out" 2> /dev/null | head -n 1) && [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { echo "pond serve did not start:" >&2; cat "$out.err" >&2; exit 1; }
}
