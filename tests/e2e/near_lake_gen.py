#!/usr/bin/env python3
"""Writes a small NEAR Lake: blocks as NEAR's indexer writes them to its
bucket, {height:012}/block.json and {height:012}/shard_N.json, into DIR,
and, given a server URL and a bucket, uploads them there (unsigned PUTs:
tests/s3/server.js accepts requests without a signature).

Deterministic: the same blocks every time. Heights have gaps (skipped
blocks); every block has two shards; one chunk is missing (chunk: null);
transactions carry one to three actions, with UTF-8 text in a function
call's arguments (base64 of JSON, as NEAR sends them) and a deposit of
u128's largest value; receipts are Action and Data receipts, some with
their outcome in the same block, one executed without being listed in a
chunk; one transaction and one receipt fail.

Usage: near_lake_gen.py DIR [URL BUCKET] [--only HEIGHT]
"""
import base64
import hashlib
import json
import os
import sys
import urllib.request

HEIGHTS = [100, 101, 103, 104, 107, 108, 110]
SHARDS = 2
U128_MAX = str(2**128 - 1)


def h(*parts):
    """A deterministic base58-looking hash of parts."""
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()[:44]


def outcome(oid, block_hash, executor, status, gas, receipt_ids=(), logs=()):
    return {
        "proof": [],
        "block_hash": block_hash,
        "id": oid,
        "outcome": {
            "logs": list(logs),
            "receipt_ids": list(receipt_ids),
            "gas_burnt": gas,
            "tokens_burnt": str(gas * 100000000),
            "executor_id": executor,
            "status": status,
            "metadata": {"version": 1, "gas_profile": None},
        },
    }


def actions_for(k, t):
    args = base64.b64encode(json.dumps({"greeting": "héllo wörld 🌊", "n": k}, ensure_ascii=False).encode()).decode()
    pool = [
        {"FunctionCall": {"method_name": "say", "args": args, "gas": 30000000000000, "deposit": "0"}},
        {"Transfer": {"deposit": U128_MAX}},
        {"AddKey": {"public_key": "ed25519:" + h("key", k, t), "access_key": {"nonce": 0, "permission": "FullAccess"}}},
    ]
    return pool[: 1 + (k + t) % 3]


def shard(height, k, s, block_hash):
    sid = s
    if k == 0 and s == 1:
        # A missing chunk: no chunk, but a delayed receipt still executes.
        rid = h("delayed", height)
        return {
            "shard_id": sid,
            "chunk": None,
            "receipt_execution_outcomes": [
                {
                    "execution_outcome": outcome(rid, block_hash, "bob.near", {"SuccessValue": ""}, 2428),
                    "receipt": {
                        "predecessor_id": "alice.near",
                        "receiver_id": "bob.near",
                        "receipt_id": rid,
                        "receipt": {"Action": {"signer_id": "alice.near", "signer_public_key": "ed25519:x",
                                               "gas_price": "103000000", "output_data_receivers": [],
                                               "input_data_ids": [], "actions": [{"Transfer": {"deposit": "5"}}]}},
                    },
                }
            ],
            "state_changes": [],
        }
    chunk_hash = h("chunk", height, s)
    txs = []
    for t in range((k + s) % 3 + 1):
        thash = h("tx", height, s, t)
        failed = height == 104 and s == 0 and t == 0
        status = ({"Failure": {"ActionError": {"index": 0, "kind": {"AccountDoesNotExist": {"account_id": "nobody.near"}}}}}
                  if failed else {"SuccessReceiptId": h("rcpt-of", thash)})
        txs.append({
            "transaction": {
                "signer_id": "signer%d.near" % ((k + t) % 4),
                "public_key": "ed25519:" + h("pk", k, t),
                "nonce": 1000000 * height + t,
                "receiver_id": "app.near",
                "actions": actions_for(k, t),
                "signature": "ed25519:" + h("sig", thash),
                "hash": thash,
                "priority_fee": 0,
            },
            "outcome": {
                "execution_outcome": outcome(thash, block_hash, "signer%d.near" % ((k + t) % 4), status,
                                             2428000000000 + t, [h("rcpt-of", thash)] if not failed else [],
                                             ["tx log %d ✓" % t]),
                "receipt": None,
            },
        })
    receipts = []
    executed = []
    for r in range((k + s) % 2 + 1):
        rid = h("r", height, s, r)
        if r == 0:
            body = {"Action": {"signer_id": "signer%d.near" % k, "signer_public_key": "ed25519:" + h("spk", k),
                               "gas_price": "103000000", "output_data_receivers": [], "input_data_ids": [],
                               "actions": actions_for(k, r + 1)}}
        else:
            body = {"Data": {"data_id": h("data", height, s), "data": base64.b64encode("données ✓".encode()).decode()}}
        rec = {"predecessor_id": "app.near", "receiver_id": "token%d.near" % s, "receipt_id": rid, "receipt": body}
        receipts.append(rec)
        if r == 0:
            failed = height == 107 and s == 1
            st = {"Failure": {"ActionError": {"index": 0, "kind": "FunctionCallError"}}} if failed else {"SuccessValue": "dHJ1ZQ=="}
            executed.append({"execution_outcome": outcome(rid, block_hash, "token%d.near" % s, st, 3000000000 + k,
                                                          logs=["receipt log ünïcode"]),
                             "receipt": rec})
    return {
        "shard_id": sid,
        "chunk": {
            "author": "validator%d.near" % s,
            "header": {"chunk_hash": chunk_hash, "shard_id": sid, "height_created": height, "height_included": height,
                       "gas_used": 1000 * k, "gas_limit": 1000000000000000, "balance_burnt": "0"},
            "transactions": txs,
            "receipts": receipts,
        },
        "receipt_execution_outcomes": executed,
        "state_changes": [],
    }


def block(height, k, prev):
    block_hash = h("block", height)
    ts = 1700000000000000000 + k * 1234567891
    return {
        "author": "validator%d.near" % (k % 3),
        "header": {
            "height": height,
            "prev_height": prev,
            "epoch_id": h("epoch", 1),
            "hash": block_hash,
            "prev_hash": h("block", prev) if prev else "11111111111111111111111111111111",
            "timestamp": ts,
            "timestamp_nanosec": str(ts),
            "gas_price": "100000000",
            "total_supply": U128_MAX if height == 110 else str(1157130000000000000000000000000000 + k),
            "chunks_included": SHARDS - (1 if k == 0 else 0),
            "latest_protocol_version": 67,
        },
        "chunks": [{"chunk_hash": h("chunk", height, s), "shard_id": s, "gas_used": 1000 * k,
                    "gas_limit": 1000000000000000, "height_created": height, "height_included": height}
                   for s in range(SHARDS)],
    }


def objects():
    prev = None
    for k, height in enumerate(HEIGHTS):
        b = block(height, k, prev)
        yield "%012d/block.json" % height, b
        for s in range(SHARDS):
            yield "%012d/shard_%d.json" % (height, s), shard(height, k, s, b["header"]["hash"])
        prev = height


def main():
    args = [a for a in sys.argv[1:]]
    if not args:
        sys.exit(__doc__)
    out = args[0]
    url = bucket = None
    if len(args) >= 3:
        url, bucket = args[1], args[2]
    for key, doc in objects():
        data = json.dumps(doc, ensure_ascii=False).encode()
        path = os.path.join(out, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if url:
            req = urllib.request.Request("%s/%s/%s" % (url, bucket, key), data=data, method="PUT",
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req).read()


if __name__ == "__main__":
    main()
