/*
 * worker.h -- one worker process.
 *
 * A worker blocks in one epoll_wait on its listeners, its control channel
 * and every connection it holds.  A connection with no complete request in
 * hand waits in its set (park.h) and costs it nothing; when a connection's
 * turn comes the worker serves one request on it (serve.h), then puts it
 * back and takes the next.  It owns the connections' lifetimes, the set
 * and its limits, and never returns: it exits when the master says so
 * (after finishing the request in hand and the connections it holds), when
 * the master dies, or after max_requests_per_worker requests.
 */
#ifndef PH_WORKER_H
#define PH_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "bufpool.h"
#include "config.h"
#include "conn.h"
#include "ctl.h"
#include "handler_ctx.h"
#include "listen.h"
#include "park.h"
#include "scoreboard.h"
#include "serve.h"


#define HO_INFLIGHT 32 /* hand-overs awaiting the master's answer */

struct worker {
	const struct config *cfg;
	struct scoreboard *sb;
	struct sb_slot *slot;
	int slot_index;
	pid_t pid;     /* ours, read once (glibc does not cache getpid) */
	uint32_t generation;
	int ctl_fd;    /* our end of the socketpair with the master */
	int notify_fd; /* the master's wake pipe: one byte when ready */
	const struct listener *listeners;
	size_t nlisteners;
	int epfd;
	bool stopping;       /* take no new connection, close idle ones */
	bool draining;       /* before that, accept what waits in the backlog */
	bool handing_over;   /* retiring: move the connections, don't close them */
	int64_t handover_after; /* CLOCK_MONOTONIC ms: no hand-over before */
	bool shut_listeners;   /* a full stop of sockets of our own */
	bool accepting;      /* the listeners are in the epoll set */
	uint64_t max_requests; /* 0: never recycle */

	struct serve_ctx sx;   /* per-worker storage for serving */
	struct handler_ctx hctx;
	struct park_set park;  /* connections waiting, and whose turn it is */
	struct bufpool pool;   /* their bytes in hand */
	struct conn *free_conns; /* released connection records, to reuse */
	struct conn *dead;       /* closed during this round of events */
	struct conn *requeue;    /* served last: back in the queue after the
				    events that came meanwhile */
	size_t nconns;           /* open connections */
	struct conn *handed[HO_INFLIGHT]; /* by hand-over id */
	size_t nhanded;
	char *ctlbuf;            /* a message on the control channel */
	size_t max_conns;        /* limits.connections_per_worker */
	int64_t full_checked_ms; /* when the pool was last seen all full */
};

/* The child side of a fork: set up and serve until told to stop; exits. */
_Noreturn void worker_run(struct worker *w);

#endif
