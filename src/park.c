/*
 * park.c -- a worker's wait set (see park.h): a binary min-heap of
 * deadlines, with each node knowing its index so it can leave from
 * anywhere, and two doubly linked lists (idle age order, turn queue).
 */
#include <stdlib.h>
#include <string.h>

#include "park.h"

int park_init(struct park_set *ps, size_t cap)
{
	memset(ps, 0, sizeof(*ps));
	ps->cap = cap;
	ps->heap = calloc(cap ? cap : 1, sizeof(*ps->heap));
	return ps->heap ? 0 : -1;
}

void park_free(struct park_set *ps)
{
	free(ps->heap);
	memset(ps, 0, sizeof(*ps));
}

/* ---- the deadline heap ---- */

static void heap_set(struct park_set *ps, size_t i, struct park_node *n)
{
	ps->heap[i] = n;
	n->heap = i;
}

static void heap_up(struct park_set *ps, size_t i)
{
	struct park_node *n = ps->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (ps->heap[parent]->deadline <= n->deadline)
			break;
		heap_set(ps, i, ps->heap[parent]);
		i = parent;
	}
	heap_set(ps, i, n);
}

static void heap_down(struct park_set *ps, size_t i)
{
	struct park_node *n = ps->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		int64_t md = n->deadline;
		if (l < ps->nheap && ps->heap[l]->deadline < md) {
			m = l;
			md = ps->heap[l]->deadline;
		}
		if (r < ps->nheap && ps->heap[r]->deadline < md)
			m = r;
		if (m == i)
			break;
		heap_set(ps, i, ps->heap[m]);
		i = m;
	}
	heap_set(ps, i, n);
}

static void heap_add(struct park_set *ps, struct park_node *n)
{
	heap_set(ps, ps->nheap++, n);
	heap_up(ps, n->heap);
}

static void heap_remove(struct park_set *ps, struct park_node *n)
{
	size_t i = n->heap;
	struct park_node *last = ps->heap[--ps->nheap];

	if (last == n)
		return;
	heap_set(ps, i, last);
	if (i > 0 && ps->heap[(i - 1) / 2]->deadline > last->deadline)
		heap_up(ps, i);
	else
		heap_down(ps, i);
}

/* ---- the lists ---- */

static void list_append(struct park_list *l, struct park_node *n)
{
	n->next = NULL;
	n->prev = l->tail;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

static void list_remove(struct park_list *l, struct park_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NULL;
}

/* ---- states ---- */

void park_enter(struct park_set *ps, struct park_node *n, enum park_state st,
		int64_t deadline)
{
	if (n->state != PARK_OUT)
		park_leave(ps, n);
	n->state = st;
	ps->count[st]++;
	if (st == PARK_QUEUED) {
		n->deadline = INT64_MAX;
		list_append(&ps->queue, n);
		return;
	}
	n->deadline = deadline;
	heap_add(ps, n);
	if (st == PARK_IDLE)
		list_append(&ps->idle, n);
}

void park_leave(struct park_set *ps, struct park_node *n)
{
	switch (n->state) {
	case PARK_OUT:
	case PARK_STATES:
		return;
	case PARK_QUEUED:
		list_remove(&ps->queue, n);
		break;
	case PARK_IDLE:
		list_remove(&ps->idle, n);
		heap_remove(ps, n);
		break;
	case PARK_HEAD:
	case PARK_LINGER:
		heap_remove(ps, n);
		break;
	}
	ps->count[n->state]--;
	n->state = PARK_OUT;
}

void park_queue(struct park_set *ps, struct park_node *n)
{
	if (n->state != PARK_QUEUED)
		park_enter(ps, n, PARK_QUEUED, 0);
}

struct park_node *park_next_turn(struct park_set *ps)
{
	struct park_node *n = ps->queue.head;

	if (n != NULL)
		park_leave(ps, n);
	return n;
}

int64_t park_next_deadline(const struct park_set *ps)
{
	return ps->nheap > 0 ? ps->heap[0]->deadline : INT64_MAX;
}

struct park_node *park_expired(const struct park_set *ps, int64_t now)
{
	return ps->nheap > 0 && ps->heap[0]->deadline <= now ? ps->heap[0] : NULL;
}

struct park_node *park_oldest_idle(const struct park_set *ps)
{
	return ps->idle.head;
}

size_t park_count(const struct park_set *ps)
{
	size_t n = 0;

	for (int s = PARK_HEAD; s < PARK_STATES; s++)
		n += ps->count[s];
	return n;
}
