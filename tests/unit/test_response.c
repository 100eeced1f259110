/*
 * test_response.c -- response head serialization and error answers.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "response.h"

#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"

static char hbuf[128];
static struct response r;
static char out[1024];

static void setup(void)
{
	response_init(&r, hbuf, sizeof(hbuf));
}

TestSuite(response, .init = setup);

/* Serializes r and checks the exact bytes. */
static void expect_head(bool keep_alive, const char *want)
{
	size_t n = response_head(&r, out, sizeof(out), DATE, "prefork-httpd",
				 keep_alive);

	cr_assert_eq(n, strlen(want), "got %zu bytes: %.*s", n, (int)n, out);
	cr_assert_eq(memcmp(out, want, n), 0, "got: %.*s", (int)n, out);
}

Test(response, init_state)
{
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.fd, -1);
	cr_assert_eq(r.hlen, 0);
	cr_assert_not(r.close);
	cr_assert_eq(response_content_length(&r), 0);
}

Test(response, ok_with_body_keep_alive)
{
	response_header(&r, "Content-Type", "text/plain");
	response_body_mem(&r, "hello", 5);
	expect_head(true, "HTTP/1.1 200 OK\r\n"
			  "Date: " DATE "\r\n"
			  "Server: prefork-httpd\r\n"
			  "Content-Type: text/plain\r\n"
			  "Content-Length: 5\r\n"
			  "Connection: keep-alive\r\n"
			  "\r\n");
}

Test(response, close_when_not_keep_alive_or_close_flag)
{
	expect_head(false, "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
			   "Server: prefork-httpd\r\nContent-Length: 0\r\n"
			   "Connection: close\r\n\r\n");
	r.close = true;
	expect_head(true, "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
			  "Server: prefork-httpd\r\nContent-Length: 0\r\n"
			  "Connection: close\r\n\r\n");
}

Test(response, no_server_header_when_null)
{
	size_t n = response_head(&r, out, sizeof(out), DATE, NULL, true);
	const char *want =
		"HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
		"Content-Length: 0\r\nConnection: keep-alive\r\n\r\n";

	cr_assert_eq(n, strlen(want));
	cr_assert_eq(memcmp(out, want, n), 0);
}

Test(response, head_keeps_content_length_of_file)
{
	r.head_only = true;
	response_body_file(&r, 7, 100, 1234567, false);
	cr_assert_eq(response_content_length(&r), 1234567);
	expect_head(true, "HTTP/1.1 200 OK\r\nDate: " DATE "\r\n"
			  "Server: prefork-httpd\r\nContent-Length: 1234567\r\n"
			  "Connection: keep-alive\r\n\r\n");
}

Test(response, not_modified_has_no_length)
{
	r.status = 304;
	r.no_length = true;
	response_header(&r, "ETag", "\"abc\"");
	expect_head(true, "HTTP/1.1 304 Not Modified\r\nDate: " DATE "\r\n"
			  "Server: prefork-httpd\r\nETag: \"abc\"\r\n"
			  "Connection: keep-alive\r\n\r\n");
}

Test(response, no_content_and_informational_have_no_length)
{
	r.status = 204;
	expect_head(true, "HTTP/1.1 204 No Content\r\nDate: " DATE "\r\n"
			  "Server: prefork-httpd\r\n"
			  "Connection: keep-alive\r\n\r\n");
	r.status = 100;
	expect_head(true, "HTTP/1.1 100 Continue\r\nDate: " DATE "\r\n"
			  "Server: prefork-httpd\r\n"
			  "Connection: keep-alive\r\n\r\n");
}

Test(response, error_page_and_headers)
{
	static const char page[] =
		"<html><head><title>404 Not Found</title></head><body>"
		"<h1>404 Not Found</h1></body></html>\n";

	response_header(&r, "X-Dropped", "1");
	response_error(&r, 404);
	cr_assert_eq(r.status, 404);
	cr_assert_not(r.close, "404 leaves the connection usable");
	cr_assert_eq(r.body_len, sizeof(page) - 1);
	cr_assert_eq(memcmp(r.body, page, r.body_len), 0);
	expect_head(true, "HTTP/1.1 404 Not Found\r\nDate: " DATE "\r\n"
			  "Server: prefork-httpd\r\n"
			  "Content-Type: text/html; charset=utf-8\r\n"
			  "Content-Length: 90\r\n"
			  "Connection: keep-alive\r\n\r\n");
}

Test(response, error_close_flags)
{
	static const int closing[] = {400, 408, 411, 412, 413,
				      414, 417, 421, 426, 431, 500,
				      501, 502, 503, 504, 505, 599};
	/* 401: a client answering the challenge comes back on the same one */
	static const int keeping[] = {401, 403, 404, 405, 416};
	size_t i;

	for (i = 0; i < sizeof(closing) / sizeof(closing[0]); i++) {
		response_reset(&r);
		response_error(&r, closing[i]);
		cr_assert(r.close, "%d must close", closing[i]);
		cr_assert_not_null(r.body);
	}
	for (i = 0; i < sizeof(keeping) / sizeof(keeping[0]); i++) {
		response_reset(&r);
		response_error(&r, keeping[i]);
		cr_assert_not(r.close, "%d keeps the connection", keeping[i]);
	}
}

Test(response, error_body_names_status)
{
	response_error(&r, 431);
	cr_assert_not_null(strstr(r.body,
				  "<title>431 Request Header Fields Too "
				  "Large</title>"));
	response_reset(&r);
	response_error(&r, 599);
	cr_assert_not_null(strstr(r.body, "<h1>Error</h1>"));
}

Test(response, error_after_header_overflow_fits)
{
	char big[200];

	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	response_header(&r, "X-Big", big);
	cr_assert(r.hoverflow);
	response_error(&r, 500);
	cr_assert_not(r.hoverflow);
	cr_assert(r.close);
	cr_assert_eq(r.hlen,
		     strlen("Content-Type: text/html; charset=utf-8\r\n"));
}

Test(response, header_overflow)
{
	char name[64];
	size_t before;

	memset(name, 'N', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	response_header(&r, name, "12345678901234567890123456789012345678");
	cr_assert_not(r.hoverflow);
	before = r.hlen;
	cr_assert_eq(before, 63 + 2 + 38 + 2);
	response_header(&r, "X-More", "this does not fit any more");
	cr_assert(r.hoverflow);
	cr_assert_eq(r.hlen, before, "nothing partial is appended");
}

Test(response, header_exact_fit)
{
	char v[128];

	memset(v, 'v', sizeof(v));
	response_header_n(&r, "X", 1, v, sizeof(hbuf) - 5);
	cr_assert_not(r.hoverflow);
	cr_assert_eq(r.hlen, sizeof(hbuf));
}

Test(response, header_line_break_refused)
{
	response_header(&r, "Location", "/a\r\nSet-Cookie: x=1");
	cr_assert(r.hoverflow);
	cr_assert_eq(r.hlen, 0);
}

Test(response, head_does_not_fit)
{
	response_body_mem(&r, "x", 1);
	cr_assert_eq(response_head(&r, out, 20, DATE, "s", true), 0);
	cr_assert_neq(response_head(&r, out, sizeof(out), DATE, "s", true), 0);
}

Test(response, reasons)
{
	cr_assert_str_eq(http_reason(200), "OK");
	cr_assert_str_eq(http_reason(206), "Partial Content");
	cr_assert_str_eq(http_reason(308), "Permanent Redirect");
	cr_assert_str_eq(http_reason(413), "Content Too Large");
	cr_assert_str_eq(http_reason(416), "Range Not Satisfiable");
	cr_assert_str_eq(http_reason(505), "HTTP Version Not Supported");
	cr_assert_str_eq(http_reason(299), "");
	/* common codes the first table lacked */
	cr_assert_str_eq(http_reason(410), "Gone");
	cr_assert_str_eq(http_reason(429), "Too Many Requests");
	cr_assert_str_eq(http_reason(202), "Accepted");
	cr_assert_str_eq(http_reason(409), "Conflict");
	cr_assert_str_eq(http_reason(415), "Unsupported Media Type");
	cr_assert_str_eq(http_reason(422), "Unprocessable Content");
	cr_assert_str_eq(http_reason(451), "Unavailable For Legal Reasons");
	cr_assert_str_eq(http_reason(511), "Network Authentication Required");
	cr_assert_str_eq(http_reason(100), "Continue");
	cr_assert_str_eq(http_reason(103), "Early Hints");
	cr_assert_str_eq(http_reason(306), "", "(Unused) in the registry");
	cr_assert_str_eq(http_reason(418), "", "(Unused) in the registry");
	cr_assert_str_eq(http_reason(600), "");
	cr_assert_str_eq(http_reason(-1), "");
}

/* Every code of the IANA registry has its phrase (the registry as of
 * RFC 9110, with 102 Processing, 103 Early Hints, WebDAV and RFC 6585). */
Test(response, iana_registry_complete)
{
	static const struct { int code; const char *reason; } iana[] = {
		{ 100, "Continue" }, { 101, "Switching Protocols" },
		{ 102, "Processing" }, { 103, "Early Hints" }, { 200, "OK" },
		{ 201, "Created" }, { 202, "Accepted" },
		{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
		{ 205, "Reset Content" }, { 206, "Partial Content" },
		{ 207, "Multi-Status" }, { 208, "Already Reported" },
		{ 226, "IM Used" }, { 300, "Multiple Choices" },
		{ 301, "Moved Permanently" }, { 302, "Found" },
		{ 303, "See Other" }, { 304, "Not Modified" }, { 305, "Use Proxy" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 402, "Payment Required" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
		{ 411, "Length Required" }, { 412, "Precondition Failed" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
		{ 417, "Expectation Failed" }, { 421, "Misdirected Request" },
		{ 422, "Unprocessable Content" }, { 423, "Locked" },
		{ 424, "Failed Dependency" }, { 425, "Too Early" },
		{ 426, "Upgrade Required" }, { 428, "Precondition Required" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 451, "Unavailable For Legal Reasons" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
		{ 506, "Variant Also Negotiates" }, { 507, "Insufficient Storage" },
		{ 508, "Loop Detected" }, { 510, "Not Extended" },
		{ 511, "Network Authentication Required" },
	};

	for (size_t i = 0; i < sizeof(iana) / sizeof(iana[0]); i++)
		cr_expect_str_eq(http_reason(iana[i].code), iana[i].reason,
				 "%d", iana[i].code);
}

Test(response, own_reason_phrase)
{
	r.status = 429;
	r.reason = "Slow Down";
	r.reason_len = 9;
	expect_head(false, "HTTP/1.1 429 Slow Down\r\nDate: " DATE "\r\n"
			   "Server: prefork-httpd\r\nContent-Length: 0\r\n"
			   "Connection: close\r\n\r\n");
	response_error(&r, 500);
	cr_expect_null(r.reason, "an error answer has the registry's phrase");
}

Test(response, reason_ok)
{
	cr_expect(http_reason_ok("Too Many Requests", 17));
	cr_expect(http_reason_ok("caf\xc3\xa9\tok", 7));
	cr_expect_not(http_reason_ok("", 0));
	cr_expect_not(http_reason_ok("a\rb", 3));
	cr_expect_not(http_reason_ok("a\nb", 3));
	cr_expect_not(http_reason_ok("a\0b", 3));
	cr_expect_not(http_reason_ok("a\x7f", 2));
	char longer[HTTP_REASON_MAX + 1];
	memset(longer, 'x', sizeof(longer));
	cr_expect_not(http_reason_ok(longer, sizeof(longer)));
	cr_expect(http_reason_ok(longer, sizeof(longer) - 1));
}


Test(response, unknown_status_line)
{
	r.status = 299;
	expect_head(false, "HTTP/1.1 299 \r\nDate: " DATE "\r\n"
			   "Server: prefork-httpd\r\nContent-Length: 0\r\n"
			   "Connection: close\r\n\r\n");
}

Test(response, reset_keeps_buffer)
{
	response_header(&r, "A", "b");
	r.status = 404;
	response_reset(&r);
	cr_assert_eq(r.hbuf, hbuf);
	cr_assert_eq(r.hcap, sizeof(hbuf));
	cr_assert_eq(r.hlen, 0);
	cr_assert_eq(r.status, 200);
}

Test(response, body_sent_excludes_head)
{
	r.head_len = 300;
	r.bytes_sent = 0;
	cr_expect_eq(response_body_sent(&r), 0);
	r.bytes_sent = 200; /* cut inside the head */
	cr_expect_eq(response_body_sent(&r), 0);
	r.bytes_sent = 300;
	cr_expect_eq(response_body_sent(&r), 0);
	r.bytes_sent = 1732;
	cr_expect_eq(response_body_sent(&r), 1432);
}
