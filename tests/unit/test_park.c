/*
 * test_park.c -- the wait set: deadlines in order whatever the order of
 * entry and leaving, the idle list oldest first, the turn queue first in
 * first out, counts by state.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "park.h"

#define N 64

static struct park_set ps;
static struct park_node nodes[N];

static void setup(void)
{
	cr_assert_eq(park_init(&ps, N), 0);
	for (size_t i = 0; i < N; i++)
		nodes[i] = (struct park_node){ 0 };
}

static void teardown(void)
{
	park_free(&ps);
}

TestSuite(park, .init = setup, .fini = teardown);

Test(park, empty)
{
	cr_expect_eq(park_next_deadline(&ps), INT64_MAX);
	cr_expect_null(park_expired(&ps, INT64_MAX - 1));
	cr_expect_null(park_next_turn(&ps));
	cr_expect_null(park_oldest_idle(&ps));
	cr_expect_eq(park_count(&ps), 0);
}

/* Nodes come out of the heap by deadline, whatever the order they went in. */
Test(park, deadlines_in_order)
{
	int64_t d[N];
	int64_t last = INT64_MIN;
	size_t n = 0;
	struct park_node *p;

	srand(7);
	for (size_t i = 0; i < N; i++) {
		d[i] = rand() % 1000;
		park_enter(&ps, &nodes[i], i % 3 ? PARK_HEAD : PARK_IDLE, d[i]);
	}
	cr_assert_eq(park_count(&ps), N);
	while ((p = park_expired(&ps, 1000)) != NULL) {
		cr_assert_geq(p->deadline, last, "deadline %ld after %ld",
			      (long)p->deadline, (long)last);
		cr_assert_eq(park_next_deadline(&ps), p->deadline);
		last = p->deadline;
		park_leave(&ps, p);
		n++;
	}
	cr_expect_eq(n, N, "every node expired once (%zu)", n);
	cr_expect_eq(park_count(&ps), 0);
}

/* Leaving from the middle keeps the heap a heap. */
Test(park, leave_from_anywhere)
{
	struct park_node *p;
	int64_t last = INT64_MIN;
	size_t n = 0;

	for (size_t i = 0; i < N; i++)
		park_enter(&ps, &nodes[i], PARK_HEAD, (int64_t)((i * 37) % N));
	for (size_t i = 0; i < N; i += 3)
		park_leave(&ps, &nodes[i]);
	park_leave(&ps, &nodes[0]); /* leaving twice is harmless */
	while ((p = park_expired(&ps, N)) != NULL) {
		cr_assert_geq(p->deadline, last);
		cr_assert_neq((size_t)(p - nodes) % 3, 0, "a node that left came back");
		last = p->deadline;
		park_leave(&ps, p);
		n++;
	}
	cr_expect_eq(n, N - (N + 2) / 3);
}

Test(park, expired_only_when_due)
{
	park_enter(&ps, &nodes[0], PARK_HEAD, 100);
	park_enter(&ps, &nodes[1], PARK_LINGER, 50);
	cr_expect_null(park_expired(&ps, 49));
	cr_expect_eq(park_expired(&ps, 50), &nodes[1]);
	park_leave(&ps, &nodes[1]);
	cr_expect_null(park_expired(&ps, 99));
	cr_expect_eq(park_expired(&ps, 100), &nodes[0]);
}

Test(park, turns_first_in_first_out)
{
	park_enter(&ps, &nodes[0], PARK_IDLE, 10);
	park_enter(&ps, &nodes[1], PARK_HEAD, 5);
	park_queue(&ps, &nodes[1]);
	park_queue(&ps, &nodes[2]);
	park_queue(&ps, &nodes[0]);
	park_queue(&ps, &nodes[1]); /* already queued: keeps its place */
	cr_expect_eq(ps.count[PARK_QUEUED], 3);
	cr_expect_eq(park_next_deadline(&ps), INT64_MAX,
		     "a queued node has no deadline");
	cr_expect_null(park_oldest_idle(&ps), "a queued node is not idle");
	cr_expect_eq(park_next_turn(&ps), &nodes[1]);
	cr_expect_eq(park_next_turn(&ps), &nodes[2]);
	cr_expect_eq(park_next_turn(&ps), &nodes[0]);
	cr_expect_null(park_next_turn(&ps));
	cr_expect_eq(nodes[0].state, PARK_OUT);
	cr_expect_eq(park_count(&ps), 0);
}

Test(park, oldest_idle_first)
{
	park_enter(&ps, &nodes[0], PARK_IDLE, 30);
	park_enter(&ps, &nodes[1], PARK_IDLE, 10);
	park_enter(&ps, &nodes[2], PARK_HEAD, 1);
	park_enter(&ps, &nodes[3], PARK_IDLE, 20);
	cr_expect_eq(park_oldest_idle(&ps), &nodes[0], "idle order is entry order");
	park_leave(&ps, &nodes[0]);
	cr_expect_eq(park_oldest_idle(&ps), &nodes[1]);
	/* Idle again later: now the youngest. */
	park_leave(&ps, &nodes[1]);
	park_enter(&ps, &nodes[1], PARK_IDLE, 40);
	cr_expect_eq(park_oldest_idle(&ps), &nodes[3]);
	cr_expect_eq(ps.count[PARK_IDLE], 2);
	cr_expect_eq(ps.count[PARK_HEAD], 1);
}

/* Entering a new state leaves the old one: counts and lists stay right. */
Test(park, reenter_moves)
{
	park_enter(&ps, &nodes[0], PARK_IDLE, 30);
	park_enter(&ps, &nodes[0], PARK_HEAD, 5);
	cr_expect_eq(ps.count[PARK_IDLE], 0);
	cr_expect_eq(ps.count[PARK_HEAD], 1);
	cr_expect_null(park_oldest_idle(&ps));
	cr_expect_eq(park_next_deadline(&ps), 5);
	cr_expect_eq(park_count(&ps), 1);
}
