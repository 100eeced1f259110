/*
 * serve.h -- serving one request on a connection.
 *
 * The worker calls serve_request() when a connection's turn comes: the
 * bytes in hand are in the worker's request buffer.  It reads what else is
 * there without waiting, and if a complete request head is in hand it
 * answers that one request (reading its body and sending the answer with
 * blocking I/O under the timeouts), logs it, and says what the connection
 * needs next.  It never waits for a head: a head that is not complete
 * comes back as SERVE_WAIT, to wait in the worker's set.  It calls nothing
 * of the worker: per-worker storage and policy come in struct serve_ctx.
 */
#ifndef PH_SERVE_H
#define PH_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "conn.h"
#include "handler_ctx.h"
#include "listen.h"
#include "request.h"
#include "scoreboard.h"

enum serve_outcome {
	SERVE_CLOSE,  /* close the connection */
	SERVE_KEEP,   /* answered; keep-alive: the bytes in hand come next */
	SERVE_WAIT,   /* no complete head in hand (nor a PROXY header): wait */
	SERVE_LINGER, /* answered with an error: drop input a while, then close */
};

struct serve;

/* Per worker, set up once (serve_ctx_init) and reused for every request. */
struct serve_ctx {
	const struct config *cfg;
	struct scoreboard *sb;
	struct sb_slot *slot;
	const struct listener *listeners;
	size_t nlisteners;
	struct handler_ctx *hctx;
	char *buf;         /* the request buffer: head, body bytes, pipelined */
	size_t bufcap;
	struct header *hdrs;
	char *hbuf;        /* extra response headers built by handlers */
	size_t hbufcap;
	char *path;        /* the decoded request path */
	size_t pathcap;
	char server[64];   /* Server header value */
	uint64_t id_base;  /* generated request ids: a random start ... */
	uint64_t id_seq;   /* ... and a sequence */
	uint64_t requests;     /* answered by this process */
	bool closing;      /* the worker retires: every answer closes */
	struct serve *s;   /* the request in hand */
};

/* Allocate the buffers for cfg's limits.  0, or -1 (logged). */
int serve_ctx_init(struct serve_ctx *sx, const struct config *cfg);

/* The size of the request buffer for cfg (also the largest bytes in hand). */
size_t serve_buffer_size(const struct config *cfg);

/*
 * One turn of connection c, whose bytes in hand are in sx->buf (c->buf).
 * Afterwards the bytes still in hand are at the start of c->buf.
 */
enum serve_outcome serve_request(struct serve_ctx *sx, struct conn *c);

/*
 * c's head did not complete within timeouts.header: answer 408 (best
 * effort, never waits) and log it when any byte had come.  SERVE_CLOSE.
 */
enum serve_outcome serve_expired(struct serve_ctx *sx, struct conn *c);

#endif
