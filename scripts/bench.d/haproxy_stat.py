#!/usr/bin/env python3
"""haproxy_stat.py -- one server's counters from HAProxy's stats socket.

Sends `show stat` to the unix stats socket SOCK and prints, for the row of
server SERVER in backend BACKEND, one machine-readable line:

  HASTAT status=UP_2/2 chkdown=N chkfail=N wretr=N wredis=N econ=N eresp=N
      hrsp_5xx=N

chkdown is HAProxy's count of UP to DOWN transitions of the server,
chkfail its failed health checks.  Exits 1 when there is no such row.

usage: haproxy_stat.py SOCK BACKEND SERVER
"""

import socket
import sys

FIELDS = ("status", "chkdown", "chkfail", "wretr", "wredis", "econ", "eresp",
          "hrsp_5xx")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    path, backend, server = sys.argv[1:]
    data = b""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(path)
            s.sendall(b"show stat\n")
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as e:
        sys.exit("haproxy_stat.py: %s: %s" % (path, e))
    lines = data.decode(errors="replace").splitlines()
    if not lines or not lines[0].startswith("# "):
        sys.exit("haproxy_stat.py: unexpected answer from %s" % path)
    names = lines[0][2:].split(",")
    for line in lines[1:]:
        row = dict(zip(names, line.split(",")))
        if row.get("pxname") == backend and row.get("svname") == server:
            print("HASTAT " + " ".join(
                "%s=%s" % (f, (row.get(f) or "0").replace(" ", "_"))
                for f in FIELDS))
            return
    sys.exit("haproxy_stat.py: no server %s/%s in %s" % (backend, server, path))


if __name__ == "__main__":
    main()
