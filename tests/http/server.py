#!/usr/bin/env python3
"""A test HTTP API for pond's ingestion tests (python3 standard library only).

Listens on 127.0.0.1 on a free port, writes the port to --port-file (or
stdout), and exits by itself after --timeout seconds. Endpoints:

  /pages?page=N[&per_page=K]   page-number pagination, {"data": [...]}, 25 records
  /offset?offset=O&limit=L      offset pagination, a bare array, 25 records
  /cursor[?cursor=C]            {"items": [...], "meta": {"next": C}}, 25 records
  /next[?p=N]                   {"results": [...], "next": "/next?p=N+1"} (relative URL)
  /link?page=N                  bare arrays with an RFC 5988 Link header, 25 records
  /ratelimited?page=N           the first request of each page: 429 Retry-After: 1
  /slow?page=N                  never ends: one record per page, 0.2 s each
  /flaky?page=N                 the first request of each page: 500
  /malformed?page=N             page 2 is not JSON
  /events?since=T               records with updated_at > T; /events/add?n=K adds K more,
                                from the 31st record on with a new field "score"
  /merge                        10 records whose "value" is the current version;
                                /merge/bump increments the version
  /auth                         needs Authorization: Bearer sekret (else 401)
  /apikey?api_key=k1            needs the key as a query parameter (else 401)
  /v0/topstories.json           ids 1..40 plus one (999) whose detail is null
  /v0/item/ID.json              a detail; ids divisible by 7 fail once with 503
  /v1/top.json                  a list of ids that tests change: 1..20 at first;
                                /v1/top/set?ids=A,B,... replaces it, /v1/top/bump
                                changes every item's score
  /v1/item/ID.json              {"id", "score": ID + 1000 * version, "title"}
  /v2/top.json[?n=N]            ids 1..600 (or 1..N); /v2/item/ID.json answers 2% of them
                                (every 50th) 429 or 500 the first time
  /files/NAME                   a file from --files (no content type: pond sniffs)
  /stats                        request counts per path, as JSON
  /login.csv, /login            200 text/html: a "Login required" page
  /stall.csv                    headers and two lines of CSV, then nothing (for 10 minutes)
  /silent.csv                   never answers (for 10 minutes)
  /trickle.csv                  one CSV line every 0.3 s for 10 minutes (never stalls)

With --marks DIR, each request to /stall.csv, /silent.csv or /trickle.csv
first creates DIR/NAME (e.g. DIR/stall.csv), and one to /slow?page=N
DIR/slow-N, so that a test can wait for the request to have arrived
before it signals pond: no sleeps for races.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
HITS = {}          # "path?query" -> count
PATH_HITS = {}     # path -> count
EVENTS = []        # the incremental endpoint's records
MERGE_VERSION = [1]
TOP = [list(range(1, 21)), 0]   # the /v1 list, and its score version
FILES_DIR = [None]
MARKS_DIR = [None]


def mark(name):
    if MARKS_DIR[0]:
        path = os.path.join(MARKS_DIR[0], name)
        with open(path + ".tmp", "w") as f:
            f.write("1")
        os.rename(path + ".tmp", path)


def add_events(n):
    for _ in range(n):
        i = len(EVENTS) + 1
        rec = {"id": i, "updated_at": "2024-01-01T00:%02d:%02dZ" % (i // 60, i % 60), "name": "event %d" % i}
        if i > 30:
            rec["score"] = i * 10
        EVENTS.append(rec)


add_events(20)

RECORDS = [{"id": i, "name": "rec %d" % i, "nested": {"a": i, "b": "x%d" % i}} for i in range(1, 26)]


def page_slice(page, size):
    start = (page - 1) * size
    return RECORDS[start:start + size]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("POND_TEST_HTTP_LOG"):
            sys.stderr.write("http: " + fmt % args + "\n")

    def send_json(self, obj, status=200, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.post_body = self.rfile.read(length) if length else b""
        self.do_GET()

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        with LOCK:
            HITS[self.path] = HITS.get(self.path, 0) + 1
            PATH_HITS[u.path] = PATH_HITS.get(u.path, 0) + 1
            first = HITS[self.path] == 1
        page = int(q.get("page", "1"))
        host = "http://%s:%d" % self.server.server_address[:2]
        p = u.path
        if p == "/pages":
            size = int(q.get("per_page", "10"))
            return self.send_json({"data": page_slice(page, size), "page": page})
        if p == "/offset":
            off, lim = int(q.get("offset", "0")), int(q.get("limit", "10"))
            return self.send_json(RECORDS[off:off + lim])
        if p == "/cursor":
            c = int(q.get("cursor", "0"))
            items = RECORDS[c:c + 10]
            meta = {"next": str(c + 10)} if c + 10 < len(RECORDS) else {}
            return self.send_json({"items": items, "meta": meta})
        if p == "/next":
            n = int(q.get("p", "1"))
            nxt = "/next?p=%d" % (n + 1) if n * 10 < len(RECORDS) else None
            return self.send_json({"results": page_slice(n, 10), "next": nxt})
        if p == "/link":
            headers = {}
            if page * 10 < len(RECORDS):
                headers["Link"] = '<%s/link?page=%d>; rel="next", <%s/link?page=3>; rel="last"' % (
                    host, page + 1, host)
            return self.send_json(page_slice(page, 10), headers=headers)
        if p == "/ratelimited":
            if first:
                return self.send_json({"error": "slow down"}, 429, {"Retry-After": "1"})
            return self.send_json({"data": page_slice(page, 10)})
        if p == "/slow":
            mark("slow-%d" % page)
            time.sleep(0.2)
            return self.send_json({"data": [{"id": page}]})
        if p == "/flaky":
            if first:
                return self.send_json({"error": "boom"}, 500)
            return self.send_json({"data": page_slice(page, 10)})
        if p == "/malformed":
            if page == 2:
                return self.send_json(None, raw=b'{"data": [{"id": 11}, {"id": 12,')
            return self.send_json({"data": page_slice(page, 10)})
        if p == "/events":
            since = q.get("since", "")
            with LOCK:
                recs = [e for e in EVENTS if e["updated_at"] > since]
            return self.send_json({"events": recs})
        if p == "/events/add":
            with LOCK:
                add_events(int(q.get("n", "1")))
                n = len(EVENTS)
            return self.send_json({"count": n})
        if p == "/merge":
            return self.send_json([{"id": i, "value": "v%d-%d" % (MERGE_VERSION[0], i)} for i in range(1, 11)])
        if p == "/merge/bump":
            with LOCK:
                MERGE_VERSION[0] += 1
            return self.send_json({"version": MERGE_VERSION[0]})
        if p == "/v1/top.json":
            return self.send_json(TOP[0])
        if p == "/v1/top/set":
            with LOCK:
                TOP[0] = [int(x) for x in q.get("ids", "").split(",") if x]
            return self.send_json(TOP[0])
        if p == "/v1/top/bump":
            with LOCK:
                TOP[1] += 1
            return self.send_json({"version": TOP[1]})
        if p.startswith("/v1/item/") and p.endswith(".json"):
            i = int(p[len("/v1/item/"):-len(".json")])
            return self.send_json({"id": i, "score": i + 1000 * TOP[1], "title": "item %d" % i})
        if p == "/v2/top.json":
            return self.send_json(list(range(1, int(q.get("n", "600")) + 1)))
        if p.startswith("/v2/item/") and p.endswith(".json"):
            i = int(p[len("/v2/item/"):-len(".json")])
            if i % 50 == 0 and first:
                return self.send_json({"error": "busy"}, 429 if i % 100 == 0 else 500)
            return self.send_json({"id": i, "title": "item %d" % i})
        if p == "/auth":
            if self.headers.get("Authorization") != "Bearer sekret":
                return self.send_json({"error": "unauthorized"}, 401)
            return self.send_json([{"id": 1, "secret": "ok"}])
        if p == "/apikey":
            if q.get("api_key") != "k1":
                return self.send_json({"error": "unauthorized"}, 401)
            return self.send_json([{"id": 1, "secret": "ok"}])
        if p == "/search":
            body = json.loads(getattr(self, "post_body", b"{}") or b"{}")
            return self.send_json({"hits": [{"id": 1, "query": body.get("q")}]})
        if p == "/v0/topstories.json":
            return self.send_json(list(range(1, 41)) + [999])
        if p.startswith("/v0/item/") and p.endswith(".json"):
            i = int(p[len("/v0/item/"):-len(".json")])
            if i == 999:
                return self.send_json(None)
            if i % 7 == 0 and first:
                return self.send_json({"error": "busy"}, 503)
            return self.send_json({"id": i, "type": "story", "by": "user%d" % (i % 5),
                                   "title": "story %d" % i, "score": i * 3, "time": 1700000000 + i})
        if p.startswith("/files/") and FILES_DIR[0]:
            name = os.path.basename(p[len("/files/"):])
            path = os.path.join(FILES_DIR[0], name)
            if not os.path.isfile(path):
                return self.send_json({"error": "no such file"}, 404)
            size = os.path.getsize(path)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(1 << 16)
                    if not chunk:
                        break
                    self.wfile.write(chunk)
            return None
        if p in ("/login.csv", "/login"):
            body = (b"<!DOCTYPE html>\n<html><head><title>Login required</title></head>"
                    b"<body><form>user <input name=u></form></body></html>\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if p in ("/stall.csv", "/trickle.csv"):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", "100000000")
            self.end_headers()
            self.wfile.write(b"id,name\n1,a\n")
            self.wfile.flush()
            mark(p[1:])
            for i in range(2000):
                time.sleep(0.3)
                if p == "/trickle.csv":
                    self.wfile.write(b"%d,x\n" % (i + 2))
                    self.wfile.flush()
            return None
        if p == "/silent.csv":
            mark("silent.csv")
            time.sleep(600)
            return None
        if p == "/stats":
            with LOCK:
                return self.send_json(dict(PATH_HITS))
        return self.send_json({"error": "not found"}, 404)


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that went away (a cancelled run) is not an error here.
        if os.environ.get("POND_TEST_HTTP_LOG"):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--files")
    ap.add_argument("--marks")
    args = ap.parse_args()
    FILES_DIR[0] = args.files
    MARKS_DIR[0] = args.marks
    srv = Server(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    # Stop by ourselves, whatever the test did.
    threading.Timer(args.timeout, lambda: os._exit(0)).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
