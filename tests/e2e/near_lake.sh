#!/usr/bin/env bash
# End-to-end: a type: near_lake source against the suite's S3 test server
# (POND_TEST_S3_URL: s3rver behind a proxy that checks every SigV4
# signature), holding a few generated NEAR Lake blocks
# (tests/e2e/near_lake_gen.py: gaps in heights, two shards, a missing
# chunk, several actions, Action and Data receipts, failures, UTF-8).
# Runs of `pond ingest` and `pond run` load them a few blocks at a time;
# every table is compared with DuckDB reading the generated JSON itself;
# requests are signed and say the requester pays; a malformed block.json
# fails naming its key and commits nothing; 503s, a 500 and a dropped
# connection are retried; a run that fails or is killed
# between the tables' commits neither loses nor duplicates a row.
. "$(dirname "$0")/lib.sh"

s3_bucket near-lake
GEN="$(dirname "$0")/near_lake_gen.py"
python3 "$GEN" "$T/lake" "$U" "$B" || fail "generate and upload the blocks"
export NEAR_KEY=pondtest NEAR_SECRET=pondtestsecret NEAR_S3="$U"
cd "$T" || exit 1

# new_project DIR TABLE MAX_BLOCKS: a project whose source "near" reads
# the bucket, max_blocks at a time, into tables TABLE.*.
new_project() {
  "$POND" init --bare "$1" > /dev/null
  mkdir -p "$1/sources"
  cat > "$1/sources/near.yml" <<EOF
type: near_lake
table: $2
bucket: $B
start_height: 100
max_blocks: $3
requester_pays: true
endpoint: \${NEAR_S3}
region: eu-central-1
access_key_id_env: NEAR_KEY
secret_access_key_env: NEAR_SECRET
EOF
}
P() { "$POND" --project "$T/p" "$@"; }
q() { P sql --format csv "$1" | tail -n +2; }

# --- the reference: DuckDB reading the generated objects ---
L="$T/lake"
REF_BLOCKS="select header.height, header.hash, header.prev_hash, header.timestamp::bigint, author,
  header.total_supply::varchar, header.gas_price::varchar, len(chunks)
  from read_json('$L/*/block.json', maximum_object_size = 268435456)"
REF_TX="select t.transaction.hash, t.transaction.signer_id, t.transaction.nonce, t.transaction.receiver_id,
  len(t.transaction.actions), t.outcome.execution_outcome.outcome.gas_burnt,
  t.outcome.execution_outcome.outcome.tokens_burnt::varchar, shard_id
  from (select shard_id, unnest(chunk.transactions) as t
        from read_json('$L/*/shard_*.json', maximum_object_size = 268435456, union_by_name = true))"
ref() { P sql --format csv "$1 order by all" | tail -n +2; }
ours() { q "$1 order by all"; }
same() {  # same NAME OURS REF
  local a b
  a=$(ours "$2"); b=$(ref "$3")
  if [ -n "$a" ] && [ "$a" = "$b" ]; then pass "$1"; else
    fail "$1" "pond:   $(echo "$a" | head -c 400)" "duckdb: $(echo "$b" | head -c 400)"; fi
}

new_project p near 3
# --- run 1: the first three heights (100, 101, 103: 102 was skipped) ---
expect_exit "pond ingest near (run 1)" 0 P ingest near
expect_contains "it names the three tables" "$OUT" "near.blocks, near.transactions, near.receipts"
expect_eq "run 1 loads 3 blocks" "$(q 'select string_agg(height::varchar, $$ $$ order by height) from near.blocks')" "100 101 103"
# state_of TABLE: the source's state in the table's current snapshot summary.
state_of() {
  P show "$1" --json | python3 -c '
import json, sys
def find(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "pond.ingest.near.state":
                yield x
            yield from find(x)
    elif isinstance(v, list):
        for x in v:
            yield from find(x)
print(list(find(json.load(sys.stdin)))[-1])'
}
for t in blocks transactions receipts; do
  expect_eq "near.$t's state is the last height" "$(state_of near.$t)" '{"height": 103}'
done
# --- run 2 continues after 103; run 3 reaches the end; run 4 finds nothing ---
expect_exit "pond ingest near (run 2)" 0 P ingest near
expect_eq "run 2 continues with no gap" "$(q 'select string_agg(height::varchar, $$ $$ order by height) from near.blocks')" "100 101 103 104 107 108"
cat >> p/pond.yml <<EOF

pipelines:
  chain:
    steps:
      - ingest: near
EOF
expect_exit "pond run chain (run 3)" 0 P run chain
# Names in the bucket that are not heights: a folder that sorts after
# them, a key with no slash and a short number; the listing passes over them.
for k in notes/readme.txt index.json 12/block.json; do
  curl -sf -X PUT --data-binary '{}' "$U/$B/$k" > /dev/null || fail "put $k"
done
expect_exit "pond ingest near (run 4: nothing new)" 0 P ingest near --json
expect_contains "run 4 loads no row" "$OUT" '"rows":0,'
expect_eq "names that are not heights were listed, not fetched" \
  "$(curl -sf "$U/__pond/log?bucket=$B" | python3 -c '
import json, sys
log = json.load(sys.stdin)
names = ("notes/readme.txt", "index.json", "12/block.json")
print(any("delimiter" in (e["query"] or "") and "start-after=000000000111" in (e["query"] or "") for e in log),
      sorted(e["method"] for e in log if e["key"] in names))')" "True ['PUT', 'PUT', 'PUT']"

same "blocks equal DuckDB's reading of block.json" \
  "select height, hash, prev_hash, timestamp_ns, author, total_supply, gas_price, chunk_count from near.blocks" "$REF_BLOCKS"
same "transactions equal DuckDB's reading of the shards" \
  "select hash, signer_id, nonce, receiver_id, action_count, gas_burnt, tokens_burnt, shard_id from near.transactions" "$REF_TX"
expect_eq "no transaction twice" "$(q 'select count(*) - count(distinct hash) from near.transactions')" "0"
# Receipts: those chunks list, plus those executed but not listed.
REF_RX="select count(*) from (
  select r.receipt_id from (select unnest(chunk.receipts) as r from read_json('$L/*/shard_*.json', union_by_name = true, maximum_object_size = 268435456))
  union all
  select o.receipt.receipt_id from (select chunk, unnest(receipt_execution_outcomes) as o from read_json('$L/*/shard_*.json', union_by_name = true, maximum_object_size = 268435456))
  where chunk is null or not list_contains([x.receipt_id for x in chunk.receipts], o.receipt.receipt_id))"
expect_eq "receipts: as many as DuckDB counts" "$(q 'select count(*) from near.receipts')" "$(ref "$REF_RX")"
expect_eq "both kinds of receipts" "$(q 'select string_agg(kind || $$=$$ || n, $$,$$ order by kind) from (select kind, count(*) n from near.receipts group by kind)')" \
  "$(ref "select string_agg(k || '=' || n, ',' order by k) from (select k, count(*) n from (
     select case when r.receipt.Action is not null then 'Action' else 'Data' end k from (select unnest(chunk.receipts) as r from read_json('$L/*/shard_*.json', union_by_name = true, maximum_object_size = 268435456))
     union all select 'Action' from (select chunk, unnest(receipt_execution_outcomes) as o from read_json('$L/*/shard_*.json', union_by_name = true, maximum_object_size = 268435456)) where chunk is null) group by k)")"
expect_eq "the executed receipt of a missing chunk" "$(q "select shard_id, chunk_hash is null, index_in_chunk is null, executed, status from near.receipts where block_height = 100 and shard_id = 1")" "1,true,true,true,SuccessValue"
expect_eq "a failed transaction" "$(q "select status, status_value like '%AccountDoesNotExist%', receipt_id is null from near.transactions where status = 'Failure'")" "Failure,true,true"
expect_eq "a failed receipt" "$(q "select count(*) from near.receipts where status = 'Failure' and block_height = 107")" "1"
expect_eq "u128 amounts stay exact" "$(q "select total_supply from near.blocks where height = 110")" "340282366920938463463374607431768211455"
expect_eq "a deposit over DECIMAL(38) in the actions" \
  "$(q "select count(*) from near.transactions where actions like '%340282366920938463463374607431768211455%'")" \
  "$(ref "select count(*) from (select unnest(chunk.transactions) as t from read_json('$L/*/shard_*.json', union_by_name = true, maximum_object_size = 268435456)) where len(t.transaction.actions) >= 2")"
expect_eq "UTF-8 in arguments survives" \
  "$(q "select distinct decode(from_base64(json_extract_string(actions, '\$[0].FunctionCall.args'))) like '%héllo wörld 🌊%' from near.transactions")" "true"
expect_eq "logs keep their text" "$(q "select count(*) from near.receipts where logs like '%ünïcode%'")" "$(q "select count(*) from near.receipts where executed and block_height <> 100 or (executed and shard_id = 0)")"
expect_eq "timestamps are UTC instants" "$(q "select timestamp = make_timestamptz(timestamp_ns // 1000) from near.blocks where height = 101")" "true"
expect_eq "the schema of blocks" "$(q "select string_agg(column_name || ' ' || column_type, '; ') from (describe near.blocks)")" \
  "height BIGINT; hash VARCHAR; prev_hash VARCHAR; prev_height BIGINT; timestamp TIMESTAMP WITH TIME ZONE; timestamp_ns BIGINT; author VARCHAR; epoch_id VARCHAR; gas_price VARCHAR; total_supply VARCHAR; chunks_included BIGINT; chunk_count INTEGER"

# --- every request signed, and saying the requester pays ---
curl -sf "$U/__pond/log?bucket=$B" > "$T/log.json"
expect_eq "every request of pond is signed and requester-pays" \
  "$(python3 -c '
import json, sys
log = [e for e in json.load(open(sys.argv[1])) if e["method"] == "GET"]
print(len(log) > 0, all(e["sig"] == "ok" and e["requestPayer"] == "requester" for e in log))' "$T/log.json")" "True True"
expect_contains "heights are listed with a delimiter and start-after" "$(cat "$T/log.json")" "start-after=000000000104"

# --- a malformed block.json: one line naming the key, nothing committed ---
before=$(q "select count(*) from near.blocks")||true
snaps=$(P history near.blocks --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
printf '{"author": "x", "header": {"height": 120, "hash": ' > "$T/bad.json"
curl -sf -X PUT --data-binary @"$T/bad.json" "$U/$B/000000000120/block.json" > /dev/null
expect_exit "a malformed block fails the run" 1 P ingest near
expect_contains "the error names the object" "$ERR" "s3://$B/000000000120/block.json:1:"
expect_contains "... and says the JSON is invalid" "$ERR" ": invalid JSON: "
expect_eq "the error is one line" "$(printf '%s\n' "$ERR" | grep -c .)" "1"
expect_eq "nothing was committed" "$(P history near.blocks --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$snaps"
printf '{"author": "x", "header": {"height": 120, "hash": "h120", "timestamp": 1700000100000000000}, "chunks": [{"chunk_hash": "c"}]}' > "$T/ok.json"
printf '{"shard_id": 0, "chunk": null, "receipt_execution_outcomes": []}' > "$T/shard.json"
curl -sf -X PUT --data-binary @"$T/ok.json" "$U/$B/000000000120/block.json" > /dev/null
printf '{"shard_id": 0, "chunk": {"header": {}, "transactions": [], "receipts": []}, "receipt_execution_outcomes": []}' > "$T/bad_shard.json"
curl -sf -X PUT --data-binary @"$T/bad_shard.json" "$U/$B/000000000120/shard_0.json" > /dev/null
expect_exit "a shard without its chunk hash fails the run" 1 P ingest near
expect_contains "the error names the object and the field" "$ERR" "s3://$B/000000000120/shard_0.json: chunk.header.chunk_hash is missing or not a string"
curl -sf -X PUT --data-binary @"$T/shard.json" "$U/$B/000000000120/shard_0.json" > /dev/null
expect_exit "once fixed, the run goes on" 0 P ingest near
expect_eq "block 120 follows 110" "$(q "select count(*), max(height) from near.blocks")" "$((before + 1)),120"
expect_eq "a block without transactions still moves their state" "$(state_of near.transactions)" '{"height": 120}'
expect_eq "... and the receipts'" "$(state_of near.receipts)" '{"height": 120}'
expect_eq "an independent Iceberg reader reads past that empty snapshot" \
  "$(cd p && icebird_rows near.transactions | wc -l)" "$(q 'select count(*) from near.transactions')"

# --- a run that fails between the tables' commits ---
new_project f near 3
F() { "$POND" --project "$T/f" "$@"; }
# A receipts table whose receipt_id is a number: the receipts' load fails
# after blocks and transactions committed theirs.
F sql "create table near.receipts (block_height bigint, receipt_id integer)" > /dev/null
expect_exit "the receipts' commit fails" 1 F ingest near
expect_contains "naming the table" "$ERR" "table near.receipts"
expect_eq "blocks committed" "$(F sql --format csv 'select count(*) from near.blocks' | tail -n 1)" "3"
F sql "drop table near.receipts" > /dev/null
for i in 1 2 3 4; do F ingest near > /dev/null 2>&1 || fail "run $i after the failure"; done
expect_eq "blocks: neither lost nor twice" "$(F sql --format csv 'select count(*), count(distinct height) from near.blocks' | tail -n 1)" "8,8"
expect_eq "transactions: as in the first project" "$(F sql --format csv 'select count(*), count(distinct hash) from near.transactions' | tail -n 1)" "$(q 'select count(*), count(distinct hash) from near.transactions')"
expect_eq "receipts: caught up, as in the first project" "$(F sql --format csv 'select count(*) from near.receipts' | tail -n 1)" "$(q 'select count(*) from near.receipts')"

# --- 503s and a dropped connection are retried by the S3 client ---
new_project r near 20
curl -sf -X POST -H 'Content-Type: application/json' "$U/__pond/faults" -d "{\"bucket\": \"$B\", \"rules\": [
  {\"method\": \"GET\", \"key\": \"shard_1\", \"action\": \"503\", \"times\": 2},
  {\"method\": \"GET\", \"key\": \"block.json\", \"action\": \"drop\", \"times\": 1},
  {\"method\": \"GET\", \"query\": \"list-type\", \"action\": \"500\", \"times\": 1}]}" > /dev/null \
  || fail "set the faults"
expect_exit "a run through 503s, a 500 and a dropped connection" 0 "$POND" --project "$T/r" ingest near --json
# (libcurl itself resends a request whose reused connection was dropped:
# that one is not always counted.)
expect_eq "it retried the 503s and the 500" "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["retries"] >= 3)')" "True"
for t in blocks transactions receipts; do
  expect_eq "near.$t as without faults" "$("$POND" --project "$T/r" sql --format csv "select count(*) from near.$t" | tail -n 1)" \
    "$(q "select count(*) from near.$t")"
done

# --- mode: merge, each table on its own key ---
new_project m near 4
echo "mode: merge" >> m/sources/near.yml
for i in 1 2 3; do "$POND" --project "$T/m" ingest near > /dev/null 2>&1 || fail "merge run $i"; done
for t in blocks transactions receipts; do
  expect_eq "merge: near.$t as appended" "$("$POND" --project "$T/m" sql --format csv "select count(*) from near.$t" | tail -n 1)" \
    "$(q "select count(*) from near.$t")"
done

# --- runs killed at random points, then runs to the end ---
new_project k raw.near 2
K() { "$POND" --project "$T/k" "$@"; }
round=1
while kill_rounds_left "$round"; do
  kill_round "$POND" --project "$T/k" ingest near
  round=$((round + 1))
done
[ "$KILLED" -gt 0 ] && pass "some runs were killed ($KILLED)" || fail "no run was killed"
for i in 1 2 3 4 5 6; do K ingest near > /dev/null 2>&1 || fail "run $i after the kills: $(K ingest near 2>&1 | tail -n 1)"; done
for t in blocks transactions receipts; do
  expect_eq "after kills, raw.near_$t holds what the first project holds" \
    "$(K sql --format csv "select count(*) from raw.near_$t" | tail -n 1)" "$(q "select count(*) from near.$t")"
done
expect_eq "after kills, no block twice" "$(K sql --format csv 'select count(*) - count(distinct height) from raw.near_blocks' | tail -n 1)" "0"
expect_eq "after kills, no receipt twice" "$(K sql --format csv 'select count(*) - count(distinct (block_height, receipt_id)) from raw.near_receipts' | tail -n 1)" "0"

# --- lineage knows the three tables come from the source ---
mkdir -p p/models
echo 'select signer_id, count(*) as n from near.transactions group by 1' > p/models/signers.sql
expect_exit "pond lineage" 0 P lineage --format json
expect_eq "a model on near.transactions depends on the source's table" "$(echo "$OUT" | python3 -c '
import json, sys
g = json.load(sys.stdin)
src = sorted(n["name"] for n in g["nodes"] if n["kind"] == "source" and n["path"] == "sources/near.yml")
print(" ".join(src), [e["from"] for e in g["edges"] if e["to"].endswith("signers")])')" \
  "near.blocks near.receipts near.transactions ['near.transactions']"
expect_exit "pond transform builds it" 0 P transform
expect_eq "from the loaded rows" "$(q 'select sum(n) from main.signers')" "$(q 'select count(*) from near.transactions')"

# --- a table whose state is not a height (another source of that name loaded it) ---
new_project h near 3
mkdir -p h/in && printf 'id\n1\n' > h/in/one.csv
cp h/sources/near.yml "$T/near_lake.yml"
printf 'type: folder\npath: in/*.csv\ntable: near.receipts\n' > h/sources/near.yml
"$POND" --project "$T/h" ingest near > /dev/null 2>&1 || fail "a folder source loads near.receipts"
cp "$T/near_lake.yml" h/sources/near.yml
expect_exit "a state without a height fails the run" 1 "$POND" --project "$T/h" ingest near
expect_contains "naming the table, the source and the state" "$ERR" 'table near.receipts: state of source near has no height: {"files":'
expect_eq "and before any commit" "$("$POND" --project "$T/h" sql --format csv "show all tables" | tail -n +2)" "near,receipts"

# --- bad configuration: one line naming the file and line ---
new_project c near 3
sed -i 's/^bucket: .*/network: devnet/' c/sources/near.yml
expect_exit "an unknown network is refused" 1 "$POND" --project "$T/c" ingest near
expect_contains "naming the file and line" "$ERR" 'sources/near.yml:3: unknown network "devnet" (expected mainnet or testnet)'
finish
