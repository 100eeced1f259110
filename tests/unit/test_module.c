/*
 * test_module.c -- loading modules and the API they see, with the modules
 * built by make (hello, echo, the test modules and the example extracted
 * from docs/modules.md).  The exchange functions of conn.c are replaced
 * here by stubs that record the answer, so no socket is involved.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "handler.h"
#include "handler_ctx.h"
#include "module.h"

#define B TOP_BUILDDIR

/* ---- the stubs: what the module answered ---- */

static char out[1 << 16];
static size_t outlen;
static int64_t started_len = -2;
static bool ended;
static const char *body_in;
static size_t body_left;

int exchange_start(struct exchange *x, int64_t length)
{
	if (!x->res->head_sent) {
		x->res->head_sent = true;
		x->res->streaming = true;
		started_len = length;
	}
	return 0;
}

int exchange_write(struct exchange *x, const void *p, size_t n)
{
	exchange_start(x, -1);
	cr_assert_leq(n, sizeof(out) - outlen);
	memcpy(out + outlen, p, n);
	outlen += n;
	return 0;
}

int exchange_end(struct exchange *x)
{
	(void)x;
	ended = true;
	return 0;
}

static bool aborted;

void exchange_abort(struct exchange *x)
{
	(void)x;
	aborted = true;
}

ssize_t exchange_read_body(struct exchange *x, char *buf, size_t cap)
{
	size_t n = body_left < cap ? body_left : cap;

	(void)x;
	if (n > 3)
		n = 3; /* small pieces: the module must loop */
	memcpy(buf, body_in, n);
	body_in += n;
	body_left -= n;
	return (ssize_t)n;
}

/* ---- a request ---- */

#define SP(s) { s, sizeof(s) - 1 }

static struct header hdrs[] = {
	{ SP("Host"), SP("x") },
	{ SP("X-Test"), SP("yes") },
};
static char hbuf[4096];
static struct response res;
static struct request req;
static struct sockaddr_in peer;

static struct exchange request(const struct config *cfg, size_t route,
			       const char *method, const char *path,
			       const char *query, const char *body)
{
	static char target[256];
	static struct handler_ctx hctx;
	struct exchange x = { .req = &req, .res = &res, .cfg = cfg, .hctx = &hctx };

	if (hctx.mod == NULL)
		cr_assert_not_null(hctx.mod = module_state_new());
	snprintf(target, sizeof target, "%s%s%s", path, query[0] ? "?" : "", query);
	memset(&req, 0, sizeof req);
	req.method_name = (struct span){ method, strlen(method) };
	req.method = strcmp(method, "POST") == 0 ? HTTP_POST : HTTP_GET;
	req.http_major = req.http_minor = 1;
	req.target = (struct span){ target, strlen(target) };
	req.query = (struct span){ query, strlen(query) };
	req.headers = hdrs;
	req.nheaders = 2;
	req.has_length = body != NULL;
	req.content_length = body ? strlen(body) : 0;
	body_in = body;
	body_left = body ? strlen(body) : 0;
	response_init(&res, hbuf, sizeof hbuf);
	response_reset(&res);
	peer.sin_family = AF_INET;
	peer.sin_port = htons(4242);
	peer.sin_addr.s_addr = htonl(0x7f000001);
	x.peer = (const struct sockaddr *)&peer;
	x.route = &cfg->routes[route];
	x.path = path;
	x.path_len = strlen(path);
	outlen = 0;
	started_len = -2;
	ended = false;
	return x;
}

static struct config *load(const char *yaml)
{
	struct config_errors e = { 0 };
	struct config *cfg = config_load_string("test.yaml", B, yaml,
						strlen(yaml), &e);

	for (size_t i = 0; i < e.count; i++)
		cr_log_error("%s", e.msg[i]);
	cr_assert_not_null(cfg);
	config_errors_free(&e);
	return cfg;
}

static bool has_header(const char *line)
{
	return memmem(res.hbuf, res.hlen, line, strlen(line)) != NULL;
}

static const char yaml[] =
	"listen: 127.0.0.1:1\n"
	"root: /\n"
	"routes:\n"
	"  - prefix: /hello/\n"
	"    module: {path: " B "/modules/hello/hello.so, options: {greeting: Hey}}\n"
	"    headers: {X-Route: hello}\n"
	"  - prefix: /echo/\n"
	"    module: {path: " B "/modules/echo/echo.so}\n"
	"  - prefix: /misc/\n"
	"    module: {path: " B "/tests/modules/misc.so, options: {file: " B "/tests/modules/doc_example.c}}\n"
	"  - prefix: /counter/\n"
	"    module: {path: " B "/tests/modules/doc_example.so, options: {start: \"100\"}}\n"
	"  - prefix: /hi/\n"
	"    module: {path: " B "/modules/hello/hello.so}\n";

static struct config *cfg;

static size_t route_index(const char *prefix)
{
	for (size_t i = 0; i < cfg->nroutes; i++)
		if (strcmp(cfg->routes[i].prefix, prefix) == 0)
			return i;
	cr_assert_fail("no route %s", prefix);
	return 0;
}

static void setup(void)
{
	struct config_errors e = { 0 };

	cfg = load(yaml);
	cr_assert_eq(modules_load(cfg, &e), 0, "%s", e.count ? e.msg[0] : "");
	config_errors_free(&e);
}

static void teardown(void)
{
	modules_unload(cfg);
	config_free(cfg);
}

static struct exchange on(const char *prefix, const char *method,
			  const char *path, const char *query, const char *body)
{
	return request(cfg, route_index(prefix), method, path, query, body);
}

TestSuite(module, .init = setup, .fini = teardown);

Test(module, hello_with_option_and_query)
{
	struct exchange x = on("/hello/", "GET", "/hello/", "name=Ada+L%2e", NULL);

	module_serve(&x);
	cr_assert_eq(res.status, 200);
	cr_assert_eq(started_len, (int64_t)strlen("Hey, Ada L.!\n"));
	cr_assert(ended);
	cr_assert_eq(outlen, strlen("Hey, Ada L.!\n"));
	cr_assert(memcmp(out, "Hey, Ada L.!\n", outlen) == 0);
	cr_assert(has_header("X-Route: hello\r\n"));
	cr_assert(has_header("Content-Type: text/plain; charset=utf-8\r\n"));
}

Test(module, hello_defaults_on_second_route)
{
	struct exchange x = on("/hi/", "GET", "/hi/", "", NULL);

	module_serve(&x);
	cr_assert_eq(outlen, strlen("Hello, world!\n"));
	cr_assert(memcmp(out, "Hello, world!\n", outlen) == 0);
}

Test(module, echo_reads_the_body)
{
	static const char want[] = "POST /echo/a?q=1 HTTP/1.1\nHost: x\n"
				   "X-Test: yes\n\nhello body";
	struct exchange x = on("/echo/", "POST", "/echo/a", "q=1", "hello body");

	module_serve(&x);
	cr_assert_eq(started_len, -1);
	cr_assert_eq(outlen, strlen(want));
	cr_assert(memcmp(out, want, outlen) == 0, "%.*s", (int)outlen, out);
}

Test(module, nothing_or_error_is_500)
{
	struct exchange x = on("/misc/", "GET", "/misc/nothing", "", NULL);

	module_serve(&x);
	cr_assert_eq(res.status, 500);
	cr_assert_not(res.head_sent);
	x = on("/misc/", "GET", "/misc/error", "", NULL);
	module_serve(&x);
	cr_assert_eq(res.status, 500);
}

Test(module, status_without_body)
{
	struct exchange x = on("/misc/", "GET", "/misc/status", "", NULL);

	module_serve(&x);
	cr_assert_eq(res.status, 204);
	cr_assert(res.head_sent);
	cr_assert_eq(outlen, 0);
}

Test(module, sendfile_as_the_whole_body)
{
	struct exchange x = on("/misc/", "GET", "/misc/file", "", NULL);

	module_serve(&x);
	cr_assert_eq(res.status, 200);
	cr_assert_not(res.head_sent);
	cr_assert_geq(res.fd, 0);
	cr_assert(res.fd_owned);
	cr_assert_gt(res.file_len, 0);
	cr_assert_eq(fcntl(res.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(res.fd);
}

Test(module, sendfile_after_a_write_is_copied)
{
	struct exchange x = on("/misc/", "GET", "/misc/mixed", "", NULL);
	char file[64];
	int fd = open(B "/tests/modules/doc_example.c", O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, file, sizeof file);
	close(fd);
	module_serve(&x);
	cr_assert_eq(res.fd, -1);
	cr_assert_gt(outlen, 5 + (size_t)n);
	cr_assert(memcmp(out, "head:", 5) == 0);
	cr_assert(memcmp(out + 5, file, (size_t)n) == 0);
}

Test(module, doc_example_runs)
{
	struct exchange x = on("/counter/", "GET", "/counter/", "", NULL);

	module_serve(&x);
	cr_assert_eq(outlen, strlen("request 101\n"));
	cr_assert(memcmp(out, "request 101\n", outlen) == 0);
	x = on("/counter/", "POST", "/counter/", "", "0123456789");
	module_serve(&x);
	cr_assert(memcmp(out, "posted 10 bytes\n", outlen) == 0);
}

/* ---- loading errors ---- */

static void expect_refused(const char *route_yaml, const char *want)
{
	char text[1024];
	struct config_errors e = { 0 };
	struct config *c;

	snprintf(text, sizeof text, "listen: 127.0.0.1:1\nroot: /\nroutes:\n%s",
		 route_yaml);
	c = load(text);
	cr_assert_eq(modules_load(c, &e), -1);
	cr_assert_eq(e.count, 1);
	cr_assert(strstr(e.msg[0], want) != NULL, "got: %s", e.msg[0]);
	config_errors_free(&e);
	modules_unload(c);
	config_free(c);
}

Test(module_load, abi_mismatch)
{
	expect_refused("  - prefix: /x/\n    module: {path: " B "/tests/modules/badabi.so}\n",
		       B "/tests/modules/badabi.so: ABI 2, this server speaks 1");
}

Test(module_load, not_a_module)
{
	expect_refused("  - prefix: /x/\n    module: {path: " B "/tests/modules/doc_example.c}\n",
		       "cannot load");
}

Test(module_load, init_refuses)
{
	expect_refused("  - prefix: /x/\n    module: {path: " B
		       "/tests/modules/misc.so, options: {refuse: \"yes\"}}\n",
		       "refused its options");
}

Test(module_load, unloaded_route_is_500)
{
	struct config *c = load("listen: 127.0.0.1:1\nroot: /\nroutes:\n"
				"  - prefix: /x/\n    module: {path: " B
				"/modules/hello/hello.so}\n");
	struct exchange x = request(c, 0, "GET", "/x/", "", NULL);

	module_serve(&x); /* modules_load was never called for c */
	cr_assert_eq(res.status, 500);
	config_free(c);
}

Test(module_load, two_generations_share_and_reload)
{
	struct config *a = load(yaml), *b = load(yaml);
	struct config_errors e = { 0 };
	struct exchange x;

	cr_assert_eq(modules_load(a, &e), 0);
	cr_assert_eq(modules_load(b, &e), 0);
	modules_unload(a); /* b keeps serving */
	config_free(a);
	x = request(b, 0, "GET", "/hello/", "", NULL);
	for (size_t i = 0; i < b->nroutes; i++)
		if (strcmp(b->routes[i].prefix, "/hello/") == 0)
			x.route = &b->routes[i];
	module_serve(&x);
	cr_assert(memcmp(out, "Hey, world!\n", outlen) == 0);
	modules_unload(b);
	config_free(b);
}
