/*
 * serve.c -- one request on a connection, from head to log (see serve.h).
 *
 * Steps, in the shape of quark's connection_serve: the PROXY header of a
 * new connection if its listener wants one, the head (never waited for:
 * incomplete means SERVE_WAIT), the client behind trusted proxies, the
 * handler route.c picks (it fills a struct response, or streams through
 * exchange.c), the body it left unread, the answer, the access log line,
 * the keep-alive decision.  Bytes after the request stay in hand for the
 * next turn (pipelining).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "errorpage.h"
#include "handler.h"
#include "log.h"
#include "path.h"
#include "proxy.h"
#include "realip.h"
#include "serve_state.h"
#include "util.h"
#include "vhost.h"

#define BUF_SLACK 16384 /* room for body and pipelined bytes after a full head */
#define HBUF_SIZE 8192

size_t serve_buffer_size(const struct config *cfg)
{
	return (size_t)cfg->limits.header_bytes + BUF_SLACK;
}

int serve_ctx_init(struct serve_ctx *sx, const struct config *cfg)
{
	sx->cfg = cfg;
	sx->bufcap = serve_buffer_size(cfg);
	sx->buf = malloc(sx->bufcap);
	sx->hdrs = calloc((size_t)cfg->limits.headers + 1, sizeof(*sx->hdrs));
	sx->hbufcap = HBUF_SIZE;
	sx->hbuf = malloc(sx->hbufcap);
	sx->pathcap = (size_t)cfg->limits.uri_bytes + 1;
	sx->path = malloc(sx->pathcap);
	sx->s = calloc(1, sizeof(*sx->s));
	if (!sx->buf || !sx->hdrs || !sx->hbuf || !sx->path || !sx->s) {
		log_errno(LOG_ERROR, "malloc(request buffers)");
		return -1;
	}
	request_parser_init(&sx->s->rp, &sx->s->req, sx->hdrs,
			    &(struct request_limits){
				    .header_bytes = cfg->limits.header_bytes,
				    .headers = cfg->limits.headers,
				    .uri_bytes = cfg->limits.uri_bytes,
				    .body_bytes = cfg->limits.body_bytes,
			    });
	response_init(&sx->s->res, sx->hbuf, sx->hbufcap);
	snprintf(sx->server, sizeof(sx->server), "%s",
		 cfg->server_tokens ? PACKAGE_NAME "/" PACKAGE_VERSION
				    : PACKAGE_NAME);
	/* Request ids: a random start per worker, so they tell nothing of it. */
	if (getrandom(&sx->id_base, sizeof(sx->id_base), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(sx->id_base))
		sx->id_base = ((uint64_t)(uint32_t)random() << 32) ^
			      (uint64_t)now_ms();
	return 0;
}

/* ---- the PROXY header and the head ---- */

/*
 * A listener with proxy_protocol: the balancer's PROXY header (v1 or v2)
 * comes first and names the client; it shares the first head's deadline.
 * 1: read (and consumed); 0: incomplete, wait; -1: invalid or closed:
 * close without answering (the spec says a receiver never guesses).
 */
static int read_proxy(struct serve *s)
{
	struct conn *c = s->c;
	struct proxy_info pi;
	size_t used = 0;

	for (;;) {
		if (c->len > 0) {
			enum proxy_status st = proxy_parse(c->buf, c->len, &pi, &used);
			if (st == PROXY_OK)
				break;
			if (st == PROXY_INVALID) {
				log_info("client %s: invalid PROXY protocol header",
					 c->remote);
				return -1;
			}
		}
		ssize_t n = conn_read(c);
		if (n == CONN_AGAIN)
			return 0;
		if (n <= 0)
			return -1;
	}
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	c->proxy_pending = false;
	if (!pi.local) { /* LOCAL / UNKNOWN: the balancer itself, keep the peer */
		c->peer = pi.src;
		c->peerlen = sizeof(pi.src);
		conn_set_remote(c);
	}
	return 1;
}

/*
 * Parse the head in hand, reading what has arrived since.  REQ_HEAD or
 * REQ_ERROR (answer and close); REQ_AGAIN with *next SERVE_WAIT (not
 * complete, nothing more there) or SERVE_CLOSE (the client closed).
 */
static enum req_status read_head(struct serve *s, enum serve_outcome *next)
{
	struct conn *c = s->c;

	for (;;) {
		if (c->len > 0) {
			if (c->head_start_ms == 0) /* the head clock starts */
				c->head_start_ms = c->requests == 0 ? c->accepted_ms
								    : now_ms();
			enum req_status st = request_head(&s->rp, c->buf, c->len);
			if (st != REQ_AGAIN)
				return st;
		}
		ssize_t n = conn_read(c);
		if (n > 0)
			continue;
		c->scanned = s->rp.scanned;
		*next = n == CONN_AGAIN ? SERVE_WAIT : SERVE_CLOSE;
		return REQ_AGAIN;
	}
}

/* ---- who is asking ---- */

/*
 * The client of this request: the peer (or the client a PROXY header
 * named), or, when that peer is a trusted proxy, the address it forwarded
 * (X-Forwarded-For / Forwarded).  Used for the log, the status and metrics
 * allow-lists and CGI's REMOTE_ADDR.
 */
static void serve_client(struct serve *s, bool parsed)
{
	const struct config *cfg = s->sx->cfg;
	struct conn *c = s->c;

	s->client = c->remote;
	s->client_sa = (const struct sockaddr *)&c->peer;
	if (parsed && cfg->ntrusted_proxies > 0 &&
	    realip_resolve(&s->req, s->client_sa, cfg->trusted_proxies,
			   cfg->ntrusted_proxies, &s->real_ss)) {
		s->client_sa = (const struct sockaddr *)&s->real_ss;
		addr_text(s->client_sa, s->real, sizeof(s->real));
		s->client = s->real;
		sb_set_client(s->sx->slot, s->real);
	}
}

/* A request id a balancer or client sent: short, and only safe characters. */
static bool request_id_ok(const struct span *v)
{
	if (v->len == 0 || v->len > 64)
		return false;
	for (size_t i = 0; i < v->len; i++) {
		char ch = v->p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_' ||
		      ch == '.' || ch == ':' || ch == '/' || ch == '+' || ch == '='))
			return false;
	}
	return true;
}

/* Whether the connecting peer (not who it forwards for) is a trusted proxy. */
static bool peer_trusted(const struct serve *s)
{
	const struct config *cfg = s->sx->cfg;

	return cfg->ntrusted_proxies > 0 &&
	       cidr_match_any(cfg->trusted_proxies, cfg->ntrusted_proxies,
			      (const struct sockaddr *)&s->c->peer);
}

/*
 * X-Request-Id: passed through when a trusted proxy (trusted_proxies, the
 * connecting peer) sent a sane one, since anyone else could forge the
 * correlation of log lines; else made here from the worker's random start
 * and a sequence (unique without a system call per request, and telling
 * nothing of the worker).  Echoed in the response and the access log.
 */
static void serve_request_id(struct serve *s, bool parsed)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v[2];
	size_t n = 0;

	if (parsed && request_id_ok(&s->req.x_request_id) && peer_trusted(s)) {
		memcpy(s->request_id, s->req.x_request_id.p, s->req.x_request_id.len);
		s->request_id_len = s->req.x_request_id.len;
		return;
	}
	v[0] = s->sx->id_base;
	v[1] = ++s->sx->id_seq;
	for (int k = 0; k < 2; k++)
		for (int shift = 60; shift >= 0; shift -= 4)
			s->request_id[n++] = hex[(v[k] >> shift) & 15];
	s->request_id_len = n;
}

/*
 * Queue time: how long the request waited in front of us, from the
 * X-Request-Start header a trusted proxy (the connecting peer) sets.
 */
static void serve_queue_time(struct serve *s)
{
	const struct span *v;
	struct timespec ts;
	int64_t start, now;

	if (!peer_trusted(s))
		return;
	v = request_header(&s->req, "X-Request-Start");
	if (v == NULL || parse_request_start(v->p, v->len, &start) < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (now >= start && now - start < (int64_t)3600 * 1000000)
		sb_queue_stats(s->sx->slot, now - start);
}

/* ---- choosing the answer ---- */

/* The part of path a route serves: after its prefix, keeping a leading '/'. */
static void route_relative(const struct route *rt, const char **path,
			   size_t *len)
{
	size_t skip = rt->prefix_len;

	if (skip > 0 && rt->prefix[skip - 1] == '/')
		skip--;
	if (skip > *len)
		skip = *len;
	*path += skip;
	*len -= skip;
	if (*len == 0 || (*path)[0] != '/') {
		*path = "/";
		*len = 1;
	}
}

/* Decide what to answer: path checks, then the chosen handler. */
static enum handler_id dispatch(struct serve *s, struct exchange *x)
{
	struct serve_ctx *sx = s->sx;
	size_t plen = 0;
	int st;
	enum handler_id id;

	if (sx->cfg->nhosts > 0)
		x->host = vhost_select(sx->cfg->hosts, sx->cfg->nhosts,
				       s->req.host.p, s->req.host.len);
	st = path_normalize(s->req.path.p, s->req.path.len, sx->path,
			    sx->pathcap, &plen);
	if (st != 0) {
		response_error(&s->res, st);
		return HANDLER_COUNT;
	}
	id = route_select(sx->cfg, x->host, sx->path, plen, &x->route);
	x->path = sx->path;
	x->path_len = plen;
	if (x->route != NULL && id == HANDLER_STATIC)
		route_relative(x->route, &x->path, &x->path_len);
	if (x->route == NULL || x->route->access == NULL ||
	    access_check(x->route->access, &s->req, x->peer, &s->res,
			 s->user) == 0)
		handlers[id].serve(x);
	if (s->res.hoverflow && !s->res.head_sent) {
		log_error("response headers for %.*s do not fit; answering 500",
			  (int)plen, sx->path);
		response_error(&s->res, 500);
	}
	return id;
}

/* Answer a request whose head could not be read: req.error says what. */
static void answer_error(struct serve *s)
{
	if (s->req.error == 408)
		sb_stat_add(&s->sx->slot->stats.head_timeouts, 1);
	if (s->req.error != 408 || s->c->len > 0)
		log_info("client %s: %d %s", s->c->remote, s->req.error,
			 s->req.error_reason ? s->req.error_reason : "");
	response_error(&s->res, s->req.error);
	s->res.close = true;
}

/* ---- the answer ---- */

/* Send the response a handler filled; false when the connection must go. */
static bool send_response(struct serve *s, bool keep_alive)
{
	struct response *r = &s->res;
	struct iovec iov[2];
	size_t hl;

	hl = response_head(r, s->head, sizeof(s->head), date_now(),
			   s->sx->server, keep_alive);
	if (hl == 0) {
		log_error("response head for client %s does not fit", s->c->remote);
		return false;
	}
	r->head_len = hl;
	iov[0] = (struct iovec){ s->head, hl };
	if (r->head_only || r->no_length || (r->body == NULL && r->fd < 0))
		return serve_send(s, iov, 1, false);
	if (r->body != NULL) {
		iov[1] = (struct iovec){ (void *)(uintptr_t)r->body, r->body_len };
		return serve_send(s, iov, 2, false);
	}
	return serve_send(s, iov, 1, r->file_len > 0) &&
	       conn_send_file(s->c, r->fd, r->file_off, r->file_len,
			      s->sx->cfg->timeouts.send_ms, &r->bytes_sent);
}

/* A response not streamed by its handler goes out here. */
static bool finish_response(struct serve *s, bool parsed, struct exchange *x)
{
	struct response *r = &s->res;

	if (r->head_sent)
		return serve_stream_finish(s, x);
	s->keep = parsed && serve_keep_alive(s);
	response_header_n(r, "X-Request-Id", 12, s->request_id, s->request_id_len);
	return send_response(s, s->keep);
}

/* The longest part of a refused request line kept for the log. */
#define REFUSED_LINE_MAX 4096

/*
 * The request line of a head that was refused, as it came: from its first
 * byte (after the empty lines a client may send first) to CR, LF or the
 * end of what arrived, at most REFUSED_LINE_MAX bytes.  Logged escaped, as
 * nginx does, so that an operator sees what was sent.
 */
static void refused_line(const struct conn *c, const char **p, size_t *n)
{
	const char *b = c->buf;
	size_t len = c->len, i = 0, e;

	while (b != NULL && i + 1 < len && b[i] == '\r' && b[i + 1] == '\n')
		i += 2;
	for (e = i; b != NULL && e < len && e - i < REFUSED_LINE_MAX; e++)
		if (b[e] == '\r' || b[e] == '\n')
			break;
	*p = b != NULL ? b + i : NULL;
	*n = b != NULL ? e - i : 0;
}

/* The access log line; refused: the head was not accepted (see above). */
static void serve_log(struct serve *s, int64_t start_us, bool refused)
{
	const struct request *q = &s->req;
	struct access_entry e = {
		.remote = s->client ? s->client : s->c->remote,
		.method = q->method_name.p, .method_len = q->method_name.len,
		.target = q->target.p, .target_len = q->target.len,
		.http_major = q->http_major ? q->http_major : 1,
		.http_minor = q->http_major ? q->http_minor : 1,
		.status = s->res.status,
		.bytes = response_body_sent(&s->res),
		.bytes_sent = s->res.bytes_sent,
		.referer = q->referer.p, .referer_len = q->referer.len,
		.user_agent = q->user_agent.p, .user_agent_len = q->user_agent.len,
		.duration_us = now_us() - start_us,
		.request_id = s->request_id, .request_id_len = s->request_id_len,
		.user = s->user[0] != '\0' ? s->user : NULL,
	};

	if (refused || e.method == NULL) {
		e.method = NULL;
		refused_line(s->c, &e.line, &e.line_len);
	}
	log_access(&e);
}

static enum sb_method method_class(enum http_method m)
{
	switch (m) {
	case HTTP_GET:
		return SB_M_GET;
	case HTTP_HEAD:
		return SB_M_HEAD;
	case HTTP_POST:
		return SB_M_POST;
	case HTTP_PUT:
		return SB_M_PUT;
	case HTTP_DELETE:
		return SB_M_DELETE;
	default:
		return SB_M_OTHER;
	}
}

/* The bytes of the request just answered leave the buffer. */
static void consume_request(struct serve *s)
{
	struct conn *c = s->c;
	size_t used = s->req.head_len;

	if (used > c->len)
		used = c->len;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
}

/*
 * The connection's progress hook while an answer goes out (conn.h): the
 * bytes sent so far go to the worker's slot, so that a long download
 * shows on the status page as it advances, not only when it ends.
 */
static void serve_progress(void *arg)
{
	struct serve *s = arg;

	sb_request_bytes(s->sx->slot, &s->bytes_counted, s->res.bytes_sent);
}

/* The head is in hand (st REQ_HEAD) or refused (REQ_ERROR): answer it. */
static enum serve_outcome answer(struct serve *s, enum req_status st)
{
	struct serve_ctx *sx = s->sx;
	struct conn *c = s->c;
	enum handler_id id = HANDLER_COUNT;
	int64_t start_us = now_us();
	bool sent, parsed = st == REQ_HEAD;
	struct exchange x = {
		.req = &s->req, .res = &s->res, .cfg = sx->cfg, .sb = sx->sb,
		.listeners = sx->listeners, .nlisteners = sx->nlisteners,
		.hctx = sx->hctx, .serve = s,
	};

	sb_set_client(sx->slot, c->remote);
	sb_set_state(sx->slot, SB_READING);
	response_reset(&s->res);
	s->body_off = s->req.head_len;
	s->body_done = s->body_failed = s->continue_sent = false;
	s->keep = s->stream_failed = s->abort_unsent = false;
	s->head_pending = 0;
	s->stream_body = 0;
	s->bytes_counted = 0;
	s->user[0] = '\0';
	c->scanned = 0;
	c->progress = serve_progress;
	c->progress_arg = s;
	c->progress_due = now_ms() + CONN_PROGRESS_MS;
	serve_client(s, parsed);
	serve_request_id(s, parsed);
	x.peer = s->client_sa;
	if (parsed) {
		serve_queue_time(s);
		sb_request_begin(sx->slot, now_ms(), s->req.method_name.p,
				 (size_t)(s->req.target.p + s->req.target.len -
					  s->req.method_name.p));
		s->res.head_only = s->req.method == HTTP_HEAD;
		id = dispatch(s, &x);
		if (s->abort_unsent) { /* a 5xx the handler chose, else 502 */
			int st5 = s->res.status >= 500 ? s->res.status : 502;
			response_reset(&s->res);
			response_error(&s->res, st5);
			s->res.head_only = s->req.method == HTTP_HEAD;
			s->stream_failed = false;
		}
		serve_skip_body(s, &x);
		if (s->body_failed && !s->res.head_sent) {
			if (s->req.error == 0) {
				sent = false; /* gone mid-body: nobody to answer */
				goto done;
			}
			answer_error(s);
		}
		parsed = !s->body_failed;
	} else {
		answer_error(s);
	}
	if (sx->cfg->any_error_pages)
		errorpage_apply(&s->res, sx->cfg, x.host, x.route, true);
	sb_set_state(sx->slot, SB_WRITING);
	sent = finish_response(s, parsed, &x);
	s->keep = s->keep && parsed;
	if (id != HANDLER_HEALTH || sx->cfg->health_log)
		serve_log(s, start_us, st != REQ_HEAD);
	sb_request_stats(sx->slot, s->res.status,
			 st == REQ_HEAD ? method_class(s->req.method) : SB_M_OTHER,
			 now_us() - start_us);
	sb_request_end(sx->slot, s->res.bytes_sent > s->bytes_counted
					 ? s->res.bytes_sent - s->bytes_counted : 0);
	sx->requests++;
	c->requests++;
done:
	c->progress = NULL;
	if (s->res.fd >= 0 && s->res.fd_owned)
		close(s->res.fd);
	s->res.fd = -1;
	if (!sent)
		return SERVE_CLOSE;
	if (s->keep && !s->res.close) {
		consume_request(s);
		c->head_start_ms = 0;
		return SERVE_KEEP;
	}
	c->closing = true;
	/* Unread input at close would reset the connection: linger first. */
	if (s->req.error == 408)
		return SERVE_CLOSE; /* a trickling client: nothing worth draining */
	return s->req.error || c->len > s->req.head_len ? SERVE_LINGER
						      : SERVE_CLOSE;
}

enum serve_outcome serve_request(struct serve_ctx *sx, struct conn *c)
{
	struct serve *s = sx->s;
	enum serve_outcome next = SERVE_CLOSE;
	enum req_status st;

	s->sx = sx;
	s->c = c;
	s->client = NULL;
	if (c->proxy_pending) {
		int r = read_proxy(s);
		if (r <= 0)
			return r == 0 ? SERVE_WAIT : SERVE_CLOSE;
	}
	request_reset(&s->rp);
	s->rp.scanned = c->scanned;
	st = read_head(s, &next);
	if (st == REQ_AGAIN)
		return next;
	return answer(s, st);
}

enum serve_outcome serve_expired(struct serve_ctx *sx, struct conn *c)
{
	struct serve *s = sx->s;
	struct iovec iov[2];

	if (c->proxy_pending)
		return SERVE_CLOSE; /* no HTTP before the balancer spoke */
	s->sx = sx;
	s->c = c;
	s->client = NULL;
	s->user[0] = '\0';
	request_reset(&s->rp);
	s->req.error = 408;
	s->req.error_reason = "head not complete within timeouts.header";
	response_reset(&s->res);
	answer_error(s);
	if (sx->cfg->any_error_pages) /* sent from memory only: never waits */
		errorpage_apply(&s->res, sx->cfg, NULL, NULL, false);
	serve_request_id(s, false);
	response_header_n(&s->res, "X-Request-Id", 12, s->request_id,
			  s->request_id_len);
	iov[0].iov_base = s->head;
	iov[0].iov_len = response_head(&s->res, s->head, sizeof(s->head),
				       date_now(), sx->server, false);
	iov[1] = (struct iovec){ (void *)(uintptr_t)s->res.body, s->res.body_len };
	conn_send_now(c, iov, 2);
	if (c->len > 0) /* something came: worth a line in the access log */
		serve_log(s, now_us(), true);
	return SERVE_CLOSE;
}
