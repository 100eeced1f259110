#!/usr/bin/env python3
"""crowd.py -- a crowd of keep-alive clients that go idle, for one server.

CLIENTS connections are opened at once; each sends GET PATH as soon as it
is connected and, answered, stays idle for IDLE seconds on the same
connection (round 1).  Then every connection still open sends a second GET
(round 2).  Meanwhile one ordinary client, in a process of its own so that
the crowd's bookkeeping does not delay it, fetches PATH on a new
connection per request (Connection: close), one at a time, from just
before round 1 to the end of round 2.

Right before round 2, each connection is checked for a close by the
server (EOF or reset seen without reading: MSG_PEEK).  With --pids, the
sockets each of those processes holds are counted at the start and during
the idle time, which shows how the crowd spread over the workers.

Prints one machine-readable line:

  CROWD clients=N r1_answers=N r1_p50_ms=X r1_p99_ms=X r1_max_ms=X
      closed_between=N r2_sent=N r2_answers=N r2_p50_ms=X r2_p99_ms=X
      r2_max_ms=X ord_requests=N ord_failures=N ord_p50_ms=X ord_p99_ms=X
      ord_max_ms=X spread=A+B+...

An answer is a complete 200 response.  Round 1 latency runs from the
connect to the complete answer, round 2's from the send; a request left
without an answer counts as TIMEOUT seconds in the percentiles, and so does
round 2 of a connection that was closed (or failed) before it.  The
ordinary client's latency runs from its connect to the complete answer; an
attempt fails on any error, a status other than 200, a short body, or
ORD_TIMEOUT seconds.  Bounded: 2 x TIMEOUT + IDLE + ORD_TIMEOUT + a few
seconds.

usage: crowd.py [--clients N] [--idle S] [--timeout S] [--ord-timeout S]
                [--path PATH] [--pids PID,...] HOST PORT
"""

import argparse
import errno
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


BURST = 32     # connects or sends between two looks at what came in


class Conn:
    def __init__(self):
        self.sock = None
        self.resp = None
        self.t0 = 0.0
        self.lat = None         # seconds, once answered
        self.ok = False
        self.dead = False       # closed, by either side


def ordinary(host, port, path, timeout, stop_fd, out_fd):
    """The ordinary client: runs until stop_fd is readable."""
    req = benchlib.request(path, host, port, close=True)
    lat, failures = [], 0
    hard_end = time.monotonic() + 120
    sel = selectors.DefaultSelector()
    sel.register(stop_fd, selectors.EVENT_READ)
    while time.monotonic() < hard_end and not sel.select(0):
        t0 = time.monotonic()
        ok = False
        s = None
        try:
            s = socket.create_connection((host, port), timeout=timeout)
            s.settimeout(max(0.001, timeout - (time.monotonic() - t0)))
            s.sendall(req)
            r = benchlib.Response()
            done = False
            while not done:
                s.settimeout(max(0.001, timeout - (time.monotonic() - t0)))
                data = s.recv(65536)
                if not data:
                    break
                done = r.feed(data)
            ok = done and r.status == 200
        except (OSError, socket.timeout):
            ok = False
        finally:
            if s is not None:
                s.close()
        failures += not ok
        lat.append(time.monotonic() - t0)
    line = "ord_requests=%d ord_failures=%d %s" % (
        len(lat), failures, benchlib.lat_fields("ord", lat))
    os.write(out_fd, line.encode())


def pump(sel, pending, wait, req):
    """One wait for events (at most WAIT seconds), and what they bring."""
    for key, _ in sel.select(wait):
        c = key.data
        try:
            if c.resp is None:          # connecting
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, os.strerror(err))
                c.sock.send(req)
                c.resp = benchlib.Response()
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            data = c.sock.recv(65536)
            if not data:
                raise ConnectionResetError("closed by the server")
            if c.resp.feed(data):
                c.lat = time.monotonic() - c.t0
                c.ok = c.resp.status == 200
                sel.unregister(c.sock)
                pending.discard(c)
        except OSError:
            c.dead = True
            sel.unregister(c.sock)
            c.sock.close()
            pending.discard(c)


def run_round(sel, pending, deadline, req):
    """Drive connections until all are answered or dead, or the deadline."""
    while pending and time.monotonic() < deadline:
        pump(sel, pending, min(0.5, max(0.0, deadline - time.monotonic())), req)


def stop_ordinary(child, stop_w, out_r, wait):
    """Tell the ordinary client to stop; its result line (a failure if none)."""
    os.write(stop_w, b"x")
    os.close(stop_w)
    line = b""
    end = time.monotonic() + wait
    sel = selectors.DefaultSelector()
    sel.register(out_r, selectors.EVENT_READ)
    while sel.select(max(0.0, end - time.monotonic())):
        chunk = os.read(out_r, 4096)
        if not chunk:
            break
        line += chunk
    if not line:                        # stuck: it is our child, end it
        os.kill(child, 9)
    os.waitpid(child, 0)
    if not line:
        return "ord_requests=0 ord_failures=1 ord_p50_ms=0 ord_p99_ms=0 ord_max_ms=0"
    return line.decode()


def closed_by_peer(sock):
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def latencies(conns, timeout):
    return [c.lat if c.ok else timeout for c in conns]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--idle", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--ord-timeout", type=float, default=5.0)
    ap.add_argument("--path", default="/index.html")
    ap.add_argument("--pids", default="")
    a = ap.parse_args()
    benchlib.loopback_only(a.host, "crowd.py")
    have = benchlib.raise_nofile(a.clients + 64)
    if have < a.clients + 64:
        sys.exit("crowd.py: RLIMIT_NOFILE %d is too low for %d clients"
                 % (have, a.clients))
    pids = benchlib.pid_list(a.pids)
    base = {p: benchlib.socket_fds(p) for p in pids}

    stop_r, stop_w = os.pipe()
    out_r, out_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(stop_w)
        os.close(out_r)
        try:
            ordinary(a.host, a.port, a.path, a.ord_timeout, stop_r, out_w)
        finally:
            os._exit(0)
    os.close(stop_r)
    os.close(out_w)
    time.sleep(0.3)     # the ordinary client is under way

    req = benchlib.request(a.path, a.host, a.port)
    sel = selectors.DefaultSelector()
    conns = [Conn() for _ in range(a.clients)]
    # Round 1: every connection at once.  Every BURST connects, what has
    # come in is handled, so the client's own loop adds little latency.
    pending = set()
    for k, c in enumerate(conns):
        c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.sock.setblocking(False)
        c.t0 = time.monotonic()
        e = c.sock.connect_ex((a.host, a.port))
        if e not in (0, errno.EINPROGRESS):
            c.dead = True
            c.sock.close()
            continue
        sel.register(c.sock, selectors.EVENT_WRITE, c)
        pending.add(c)
        if k % BURST == BURST - 1:
            pump(sel, pending, 0, req)
    run_round(sel, pending, time.monotonic() + a.timeout, req)
    r1 = list(conns)
    r1_answers = sum(1 for c in r1 if c.ok)
    r1_lat = latencies(r1, a.timeout)

    # Idle.  Then: which connections did the server close meanwhile?
    time.sleep(a.idle)
    spread = []
    for p in pids:
        n = benchlib.socket_fds(p)
        spread.append(str(n - base[p]) if n >= 0 and base[p] >= 0 else "?")
    closed_between = 0
    live = []
    for c in conns:
        if c.dead:
            continue
        if c.ok and not c.resp.extra and not closed_by_peer(c.sock):
            live.append(c)
            continue
        if c.ok:
            closed_between += 1
        if c.sock in sel.get_map():     # round 1 never answered
            sel.unregister(c.sock)
        c.sock.close()
        c.dead = True

    # Round 2: a second request on every connection still open.
    pending = set()
    for k, c in enumerate(live):
        c.ok, c.lat = False, None
        c.resp = benchlib.Response()
        c.t0 = time.monotonic()
        try:
            c.sock.send(req)
            sel.register(c.sock, selectors.EVENT_READ, c)
            pending.add(c)
        except OSError:
            c.dead = True
            c.sock.close()
        if k % BURST == BURST - 1:
            pump(sel, pending, 0, req)
    run_round(sel, pending, time.monotonic() + a.timeout, req)
    r2_answers = sum(1 for c in live if c.ok)
    # the connections that could not send count as missing answers
    r2_lat = (latencies(live, a.timeout)
              + [a.timeout] * (a.clients - len(live)))

    ord_line = stop_ordinary(child, stop_w, out_r, a.ord_timeout + 5)
    for c in conns:
        if not c.dead:
            c.sock.close()

    print("CROWD clients=%d r1_answers=%d %s closed_between=%d r2_sent=%d "
          "r2_answers=%d %s %s spread=%s"
          % (a.clients, r1_answers, benchlib.lat_fields("r1", r1_lat),
             closed_between, len(live), r2_answers,
             benchlib.lat_fields("r2", r2_lat), ord_line,
             "+".join(spread) if spread else "?"))


if __name__ == "__main__":
    main()
