/*
 * test_request.c -- request head validation, interpretation and bodies.
 */
#include <criterion/criterion.h>
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
