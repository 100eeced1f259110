/* Unit tests for mime_load() and mime_type(). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"

static char tmpfile_path[] = "/tmp/test_mime.XXXXXX";

static const char sample[] =
	"# comment line\n"
	"\n"
	"application/x-thing\t\tthg THG2   # trailing comment\n"
	"text/x-custom  cust\n"
	"application/json json map\n"
	"image/svg+xml svg svgz\n"
	"application/javascript jsx\n"
	"application/x-empty\n"
	"application/x-first dup\n"
	"application/x-second dup\n"
	"application/x-multi tar.xz txz\r\n"
	"video/x-last last";

static void write_sample(void)
{
	int fd = mkstemp(tmpfile_path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, sample, sizeof sample - 1),
		     (ssize_t)(sizeof sample - 1));
	close(fd);
}

static void cleanup(void)
{
	mime_free();
	unlink(tmpfile_path);
}

static const char *type_of(const char *name)
{
	return mime_type(name, strlen(name));
}

Test(mime, builtin_without_file)
{
	mime_free();
	cr_expect_str_eq(type_of("index.html"), "text/html; charset=utf-8");
	cr_expect_str_eq(type_of("a/b/style.CSS"), "text/css; charset=utf-8");
	cr_expect_str_eq(type_of("app.js"), "text/javascript; charset=utf-8");
	cr_expect_str_eq(type_of("data.json"),
			 "application/json; charset=utf-8");
	cr_expect_str_eq(type_of("logo.svg"), "image/svg+xml; charset=utf-8");
	cr_expect_str_eq(type_of("x.png"), "image/png");
	cr_expect_str_eq(type_of("x.JPEG"), "image/jpeg");
	cr_expect_str_eq(type_of("m.wasm"), "application/wasm");
	cr_expect_str_eq(type_of("f.woff2"), "font/woff2");
	cr_expect_str_eq(type_of("a.tar.gz"), "application/gzip");
	cr_expect_str_eq(type_of("x.bin"), "application/octet-stream");
}

Test(mime, unknown_and_odd_names)
{
	mime_free();
	cr_expect_str_eq(type_of("file.unknownext"), "application/octet-stream");
	cr_expect_str_eq(type_of("README"), "application/octet-stream");
	cr_expect_str_eq(type_of(".html"), "application/octet-stream");
	cr_expect_str_eq(type_of("dir/.html"), "application/octet-stream");
	cr_expect_str_eq(type_of("dir.html/file"), "application/octet-stream");
	cr_expect_str_eq(type_of("name."), "application/octet-stream");
	cr_expect_str_eq(type_of(""), "application/octet-stream");
	cr_expect_str_eq(type_of("a.0123456789012345678901234567890123456789"),
			 "application/octet-stream");
	cr_expect_str_eq(mime_type("a.htmlx", 6), "text/html; charset=utf-8");
}

Test(mime, load_file, .init = write_sample, .fini = cleanup)
{
	int n = mime_load(tmpfile_path);

	/* thg thg2 cust json map svg svgz jsx dup txz last (tar.xz skipped) */
	cr_expect_eq(n, 11);
	cr_expect_str_eq(type_of("a.thg"), "application/x-thing");
	cr_expect_str_eq(type_of("a.THG"), "application/x-thing");
	cr_expect_str_eq(type_of("a.thg2"), "application/x-thing");
	cr_expect_str_eq(type_of("a.Cust"), "text/x-custom; charset=utf-8");
	cr_expect_str_eq(type_of("a.map"), "application/json; charset=utf-8");
	cr_expect_str_eq(type_of("a.svgz"), "image/svg+xml; charset=utf-8");
	cr_expect_str_eq(type_of("a.jsx"),
			 "application/javascript; charset=utf-8");
	cr_expect_str_eq(type_of("a.dup"), "application/x-first");
	cr_expect_str_eq(type_of("a.txz"), "application/x-multi");
	cr_expect_str_eq(type_of("a.last"), "video/x-last");
	/* The built-in table still answers for what the file lacks. */
	cr_expect_str_eq(type_of("a.png"), "image/png");
	cr_expect_str_eq(type_of("a.woff"), "font/woff");
	cr_expect_str_eq(type_of("a.nope"), "application/octet-stream");
}

Test(mime, strings_are_stable, .init = write_sample, .fini = cleanup)
{
	const char *a, *b;

	cr_assert_geq(mime_load(tmpfile_path), 0);
	a = type_of("x.thg");
	b = type_of("y.THG2");
	cr_expect_eq(a, b);
	cr_expect_eq(type_of("z.thg"), a);
}

Test(mime, reload_replaces_table, .init = write_sample, .fini = cleanup)
{
	cr_assert_geq(mime_load(tmpfile_path), 0);
	cr_assert_geq(mime_load(tmpfile_path), 0);
	cr_expect_str_eq(type_of("a.cust"), "text/x-custom; charset=utf-8");
}

Test(mime, missing_file)
{
	mime_free();
	errno = 0;
	cr_expect_eq(mime_load("/nonexistent/mime.types"), -1);
	cr_expect_eq(errno, ENOENT);
	cr_expect_str_eq(type_of("a.html"), "text/html; charset=utf-8");
}

Test(mime, system_file)
{
	if (access("/etc/mime.types", R_OK) != 0)
		cr_skip_test("no /etc/mime.types: install media-types");
	cr_assert_gt(mime_load("/etc/mime.types"), 100);
	cr_expect_not_null(strstr(type_of("index.html"), "text/html"));
	cr_expect_str_eq(type_of("a.PNG"), "image/png");
	cr_expect_str_eq(type_of("a.wasm"), "application/wasm");
	mime_free();
}
