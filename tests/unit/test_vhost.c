/*
 * test_vhost.c -- the host block for a Host value, and host names.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vhost.h"

static const char *a_names[] = { "example.com", ".example.com" };
static const char *b_names[] = { ".static.example.com", "localhost" };
static const char *c_names[] = { "cdn.static.example.com", "[::1]",
				 "127.0.0.1" };
static const struct vhost hosts[] = {
	{ .names = a_names, .nnames = 2 },
	{ .names = b_names, .nnames = 2 },
	{ .names = c_names, .nnames = 3 },
};

static long pick(const char *host)
{
	const struct vhost *h = vhost_select(hosts, 3, host, strlen(host));

	return h == NULL ? -1 : h - hosts;
}

Test(vhost, exact)
{
	cr_expect_eq(pick("example.com"), 0);
	cr_expect_eq(pick("localhost"), 1);
	cr_expect_eq(pick("cdn.static.example.com"), 2);
}

Test(vhost, port_case_and_dot)
{
	cr_expect_eq(pick("EXAMPLE.com:8080"), 0);
	cr_expect_eq(pick("example.com."), 0);
	cr_expect_eq(pick("example.com.:80"), 0);
	cr_expect_eq(pick("LocalHost:1"), 1);
	cr_expect_eq(pick("[::1]:8080"), 2);
	cr_expect_eq(pick("[::1]"), 2);
	cr_expect_eq(pick("127.0.0.1:80"), 2);
}

Test(vhost, longest_wildcard)
{
	cr_expect_eq(pick("www.example.com"), 0);
	cr_expect_eq(pick("a.b.example.com"), 0);
	cr_expect_eq(pick("img.static.example.com"), 1);
	cr_expect_eq(pick("x.y.static.example.com"), 1);
	/* exact beats any wildcard, wherever it is listed */
	cr_expect_eq(pick("cdn.static.example.com:443"), 2);
}

Test(vhost, no_match)
{
	cr_expect_eq(pick("example.org"), -1);
	cr_expect_eq(pick("notexample.com"), -1);
	cr_expect_eq(pick("static.example.com.evil"), -1);
	cr_expect_eq(pick(""), -1);
	cr_expect_eq(pick(":80"), -1);
	cr_expect_eq(pick("[::2]"), -1);
	cr_expect_null(vhost_select(hosts, 0, "example.com", 11));
	cr_expect_null(vhost_select(hosts, 3, NULL, 0));
}

Test(vhost, names)
{
	char out[256];

	cr_expect_null(vhost_name_check("Example.COM", out, sizeof(out)));
	cr_expect_str_eq(out, "example.com");
	cr_expect_null(vhost_name_check("*.Example.com", out, sizeof(out)));
	cr_expect_str_eq(out, ".example.com");
	cr_expect_null(vhost_name_check("example.com.", out, sizeof(out)));
	cr_expect_str_eq(out, "example.com");
	cr_expect_null(vhost_name_check("[::1]", out, sizeof(out)));
	cr_expect_str_eq(out, "[::1]");
	cr_expect_null(vhost_name_check("_dmarc.example.com", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("*", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("*example.com", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("a.*.com", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("example.com:80", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check(".example.com", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("a..b", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("exa mple", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("::1", out, sizeof(out)));
	cr_expect_not_null(vhost_name_check("[::g]", out, sizeof(out)));
}
