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
 * Memory is bounded (entries, bytes per file, bytes in all).
 */
#ifndef PH_FILECACHE_H
#define PH_FILECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "range.h"
#include "util.h"

struct fc_entry {
	uint64_t hash;
	const char *root; /* the config's root string (identity is enough) */
	char path[256];   /* the request path it answers, NUL-terminated */
	size_t path_len;
	time_t checked;   /* second of the last validation */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int fd;           /* large files: kept open; -1 when data is held */
	char *data;       /* small files: the content */
	const char *ctype;
	char etag[ETAG_MAX];
	char last_modified[HTTP_DATE_LEN + 1];
};

/* The entry for (root, path) validated in second now, or NULL. */
const struct fc_entry *filecache_get(const char *root, const char *path,
				     size_t len, time_t now);

/*
 * Remember the regular file fd (stat st, name for the MIME type) as the
 * answer to (root, path).  On success the cache owns fd (it keeps or closes
 * it) and the entry is returned; NULL when the path cannot be cached (too
 * long, unreadable): the caller keeps fd.
 */
const struct fc_entry *filecache_put(const char *root, const char *path,
				     size_t len, int fd, const struct stat *st,
				     const char *name, time_t now);

/* Fill the validators and headers of e from st (name: for the MIME type). */
void filecache_describe(struct fc_entry *e, const struct stat *st,
			const char *name);

/* Close and free everything (tests). */
void filecache_clear(void);

#endif
