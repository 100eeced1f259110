/*
 * variant.h -- the compressed variant of a static file a request gets.
 *
 * For a file a compress rule covers, the codings the client accepts are
 * tried in its order of preference (then the rule's).  For each: a
 * precompressed sibling (FILE.br, FILE.gz beside FILE, regular and not
 * older than it), else the file compressed by the worker (zlib, brotli)
 * once per version of the file and kept in the file cache.  A file larger
 * than VARIANT_SOURCE_MAX is only ever sent from a sibling; one smaller
 * than the rule's min_size is sent as it is, unless the client refuses
 * identity.  What was found (or that nothing can be made) is remembered
 * in the file cache and checked again at most once a second.
 */
#ifndef PH_VARIANT_H
#define PH_VARIANT_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "filecache.h"
#include "request.h"

/* The largest file compressed on the fly. */
#define VARIANT_SOURCE_MAX (8u << 20)

/*
 * The variant of e (the identity entry of (root, path), valid in second
 * now) to send for req under rule, or NULL to send e itself.
 */
const struct fc_entry *variant_pick(const struct request *req,
				    const struct compress_rule *rule,
				    const char *root, const char *path,
				    size_t len, const struct fc_entry *e,
				    time_t now);

#endif
