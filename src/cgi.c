/*
 * cgi.c -- the CGI/1.1 handler (RFC 3875): one process per request.
 *
 * The script is the route's cgi.dir plus the path after the route prefix,
 * up to the first segment that names a regular file; the rest is PATH_INFO.
 * The lookup is done with openat2(RESOLVE_BENEATH) from a descriptor of the
 * directory, component prefix by component prefix, so neither ".." nor a
 * symlink leads outside it (without openat2: no symlink is followed).  The
 * script is then started by its absolute name with execve: there is no
 * shell, argv is just the file name (no "indexed" query in argv).
 *
 * The child gets its own process group, default signal dispositions, an
 * empty signal mask, the script's directory as working directory, and three
 * pipes as stdin, stdout and stderr; every other descriptor of the worker
 * is close-on-exec.  The worker then moves bytes in one poll(2) loop: the
 * request body into stdin, stdout into the response, stderr into the error
 * log (one warning per line, prefixed with the script name).  When the
 * script has not finished within cgi.timeout its whole process group is
 * killed: 504 when nothing was sent yet; once the head is sent, the
 * connection is closed without ending the body, and the request is
 * recorded as 504 (access log, metrics) though the client saw the
 * script's status.  The child is always reaped.
 *
 * Responses: "Status:" sets the status; a Location without Status gives
 * 302, for a local path ("/x") as for an absolute URL -- there is no
 * internal redirect.  A body length the script announces with
 * Content-Length is sent as such (bytes beyond it are dropped); otherwise
 * the body is chunked (HTTP/1.1) or ends with the connection (HTTP/1.0).
 * Malformed or missing headers, or no output at all: 502.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgi.h"
#include "handler_ctx.h"
#include "log.h"
#include "util.h"

#define IO_CHUNK 16384
#define ERR_LINE_MAX 1024
#define ADDR_TEXT_MAX 64

/* What the lookup found; one request at a time per process. */
struct cgi_script {
	char file[PATH_MAX];       /* absolute: cgi.dir "/" script */
	char dir[PATH_MAX];        /* its directory, the working directory */
	char name[PATH_MAX];       /* SCRIPT_NAME */
	char path_info[PATH_MAX];
	char translated[PATH_MAX]; /* PATH_TRANSLATED */
};

struct cgi_run {
	struct exchange *x;
	struct cgi_state *cs;
	const char *name; /* for the log */
	pid_t pid;
	int in, out, err;  /* our ends of the pipes; -1 once closed */
	int64_t deadline;
	bool body_eof;     /* the whole request body went to the script */
	bool head_done;    /* the response head is decided (and sent) */
	bool body_done;    /* stdout ended and the body was ended properly */
	bool no_body;      /* 204/304: body bytes are dropped */
	bool stop;         /* answer decided, or client gone: stop moving bytes */
	int64_t remaining; /* body bytes still allowed by Content-Length, or -1 */
	size_t in_off, in_len, hlen, elen;
};

/*
 * What a worker keeps for CGI (handler_ctx.h): the script of the request
 * in hand and its environment, the buffers of its pipes, and whether the
 * kernel has openat2.  One per worker, reached through the exchange.
 */
struct cgi_state {
	struct cgi_script script;
	struct cgi_env env;
	char in_buf[IO_CHUNK], out_buf[IO_CHUNK], head_buf[CGI_HEAD_MAX];
	char err_buf[ERR_LINE_MAX];
	bool no_openat2;
};

struct cgi_state *cgi_state_new(void)
{
	struct cgi_state *cs = calloc(1, sizeof(*cs));

	if (cs == NULL)
		log_errno(LOG_ERROR, "calloc(CGI state)");
	return cs;
}

/* ---- finding the script ------------------------------------------------ */

/*
 * Without openat2: one component at a time, never following a symlink.
 * O_PATH | O_NOFOLLOW opens a symlink itself rather than failing, so a
 * symlink is refused here with ELOOP, as openat2 refuses one leading out
 * (EXDEV): both are 404, whichever way the kernel resolves.
 */
static int open_walk(int dirfd, const char *rel)
{
	char seg[NAME_MAX + 1];
	int cur = dirfd, fd = -1;

	for (const char *p = rel;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n > NAME_MAX) {
			errno = ENOENT;
			fd = -1;
			break;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		fd = openat(cur, seg, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(fd);
			fd = -1;
			errno = ELOOP;
		}
		if (cur != dirfd) {
			int saved = errno;
			close(cur);
			errno = saved;
		}
		if (fd < 0 || slash == NULL)
			return fd;
		cur = fd;
		p = slash + 1;
	}
	if (cur != dirfd)
		close(cur);
	return fd;
}

static int open_beneath(int dirfd, const char *rel, bool *no_openat2)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;
	int tries = 0;

	if (!*no_openat2) {
		do
			fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
		while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 8);
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
		*no_openat2 = true;
	}
	return open_walk(dirfd, rel);
}

/* stat of rel beneath dirfd; 0, or an HTTP status. */
static int stat_beneath(struct cgi_state *cs, int dirfd, const char *dir,
			const char *rel, struct stat *st)
{
	int fd = open_beneath(dirfd, rel, &cs->no_openat2), err;

	if (fd >= 0 && fstat(fd, st) == 0) {
		close(fd);
		return 0;
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	switch (err) {
	case ENOENT: case ENOTDIR: case EXDEV: case ELOOP:
		return 404;
	case EACCES: case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	default:
		errno = err;
		log_errno(LOG_ERROR, "cgi: open %s/%s", dir, rel);
		return 500;
	}
}

static int fmt_path(char *out, const char *a, const char *b, size_t blen)
{
	int n = snprintf(out, PATH_MAX, "%s%.*s", a, (int)blen, b);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* Fill script for the regular file rel (script part) + info (the rest). */
static int script_found(const struct exchange *x, const char *rel,
			const char *info, size_t ilen)
{
	struct cgi_state *cs = x->hctx->cgi;
	const struct route *rt = x->route;
	size_t plen = rt->prefix_len;
	char *slash;

	if (plen > 0 && rt->prefix[plen - 1] == '/')
		plen--;
	if (snprintf(cs->script.file, PATH_MAX, "%s/%s", rt->cgi.dir, rel) >= PATH_MAX ||
	    snprintf(cs->script.name, PATH_MAX, "%.*s/%s", (int)plen, rt->prefix,
		     rel) >= PATH_MAX ||
	    fmt_path(cs->script.path_info, "", info, ilen) < 0 ||
	    fmt_path(cs->script.translated, exchange_doc_root(x), info, ilen) < 0)
		return 414;
	memcpy(cs->script.dir, cs->script.file, sizeof cs->script.dir);
	slash = strrchr(cs->script.dir, '/');
	slash[slash == cs->script.dir ? 1 : 0] = '\0';
	return 0;
}

/*
 * Walk rel ("a/b/c") prefix by prefix until a regular file; the segments
 * after it are PATH_INFO.  0, or 403 (a directory, a non-executable file,
 * something else), 404, 414, 500.
 */
static int walk_script(const struct exchange *x, int dirfd, char *rel)
{
	const char *dir = x->route->cgi.dir;
	size_t end = 0, total = strlen(rel);
	struct stat st;
	int status;

	for (;;) {
		char *slash = strchr(rel + end, '/');
		size_t seg_end = slash ? (size_t)(slash - rel) : total;
		if (seg_end == end)
			return 403; /* "dir/": a directory, not a script */
		if (!x->cfg->serve_dotfiles && rel[end] == '.')
			return 404;
		rel[seg_end] = '\0';
		status = stat_beneath(x->hctx->cgi, dirfd, dir, rel, &st);
		if (status != 0)
			return status;
		if (S_ISREG(st.st_mode)) {
			if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
				return 403;
			return script_found(x, rel, x->path + (x->path_len - total) + seg_end,
					    total - seg_end);
		}
		if (!S_ISDIR(st.st_mode) || slash == NULL)
			return 403;
		rel[seg_end] = '/';
		end = seg_end + 1;
	}
}

static int locate(const struct exchange *x)
{
	const struct route *rt = x->route;
	size_t skip = rt->prefix_len, n;
	char rel[PATH_MAX];
	int dirfd, status;

	if (skip > 0 && rt->prefix[skip - 1] == '/')
		skip--;
	if (skip > x->path_len)
		return 404;
	n = x->path_len - skip;
	if (n < 2 || x->path[skip] != '/')
		return n == 1 ? 403 : 404;
	if (n >= sizeof rel)
		return 414;
	memcpy(rel, x->path + skip + 1, n - 1);
	rel[n - 1] = '\0';
	if (memchr(rel, '\0', n - 1))
		return 404;
	dirfd = open(rt->cgi.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		log_errno(LOG_ERROR, "cgi: open %s", rt->cgi.dir);
		return 500;
	}
	status = walk_script(x, dirfd, rel);
	close(dirfd);
	return status;
}

/* ---- the environment ----------------------------------------------------- */

static void peer_text(const struct sockaddr *sa, char *addr, char *port)
{
	const void *a = NULL;
	unsigned p = 0;

	strcpy(addr, "unix");
	port[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		a = &in->sin_addr;
		p = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		a = &in6->sin6_addr;
		p = ntohs(in6->sin6_port);
	}
	if (a == NULL || inet_ntop(sa->sa_family, a, addr, ADDR_TEXT_MAX) == NULL)
		return;
	port[fmt_u64(port, p)] = '\0';
}

/* SERVER_NAME and SERVER_PORT from Host ("name", "name:port", "[v6]:port"). */
static void host_parts(const struct span *h, char *name, size_t cap,
		       char *port)
{
	const char *p = h->p, *end = h->p + h->len, *colon = NULL;
	size_t nlen, plen;

	strcpy(port, "80");
	if (h->len > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', h->len);
		if (rb != NULL && rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else if (h->len > 0) {
		colon = memchr(p, ':', h->len);
	}
	nlen = colon ? (size_t)(colon - p) : h->len;
	plen = colon ? (size_t)(end - colon - 1) : 0;
	if (plen > 0 && plen <= 5) {
		memcpy(port, colon + 1, plen);
		port[plen] = '\0';
	}
	if (nlen == 0 || nlen >= cap) {
		strcpy(name, "localhost");
		return;
	}
	memcpy(name, p, nlen);
	name[nlen] = '\0';
}

static int build_env(const struct exchange *x)
{
	struct cgi_state *cs = x->hctx->cgi;
	static char addr[ADDR_TEXT_MAX], port[8], host[256], sport[8];
	struct cgi_meta m = {
		.server_software = PACKAGE_NAME "/" PACKAGE_VERSION,
		.server_name = host,
		.server_port = sport,
		.remote_addr = addr,
		.document_root = exchange_doc_root(x),
		.script_name = cs->script.name,
		.script_filename = cs->script.file,
		.path_info = cs->script.path_info,
		.path_translated = cs->script.path_info[0] ? cs->script.translated : NULL,
	};

	peer_text(x->peer, addr, port);
	m.remote_port = port[0] ? port : NULL;
	host_parts(&x->req->host, host, sizeof host, sport);
	cs->env.max_bytes = CGI_ENV_MAX;
	if (cgi_env_build(&cs->env, x->req, &m) < 0) {
		log_error("cgi %s: environment over %d bytes or out of memory",
			  cs->script.name, CGI_ENV_MAX);
		return -1;
	}
	return 0;
}

/* ---- the child ----------------------------------------------------------- */

static void child_say(const char *a, const char *b)
{
	const char *e = strerror(errno);
	ssize_t ignored = 0;

	ignored += write(2, a, strlen(a));
	ignored += write(2, b, strlen(b));
	ignored += write(2, ": ", 2);
	ignored += write(2, e, strlen(e));
	ignored += write(2, "\n", 1);
	(void)ignored;
}

/* In the child: never returns.  Only async-signal-safe calls. */
static _Noreturn void child_exec(struct cgi_state *cs, int fds[3])
{
	struct sigaction dfl;
	sigset_t none;
	int tmp[3];
	char *argv[] = { cs->script.file, NULL };

	setpgid(0, 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL); /* EINVAL for KILL, STOP: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Above 2 first, so that dup2 never overwrites a pipe still needed. */
	for (int i = 0; i < 3; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			child_say("cgi: dup ", cs->script.file), _exit(127);
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			child_say("cgi: dup2 ", cs->script.file), _exit(127);
	if (chdir(cs->script.dir) < 0)
		child_say("cgi: chdir ", cs->script.dir), _exit(127);
	execve(cs->script.file, argv, cs->env.vars);
	child_say("cgi: execve ", cs->script.file);
	_exit(127);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_errno(LOG_ERROR, "cgi: fcntl(O_NONBLOCK)");
		return -1;
	}
	return 0;
}

static int make_pipes(const struct cgi_state *cs, int p[3][2])
{
	for (int i = 0; i < 3; i++) {
		if (pipe2(p[i], O_CLOEXEC) == 0)
			continue;
		log_errno(LOG_ERROR, "cgi %s: pipe2", cs->script.name);
		while (i-- > 0) {
			close_fd(&p[i][0]);
			close_fd(&p[i][1]);
		}
		return -1;
	}
	return 0;
}

/* Start the child; 0 with r->pid and our pipe ends, or -1. */
static int spawn(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	int p[3][2], child[3];

	if (make_pipes(r->cs, p) < 0)
		return -1;
	child[0] = p[0][0];
	child[1] = p[1][1];
	child[2] = p[2][1];
	r->pid = fork();
	if (r->pid == 0)
		child_exec(r->cs, child);
	for (int i = 0; i < 3; i++)
		close_fd(&child[i]);
	r->in = p[0][1];
	r->out = p[1][0];
	r->err = p[2][0];
	if (r->pid < 0) {
		log_errno(LOG_ERROR, "cgi %s: fork", cs->script.name);
		close_fd(&r->in);
		close_fd(&r->out);
		close_fd(&r->err);
		return -1;
	}
	/* Also here: the group must exist before we may need to kill it. */
	if (setpgid(r->pid, r->pid) < 0 && errno != EACCES && errno != ESRCH)
		log_errno(LOG_WARN, "cgi %s: setpgid", cs->script.name);
	if (nonblock(r->in) < 0 || nonblock(r->out) < 0 || nonblock(r->err) < 0)
		return 1; /* running: the caller kills and reaps it */
	return 0;
}

/* ---- moving bytes ----------------------------------------------------- */

static void kill_group(struct cgi_run *r)
{
	if (kill(-r->pid, SIGKILL) < 0 && errno != ESRCH) {
		log_errno(LOG_WARN, "cgi %s: kill(-%d)", r->name, (int)r->pid);
		if (kill(r->pid, SIGKILL) < 0 && errno != ESRCH)
			log_errno(LOG_ERROR, "cgi %s: kill(%d)", r->name, (int)r->pid);
	}
}

/* Stop: the answer is status (when nothing was sent) and the script goes. */
static void give_up(struct cgi_run *r, int status, const char *why)
{
	if (r->head_done)
		log_warn("cgi %s: %s; closing the connection", r->name, why);
	else
		log_warn("cgi %s: %s; answering %d", r->name, why, status);
	if (!r->head_done)
		response_error(r->x->res, status);
	else
		exchange_abort(r->x);
	kill_group(r);
	r->stop = true;
}

/*
 * cgi.timeout has passed.  Before the head: 504.  After it: the answer
 * cannot be completed, so the body is cut (the connection closes without
 * its end) and the request recorded as 504, so that the access log does
 * not show a success.  After the whole body: only the process is left
 * (it holds stderr open), and the answer stands.
 */
static void timed_out(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	struct response *res = r->x->res;
	long long ms = (long long)r->x->route->cgi.timeout_ms;

	if (r->body_done) {
		log_warn("cgi %s (%s): still running %lld ms after its start "
			 "(cgi.timeout), after its answer; killing it", r->name,
			 cs->script.file, ms);
	} else if (!r->head_done) {
		log_warn("cgi %s (%s): timed out after %lld ms (cgi.timeout) "
			 "before its response headers; answering 504", r->name,
			 cs->script.file, ms);
		response_error(res, 504);
	} else {
		log_warn("cgi %s (%s): timed out after %lld ms (cgi.timeout) "
			 "after its response head; body cut, connection closed, "
			 "logged as 504", r->name, cs->script.file, ms);
		exchange_abort(r->x);
		res->status = 504; /* the head is out: for the log and metrics */
	}
	kill_group(r);
	r->stop = true;
}

static void client_gone(struct cgi_run *r)
{
	log_info("cgi %s: client gone; killing the script", r->name);
	kill_group(r);
	r->stop = true;
}

/* Refill cs->in_buf from the request body when it is empty. */
static void feed_body(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	ssize_t n;

	if (r->in < 0 || r->in_off < r->in_len)
		return;
	n = exchange_read_body(r->x, cs->in_buf, sizeof cs->in_buf);
	if (n < 0) { /* conn.c answers (408, 413, ...) or drops the client */
		log_info("cgi %s: request body unreadable; killing the script",
			 r->name);
		kill_group(r);
		r->stop = true;
		return;
	}
	if (n == 0) {
		r->body_eof = true;
		close_fd(&r->in);
		return;
	}
	r->in_off = 0;
	r->in_len = (size_t)n;
}

static void write_stdin(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	ssize_t n = write(r->in, cs->in_buf + r->in_off, r->in_len - r->in_off);

	if (n >= 0) {
		r->in_off += (size_t)n;
		return;
	}
	if (errno == EAGAIN || errno == EINTR)
		return;
	if (errno != EPIPE) /* EPIPE: the script does not read all of it */
		log_errno(LOG_WARN, "cgi %s: write to stdin", r->name);
	close_fd(&r->in);
	r->in_off = r->in_len = 0;
}

static void send_body(struct cgi_run *r, const char *p, size_t n)
{
	if (r->no_body || n == 0)
		return;
	if (r->remaining >= 0 && (int64_t)n > r->remaining) {
		log_warn("cgi %s: body longer than its Content-Length; "
			 "dropping the rest", r->name);
		n = (size_t)r->remaining;
	}
	if (r->remaining >= 0)
		r->remaining -= (int64_t)n;
	if (n > 0 && exchange_write(r->x, p, n) < 0)
		client_gone(r);
}

static void add_headers(struct response *res, const struct cgi_head *h,
			const struct route *rt)
{
	if (h->content_type.len > 0)
		response_header_n(res, "Content-Type", 12, h->content_type.p,
				  h->content_type.len);
	if (h->location.len > 0)
		response_header_n(res, "Location", 8, h->location.p, h->location.len);
	for (size_t i = 0; i < h->nextra; i++)
		response_header_n(res, h->extra[i].name.p, h->extra[i].name.len,
				  h->extra[i].value.p, h->extra[i].value.len);
	for (size_t i = 0; i < rt->nheaders; i++)
		response_header(res, rt->headers[i].name, rt->headers[i].value);
}

/* The header block is complete: send the head. */
static void start_response(struct cgi_run *r, const struct cgi_head *h)
{
	struct response *res = r->x->res;
	int status = cgi_head_status(h);

	if (status < 200) {
		give_up(r, 502, "interim status from the script");
		return;
	}
	add_headers(res, h, r->x->route);
	if (res->hoverflow) {
		give_up(r, 502, "response headers do not fit");
		return;
	}
	res->status = status;
	if (h->reason.len > 0) { /* in the head buffer, until the head is built */
		res->reason = h->reason.p;
		res->reason_len = h->reason.len;
	}
	r->no_body = status == 204 || status == 304;
	res->no_length = r->no_body;
	r->remaining = r->no_body ? 0 : h->content_length;
	r->head_done = true;
	if (exchange_start(r->x, r->remaining) < 0)
		client_gone(r);
}

static void read_head(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	struct cgi_head h;
	ssize_t n = read(r->out, cs->head_buf + r->hlen, sizeof cs->head_buf - r->hlen);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		log_errno(LOG_WARN, "cgi %s: read stdout", r->name);
		give_up(r, 502, "stdout unreadable");
		return;
	}
	if (n == 0) {
		give_up(r, 502, r->hlen ? "output ends inside the headers" :
					  "exited without output");
		return;
	}
	r->hlen += (size_t)n;
	n = cgi_head_parse(cs->head_buf, r->hlen, &h);
	if (n < 0 || (n == 0 && r->hlen == sizeof cs->head_buf)) {
		give_up(r, 502, n < 0 ? "malformed response headers" :
					"response headers too large");
		return;
	}
	if (n == 0)
		return;
	start_response(r, &h);
	if (!r->stop)
		send_body(r, cs->head_buf + n, r->hlen - (size_t)n);
}

static void read_stdout(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	ssize_t n;

	if (!r->head_done) {
		read_head(r);
		return;
	}
	n = read(r->out, cs->out_buf, sizeof cs->out_buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		log_errno(LOG_WARN, "cgi %s: read stdout", r->name);
	if (n <= 0) {
		close_fd(&r->out);
		if (exchange_end(r->x) < 0)
			client_gone(r);
		else
			r->body_done = true;
		return;
	}
	send_body(r, cs->out_buf, (size_t)n);
}

static void log_err_lines(struct cgi_run *r, bool all)
{
	struct cgi_state *cs = r->cs;
	size_t start = 0;
	char *nl;

	while ((nl = memchr(cs->err_buf + start, '\n', r->elen - start)) != NULL) {
		size_t len = (size_t)(nl - (cs->err_buf + start));
		log_warn("cgi %s: %.*s", r->name, (int)len, cs->err_buf + start);
		start += len + 1;
	}
	if (all || (start == 0 && r->elen == sizeof cs->err_buf)) {
		if (r->elen > start)
			log_warn("cgi %s: %.*s", r->name, (int)(r->elen - start),
				 cs->err_buf + start);
		start = r->elen;
	}
	memmove(cs->err_buf, cs->err_buf + start, r->elen - start);
	r->elen -= start;
}

static void read_stderr(struct cgi_run *r)
{
	struct cgi_state *cs = r->cs;
	ssize_t n = read(r->err, cs->err_buf + r->elen, sizeof cs->err_buf - r->elen);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		log_errno(LOG_WARN, "cgi %s: read stderr", r->name);
	if (n <= 0) {
		log_err_lines(r, true);
		close_fd(&r->err);
		return;
	}
	r->elen += (size_t)n;
	log_err_lines(r, false);
}

static int wait_ms(const struct cgi_run *r)
{
	int64_t left = r->deadline - now_ms();

	return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* One poll round; false when the loop must end. */
static bool pump_once(struct cgi_run *r)
{
	struct pollfd p[3];
	nfds_t n = 0;
	int ms, rc;

	feed_body(r);
	if (r->stop)
		return false;
	ms = wait_ms(r);
	if (ms == 0) {
		timed_out(r);
		return false;
	}
	if (r->in >= 0 && r->in_off < r->in_len)
		p[n++] = (struct pollfd){ .fd = r->in, .events = POLLOUT };
	if (r->out >= 0)
		p[n++] = (struct pollfd){ .fd = r->out, .events = POLLIN };
	if (r->err >= 0)
		p[n++] = (struct pollfd){ .fd = r->err, .events = POLLIN };
	rc = poll(p, n, ms);
	if (rc < 0 && errno != EINTR) {
		log_errno(LOG_ERROR, "cgi %s: poll", r->name);
		give_up(r, 502, "poll failed");
		return false;
	}
	for (nfds_t i = 0; rc > 0 && i < n && !r->stop; i++) {
		if (p[i].revents == 0)
			continue;
		if (p[i].fd == r->in)
			write_stdin(r);
		else if (p[i].fd == r->out)
			read_stdout(r);
		else if (p[i].fd == r->err)
			read_stderr(r);
	}
	return !r->stop && (r->out >= 0 || r->err >= 0);
}

static void log_exit(const struct cgi_run *r, int status)
{
	if (WIFSIGNALED(status))
		log_warn("cgi %s: killed by signal %d (%s)", r->name,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_info("cgi %s: exit status %d", r->name, WEXITSTATUS(status));
}

/* Wait for the child (killing its group at the deadline); never a zombie. */
static void reap(struct cgi_run *r)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	int status = 0;
	pid_t p;

	for (;;) {
		p = waitpid(r->pid, &status, WNOHANG);
		if (p == r->pid)
			break;
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			log_errno(LOG_ERROR, "cgi %s: waitpid(%d)", r->name, (int)r->pid);
			return;
		}
		if (now_ms() >= r->deadline) {
			kill_group(r);
			while ((p = waitpid(r->pid, &status, 0)) < 0 && errno == EINTR)
				;
			if (p < 0) {
				log_errno(LOG_ERROR, "cgi %s: waitpid(%d)", r->name,
					  (int)r->pid);
				return;
			}
			break;
		}
		nanosleep(&nap, NULL);
	}
	log_exit(r, status);
}

static void run(struct exchange *x)
{
	struct cgi_state *cs = x->hctx->cgi;
	struct cgi_run r = {
		.x = x, .cs = cs, .name = cs->script.name, .pid = -1, .in = -1, .out = -1,
		.err = -1, .remaining = -1,
	};
	int rc;

	r.deadline = now_ms() + x->route->cgi.timeout_ms;
	rc = spawn(&r);
	if (rc < 0) {
		response_error(x->res, 500);
		return;
	}
	if (rc > 0)
		give_up(&r, 502, "cannot set up the pipes");
	while (!r.stop && pump_once(&r))
		;
	close_fd(&r.in);
	close_fd(&r.out);
	close_fd(&r.err);
	reap(&r);
}

void cgi_serve(struct exchange *x)
{
	int status = locate(x);

	if (status != 0) {
		response_error(x->res, status);
		return;
	}
	if (build_env(x) < 0) {
		response_error(x->res, 500);
		return;
	}
	run(x);
}
