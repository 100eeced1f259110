/*
 * metrics.h -- Prometheus metrics (text exposition format 0.0.4).
 *
 * Everything comes from the shared scoreboard (requests by status class and
 * by method, bytes, the duration histogram, workers by state, restarts by
 * reason, reloads, ...) plus, per TCP listener, the kernel's view of its
 * accept queue (getsockopt TCP_INFO on the listening socket: for a socket
 * in LISTEN state tcpi_unacked is the number of connections waiting to be
 * accepted and tcpi_sacked the backlog limit).  docs/operations.md lists
 * every series.  Rendering never allocates.
 */
#ifndef PH_METRICS_H
#define PH_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "handler.h"
#include "listen.h"
#include "response.h"
#include "scoreboard.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A buffer size that holds the metrics for nls listeners. */
size_t metrics_buffer_size(size_t nls);

/*
 * The accept queue of a listening TCP socket: 0 with *depth (connections
 * waiting for accept) and *limit (the backlog), or -1 when fd is not a TCP
 * socket in LISTEN state (unix sockets) or getsockopt fails (logged).
 */
int listener_queue(const struct listener *l, unsigned *depth, unsigned *limit);

/*
 * Render the metrics into buf; ls/nls are the worker listeners (their
 * accept queues are reported).  Returns the length, or 0 when it does not
 * fit in cap.  cfg may be NULL.
 */
size_t metrics_render(const struct scoreboard *sb, const struct config *cfg,
		      const struct listener *ls, size_t nls, char *buf,
		      size_t cap);

/* Fill r with the metrics (200, METRICS_CONTENT_TYPE, no-store); 500 when
 * they do not fit.  No access check: the caller did it. */
void metrics_answer(struct response *r, const struct scoreboard *sb,
		    const struct config *cfg, const struct listener *ls,
		    size_t nls, char *buf, size_t cap);

/*
 * The handler for cfg->metrics.path on the worker listeners: 403 unless the
 * peer is in cfg->metrics.allow, 405 for methods other than GET and HEAD.
 */
void metrics_serve(struct exchange *x);

#endif
