/*
 * handover.c -- the messages that move a connection between workers
 * (see handover.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "handover.h"
#include "log.h"

int handover_send(int chan, const void *msg, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cm;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(chan, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Take the descriptors of a received message; close any beyond two. */
static void take_fds(struct msghdr *mh, int fds[2])
{
	fds[0] = fds[1] = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL;
	     cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds[0] < 0)
				fds[0] = fd;
			else if (fds[1] < 0)
				fds[1] = fd;
			else
				close(fd);
		}
	}
}

ssize_t handover_recv(int chan, void *buf, size_t cap, int fds[2])
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	fds[0] = fds[1] = -1;
	do
		n = recvmsg(chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_errno(LOG_ERROR, "recvmsg(control channel)");
		return -1;
	}
	take_fds(&mh, fds);
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		fds[0] = fds[1] = -1;
		log_warn("control channel: a message of more than %zu bytes "
			 "dropped", cap);
		errno = EMSGSIZE;
		return -1;
	}
	return n;
}

bool handover_valid(const void *msg, size_t n)
{
	struct handover h;

	if (n < sizeof(h))
		return false;
	memcpy(&h, msg, sizeof(h));
	if (h.tag != HO_CONN || h.len > HO_MAX_BYTES ||
	    n != sizeof(h) + h.len || h.peerlen > sizeof(h.peer) ||
	    memchr(h.listener, '\0', sizeof(h.listener)) == NULL)
		return false;
	switch (h.peer.ss_family) {
	case AF_INET:
	case AF_INET6:
	case AF_UNIX:
		return true;
	default:
		return false;
	}
}
