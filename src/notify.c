/*
 * notify.c -- the sd_notify datagram protocol (see notify.h).
 *
 * The protocol is one AF_UNIX SOCK_DGRAM datagram of newline-separated
 * VARIABLE=value assignments to the address in $NOTIFY_SOCKET; an address
 * starting with '@' is in the abstract namespace (the '@' becomes a NUL).
 * A fresh socket per message keeps no descriptor open across fork/exec.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static bool notify_off; /* see notify_enable() */

void notify_enable(bool on)
{
	notify_off = !on;
}

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen, len;
	socklen_t alen;
	ssize_t n;
	int fd;

	if (path == NULL || path[0] == '\0' || notify_off)
		return 1;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    plen >= sizeof(sun.sun_path)) {
		log_error("NOTIFY_SOCKET=\"%s\": expected an absolute path or "
			  "an @abstract name shorter than %zu bytes",
			  path, sizeof(sun.sun_path));
		return -1;
	}
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@') {
		sun.sun_path[0] = '\0';
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	} else {
		alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_errno(LOG_ERROR, "notify: socket(AF_UNIX, SOCK_DGRAM)");
		return -1;
	}
	len = strlen(state);
	do
		n = sendto(fd, state, len, MSG_NOSIGNAL,
			   (const struct sockaddr *)&sun, alen);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		log_errno(LOG_ERROR, "notify: sendto(\"%s\", \"%s\")", path,
			  state);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int notify_mainpid(pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "MAINPID=%ld", (long)pid);
	return notify_send(buf);
}
