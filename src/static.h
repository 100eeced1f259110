/*
 * static.h -- the static file handler: a path under a root, index files,
 * directory redirects, conditionals, ranges, MIME, sendfile.
 */
#ifndef PH_STATIC_H
#define PH_STATIC_H

#include "handler.h"

/*
 * Serve x->path (for a route: the part after its prefix) from the route's
 * root or cfg->root.  Files are opened with openat2(RESOLVE_BENEATH) under
 * the root, so neither ".." nor a symlink can lead outside it.
 */
void static_serve(struct exchange *x);

#endif
