/*
 * test_request.c -- request head validation, interpretation and bodies.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "request.h"

#define NHDRS 16

static struct request_limits lim = {
	.header_bytes = 1024,
	.headers = NHDRS,
	.uri_bytes = 256,
	.body_bytes = 64,
};
static struct request req;
static struct header hdrs[NHDRS];
static struct request_parser rp;

static void setup(void)
{
	request_parser_init(&rp, &req, hdrs, &lim);
}

TestSuite(request, .init = setup);

static enum req_status head(const char *s)
{
	return request_head(&rp, s, strlen(s));
}

static bool span_eq(struct span s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* The head must be rejected with status; the reason is always set. */
static void expect_error(const char *s, int status)
{
	cr_assert_eq(head(s), REQ_ERROR, "accepted: %s", s);
	cr_assert_eq(req.error, status, "status %d for: %s", req.error, s);
	cr_assert_not_null(req.error_reason);
	cr_assert_not(req.keep_alive);
}

/* Collects decoded body bytes. */
struct sink {
	char buf[256];
	size_t len;
};

static void collect(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;

	cr_assert_leq(s->len + n, sizeof(s->buf));
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

/* ---- well-formed heads ---- */

Test(request, simple_get)
{
	const char *s =
		"GET /index.html?a=1&b=2 HTTP/1.1\r\nHost: example.com\r\n\r\n";

	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert_eq(req.method, HTTP_GET);
	cr_assert(span_eq(req.method_name, "GET"));
	cr_assert(span_eq(req.target, "/index.html?a=1&b=2"));
	cr_assert(span_eq(req.path, "/index.html"));
	cr_assert(span_eq(req.query, "a=1&b=2"));
	cr_assert(span_eq(req.host, "example.com"));
	cr_assert_eq(req.http_major, 1);
	cr_assert_eq(req.http_minor, 1);
	cr_assert_eq(req.head_len, strlen(s));
	cr_assert_eq(req.nheaders, 1);
	cr_assert(req.keep_alive);
	cr_assert_not(request_has_body(&req));
	cr_assert_eq(req.error, 0);
}

Test(request, all_named_fields)
{
	const char *s = "GET / HTTP/1.1\r\n"
			"host: h\r\n"
			"Connection: keep-alive\r\n"
			"If-None-Match: \"x\"\r\n"
			"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			"If-Match: *\r\n"
			"If-Unmodified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
			"Range: bytes=0-1\r\n"
			"If-Range: \"y\"\r\n"
			"User-Agent: curl/8  \r\n"
			"Referer: http://r/\r\n"
			"Content-Type: text/plain\r\n"
			"X-Forwarded-For: 10.0.0.1\r\n"
			"X-Request-Id: abc\r\n"
			"User-Agent: second\r\n"
			"X-Empty:\r\n"
			"\r\n";

	cr_assert_eq(head(s), REQ_HEAD, "%s", req.error_reason);
	cr_assert_eq(req.nheaders, 15);
	cr_assert(span_eq(req.connection, "keep-alive"));
	cr_assert(span_eq(req.if_none_match, "\"x\""));
	cr_assert(span_eq(req.if_modified_since,
			  "Sun, 06 Nov 1994 08:49:37 GMT"));
	cr_assert(span_eq(req.if_match, "*"));
	cr_assert(span_eq(req.if_unmodified_since,
			  "Mon, 07 Nov 1994 08:49:37 GMT"));
	cr_assert(span_eq(req.range, "bytes=0-1"));
	cr_assert(span_eq(req.if_range, "\"y\""));
	cr_assert(span_eq(req.user_agent, "curl/8"),
		  "first occurrence, OWS trimmed");
	cr_assert(span_eq(req.referer, "http://r/"));
	cr_assert(span_eq(req.content_type, "text/plain"));
	cr_assert(span_eq(req.x_forwarded_for, "10.0.0.1"));
	cr_assert(span_eq(req.x_request_id, "abc"));
	cr_assert(span_eq(req.headers[0].name, "host"), "names as sent");
	cr_assert(span_eq(req.headers[14].name, "X-Empty"));
	cr_assert_eq(req.headers[14].value.len, 0);
	cr_assert(span_eq(*request_header(&req, "X-REQUEST-ID"), "abc"));
	cr_assert_null(request_header(&req, "Cookie"));
}

Test(request, pipelined_requests)
{
	const char *s =
		"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"
		"hello"
		"GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t len = strlen(s), first_head, used = 0;
	struct sink sk = {.len = 0};

	cr_assert_eq(request_head(&rp, s, len), REQ_HEAD);
	first_head = req.head_len;
	cr_assert_eq(first_head, strlen("POST /a HTTP/1.1\r\nHost: h\r\n"
					"Content-Length: 5\r\n\r\n"));
	cr_assert(request_has_body(&req));
	cr_assert(req.has_length);
	cr_assert_eq(req.content_length, 5);
	cr_assert_eq(request_body(&rp, s + first_head, len - first_head, &used,
				  collect, &sk),
		     REQ_COMPLETE);
	cr_assert_eq(used, 5);
	cr_assert_eq(sk.len, 5);
	cr_assert_eq(memcmp(sk.buf, "hello", 5), 0);

	request_reset(&rp);
	s += first_head + used;
	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert_eq(req.method, HTTP_GET);
	cr_assert(span_eq(req.path, "/b"));
	cr_assert_eq(req.head_len, strlen(s));
}

Test(request, two_heads_in_one_buffer)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
			"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	size_t used = 99;

	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert(span_eq(req.path, "/1"));
	cr_assert_eq(req.head_len, strlen(s) / 2);
	cr_assert_eq(request_body(&rp, s + req.head_len, strlen(s) / 2, &used,
				  NULL, NULL),
		     REQ_COMPLETE);
	cr_assert_eq(used, 0);
	s += req.head_len;
	request_reset(&rp);
	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert(span_eq(req.path, "/2"));
}

Test(request, head_split_byte_by_byte)
{
	const char *s =
		"\r\nGET /x?y HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
	size_t len = strlen(s), i;

	for (i = 1; i < len; i++)
		cr_assert_eq(request_head(&rp, s, i), REQ_AGAIN, "at %zu", i);
	cr_assert_eq(request_head(&rp, s, len), REQ_HEAD);
	cr_assert_eq(req.head_len, len);
	cr_assert(span_eq(req.path, "/x"));
	cr_assert_eq(req.nheaders, 2);
}

/*
 * A head that waited in a worker's set between pieces (serve.c: the parser
 * reset, how far it was scanned kept) is read exactly as if it had arrived
 * whole, whatever the split: the same outcome, status and head length.
 */
Test(request, head_split_anywhere_parked)
{
	static const char *const heads[] = {
		"GET /x?y HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
		"\r\nPOST /r HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n",   /* bare LF */
		"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", /* obs-fold */
		"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",       /* bare CR */
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
	};

	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		const char *s = heads[h];
		size_t len = strlen(s);
		enum req_status whole;
		int whole_error;
		size_t whole_len;

		request_reset(&rp);
		whole = request_head(&rp, s, len);
		whole_error = req.error;
		whole_len = req.head_len;
		for (size_t cut = 1; cut < len; cut++) {
			enum req_status st;
			request_reset(&rp);
			st = request_head(&rp, s, cut);
			if (st == REQ_AGAIN) {
				size_t scanned = rp.scanned;
				request_reset(&rp);
				rp.scanned = scanned;
				st = request_head(&rp, s, len);
			}
			cr_assert_eq(st, whole, "head %zu cut at %zu", h, cut);
			cr_assert_eq(req.error, whole_error, "head %zu cut at %zu", h, cut);
			if (st == REQ_HEAD)
				cr_assert_eq(req.head_len, whole_len,
					     "head %zu cut at %zu", h, cut);
		}
	}
}

Test(request, leading_empty_lines)
{
	const char *s = "\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";

	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert_eq(req.head_len, strlen(s));
	cr_assert(span_eq(req.method_name, "GET"));
}

Test(request, http10_without_host)
{
	cr_assert_eq(head("GET / HTTP/1.0\r\n\r\n"), REQ_HEAD);
	cr_assert_eq(req.http_minor, 0);
	cr_assert_eq(req.host.len, 0);
}

/* ---- keep-alive ---- */

static bool keep_alive_of(const char *s)
{
	request_reset(&rp);
	cr_assert_eq(head(s), REQ_HEAD, "%s", s);
	return req.keep_alive;
}

Test(request, keep_alive_rules)
{
	cr_assert_not(keep_alive_of("GET / HTTP/1.0\r\n\r\n"));
	cr_assert(keep_alive_of(
		"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
	cr_assert(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
	cr_assert_not(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\n"
				    "Connection: close\r\n\r\n"));
	cr_assert_not(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\n"
				    "Connection: Upgrade, CLOSE\r\n\r\n"));
	cr_assert(keep_alive_of("GET / HTTP/1.0\r\n"
				"Connection: Keep-Alive, Upgrade\r\n\r\n"));
	cr_assert(keep_alive_of("GET / HTTP/1.0\r\n"
				"Connection: Upgrade ,keep-alive\r\n\r\n"));
	cr_assert_not(keep_alive_of("GET / HTTP/1.0\r\n"
				    "Connection: keep-alives\r\n\r\n"));
	cr_assert_not(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\n"
				    "Connection: keep-alive\r\n"
				    "Connection: close\r\n\r\n"));
}

/* ---- target forms ---- */

Test(request, absolute_form)
{
	cr_assert_eq(head("GET http://Example.org:8080/p/q?x=1 HTTP/1.1\r\n"
			  "Host: other\r\n\r\n"),
		     REQ_HEAD, "%s", req.error_reason);
	cr_assert(span_eq(req.host, "Example.org:8080"), "authority wins");
	cr_assert(span_eq(req.path, "/p/q"));
	cr_assert(span_eq(req.query, "x=1"));
}

Test(request, absolute_form_without_path)
{
	cr_assert_eq(head("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n"),
		     REQ_HEAD);
	cr_assert(span_eq(req.path, "/"));
	cr_assert(span_eq(req.host, "h"));
}

Test(request, absolute_form_bad)
{
	expect_error("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(request, options_asterisk)
{
	cr_assert_eq(head("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), REQ_HEAD);
	cr_assert_eq(req.method, HTTP_OPTIONS);
	cr_assert(span_eq(req.target, "*"));
	request_reset(&rp);
	expect_error("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

/* Every method http-parser names is known by that name, and only by it. */
Test(request, method_names)
{
	static const char *unknown[] = {"GETS", "GE", "Get", "M_SEARCH",
					"DELETE1", "PROPFINDX"};
	char s[128];
	int m, known = 0;
	size_t i;

	for (m = 0; strcmp(http_method_str((enum http_method)m), "<unknown>");
	     m++) {
		if (m == HTTP_CONNECT)
			continue;
		request_reset(&rp);
		snprintf(s, sizeof(s), "%s / HTTP/1.1\r\nHost: h\r\n\r\n",
			 http_method_str((enum http_method)m));
		cr_assert_eq(head(s), REQ_HEAD, "%s", s);
		cr_assert_eq(req.method, (enum http_method)m, "%s", s);
		known++;
	}
	cr_assert_gt(known, 30);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		request_reset(&rp);
		snprintf(s, sizeof(s), "%s / HTTP/1.1\r\nHost: h\r\n\r\n",
			 unknown[i]);
		expect_error(s, 501);
	}
}

Test(request, connect_not_implemented)
{
	expect_error("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 501);
}

/* ---- malformed heads ---- */

Test(request, bare_lf)
{
	expect_error("GET / HTTP/1.1\nHost: h\r\n\r\n", 400);
	cr_assert_str_eq(req.error_reason, "bare LF in head");
}

Test(request, bare_lf_in_complete_head)
{
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n", 400);
}

Test(request, bare_lf_only_lines_do_not_wait)
{
	cr_assert_eq(head("GET / HTTP/1.1\n"), REQ_ERROR);
	cr_assert_eq(req.error, 400);
}

Test(request, bare_cr)
{
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400);
	cr_assert_str_eq(req.error_reason, "bare CR in head");
}

Test(request, obs_fold)
{
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400);
	cr_assert_str_eq(req.error_reason, "obs-fold");
	request_reset(&rp);
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400);
}

Test(request, space_before_colon)
{
	expect_error("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
	cr_assert_str_eq(req.error_reason, "whitespace before colon");
}

Test(request, invalid_field_name)
{
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400);
}

Test(request, nul_in_header)
{
	static const char s[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";

	cr_assert_eq(request_head(&rp, s, sizeof(s) - 1), REQ_ERROR);
	cr_assert_eq(req.error, 400);
}

Test(request, control_byte_in_value)
{
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n", 400);
}

Test(request, tab_and_obs_text_in_value_accepted)
{
	cr_assert_eq(
		head("GET / HTTP/1.1\r\nHost: h\r\nX: a\tb \xc3\xa9\r\n\r\n"),
		REQ_HEAD);
	cr_assert(span_eq(req.headers[1].value, "a\tb \xc3\xa9"));
}

Test(request, control_byte_in_target)
{
	expect_error("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(request, request_line_spacing)
{
	expect_error("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET /\r\nHost: h\r\n\r\n", 400);
	request_reset(&rp);
	expect_error("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(request, unsupported_version)
{
	expect_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
	request_reset(&rp);
	expect_error("GET / HTTP/0.9\r\n\r\n", 505);
	request_reset(&rp);
	expect_error("GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505);
}

Test(request, unknown_method)
{
	expect_error("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", 501);
	request_reset(&rp);
	expect_error("get / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
}

Test(request, host_rules)
{
	expect_error("GET / HTTP/1.1\r\n\r\n", 400);
	cr_assert_str_eq(req.error_reason, "missing Host");
	request_reset(&rp);
	expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	cr_assert_str_eq(req.error_reason, "several Host fields");
	request_reset(&rp);
	expect_error("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
	request_reset(&rp);
	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"),
		     REQ_HEAD);
}

/* ---- framing ---- */

Test(request, content_length_with_transfer_encoding)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		     "Transfer-Encoding: chunked\r\n\r\n",
		     400);
	cr_assert_str_eq(req.error_reason,
			 "Content-Length with Transfer-Encoding");
	request_reset(&rp);
	expect_error(
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 3\r\n\r\n",
		400);
}

Test(request, transfer_encoding_gzip)
{
	expect_error(
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
		400);
}

Test(request, transfer_encoding_chunked_then_gzip)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\n"
		     "Transfer-Encoding: chunked, gzip\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\n"
		     "Transfer-Encoding: gzip, chunked\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error(
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
		400);
}

Test(request, transfer_encoding_in_http10)
{
	expect_error("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		     400);
	cr_assert_str_eq(req.error_reason, "Transfer-Encoding in HTTP/1.0");
}

Test(request, transfer_encoding_chunked_case_and_ows)
{
	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
			  "Transfer-Encoding:  Chunked \r\n\r\n"),
		     REQ_HEAD);
	cr_assert(req.chunked);
	cr_assert(request_has_body(&req));
}

/* OWS is SP or HTAB alike, before and after any field value. */
Test(request, ows_is_sp_or_htab)
{
	static const struct {
		const char *field; /* one field line, without its CRLF */
		bool chunked;
		uint64_t length; /* 0: no Content-Length */
	} cases[] = {
		{"Transfer-Encoding: chunked\t", true, 0},
		{"Transfer-Encoding:\tchunked", true, 0},
		{"Transfer-Encoding:\t chunked \t", true, 0},
		{"Transfer-Encoding:chunked", true, 0},
		{"Content-Length: 5\t", false, 5},
		{"Content-Length:\t5", false, 5},
		{"Content-Length: \t5\t ", false, 5},
		{"Content-Length:5", false, 5},
	};
	char s[256];
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++) {
		request_reset(&rp);
		snprintf(s, sizeof(s),
			 "POST / HTTP/1.1\r\nHost:\th\t\r\n%s\r\n"
			 "X-V: \t a\tb \t\r\nConnection:\tclose\t\r\n\r\n",
			 cases[i].field);
		cr_assert_eq(head(s), REQ_HEAD, "%s: %d %s", cases[i].field,
			     req.error, req.error_reason);
		cr_assert_eq(req.chunked, cases[i].chunked, "%s",
			     cases[i].field);
		cr_assert_eq(req.has_length, cases[i].length > 0, "%s",
			     cases[i].field);
		cr_assert_eq(req.content_length, cases[i].length, "%s",
			     cases[i].field);
		cr_assert(span_eq(req.host, "h"));
		cr_assert(span_eq(*request_header(&req, "x-v"), "a\tb"));
		cr_assert_not(req.keep_alive, "Connection: HTAB close HTAB");
	}
}

Test(request, not_ows_in_framing_fields)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\t5\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\v\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\n"
		     "Transfer-Encoding: chunked\f\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\n"
		     "Transfer-Encoding: chun\tked\r\n\r\n",
		     400);
}

Test(request, content_length_differing)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		     "Content-Length: 4\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
		     "Content-Length: 3\r\n\r\n",
		     400);
}

Test(request, content_length_list)
{
	expect_error(
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n",
		400);
	request_reset(&rp);
	expect_error(
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3,3\r\n\r\n",
		400);
}

Test(request, content_length_not_digits)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error(
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n",
		400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
		     400);
	request_reset(&rp);
	expect_error("POST / HTTP/1.1\r\nHost: h\r\n"
		     "Content-Length: 99999999999999999999999\r\n\r\n",
		     400);
}

Test(request, content_length_zero_has_no_body)
{
	size_t used = 7;

	cr_assert_eq(
		head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"),
		REQ_HEAD);
	cr_assert(req.has_length);
	cr_assert_not(request_has_body(&req));
	cr_assert_eq(request_body(&rp, "GET", 3, &used, NULL, NULL),
		     REQ_COMPLETE);
	cr_assert_eq(used, 0);
}

Test(request, content_length_too_large)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n",
		     413);
	request_reset(&rp);
	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: "
			  "64\r\n\r\n"),
		     REQ_HEAD);
}

/* ---- limits ---- */

Test(request, too_many_headers)
{
	char s[1024] = "GET / HTTP/1.1\r\nHost: h\r\n";
	int i;

	for (i = 0; i < NHDRS; i++)
		strcat(s, "X: y\r\n");
	strcat(s, "\r\n");
	expect_error(s, 431);
}

Test(request, header_count_at_limit)
{
	char s[1024] = "GET / HTTP/1.1\r\nHost: h\r\n";
	int i;

	for (i = 1; i < NHDRS; i++)
		strcat(s, "X: y\r\n");
	strcat(s, "\r\n");
	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert_eq(req.nheaders, NHDRS);
}

Test(request, head_too_big)
{
	char s[2048] = "GET / HTTP/1.1\r\nHost: h\r\nX: ";

	memset(s + strlen(s), 'a', 1100);
	cr_assert_eq(head(s), REQ_ERROR, "unfinished head over the limit");
	cr_assert_eq(req.error, 431);
	request_reset(&rp);
	strcpy(s + 1040, "\r\n\r\n");
	expect_error(s, 431);
}

/* Only header_bytes bounds the head (no cap of a library below it). */
Test(request, head_over_80k_within_the_limit)
{
	static char s[100 * 1024];
	static const struct request_limits big = {
		.header_bytes = 128 * 1024, .headers = NHDRS,
		.uri_bytes = 256, .body_bytes = 64,
	};
	size_t n;

	request_parser_init(&rp, &req, hdrs, &big);
	n = (size_t)snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(s + n, 'v', sizeof(s) - n - 5);
	memcpy(s + sizeof(s) - 5, "\r\n\r\n", 5);
	cr_assert_eq(head(s), REQ_HEAD, "%d %s", req.error, req.error_reason);
	cr_assert_eq(req.head_len, sizeof(s) - 1);
	cr_assert_eq(req.headers[1].value.len, sizeof(s) - n - 5);
}

Test(request, target_too_long)
{
	char s[1024] = "GET /";

	memset(s + 5, 'a', 300);
	strcpy(s + 305, " HTTP/1.1\r\nHost: h\r\n\r\n");
	expect_error(s, 414);
}

Test(request, unfinished_request_line_too_long)
{
	char s[1024] = "GET /";

	memset(s + 5, 'a', 300);
	cr_assert_eq(head(s), REQ_ERROR);
	cr_assert_eq(req.error, 414);
}

/* ---- Expect ---- */

Test(request, expect_continue)
{
	cr_assert_eq(
		head("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n"
		     "Content-Length: 3\r\n\r\n"),
		REQ_HEAD);
	cr_assert(req.expect_continue);
}

Test(request, bad_expect)
{
	expect_error("POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n",
		     417);
}

/* ---- bodies ---- */

Test(request, chunked_body_with_extensions_and_trailers)
{
	const char *h = "POST / HTTP/1.1\r\nHost: h\r\n"
			"Transfer-Encoding: chunked\r\n\r\n";
	const char *b = "5;name=value\r\nhello\r\n"
			"1\r\n \r\n"
			"A\r\n0123456789\r\n"
			"0\r\nTrailer-A: x\r\nTrailer-B: y\r\n\r\n"
			"GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	struct sink sk = {.len = 0};
	size_t used = 0;

	cr_assert_eq(head(h), REQ_HEAD);
	cr_assert(req.chunked);
	cr_assert_eq(request_body(&rp, b, strlen(b), &used, collect, &sk),
		     REQ_COMPLETE);
	cr_assert_eq(sk.len, 16);
	cr_assert_eq(memcmp(sk.buf, "hello 0123456789", 16), 0);
	cr_assert_eq(req.nheaders, 2, "trailers are not headers");
	cr_assert(span_eq((struct span){b + used, strlen(b) - used},
			  "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"));
	request_reset(&rp);
	cr_assert_eq(head(b + used), REQ_HEAD);
	cr_assert(span_eq(req.path, "/next"));
}

Test(request, chunked_body_byte_by_byte)
{
	const char *b = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT";
	struct sink sk = {.len = 0};
	size_t i, used, total = 0;
	enum req_status st = REQ_AGAIN;

	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n"),
		     REQ_HEAD);
	for (i = 0; st == REQ_AGAIN && i < strlen(b); i++) {
		st = request_body(&rp, b + i, 1, &used, collect, &sk);
		total += used;
	}
	cr_assert_eq(st, REQ_COMPLETE);
	cr_assert_eq(total, strlen(b) - 4);
	cr_assert_eq(sk.len, 5);
	cr_assert_eq(memcmp(sk.buf, "abcde", 5), 0);
}

Test(request, content_length_body_in_pieces)
{
	struct sink sk = {.len = 0};
	size_t used;

	cr_assert_eq(
		head("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n"),
		REQ_HEAD);
	cr_assert_eq(request_body(&rp, "abc", 3, &used, collect, &sk),
		     REQ_AGAIN);
	cr_assert_eq(used, 3);
	cr_assert_eq(request_body(&rp, "", 0, &used, collect, &sk), REQ_AGAIN);
	cr_assert_eq(request_body(&rp, "defGET", 6, &used, collect, &sk),
		     REQ_COMPLETE);
	cr_assert_eq(used, 3);
	cr_assert_eq(sk.len, 6);
}

Test(request, invalid_chunk_size)
{
	size_t used;

	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n"),
		     REQ_HEAD);
	cr_assert_eq(request_body(&rp, "zz\r\nabc\r\n", 9, &used, NULL, NULL),
		     REQ_ERROR);
	cr_assert_eq(req.error, 400);
}

Test(request, chunked_body_over_limit)
{
	char b[512];
	size_t used;

	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n"),
		     REQ_HEAD);
	strcpy(b, "20\r\n");
	memset(b + 4, 'a', 32);
	strcpy(b + 36, "\r\n20\r\n");
	memset(b + 42, 'b', 32);
	strcpy(b + 74, "\r\n1\r\nc\r\n0\r\n\r\n");
	cr_assert_eq(request_body(&rp, b, strlen(b), &used, NULL, NULL),
		     REQ_ERROR);
	cr_assert_eq(req.error, 413);
}

Test(request, chunk_declared_over_limit)
{
	size_t used;

	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n"),
		     REQ_HEAD);
	cr_assert_eq(request_body(&rp, "ffff\r\n", 6, &used, NULL, NULL),
		     REQ_ERROR);
	cr_assert_eq(req.error, 413);
}

Test(request, chunked_body_at_limit)
{
	char b[512];
	size_t used;

	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n"),
		     REQ_HEAD);
	strcpy(b, "40\r\n");
	memset(b + 4, 'a', 64);
	strcpy(b + 68, "\r\n0\r\n\r\n");
	cr_assert_eq(request_body(&rp, b, strlen(b), &used, NULL, NULL),
		     REQ_COMPLETE);
	cr_assert_eq(used, strlen(b));
}

/* ---- bodies, table-driven: each fed whole, in every 2-way split and
 * byte by byte, with the same outcome required every time ---- */

#define IN(s) s, sizeof(s) - 1
#define A16 "aaaaaaaaaaaaaaaa"
#define A64 A16 A16 A16 A16
#define Z16 "0000000000000000"
#define Z64 Z16 Z16 Z16 Z16
#define AGAIN (-1) /* .status: the body is not complete, no error */

struct body_case {
	const char *name;
	const char *in; /* the bytes after the head */
	size_t len;
	int status;          /* 0: complete; AGAIN; else the error status */
	const char *decoded; /* 0 and AGAIN: the body bytes delivered */
	size_t rest;         /* 0: input left for the next request */
	uint64_t cl;         /* 0: chunked; else a Content-Length body */
};

/* clang-format off */
static const struct body_case body_cases[] = {
	/* well-formed */
	{"one chunk", IN("5\r\nhello\r\n0\r\n\r\nGET"), 0, "hello", 3, 0},
	{"two chunks", IN("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT"), 0, "abcde", 4, 0},
	{"hex both cases", IN("A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n"), 0,
	 "0123456789abcdefghijk", 0, 0},
	{"leading zeros", IN("005\r\nhello\r\n000\r\n\r\n"), 0, "hello", 0, 0},
	{"leading zeros at the limit", IN("0" Z64 "\r\n\r\n"), 0, "", 0, 0},
	{"empty body", IN("0\r\n\r\n"), 0, "", 0, 0},
	{"a request behind", IN("0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 0, "",
	 27, 0},
	{"framing bytes in data", IN("7\r\n0\r\n\r\n\n\r\r\n0\r\n\r\n"), 0, "0\r\n\r\n\n\r", 0, 0},
	{"extensions", IN("5;a\r\nhello\r\n0;b=c;d=e\r\n\r\n"), 0, "hello", 0, 0},
	{"extensions with BWS", IN("5 ; a = b\t;\tc ;d\r\nhello\r\n0 ;e\r\n\r\n"), 0,
	 "hello", 0, 0},
	{"quoted extension", IN("1;q=\"a \\\"b\\\\ \t\xe9\\\xe9\";r=\"\"\r\nx\r\n0\r\n\r\n"),
	 0, "x", 0, 0},
	{"trailers", IN("0\r\nX-A: 1\r\nX-B:\t2 \xe9\t\r\nX-Empty:\r\n\r\nGET"), 0, "", 3, 0},
	{"body at the limit", IN("40\r\n" A64 "\r\n0\r\n\r\n"), 0, A64, 0, 0},
	{"data and trailer at the limit",
	 IN("3c\r\n" A16 A16 A16 "aaaaaaaaaaaa\r\n0\r\nX:\r\n\r\n"), 0,
	 A16 A16 A16 "aaaaaaaaaaaa", 0, 0},
	{"Content-Length body", IN("helloGET"), 0, "hello", 3, 5},
	/* incomplete */
	{"nothing yet", IN(""), AGAIN, "", 0, 0},
	{"in chunk data", IN("5\r\nhel"), AGAIN, "hel", 0, 0},
	{"in the size line", IN("5;a=\"b"), AGAIN, "", 0, 0},
	{"before the final LF", IN("5\r\nhello\r\n0\r\n\r"), AGAIN, "hello", 0, 0},
	{"in the trailers", IN("0\r\nX-A: 1\r\n"), AGAIN, "", 0, 0},
	{"Content-Length body short", IN("hel"), AGAIN, "hel", 0, 5},
	/* chunk data not followed by exactly CRLF */
	{"two bytes for CRLF", IN("5\r\nhelloXY0\r\n\r\n"), 400, NULL, 0, 0},
	{"request hidden behind LF",
	 IN("1\r\nA\n110\r\nPPPPPPPPPPPPPPPPXY0\r\n\r\nGET /smuggled HTTP/1.1\r\n"
	    "Host: x\r\nContent-Length: 200\r\n\r\nZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
	    "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
	    "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
	    "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"bare LF after data", IN("5\r\nhello\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"bare CR after data", IN("5\r\nhello\r0\r\n\r\n"), 400, NULL, 0, 0},
	{"CR CR after data", IN("5\r\nhello\r\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"X LF after data", IN("5\r\nhelloX\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"CR X after data", IN("5\r\nhello\rX0\r\n\r\n"), 400, NULL, 0, 0},
	{"data longer than its size", IN("3\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"data shorter than its size", IN("6\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	/* chunk-size line */
	{"size line ended by LF", IN("5\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size line ended by CR X", IN("5\rXhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"SP after size", IN("5 \r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"HTAB after size", IN("5\t\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"SP before size", IN(" 5\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"empty size", IN("\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size 0x5", IN("0x5\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size +5", IN("+5\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size -5", IN("-5\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size zz", IN("zz\r\nabc\r\n"), 400, NULL, 0, 0},
	{"size 5g", IN("5g\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"NUL after size", IN("5\0\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size then comma", IN("5,\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"size overflows", IN("fffffffffffffffffffff\r\n"), 400, NULL, 0, 0},
	{"size 2^64 (0 if wrapped)", IN("10000000000000000\r\n\r\n"), 400, NULL, 0, 0},
	{"size 2^64+5 (5 if wrapped)", IN("10000000000000005\r\nhello\r\n0\r\n\r\n"),
	 400, NULL, 0, 0},
	{"size 2^64 after zeros", IN("00010000000000000000\r\n\r\n"), 400, NULL, 0, 0},
	/* chunk extensions */
	{"empty extension", IN("5;\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"two semicolons", IN("5;;a\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"extension without name", IN("5;=a\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"extension without value", IN("5;a=\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"SP inside extension", IN("5;a b\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"SP after extension", IN("5;a=b \r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"SP after extension name", IN("5;a \r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"LF in extension", IN("5;a\nb\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"NUL in extension", IN("5;a\0b\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"CTL in extension value", IN("5;a=\x01\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"DEL in extension", IN("5;a=b\x7f\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"non-token extension", IN("5;a@b\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"unterminated quote", IN("5;a=\"b\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"junk after quote", IN("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"CTL in quote", IN("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"LF in quote", IN("5;a=\"\n\"\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"CTL in quoted-pair", IN("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	{"CR in quoted-pair", IN("5;a=\"\\\r\n\"\r\nhello\r\n0\r\n\r\n"), 400, NULL, 0, 0},
	/* last chunk and the end */
	{"last chunk, bare LF end", IN("0\r\n\n"), 400, NULL, 0, 0},
	{"last chunk, LF LF", IN("0\n\n"), 400, NULL, 0, 0},
	{"last chunk, CR X", IN("0\r\n\rX"), 400, NULL, 0, 0},
	{"last chunk, data after", IN("0\r\nhello\r\n\r\n"), 400, NULL, 0, 0},
	/* trailers, held to the rules of head fields */
	{"trailer bare LF", IN("0\r\nX-T: a\nb\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer ended by LF", IN("0\r\nX-T: a\n\r\n"), 400, NULL, 0, 0},
	{"trailer bare CR", IN("0\r\nX-T: a\rb\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer NUL", IN("0\r\nX-T: a\0b\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer CTL", IN("0\r\nX-T: a\x1b" "b\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer DEL", IN("0\r\nX-T: a\x7f\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer obs-fold SP", IN("0\r\nX-T: a\r\n b\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer obs-fold HTAB", IN("0\r\nX-T: a\r\n\tb\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer SP before colon", IN("0\r\nX-T : a\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer without colon", IN("0\r\nX-T\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer without name", IN("0\r\n: a\r\n\r\n"), 400, NULL, 0, 0},
	{"trailer name not a token", IN("0\r\nX(T): a\r\n\r\n"), 400, NULL, 0, 0},
	{"trailers ended by LF", IN("0\r\nX-T: a\r\n\n"), 400, NULL, 0, 0},
	{"trailer LF in name", IN("0\r\nX\n: a\r\n\r\n"), 400, NULL, 0, 0},
	/* limits (body_bytes is 64) */
	{"declared chunk over the limit", IN("41\r\n"), 413, NULL, 0, 0},
	{"largest size", IN("ffffffffffffffff\r\n"), 413, NULL, 0, 0},
	{"refused when its digits end", IN("41;"), 413, NULL, 0, 0},
	{"waiting for the end of the digits", IN("41"), AGAIN, "", 0, 0},
	{"chunks over the limit",
	 IN("20\r\n" A16 A16 "\r\n20\r\n" A16 A16 "\r\n1\r\nc\r\n0\r\n\r\n"), 413, NULL, 0, 0},
	{"extension and data over the limit", IN("3c;abcde\r\n" A64 "\r\n0\r\n\r\n"),
	 413, NULL, 0, 0},
	{"long extension", IN("1;" A64 "\r\nx\r\n0\r\n\r\n"), 413, NULL, 0, 0},
	{"leading zeros over the limit", IN("00" Z64 "\r\n\r\n"), 413, NULL, 0, 0},
	{"leading zeros, then a size", IN(Z64 "1\r\nx\r\n0\r\n\r\n"), 413, NULL, 0, 0},
	{"long trailer", IN("0\r\nX: " A64 "\r\n\r\n"), 413, NULL, 0, 0},
	{"data and trailer over the limit",
	 IN("3c\r\n" A16 A16 A16 "aaaaaaaaaaaa\r\n0\r\nX:a\r\n\r\n"), 413, NULL, 0, 0},
};
/* clang-format on */

struct body_outcome {
	enum req_status st;
	int error;
	size_t consumed;
	struct sink sk;
};

/*
 * Parse a head for case c, then feed its body as a socket would deliver
 * it: the pieces end at cuts[0..ncuts) and at len; each call gets what was
 * not consumed yet.  Every REQ_AGAIN must consume all it was given.
 */
static void run_body(const struct body_case *c, const size_t *cuts,
		     size_t ncuts, struct body_outcome *out)
{
	char h[128];
	size_t pos = 0, k, used;

	if (c->cl > 0)
		snprintf(h, sizeof(h),
			 "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %llu\r\n\r\n",
			 (unsigned long long)c->cl);
	else
		snprintf(h, sizeof(h), "POST / HTTP/1.1\r\nHost: h\r\n"
				       "Transfer-Encoding: chunked\r\n\r\n");
	request_parser_init(&rp, &req, hdrs, &lim);
	cr_assert_eq(head(h), REQ_HEAD, "%s: head: %s", c->name,
		     req.error_reason);
	memset(out, 0, sizeof(*out));
	out->st = REQ_AGAIN;
	for (k = 0; k <= ncuts && out->st == REQ_AGAIN; k++) {
		size_t end = k < ncuts ? cuts[k] : c->len;
		out->st = request_body(&rp, c->in + pos, end - pos, &used,
				       collect, &out->sk);
		cr_assert_leq(used, end - pos, "%s", c->name);
		if (out->st == REQ_AGAIN)
			cr_assert_eq(used, end - pos,
				     "%s: REQ_AGAIN must consume everything",
				     c->name);
		if (out->st != REQ_ERROR)
			pos += used;
	}
	out->error = req.error;
	out->consumed = pos;
	if (out->st == REQ_ERROR) {
		cr_assert_not_null(req.error_reason, "%s", c->name);
		cr_assert_not(req.keep_alive, "%s", c->name);
	}
	if (out->st == REQ_COMPLETE) { /* stays complete, takes nothing more */
		cr_assert_eq(request_body(&rp, c->in + pos, c->len - pos, &used,
					  collect, &out->sk),
			     REQ_COMPLETE);
		cr_assert_eq(used, 0);
	}
}

static void expect_outcome(const struct body_case *c,
			   const struct body_outcome *o, const char *how)
{
	if (c->status > 0) {
		cr_assert_eq(o->st, REQ_ERROR, "%s (%s): not refused", c->name,
			     how);
		cr_assert_eq(o->error, c->status, "%s (%s): status %d",
			     c->name, how, o->error);
		return;
	}
	cr_assert_eq(o->st, c->status == 0 ? REQ_COMPLETE : REQ_AGAIN,
		     "%s (%s): status %d (%d %s)", c->name, how, o->st,
		     o->error, req.error_reason ? req.error_reason : "");
	cr_assert_eq(o->sk.len, strlen(c->decoded), "%s (%s): %zu bytes",
		     c->name, how, o->sk.len);
	cr_assert_eq(memcmp(o->sk.buf, c->decoded, o->sk.len), 0, "%s (%s)",
		     c->name, how);
	cr_assert_eq(o->consumed, c->len - c->rest, "%s (%s): consumed %zu",
		     c->name, how, o->consumed);
}

Test(request, body_table)
{
	static size_t cuts[512];
	struct body_outcome o;
	size_t i, k, n = sizeof(body_cases) / sizeof(body_cases[0]);

	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++) {
		const struct body_case *c = &body_cases[i];

		cr_assert_lt(c->len, sizeof(cuts) / sizeof(cuts[0]));
		run_body(c, NULL, 0, &o);
		expect_outcome(c, &o, "whole");
		for (k = 1; k < c->len; k++) {
			cuts[0] = k;
			run_body(c, cuts, 1, &o);
			expect_outcome(c, &o, "split in two");
		}
		for (k = 1; k < c->len; k++)
			cuts[k - 1] = k;
		run_body(c, cuts, c->len > 0 ? c->len - 1 : 0, &o);
		expect_outcome(c, &o, "byte by byte");
	}
}

/* A few reasons, as the error log shows them. */
Test(request, chunked_error_reasons)
{
	static const struct {
		const char *in, *reason;
	} cases[] = {
		{"5\r\nhelloXY", "chunk data not followed by CRLF"},
		{"5\nhello", "bare LF in chunk size line"},
		{"5 \r\n", "invalid chunk extension"},
		{"0\r\n\n", "bare LF in chunk trailers"},
		{"0\r\n\rX", "chunked body not ended by CRLF"},
		{"41\r\n", "chunk over the body limit"},
		{"0\r\nX : a\r\n", "whitespace before colon in trailer"},
		{"0\r\nX: a\r\n b\r\n", "obs-fold in chunk trailers"},
	};
	size_t i, used;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		request_parser_init(&rp, &req, hdrs, &lim);
		cr_assert_eq(head("POST / HTTP/1.1\r\nHost: h\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"),
			     REQ_HEAD);
		cr_assert_eq(request_body(&rp, cases[i].in,
					  strlen(cases[i].in), &used, NULL,
					  NULL),
			     REQ_ERROR, "%s", cases[i].in);
		cr_assert_str_eq(req.error_reason, cases[i].reason);
		cr_assert_eq(request_body(&rp, "0\r\n\r\n", 5, &used, NULL,
					  NULL),
			     REQ_ERROR, "an error sticks");
	}
}

Test(request, upgrade_request_is_a_plain_request)
{
	const char *s = "POST / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
			"Upgrade: websocket\r\nContent-Length: 2\r\n\r\n";
	size_t used;

	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
			  "Upgrade: h2c\r\n\r\n"),
		     REQ_HEAD);
	cr_assert_not(request_has_body(&req));
	request_reset(&rp);
	cr_assert_eq(head(s), REQ_HEAD);
	cr_assert_eq(request_body(&rp, "okGET", 5, &used, NULL, NULL),
		     REQ_COMPLETE);
	cr_assert_eq(used, 2);
}

Test(request, head_method_and_known_methods)
{
	cr_assert_eq(head("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"), REQ_HEAD);
	cr_assert_eq(req.method, HTTP_HEAD);
	request_reset(&rp);
	cr_assert_eq(head("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n"), REQ_HEAD);
	cr_assert_eq(req.method, HTTP_DELETE);
}
