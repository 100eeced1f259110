/*
 * range.h -- RFC 9110 conditional requests and byte ranges, as pure
 * functions over header values (see static.c for their use).
 */
#ifndef PH_RANGE_H
#define PH_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "request.h"

enum range_result {
	RANGE_NONE,          /* no usable Range: serve the whole file (200) */
	RANGE_OK,            /* one satisfiable range: 206 */
	RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes * / size */
};

/*
 * Parse a Range value against a representation of size bytes.  Accepts
 * "bytes=first-last", "bytes=first-", "bytes=-suffix".  Several ranges, an
 * unknown unit or a syntax error give RANGE_NONE (the full body).
 */
enum range_result range_parse(const char *v, size_t len, uint64_t size,
			      uint64_t *first, uint64_t *last);

/* Strong validator "\"ino-size-mtime\"" (hex), NUL-terminated; returns length. */
#define ETAG_MAX 64
size_t etag_make(char out[ETAG_MAX], uint64_t ino, uint64_t size,
		 int64_t mtime_sec, long mtime_nsec);

/*
 * Evaluate the preconditions of RFC 9110 13.2.2 for a GET/HEAD of a file
 * with this etag and mtime: returns 0 (go on), 304 or 412.
 */
int cond_evaluate(const struct request *req, const char *etag, time_t mtime);

/* If-Range: true when the range may be honoured (absent, or matches). */
bool if_range_ok(const struct request *req, const char *etag, time_t mtime);

#endif
