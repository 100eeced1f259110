/*
 * realip.c -- the client's address behind trusted reverse proxies.
 *
 * The list of hops is read left to right in one pass, which gives the same
 * answer as walking it from the right: what counts is the rightmost hop
 * that is not a trusted proxy, be it an address (the client) or something
 * unusable (the chain breaks there).  No allocation; the field values are
 * spans into the request buffer and are never written.
 */
#include "realip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* Longest node we look at: "[" IPv6 "]:" port, with room to spare. */
#define NODE_MAX 64

enum walk_state {
	WALK_NONE,  /* no untrusted or unusable hop seen (yet) */
	WALK_ADDR,  /* the rightmost such hop is an address: found */
	WALK_STOP,  /* the rightmost such hop is unusable */
};

struct walk {
	const struct cidr *trusted;
	size_t ntrusted;
	enum walk_state state;
	struct sockaddr_storage found;
	struct sockaddr_storage leftmost;
	size_t hops;
	bool broken; /* a Forwarded field that does not parse: give up */
};

/* One hop, left to right; a NULL address means an unusable entry. */
static void walk_hop(struct walk *w, const struct sockaddr_storage *a)
{
	w->hops++;
	if (a == NULL) {
		w->state = WALK_STOP;
		return;
	}
	if (w->hops == 1)
		w->leftmost = *a;
	if (!cidr_match_any(w->trusted, w->ntrusted,
			    (const struct sockaddr *)a)) {
		w->found = *a;
		w->state = WALK_ADDR;
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 tchar. */
static bool is_tchar(char c)
{
	return is_digit(c) || is_alpha(c) ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool parse_ip(const char *p, size_t n, int family,
		     struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char addr[16];

	if (n == 0 || n >= sizeof(text) || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(text, p, n);
	text[n] = '\0';
	if (inet_pton(family, text, addr) != 1)
		return false;
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)out;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)out;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr, 16);
	}
	return true;
}

/*
 * A port after ':': 1 to 5 digits, or (obfuscated, RFC 7239 6.3, allowed
 * in Forwarded only) "_" followed by ALPHA / DIGIT / "." / "_" / "-".
 */
static bool port_ok(const char *p, size_t n, bool obfuscated_ok)
{
	size_t i;

	if (n == 0)
		return false;
	if (obfuscated_ok && p[0] == '_') {
		if (n == 1)
			return false;
		for (i = 1; i < n; i++) {
			char c = p[i];
			if (!is_alpha(c) && !is_digit(c) && c != '.' &&
			    c != '_' && c != '-')
				return false;
		}
		return true;
	}
	if (n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
	}
	return true;
}

/*
 * A node: IPv4 [":" port], "[" IPv6 "]" [":" port], or (when bare_v6, for
 * X-Forwarded-For) a bare IPv6 address, which cannot carry a port.
 */
static bool parse_node(const char *p, size_t n, bool forwarded,
		       struct sockaddr_storage *out)
{
	const char *colon, *close;

	if (n == 0)
		return false;
	if (p[0] == '[') {
		close = memchr(p, ']', n);
		if (close == NULL)
			return false;
		size_t rest = n - (size_t)(close + 1 - p);
		if (rest > 0 && (close[1] != ':' ||
				 !port_ok(close + 2, rest - 1, forwarded)))
			return false;
		return parse_ip(p + 1, (size_t)(close - p - 1), AF_INET6, out);
	}
	colon = memchr(p, ':', n);
	if (colon == NULL)
		return parse_ip(p, n, AF_INET, out);
	size_t after = n - (size_t)(colon + 1 - p);
	if (memchr(colon + 1, ':', after) != NULL) /* two or more: IPv6 */
		return !forwarded && parse_ip(p, n, AF_INET6, out);
	return port_ok(colon + 1, after, forwarded) &&
	       parse_ip(p, (size_t)(colon - p), AF_INET, out);
}

/* --- X-Forwarded-For ---------------------------------------------------- */

/* "a, b, c": every non-empty element is a hop. */
static void xff_walk(struct walk *w, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start, end;
		struct sockaddr_storage a;

		while (i < n && is_ows(p[i]))
			i++;
		start = i;
		while (i < n && p[i] != ',')
			i++;
		end = i;
		while (end > start && is_ows(p[end - 1]))
			end--;
		if (end > start) /* empty list elements are ignored */
			walk_hop(w, parse_node(p + start, end - start, false,
					       &a) ? &a : NULL);
		if (i < n)
			i++; /* the comma */
	}
}

/* --- Forwarded (RFC 7239) ----------------------------------------------- */

struct cursor {
	const char *p;
	size_t n, i;
};

static void skip_ows(struct cursor *c)
{
	while (c->i < c->n && is_ows(c->p[c->i]))
		c->i++;
}

static bool at(const struct cursor *c, char ch)
{
	return c->i < c->n && c->p[c->i] == ch;
}

/* Unquoted values: a token; '[', ']' and ':' are tolerated as well (an
 * unquoted for=[2001:db8::1] is a common mistake and unambiguous). */
static bool is_value_char(char c)
{
	return is_tchar(c) || c == '[' || c == ']' || c == ':';
}

static bool is_qdtext(unsigned char c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

static bool is_quoted_pair_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/*
 * A value (token or quoted-string) into buf (unescaped).  Returns false on
 * a syntax error; *len is set to NODE_MAX + 1 when the value is too long
 * to be a node (still well-formed).
 */
static bool fwd_value(struct cursor *c, char *buf, size_t *len)
{
	size_t k = 0;

	if (!at(c, '"')) {
		size_t start = c->i;
		while (c->i < c->n && is_value_char(c->p[c->i]))
			c->i++;
		k = c->i - start;
		if (k == 0)
			return false;
		if (k <= NODE_MAX)
			memcpy(buf, c->p + start, k);
		*len = k <= NODE_MAX ? k : NODE_MAX + 1;
		return true;
	}
	c->i++;
	for (;;) {
		unsigned char ch;
		if (c->i >= c->n)
			return false; /* unterminated */
		ch = (unsigned char)c->p[c->i++];
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->i >= c->n ||
			    !is_quoted_pair_char((unsigned char)c->p[c->i]))
				return false;
			ch = (unsigned char)c->p[c->i++];
		} else if (!is_qdtext(ch)) {
			return false;
		}
		if (k < NODE_MAX)
			buf[k] = (char)ch;
		if (k <= NODE_MAX)
			k++;
	}
	*len = k;
	return true;
}

/*
 * One forwarded-element: pairs separated by ';'.  Stops before the ',' that
 * ends it (or at the end).  Reports its hop: the "for" node, or an unusable
 * hop when "for" is absent, "unknown", obfuscated or malformed.
 */
static bool fwd_element(struct walk *w, struct cursor *c)
{
	char node[NODE_MAX + 1];
	size_t nlen = 0;
	bool have_for = false;

	for (;;) {
		skip_ows(c);
		if (c->i >= c->n || at(c, ','))
			break;
		if (at(c, ';')) { /* an empty pair */
			c->i++;
			continue;
		}
		size_t name = c->i;
		while (c->i < c->n && is_tchar(c->p[c->i]))
			c->i++;
		size_t name_len = c->i - name;
		if (name_len == 0 || !at(c, '='))
			return false;
		c->i++;
		bool is_for = token_eq(c->p + name, name_len, "for");
		char scratch[NODE_MAX + 1];
		size_t len;
		if (!fwd_value(c, is_for ? node : scratch, &len))
			return false;
		if (is_for) {
			if (have_for) /* at most once per element (RFC 7239 4) */
				return false;
			have_for = true;
			nlen = len;
		}
		skip_ows(c);
		if (at(c, ';'))
			c->i++;
		else if (c->i < c->n && !at(c, ','))
			return false;
	}

	struct sockaddr_storage a;
	bool ok = have_for && nlen <= NODE_MAX &&
		  parse_node(node, nlen, true, &a);
	walk_hop(w, ok ? &a : NULL);
	return true;
}

static bool fwd_walk(struct walk *w, const char *p, size_t n)
{
	struct cursor c = { .p = p, .n = n, .i = 0 };

	for (;;) {
		skip_ows(&c);
		if (c.i >= c.n)
			return true;
		if (at(&c, ',')) { /* an empty list element */
			c.i++;
			continue;
		}
		if (!fwd_element(w, &c))
			return false;
		if (at(&c, ','))
			c.i++;
	}
}

/* --- both --------------------------------------------------------------- */

bool realip_resolve(const struct request *req, const struct sockaddr *peer,
		    const struct cidr *trusted, size_t ntrusted,
		    struct sockaddr_storage *out)
{
	struct walk w = { .trusted = trusted, .ntrusted = ntrusted };
	size_t i;

	if (req == NULL || peer == NULL || ntrusted == 0 ||
	    !cidr_match_any(trusted, ntrusted, peer))
		return false;
	for (i = 0; i < req->nheaders; i++) {
		const struct header *h = &req->headers[i];
		if (token_eq(h->name.p, h->name.len, "X-Forwarded-For"))
			xff_walk(&w, h->value.p, h->value.len);
	}
	if (w.hops == 0) {
		for (i = 0; i < req->nheaders && !w.broken; i++) {
			const struct header *h = &req->headers[i];
			if (token_eq(h->name.p, h->name.len, "Forwarded") &&
			    !fwd_walk(&w, h->value.p, h->value.len))
				w.broken = true;
		}
	}
	if (w.broken)
		return false;
	switch (w.state) {
	case WALK_ADDR:
		*out = w.found;
		return true;
	case WALK_NONE:
		if (w.hops == 0)
			return false;
		*out = w.leftmost; /* every hop is a trusted proxy */
		return true;
	case WALK_STOP:
	default:
		return false;
	}
}
