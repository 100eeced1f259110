/*
 * test_admin_conn.c -- the admin process's connection table: which slot a
 * new connection takes (free first, then the oldest answered one, then
 * the oldest), and how long the loop may sleep before the nearest
 * deadline.
 */
#include <criterion/criterion.h>

#include "admin_conn.h"

static struct admin_conn slots[ADMIN_CONNS_MAX];
static struct admin_conns t;

static void setup(void)
{
	admin_conns_init(&t, slots, ADMIN_CONNS_MAX);
}

TestSuite(admin_conn, .init = setup);

/* Open a connection (fd = 100 + its order) at now, deadline now + 2000. */
static struct admin_conn *open_at(int64_t now, bool agent)
{
	struct admin_conn *c = admin_conns_pick(&t);
	static int next_fd = 100;

	cr_assert_not_null(c);
	cr_assert_eq(c->state, AC_FREE, "a free slot was expected");
	admin_conns_open(&t, c, next_fd++, agent, now, 2000);
	return c;
}

static void fill(int64_t now)
{
	for (size_t i = 0; i < ADMIN_CONNS_MAX; i++)
		open_at(now + (int64_t)i, false);
	cr_assert_eq(admin_conns_open_count(&t), ADMIN_CONNS_MAX);
}

Test(admin_conn, starts_empty)
{
	cr_expect_eq(admin_conns_open_count(&t), 0);
	cr_expect_eq(admin_conns_wait_ms(&t, 1000), -1, "nothing to wait for");
	cr_expect_eq(admin_conns_pick(&t)->state, AC_FREE);
}

Test(admin_conn, open_sets_state_and_deadline)
{
	struct admin_conn *http = open_at(1000, false);
	struct admin_conn *agent = open_at(1500, true);

	cr_expect_eq(http->state, AC_READING);
	cr_expect_eq(agent->state, AC_WRITING, "an agent check only writes");
	cr_expect_eq(http->deadline, 3000);
	cr_expect_eq(agent->deadline, 3500);
	cr_expect_lt(http->seq, agent->seq);
	cr_expect_neq(http, agent);
	cr_expect_eq(admin_conns_open_count(&t), 2);
}

Test(admin_conn, free_slot_before_any_eviction)
{
	struct admin_conn *c;

	fill(0);
	c = &slots[5];
	admin_conns_free(c);
	cr_expect_eq(admin_conns_pick(&t), c);
	cr_expect_eq(admin_conns_open_count(&t), ADMIN_CONNS_MAX - 1);
}

Test(admin_conn, full_table_gives_the_oldest)
{
	struct admin_conn *victim;

	fill(0);
	victim = admin_conns_pick(&t);
	cr_assert_neq(victim->state, AC_FREE, "the table is full");
	for (size_t i = 0; i < ADMIN_CONNS_MAX; i++)
		cr_expect_leq(victim->seq, slots[i].seq);
	cr_expect_eq(victim->fd, slots[0].fd, "the first one opened");
}

Test(admin_conn, full_table_prefers_the_oldest_answered)
{
	struct admin_conn *victim;

	fill(0);
	slots[9].state = AC_LINGERING;
	slots[4].state = AC_LINGERING;
	slots[12].state = AC_LINGERING;
	victim = admin_conns_pick(&t);
	cr_expect_eq(victim, &slots[4],
		     "the oldest answered connection goes before older "
		     "unanswered ones");
}

/* Evicting one by one (as a flood of new connections does) goes through
 * the connections in the order they came: none is kept forever. */
Test(admin_conn, evictions_in_arrival_order)
{
	fill(0);
	for (size_t i = 0; i < 3 * ADMIN_CONNS_MAX; i++) {
		struct admin_conn *c = admin_conns_pick(&t);
		cr_assert_neq(c->state, AC_FREE);
		cr_expect_eq(c->seq, i + 1, "eviction %zu: connection %llu",
			     i, (unsigned long long)c->seq);
		admin_conns_free(c);
		open_at(100 + (int64_t)i, false);
	}
	cr_expect_eq(admin_conns_open_count(&t), ADMIN_CONNS_MAX);
}

Test(admin_conn, wait_until_the_nearest_deadline)
{
	struct admin_conn *a = open_at(1000, false); /* deadline 3000 */
	struct admin_conn *b = open_at(1200, false); /* deadline 3200 */

	cr_expect_eq(admin_conns_wait_ms(&t, 1000), 2000);
	cr_expect_eq(admin_conns_wait_ms(&t, 2999), 1);
	cr_expect_eq(admin_conns_wait_ms(&t, 3000), 0, "due now");
	cr_expect_eq(admin_conns_wait_ms(&t, 5000), 0, "overdue: no wait");
	admin_conns_free(a);
	cr_expect_eq(admin_conns_wait_ms(&t, 1000), 2200);
	admin_conns_free(b);
	cr_expect_eq(admin_conns_wait_ms(&t, 1000), -1);
}
