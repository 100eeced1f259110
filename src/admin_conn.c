/*
 * admin_conn.c -- the admin process's connection table (see admin_conn.h).
 */
#include <limits.h>

#include "admin_conn.h"

void admin_conns_init(struct admin_conns *t, struct admin_conn *slots,
		      size_t n)
{
	t->slot = slots;
	t->n = n;
	t->seq = 0;
	for (size_t i = 0; i < n; i++)
		admin_conns_free(&slots[i]);
}

struct admin_conn *admin_conns_pick(struct admin_conns *t)
{
	struct admin_conn *oldest = NULL, *oldest_done = NULL;

	for (size_t i = 0; i < t->n; i++) {
		struct admin_conn *c = &t->slot[i];
		if (c->state == AC_FREE)
			return c;
		if (oldest == NULL || c->seq < oldest->seq)
			oldest = c;
		if (c->state == AC_LINGERING &&
		    (oldest_done == NULL || c->seq < oldest_done->seq))
			oldest_done = c;
	}
	return oldest_done != NULL ? oldest_done : oldest;
}

void admin_conns_open(struct admin_conns *t, struct admin_conn *c, int fd,
		      bool agent, int64_t now, int64_t deadline_ms)
{
	c->state = agent ? AC_WRITING : AC_READING;
	c->fd = fd;
	c->agent = agent;
	c->seq = ++t->seq;
	c->deadline = now + deadline_ms;
	c->in_len = 0;
	c->head_len = 0;
	c->body = NULL;
	c->body_len = 0;
	c->sent = 0;
}

void admin_conns_free(struct admin_conn *c)
{
	c->state = AC_FREE;
	c->fd = -1;
	c->in_len = 0;
	c->head_len = 0;
	c->body = NULL;
	c->body_len = 0;
	c->sent = 0;
}

int admin_conns_wait_ms(const struct admin_conns *t, int64_t now)
{
	int64_t nearest = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct admin_conn *c = &t->slot[i];
		if (c->state == AC_FREE)
			continue;
		int64_t left = c->deadline - now;
		if (left < 0)
			left = 0;
		if (nearest < 0 || left < nearest)
			nearest = left;
	}
	return nearest > INT_MAX ? INT_MAX : (int)nearest;
}

size_t admin_conns_open_count(const struct admin_conns *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->slot[i].state != AC_FREE;
	return n;
}
