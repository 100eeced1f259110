#!/usr/bin/env python3
"""Reads the whole request body; answers its length and sha256."""
import hashlib
import os
import sys

h = hashlib.sha256()
n = 0
while True:
    chunk = sys.stdin.buffer.read(65536)
    if not chunk:
        break
    h.update(chunk)
    n += len(chunk)
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
sys.stdout.write("length=%d declared=%s\nsha256=%s\n"
                 % (n, os.environ.get("CONTENT_LENGTH", "-"), h.hexdigest()))
