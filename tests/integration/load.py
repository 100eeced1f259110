#!/usr/bin/env python3
"""load.py -- a bounded HTTP/1.1 load generator that counts every failure.

    load.py --port PORT [--seconds S | --requests N] [--threads T]
            [--mode mix|keepalive|close] [--path /] [--header NAME]
            [--out FILE]

Half of the threads (mode "mix") keep connections alive for up to
--per-conn requests, the other half open one connection per request
(Connection: close).  Every response is read completely (Content-Length or
chunked) and checked: status 200 and a full body.  A failure is any of:
connection refused, reset or closed before the whole answer, a timeout, a
short body, a status other than 200.

A reused keep-alive connection that the server closes before sending a
single byte of the answer is the one case HTTP lets a client retry
(RFC 9112, 9.3.1): it is counted apart as "retried", the request is sent
again on a new connection, and only a failure of that retry counts.

Prints one line of figures, e.g.
    requests=5012 ok=5012 failed=0 refused=0 reset=0 short=0 timeout=0 non200=0 retried=0
and, with --header NAME, the values of that response header in the order
they were first seen ("values=a,b,c").  --out FILE writes, one line per
request, "<end time> <status> <header value>" so a test can check what was
served after a given moment.  --ready FILE creates FILE when the first
answer arrives (the interpreter may take a while to start).  Exit status 0 when failed=0, else 1.
"""
import argparse
import socket
import sys
import threading
import time


class Failure(Exception):
    def __init__(self, kind, detail, fresh_bytes=True):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        # False: the connection was reused and not a byte of the answer came
        self.fresh_bytes = fresh_bytes


def read_response(sock, buf):
    """Read one response from sock; buf holds bytes already received.
    Returns (status, headers dict, body, rest of buf, server_closes)."""
    got_any = len(buf) > 0
    while b"\r\n\r\n" not in buf:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise Failure("timeout", "timed out waiting for the head", got_any)
        except ConnectionResetError:
            raise Failure("reset", "reset before the head", got_any)
        if not chunk:
            raise Failure("short", "closed before the end of the head (%d bytes)" % len(buf), got_any)
        buf += chunk
        got_any = True
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise Failure("short", "bad status line %r" % lines[0])
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()

    def need(n):
        nonlocal buf
        while len(buf) < n:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                raise Failure("timeout", "timed out in the body")
            except ConnectionResetError:
                raise Failure("reset", "reset in the body")
            if not chunk:
                raise Failure("short", "closed in the body (%d of %d bytes)" % (len(buf), n))
            buf += chunk

    body = b""
    if "content-length" in headers:
        n = int(headers["content-length"])
        need(n)
        body, buf = buf[:n], buf[n:]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            while b"\r\n" not in buf:
                need(len(buf) + 1)
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            need(size + 2)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
    else:
        raise Failure("short", "answer without Content-Length or chunked")
    closes = headers.get("connection", "").lower() == "close"
    return status, headers, body, buf, closes


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = dict(requests=0, ok=0, failed=0, refused=0, reset=0,
                           short=0, timeout=0, non200=0, retried=0)
        self.values = []
        self.details = []
        self.records = []
        self.ready_file = None

    def add(self, key, detail=None):
        with self.lock:
            self.counts[key] += 1
            if detail and len(self.details) < 10:
                self.details.append(detail)

    def seen(self, status, value):
        with self.lock:
            if self.ready_file:
                open(self.ready_file, "w").close()
                self.ready_file = None
            self.records.append((time.time(), status, value))
            if value is not None and value not in self.values:
                self.values.append(value)


def worker(args, stats, keepalive, stop_at, budget):
    sock = None
    buf = b""
    used = 0  # requests sent on sock
    done = 0
    host = "127.0.0.1:%d" % args.port
    while True:
        if stop_at and time.time() >= stop_at:
            break
        if budget is not None and done >= budget:
            break
        done += 1
        stats.add("requests")
        last = keepalive and used + 1 >= args.per_conn
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: load.py\r\n%s\r\n" %
               (args.path, host, "" if keepalive and not last else "Connection: close\r\n")).encode()
        for attempt in (1, 2):
            reused = sock is not None
            try:
                if sock is None:
                    try:
                        sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
                    except ConnectionRefusedError:
                        raise Failure("refused", "connection refused")
                    except socket.timeout:
                        raise Failure("timeout", "connect timed out")
                    buf = b""
                    used = 0
                try:
                    sock.sendall(req)
                except (BrokenPipeError, ConnectionResetError):
                    raise Failure("reset", "send failed", False)
                used += 1
                status, headers, body, buf, closes = read_response(sock, buf)
            except Failure as f:
                if sock is not None:
                    sock.close()
                sock = None
                if reused and not f.fresh_bytes and attempt == 1:
                    stats.add("retried")
                    continue
                stats.add("failed", "%s%s" % (f.detail, " (retry)" if attempt == 2 else ""))
                stats.add(f.kind)
                stats.seen(0, None)
                break
            value = headers.get(args.header.lower()) if args.header else None
            stats.seen(status, value)
            if status != 200:
                stats.add("failed", "status %d" % status)
                stats.add("non200")
            else:
                stats.add("ok")
            if closes or not keepalive or last:
                sock.close()
                sock = None
            break
    if sock is not None:
        sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--requests", type=int, default=0, help="per thread")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--mode", choices=("mix", "keepalive", "close"), default="mix")
    ap.add_argument("--per-conn", type=int, default=50)
    ap.add_argument("--path", default="/")
    ap.add_argument("--header")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--out")
    ap.add_argument("--ready", help="create this file at the first answer")
    args = ap.parse_args()
    if not args.seconds and not args.requests:
        ap.error("give --seconds or --requests")

    stats = Stats()
    stats.ready_file = args.ready
    stop_at = time.time() + args.seconds if args.seconds else 0
    budget = args.requests or None
    threads = []
    for i in range(args.threads):
        keepalive = args.mode == "keepalive" or (args.mode == "mix" and i % 2 == 0)
        t = threading.Thread(target=worker, args=(args, stats, keepalive, stop_at, budget))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    c = stats.counts
    print(" ".join("%s=%d" % (k, c[k]) for k in
                   ("requests", "ok", "failed", "refused", "reset", "short",
                    "timeout", "non200", "retried")))
    if args.header:
        print("values=" + ",".join(stats.values))
    for d in stats.details:
        print("failure: " + d)
    if args.out:
        with open(args.out, "w") as f:
            for t, status, value in sorted(stats.records):
                f.write("%.6f %d %s\n" % (t, status, value if value is not None else "-"))
    sys.exit(0 if c["failed"] == 0 else 1)


if __name__ == "__main__":
    main()
