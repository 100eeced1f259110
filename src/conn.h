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

struct worker;

/* proxy_protocol: a PROXY v1/v2 header must come first (see conn.c). */
void conn_serve(struct worker *w, int fd, const struct sockaddr_storage *peer,
		socklen_t peerlen, bool proxy_protocol);

#endif
