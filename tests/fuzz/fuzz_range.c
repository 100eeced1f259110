/*
 * fuzz_range.c -- libFuzzer harness for the range and conditional parsers
 * (src/range.c) and the HTTP date parser they use (src/util.c).
 *
 * Input layout:
 *   byte 0       method (GET, HEAD, POST, PUT) and a shift for the size
 *   bytes 1-8    representation size (shifted right, so small sizes are
 *                common), also the ETag's size
 *   bytes 9-16   mtime (seconds, truncated to 40 bits) and the ETag's inode
 *   the rest     header values separated by '\n': Range, If-Match,
 *                If-None-Match, If-Modified-Since, If-Unmodified-Since,
 *                If-Range
 *
 * Each value is copied to its own allocation of exactly its length and the
 * request's spans point there, so a read past a value is an ASan report.
 *
 * Invariants: RANGE_OK gives first <= last < size; a value the parser
 * took as a range gives the same answer with surrounding whitespace;
 * cond_evaluate() returns 0, 304 or 412 (304 only for GET and HEAD);
 * the server's own ETag in If-Range and If-None-Match matches; a date
 * that parses formats back (IMF-fixdate) to a date that parses to the
 * same time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"
#include "request.h"
#include "util.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

enum { V_RANGE, V_IF_MATCH, V_IF_NONE_MATCH, V_IMS, V_IUS, V_IF_RANGE, NV };

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void check_date(const struct span *s)
{
	char buf[HTTP_DATE_LEN + 1];
	time_t t, t2;

	if (s->len == 0 || http_date_parse(s->p, s->len, &t) != 0)
		return;
	/* Years outside 0..9999 have no 4-digit IMF-fixdate. */
	if (t < -62167219200 || t > 253402300799)
		return;
	http_date_fmt(t, buf);
	CHECK(strlen(buf) == HTTP_DATE_LEN);
	CHECK(http_date_parse(buf, HTTP_DATE_LEN, &t2) == 0);
	CHECK(t2 == t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum http_method methods[] = {HTTP_GET, HTTP_HEAD,
						   HTTP_POST, HTTP_PUT};
	char *vals[NV] = {0};
	struct span sp[NV] = {0};
	struct request req;
	char etag[ETAG_MAX];
	uint64_t rsize, first = 0, last = 0, f2 = 0, l2 = 0, ino;
	time_t mtime;
	const uint8_t *p, *end;
	enum range_result rr;
	int c;
	size_t i;

	if (size < 17)
		return 0;
	rsize = get_u64(data + 1) >> (data[0] >> 2);
	ino = get_u64(data + 9);
	mtime = (time_t)(ino & 0xffffffffffull);
	etag_make(etag, ino, rsize, (int64_t)mtime, 0);
	CHECK(strlen(etag) < ETAG_MAX);

	p = data + 17;
	end = data + size;
	for (i = 0; i < NV && p <= end; i++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		vals[i] = malloc(n ? n : 1);
		if (vals[i] == NULL)
			goto done;
		memcpy(vals[i], p, n);
		sp[i].p = vals[i];
		sp[i].len = n;
		if (nl == NULL)
			break;
		p = nl + 1;
	}

	/* Range */
	rr = range_parse(sp[V_RANGE].p, sp[V_RANGE].len, rsize, &first, &last);
	CHECK(rr == RANGE_NONE || rr == RANGE_OK ||
	      rr == RANGE_UNSATISFIABLE);
	if (rr == RANGE_OK) {
		CHECK(first <= last);
		CHECK(last < rsize);
	}
	if (rr != RANGE_NONE) {
		/* The same value with OWS around it is the same range. */
		size_t n = sp[V_RANGE].len;
		char *w = malloc(n + 2);
		if (w != NULL) {
			w[0] = ' ';
			memcpy(w + 1, sp[V_RANGE].p, n);
			w[n + 1] = '\t';
			CHECK(range_parse(w, n + 2, rsize, &f2, &l2) == rr);
			if (rr == RANGE_OK)
				CHECK(f2 == first && l2 == last);
			free(w);
		}
	}

	/* Conditionals on a request whose spans point into the input. */
	memset(&req, 0, sizeof(req));
	req.method = methods[data[0] & 3];
	req.http_major = 1;
	req.http_minor = 1;
	req.range = sp[V_RANGE];
	req.if_match = sp[V_IF_MATCH];
	req.if_none_match = sp[V_IF_NONE_MATCH];
	req.if_modified_since = sp[V_IMS];
	req.if_unmodified_since = sp[V_IUS];
	req.if_range = sp[V_IF_RANGE];
	c = cond_evaluate(&req, etag, mtime);
	CHECK(c == 0 || c == 304 || c == 412);
	if (c == 304)
		CHECK(req.method == HTTP_GET || req.method == HTTP_HEAD);
	(void)if_range_ok(&req, etag, mtime);

	/* The server's own ETag always matches. */
	req.if_range.p = etag;
	req.if_range.len = strlen(etag);
	CHECK(if_range_ok(&req, etag, mtime));
	memset(&req.if_match, 0, sizeof(req.if_match));
	memset(&req.if_unmodified_since, 0, sizeof(req.if_unmodified_since));
	req.if_none_match = req.if_range;
	c = cond_evaluate(&req, etag, mtime);
	CHECK(c == (req.method == HTTP_GET || req.method == HTTP_HEAD ? 304
								    : 412));

	for (i = V_IMS; i <= V_IF_RANGE; i++)
		check_date(&sp[i]);
done:
	for (i = 0; i < NV; i++)
		free(vals[i]);
	return 0;
}
