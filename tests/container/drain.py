#!/usr/bin/env python3
"""drain.py -- requests through a graceful stop, as a balancer would send them.

    drain.py --url http://127.0.0.1:PORT [--health /healthz] [--clients 4]
             [--after-503 1.0] [--slow /big/file:SECONDS] [--timeout 60]
             -- STOP COMMAND...

Sends requests for / from --clients threads (half of them on keep-alive
connections, half on a new connection each time) while a poller asks
--health every 50 ms.  After a second of that it runs STOP COMMAND (e.g.
`podman stop -t 45 NAME`, which sends the container's stop signal, TERM)
and goes on.  When the poller first sees 503 it keeps the clients going
for --after-503 more seconds -- the time a balancer takes to notice,
which must be shorter than the server's drain_delay -- then stops them,
and keeps polling until the health path no longer answers.

With --slow PATH:SECONDS one more client starts fetching PATH shortly
before the listeners close and reads it slowly, over about SECONDS: a
request in flight when the listeners close, which must finish whole.

Prints one JSON object: request counts, the failures (none expected), the
moments (seconds after the stop command started) of the first 503, of the
first refused health check, of the stop command's end, and its status.
Every wait is bounded by --timeout.
"""
import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--health", default="/healthz")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--after-503", type=float, default=1.0)
    ap.add_argument("--slow", default="")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("stop", nargs="+")
    a = ap.parse_args()

    u = urllib.parse.urlsplit(a.url)
    host, port = u.hostname, u.port or 80
    lock = threading.Lock()
    st = {"requests": 0, "ok": 0, "retried": 0, "failures": [],
          "statuses": {}, "health_checks": 0, "health_statuses": {}}
    stop_clients = threading.Event()
    t = {"stop": None, "first_503": None, "closed": None, "exit": None}

    def since_stop():
        return None if t["stop"] is None else time.monotonic() - t["stop"]

    def record(status, err=None):
        with lock:
            st["requests"] += 1
            st["statuses"][str(status)] = st["statuses"].get(str(status), 0) + 1
            if status == 200:
                st["ok"] += 1
            elif len(st["failures"]) < 20:
                st["failures"].append({"at": since_stop(), "status": status,
                                       "error": err})

    def get(conn, path):
        conn.request("GET", path, headers={"User-Agent": "drain.py"})
        r = conn.getresponse()
        body = r.read()
        closes = (r.getheader("Connection") or "").lower() == "close"
        return r.status, body, closes

    def client(keepalive):
        conn = None
        reused = False
        while not stop_clients.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=10)
                reused = False
            try:
                status, _, closes = get(conn, "/")
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError) as e:
                conn.close()
                conn = None
                if reused:
                    # Closed before a byte of the answer on a reused
                    # connection: the one case HTTP lets a client retry.
                    with lock:
                        st["retried"] += 1
                    continue
                record(0, "%s: %s" % (type(e).__name__, e))
                continue
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = None
                record(0, "%s: %s" % (type(e).__name__, e))
                continue
            record(status)
            if not keepalive or closes:
                conn.close()
                conn = None
            else:
                reused = True
        if conn is not None:
            conn.close()

    def poller():
        deadline = time.monotonic() + a.timeout
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(host, port, timeout=5)
                status, _, _ = get(conn, a.health)
                conn.close()
            except (OSError, http.client.HTTPException):
                if t["stop"] is not None:
                    t["closed"] = since_stop()
                    return
                time.sleep(0.05)
                continue
            with lock:
                st["health_checks"] += 1
                k = str(status)
                st["health_statuses"][k] = st["health_statuses"].get(k, 0) + 1
            if status == 503 and t["first_503"] is None and t["stop"] is not None:
                t["first_503"] = since_stop()
            time.sleep(0.05)

    slow_result = {}

    def slow_client(path, seconds):
        try:
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path, headers={"User-Agent": "drain.py slow"})
            r = conn.getresponse()
            length = int(r.getheader("Content-Length") or -1)
            got = 0
            chunk = max(4096, length // max(1, int(seconds * 20)))
            while True:
                b = r.read(chunk)
                if not b:
                    break
                got += len(b)
                time.sleep(0.05)
            conn.close()
            slow_result.update(status=r.status, length=length, got=got,
                               ended=since_stop())
        except (OSError, http.client.HTTPException) as e:
            slow_result.update(error="%s: %s" % (type(e).__name__, e),
                               ended=since_stop())

    threads = [threading.Thread(target=client, args=(i % 2 == 0,), daemon=True)
               for i in range(a.clients)]
    for th in threads:
        th.start()
    poll = threading.Thread(target=poller, daemon=True)
    poll.start()
    time.sleep(1.0)

    t["stop"] = time.monotonic()
    proc = subprocess.Popen(a.stop, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = t["stop"] + a.timeout
    while t["first_503"] is None and time.monotonic() < deadline:
        if proc.poll() is not None and t["closed"] is not None:
            break
        time.sleep(0.01)
    slow = None
    if t["first_503"] is not None:
        # Go on as a balancer that has not noticed yet; start the slow
        # download at the end of that, shortly before the listeners close.
        time.sleep(a.after_503)
        if a.slow:
            path, secs = a.slow.rsplit(":", 1)
            slow = threading.Thread(target=slow_client,
                                    args=(path, float(secs)), daemon=True)
            slow.start()
            time.sleep(0.2)
    stop_clients.set()
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    try:
        _, err = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))
        t["exit"] = since_stop()
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        rc = None
    if slow is not None:
        slow.join(max(0.0, deadline - time.monotonic()))
    poll.join(max(0.0, deadline - time.monotonic()))

    out = dict(st)
    out.update({
        "first_503": t["first_503"], "closed": t["closed"],
        "stop_ended": t["exit"], "stop_status": rc,
        "stop_stderr": err.decode("utf-8", "replace")[-500:],
        "slow": slow_result if a.slow else None,
    })
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
