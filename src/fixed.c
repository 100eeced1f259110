/*
 * fixed.c -- answers fixed by the config: `redirect` and `return` routes.
 */
#include <string.h>

#include "handler.h"

/* Room for a query string after the longest target (REDIRECT_TO_MAX);
 * a longer one is answered 414. */
#define REDIRECT_QUERY_MAX 2048

/* Location: the route's target, with the request's query string kept. */
void redirect_serve(struct exchange *x)
{
	const struct route *rt = x->route;
	const struct span *q = &x->req->query;
	char loc[REDIRECT_TO_MAX + 1 + REDIRECT_QUERY_MAX];
	size_t n = strlen(rt->redirect.to);

	if (n + 1 + q->len >= sizeof(loc)) {
		response_error(x->res, 414);
		return;
	}
	memcpy(loc, rt->redirect.to, n);
	if (q->len > 0) {
		loc[n++] = strchr(rt->redirect.to, '?') ? '&' : '?';
		memcpy(loc + n, q->p, q->len);
		n += q->len;
	}
	response_error(x->res, rt->redirect.status);
	x->res->close = false;
	response_header_n(x->res, "Location", 8, loc, n);
	for (size_t i = 0; i < rt->nheaders; i++)
		response_header(x->res, rt->headers[i].name, rt->headers[i].value);
}

void return_serve(struct exchange *x)
{
	const struct route *rt = x->route;

	x->res->status = rt->ret.status;
	if (rt->ret.status == 204 || rt->ret.status == 304 || rt->ret.status < 200)
		x->res->no_length = true;
	else
		response_header(x->res, "Content-Type", "text/plain; charset=utf-8");
	for (size_t i = 0; i < rt->nheaders; i++)
		response_header(x->res, rt->headers[i].name, rt->headers[i].value);
	if (!x->res->no_length)
		response_body_mem(x->res, rt->ret.body, rt->ret.body_len);
}
