/*
 * listen.h -- listen addresses and listening sockets.
 *
 * listen_addr_parse() turns "127.0.0.1:8080", "[::1]:8080", ":8080" or
 * "unix:/path" into a socket address (pure, used by the config loader).
 * listener_open() binds one; listeners_sync() is used by the master on start
 * and on reload: sockets whose address is unchanged are kept (same fd, so
 * the kernel's accept queue is never closed), new ones are opened.
 */
#ifndef PH_LISTEN_H
#define PH_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define LISTEN_TEXT_MAX 128

struct listen_addr {
	char text[LISTEN_TEXT_MAX]; /* canonical form, the key for reuse */
	int family;                 /* AF_INET, AF_INET6, AF_UNIX */
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool proxy_protocol;  /* expect a PROXY v1/v2 header first */
	bool defer_accept;    /* TCP_DEFER_ACCEPT (default on for TCP) */
	int line, col;        /* where it was written in the config */
};

/*
 * Parse spec into out (proxy_protocol false, defer_accept true for TCP).
 * Returns 0, or -1 with a message (without the file position) in err.
 */
int listen_addr_parse(const char *spec, struct listen_addr *out,
		      char *err, size_t errlen);

struct listener {
	struct listen_addr addr;
	int fd;
	bool inherited; /* from systemd or a previous master, not bound here */
};

/*
 * Bind and listen on addr with the backlog (SO_REUSEADDR, CLOEXEC,
 * non-blocking: workers wait in epoll and accept what is ready).
 * Returns the fd, or -1 with "bind 127.0.0.1:8080: Address already in use"
 * style text in err.
 */
int listener_open(const struct listen_addr *addr, int backlog,
		  char *err, size_t errlen);

/* The environment variable that hands listeners to a new binary (USR2). */
#define LISTEN_ENV "PREFORK_HTTPD_LISTENERS"

/*
 * Listening sockets handed over by a previous master (LISTEN_ENV:
 * "fd=text;fd=text") or by systemd socket activation (LISTEN_FDS and
 * LISTEN_PID, fds from 3, identified by getsockname).  Fills out (up to
 * cap) with CLOEXEC set again, unsets the variables, returns the count.
 */
size_t listeners_inherit(struct listener *out, size_t cap);

/* The canonical text of a bound socket's address ("127.0.0.1:8080"). */
int listener_text(int fd, char *out, size_t cap);

#endif
