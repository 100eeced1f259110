/*
 * conn.h -- one client connection: what it is, and its I/O under deadlines.
 *
 * A connection belongs to the worker that accepted it (worker.c), which
 * keeps it in its wait set (park.h) whenever it has no complete request in
 * hand, and hands it to serve.c for one request at a time.  This file knows
 * neither: it only reads and writes the socket.  The socket is
 * non-blocking; every wait is a poll(2) with an absolute deadline,
 * recomputed before each wait, so a client trickling bytes gains nothing.
 *
 * The bytes in hand (buf, len) are those received and not yet consumed: a
 * partial PROXY header or request head, or pipelined bytes.  While the
 * connection waits they live in a small buffer from the worker's pool, or
 * nowhere when there are none; while it is served, in the worker's request
 * buffer.
 */
#ifndef PH_CONN_H
#define PH_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "park.h"
#include "scoreboard.h"

struct conn {
	int fd;
	unsigned listener;   /* index of the listener it came from */
	bool proxy_pending;  /* a PROXY header must come before any request */
	bool more;           /* the last read filled the space: more may wait */
	bool expired;        /* its head ran out of time while it waited */
	bool closing;        /* every answer closes it (a failed hand-over) */
	bool handed;         /* given to the master to move; awaiting the answer */
	bool peer_closed;    /* the client shut its side: nothing more will come */
	unsigned requests;   /* answered on this connection */
	int64_t accepted_ms;
	int64_t head_start_ms; /* the head deadline runs from here; 0: none begun */
	int64_t idle_since_ms; /* the keep-alive deadline runs from here */
	struct sockaddr_storage peer; /* the client (as a PROXY header named it) */
	socklen_t peerlen;
	char remote[SB_CLIENT_MAX];   /* the client's address as text */
	char *buf;          /* the bytes in hand, NULL when none */
	size_t len, cap;
	size_t scanned;     /* how far a partial head was looked at */
	struct park_node node; /* its place in the worker's wait set */
	/* While an answer goes out: called after a write that made progress,
	 * at most once per CONN_PROGRESS_MS, so that whoever set it (serve.c:
	 * the worker's byte counter on the status page) sees a long send
	 * advance.  NULL: none.  This file knows nothing of what it does. */
	void (*progress)(void *arg);
	void *progress_arg;
	int64_t progress_due; /* monotonic ms: not called before */
};

#define CONN_PROGRESS_MS 1000

/* The connection a wait-set node belongs to. */
static inline struct conn *conn_of(struct park_node *n)
{
	return (struct conn *)(void *)((char *)n - offsetof(struct conn, node));
}

/* Fill c->remote from c->peer ("10.0.0.1", "::1", "unix"). */
void conn_set_remote(struct conn *c);

/*
 * Read what is there into buf after len (never waits).  Returns the bytes
 * read, 0 at end of stream, CONN_AGAIN when nothing is there, or
 * CONN_ERROR (logged unless a reset).  Sets c->more.
 */
#define CONN_AGAIN (-2)
#define CONN_ERROR (-1)
ssize_t conn_read(struct conn *c);

/*
 * Read, waiting for bytes until deadline (absolute, ms).  As conn_read,
 * plus CONN_TIMEOUT when the deadline passed with nothing read.
 */
#define CONN_TIMEOUT (-3)
ssize_t conn_read_wait(struct conn *c, int64_t deadline);

/*
 * Write every byte of iov (modified); waits while the socket is full, for
 * at most send_ms since the client last took bytes.  Adds what went out to
 * *sent.  false when the client is gone or stalled past send_ms (logged).
 */
bool conn_send_iov(struct conn *c, struct iovec *iov, int cnt, bool more,
		   int64_t send_ms, uint64_t *sent);

/* The same for len bytes of file fd from off (sendfile). */
bool conn_send_file(struct conn *c, int fd, off_t off, off_t len,
		    int64_t send_ms, uint64_t *sent);

/*
 * Best effort, never waits: write what the socket takes now (a short
 * answer to a connection about to be closed).
 */
void conn_send_now(struct conn *c, const struct iovec *iov, int cnt);

#endif
