#!/usr/bin/env python3
"""tests/soak/load.py -- load, chaos and checks for tests/soak/soak.sh.

    load.py --master PID --port PORT --site DIR --duration SECONDS
            [--clients N] [--workers N] [--log FILE]

For DURATION seconds, N client processes send a mix of requests to
127.0.0.1:PORT as fast as the server answers them:

  * keep-alive sessions of 2..12 requests (GET, HEAD, Range, 404) on one
    connection;
  * GET, HEAD, Range and 404 requests on a new connection each;
  * malformed requests, each of which must be answered 400.

Every response that arrives complete is checked byte for byte against the
file under DIR (or the requested slice of it) and its status against the
expected one.  Meanwhile a chaos thread SIGKILLs a random worker (a live
child of the master PID) every second, sends the master SIGHUP every 5 s
and, every other reload period, a TTIN followed by a TTOU before the next
SIGHUP (so that the pool size is balanced).  A sampler watches the master
(alive? descriptors, RSS).

Failures are classified:
  corrupt      a complete response whose status, headers or body are
               wrong: always fatal;
  conn_fail    a connection-level failure (refused, reset, closed early,
               timed out): allowed, but no more of them than workers killed,
               since a killed worker can break at most the connection it was
               serving;
  ka_retry     a request on a reused keep-alive connection that got no byte
               back (the server closed the idle connection: keep-alive
               timeout, graceful retire on reload or TTOU, or a kill): it is
               retried once on a new connection, like any HTTP client does,
               and counted apart.

At 10% of the run and at the end the chaos pauses, the pool is allowed to
settle (the configured number of workers, nothing else under the master)
and the master's descriptor count and RSS are taken; they must agree within
FD_SLACK descriptors and max(5%, RSS_SLACK_KB).

Prints the figures and exits 0 when every assertion held, 1 otherwise.
Only the master PID given and its live children are ever signalled.
"""

import argparse
import multiprocessing as mp
import os
import random
import signal
import socket
import sys
import threading
import time

FD_SLACK = 2
RSS_SLACK_KB = 512
RSS_SLACK_PCT = 5.0
IO_TIMEOUT = 10.0

BAD_REQUESTS = [
    # (description, bytes) -- all answered 400 per docs/http.md
    ("bare LF", b"GET / HTTP/1.1\nHost: x\n\n"),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
    ("no Host in 1.1", b"GET / HTTP/1.1\r\nUser-Agent: soak\r\n\r\n"),
    ("two Host fields", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("CL and TE", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("bad request line", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("lowercase version", b"GET / http/1.1\r\nHost: x\r\n\r\n"),
    ("fragment", b"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("control byte", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"),
]


class ConnFailure(Exception):
    """The connection broke before a complete response arrived."""

    def __init__(self, msg, got_bytes):
        super().__init__(msg)
        self.got_bytes = got_bytes


class Corrupt(Exception):
    """A complete response that is wrong."""


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=IO_TIMEOUT)
        self.buf = b""
        self.got = 0  # bytes received for the current response
        self.used = 0  # responses read on this connection

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout as e:
            raise ConnFailure("timeout", self.got) from e
        except OSError as e:
            raise ConnFailure(type(e).__name__, self.got) from e
        if not chunk:
            raise ConnFailure("EOF", self.got)
        self.got += len(chunk)
        self.buf += chunk

    def send(self, data):
        self.got = 0
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ConnFailure("send: " + type(e).__name__, 0) from e

    def read_response(self, head_only):
        """(status, headers dict (lowercase names, last wins), body)."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise Corrupt("response head over 64 KiB")
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or \
                not parts[1].isdigit():
            raise Corrupt("bad status line %r" % lines[0][:80])
        status = int(parts[1])
        headers = {}
        for ln in lines[1:]:
            name, sep, value = ln.partition(b":")
            if not sep:
                raise Corrupt("bad header line %r" % ln[:80])
            headers[name.strip().lower().decode("latin-1")] = \
                value.strip().decode("latin-1")
        if "content-length" not in headers:
            if head_only or status in (204, 304):
                return status, headers, b""
            raise Corrupt("status %d without Content-Length" % status)
        n = int(headers["content-length"])
        if head_only:
            return status, headers, b""
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closing(self, headers):
        return "close" in headers.get("connection", "").lower()


def request_bytes(method, path, keepalive, extra=b""):
    return (b"%s %s HTTP/1.1\r\nHost: soak\r\nUser-Agent: soak\r\n%s%s\r\n" %
            (method, path.encode(), b"" if keepalive else
             b"Connection: close\r\n", extra))


def pick_request(rng, files, names, allow_bad):
    """(kind, bytes, method, check) -- check(status, headers, body) raises."""
    r = rng.random()
    name = rng.choice(names)
    data = files[name]
    path = "/" + name
    if allow_bad and r < 0.10:
        desc, raw = rng.choice(BAD_REQUESTS)

        def check_bad(st, hd, body, desc=desc):
            if st != 400:
                raise Corrupt("malformed (%s): status %d, want 400" % (desc, st))
        return "bad", raw, b"GET", check_bad
    if r < 0.20:
        path = "/no-such-file-%d" % rng.randrange(1 << 30)

        def check_404(st, hd, body):
            if st != 404:
                raise Corrupt("%s: status %d, want 404" % (path, st))
        return "404", path, b"GET", check_404
    if r < 0.32:
        def check_head(st, hd, body):
            if st != 200:
                raise Corrupt("HEAD %s: status %d" % (path, st))
            if int(hd.get("content-length", -1)) != len(data):
                raise Corrupt("HEAD %s: Content-Length %s, want %d" %
                              (path, hd.get("content-length"), len(data)))
        return "head", path, b"HEAD", check_head
    if r < 0.47 and len(data) > 1:
        size = len(data)
        form = rng.randrange(3)
        if form == 0:
            a = rng.randrange(size)
            b = rng.randrange(a, min(size, a + 200000))
            spec, lo, hi = "%d-%d" % (a, b), a, b
        elif form == 1:
            a = rng.randrange(size)
            spec, lo, hi = "%d-" % a, a, size - 1
        else:
            n = rng.randrange(1, size + 1)
            spec, lo, hi = "-%d" % n, size - n, size - 1
        want = data[lo:hi + 1]

        def check_range(st, hd, body):
            if st != 206:
                raise Corrupt("Range %s %s: status %d" % (path, spec, st))
            cr = "bytes %d-%d/%d" % (lo, hi, size)
            if hd.get("content-range") != cr:
                raise Corrupt("Range %s %s: Content-Range %r, want %r" %
                              (path, spec, hd.get("content-range"), cr))
            if body != want:
                raise Corrupt("Range %s %s: body differs (%d bytes, want %d)" %
                              (path, spec, len(body), len(want)))
        return "range", path, b"GET", (check_range, "Range: bytes=%s\r\n" % spec)

    def check_get(st, hd, body):
        if st != 200:
            raise Corrupt("GET %s: status %d" % (path, st))
        if body != data:
            raise Corrupt("GET %s: body differs (%d bytes, want %d)" %
                          (path, len(body), len(data)))
    return "get", path, b"GET", check_get


def one_exchange(conn, kind, target, method, check, keepalive):
    """Send one request on conn and check its response.  Returns True when
    the connection can be reused."""
    extra = b""
    if isinstance(check, tuple):
        check, hdr = check
        extra = hdr.encode()
    if kind == "bad":
        conn.send(target)
    else:
        conn.send(request_bytes(method, target, keepalive, extra))
    st, hd, body = conn.read_response(method == b"HEAD")
    conn.used += 1
    check(st, hd, body)
    if "date" not in hd or "server" not in hd:
        raise Corrupt("%s %s: no Date or Server header" % (method, target))
    if kind == "bad":  # refused: the server must close the connection
        if conn.buf:
            raise Corrupt("bytes after the 400 response: %r" % conn.buf[:40])
        try:
            if conn.sock.recv(1):
                raise Corrupt("bytes after the 400 response")
        except socket.timeout as e:
            raise Corrupt("the connection stays open after a 400") from e
        except ConnectionResetError:
            pass
    return keepalive and kind != "bad" and not conn.closing(hd)


def client(idx, port, files, deadline, out):
    rng = random.Random(os.getpid() * 7919 + idx)
    names = sorted(files)
    c = dict(requests=0, ok=0, conn_fail=0, ka_retry=0, corrupt=0,
             connections=0, bytes=0)
    kinds = {}
    errors = []
    fail_log = []

    def fail_conn(e, what):
        c["conn_fail"] += 1
        if len(fail_log) < 50:
            fail_log.append("%.3f %s: %s (after %d bytes)" %
                            (time.time(), what, e, e.got_bytes))

    def run(kind, target, method, check, conn, keepalive):
        """One request; on a reused idle connection that answered nothing,
        retry once on a new one.  Returns the connection to go on with (or
        None)."""
        c["requests"] += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        reused = conn is not None and conn.used > 0
        for attempt in (0, 1):
            if conn is None:
                try:
                    conn = Conn(port)
                except OSError as e:
                    fail_conn(ConnFailure("connect: " + type(e).__name__, 0),
                              kind)
                    return None
                c["connections"] += 1
            try:
                again = one_exchange(conn, kind, target, method, check,
                                     keepalive)
                c["ok"] += 1
                c["bytes"] += conn.got
                if again:
                    return conn
                conn.close()
                return None
            except ConnFailure as e:
                conn.close()
                conn = None
                if attempt == 0 and reused and e.got_bytes == 0:
                    c["ka_retry"] += 1
                    continue
                fail_conn(e, "%s %s" % (kind, target if kind != "bad" else ""))
                return None
            except (Corrupt, ValueError) as e:
                conn.close()
                c["corrupt"] += 1
                if len(errors) < 20:
                    errors.append(str(e))
                return None
        return None

    while time.time() < deadline:
        if rng.random() < 0.40:
            conn = None
            for _ in range(rng.randrange(2, 13)):
                if time.time() >= deadline:
                    break
                kind, target, method, check = pick_request(rng, files, names,
                                                           False)
                conn = run(kind, target, method, check, conn, True)
            if conn is not None:
                conn.close()
        else:
            kind, target, method, check = pick_request(rng, files, names, True)
            run(kind, target, method, check, None, False)
    out.put((idx, c, kinds, errors, fail_log))


# --- the master and its children ------------------------------------------

def proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rindex(")") + 2:].split()
    return fields  # fields[0] state, fields[1] ppid


def children(master):
    """(live, zombies): PIDs of the master's children."""
    live, zombies = [], []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        f = proc_stat(int(d))
        if f is None or int(f[1]) != master:
            continue
        (zombies if f[0] == "Z" else live).append(int(d))
    return sorted(live), sorted(zombies)


def master_alive(master):
    f = proc_stat(master)
    return f is not None and f[0] not in ("Z", "X")


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return -1


class Chaos(threading.Thread):
    def __init__(self, master, stop_at, workers):
        super().__init__(daemon=True)
        self.master = master
        self.stop_at = stop_at
        self.workers = workers
        self.kills = 0
        self.hups = 0
        self.ttin = 0
        self.ttou = 0
        self.master_died = False
        self.paused = threading.Event()
        self.idle = threading.Event()
        self.rng = random.Random(os.getpid())
        self.ttin_pending = False

    def signal_master(self, sig):
        if master_alive(self.master):
            os.kill(self.master, sig)
            return True
        self.master_died = True
        return False

    def run(self):
        t0 = time.time()
        tick = 0
        while time.time() < self.stop_at:
            if self.paused.is_set():
                if self.ttin_pending:
                    if self.signal_master(signal.SIGTTOU):
                        self.ttou += 1
                    self.ttin_pending = False
                self.idle.set()
                time.sleep(0.05)
                continue
            self.idle.clear()
            tick += 1
            time.sleep(max(0.0, t0 + tick * 1.0 - time.time()))
            if self.paused.is_set() or time.time() >= self.stop_at:
                continue
            if not master_alive(self.master):
                self.master_died = True
                break
            live, _ = children(self.master)
            if live:
                victim = self.rng.choice(live)
                try:
                    os.kill(victim, signal.SIGKILL)
                    self.kills += 1
                except ProcessLookupError:
                    pass
            phase = tick % 10
            if phase in (0, 5):
                if self.ttin_pending:  # never leave a TTIN across a reload
                    if self.signal_master(signal.SIGTTOU):
                        self.ttou += 1
                    self.ttin_pending = False
                if self.signal_master(signal.SIGHUP):
                    self.hups += 1
            elif phase == 2:  # every other reload period: TTIN ... TTOU
                if self.signal_master(signal.SIGTTIN):
                    self.ttin += 1
                    self.ttin_pending = True
            elif phase == 4 and self.ttin_pending:
                time.sleep(0.5)
                if self.signal_master(signal.SIGTTOU):
                    self.ttou += 1
                self.ttin_pending = False
        self.idle.set()

    def pause(self):
        self.paused.set()
        self.idle.wait(5)

    def resume(self):
        self.paused.clear()


def settle(master, workers, timeout):
    """Wait until the master has exactly `workers` live children and no
    zombie.  Returns (ok, live, zombies)."""
    end = time.time() + timeout
    while True:
        live, zombies = children(master)
        if len(live) == workers and not zombies:
            time.sleep(0.3)  # and it stays so
            live2, zombies2 = children(master)
            if live2 == live and not zombies2:
                return True, live, zombies
        if time.time() >= end:
            return False, live, zombies
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--master", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--site", required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--clients", type=int,
                    default=max(4, 3 * (os.cpu_count() or 1)))
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--settle", type=float, default=20.0)
    ap.add_argument("--log", default=None)
    args = ap.parse_args()

    files = {}
    for name in sorted(os.listdir(args.site)):
        p = os.path.join(args.site, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                files[name] = f.read()

    master = args.master
    problems = []
    t_start = time.time()
    deadline = t_start + args.duration
    mark10 = t_start + args.duration * 0.10

    chaos = Chaos(master, deadline, args.workers)
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=client,
                         args=(i, args.port, files, deadline, out))
             for i in range(args.clients)]
    for p in procs:
        p.start()
    chaos.start()

    # 10% mark: pause the chaos, let the pool settle, measure.
    time.sleep(max(0.0, mark10 - time.time()))
    chaos.pause()
    ok, live, zombies = settle(master, args.workers, args.settle)
    if not ok:
        problems.append("at 10%%: the pool did not settle to %d workers "
                        "within %.0f s (live %d, zombies %d)" %
                        (args.workers, args.settle, len(live), len(zombies)))
    fd10, rss10 = fd_count(master), rss_kb(master)
    t10 = time.time() - t_start
    chaos.resume()

    # Watch the master until the end.
    while time.time() < deadline:
        if not master_alive(master):
            break
        time.sleep(0.2)
    chaos.join(10)

    results = []
    for _ in procs:
        try:
            results.append(out.get(timeout=IO_TIMEOUT + 30))
        except Exception:  # a client process that died
            problems.append("a client process did not report")
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.terminate()

    alive = master_alive(master) and not chaos.master_died
    if not alive:
        problems.append("the master died")
        ok, live, zombies = False, [], []
        fd100 = rss100 = -1
    else:
        ok, live, zombies = settle(master, args.workers, args.settle)
        if not ok:
            problems.append("at the end: %d live workers (want %d), %d "
                            "zombie children %s" %
                            (len(live), args.workers, len(zombies), zombies))
        fd100, rss100 = fd_count(master), rss_kb(master)
    t100 = time.time() - t_start

    tot = dict(requests=0, ok=0, conn_fail=0, ka_retry=0, corrupt=0,
               connections=0, bytes=0)
    kinds, errors, fails = {}, [], []
    for _, c, k, e, fl in results:
        for key in tot:
            tot[key] += c[key]
        for key, v in k.items():
            kinds[key] = kinds.get(key, 0) + v
        errors += e
        fails += fl

    if tot["corrupt"]:
        problems.append("%d wrong responses" % tot["corrupt"])
    if tot["conn_fail"] > chaos.kills:
        problems.append("%d connection failures for %d workers killed" %
                        (tot["conn_fail"], chaos.kills))
    if tot["ok"] == 0:
        problems.append("no request succeeded")
    if chaos.ttin != chaos.ttou:
        problems.append("TTIN %d != TTOU %d" % (chaos.ttin, chaos.ttou))
    if alive and fd10 >= 0:
        if abs(fd100 - fd10) > FD_SLACK:
            problems.append("master descriptors %d at 10%%, %d at 100%%" %
                            (fd10, fd100))
        slack = max(RSS_SLACK_KB, rss10 * RSS_SLACK_PCT / 100.0)
        if abs(rss100 - rss10) > slack:
            problems.append("master RSS %d kB at 10%%, %d kB at 100%% "
                            "(slack %.0f kB)" % (rss10, rss100, slack))

    elapsed = time.time() - t_start
    print("soak: duration %.1f s (load %.0f s), %d client processes, %d workers"
          % (elapsed, args.duration, args.clients, args.workers))
    print("soak: requests %d (ok %d, %.0f/s), connections %d, %.1f MiB received"
          % (tot["requests"], tot["ok"], tot["ok"] / args.duration,
             tot["connections"], tot["bytes"] / 1048576.0))
    print("soak: mix %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    print("soak: failures %d (connection-level), kills %d, wrong responses %d, "
          "keep-alive retries %d" % (tot["conn_fail"], chaos.kills,
                                     tot["corrupt"], tot["ka_retry"]))
    print("soak: reloads %d, TTIN %d, TTOU %d" %
          (chaos.hups, chaos.ttin, chaos.ttou))
    print("soak: master fds %d at 10%% (t=%.0fs), %d at 100%% (t=%.0fs)" %
          (fd10, t10, fd100, t100))
    print("soak: master RSS %d kB at 10%%, %d kB at 100%%" % (rss10, rss100))
    print("soak: master alive: %s; workers at the end: %d; zombies: %d" %
          ("yes" if alive else "NO", len(live), len(zombies)))
    for e in errors[:20]:
        print("soak: wrong: %s" % e)
    if args.log:
        with open(args.log, "w") as f:
            for ln in sorted(fails):
                f.write(ln + "\n")
    for p in problems:
        print("soak: FAIL: %s" % p)
    print("soak: %s" % ("passed" if not problems else "FAILED"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
