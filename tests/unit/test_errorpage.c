/*
 * test_errorpage.c -- error_pages: keys, which level's page, and the
 * built-in body replaced while the status and headers stay.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errorpage.h"
#include "filecache.h"

static char dir[64];
static char f404[128], f5xx[128], fbig[128], fhost[128], froute[128];
static char hbuf[1024];
static struct response res;

static void write_file(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static void setup(void)
{
	static char big[40000];

	snprintf(dir, sizeof(dir), "/tmp/test_errorpage.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(f404, sizeof(f404), "%s/404.html", dir);
	snprintf(f5xx, sizeof(f5xx), "%s/50x.txt", dir);
	snprintf(fbig, sizeof(fbig), "%s/big.html", dir);
	snprintf(fhost, sizeof(fhost), "%s/host.html", dir);
	snprintf(froute, sizeof(froute), "%s/route.html", dir);
	write_file(f404, "<p>not here</p>\n", 16);
	write_file(f5xx, "down\n", 5);
	memset(big, 'x', sizeof(big));
	write_file(fbig, big, sizeof(big));
	write_file(fhost, "host\n", 5);
	write_file(froute, "route\n", 6);
	filecache_clear();
	response_init(&res, hbuf, sizeof(hbuf));
}

static void teardown(void)
{
	char cmd[128];

	filecache_clear();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(errorpage, .init = setup, .fini = teardown);

Test(errorpage, keys)
{
	cr_expect_eq(errorpage_key("404"), 404);
	cr_expect_eq(errorpage_key("599"), 599);
	cr_expect_eq(errorpage_key("400"), 400);
	cr_expect_eq(errorpage_key("5xx"), 5);
	cr_expect_eq(errorpage_key("4XX"), 4);
	cr_expect_eq(errorpage_key("399"), -1);
	cr_expect_eq(errorpage_key("600"), -1);
	cr_expect_eq(errorpage_key("3xx"), -1);
	cr_expect_eq(errorpage_key("40"), -1);
	cr_expect_eq(errorpage_key("4044"), -1);
	cr_expect_eq(errorpage_key("4x4"), -1);
	cr_expect_eq(errorpage_key(""), -1);
}

Test(errorpage, exact_before_class_and_levels)
{
	struct error_page top_v[] = { { 5, f5xx }, { 404, f404 }, { 503, fbig } };
	struct error_page host_v[] = { { 4, fhost } };
	struct error_page route_v[] = { { 403, froute } };
	struct config cfg = { .error_pages = { top_v, 3 } };
	struct vhost host = { .error_pages = { host_v, 1 } };
	struct route route = { .error_pages = { route_v, 1 } };

	cr_expect_eq(errorpage_find(&cfg.error_pages, 503), &top_v[2]);
	cr_expect_eq(errorpage_find(&cfg.error_pages, 500), &top_v[0]);
	cr_expect_eq(errorpage_find(&cfg.error_pages, 404), &top_v[1]);
	cr_expect_null(errorpage_find(&cfg.error_pages, 403));
	cr_expect_eq(errorpage_for(&cfg, NULL, NULL, 404), &top_v[1]);
	/* the host's 4xx before the top level's 404 */
	cr_expect_eq(errorpage_for(&cfg, &host, NULL, 404), &host_v[0]);
	cr_expect_eq(errorpage_for(&cfg, &host, &route, 403), &route_v[0]);
	cr_expect_eq(errorpage_for(&cfg, &host, &route, 404), &host_v[0]);
	cr_expect_eq(errorpage_for(&cfg, &host, &route, 502), &top_v[0]);
	cr_expect_null(errorpage_for(&cfg, NULL, NULL, 301));
}

static bool has_header(const char *line)
{
	return memmem(res.hbuf, res.hlen, line, strlen(line)) != NULL;
}

Test(errorpage, replaces_the_builtin_body)
{
	struct error_page v[] = { { 404, f404 }, { 5, f5xx } };
	struct config cfg = { .error_pages = { v, 2 } };

	response_error(&res, 405);
	response_header(&res, "Allow", "GET, HEAD");
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect(strstr(res.body, "405") != NULL, "no page for 405: built-in");

	response_reset(&res);
	response_error(&res, 404);
	response_header(&res, "X-Keep", "1");
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect_eq(res.status, 404);
	cr_assert_eq(res.body_len, 16);
	cr_expect_eq(memcmp(res.body, "<p>not here</p>\n", 16), 0);
	cr_expect(has_header("X-Keep: 1\r\n"));
	cr_expect(has_header("Content-Type: text/html; charset=utf-8\r\n"));

	response_reset(&res);
	response_error(&res, 503);
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect_eq(res.status, 503);
	cr_assert_eq(res.body_len, 5);
	cr_expect_eq(memcmp(res.body, "down\n", 5), 0);
	cr_expect(has_header("Content-Type: text/plain; charset=utf-8\r\n"));
	cr_expect(!has_header("text/html"), "the built-in type is gone");
	cr_expect(res.close, "a 503 still closes");
}

Test(errorpage, only_the_servers_own_errors)
{
	struct error_page v[] = { { 4, f404 } };
	struct config cfg = { .error_pages = { v, 1 } };

	/* a body set by a handler (a CGI's own 404) is kept */
	res.status = 404;
	response_body_mem(&res, "mine", 4);
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect_eq(res.body_len, 4);
	cr_expect_eq(memcmp(res.body, "mine", 4), 0);
	/* as is a streamed answer */
	response_reset(&res);
	response_error(&res, 404);
	res.head_sent = true;
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect(strstr(res.body, "404 Not Found") != NULL);
}

Test(errorpage, big_page_from_a_file_unless_memory_only)
{
	struct error_page v[] = { { 500, fbig } };
	struct config cfg = { .error_pages = { v, 1 } };

	response_error(&res, 500);
	errorpage_apply(&res, &cfg, NULL, NULL, false);
	cr_expect(strstr(res.body, "500") != NULL, "memory only: built-in");
	response_reset(&res);
	response_error(&res, 500);
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect_null(res.body);
	cr_expect_geq(res.fd, 0);
	cr_expect(!res.fd_owned, "the cache keeps its descriptor");
	cr_expect_eq(res.file_len, 40000);
}

Test(errorpage, missing_page_keeps_the_builtin)
{
	struct error_page v[] = { { 404, f404 } };
	struct config cfg = { .error_pages = { v, 1 } };

	cr_assert_eq(unlink(f404), 0);
	response_error(&res, 404);
	errorpage_apply(&res, &cfg, NULL, NULL, true);
	cr_expect_eq(res.status, 404);
	cr_expect(strstr(res.body, "404 Not Found") != NULL);
}
