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

#define FC_ENTRIES 128 /* a power of two */
#define FC_PROBE 4
#define FC_SMALL (32 * 1024)   /* files up to this size are held in memory */
#define FC_BYTES (1024 * 1024) /* ... up to this much in all */

static struct fc_entry table[FC_ENTRIES];
static size_t bytes_held;   /* small files' bytes */
static size_t variant_held; /* made variants' bytes */

static uint64_t fc_hash(const char *root, const char *path, size_t len,
			enum coding coding)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)root;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)path[i];
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)coding;
	h *= 1099511628211ULL;
	return h;
}

static bool fc_match(const struct fc_entry *e, uint64_t h, const char *root,
		     const char *path, size_t len, enum coding coding)
{
	return e->root == root && e->hash == h && e->coding == coding &&
	       e->path_len == len && memcmp(e->path, path, len) == 0;
}

static void fc_drop(struct fc_entry *e)
{
	if (e->root != NULL && e->fd >= 0 && close(e->fd) < 0)
		log_errno(LOG_WARN, "close(cached %s)", e->path);
	if (e->data != NULL) {
		if (e->made)
			variant_held -= (size_t)e->size;
		else
			bytes_held -= (size_t)e->size;
		free(e->data);
	}
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

const struct fc_entry *filecache_get(const char *root, const char *path,
				     size_t len, enum coding coding, time_t now)
{
	uint64_t h = fc_hash(root, path, len, coding);

	for (size_t i = 0; i < FC_PROBE; i++) {
		const struct fc_entry *e = &table[(h + i) & (FC_ENTRIES - 1)];
		if (fc_match(e, h, root, path, len, coding))
			return e->checked == now ? e : NULL;
	}
	return NULL;
}

static struct fc_entry *fc_find(uint64_t h, const char *root, const char *path,
				size_t len, enum coding coding)
{
	for (size_t i = 0; i < FC_PROBE; i++) {
		struct fc_entry *e = &table[(h + i) & (FC_ENTRIES - 1)];
		if (fc_match(e, h, root, path, len, coding))
			return e;
	}
	return NULL;
}

/* The slot for the key: its own, a free one, or the stalest to evict
 * (never keep). */
static struct fc_entry *fc_slot(uint64_t h, const char *root, const char *path,
				size_t len, enum coding coding,
				const struct fc_entry *keep)
{
	struct fc_entry *victim = NULL, *own = fc_find(h, root, path, len, coding);

	if (own != NULL)
		return own;
	for (size_t i = 0; i < FC_PROBE; i++) {
		struct fc_entry *e = &table[(h + i) & (FC_ENTRIES - 1)];
		if (e == keep)
			continue;
		if (e->root == NULL)
			victim = victim && victim->root == NULL ? victim : e;
		else if (victim == NULL ||
			 (victim->root != NULL && e->checked < victim->checked))
			victim = e;
	}
	return victim;
}

static bool same_stat(const struct fc_stat *a, const struct stat *st)
{
	return a->dev == st->st_dev && a->ino == st->st_ino &&
	       a->size == st->st_size && a->mtime.tv_sec == st->st_mtim.tv_sec &&
	       a->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

void filecache_src(const struct fc_entry *e, struct fc_stat *out)
{
	out->dev = e->dev;
	out->ino = e->ino;
	out->size = e->size;
	out->mtime = e->mtime;
}

static bool same_file(const struct fc_entry *e, const struct stat *st)
{
	struct fc_stat s;

	filecache_src(e, &s);
	return e->root != NULL && same_stat(&s, st);
}

static bool same_src(const struct fc_stat *a, const struct fc_stat *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
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
			const char *ctype)
{
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctype = ctype;
	etag_make(e->etag, (uint64_t)st->st_ino, (uint64_t)st->st_size,
		  (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	http_date_fmt(st->st_mtim.tv_sec, e->last_modified);
}

/* Claim the slot e for the key, emptied. */
static void fc_claim(struct fc_entry *e, uint64_t h, const char *root,
		     const char *path, size_t len, enum coding coding,
		     time_t now)
{
	fc_drop(e);
	e->hash = h;
	e->root = root;
	memcpy(e->path, path, len);
	e->path[len] = '\0';
	e->path_len = len;
	e->coding = coding;
	e->checked = now;
}

/* Hold fd's content (small) or fd itself (large); false: e is dropped. */
static bool fc_fill(struct fc_entry *e, int fd, const struct stat *st)
{
	if (st->st_size <= FC_SMALL && bytes_held + (size_t)st->st_size <= FC_BYTES) {
		if (!fc_load(e, fd)) {
			fc_drop(e);
			return false;
		}
		close(fd);
	} else {
		e->fd = fd;
	}
	return true;
}

const struct fc_entry *filecache_put(const char *root, const char *path,
				     size_t len, int fd, const struct stat *st,
				     const char *rel, const char *ctype,
				     time_t now)
{
	uint64_t h = fc_hash(root, path, len, CODING_IDENTITY);
	size_t rlen = strlen(rel);
	struct fc_entry *e;

	if (len >= sizeof(e->path) || rlen >= sizeof(e->rel))
		return NULL;
	e = fc_slot(h, root, path, len, CODING_IDENTITY, NULL);
	if (same_file(e, st) && fc_match(e, h, root, path, len, CODING_IDENTITY) &&
	    strcmp(e->rel, rel) == 0 && e->ctype == ctype) {
		e->checked = now;
		close(fd);
		return e;
	}
	fc_claim(e, h, root, path, len, CODING_IDENTITY, now);
	filecache_describe(e, st, ctype);
	memcpy(e->rel, rel, rlen + 1);
	return fc_fill(e, fd, st) ? e : NULL;
}

/* Drop the stalest made variants (not keep) until need more bytes fit. */
static bool make_room(size_t need, const struct fc_entry *keep)
{
	while (variant_held + need > FC_VARIANT_BYTES) {
		struct fc_entry *old = NULL;

		for (size_t i = 0; i < FC_ENTRIES; i++) {
			struct fc_entry *e = &table[i];
			if (e->root != NULL && e->made && e != keep &&
			    (old == NULL || e->checked < old->checked))
				old = e;
		}
		if (old == NULL)
			return false;
		fc_drop(old);
	}
	return true;
}

/* The variant's validators: its own ETag per coding, the source's date. */
static void describe_variant(struct fc_entry *e, const struct fc_entry *src,
			     const struct stat *sst, size_t n)
{
	const struct stat *own = sst;
	struct stat st;
	size_t el;

	if (own == NULL) { /* made here: the source's identity */
		memset(&st, 0, sizeof(st));
		st.st_dev = src->dev;
		st.st_ino = src->ino;
		st.st_size = src->size;
		st.st_mtim = src->mtime;
		own = &st;
	}
	filecache_describe(e, own, src->ctype);
	e->size = (off_t)n;
	/* "...-gz" / "...-br": a strong validator of its own per coding */
	el = strlen(e->etag);
	if (el >= 2 && el + 4 < sizeof(e->etag)) {
		const char *suffix = e->coding == CODING_BR ? "-br\"" : "-gz\"";
		memcpy(e->etag + el - 1, suffix, 5);
	}
	filecache_src(src, &e->src);
}

const struct fc_entry *filecache_put_variant(const char *root, const char *path,
					     size_t len, enum coding coding,
					     const struct fc_entry *src, int fd,
					     const struct stat *sst, char *data,
					     size_t n, time_t now)
{
	uint64_t h = fc_hash(root, path, len, coding);
	struct fc_entry *e;

	if (len >= sizeof(e->path))
		return NULL;
	if (data != NULL && !make_room(n, src))
		return NULL;
	e = fc_slot(h, root, path, len, coding, src);
	if (e == NULL)
		return NULL;
	fc_claim(e, h, root, path, len, coding, now);
	if (fd >= 0) {
		describe_variant(e, src, sst, (size_t)sst->st_size);
		e->sibling = true;
		return fc_fill(e, fd, sst) ? e : NULL;
	}
	if (data != NULL) {
		describe_variant(e, src, NULL, n);
		e->data = data;
		e->made = true;
		variant_held += n;
		return e;
	}
	filecache_src(src, &e->src);
	e->none = true;
	return e;
}

const struct fc_entry *filecache_revalidate(const char *root, const char *path,
					    size_t len, enum coding coding,
					    const struct fc_entry *src,
					    const struct stat *sst, time_t now)
{
	uint64_t h = fc_hash(root, path, len, coding);
	struct fc_entry *e = fc_find(h, root, path, len, coding);
	struct fc_stat s, own;

	if (e == NULL)
		return NULL;
	filecache_src(src, &s);
	if (!same_src(&e->src, &s))
		return NULL;
	if (sst != NULL) {
		if (!e->sibling)
			return NULL;
		filecache_src(e, &own);
		own.size = e->size;
		if (!same_stat(&own, sst))
			return NULL;
	} else if (e->sibling) {
		return NULL;
	}
	e->checked = now;
	return e;
}

size_t filecache_variant_bytes(void)
{
	return variant_held;
}

void filecache_clear(void)
{
	for (size_t i = 0; i < FC_ENTRIES; i++)
		if (table[i].root != NULL)
			fc_drop(&table[i]);
}
