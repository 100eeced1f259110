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

#include <sys/socket.h>

struct worker;

void conn_serve(struct worker *w, int fd, const struct sockaddr_storage *peer,
		socklen_t peerlen);

#endif
