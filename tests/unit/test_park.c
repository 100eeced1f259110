/*
 * test_park.c -- the parked-connection set: bounds, buffers, deadlines,
 * head completion.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "park.h"

Test(park, bounded_by_cap)
{
	struct park_set ps;
	struct parked *p[3];

	cr_assert_eq(park_init(&ps, 2), 0);
	p[0] = park_add(&ps);
	p[0]->fd = 10;
	p[1] = park_add(&ps);
	p[1]->fd = 11;
	p[2] = park_add(&ps);
	cr_assert_null(p[2], "a full set must refuse");
	cr_assert_eq(ps.count, 2);
	park_remove(&ps, p[0]);
	cr_assert_eq(ps.count, 1);
	cr_assert_not_null(park_add(&ps), "a freed entry is reused");
	free(ps.p);
}

Test(park, zero_cap_never_parks)
{
	struct park_set ps;

	cr_assert_eq(park_init(&ps, 0), 0);
	cr_assert_null(park_add(&ps));
}

Test(park, find_by_fd)
{
	struct park_set ps;

	park_init(&ps, 4);
	struct parked *a = park_add(&ps);
	a->fd = 7;
	struct parked *b = park_add(&ps);
	b->fd = 9;
	cr_assert_eq(park_find(&ps, 9), b);
	cr_assert_eq(park_find(&ps, 7), a);
	cr_assert_null(park_find(&ps, 8));
	free(ps.p);
}

Test(park, earliest_deadline)
{
	struct park_set ps;

	park_init(&ps, 4);
	cr_assert_eq(park_next_deadline(&ps), INT64_MAX);
	struct parked *a = park_add(&ps);
	a->fd = 3;
	a->deadline_ms = 500;
	struct parked *b = park_add(&ps);
	b->fd = 4;
	b->deadline_ms = 200;
	cr_assert_eq(park_next_deadline(&ps), 200);
	park_remove(&ps, b);
	cr_assert_eq(park_next_deadline(&ps), 500);
	free(ps.p);
}

Test(park, append_grows_and_respects_max)
{
	struct park_set ps;
	char big[1000];

	park_init(&ps, 1);
	struct parked *p = park_add(&ps);
	p->fd = 3;
	memset(big, 'a', sizeof(big));
	for (int i = 0; i < 5; i++)
		cr_assert_eq(park_append(p, big, 100, 1000), 0);
	cr_assert_eq(p->len, 500);
	cr_assert_eq(park_append(p, big, 500, 1000), 0);
	cr_assert_eq(p->len, 1000);
	cr_assert_eq(park_append(p, "x", 1, 1000), -1, "past max must fail");
	cr_assert_eq(p->len, 1000);
	park_remove(&ps, p);
	free(ps.p);
}

static bool complete(const char *s)
{
	struct parked p = { .fd = 3 };
	bool r;

	park_append(&p, s, strlen(s), 4096);
	r = park_head_complete(&p);
	free(p.buf);
	return r;
}

Test(park, head_completion)
{
	cr_assert(complete("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	cr_assert(complete("GET / HTTP/1.0\n\n"), "bare LF ends it too (the parser refuses it)");
	cr_assert_not(complete("GET / HTTP/1.1\r\nHost: x\r\n"));
	cr_assert_not(complete("GET / HTTP/1.1\r\nHost: x\r\n\r"));
	cr_assert_not(complete("G"));
	cr_assert_not(complete(""));
}
