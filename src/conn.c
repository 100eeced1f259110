/*
 * conn.c -- a connection's I/O under absolute deadlines (see conn.h).
 *
 * Reads never block: recv with MSG_DONTWAIT, and a poll with the time left
 * until the deadline when a caller is willing to wait.  Writes go out with
 * sendmsg or sendfile on the non-blocking socket; when it is full, poll
 * waits for room for at most timeouts.send since the client last took
 * bytes, so a client that stops reading frees the worker within that time,
 * large files included.  While waiting, the buffered access log is flushed
 * when its delay is due.
 */
#include <errno.h>
#include <poll.h>
#include <sys/sendfile.h>

#include "conn.h"
#include "log.h"
#include "util.h"

void conn_set_remote(struct conn *c)
{
	addr_text((const struct sockaddr *)&c->peer, c->remote, sizeof(c->remote));
}

/*
 * Wait for events on the socket until deadline.  1: ready, 0: the deadline
 * passed, -1: poll failed (logged).
 */
static int conn_wait(struct conn *c, int64_t deadline, short events)
{
	for (;;) {
		int64_t now = now_ms();
		int64_t left = deadline - now;
		int due = log_access_due_ms(now);
		struct pollfd p = { .fd = c->fd, .events = events };

		if (left <= 0)
			return 0;
		int timeout = left > INT32_MAX ? INT32_MAX : (int)left;
		if (due >= 0 && due < timeout)
			timeout = due;
		int n = poll(&p, 1, timeout);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR) {
			log_errno(LOG_ERROR, "poll(client %s)", c->remote);
			return -1;
		}
		if (log_access_due_ms(now_ms()) == 0)
			log_access_flush();
	}
}

ssize_t conn_read(struct conn *c)
{
	size_t room = c->cap - c->len;

	for (;;) {
		ssize_t n = recv(c->fd, c->buf + c->len, room, MSG_DONTWAIT);
		if (n >= 0) {
			c->len += (size_t)n;
			c->more = n > 0 && (size_t)n == room;
			return n;
		}
		if (errno == EINTR)
			continue;
		c->more = false;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return CONN_AGAIN;
		if (errno != ECONNRESET)
			log_errno(LOG_INFO, "recv(client %s)", c->remote);
		return CONN_ERROR;
	}
}

ssize_t conn_read_wait(struct conn *c, int64_t deadline)
{
	for (;;) {
		ssize_t n = conn_read(c);
		if (n != CONN_AGAIN)
			return n;
		int w = conn_wait(c, deadline, POLLIN);
		if (w == 0)
			return CONN_TIMEOUT;
		if (w < 0)
			return CONN_ERROR;
	}
}

/* A write made progress at now: tell whoever wants to know, once a second. */
static void progressed(struct conn *c, int64_t now)
{
	if (c->progress == NULL || now < c->progress_due)
		return;
	c->progress_due = now + CONN_PROGRESS_MS;
	c->progress(c->progress_arg);
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
 * After a write found the socket full: wait for room until send_ms after
 * since (when the client last took bytes).  false, errno ETIMEDOUT or the
 * poll error, when there is none.
 */
static bool wait_room(struct conn *c, int64_t since, int64_t send_ms)
{
	int w = conn_wait(c, since + send_ms, POLLOUT);

	if (w > 0)
		return true;
	if (w == 0)
		errno = ETIMEDOUT;
	return false;
}

bool conn_send_iov(struct conn *c, struct iovec *iov, int cnt, bool more,
		   int64_t send_ms, uint64_t *sent)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
	int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
	int64_t since = now_ms();

	while (mh.msg_iovlen > 0) {
		ssize_t n = sendmsg(c->fd, &mh, flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_room(c, since, send_ms))
				continue;
			send_failed(c, "sendmsg");
			return false;
		}
		since = now_ms();
		*sent += (uint64_t)n;
		progressed(c, since);
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

bool conn_send_file(struct conn *c, int fd, off_t off, off_t len,
		    int64_t send_ms, uint64_t *sent)
{
	int64_t since = now_ms();

	while (len > 0) {
		size_t chunk = len > (off_t)(1 << 30) ? (size_t)1 << 30 : (size_t)len;
		ssize_t n = sendfile(c->fd, fd, &off, chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    wait_room(c, since, send_ms))
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
		progressed(c, since);
		len -= n;
	}
	return true;
}

void conn_send_now(struct conn *c, const struct iovec *iov, int cnt)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)(uintptr_t)iov,
			     .msg_iovlen = (size_t)cnt };

	if (sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN && errno != EPIPE && errno != ECONNRESET)
		log_errno(LOG_INFO, "sendmsg(client %s)", c->remote);
}
