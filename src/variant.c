/*
 * variant.c -- choose, find or make the compressed variant of a static
 * file (see variant.h).
 */
#include "variant.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "compress.h"
#include "encoding.h"
#include "log.h"

/* What the client's Accept-Encoding fields say (every one of them). */
static void accept_of(const struct request *req, struct accept_enc *a)
{
	accept_enc_init(a);
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct header *h = &req->headers[i];
		if (token_eq(h->name.p, h->name.len, "Accept-Encoding"))
			accept_enc_add(a, h->value.p, h->value.len);
	}
}

static bool not_older(const struct stat *sst, const struct fc_entry *e)
{
	return sst->st_mtim.tv_sec > e->mtime.tv_sec ||
	       (sst->st_mtim.tv_sec == e->mtime.tv_sec &&
		sst->st_mtim.tv_nsec >= e->mtime.tv_nsec);
}

/*
 * FILE.gz / FILE.br beside e's file, regular and not older than it: its
 * fd (blocking) and stat, or -1.
 */
static int open_sibling(const char *root, const struct fc_entry *e,
			enum coding c, struct stat *sst)
{
	char rel[FC_NAME_MAX + 4];
	const char *ext = c == CODING_BR ? ".br" : ".gz";
	size_t n = strlen(e->rel);
	bool owned = false;
	int rootfd, fd;

	if (n == 0 || n + 4 > sizeof(rel))
		return -1;
	memcpy(rel, e->rel, n);
	memcpy(rel + n, ext, 4);
	rootfd = beneath_root(root, &owned);
	if (rootfd < 0)
		return -1;
	fd = beneath_open(rootfd, rel);
	if (owned)
		close(rootfd);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR && errno != EXDEV &&
		    errno != ELOOP && errno != EACCES)
			log_errno(LOG_WARN, "open %s/%s", root, rel);
		return -1;
	}
	if (fstat(fd, sst) < 0 || !S_ISREG(sst->st_mode) || !not_older(sst, e) ||
	    fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole content of e, to compress: e->data, or read from e->fd. */
static const char *source_of(const struct fc_entry *e, char **owned)
{
	size_t size = (size_t)e->size, got = 0;
	char *buf;

	*owned = NULL;
	if (e->data != NULL)
		return e->data;
	if (e->fd < 0 || (buf = malloc(size)) == NULL)
		return NULL;
	while (got < size) {
		ssize_t r = pread(e->fd, buf + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				log_errno(LOG_WARN, "pread(%s)", e->path);
			free(buf);
			return NULL; /* shorter than its stat: changed */
		}
		got += (size_t)r;
	}
	*owned = buf;
	return buf;
}

/* Compress e with c and keep the result (or that there is none). */
static const struct fc_entry *make(const char *root, const char *path,
				   size_t len, enum coding c,
				   const struct fc_entry *e, time_t now)
{
	const struct fc_entry *v;
	char *owned = NULL, *out = NULL;
	const char *src;
	size_t n = 0;

	if ((uint64_t)e->size <= VARIANT_SOURCE_MAX &&
	    (src = source_of(e, &owned)) != NULL) {
		if (compress_buf(c, src, (size_t)e->size, &out, &n) != 0)
			out = NULL;
		free(owned);
	}
	v = filecache_put_variant(root, path, len, c, e, -1, NULL, out,
				  out != NULL ? n : 0, now);
	if (v == NULL)
		free(out);
	return v;
}

/* The variant of e in coding c, found or made; NULL or none: identity. */
static const struct fc_entry *variant_of(const char *root, const char *path,
					 size_t len, enum coding c,
					 const struct fc_entry *e, time_t now)
{
	const struct fc_entry *v = filecache_get(root, path, len, c, now);
	struct stat sst;
	int fd;

	if (v != NULL)
		return v;
	fd = open_sibling(root, e, c, &sst);
	if (fd >= 0) {
		v = filecache_revalidate(root, path, len, c, e, &sst, now);
		if (v != NULL) {
			close(fd);
			return v;
		}
		v = filecache_put_variant(root, path, len, c, e, fd, &sst, NULL,
					  0, now);
		if (v == NULL)
			close(fd);
		return v;
	}
	v = filecache_revalidate(root, path, len, c, e, NULL, now);
	return v != NULL ? v : make(root, path, len, c, e, now);
}

const struct fc_entry *variant_pick(const struct request *req,
				    const struct compress_rule *rule,
				    const char *root, const char *path,
				    size_t len, const struct fc_entry *e,
				    time_t now)
{
	enum coding order[CODING_COUNT];
	struct accept_enc a;
	size_t n;

	if (e->size == 0)
		return NULL;
	accept_of(req, &a);
	n = accept_enc_choose(&a, rule->enc, rule->nenc, order);
	if (n == 0)
		return NULL;
	if ((uint64_t)e->size < rule->min_size && accept_enc_identity_ok(&a))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct fc_entry *v = variant_of(root, path, len, order[i],
						      e, now);
		if (v != NULL && !v->none)
			return v;
	}
	return NULL;
}
