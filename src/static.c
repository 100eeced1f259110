/*
 * static.c -- files under a document root.
 *
 * x->path is already decoded and normalized (path.c): no "..", no encoded
 * separators, no NUL.  The file system is the other half of the job: a
 * symlink may still point anywhere.  Files are therefore opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to a directory
 * fd of the root, so the kernel resolves every component, ".." and symlinks
 * included, and fails with EXDEV when the walk would leave the root.  That is
 * one atomic lookup: there is no window between a check (realpath, lstat)
 * and the open in which a symlink could be swapped.  Absolute symlinks are
 * refused too, even when they point inside the root (use relative ones).
 *
 * openat2 needs Linux >= 5.6.  On ENOSYS (older kernels, some seccomp
 * sandboxes) the path is walked one component at a time with
 * openat(O_NOFOLLOW): safe, but no symlink is followed at all then.
 *
 * The root directory is opened once per process (workers are processes) and
 * kept in a small table keyed by the root string.  A root that is replaced
 * on disk (a symlink swapped by a deploy) is seen after a reload, which
 * starts new workers.
 */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "autoindex.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "range.h"
#include "util.h"

#define ROOTS_MAX 64
#define LOCATION_MAX 8300
/* "bytes " + 2 * 20 digits + "-" + "/" + 20 digits */
#define CONTENT_RANGE_MAX 72

/*
 * O_NONBLOCK keeps a FIFO or a device node in the root from blocking the
 * worker in open(); it is cleared again once the file is known to be
 * regular, so the sender sees an ordinary blocking descriptor.
 */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

struct root_entry {
	char *root;
	int fd;
};

static struct root_entry roots[ROOTS_MAX];
static size_t nroots;
static bool no_openat2;

static int open_root(const char *root)
{
	return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * The cached directory fd of root, or -1 (errno set).  *owned is set when
 * the table is full and the caller must close the fd itself.
 */
static int root_fd(const char *root, bool *owned)
{
	size_t i;
	char *copy;
	int fd;

	*owned = false;
	for (i = 0; i < nroots; i++)
		if (strcmp(roots[i].root, root) == 0)
			return roots[i].fd;
	fd = open_root(root);
	if (fd < 0)
		return -1;
	copy = nroots < ROOTS_MAX ? strdup(root) : NULL;
	if (!copy) {
		*owned = true;
		return fd;
	}
	roots[nroots].root = copy;
	roots[nroots].fd = fd;
	nroots++;
	return fd;
}

static int openat2_beneath(int dirfd, const char *rel)
{
	struct open_how how;
	int tries = 0;
	long fd;

	memset(&how, 0, sizeof how);
	how.flags = OPEN_FLAGS;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	/* EAGAIN: a concurrent rename made the kernel unsure; try again. */
	do
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
	while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 8);
	return (int)fd;
}

/*
 * Fallback without openat2: walk rel one component at a time, never
 * following a symlink (O_NOFOLLOW; an intermediate symlink opened with
 * O_PATH|O_NOFOLLOW is not a directory, so the next step fails ENOTDIR).
 */
static int open_walk(int rootfd, const char *rel)
{
	char name[NAME_MAX + 1];
	const char *p = rel, *slash;
	int cur = rootfd, fd = -1, saved;
	size_t n;

	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, n ? p : ".", n ? n : 1);
		name[n ? n : 1] = '\0';
		if (n && (strcmp(name, "..") == 0 || strcmp(name, ".") == 0)) {
			errno = EXDEV; /* normalized paths have none */
			goto fail;
		}
		if (!slash || slash[1] == '\0') {
			fd = openat(cur, name, OPEN_FLAGS | O_NOFOLLOW |
						   (slash ? O_DIRECTORY : 0));
			goto fail;
		}
		fd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
		if (fd < 0)
			goto fail;
		if (cur != rootfd)
			close(cur);
		cur = fd;
		fd = -1;
		p = slash + 1;
	}
fail:
	saved = errno;
	if (cur != rootfd)
		close(cur);
	errno = saved;
	return fd;
}

/* Open rel ("" is the root itself) beneath rootfd; -1 with errno. */
static int open_beneath(int rootfd, const char *rel)
{
	int fd;

	if (!no_openat2) {
		fd = openat2_beneath(rootfd, rel[0] ? rel : ".");
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		no_openat2 = true;
	}
	return open_walk(rootfd, rel);
}

static const char *root_of(const struct exchange *x)
{
	return x->route ? x->route->static_.root : x->cfg->root;
}

static int errno_status(int err, const struct exchange *x, const char *rel)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case EXDEV: /* would leave the root */
	case ELOOP: /* symlink loop, or a symlink where none may be */
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	case ENAMETOOLONG:
		return 414;
	default:
		errno = err;
		log_errno(LOG_ERROR, "open %s/%s", root_of(x), rel);
		return 500;
	}
}

/*
 * rel names a directory (ending in '/', or "" for the root): open the first
 * index file that exists, leaving its name in rel.  Returns the fd, or -1
 * with errno (ENOENT when there is none).
 */
static int open_index(const struct exchange *x, int rootfd, char *rel,
		      size_t cap, struct stat *st)
{
	const char **index = x->route ? x->route->static_.index : x->cfg->index;
	size_t nindex = x->route ? x->route->static_.nindex : x->cfg->nindex;
	size_t dlen = strlen(rel), ilen, i;
	int fd, saved;

	for (i = 0; i < nindex; i++) {
		ilen = strlen(index[i]);
		if (dlen + ilen >= cap)
			continue;
		memcpy(rel + dlen, index[i], ilen + 1);
		fd = open_beneath(rootfd, rel);
		if (fd < 0 && errno != ENOENT)
			return -1;
		if (fd < 0)
			continue;
		if (fstat(fd, st) < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (S_ISREG(st->st_mode))
			return fd;
		close(fd); /* a directory or odd file named like an index */
	}
	rel[dlen] = '\0';
	errno = ENOENT;
	return -1;
}

/*
 * Find and open the file for x->path: returns 0 with *fdp (a regular file,
 * its name relative to the root in rel, its stat in st), or a status: 301
 * for a directory named without its '/', 403, 404, 414, 500.
 */
static int resolve(const struct exchange *x, char *rel, size_t cap, int *fdp,
		   struct stat *st)
{
	size_t len = x->path_len;
	int rootfd = -1, fd = -1, status = -1;
	bool owned = false;

	if (len == 0 || x->path[0] != '/' || memchr(x->path, '\0', len))
		return 404;
	if (!x->cfg->serve_dotfiles && path_has_dotfile(x->path, len))
		return 404;
	if (len >= cap)
		return 414;
	memcpy(rel, x->path + 1, len - 1);
	rel[len - 1] = '\0';
	rootfd = root_fd(root_of(x), &owned);
	if (rootfd < 0)
		goto fail;
	fd = open_beneath(rootfd, rel);
	if (fd < 0 || fstat(fd, st) < 0)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		int dirfd = fd, saved;
		fd = -1;
		if (x->path[len - 1] != '/') {
			close(dirfd);
			status = 301;
			goto fail;
		}
		fd = open_index(x, rootfd, rel, cap, st);
		if (fd < 0 && errno == ENOENT && autoindex_enabled(x)) {
			*fdp = dirfd; /* no index: the listing (autoindex.c) */
			status = STATIC_LISTING;
			goto fail;
		}
		if (fd < 0 && errno == ENOENT)
			status = 403; /* no index: listings are not served */
		saved = errno;
		close(dirfd);
		errno = saved;
		if (fd < 0)
			goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		status = 403;
		goto fail;
	}
	/* Back to blocking (see OPEN_FLAGS); F_SETFL touches no access mode. */
	if (fcntl(fd, F_SETFL, 0) < 0)
		goto fail;
	*fdp = fd;
	fd = -1;
	status = 0;
fail:
	if (status < 0)
		status = errno_status(errno, x, rel);
	if (fd >= 0)
		close(fd);
	if (owned)
		close(rootfd);
	return status;
}

/*
 * 301 to the directory with its '/': the path as the client sent it (still
 * %-encoded), '/', and the query.  A leading run of '/' or '\' becomes one
 * '/', so the Location can never read as "//host" (an open redirect).
 */
static void redirect_dir(struct exchange *x)
{
	const struct span *p = &x->req->path, *q = &x->req->query;
	char loc[LOCATION_MAX];
	size_t i = 0, n = 0;

	while (i < p->len && (p->p[i] == '/' || p->p[i] == '\\'))
		i++;
	if (p->len - i + q->len + 3 > sizeof loc) {
		response_error(x->res, 414);
		return;
	}
	loc[n++] = '/';
	if (p->len > i) {
		memcpy(loc + n, p->p + i, p->len - i);
		n += p->len - i;
		loc[n++] = '/';
	}
	if (q->len) {
		loc[n++] = '?';
		memcpy(loc + n, q->p, q->len);
		n += q->len;
	}
	x->res->status = 301;
	response_header_n(x->res, "Location", 8, loc, n);
}

/* "bytes first-last/size", or "bytes * /size" (without the space) when !ok. */
static size_t content_range(char *out, bool ok, uint64_t first, uint64_t last,
			    uint64_t size)
{
	size_t n = 0;

	memcpy(out, "bytes ", 6);
	n = 6;
	if (ok) {
		n += fmt_u64(out + n, first);
		out[n++] = '-';
		n += fmt_u64(out + n, last);
	} else {
		out[n++] = '*';
	}
	out[n++] = '/';
	n += fmt_u64(out + n, size);
	return n;
}

static enum range_result want_range(const struct exchange *x, const char *etag,
				    time_t mtime, uint64_t size,
				    uint64_t *first, uint64_t *last)
{
	const struct request *req = x->req;

	if (req->method != HTTP_GET || req->range.len == 0 ||
	    !if_range_ok(req, etag, mtime))
		return RANGE_NONE;
	return range_parse(req->range.p, req->range.len, size, first, last);
}

/*
 * Answer with the file e describes: conditionals, range, headers, body from
 * e->data or e->fd.  owned: e->fd is ours to close (it is handed to the
 * sender with the body, or closed here when no body goes out).
 */
static void serve_entry(struct exchange *x, const struct fc_entry *e,
			bool owned)
{
	struct response *res = x->res;
	char cr[CONTENT_RANGE_MAX];
	uint64_t size = (uint64_t)e->size, first = 0, last = size - 1;
	time_t mtime = e->mtime.tv_sec;
	enum range_result rr;
	int cond = cond_evaluate(x->req, e->etag, mtime);

	if (cond == 412) {
		response_error(res, 412);
		goto nobody;
	}
	rr = cond ? RANGE_NONE : want_range(x, e->etag, mtime, size, &first, &last);
	if (rr == RANGE_UNSATISFIABLE) {
		response_error(res, 416);
		response_header_n(res, "Content-Range", 13, cr,
				  content_range(cr, false, 0, 0, size));
		goto nobody;
	}
	res->status = cond ? 304 : rr == RANGE_OK ? 206 : 200;
	response_header(res, "ETag", e->etag);
	response_header(res, "Last-Modified", e->last_modified);
	response_header(res, "Accept-Ranges", "bytes");
	if (cond == 304) {
		res->no_length = true;
		goto nobody;
	}
	response_header(res, "Content-Type", e->ctype);
	if (rr == RANGE_OK)
		response_header_n(res, "Content-Range", 13, cr,
				  content_range(cr, true, first, last, size));
	if (size == 0) {
		response_body_mem(res, "", 0);
		goto nobody;
	}
	if (e->data != NULL)
		response_body_mem(res, e->data + first, (size_t)(last - first + 1));
	else
		response_body_file(res, e->fd, (off_t)first,
				   (off_t)(last - first + 1), owned);
	return;
nobody:
	if (owned && e->fd >= 0)
		close(e->fd);
}

static time_t coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts.tv_sec;
}

/* The file for x->path: from the cache when validated this second. */
static void serve_path(struct exchange *x)
{
	const char *root = root_of(x);
	time_t now = coarse_now();
	const struct fc_entry *e = filecache_get(root, x->path, x->path_len, now);
	char rel[PATH_MAX];
	struct stat st;
	int fd = -1, status;

	if (e != NULL) {
		serve_entry(x, e, false);
		return;
	}
	status = resolve(x, rel, sizeof rel, &fd, &st);
	if (status == 301) {
		redirect_dir(x);
	} else if (status == STATIC_LISTING) {
		autoindex_serve(x, fd);
	} else if (status) {
		response_error(x->res, status);
	} else {
		e = filecache_put(root, x->path, x->path_len, fd, &st, rel, now);
		if (e != NULL) {
			serve_entry(x, e, false);
		} else { /* not cacheable: answer from the open file */
			struct fc_entry tmp = { .fd = fd };
			filecache_describe(&tmp, &st, rel);
			serve_entry(x, &tmp, true);
		}
	}
}

static void route_headers(struct exchange *x)
{
	size_t i;

	if (!x->route)
		return;
	for (i = 0; i < x->route->nheaders; i++)
		response_header(x->res, x->route->headers[i].name,
				x->route->headers[i].value);
}

void static_serve(struct exchange *x)
{
	if (x->path_len == 1 && x->path[0] == '*') {
		/* OPTIONS * (RFC 9110 9.3.7): what the server supports. */
		response_header(x->res, "Allow", "GET, HEAD");
		response_body_mem(x->res, "", 0);
	} else if (x->req->method != HTTP_GET && x->req->method != HTTP_HEAD) {
		response_error(x->res, 405);
		response_header(x->res, "Allow", "GET, HEAD");
	} else {
		serve_path(x);
	}
	route_headers(x);
}
