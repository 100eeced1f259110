/*
 * admin.c -- the admin process (see admin.h for why it exists and what it
 * answers).
 *
 * One loop: poll the admin listener, the agent-check listener and the
 * control channel; serve one connection completely (read the head, answer,
 * close) within ADMIN_DEADLINE_MS, then poll again.  Nothing here blocks
 * without a deadline, and all memory is allocated once at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "child.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "response.h"
#include "status.h"
#include "util.h"
#include "worker.h"

#define ADMIN_IN_BYTES 8192
#define ADMIN_HEADERS 64
#define ADMIN_URI_BYTES 2048

struct admin {
	const struct config *cfg;
	struct scoreboard *sb;
	const struct listener *ls;
	size_t nls;
	int http_fd, agent_fd, ctl_fd;
	const char *status_path, *metrics_path;
	const char *server;

	char *in;     /* request head */
	char *page;   /* status page or metrics */
	size_t pagecap;
	struct header hdrs[ADMIN_HEADERS];
	char hbuf[512];  /* response header lines */
	char head[1024]; /* serialized response head */
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

static void answer_ready(struct admin *a, struct response *r)
{
	const char *why;
	int st = admin_readiness(a->sb, a->ls, a->nls, &why);
	int n = snprintf(a->page, a->pagecap, "%s\n", why);

	r->status = st;
	response_header(r, "Content-Type", "text/plain; charset=utf-8");
	response_header(r, "Cache-Control", "no-store");
	response_body_mem(r, a->page, n > 0 ? (size_t)n : 0);
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

static void dispatch(struct admin *a, const struct request *req,
		     struct response *r, const struct sockaddr *peer)
{
	const struct config *cfg = a->cfg;
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
		answer_ready(a, r);
	else if (status && !acl_ok(&cfg->status, peer))
		response_error(r, 403);
	else if (status)
		status_answer(r, a->sb, cfg,
			      status_wants_json(req->query.p, req->query.len),
			      a->page, a->pagecap);
	else if (!acl_ok(&cfg->metrics, peer))
		response_error(r, 403);
	else
		metrics_answer(r, a->sb, cfg, a->ls, a->nls, a->page, a->pagecap);
}

/* ---- connection I/O, each step bounded by the deadline ---- */

static bool client_errno(void)
{
	return errno == ECONNRESET || errno == EPIPE || errno == ETIMEDOUT;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		if (left <= 0)
			return 0;
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR) {
			log_errno(LOG_WARN, "admin: poll(connection)");
			return -1;
		}
	}
}

/* Read what is there into buf: bytes read, 0 on EOF/timeout/error. */
static size_t read_some(int fd, char *buf, size_t cap, int64_t deadline)
{
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n >= 0)
			return (size_t)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			log_errno(client_errno() ? LOG_DEBUG : LOG_WARN,
				  "admin: recv");
			return 0;
		}
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			return 0;
	}
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN) {
			log_errno(client_errno() ? LOG_DEBUG : LOG_WARN,
				  "admin: send");
			return -1;
		}
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			return -1;
	}
	return 0;
}

/*
 * Read a request head: REQ_HEAD, REQ_ERROR (req->error set), or REQ_AGAIN
 * when the client went away or the deadline passed.
 */
static enum req_status read_head(struct admin *a, int fd, struct request *req,
				 int64_t deadline)
{
	struct request_limits lim = {
		.header_bytes = ADMIN_IN_BYTES - 1, .headers = ADMIN_HEADERS,
		.uri_bytes = ADMIN_URI_BYTES, .body_bytes = 0,
	};
	struct request_parser rp;
	size_t len = 0;

	request_parser_init(&rp, req, a->hdrs, &lim);
	for (;;) {
		size_t n = read_some(fd, a->in + len, ADMIN_IN_BYTES - len, deadline);
		if (n == 0)
			return REQ_AGAIN;
		len += n;
		enum req_status st = request_head(&rp, a->in, len);
		if (st != REQ_AGAIN)
			return st;
		if (len == ADMIN_IN_BYTES) {
			req->error = 431;
			return REQ_ERROR;
		}
	}
}

static void send_response(struct admin *a, int fd, const struct response *r,
			  int64_t deadline)
{
	char date[HTTP_DATE_LEN + 1];
	size_t n;

	http_date_fmt(time(NULL), date);
	n = response_head(r, a->head, sizeof(a->head), date, a->server, false);
	if (n == 0) {
		log_error("admin: response head does not fit in %zu bytes",
			  sizeof(a->head));
		return;
	}
	if (send_all(fd, a->head, n, deadline) < 0 || r->head_only ||
	    r->no_length || r->body_len == 0)
		return;
	send_all(fd, r->body, r->body_len, deadline);
}

static void serve_http(struct admin *a, int fd, const struct sockaddr *peer)
{
	int64_t deadline = now_ms() + ADMIN_DEADLINE_MS;
	struct request req;
	struct response res;
	enum req_status st = read_head(a, fd, &req, deadline);

	if (st == REQ_AGAIN)
		return;
	response_init(&res, a->hbuf, sizeof(a->hbuf));
	if (st == REQ_ERROR)
		response_error(&res, req.error ? req.error : 400);
	else
		dispatch(a, &req, &res, peer);
	if (res.hoverflow)
		response_error(&res, 500);
	res.close = true;
	send_response(a, fd, &res, deadline);
	log_debug("admin: %.*s -> %d", (int)(st == REQ_HEAD ? req.target.len : 1),
		  st == REQ_HEAD ? req.target.p : "-", res.status);
}

/* Discard what the client sent (HAProxy's agent-send, a request body), so
 * closing does not reset the connection before our answer is read. */
static void discard_input(int fd)
{
	char sink[512];

	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

static void serve_agent(struct admin *a, int fd)
{
	char line[64];
	size_t n = admin_agent_line(a->sb, line, sizeof(line));

	discard_input(fd);
	if (n > 0)
		send_all(fd, line, n, now_ms() + ADMIN_DEADLINE_MS);
}

static void close_conn(int fd)
{
	if (shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN)
		log_errno(LOG_DEBUG, "admin: shutdown");
	discard_input(fd);
	if (close(fd) < 0)
		log_errno(LOG_WARN, "admin: close(connection)");
}

static void accept_one(struct admin *a, int lfd, bool agent)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED &&
		    errno != EPROTO) {
			log_errno(LOG_WARN, "admin: accept4(%s)",
				  agent ? "agent_check" : "admin.listen");
			poll(NULL, 0, 100);
		}
		return;
	}
	if (agent)
		serve_agent(a, fd);
	else
		serve_http(a, fd, (const struct sockaddr *)&ss);
	close_conn(fd);
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
	a->pagecap = status_cap > metrics_cap ? status_cap : metrics_cap;
	a->page = malloc(a->pagecap);
	a->in = malloc(ADMIN_IN_BYTES);
	if (a->page == NULL || a->in == NULL) {
		log_errno(LOG_ERROR, "admin: malloc(buffers)");
		_exit(2);
	}
	a->status_path = a->cfg->status.path ? a->cfg->status.path : "/server-status";
	a->metrics_path = a->cfg->metrics.path ? a->cfg->metrics.path : "/metrics";
	a->server = a->cfg->server_tokens ? PACKAGE_NAME "/" PACKAGE_VERSION
					  : PACKAGE_NAME;
}

_Noreturn void admin_run(const struct config *cfg, struct scoreboard *sb,
			 const struct listener *worker_listeners, size_t nls,
			 int http_fd, int agent_fd, int ctl_fd)
{
	static struct admin a; /* the header array is large for a stack */

	a = (struct admin){ .cfg = cfg, .sb = sb, .ls = worker_listeners,
			    .nls = nls, .http_fd = http_fd, .agent_fd = agent_fd,
			    .ctl_fd = ctl_fd };
	admin_setup(&a);
	log_info("admin process ready (pid %d)", (int)getpid());
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = ctl_fd, .events = POLLIN },
			{ .fd = http_fd, .events = POLLIN },
			{ .fd = agent_fd, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno != EINTR) {
				log_errno(LOG_ERROR, "admin: poll");
				poll(NULL, 0, 100);
			}
			continue;
		}
		if (p[0].revents)
			check_ctl(&a);
		if (p[1].revents)
			accept_one(&a, http_fd, false);
		if (p[2].revents)
			accept_one(&a, agent_fd, true);
	}
}
