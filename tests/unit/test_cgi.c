/* test_cgi.c -- the CGI header block parser and the meta-variables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cgi.h"

static ssize_t parse(const char *s, struct cgi_head *h)
{
	return cgi_head_parse(s, strlen(s), h);
}

static bool span_eq(struct span sp, const char *s)
{
	return sp.len == strlen(s) && memcmp(sp.p, s, sp.len) == 0;
}

Test(cgi_head, document_response)
{
	const char *s = "Content-Type: text/plain\nX-A: 1\n\nbody";
	struct cgi_head h;

	cr_assert_eq(parse(s, &h), (ssize_t)(strlen(s) - 4));
	cr_assert(span_eq(h.content_type, "text/plain"));
	cr_assert_eq(h.nextra, 1);
	cr_assert(span_eq(h.extra[0].name, "X-A"));
	cr_assert(span_eq(h.extra[0].value, "1"));
	cr_assert_eq(h.content_length, -1);
	cr_assert_eq(cgi_head_status(&h), 200);
}

Test(cgi_head, crlf_and_status)
{
	const char *s = "Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n";
	struct cgi_head h;

	cr_assert_eq(parse(s, &h), (ssize_t)strlen(s));
	cr_assert_eq(h.status, 404);
	cr_assert_eq(cgi_head_status(&h), 404);
}

Test(cgi_head, location_gives_302_unless_status)
{
	struct cgi_head h;

	cr_assert_gt(parse("Location: /elsewhere\n\n", &h), 0);
	cr_assert_eq(cgi_head_status(&h), 302);
	cr_assert(span_eq(h.location, "/elsewhere"));
	cr_assert_gt(parse("Location: http://x/\nStatus: 301 Moved\n\n", &h), 0);
	cr_assert_eq(cgi_head_status(&h), 301);
}

Test(cgi_head, incomplete)
{
	struct cgi_head h;

	cr_assert_eq(parse("Content-Type: text/plain\n", &h), 0);
	cr_assert_eq(parse("Content-Ty", &h), 0);
	cr_assert_eq(parse("", &h), 0);
}

Test(cgi_head, garbage)
{
	struct cgi_head h;

	cr_assert_eq(parse("this is not a header\n\n", &h), -1);
	cr_assert_eq(parse("\n\nbody", &h), -1);      /* no field at all */
	cr_assert_eq(parse("Bad Name: x\n\n", &h), -1);
	cr_assert_eq(parse(": x\n\n", &h), -1);
	cr_assert_eq(parse("Status: abc\n\n", &h), -1);
	cr_assert_eq(parse("Status: 99\n\n", &h), -1);
	cr_assert_eq(parse("Status: 600 Big\n\n", &h), -1);
	cr_assert_eq(parse("Status: 2000\n\n", &h), -1);
	cr_assert_eq(parse("Content-Length: -1\n\n", &h), -1);
	cr_assert_eq(parse("Content-Length: 1x\n\n", &h), -1);
	cr_assert_eq(parse("Location:\n\n", &h), -1);
	cr_assert_eq(parse("A: b\rc\n\n", &h), -1);
}

Test(cgi_head, content_length_and_dropped_fields)
{
	struct cgi_head h;

	cr_assert_gt(parse("Content-Length: 12\nConnection: close\n"
			   "Transfer-Encoding: chunked\nDate: x\nServer: y\n"
			   "Content-Type: a/b\n\n", &h), 0);
	cr_assert_eq(h.content_length, 12);
	cr_assert_eq(h.nextra, 0);
}

Test(cgi_head, value_whitespace_trimmed)
{
	struct cgi_head h;

	cr_assert_gt(parse("X-Y:   spaced value \t\n\n", &h), 0);
	cr_assert(span_eq(h.extra[0].value, "spaced value"));
}

Test(cgi_head, too_many_fields)
{
	char buf[CGI_HEADERS_MAX * 8 + 16];
	size_t n = 0;
	struct cgi_head h;

	for (int i = 0; i <= CGI_HEADERS_MAX; i++)
		n += (size_t)sprintf(buf + n, "X%d: v\n", i % 10);
	strcpy(buf + n, "\n");
	cr_assert_eq(parse(buf, &h), -1);
}

/*
 * Field values with control bytes: refused (the script's answer is then
 * 502), whatever the field; HTAB and obs-text are allowed.  Values are
 * given with their length, so that NUL can be one of them.
 */
struct value_case {
	const char *name;
	const char *value;
	size_t vlen;
	bool ok;
};

#define VAL(s) s, sizeof(s) - 1

static const struct value_case value_cases[] = {
	{ "X-A", VAL("plain value"), true },
	{ "X-A", VAL("tab\tinside"), true },
	{ "X-A", VAL("obs-text \x80\xff"), true },
	{ "X-A", VAL("nul\0inside"), false },
	{ "X-A", VAL("cr\rinside"), false },
	{ "X-A", VAL("vt\x0binside"), false },
	{ "X-A", VAL("ff\x0cinside"), false },
	{ "X-A", VAL("esc\x1b[31mred"), false },
	{ "X-A", VAL("del\x7finside"), false },
	{ "X-A", VAL("bel\x07"), false },
	{ "X-A", VAL("\x01leading"), false },
	{ "Location", VAL("/x\x0b"), false },
	{ "Content-Type", VAL("text/plain\x1b"), false },
	{ "Status", VAL("200 O\x7fK"), false },
	{ "Server", VAL("dropped\x1b" "anyway"), false },
};

static ssize_t parse_field_value(const char *name, const char *v, size_t vlen,
				 struct cgi_head *h)
{
	char buf[256];
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s: ", name);

	cr_assert_lt(n + vlen + 2, sizeof buf);
	memcpy(buf + n, v, vlen);
	n += vlen;
	memcpy(buf + n, "\n\n", 2);
	return cgi_head_parse(buf, n + 2, h);
}

Test(cgi_head, control_bytes_in_values)
{
	size_t refused = 0, n = sizeof value_cases / sizeof value_cases[0];
	struct cgi_head h;

	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		const struct value_case *c = &value_cases[i];
		ssize_t got = parse_field_value(c->name, c->value, c->vlen, &h);
		if (c->ok)
			cr_expect_gt(got, 0, "case %zu (%s) should be accepted", i,
				     c->name);
		else
			cr_expect_eq(got, -1, "case %zu (%s) should be refused", i,
				     c->name);
		refused += got < 0;
	}
	cr_expect_gt(refused, 0);
}

/* Every byte value in the middle of a value: exactly the CTLs but HTAB
 * (LF ends the line, leaving "b" as a line without a colon) are refused. */
Test(cgi_head, every_control_byte)
{
	unsigned refused = 0;
	struct cgi_head h;

	for (unsigned c = 0; c < 256; c++) {
		char v[3] = { 'a', (char)c, 'b' };
		bool ctl = (c < 0x20 && c != '\t') || c == 0x7f;
		ssize_t got = parse_field_value("X-A", v, sizeof v, &h);
		cr_expect_eq(got < 0, ctl, "byte 0x%02x: %s", c,
			     ctl ? "accepted" : "refused");
		refused += got < 0;
	}
	cr_expect_eq(refused, 32);
}

/* ---- environment ---- */

#define SP(s) { s, sizeof(s) - 1 }

static struct header hdrs[] = {
	{ SP("Host"), SP("example.org:8080") },
	{ SP("User-Agent"), SP("test/1") },
	{ SP("Proxy"), SP("http://evil:1") },
	{ SP("Content-Type"), SP("text/plain") },
	{ SP("Content-Length"), SP("5") },
	{ SP("X-Dup"), SP("a") },
	{ SP("x-dup"), SP("b") },
	{ SP("X_Under"), SP("spoof") },
	{ SP("Cookie"), SP("a=1") },
	{ SP("Cookie"), SP("b=2") },
};

static struct request make_request(void)
{
	struct request r;

	memset(&r, 0, sizeof r);
	r.method_name = (struct span)SP("POST");
	r.http_major = 1;
	r.http_minor = 1;
	r.target = (struct span)SP("/cgi-bin/env.sh/a/b?x=1&y=2");
	r.query = (struct span)SP("x=1&y=2");
	r.headers = hdrs;
	r.nheaders = sizeof(hdrs) / sizeof(hdrs[0]);
	r.content_type = (struct span)SP("text/plain");
	r.has_length = true;
	r.content_length = 5;
	return r;
}

static const struct cgi_meta meta = {
	.server_software = "prefork-httpd/0",
	.server_name = "example.org",
	.server_port = "8080",
	.remote_addr = "127.0.0.1",
	.remote_port = "5555",
	.document_root = "/srv/www",
	.script_name = "/cgi-bin/env.sh",
	.script_filename = "/srv/cgi-bin/env.sh",
	.path_info = "/a/b",
	.path_translated = "/srv/www/a/b",
};

static void expect(const struct cgi_env *e, const char *name, const char *v)
{
	const char *got = cgi_env_get(e, name);

	cr_assert_not_null(got, "%s missing", name);
	cr_assert_str_eq(got, v, "%s", name);
}

Test(cgi_env, meta_variables)
{
	struct cgi_env e = { 0 };
	struct request r = make_request();

	cr_assert_eq(cgi_env_build(&e, &r, &meta), 0);
	expect(&e, "GATEWAY_INTERFACE", "CGI/1.1");
	expect(&e, "SERVER_PROTOCOL", "HTTP/1.1");
	expect(&e, "SERVER_SOFTWARE", "prefork-httpd/0");
	expect(&e, "SERVER_NAME", "example.org");
	expect(&e, "SERVER_PORT", "8080");
	expect(&e, "REQUEST_METHOD", "POST");
	expect(&e, "QUERY_STRING", "x=1&y=2");
	expect(&e, "PATH_INFO", "/a/b");
	expect(&e, "PATH_TRANSLATED", "/srv/www/a/b");
	expect(&e, "SCRIPT_NAME", "/cgi-bin/env.sh");
	expect(&e, "SCRIPT_FILENAME", "/srv/cgi-bin/env.sh");
	expect(&e, "REQUEST_URI", "/cgi-bin/env.sh/a/b?x=1&y=2");
	expect(&e, "CONTENT_LENGTH", "5");
	expect(&e, "CONTENT_TYPE", "text/plain");
	expect(&e, "REMOTE_ADDR", "127.0.0.1");
	expect(&e, "REMOTE_PORT", "5555");
	expect(&e, "DOCUMENT_ROOT", "/srv/www");
	expect(&e, "PATH", CGI_SAFE_PATH);
	cr_assert_null(e.vars[e.n]);
	cgi_env_free(&e);
}

Test(cgi_env, http_headers)
{
	struct cgi_env e = { 0 };
	struct request r = make_request();

	cr_assert_eq(cgi_env_build(&e, &r, &meta), 0);
	expect(&e, "HTTP_HOST", "example.org:8080");
	expect(&e, "HTTP_USER_AGENT", "test/1");
	expect(&e, "HTTP_X_DUP", "a, b");
	expect(&e, "HTTP_COOKIE", "a=1; b=2");
	cr_assert_null(cgi_env_get(&e, "HTTP_PROXY"), "httpoxy");
	cr_assert_null(cgi_env_get(&e, "HTTP_CONTENT_TYPE"));
	cr_assert_null(cgi_env_get(&e, "HTTP_CONTENT_LENGTH"));
	cr_assert_null(cgi_env_get(&e, "HTTP_X_UNDER"), "names with '_'");
	for (size_t i = 0; i < e.n; i++) /* one variable per name */
		for (size_t k = i + 1; k < e.n; k++)
			cr_assert(strcspn(e.vars[i], "=") != strcspn(e.vars[k], "=") ||
				  strncmp(e.vars[i], e.vars[k], strcspn(e.vars[i], "=")) != 0,
				  "%s twice", e.vars[i]);
	cgi_env_free(&e);
}

Test(cgi_env, no_body_no_path_info)
{
	struct cgi_env e = { 0 };
	struct request r = make_request();
	struct cgi_meta m = meta;

	r.method_name = (struct span)SP("GET");
	r.has_length = false;
	r.content_length = 0;
	r.content_type = (struct span){ NULL, 0 };
	r.query = (struct span){ NULL, 0 };
	r.nheaders = 2;
	m.path_info = "";
	m.path_translated = NULL;
	cr_assert_eq(cgi_env_build(&e, &r, &m), 0);
	cr_assert_null(cgi_env_get(&e, "CONTENT_LENGTH"));
	cr_assert_null(cgi_env_get(&e, "CONTENT_TYPE"));
	cr_assert_null(cgi_env_get(&e, "PATH_TRANSLATED"));
	expect(&e, "PATH_INFO", "");
	expect(&e, "QUERY_STRING", "");
	/* Reused for the next request. */
	r.nheaders = 1;
	cr_assert_eq(cgi_env_build(&e, &r, &m), 0);
	cr_assert_null(cgi_env_get(&e, "HTTP_USER_AGENT"));
	cgi_env_free(&e);
}

Test(cgi_env, chunked_body_has_no_length)
{
	struct cgi_env e = { 0 };
	struct request r = make_request();

	r.chunked = true;
	r.has_length = false;
	cr_assert_eq(cgi_env_build(&e, &r, &meta), 0);
	cr_assert_null(cgi_env_get(&e, "CONTENT_LENGTH"));
	cgi_env_free(&e);
}

Test(cgi_env, limit)
{
	struct cgi_env e = { 0 };
	struct request r = make_request();

	e.max_bytes = 64;
	cr_assert_eq(cgi_env_build(&e, &r, &meta), -1);
	cgi_env_free(&e);
}
