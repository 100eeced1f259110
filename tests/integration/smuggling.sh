#!/usr/bin/env bash
# smuggling.sh -- requests that two HTTP implementations could frame
# differently are refused: each ambiguous request is sent with a second,
# valid request behind it on the same connection.  The server must answer
# the first with the status of docs/http.md, close the connection, and
# never answer the second (its file holds a marker that must not appear).
# A valid chunked or Content-Length body, on the other hand, is consumed as
# a body, and the request behind it is served.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
marker="SECRET-$$-$RANDOM$RANDOM"
body_marker="BODYREQ-$$-$RANDOM$RANDOM"
printf '%s\n' "$marker" >"$PH_DIR/www/secret-marker"
printf '%s\n' "$body_marker" >"$PH_DIR/www/body-marker"

ph_start 'listen:
  - 127.0.0.1:@PORT@
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

cat >"$PH_DIR/smuggle.py" <<'PY'
import socket, sys, time
import phclient

port, marker, body_marker = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
SECOND = b"GET /secret-marker HTTP/1.1\r\nHost: localhost\r\n\r\n"

def exchange(data, wait=4.0):
    """Send data, read until EOF or wait seconds; (bytes, eof, seconds)."""
    s = phclient.connect(port)
    t0 = time.monotonic()
    try:
        s.sendall(data)
    except OSError:
        pass
    out, eof, _ = phclient.read_until_eof(s, wait)
    s.close()
    return out, eof, time.monotonic() - t0

def status_lines(out):
    """The status line of each response in out, framed by Content-Length."""
    lines, pos = [], 0
    while pos < len(out):
        end = out.find(b"\r\n\r\n", pos)
        if end < 0:
            lines.append(out[pos:].split(b"\r\n")[0])
            break
        head = out[pos:end].split(b"\r\n")
        lines.append(head[0])
        length = 0
        for h in head[1:]:
            k, _, v = h.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        pos = end + 4 + length
    return lines

def report(ok, name, detail=""):
    print(("PASS\t" if ok else "FAIL\t") + name + ("\t" + detail if detail else ""))
    sys.stdout.flush()

H = b"Host: localhost\r\n"
TE = b"POST /x HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
cases = [
    # name, first request, acceptable statuses
    ("CL + TE", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ["400"]),
    ("TE chunked + CL (TE first)", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", ["400"]),
    ("TE: gzip", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: gzip\r\n\r\n", ["400"]),
    ("TE: chunked, identity", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", ["400"]),
    ("TE: gzip, chunked", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", ["400"]),
    ("two TE fields", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ["400"]),
    ("TE in HTTP/1.0", b"POST / HTTP/1.0\r\n" + H +
     b"Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ["400"]),
    ("two differing Content-Length", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", ["400"]),
    ("two equal Content-Length", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", ["400"]),
    ("Content-Length list", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 5, 5\r\n\r\nhello", ["400"]),
    ("Content-Length with +", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: +5\r\n\r\nhello", ["400"]),
    ("Content-Length with -", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: -5\r\n\r\nhello", ["400"]),
    ("Content-Length with inner space", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 1 0\r\n\r\nhelloworld", ["400"]),
    ("Content-Length in hex", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 0x5\r\n\r\nhello", ["400"]),
    ("Content-Length overflow", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length: 99999999999999999999999\r\n\r\nhello", ["400"]),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : localhost\r\n\r\n", ["400"]),
    ("space before colon in CL", b"POST / HTTP/1.1\r\n" + H +
     b"Content-Length : 5\r\n\r\nhello", ["400"]),
    ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", ["400"]),
    ("obs-fold with HTAB", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n\tb\r\n\r\n", ["400"]),
    ("bare LF after request line", b"GET / HTTP/1.1\n" + H + b"\r\n", ["400"]),
    ("bare LF after a field", b"GET / HTTP/1.1\r\nHost: localhost\n\r\n", ["400"]),
    ("bare LF line endings only", b"GET / HTTP/1.1\nHost: localhost\n\n", ["400"]),
    ("bare CR in a field", b"GET / HTTP/1.1\r\nHost: localhost\rX-B: y\r\n\r\n", ["400"]),
    ("bare CR in the request line", b"GET /\r HTTP/1.1\r\n" + H + b"\r\n", ["400"]),
    ("NUL in a field value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", ["400"]),
    ("control byte in a field value", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\n\r\n", ["400"]),
    ("control byte in the target", b"GET /a\x01b HTTP/1.1\r\n" + H + b"\r\n", ["400"]),
    ("DEL in the target", b"GET /a\x7fb HTTP/1.1\r\n" + H + b"\r\n", ["400"]),
    ("invalid chunk size zz", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("chunk size overflow", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 20 + b"\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("chunk size with sign", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("chunk data longer than its size", b"POST / HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", ["400"]),
    # Chunked framing is checked to RFC 9112 7.1 byte by byte, whatever a
    # lax parser would skip or guess.
    ("chunk data not followed by CRLF", TE + b"5\r\nhelloXY0\r\n\r\n", ["400"]),
    # A parser that ends chunk data at a bare LF sees one POST of 0x110
    # bytes; one that skips two bytes after chunk data sees a GET behind it.
    ("chunk data ended by LF, request inside", TE + b"1\r\nA\n110\r\n" + b"P" * 16 +
     b"XY0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n" +
     b"Z" * 193 + b"\r\n0\r\n\r\n", ["400"]),
    ("chunk data ended by bare LF", TE + b"5\r\nhello\n0\r\n\r\n", ["400"]),
    ("chunk data ended by bare CR", TE + b"5\r\nhello\r0\r\n\r\n", ["400"]),
    ("chunk size line ended by bare LF", TE + b"5\nhello\r\n0\r\n\r\n", ["400"]),
    ("chunk size line ended by CR and a byte", TE + b"5\rXhello\r\n0\r\n\r\n", ["400"]),
    ("space after chunk size", TE + b"5 \r\nhello\r\n0\r\n\r\n", ["400"]),
    ("HTAB after chunk size", TE + b"5\t\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("space before chunk size", TE + b" 5\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("chunk size 0x5", TE + b"0x5\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("empty chunk size", TE + b"\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("LF in a chunk extension", TE + b"5;a\nb\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("NUL in a chunk extension", TE + b"5;a\x00b\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("control byte in a chunk extension", TE + b"5;a=\x01\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("chunk extension without a name", TE + b"5;=x\r\nhello\r\n0\r\n\r\n", ["400"]),
    ("unterminated quoted chunk extension", TE + b'5;a="b\r\nhello\r\n0\r\n\r\n', ["400"]),
    ("space after a chunk extension", TE + b"5;a=b \r\nhello\r\n0\r\n\r\n", ["400"]),
    ("last chunk ended by bare LF", TE + b"0\r\n\n", ["400"]),
    ("last chunk with LF LF", TE + b"0\n\n", ["400"]),
    ("last chunk, then CR and a byte", TE + b"0\r\n\rX", ["400"]),
    ("bare LF in a trailer", TE + b"0\r\nX-T: a\nb\r\n\r\n", ["400"]),
    ("bare CR in a trailer", TE + b"0\r\nX-T: a\rb\r\n\r\n", ["400"]),
    ("NUL in a trailer", TE + b"0\r\nX-T: a\x00b\r\n\r\n", ["400"]),
    ("control byte in a trailer", TE + b"0\r\nX-T: a\x1bb\r\n\r\n", ["400"]),
    ("obs-fold in the trailers", TE + b"0\r\nX-T: a\r\n b\r\n\r\n", ["400"]),
    ("space before colon in a trailer", TE + b"0\r\nX-T : a\r\n\r\n", ["400"]),
    ("trailer line without a colon", TE + b"0\r\nX-T\r\n\r\n", ["400"]),
    ("trailer field name not a token", TE + b"0\r\nX(T): a\r\n\r\n", ["400"]),
    ("trailer section ended by bare LF", TE + b"0\r\nX-T: a\r\n\n", ["400"]),
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n", ["400"]),
    ("two Host fields", b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: other\r\n\r\n", ["400"]),
    ("two identical Host fields", b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n", ["400"]),
    ("Host with a space inside", b"GET / HTTP/1.1\r\nHost: local host\r\n\r\n", ["400"]),
    ("extra space in the request line", b"GET  / HTTP/1.1\r\n" + H + b"\r\n", ["400"]),
    ("lowercase version", b"GET / http/1.1\r\n" + H + b"\r\n", ["400"]),
    ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\n" + H + b"\r\n", ["505"]),
    ("unknown method", b"BREW / HTTP/1.1\r\n" + H + b"\r\n", ["501"]),
    ("bad Expect", b"GET / HTTP/1.1\r\n" + H + b"Expect: 200-ok\r\n\r\n", ["417"]),
]

for name, first, want in cases:
    out, eof, secs = exchange(first + SECOND)
    sl = status_lines(out)
    got = sl[0].split(b" ")[1].decode("latin-1") if sl and len(sl[0].split(b" ")) > 1 else "none"
    report(got in want, "%s: status %s (got %s)" % (name, "/".join(want), got),
           repr(out[:200]))
    report(eof and secs < 2.5, "%s: connection closed after the error" % name,
           "eof=%s after %.2f s" % (eof, secs))
    report(marker not in out and len(sl) <= 1,
           "%s: the pipelined request is not answered" % name,
           "%d status lines; marker %s" % (len(sl), "seen" if marker in out else "absent"))

# Valid bodies are consumed as bodies: the request behind them is served,
# and a request-shaped body is never parsed as a request.
inner = b"GET /body-marker HTTP/1.1\r\nHost: localhost\r\n\r\n"
chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (inner[:10], inner[10:])) + b"0\r\n\r\n"
for name, first in [
    ("chunked POST", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\r\n\r\n" + chunked),
    ("chunked POST with extension and trailer", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: Chunked\r\n\r\n" + b"%x;ext=1\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (len(inner), inner)),
    ("chunked POST with BWS, quoted extensions, leading zeros and trailers",
     b"POST /index.html HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n" +
     b'00%x ; a = "q\\"\t;" ;b;c=d\r\n%s\r\n000\r\nX-A: 1\r\nX-B:\t2 \xe9\r\n\r\n'
     % (len(inner), inner)),
    ("Content-Length POST", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Content-Length: %d\r\n\r\n" % len(inner) + inner),
    # OWS is SP or HTAB, before and after a field value.
    ("Transfer-Encoding: chunked HTAB", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Transfer-Encoding: chunked\t\r\n\r\n" + chunked),
    ("Transfer-Encoding: HTAB chunked HTAB SP", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Transfer-Encoding:\tchunked\t \r\n\r\n" + chunked),
    ("Content-Length: N HTAB", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Content-Length: %d\t\r\n\r\n" % len(inner) + inner),
    ("Content-Length: HTAB N SP HTAB", b"POST /index.html HTTP/1.1\r\n" + H +
     b"Content-Length:\t%d \t\r\n\r\n" % len(inner) + inner),
]:
    out, eof, secs = exchange(first + SECOND, wait=1.5)
    sl = status_lines(out)
    codes = [l.split(b" ")[1].decode() for l in sl]
    report(codes[:1] == ["405"], "%s to a static file: 405 (got %s)" % (name, codes[:1]), repr(out[:200]))
    report(len(sl) == 2 and codes[1:] == ["200"] and marker in out,
           "%s: the pipelined GET is answered 200 with its file" % name,
           "statuses %s" % codes)
    report(body_marker not in out, "%s: the body is not read as a request" % name)
PY

ph_results smuggle.py timeout 300 python3 "$PH_DIR/smuggle.py" "$PH_PORT" "$marker" "$body_marker"

# Nothing else was disturbed: the server still serves.
expect_status "$PH_URL/secret-marker" 200

ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

finish
