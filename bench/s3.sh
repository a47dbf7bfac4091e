#!/usr/bin/env bash
# A warehouse on S3 (pond's S3 test server, tests/s3/start.sh: s3rver behind
# a proxy that checks every signature; or the one POND_TEST_S3_URL names)
# against the same project on the local disk:
#  1. a selective query on a FILES-file table (one file per value of p)
#     fetches only the planned files: counted in the server's request log
#     with a cold object cache (target: exactly the matching file);
#  2. the same query repeated, served from the cache, against the same
#     query on a local warehouse (target: at most 1.2x);
#  3. `pond ingest` of a ROWS-row CSV into the S3 warehouse against the
#     ingest into a local warehouse plus a curl upload of the Parquet bytes
#     that ingest wrote (target: at most 1.5x).
#   FILES=10000 ROWS=12000000 RUNS=11 INGEST_RUNS=3 bench/s3.sh
. "$(dirname "$0")/lib.sh"
FILES=${FILES:-10000}
ROWS=${ROWS:-12000000}
RUNS=${RUNS:-11}
INGEST_RUNS=${INGEST_RUNS:-3}
T=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-s3-XXXXXX")
server=
cleanup() { [ -z "$server" ] || "$ROOT/tests/s3/stop.sh" "$server"; rm -rf "$T"; }
trap cleanup EXIT
if [ -n "${POND_TEST_S3_URL:-}" ]; then
  U=$POND_TEST_S3_URL
else
  server="$T/server"
  U=$("$ROOT/tests/s3/start.sh" "$server")
fi
B="pond-bench-$$"
curl -sf -X PUT "$U/$B" > /dev/null
export BENCH_KEY=pondtest BENCH_SECRET=pondtestsecret

"$POND" init --bare "$T/s3" > /dev/null
"$POND" init --bare "$T/local" > /dev/null
sed -i "s|^warehouse: warehouse|warehouse: s3://$B/wh|" "$T/s3/pond.yml"
printf 'storage:\n  endpoint: %s\n  path_style: true\n  access_key_id_env: BENCH_KEY\n  secret_access_key_env: BENCH_SECRET\n' \
  "$U" >> "$T/s3/pond.yml"
S() { "$POND" --project "$T/s3" "$@"; }
L() { "$POND" --project "$T/local" "$@"; }
gets() {  # GETs of data files the server answered so far
  curl -sf "$U/__pond/log?bucket=$B" | python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if e["method"] == "GET" and "/data/" in e["key"]))'
}

# --- 1 and 2: a table of FILES files, queried by partition ---
make_table() {
  "$@" sql "create table bench.events (id bigint, p int, v double)" > /dev/null 2>&1
  "$@" sql "alter table bench.events add partition field p" > /dev/null 2>&1
  "$@" sql "insert into bench.events select range, range % $FILES, range / 3 from range($((FILES * 20)))" > /dev/null 2>&1
}
start=$EPOCHREALTIME
make_table S
write_ms=$(echo "($EPOCHREALTIME - $start) * 1000" | bc -l)
make_table L
nfiles=$(S sql --format csv "select count(*) from (select distinct p from bench.events)" | tail -n 1)
rm -rf "$T/s3/.pond/cache/s3"   # a cold cache: nothing of the table is local
q="select count(*), sum(v) from bench.events where p = $((FILES / 3))"
before=$(gets)
want=$(L sql --format csv "$q" | md5sum)
[ "$(S sql --format csv "$q" | md5sum)" = "$want" ] || echo "s3       WARNING: the S3 and local answers differ"
fetched=$(( $(gets) - before ))
printf 's3       selective query on a %s-file table (written in %.0f ms): %s data file(s) fetched with a cold cache: %s\n' \
  "$nfiles" "$write_ms" "$fetched" "$([ "$fetched" = 1 ] && echo met || echo MISSED)"
# Alternated run by run, so that a busy moment of a shared machine hits
# both sides alike.
before=$(gets)
for ((i = 0; i < RUNS; i++)); do
  echo "s3 $(median_ms 1 S sql "$q")"
  echo "local $(median_ms 1 L sql "$q")"
done > "$T/times"
med() { awk -v k="$1" '$1 == k { print $2 }' "$T/times" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
t_s3=$(med s3)
t_local=$(med local)
refetched=$(( $(gets) - before ))
printf 's3       the same query repeated: S3 warehouse %s ms, local warehouse %s ms (median of %d); %s data files fetched; ratio %.3f; target <= 1.2: %s\n' \
  "$t_s3" "$t_local" "$RUNS" "$refetched" "$(echo "$t_s3 / $t_local" | bc -l)" \
  "$([ "$(echo "$t_s3 / $t_local <= 1.2" | bc -l)" = 1 ] && [ "$refetched" = 0 ] && echo met || echo MISSED)"

# --- 3: a large ingest ---
gen="select range as id, 'name-' || (range % 9973) as name, range % 1000 / 7.0 as score,
  timestamp '2024-01-01' + to_seconds(range % 31536000) as at, md5(range::varchar) as hash from range($ROWS)"
"$POND" sql "copy ($gen) to '$T/big.csv' (header)" > /dev/null
csv_mb=$(du -m "$T/big.csv" | cut -f1)
ingest_ms() {  # ingest_ms S|L TABLE
  local start=$EPOCHREALTIME
  "$1" ingest "$T/big.csv" --table "bench.$2" -q > /dev/null
  echo "($EPOCHREALTIME - $start) * 1000" | bc -l
}
upload_ms() {  # upload_ms TABLE: curl PUTs of the Parquet files a local ingest wrote
  local total=0 start f
  for f in $(find "$T/local/warehouse/bench/$1/data" -name '*.parquet'); do
    start=$EPOCHREALTIME
    curl -sf -T "$f" "$U/$B/curl/$1/$(basename "$f")" > /dev/null
    total=$(echo "$total + ($EPOCHREALTIME - $start) * 1000" | bc -l)
  done
  echo "$total"
}
# Alternated, INGEST_RUNS times each, medians: a shared machine's busy
# moments hit both sides alike.
for ((i = 0; i < INGEST_RUNS; i++)); do
  echo "local $(ingest_ms L big$i)"
  echo "curl $(upload_ms big$i)"
  echo "s3 $(ingest_ms S big$i)"
done > "$T/times"
pq_bytes=$(find "$T/local/warehouse/bench/big0/data" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
[ "$(S sql --format csv "select count(*), sum(id) from bench.big0" | md5sum)" = \
  "$(L sql --format csv "select count(*), sum(id) from bench.big0" | md5sum)" ] || echo "s3       WARNING: the ingested tables differ"
t_local=$(med local)
upload=$(med curl)
t_s3=$(med s3)
ref=$(echo "$t_local + $upload" | bc -l)
printf 's3       ingest of a %s MB CSV (%s rows, %s MB of Parquet): S3 warehouse %.0f ms; local warehouse %.0f ms + curl upload %.0f ms = %.0f ms (medians of %d); ratio %.3f; target <= 1.5: %s\n' \
  "$csv_mb" "$ROWS" "$((pq_bytes >> 20))" "$t_s3" "$t_local" "$upload" "$ref" "$INGEST_RUNS" "$(echo "$t_s3 / $ref" | bc -l)" \
  "$([ "$(echo "$t_s3 / $ref <= 1.5" | bc -l)" = 1 ] && echo met || echo MISSED)"
