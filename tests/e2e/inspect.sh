#!/usr/bin/env bash
# End-to-end: `pond inspect` on Iceberg tables written by Spark, Java and
# pyiceberg: text and JSON output, table folders and metadata files, moved
# paths, snapshot selection, and errors with their exit codes.
. "$(dirname "$0")/lib.sh"

ICE="$FIXTURES/iceberg"
PART="$ICE/duckdb-iceberg/data/persistent/equality_deletes/warehouse/mydb/mytable_partitioned"
LINEITEM="$ICE/duckdb-iceberg/data/persistent/iceberg/lineitem_iceberg/metadata/v1.metadata.json"
BUNNIES="$ICE/icebird/spark/bunnies"

# --- text ---
expect_exit "inspect a metadata file" 0 "$POND" inspect "$LINEITEM"
expect_contains "format version" "$OUT" "format      v2"
expect_contains "location" "$OUT" "./lineitem_iceberg"
expect_contains "schema field with id and type" "$OUT" "l_orderkey"
expect_contains "record total" "$OUT" "60175 records"
expect_contains "main ref" "$OUT" "main         branch 7817332053627255703"

expect_exit "inspect a table folder (version-hint.text)" 0 "$POND" inspect "$PART"
expect_contains "newest version is v6" "$OUT" "metadata/v6.metadata.json"
expect_contains "partition spec" "$OUT" "spec 0: name=identity(2) [1000]"
expect_contains "delete manifests" "$OUT" "deletes spec 0  seq 5"
expect_contains "delete attached" "$OUT" "deleted by $PART/data/name=f/delete-"
expect_contains "totals" "$OUT" "total: 6 data files, 6 records"

expect_exit "inspect a moved s3a table folder" 0 "$POND" inspect "$BUNNIES"
expect_contains "s3a location shown" "$OUT" "s3a://hyperparam-iceberg/spark/bunnies"
expect_contains "data path remapped" "$OUT" "$BUNNIES/data/"

# --- json ---
expect_exit "inspect --json" 0 "$POND" inspect --json "$PART/metadata/v6.metadata.json"
echo "$OUT" > "$T/part.json"
got=$(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const s = d.snapshot;
  const withDeletes = s.data_files.filter(f => f.deletes.length).map(f => f.partition.name).sort().join("");
  console.log([d.format_version, d.current_schema.fields.length, d.partition_specs[0].fields[0].transform,
    s.manifests.length, s.data_files.length, s.totals.data_records, s.delete_files.length, withDeletes,
    s.delete_files[0].equality_ids[0], d.snapshots.length, d.refs.main.type].join(" "));
' "$T/part.json" 2>&1)
expect_eq "json parses with node and holds the plan" "$got" "2 3 identity 5 6 6 3 bcf 2 5 branch"

expect_exit "inspect --json --snapshot" 0 "$POND" inspect --json --snapshot 6447922032991303611 "$PART"
echo "$OUT" > "$T/first.json"
got=$(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(d.snapshot.data_files.length, d.snapshot.delete_files.length);
' "$T/first.json" 2>&1)
expect_eq "older snapshot has 4 files and no deletes" "$got" "4 0"
expect_contains "older snapshot id (exact, not a JS double)" "$OUT" '"snapshot_id": 6447922032991303611,
    "manifests"' 

expect_exit "inspect --filter prunes by partition" 0 "$POND" inspect --json --filter "name = 'f'" "$PART"
echo "$OUT" > "$T/filtered.json"
got=$(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(d.snapshot.data_files.map(f => f.partition.name).join(","));
' "$T/filtered.json" 2>&1)
expect_eq "only partition f" "$got" "f"

expect_exit "v1 table that lists manifests" 0 "$POND" inspect "$ICE/duckdb-iceberg/data/persistent/iceberg_v1_deprecated/default/legacy_v1"
expect_contains "v1 format" "$OUT" "format      v1"
expect_contains "v1 totals" "$OUT" "total: 2 data files, 3 records"

expect_exit "empty table" 0 "$POND" inspect "$ICE/duckdb-iceberg/data/persistent/partition_integer/metadata/v1.metadata.json"
expect_contains "empty table says so" "$OUT" "no snapshot"

# --- errors ---
expect_exit "missing path exits 1" 1 "$POND" inspect "$T/nope"
expect_eq "missing path is one line" "$(echo "$ERR" | wc -l)" "1"
expect_contains "missing path named" "$ERR" "could not open $T/nope: no such file or folder"
mkdir -p "$T/notable/data"
expect_exit "a folder with no metadata/ exits 1" 1 "$POND" inspect "$T/notable"
expect_contains "says it is no table folder" "$ERR" "could not open $T/notable: not a metadata file or a table folder"
mkdir -p "$T/notable/metadata"
expect_exit "an empty metadata/ exits 1" 1 "$POND" inspect "$T/notable"
expect_contains "says metadata/ has no metadata file" "$ERR" "no metadata file in $T/notable/metadata"
echo 3 > "$T/notable/metadata/version-hint.text"
expect_exit "a hint naming no file, and no metadata file, exits 1" 1 "$POND" inspect "$T/notable"
expect_contains "says metadata/ has no metadata file (hinted)" "$ERR" "no metadata file in $T/notable/metadata"
# a hint naming a file that is not there: the highest-numbered one is read
cp -r "$PART" "$T/hinted"
echo 9 > "$T/hinted/metadata/version-hint.text"
expect_exit "a stale hint falls back to the newest file" 0 "$POND" inspect "$T/hinted"
expect_contains "the newest is v6" "$OUT" "$T/hinted/metadata/v6.metadata.json"
echo v5.metadata.json > "$T/hinted/metadata/version-hint.text"
expect_exit "a hint naming a file by name" 0 "$POND" inspect "$T/hinted"
expect_contains "the hinted file is read" "$OUT" "$T/hinted/metadata/v5.metadata.json"
printf '{"format-version": 2, "table-uuid": ' > "$T/bad.metadata.json"
expect_exit "corrupt metadata exits 1" 1 "$POND" inspect "$T/bad.metadata.json"
expect_eq "corrupt metadata is one line" "$(echo "$ERR" | wc -l)" "1"
expect_contains "corrupt metadata named" "$ERR" "bad.metadata.json"
expect_exit "missing manifest list exits 1" 1 "$POND" inspect "$ICE/duckdb-iceberg/data/persistent/equality_deletes/warehouse/mydb/mytable/metadata/v3.metadata.json"
expect_contains "missing manifest list named" "$ERR" "snap-7342794868382145167"
expect_exit "unknown snapshot exits 1" 1 "$POND" inspect --snapshot 42 "$PART"
expect_contains "unknown snapshot named" "$ERR" "snapshot 42 not found"
expect_exit "bogus option exits 2" 2 "$POND" inspect --bogus "$PART"
expect_contains "bogus option named" "$ERR" "--bogus"
expect_exit "no path exits 2" 2 "$POND" inspect
expect_exit "bad filter exits 2" 2 "$POND" inspect --filter "name = " "$PART"
expect_exit "--help exits 0" 0 "$POND" inspect --help
expect_contains "help shows usage" "$OUT" "usage: pond inspect"

finish
