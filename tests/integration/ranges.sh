#!/usr/bin/env bash
# ranges.sh -- single byte ranges (206, 416), If-Range, and the
# conditional requests (304, 412), with curl; and a 6 GiB sparse file, to
# see that offsets and lengths past 4 GiB are right.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ph_setup
data=$PH_DIR/www/data.txt
printf '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-the-end\n' >"$data"
size=$(wc -c <"$data" | tr -d ' ')
touch -d '2020-01-02 03:04:05 UTC' "$data"

ph_start 'listen:
  - 127.0.0.1:@PORT@
workers: 2
root: www
index: [index.html]
access_log: {path: "off"}
error_log: {path: stderr, level: info}
health: {path: /healthz}' || finish

url=$PH_URL/data.txt
hdr=$PH_DIR/h.txt
out=$PH_DIR/body.out

# req ARGS...: curl the data file; sets code, and leaves the headers in
# $hdr and the body in $out.
req() {
	rm -f "$hdr" "$out"
	: >"$out"
	code=$(curl -s -m 10 -D "$hdr" -o "$out" -w '%{http_code}' "$@" || true)
}
# field NAME: the value of a response header in $hdr.
field() {
	tr -d '\r' <"$hdr" | sed -n "s/^$1: //Ip" | head -n 1
}
# shellcheck disable=SC2317 # called through check
body_is() {
	[ "$(cat "$out")" = "$1" ]
}

req "$url"
etag=$(field ETag)
lm=$(field Last-Modified)
check "GET is 200 (got $code)" test "$code" = 200
check "ETag is a strong quoted tag (got $etag)" grep -Eq '^"[^"]+"$' <<<"$etag"
check "Last-Modified is the file's mtime (got $lm)" test "$lm" = 'Thu, 02 Jan 2020 03:04:05 GMT'
check "Accept-Ranges: bytes" test "$(field Accept-Ranges)" = bytes

# Ranges.
req -H 'Range: bytes=0-9' "$url"
check "bytes=0-9 -> 206 (got $code)" test "$code" = 206
check "bytes=0-9: Content-Range bytes 0-9/$size (got $(field Content-Range))" \
	test "$(field Content-Range)" = "bytes 0-9/$size"
check "bytes=0-9: Content-Length 10" test "$(field Content-Length)" = 10
check "bytes=0-9: the first 10 bytes" body_is 0123456789

req -H 'Range: bytes=-5' "$url"
check "bytes=-5 -> 206 (got $code)" test "$code" = 206
check "bytes=-5: Content-Range (got $(field Content-Range))" \
	test "$(field Content-Range)" = "bytes $((size - 5))-$((size - 1))/$size"
check "bytes=-5: the last 5 bytes" body_is "$(tail -c 5 "$data")"

req -H 'Range: bytes=10-' "$url"
check "bytes=10- -> 206 (got $code)" test "$code" = 206
check "bytes=10-: Content-Range (got $(field Content-Range))" \
	test "$(field Content-Range)" = "bytes 10-$((size - 1))/$size"
check "bytes=10-: from byte 10 to the end" body_is "$(tail -c +11 "$data")"

req -H "Range: bytes=60-100000" "$url"
check "bytes=60-100000 (last past the end) -> 206 clipped (got $code, $(field Content-Range))" \
	test "$code/$(field Content-Range)" = "206/bytes 60-$((size - 1))/$size"

req -H "Range: bytes=-100000" "$url"
check "bytes=-100000 (suffix longer than the file) -> 206 whole (got $code, $(field Content-Range))" \
	test "$code/$(field Content-Range)" = "206/bytes 0-$((size - 1))/$size"

req -H "Range: bytes=$size-" "$url"
check "bytes=$size- -> 416 (got $code)" test "$code" = 416
check "416 has Content-Range: bytes */$size (got $(field Content-Range))" \
	test "$(field Content-Range)" = "bytes */$size"

req -H 'Range: bytes=-0' "$url"
check "bytes=-0 -> 416 (got $code)" test "$code" = 416

req -H 'Range: bytes=5-2' "$url"
check "bytes=5-2 (invalid) -> 200 full (got $code)" test "$code" = 200
req -H 'Range: bytes=0-1,3-4' "$url"
check "several ranges -> 200 full (got $code)" test "$code" = 200
check "several ranges: the whole file" cmp -s "$out" "$data"
req -H 'Range: items=0-1' "$url"
check "unknown range unit -> 200 (got $code)" test "$code" = 200

req -I -H 'Range: bytes=0-9' "$url"
check "HEAD with Range -> 200, the full length (got $code, $(field Content-Length))" \
	test "$code/$(field Content-Length)" = "200/$size"

# If-Range.
req -H 'Range: bytes=0-9' -H "If-Range: $etag" "$url"
check "If-Range with the current ETag -> 206 (got $code)" test "$code" = 206
req -H 'Range: bytes=0-9' -H 'If-Range: "old-etag"' "$url"
check "If-Range with an old ETag -> 200 (got $code)" test "$code" = 200
check "If-Range with an old ETag: the whole file" cmp -s "$out" "$data"
req -H 'Range: bytes=0-9' -H "If-Range: W/$etag" "$url"
check "If-Range with a weak ETag -> 200 (got $code)" test "$code" = 200
req -H 'Range: bytes=0-9' -H "If-Range: $lm" "$url"
check "If-Range with the Last-Modified date -> 206 (got $code)" test "$code" = 206
req -H 'Range: bytes=0-9' -H 'If-Range: Wed, 01 Jan 2020 00:00:00 GMT' "$url"
check "If-Range with another date -> 200 (got $code)" test "$code" = 200

# If-None-Match / If-Modified-Since.
req -H "If-None-Match: $etag" "$url"
check "If-None-Match with the ETag -> 304 (got $code)" test "$code" = 304
check "304 has no body" test ! -s "$out"
check "304 has no Content-Length" test -z "$(field Content-Length)"
check "304 carries the ETag" test "$(field ETag)" = "$etag"
req -I -H "If-None-Match: $etag" "$url"
check "HEAD with If-None-Match -> 304 (got $code)" test "$code" = 304
req -H "If-None-Match: \"x\", W/$etag" "$url"
check "If-None-Match with a list holding the weak tag -> 304 (got $code)" test "$code" = 304
req -H 'If-None-Match: *' "$url"
check "If-None-Match: * -> 304 (got $code)" test "$code" = 304
req -H 'If-None-Match: "other"' "$url"
check "If-None-Match with another tag -> 200 (got $code)" test "$code" = 200

req -H 'If-Modified-Since: Fri, 01 Jan 2038 00:00:00 GMT' "$url"
check "If-Modified-Since after the mtime -> 304 (got $code)" test "$code" = 304
req -H "If-Modified-Since: $lm" "$url"
check "If-Modified-Since equal to the mtime -> 304 (got $code)" test "$code" = 304
req -H 'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT' "$url"
check "If-Modified-Since before the mtime -> 200 (got $code)" test "$code" = 200
req -H 'If-Modified-Since: yesterday' "$url"
check "If-Modified-Since that is not a date is ignored -> 200 (got $code)" test "$code" = 200
req -H 'If-None-Match: "other"' -H 'If-Modified-Since: Fri, 01 Jan 2038 00:00:00 GMT' "$url"
check "If-None-Match takes precedence over If-Modified-Since -> 200 (got $code)" test "$code" = 200

# If-Match / If-Unmodified-Since.
req -H 'If-Match: "not-the-etag"' "$url"
check "If-Match mismatch -> 412 (got $code)" test "$code" = 412
req -H "If-Match: $etag" "$url"
check "If-Match with the ETag -> 200 (got $code)" test "$code" = 200
req -H "If-Match: W/$etag" "$url"
check "If-Match with the weak tag -> 412 (strong comparison) (got $code)" test "$code" = 412
req -H 'If-Match: *' "$url"
check "If-Match: * -> 200 (got $code)" test "$code" = 200
req -H 'If-Unmodified-Since: Wed, 01 Jan 2020 00:00:00 GMT' "$url"
check "If-Unmodified-Since before the mtime -> 412 (got $code)" test "$code" = 412
req -H "If-Unmodified-Since: $lm" "$url"
check "If-Unmodified-Since equal to the mtime -> 200 (got $code)" test "$code" = 200
req -H 'If-Match: "not-the-etag"' -H 'Range: bytes=0-9' "$url"
check "If-Match mismatch beats Range -> 412 (got $code)" test "$code" = 412
req -H "If-None-Match: $etag" -H 'Range: bytes=0-9' "$url"
check "If-None-Match match beats Range -> 304 (got $code)" test "$code" = 304

# A new mtime is a new ETag.  Workers revalidate a cached file once a
# second (src/filecache.h), so the change shows after at most a second.
touch -d '2021-01-01 00:00:00 UTC' "$data"
sleep 1.1
req -H "If-None-Match: $etag" "$url"
check "after the file changes, the old ETag -> 200 (got $code)" test "$code" = 200
check "after the file changes, a new ETag" test "$(field ETag)" != "$etag"
req -H 'Range: bytes=0-9' -H "If-Range: $etag" "$url"
check "after the file changes, If-Range with the old ETag -> 200 (got $code)" test "$code" = 200

# A 6 GiB sparse file: offsets past 4 GiB.
big=$PH_DIR/www/big.bin
marker=0123456789ABCDEF
if truncate -s 6G "$big" 2>/dev/null &&
	printf '%s' "$marker" | dd of="$big" bs=1 seek=$((6442450944 - 16)) conv=notrunc status=none; then
	check "the sparse file is 6 GiB" test "$(stat -c %s "$big")" = 6442450944
	req -H 'Range: bytes=-16' "$PH_URL/big.bin"
	check "big file, bytes=-16 -> 206 (got $code)" test "$code" = 206
	check "big file, bytes=-16: the marker (got '$(head -c 32 "$out")')" body_is "$marker"
	check "big file, bytes=-16: Content-Range (got $(field Content-Range))" \
		test "$(field Content-Range)" = "bytes 6442450928-6442450943/6442450944"
	req -H 'Range: bytes=6442450936-' "$PH_URL/big.bin"
	check "big file, bytes=6442450936-: the last 8 bytes (got $code)" body_is "${marker:8}"
	req -H 'Range: bytes=4294967290-4294967305' "$PH_URL/big.bin"
	check "big file, a range across 4 GiB: 16 bytes (got $code, $(wc -c <"$out"))" \
		test "$code/$(wc -c <"$out" | tr -d ' ')" = 206/16
	req -I "$PH_URL/big.bin"
	check "big file, HEAD -> 200 (got $code)" test "$code" = 200
	check "big file, HEAD: Content-Length 6442450944 (got $(field Content-Length))" \
		test "$(field Content-Length)" = 6442450944
	req -H 'Range: bytes=6442450944-' "$PH_URL/big.bin"
	check "big file, bytes=6442450944- -> 416 (got $code, $(field Content-Range))" \
		test "$code/$(field Content-Range)" = "416/bytes */6442450944"
	rm -f "$big"
else
	fail "cannot make a 6 GiB sparse file in $PH_DIR"
fi

ph_stop TERM
check "TERM stops the server with status 0 (got $PH_EXIT)" test "$PH_EXIT" = 0

finish
