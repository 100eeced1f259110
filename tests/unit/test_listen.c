#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listen.h"

static struct listen_addr parse_ok(const char *spec)
{
	struct listen_addr a;
	char err[256] = "";

	cr_assert_eq(listen_addr_parse(spec, &a, err, sizeof(err)), 0,
		     "\"%s\": %s", spec, err);
	return a;
}

static void parse_fails(const char *spec, const char *msg)
{
	struct listen_addr a;
	char err[256] = "";

	cr_assert_eq(listen_addr_parse(spec, &a, err, sizeof(err)), -1,
		     "\"%s\" should fail", spec);
	cr_expect_str_eq(err, msg, "\"%s\"", spec);
}

Test(listen_parse, ipv4)
{
	struct listen_addr a = parse_ok("127.0.0.1:8080");
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.ss;

	cr_expect_str_eq(a.text, "127.0.0.1:8080");
	cr_expect_eq(a.family, AF_INET);
	cr_expect_eq(sin->sin_family, AF_INET);
	cr_expect_eq(ntohs(sin->sin_port), 8080);
	cr_expect_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
	cr_expect_eq(a.sslen, sizeof(struct sockaddr_in));
	cr_expect(a.defer_accept, "defer_accept defaults on for TCP");
	cr_expect_not(a.proxy_protocol);
}

Test(listen_parse, ipv6)
{
	struct listen_addr a = parse_ok("[::1]:8080");
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.ss;

	cr_expect_str_eq(a.text, "[::1]:8080");
	cr_expect_eq(a.family, AF_INET6);
	cr_expect_eq(ntohs(s6->sin6_port), 8080);
	cr_expect(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));
	cr_expect_eq(a.sslen, sizeof(struct sockaddr_in6));

	a = parse_ok("[0:0:0:0:0:0:0:1]:80");
	cr_expect_str_eq(a.text, "[::1]:80", "canonical form");
	a = parse_ok("[::]:443");
	cr_expect_str_eq(a.text, "[::]:443");
	a = parse_ok("[2001:DB8::1]:443");
	cr_expect_str_eq(a.text, "[2001:db8::1]:443");
}

Test(listen_parse, any_and_localhost)
{
	cr_expect_str_eq(parse_ok(":8080").text, "0.0.0.0:8080");
	cr_expect_str_eq(parse_ok("*:8080").text, "0.0.0.0:8080");
	cr_expect_str_eq(parse_ok("0.0.0.0:80").text, "0.0.0.0:80");
	cr_expect_str_eq(parse_ok("localhost:8080").text, "127.0.0.1:8080");
	cr_expect_str_eq(parse_ok("127.0.0.1:65535").text, "127.0.0.1:65535");
	cr_expect_str_eq(parse_ok("127.0.0.1:1").text, "127.0.0.1:1");
}

Test(listen_parse, unix)
{
	struct listen_addr a = parse_ok("unix:/run/x.sock");
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a.ss;

	cr_expect_str_eq(a.text, "unix:/run/x.sock");
	cr_expect_eq(a.family, AF_UNIX);
	cr_expect_str_eq(un->sun_path, "/run/x.sock");
	cr_expect_not(a.defer_accept);
}

Test(listen_parse, errors)
{
	parse_fails("example.com:80",
		    "expected an IP address, got \"example.com:80\"");
	parse_fails("127.0.0.1", "expected \"address:port\", got \"127.0.0.1\"");
	parse_fails("8080", "expected \"address:port\", got \"8080\"");
	parse_fails("127.0.0.1:0",
		    "expected a port from 1 to 65535 in \"127.0.0.1:0\"");
	parse_fails("127.0.0.1:65536",
		    "expected a port from 1 to 65535 in \"127.0.0.1:65536\"");
	parse_fails("127.0.0.1:http",
		    "expected a port from 1 to 65535 in \"127.0.0.1:http\"");
	parse_fails("127.0.0.1:", "expected a port from 1 to 65535 in \"127.0.0.1:\"");
	parse_fails("::1:8080", "IPv6 addresses must be in brackets, as in "
				"\"[::1]:8080\", got \"::1:8080\"");
	parse_fails("[::1]8080", "expected \"[IPv6]:port\", got \"[::1]8080\"");
	parse_fails("[127.0.0.1]:80", "expected an IPv6 address in \"[127.0.0.1]:80\"");
	parse_fails("256.0.0.1:80", "expected an IP address, got \"256.0.0.1:80\"");
	parse_fails("unix:run/x.sock",
		    "expected an absolute path after \"unix:\", got \"run/x.sock\"");
	parse_fails("", "expected an address like \"127.0.0.1:8080\", got \"\"");
}

Test(listen_parse, unix_path_too_long)
{
	char spec[200] = "unix:/";
	struct listen_addr a;
	char err[256];

	memset(spec + 6, 'x', 150);
	spec[156] = '\0';
	cr_expect_eq(listen_addr_parse(spec, &a, err, sizeof(err)), -1);
	cr_expect(strstr(err, "too long") != NULL, "%s", err);
}

/* A TCP port that is free right now on 127.0.0.1. */
static unsigned free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

Test(listener, open_tcp_and_conflict)
{
	char spec[64], err[256] = "", want[128];
	struct listen_addr a;
	int fd, fd2;

	snprintf(spec, sizeof(spec), "127.0.0.1:%u", free_port());
	cr_assert_eq(listen_addr_parse(spec, &a, err, sizeof(err)), 0);
	fd = listener_open(&a, 16, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_expect(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_expect(fcntl(fd, F_GETFL) & O_NONBLOCK);

	fd2 = listener_open(&a, 16, err, sizeof(err));
	cr_expect_eq(fd2, -1);
	snprintf(want, sizeof(want), "bind %s: %s", spec, strerror(EADDRINUSE));
	cr_expect_str_eq(err, want);
	close(fd);
}

/* Whether this host has ::1 at all: a plain bind to [::1]:0. */
static bool ipv6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

Test(listener, open_ipv6_only)
{
	char err[256] = "";
	struct listen_addr a;
	int fd, v = 0;
	socklen_t len = sizeof(v);

	cr_assert_eq(listen_addr_parse("[::1]:1", &a, err, sizeof(err)), 0);
	((struct sockaddr_in6 *)&a.ss)->sin6_port = htons((uint16_t)free_port());
	fd = listener_open(&a, 16, err, sizeof(err));
	if (fd < 0) {
		/* Only a host without ::1 is a reason to skip. */
		cr_assert(!ipv6_loopback(), "listener_open([::1]): %s, yet ::1 binds", err);
		cr_skip_test("no IPv6 loopback here: %s", err);
	}
	cr_expect_eq(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
	cr_expect_eq(v, 1);
	close(fd);
}

Test(listener, unix_socket_stale_and_regular_file)
{
	char dir[] = "/tmp/ph-listen-XXXXXX", spec[128], path[96], err[256];
	struct listen_addr a;
	struct stat st;
	int fd, fd2, ffd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	snprintf(spec, sizeof(spec), "unix:%s", path);
	cr_assert_eq(listen_addr_parse(spec, &a, err, sizeof(err)), 0);

	fd = listener_open(&a, 8, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_expect_eq(lstat(path, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	close(fd);

	/* The socket file left behind is replaced. */
	fd2 = listener_open(&a, 8, err, sizeof(err));
	cr_expect_geq(fd2, 0, "%s", err);
	close(fd2);
	cr_assert_eq(unlink(path), 0);

	/* A regular file is never removed. */
	ffd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(ffd, 0);
	close(ffd);
	cr_expect_eq(listener_open(&a, 8, err, sizeof(err)), -1);
	cr_expect(strncmp(err, "bind unix:", 10) == 0, "%s", err);
	cr_expect_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode));

	unlink(path);
	rmdir(dir);
}

/* The socket of a server that still listens there is never taken over. */
Test(listener, unix_socket_in_use)
{
	char dir[] = "/tmp/ph-listen-XXXXXX", spec[128], path[96], err[256];
	struct listen_addr a;
	struct stat st, st2;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	snprintf(spec, sizeof(spec), "unix:%s", path);
	cr_assert_eq(listen_addr_parse(spec, &a, err, sizeof(err)), 0);
	fd = listener_open(&a, 8, err, sizeof(err));
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_eq(lstat(path, &st), 0);

	cr_expect_eq(listener_open(&a, 8, err, sizeof(err)), -1);
	cr_expect(strncmp(err, "bind unix:", 10) == 0, "%s", err);
	cr_expect(strstr(err, "Address already in use") != NULL, "%s", err);
	cr_expect_eq(lstat(path, &st2), 0);
	cr_expect_eq(st.st_ino, st2.st_ino, "the live socket file was replaced");

	close(fd);
	unlink(path);
	rmdir(dir);
}

Test(listener, bind_failure_message)
{
	char err[256] = "";
	struct listen_addr a;

	cr_assert_eq(listen_addr_parse("unix:/nonexistent-dir/x.sock", &a, err,
				       sizeof(err)), 0);
	cr_expect_eq(listener_open(&a, 8, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "bind unix:/nonexistent-dir/x.sock: "
			      "No such file or directory");
}
