#!/usr/bin/env python3
"""idle.py -- memory a server spends on idle keep-alive connections.

Reads the private memory (Private_Clean + Private_Dirty, and Pss, from
/proc/PID/smaps_rollup) and the sockets of each of PIDS (the workers),
then opens CONNS keep-alive connections, at most BATCH at a time in
progress, each sending one GET PATH and, answered, staying idle.  SETTLE
seconds after the last answer it reads memory and sockets again, checks
that every connection is still open (no EOF or reset), and closes them.

Prints one machine-readable line:

  IDLE conns=N answered=N failed=N still_open=N secs=X
      workers=PID:BEFORE_KIB:AFTER_KIB:PSS_BEFORE_KIB:PSS_AFTER_KIB:HELD,...

HELD is the growth of the worker's socket count: the connections it holds.
Bounded: TIMEOUT + SETTLE + a few seconds.

usage: idle.py [--conns N] [--batch N] [--settle S] [--timeout S]
               [--path PATH] --pids PID,... HOST PORT
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


def snapshot(pids):
    out = {}
    for p in pids:
        priv, pss = benchlib.private_kib(p)
        out[p] = (priv, pss, benchlib.socket_fds(p))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--path", default="/index.html")
    ap.add_argument("--pids", required=True)
    a = ap.parse_args()
    benchlib.loopback_only(a.host, "idle.py")
    have = benchlib.raise_nofile(a.conns + 64)
    if have < a.conns + 64:
        sys.exit("idle.py: RLIMIT_NOFILE %d is too low for %d connections"
                 % (have, a.conns))
    pids = benchlib.pid_list(a.pids)
    before = snapshot(pids)

    req = benchlib.request(a.path, a.host, a.port)
    sel = selectors.DefaultSelector()
    idle, failed, started = [], 0, 0
    t_start = time.monotonic()
    deadline = t_start + a.timeout
    while (started < a.conns or sel.get_map()) and time.monotonic() < deadline:
        while started < a.conns and len(sel.get_map()) < a.batch:
            started += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            e = s.connect_ex((a.host, a.port))
            if e not in (0, errno.EINPROGRESS):
                s.close()
                failed += 1
                continue
            sel.register(s, selectors.EVENT_WRITE, None)
        for key, _ in sel.select(0.5):
            s, r = key.fileobj, key.data
            try:
                if r is None:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    s.send(req)
                    sel.modify(s, selectors.EVENT_READ, benchlib.Response())
                    continue
                data = s.recv(65536)
                if not data:
                    raise ConnectionResetError("closed by the server")
                if r.feed(data):
                    sel.unregister(s)
                    if r.status == 200 and not r.close:
                        idle.append(s)
                    else:
                        failed += 1
                        s.close()
            except OSError:
                failed += 1
                sel.unregister(s)
                s.close()
    for key in list(sel.get_map().values()):    # the deadline passed
        failed += 1
        sel.unregister(key.fileobj)
        key.fileobj.close()
    secs = time.monotonic() - t_start

    time.sleep(a.settle)
    after = snapshot(pids)
    still_open = 0
    for s in idle:
        try:
            if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b"":
                continue                # unexpected bytes: not idle
        except BlockingIOError:
            still_open += 1
            continue
        except OSError:
            pass
    for s in idle:
        s.close()

    workers = []
    for p in pids:
        b, f = before[p], after[p]
        held = f[2] - b[2] if f[2] >= 0 and b[2] >= 0 else -1
        workers.append("%d:%d:%d:%d:%d:%d" % (p, b[0], f[0], b[1], f[1], held))
    print("IDLE conns=%d answered=%d failed=%d still_open=%d secs=%.2f "
          "workers=%s" % (a.conns, len(idle), failed, still_open, secs,
                          ",".join(workers)))


if __name__ == "__main__":
    main()
