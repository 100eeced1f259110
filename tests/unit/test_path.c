/* Unit tests for path_normalize() and path_has_dotfile(). */
#include <criterion/criterion.h>
#include <string.h>

#include "path.h"

struct norm_case {
	const char *raw;
	int status;       /* 0: ok */
	const char *want; /* when status is 0 */
};

static const struct norm_case norm_cases[] = {
	/* plain forms */
	{"/", 0, "/"},
	{"/index.html", 0, "/index.html"},
	{"/a/b/", 0, "/a/b/"},
	{"//a///b", 0, "/a/b"},
	{"//a///b//", 0, "/a/b/"},
	{"/./a/.", 0, "/a/"},
	{"/a/./b", 0, "/a/b"},
	{"/a/b/..", 0, "/a/"},
	{"/a/b/../c", 0, "/a/c"},
	{"/a/..", 0, "/"},
	{"/a/../", 0, "/"},
	{"/a%20b", 0, "/a b"},
	{"/%7Euser/%7euser", 0, "/~user/~user"},
	{"/caf%C3%A9/%e6%97%a5%e6%9c%ac.txt", 0, "/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt"},
	{"/caf\xc3\xa9", 0, "/caf\xc3\xa9"},
	{"/...", 0, "/..."},
	{"/..a/a..", 0, "/..a/a.."},
	{"/a+b", 0, "/a+b"},
	/* %2e is '.', so encoded dot segments are dot segments */
	{"/a/%2e/b", 0, "/a/b"},
	{"/a/%2E%2e/b", 0, "/b"},
	/* double encoding: one decode leaves the literal text, a name */
	{"/%252e%252e/", 0, "/%2e%2e/"},
	/* overlong UTF-8 for '.' is two bytes, never '.' */
	{"/%c0%ae%c0%ae", 0, "/\xc0\xae\xc0\xae"},
	{"/%c0%ae%c0%ae/", 0, "/\xc0\xae\xc0\xae/"},
	/* a literal backslash is an ordinary byte on Linux */
	{"/..\\..", 0, "/..\\.."},
	{"/a\\b", 0, "/a\\b"},
	/* climbing above the root */
	{"/..", 403, NULL},
	{"/../", 403, NULL},
	{"/../etc/passwd", 403, NULL},
	{"/%2e%2e/", 403, NULL},
	{"/%2e%2e", 403, NULL},
	{"/a/../../b", 403, NULL},
	{"/a/%2e%2e/%2e%2e/etc/passwd", 403, NULL},
	{"/./..", 403, NULL},
	/* encoded separators */
	{"/%2E%2e%2fetc", 400, NULL},
	{"/a%2fb", 400, NULL},
	{"/a%2Fb", 400, NULL},
	{"/..%5c..", 400, NULL},
	{"/a%5Cb", 400, NULL},
	/* NUL and control bytes */
	{"/a%00b", 400, NULL},
	{"/%00", 400, NULL},
	{"/a%0ab", 400, NULL},
	{"/a%0D%0Ab", 400, NULL},
	{"/a%7fb", 400, NULL},
	{"/a\tb", 400, NULL},
	/* malformed escapes */
	{"/%G1", 400, NULL},
	{"/%1G", 400, NULL},
	{"/%2", 400, NULL},
	{"/%", 400, NULL},
	{"/a%", 400, NULL},
	{"/%%41", 400, NULL},
	/* not origin-form */
	{"..", 400, NULL},
	{"a/b", 400, NULL},
	{"", 400, NULL},
	/* asterisk-form: passed through for OPTIONS * */
	{"*", 0, "*"},
};

Test(path, normalize_table)
{
	char out[256];
	size_t i, n;

	for (i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
		const struct norm_case *c = &norm_cases[i];
		int st;

		n = 12345;
		memset(out, 'X', sizeof out);
		st = path_normalize(c->raw, strlen(c->raw), out, sizeof out, &n);
		cr_expect_eq(st, c->status, "\"%s\": status %d, want %d", c->raw,
			     st, c->status);
		if (st != 0 || c->status != 0)
			continue;
		cr_expect_str_eq(out, c->want, "\"%s\"", c->raw);
		cr_expect_eq(n, strlen(c->want), "\"%s\": length %zu", c->raw, n);
		cr_expect_eq(out[n], '\0');
	}
}

Test(path, output_never_has_dot_segments)
{
	static const char *const raws[] = {
		"/a/b/c/../../d/./e/..", "/x/%2e/y/%2e%2e/z", "/./././",
		"/a//..//b/", "/a/b/c/%2e%2e/%2E%2E/%2e%2e/d",
	};
	char out[128];
	size_t i, n;

	for (i = 0; i < sizeof raws / sizeof raws[0]; i++) {
		cr_assert_eq(path_normalize(raws[i], strlen(raws[i]), out,
					    sizeof out, &n), 0, "%s", raws[i]);
		cr_expect_null(strstr(out, "/../"), "%s -> %s", raws[i], out);
		cr_expect_null(strstr(out, "/./"), "%s -> %s", raws[i], out);
		cr_expect_null(strstr(out, "//"), "%s -> %s", raws[i], out);
		cr_expect_eq(out[0], '/');
	}
}

Test(path, length_counted_not_nul_terminated)
{
	const char raw[] = "/a/b%41/c";
	char out[32];
	size_t n;

	/* Only the first 6 bytes: "/a/b%4" -> malformed escape. */
	cr_expect_eq(path_normalize(raw, 6, out, sizeof out, &n), 400);
	cr_expect_eq(path_normalize(raw, 7, out, sizeof out, &n), 0);
	cr_expect_str_eq(out, "/a/bA");
}

Test(path, output_too_small)
{
	char out[8];
	size_t n;

	cr_expect_eq(path_normalize("/abcdefgh", 9, out, sizeof out, &n), 414);
	cr_expect_eq(path_normalize("/abcdef", 7, out, sizeof out, &n), 0);
	cr_expect_str_eq(out, "/abcdef");
	cr_expect_eq(path_normalize("/abcdef/", 8, out, sizeof out, &n), 414);
	cr_expect_eq(path_normalize("/", 1, out, 1, &n), 414);
	/* Dot segments take no room in the output. */
	cr_expect_eq(path_normalize("/a/../b/./c", 11, out, sizeof out, &n), 0);
	cr_expect_str_eq(out, "/b/c");
}

struct dot_case {
	const char *path;
	bool dot;
};

static const struct dot_case dot_cases[] = {
	{"/", false},
	{"/index.html", false},
	{"/a/b.c/d", false},
	{"/a.", false},
	{"/.git/config", true},
	{"/.env", true},
	{"/a/.htaccess", true},
	{"/a/b/.ssh/", true},
	{"/.well-known/", false},
	{"/.well-known", false},
	{"/.well-known/acme-challenge/token", false},
	{"/.well-known/.hidden", true},
	{"/a/.well-known/x", true},
	{"/.well-knownx/", true},
	{"/.well-know/", true},
	{"/.", true},
	{"/\xc0\xae\xc0\xae", false},
};

Test(path, has_dotfile)
{
	size_t i;

	for (i = 0; i < sizeof dot_cases / sizeof dot_cases[0]; i++)
		cr_expect_eq(path_has_dotfile(dot_cases[i].path,
					      strlen(dot_cases[i].path)),
			     dot_cases[i].dot, "%s", dot_cases[i].path);
}

Test(path, has_dotfile_length_counted)
{
	const char p[] = "/a/.git";

	cr_expect_not(path_has_dotfile(p, 3));
	cr_expect(path_has_dotfile(p, 4));
}
