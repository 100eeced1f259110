/*
 * compress.h -- gzip (zlib) and brotli (libbrotlienc) of a whole buffer,
 * and which files a compress rule covers.
 *
 * The server compresses a file once per version and keeps the result in
 * the worker's file cache (variant.c); these are the pure parts.
 */
#ifndef PH_COMPRESS_H
#define PH_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Levels used for compression on the fly (precompress for the best). */
#define COMPRESS_GZIP_LEVEL 6
#define COMPRESS_BR_QUALITY 5

/*
 * Whether rule covers a file of Content-Type ctype (parameters such as
 * "; charset=utf-8" are ignored; case does not matter).
 */
bool compress_type_matches(const struct compress_rule *rule, const char *ctype);

/*
 * src[0..n) encoded with c (CODING_GZIP or CODING_BR) into a new malloc'd
 * buffer: 0 with *out and *outlen, or -1 when the library fails or the
 * result would not be smaller than the input (then there is nothing worth
 * keeping).  *out is NULL after -1.
 */
int compress_buf(enum coding c, const void *src, size_t n, char **out,
		 size_t *outlen);

/* The media types a compress rule covers when it names none. */
extern const char *const compress_default_types[];
extern const size_t compress_default_ntypes;

#endif
