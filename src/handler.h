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

struct worker;

struct exchange {
	const struct request *req;
	struct response *res;
	const struct config *cfg;
	const struct route *route; /* NULL: the top-level root serves */
	const char *path;          /* %-decoded, normalized, starts with '/' */
	size_t path_len;
	const struct sockaddr *peer;
	struct worker *worker;     /* per-worker state: root fd, draining flag */
	char *scratch;             /* per-connection scratch space for the handler */
	size_t scratch_len;
};

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
	HANDLER_UNAVAILABLE, /* a route kind this build cannot serve yet: 501 */
	HANDLER_COUNT
};

extern const struct handler handlers[HANDLER_COUNT];

void health_serve(struct exchange *x);
void redirect_serve(struct exchange *x);
void return_serve(struct exchange *x);

/*
 * Which handler serves path (decoded, normalized).  Fixed paths (health)
 * come first; then the route with the longest matching prefix; without
 * routes, static files under cfg->root.  *route is set for route handlers.
 */
enum handler_id route_select(const struct config *cfg, const char *path,
			     size_t len, const struct route **route);

#endif
