#!/usr/bin/env bash
# Fetches the pinned DuckDB (library and header) from the npm registry into
# .deps/duckdb/{lib,include}, checking each package's sha256 against
# scripts/duckdb.sha256. With DUCKDB_PREFIX=DIR set, does nothing: the build
# uses DIR (an unpacked official release holding libduckdb.so and duckdb.h).
set -euo pipefail
cd "$(dirname "$0")/.."

DUCKDB_VERSION=1.4.4
BINDINGS_VERSION=1.4.4-r.4
DEST=.deps/duckdb

if [ -n "${DUCKDB_PREFIX:-}" ]; then
  echo "pond setup: using DuckDB from DUCKDB_PREFIX=$DUCKDB_PREFIX"
  exit 0
fi
if [ -f "$DEST/lib/libduckdb.so" ] && [ -f "$DEST/include/duckdb.h" ] &&
   [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$BINDINGS_VERSION" ]; then
  echo "pond setup: DuckDB $DUCKDB_VERSION already in $DEST"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "pond setup: no DuckDB package for $(uname -m); set DUCKDB_PREFIX" >&2; exit 1 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "pond setup: fetching DuckDB $DUCKDB_VERSION from the npm registry"
(cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-$arch@$BINDINGS_VERSION" "duckdb@$DUCKDB_VERSION" >/dev/null)

check() {
  local file=$1 want
  want=$(awk -v f="$file" '$2 == f {print $1}' scripts/duckdb.sha256)
  if [ -z "$want" ]; then
    echo "pond setup: no checksum for $file in scripts/duckdb.sha256" >&2; exit 1
  fi
  local got
  got=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    echo "pond setup: checksum mismatch for $file: got $got, want $want" >&2; exit 1
  fi
}
lib_tgz="duckdb-node-bindings-linux-$arch-$BINDINGS_VERSION.tgz"
hdr_tgz="duckdb-$DUCKDB_VERSION.tgz"
check "$lib_tgz"
check "$hdr_tgz"

rm -rf "$DEST"
mkdir -p "$DEST/lib" "$DEST/include"
tar -xzf "$tmp/$lib_tgz" -C "$tmp" package/libduckdb.so
mv "$tmp/package/libduckdb.so" "$DEST/lib/"
tar -xzf "$tmp/$hdr_tgz" -C "$tmp" package/src/duckdb/src/include/duckdb.h
mv "$tmp/package/src/duckdb/src/include/duckdb.h" "$DEST/include/"
echo "$BINDINGS_VERSION" > "$DEST/VERSION"
echo "pond setup: DuckDB $DUCKDB_VERSION installed in $DEST"
