/*
 * test_bufpool.c -- the per-worker buffer pool: size classes, reuse, the
 * bound on what it keeps, and what it refuses.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bufpool.h"

Test(bufpool, smallest_class_that_fits)
{
	struct bufpool bp;
	size_t cap = 0;
	char *b;

	bufpool_init(&bp, 32768);
	b = bufpool_get(&bp, 1, &cap);
	cr_assert_not_null(b);
	cr_expect_eq(cap, BUFPOOL_MIN);
	memset(b, 'x', cap);
	bufpool_put(&bp, b, cap);
	b = bufpool_get(&bp, 513, &cap);
	cr_expect_eq(cap, 1024);
	bufpool_put(&bp, b, cap);
	b = bufpool_get(&bp, 32768, &cap);
	cr_expect_eq(cap, 32768);
	bufpool_put(&bp, b, cap);
	bufpool_drain(&bp);
}

Test(bufpool, refuses_zero_and_too_large)
{
	struct bufpool bp;
	size_t cap = 7;

	bufpool_init(&bp, 20000); /* rounded up to a class: 32768 */
	cr_expect_eq(bp.max, 32768);
	cr_expect_null(bufpool_get(&bp, 0, &cap));
	cr_expect_null(bufpool_get(&bp, 32769, &cap));
	cr_expect_eq(cap, 7, "a refusal leaves *cap alone");
}

Test(bufpool, reuses_returned_buffers)
{
	struct bufpool bp;
	size_t cap;
	char *a, *b;

	bufpool_init(&bp, 4096);
	a = bufpool_get(&bp, 100, &cap);
	bufpool_put(&bp, a, cap);
	cr_expect_eq(bp.cached, 512);
	cr_expect_eq(bp.held, 0);
	b = bufpool_get(&bp, 400, &cap);
	cr_expect_eq(b, a, "the returned buffer is handed out again");
	cr_expect_eq(bp.held, 512);
	cr_expect_eq(bp.cached, 0);
	bufpool_put(&bp, b, cap);
	bufpool_drain(&bp);
	cr_expect_eq(bp.cached, 0);
}

/* No more than BUFPOOL_KEEP idle buffers per class stay cached. */
Test(bufpool, keeps_a_bounded_number)
{
	struct bufpool bp;
	char *b[BUFPOOL_KEEP + 5];
	size_t cap = 0;

	bufpool_init(&bp, 4096);
	for (size_t i = 0; i < BUFPOOL_KEEP + 5; i++)
		cr_assert_not_null(b[i] = bufpool_get(&bp, 1000, &cap));
	cr_expect_eq(bp.held, (BUFPOOL_KEEP + 5) * 1024);
	for (size_t i = 0; i < BUFPOOL_KEEP + 5; i++)
		bufpool_put(&bp, b[i], cap);
	cr_expect_eq(bp.nfree[1], BUFPOOL_KEEP);
	cr_expect_eq(bp.cached, BUFPOOL_KEEP * 1024);
	cr_expect_eq(bp.held, 0);
	bufpool_drain(&bp);
}
