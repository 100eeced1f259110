/*
 * static.c -- files under a document root.
 *
 * x->path is already decoded and normalized (path.c): no "..", no encoded
 * separators, no NUL.  The file system is the other half of the job: a
 * symlink may still point anywhere, so files are opened beneath a
 * directory fd of the root (beneath.c), never outside it.
 *
 * Around the file itself: the worker's file cache (filecache.c), the
 * compressed variant chosen by Accept-Encoding (variant.c), the route's
 * fallback for a missing file (a single-page application's index), and
 * its cache headers (cache_control, expires).
 */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "autoindex.h"
#include "beneath.h"
#include "compress.h"
#include "encoding.h"
#include "filecache.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "range.h"
#include "util.h"
#include "variant.h"

#define LOCATION_MAX 8300
/* "bytes " + 2 * 20 digits + "-" + "/" + 20 digits */
#define CONTENT_RANGE_MAX 72
/* "max-age=" and 20 digits */
#define MAX_AGE_MAX 32
/* What resolve() returns for a path that names no file (not a status). */
#define STATIC_MISSING 2

static const char *root_of(const struct exchange *x)
{
	if (x->route != NULL)
		return x->route->static_.root;
	return x->host != NULL ? x->host->root : x->cfg->root;
}

static const char *ctype_of(const struct exchange *x, const char *rel)
{
	const struct config *cfg = x->cfg;

	return mime_type_with(rel, strlen(rel), cfg->types, cfg->ntypes,
			      cfg->default_type);
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
	const char **index = x->route ? x->route->static_.index
			     : x->host ? x->host->index : x->cfg->index;
	size_t nindex = x->route ? x->route->static_.nindex
			: x->host ? x->host->nindex : x->cfg->nindex;
	size_t dlen = strlen(rel), ilen, i;
	int fd, saved;

	for (i = 0; i < nindex; i++) {
		ilen = strlen(index[i]);
		if (dlen + ilen >= cap)
			continue;
		memcpy(rel + dlen, index[i], ilen + 1);
		fd = beneath_open(rootfd, rel);
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
 * Find and open the file for path: returns 0 with *fdp (a regular file,
 * its name relative to the root in rel, its stat in st), STATIC_MISSING
 * when nothing is there (a fallback may answer), STATIC_LISTING, or a
 * status: 301 for a directory named without its '/', 403, 404 (also what
 * is refused: dotfiles, a way out of the root), 414, 500.
 */
static int resolve(const struct exchange *x, const char *path, size_t len,
		   char *rel, size_t cap, int *fdp, struct stat *st)
{
	int rootfd = -1, fd = -1, status = -1;
	bool owned = false, opened = false;

	if (len == 0 || path[0] != '/' || memchr(path, '\0', len))
		return 404;
	if (!x->cfg->serve_dotfiles && path_has_dotfile(path, len))
		return 404;
	if (len >= cap)
		return 414;
	memcpy(rel, path + 1, len - 1);
	rel[len - 1] = '\0';
	rootfd = beneath_root(root_of(x), &owned);
	if (rootfd < 0)
		goto fail;
	fd = beneath_open(rootfd, rel);
	if (fd < 0)
		goto fail;
	opened = true;
	if (fstat(fd, st) < 0)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		int dirfd = fd, saved;
		fd = -1;
		if (path[len - 1] != '/') {
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
	if (status < 0 && !opened && rootfd >= 0 &&
	    (errno == ENOENT || errno == ENOTDIR))
		status = STATIC_MISSING;
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
 * Cache-Control (and Expires) of the route, for a file answer: 200, 206
 * and 304.  The Expires date is formatted once per second.
 */
static void cache_headers(struct exchange *x)
{
	static char expires[HTTP_DATE_LEN + 1];
	static time_t expires_at = -1;
	const struct route *rt = x->route;
	char age[MAX_AGE_MAX];
	struct timespec ts;
	size_t n;

	if (rt == NULL)
		return;
	if (rt->static_.cache_control != NULL) {
		response_header(x->res, "Cache-Control", rt->static_.cache_control);
		return;
	}
	if (!rt->static_.expires)
		return;
	memcpy(age, "max-age=", 8);
	n = 8 + fmt_u64(age + 8, (uint64_t)rt->static_.expires_s);
	response_header_n(x->res, "Cache-Control", 13, age, n);
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec + rt->static_.expires_s != expires_at) {
		expires_at = ts.tv_sec + rt->static_.expires_s;
		http_date_fmt(expires_at, expires);
	}
	response_header_n(x->res, "Expires", 7, expires, HTTP_DATE_LEN);
}

/*
 * Answer with the file e describes: conditionals, range, headers, body from
 * e->data or e->fd.  owned: e->fd is ours to close (it is handed to the
 * sender with the body, or closed here when no body goes out).  vary: the
 * answer depends on Accept-Encoding (a compress rule covers the file).
 * A compressed variant carries Content-Encoding; ranges and validators
 * are those of the variant.
 */
static void serve_entry(struct exchange *x, const struct fc_entry *e,
			bool owned, bool vary)
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
	if (vary)
		response_header_n(res, "Vary", 4, "Accept-Encoding", 15);
	cache_headers(x);
	if (cond == 304) {
		res->no_length = true;
		goto nobody;
	}
	response_header(res, "Content-Type", e->ctype);
	if (e->coding != CODING_IDENTITY)
		response_header(res, "Content-Encoding", coding_name(e->coding));
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

/* The compress rule for x: the route's, else the host's, else the top's. */
static const struct compress_rule *compress_rule_of(const struct exchange *x)
{
	if (x->route != NULL && x->route->compress != NULL)
		return x->route->compress;
	if (x->host != NULL && x->host->compress != NULL)
		return x->host->compress;
	return &x->cfg->compress;
}

/* e, or the compressed variant of it the client should get. */
static const struct fc_entry *pick(struct exchange *x, const char *root,
				   const char *path, size_t len,
				   const struct fc_entry *e, time_t now,
				   bool *vary)
{
	const struct compress_rule *rule = compress_rule_of(x);
	const struct fc_entry *v;

	*vary = rule->on && compress_type_matches(rule, e->ctype);
	if (!*vary)
		return e;
	v = variant_pick(x->req, rule, root, path, len, e, now);
	return v != NULL ? v : e;
}

/*
 * Answer with the file for path, from the cache when validated this
 * second: 0 when answered (a file, a redirect, a listing), else what
 * resolve() found (STATIC_MISSING or an error status).
 */
static int serve_file(struct exchange *x, const char *path, size_t len)
{
	const char *root = root_of(x);
	time_t now = coarse_now();
	const struct fc_entry *e = filecache_get(root, path, len,
						 CODING_IDENTITY, now);
	char rel[PATH_MAX];
	struct stat st;
	int fd = -1, status;
	bool vary;

	if (e != NULL) {
		e = pick(x, root, path, len, e, now, &vary);
		serve_entry(x, e, false, vary);
		return 0;
	}
	status = resolve(x, path, len, rel, sizeof rel, &fd, &st);
	if (status == 301) {
		redirect_dir(x);
	} else if (status == STATIC_LISTING) {
		autoindex_serve(x, fd);
	} else if (status) {
		return status;
	} else {
		const char *ctype = ctype_of(x, rel);

		e = filecache_put(root, path, len, fd, &st, rel, ctype, now);
		if (e != NULL) {
			e = pick(x, root, path, len, e, now, &vary);
			serve_entry(x, e, false, vary);
		} else { /* not cacheable: answer from the open file */
			const struct compress_rule *rule = compress_rule_of(x);
			struct fc_entry tmp = { .fd = fd };

			filecache_describe(&tmp, &st, ctype);
			serve_entry(x, &tmp, true,
				    rule->on && compress_type_matches(rule, ctype));
		}
	}
	return 0;
}

/*
 * The file for x->path; for a path that names nothing, the route's
 * fallback (never for what was refused: dotfiles, a way out of the root).
 */
static void serve_path(struct exchange *x)
{
	const char *fb = x->route ? x->route->static_.fallback : NULL;
	int status = serve_file(x, x->path, x->path_len);

	if (status == STATIC_MISSING && fb != NULL)
		status = serve_file(x, fb, strlen(fb));
	if (status == STATIC_MISSING)
		status = 404;
	if (status != 0)
		response_error(x->res, status);
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
