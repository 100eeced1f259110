/*
 * health.c -- the health path: "200 ok" while serving, "503 draining" from
 * the moment a graceful stop begins, so a load balancer stops sending new
 * work before the listeners close.
 */
#include "handler.h"
#include "scoreboard.h"

void health_serve(struct exchange *x)
{
	static const char ok[] = "ok\n";
	static const char draining[] = "draining\n";
	struct response *r = x->res;
	bool drain = __atomic_load_n(&x->sb->draining, __ATOMIC_RELAXED);

	if (x->req->method != HTTP_GET && x->req->method != HTTP_HEAD) {
		response_error(r, 405);
		response_header(r, "Allow", "GET, HEAD");
		return;
	}
	r->status = drain ? 503 : 200;
	response_header(r, "Content-Type", "text/plain; charset=utf-8");
	response_header(r, "Cache-Control", "no-store");
	if (drain)
		response_body_mem(r, draining, sizeof(draining) - 1);
	else
		response_body_mem(r, ok, sizeof(ok) - 1);
}
