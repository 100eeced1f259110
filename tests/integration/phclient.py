"""Socket helpers shared by the python parts of the integration tests.

lib.sh puts this directory on PYTHONPATH: `from phclient import ...`.
"""
import csv
import socket
import time


def connect(port, timeout=5):
    """A TCP connection to 127.0.0.1:port."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_until_eof(s, wait):
    """Read until EOF (or a reset) or until wait seconds have passed.

    Returns (bytes, eof, seconds until EOF or the wait ran out).
    """
    out, eof, t0 = b"", False, time.monotonic()
    deadline = t0 + wait
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                eof = True
                break
            out += c
    except ConnectionResetError:
        eof = True  # a reset also ends the connection
    return out, eof, time.monotonic() - t0


def report(ok, name, why=""):
    """One check, as ph_helper (lib.sh) reads it: PASS or FAIL, a tab, the
    name, and why in parentheses."""
    print(("PASS" if ok else "FAIL") + "\t" + name +
          (" (" + why + ")" if why else ""), flush=True)


def read_response(s, wait=5.0, buf=b"", body=True):
    """Read one response from s, starting with the bytes already in buf.

    The body is read by its Content-Length (none after a 304, nor when
    body is False, for the answer to a HEAD).  Returns (status, head,
    rest): status is the three digits of the status line, "closed" when
    the connection ended before a whole head, "silent" when none came
    within wait seconds, or the name of the socket error; head is the
    head in lower case (latin-1), "" without one; rest is what came after
    the response (a pipelined answer's start).
    """
    s.settimeout(wait)
    data = buf
    try:
        while b"\r\n\r\n" not in data:
            c = s.recv(65536)
            if not c:
                return "closed", "", b""
            data += c
        head, _, rest = data.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":")[1])
        if not body or head.startswith(b"HTTP/1.1 304"):
            n = 0
        while len(rest) < n:
            c = s.recv(65536)
            if not c:
                break
            rest += c
    except socket.timeout:
        return "silent", "", b""
    except OSError as e:
        return type(e).__name__, "", b""
    if not head.startswith(b"HTTP/1.1 "):
        return "closed", "", b""
    return head[9:12].decode("latin-1"), head.decode("latin-1").lower(), rest[n:]



def haproxy_cmd(sock, command):
    """One command on HAProxy's stats socket sock: its answer, as text."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(sock)
    s.sendall(command.encode() + b"\n")
    out = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        out += c
    s.close()
    return out.decode("utf-8", "replace")


def haproxy_stat(sock, proxy):
    """HAProxy's "show stat": {svname: row} of the rows of proxy (each row
    a dict of the CSV's columns)."""
    lines = haproxy_cmd(sock, "show stat").lstrip("# ").splitlines()
    return {r["svname"]: r for r in csv.DictReader(lines)
            if r.get("pxname") == proxy}
