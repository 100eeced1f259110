/* Unit tests for range_parse(), etag_make(), cond_evaluate(), if_range_ok(). */
#include <criterion/criterion.h>
#include <string.h>

#include "range.h"
#include "util.h"

#define GIB (UINT64_C(1) << 30)

struct range_case {
	const char *v;
	uint64_t size;
	enum range_result want;
	uint64_t first, last;
};

static const struct range_case range_cases[] = {
	{"bytes=0-0", 10, RANGE_OK, 0, 0},
	{"bytes=0-9", 10, RANGE_OK, 0, 9},
	{"bytes=2-5", 10, RANGE_OK, 2, 5},
	{"bytes=2-100", 10, RANGE_OK, 2, 9},
	{"bytes=9-9", 10, RANGE_OK, 9, 9},
	{"bytes=3-", 10, RANGE_OK, 3, 9},
	{"bytes=0-", 10, RANGE_OK, 0, 9},
	{"bytes=-1", 10, RANGE_OK, 9, 9},
	{"bytes=-4", 10, RANGE_OK, 6, 9},
	{"bytes=-10", 10, RANGE_OK, 0, 9},
	{"bytes=-11", 10, RANGE_OK, 0, 9},
	{"bytes=-99999999999999999999999", 10, RANGE_OK, 0, 9},
	{"bytes=5-99999999999999999999999", 10, RANGE_OK, 5, 9},
	{"BYTES=1-2", 10, RANGE_OK, 1, 2},
	{" bytes=1-2 ", 10, RANGE_OK, 1, 2},
	{"bytes= 1-2", 10, RANGE_OK, 1, 2},
	/* unsatisfiable */
	{"bytes=10-", 10, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=10-20", 10, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=99999999999999999999999-", 10, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-0", 10, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-0", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=0-", 0, RANGE_UNSATISFIABLE, 0, 0},
	{"bytes=-5", 0, RANGE_UNSATISFIABLE, 0, 0},
	/* several ranges: the whole file */
	{"bytes=0-1,3-4", 10, RANGE_NONE, 0, 0},
	{"bytes=0-1, 3-4", 10, RANGE_NONE, 0, 0},
	{"bytes=-1,0-0", 10, RANGE_NONE, 0, 0},
	/* garbage */
	{"", 10, RANGE_NONE, 0, 0},
	{"bytes=", 10, RANGE_NONE, 0, 0},
	{"bytes=-", 10, RANGE_NONE, 0, 0},
	{"bytes=5", 10, RANGE_NONE, 0, 0},
	{"bytes=a-b", 10, RANGE_NONE, 0, 0},
	{"bytes=1-a", 10, RANGE_NONE, 0, 0},
	{"bytes=5-2", 10, RANGE_NONE, 0, 0},
	{"bytes=+1-2", 10, RANGE_NONE, 0, 0},
	{"bytes=1--2", 10, RANGE_NONE, 0, 0},
	{"bytes 1-2", 10, RANGE_NONE, 0, 0},
	{"items=1-2", 10, RANGE_NONE, 0, 0},
	{"bytes=0x1-2", 10, RANGE_NONE, 0, 0},
	{"bytes=5-2", 0, RANGE_NONE, 0, 0},
	{"garbage", 0, RANGE_NONE, 0, 0},
};

Test(range, parse_table)
{
	size_t i;

	for (i = 0; i < sizeof range_cases / sizeof range_cases[0]; i++) {
		const struct range_case *c = &range_cases[i];
		uint64_t f = 777, l = 777;
		enum range_result r = range_parse(c->v, strlen(c->v), c->size,
						  &f, &l);

		cr_expect_eq(r, c->want, "\"%s\" size %llu: %d, want %d", c->v,
			     (unsigned long long)c->size, r, c->want);
		if (r == RANGE_OK && c->want == RANGE_OK) {
			cr_expect_eq(f, c->first, "\"%s\": first %llu", c->v,
				     (unsigned long long)f);
			cr_expect_eq(l, c->last, "\"%s\": last %llu", c->v,
				     (unsigned long long)l);
		}
	}
}

Test(range, large_files)
{
	uint64_t size = 5 * GIB + 3, f, l;
	const char *v;

	v = "bytes=4294967296-";
	cr_assert_eq(range_parse(v, strlen(v), size, &f, &l), RANGE_OK);
	cr_expect_eq(f, 4 * GIB);
	cr_expect_eq(l, size - 1);

	v = "bytes=4294967295-4294967300";
	cr_assert_eq(range_parse(v, strlen(v), size, &f, &l), RANGE_OK);
	cr_expect_eq(f, 4 * GIB - 1);
	cr_expect_eq(l, 4 * GIB + 4);

	v = "bytes=-4294967297";
	cr_assert_eq(range_parse(v, strlen(v), size, &f, &l), RANGE_OK);
	cr_expect_eq(f, size - 4 * GIB - 1);
	cr_expect_eq(l, size - 1);

	v = "bytes=5368709123-";
	cr_expect_eq(range_parse(v, strlen(v), size, &f, &l),
		     RANGE_UNSATISFIABLE);
	v = "bytes=5368709122-";
	cr_assert_eq(range_parse(v, strlen(v), size, &f, &l), RANGE_OK);
	cr_expect_eq(f, size - 1);

	v = "bytes=0-18446744073709551615";
	cr_assert_eq(range_parse(v, strlen(v), UINT64_MAX, &f, &l), RANGE_OK);
	cr_expect_eq(l, UINT64_MAX - 1);
}

Test(range, length_counted)
{
	const char v[] = "bytes=1-234";
	uint64_t f, l;

	cr_assert_eq(range_parse(v, 9, 100, &f, &l), RANGE_OK);
	cr_expect_eq(l, 2);
}

Test(etag, format)
{
	char e[ETAG_MAX];
	size_t n;

	n = etag_make(e, 0x1234, 0x400, 0, 0);
	cr_expect_str_eq(e, "\"1234-400-0\"");
	cr_expect_eq(n, strlen(e));

	n = etag_make(e, 1, 2, 1, 5);
	cr_expect_str_eq(e, "\"1-2-3b9aca05\"");

	n = etag_make(e, UINT64_MAX, UINT64_MAX, INT64_MAX, 999999999);
	cr_expect_lt(n, (size_t)ETAG_MAX);
	cr_expect_eq(e[0], '"');
	cr_expect_eq(e[n - 1], '"');
	cr_expect_eq(strlen(e), n);
}

Test(etag, changes_with_each_field)
{
	char a[ETAG_MAX], b[ETAG_MAX];

	etag_make(a, 10, 20, 1700000000, 1);
	etag_make(b, 10, 20, 1700000000, 2);
	cr_expect_str_neq(a, b);
	etag_make(b, 11, 20, 1700000000, 1);
	cr_expect_str_neq(a, b);
	etag_make(b, 10, 21, 1700000000, 1);
	cr_expect_str_neq(a, b);
	etag_make(b, 10, 20, 1700000001, 1);
	cr_expect_str_neq(a, b);
}

/* A request with only the method and the conditional fields set. */
static struct request req_with(enum http_method m)
{
	struct request r;

	memset(&r, 0, sizeof r);
	r.method = m;
	return r;
}

static void set(struct span *s, const char *v)
{
	s->p = v;
	s->len = strlen(v);
}

#define ETAG "\"abc-10-5\""
/* Sun, 06 Nov 1994 08:49:37 GMT */
#define MTIME ((time_t)784111777)
#define AT_MTIME "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER "Sun, 06 Nov 1994 08:49:38 GMT"

struct cond_case {
	enum http_method method;
	const char *im, *ius, *inm, *ims;
	int want;
};

static const struct cond_case cond_cases[] = {
	{HTTP_GET, NULL, NULL, NULL, NULL, 0},
	/* If-None-Match */
	{HTTP_GET, NULL, NULL, ETAG, NULL, 304},
	{HTTP_HEAD, NULL, NULL, ETAG, NULL, 304},
	{HTTP_GET, NULL, NULL, "\"other\"", NULL, 0},
	{HTTP_GET, NULL, NULL, "\"a\", " ETAG, NULL, 304},
	{HTTP_GET, NULL, NULL, "\"a\",\"b\"," ETAG, NULL, 304},
	{HTTP_GET, NULL, NULL, "\"a\" , \"b\"", NULL, 0},
	{HTTP_GET, NULL, NULL, "*", NULL, 304},
	{HTTP_GET, NULL, NULL, " * ", NULL, 304},
	{HTTP_GET, NULL, NULL, "W/" ETAG, NULL, 304},
	{HTTP_GET, NULL, NULL, "\"x\", W/" ETAG, NULL, 304},
	{HTTP_GET, NULL, NULL, "abc-10-5", NULL, 0},
	{HTTP_GET, NULL, NULL, "\"abc-10-5", NULL, 0},
	{HTTP_POST, NULL, NULL, ETAG, NULL, 412},
	/* If-None-Match wins over If-Modified-Since */
	{HTTP_GET, NULL, NULL, "\"other\"", AFTER, 0},
	{HTTP_GET, NULL, NULL, ETAG, BEFORE, 304},
	/* If-Modified-Since */
	{HTTP_GET, NULL, NULL, NULL, AT_MTIME, 304},
	{HTTP_GET, NULL, NULL, NULL, AFTER, 304},
	{HTTP_HEAD, NULL, NULL, NULL, AFTER, 304},
	{HTTP_GET, NULL, NULL, NULL, BEFORE, 0},
	{HTTP_GET, NULL, NULL, NULL, "not a date", 0},
	{HTTP_GET, NULL, NULL, NULL, "", 0},
	{HTTP_POST, NULL, NULL, NULL, AFTER, 0},
	/* If-Match: strong comparison only */
	{HTTP_GET, ETAG, NULL, NULL, NULL, 0},
	{HTTP_GET, "*", NULL, NULL, NULL, 0},
	{HTTP_GET, "\"a\", " ETAG, NULL, NULL, NULL, 0},
	{HTTP_GET, "\"other\"", NULL, NULL, NULL, 412},
	{HTTP_GET, "W/" ETAG, NULL, NULL, NULL, 412},
	{HTTP_GET, "garbage", NULL, NULL, NULL, 412},
	/* If-Match wins over If-Unmodified-Since */
	{HTTP_GET, ETAG, BEFORE, NULL, NULL, 0},
	/* If-Unmodified-Since */
	{HTTP_GET, NULL, BEFORE, NULL, NULL, 412},
	{HTTP_GET, NULL, AT_MTIME, NULL, NULL, 0},
	{HTTP_GET, NULL, AFTER, NULL, NULL, 0},
	{HTTP_GET, NULL, "bogus", NULL, NULL, 0},
	/* 412 comes before 304 */
	{HTTP_GET, "\"other\"", NULL, ETAG, NULL, 412},
	{HTTP_GET, NULL, BEFORE, NULL, AFTER, 412},
	{HTTP_GET, ETAG, NULL, ETAG, NULL, 304},
};

Test(cond, matrix)
{
	size_t i;

	for (i = 0; i < sizeof cond_cases / sizeof cond_cases[0]; i++) {
		const struct cond_case *c = &cond_cases[i];
		struct request r = req_with(c->method);
		int got;

		if (c->im)
			set(&r.if_match, c->im);
		if (c->ius)
			set(&r.if_unmodified_since, c->ius);
		if (c->inm)
			set(&r.if_none_match, c->inm);
		if (c->ims)
			set(&r.if_modified_since, c->ims);
		got = cond_evaluate(&r, ETAG, MTIME);
		cr_expect_eq(got, c->want,
			     "case %zu (IM %s, IUS %s, INM %s, IMS %s): %d, want %d",
			     i, c->im ? c->im : "-", c->ius ? c->ius : "-",
			     c->inm ? c->inm : "-", c->ims ? c->ims : "-", got,
			     c->want);
	}
}

Test(cond, obsolete_date_forms)
{
	struct request r = req_with(HTTP_GET);

	set(&r.if_modified_since, "Sunday, 06-Nov-94 08:49:37 GMT");
	cr_expect_eq(cond_evaluate(&r, ETAG, MTIME), 304);
	set(&r.if_modified_since, "Sun Nov  6 08:49:37 1994");
	cr_expect_eq(cond_evaluate(&r, ETAG, MTIME), 304);
}

Test(if_range, cases)
{
	struct request r = req_with(HTTP_GET);

	cr_expect(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, ETAG);
	cr_expect(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, " " ETAG " ");
	cr_expect(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, "\"other\"");
	cr_expect_not(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, "W/" ETAG);
	cr_expect_not(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, AT_MTIME);
	cr_expect(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, AFTER);
	cr_expect_not(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, BEFORE);
	cr_expect_not(if_range_ok(&r, ETAG, MTIME));
	set(&r.if_range, "Wed, 21 Oct 2015 07:28:00 GMT");
	cr_expect(if_range_ok(&r, ETAG, (time_t)1445412480));
	set(&r.if_range, "garbage");
	cr_expect_not(if_range_ok(&r, ETAG, MTIME));
}
