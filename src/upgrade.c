/*
 * upgrade.c -- the channel between an old and a new master (upgrade.h).
 */
#include "upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int upgrade_channel(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		       fds) < 0) {
		log_errno(LOG_ERROR, "socketpair(upgrade channel)");
		return -1;
	}
	return 0;
}

void upgrade_channel_export(int fd)
{
	char num[16];

	if (fcntl(fd, F_SETFD, 0) < 0) {
		log_errno(LOG_ERROR, "fcntl(upgrade channel)");
		return;
	}
	snprintf(num, sizeof(num), "%d", fd);
	setenv(UPGRADE_ENV, num, 1);
}

int upgrade_channel_inherit(void)
{
	const char *var = getenv(UPGRADE_ENV);
	char env[32];
	struct stat st;
	char *end;
	long fd;

	if (var == NULL)
		return -1;
	snprintf(env, sizeof(env), "%s", var);
	unsetenv(UPGRADE_ENV); /* not for the workers, nor a later upgrade */
	fd = strtol(env, &end, 10);
	if (end == env || *end != '\0' || fd < 3 || fd > 65535 ||
	    fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		log_warn("%s=\"%.20s\": not a socket; the previous master will "
			 "not hear from this one",
			 UPGRADE_ENV, env);
		return -1;
	}
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) | O_NONBLOCK) < 0) {
		log_errno(LOG_ERROR, "fcntl(upgrade channel)");
		close((int)fd);
		return -1;
	}
	return (int)fd;
}

int upgrade_send(int fd, char msg)
{
	ssize_t n;

	do
		n = send(fd, &msg, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	log_errno(LOG_WARN, "send(upgrade channel, '%c')", msg);
	return -1;
}

int upgrade_recv(int fd)
{
	char msg;
	ssize_t n;

	do
		n = recv(fd, &msg, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return (unsigned char)msg;
	if (n < 0 && errno == EAGAIN)
		return -1;
	if (n < 0 && errno != ECONNRESET)
		log_errno(LOG_WARN, "recv(upgrade channel)");
	return 0;
}
