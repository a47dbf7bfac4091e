#!/usr/bin/env bash
# End-to-end: pond init writes a project whose example runs as it is: a
# source, a model with tests, an export and a pipeline joining them.
. "$(dirname "$0")/lib.sh"

P="$T/shop"
expect_exit "pond init" 0 "$POND" init "$P"
expect_contains "init says how to try the example" "$OUT" "pond run example"
for f in pond.yml .gitignore data/sales.csv sources/sales.yml models/marts/daily_sales.sql exports/daily_sales.yml; do
  check "init wrote $f" test -s "$P/$f"
done
check "pond.yml is commented" grep -q '^# ' "$P/pond.yml"
cd "$P" || exit 1
# libcurl, libpq and libmicrohttpd are opened on first use
# (src/util/dynlib.h): a query on a local project loads none of them, nor
# GnuTLS, which only they bring.
expect_exit "pond sql under LD_DEBUG=files" 0 env LD_DEBUG=files "$POND" sql "select 1"
check "a local query loads no libcurl, libpq, libmicrohttpd or GnuTLS" \
  bash -c '! grep -E "lib(curl|pq|microhttpd|gnutls)\.so" <<<"$1" && grep -q "libduckdb.so" <<<"$1"' _ "$ERR"
expect_exit "the example pipeline runs" 0 "$POND" run example
expect_contains "every step succeeded" "$OUT" "run 1 of example: success"
expect_eq "the export holds the model's rows" "$(cat out/daily_sales.csv)" "day,store,revenue,items
2024-01-02,Basel,37.80,9
2024-01-02,Zurich,76.40,20
2024-01-03,Basel,61.80,17
2024-01-03,Zurich,67.50,15
2024-01-04,Basel,54.60,13
2024-01-04,Zurich,70.20,19"
expect_exit "its data tests pass" 0 "$POND" test
expect_contains "three tests" "$OUT" "3 passed, 0 warned, 0 failed"
expect_exit "lineage from source to export" 0 "$POND" lineage --format json
check "lineage links raw.sales to the model and the export" python3 -c '
import json, sys
text = json.dumps(json.loads(sys.argv[1]))
assert "raw.sales" in text and "marts.daily_sales" in text and "daily_sales" in text' "$OUT"

expect_exit "pond init --bare" 0 "$POND" init --bare "$T/bare"
check "a bare project has no example" test ! -e "$T/bare/sources/sales.yml"
check "a bare project has no pipeline" bash -c "! grep -q pipelines '$T/bare/pond.yml'"
expect_exit "init refuses an existing project" 1 "$POND" init "$P"
expect_contains "and says why" "$ERR" "already exists"

finish
