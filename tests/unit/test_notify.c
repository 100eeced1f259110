#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static char tmpdir[PATH_MAX];
static char sock_path[PATH_MAX + 16];
static int listen_fd = -1;

/* A datagram socket bound at addr/alen that gives up reading after 2 s. */
static int bind_dgram(const struct sockaddr_un *addr, socklen_t alen)
{
	struct timeval tv = { 2, 0 };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (const struct sockaddr *)addr, alen), 0,
		     "bind: %s", strerror(errno));
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void setup(void)
{
	char tmpl[] = "/tmp/ph-notify-XXXXXX";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	cr_assert_not_null(mkdtemp(tmpl));
	snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
	snprintf(sock_path, sizeof(sock_path), "%s/notify.sock", tmpdir);
	cr_assert_lt(strlen(sock_path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	listen_fd = bind_dgram(&sun, sizeof(sun));
}

static void teardown(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	unlink(sock_path);
	rmdir(tmpdir);
	unsetenv("NOTIFY_SOCKET");
}

static void expect_datagram(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	cr_assert_geq(n, 0, "recv: %s", strerror(errno));
	buf[n] = '\0';
	cr_assert_str_eq(buf, want);
}

TestSuite(notify, .init = setup, .fini = teardown);

Test(notify, ready_reaches_a_path_socket)
{
	cr_assert_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	cr_assert_eq(notify_send("READY=1"), 0);
	expect_datagram(listen_fd, "READY=1");
}

Test(notify, several_messages_in_order)
{
	cr_assert_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	cr_assert_eq(notify_send("RELOADING=1"), 0);
	cr_assert_eq(notify_send("READY=1\nSTATUS=serving"), 0);
	cr_assert_eq(notify_send("STOPPING=1"), 0);
	expect_datagram(listen_fd, "RELOADING=1");
	expect_datagram(listen_fd, "READY=1\nSTATUS=serving");
	expect_datagram(listen_fd, "STOPPING=1");
}

Test(notify, mainpid)
{
	char want[64];

	cr_assert_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	cr_assert_eq(notify_mainpid(4242), 0);
	snprintf(want, sizeof(want), "MAINPID=%d", 4242);
	expect_datagram(listen_fd, want);
}

Test(notify, abstract_socket)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[64], env[80];
	int fd;

	snprintf(name, sizeof(name), "ph-notify-test-%ld", (long)getpid());
	memcpy(sun.sun_path + 1, name, strlen(name));
	fd = bind_dgram(&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					  1 + strlen(name)));
	snprintf(env, sizeof(env), "@%s", name);
	cr_assert_eq(setenv("NOTIFY_SOCKET", env, 1), 0);
	cr_assert_eq(notify_send("READY=1"), 0);
	expect_datagram(fd, "READY=1");
	close(fd);
}

Test(notify, nothing_without_notify_socket)
{
	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(notify_send("READY=1"), 1);
	cr_assert_eq(setenv("NOTIFY_SOCKET", "", 1), 0);
	cr_assert_eq(notify_send("READY=1"), 1);
}

Test(notify, errors_are_reported_not_fatal)
{
	char missing[PATH_MAX + 32];

	snprintf(missing, sizeof(missing), "%s/absent.sock", tmpdir);
	cr_assert_eq(setenv("NOTIFY_SOCKET", missing, 1), 0);
	cr_assert_eq(notify_send("READY=1"), -1);
	cr_assert_eq(setenv("NOTIFY_SOCKET", "relative.sock", 1), 0);
	cr_assert_eq(notify_send("READY=1"), -1);
}

/* A master that is not the service's main process sends nothing. */
Test(notify, disabled_sends_nothing_until_enabled)
{
	char buf[64];
	ssize_t n;

	cr_assert_eq(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	notify_enable(false);
	cr_expect_eq(notify_send("READY=1"), 1);
	cr_expect_eq(notify_mainpid(4242), 1);
	n = recv(listen_fd, buf, sizeof(buf), MSG_DONTWAIT);
	cr_expect_eq(n, -1, "a message arrived while disabled");
	cr_expect_eq(errno, EAGAIN);
	notify_enable(true);
	cr_assert_eq(notify_send("STOPPING=1"), 0);
	expect_datagram(listen_fd, "STOPPING=1");
}
