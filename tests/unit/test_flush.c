#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flush.h"
#include "util.h"

/* A listening socket on 127.0.0.1 with a port of the kernel's choice. */
static int listen_any(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/*
 * A connection to port whose server side holds more than the client has
 * read: the client's receive buffer is small and it reads nothing yet.
 * Returns the server side; *client gets the client side.
 */
static int stuffed_connection(int lfd, uint16_t port, int *client)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	int small = 4096, fd, c;
	static char junk[65536];
	size_t total = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(c, 0);
	cr_assert_eq(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	cr_assert_eq(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0,
		     "connect: %s", strerror(errno));
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	cr_assert_geq(fd, 0, "accept4: %s", strerror(errno));
	for (;;) {
		ssize_t n = write(fd, junk, sizeof(junk));
		if (n < 0) {
			cr_assert(errno == EAGAIN, "write: %s", strerror(errno));
			break;
		}
		total += (size_t)n;
		cr_assert_lt(total, (size_t)(64 << 20), "the socket never filled");
	}
	*client = c;
	return fd;
}

/* Reads c to the end of file; the bytes read. */
static size_t read_to_eof(int c)
{
	static char buf[65536];
	size_t total = 0;

	for (;;) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		ssize_t n;

		cr_assert_eq(poll(&p, 1, 5000), 1, "the data stopped coming");
		n = read(c, buf, sizeof(buf));
		cr_assert_geq(n, 0, "read: %s", strerror(errno));
		if (n == 0)
			return total;
		total += (size_t)n;
	}
}

Test(flush, closed_connection_with_data_counts_until_delivered)
{
	uint16_t port, other;
	int lfd = listen_any(&port), lfd2 = listen_any(&other), c, fd;
	int pending = -1;
	int64_t end;

	fd = stuffed_connection(lfd, port, &c);
	/* Still held by a descriptor: not ours to wait for. */
	cr_expect_eq(flush_pending(&port, 1), 0);
	cr_assert_eq(close(fd), 0);
	/* Closed with bytes unsent: the kernel holds it, flush_pending sees it. */
	cr_expect_eq(flush_pending(&port, 1), 1);
	cr_expect_eq(flush_pending(&other, 1), 0);
	uint16_t both[] = { other, port };
	cr_expect_eq(flush_pending(both, 2), 1);

	/* Once the client has read everything (and the FIN), none is left. */
	cr_expect_gt(read_to_eof(c), 0);
	end = now_ms() + 2000;
	while (now_ms() < end && (pending = flush_pending(&port, 1)) != 0)
		poll(NULL, 0, 10);
	cr_expect_eq(pending, 0);
	close(c);
	close(lfd);
	close(lfd2);
}

Test(flush, no_ports_nothing_pending)
{
	cr_expect_eq(flush_pending(NULL, 0), 0);
}

Test(flush, ports_of_tcp_listeners)
{
	struct listener ls[4];
	uint16_t ports[4];
	char err[128];

	memset(ls, 0, sizeof(ls));
	cr_assert_eq(listen_addr_parse("127.0.0.1:8080", &ls[0].addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(listen_addr_parse("unix:/tmp/x.sock", &ls[1].addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(listen_addr_parse("[::1]:9090", &ls[2].addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(listen_addr_parse("[::1]:8080", &ls[3].addr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(flush_ports(ls, 4, ports, 4), 2);
	cr_expect_eq(ports[0], 8080);
	cr_expect_eq(ports[1], 9090);
	cr_expect_eq(flush_ports(ls, 4, ports, 1), 1);
	cr_expect_eq(flush_ports(ls, 0, ports, 4), 0);
}
