/*
 * proxy.c -- the PROXY protocol, versions 1 and 2, receiver side.
 *
 * Pure: no I/O, no allocation, and no byte at or beyond buf[len] is read.
 * Every prefix of a valid header is answered PROXY_NEED_MORE; anything that
 * cannot become a valid header is PROXY_INVALID as soon as that is certain
 * (v1 fields are checked character by character, v2 after 16 bytes).
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static const char v1_sig[] = "PROXY ";
#define V1_SIG_LEN (sizeof(v1_sig) - 1)

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};
#define V2_HEAD_LEN 16

/* v2 command (low nibble of byte 13) and family/transport (byte 14). */
#define V2_CMD_LOCAL 0x0
#define V2_CMD_PROXY 0x1
#define V2_FAM_UNSPEC 0x00
#define V2_FAM_TCP4 0x11
#define V2_FAM_TCP6 0x21
#define V2_FAM_UNIX_STREAM 0x31

/* Address block sizes for the families above. */
#define V2_ADDR_TCP4 12
#define V2_ADDR_TCP6 36
#define V2_ADDR_UNIX 216

size_t proxy_max_header(void)
{
	return PROXY_V2_MAX;
}

static void set_local(struct proxy_info *out)
{
	memset(out, 0, sizeof(*out));
	out->local = true;
	out->family = AF_UNSPEC;
}

/* Store a raw address (4 or 16 bytes, network order) and a port. */
static void set_addr(struct sockaddr_storage *ss, int family,
		     const unsigned char *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
	}
}

/* --- version 1 ---------------------------------------------------------- */

enum scan { SCAN_DONE, SCAN_SHORT, SCAN_BAD };

struct v1 {
	const char *buf;
	size_t len; /* at most PROXY_V1_MAX */
	size_t pos;
};

static bool is_upper_or_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_v4_char(char c)
{
	return is_digit(c) || c == '.';
}

static bool is_v6_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

static bool is_line_char(char c)
{
	return c != '\r' && c != '\n';
}

/*
 * Characters of class ok from v->pos, at most max of them.  SCAN_DONE
 * leaves v->pos on the first other character (not consumed); SCAN_SHORT
 * means the buffer ended inside the field.  *start and *n describe what
 * was seen in both cases.
 */
static enum scan scan_field(struct v1 *v, bool (*ok)(char), size_t max,
			    size_t *start, size_t *n)
{
	size_t i = v->pos;

	while (i < v->len && ok(v->buf[i])) {
		i++;
		if (i - v->pos > max)
			return SCAN_BAD;
	}
	*start = v->pos;
	*n = i - v->pos;
	if (i == v->len)
		return SCAN_SHORT;
	v->pos = i;
	return SCAN_DONE;
}

static enum scan expect_char(struct v1 *v, char c)
{
	if (v->pos == v->len)
		return SCAN_SHORT;
	if (v->buf[v->pos] != c)
		return SCAN_BAD;
	v->pos++;
	return SCAN_DONE;
}

/* The protocol word: seen (possibly partially) must match a known one. */
enum v1_proto { P_NONE, P_TCP4, P_TCP6, P_UNKNOWN };

static enum v1_proto v1_proto(const char *p, size_t n, bool complete,
			      bool *prefix_ok)
{
	static const struct {
		const char *word;
		enum v1_proto proto;
	} words[] = {
		{ "TCP4", P_TCP4 }, { "TCP6", P_TCP6 }, { "UNKNOWN", P_UNKNOWN },
	};

	*prefix_ok = false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i].word);
		if (n > wl || memcmp(p, words[i].word, n) != 0)
			continue;
		*prefix_ok = true;
		if (complete && n == wl)
			return words[i].proto;
	}
	return P_NONE;
}

/*
 * A port: 1 to 5 digits, no leading zero (except "0" itself), <= 65535.
 * Checked on a partial field as well, so "070" or "65536" fail early.
 */
static bool v1_port_ok(const char *p, size_t n, uint16_t *port)
{
	unsigned long v = 0;

	if (n > 1 && p[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static enum scan v1_addr(struct v1 *v, int family, unsigned char *addr)
{
	char text[INET6_ADDRSTRLEN];
	size_t start, n;
	size_t max = family == AF_INET ? INET_ADDRSTRLEN - 1
				       : INET6_ADDRSTRLEN - 1;
	enum scan s;

	s = scan_field(v, family == AF_INET ? is_v4_char : is_v6_char, max,
		       &start, &n);
	if (s != SCAN_DONE)
		return s;
	if (n == 0 || v->buf[v->pos] != ' ')
		return SCAN_BAD;
	memcpy(text, v->buf + start, n);
	text[n] = '\0';
	if (inet_pton(family, text, addr) != 1)
		return SCAN_BAD;
	v->pos++; /* the space */
	return SCAN_DONE;
}

static enum scan v1_port(struct v1 *v, char term, uint16_t *port)
{
	size_t start, n;
	enum scan s;

	s = scan_field(v, is_digit, 5, &start, &n);
	if (s == SCAN_BAD)
		return s;
	if (!v1_port_ok(v->buf + start, n, port))
		return SCAN_BAD;
	if (s == SCAN_SHORT)
		return s;
	if (n == 0)
		return SCAN_BAD;
	return expect_char(v, term);
}

/* The rest of the line after "PROXY UNKNOWN": ignored up to CRLF. */
static enum scan v1_unknown_rest(struct v1 *v)
{
	size_t start, n;
	enum scan s;

	if (v->pos < v->len && v->buf[v->pos] == ' ') {
		s = scan_field(v, is_line_char, PROXY_V1_MAX, &start, &n);
		if (s != SCAN_DONE)
			return s;
	}
	s = expect_char(v, '\r');
	if (s != SCAN_DONE)
		return s;
	return expect_char(v, '\n');
}

static enum scan v1_body(struct v1 *v, struct proxy_info *out)
{
	unsigned char src[16], dst[16];
	uint16_t sport = 0, dport = 0;
	size_t start, n;
	bool prefix_ok;
	enum v1_proto proto;
	enum scan s;
	int family;

	s = scan_field(v, is_upper_or_digit, 7, &start, &n);
	if (s == SCAN_BAD)
		return s;
	proto = v1_proto(v->buf + start, n, s == SCAN_DONE, &prefix_ok);
	if (!prefix_ok)
		return SCAN_BAD;
	if (s == SCAN_SHORT)
		return s;
	if (proto == P_UNKNOWN) {
		s = v1_unknown_rest(v);
		if (s == SCAN_DONE)
			set_local(out);
		return s;
	}
	if (proto == P_NONE)
		return SCAN_BAD;
	family = proto == P_TCP4 ? AF_INET : AF_INET6;
	if ((s = expect_char(v, ' ')) != SCAN_DONE ||
	    (s = v1_addr(v, family, src)) != SCAN_DONE ||
	    (s = v1_addr(v, family, dst)) != SCAN_DONE ||
	    (s = v1_port(v, ' ', &sport)) != SCAN_DONE ||
	    (s = v1_port(v, '\r', &dport)) != SCAN_DONE ||
	    (s = expect_char(v, '\n')) != SCAN_DONE)
		return s;
	memset(out, 0, sizeof(*out));
	out->local = false;
	out->family = family;
	set_addr(&out->src, family, src, sport);
	set_addr(&out->dst, family, dst, dport);
	return SCAN_DONE;
}

static enum proxy_status parse_v1(const char *buf, size_t len,
				  struct proxy_info *out, size_t *consumed)
{
	struct v1 v = {
		.buf = buf,
		.len = len < PROXY_V1_MAX ? len : PROXY_V1_MAX,
		.pos = V1_SIG_LEN,
	};
	struct proxy_info info;
	enum scan s;

	if (memcmp(buf, v1_sig, len < V1_SIG_LEN ? len : V1_SIG_LEN) != 0)
		return PROXY_INVALID;
	if (len < V1_SIG_LEN)
		return PROXY_NEED_MORE;
	s = v1_body(&v, &info);
	if (s == SCAN_BAD)
		return PROXY_INVALID;
	if (s == SCAN_SHORT) /* no CRLF within the first 107 bytes: too long */
		return len >= PROXY_V1_MAX ? PROXY_INVALID : PROXY_NEED_MORE;
	*out = info;
	*consumed = v.pos;
	return PROXY_OK;
}

/* --- version 2 ---------------------------------------------------------- */

/* TLVs after the addresses: each must fit exactly in the header. */
static bool v2_tlvs_ok(const unsigned char *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		size_t tlen;
		if (n - off < 3)
			return false;
		tlen = (size_t)p[off + 1] << 8 | p[off + 2];
		if (tlen > n - off - 3)
			return false;
		off += 3 + tlen;
	}
	return true;
}

static enum proxy_status parse_v2(const unsigned char *b, size_t len,
				  struct proxy_info *out, size_t *consumed)
{
	unsigned cmd, fam = V2_FAM_UNSPEC;
	size_t alen, total, need = 0;

	if (memcmp(b, v2_sig, len < sizeof(v2_sig) ? len : sizeof(v2_sig)) != 0)
		return PROXY_INVALID;
	if (len < 13)
		return PROXY_NEED_MORE;
	if ((b[12] & 0xf0) != 0x20) /* version 2 */
		return PROXY_INVALID;
	cmd = b[12] & 0x0fu;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return PROXY_INVALID;
	if (len < 14)
		return PROXY_NEED_MORE;
	if (cmd == V2_CMD_PROXY) {
		/*
		 * LOCAL ignores the family (the spec says so).  With PROXY we
		 * relay TCP over IPv4/IPv6; UNSPEC (the v2 form of "PROXY
		 * UNKNOWN") and UNIX streams keep the real peer.  Datagram
		 * transports and unknown families are refused.
		 */
		fam = b[13];
		switch (fam) {
		case V2_FAM_UNSPEC: need = 0; break;
		case V2_FAM_TCP4: need = V2_ADDR_TCP4; break;
		case V2_FAM_TCP6: need = V2_ADDR_TCP6; break;
		case V2_FAM_UNIX_STREAM: need = V2_ADDR_UNIX; break;
		default: return PROXY_INVALID;
		}
	}
	if (len < V2_HEAD_LEN)
		return PROXY_NEED_MORE;
	alen = (size_t)b[14] << 8 | b[15];
	total = V2_HEAD_LEN + alen;
	if (total > PROXY_V2_MAX || alen < need)
		return PROXY_INVALID;
	if (len < total)
		return PROXY_NEED_MORE;
	if (cmd == V2_CMD_LOCAL || fam == V2_FAM_UNSPEC ||
	    fam == V2_FAM_UNIX_STREAM) {
		set_local(out);
		*consumed = total;
		return PROXY_OK;
	}
	if (!v2_tlvs_ok(b + V2_HEAD_LEN + need, alen - need))
		return PROXY_INVALID;

	const unsigned char *a = b + V2_HEAD_LEN;
	int family = fam == V2_FAM_TCP4 ? AF_INET : AF_INET6;
	size_t al = family == AF_INET ? 4 : 16;
	uint16_t sport = (uint16_t)(a[2 * al] << 8 | a[2 * al + 1]);
	uint16_t dport = (uint16_t)(a[2 * al + 2] << 8 | a[2 * al + 3]);

	memset(out, 0, sizeof(*out));
	out->local = false;
	out->family = family;
	set_addr(&out->src, family, a, sport);
	set_addr(&out->dst, family, a + al, dport);
	*consumed = total;
	return PROXY_OK;
}

enum proxy_status proxy_parse(const char *buf, size_t len,
			      struct proxy_info *out, size_t *consumed)
{
	if (len == 0)
		return PROXY_NEED_MORE;
	if (buf[0] == v1_sig[0])
		return parse_v1(buf, len, out, consumed);
	if ((unsigned char)buf[0] == v2_sig[0])
		return parse_v2((const unsigned char *)buf, len, out, consumed);
	return PROXY_INVALID;
}
