/*
 * Unit tests for static_serve() against a temporary tree:
 *
 *   TMP/secret.txt               outside the document root
 *   TMP/www/                     the document root
 *       hello.txt  page.html  empty.txt  big.bin (sparse, 5 GiB)
 *       dir/style.css            a directory without index
 *       site/index.html          a directory with an index
 *       .env  .git/config  .well-known/acme.txt
 *       link.txt -> hello.txt    sitelink -> site
 *       escape -> ../secret.txt  escdir -> ..  abs -> /etc/passwd
 *       loop1 -> loop2 -> loop1  fifo (a named pipe)
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "handler.h"
#include "path.h"
#include "filecache.h"
#include "static.h"

static char tmp[PATH_MAX];
static char docroot[PATH_MAX + 8];
static const char *index_names[] = {"index.html", "index.htm"};
static struct config cfg;
static struct request req;
static struct response res;
static char hbuf[4096];
static char normbuf[PATH_MAX];
static struct exchange x;

static void put_file(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	int fd;

	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void put_dir(const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "%s: %s", p, strerror(errno));
}

static void put_link(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	cr_assert_eq(symlink(target, p), 0, "%s: %s", p, strerror(errno));
}

static void setup(void)
{
	char p[PATH_MAX * 2];
	int fd;

	strcpy(tmp, "/tmp/test_static.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(docroot, sizeof docroot, "%s/www", tmp);
	put_file("secret.txt", "secret\n");
	put_dir("www");
	put_file("www/hello.txt", "hello world\n");
	put_file("www/page.html", "<p>page</p>\n");
	put_file("www/empty.txt", "");
	put_dir("www/dir");
	put_file("www/dir/style.css", "p{}\n");
	put_dir("www/site");
	put_file("www/site/index.html", "<p>index</p>\n");
	put_file("www/.env", "SECRET=1\n");
	put_dir("www/.git");
	put_file("www/.git/config", "[core]\n");
	put_dir("www/.well-known");
	put_file("www/.well-known/acme.txt", "token\n");
	put_link("hello.txt", "www/link.txt");
	put_link("site", "www/sitelink");
	put_link("../secret.txt", "www/escape");
	put_link("..", "www/escdir");
	put_link("/etc/passwd", "www/abs");
	put_link("loop2", "www/loop1");
	put_link("loop1", "www/loop2");
	snprintf(p, sizeof p, "%s/www/fifo", tmp);
	cr_assert_eq(mkfifo(p, 0644), 0);
	snprintf(p, sizeof p, "%s/www/big.bin", tmp);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)5 << 30), 0);
	close(fd);

	memset(&cfg, 0, sizeof cfg);
	cfg.root = docroot;
	cfg.index = index_names;
	cfg.nindex = 2;
	memset(&req, 0, sizeof req);
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void teardown(void)
{
	if (res.fd >= 0 && res.fd_owned)
		close(res.fd);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Serve raw (the path as sent) with method m; query may be NULL. */
static struct response *serve_q(enum http_method m, const char *raw,
				const char *query)
{
	size_t n = 0;
	int st;

	if (res.hbuf && res.fd >= 0 && res.fd_owned)
		close(res.fd);
	filecache_clear(); /* each request resolves afresh (see cache_hit) */
	response_init(&res, hbuf, sizeof hbuf);
	req.method = m;
	req.path.p = raw;
	req.path.len = strlen(raw);
	req.query.p = query;
	req.query.len = query ? strlen(query) : 0;
	st = path_normalize(raw, strlen(raw), normbuf, sizeof normbuf, &n);
	cr_assert_eq(st, 0, "path_normalize(%s) = %d", raw, st);
	memset(&x, 0, sizeof x);
	x.req = &req;
	x.res = &res;
	x.cfg = &cfg;
	x.path = normbuf;
	x.path_len = n;
	static_serve(&x);
	return &res;
}

static struct response *serve(enum http_method m, const char *raw)
{
	return serve_q(m, raw, NULL);
}

static bool has_header(const struct response *r, const char *line)
{
	char want[512];
	size_t n = (size_t)snprintf(want, sizeof want, "%s\r\n", line);

	return memmem(r->hbuf, r->hlen, want, n) != NULL;
}

static bool has_name(const struct response *r, const char *name)
{
	char want[128];
	size_t n = (size_t)snprintf(want, sizeof want, "%s: ", name);

	return memmem(r->hbuf, r->hlen, want, n) != NULL;
}

/*
 * The file bytes the response would send: from memory when the per-worker
 * file cache holds the (small) file, else from an owned descriptor.
 */
static void expect_body(const struct response *r, const char *want)
{
	char buf[256];
	size_t n = strlen(want);

	if (r->body != NULL) {
		cr_assert_eq(r->body_len, n);
		cr_expect_eq(memcmp(r->body, want, n), 0);
		return;
	}
	cr_assert_geq(r->fd, 0);
	cr_assert(r->fd_owned);
	cr_assert_eq((size_t)r->file_len, n);
	cr_assert_eq(pread(r->fd, buf, n, r->file_off), (ssize_t)n);
	cr_expect_eq(memcmp(buf, want, n), 0);
	cr_expect_eq(fcntl(r->fd, F_GETFL) & O_NONBLOCK, 0);
	cr_expect(fcntl(r->fd, F_GETFD) & FD_CLOEXEC);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

TestSuite(static_, .init = setup, .fini = teardown);

Test(static_, regular_file)
{
	struct response *r = serve(HTTP_GET, "/hello.txt");

	cr_expect_eq(r->status, 200);
	cr_expect(has_header(r, "Content-Type: text/plain; charset=utf-8"));
	cr_expect(has_header(r, "Accept-Ranges: bytes"));
	cr_expect(has_name(r, "ETag"));
	cr_expect(has_name(r, "Last-Modified"));
	expect_body(r, "hello world\n"); /* small: from memory, via the cache */
	cr_expect_eq(response_content_length(r), 12);
}

Test(static_, head_same_headers)
{
	struct response *r = serve(HTTP_HEAD, "/page.html");

	cr_expect_eq(r->status, 200);
	cr_expect(has_header(r, "Content-Type: text/html; charset=utf-8"));
	cr_expect_eq(response_content_length(r), 12);
}

Test(static_, percent_encoded_name)
{
	put_file("www/a b.txt", "spaced\n");
	cr_expect_eq(serve(HTTP_GET, "/a%20b.txt")->status, 200);
	expect_body(&res, "spaced\n");
}

Test(static_, empty_file)
{
	struct response *r = serve(HTTP_GET, "/empty.txt");

	cr_expect_eq(r->status, 200);
	cr_expect_eq(response_content_length(r), 0);
	cr_expect_lt(r->fd, 0);
}

Test(static_, missing_is_404)
{
	cr_expect_eq(serve(HTTP_GET, "/nope.txt")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/nope/deeper.txt")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt/")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt/x")->status, 404);
}

Test(static_, directory_redirect)
{
	struct response *r = serve(HTTP_GET, "/site");

	cr_expect_eq(r->status, 301);
	cr_expect(has_header(r, "Location: /site/"));

	r = serve_q(HTTP_GET, "/site", "a=1&b=2");
	cr_expect_eq(r->status, 301);
	cr_expect(has_header(r, "Location: /site/?a=1&b=2"));

	r = serve(HTTP_HEAD, "/dir");
	cr_expect_eq(r->status, 301);
	cr_expect(has_header(r, "Location: /dir/"));
}

Test(static_, redirect_never_protocol_relative)
{
	put_dir("www/evil.example");
	struct response *r = serve(HTTP_GET, "//evil.example");

	cr_expect_eq(r->status, 301);
	cr_expect(has_header(r, "Location: /evil.example/"), "%.*s",
		  (int)r->hlen, r->hbuf);
}

Test(static_, index_file)
{
	struct response *r = serve(HTTP_GET, "/site/");

	cr_expect_eq(r->status, 200);
	cr_expect(has_header(r, "Content-Type: text/html; charset=utf-8"));
	expect_body(r, "<p>index</p>\n");
}

Test(static_, second_index_name)
{
	put_file("www/dir/index.htm", "htm\n");
	cr_expect_eq(serve(HTTP_GET, "/dir/")->status, 200);
	expect_body(&res, "htm\n");
}

Test(static_, root_index)
{
	put_file("www/index.html", "root\n");
	cr_expect_eq(serve(HTTP_GET, "/")->status, 200);
	expect_body(&res, "root\n");
}

Test(static_, directory_without_index_is_403)
{
	cr_expect_eq(serve(HTTP_GET, "/dir/")->status, 403);
	cr_expect_eq(serve(HTTP_GET, "/")->status, 403);
}

Test(static_, index_that_is_a_directory_is_skipped)
{
	put_dir("www/dir/index.html");
	cr_expect_eq(serve(HTTP_GET, "/dir/")->status, 403);
}

Test(static_, symlink_inside_root)
{
	struct response *r = serve(HTTP_GET, "/link.txt");

	cr_expect_eq(r->status, 200);
	expect_body(r, "hello world\n");
	cr_expect_eq(serve(HTTP_GET, "/sitelink/")->status, 200);
	expect_body(&res, "<p>index</p>\n");
	cr_expect_eq(serve(HTTP_GET, "/sitelink")->status, 301);
}

Test(static_, symlink_outside_root)
{
	cr_expect_eq(serve(HTTP_GET, "/escape")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/escdir/secret.txt")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/escdir/")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/abs")->status, 404);
}

Test(static_, symlink_loop)
{
	cr_expect_eq(serve(HTTP_GET, "/loop1")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/loop1/x")->status, 404);
}

Test(static_, dotfiles_refused)
{
	cr_expect_eq(serve(HTTP_GET, "/.env")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/.git/config")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/%2egit/config")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/.well-known/acme.txt")->status, 200);
	expect_body(&res, "token\n");
}

Test(static_, dotfiles_when_allowed)
{
	cfg.serve_dotfiles = true;
	cr_expect_eq(serve(HTTP_GET, "/.env")->status, 200);
	expect_body(&res, "SECRET=1\n");
}

Test(static_, other_methods_405)
{
	struct response *r = serve(HTTP_POST, "/hello.txt");

	cr_expect_eq(r->status, 405);
	cr_expect(has_header(r, "Allow: GET, HEAD"));
	cr_expect_eq(serve(HTTP_PUT, "/nope")->status, 405);
	cr_expect_eq(serve(HTTP_DELETE, "/hello.txt")->status, 405);
	cr_expect_eq(serve(HTTP_OPTIONS, "/")->status, 405);
}

Test(static_, not_a_regular_file)
{
	/* A FIFO must neither block the worker nor be served. */
	cr_expect_eq(serve(HTTP_GET, "/fifo")->status, 403);
}

Test(static_, if_none_match_304)
{
	struct response *r = serve(HTTP_GET, "/hello.txt");
	char etag[64];
	const char *p = memmem(r->hbuf, r->hlen, "ETag: ", 6);
	size_t n;

	cr_assert_not_null(p);
	n = (size_t)((const char *)memchr(p, '\r', r->hlen) - p - 6);
	cr_assert_lt(n, sizeof etag);
	memcpy(etag, p + 6, n);
	etag[n] = '\0';

	req.if_none_match.p = etag;
	req.if_none_match.len = n;
	r = serve(HTTP_GET, "/hello.txt");
	cr_expect_eq(r->status, 304);
	cr_expect(r->no_length);
	cr_expect_lt(r->fd, 0);
	cr_expect_null(r->body);
	cr_expect(has_name(r, "ETag"));
	cr_expect(has_name(r, "Last-Modified"));

	req.if_none_match.p = "\"nope\"";
	req.if_none_match.len = 6;
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 200);
}

Test(static_, if_modified_since_304)
{
	req.if_modified_since.p = "Fri, 01 Jan 2100 00:00:00 GMT";
	req.if_modified_since.len = strlen(req.if_modified_since.p);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 304);
	req.if_modified_since.p = "Thu, 01 Jan 1970 00:00:01 GMT";
	req.if_modified_since.len = strlen(req.if_modified_since.p);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 200);
}

Test(static_, if_match_412)
{
	req.if_match.p = "\"nope\"";
	req.if_match.len = 6;
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 412);
	cr_expect_lt(res.fd, 0);
}

Test(static_, range_206)
{
	struct response *r;

	req.range.p = "bytes=6-10";
	req.range.len = strlen(req.range.p);
	r = serve(HTTP_GET, "/hello.txt");
	cr_expect_eq(r->status, 206);
	cr_expect(has_header(r, "Content-Range: bytes 6-10/12"));
	expect_body(r, "world"); /* the bytes at offset 6 */

	req.range.p = "bytes=-3";
	req.range.len = strlen(req.range.p);
	r = serve(HTTP_GET, "/hello.txt");
	cr_expect_eq(r->status, 206);
	cr_expect(has_header(r, "Content-Range: bytes 9-11/12"));
	expect_body(r, "ld\n");
}

Test(static_, range_ignored_for_head_and_multi)
{
	req.range.p = "bytes=0-1";
	req.range.len = strlen(req.range.p);
	cr_expect_eq(serve(HTTP_HEAD, "/hello.txt")->status, 200);
	req.range.p = "bytes=0-1,3-4";
	req.range.len = strlen(req.range.p);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 200);
	expect_body(&res, "hello world\n");
}

Test(static_, range_with_stale_if_range)
{
	req.range.p = "bytes=0-1";
	req.range.len = strlen(req.range.p);
	req.if_range.p = "\"stale\"";
	req.if_range.len = strlen(req.if_range.p);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 200);
}

Test(static_, range_416)
{
	struct response *r;

	req.range.p = "bytes=12-";
	req.range.len = strlen(req.range.p);
	r = serve(HTTP_GET, "/hello.txt");
	cr_expect_eq(r->status, 416);
	cr_expect(has_header(r, "Content-Range: bytes */12"));
	cr_expect_lt(r->fd, 0);

	r = serve(HTTP_GET, "/empty.txt");
	cr_expect_eq(r->status, 416);
	cr_expect(has_header(r, "Content-Range: bytes */0"));
}

Test(static_, large_file_range)
{
	struct response *r;

	req.range.p = "bytes=5368709000-";
	req.range.len = strlen(req.range.p);
	r = serve(HTTP_GET, "/big.bin");
	cr_expect_eq(r->status, 206);
	cr_expect(has_header(r, "Content-Range: bytes 5368709000-5368709119/5368709120"));
	cr_expect_eq(r->file_off, (off_t)5368709000);
	cr_expect_eq(r->file_len, 120);
	cr_expect(has_header(r, "Content-Type: application/octet-stream"));
}

Test(static_, route_root_and_headers)
{
	static const struct header_kv hdrs[] = {
		{"Cache-Control", "public, max-age=3600"},
	};
	static const char *route_index[] = {"index.html"};
	struct route rt;
	char sub[PATH_MAX * 2];

	snprintf(sub, sizeof sub, "%s/site", docroot);
	memset(&rt, 0, sizeof rt);
	rt.prefix = "/static/";
	rt.prefix_len = 8;
	rt.kind = ROUTE_STATIC;
	rt.static_.root = sub;
	rt.static_.index = route_index;
	rt.static_.nindex = 1;
	rt.headers = hdrs;
	rt.nheaders = 1;

	response_init(&res, hbuf, sizeof hbuf);
	memset(&x, 0, sizeof x);
	req.method = HTTP_GET;
	req.path.p = "/static/";
	req.path.len = 8;
	x.req = &req;
	x.res = &res;
	x.cfg = &cfg;
	x.route = &rt;
	x.path = "/";
	x.path_len = 1;
	static_serve(&x);
	cr_expect_eq(res.status, 200);
	cr_expect(has_header(&res, "Cache-Control: public, max-age=3600"));
	expect_body(&res, "<p>index</p>\n");
	close(res.fd);

	response_init(&res, hbuf, sizeof hbuf);
	x.path = "/missing";
	x.path_len = 8;
	static_serve(&x);
	cr_expect_eq(res.status, 404);
	cr_expect(has_header(&res, "Cache-Control: public, max-age=3600"));
}

Test(static_, no_fd_leak_on_any_path)
{
	static const char *const paths[] = {
		"/hello.txt", "/nope", "/site", "/site/", "/dir/", "/escape",
		"/loop1", "/.env", "/fifo", "/abs", "/escdir/secret.txt",
	};
	int before;
	size_t i;

	serve(HTTP_GET, "/hello.txt"); /* caches the root fd */
	close(res.fd);
	res.fd = -1;
	before = count_fds();
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		serve(HTTP_GET, paths[i]);
		if (res.fd >= 0)
			close(res.fd);
		res.fd = -1;
	}
	req.range.p = "bytes=99-";
	req.range.len = 9;
	serve(HTTP_GET, "/hello.txt");
	req.range.len = 0;
	req.if_match.p = "\"x\"";
	req.if_match.len = 3;
	serve(HTTP_GET, "/hello.txt");
	cr_expect_eq(count_fds(), before);
}

/*
 * Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from every set of this
 * process: even as root, file modes then apply.  0, or -1 with errno.
 */
static int drop_dac_capabilities(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	const unsigned caps[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };

	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		uint32_t bit = (uint32_t)1 << (caps[i] % 32);

		d[caps[i] / 32].effective &= ~bit;
		d[caps[i] / 32].permitted &= ~bit;
		d[caps[i] / 32].inheritable &= ~bit;
	}
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -1;
}

/*
 * A file the server cannot read is 403.  Root reads any file, and CI runs
 * as root: the request is served in a child that has dropped the
 * capabilities that let root ignore file modes.  The child first checks
 * that it really cannot open the file, so the test cannot pass without
 * testing anything.
 */
Test(static_, unreadable_file_403)
{
	char p[PATH_MAX * 2];
	int fds[2], out[3] = { 0, 0, 0 }, wst = 0;
	pid_t pid;
	ssize_t n;

	put_file("www/private.txt", "private\n");
	snprintf(p, sizeof p, "%s/www/private.txt", tmp);
	cr_assert_eq(chmod(p, 0), 0, "chmod(%s): %s", p, strerror(errno));
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0, "pipe2: %s", strerror(errno));
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd;

		/* out: capset errno, open() errno, the status served */
		if (drop_dac_capabilities() != 0)
			out[0] = errno;
		fd = open(p, O_RDONLY | O_CLOEXEC);
		out[1] = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		if (out[0] == 0 && out[1] == EACCES)
			out[2] = serve(HTTP_GET, "/private.txt")->status;
		_exit(write(fds[1], out, sizeof out) == (ssize_t)sizeof out ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof out);
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &wst, 0), pid);
	cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0,
		  "the child failed (wait status %#x)", (unsigned)wst);
	cr_assert_eq(n, (ssize_t)sizeof out);
	cr_assert_eq(out[0], 0, "capset (drop CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): %s",
		     strerror(out[0]));
	cr_assert_eq(out[1], EACCES,
		     "open(%s) with mode 000 in the child: %s (expected EACCES)", p,
		     out[1] ? strerror(out[1]) : "it succeeded");
	cr_expect_eq(out[2], 403, "GET /private.txt: %d", out[2]);
}

Test(static_, missing_root_is_404)
{
	cfg.root = "/nonexistent-root-for-test";
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 404);
}

/* Make openat2 fail with ENOSYS, as on kernels before 5.6. */
static void deny_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0,
		     "%s", strerror(errno));
}

Test(static_, fallback_without_openat2)
{
	deny_openat2();
	cr_expect_eq(serve(HTTP_GET, "/hello.txt")->status, 200);
	expect_body(&res, "hello world\n");
	cr_expect_eq(serve(HTTP_GET, "/dir/style.css")->status, 200);
	cr_expect(has_header(&res, "Content-Type: text/css; charset=utf-8"));
	cr_expect_eq(serve(HTTP_GET, "/site/")->status, 200);
	expect_body(&res, "<p>index</p>\n");
	cr_expect_eq(serve(HTTP_GET, "/site")->status, 301);
	cr_expect_eq(serve(HTTP_GET, "/dir/")->status, 403);
	cr_expect_eq(serve(HTTP_GET, "/nope")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/hello.txt/")->status, 404);
	/* No symlink is followed without openat2. */
	cr_expect_eq(serve(HTTP_GET, "/link.txt")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/sitelink/")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/escape")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/escdir/secret.txt")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/loop1")->status, 404);
	cr_expect_eq(serve(HTTP_GET, "/fifo")->status, 403);
}

/* A second request within the second is answered from the cache. */
static time_t coarse_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts); /* the clock static.c uses */
	return ts.tv_sec;
}

Test(static_, cache_hit_serves_the_same_bytes)
{
	const struct fc_entry *e = NULL;
	struct response *r;
	time_t t0, t1;
	int tries = 0;

	/* Within one second of the cache's clock the entry must be there;
	 * when the second turned during the request, try again. */
	do {
		t0 = coarse_seconds();
		r = serve(HTTP_GET, "/hello.txt");
		cr_assert_eq(r->status, 200);
		expect_body(r, "hello world\n");
		e = filecache_get(docroot, "/hello.txt", 10, CODING_IDENTITY, t0);
		t1 = coarse_seconds();
	} while (t0 != t1 && ++tries < 5);
	cr_assert_eq(t0, t1, "the second turned during each of 5 requests");
	cr_assert_not_null(e, "a file served this second is not in the cache");
	cr_assert_not_null(e->data);
	cr_expect_eq(memcmp(e->data, "hello world\n", 12), 0);
	cr_expect(strstr(e->ctype, "text/plain") != NULL);
	filecache_clear();
	cr_assert_null(filecache_get(docroot, "/hello.txt", 10, CODING_IDENTITY, t0));
}

/* ---- static-site features ---- */

static struct header ae_hdr[2];

/* Serve raw under route rt (NULL: the top level) with Accept-Encoding ae
 * (NULL: none). */
static struct response *serve_rt(const struct route *rt, enum http_method m,
				 const char *raw, const char *ae)
{
	size_t n = 0, skip = 0;

	if (res.hbuf && res.fd >= 0 && res.fd_owned)
		close(res.fd);
	response_init(&res, hbuf, sizeof hbuf);
	req.method = m;
	req.path.p = raw;
	req.path.len = strlen(raw);
	req.query.len = 0;
	req.nheaders = 0;
	req.headers = ae_hdr;
	if (ae != NULL) {
		ae_hdr[0] = (struct header){ { "Accept-Encoding", 15 },
					     { ae, strlen(ae) } };
		req.nheaders = 1;
	}
	cr_assert_eq(path_normalize(raw, strlen(raw), normbuf, sizeof normbuf,
				    &n), 0);
	memset(&x, 0, sizeof x);
	x.req = &req;
	x.res = &res;
	x.cfg = &cfg;
	x.route = rt;
	x.path = normbuf;
	x.path_len = n;
	if (rt != NULL) { /* the part after the prefix, as serve.c gives it */
		skip = rt->prefix_len - (rt->prefix[rt->prefix_len - 1] == '/');
		x.path += skip;
		x.path_len -= skip;
	}
	static_serve(&x);
	return &res;
}

static struct route static_route(const char *prefix, const char *root)
{
	struct route rt;

	memset(&rt, 0, sizeof rt);
	rt.prefix = prefix;
	rt.prefix_len = strlen(prefix);
	rt.kind = ROUTE_STATIC;
	rt.static_.root = root;
	rt.static_.index = index_names;
	rt.static_.nindex = 2;
	return rt;
}

static const char *header_value(const struct response *r, const char *name,
				char *out, size_t cap)
{
	char want[128];
	size_t n = (size_t)snprintf(want, sizeof want, "%s: ", name);
	const char *p = memmem(r->hbuf, r->hlen, want, n), *end;

	if (p == NULL)
		return NULL;
	p += n;
	end = memmem(p, r->hlen - (size_t)(p - r->hbuf), "\r\n", 2);
	snprintf(out, cap, "%.*s", (int)(end - p), p);
	return out;
}

Test(static_, fallback_for_missing_paths_only)
{
	struct route rt = static_route("/app/", docroot);

	rt.static_.fallback = "/site/index.html";
	filecache_clear();
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/some/client/route", NULL)->status, 200);
	expect_body(&res, "<p>index</p>\n");
	cr_expect_eq(serve_rt(&rt, HTTP_HEAD, "/app/missing", NULL)->status, 200);
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/hello.txt/x", NULL)->status, 200,
		     "a file name followed by more names nothing either");
	/* what exists is served as it is */
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/hello.txt", NULL)->status, 200);
	expect_body(&res, "hello world\n");
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/dir/", NULL)->status, 403,
		     "a directory is not a missing path");
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/site", NULL)->status, 301);
	/* never for what is refused */
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/.env", NULL)->status, 404);
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/.git/none", NULL)->status, 404);
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/escape", NULL)->status, 404);
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/loop1", NULL)->status, 404);
	cr_expect_eq(serve_rt(&rt, HTTP_POST, "/app/missing", NULL)->status, 405);
	/* a fallback that is missing itself: 404 */
	rt.static_.fallback = "/none.html";
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/missing", NULL)->status, 404);
	rt.static_.fallback = NULL;
	cr_expect_eq(serve_rt(&rt, HTTP_GET, "/app/missing", NULL)->status, 404);
}

Test(static_, cache_control_and_expires)
{
	struct route rt = static_route("/s/", docroot);
	char v[128];
	time_t now;

	rt.static_.cache_control = "no-cache";
	serve_rt(&rt, HTTP_GET, "/s/hello.txt", NULL);
	cr_expect(has_header(&res, "Cache-Control: no-cache"));
	cr_expect(!has_name(&res, "Expires"));
	serve_rt(&rt, HTTP_GET, "/s/nothing", NULL);
	cr_expect_eq(res.status, 404);
	cr_expect(!has_name(&res, "Cache-Control"), "not on errors");

	rt.static_.cache_control = NULL;
	rt.static_.expires = true;
	rt.static_.expires_s = 3600;
	now = time(NULL);
	serve_rt(&rt, HTTP_GET, "/s/hello.txt", NULL);
	cr_expect(has_header(&res, "Cache-Control: max-age=3600"));
	cr_assert_not_null(header_value(&res, "Expires", v, sizeof v));
	{
		time_t t;
		cr_assert_eq(http_date_parse(v, strlen(v), &t), 0);
		cr_expect(t >= now + 3600 && t <= now + 3602, "%s", v);
	}
	/* on a 304 too */
	{
		char etag[ETAG_MAX];
		struct header h = { { "If-None-Match", 13 }, { etag, 0 } };
		cr_assert_not_null(header_value(&res, "ETag", etag, sizeof etag));
		h.value.len = strlen(etag);
		req.if_none_match = h.value;
		serve_rt(&rt, HTTP_GET, "/s/hello.txt", NULL);
		req.if_none_match.len = 0;
		cr_expect_eq(res.status, 304);
		cr_expect(has_header(&res, "Cache-Control: max-age=3600"));
	}
	rt.static_.expires = false;
	serve_rt(&rt, HTTP_GET, "/s/hello.txt", NULL);
	cr_expect(!has_name(&res, "Cache-Control"));
}

Test(static_, configured_types)
{
	static const struct mime_extra types[] = {
		{ "txt", "text/x-mine; charset=latin1" },
		{ "ZZQ", "application/x-zzq" },
	};

	put_file("www/a.zzq", "z");
	put_file("www/noext", "n");
	cfg.types = types;
	cfg.ntypes = 2;
	cfg.default_type = "text/plain; charset=utf-8";
	serve(HTTP_GET, "/hello.txt");
	cr_expect(has_header(&res, "Content-Type: text/x-mine; charset=latin1"));
	serve(HTTP_GET, "/a.zzq");
	cr_expect(has_header(&res, "Content-Type: application/x-zzq"));
	serve(HTTP_GET, "/noext");
	cr_expect(has_header(&res, "Content-Type: text/plain; charset=utf-8"));
	serve(HTTP_GET, "/page.html");
	cr_expect(has_header(&res, "Content-Type: text/html; charset=utf-8"));
	cfg.types = NULL;
	cfg.ntypes = 0;
	cfg.default_type = NULL;
	serve(HTTP_GET, "/noext");
	cr_expect(has_header(&res, "Content-Type: application/octet-stream"));
}

Test(static_, host_root_and_index)
{
	static const char *idx[] = { "page.html" };
	struct vhost host = { .root = docroot, .index = idx, .nindex = 1 };
	char sub[PATH_MAX * 2];

	snprintf(sub, sizeof sub, "%s/site", docroot);
	cfg.root = sub; /* the top level serves elsewhere */
	filecache_clear();
	response_init(&res, hbuf, sizeof hbuf);
	memset(&x, 0, sizeof x);
	req.method = HTTP_GET;
	x.req = &req;
	x.res = &res;
	x.cfg = &cfg;
	x.host = &host;
	x.path = "/";
	x.path_len = 1;
	static_serve(&x);
	cr_expect_eq(res.status, 200);
	expect_body(&res, "<p>page</p>\n");
	x.host = NULL;
	response_init(&res, hbuf, sizeof hbuf);
	filecache_clear();
	static_serve(&x);
	expect_body(&res, "<p>index</p>\n");
}

static char *big_text(size_t n)
{
	char *t = malloc(n + 1);

	cr_assert_not_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = "<p>compress me</p>\n"[i % 19];
	t[n] = '\0';
	return t;
}

static const char *html_only[] = { "text/html" };

Test(static_, compressed_variants)
{
	struct route rt = static_route("/c/", docroot);
	struct compress_rule rule = { .on = true, .enc = { CODING_BR, CODING_GZIP },
				      .nenc = 2, .types = html_only, .ntypes = 1,
				      .min_size = 100 };
	char *text = big_text(5000), etag_id[ETAG_MAX], etag_gz[ETAG_MAX],
	     etag_br[ETAG_MAX], v[64];
	const char *first;

	put_file("www/big.html", text);
	rt.compress = &rule;
	filecache_clear();

	serve_rt(&rt, HTTP_GET, "/c/big.html", NULL);
	cr_expect_eq(res.status, 200);
	cr_expect(has_header(&res, "Vary: Accept-Encoding"));
	cr_expect(!has_name(&res, "Content-Encoding"));
	cr_expect_eq(response_content_length(&res), 5000);
	header_value(&res, "ETag", etag_id, sizeof etag_id);

	serve_rt(&rt, HTTP_GET, "/c/big.html", "gzip");
	cr_expect(has_header(&res, "Content-Encoding: gzip"));
	cr_expect(has_header(&res, "Vary: Accept-Encoding"));
	cr_expect(has_header(&res, "Content-Type: text/html; charset=utf-8"));
	cr_assert_not_null(res.body);
	cr_expect_lt(res.body_len, 1000);
	cr_expect_eq((unsigned char)res.body[0], 0x1f);
	header_value(&res, "ETag", etag_gz, sizeof etag_gz);
	first = res.body;
	/* made once: the same bytes again, not compressed anew */
	serve_rt(&rt, HTTP_GET, "/c/big.html", "gzip;q=1, br;q=0");
	cr_expect_eq(res.body, first);

	serve_rt(&rt, HTTP_GET, "/c/big.html", "gzip, br");
	cr_expect(has_header(&res, "Content-Encoding: br"), "the rule prefers br");
	header_value(&res, "ETag", etag_br, sizeof etag_br);
	cr_expect_str_neq(etag_id, etag_gz);
	cr_expect_str_neq(etag_gz, etag_br);
	cr_expect_str_neq(etag_id, etag_br);

	/* conditionals and ranges on the variant sent */
	req.if_none_match = (struct span){ etag_gz, strlen(etag_gz) };
	serve_rt(&rt, HTTP_GET, "/c/big.html", "gzip");
	cr_expect_eq(res.status, 304);
	cr_expect(has_header(&res, "Vary: Accept-Encoding"));
	serve_rt(&rt, HTTP_GET, "/c/big.html", "br");
	cr_expect_eq(res.status, 200, "the gzip tag is not the br variant's");
	req.if_none_match.len = 0;
	req.range = (struct span){ "bytes=0-3", 9 };
	serve_rt(&rt, HTTP_GET, "/c/big.html", "gzip");
	req.range.len = 0;
	cr_expect_eq(res.status, 206);
	cr_expect_eq(res.body, first);
	cr_expect_eq(res.body_len, 4);
	header_value(&res, "Content-Range", v, sizeof v);
	cr_expect(strncmp(v, "bytes 0-3/", 10) == 0, "%s", v);
	cr_expect_neq(strcmp(v, "bytes 0-3/5000"), 0, "the variant's length");
	free(text);
}

Test(static_, what_is_not_compressed)
{
	struct route rt = static_route("/c/", docroot);
	struct compress_rule rule = { .on = true, .enc = { CODING_GZIP },
				      .nenc = 1, .types = html_only, .ntypes = 1,
				      .min_size = 100 };
	char *text = big_text(5000);

	put_file("www/big.txt", text);
	put_file("www/small.html", "<p>small small small small small small</p>\n");
	rt.compress = &rule;
	filecache_clear();
	serve_rt(&rt, HTTP_GET, "/c/big.txt", "gzip");
	cr_expect(!has_name(&res, "Content-Encoding"), "not a listed type");
	cr_expect(!has_name(&res, "Vary"));
	serve_rt(&rt, HTTP_GET, "/c/small.html", "gzip");
	cr_expect(!has_name(&res, "Content-Encoding"), "under min_size");
	cr_expect(has_header(&res, "Vary: Accept-Encoding"));
	serve_rt(&rt, HTTP_GET, "/c/small.html", "gzip, identity;q=0");
	cr_expect(has_header(&res, "Content-Encoding: gzip"),
		  "identity refused: min_size gives way");
	serve_rt(&rt, HTTP_GET, "/c/page.html", "br");
	cr_expect(!has_name(&res, "Content-Encoding"), "br is not offered");
	rule.on = false;
	serve_rt(&rt, HTTP_GET, "/c/small.html", "gzip, identity;q=0");
	cr_expect(!has_name(&res, "Content-Encoding"));
	cr_expect(!has_name(&res, "Vary"));
	/* the top level's rule when the route has none */
	cfg.compress = rule;
	cfg.compress.on = true;
	rt.compress = NULL;
	serve_rt(&rt, HTTP_GET, "/c/small.html", "gzip, identity;q=0");
	cr_expect(has_header(&res, "Content-Encoding: gzip"));
	cfg.compress.on = false;
	free(text);
}

Test(static_, precompressed_siblings)
{
	struct route rt = static_route("/c/", docroot);
	struct compress_rule rule = { .on = true, .enc = { CODING_BR, CODING_GZIP },
				      .nenc = 2, .types = html_only, .ntypes = 1,
				      .min_size = 0 };
	char *text = big_text(3000), p[PATH_MAX * 2];
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	put_file("www/app.html", text);
	put_file("www/app.html.gz", "precompressed gzip");
	rt.compress = &rule;
	filecache_clear();
	serve_rt(&rt, HTTP_GET, "/c/app.html", "gzip");
	cr_expect(has_header(&res, "Content-Encoding: gzip"));
	expect_body(&res, "precompressed gzip");
	/* br is preferred and has no sibling: made by the server */
	serve_rt(&rt, HTTP_GET, "/c/app.html", "gzip, br");
	cr_expect(has_header(&res, "Content-Encoding: br"));
	cr_expect_neq(res.body_len, 18);
	/* a sibling older than the file is stale: ignored */
	snprintf(p, sizeof p, "%s/app.html.gz", docroot);
	cr_assert_eq(utimensat(AT_FDCWD, p, old, 0), 0);
	filecache_clear();
	serve_rt(&rt, HTTP_GET, "/c/app.html", "gzip");
	cr_expect(has_header(&res, "Content-Encoding: gzip"));
	cr_assert_not_null(res.body);
	cr_expect_eq((unsigned char)res.body[0], 0x1f, "made, not the stale one");
	/* and the index file of a directory has its siblings too */
	put_file("www/site/index.html.br", "precompressed br");
	serve_rt(&rt, HTTP_GET, "/c/site/", "br");
	cr_expect(has_header(&res, "Content-Encoding: br"));
	expect_body(&res, "precompressed br");
	free(text);
}
