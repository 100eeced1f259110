/*
 * worker.c -- the worker process: set-up, the accept loop, control commands.
 *
 * Thundering herd: every worker has its own epoll instance holding all the
 * listeners with EPOLLEXCLUSIVE, plus its control channel.  A new connection
 * wakes one waiting worker (not all of them, as a shared blocking poll would);
 * the listening sockets are non-blocking, so a worker that wakes up for a
 * connection somebody else took gets EAGAIN from accept4 and waits again.
 * The accepted socket itself is blocking (see conn.c).
 *
 * Signals from outside are ignored: the master speaks to workers only
 * through the control channel (a SOCK_SEQPACKET socketpair, which can also
 * carry the reopened log descriptors), and EOF on it means the master is
 * gone.  PR_SET_PDEATHSIG kills a worker whose master died, so no orphan
 * keeps a port.
 */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "worker.h"

#define WORKER_HBUF 8192
#define BUF_SLACK 16384 /* room for body and pipelined bytes after a full head */

static void worker_exit(struct worker *w, int code)
{
	sb_set_state(w->slot, SB_CLOSING);
	log_access_flush();
	_exit(code);
}

static void worker_signals(void)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM,
				       SIGUSR1, SIGUSR2, SIGWINCH, SIGTTIN,
				       SIGTTOU, SIGPIPE };
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < PH_ARRAY_LEN(ignored); i++)
		sigaction(ignored[i], &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Become cfg->user (and group) when running as root.  0 or -1 (logged). */
static int drop_privileges(const struct config *cfg)
{
	struct passwd *pw;
	gid_t gid;

	if (cfg->user == NULL || geteuid() != 0)
		return 0;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		log_errno(LOG_ERROR, "getpwnam(\"%s\")", cfg->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (cfg->group != NULL) {
		struct group *gr = getgrnam(cfg->group);
		if (gr == NULL) {
			log_errno(LOG_ERROR, "getgrnam(\"%s\")", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0) {
		log_errno(LOG_ERROR, "setgid(%u)", (unsigned)gid);
		return -1;
	}
	if (setuid(pw->pw_uid) < 0) {
		log_errno(LOG_ERROR, "setuid(%u)", (unsigned)pw->pw_uid);
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("could regain root after dropping to \"%s\"", cfg->user);
		return -1;
	}
	return 0;
}

static int worker_epoll(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN };

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		log_errno(LOG_ERROR, "epoll_create1");
		return -1;
	}
	ev.data.u32 = UINT32_MAX;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ctl_fd, &ev) < 0) {
		log_errno(LOG_ERROR, "epoll_ctl(control channel)");
		return -1;
	}
	for (size_t i = 0; i < w->nlisteners; i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
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
	pid_t master = getppid();

	worker_signals();
	log_set_role("worker", w->slot_index);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		log_errno(LOG_WARN, "prctl(PR_SET_PDEATHSIG)");
	if (master == 1) /* the master died before prctl took effect */
		_exit(0);
	if (drop_privileges(cfg) < 0 || worker_epoll(w) < 0 ||
	    worker_buffers(w) < 0)
		worker_exit(w, 2);
	if (cfg->max_requests_per_worker > 0) {
		srandom((unsigned)getpid() ^ (unsigned)now_ms());
		w->max_requests = cfg->max_requests_per_worker;
		if (cfg->max_requests_jitter > 0)
			w->max_requests += (uint64_t)random() %
					   (cfg->max_requests_jitter + 1);
	}
	snprintf(w->server, sizeof(w->server), "%s",
		 cfg->server_tokens ? PACKAGE_NAME "/" PACKAGE_VERSION
				    : PACKAGE_NAME);
}

/* Take log descriptors the master reopened (SIGUSR1). */
static void adopt_fds(struct msghdr *mh)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	int fds[2] = { -1, -1 };

	if (cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS)
		return;
	size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	memcpy(fds, CMSG_DATA(cm), (n > 2 ? 2 : n) * sizeof(int));
	log_adopt(fds[0], fds[1]);
}

void worker_check_ctl(struct worker *w)
{
	for (;;) {
		char cmd;
		union {
			char buf[CMSG_SPACE(2 * sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { &cmd, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		ssize_t n = recvmsg(w->ctl_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_errno(LOG_ERROR, "recvmsg(control channel)");
			return;
		}
		if (n == 0) { /* the master is gone: finish up and leave */
			w->stopping = true;
			return;
		}
		if (cmd == CTL_QUIT || cmd == CTL_DRAIN) {
			w->stopping = true;
			w->draining = w->draining || cmd == CTL_DRAIN;
		}
		else if (cmd == CTL_REOPEN)
			adopt_fds(&mh);
	}
}

/* Accept one connection from l and serve it to the end. */
static void accept_one(struct worker *w, const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

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
	struct timeval tv = {
		.tv_sec = w->cfg->timeouts.send_ms / 1000,
		.tv_usec = (w->cfg->timeouts.send_ms % 1000) * 1000,
	};
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		log_errno(LOG_INFO, "setsockopt(SO_SNDTIMEO)");
	conn_serve(w, fd, &ss, sl, l->addr.proxy_protocol);
	sb_set_state(w->slot, SB_IDLE);
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

_Noreturn void worker_run(struct worker *w)
{
	struct epoll_event ev[8];
	char ready = 'r';

	worker_setup(w);
	sb_set_state(w->slot, SB_IDLE);
	if (write(w->notify_fd, &ready, 1) < 0 && errno != EAGAIN)
		log_errno(LOG_WARN, "write(master wake pipe)");
	for (;;) {
		if (w->stopping) {
			if (w->draining)
				drain_backlog(w);
			worker_exit(w, 0);
		}
		if (w->max_requests && w->requests >= w->max_requests &&
		    !w->slot->recycle)
			ask_recycle(w);
		int n = epoll_wait(w->epfd, ev, (int)PH_ARRAY_LEN(ev),
				   log_access_due_ms(now_ms()));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno(LOG_ERROR, "epoll_wait");
			worker_exit(w, 2);
		}
		if (n == 0)
			log_access_flush();
		for (int i = 0; i < n && !w->stopping; i++) {
			if (ev[i].data.u32 == UINT32_MAX)
				worker_check_ctl(w);
			else
				accept_one(w, &w->listeners[ev[i].data.u32]);
		}
	}
}
