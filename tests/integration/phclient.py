"""Socket helpers shared by the python parts of the integration tests.

lib.sh puts this directory on PYTHONPATH: `from phclient import ...`.
"""
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
