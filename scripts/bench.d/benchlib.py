"""benchlib.py -- shared pieces of the scripts/bench clients.

Percentiles, an incremental HTTP/1.1 response reader, the descriptor
limit, and what /proc says about a server process.  Loopback use only.
"""

import math
import os
import resource
import sys

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def loopback_only(host, prog):
    if host not in LOOPBACK:
        sys.exit("%s: loopback addresses only" % prog)


def percentile(sorted_vals, p):
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_vals:
        return 0.0
    k = max(0, min(len(sorted_vals) - 1,
                   math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


def lat_fields(prefix, secs):
    """'PREFIX_p50_ms=X PREFIX_p99_ms=X PREFIX_max_ms=X' of a list of seconds."""
    s = sorted(secs)
    return "%s_p50_ms=%.2f %s_p99_ms=%.2f %s_max_ms=%.2f" % (
        prefix, percentile(s, 50) * 1000, prefix, percentile(s, 99) * 1000,
        prefix, (s[-1] if s else 0) * 1000)


def request(path, host, port, close=False):
    return ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: bench\r\n%s\r\n"
            % (path, host, port,
               "Connection: close\r\n" if close else "")).encode()


class Response:
    """Collects one response from the bytes of a connection.

    feed(data) returns True once the response is complete (head plus
    Content-Length bytes of body).  status is the status code, close whether
    the server announced Connection: close, extra the bytes after it.
    """

    def __init__(self):
        self.buf = b""
        self.status = 0
        self.close = False
        self.need = -1          # total length once the head is known
        self.extra = b""

    def started(self):
        return len(self.buf) > 0

    def feed(self, data):
        self.buf += data
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            lines = self.buf[:end].split(b"\r\n")
            parts = lines[0].split(b" ", 2)
            try:
                self.status = int(parts[1])
            except (IndexError, ValueError):
                self.status = -1
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        self.status = -1
                elif name == b"connection":
                    self.close = b"close" in value.lower()
            self.need = end + 4 + length
        if len(self.buf) < self.need:
            return False
        self.extra = self.buf[self.need:]
        return True


def raise_nofile(need):
    """Soft RLIMIT_NOFILE >= need (and the hard one, when allowed)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    if hard != resource.RLIM_INFINITY and hard < need:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            return need
        except (ValueError, OSError):
            need = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return need


def private_kib(pid):
    """Private_Clean + Private_Dirty and Pss of a process, in KiB."""
    priv = pss = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("Private_Clean", "Private_Dirty"):
                priv += int(rest.split()[0])
            elif name == "Pss":
                pss = int(rest.split()[0])
    return priv, pss


def socket_fds(pid):
    """How many sockets a process holds (-1 when /proc cannot tell)."""
    d = "/proc/%d/fd" % pid
    n = 0
    try:
        for fd in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        return -1
    return n


def pid_list(text):
    return [int(p) for p in text.split(",") if p]
