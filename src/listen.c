/*
 * listen.c -- listen addresses and listening sockets.
 *
 * Accepted address forms (listen_addr_parse):
 *   "127.0.0.1:8080"   an IPv4 address and a port
 *   "[::1]:8080"       an IPv6 address in brackets and a port
 *   "localhost:8080"   the same as 127.0.0.1:8080 (no other host names)
 *   ":8080", "*:8080"  every IPv4 address, 0.0.0.0:8080.  For every IPv6
 *                      address as well, add "[::]:8080": v6 sockets are
 *                      bound with IPV6_V6ONLY, so the two never overlap.
 *   "unix:/abs/path"   a unix stream socket
 * The canonical text form (->text) is what reload compares to decide whether
 * a socket can be kept: "127.0.0.1:8080", "[::1]:8080", "unix:/run/x.sock".
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, arg);
	return -1;
}

static int parse_unix(const char *path, struct listen_addr *out, char *err,
		      size_t errlen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
	size_t len = strlen(path);

	if (path[0] != '/')
		return fail(err, errlen,
			    "expected an absolute path after \"unix:\", got \"%s\"",
			    path);
	if (len >= sizeof(un->sun_path) ||
	    len + sizeof("unix:") > sizeof(out->text))
		return fail(err, errlen, "unix socket path too long: \"%s\"", path);
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len + 1);
	out->family = AF_UNIX;
	out->sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	out->defer_accept = false;
	snprintf(out->text, sizeof(out->text), "unix:%s", path);
	return 0;
}

static int parse_port(const char *s, const char *spec, uint16_t *port,
		      char *err, size_t errlen)
{
	uint64_t v;

	if (parse_u64(s, &v) != 0 || v < 1 || v > 65535)
		return fail(err, errlen,
			    "expected a port from 1 to 65535 in \"%s\"", spec);
	*port = (uint16_t)v;
	return 0;
}

/* Split spec into host (maybe empty) and port text; host keeps no brackets. */
static int split_host_port(const char *spec, char *host, size_t hostlen,
			   const char **port, bool *bracketed, char *err,
			   size_t errlen)
{
	const char *colon, *h = spec, *hend;

	*bracketed = spec[0] == '[';
	if (*bracketed) {
		hend = strchr(spec, ']');
		if (hend == NULL || hend[1] != ':')
			return fail(err, errlen,
				    "expected \"[IPv6]:port\", got \"%s\"", spec);
		h = spec + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return fail(err, errlen,
				    "expected \"address:port\", got \"%s\"", spec);
		if (memchr(spec, ':', (size_t)(colon - spec)) != NULL)
			return fail(err, errlen,
				    "IPv6 addresses must be in brackets, "
				    "as in \"[::1]:8080\", got \"%s\"", spec);
		hend = colon;
	}
	if ((size_t)(hend - h) >= hostlen)
		return fail(err, errlen, "expected an IP address, got \"%s\"", spec);
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	*port = colon + 1;
	return 0;
}

static void set_text(struct listen_addr *out, const char *host, uint16_t port)
{
	if (out->family == AF_INET6)
		snprintf(out->text, sizeof(out->text), "[%s]:%u", host,
			 (unsigned)port);
	else
		snprintf(out->text, sizeof(out->text), "%s:%u", host,
			 (unsigned)port);
}

static int parse_inet(const char *spec, struct listen_addr *out, char *err,
		      size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1], canon[INET6_ADDRSTRLEN];
	const char *port_s;
	bool br;
	uint16_t port;
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

	if (split_host_port(spec, host, sizeof(host), &port_s, &br, err,
			    errlen) != 0 ||
	    parse_port(port_s, spec, &port, err, errlen) != 0)
		return -1;
	if (br && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->family = AF_INET6;
		out->sslen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, canon, sizeof(canon));
		set_text(out, canon, port);
		return 0;
	}
	if (br)
		return fail(err, errlen, "expected an IPv6 address in \"%s\"", spec);
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	else if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return fail(err, errlen, "expected an IP address, got \"%s\"", spec);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	out->family = AF_INET;
	out->sslen = sizeof(*sin);
	inet_ntop(AF_INET, &sin->sin_addr, canon, sizeof(canon));
	set_text(out, canon, port);
	return 0;
}

int listen_addr_parse(const char *spec, struct listen_addr *out, char *err,
		      size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (spec == NULL || spec[0] == '\0')
		return fail(err, errlen, "expected an address like "
			    "\"127.0.0.1:8080\", got \"%s\"", "");
	out->defer_accept = true;
	if (strncmp(spec, "unix:", 5) == 0)
		return parse_unix(spec + 5, out, err, errlen);
	return parse_inet(spec, out, err, errlen);
}

static int sys_fail(int fd, const char *what, const struct listen_addr *addr,
		    char *err, size_t errlen)
{
	int e = errno;

	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s %s: %s", what, addr->text, strerror(e));
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

/*
 * How long the kernel keeps a connection that has sent no byte out of the
 * accept queue.  A worker serves one connection at a time, so a silent
 * connection that reaches it holds it for timeouts.header (and the lingering
 * close after the 408).  With 1 s the kernel hands such connections over
 * after the first SYN-ACK retransmission; 30 s (as Apache's AcceptFilter)
 * keeps them in the kernel for the whole retransmission schedule.  A client
 * that sends its request is accepted at once either way.
 */
#define DEFER_ACCEPT_SECS 30

static int set_int_opt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value));
}

/* Whether something accepts connections on the unix socket of addr. */
static bool unix_live(const struct listen_addr *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r;

	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)&addr->ss, addr->sslen);
	if (r < 0 && errno == EAGAIN)
		r = 0; /* a full backlog: alive too */
	close(fd);
	return r == 0;
}

/*
 * Remove a socket file left by a previous run; never any other kind of
 * file, nor the socket of a server that still listens on it.
 */
static int unlink_stale(const struct listen_addr *addr, char *err,
			size_t errlen)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&addr->ss;
	struct stat st;

	if (lstat(un->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : sys_fail(-1, "stat", addr, err, errlen);
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return sys_fail(-1, "bind", addr, err, errlen);
	}
	if (unix_live(addr)) {
		errno = EADDRINUSE;
		return sys_fail(-1, "bind", addr, err, errlen);
	}
	if (unlink(un->sun_path) != 0)
		return sys_fail(-1, "unlink", addr, err, errlen);
	return 0;
}

static int set_tcp_opts(int fd, const struct listen_addr *addr, char *err,
			size_t errlen)
{
	if (set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0)
		return sys_fail(-1, "setsockopt SO_REUSEADDR", addr, err, errlen);
	if (addr->family == AF_INET6 &&
	    set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0)
		return sys_fail(-1, "setsockopt IPV6_V6ONLY", addr, err, errlen);
	return 0;
}

int listener_open(const struct listen_addr *addr, int backlog, char *err,
		  size_t errlen)
{
	int fd;

	if (addr->family == AF_UNIX && unlink_stale(addr, err, errlen) != 0)
		return -1;
	fd = socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return sys_fail(-1, "socket", addr, err, errlen);
	if (addr->family != AF_UNIX && set_tcp_opts(fd, addr, err, errlen) != 0)
		return sys_fail(fd, "setsockopt", addr, NULL, 0);
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->sslen) != 0)
		return sys_fail(fd, "bind", addr, err, errlen);
	if (listen(fd, backlog) != 0)
		return sys_fail(fd, "listen", addr, err, errlen);
	if (addr->family != AF_UNIX && addr->defer_accept &&
	    set_int_opt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, DEFER_ACCEPT_SECS) != 0)
		return sys_fail(fd, "setsockopt TCP_DEFER_ACCEPT", addr, err,
				errlen);
	return fd;
}

int listener_text(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, cap, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, cap, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
		snprintf(out, cap, "unix:%s", sun->sun_path);
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return 0;
}

static bool inherit_one(struct listener *l, int fd)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_STREAM)
		return false;
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening)
		return false;
	if (listener_text(fd, l->addr.text, sizeof(l->addr.text)) < 0)
		return false;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return false;
	l->fd = fd;
	l->inherited = true;
	return true;
}

size_t listeners_inherit(struct listener *out, size_t cap)
{
	const char *env = getenv(LISTEN_ENV);
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	size_t n = 0;

	for (const char *p = env; p && *p && n < cap;) {
		char *end;
		long fd = strtol(p, &end, 10);
		if (end != p && *end == '=' && fd >= 3 && fd < 65536 &&
		    inherit_one(&out[n], (int)fd))
			n++;
		else
			log_warn("%s: cannot use \"%.40s\"; ignoring it", LISTEN_ENV, p);
		p = strchr(p, ';');
		p = p ? p + 1 : NULL;
	}
	if (fds && pid && strtol(pid, NULL, 10) == (long)getpid()) {
		long count = strtol(fds, NULL, 10);
		for (long i = 0; i < count && n < cap; i++) {
			if (inherit_one(&out[n], (int)(3 + i)))
				n++;
			else
				log_warn("LISTEN_FDS: fd %ld is not a listening "
					 "stream socket; ignoring it", 3 + i);
		}
	}
	unsetenv(LISTEN_ENV);
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	return n;
}
