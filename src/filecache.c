/*
 * filecache.c -- per-worker open file and small content cache (see
 * filecache.h).  A small open-addressed table: an entry lives in one of
 * FC_PROBE slots after its hash; when all are taken, the one validated
 * longest ago is evicted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filecache.h"
#include "log.h"
#include "mime.h"

#define FC_ENTRIES 128 /* a power of two */
#define FC_PROBE 4
#define FC_SMALL (32 * 1024)   /* files up to this size are held in memory */
#define FC_BYTES (1024 * 1024) /* ... up to this much in all */

static struct fc_entry table[FC_ENTRIES];
static size_t bytes_held;

static uint64_t fc_hash(const char *root, const char *path, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)root;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)path[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static bool fc_match(const struct fc_entry *e, uint64_t h, const char *root,
		     const char *path, size_t len)
{
	return e->root == root && e->hash == h && e->path_len == len &&
	       memcmp(e->path, path, len) == 0;
}

static void fc_drop(struct fc_entry *e)
{
	if (e->root != NULL && e->fd >= 0 && close(e->fd) < 0)
		log_errno(LOG_WARN, "close(cached %s)", e->path);
	if (e->data != NULL) {
		bytes_held -= (size_t)e->size;
		free(e->data);
	}
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

const struct fc_entry *filecache_get(const char *root, const char *path,
				     size_t len, time_t now)
{
	uint64_t h = fc_hash(root, path, len);

	for (size_t i = 0; i < FC_PROBE; i++) {
		const struct fc_entry *e = &table[(h + i) & (FC_ENTRIES - 1)];
		if (fc_match(e, h, root, path, len))
			return e->checked == now ? e : NULL;
	}
	return NULL;
}

/* The slot for the key: its own, a free one, or the stalest to evict. */
static struct fc_entry *fc_slot(uint64_t h, const char *root, const char *path,
				size_t len)
{
	struct fc_entry *victim = NULL;

	for (size_t i = 0; i < FC_PROBE; i++) {
		struct fc_entry *e = &table[(h + i) & (FC_ENTRIES - 1)];
		if (fc_match(e, h, root, path, len))
			return e;
		if (e->root == NULL)
			victim = victim && victim->root == NULL ? victim : e;
		else if (victim == NULL ||
			 (victim->root != NULL && e->checked < victim->checked))
			victim = e;
	}
	return victim;
}

static bool same_file(const struct fc_entry *e, const struct stat *st)
{
	return e->root != NULL && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Read the whole small file into e->data; false when it changed meanwhile. */
static bool fc_load(struct fc_entry *e, int fd)
{
	size_t size = (size_t)e->size, got = 0;

	e->data = malloc(size ? size : 1);
	if (e->data == NULL)
		return false;
	while (got < size) {
		ssize_t n = pread(fd, e->data + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				log_errno(LOG_WARN, "pread(%s)", e->path);
			free(e->data);
			e->data = NULL;
			return false;
		}
		got += (size_t)n;
	}
	bytes_held += size;
	return true;
}

void filecache_describe(struct fc_entry *e, const struct stat *st,
			const char *name)
{
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctype = mime_type(name, strlen(name));
	etag_make(e->etag, (uint64_t)st->st_ino, (uint64_t)st->st_size,
		  (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	http_date_fmt(st->st_mtim.tv_sec, e->last_modified);
}

const struct fc_entry *filecache_put(const char *root, const char *path,
				     size_t len, int fd, const struct stat *st,
				     const char *name, time_t now)
{
	uint64_t h = fc_hash(root, path, len);
	struct fc_entry *e;

	if (len >= sizeof(e->path))
		return NULL;
	e = fc_slot(h, root, path, len);
	if (same_file(e, st) && fc_match(e, h, root, path, len)) {
		e->checked = now;
		close(fd);
		return e;
	}
	fc_drop(e);
	e->hash = h;
	e->root = root;
	memcpy(e->path, path, len);
	e->path[len] = '\0';
	e->path_len = len;
	e->checked = now;
	filecache_describe(e, st, name);
	if (st->st_size <= FC_SMALL && bytes_held + (size_t)st->st_size <= FC_BYTES) {
		if (!fc_load(e, fd)) {
			fc_drop(e);
			return NULL;
		}
		close(fd);
	} else {
		e->fd = fd;
	}
	return e;
}

void filecache_clear(void)
{
	for (size_t i = 0; i < FC_ENTRIES; i++)
		if (table[i].root != NULL)
			fc_drop(&table[i]);
}
