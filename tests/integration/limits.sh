#!/usr/bin/env bash
# limits.sh -- the request limits of docs/http.md (414, 431, 413), 501 for
# unknown methods, OPTIONS *, Expect: 100-continue, absolute-form targets,
# HEAD and GET agreeing on Content-Length, and server_tokens.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
head -c 5000 /dev/urandom >"$PH_DIR/www/blob.bin"

ph_start 'listen:
  - 127.0.0.1:@PORT@
workers: 2
root: www
index: [index.html]
server_tokens: false
limits:
  uri_bytes: 256
  header_bytes: 2k
  headers: 10
  body_bytes: 1k
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

cat >"$PH_DIR/limits.py" <<'PY'
import socket, sys, time

port = int(sys.argv[1])
index = open(sys.argv[2], "rb").read()
blob_size = int(sys.argv[3])

import phclient

def connect():
    return phclient.connect(port)

def read_until_eof(s, wait):
    out, eof, _ = phclient.read_until_eof(s, wait)
    return out, eof

def exchange(data, wait=3.0):
    s = connect()
    try:
        s.sendall(data)
    except OSError:
        pass
    out, eof = read_until_eof(s, wait)
    s.close()
    return out, eof

def parse(out):
    """First response: (status, {lower name: value}, body) framed by Content-Length."""
    end = out.find(b"\r\n\r\n")
    if end < 0:
        return None, {}, b""
    lines = out[:end].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    status = parts[1].decode() if len(parts) > 1 else None
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
    n = int(hdrs.get("content-length", "0") or 0)
    return status, hdrs, out[end + 4:end + 4 + n]

def report(ok, name, detail=""):
    print(("PASS\t" if ok else "FAIL\t") + name + ("\t" + detail if detail else ""))
    sys.stdout.flush()

def expect(name, data, want, closed=True, wait=3.0):
    out, eof = exchange(data, wait)
    st, h, body = parse(out)
    report(st == want, "%s -> %s (got %s)" % (name, want, st), repr(out[:160]))
    if closed:
        report(eof and h.get("connection", "").lower() == "close",
               "%s: Connection: close and the connection is closed" % name,
               "eof=%s connection=%s" % (eof, h.get("connection")))
    return st, h, body

H = b"Host: localhost\r\n"
C = b"Connection: close\r\n"

# URI length: uri_bytes is 256.
expect("target of 300 bytes", b"GET /" + b"a" * 299 + b" HTTP/1.1\r\n" + H + b"\r\n", "414")
expect("target of 256 bytes", b"GET /" + b"a" * 255 + b" HTTP/1.1\r\n" + H + C + b"\r\n", "404")
expect("unfinished request line of 1000 bytes", b"GET /" + b"a" * 1000, "414")

# Head size: header_bytes is 2k.
expect("head over 2k", b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"b" * 2100 + b"\r\n\r\n", "431")
expect("unfinished head over 2k", b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"b" * 2100, "431")
expect("head just under 2k", b"GET / HTTP/1.1\r\n" + H + C + b"X-Big: " + b"b" * 1900 + b"\r\n\r\n",
       "200", closed=False)

# Header count: headers is 10.
fields = b"".join(b"X-F%d: v\r\n" % i for i in range(8))
expect("10 header fields", b"GET / HTTP/1.1\r\n" + H + C + fields + b"\r\n", "200", closed=False)
expect("11 header fields", b"GET / HTTP/1.1\r\n" + H + C + fields + b"X-F9: v\r\n\r\n", "431")
expect("100 header fields", b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-G%d: v\r\n" % i for i in range(100)) + b"\r\n", "431")

# Body size: body_bytes is 1k.  The 413 comes from the head alone.
s = connect()
t0 = time.monotonic()
s.sendall(b"POST /index.html HTTP/1.1\r\n" + H + b"Content-Length: 1025\r\n\r\n")
out, eof = read_until_eof(s, 3.0)
s.close()
report(parse(out)[0] == "413", "Content-Length 1025 over 1k -> 413 before any body byte",
       repr(out[:120]))
report(eof, "Content-Length over the limit: connection closed")
expect("Content-Length of 1024 (at the limit), POST to a file",
       b"POST /index.html HTTP/1.1\r\n" + H + C + b"Content-Length: 1024\r\n\r\n" + b"x" * 1024,
       "405", closed=False)
expect("chunked body over 1k", b"POST /index.html HTTP/1.1\r\n" + H +
       b"Transfer-Encoding: chunked\r\n\r\n" + b"200\r\n" + b"y" * 512 + b"\r\n" +
       b"201\r\n" + b"y" * 513 + b"\r\n0\r\n\r\n", "413")
expect("single chunk declared over 1k", b"POST /index.html HTTP/1.1\r\n" + H +
       b"Transfer-Encoding: chunked\r\n\r\n" + b"fffff\r\n", "413")

# Methods.
expect("unknown method BREW", b"BREW / HTTP/1.1\r\n" + H + b"\r\n", "501")
expect("lowercase method get", b"get / HTTP/1.1\r\n" + H + b"\r\n", "501")
expect("CONNECT", b"CONNECT localhost:443 HTTP/1.1\r\n" + H + b"\r\n", "501")
st, h, body = expect("OPTIONS *", b"OPTIONS * HTTP/1.1\r\n" + H + C + b"\r\n", "200", closed=False)
allow = [m.strip() for m in h.get("allow", "").split(",")]
report("GET" in allow and "HEAD" in allow, "OPTIONS *: Allow lists GET and HEAD (got %r)" % h.get("allow"))
report(st in ("200", "204") and body == b"" and (st == "204" or h.get("content-length") == "0"),
       "OPTIONS *: no body")
expect("GET *", b"GET * HTTP/1.1\r\n" + H + b"\r\n", "400")
st, h, _ = expect("OPTIONS on a file", b"OPTIONS /index.html HTTP/1.1\r\n" + H + C + b"\r\n",
                  "405", closed=False)
report("GET" in h.get("allow", ""), "OPTIONS on a file: 405 has Allow")

# Expect: 100-continue (RFC 9110 10.1.1).  A handler that reads the body
# gets "100 Continue" sent first; one that does not (static files answer
# POST with 405 without reading it) answers at once, never sends 100
# afterwards, and closes the connection, since the body was not read.
s = connect()
s.sendall(b"POST /index.html HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
s.settimeout(2.0)
first = b""
try:
    while b"\r\n\r\n" not in first:
        c = s.recv(4096)
        if not c:
            break
        first += c
except socket.timeout:
    pass
got_100 = first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
report(got_100 or first.startswith(b"HTTP/1.1 405"),
       "Expect: 100-continue: 100 Continue or the final answer, before the body is sent",
       repr(first[:80]))
if got_100:
    s.sendall(b"hello")
    rest, eof = read_until_eof(s, 2.0)
    final = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):] + rest
    st, h, _ = parse(final)
    report(st == "405", "Expect: 100-continue: then the final response (405)", repr(final[:80]))
else:
    rest, eof = read_until_eof(s, 2.0)
    final = first + rest
    st, h, _ = parse(final)
    report(h.get("connection", "").lower() == "close" and eof,
           "Expect: 100-continue, body not read: Connection: close and closed",
           "connection=%s eof=%s" % (h.get("connection"), eof))
    report(b"100 Continue" not in final, "Expect: 100-continue, body not read: no late 100")
s.close()
out, _ = exchange(b"POST /index.html HTTP/1.0\r\n" + H + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello")
report(out.startswith(b"HTTP/1.1 405"), "Expect: 100-continue in HTTP/1.0 is ignored (no 100)",
       repr(out[:40]))

# Absolute-form targets are served; the authority is the host.
st, h, body = expect("absolute-form GET http://localhost/index.html",
                     b"GET http://localhost/index.html HTTP/1.1\r\n" + H + C + b"\r\n", "200", closed=False)
report(body == index, "absolute-form: the body is index.html")
st, h, body = expect("absolute-form without a path",
                     b"GET http://localhost:%d HTTP/1.1\r\n" % port + H + C + b"\r\n", "200", closed=False)
report(body == index, "absolute-form without a path serves /")
expect("absolute-form with ftp scheme", b"GET ftp://localhost/index.html HTTP/1.1\r\n" + H + b"\r\n", "400")

# HEAD and GET agree.
for path, size in ((b"/index.html", len(index)), (b"/blob.bin", blob_size)):
    gs, gh, gbody = parse(exchange(b"GET " + path + b" HTTP/1.1\r\n" + H + C + b"\r\n")[0])
    out, eof = exchange(b"HEAD " + path + b" HTTP/1.1\r\n" + H + C + b"\r\n")
    hs, hh, _ = parse(out)
    p = path.decode()
    report(gs == "200" and hs == "200", "GET and HEAD %s are 200" % p)
    report(gh.get("content-length") == hh.get("content-length") == str(size),
           "HEAD %s has the Content-Length of GET (%d)" % (p, size),
           "GET %s, HEAD %s" % (gh.get("content-length"), hh.get("content-length")))
    report(out.endswith(b"\r\n\r\n") and out.count(b"\r\n\r\n") == 1, "HEAD %s has no body" % p)
    for f in ("etag", "last-modified", "content-type"):
        report(gh.get(f) == hh.get(f), "HEAD %s: %s as GET" % (p, f))

# server_tokens: false.
_, h, _ = parse(exchange(b"GET / HTTP/1.1\r\n" + H + C + b"\r\n")[0])
report(h.get("server") == "prefork-httpd", "server_tokens: false: Server has no version (got %r)" % h.get("server"))
_, h, _ = parse(exchange(b"GET /missing HTTP/1.1\r\n" + H + C + b"\r\n")[0])
report(h.get("server") == "prefork-httpd", "server_tokens: false: error responses too (got %r)" % h.get("server"))
PY

ph_results limits.py timeout 300 python3 "$PH_DIR/limits.py" "$PH_PORT" "$PH_DIR/www/index.html" 5000

expect_status "$PH_URL/" 200
ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

# server_tokens defaults to true: the version is shown.
ph_start 'listen:
  - 127.0.0.1:@PORT@
workers: 1
root: www
access_log: {path: "off"}
health: {path: /healthz}' || finish
server=$(curl -s -m 10 -o /dev/null -D - "$PH_URL/" | tr -d '\r' | sed -n 's/^[Ss]erver: //p')
check "server_tokens default: Server has a version (got '$server')" \
	grep -Eq '^prefork-httpd/[0-9]' <<<"$server"
ph_stop TERM

finish
