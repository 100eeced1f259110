/*
 * flush.c -- closed connections that still have bytes to send (see flush.h).
 *
 * One SOCK_DIAG_BY_FAMILY dump of the TCP sockets per address family
 * (inet_diag_req_v2, as `ss -t` sends it), filtered here: local port one of
 * ours, no inode (the socket belongs to no file: every descriptor of it is
 * closed), and a non-empty write queue (idiag_wqueue: bytes written and
 * not yet acknowledged, the FIN included).
 */
#include "flush.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

/* The states a closed socket can be in while it still has data to send. */
#define FLUSH_STATES                                                       \
	((1u << TCP_ESTABLISHED) | (1u << TCP_FIN_WAIT1) |                \
	 (1u << TCP_CLOSE_WAIT) | (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING))

static bool has_port(const uint16_t *ports, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/* Counts the matching sockets of one family into *count.  0 or -1. */
static int dump_family(int fd, uint8_t family, uint32_t seq,
		       const uint16_t *ports, size_t nports, int *count)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		char buf[32768];
		struct nlmsghdr align;
	} u;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = seq;
	msg.req.sdiag_family = family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = FLUSH_STATES;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		log_errno(LOG_WARN, "sock_diag: sendto");
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, u.buf, sizeof(u.buf), 0);
		size_t left;
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_errno(LOG_WARN, "sock_diag: recv");
			return -1;
		}
		if (n == 0) {
			log_warn("sock_diag: recv: end of file before the end of the dump");
			return -1;
		}
		left = (size_t)n;
		for (h = &u.align; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			const struct inet_diag_msg *d;

			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ?
						-e->error : EPROTO;
				log_errno(LOG_WARN, "sock_diag: dump of family %u",
					  family);
				return -1;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*d)))
				continue;
			d = NLMSG_DATA(h);
			if (d->idiag_inode == 0 && d->idiag_wqueue > 0 &&
			    has_port(ports, nports, ntohs(d->id.idiag_sport)))
				(*count)++;
		}
	}
}

size_t flush_ports(const struct listener *ls, size_t n, uint16_t *ports,
		   size_t cap)
{
	size_t nports = 0;

	for (size_t i = 0; i < n && nports < cap; i++) {
		const struct sockaddr_storage *ss = &ls[i].addr.ss;
		uint16_t port;

		if (ls[i].addr.family == AF_INET)
			port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
		else if (ls[i].addr.family == AF_INET6)
			port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
		else
			continue;
		if (port != 0 && !has_port(ports, nports, port))
			ports[nports++] = port;
	}
	return nports;
}

int flush_pending(const uint16_t *ports, size_t n)
{
	static uint32_t seq;
	struct timeval tv = { 1, 0 };
	int fd, count = 0, rc = 0;

	if (n == 0)
		return 0;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		log_errno(LOG_WARN, "socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
		return -1;
	}
	/* The kernel answers at once; never wait long for it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		log_errno(LOG_WARN, "sock_diag: setsockopt(SO_RCVTIMEO)");
	if (dump_family(fd, AF_INET, ++seq, ports, n, &count) < 0 ||
	    dump_family(fd, AF_INET6, ++seq, ports, n, &count) < 0)
		rc = -1;
	if (close(fd) < 0)
		log_errno(LOG_WARN, "sock_diag: close");
	return rc < 0 ? -1 : count;
}
