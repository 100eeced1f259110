/*
 * conn.h -- serving one client connection in a worker.
 *
 * conn_serve() reads requests into the worker's buffer, answers them in
 * order (keep-alive and pipelining included), and returns when the
 * connection is closed.  Every wait has an absolute deadline from
 * timeouts.* (see conn.c for how they are enforced).
 */
#ifndef PH_CONN_H
#define PH_CONN_H

#include <stdbool.h>
#include <sys/socket.h>

#include <stdint.h>

struct worker;

/* Where a connection starts: just accepted, or resumed from the park. */
struct conn_start {
	int fd;
	const struct sockaddr_storage *peer;
	socklen_t peerlen;
	bool proxy_protocol; /* a PROXY v1/v2 header must come first */
	int64_t accepted_ms;
	int64_t head_start_ms; /* resumed: when the pending head began */
	unsigned requests;     /* resumed: answered before */
	const char *pre;       /* resumed: the head bytes so far */
	size_t prelen;
};

/*
 * Serve the connection until it closes, or until its next head stalls and
 * the worker parks it (worker.c): then the fd stays open and is the park's.
 */
void conn_serve(struct worker *w, const struct conn_start *st);

/* The current Date header value (formatted once per second). */
const char *date_now(void);

#endif
