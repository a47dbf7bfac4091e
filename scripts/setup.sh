#!/usr/bin/env bash
# pond set-up: installs the Debian packages pond builds and tests with, then
# fetches the pinned DuckDB (scripts/fetch-duckdb.sh). Safe to run again:
# it installs only what is missing and says what it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run-time libraries, the test tools, and the servers the tests start.
PACKAGES=(
  build-essential pkg-config clang libclang-rt-14-dev
  libjansson-dev libsqlite3-dev libcurl4-openssl-dev libedit-dev libpq-dev
  libmicrohttpd-dev zlib1g-dev libzstd-dev libsnappy-dev libyaml-dev
  libxlsxwriter-dev libxml2-dev libssl-dev libzip-dev
  ca-certificates curl bc util-linux
  postgresql python3 python3-openpyxl tzdata
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# npm fetches DuckDB; a Node.js installed outside Debian's packages will do.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "pond setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "pond setup: not root; run this first, then run setup again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "pond setup: Debian packages already installed"
fi

scripts/fetch-duckdb.sh

# The web page's packages (web/: CodeMirror, uPlot, esbuild), bundled by make.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
  echo "pond setup: installing the web page's packages from the npm registry (web)"
  (cd web && npm ci --silent --no-audit --no-fund)
fi

# Independent readers (Avro, Iceberg) that the interop tests check pond with.
if [ ! -d tests/node/node_modules ] || [ tests/node/package-lock.json -nt tests/node/node_modules ]; then
  echo "pond setup: installing test packages from the npm registry (tests/node)"
  (cd tests/node && npm ci --silent --no-audit --no-fund)
fi
