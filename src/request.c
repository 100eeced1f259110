/*
 * request.c -- request head validation and parsing, body framing.
 *
 * The head is checked byte by byte against RFC 9112 and split into the
 * request line and field lines in one pass (scan_head): nothing is
 * tolerated that another HTTP implementation could read differently (bare
 * LF, obs-fold and friends).  The fields the server interprets are then
 * checked in interpret_head.  A Content-Length body is counted here, a
 * chunked body goes through the strict decoder of chunked.c.  http-parser
 * only provides the method names and the URL splitter.
 */
#include "request.h"

#include <stddef.h>
#include <string.h>

#include "util.h"

/* Slack for method, spaces and version in an unfinished request line. */
#define REQ_LINE_SLACK 32

static const struct span root_path = {"/", 1};

static enum req_status fail(struct request *req, int status, const char *why)
{
	req->error = status;
	req->error_reason = why;
	req->keep_alive = false;
	return REQ_ERROR;
}

/* fail() for the checks of interpret_head: -1 stops them. */
static int reject(struct request *req, int status, const char *why)
{
	fail(req, status, why);
	return -1;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive compare of a counted string with a C string. */
static bool ci_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || lower(s[i]) != lower(lit[i]))
			return false;
	return lit[n] == '\0';
}

static bool span_is(struct span s, const char *lit)
{
	return ci_eq(s.p, s.len, lit);
}

static bool is_token(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!http_tchar((unsigned char)p[i]))
			return false;
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim_ows(const char *p, size_t n)
{
	struct span s;

	while (n > 0 && is_ows(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_ows(p[n - 1]))
		n--;
	s.p = p;
	s.len = n;
	return s;
}

/*
 * Next element of a comma-separated list in *rest, trimmed of OWS; empty
 * elements are returned too.  False when the list is exhausted.
 */
static bool next_list_item(struct span *rest, struct span *item)
{
	const char *comma;
	size_t n;

	if (rest->p == NULL)
		return false;
	comma = memchr(rest->p, ',', rest->len);
	n = comma ? (size_t)(comma - rest->p) : rest->len;
	*item = trim_ows(rest->p, n);
	if (comma) {
		rest->p = comma + 1;
		rest->len -= n + 1;
	} else {
		rest->p = NULL;
		rest->len = 0;
	}
	return true;
}

/* ---- request_parser life cycle ---- */

void request_parser_init(struct request_parser *rp, struct request *req,
			 struct header *hdrs, const struct request_limits *lim)
{
	memset(rp, 0, sizeof(*rp));
	rp->req = req;
	rp->hdr_store = hdrs;
	rp->lim = *lim;
	rp->hdr_cap = (size_t)lim->headers;
	request_reset(rp);
}

void request_reset(struct request_parser *rp)
{
	memset(rp->req, 0, sizeof(*rp->req));
	rp->req->headers = rp->hdr_store;
	rp->scanned = 0;
	rp->body_seen = 0;
	rp->body_done = false;
	chunked_init(&rp->chunked, rp->lim.body_bytes);
}

/* ---- methods ---- */

/* The methods http-parser knows, by name (case-sensitive, RFC 9110 9.1). */
static const struct {
	const char *name;
	enum http_method method;
} methods[] = {
#define XX(num, id, string) {#string, HTTP_##id},
	HTTP_METHOD_MAP(XX)
#undef XX
};

static bool find_method(struct request *req)
{
	size_t i;

	for (i = 0; i < PH_ARRAY_LEN(methods); i++) {
		if (strlen(methods[i].name) == req->method_name.len &&
		    memcmp(methods[i].name, req->method_name.p,
			   req->method_name.len) == 0) {
			req->method = methods[i].method;
			return true;
		}
	}
	return false;
}

/* ---- interpretation of the parsed head ---- */

/* reg-name / IP-literal characters, optional ":port"; empty is allowed. */
static bool valid_host(struct span h)
{
	static const char extra[] = "-._~!$&'()*+,;=%:[]";
	size_t i;

	for (i = 0; i < h.len; i++) {
		unsigned char c = (unsigned char)h.p[i];
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))
			continue;
		if (c == '\0' || strchr(extra, c) == NULL)
			return false;
	}
	return true;
}

static struct span url_field(const struct request *req,
			     const struct http_parser_url *u, int f)
{
	struct span s = {NULL, 0};

	if (u->field_set & (1u << f)) {
		s.p = req->target.p + u->field_data[f].off;
		s.len = u->field_data[f].len;
	}
	return s;
}

/* host[:port] of an absolute-form target: from "//" to the path or query. */
static struct span url_authority(const struct request *req, struct span scheme)
{
	const char *start = scheme.p + scheme.len + 3;
	const char *end = req->target.p + req->target.len;
	const char *q = start;
	struct span s;

	while (q < end && *q != '/' && *q != '?')
		q++;
	s.p = start;
	s.len = (size_t)(q - start);
	return s;
}

static int absolute_form(struct request *req, const struct http_parser_url *u)
{
	struct span scheme = url_field(req, u, UF_SCHEMA);

	if (!span_is(scheme, "http") && !span_is(scheme, "https"))
		return reject(req, 400, "unsupported scheme in target");
	req->host = url_authority(req, scheme);
	if (!(u->field_set & (1u << UF_PATH)))
		req->path = root_path;
	return 0;
}

/* Split the target into path and query; absolute-form also sets host. */
static int split_target(struct request *req)
{
	struct http_parser_url u;

	if (req->target.len == 1 && req->target.p[0] == '*') {
		if (req->method != HTTP_OPTIONS) {
			return reject(req, 400,
				      "asterisk-form without OPTIONS");
		}
		req->path = req->target;
		return 0;
	}
	http_parser_url_init(&u);
	if (http_parser_parse_url(req->target.p, req->target.len, 0, &u) != 0)
		return reject(req, 400, "invalid request target");
	if (u.field_set & ((1u << UF_FRAGMENT) | (1u << UF_USERINFO)))
		return reject(req, 400, "fragment or userinfo in target");
	req->path = url_field(req, &u, UF_PATH);
	req->query = url_field(req, &u, UF_QUERY);
	if (req->target.p[0] == '/')
		return 0;
	if (u.field_set & (1u << UF_SCHEMA))
		return absolute_form(req, &u);
	return reject(req, 400, "invalid request target");
}

/* What one pass over the fields finds. */
struct field_counts {
	size_t host, content_length, transfer_encoding;
	struct span host_value, cl_value, te_value;
	bool conn_close, conn_keep_alive;
	bool bad_expect, expect_continue;
};

#define NAMED(field) {#field, offsetof(struct request, field)}

static const struct {
	const char *name; /* '_' stands for '-' */
	size_t off;
} named_fields[] = {
	NAMED(connection),	    NAMED(if_none_match),
	NAMED(if_modified_since),   NAMED(if_match),
	NAMED(if_unmodified_since), NAMED(range),
	NAMED(if_range),	    NAMED(user_agent),
	NAMED(referer),		    NAMED(content_type),
	NAMED(x_forwarded_for),	    NAMED(x_request_id),
};

/* Like ci_eq, with '_' in lit matching '-' in s. */
static bool name_is(struct span s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		char c = lit[i] == '_' ? '-' : lit[i];
		if (lit[i] == '\0' || lower(s.p[i]) != c)
			return false;
	}
	return lit[s.len] == '\0';
}

static void fill_named(struct request *req, const struct header *h)
{
	size_t i;

	for (i = 0; i < sizeof(named_fields) / sizeof(named_fields[0]); i++) {
		struct span *dst = (struct span *)(void *)((char *)req +
							   named_fields[i].off);
		if (name_is(h->name, named_fields[i].name)) {
			if (dst->p == NULL)
				*dst = h->value;
			return;
		}
	}
}

static void scan_connection(struct field_counts *fc, struct span v)
{
	struct span item;

	while (next_list_item(&v, &item)) {
		if (span_is(item, "close"))
			fc->conn_close = true;
		else if (span_is(item, "keep-alive"))
			fc->conn_keep_alive = true;
	}
}

static void count_field(struct field_counts *fc, const struct header *h)
{
	if (span_is(h->name, "host")) {
		if (fc->host++ == 0)
			fc->host_value = h->value;
	} else if (span_is(h->name, "content-length")) {
		if (fc->content_length++ == 0)
			fc->cl_value = h->value;
	} else if (span_is(h->name, "transfer-encoding")) {
		if (fc->transfer_encoding++ == 0)
			fc->te_value = h->value;
	} else if (span_is(h->name, "connection")) {
		scan_connection(fc, h->value);
	} else if (span_is(h->name, "expect")) {
		if (span_is(h->value, "100-continue"))
			fc->expect_continue = true;
		else
			fc->bad_expect = true;
	}
}

static int check_host(struct request *req, const struct field_counts *fc)
{
	if (fc->host > 1)
		return reject(req, 400, "several Host fields");
	if (fc->host == 0 && req->http_minor == 1)
		return reject(req, 400, "missing Host");
	if (fc->host == 1 && !valid_host(fc->host_value))
		return reject(req, 400, "invalid Host");
	if (req->host.p == NULL) /* absolute-form authority wins */
		req->host = fc->host_value;
	else if (!valid_host(req->host))
		return reject(req, 400, "invalid authority in target");
	return 0;
}

/* Strict decimal; false on anything else or overflow. */
static bool parse_length(struct span s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int check_framing(struct request_parser *rp,
			 const struct field_counts *fc)
{
	struct request *req = rp->req;

	if (fc->transfer_encoding > 0) {
		if (req->http_minor == 0)
			return reject(req, 400,
				      "Transfer-Encoding in HTTP/1.0");
		if (fc->content_length > 0)
			return reject(req, 400,
				      "Content-Length with Transfer-Encoding");
		if (fc->transfer_encoding > 1 ||
		    !span_is(fc->te_value, "chunked"))
			return reject(req, 400,
				      "Transfer-Encoding other than chunked");
		req->chunked = true;
		return 0;
	}
	if (fc->content_length == 0)
		return 0;
	if (fc->content_length > 1)
		return reject(req, 400, "several Content-Length fields");
	if (!parse_length(fc->cl_value, &req->content_length))
		return reject(req, 400, "invalid Content-Length");
	req->has_length = true;
	if (req->content_length > rp->lim.body_bytes)
		return reject(req, 413, "Content-Length over the body limit");
	return 0;
}

/* Everything the server reads from the fields, once the head is split. */
static int interpret_head(struct request_parser *rp)
{
	struct request *req = rp->req;
	struct field_counts fc;
	size_t i;

	memset(&fc, 0, sizeof(fc));
	for (i = 0; i < req->nheaders; i++) {
		count_field(&fc, &req->headers[i]);
		fill_named(req, &req->headers[i]);
	}
	if (split_target(req) != 0 || check_host(req, &fc) != 0 ||
	    check_framing(rp, &fc) != 0)
		return -1;
	if (fc.bad_expect)
		return reject(req, 417, "unsupported Expect");
	req->expect_continue = fc.expect_continue && req->http_minor == 1;
	if (req->http_minor == 1)
		req->keep_alive = !fc.conn_close;
	else
		req->keep_alive = fc.conn_keep_alive && !fc.conn_close;
	return 0;
}

/* ---- strict checks on the raw head ---- */

static enum req_status check_version(struct request *req, const char *v,
				     size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9')
		return fail(req, 400, "malformed HTTP version");
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return fail(req, 505, "unsupported HTTP version");
	req->http_major = 1;
	req->http_minor = (unsigned short)(v[7] - '0');
	return REQ_HEAD;
}

/* "METHOD SP target SP HTTP/x.y", n bytes without the CRLF. */
static enum req_status check_request_line(struct request_parser *rp,
					  const char *p, size_t n)
{
	struct request *req = rp->req;
	const char *sp1 = memchr(p, ' ', n), *sp2, *end = p + n, *t;

	if (sp1 == NULL || !is_token(p, (size_t)(sp1 - p)))
		return fail(req, 400, "malformed request line");
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return fail(req, 400, "malformed request line");
	if ((uint64_t)(sp2 - sp1 - 1) > rp->lim.uri_bytes ||
	    sp2 - sp1 - 1 > UINT16_MAX)
		return fail(req, 414, "request target too long");
	for (t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return fail(req, 400, "invalid byte in request target");
	if (check_version(req, sp2 + 1, (size_t)(end - sp2 - 1)) != REQ_HEAD)
		return REQ_ERROR;
	if (sp1 - p == 7 && memcmp(p, "CONNECT", 7) == 0)
		return fail(req, 501, "CONNECT not supported");
	req->method_name.p = p;
	req->method_name.len = (size_t)(sp1 - p);
	req->target.p = sp1 + 1;
	req->target.len = (size_t)(sp2 - sp1 - 1);
	return REQ_HEAD;
}

/*
 * "name: value", n bytes without the CRLF: checked, then stored with the
 * value trimmed of OWS (SP and HTAB alike) on both sides.
 */
static enum req_status check_field_line(struct request_parser *rp,
					const char *p, size_t n)
{
	struct request *req = rp->req;
	struct header *h;
	const char *colon;
	size_t i;

	if (is_ows(p[0]))
		return fail(req, 400, "obs-fold");
	colon = memchr(p, ':', n);
	if (colon == NULL || colon == p)
		return fail(req, 400, "field line without name or colon");
	if (is_ows(colon[-1]))
		return fail(req, 400, "whitespace before colon");
	if (!is_token(p, (size_t)(colon - p)))
		return fail(req, 400, "invalid field name");
	for (i = (size_t)(colon - p) + 1; i < n; i++)
		if (!http_field_byte((unsigned char)p[i]))
			return fail(req, 400, "control byte in field value");
	if (req->nheaders >= rp->hdr_cap)
		return fail(req, 431, "too many header fields");
	h = &req->headers[req->nheaders++];
	h->name.p = p;
	h->name.len = (size_t)(colon - p);
	h->value = trim_ows(colon + 1, (size_t)(p + n - colon - 1));
	return REQ_HEAD;
}

/*
 * Walk the n head bytes at p (request line first, blank line last) line by
 * line, checking each and storing the request line's parts and the fields.
 * Returns REQ_HEAD when everything is acceptable.
 */
static enum req_status scan_head(struct request_parser *rp, const char *p,
				   size_t n)
{
	struct request *req = rp->req;
	size_t pos = 0, line = 0, fields = 0, e, len;
	enum req_status st;

	while (pos < n) {
		e = (size_t)((const char *)memchr(p + pos, '\n', n - pos) - p);
		if (e == pos || p[e - 1] != '\r')
			return fail(req, 400, "bare LF in head");
		len = e - 1 - pos;
		if (memchr(p + pos, '\r', len) != NULL)
			return fail(req, 400, "bare CR in head");
		if (memchr(p + pos, '\0', len) != NULL)
			return fail(req, 400, "NUL in head");
		if (line++ == 0)
			st = check_request_line(rp, p + pos, len);
		else if (len == 0)
			st = REQ_HEAD; /* the blank line ending the head */
		else if (++fields > rp->lim.headers)
			st = fail(req, 431, "too many header fields");
		else
			st = check_field_line(rp, p + pos, len);
		if (st != REQ_HEAD)
			return st;
		pos = e + 1;
	}
	return REQ_HEAD;
}

/* ---- request_head ---- */

static size_t skip_empty_lines(const char *buf, size_t len)
{
	size_t i = 0;

	while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
		i += 2;
	return i;
}

/*
 * Look for CRLF CRLF in buf[from, len), the request line starting at lead.
 * Returns the head length, 0 when not there yet, or sets an error (bare CR
 * or LF seen early, so that such a client is not left waiting).
 */
static size_t find_head_end(struct request *req, const char *buf, size_t len,
			    size_t lead, size_t from)
{
	size_t i;

	for (i = from; i < len; i++) {
		if (buf[i] == '\n') {
			if (i == 0 || buf[i - 1] != '\r') {
				fail(req, 400, "bare LF in head");
				return 0;
			}
			if (i >= lead + 3 && buf[i - 2] == '\n' &&
			    buf[i - 3] == '\r')
				return i + 1;
		} else if (buf[i] == '\r' && i + 1 < len &&
			   buf[i + 1] != '\n') {
			fail(req, 400, "bare CR in head");
			return 0;
		}
	}
	return 0;
}

/* Limits on a head that is not complete yet. */
static enum req_status check_partial(struct request_parser *rp, const char *buf,
				     size_t len, size_t lead)
{
	if (len > rp->lim.header_bytes)
		return fail(rp->req, 431, "head too large");
	if (len - lead > rp->lim.uri_bytes + REQ_LINE_SLACK &&
	    memchr(buf + lead, '\n', len - lead) == NULL)
		return fail(rp->req, 414, "request line too long");
	return REQ_AGAIN;
}

/* The whole head is in buf[lead, end): validate, split, interpret. */
static enum req_status parse_head(struct request_parser *rp, const char *buf,
				  size_t lead, size_t end)
{
	struct request *req = rp->req;

	req->head_len = end;
	if (end > rp->lim.header_bytes)
		return fail(req, 431, "head too large");
	if (scan_head(rp, buf + lead, end - lead) != REQ_HEAD)
		return REQ_ERROR;
	if (!find_method(req))
		return fail(req, 501, "unknown method");
	if (interpret_head(rp) != 0)
		return REQ_ERROR;
	return REQ_HEAD;
}

enum req_status request_head(struct request_parser *rp, const char *buf,
			     size_t len)
{
	size_t lead = skip_empty_lines(buf, len);
	size_t from = rp->scanned > 3 ? rp->scanned - 3 : 0;
	size_t end;

	if (rp->req->error != 0)
		return REQ_ERROR;
	if (from < lead)
		from = lead;
	end = find_head_end(rp->req, buf, len, lead, from);
	if (rp->req->error != 0)
		return REQ_ERROR;
	rp->scanned = len;
	if (end == 0)
		return check_partial(rp, buf, len, lead);
	return parse_head(rp, buf, lead, end);
}

/* ---- body ---- */

bool request_has_body(const struct request *req)
{
	return req->chunked || (req->has_length && req->content_length > 0);
}

/* A Content-Length body: exactly that many bytes. */
static enum req_status length_body(struct request_parser *rp, const char *data,
				   size_t len, size_t *consumed,
				   body_sink_fn sink, void *arg)
{
	uint64_t left = rp->req->content_length - rp->body_seen;
	size_t n = len < left ? len : (size_t)left;

	if (n > 0 && sink)
		sink(arg, data, n);
	rp->body_seen += n;
	*consumed = n;
	rp->body_done = rp->body_seen == rp->req->content_length;
	return rp->body_done ? REQ_COMPLETE : REQ_AGAIN;
}

enum req_status request_body(struct request_parser *rp, const char *data,
			     size_t len, size_t *consumed, body_sink_fn sink,
			     void *arg)
{
	struct request *req = rp->req;

	*consumed = 0;
	if (req->error != 0)
		return REQ_ERROR;
	if (rp->body_done || !request_has_body(req))
		return REQ_COMPLETE;
	if (!req->chunked)
		return length_body(rp, data, len, consumed, sink, arg);
	switch (chunked_decode(&rp->chunked, data, len, consumed, sink, arg)) {
	case CHUNKED_AGAIN:
		return REQ_AGAIN;
	case CHUNKED_DONE:
		rp->body_done = true;
		return REQ_COMPLETE;
	default:
		return fail(req, rp->chunked.status, rp->chunked.reason);
	}
}

const struct span *request_header(const struct request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (span_is(req->headers[i].name, name))
			return &req->headers[i].value;
	return NULL;
}
