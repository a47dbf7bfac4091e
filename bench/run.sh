#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints one or more result lines).
set -euo pipefail
cd "$(dirname "$0")"
for b in *.sh; do
  case "$b" in run.sh|lib.sh) continue ;; esac
  bash "$b"
done
