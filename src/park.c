/*
 * park.c -- the parked-connection set (see park.h).  Buffers grow with
 * what actually arrived, so a thousand one-byte heads cost little memory.
 */
#include <stdlib.h>
#include <string.h>

#include "park.h"

#define PARK_MIN_BUF 256

int park_init(struct park_set *ps, size_t cap)
{
	ps->count = 0;
	ps->cap = cap;
	ps->p = cap ? calloc(cap, sizeof(*ps->p)) : NULL;
	if (cap && ps->p == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		ps->p[i].fd = -1;
	return 0;
}

struct parked *park_add(struct park_set *ps)
{
	for (size_t i = 0; i < ps->cap; i++) {
		if (ps->p[i].fd < 0) {
			ps->count++;
			return &ps->p[i];
		}
	}
	return NULL;
}

void park_remove(struct park_set *ps, struct parked *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	ps->count--;
}

struct parked *park_find(struct park_set *ps, int fd)
{
	for (size_t i = 0; i < ps->cap; i++)
		if (ps->p[i].fd == fd)
			return &ps->p[i];
	return NULL;
}

int64_t park_next_deadline(const struct park_set *ps)
{
	int64_t t = INT64_MAX;

	for (size_t i = 0; i < ps->cap && ps->count > 0; i++)
		if (ps->p[i].fd >= 0 && ps->p[i].deadline_ms < t)
			t = ps->p[i].deadline_ms;
	return t;
}

int park_append(struct parked *p, const char *data, size_t n, size_t max)
{
	if (n == 0) /* a silent connection parks with nothing yet */
		return 0;
	if (p->len + n > max)
		return -1;
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : PARK_MIN_BUF;
		while (cap < p->len + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		char *nb = realloc(p->buf, cap);
		if (nb == NULL)
			return -1;
		p->buf = nb;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return 0;
}

bool park_head_complete(const struct parked *p)
{
	for (size_t i = 1; i < p->len; i++) {
		if (p->buf[i] != '\n')
			continue;
		if (p->buf[i - 1] == '\n')
			return true;
		if (i >= 3 && p->buf[i - 1] == '\r' && p->buf[i - 2] == '\n')
			return true;
	}
	return false;
}
