#!/usr/bin/env bash
# Benchmark: the Iceberg REST catalog of `pond serve`, from one client on
# one keep-alive connection (Python's http.client). (1) N commits of
# set-properties to one table; target: 1,000 under 10 s. (2) A table
# given SNAPSHOTS snapshots by REST add-snapshot commits (expiry on commit
# off, so it keeps them all), then LOADS loadTable requests of it; target:
# median under 20 ms with 1,000 snapshots. References in the same run:
# the same number of GET /api/health round trips (the HTTP floor of a
# request), and Python parsing and re-serializing the table's metadata
# file (what any loadTable must at least do with it).
. "$(dirname "$0")/lib.sh"
N=${N:-1000}
SNAPSHOTS=${SNAPSHOTS:-1000}
LOADS=${LOADS:-50}
W=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-rest-XXXXXX")
SERVE=
trap '[ -z "$SERVE" ] || kill "$SERVE" 2> /dev/null; rm -rf "$W"' EXIT

P="$W/proj"
"$POND" init --bare "$P" > /dev/null 2>&1
(cd "$P" && "$POND" sql "create table bench.src as select range as id from range(10)") > /dev/null 2>&1
serve_start "$P" "$W/serve" --no-scheduler

python3 - "$URL" "$N" "$SNAPSHOTS" "$LOADS" <<'EOF'
import http.client, json, random, statistics, sys, time, urllib.parse

url, n, nsnap, loads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)

def call(method, path, body=None, want=200):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != want:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return data

V1 = "/iceberg/v1"
schema = {"type": "struct", "fields": [{"id": 1, "name": "id", "type": "long", "required": False}]}
props = {"pond.expire-on-commit.enabled": "false"}
call("POST", V1 + "/namespaces/bench/tables", {"name": "props", "schema": schema})
call("POST", V1 + "/namespaces/bench/tables", {"name": "snaps", "schema": schema, "properties": props})
src = json.loads(call("GET", V1 + "/namespaces/bench/tables/src"))["metadata"]
manifest_list = [s for s in src["snapshots"] if s["snapshot-id"] == src["current-snapshot-id"]][0]["manifest-list"]

# (1) N set-properties commits, one after the other.
start = time.perf_counter()
for i in range(n):
    call("POST", V1 + "/namespaces/bench/tables/props",
         {"requirements": [], "updates": [{"action": "set-properties", "updates": {"k": str(i)}}]})
commit_s = time.perf_counter() - start
start = time.perf_counter()
for i in range(n):
    call("GET", "/api/health")
health_s = time.perf_counter() - start

# (2) SNAPSHOTS add-snapshot commits, each asserting the head it read.
start = time.perf_counter()
head, seq = None, 0
for i in range(nsnap):
    sid = random.getrandbits(62)
    snap = {"snapshot-id": sid, "sequence-number": seq + 1, "timestamp-ms": int(time.time() * 1000),
            "manifest-list": manifest_list, "summary": {"operation": "append"}, "schema-id": 0}
    if head is not None:
        snap["parent-snapshot-id"] = head
    call("POST", V1 + "/namespaces/bench/tables/snaps",
         {"requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": head}],
          "updates": [{"action": "add-snapshot", "snapshot": snap},
                      {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": sid}]})
    head, seq = sid, seq + 1
snap_s = time.perf_counter() - start

times = []
for i in range(loads):
    start = time.perf_counter()
    body = call("GET", V1 + "/namespaces/bench/tables/snaps")
    times.append(time.perf_counter() - start)
doc = json.loads(body)
assert len(doc["metadata"]["snapshots"]) == nsnap, len(doc["metadata"]["snapshots"])
load_ms = statistics.median(times) * 1000
path = doc["metadata-location"]
ref = []
for i in range(loads):
    start = time.perf_counter()
    with open(path, "rb") as f:
        json.dumps({"metadata-location": path, "metadata": json.load(f), "config": {}})
    ref.append(time.perf_counter() - start)
ref_ms = statistics.median(ref) * 1000
size_kb = len(open(path, "rb").read()) / 1024

print(f"rest   {n} set-properties commits, one client: {commit_s * 1000:.0f} ms ({commit_s * 1000 / n:.2f} ms/commit); "
      f"{n} x GET /api/health: {health_s * 1000:.0f} ms; target < 10 s: {'met' if commit_s < 10 else 'MISSED'}")
print(f"rest   {nsnap} add-snapshot commits (assert-ref-snapshot-id): {snap_s * 1000:.0f} ms "
      f"({snap_s * 1000 / nsnap:.2f} ms/commit)")
print(f"rest   loadTable with {nsnap} snapshots ({size_kb:.0f} KB of metadata): median {load_ms:.2f} ms of {loads}; "
      f"python3 json load+dump of the file: {ref_ms:.2f} ms; ratio {load_ms / ref_ms:.2f}; "
      f"target < 20 ms: {'met' if load_ms < 20 else 'MISSED'}")
EOF
