/*
 * fuzz_request.c -- libFuzzer harness for the request glue (src/request.c).
 *
 * Input layout:
 *   byte 0      limits profile (bit 0: small limits) and body feed flags
 *   bytes 1-8   split sizes: the head and the body are delivered in pieces
 *               of these sizes (1..256 bytes each, in turn), as recv() would
 *   the rest    the bytes "received" on the connection
 *
 * The connection buffer is exactly as large as the input and the part not
 * yet "received" is poisoned, so that any read past len is an ASan report.
 * Up to MAX_PIPELINED requests are parsed from one input (pipelining:
 * what a body does not consume is the next request).
 *
 * Invariants checked: head_len <= len; every span lies inside the head;
 * on REQ_ERROR the status is one the server is documented to send
 * (docs/http.md); nheaders <= the limit; consumed <= len; a body never
 * yields more decoded bytes than the limit or than its input; the outcome
 * of the head does not depend on how it was split (except for the limits
 * checked on an incomplete head); the outcome of a body (status, consumed
 * count, decoded bytes) is the same fed in one piece as in the splits; and
 * a chunked body agrees with ref_chunked(), a separate whole-buffer reading
 * of the RFC 9112 7.1 grammar: what it finds complete is complete with the
 * same length and data, what it finds malformed is refused.
 */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define NSPLITS 8
#define MAX_PIPELINED 8
#define MAX_HEADERS 100
#define FNV_OFFSET 14695981039346656037u

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

struct feed {
	unsigned char splits[NSPLITS];
	size_t next;
};

static size_t next_split(struct feed *f)
{
	size_t n = (size_t)f->splits[f->next % NSPLITS] + 1;

	f->next++;
	return n;
}

static void poison(const char *base, size_t from, size_t total)
{
	if (from < total)
		ASAN_POISON_MEMORY_REGION(base + from, total - from);
}

static void unpoison(const char *base, size_t total)
{
	ASAN_UNPOISON_MEMORY_REGION(base, total);
}

static bool status_ok(int st)
{
	switch (st) {
	case 400: case 405: case 413: case 414: case 417: case 431: case 501:
	case 505:
		return true;
	default:
		return false;
	}
}

/* s lies inside [lo, hi); an empty span may also sit at hi or be NULL. */
static void check_span(struct span s, const char *lo, const char *hi)
{
	if (s.len == 0) {
		CHECK(s.p == NULL || (s.p >= lo && s.p <= hi));
		return;
	}
	CHECK(s.p != NULL);
	CHECK(s.p >= lo && s.p < hi);
	CHECK(s.len <= (size_t)(hi - s.p));
}

static void check_head(const struct request *req,
		       const struct request_limits *lim, const char *buf,
		       size_t len)
{
	const char *hi;
	size_t i;

	CHECK(req->error == 0);
	CHECK(req->head_len >= 4 && req->head_len <= len);
	CHECK(req->head_len <= lim->header_bytes);
	CHECK(memcmp(buf + req->head_len - 4, "\r\n\r\n", 4) == 0);
	hi = buf + req->head_len;
	CHECK(req->http_major == 1 && req->http_minor <= 1);
	check_span(req->method_name, buf, hi);
	CHECK(req->method_name.len > 0);
	check_span(req->target, buf, hi);
	CHECK(req->target.len > 0 && req->target.len <= lim->uri_bytes);
	/* The path is in the target, or the constant "/" of an absolute-form
	 * target without a path. */
	if (req->path.p >= buf && req->path.p < hi)
		check_span(req->path, req->target.p,
			   req->target.p + req->target.len);
	else
		CHECK(req->path.len == 1 && req->path.p[0] == '/');
	check_span(req->query, req->target.p, req->target.p + req->target.len);
	check_span(req->host, buf, hi);
	CHECK(req->nheaders <= lim->headers);
	for (i = 0; i < req->nheaders; i++) {
		check_span(req->headers[i].name, buf, hi);
		CHECK(req->headers[i].name.len > 0);
		check_span(req->headers[i].value, buf, hi);
	}
	check_span(req->connection, buf, hi);
	check_span(req->if_none_match, buf, hi);
	check_span(req->if_modified_since, buf, hi);
	check_span(req->if_match, buf, hi);
	check_span(req->if_unmodified_since, buf, hi);
	check_span(req->range, buf, hi);
	check_span(req->if_range, buf, hi);
	check_span(req->user_agent, buf, hi);
	check_span(req->referer, buf, hi);
	check_span(req->content_type, buf, hi);
	check_span(req->x_forwarded_for, buf, hi);
	check_span(req->x_request_id, buf, hi);
	CHECK(!(req->chunked && req->has_length));
	if (req->has_length)
		CHECK(req->content_length <= lim->body_bytes);
	if (req->http_minor == 0)
		CHECK(!req->chunked && !req->expect_continue);
}

struct sink {
	const char *lo, *hi; /* the input of the current request_body call */
	uint64_t total;
	size_t call;         /* bytes delivered by the current call */
	uint64_t hash;       /* FNV-1a of the decoded bytes */
};

static void sink_fn(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;
	size_t i;

	CHECK(n > 0);
	CHECK(p >= s->lo && p + n <= s->hi);
	s->total += n;
	s->call += n;
	for (i = 0; i < n; i++)
		s->hash = (s->hash ^ (unsigned char)p[i]) * 1099511628211u;
}

/* ---- a reference reading of a chunked body (RFC 9112 7.1) ----
 *
 * Deliberately unlike chunked.c: it works on the whole buffer, line by
 * line, and has its own character classes.  It does not know the limits.
 */

enum ref_result { REF_VALID, REF_INVALID, REF_SHORT };

static bool ref_tchar(unsigned char c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c != 0 && memchr(extra, c, sizeof(extra) - 1) != NULL);
}

/* HTAB / SP / VCHAR / obs-text */
static bool ref_vbyte(unsigned char c)
{
	return c == 9 || (c >= 32 && c != 127);
}

static int ref_hex(unsigned char c)
{
	const char *digits = "0123456789abcdef";
	const char *d;

	if (c >= 'A' && c <= 'F')
		c = (unsigned char)(c + 32);
	d = c ? strchr(digits, c) : NULL;
	return d ? (int)(d - digits) : -1;
}

/*
 * The line starting at b[*pos]: its content ends at the first CR or LF,
 * which must be a CR followed by LF.  REF_VALID with [*start, *end) and
 * *pos after the LF.
 */
static enum ref_result ref_line(const unsigned char *b, size_t n, size_t *pos,
				size_t *start, size_t *end)
{
	size_t i = *pos;

	while (i < n && b[i] != '\r' && b[i] != '\n')
		i++;
	if (i == n)
		return REF_SHORT;
	if (b[i] == '\n')
		return REF_INVALID;
	if (i + 1 == n)
		return REF_SHORT;
	if (b[i + 1] != '\n')
		return REF_INVALID;
	*start = *pos;
	*end = i;
	*pos = i + 2;
	return REF_VALID;
}

static size_t ref_skip_bws(const unsigned char *l, size_t i, size_t n)
{
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	return i;
}

static size_t ref_token(const unsigned char *l, size_t i, size_t n)
{
	while (i < n && ref_tchar(l[i]))
		i++;
	return i;
}

/* chunk-size [ chunk-ext ], the whole line l[0, n); false if malformed. */
static bool ref_size_line(const unsigned char *l, size_t n, uint64_t *size)
{
	size_t i = 0, j;

	*size = 0;
	while (i < n && ref_hex(l[i]) >= 0) {
		if (*size > UINT64_MAX / 16)
			return false;
		*size = *size * 16 + (uint64_t)ref_hex(l[i]);
		i++;
	}
	if (i == 0)
		return false;
	while (i < n) { /* BWS ";" BWS name [ BWS "=" BWS value ] */
		i = ref_skip_bws(l, i, n);
		if (i == n || l[i] != ';')
			return false;
		i = ref_skip_bws(l, i + 1, n);
		j = ref_token(l, i, n);
		if (j == i)
			return false;
		i = j;
		j = ref_skip_bws(l, i, n);
		if (j == n || l[j] != '=')
			continue; /* no value; BWS only before a ";" */
		i = ref_skip_bws(l, j + 1, n);
		if (i < n && l[i] == '"') {
			for (i++; i < n && l[i] != '"'; i++) {
				if (l[i] == '\\')
					i++;
				if (i == n || !ref_vbyte(l[i]))
					return false;
			}
			if (i == n)
				return false;
			i++;
		} else {
			j = ref_token(l, i, n);
			if (j == i)
				return false;
			i = j;
		}
	}
	return true;
}

/* field-name ":" field-value, the whole line l[0, n). */
static bool ref_field_line(const unsigned char *l, size_t n)
{
	size_t colon = ref_token(l, 0, n), i;

	if (colon == 0 || colon == n || l[colon] != ':')
		return false;
	for (i = colon + 1; i < n; i++)
		if (!ref_vbyte(l[i]))
			return false;
	return true;
}

/* REF_VALID: the body ends at *end and has *decoded data bytes. */
static enum ref_result ref_chunked(const unsigned char *b, size_t n,
				   size_t *end, uint64_t *decoded)
{
	size_t pos = 0, ls, le;
	uint64_t size;
	enum ref_result r;

	*decoded = 0;
	for (;;) {
		r = ref_line(b, n, &pos, &ls, &le);
		if (r != REF_VALID)
			return r;
		if (!ref_size_line(b + ls, le - ls, &size))
			return REF_INVALID;
		if (size == 0)
			break;
		if (size > n - pos)
			return REF_SHORT;
		pos += (size_t)size;
		*decoded += size;
		if (pos + 2 > n)
			return n - pos == 1 && b[pos] != '\r' ? REF_INVALID
							      : REF_SHORT;
		if (b[pos] != '\r' || b[pos + 1] != '\n')
			return REF_INVALID;
		pos += 2;
	}
	for (;;) { /* trailer field lines up to an empty line */
		r = ref_line(b, n, &pos, &ls, &le);
		if (r != REF_VALID)
			return r;
		if (ls == le)
			break;
		if (!ref_field_line(b + ls, le - ls))
			return REF_INVALID;
	}
	*end = pos;
	return REF_VALID;
}

/* The outcome of one body. */
struct body_result {
	enum req_status st;
	int error;
	size_t consumed;
	uint64_t total, hash;
};

/*
 * The same request again, head and body each in a single call: the body
 * outcome must not depend on the splits.
 */
static void compare_body_whole(const struct request_limits *lim,
			       const char *cur, size_t avail, bool use_sink,
			       const struct body_result *split)
{
	struct header hdrs[MAX_HEADERS];
	struct request req;
	struct request_parser rp;
	struct sink sink = {.hash = FNV_OFFSET};
	size_t consumed;
	enum req_status st;

	request_parser_init(&rp, &req, hdrs, lim);
	st = request_head(&rp, cur, avail);
	CHECK(st == REQ_HEAD);
	sink.lo = cur + req.head_len;
	sink.hi = cur + avail;
	st = request_body(&rp, cur + req.head_len, avail - req.head_len,
			  &consumed, use_sink ? sink_fn : NULL, &sink);
	CHECK(st == split->st);
	CHECK(req.error == split->error);
	if (st != REQ_ERROR)
		CHECK(consumed == split->consumed);
	if (use_sink) {
		CHECK(sink.total == split->total);
		CHECK(sink.hash == split->hash);
	}
}

/* A chunked body against the reference reading (fed all of n). */
static void compare_ref(const char *body, size_t n,
			const struct body_result *got, bool use_sink)
{
	size_t end = 0;
	uint64_t decoded = 0;
	enum ref_result r = ref_chunked((const unsigned char *)body, n, &end,
					&decoded);

	if (got->st == REQ_COMPLETE) {
		CHECK(r == REF_VALID);
		CHECK(got->consumed == end);
		if (use_sink)
			CHECK(got->total == decoded);
	}
	/* The limit (413) may cut a body short of what the reference sees;
	 * within it, a valid body completes and a malformed one is refused. */
	if (got->st == REQ_ERROR && got->error == 413)
		return;
	if (r == REF_VALID)
		CHECK(got->st == REQ_COMPLETE);
	if (r == REF_INVALID)
		CHECK(got->st == REQ_ERROR);
}

/* Parse one head of buf[0, total) fed in splits; returns the status. */
/*
 * The head in pieces.  parked: between pieces the connection waits in its
 * worker's set, as serve.c does it: the parser is reset and only how far
 * the head was scanned is kept.
 */
static enum req_status feed_head(struct request_parser *rp, const char *buf,
				 size_t total, struct feed *f, size_t *fed,
				 bool parked)
{
	enum req_status st = REQ_AGAIN;
	size_t len = 0;

	while (len < total) {
		size_t n = next_split(f);
		len = n > total - len ? total : len + n;
		poison(buf, len, total);
		st = request_head(rp, buf, len);
		unpoison(buf, total);
		if (st != REQ_AGAIN)
			break;
		if (parked) {
			size_t scanned = rp->scanned;
			request_reset(rp);
			rp->scanned = scanned;
		}
	}
	*fed = len;
	return st;
}

/* The same head in one call: the reference outcome. */
static void compare_whole(const struct request_limits *lim,
			  const struct request *split, enum req_status sst,
			  const char *buf, size_t total)
{
	struct header hdrs[MAX_HEADERS];
	struct request req;
	struct request_parser rp;
	enum req_status st;

	request_parser_init(&rp, &req, hdrs, lim);
	st = request_head(&rp, buf, total);
	if (sst == REQ_HEAD && st == REQ_HEAD) {
		CHECK(req.head_len == split->head_len);
		CHECK(req.nheaders == split->nheaders);
		CHECK(req.method == split->method);
		CHECK(req.target.p == split->target.p &&
		      req.target.len == split->target.len);
		CHECK(req.keep_alive == split->keep_alive);
		CHECK(req.chunked == split->chunked);
		CHECK(req.content_length == split->content_length);
	} else if (sst == REQ_ERROR && st == REQ_ERROR) {
		/* Limits on an incomplete head may fire first when split. */
		CHECK(req.error == split->error || split->error == 414 ||
		      split->error == 431);
	} else if (sst == REQ_HEAD) {
		CHECK(st == REQ_HEAD);
	} else if (sst == REQ_ERROR && st == REQ_HEAD) {
		CHECK(split->error == 414 || split->error == 431);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct request_limits big = {
		.header_bytes = 16384, .headers = MAX_HEADERS,
		.uri_bytes = 8192, .body_bytes = 1 << 20,
	};
	static const struct request_limits small = {
		.header_bytes = 256, .headers = 6,
		.uri_bytes = 48, .body_bytes = 40,
	};
	struct header hdrs[MAX_HEADERS];
	struct request req;
	struct request_parser rp;
	const struct request_limits *lim;
	struct feed f;
	char *buf;
	size_t total, off = 0, fed, k;
	unsigned flags;

	if (size < 1 + NSPLITS)
		return 0;
	flags = data[0];
	lim = (flags & 1) ? &small : &big;
	memcpy(f.splits, data + 1, NSPLITS);
	f.next = 0;
	total = size - 1 - NSPLITS;
	buf = malloc(total ? total : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 1 + NSPLITS, total);

	request_parser_init(&rp, &req, hdrs, lim);
	for (k = 0; k < MAX_PIPELINED && off < total; k++) {
		const char *cur = buf + off;
		size_t avail = total - off, boff, consumed;
		enum req_status st;
		struct sink sink = {0};

		if (k > 0)
			request_reset(&rp);
		/* The head is parsed at the start of the buffer: conn.c moves
		 * the next request there.  Poison what precedes it here. */
		if (off > 0)
			ASAN_POISON_MEMORY_REGION(buf, off);
		st = feed_head(&rp, cur, avail, &f, &fed, (flags & 2) != 0);
		CHECK(fed <= avail);
		if (st == REQ_ERROR) {
			CHECK(status_ok(req.error));
			CHECK(!req.keep_alive);
		} else if (st == REQ_HEAD) {
			check_head(&req, lim, cur, fed);
		}
		if (k == 0)
			compare_whole(lim, &req, st, cur, avail);
		if (off > 0)
			ASAN_UNPOISON_MEMORY_REGION(buf, off);
		if (st != REQ_HEAD)
			break;

		/* The body: what follows the head, in splits again. */
		boff = req.head_len;
		sink.hash = FNV_OFFSET;
		if (!request_has_body(&req)) {
			CHECK(request_body(&rp, cur + boff, avail - boff,
					   &consumed, NULL, NULL) ==
			      REQ_COMPLETE);
			CHECK(consumed == 0);
		} else {
			st = REQ_AGAIN;
			while (boff < avail) {
				size_t n = next_split(&f);
				if (n > avail - boff)
					n = avail - boff;
				sink.lo = cur + boff;
				sink.hi = cur + boff + n;
				sink.call = 0;
				poison(cur, boff + n, avail);
				st = request_body(&rp, cur + boff, n, &consumed,
						  (flags & 2) ? NULL : sink_fn,
						  &sink);
				unpoison(buf, total);
				CHECK(consumed <= n);
				CHECK(sink.call <= n);
				if (st == REQ_ERROR) {
					CHECK(req.error == 400 ||
					      req.error == 413);
					break;
				}
				boff += consumed;
				if (st == REQ_COMPLETE)
					break;
				CHECK(consumed == n);
			}
			CHECK(sink.total <= lim->body_bytes);
			CHECK(sink.total <= boff - req.head_len ||
			      st == REQ_ERROR);
			if (req.has_length && st == REQ_COMPLETE &&
			    !(flags & 2))
				CHECK(sink.total == req.content_length);
			{
				struct body_result br = {
					st, req.error, boff - req.head_len,
					sink.total, sink.hash,
				};
				compare_body_whole(lim, cur, avail,
						   !(flags & 2), &br);
				if (req.chunked)
					compare_ref(cur + req.head_len,
						    avail - req.head_len, &br,
						    !(flags & 2));
			}
			if (st != REQ_COMPLETE)
				break;
		}
		if (!req.keep_alive)
			break;
		off += boff;
	}
	free(buf);
	return 0;
}
