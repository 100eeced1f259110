/*
 * path.h -- request paths: %-decoding and normalization that can never
 * leave the document root.  Pure string work; the file system side (openat2
 * with RESOLVE_BENEATH) lives in static.c.
 */
#ifndef PH_PATH_H
#define PH_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Decode raw (the %-encoded path of the request target) into out and
 * normalize it: collapse "//", drop "." segments, resolve ".." segments.
 * Returns 0 with out starting with '/' (a trailing '/' kept), or an HTTP
 * status: 400 for a malformed escape, a path not starting with '/', NUL or
 * other control bytes, or an encoded '/' or '\' ("%2f", "%5c"); 403 for a
 * ".." that would climb above the root; 414 when out is too small.
 * The asterisk-form target "*" (OPTIONS) is returned unchanged.
 */
int path_normalize(const char *raw, size_t len, char *out, size_t cap,
		   size_t *out_len);

/* True when a segment of path starts with '.' (other than /.well-known/). */
bool path_has_dotfile(const char *path, size_t len);

#endif
