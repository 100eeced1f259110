/*
 * autoindex.h -- directory listings for static routes with autoindex: true.
 */
#ifndef PH_AUTOINDEX_H
#define PH_AUTOINDEX_H

#include <stdbool.h>

#include "handler.h"

/* What static.c's lookup returns for "list this directory" (not a status). */
#define STATIC_LISTING 1

/* Whether x's route lists directories that have no index file. */
bool autoindex_enabled(const struct exchange *x);

/*
 * Answer with an HTML listing of the directory open as dirfd (consumed):
 * names sorted bytewise, HTML-escaped, %-encoded in the links; sizes and
 * modification times (UTC); dotfiles only with serve_dotfiles.  The page
 * is built in a per-process buffer of at most AUTOINDEX_MAX bytes; a
 * longer listing is cut between two entries (never inside one: the page
 * stays well-formed) and ends with a note saying how many were shown.
 */
void autoindex_serve(struct exchange *x, int dirfd);

#define AUTOINDEX_MAX (1024 * 1024)

/* Pure helpers, for tests: append to out (cap), return the new length. */
size_t autoindex_html_escape(char *out, size_t len, size_t cap,
			     const char *s, size_t n);
size_t autoindex_url_encode(char *out, size_t len, size_t cap,
			    const char *s, size_t n);

#endif
