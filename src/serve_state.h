/*
 * serve_state.h -- the request in hand, shared by serve.c (its steps) and
 * exchange.c (the body and streaming calls handlers make).  Private to
 * those two files.
 */
#ifndef PH_SERVE_STATE_H
#define PH_SERVE_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "access.h"
#include "conn.h"
#include "request.h"
#include "response.h"
#include "serve.h"

#define HEAD_MAX 8192 /* serialized response head: status, fixed and extra headers */

struct serve {
	struct serve_ctx *sx;
	struct conn *c;
	const struct sockaddr *client_sa; /* the peer, or who it forwarded for */
	struct sockaddr_storage real_ss;
	char real[SB_CLIENT_MAX];
	const char *client;  /* address text for this request's log line */
	char request_id[72]; /* X-Request-Id: a trusted one, or one we made */
	size_t request_id_len;
	char user[ACCESS_USER_MAX]; /* authenticated user, for the log, or "" */
	size_t body_off;     /* next body byte in the buffer */
	bool body_done;      /* the whole body was consumed */
	bool body_failed;    /* it could not be: close after answering */
	bool continue_sent;
	bool keep;           /* keep-alive decided for this response */
	size_t head_pending; /* streamed head built, not yet sent (bytes) */
	uint64_t stream_body; /* body bytes a streaming handler wrote */
	uint64_t bytes_counted; /* of res.bytes_sent, added to the slot so far */
	bool stream_failed;
	bool abort_unsent;   /* a streamed answer was aborted before any byte went */
	struct request req;
	struct request_parser rp;
	struct response res;
	char head[HEAD_MAX];
};

/*
 * exchange.c below serves serve.c, never the other way round:
 */

/* Whether the connection stays open after this answer. */
bool serve_keep_alive(struct serve *s);

/* Write iov to the client under timeouts.send, counted in res.bytes_sent. */
bool serve_send(struct serve *s, struct iovec *iov, int cnt, bool more);

/* After the handler: read and drop a body it left. */
void serve_skip_body(struct serve *s, struct exchange *x);

/* Finish a streamed answer the handler did not end; false: cut. */
bool serve_stream_finish(struct serve *s, struct exchange *x);

#endif
