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
	cr_assert_str_eq(http_reason(299), "Unknown");
}

Test(response, unknown_status_line)
{
	r.status = 299;
	expect_head(false, "HTTP/1.1 299 Unknown\r\nDate: " DATE "\r\n"
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
