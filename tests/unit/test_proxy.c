/* Unit tests for proxy_parse(): PROXY protocol v1 and v2. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/* Run proxy_parse on an exact-size heap copy, so ASan sees any overread. */
static enum proxy_status parse(const void *data, size_t len,
			       struct proxy_info *out, size_t *consumed)
{
	char *copy = malloc(len ? len : 1);
	enum proxy_status st;

	cr_assert_not_null(copy);
	if (len)
		memcpy(copy, data, len);
	st = proxy_parse(copy, len, out, consumed);
	free(copy);
	return st;
}

static enum proxy_status parse_str(const char *s, struct proxy_info *out,
				   size_t *consumed)
{
	return parse(s, strlen(s), out, consumed);
}

/* Every strict prefix of a valid header must ask for more, never fail. */
static void expect_prefixes_need_more(const void *data, size_t len)
{
	struct proxy_info info;
	size_t consumed = 0;

	for (size_t n = 0; n < len; n++) {
		enum proxy_status st = parse(data, n, &info, &consumed);
		cr_assert_eq(st, PROXY_NEED_MORE, "prefix of %zu/%zu bytes: %d",
			     n, len, (int)st);
	}
}

static void expect_invalid(const char *s)
{
	struct proxy_info info;
	size_t consumed = 77;

	cr_expect_eq(parse_str(s, &info, &consumed), PROXY_INVALID,
		     "\"%s\" should be invalid", s);
	cr_expect_eq(consumed, 77, "consumed untouched");
}

static void check_v4(const struct sockaddr_storage *ss, const char *addr,
		     uint16_t port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char text[INET_ADDRSTRLEN];

	cr_assert_eq(sin->sin_family, AF_INET);
	cr_assert_not_null(inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text)));
	cr_expect_str_eq(text, addr);
	cr_expect_eq(ntohs(sin->sin_port), port);
}

static void check_v6(const struct sockaddr_storage *ss, const char *addr,
		     uint16_t port)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	char text[INET6_ADDRSTRLEN];

	cr_assert_eq(s6->sin6_family, AF_INET6);
	cr_assert_not_null(inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text)));
	cr_expect_str_eq(text, addr);
	cr_expect_eq(ntohs(s6->sin6_port), port);
}

/* --- v1 ------------------------------------------------------------------ */

Test(proxy_v1, tcp4)
{
	const char *h = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n";
	char buf[256];
	struct proxy_info info;
	size_t consumed = 0;

	snprintf(buf, sizeof(buf), "%sGET / HTTP/1.1\r\n\r\n", h);
	cr_assert_eq(parse_str(buf, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, strlen(h));
	cr_expect_not(info.local);
	cr_expect_eq(info.family, AF_INET);
	check_v4(&info.src, "192.0.2.1", 56324);
	check_v4(&info.dst, "198.51.100.2", 443);
}

Test(proxy_v1, tcp6)
{
	const char *h = "PROXY TCP6 2001:db8::1 2001:db8:0:1::2 0 65535\r\n";
	struct proxy_info info;
	size_t consumed = 0;

	cr_assert_eq(parse_str(h, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, strlen(h));
	cr_expect_not(info.local);
	cr_expect_eq(info.family, AF_INET6);
	check_v6(&info.src, "2001:db8::1", 0);
	check_v6(&info.dst, "2001:db8:0:1::2", 65535);
}

Test(proxy_v1, tcp6_v4_mapped)
{
	const char *h = "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n";
	struct proxy_info info;
	size_t consumed = 0;

	cr_assert_eq(parse_str(h, &info, &consumed), PROXY_OK);
	check_v6(&info.src, "::ffff:192.0.2.1", 1);
}

Test(proxy_v1, unknown)
{
	struct proxy_info info;
	size_t consumed = 0;

	cr_assert_eq(parse_str("PROXY UNKNOWN\r\nGET", &info, &consumed),
		     PROXY_OK);
	cr_expect_eq(consumed, 15);
	cr_expect(info.local);
	cr_expect_eq(info.family, AF_UNSPEC);

	/* The spec: anything after UNKNOWN up to the CRLF is ignored. */
	const char *h = "PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n";
	cr_assert_eq(parse_str(h, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, strlen(h));
	cr_expect(info.local);
}

Test(proxy_v1, longest_headers)
{
	char h[160];
	struct proxy_info info;
	size_t consumed = 0;
	const char *a = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

	/* The longest canonical TCP6 line: 104 bytes. */
	cr_assert_eq(strlen(a), 39);
	snprintf(h, sizeof(h), "PROXY TCP6 %s %s 65535 65535\r\n", a, a);
	cr_assert_eq(strlen(h), 104);
	cr_assert_eq(parse_str(h, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, 104);
	check_v6(&info.src, a, 65535);
	expect_prefixes_need_more(h, strlen(h));

	/* The spec's worst case: UNKNOWN with such a tail, 107 bytes. */
	snprintf(h, sizeof(h), "PROXY UNKNOWN %s %s 65535 65535\r\n", a, a);
	cr_assert_eq(strlen(h), PROXY_V1_MAX);
	cr_assert_eq(parse_str(h, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, PROXY_V1_MAX);
	expect_prefixes_need_more(h, strlen(h));

	/* Non-canonical spellings can pass 107 bytes: refused. */
	a = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
	snprintf(h, sizeof(h), "PROXY TCP6 %s %s 65535 65535\r\n", a, a);
	cr_assert_gt(strlen(h), PROXY_V1_MAX);
	cr_expect_eq(parse_str(h, &info, &consumed), PROXY_INVALID);
}

Test(proxy_v1, byte_at_a_time)
{
	static const char *valid[] = {
		"PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
		"PROXY TCP4 0.0.0.0 255.255.255.255 0 0\r\n",
		"PROXY TCP6 2001:db8::1 2001:db8:0:1::2 0 65535\r\n",
		"PROXY TCP6 ::1 ::1 10000 8080\r\n",
		"PROXY UNKNOWN\r\n",
		"PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n",
	};

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct proxy_info info;
		size_t consumed = 0;
		expect_prefixes_need_more(valid[i], strlen(valid[i]));
		cr_expect_eq(parse_str(valid[i], &info, &consumed), PROXY_OK,
			     "%s", valid[i]);
		cr_expect_eq(consumed, strlen(valid[i]));
	}
}

Test(proxy_v1, too_long)
{
	char h[300];
	struct proxy_info info;
	size_t consumed = 0;

	/* UNKNOWN with filler: no CRLF within 107 bytes. */
	memset(h, 'x', sizeof(h));
	memcpy(h, "PROXY UNKNOWN ", 14);
	memcpy(h + 106, "\r\n", 2);
	cr_expect_eq(parse(h, 106, &info, &consumed), PROXY_NEED_MORE);
	cr_expect_eq(parse(h, 107, &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse(h, 108, &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse(h, sizeof(h), &info, &consumed), PROXY_INVALID);
	/* One byte shorter fits exactly. */
	memcpy(h + 105, "\r\n", 2);
	cr_expect_eq(parse(h, sizeof(h), &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, 107);

	/* Without any CRLF at all. */
	memset(h, '1', sizeof(h));
	memcpy(h, "PROXY TCP4 ", 11);
	cr_expect_eq(parse(h, sizeof(h), &info, &consumed), PROXY_INVALID);
}

Test(proxy_v1, bad_ports)
{
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 65536 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 80 65536\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 99999 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 100000 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 +80 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 -1 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2  80 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 80  80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 80 80 \r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 080 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 00 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 0x50 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 80 \r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 80\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2  \r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 80 8a\r\n");
}

Test(proxy_v1, bad_addresses)
{
	expect_invalid("PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 192.0.2 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1.5 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 192.000.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4  192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 localhost 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP6 2001:db8:::1 ::1 1 2\r\n");
	expect_invalid("PROXY TCP6 2001:db8::g ::1 1 2\r\n");
	expect_invalid("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n");
	expect_invalid("PROXY TCP6 [::1] ::1 1 2\r\n");
	/* The address must be of the announced family. */
	expect_invalid("PROXY TCP4 ::1 ::1 1 2\r\n");
	expect_invalid("PROXY TCP6 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 ::1 1 2\r\n");
	expect_invalid("PROXY TCP6 ::1 192.0.2.2 1 2\r\n");
}

Test(proxy_v1, bad_syntax)
{
	expect_invalid("GET / HTTP/1.1\r\n\r\n");
	expect_invalid("proxy TCP4 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY  TCP4 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY tcp4 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP5 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP44 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY UNKNOWNX\r\n");
	expect_invalid("PROXY \r\n");
	expect_invalid("PROXY TCP4\r\n");
	expect_invalid("PROXY\tTCP4 192.0.2.1 192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1\t192.0.2.2 1 2\r\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n");
}

Test(proxy_v1, missing_crlf)
{
	struct proxy_info info;
	size_t consumed = 0;

	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\rX");
	expect_invalid("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\r\n");
	expect_invalid("PROXY UNKNOWN\n");
	expect_invalid("PROXY UNKNOWN \n\r\n");
	expect_invalid("PROXY UNKNOWN x\ry\r\n");
	/* Cut short: not invalid yet, the rest may follow. */
	cr_expect_eq(parse_str("PROXY TCP4 192.0.2.1 192.0.2.2 1 2", &info,
			       &consumed), PROXY_NEED_MORE);
	cr_expect_eq(parse_str("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r", &info,
			       &consumed), PROXY_NEED_MORE);
}

Test(proxy_v1, invalid_early)
{
	struct proxy_info info;
	size_t consumed = 0;

	/* Decided within the first bytes, without waiting for a CRLF. */
	cr_expect_eq(parse_str("G", &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse_str("PROXX", &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse_str("PROXY TCP5", &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse_str("PROXY TCP4 192.0.2.1x", &info, &consumed),
		     PROXY_INVALID);
	cr_expect_eq(parse_str("PROXY TCP4 1.2.3.4 5.6.7.8 0123", &info,
			       &consumed), PROXY_INVALID);
	cr_expect_eq(parse_str("PROXY TCP4 1.2.3.4 5.6.7.8 65536", &info,
			       &consumed), PROXY_INVALID);
	cr_expect_eq(parse_str("PROXY TCP4 1.2.3.4 5.6.7.8 123456", &info,
			       &consumed), PROXY_INVALID);
}

Test(proxy_v1, output_untouched_unless_ok)
{
	struct proxy_info info;
	size_t consumed = 5;

	memset(&info, 0xab, sizeof(info));
	cr_expect_eq(parse_str("PROXY TCP4 1.2.3.4", &info, &consumed),
		     PROXY_NEED_MORE);
	cr_expect_eq(parse_str("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", &info,
			       &consumed), PROXY_INVALID);
	cr_expect_eq(consumed, 5);
	cr_expect_eq(((unsigned char *)&info)[0], 0xab);
}

/* --- v2 ------------------------------------------------------------------ */

/* Build a v2 header: signature, ver_cmd, fam, then body (len bytes). */
static size_t v2(unsigned char *out, unsigned ver_cmd, unsigned fam,
		 const void *body, size_t len)
{
	memcpy(out, sig, 12);
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)(len & 0xff);
	if (len)
		memcpy(out + 16, body, len);
	return 16 + len;
}

static size_t v2_tcp4(unsigned char *out, const void *tlvs, size_t tlvlen)
{
	unsigned char body[12 + 64];

	/* 192.0.2.1:56324 -> 198.51.100.2:443 */
	static const unsigned char a[12] = {
		192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb,
	};
	cr_assert_leq(tlvlen, 64);
	memcpy(body, a, 12);
	if (tlvlen)
		memcpy(body + 12, tlvs, tlvlen);
	return v2(out, 0x21, 0x11, body, 12 + tlvlen);
}

Test(proxy_v2, tcp4)
{
	unsigned char h[128];
	size_t n = v2_tcp4(h, NULL, 0);
	struct proxy_info info;
	size_t consumed = 0;

	memcpy(h + n, "GET /", 5);
	cr_assert_eq(parse(h, n + 5, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, 28);
	cr_expect_not(info.local);
	cr_expect_eq(info.family, AF_INET);
	check_v4(&info.src, "192.0.2.1", 56324);
	check_v4(&info.dst, "198.51.100.2", 443);
	expect_prefixes_need_more(h, n);
}

Test(proxy_v2, tcp6)
{
	unsigned char body[36] = { 0 }, h[128];
	struct proxy_info info;
	size_t consumed = 0, n;

	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", body), 1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::2", body + 16), 1);
	body[32] = 0x30; body[33] = 0x39; /* 12345 */
	body[34] = 0x00; body[35] = 0x50; /* 80 */
	n = v2(h, 0x21, 0x21, body, sizeof(body));
	cr_assert_eq(parse(h, n, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, 52);
	cr_expect_not(info.local);
	cr_expect_eq(info.family, AF_INET6);
	check_v6(&info.src, "2001:db8::1", 12345);
	check_v6(&info.dst, "2001:db8::2", 80);
	expect_prefixes_need_more(h, n);
}

Test(proxy_v2, local)
{
	unsigned char h[64];
	struct proxy_info info;
	size_t consumed = 0, n;

	n = v2(h, 0x20, 0x00, NULL, 0);
	cr_assert_eq(parse(h, n, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, 16);
	cr_expect(info.local);
	cr_expect_eq(info.family, AF_UNSPEC);
	expect_prefixes_need_more(h, n);

	/* LOCAL ignores the family and whatever block follows. */
	unsigned char junk[12] = { 1, 2, 3 };
	n = v2(h, 0x20, 0x11, junk, sizeof(junk));
	cr_assert_eq(parse(h, n, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, 28);
	cr_expect(info.local);
}

Test(proxy_v2, unspec_and_unix_keep_the_peer)
{
	unsigned char h[512], body[216] = { 0 };
	struct proxy_info info;
	size_t consumed = 0, n;

	n = v2(h, 0x21, 0x00, NULL, 0); /* PROXY, UNSPEC */
	cr_assert_eq(parse(h, n, &info, &consumed), PROXY_OK);
	cr_expect(info.local);
	cr_expect_eq(consumed, 16);

	memcpy(body, "/run/client.sock", 16);
	n = v2(h, 0x21, 0x31, body, sizeof(body)); /* PROXY, UNIX STREAM */
	cr_assert_eq(parse(h, n, &info, &consumed), PROXY_OK);
	cr_expect(info.local);
	cr_expect_eq(info.family, AF_UNSPEC);
	cr_expect_eq(consumed, 16 + 216);

	/* The UNIX address block must be complete. */
	n = v2(h, 0x21, 0x31, body, 100);
	cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID);
}

Test(proxy_v2, with_tlvs)
{
	/* ALPN "h2", authority "example.com", a NOOP with 3 bytes. */
	static const unsigned char tlvs[] = {
		0x01, 0x00, 0x02, 'h', '2',
		0x02, 0x00, 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c',
		'o', 'm',
		0x04, 0x00, 0x03, 0, 0, 0,
	};
	unsigned char h[128];
	size_t n = v2_tcp4(h, tlvs, sizeof(tlvs));
	struct proxy_info info;
	size_t consumed = 0;

	memcpy(h + n, "GET", 3);
	cr_assert_eq(parse(h, n + 3, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, n);
	cr_expect_eq(consumed, 16 + 12 + sizeof(tlvs));
	check_v4(&info.src, "192.0.2.1", 56324);
	expect_prefixes_need_more(h, n);

	/* An empty TLV is fine too. */
	static const unsigned char empty[] = { 0x04, 0x00, 0x00 };
	n = v2_tcp4(h, empty, sizeof(empty));
	cr_expect_eq(parse(h, n, &info, &consumed), PROXY_OK);
}

Test(proxy_v2, malformed_tlvs)
{
	static const unsigned char overrun[] = { 0x01, 0x00, 0x05, 'h', '2' };
	static const unsigned char stub[] = { 0x01, 0x00 };
	unsigned char h[128];
	struct proxy_info info;
	size_t consumed = 0, n;

	n = v2_tcp4(h, overrun, sizeof(overrun));
	cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID);
	n = v2_tcp4(h, stub, sizeof(stub));
	cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID);
}

Test(proxy_v2, truncated)
{
	unsigned char h[128];
	size_t n = v2_tcp4(h, NULL, 0);
	struct proxy_info info;
	size_t consumed = 0;

	cr_expect_eq(parse(h, n - 1, &info, &consumed), PROXY_NEED_MORE);
	/* Address block shorter than the family needs. */
	h[15] = 8;
	cr_expect_eq(parse(h, 24, &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse(h, 16, &info, &consumed), PROXY_INVALID);
	h[15] = 0;
	cr_expect_eq(parse(h, 16, &info, &consumed), PROXY_INVALID);
	unsigned char b6[20] = { 0 };
	n = v2(h, 0x21, 0x21, b6, sizeof(b6));
	cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID);
}

Test(proxy_v2, bad_signature)
{
	unsigned char h[128];
	size_t n;
	struct proxy_info info;
	size_t consumed = 0;

	for (size_t i = 0; i < 12; i++) {
		n = v2_tcp4(h, NULL, 0);
		h[i] ^= 0x20;
		cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID,
			     "byte %zu", i);
		/* Rejected as soon as the bad byte is seen. */
		cr_expect_eq(parse(h, i + 1, &info, &consumed), PROXY_INVALID,
			     "prefix to byte %zu", i);
	}
	/* An HTTP request that happens to start with CR LF. */
	cr_expect_eq(parse_str("\r\nGET / HTTP/1.1\r\n\r\n", &info, &consumed),
		     PROXY_INVALID);
}

Test(proxy_v2, bad_version_and_command)
{
	static const unsigned bad[] = { 0x11, 0x31, 0x01, 0xf1, 0x22, 0x2f,
					0x12 };
	unsigned char h[128];
	struct proxy_info info;
	size_t consumed = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = v2_tcp4(h, NULL, 0);
		h[12] = (unsigned char)bad[i];
		cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID,
			     "ver_cmd 0x%02x", bad[i]);
		cr_expect_eq(parse(h, 13, &info, &consumed), PROXY_INVALID,
			     "ver_cmd 0x%02x, early", bad[i]);
	}
}

Test(proxy_v2, bad_family)
{
	static const unsigned bad[] = { 0x12, 0x22, 0x32, 0x10, 0x20, 0x30,
					0x41, 0x01, 0x13, 0xff };
	unsigned char h[512] = { 0 };
	struct proxy_info info;
	size_t consumed = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char body[216] = { 0 };
		size_t n = v2(h, 0x21, bad[i], body, sizeof(body));
		cr_expect_eq(parse(h, n, &info, &consumed), PROXY_INVALID,
			     "fam 0x%02x", bad[i]);
		cr_expect_eq(parse(h, 14, &info, &consumed), PROXY_INVALID,
			     "fam 0x%02x, early", bad[i]);
	}
}

Test(proxy_v2, oversized_length)
{
	static unsigned char h[70000];
	struct proxy_info info;
	size_t consumed = 0;
	size_t n;

	cr_assert_eq(proxy_max_header(), PROXY_V2_MAX);
	/* Exactly the limit: accepted (a long NOOP TLV as padding). */
	memset(h, 0, sizeof(h));
	n = v2_tcp4(h, NULL, 0);
	size_t pad = PROXY_V2_MAX - n - 3;
	h[28] = 0x04;
	h[29] = (unsigned char)(pad >> 8);
	h[30] = (unsigned char)(pad & 0xff);
	h[14] = (unsigned char)((PROXY_V2_MAX - 16) >> 8);
	h[15] = (unsigned char)((PROXY_V2_MAX - 16) & 0xff);
	cr_expect_eq(parse(h, PROXY_V2_MAX, &info, &consumed), PROXY_OK);
	cr_expect_eq(consumed, PROXY_V2_MAX);

	/* One more: refused from the 16 fixed bytes alone. */
	h[15] = (unsigned char)((PROXY_V2_MAX - 15) & 0xff);
	h[14] = (unsigned char)((PROXY_V2_MAX - 15) >> 8);
	cr_expect_eq(parse(h, 16, &info, &consumed), PROXY_INVALID);
	h[14] = 0xff;
	h[15] = 0xff;
	cr_expect_eq(parse(h, 16, &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse(h, sizeof(h), &info, &consumed), PROXY_INVALID);
}

Test(proxy, empty_and_version_detection)
{
	struct proxy_info info;
	size_t consumed = 0;

	cr_expect_eq(parse("", 0, &info, &consumed), PROXY_NEED_MORE);
	cr_expect_eq(parse("P", 1, &info, &consumed), PROXY_NEED_MORE);
	cr_expect_eq(parse("\r", 1, &info, &consumed), PROXY_NEED_MORE);
	cr_expect_eq(parse("\0", 1, &info, &consumed), PROXY_INVALID);
	cr_expect_eq(parse("\x16\x03\x01", 3, &info, &consumed),
		     PROXY_INVALID); /* a TLS ClientHello */
}
