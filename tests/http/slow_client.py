"""Slow HTTP clients for pond's server tests (loopback only, bounded).

usage: slow_client.py PORT STATUS_FILE [--from ADDR] [--clients N]
                      [--interval S] [--duration S] [--watch ADDR]

Opens N connections to 127.0.0.1:PORT from source address ADDR (default
127.0.0.2, another loopback address, so a per-address limit applies to
them and not to the test's own requests), sends a request line and then
one header line every S seconds on each, never finishing the headers.
A connection the server closes is opened again, so the pressure lasts
for the whole duration (at most 120 s). With --watch, one more
connection from that address trickles the same way and is not reopened:
the status file says whether the server cut it. The status file, written
atomically after every round, is JSON: rounds, open, reopened, watched
("open" or "cut").
"""
import argparse, json, os, socket, time

p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("status")
p.add_argument("--from", dest="src", default="127.0.0.2")
p.add_argument("--clients", type=int, default=200)
p.add_argument("--interval", type=float, default=1.0)
p.add_argument("--duration", type=float, default=60.0)
p.add_argument("--watch", default=None)
a = p.parse_args()
assert a.src.startswith("127.") and (a.watch is None or a.watch.startswith("127."))
duration = min(a.duration, 120.0)

def connect(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", a.port))
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    except OSError:
        s.close()
        return None
    s.setblocking(False)
    return s

def closed_by_server(s):
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True

# the watched connection first, so that it is accepted before any limit
watched = connect(a.watch) if a.watch else None
conns = [connect(a.src) for _ in range(a.clients)]
watched_state = "open" if watched else "none"
reopened = 0
rounds = 0
end = time.monotonic() + duration
while time.monotonic() < end:
    rounds += 1
    for i, s in enumerate(conns):
        if s is None or closed_by_server(s):
            if s is not None:
                s.close()
            conns[i] = connect(a.src)
            reopened += 1
            continue
        try:
            s.send(b"X-Slow-%d: %d\r\n" % (rounds, i))
        except OSError:
            pass
    if watched is not None and watched_state == "open":
        if closed_by_server(watched):
            watched_state = "cut"
        else:
            try:
                watched.send(b"X-Slow-%d: w\r\n" % rounds)
            except OSError:
                watched_state = "cut"
    tmp = a.status + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"rounds": rounds, "open": sum(1 for s in conns if s is not None),
                   "reopened": reopened, "watched": watched_state}, f)
    os.replace(tmp, a.status)
    time.sleep(a.interval)
for s in conns:
    if s is not None:
        s.close()
