#!/usr/bin/env python3
"""hog.py -- slow-client ("slowloris") benchmark for one HTTP server.

Opens SLOW connections to HOST:PORT that each send a valid request head one
byte every INTERVAL seconds and never finish it while the run lasts, then,
once they are all connected, runs one ordinary client for DURATION seconds:
GET PATH on a new connection per request, one request at a time.  A request
fails when it cannot connect, gets no complete 200 response, or takes longer
than TIMEOUT seconds.

Prints one machine-readable line:

  HOG requests=N ok=N failures=N p50_ms=X p99_ms=X max_ms=X
      slow=N slow_connected=N slow_open_at_end=N

Latency percentiles are over every attempt, failed ones included (a timed
out attempt counts as TIMEOUT).  Loopback use only; everything is bounded by
DURATION + TIMEOUT + a few seconds.

usage: hog.py [--slow N] [--interval S] [--duration S] [--timeout S]
              [--path PATH] HOST PORT
"""

import argparse
import asyncio
import math
import sys
import time


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_vals:
        return 0.0
    k = max(0, min(len(sorted_vals) - 1,
                   math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


class SlowClient:
    """One connection that trickles a request head and never completes it."""

    def __init__(self, host, port, head, interval):
        self.host, self.port = host, port
        self.head, self.interval = head, interval
        self.writer = None
        self.connected = False
        self.closed_by_peer = False

    async def run(self, connected_event_counter):
        try:
            reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), 5)
        except (OSError, asyncio.TimeoutError):
            connected_event_counter()
            return
        self.connected = True
        connected_event_counter()
        try:
            for i in range(len(self.head)):
                self.writer.write(self.head[i:i + 1])
                await self.writer.drain()
                # A server that gives up on us answers (408/400) or closes.
                try:
                    await asyncio.wait_for(reader.read(4096), self.interval)
                    self.closed_by_peer = True      # EOF or an error answer
                    return
                except asyncio.TimeoutError:
                    pass
        except (OSError, ConnectionError):
            self.closed_by_peer = True

    def close(self):
        if self.writer is not None:
            self.writer.close()


async def one_request(host, port, path, timeout):
    """One GET on a new connection; returns (ok, seconds)."""
    t0 = time.monotonic()
    writer = None
    try:
        async def fetch():
            nonlocal writer
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(("GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
                          "User-Agent: hog.py\r\nConnection: close\r\n\r\n"
                          % (path, host, port)).encode())
            await writer.drain()
            data = await reader.read()          # until the server closes
            head, sep, body = data.partition(b"\r\n\r\n")
            if not sep or not head.startswith(b"HTTP/1.1 200"):
                return False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    return len(body) == int(value.strip())
            return True
        ok = await asyncio.wait_for(fetch(), timeout)
        return ok, time.monotonic() - t0
    except asyncio.TimeoutError:
        return False, timeout
    except (OSError, ConnectionError, ValueError):
        return False, time.monotonic() - t0
    finally:
        if writer is not None:
            writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--slow", type=int, default=32)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--path", default="/index.html")
    a = ap.parse_args()
    if a.host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit("hog.py: loopback addresses only")

    # A valid head, long enough that it cannot complete within the run.
    need = int((a.duration + a.timeout + 10) / a.interval) + 1
    pad = "x" * max(0, need)
    head = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: hog.py-slow\r\n"
            "X-Pad: %s\r\n\r\n" % (a.path, a.host, a.port, pad)).encode()

    slow = [SlowClient(a.host, a.port, head, a.interval) for _ in range(a.slow)]
    started = 0
    all_started = asyncio.Event()

    def one_started():
        nonlocal started
        started += 1
        if started >= len(slow):
            all_started.set()

    tasks = [asyncio.ensure_future(s.run(one_started)) for s in slow]
    if slow:
        await asyncio.wait_for(all_started.wait(), 10)
        await asyncio.sleep(max(a.interval, 0.5))   # first bytes are sent

    lat, ok_count = [], 0
    end = time.monotonic() + a.duration
    while time.monotonic() < end:
        ok, secs = await one_request(a.host, a.port, a.path, a.timeout)
        lat.append(secs)
        ok_count += ok and secs <= a.timeout

    open_at_end = sum(1 for s in slow if s.connected and not s.closed_by_peer)
    for s in slow:
        s.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    lat.sort()
    print("HOG requests=%d ok=%d failures=%d p50_ms=%.2f p99_ms=%.2f "
          "max_ms=%.2f slow=%d slow_connected=%d slow_open_at_end=%d"
          % (len(lat), ok_count, len(lat) - ok_count,
             percentile(lat, 50) * 1000, percentile(lat, 99) * 1000,
             (lat[-1] if lat else 0) * 1000, len(slow),
             sum(1 for s in slow if s.connected), open_at_end))


if __name__ == "__main__":
    asyncio.run(main())
