/*
 * admin.c -- the admin process (see admin.h for why it exists and what it
 * answers).
 *
 * One poll loop over the control channel, the admin listener, the
 * agent-check listener and every open connection.  Connections are served
 * concurrently, each with its own buffers and an absolute deadline
 * (ADMIN_DEADLINE_MS from its acceptance), on non-blocking sockets: a
 * request head is read as it arrives, the answer is rendered as soon as
 * the head is complete and sent as the client takes it, then the
 * connection is half-closed and read until the client closes.  So a slow
 * or silent client only holds its own slot, never another client's answer.
 * The table is bounded (admin_conn.h): when it is full, a new connection
 * takes the slot of the oldest.  Nothing here blocks, and all memory is
 * allocated once at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "admin_conn.h"
#include "child.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "response.h"
#include "status.h"
#include "util.h"
#include "ctl.h"

#define ADMIN_HEADERS 64
#define ADMIN_URI_BYTES 2048
#define ADMIN_ACCEPT_PAUSE_MS 100  /* after accept4 fails (EMFILE, ...) */
#define ADMIN_EVICT_WARN_MS 10000  /* at most one warning this often */
#define ADMIN_LINGER_READS 64      /* recv calls per wake-up when lingering */

struct admin {
	const struct config *cfg;
	struct scoreboard *sb;
	const struct listener *ls;
	size_t nls;
	int http_fd, agent_fd, ctl_fd;
	const char *status_path, *metrics_path;
	const char *server;

	size_t pagecap; /* of each connection's page buffer */
	struct admin_conns conns;
	struct admin_conn slots[ADMIN_CONNS_MAX];
	struct header hdrs[ADMIN_HEADERS]; /* the head being parsed */
	char hbuf[512]; /* response header lines, serialized at once */
	int64_t accept_paused_until;
	uint64_t evicted;
	int64_t evict_warned_ms;
};

/* ---- the answers ---- */

int admin_readiness(const struct scoreboard *sb,
		    const struct listener *worker_listeners, size_t nls,
		    const char **why)
{
	struct status_counts n;

	if (__atomic_load_n(&sb->draining, __ATOMIC_RELAXED)) {
		*why = "draining";
		return 503;
	}
	status_count(sb, &n);
	if (n.live == 0) {
		*why = "no workers";
		return 503;
	}
	*why = "ready";
	if (n.state[SB_IDLE] > 0)
		return 200;
	for (size_t i = 0; i < nls; i++) {
		unsigned depth, limit;
		if (listener_queue(&worker_listeners[i], &depth, &limit) == 0 &&
		    depth > 0) {
			*why = "busy";
			return 503;
		}
	}
	return 200;
}

size_t admin_agent_line(const struct scoreboard *sb, char *buf, size_t cap)
{
	struct status_counts n;
	unsigned workers, idle, pct;
	int len;

	status_count(sb, &n);
	if (__atomic_load_n(&sb->draining, __ATOMIC_RELAXED))
		len = snprintf(buf, cap, "drain\n");
	else if (n.live == 0)
		len = snprintf(buf, cap, "down\n");
	else {
		workers = n.current > 0 ? n.current : n.live;
		idle = n.state[SB_IDLE] < workers ? n.state[SB_IDLE] : workers;
		pct = idle * 100 / workers;
		len = snprintf(buf, cap, "up %u%% maxconn:%u\n", pct ? pct : 1,
			       workers);
	}
	return len > 0 && (size_t)len < cap ? (size_t)len : 0;
}

static void answer_text(struct response *r, int status, const char *text)
{
	r->status = status;
	response_header(r, "Content-Type", "text/plain; charset=utf-8");
	response_header(r, "Cache-Control", "no-store");
	response_body_mem(r, text, strlen(text));
}

static void answer_ready(struct admin *a, struct admin_conn *c,
			 struct response *r)
{
	const char *why;
	int st = admin_readiness(a->sb, a->ls, a->nls, &why);
	int n = snprintf(c->page, a->pagecap, "%s\n", why);

	r->status = st;
	response_header(r, "Content-Type", "text/plain; charset=utf-8");
	response_header(r, "Cache-Control", "no-store");
	response_body_mem(r, c->page, n > 0 ? (size_t)n : 0);
}

static bool span_is(const struct span *s, const char *lit)
{
	return s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

/* The allow list of a page applies when the page is configured. */
static bool acl_ok(const struct acl *acl, const struct sockaddr *peer)
{
	return acl->path == NULL ||
	       cidr_match_any(acl->allow, acl->nallow, peer);
}

static void dispatch(struct admin *a, struct admin_conn *c,
		     const struct request *req, struct response *r)
{
	const struct config *cfg = a->cfg;
	const struct sockaddr *peer = (const struct sockaddr *)&c->peer;
	bool status = span_is(&req->path, a->status_path);
	bool metrics = span_is(&req->path, a->metrics_path);
	bool health = span_is(&req->path, "/healthz");
	bool ready = span_is(&req->path, "/readyz");

	if (!status && !metrics && !health && !ready) {
		response_error(r, 404);
		return;
	}
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		response_error(r, 405);
		response_header(r, "Allow", "GET, HEAD");
		return;
	}
	r->head_only = req->method == HTTP_HEAD;
	if (health)
		answer_text(r, 200, "ok\n");
	else if (ready)
		answer_ready(a, c, r);
	else if (status && !acl_ok(&cfg->status, peer))
		response_error(r, 403);
	else if (status) {
		struct status_query q;
		status_request_query(req, &q);
		status_answer(r, a->sb, cfg, &q, c->page, a->pagecap);
	}
	else if (!acl_ok(&cfg->metrics, peer))
		response_error(r, 403);
	else
		metrics_answer(r, a->sb, cfg, a->ls, a->nls, c->page, a->pagecap);
}

/* ---- connections: each step non-blocking, each bounded by its deadline ---- */

static bool client_errno(void)
{
	return errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT;
}

static void conn_close(struct admin_conn *c)
{
	if (close(c->fd) < 0)
		log_errno(LOG_WARN, "admin: close(connection)");
	admin_conns_free(c);
}

/* The answer r goes into c, to be sent from now on. */
static void conn_answer(struct admin *a, struct admin_conn *c,
			const struct response *r)
{
	char date[HTTP_DATE_LEN + 1];

	http_date_fmt(time(NULL), date);
	c->head_len = response_head(r, c->head, sizeof(c->head), date,
				    a->server, false);
	if (c->head_len == 0) {
		log_error("admin: response head does not fit in %zu bytes",
			  sizeof(c->head));
		conn_close(c);
		return;
	}
	c->body = r->body;
	c->body_len = r->head_only || r->no_length || r->body == NULL
			      ? 0 : r->body_len;
	c->sent = 0;
	c->state = AC_WRITING;
}

/* The head so far in c->in: answer it when complete (or bad). */
static void conn_request(struct admin *a, struct admin_conn *c)
{
	struct request_limits lim = {
		.header_bytes = ADMIN_IN_BYTES - 1, .headers = ADMIN_HEADERS,
		.uri_bytes = ADMIN_URI_BYTES, .body_bytes = 0,
	};
	struct request_parser rp;
	struct request req;
	struct response res;
	enum req_status st;

	/* Parsed from the start after every read: a head is at most 8 KiB,
	 * and no parser state has to be kept per connection. */
	request_parser_init(&rp, &req, a->hdrs, &lim);
	st = request_head(&rp, c->in, c->in_len);
	if (st == REQ_AGAIN && c->in_len < ADMIN_IN_BYTES)
		return;
	if (st == REQ_AGAIN) {
		req.error = 431;
		st = REQ_ERROR;
	}
	response_init(&res, a->hbuf, sizeof(a->hbuf));
	if (st == REQ_ERROR)
		response_error(&res, req.error ? req.error : 400);
	else
		dispatch(a, c, &req, &res);
	if (res.hoverflow)
		response_error(&res, 500);
	res.close = true;
	log_debug("admin: %.*s -> %d", (int)(st == REQ_HEAD ? req.target.len : 1),
		  st == REQ_HEAD ? req.target.p : "-", res.status);
	conn_answer(a, c, &res);
}

static void conn_read(struct admin *a, struct admin_conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, ADMIN_IN_BYTES - c->in_len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		log_errno(client_errno() ? LOG_DEBUG : LOG_WARN, "admin: recv");
	if (n <= 0) { /* gone (or broken) before a whole request: no answer */
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_request(a, c);
}

/* Read and drop what the client sends until it closes (EOF). */
static void conn_linger(struct admin_conn *c)
{
	char sink[512];

	for (int i = 0; i < ADMIN_LINGER_READS; i++) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && !client_errno())
			log_errno(LOG_WARN, "admin: recv");
		conn_close(c);
		return;
	}
}

/*
 * Send what the client takes.  Once all is sent, half-close and linger:
 * closing at once with unread input from the client (HAProxy's agent-send,
 * a request body) would reset the connection and could lose the answer.
 */
static void conn_write(struct admin_conn *c)
{
	while (c->sent < c->head_len + c->body_len) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		size_t boff = c->sent > c->head_len ? c->sent - c->head_len : 0;
		ssize_t k;

		if (c->sent < c->head_len)
			iov[mh.msg_iovlen++] = (struct iovec){
				c->head + c->sent, c->head_len - c->sent };
		if (c->body_len > boff)
			iov[mh.msg_iovlen++] = (struct iovec){
				(void *)(uintptr_t)(c->body + boff),
				c->body_len - boff };
		k = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		if (k < 0) {
			log_errno(client_errno() ? LOG_DEBUG : LOG_WARN,
				  "admin: send");
			conn_close(c);
			return;
		}
		c->sent += (size_t)k;
	}
	if (shutdown(c->fd, SHUT_WR) < 0 && errno != ENOTCONN)
		log_errno(LOG_DEBUG, "admin: shutdown");
	c->state = AC_LINGERING;
	conn_linger(c);
}

/* Move c on as far as it goes without waiting. */
static void conn_step(struct admin *a, struct admin_conn *c)
{
	if (c->state == AC_READING)
		conn_read(a, c);
	if (c->state == AC_WRITING)
		conn_write(c);
	else if (c->state == AC_LINGERING)
		conn_linger(c);
}

/* Close the connections whose deadline has passed. */
static void conns_expire(struct admin *a, int64_t now)
{
	static const char *const doing[] = {
		[AC_FREE] = "",
		[AC_READING] = "its request was not complete",
		[AC_WRITING] = "it had not taken the whole answer",
		[AC_LINGERING] = "it had not closed after the answer",
	};

	for (size_t i = 0; i < a->conns.n; i++) {
		struct admin_conn *c = &a->conns.slot[i];
		if (c->state == AC_FREE || now < c->deadline)
			continue;
		log_debug("admin: closing a connection after %d ms: %s",
			  ADMIN_DEADLINE_MS, doing[c->state]);
		conn_close(c);
	}
}

/* Every slot is taken: close the connection in c to make room. */
static void conn_evict(struct admin *a, struct admin_conn *c, int64_t now)
{
	a->evicted++;
	if (a->evict_warned_ms == 0 ||
	    now - a->evict_warned_ms >= ADMIN_EVICT_WARN_MS) {
		log_warn("admin: %d connections open, the most served at once; "
			 "closing the oldest to make room (%llu so far)",
			 ADMIN_CONNS_MAX, (unsigned long long)a->evicted);
		a->evict_warned_ms = now;
	}
	conn_close(c);
}

/* An agent check: the line is the whole answer, sent at once. */
static void agent_answer(struct admin *a, struct admin_conn *c)
{
	c->head_len = admin_agent_line(a->sb, c->head, sizeof(c->head));
	if (c->head_len == 0) {
		log_error("admin: agent line does not fit in %zu bytes",
			  sizeof(c->head));
		conn_close(c);
	}
}

/* Accept what waits on lfd (a table's worth at most) and start on it: the
 * request is often there already (TCP_DEFER_ACCEPT), and is then answered
 * before the next poll. */
static void accept_some(struct admin *a, int lfd, bool agent)
{
	for (int i = 0; i < ADMIN_CONNS_MAX; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct admin_conn *c;
		int64_t now;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			if (errno != EAGAIN) {
				log_errno(LOG_WARN, "admin: accept4(%s)",
					  agent ? "agent_check" : "admin.listen");
				a->accept_paused_until =
					now_ms() + ADMIN_ACCEPT_PAUSE_MS;
			}
			return;
		}
		now = now_ms();
		c = admin_conns_pick(&a->conns);
		if (c->state != AC_FREE)
			conn_evict(a, c, now);
		admin_conns_open(&a->conns, c, fd, agent, now, ADMIN_DEADLINE_MS);
		c->peer = ss;
		if (agent)
			agent_answer(a, c);
		if (c->state != AC_FREE)
			conn_step(a, c);
	}
}

/* ---- control channel ---- */

/* Read control commands: 'Q' or EOF exit, 'R' brings reopened log fds. */
static void check_ctl(struct admin *a)
{
	for (;;) {
		int cmd = child_ctl_next(a->ctl_fd);
		if (cmd == -1)
			return;
		if (cmd <= 0 || cmd == CTL_QUIT) {
			log_debug("admin: exiting (%s)", cmd > 0 ? "told to" : "master gone");
			_exit(0);
		}
	}
}

/* ---- setup ---- */

static void admin_setup(struct admin *a)
{
	size_t status_cap = status_buffer_size(a->sb->nslots);
	size_t metrics_cap = metrics_buffer_size(a->nls);

	log_set_role("admin", -1);
	child_setup();
	if (child_drop_privileges(a->cfg) < 0)
		_exit(2);
	/* Every slot gets its buffers now; pages that are never rendered
	 * into are never touched, so they cost address space, not memory. */
	a->pagecap = status_cap > metrics_cap ? status_cap : metrics_cap;
	for (size_t i = 0; i < ADMIN_CONNS_MAX; i++) {
		a->slots[i].in = malloc(ADMIN_IN_BYTES);
		a->slots[i].page = malloc(a->pagecap);
		if (a->slots[i].in == NULL || a->slots[i].page == NULL) {
			log_errno(LOG_ERROR, "admin: malloc(connection buffers)");
			_exit(2);
		}
	}
	admin_conns_init(&a->conns, a->slots, ADMIN_CONNS_MAX);
	a->status_path = a->cfg->status.path ? a->cfg->status.path : "/server-status";
	a->metrics_path = a->cfg->metrics.path ? a->cfg->metrics.path : "/metrics";
	a->server = a->cfg->server_tokens ? PACKAGE_NAME "/" PACKAGE_VERSION
					  : PACKAGE_NAME;
}

/* How long poll may sleep: until the nearest connection deadline, or the
 * end of an accept pause; -1 when nothing is due. */
static int poll_wait_ms(const struct admin *a, int64_t now, bool *paused)
{
	int wait = admin_conns_wait_ms(&a->conns, now);
	int64_t pause = a->accept_paused_until - now;

	*paused = pause > 0;
	if (*paused && (wait < 0 || pause < wait))
		wait = (int)pause;
	return wait;
}

_Noreturn void admin_run(const struct config *cfg, struct scoreboard *sb,
			 const struct listener *worker_listeners, size_t nls,
			 int http_fd, int agent_fd, int ctl_fd)
{
	static struct admin a; /* the slots and header array: large for a stack */

	a = (struct admin){ .cfg = cfg, .sb = sb, .ls = worker_listeners,
			    .nls = nls, .http_fd = http_fd, .agent_fd = agent_fd,
			    .ctl_fd = ctl_fd };
	admin_setup(&a);
	log_info("admin process ready (pid %d)", (int)getpid());
	for (;;) {
		struct pollfd p[3 + ADMIN_CONNS_MAX];
		struct admin_conn *pc[3 + ADMIN_CONNS_MAX];
		bool paused;
		int wait = poll_wait_ms(&a, now_ms(), &paused);
		nfds_t n = 0;

		p[n++] = (struct pollfd){ .fd = ctl_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = paused ? -1 : http_fd,
					  .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = paused ? -1 : agent_fd,
					  .events = POLLIN };
		for (size_t i = 0; i < ADMIN_CONNS_MAX; i++) {
			struct admin_conn *c = &a.slots[i];
			if (c->state == AC_FREE)
				continue;
			pc[n] = c;
			p[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == AC_WRITING ? POLLOUT : POLLIN };
		}
		if (poll(p, n, wait) < 0) {
			if (errno != EINTR) {
				log_errno(LOG_ERROR, "admin: poll");
				poll(NULL, 0, 100);
			}
			continue;
		}
		if (p[0].revents)
			check_ctl(&a);
		/* Connections first: accepting may reuse a slot polled here. */
		for (nfds_t i = 3; i < n; i++)
			if (p[i].revents && pc[i]->state != AC_FREE &&
			    pc[i]->fd == p[i].fd)
				conn_step(&a, pc[i]);
		if (p[1].revents)
			accept_some(&a, http_fd, false);
		if (p[2].revents)
			accept_some(&a, agent_fd, true);
		conns_expire(&a, now_ms());
	}
}
