/*
 * encoding.c -- Accept-Encoding parsing and the choice of a content coding
 * (see encoding.h).
 */
#include "encoding.h"

#include <string.h>
#include <strings.h>

static const char *const names[CODING_COUNT] = {
	[CODING_IDENTITY] = "identity",
	[CODING_GZIP] = "gzip",
	[CODING_BR] = "br",
};

const char *coding_name(enum coding c)
{
	return (unsigned)c < CODING_COUNT ? names[c] : "identity";
}

int coding_of(const char *name, size_t len)
{
	for (int i = 0; i < CODING_COUNT; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
			return i;
	if (len == 6 && strncasecmp(name, "x-gzip", 6) == 0)
		return CODING_GZIP;
	return -1;
}

void accept_enc_init(struct accept_enc *a)
{
	a->present = false;
	for (int i = 0; i < CODING_COUNT; i++)
		a->q[i] = -1;
	a->star = -1;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); -1: invalid. */
static int parse_q(const char *p, size_t n)
{
	int q, scale = 100;

	if (n == 0 || (p[0] != '0' && p[0] != '1'))
		return -1;
	q = (p[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (p[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		q += (p[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* One element: "coding *( OWS ; OWS name=value )". */
static void add_element(struct accept_enc *a, const char *p, size_t n)
{
	size_t i = 0, tok, tlen;
	int q = 1000, c;

	while (i < n && is_ows(p[i]))
		i++;
	tok = i;
	while (i < n && p[i] != ';' && !is_ows(p[i]))
		i++;
	tlen = i - tok;
	if (tlen == 0)
		return;
	while (i < n) { /* parameters */
		size_t name, nlen, val, vlen;

		while (i < n && (is_ows(p[i]) || p[i] == ';'))
			i++;
		name = i;
		while (i < n && p[i] != '=' && p[i] != ';' && !is_ows(p[i]))
			i++;
		nlen = i - name;
		while (i < n && is_ows(p[i]))
			i++;
		if (i >= n || p[i] != '=') {
			if (nlen > 0)
				continue; /* a parameter without a value */
			break;
		}
		i++;
		while (i < n && is_ows(p[i]))
			i++;
		val = i;
		while (i < n && p[i] != ';' && !is_ows(p[i]))
			i++;
		vlen = i - val;
		if (nlen == 1 && (p[name] == 'q' || p[name] == 'Q')) {
			q = parse_q(p + val, vlen);
			if (q < 0)
				return; /* not a weight: the element means nothing */
		}
	}
	if (tlen == 1 && p[tok] == '*') {
		if (q > a->star)
			a->star = q;
		return;
	}
	c = coding_of(p + tok, tlen);
	if (c >= 0 && q > a->q[c])
		a->q[c] = q;
}

void accept_enc_add(struct accept_enc *a, const char *v, size_t len)
{
	size_t start = 0;

	a->present = true;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || v[i] == ',') {
			add_element(a, v + start, i - start);
			start = i + 1;
		}
	}
}

int accept_enc_q(const struct accept_enc *a, enum coding c)
{
	if (a->q[c] >= 0)
		return a->q[c];
	if (c == CODING_IDENTITY)
		return accept_enc_identity_ok(a) ? 1000 : 0;
	return a->star >= 0 ? a->star : 0;
}

bool accept_enc_identity_ok(const struct accept_enc *a)
{
	if (a->q[CODING_IDENTITY] >= 0)
		return a->q[CODING_IDENTITY] > 0;
	return a->star != 0;
}

size_t accept_enc_choose(const struct accept_enc *a, const enum coding *pref,
			 size_t n, enum coding *out)
{
	/* identity named with a weight: codings weighed below it lose */
	int floor = a->q[CODING_IDENTITY] > 0 ? a->q[CODING_IDENTITY] : 1;
	int w[CODING_COUNT];
	size_t k = 0;

	if (!a->present)
		return 0;
	for (size_t i = 0; i < n; i++) {
		enum coding c = pref[i];
		int q = accept_enc_q(a, c);
		size_t j;

		if (c == CODING_IDENTITY || q < floor)
			continue;
		for (j = 0; j < k && out[j] != c; j++)
			;
		if (j < k)
			continue; /* listed twice by the server */
		/* insertion: by weight, the server's order among equals */
		for (j = k; j > 0 && w[j - 1] < q; j--) {
			out[j] = out[j - 1];
			w[j] = w[j - 1];
		}
		out[j] = c;
		w[j] = q;
		k++;
	}
	return k;
}
