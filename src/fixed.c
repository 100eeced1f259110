/*
 * fixed.c -- answers fixed by the config: `redirect` and `return` routes.
 */
#include <stdbool.h>
#include <string.h>

#include "handler.h"

/* The longest Location a redirect sends: redirect.to (REDIRECT_TO_MAX),
 * the rest of the path and the query string; longer is answered 414. */
#define LOCATION_MAX 7168

/* A Location under construction; full once something did not fit. */
struct loc {
	char p[LOCATION_MAX];
	size_t n;
	bool full;
};

static void loc_put(struct loc *l, const char *s, size_t n)
{
	if (l->full || n > sizeof(l->p) - l->n) {
		l->full = true;
		return;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

/* Bytes a path segment may hold as they are (RFC 3986 pchar, and '/'). */
static bool path_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

/* The decoded path, %-encoded again where it must be. */
static void loc_put_path(struct loc *l, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '\0' && path_char(c)) {
			loc_put(l, (const char *)&s[i], 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			loc_put(l, e, 3);
		}
	}
}

/*
 * Location: the route's target; by default (keep_path) followed by the
 * rest of the request's path after the prefix, as Apache's `Redirect`
 * does (/old/ -> /new/: /old/a/b.html?q=1 goes to /new/a/b.html?q=1);
 * then the request's query string, after the target's own if it has one.
 */
void redirect_serve(struct exchange *x)
{
	const struct route *rt = x->route;
	const struct span *q = &x->req->query;
	const char *to = rt->redirect.to;
	size_t to_path = strcspn(to, "?#"), to_len = strlen(to);
	struct loc l = { .n = 0, .full = false };

	loc_put(&l, to, to_path);
	if (rt->redirect.keep_path && x->path_len > rt->prefix_len)
		loc_put_path(&l, x->path + rt->prefix_len,
			     x->path_len - rt->prefix_len);
	if (to[to_path] == '?') { /* the target's query; its fragment after ours */
		size_t qlen = strcspn(to + to_path, "#");
		loc_put(&l, to + to_path, qlen);
		to_path += qlen;
	}
	if (q->len > 0) {
		loc_put(&l, to[strcspn(to, "?#")] == '?' ? "&" : "?", 1);
		loc_put(&l, q->p, q->len);
	}
	loc_put(&l, to + to_path, to_len - to_path); /* a fragment, if any */
	if (l.full) {
		response_error(x->res, 414);
		return;
	}
	response_error(x->res, rt->redirect.status);
	x->res->close = false;
	response_header_n(x->res, "Location", 8, l.p, l.n);
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
