/*
 * route.c -- request path -> handler, and the handler table.
 *
 * Order: the fixed paths first (health; status and metrics join them), so
 * that no route can shadow them (the config loader refuses routes that
 * try); then the routes, longest matching prefix first (the loader sorts
 * them); without a matching route, static files from the top-level root.
 * A prefix matches as a plain string prefix of the decoded, normalized path,
 * so "/static/" matches "/static/a.css" but not "/static".
 */
#include <string.h>

#include "cgi.h"
#include "handler.h"
#include "metrics.h"
#include "module.h"
#include "static.h"
#include "status.h"

static void unavailable_serve(struct exchange *x)
{
	response_error(x->res, 501);
}

const struct handler handlers[HANDLER_COUNT] = {
	[HANDLER_HEALTH] = { "health", health_serve },
	[HANDLER_STATIC] = { "static", static_serve },
	[HANDLER_REDIRECT] = { "redirect", redirect_serve },
	[HANDLER_RETURN] = { "return", return_serve },
	[HANDLER_STATUS] = { "status", status_serve },
	[HANDLER_METRICS] = { "metrics", metrics_serve },
	[HANDLER_CGI] = { "cgi", cgi_serve },
	[HANDLER_MODULE] = { "module", module_serve },
	[HANDLER_UNAVAILABLE] = { "unavailable", unavailable_serve },
};

static bool path_is(const char *fixed, const char *path, size_t len)
{
	return fixed != NULL && strlen(fixed) == len &&
	       memcmp(fixed, path, len) == 0;
}

static enum handler_id route_kind_handler(enum route_kind k)
{
	switch (k) {
	case ROUTE_STATIC:
		return HANDLER_STATIC;
	case ROUTE_REDIRECT:
		return HANDLER_REDIRECT;
	case ROUTE_RETURN:
		return HANDLER_RETURN;
	case ROUTE_CGI:
		return HANDLER_CGI;
	case ROUTE_MODULE:
		return HANDLER_MODULE;
	}
	return HANDLER_UNAVAILABLE;
}

static enum handler_id available(enum handler_id id)
{
	return handlers[id].serve != NULL ? id : HANDLER_UNAVAILABLE;
}

enum handler_id route_select(const struct config *cfg,
			     const struct vhost *host, const char *path,
			     size_t len, const struct route **route)
{
	const struct route *routes = host ? host->routes : cfg->routes;
	size_t nroutes = host ? host->nroutes : cfg->nroutes;

	*route = NULL;
	if (path_is(cfg->health_path, path, len))
		return HANDLER_HEALTH;
	if (path_is(cfg->status.path, path, len))
		return available(HANDLER_STATUS);
	if (path_is(cfg->metrics.path, path, len))
		return available(HANDLER_METRICS);
	for (size_t i = 0; i < nroutes; i++) {
		const struct route *r = &routes[i];
		if (r->prefix_len <= len && memcmp(r->prefix, path, r->prefix_len) == 0) {
			*route = r;
			return available(route_kind_handler(r->kind));
		}
	}
	return HANDLER_STATIC;
}

bool handler_admit(struct exchange *x, const struct acl *acl)
{
	if (!cidr_match_any(acl->allow, acl->nallow, x->peer)) {
		response_error(x->res, 403);
		return false;
	}
	if (x->req->method != HTTP_GET && x->req->method != HTTP_HEAD) {
		response_error(x->res, 405);
		response_header(x->res, "Allow", "GET, HEAD");
		return false;
	}
	return true;
}
