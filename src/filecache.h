/*
 * filecache.h -- a per-worker cache of open files and small file contents.
 *
 * Serving the same file again within the same second costs no system call
 * at all: the entry keeps the validators and headers already formatted, and
 * either the bytes of a small file (sent with the head in one writev) or an
 * open descriptor of a large one (sent with sendfile).  An entry older than
 * a second is revalidated by the normal open + fstat; if the file is the
 * same (device, inode, size, mtime) the entry is kept, else refilled.  So a
 * file changed on disk is served in its new form one second later at most.
 *
 * Beside a file's own bytes (coding CODING_IDENTITY) an entry may hold a
 * compressed variant of it (variant.c): the content of a precompressed
 * sibling (FILE.gz, FILE.br), or bytes compressed by the worker, which are
 * kept while the file they were made from is unchanged.  Memory is
 * bounded: entries, bytes per small file, bytes of small files in all,
 * and bytes of compressed variants in all (FC_VARIANT_BYTES).
 */
#ifndef PH_FILECACHE_H
#define PH_FILECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "range.h"
#include "util.h"

#define FC_NAME_MAX 256
/* Compressed variants made by a worker, in all (see docs/static-files.md). */
#define FC_VARIANT_BYTES (32u << 20)

/* What a file was when an entry was made from it. */
struct fc_stat {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct fc_entry {
	uint64_t hash;
	const char *root; /* the config's root string (identity is enough) */
	char path[FC_NAME_MAX]; /* the request path it answers, NUL-terminated */
	size_t path_len;
	enum coding coding; /* of the content held */
	time_t checked;   /* second of the last validation */
	dev_t dev;        /* the file whose bytes are held (a sibling's own) */
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int fd;           /* large files: kept open; -1 when data is held */
	char *data;       /* small files and compressed variants: the content */
	const char *ctype;
	char etag[ETAG_MAX];
	char last_modified[HTTP_DATE_LEN + 1];
	/* identity: the name under the root of the file served (an index
	 * file's for a directory), for its siblings */
	char rel[FC_NAME_MAX];
	/* variants: the file they were made from; none: there is no variant
	 * to send (identity goes out); sibling: held from FILE.gz/.br */
	struct fc_stat src;
	bool none;
	bool sibling;
	bool made;        /* data compressed by the worker (FC_VARIANT_BYTES) */
};

/* The entry for (root, path, coding) validated in second now, or NULL. */
const struct fc_entry *filecache_get(const char *root, const char *path,
				     size_t len, enum coding coding,
				     time_t now);

/*
 * Remember the regular file fd (stat st, name rel under the root, type
 * ctype) as the answer to (root, path).  On success the cache owns fd (it
 * keeps or closes it) and the entry is returned; NULL when the path cannot
 * be cached (too long, unreadable): the caller keeps fd.
 */
const struct fc_entry *filecache_put(const char *root, const char *path,
				     size_t len, int fd, const struct stat *st,
				     const char *rel, const char *ctype,
				     time_t now);

/* Fill the validators and headers of e from st. */
void filecache_describe(struct fc_entry *e, const struct stat *st,
			const char *ctype);

/* The stat of e's file, as a variant's source. */
void filecache_src(const struct fc_entry *e, struct fc_stat *out);

/*
 * A variant of src (an identity entry) in coding, for (root, path).  The
 * entry is kept: when it was made from the same source (and, for a
 * sibling, the same sibling) it is only marked valid for now.  Give one of:
 *   sibling fd with its stat sst: the cache owns fd as filecache_put does;
 *   data (malloc'd, n bytes): the cache owns it, counted in
 *     FC_VARIANT_BYTES (the stalest made variants go to make room);
 *   neither (fd < 0, data NULL): no variant: identity is to be sent.
 * src is never evicted by this call.  NULL when nothing could be stored
 * (the caller keeps fd and data).
 */
const struct fc_entry *filecache_put_variant(const char *root, const char *path,
					     size_t len, enum coding coding,
					     const struct fc_entry *src, int fd,
					     const struct stat *sst, char *data,
					     size_t n, time_t now);

/*
 * The variant entry for (root, path, coding) whatever its age, when it was
 * made from src and (for a sibling) from a sibling like sst (NULL: not a
 * sibling): then it is marked valid for now and returned.  Else NULL.
 */
const struct fc_entry *filecache_revalidate(const char *root, const char *path,
					    size_t len, enum coding coding,
					    const struct fc_entry *src,
					    const struct stat *sst, time_t now);

/* Bytes held by made variants (FC_VARIANT_BYTES at most). */
size_t filecache_variant_bytes(void);

/* Close and free everything (tests). */
void filecache_clear(void);

#endif
