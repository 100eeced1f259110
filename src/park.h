/*
 * park.h -- a worker's wait set: the connections that have no complete
 * request in hand, and those whose turn has come.
 *
 * A worker serves one request at a time.  Every other connection it holds
 * waits here, in one of these states:
 *
 *   PARK_HEAD    nothing yet, or part of a PROXY header or request head;
 *                deadline: timeouts.header from the head's first byte
 *                (from the accept for the first request)
 *   PARK_IDLE    between keep-alive requests; deadline: timeouts.keepalive
 *                from the last answer.  Also kept in age order, so the
 *                oldest idle connection can be closed first.
 *   PARK_LINGER  answered with an error and half-closed: its input is
 *                read and dropped until the peer closes or the deadline
 *   PARK_QUEUED  has something to do (bytes arrived, a pipelined request,
 *                a deadline that passed): waits for its turn, first in,
 *                first out; no deadline while it waits
 *
 * This file is only the bookkeeping: a heap of deadlines, the idle list and
 * the turn queue, all O(log n) or O(1).  The nodes live inside the
 * connections (conn.h); the worker does the I/O.
 */
#ifndef PH_PARK_H
#define PH_PARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum park_state {
	PARK_OUT = 0, /* not in the set: being served, or not a connection */
	PARK_HEAD,
	PARK_IDLE,
	PARK_LINGER,
	PARK_QUEUED,
	PARK_STATES
};

struct park_node {
	enum park_state state;
	int64_t deadline;            /* INT64_MAX: none (queued) */
	size_t heap;                 /* index in the deadline heap */
	struct park_node *prev, *next; /* the idle list or the turn queue */
};

struct park_list {
	struct park_node *head, *tail;
};

struct park_set {
	struct park_node **heap; /* min-heap on deadline */
	size_t nheap, cap;
	struct park_list idle;   /* oldest first */
	struct park_list queue;  /* next turn first */
	size_t count[PARK_STATES];
};

/* Room for cap nodes in all (the worker's connection limit).  0 or -1. */
int park_init(struct park_set *ps, size_t cap);
void park_free(struct park_set *ps);

/*
 * Put node (which must be out) into the set in state st with deadline
 * (ignored for PARK_QUEUED, which goes to the back of the queue).
 */
void park_enter(struct park_set *ps, struct park_node *n, enum park_state st,
		int64_t deadline);

/* Take node out of the set, whatever its state (harmless when out). */
void park_leave(struct park_set *ps, struct park_node *n);

/* Out of its waiting state and to the back of the turn queue. */
void park_queue(struct park_set *ps, struct park_node *n);

/* The next node whose turn it is (taken out of the set), or NULL. */
struct park_node *park_next_turn(struct park_set *ps);

/* The earliest deadline of a waiting node, or INT64_MAX. */
int64_t park_next_deadline(const struct park_set *ps);

/* A node whose deadline is <= now (left in the set), or NULL. */
struct park_node *park_expired(const struct park_set *ps, int64_t now);

/* The idle node that has been idle longest, or NULL. */
struct park_node *park_oldest_idle(const struct park_set *ps);

/* Nodes in the set, all states. */
size_t park_count(const struct park_set *ps);

#endif
