#!/usr/bin/env python3
"""reload.py -- keep-alive load while a server is reloaded, counting losses.

CONNS keep-alive connections send GET PATH back to back (a new request as
soon as the answer is in) for PRE seconds, then while the server's master
MASTER gets SIGHUP RELOADS times, one every EVERY seconds, then for POST
seconds more.  Then no new request is sent, those in flight finish, and the
connections are closed.

Counted:
  failed    requests without a complete 200 answer: an error or close after
            part of the answer, a status other than 200, no answer within
            TIMEOUT, a new connection refused or closed before any byte
  retries   a reused connection (it had answers before) closed before any
            byte of the answer to the request just sent: the client opens a
            new connection and sends the request again, as HTTP clients do
  closed    connections the server closed: announced (the last answer had
            Connection: close) or silent (EOF or reset seen by the client)
Before each signal and at the end the processes of the master's session
are listed; workers_seen is how many distinct ones (besides the master)
showed up, which proves that the reloads replaced the workers.

Prints one machine-readable line:

  RELOAD conns=N reloads=N requests=N ok=N failed=N retries=N closed=N
      closed_announced=N closed_silent=N p50_ms=X p99_ms=X max_ms=X
      secs=X workers_seen=N

Bounded: PRE + RELOADS x EVERY + POST + TIMEOUT + a few seconds.

usage: reload.py [--conns N] [--reloads N] [--every S] [--pre S] [--post S]
                 [--timeout S] [--path PATH] --master PID HOST PORT
"""

import argparse
import errno
import os
import selectors
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def session_members(sid):
    """PIDs of the live processes of session SID."""
    out = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        # state ppid pgrp session ...
        if len(fields) > 3 and fields[0] != "Z" and int(fields[3]) == sid:
            out.add(int(name))
    return out


class Slot:
    def __init__(self):
        self.sock = None
        self.resp = None
        self.answers = 0        # answers on this connection
        self.t0 = 0.0           # send time of the request in flight
        self.busy = False       # a request is in flight


class Load:
    def __init__(self, a):
        self.a = a
        self.req = benchlib.request(a.path, a.host, a.port)
        self.sel = selectors.DefaultSelector()
        self.slots = [Slot() for _ in range(a.conns)]
        self.reopen = []        # (time, slot, resend)
        self.stopping = False
        self.lat = []
        self.ok = self.failed = self.retries = 0
        self.closed_announced = self.closed_silent = 0

    def drop(self, s):
        if s.sock is not None:
            if s.sock in self.sel.get_map():
                self.sel.unregister(s.sock)
            s.sock.close()
            s.sock = None

    def open(self, s, resend):
        """A new connection for slot s; resend: the request is a retry."""
        self.drop(s)
        s.answers, s.resp = 0, None
        if self.stopping and not resend:
            s.busy = False
            return
        s.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.sock.setblocking(False)
        if not resend:
            s.t0 = time.monotonic()
        s.busy = True
        e = s.sock.connect_ex((self.a.host, self.a.port))
        if e not in (0, errno.EINPROGRESS):
            self.fail(s, backoff=True)
            return
        self.sel.register(s.sock, selectors.EVENT_WRITE, s)

    def send(self, s, fresh):
        if fresh:
            s.t0 = time.monotonic()
        s.resp = benchlib.Response()
        s.busy = True
        s.sock.send(self.req)
        self.sel.modify(s.sock, selectors.EVENT_READ, s)

    def fail(self, s, backoff=False):
        """The request in flight failed: count it, go on on a new connection."""
        self.failed += 1
        self.lat.append(time.monotonic() - s.t0)
        self.drop(s)
        s.busy = False
        when = time.monotonic() + (0.01 if backoff else 0)
        self.reopen.append((when, s, False))

    def closed(self, s):
        """EOF or reset on s while its request was in flight."""
        self.closed_silent += 1
        if s.resp is not None and s.resp.started():
            self.fail(s)                # cut in the middle of an answer
        elif s.answers > 0:
            self.retries += 1           # a reused connection: resend
            self.drop(s)
            self.reopen.append((time.monotonic(), s, True))
        else:
            self.fail(s)                # a new connection, closed at once

    def event(self, s):
        try:
            if s.resp is None:          # connected (or not)
                err = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.fail(s, backoff=True)
                    return
                self.send(s, fresh=False)
                return
            data = s.sock.recv(65536)
        except OSError:
            self.closed(s)
            return
        if not data:
            self.closed(s)
            return
        if not s.resp.feed(data):
            return
        self.lat.append(time.monotonic() - s.t0)
        if s.resp.status == 200:
            self.ok += 1
        else:
            self.failed += 1
        s.answers += 1
        s.busy = False
        if s.resp.close:
            self.closed_announced += 1
            self.drop(s)
            if not self.stopping:
                self.open(s, resend=False)
        elif self.stopping:
            self.drop(s)
        else:
            try:
                self.send(s, fresh=True)
            except OSError:
                self.closed(s)

    def step(self, wait):
        now = time.monotonic()
        due = [r for r in self.reopen if r[0] <= now]
        self.reopen = [r for r in self.reopen if r[0] > now]
        for _, s, resend in due:
            self.open(s, resend)
        if self.reopen:
            wait = min(wait, max(0.0, min(r[0] for r in self.reopen) - now))
        for key, _ in self.sel.select(wait):
            self.event(key.data)
        now = time.monotonic()
        for s in self.slots:
            if s.busy and s.sock is not None and now - s.t0 > self.a.timeout:
                self.fail(s)                # no answer in time

    def busy(self):
        return any(s.busy for s in self.slots) or any(r[2] for r in self.reopen)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--reloads", type=int, default=50)
    ap.add_argument("--every", type=float, default=0.2)
    ap.add_argument("--pre", type=float, default=1.0)
    ap.add_argument("--post", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--path", default="/index.html")
    ap.add_argument("--master", type=int, required=True)
    a = ap.parse_args()
    benchlib.loopback_only(a.host, "reload.py")

    seen = session_members(a.master)
    load = Load(a)
    t_start = time.monotonic()
    for s in load.slots:
        load.open(s, resend=False)
    next_hup = t_start + a.pre
    sent = 0
    end = t_start + a.pre + a.reloads * a.every + a.post
    while time.monotonic() < end:
        now = time.monotonic()
        if sent < a.reloads and now >= next_hup:
            seen |= session_members(a.master)
            os.kill(a.master, signal.SIGHUP)
            sent += 1
            next_hup += a.every
        wait = min(end, next_hup if sent < a.reloads else end) - now
        load.step(max(0.0, min(wait, 0.1)))
    load.stopping = True
    stop_by = time.monotonic() + a.timeout + 1
    while load.busy() and time.monotonic() < stop_by:
        load.step(0.1)
    secs = time.monotonic() - t_start
    seen |= session_members(a.master)
    for s in load.slots:
        load.drop(s)
    lat = sorted(load.lat)
    seen.discard(a.master)
    print("RELOAD conns=%d reloads=%d requests=%d ok=%d failed=%d retries=%d "
          "closed=%d closed_announced=%d closed_silent=%d p50_ms=%.2f "
          "p99_ms=%.2f max_ms=%.2f secs=%.2f workers_seen=%d"
          % (a.conns, sent, load.ok + load.failed, load.ok, load.failed,
             load.retries, load.closed_announced + load.closed_silent,
             load.closed_announced, load.closed_silent,
             benchlib.percentile(lat, 50) * 1000,
             benchlib.percentile(lat, 99) * 1000,
             (lat[-1] if lat else 0) * 1000, secs, len(seen)))


if __name__ == "__main__":
    main()
