/*
 * control.c -- the control socket (see control.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "util.h"

#define ACCEPT_WAIT_MS 200
#define REPLY_WAIT_MS 1000

void control_path(const char *pid_file, char *out, size_t cap)
{
	size_t n = strlen(pid_file);

	if (n > 4 && strcmp(pid_file + n - 4, ".pid") == 0)
		n -= 4;
	snprintf(out, cap, "%.*s.ctl", (int)n, pid_file);
}

static int fill_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int control_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, r;

	if (fill_addr(path, &sun) < 0) {
		log_errno(LOG_ERROR, "control socket \"%s\"", path);
		return -1;
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) < 0)
		log_errno(LOG_WARN, "unlink(\"%s\")", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_errno(LOG_ERROR, "socket(control)");
		return -1;
	}
	old = umask(077); /* the socket file is created 0600 */
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(fd, 8) < 0) {
		log_errno(LOG_ERROR, "bind(control socket \"%s\")", path);
		close(fd);
		return -1;
	}
	return fd;
}

int control_accept(int lfd, char *verb, size_t cap)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	size_t got = 0;
	int64_t deadline = now_ms() + ACCEPT_WAIT_MS;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_errno(LOG_WARN, "accept4(control socket)");
		return -1;
	}
	while (got + 1 < cap) {
		ssize_t n = recv(fd, verb + got, cap - 1 - got, 0);
		if (n > 0) {
			got += (size_t)n;
			if (memchr(verb, '\n', got))
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (errno != EAGAIN || left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
	}
	verb[got] = '\0';
	verb[strcspn(verb, "\r\n")] = '\0';
	if (verb[0] == '\0') {
		close(fd);
		return -1;
	}
	return fd;
}

void control_reply(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;
	int64_t deadline = now_ms() + REPLY_WAIT_MS;

	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (n == 0 || errno != EAGAIN || left <= 0 ||
		    poll(&p, 1, (int)left) <= 0)
			break;
	}
	close(fd);
}

/* Print the answer; 0 when it starts with "ok". */
static int print_answer(const char *buf, size_t len)
{
	bool ok = len >= 2 && memcmp(buf, "ok", 2) == 0;

	fwrite(buf, 1, len, ok ? stdout : stderr);
	if (len > 0 && buf[len - 1] != '\n')
		fputc('\n', ok ? stdout : stderr);
	return ok ? 0 : 1;
}

int control_request(const char *path, const char *verb, int timeout_ms)
{
	struct sockaddr_un sun;
	char buf[65536];
	size_t got = 0;
	int64_t deadline = now_ms() + timeout_ms;
	int fd, rc;

	if (fill_addr(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	dprintf(fd, "%s\n", verb);
	while (got < sizeof(buf)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			fprintf(stderr, "no answer from the master within %d s\n",
				timeout_ms / 1000);
			close(fd);
			return 1;
		}
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got == 0) {
		fprintf(stderr, "the master closed the control connection without an answer\n");
		return 1;
	}
	rc = print_answer(buf, got);
	return rc;
}
