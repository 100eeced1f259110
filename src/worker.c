/*
 * worker.c -- the worker process: set-up, the one wait, connections and
 * their turns, control commands (see worker.h).
 *
 * The wait.  One epoll instance holds the listeners (EPOLLEXCLUSIVE, so a
 * new connection wakes one waiting worker, not all; they are non-blocking,
 * and a worker that lost the race gets EAGAIN), the control channel, and
 * every connection the worker holds, edge-triggered.  A connection is
 * never read outside its turn: an event only moves it to the back of the
 * turn queue.  Its turn reads what has arrived and, with a complete head
 * in hand, serves that one request (serve.c, blocking under the timeouts);
 * otherwise it goes back to wait.  Edge-triggered is safe because a turn
 * that leaves bytes unread (the buffer filled: conn.more) puts the
 * connection back in the queue rather than to wait.
 *
 * Fairness.  After a turn the connection goes to the back of the queue
 * only after the events that came in meanwhile have queued theirs, so a
 * client that pipelines without pause delays another connection of the
 * same worker by one request at most.  A worker accepts one connection per
 * wake-up, so the kernel spreads a burst over the idle workers.
 *
 * Limits.  A worker holds at most limits.connections_per_worker
 * connections; with its set full it takes its listeners out of the wait,
 * so the kernel queue and the other workers take the load.  When every
 * worker of the pool is full and connections wait in the queue, each closes
 * its oldest idle keep-alive connection to take one (never a connection
 * with a request in hand).
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

#include "cgi.h"
#include "child.h"
#include "handover.h"
#include "log.h"
#include "module.h"
#include "util.h"
#include "worker.h"

/*
 * epoll data: a connection's address (8-byte aligned, low bits 0), or a
 * tag in the low bits: the control channel, or a listener (index above).
 */
#define EV_CONTROL 1ULL
#define EV_LISTENER 2ULL
#define EV_TAG_MASK 7ULL

#define EVENTS_MAX 64
#define LINGER_MS 1000     /* a lingering close takes at most this long */
#define LINGER_QUIET_MS 250 /* ... and stops after this long without input */
#define LINGER_READS 64    /* reads per wake-up while lingering */
#define FULL_CHECK_MS 100  /* how often a full worker looks at the pool */
#define HANDOVER_RETRY_MS 5 /* the control channel was full: try again */
#define HANDOVER_LATER_MS 20 /* no worker could take a connection yet */

static _Noreturn void worker_exit(struct worker *w, int code)
{
	sb_set_state(w->slot, SB_CLOSING);
	log_access_flush();
	_exit(code);
}

/* ---- set-up ---- */

static int worker_epoll(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EV_CONTROL };

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		log_errno(LOG_ERROR, "epoll_create1");
		return -1;
	}
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ctl_fd, &ev) < 0) {
		log_errno(LOG_ERROR, "epoll_ctl(control channel)");
		return -1;
	}
	return 0;
}

static void worker_setup(struct worker *w)
{
	const struct config *cfg = w->cfg;

	log_set_role("worker", w->slot_index);
	child_setup();
	w->max_conns = (size_t)cfg->limits.connections_per_worker;
	w->hctx.cgi = cgi_state_new();
	w->hctx.mod = module_state_new();
	if (child_drop_privileges(cfg) < 0 || worker_epoll(w) < 0 ||
	    w->hctx.cgi == NULL || w->hctx.mod == NULL ||
	    serve_ctx_init(&w->sx, cfg) < 0 ||
	    park_init(&w->park, w->max_conns) < 0 ||
	    modules_worker_init(cfg) < 0)
		worker_exit(w, 2);
	bufpool_init(&w->pool, w->sx.bufcap);
	if ((w->ctlbuf = malloc(HO_MSG_MAX)) == NULL) {
		log_errno(LOG_ERROR, "malloc(control buffer)");
		worker_exit(w, 2);
	}
	w->pid = getpid();
	srandom((unsigned)w->pid ^ (unsigned)now_ms());
	w->sx.sb = w->sb;
	w->sx.slot = w->slot;
	w->sx.listeners = w->listeners;
	w->sx.nlisteners = w->nlisteners;
	w->sx.hctx = &w->hctx;
	if (cfg->max_requests_per_worker > 0) {
		w->max_requests = cfg->max_requests_per_worker;
		if (cfg->max_requests_jitter > 0)
			w->max_requests += (uint64_t)random() %
					   (cfg->max_requests_jitter + 1);
	}
}

/* ---- connection records ---- */

/* A record for a new connection (reused, or allocated), zeroed. */
static struct conn *conn_get(struct worker *w)
{
	struct conn *c = w->free_conns;

	if (c != NULL)
		w->free_conns = (struct conn *)(void *)c->buf;
	else if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	return c;
}

/*
 * Close a connection.  Its record is released only after the current
 * round of events, which may still name it (fd -1 marks it closed).
 */
static void conn_close(struct worker *w, struct conn *c)
{
	park_leave(&w->park, &c->node);
	if (c->buf != NULL && c->buf != w->sx.buf)
		bufpool_put(&w->pool, c->buf, c->cap);
	if (close(c->fd) < 0)
		log_errno(LOG_INFO, "close(client %s)", c->remote);
	c->fd = -1;
	c->buf = (char *)(void *)w->dead; /* the link, while dead */
	w->dead = c;
	w->nconns--;
}

static void release_dead(struct worker *w)
{
	while (w->dead != NULL) {
		struct conn *c = w->dead;
		w->dead = (struct conn *)(void *)c->buf;
		c->buf = (char *)(void *)w->free_conns;
		w->free_conns = c;
	}
}

/*
 * The bytes in hand leave the request buffer for a pool buffer of their
 * size (none when there are none).  false: no memory; closed (logged).
 */
static bool store_bytes(struct worker *w, struct conn *c)
{
	char *b = NULL;
	size_t cap = 0;

	if (c->len > 0) {
		b = bufpool_get(&w->pool, c->len, &cap);
		if (b == NULL) {
			log_errno(LOG_WARN, "client %s: keeping %zu bytes",
				  c->remote, c->len);
			conn_close(w, c);
			return false;
		}
		memcpy(b, c->buf, c->len);
	}
	c->buf = b;
	c->cap = cap;
	return true;
}

/* The bytes in hand move into the request buffer for a turn. */
static void take_bytes(struct worker *w, struct conn *c)
{
	if (c->len > 0)
		memcpy(w->sx.buf, c->buf, c->len);
	bufpool_put(&w->pool, c->buf, c->cap);
	c->buf = w->sx.buf;
	c->cap = w->sx.bufcap;
}

/* ---- waiting ---- */

/*
 * No complete request in hand: wait for the rest of a head (or PROXY
 * header) until the head deadline, or, with nothing of a next request,
 * idle until the keep-alive deadline.  A worker that stops closes an idle
 * connection instead; one that retires for a reload or a recycle keeps it
 * in its set, from where it is handed over (hand_over_some).
 */
static void wait_for_request(struct worker *w, struct conn *c)
{
	const struct config *cfg = w->cfg;

	if (!store_bytes(w, c))
		return;
	if (c->peer_closed) { /* no request can complete any more */
		conn_close(w, c);
		return;
	}
	if (c->len == 0 && c->requests > 0 && !c->proxy_pending) {
		if (w->stopping && !w->handing_over) {
			conn_close(w, c);
			return;
		}
		park_enter(&w->park, &c->node, PARK_IDLE,
			   c->idle_since_ms + cfg->timeouts.keepalive_ms);
		return;
	}
	int64_t start = c->head_start_ms ? c->head_start_ms : c->accepted_ms;
	park_enter(&w->park, &c->node, PARK_HEAD, start + cfg->timeouts.header_ms);
}

/* Read and drop a lingering connection's input; closed at its end. */
static void linger_read(struct worker *w, struct conn *c)
{
	int64_t now = now_ms();
	int64_t end = c->head_start_ms + LINGER_MS;

	for (int i = 0; i < LINGER_READS; i++) {
		ssize_t n = recv(c->fd, w->sx.buf, w->sx.bufcap, MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_close(w, c); /* the peer closed too, or reset */
		return;
	}
	park_enter(&w->park, &c->node, PARK_LINGER,
		   now + LINGER_QUIET_MS < end ? now + LINGER_QUIET_MS : end);
}

/*
 * After an error answer the client may still be sending: close(2) with
 * unread data would reset the connection and could destroy the answer in
 * flight.  Stop writing, and drop its input until it stops (or a second).
 */
static void linger_start(struct worker *w, struct conn *c)
{
	c->len = 0;
	c->buf = NULL;
	c->cap = 0;
	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(w, c);
		return;
	}
	c->head_start_ms = now_ms();
	linger_read(w, c);
}

/* ---- turns ---- */

/* The connection gauges of our slot, for status, metrics and the pool. */
static void publish(struct worker *w)
{
	struct sb_conns *g = &w->slot->conns;
	const size_t *n = w->park.count;

	__atomic_store_n(&g->open, (uint32_t)w->nconns, __ATOMIC_RELAXED);
	__atomic_store_n(&g->reading, (uint32_t)n[PARK_HEAD], __ATOMIC_RELAXED);
	__atomic_store_n(&g->idle, (uint32_t)n[PARK_IDLE], __ATOMIC_RELAXED);
	__atomic_store_n(&g->queued,
			 (uint32_t)(n[PARK_QUEUED] + (w->requeue != NULL)),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&g->closing, (uint32_t)n[PARK_LINGER], __ATOMIC_RELAXED);
}

static void turn(struct worker *w, struct conn *c)
{
	enum serve_outcome o;

	take_bytes(w, c);
	publish(w);
	__atomic_store_n(&w->slot->conns.active, 1u, __ATOMIC_RELAXED);
	o = c->expired ? serve_expired(&w->sx, c) : serve_request(&w->sx, c);
	__atomic_store_n(&w->slot->conns.active, 0u, __ATOMIC_RELAXED);
	sb_set_state(w->slot, SB_IDLE);
	switch (o) {
	case SERVE_CLOSE:
		conn_close(w, c);
		break;
	case SERVE_LINGER:
		linger_start(w, c);
		break;
	case SERVE_WAIT:
		wait_for_request(w, c);
		break;
	case SERVE_KEEP:
		c->idle_since_ms = now_ms();
		if (c->len > 0 || c->more) { /* a pipelined request, or more bytes */
			if (store_bytes(w, c))
				w->requeue = c;
		} else {
			wait_for_request(w, c);
		}
		break;
	}
}

/* An event on a connection: if it waits, its turn comes. */
static void conn_event(struct worker *w, struct conn *c, uint32_t events)
{
	if (c->fd < 0)
		return; /* closed in this round */
	/*
	 * Edge-triggered, the end of the client's stream is told once, maybe
	 * while the connection is queued or served, whose turn then reads its
	 * last request but not the end after it: remembered here, so that the
	 * connection is closed after that request instead of kept idle.
	 */
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->peer_closed = true;
	switch (c->node.state) {
	case PARK_HEAD:
	case PARK_IDLE:
		park_queue(&w->park, &c->node);
		break;
	case PARK_LINGER:
		linger_read(w, c);
		break;
	default: /* queued already, or about to be */
		break;
	}
}

/* Deadlines: a head gets its 408 on a turn; idle and lingering close. */
static void expire_due(struct worker *w, int64_t now)
{
	struct park_node *n;

	while ((n = park_expired(&w->park, now)) != NULL) {
		struct conn *c = conn_of(n);
		if (n->state == PARK_HEAD) {
			c->expired = true;
			park_queue(&w->park, n);
		} else {
			conn_close(w, c);
		}
	}
}

/* ---- accepting ---- */

/* proxy_protocol_from: only the balancers may speak PROXY to us. */
static bool proxy_peer_allowed(const struct worker *w, const struct conn *c)
{
	const struct config *cfg = w->cfg;

	if (cfg->nproxy_protocol_from == 0 || c->peer.ss_family == AF_UNIX ||
	    cidr_match_any(cfg->proxy_protocol_from, cfg->nproxy_protocol_from,
			   (const struct sockaddr *)&c->peer))
		return true;
	log_info("client %s: not in proxy_protocol_from; closing", c->remote);
	return false;
}

/* Out of the wait, and our copy closed, for good. */
static void drop_listener(struct worker *w, size_t li)
{
	struct listener *l = (struct listener *)(uintptr_t)&w->listeners[li];

	if (l->fd < 0)
		return;
	if (w->accepting && epoll_ctl(w->epfd, EPOLL_CTL_DEL, l->fd, NULL) < 0)
		log_errno(LOG_WARN, "epoll_ctl(DEL %s)", l->addr.text);
	if (close(l->fd) < 0)
		log_errno(LOG_WARN, "close(listener %s)", l->addr.text);
	l->fd = -1;
}

/* Take a new connection into the set: 0, or -1 when there was none. */
static int accept_one(struct worker *w, size_t li)
{
	const struct listener *l = &w->listeners[li];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	struct conn *c;
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			return -1;
		case EINVAL: /* shut down by another process: a stop */
			log_info("listener %s no longer listens; leaving it",
				 l->addr.text);
			drop_listener(w, li);
			return -1;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM: /* survive, but give the system a moment */
			log_errno(LOG_WARN, "accept4(%s)", l->addr.text);
			poll(NULL, 0, 100);
			return -1;
		default:
			log_errno(LOG_ERROR, "accept4(%s)", l->addr.text);
			poll(NULL, 0, 100);
			return -1;
		}
	}
	sb_stat_add(&w->slot->stats.accepted, 1);
	if ((c = conn_get(w)) == NULL) {
		log_errno(LOG_WARN, "accept4(%s): a connection record", l->addr.text);
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->listener = (unsigned)li;
	c->peer = ss;
	c->peerlen = sl;
	c->proxy_pending = l->addr.proxy_protocol;
	c->accepted_ms = now_ms();
	conn_set_remote(c);
	sb_stat_add(&w->slot->connections, 1);
	if (c->proxy_pending && !proxy_peer_allowed(w, c)) {
		close(fd);
		c->buf = (char *)(void *)w->free_conns;
		w->free_conns = c;
		return 0;
	}
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_errno(LOG_ERROR, "epoll_ctl(client %s)", c->remote);
		close(fd);
		c->buf = (char *)(void *)w->free_conns;
		w->free_conns = c;
		return 0;
	}
	w->nconns++;
	sb_stat_add(&w->slot->stats.handled, 1);
	if (l->addr.family != AF_UNIX) {
		int one = 1;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_errno(LOG_INFO, "setsockopt(TCP_NODELAY)");
	}
	/* With TCP_DEFER_ACCEPT the request is usually there already. */
	if (l->addr.defer_accept && l->addr.family != AF_UNIX)
		park_queue(&w->park, &c->node);
	else
		wait_for_request(w, c);
	return 0;
}

/* The listeners in or out of the wait. */
static void set_accepting(struct worker *w, bool on)
{
	if (w->accepting == on)
		return;
	for (size_t i = 0; i < w->nlisteners; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
					  .data.u64 = (i << 3) | EV_LISTENER };
		if (w->listeners[i].fd >= 0 && epoll_ctl(w->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
			      w->listeners[i].fd, &ev) < 0)
			log_errno(LOG_WARN, "epoll_ctl(%s %s)", on ? "ADD" : "DEL",
				  w->listeners[i].addr.text);
	}
	w->accepting = on;
}

/* A listener with a connection in its queue, or -1. */
static int backlog_waiting(const struct worker *w)
{
	for (size_t i = 0; i < w->nlisteners; i++) {
		struct pollfd p = { .fd = w->listeners[i].fd, .events = POLLIN };
		if (poll(&p, 1, 0) > 0)
			return (int)i;
	}
	return -1;
}

/* True when every worker of our generation holds as many as it may. */
static bool pool_full(const struct worker *w)
{
	const struct scoreboard *sb = w->sb;

	for (unsigned i = 0; i < sb->nslots; i++) {
		const struct sb_slot *s = &sb->slots[i];
		enum sb_state st = sb_get_state(s);
		if (st == SB_EMPTY || st == SB_CLOSING ||
		    __atomic_load_n(&s->generation, __ATOMIC_RELAXED) != w->generation)
			continue;
		if (__atomic_load_n(&s->conns.open, __ATOMIC_RELAXED) < w->max_conns)
			return false;
	}
	return true;
}

/*
 * Our set is full.  Every FULL_CHECK_MS: if the whole pool is, and a
 * connection waits in a queue, close our oldest idle one to take it.
 */
static void full_check(struct worker *w, int64_t now)
{
	struct park_node *oldest;
	int li;

	if (now - w->full_checked_ms < FULL_CHECK_MS)
		return;
	w->full_checked_ms = now;
	oldest = park_oldest_idle(&w->park);
	if (oldest == NULL || !pool_full(w) || (li = backlog_waiting(w)) < 0)
		return;
	conn_close(w, conn_of(oldest));
	sb_stat_add(&w->slot->stats.idle_evictions, 1);
	accept_one(w, (size_t)li);
}

/* ---- moving connections to another worker ---- */

/*
 * Give c to the master to move (handover.h): out of our wait, our copy of
 * the socket kept until the answer.  false when it cannot go now (the
 * channel is full); c is then left as it was.
 */
static bool hand_over(struct worker *w, struct conn *c, uint32_t id)
{
	struct handover h = {
		.tag = HO_CONN, .id = id, .requests = c->requests,
		.len = (uint32_t)c->len, .accepted_ms = c->accepted_ms,
		.head_start_ms = c->head_start_ms,
		.idle_since_ms = c->idle_since_ms, .peer = c->peer,
		.peerlen = c->peerlen,
		.flags = c->proxy_pending ? HO_PROXY_PENDING : 0,
	};

	snprintf(h.listener, sizeof(h.listener), "%s",
		 w->listeners[c->listener].addr.text);
	memcpy(w->ctlbuf, &h, sizeof(h));
	if (c->len > 0)
		memcpy(w->ctlbuf + sizeof(h), c->buf, c->len);
	if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL) < 0)
		log_errno(LOG_WARN, "epoll_ctl(DEL client %s)", c->remote);
	if (handover_send(w->ctl_fd, w->ctlbuf, sizeof(h) + c->len, c->fd) < 0) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET,
					  .data.ptr = c };
		if (errno != EAGAIN)
			log_errno(LOG_WARN, "sendmsg(hand-over of client %s)",
				  c->remote);
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			log_errno(LOG_WARN, "epoll_ctl(client %s)", c->remote);
		return false;
	}
	park_leave(&w->park, &c->node);
	c->handed = true;
	w->handed[id] = c;
	w->nhanded++;
	return true;
}

/*
 * Retiring for a reload or a recycle: hand over what waits in our set
 * (not what lingers, nor what came back from a failed hand-over), at most
 * HO_INFLIGHT at a time.
 */
static void hand_over_some(struct worker *w)
{
	struct conn *pick[HO_INFLIGHT];
	size_t n = 0;

	if (now_ms() < w->handover_after)
		return;
	w->handover_after = 0;
	for (size_t i = 0; i < w->park.nheap && w->nhanded + n < HO_INFLIGHT; i++) {
		struct conn *c = conn_of(w->park.heap[i]);
		if (c->node.state != PARK_LINGER && !c->closing)
			pick[n++] = c;
	}
	for (struct park_node *q = w->park.queue.head;
	     q != NULL && w->nhanded + n < HO_INFLIGHT; q = q->next)
		if (!conn_of(q)->closing)
			pick[n++] = conn_of(q);
	for (size_t k = 0; k < n; k++) {
		uint32_t id = 0;
		while (w->handed[id] != NULL)
			id++;
		if (!hand_over(w, pick[k], id)) {
			w->handover_after = now_ms() + HANDOVER_RETRY_MS;
			return;
		}
	}
}

/*
 * The master's answer for a hand-over.  Moved: our copy goes.  Not moved:
 * the connection is ours again, to close if idle, else to serve with
 * Connection: close.
 */
static void handed_back(struct worker *w, const struct handover_answer *a)
{
	struct conn *c = a->id < HO_INFLIGHT ? w->handed[a->id] : NULL;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };

	if (c == NULL) {
		log_warn("hand-over answer for an unknown id %u", a->id);
		return;
	}
	w->handed[a->id] = NULL;
	w->nhanded--;
	c->handed = false;
	if (a->ok == HO_MOVED) {
		sb_stat_add(&w->slot->stats.handovers, 1);
		conn_close(w, c);
		return;
	}
	ev.data.ptr = c;
	if (a->ok == HO_LATER) { /* back in our set; hand_over_some retries */
		w->handover_after = now_ms() + HANDOVER_LATER_MS;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			log_errno(LOG_WARN, "epoll_ctl(client %s)", c->remote);
			conn_close(w, c);
		} else if (c->len > 0) {
			park_queue(&w->park, &c->node); /* maybe a request */
		} else {
			wait_for_request(w, c);
		}
		return;
	}
	sb_stat_add(&w->slot->stats.handover_failures, 1);
	c->closing = true;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		log_errno(LOG_WARN, "epoll_ctl(client %s)", c->remote);
		conn_close(w, c);
		return;
	}
	if (c->len == 0 && c->requests > 0 && !c->proxy_pending)
		conn_close(w, c); /* idle: nothing is lost */
	else
		park_queue(&w->park, &c->node); /* its bytes may be a request */
}

/* A connection another worker handed over: ours now, as it was there. */
static void adopt(struct worker *w, const char *msg, size_t n, int fd)
{
	struct handover h;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	struct conn *c;
	size_t li;

	memcpy(&h, msg, sizeof(h));
	for (li = 0; li < w->nlisteners; li++)
		if (strcmp(w->listeners[li].addr.text, h.listener) == 0)
			break;
	if (li == w->nlisteners || !handover_valid(msg, n) ||
	    (c = conn_get(w)) == NULL) {
		log_warn("a connection handed over from %s: refused", h.listener);
		close(fd);
		return;
	}
	c->fd = fd;
	c->listener = (unsigned)li;
	c->peer = h.peer;
	c->peerlen = h.peerlen;
	c->proxy_pending = (h.flags & HO_PROXY_PENDING) != 0;
	c->requests = h.requests;
	c->accepted_ms = h.accepted_ms;
	c->head_start_ms = h.head_start_ms;
	c->idle_since_ms = h.idle_since_ms;
	conn_set_remote(c);
	if (h.len > 0 && (c->buf = bufpool_get(&w->pool, h.len, &c->cap)) == NULL) {
		log_errno(LOG_WARN, "client %s handed over: keeping %u bytes",
			  c->remote, h.len);
		close(fd);
		c->buf = (char *)(void *)w->free_conns;
		w->free_conns = c;
		return;
	}
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_errno(LOG_ERROR, "epoll_ctl(client %s)", c->remote);
		bufpool_put(&w->pool, c->buf, c->cap);
		close(fd);
		c->buf = (char *)(void *)w->free_conns;
		w->free_conns = c;
		return;
	}
	w->nconns++;
	log_debug("client %s (%u requests) handed over from %s", c->remote,
		  c->requests, h.listener);
	c->len = h.len;
	if (c->len > 0) {
		memcpy(c->buf, msg + sizeof(h), c->len);
		park_queue(&w->park, &c->node); /* maybe a whole request */
		return;
	}
	wait_for_request(w, c);
}

/* ---- control ---- */

static void check_ctl(struct worker *w)
{
	for (;;) {
		int fds[2];
		ssize_t n = handover_recv(w->ctl_fd, w->ctlbuf, HO_MSG_MAX, fds);
		if (n < 0)
			return;
		if (n == 0) { /* the master is gone: finish up and leave */
			w->stopping = true;
			w->sx.closing = true;
			return;
		}
		switch (w->ctlbuf[0]) {
		case HO_CONN:
			if (fds[0] >= 0) {
				adopt(w, w->ctlbuf, (size_t)n, fds[0]);
				fds[0] = -1;
			}
			break;
		case HO_ANSWER:
			if ((size_t)n == sizeof(struct handover_answer)) {
				struct handover_answer a;
				memcpy(&a, w->ctlbuf, sizeof(a));
				handed_back(w, &a);
			}
			break;
		case CTL_REOPEN:
			log_adopt(fds[0], fds[1]);
			fds[0] = fds[1] = -1;
			break;
		case CTL_RETIRE:
			w->stopping = true;
			w->handing_over = !w->draining;
			break;
		case CTL_QUIT:
		case CTL_DRAIN:
		case CTL_DRAIN_SHARED:
			w->stopping = true;
			w->handing_over = false;
			w->sx.closing = true; /* from the next answer on */
			w->draining = w->draining || w->ctlbuf[0] != CTL_QUIT;
			w->shut_listeners = w->ctlbuf[0] == CTL_DRAIN;
			break;
		default:
			break;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
}

/*
 * A full stop, once the backlog is taken in: every process shuts the
 * listening sockets down and closes its copies, so a connection that
 * arrives from now on is refused at once (a balancer tries another
 * server) instead of waiting for a worker that will never accept it.  One
 * worker's shutdown(2) is enough, whichever copies others still hold.
 * Not when connections are still queued (this worker is full, and another
 * takes them), nor for sockets shared with systemd or another master:
 * those are only closed.
 */
static void shut_listeners(struct worker *w)
{
	bool shut = w->shut_listeners && backlog_waiting(w) < 0;

	for (size_t i = 0; i < w->nlisteners; i++) {
		struct listener *l = (struct listener *)(uintptr_t)&w->listeners[i];
		if (l->fd < 0)
			continue;
		if (shut && shutdown(l->fd, SHUT_RD) < 0 && errno != ENOTCONN &&
		    errno != EINVAL)
			log_errno(LOG_WARN, "shutdown(listener %s)", l->addr.text);
		drop_listener(w, i);
	}
}

/*
 * Told to stop (once; every answer from then on closes its connection,
 * unless the connections are to move).  A full stop first takes in what
 * waits in the backlog, so it is answered rather than reset, then shuts
 * the listening sockets down.  The listeners leave the wait.  Retiring for
 * a reload or a recycle, the connections then move to the current
 * generation (hand_over_some, each round).  Otherwise each idle
 * connection gets a last turn: a request that came in is answered (with
 * Connection: close), a silent one is closed.  Heads still arriving are
 * answered as they complete (or get 408 at their deadline).
 */
static void begin_retire(struct worker *w)
{
	struct park_node *n;

	while (w->draining && w->nconns < w->max_conns) {
		int li = backlog_waiting(w);
		if (li < 0 || accept_one(w, (size_t)li) < 0)
			break;
	}
	set_accepting(w, false);
	if (w->draining)
		shut_listeners(w);
	if (w->handing_over)
		return;
	while ((n = park_oldest_idle(&w->park)) != NULL)
		park_queue(&w->park, n);
}

/*
 * max_requests_per_worker reached: ask the master for a replacement and go
 * on serving until it tells us to stop, so that capacity never dips.
 */
static void ask_recycle(struct worker *w)
{
	char wake = 'x';

	log_info("asking to be recycled after %llu requests",
		 (unsigned long long)w->sx.requests);
	__atomic_store_n(&w->slot->recycle, 1u, __ATOMIC_RELAXED);
	if (write(w->notify_fd, &wake, 1) < 0 && errno != EAGAIN)
		log_errno(LOG_WARN, "write(master wake pipe)");
}

/* ---- the loop ---- */

/* How long the wait may sleep: log flush, deadlines, the full check. */
static int wait_timeout(struct worker *w, int64_t now)
{
	int64_t t = log_access_due_ms(now);
	int64_t d = park_next_deadline(&w->park);

	if (w->park.queue.head != NULL || w->requeue != NULL)
		return 0;
	if (d != INT64_MAX) {
		int64_t left = d > now ? d - now : 0;
		if (t < 0 || left < t)
			t = left;
	}
	if (!w->stopping && w->nconns >= w->max_conns &&
	    (t < 0 || t > FULL_CHECK_MS))
		t = FULL_CHECK_MS;
	/* Connections left to hand over when the channel was full, or when
	 * no worker could take them. */
	if (w->handing_over && w->handover_after > 0) {
		int64_t left = w->handover_after > now ? w->handover_after - now : 0;
		if (t < 0 || left < t)
			t = left;
	}
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

static void handle_events(struct worker *w, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t d = ev[i].data.u64;
		switch (d & EV_TAG_MASK) {
		case 0:
			conn_event(w, ev[i].data.ptr, ev[i].events);
			break;
		case EV_CONTROL:
			check_ctl(w);
			break;
		case EV_LISTENER:
			if (w->accepting && w->nconns < w->max_conns)
				accept_one(w, (size_t)(d >> 3));
			break;
		default:
			break;
		}
	}
}

_Noreturn void worker_run(struct worker *w)
{
	struct epoll_event ev[EVENTS_MAX];
	char ready = 'r';
	bool retiring = false;

	worker_setup(w);
	set_accepting(w, true);
	sb_set_state(w->slot, SB_IDLE);
	if (write(w->notify_fd, &ready, 1) < 0 && errno != EAGAIN)
		log_errno(LOG_WARN, "write(master wake pipe)");
	for (;;) {
		if (w->stopping && !retiring) {
			retiring = true;
			begin_retire(w);
		}
		if (retiring && w->nconns == 0)
			worker_exit(w, 0);
		if (w->max_requests && w->sx.requests >= w->max_requests &&
		    !w->slot->recycle)
			ask_recycle(w);
		if (!retiring)
			set_accepting(w, w->nconns < w->max_conns);
		publish(w);
		int n = epoll_wait(w->epfd, ev, EVENTS_MAX,
				   wait_timeout(w, now_ms()));
		if (n < 0 && errno != EINTR) {
			log_errno(LOG_ERROR, "epoll_wait");
			worker_exit(w, 2);
		}
		int64_t now = now_ms();
		if (log_access_due_ms(now) == 0)
			log_access_flush();
		handle_events(w, ev, n > 0 ? n : 0);
		if (w->requeue != NULL) {
			park_queue(&w->park, &w->requeue->node);
			w->requeue = NULL;
		}
		if (w->handing_over)
			hand_over_some(w);
		expire_due(w, now);
		if (!retiring && w->nconns >= w->max_conns)
			full_check(w, now);
		release_dead(w);
		struct park_node *next = park_next_turn(&w->park);
		if (next != NULL) {
			turn(w, conn_of(next));
			/* The connection just served may wait again: it moves
			 * now, not at the next event. */
			if (w->handing_over)
				hand_over_some(w);
		}
	}
}
