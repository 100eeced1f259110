/*
 * worker.h -- one worker process: the accept loop.
 *
 * A worker waits for its listeners and its control channel in one blocking
 * epoll_wait, accepts one connection and serves it to the end (conn.c), then
 * goes back to waiting.  It never returns: it exits when the master says so
 * (graceful: finish the request in hand; on a full stop, also the
 * connections already queued in the backlog), when the master dies, or after
 * max_requests_per_worker requests.
 */
#ifndef PH_WORKER_H
#define PH_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "listen.h"
#include "park.h"
#include "request.h"
#include "scoreboard.h"

/* Commands on the control channel, master -> worker, one byte each. */
#define CTL_QUIT 'Q'   /* graceful: finish what is in hand, then exit */
#define CTL_DRAIN 'D'  /* stop: as QUIT, after serving the queued backlog */
#define CTL_REOPEN 'R' /* two log descriptors follow as SCM_RIGHTS */

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
	bool stopping;         /* take no new connection, close idle ones */
	bool draining;         /* before exiting, serve what waits in the backlog */
	bool accept_stopped;   /* stopping: listeners out of the epoll set */
	uint64_t requests;     /* served by this process */
	uint64_t max_requests; /* 0: never recycle */
	struct park_set park;     /* slow heads set aside (park.h) */
	int64_t queue_checked_ms; /* adaptive keep-alive (conn.c) */
	bool queue_waiting;

	/* Per-connection storage, allocated once and reused. */
	char *buf;
	size_t bufcap;
	struct header *hdrs;
	char *hbuf; /* extra response headers built by handlers */
	size_t hbufcap;
	char *path; /* decoded request path */
	size_t pathcap;
	char server[64]; /* Server header value */
};

/* The child side of a fork: set up and serve until told to stop; exits. */
_Noreturn void worker_run(struct worker *w);

/* Read and act on pending control commands (non-blocking).  Sets stopping. */
void worker_check_ctl(struct worker *w);

struct conn_start;

/* Whether a stalled head may be parked now (room left, not stopping). */
bool worker_can_park(const struct worker *w);

/* Take a connection whose head stalls into the park (see park.h). */
void worker_park(struct worker *w, const struct conn_start *st);

#endif
