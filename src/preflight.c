/*
 * preflight.c -- the checks of `-t` beyond the file (see preflight.h).
 */
#include "preflight.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_HOLDERS 16

/* The problems found, kept with their position to be reported in file order. */
struct problem {
	struct config_at at;
	char *msg;
};

struct found {
	struct problem item[64];
	size_t n;
	const struct config *cfg;
};

static void add(struct found *f, struct config_at at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(struct found *f, struct config_at at, const char *fmt, ...)
{
	char *body = NULL, *line = NULL;
	va_list ap;

	if (f->n == PH_ARRAY_LEN(f->item))
		return;
	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (body != NULL && asprintf(&line, "%s:%d:%d: %s", f->cfg->file,
				     at.line, at.col, body) < 0)
		line = NULL;
	free(body);
	f->item[f->n].at = at;
	f->item[f->n++].msg = line;
}

/* ---- log files and the pid file ---- */

static void check_log(struct found *f, const char *key,
		      const struct log_target *t)
{
	int fd;

	if (t->path == NULL || strcmp(t->path, "stdout") == 0 ||
	    strcmp(t->path, "stderr") == 0)
		return;
	/* As log.c opens it: a missing file is created, as at start. */
	fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	else
		add(f, t->path_at, "%s: cannot open \"%s\": %s", key, t->path,
		    strerror(errno));
}

/* Whether a file can be created in dir: an unnamed one, gone at close. */
static int dir_takes_file(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -1;
	return access(dir, W_OK | X_OK); /* no O_TMPFILE on this file system */
}

static void check_pid_file(struct found *f)
{
	const struct config *cfg = f->cfg;
	const char *path = cfg->pid_file;
	const char *dflt = cfg->pid_file_default
				   ? " (the default pid file, next to the "
				     "configuration file: set pid_file, or "
				     "pid_file: off)"
				   : "";
	char dir[PATH_MAX];
	const char *slash;
	struct stat st;
	int fd;

	if (path == NULL)
		return;
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s",
		 slash == path ? 1 : (int)(slash - path), path);
	if (stat(path, &st) == 0) {
		/* The running master's file: open it as it is, change nothing. */
		fd = S_ISDIR(st.st_mode) ? (errno = EISDIR, -1)
					 : open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return;
		}
		add(f, cfg->pid_file_at, "pid_file: cannot write \"%s\": %s%s", path,
		    strerror(errno), dflt);
		return;
	}
	if (errno == ENOENT && dir_takes_file(dir) == 0)
		return;
	add(f, cfg->pid_file_at, "pid_file: cannot create a file in \"%s\": %s%s",
	    dir, strerror(errno), dflt);
}

/* ---- who listens on an address ---- */

/* The pid in a pid file, when that process exists; 0 otherwise. */
static pid_t running_pid(const char *path)
{
	char buf[32] = { 0 };
	FILE *f = fopen(path, "re");
	long pid;

	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	pid = strtol(buf, NULL, 10);
	if (pid <= 0 || pid > INT_MAX || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	return (pid_t)pid;
}

/* Whether process pid has the socket with this inode open. */
static bool holds_inode(pid_t pid, unsigned long inode)
{
	char dirpath[64], link[PATH_MAX], want[64], path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	d = opendir(dirpath);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
	return found;
}

/* Parse n hex words of 8 digits ("0100007F...") as /proc/net/tcp* prints them. */
static bool hex_words(const char *s, uint32_t *out, size_t n)
{
	char word[9];

	if (strlen(s) != 8 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		memcpy(word, s + 8 * i, 8);
		word[8] = '\0';
		out[i] = (uint32_t)strtoul(word, NULL, 16);
	}
	return true;
}

/*
 * The inodes of the listening TCP sockets that make binding a fail with
 * EADDRINUSE: the same port, and the same address or a wildcard on either
 * side.  Returns how many (at most cap).
 */
static size_t tcp_holders(const struct listen_addr *a, unsigned long *out,
			  size_t cap)
{
	bool v6 = a->family == AF_INET6;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	unsigned port = ntohs(v6 ? sin6->sin6_port : sin->sin_port);
	uint32_t mine[4] = { 0 }, theirs[4];
	size_t nw = v6 ? 4 : 1, n = 0;
	char line[512], hex[40];
	FILE *f = fopen(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", "re");

	if (f == NULL)
		return 0;
	memcpy(mine, v6 ? (const void *)&sin6->sin6_addr
			: (const void *)&sin->sin_addr, nw * 4);
	while (n < cap && fgets(line, sizeof(line), f) != NULL) {
		unsigned p, st;
		unsigned long inode;
		bool any_mine = true, any_theirs = true, same = true;

		if (sscanf(line, " %*s %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu",
			   hex, &p, &st, &inode) != 4 ||
		    st != 0x0A /* TCP_LISTEN */ || p != port ||
		    !hex_words(hex, theirs, nw))
			continue;
		for (size_t i = 0; i < nw; i++) {
			any_mine = any_mine && mine[i] == 0;
			any_theirs = any_theirs && theirs[i] == 0;
			same = same && mine[i] == theirs[i];
		}
		if (same || any_mine || any_theirs)
			out[n++] = inode;
	}
	fclose(f);
	return n;
}

/* The inodes of the listening unix sockets bound to a's path. */
static size_t unix_holders(const struct listen_addr *a, unsigned long *out,
			   size_t cap)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	char line[PATH_MAX + 128], path[PATH_MAX];
	FILE *f = fopen("/proc/net/unix", "re");
	size_t n = 0;

	if (f == NULL)
		return 0;
	while (n < cap && fgets(line, sizeof(line), f) != NULL) {
		unsigned long flags, inode;

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %4095s", &flags,
			   &inode, path) == 3 &&
		    (flags & 0x10000) /* __SO_ACCEPTCON: listening */ &&
		    strcmp(path, un->sun_path) == 0)
			out[n++] = inode;
	}
	fclose(f);
	return n;
}

/*
 * Whether every listening socket in a's way, when binding it failed with
 * EADDRINUSE, belongs to the running master of cfg (its pid file, or the
 * ".oldbin" one during an upgrade) or to process 1 (a socket unit).  False
 * when another process holds one, or when it cannot be told.
 */
static bool held_by_ours(const struct config *cfg, const struct listen_addr *a)
{
	unsigned long inodes[MAX_HOLDERS];
	pid_t pids[3] = { 0, 0, 1 };
	char old[PATH_MAX];
	size_t n;

	n = a->family == AF_UNIX ? unix_holders(a, inodes, MAX_HOLDERS)
				 : tcp_holders(a, inodes, MAX_HOLDERS);
	if (n == 0)
		return false;
	if (cfg->pid_file != NULL) {
		pids[0] = running_pid(cfg->pid_file);
		snprintf(old, sizeof(old), "%s.oldbin", cfg->pid_file);
		pids[1] = running_pid(old);
	}
	for (size_t i = 0; i < n; i++) {
		bool ours = false;
		for (size_t j = 0; j < 3 && !ours; j++)
			ours = pids[j] > 0 && holds_inode(pids[j], inodes[i]);
		if (!ours)
			return false;
	}
	return true;
}

/* ---- binding ---- */

/* Try a unix socket path as listener_open() would, leaving nothing behind. */
static int probe_unix(const struct listen_addr *a)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	struct stat st;
	int fd, r, e;

	if (lstat(un->sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -1;
		r = connect(fd, (const struct sockaddr *)&a->ss, a->sslen);
		e = errno;
		close(fd);
		if (r == 0 || e == EAGAIN) {
			errno = EADDRINUSE; /* someone listens there */
			return -1;
		}
		return 0; /* a stale socket file: the master replaces it */
	}
	if (errno != ENOENT)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = bind(fd, (const struct sockaddr *)&a->ss, a->sslen);
	e = errno;
	close(fd);
	if (r == 0 && unlink(un->sun_path) < 0)
		return -1;
	errno = e;
	return r;
}

static int probe_inet(const struct listen_addr *a)
{
	int one = 1, fd, r, e;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (r == 0 && a->family == AF_INET6)
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (r == 0)
		r = bind(fd, (const struct sockaddr *)&a->ss, a->sslen);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static void check_bind(struct found *f, const char *key,
		       const struct listen_addr *a)
{
	struct config_at at = { a->line, a->col };
	int r = a->family == AF_UNIX ? probe_unix(a) : probe_inet(a);
	int e = errno;

	if (r == 0 || (e == EADDRINUSE && held_by_ours(f->cfg, a)))
		return;
	add(f, at, "%s: bind %s: %s%s", key, a->text, strerror(e),
	    e == EADDRINUSE ? " (not by the running master of this pid_file)"
			    : "");
}

static int cmp_at(const void *a, const void *b)
{
	const struct config_at *x = &((const struct problem *)a)->at;
	const struct config_at *y = &((const struct problem *)b)->at;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

size_t preflight(const struct config *cfg, struct config_errors *errs)
{
	struct found f = { .cfg = cfg };
	const struct config *c = cfg;

	check_log(&f, "error_log.path", &c->error_log);
	check_log(&f, "access_log.path", &c->access_log);
	check_pid_file(&f);
	for (size_t i = 0; i < c->nlisten; i++)
		check_bind(&f, "listen", &c->listen[i]);
	if (c->admin_enabled)
		check_bind(&f, "admin.listen", &c->admin_listen);
	if (c->agent_check_enabled)
		check_bind(&f, "agent_check", &c->agent_check);
	qsort(f.item, f.n, sizeof(f.item[0]), cmp_at);
	for (size_t i = 0; i < f.n; i++)
		config_errors_add(errs, f.item[i].msg);
	return f.n;
}
