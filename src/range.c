/*
 * range.c -- RFC 9110 validators, preconditions (13.1, 13.2) and single
 * byte ranges (14.1-14.2).  Sizes and offsets are 64-bit throughout.
 */
#include "range.h"

#include <string.h>
#include <strings.h>

#include "util.h"

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void skip_ows(const char *v, size_t len, size_t *i)
{
	while (*i < len && is_ows(v[*i]))
		*i += 1;
}

/* Decimal digits at *i, saturating at UINT64_MAX.  False without a digit. */
static bool parse_pos(const char *v, size_t len, size_t *i, uint64_t *out)
{
	uint64_t n = 0;
	size_t start = *i;
	unsigned d;

	while (*i < len && v[*i] >= '0' && v[*i] <= '9') {
		d = (unsigned)(v[*i] - '0');
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
		*i += 1;
	}
	*out = n;
	return *i > start;
}

/* Syntax of one range-spec: first/last with has_* flags. */
struct spec {
	uint64_t first, last;
	bool has_first, has_last;
};

static bool parse_spec(const char *v, size_t len, struct spec *s)
{
	size_t i = 0;

	if (len < 6 || strncasecmp(v, "bytes=", 6) != 0)
		return false;
	i = 6;
	skip_ows(v, len, &i);
	s->has_first = parse_pos(v, len, &i, &s->first);
	if (i >= len || v[i] != '-')
		return false;
	i++;
	s->has_last = parse_pos(v, len, &i, &s->last);
	skip_ows(v, len, &i);
	if (i != len) /* several ranges, or trailing garbage */
		return false;
	if (!s->has_first && !s->has_last)
		return false;
	return !(s->has_first && s->has_last && s->last < s->first);
}

enum range_result range_parse(const char *v, size_t len, uint64_t size,
			      uint64_t *first, uint64_t *last)
{
	struct spec s;

	while (len > 0 && is_ows(*v)) {
		v++;
		len--;
	}
	if (!parse_spec(v, len, &s))
		return RANGE_NONE;
	if (size == 0)
		return RANGE_UNSATISFIABLE;
	if (!s.has_first) { /* suffix: the last n bytes */
		if (s.last == 0)
			return RANGE_UNSATISFIABLE;
		*first = s.last >= size ? 0 : size - s.last;
		*last = size - 1;
		return RANGE_OK;
	}
	if (s.first > size - 1)
		return RANGE_UNSATISFIABLE;
	*first = s.first;
	*last = (!s.has_last || s.last > size - 1) ? size - 1 : s.last;
	return RANGE_OK;
}

static size_t put_hex(char *dst, uint64_t v)
{
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

size_t etag_make(char out[ETAG_MAX], uint64_t ino, uint64_t size,
		 int64_t mtime_sec, long mtime_nsec)
{
	/* Nanosecond mtime as one number; wrapping for odd dates is harmless. */
	uint64_t mt = (uint64_t)mtime_sec * 1000000000u + (uint64_t)mtime_nsec;
	size_t n = 0;

	out[n++] = '"';
	n += put_hex(out + n, ino);
	out[n++] = '-';
	n += put_hex(out + n, size);
	out[n++] = '-';
	n += put_hex(out + n, mt);
	out[n++] = '"';
	out[n] = '\0';
	return n; /* at most 3 * 16 + 4 < ETAG_MAX */
}

/*
 * Walk a 1#entity-tag list (or "*") and report whether etag matches:
 * weak comparison when weak_ok, strong otherwise (a W/ tag never matches
 * then).  A malformed list matches nothing.
 */
static bool etag_list_match(const struct span *h, const char *etag,
			    bool weak_ok)
{
	const char *v = h->p;
	size_t len = h->len, i = 0, start, elen = strlen(etag);
	bool weak;

	skip_ows(v, len, &i);
	if (i < len && v[i] == '*') {
		i++;
		skip_ows(v, len, &i);
		return i == len;
	}
	while (i < len) {
		if (v[i] == ',' || is_ows(v[i])) {
			i++;
			continue;
		}
		weak = len - i >= 2 && v[i] == 'W' && v[i + 1] == '/';
		if (weak)
			i += 2;
		if (i >= len || v[i] != '"')
			return false;
		start = i++;
		while (i < len && v[i] != '"')
			i++;
		if (i >= len)
			return false;
		i++;
		if ((weak_ok || !weak) && i - start == elen &&
		    memcmp(v + start, etag, elen) == 0)
			return true;
		skip_ows(v, len, &i);
		if (i < len && v[i] != ',')
			return false;
	}
	return false;
}

static bool is_get_or_head(const struct request *req)
{
	return req->method == HTTP_GET || req->method == HTTP_HEAD;
}

int cond_evaluate(const struct request *req, const char *etag, time_t mtime)
{
	time_t t;

	/* 13.2.2 steps 1-2: If-Match, else If-Unmodified-Since. */
	if (req->if_match.len) {
		if (!etag_list_match(&req->if_match, etag, false))
			return 412;
	} else if (req->if_unmodified_since.len &&
		   http_date_parse(req->if_unmodified_since.p,
				   req->if_unmodified_since.len, &t) == 0 &&
		   mtime > t) {
		return 412;
	}
	/* Steps 3-4: If-None-Match, else If-Modified-Since (GET/HEAD only). */
	if (req->if_none_match.len) {
		if (etag_list_match(&req->if_none_match, etag, true))
			return is_get_or_head(req) ? 304 : 412;
	} else if (req->if_modified_since.len && is_get_or_head(req) &&
		   http_date_parse(req->if_modified_since.p,
				   req->if_modified_since.len, &t) == 0 &&
		   mtime <= t) {
		return 304;
	}
	return 0;
}

bool if_range_ok(const struct request *req, const char *etag, time_t mtime)
{
	const struct span *h = &req->if_range;
	size_t len = h->len, elen = strlen(etag);
	const char *v = h->p;
	time_t t;

	if (len == 0)
		return true;
	while (len > 0 && is_ows(v[len - 1]))
		len--;
	while (len > 0 && is_ows(*v)) {
		v++;
		len--;
	}
	/* 13.1.5: an entity-tag needs a strong match; W/ never matches. */
	if ((len > 0 && *v == '"') || (len > 1 && v[0] == 'W' && v[1] == '/'))
		return len == elen && memcmp(v, etag, elen) == 0;
	/* A date must equal Last-Modified exactly. */
	return http_date_parse(v, len, &t) == 0 && t == mtime;
}
