/*
 * handler.h -- the request handlers, as peers.
 *
 * route.c picks one handler per request from a small table (health, static
 * files; status, metrics, CGI, modules, redirect and return as they come),
 * then calls it with an exchange.  A handler reads the request, fills the
 * response, and never touches the socket.
 */
#ifndef PH_HANDLER_H
#define PH_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "request.h"
#include "response.h"

struct scoreboard;
struct listener;
struct serve;       /* the request being served: private to serve.c, exchange.c */
struct handler_ctx; /* per-worker state of the handlers (handler_ctx.h) */

/*
 * What a handler is given: the request, the response to fill, and what it
 * may read of the server.  It reaches neither the worker nor the
 * connection: the body and streaming calls below go through x->serve.
 */
struct exchange {
	const struct request *req;
	struct response *res;
	const struct config *cfg;
	const struct vhost *host;  /* chosen by Host; NULL: the top level */
	const struct route *route; /* NULL: the host's or top-level root serves */
	const char *path;          /* %-decoded, normalized, starts with '/' */
	size_t path_len;
	const struct sockaddr *peer;     /* the client */
	const struct scoreboard *sb;     /* health, status and metrics read it */
	const struct listener *listeners; /* the metrics show their queues */
	size_t nlisteners;
	struct handler_ctx *hctx;        /* per-worker handler state */
	struct serve *serve;
};

/*
 * The request body, decoded (Content-Length or chunked).  Puts up to cap
 * bytes in buf and returns their number; 0 at the end of the body; -1 when
 * it cannot be read (client gone, timed out, bad framing, over
 * limits.body_bytes): the connection is then closed after the answer.
 * "100 Continue" is sent on the first call when the client asked for it.
 * A handler that does not read the body leaves it to the connection.
 */
ssize_t exchange_read_body(struct exchange *x, char *buf, size_t cap);

/*
 * Streaming answers (CGI, modules).  exchange_start() sends the head built
 * from x->res now: its status and headers, plus Content-Length when length
 * >= 0, else "Transfer-Encoding: chunked" (HTTP/1.1) or a body delimited by
 * closing the connection (HTTP/1.0).  exchange_write() sends body bytes,
 * exchange_end() finishes (the connection finishes it if the handler does
 * not).  Each returns 0, or -1 when the client is gone or stalled past
 * timeouts.send: stop producing, the connection will be closed.
 */
int exchange_start(struct exchange *x, int64_t length);
int exchange_write(struct exchange *x, const void *p, size_t n);
int exchange_end(struct exchange *x);
/*
 * A streamed answer that cannot be completed: the connection is closed
 * without ending the body properly (no final chunk), so that the client
 * sees a cut, not a complete response.
 */
void exchange_abort(struct exchange *x);

typedef void (*handler_fn)(struct exchange *x);

struct handler {
	const char *name;
	handler_fn serve;
};

enum handler_id {
	HANDLER_HEALTH,
	HANDLER_STATIC,
	HANDLER_REDIRECT,
	HANDLER_RETURN,
	HANDLER_STATUS,
	HANDLER_METRICS,
	HANDLER_CGI,
	HANDLER_MODULE,
	HANDLER_UNAVAILABLE, /* no serve function for the kind: 501 */
	HANDLER_COUNT
};

extern const struct handler handlers[HANDLER_COUNT];

/*
 * For the server's own pages (status, metrics): true when the client is in
 * the allow-list and the method is GET or HEAD; otherwise the answer (403,
 * or 405 with Allow) is set and false returned.
 */
bool handler_admit(struct exchange *x, const struct acl *acl);

void health_serve(struct exchange *x);
void redirect_serve(struct exchange *x);
void return_serve(struct exchange *x);

/*
 * Which handler serves path (decoded, normalized).  Fixed paths (health)
 * come first; then the route with the longest matching prefix among the
 * routes of host (NULL: the top-level routes); without one, static files
 * under host's root (or cfg->root).  *route is set for route handlers.
 */
enum handler_id route_select(const struct config *cfg,
			     const struct vhost *host, const char *path,
			     size_t len, const struct route **route);

/* The document root of x's site: its host's, else the top-level root. */
static inline const char *exchange_doc_root(const struct exchange *x)
{
	return x->host != NULL ? x->host->root : x->cfg->root;
}

#endif
