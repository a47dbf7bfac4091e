#!/usr/bin/env bash
# End-to-end: pond opens the Iceberg SQL catalogs other tools wrote (the
# pyiceberg SQLite catalogs of tests/fixtures) and reads their tables
# through `pond sql`, with the row counts fixtures/iceberg/README.md lists.
. "$(dirname "$0")/lib.sh"

SRC="$FIXTURES/iceberg/duckdb-iceberg/data/persistent"
[ -d "$SRC" ] || { fail "fixtures present" "no $SRC"; finish; exit 1; }

# Copy: fixtures are read-only, and pond may write to a catalog it opens.
# The catalogs record metadata paths relative to a root (data/persistent/...),
# which pond resolves against the project folder.
mkdir -p "$T/fx/data/persistent"
cp -r "$SRC/null_stats" "$SRC/add_columns_with_defaults" "$SRC/column_mapping" "$T/fx/data/persistent/"
cd "$T/fx" || exit 1

use_catalog() {  # $1 catalog file, $2 catalog name
  printf 'name: fixtures\nwarehouse: warehouse\ncatalog: %s\ncatalog_name: %s\n' "$1" "$2" > pond.yml
}
value() { "$POND" sql --format csv "$1" | tail -n 1; }

use_catalog data/persistent/null_stats/pyiceberg_catalog.db local
expect_exit "pyiceberg catalog: tables" 0 "$POND" tables
expect_contains "pyiceberg catalog lists its table" "$OUT" "default.test_nulls"
expect_eq "null_stats: current snapshot rows" "$(value 'select count(*) from "default".test_nulls')" "9"
expect_eq "null_stats: null flags read" "$(value 'select count(*) from "default".test_nulls where flag is null')" "5"
second=$("$POND" history default.test_nulls --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[1]["snapshot_id"])')
expect_eq "null_stats: time travel to the second snapshot" \
  "$(value "select count(*) from \"default\".test_nulls at (version => $second)")" "6"

use_catalog data/persistent/add_columns_with_defaults/pyiceberg_catalog.db default
expect_eq "add_columns_with_defaults: rows" \
  "$(value 'select count(*) from "default".add_columns_with_defaults')" "3"

use_catalog data/persistent/column_mapping/catalog.sqlite my_catalog
expect_eq "column_mapping (files without field ids): rows" "$(value 'select count(*) from "default".my_table')" "3"

finish
