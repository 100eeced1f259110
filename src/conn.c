/*
 * conn.c -- one client connection, from accept to close (see conn.h).
 *
 * Steps per request, in the shape of quark's connection_serve: receive the
 * head into the worker's buffer, parse it (request.c, no I/O), read or skip
 * the body, pick a handler (route.c) that fills a struct response, write the
 * head and body, log, decide keep-alive.  Bytes after the request stay in
 * the buffer and are served next (pipelining).
 *
 * Deadlines.  Reads wait in poll(2) with the time left until an absolute
 * deadline, recomputed before every wait: the whole head must arrive within
 * timeouts.header of its first byte (of the accept, for the first request),
 * so a client trickling a byte at a time gains nothing; each body gap within
 * timeouts.body; an idle keep-alive connection within timeouts.keepalive.
 * poll rather than SO_RCVTIMEO because the same wait also watches the
 * control channel: a graceful retire closes an idle keep-alive connection
 * at once instead of after its timeout.  The socket is non-blocking; a
 * write (sendmsg or sendfile) that finds it full waits in poll for at most
 * timeouts.send since the client last took bytes, so a client that stops
 * reading frees the worker within that time, large files included.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "conn.h"
#include "handler.h"
#include "log.h"
#include "path.h"
#include "proxy.h"
#include "realip.h"
#include "request.h"
#include "response.h"
#include "scoreboard.h"
#include "worker.h"

#define HEAD_MAX 8192 /* serialized response head: status, fixed and extra headers */
/*
 * Under saturation a connection keeps its worker for this many requests,
 * then yields it to a waiting one: a reconnect per request would cost more
 * than the wait it saves (a turn is well under a millisecond of work).
 */
#define SATURATED_TURN 16
#define IDLE_WATCH_MAX 8 /* listeners an idle keep-alive wait watches */
/* An idle keep-alive connection gives its worker up to a waiting one after
 * this long (when no other worker is idle). */
#define IDLE_YIELD_MS 100
#define LINGER_MS 1000     /* at most this long in all */
#define LINGER_QUIET_MS 250 /* ... and stop after this long without input */

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_STOP, WAIT_ERROR };
enum serve_result { SERVE_KEEP, SERVE_CLOSE, SERVE_LINGER, SERVE_PARK };

struct conn {
	struct worker *w;
	int fd;
	const struct sockaddr *peer;
	char remote[SB_CLIENT_MAX];
	size_t len;         /* bytes in w->buf */
	unsigned requests;  /* answered on this connection */
	int64_t accepted_ms;
	int64_t head_start_ms; /* the current head's deadline runs from here */
	bool may_park;         /* a stalled head may go to the park */
	bool parked;           /* ... and did */
	struct sockaddr_storage proxied; /* the client a PROXY header named */
	struct sockaddr_storage real_ss; /* this request's client behind trusted proxies */
	char real[SB_CLIENT_MAX];
	const char *client; /* address text for this request's log line */
	char request_id[72]; /* X-Request-Id: the client's, or one we made */
	size_t request_id_len;
	const struct sockaddr *client_sa;
	size_t body_off;     /* next body byte in w->buf */
	bool body_done;      /* the whole body was consumed */
	bool body_failed;    /* it could not be: close after answering */
	bool continue_sent;
	bool keep;           /* keep-alive decided for this response */
	size_t head_pending; /* streamed head built, not yet sent (bytes) */
	uint64_t stream_body; /* body bytes a streaming handler wrote */
	bool stream_failed;
	struct request req;
	struct request_parser rp;
	struct response res;
	char head[HEAD_MAX];
};

/* The Date header, formatted once per second. */
const char *date_now(void)
{
	static char date[HTTP_DATE_LEN + 1];
	static time_t sec = -1;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != sec) {
		sec = ts.tv_sec;
		http_date_fmt(sec, date);
	}
	return date;
}

static void peer_text(const struct sockaddr *sa, char *out, size_t cap)
{
	const void *a = NULL;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, out, (socklen_t)cap) == NULL)
		snprintf(out, cap, "%s", sa->sa_family == AF_UNIX ? "unix" : "-");
}

/* True when some worker of the pool is waiting in accept. */
static bool any_worker_idle(const struct worker *w)
{
	const struct scoreboard *sb = w->sb;

	for (unsigned i = 0; i < sb->nslots; i++)
		if (sb_get_state(&sb->slots[i]) == SB_IDLE)
			return true;
	return false;
}

/*
 * An idle keep-alive connection holds its worker while a new connection
 * waits in the accept queue.  True when one of the watched listeners has a
 * connection waiting; the caller then gives the worker up (closes the idle
 * connection) unless another worker is idle and will take it.
 */
static bool yield_idle(const struct pollfd *lp, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++) {
		if (lp[i].revents & POLLIN)
			return true;
	}
	return false;
}

/*
 * Wait until fd is readable or the deadline passes.  idle: no byte of the
 * next request has arrived, so a graceful retire ends the wait (WAIT_STOP).
 * Also wakes up to flush the access log when its delay is due.
 */
static enum wait_result conn_wait(struct conn *c, int64_t deadline, bool idle)
{
	struct worker *w = c->w;
	struct pollfd pfd[2 + IDLE_WATCH_MAX];
	nfds_t nfds = 2, watch = 2;
	int64_t watch_from = 0;

	pfd[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = w->ctl_fd, .events = POLLIN };
	/* Idle keep-alive: also watch the listeners (see yield_idle), from
	 * IDLE_YIELD_MS on: a busy client sends its next request sooner. */
	for (size_t i = 0; idle && i < w->nlisteners && i < IDLE_WATCH_MAX; i++)
		pfd[watch++] = (struct pollfd){ .fd = w->listeners[i].fd,
						.events = POLLIN };
	if (watch > 2)
		watch_from = now_ms() + IDLE_YIELD_MS;
	for (;;) {
		int64_t now = now_ms();
		int64_t left = deadline - now;
		int due = log_access_due_ms(now);
		int timeout;

		if (idle && w->stopping) {
			/* A request that arrived meanwhile is still answered
			 * (with Connection: close) rather than dropped. */
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			return poll(&p, 1, 0) > 0 ? WAIT_READY : WAIT_STOP;
		}
		if (left <= 0)
			return WAIT_TIMEOUT;
		timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		if (due >= 0 && due < timeout)
			timeout = due;
		if (watch_from != 0 && now >= watch_from)
			nfds = watch;
		else if (watch_from != 0 && watch_from - now < timeout)
			timeout = (int)(watch_from - now);
		int n = poll(pfd, nfds, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno(LOG_ERROR, "poll(client %s)", c->remote);
			return WAIT_ERROR;
		}
		if (pfd[1].revents)
			worker_check_ctl(w);
		if (pfd[0].revents)
			return WAIT_READY;
		if (nfds > 2 && yield_idle(pfd + 2, nfds - 2)) {
			if (!any_worker_idle(w)) {
				sb_stat_add(&w->slot->stats.keepalive_busy_closes, 1);
				return WAIT_STOP;
			}
			/* Somebody else takes it: look again a little later. */
			nfds = 2;
			watch_from = now_ms() + IDLE_YIELD_MS;
		}
		if (log_access_due_ms(now_ms()) == 0)
			log_access_flush();
	}
}

/*
 * Receive into the buffer.  Returns bytes read, 0 on EOF, -1 on error or
 * timeout (*timed_out set), -2 when a retire ended an idle wait, -3 when
 * nothing is there and c->may_park: the caller parks the connection.
 *
 * Between keep-alive requests the next one has usually not arrived when we
 * get here (the client is still reading our answer), so an idle wait polls
 * first: poll + recv, where trying recv first would mostly cost recv
 * (EAGAIN) + poll + recv.  Elsewhere (after accept with TCP_DEFER_ACCEPT,
 * in the middle of a head or body) bytes are likely there: recv first.
 */
static ssize_t conn_recv(struct conn *c, int64_t deadline, bool idle,
			 bool *timed_out)
{
	struct worker *w = c->w;

	*timed_out = false;
	if (idle) {
		enum wait_result r = conn_wait(c, deadline, true);
		if (r == WAIT_STOP)
			return -2;
		if (r != WAIT_READY) {
			*timed_out = r == WAIT_TIMEOUT;
			return -1;
		}
	}
	for (;;) {
		ssize_t n = recv(c->fd, w->buf + c->len, w->bufcap - c->len,
				 MSG_DONTWAIT);
		if (n >= 0) {
			c->len += (size_t)n;
			return n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			if (errno != ECONNRESET)
				log_errno(LOG_INFO, "recv(client %s)", c->remote);
			return -1;
		}
		if (c->may_park)
			return -3;
		switch (conn_wait(c, deadline, idle)) {
		case WAIT_READY:
			continue;
		case WAIT_STOP:
			return -2;
		case WAIT_TIMEOUT:
			*timed_out = true;
			return -1;
		case WAIT_ERROR:
			return -1;
		}
	}
}

/* Log why a send failed: a stall past timeouts.send, or an error worth it. */
static void send_failed(const struct conn *c, const char *call)
{
	if (errno == ETIMEDOUT)
		log_info("client %s: send timed out", c->remote);
	else if (errno != EPIPE && errno != ECONNRESET)
		log_errno(LOG_INFO, "%s(client %s)", call, c->remote);
}

/*
 * The socket takes no more bytes: wait until it does, for at most
 * timeouts.send since the client last took some (*since, reset by the
 * caller on progress).  false with errno ETIMEDOUT when it did not.
 */
static bool wait_writable(struct conn *c, int64_t since)
{
	int64_t deadline = since + c->w->cfg->timeouts.send_ms;

	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		if (left <= 0) {
			errno = ETIMEDOUT;
			return false;
		}
		int n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* Write all iov bytes; false when the client is gone or stalled past send. */
static bool send_iov(struct conn *c, struct iovec *iov, int cnt, int flags,
		     uint64_t *sent)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
	int64_t since = now_ms();

	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT | flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_writable(c, since))
				continue;
			send_failed(c, "sendmsg");
			return false;
		}
		since = now_ms();
		*sent += (uint64_t)n;
		size_t left = (size_t)n;
		while (mh.msg_iovlen > 0 && left >= mh.msg_iov->iov_len) {
			left -= mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + left;
			mh.msg_iov->iov_len -= left;
		}
	}
	return true;
}

/* The socket is non-blocking (see accept_one), so sendfile never waits. */
static bool send_file(struct conn *c, int fd, off_t off, off_t len,
		      uint64_t *sent)
{
	int64_t since = now_ms();

	while (len > 0) {
		size_t chunk = len > (off_t)(1 << 30) ? (size_t)1 << 30 : (size_t)len;
		ssize_t n = sendfile(c->fd, fd, &off, chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_writable(c, since))
				continue;
			send_failed(c, "sendfile");
			return false;
		}
		if (n == 0) { /* the file shrank under us */
			log_warn("sendfile(client %s): file ended early", c->remote);
			return false;
		}
		since = now_ms();
		*sent += (uint64_t)n;
		len -= n;
	}
	return true;
}

/* Send the response; false when the connection must be dropped. */
static bool conn_send(struct conn *c, bool keep_alive)
{
	struct response *r = &c->res;
	struct iovec iov[2];
	size_t hl;
	bool ok;

	hl = response_head(r, c->head, sizeof(c->head), date_now(),
			   c->w->server, keep_alive);
	if (hl == 0) {
		log_error("response head for client %s does not fit", c->remote);
		return false;
	}
	iov[0].iov_base = c->head;
	iov[0].iov_len = hl;
	if (r->head_only || r->no_length || (r->body == NULL && r->fd < 0))
		return send_iov(c, iov, 1, 0, &r->bytes_sent);
	if (r->body != NULL) {
		iov[1].iov_base = (void *)(uintptr_t)r->body;
		iov[1].iov_len = r->body_len;
		return send_iov(c, iov, 2, 0, &r->bytes_sent);
	}
	ok = send_iov(c, iov, 1, r->file_len > 0 ? MSG_MORE : 0, &r->bytes_sent) &&
	     send_file(c, r->fd, r->file_off, r->file_len, &r->bytes_sent);
	return ok;
}

static void conn_log(struct conn *c, int64_t start)
{
	const struct request *q = &c->req;
	struct access_entry e = {
		.remote = c->client ? c->client : c->remote,
		.method = q->method_name.p, .method_len = q->method_name.len,
		.target = q->target.p, .target_len = q->target.len,
		.http_major = q->http_major ? q->http_major : 1,
		.http_minor = q->http_major ? q->http_minor : 1,
		.status = c->res.status,
		.bytes = c->res.bytes_sent,
		.referer = q->referer.p, .referer_len = q->referer.len,
		.user_agent = q->user_agent.p, .user_agent_len = q->user_agent.len,
		.duration_us = (now_ms() - start) * 1000,
		.request_id = c->request_id, .request_id_len = c->request_id_len,
	};

	if (e.method == NULL) { /* the head never parsed */
		e.method = "-";
		e.method_len = 1;
		e.target = "-";
		e.target_len = 1;
	}
	log_access(&e);
}

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

/* True when a connection waits in the accept queue of one of our listeners. */
static bool backlog_waiting(struct worker *w)
{
	struct pollfd p[8];
	size_t n = w->nlisteners < 8 ? w->nlisteners : 8;

	for (size_t i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = w->listeners[i].fd, .events = POLLIN };
	return poll(p, (nfds_t)n, 0) > 0;
}

/*
 * Adaptive keep-alive.  A pre-forked server's weak spot: keep-alive
 * connections hold every worker while new ones wait in the accept queue.
 * So when no worker is idle and a connection is waiting, a connection that
 * has had its turn (SATURATED_TURN requests) is closed after the answer
 * instead of keeping the worker for this client.  The queue
 * is looked at (one poll) only when no worker is idle, and at most once per
 * coarse clock tick (a few ms) per worker.
 */
static bool pool_saturated(struct worker *w)
{
	struct timespec ts;
	int64_t tick;

	if (any_worker_idle(w))
		return false;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	tick = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (tick != w->queue_checked_ms) {
		w->queue_checked_ms = tick;
		w->queue_waiting = backlog_waiting(w);
	}
	return w->queue_waiting;
}

static bool want_keep_alive(struct conn *c)
{
	const struct config *cfg = c->w->cfg;

	if (!c->req.keep_alive || c->res.close || c->w->stopping)
		return false;
	if (cfg->limits.keepalive_requests &&
	    c->requests + 1 >= cfg->limits.keepalive_requests)
		return false;
	if (c->w->max_requests && c->w->requests + 1 >= c->w->max_requests)
		return false; /* end the connection so the worker can be recycled */
	if (c->requests + 1 >= SATURATED_TURN && pool_saturated(c->w)) {
		sb_stat_add(&c->w->slot->stats.keepalive_busy_closes, 1);
		return false;
	}
	return true;
}

/* Decide what to answer: path checks, then the chosen handler. */
static enum handler_id conn_dispatch(struct conn *c, struct exchange *x)
{
	struct worker *w = c->w;
	size_t plen = 0;
	int st;
	enum handler_id id;

	st = path_normalize(c->req.path.p, c->req.path.len, w->path,
			    w->pathcap, &plen);
	if (st != 0) {
		response_error(&c->res, st);
		return HANDLER_COUNT;
	}
	id = route_select(w->cfg, w->path, plen, &x->route);
	x->path = w->path;
	x->path_len = plen;
	if (x->route != NULL && id == HANDLER_STATIC)
		route_relative(x->route, &x->path, &x->path_len);
	handlers[id].serve(x);
	if (c->res.hoverflow && !c->res.head_sent) {
		log_error("response headers for %.*s do not fit; answering 500",
			  (int)plen, w->path);
		response_error(&c->res, 500);
	}
	return id;
}

int exchange_start(struct exchange *x, int64_t length)
{
	struct conn *c = x->conn;
	struct response *r = &c->res;
	size_t hl;

	if (r->head_sent)
		return c->stream_failed ? -1 : 0;
	response_header_n(r, "X-Request-Id", 12, c->request_id, c->request_id_len);
	r->streaming = true;
	r->stream_length = length;
	r->chunked = length < 0 && c->req.http_minor >= 1;
	if (length < 0 && !r->chunked)
		r->close = true; /* HTTP/1.0: the end of the body is the close */
	c->keep = c->req.keep_alive && want_keep_alive(c);
	hl = response_head(r, c->head, sizeof(c->head), date_now(), c->w->server,
			   c->keep);
	r->head_sent = true;
	if (hl == 0) {
		log_error("response head for client %s does not fit", c->remote);
		c->stream_failed = true;
		return -1;
	}
	/* The head goes out with the first body bytes (or at the end): one
	 * sendmsg instead of two for a small answer. */
	c->head_pending = hl;
	return 0;
}

/*
 * Send the n body pieces at iov[1..n], preceded by the pending head if
 * there is one (iov[0] is reserved for it).
 */
static int stream_send(struct conn *c, struct iovec *iov, int n)
{
	struct iovec *from = iov + 1;
	int cnt = n;

	if (c->head_pending > 0) {
		iov[0] = (struct iovec){ c->head, c->head_pending };
		from = iov;
		cnt = n + 1;
		c->head_pending = 0;
	}
	if (cnt > 0 && !send_iov(c, from, cnt, 0, &c->res.bytes_sent))
		c->stream_failed = true;
	return c->stream_failed ? -1 : 0;
}

int exchange_write(struct exchange *x, const void *p, size_t n)
{
	struct conn *c = x->conn;
	struct response *r = &c->res;
	char size[24];
	struct iovec iov[4];
	int cnt = 1; /* iov[0]: the pending head */

	if (!r->head_sent && exchange_start(x, -1) < 0)
		return -1;
	if (c->stream_failed)
		return -1;
	if (n == 0 || r->head_only)
		return 0;
	if (r->chunked) {
		static const char hex[] = "0123456789abcdef";
		size_t len = 0;
		char tmp[20];
		for (size_t v = n; v > 0; v >>= 4)
			tmp[len++] = hex[v & 15];
		for (size_t i = 0; i < len; i++)
			size[i] = tmp[len - 1 - i];
		size[len++] = '\r';
		size[len++] = '\n';
		iov[cnt++] = (struct iovec){ size, len };
	}
	iov[cnt++] = (struct iovec){ (void *)(uintptr_t)p, n };
	if (r->chunked)
		iov[cnt++] = (struct iovec){ (void *)(uintptr_t)"\r\n", 2 };
	c->stream_body += n;
	return stream_send(c, iov, cnt - 1);
}

void exchange_abort(struct exchange *x)
{
	x->conn->stream_failed = true;
	x->conn->res.close = true;
}

int exchange_end(struct exchange *x)
{
	struct conn *c = x->conn;
	struct response *r = &c->res;
	struct iovec iov[2];
	int cnt = 0;

	if (!r->head_sent && exchange_start(x, -1) < 0)
		return -1;
	if (c->stream_failed || !r->streaming)
		return c->stream_failed ? -1 : 0;
	r->streaming = false; /* ended: nothing more may be written */
	if (r->chunked && !r->head_only)
		iov[1 + cnt++] = (struct iovec){ (void *)(uintptr_t)"0\r\n\r\n", 5 };
	return stream_send(c, iov, cnt);
}

/*
 * Read the rest of the head.  Returns REQ_HEAD or REQ_ERROR (answer and
 * close), or REQ_AGAIN when the connection ended quietly (closed, idle
 * keep-alive timeout, retire): nothing to answer.
 */
static enum req_status read_head(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	int64_t deadline;
	bool idle = c->len == 0 && c->requests > 0;
	enum req_status st = REQ_AGAIN;

	if (idle) {
		sb_set_state(c->w->slot, SB_KEEPALIVE);
		deadline = now_ms() + cfg->timeouts.keepalive_ms;
	} else {
		if (c->head_start_ms == 0)
			c->head_start_ms = c->requests == 0 ? c->accepted_ms : now_ms();
		deadline = c->head_start_ms + cfg->timeouts.header_ms;
	}
	for (;;) {
		bool timed_out;
		if (c->len > 0) {
			st = request_head(&c->rp, c->w->buf, c->len);
			if (st != REQ_AGAIN)
				return st;
		}
		c->may_park = !idle && worker_can_park(c->w);
		ssize_t n = conn_recv(c, deadline, idle, &timed_out);
		c->may_park = false;
		if (n == -3) {
			c->parked = true;
			return REQ_AGAIN;
		}
		if (n <= 0) {
			if (timed_out && !idle) {
				c->req.error = 408;
				return REQ_ERROR;
			}
			return REQ_AGAIN;
		}
		if (idle) { /* first byte of the next request: the head clock starts */
			idle = false;
			sb_set_state(c->w->slot, SB_READING);
			c->head_start_ms = now_ms();
			deadline = c->head_start_ms + cfg->timeouts.header_ms;
		}
	}
}

struct body_sink {
	char *p;
	size_t cap, n;
};

static void body_copy(void *arg, const char *p, size_t n)
{
	struct body_sink *b = arg;

	if (n > b->cap - b->n)
		n = b->cap - b->n; /* cannot happen: input is bounded by cap */
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static bool send_continue(struct conn *c)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec iov = { (void *)(uintptr_t)cont, sizeof(cont) - 1 };
	uint64_t sent = 0;

	c->continue_sent = true;
	return send_iov(c, &iov, 1, 0, &sent);
}

/* The body is done: pipelined bytes after it move up to follow the head. */
static void body_finish(struct conn *c)
{
	size_t head_end = c->req.head_len;
	char *buf = c->w->buf;

	c->body_done = true;
	memmove(buf + head_end, buf + c->body_off, c->len - c->body_off);
	c->len = head_end + (c->len - c->body_off);
	c->body_off = head_end;
}

ssize_t exchange_read_body(struct exchange *x, char *out, size_t cap)
{
	struct conn *c = x->conn;
	struct worker *w = c->w;

	if (c->body_done || !request_has_body(&c->req))
		return 0;
	if (c->body_failed || cap == 0)
		return -1;
	if (c->req.expect_continue && !c->continue_sent && !send_continue(c))
		goto fail;
	for (;;) {
		struct body_sink sink = { out, cap, 0 };
		bool timed_out;
		if (c->body_off < c->len) {
			size_t in = c->len - c->body_off, used = 0;
			enum req_status st = request_body(&c->rp, w->buf + c->body_off,
							  in < cap ? in : cap, &used,
							  body_copy, &sink);
			c->body_off += used;
			if (st == REQ_ERROR)
				goto fail;
			if (st == REQ_COMPLETE)
				body_finish(c);
			if (sink.n > 0 || st == REQ_COMPLETE)
				return (ssize_t)sink.n;
			if (c->body_off < c->len)
				continue;
		}
		/* All buffered input is consumed: reuse the space after the head. */
		c->len = c->req.head_len;
		c->body_off = c->len;
		ssize_t n = conn_recv(c, now_ms() + w->cfg->timeouts.body_ms, false,
				      &timed_out);
		if (n <= 0) {
			if (timed_out)
				c->req.error = 408;
			goto fail;
		}
	}
fail:
	c->body_failed = true;
	return -1;
}

/*
 * After the handler: a body it did not read is read and dropped, so that
 * the next request starts at the right byte.  A client that waits for
 * "100 Continue" gets none: the answer goes out and the connection closes.
 */
static void skip_body(struct conn *c, struct exchange *x)
{
	char sink[4096];

	if (c->body_done || !request_has_body(&c->req))
		return;
	if (c->req.expect_continue && !c->continue_sent) {
		c->res.close = true;
		return;
	}
	while (!c->body_failed) {
		ssize_t n = exchange_read_body(x, sink, sizeof(sink));
		if (n == 0)
			return;
	}
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

/*
 * The client of this request: the peer (or the client a PROXY header
 * named), or, when that peer is a trusted proxy, the address it forwarded
 * (X-Forwarded-For / Forwarded).  Used for the log, the status and metrics
 * allow-lists and CGI's REMOTE_ADDR.
 */
static void conn_client(struct conn *c, bool parsed)
{
	const struct config *cfg = c->w->cfg;

	c->client = c->remote;
	c->client_sa = c->peer;
	if (parsed && cfg->ntrusted_proxies > 0 &&
	    realip_resolve(&c->req, c->peer, cfg->trusted_proxies,
			   cfg->ntrusted_proxies, &c->real_ss)) {
		c->client_sa = (const struct sockaddr *)&c->real_ss;
		peer_text(c->client_sa, c->real, sizeof(c->real));
		c->client = c->real;
		sb_set_client(c->w->slot, c->real);
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

/*
 * X-Request-Id: passed through when the request has a sane one, else made
 * here (pid, a per-worker sequence and a random start: unique without a
 * syscall per request).  Echoed in the response and the access log.
 */
static void conn_request_id(struct conn *c, bool parsed)
{
	static const char hex[] = "0123456789abcdef";
	static uint64_t seq;
	uint64_t v[2];
	size_t n = 0;

	if (parsed && request_id_ok(&c->req.x_request_id)) {
		memcpy(c->request_id, c->req.x_request_id.p, c->req.x_request_id.len);
		c->request_id_len = c->req.x_request_id.len;
		return;
	}
	if (seq == 0)
		seq = ((uint64_t)(uint32_t)random() << 32) | (uint32_t)now_ms();
	v[0] = ((uint64_t)c->w->pid << 32) ^ (uint64_t)c->w->slot_index;
	v[1] = ++seq;
	for (int k = 0; k < 2; k++)
		for (int shift = 60; shift >= 0; shift -= 4)
			c->request_id[n++] = hex[(v[k] >> shift) & 15];
	c->request_id_len = n;
}

/*
 * Queue time: how long the request waited in front of us, from the
 * X-Request-Start header a trusted proxy (the connecting peer) sets.
 */
static void conn_queue_time(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	const struct span *v;
	struct timespec ts;
	int64_t start, now;

	if (cfg->ntrusted_proxies == 0 ||
	    !cidr_match_any(cfg->trusted_proxies, cfg->ntrusted_proxies, c->peer))
		return;
	v = request_header(&c->req, "X-Request-Start");
	if (v == NULL || parse_request_start(v->p, v->len, &start) < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (now >= start && now - start < (int64_t)3600 * 1000000)
		sb_queue_stats(c->w->slot, now - start);
}

/* Answer a request whose head could not be read: c->req.error says what. */
static void answer_error(struct conn *c)
{
	if (c->req.error == 408)
		sb_stat_add(&c->w->slot->stats.head_timeouts, 1);
	if (c->req.error != 408 || c->len > 0)
		log_info("client %s: %d %s", c->remote, c->req.error,
			 c->req.error_reason ? c->req.error_reason : "");
	response_error(&c->res, c->req.error);
	c->res.close = true;
}

/* A response not streamed by its handler goes out here. */
static bool finish_response(struct conn *c, bool parsed)
{
	struct response *r = &c->res;

	if (r->head_sent) { /* streamed: close the body if the handler did not */
		if (r->streaming && c->stream_failed == false) {
			struct exchange x = { .conn = c };
			exchange_end(&x);
		}
		if (r->stream_length >= 0 && !r->head_only &&
		    c->stream_body < (uint64_t)r->stream_length)
			c->stream_failed = true; /* short body: only a close can tell */
		return !c->stream_failed;
	}
	c->keep = parsed && want_keep_alive(c);
	response_header_n(r, "X-Request-Id", 12, c->request_id, c->request_id_len);
	return conn_send(c, c->keep);
}

/* Answer one request.  The caller has reset the parser. */
static enum serve_result serve_one(struct conn *c)
{
	struct worker *w = c->w;
	enum handler_id id = HANDLER_COUNT;
	enum req_status st;
	int64_t start;
	bool sent, parsed;

	st = read_head(c);
	if (st == REQ_AGAIN)
		return c->parked ? SERVE_PARK : SERVE_CLOSE;
	start = now_ms();
	response_reset(&c->res);
	c->body_off = c->req.head_len;
	c->body_done = c->body_failed = c->continue_sent = false;
	c->keep = c->stream_failed = false;
	c->head_pending = 0;
	c->stream_body = 0;
	parsed = st == REQ_HEAD;
	conn_client(c, parsed);
	conn_request_id(c, parsed);
	if (parsed)
		conn_queue_time(c);
	if (parsed) {
		struct exchange x = {
			.req = &c->req, .res = &c->res, .cfg = w->cfg,
			.peer = c->client_sa, .worker = w, .conn = c,
		};
		sb_request_begin(w->slot, start, c->req.method_name.p,
				 (size_t)(c->req.target.p + c->req.target.len -
					  c->req.method_name.p));
		c->res.head_only = c->req.method == HTTP_HEAD;
		id = conn_dispatch(c, &x);
		skip_body(c, &x);
		if (c->body_failed && !c->res.head_sent) {
			if (c->req.error == 0)
				goto gone; /* client left mid-body: nobody to answer */
			answer_error(c);
		}
		parsed = !c->body_failed;
	} else {
		answer_error(c);
	}
	sb_set_state(w->slot, SB_WRITING);
	sent = finish_response(c, parsed);
	c->keep = c->keep && parsed;
	if (c->res.fd >= 0 && c->res.fd_owned)
		close(c->res.fd);
	c->res.fd = -1;
	if (id != HANDLER_HEALTH || w->cfg->health_log)
		conn_log(c, start);
	sb_request_stats(w->slot, c->res.status,
			 parsed || st == REQ_HEAD ? method_class(c->req.method) : SB_M_OTHER,
			 (now_ms() - start) * 1000);
	sb_request_end(w->slot, c->res.bytes_sent);
	w->requests++;
	c->requests++;
	if (!sent)
		return SERVE_CLOSE;
	if (c->keep && !c->res.close)
		return SERVE_KEEP;
	/* Unread input at close would reset the connection: linger first. */
	if (c->req.error == 408)
		return SERVE_CLOSE; /* a trickling client: nothing worth draining */
	return c->req.error || c->len > c->req.head_len ? SERVE_LINGER
							: SERVE_CLOSE;
gone:
	if (c->res.fd >= 0 && c->res.fd_owned)
		close(c->res.fd);
	c->res.fd = -1;
	return SERVE_CLOSE;
}

/* Move the next pipelined request to the start of the buffer. */
static void conn_shift(struct conn *c)
{
	size_t used = c->req.head_len;

	if (used > c->len)
		used = c->len;
	memmove(c->w->buf, c->w->buf + used, c->len - used);
	c->len -= used;
}

/*
 * After an error answer the client may still be sending: close(2) with
 * unread data would reset the connection and could destroy the answer in
 * flight.  Stop writing, read and drop for a bounded time, then close.
 */
static void conn_linger(struct conn *c)
{
	int64_t end = now_ms() + LINGER_MS;
	bool timed_out;

	if (shutdown(c->fd, SHUT_WR) < 0)
		return;
	for (;;) {
		int64_t quiet = now_ms() + LINGER_QUIET_MS;
		c->len = 0;
		if (conn_recv(c, quiet < end ? quiet : end, false, &timed_out) <= 0)
			return;
	}
}

/* proxy_protocol_from: only the balancers may speak PROXY to us. */
static bool proxy_peer_allowed(struct conn *c)
{
	const struct config *cfg = c->w->cfg;

	if (cfg->nproxy_protocol_from == 0 || c->peer->sa_family == AF_UNIX ||
	    cidr_match_any(cfg->proxy_protocol_from, cfg->nproxy_protocol_from,
			   c->peer))
		return true;
	log_info("client %s: not in proxy_protocol_from; closing", c->remote);
	return false;
}

/*
 * A listener with proxy_protocol: the balancer's PROXY header (v1 or v2)
 * comes first and names the client.  It shares the first head's deadline.
 * false: invalid, late or absent; close without answering (the spec says a
 * receiver never guesses).
 */
static bool read_proxy_header(struct conn *c)
{
	int64_t deadline = c->accepted_ms + c->w->cfg->timeouts.header_ms;
	struct proxy_info pi;
	size_t used = 0;
	bool timed_out;

	for (;;) {
		enum proxy_status st = proxy_parse(c->w->buf, c->len, &pi, &used);
		if (st == PROXY_OK)
			break;
		if (st == PROXY_INVALID) {
			log_info("client %s: invalid PROXY protocol header", c->remote);
			return false;
		}
		if (conn_recv(c, deadline, false, &timed_out) <= 0)
			return false;
	}
	memmove(c->w->buf, c->w->buf + used, c->len - used);
	c->len -= used;
	if (!pi.local) { /* LOCAL / UNKNOWN: the balancer itself, keep the peer */
		c->proxied = pi.src;
		c->peer = (const struct sockaddr *)&c->proxied;
		peer_text(c->peer, c->remote, sizeof(c->remote));
		sb_set_client(c->w->slot, c->remote);
	}
	return true;
}

void conn_serve(struct worker *w, const struct conn_start *st)
{
	struct conn *c = &(struct conn){
		.w = w, .fd = st->fd, .peer = (const struct sockaddr *)st->peer,
		.accepted_ms = st->accepted_ms, .head_start_ms = st->head_start_ms,
		.requests = st->requests,
	};
	int fd = st->fd;
	bool proxy_protocol = st->proxy_protocol;
	enum serve_result r;

	peer_text(c->peer, c->remote, sizeof(c->remote));
	if (st->prelen > 0) {
		memcpy(w->buf, st->pre, st->prelen);
		c->len = st->prelen;
	}
	sb_set_client(w->slot, c->remote);
	sb_set_state(w->slot, SB_READING);
	request_parser_init(&c->rp, &c->req, w->hdrs,
			    &(struct request_limits){
				    .header_bytes = w->cfg->limits.header_bytes,
				    .headers = w->cfg->limits.headers,
				    .uri_bytes = w->cfg->limits.uri_bytes,
				    .body_bytes = w->cfg->limits.body_bytes,
			    });
	response_init(&c->res, w->hbuf, w->hbufcap);
	r = SERVE_CLOSE;
	if (proxy_protocol && !proxy_peer_allowed(c))
		goto out;
	if (proxy_protocol && !read_proxy_header(c))
		goto out;
	for (;;) {
		r = serve_one(c);
		if (r != SERVE_KEEP)
			break;
		conn_shift(c);
		request_reset(&c->rp);
		c->head_start_ms = c->len > 0 ? now_ms() : 0;
		if (c->len == 0)
			sb_set_state(w->slot, SB_KEEPALIVE);
	}
	if (r == SERVE_PARK) {
		/* c->peer: the client a PROXY header named, if any */
		worker_park(w, &(struct conn_start){
			.fd = fd,
			.peer = (const struct sockaddr_storage *)(const void *)c->peer,
			.peerlen = st->peerlen,
			.accepted_ms = c->accepted_ms,
			.head_start_ms = c->head_start_ms, .requests = c->requests,
			.pre = w->buf, .prelen = c->len });
		return;
	}
	if (r == SERVE_LINGER)
		conn_linger(c);
out:
	if (close(fd) < 0)
		log_errno(LOG_INFO, "close(client %s)", c->remote);
}
