/*
 * worker.c -- the worker process: set-up, the accept loop, control commands.
 *
 * Thundering herd: every worker has its own epoll instance holding all the
 * listeners with EPOLLEXCLUSIVE, plus its control channel.  A new connection
 * wakes one waiting worker (not all of them, as a shared blocking poll would);
 * the listening sockets are non-blocking, so a worker that wakes up for a
 * connection somebody else took gets EAGAIN from accept4 and waits again.
 * Accepted sockets are non-blocking too: every wait on them is a poll with
 * a deadline (see conn.c).
 *
 * Signals from outside are ignored: the master speaks to workers only
 * through the control channel (a SOCK_SEQPACKET socketpair, which can also
 * carry the reopened log descriptors), and EOF on it means the master is
 * gone.  PR_SET_PDEATHSIG kills a worker whose master died, so no orphan
 * keeps a port.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "conn.h"
#include "log.h"
#include "response.h"
#include <sys/uio.h>
#include "module.h"
#include "worker.h"

/* epoll data: which kind of descriptor woke us (tag in the high half). */
#define EV_LISTENER 0ULL
#define EV_CONTROL 1ULL
#define EV_PARKED 2ULL
#define EV(tag, v) (((tag) << 32) | (uint32_t)(v))

#define WORKER_HBUF 8192
#define BUF_SLACK 16384 /* room for body and pipelined bytes after a full head */

static void worker_exit(struct worker *w, int code)
{
	sb_set_state(w->slot, SB_CLOSING);
	log_access_flush();
	_exit(code);
}

static int worker_epoll(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN };

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		log_errno(LOG_ERROR, "epoll_create1");
		return -1;
	}
	ev.data.u64 = EV(EV_CONTROL, 0);
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ctl_fd, &ev) < 0) {
		log_errno(LOG_ERROR, "epoll_ctl(control channel)");
		return -1;
	}
	for (size_t i = 0; i < w->nlisteners; i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u64 = EV(EV_LISTENER, i);
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listeners[i].fd, &ev) < 0) {
			log_errno(LOG_ERROR, "epoll_ctl(listener %s)",
				  w->listeners[i].addr.text);
			return -1;
		}
	}
	return 0;
}

static int worker_buffers(struct worker *w)
{
	const struct config *cfg = w->cfg;

	w->bufcap = (size_t)cfg->limits.header_bytes + BUF_SLACK;
	w->buf = malloc(w->bufcap);
	w->hdrs = calloc((size_t)cfg->limits.headers + 1, sizeof(*w->hdrs));
	w->hbufcap = WORKER_HBUF;
	w->hbuf = malloc(w->hbufcap);
	w->pathcap = (size_t)cfg->limits.uri_bytes + 1;
	w->path = malloc(w->pathcap);
	if (!w->buf || !w->hdrs || !w->hbuf || !w->path) {
		log_errno(LOG_ERROR, "malloc(connection buffers)");
		return -1;
	}
	return 0;
}

static void worker_setup(struct worker *w)
{
	const struct config *cfg = w->cfg;

	log_set_role("worker", w->slot_index);
	child_setup();
	if (child_drop_privileges(cfg) < 0 || worker_epoll(w) < 0 ||
	    worker_buffers(w) < 0 ||
	    park_init(&w->park, (size_t)cfg->limits.parked_per_worker) < 0 ||
	    modules_worker_init(cfg) < 0)
		worker_exit(w, 2);
	w->pid = getpid();
	srandom((unsigned)w->pid ^ (unsigned)now_ms());
	if (cfg->max_requests_per_worker > 0) {
		w->max_requests = cfg->max_requests_per_worker;
		if (cfg->max_requests_jitter > 0)
			w->max_requests += (uint64_t)random() %
					   (cfg->max_requests_jitter + 1);
	}
	snprintf(w->server, sizeof(w->server), "%s",
		 cfg->server_tokens ? PACKAGE_NAME "/" PACKAGE_VERSION
				    : PACKAGE_NAME);
}

void worker_check_ctl(struct worker *w)
{
	for (;;) {
		int cmd = child_ctl_next(w->ctl_fd);
		if (cmd < 0)
			return;
		if (cmd == 0) { /* the master is gone: finish up and leave */
			w->stopping = true;
			return;
		}
		if (cmd == CTL_QUIT || cmd == CTL_DRAIN) {
			w->stopping = true;
			w->draining = w->draining || cmd == CTL_DRAIN;
		}
	}
}

/* Accept one connection from l and serve it to the end. */
static void accept_one(struct worker *w, const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			return;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM: /* survive, but give the system a moment */
			log_errno(LOG_WARN, "accept4(%s)", l->addr.text);
			poll(NULL, 0, 100);
			return;
		default:
			log_errno(LOG_ERROR, "accept4(%s)", l->addr.text);
			poll(NULL, 0, 100);
			return;
		}
	}
	if (l->addr.family != AF_UNIX) {
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_errno(LOG_INFO, "setsockopt(TCP_NODELAY)");
	}
	sb_stat_add(&w->slot->connections, 1);
	conn_serve(w, &(struct conn_start){
		.fd = fd, .peer = &ss, .peerlen = sl,
		.proxy_protocol = l->addr.proxy_protocol,
		.accepted_ms = now_ms() });
	sb_set_state(w->slot, SB_IDLE);
}

bool worker_can_park(const struct worker *w)
{
	return !w->stopping && w->park.count < w->park.cap;
}

void worker_park(struct worker *w, const struct conn_start *st)
{
	struct parked *p = park_add(&w->park);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
				  .data.u64 = EV(EV_PARKED, st->fd) };

	if (p == NULL || park_append(p, st->pre, st->prelen,
				      (size_t)w->cfg->limits.header_bytes + 1) < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, st->fd, &ev) < 0) {
		log_errno(LOG_WARN, "parking a connection");
		if (p != NULL)
			park_remove(&w->park, p);
		close(st->fd);
		return;
	}
	p->fd = st->fd;
	memcpy(&p->peer, st->peer, sizeof(p->peer));
	p->peerlen = st->peerlen;
	p->accepted_ms = st->accepted_ms;
	p->head_start_ms = st->head_start_ms;
	p->deadline_ms = st->head_start_ms + w->cfg->timeouts.header_ms;
	p->requests = st->requests;
	__atomic_store_n(&w->slot->stats.parked, (uint64_t)w->park.count,
			 __ATOMIC_RELAXED);
}

/* Leave the park: out of epoll, out of the set; the fd stays open. */
static void unpark(struct worker *w, struct parked *p)
{
	if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, p->fd, NULL) < 0)
		log_errno(LOG_WARN, "epoll_ctl(DEL parked)");
	park_remove(&w->park, p);
	__atomic_store_n(&w->slot->stats.parked, (uint64_t)w->park.count,
			 __ATOMIC_RELAXED);
}

/* A parked head that ran out of time: 408, best effort, and close. */
static void park_expire(struct worker *w, struct parked *p)
{
	char hbuf[256], head[1024];
	struct response r;
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	int fd = p->fd;

	response_init(&r, hbuf, sizeof(hbuf));
	response_reset(&r);
	response_error(&r, 408);
	iov[0].iov_base = head;
	iov[0].iov_len = response_head(&r, head, sizeof(head), date_now(),
				       w->server, false);
	iov[1].iov_base = (void *)(uintptr_t)r.body;
	iov[1].iov_len = r.body_len;
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN && errno != EPIPE && errno != ECONNRESET)
		log_errno(LOG_INFO, "send(408 to a parked client)");
	sb_stat_add(&w->slot->stats.head_timeouts, 1);
	unpark(w, p);
	close(fd);
}

/* Bytes arrived on a parked connection: serve it once its head is complete. */
static void park_readable(struct worker *w, int fd)
{
	struct parked *p = park_find(&w->park, fd);
	char buf[4096];
	size_t max = (size_t)w->cfg->limits.header_bytes + 1;
	ssize_t n;

	if (p == NULL)
		return;
	/* Never read past the limit: what is not read stays in the socket,
	 * where the connection finds it once the head is served. */
	n = recv(fd, buf, p->len + sizeof(buf) > max ? max - p->len : sizeof(buf),
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* closed or reset while parked: nobody to answer */
		unpark(w, p);
		close(fd);
		return;
	}
	if (park_append(p, buf, (size_t)n, max) < 0) {
		log_errno(LOG_WARN, "client of a parked connection: keeping its head");
		unpark(w, p);
		close(fd);
		return;
	}
	if (p->len < max && !park_head_complete(p))
		return;
	/* Complete (or too large: the parser will say 431): serve it now. */
	struct parked copy = *p;
	struct sockaddr_storage peer = p->peer;
	p->buf = NULL; /* the copy owns it now */
	unpark(w, p);
	sb_set_state(w->slot, SB_READING);
	conn_serve(w, &(struct conn_start){
		.fd = fd, .peer = &peer, .peerlen = copy.peerlen,
		.accepted_ms = copy.accepted_ms,
		.head_start_ms = copy.head_start_ms, .requests = copy.requests,
		.pre = copy.buf, .prelen = copy.len });
	free(copy.buf);
	sb_set_state(w->slot, SB_IDLE);
}

static void park_expire_due(struct worker *w, int64_t now)
{
	for (size_t i = 0; i < w->park.cap && w->park.count > 0; i++) {
		struct parked *p = &w->park.p[i];
		if (p->fd >= 0 && now >= p->deadline_ms)
			park_expire(w, p);
	}
}

/* How long epoll_wait may sleep: the access log flush and park deadlines. */
static int wait_timeout(struct worker *w)
{
	int64_t now = now_ms();
	int t = log_access_due_ms(now);
	int64_t d = park_next_deadline(&w->park);

	if (d != INT64_MAX) {
		int64_t left = d > now ? d - now : 0;
		if (t < 0 || left < t)
			t = left > INT32_MAX ? INT32_MAX : (int)left;
	}
	return t;
}

/*
 * max_requests_per_worker reached: ask the master for a replacement and go
 * on serving until it tells us to stop, so that capacity never dips.
 */
static void ask_recycle(struct worker *w)
{
	char wake = 'x';

	log_info("asking to be recycled after %llu requests",
		 (unsigned long long)w->requests);
	__atomic_store_n(&w->slot->recycle, 1u, __ATOMIC_RELAXED);
	if (write(w->notify_fd, &wake, 1) < 0 && errno != EAGAIN)
		log_errno(LOG_WARN, "write(master wake pipe)");
}

/*
 * Graceful stop: connections that were already waiting in the accept queue
 * when the stop began are served (with Connection: close) rather than reset
 * when the listeners close.
 */
static void drain_backlog(struct worker *w)
{
	bool more = true;

	while (more) {
		more = false;
		for (size_t i = 0; i < w->nlisteners; i++) {
			uint64_t before = w->requests;
			struct pollfd p = { .fd = w->listeners[i].fd, .events = POLLIN };
			if (poll(&p, 1, 0) != 1)
				continue;
			accept_one(w, &w->listeners[i]);
			more = more || w->requests != before;
		}
	}
}

/*
 * Told to stop: serve the backlog once if this is a full stop, take the
 * listeners out of the epoll set, and return true when nothing is left.
 * Parked heads are still served when they complete (or get 408 at their
 * deadline); the master kills us after timeouts.graceful in any case.
 */
static bool stop_accepting(struct worker *w)
{
	if (!w->accept_stopped) {
		w->accept_stopped = true;
		if (w->draining)
			drain_backlog(w);
		for (size_t i = 0; i < w->nlisteners; i++)
			if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listeners[i].fd,
				      NULL) < 0)
				log_errno(LOG_WARN, "epoll_ctl(DEL %s)",
					  w->listeners[i].addr.text);
	}
	return w->park.count == 0;
}

_Noreturn void worker_run(struct worker *w)
{
	struct epoll_event ev[8];
	char ready = 'r';

	worker_setup(w);
	sb_set_state(w->slot, SB_IDLE);
	if (write(w->notify_fd, &ready, 1) < 0 && errno != EAGAIN)
		log_errno(LOG_WARN, "write(master wake pipe)");
	for (;;) {
		if (w->stopping && stop_accepting(w))
			worker_exit(w, 0);
		if (w->max_requests && w->requests >= w->max_requests &&
		    !w->slot->recycle)
			ask_recycle(w);
		int n = epoll_wait(w->epfd, ev, (int)PH_ARRAY_LEN(ev),
				   wait_timeout(w));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno(LOG_ERROR, "epoll_wait");
			worker_exit(w, 2);
		}
		if (log_access_due_ms(now_ms()) == 0)
			log_access_flush();
		park_expire_due(w, now_ms());
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64 >> 32;
			uint32_t v = (uint32_t)ev[i].data.u64;
			if (tag == EV_CONTROL)
				worker_check_ctl(w);
			else if (tag == EV_PARKED)
				park_readable(w, (int)v);
			else if (!w->stopping)
				accept_one(w, &w->listeners[v]);
		}
	}
}
