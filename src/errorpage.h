/*
 * errorpage.h -- the operator's pages for the server's own errors.
 *
 * error_pages maps a status (404) or a class ("5xx") to a file.  When the
 * server itself answers an error (response_error: the request refused,
 * a missing file, a CGI that failed, a limit passed), the page of the
 * route, else of the host, else of the top level replaces the built-in
 * body; the status and the other headers (Allow, WWW-Authenticate,
 * Content-Range) stay.  An exact status wins over a class at each level.
 * Pages are read through the worker's file cache.  Bodies a CGI script or
 * a module wrote themselves are never replaced.
 */
#ifndef PH_ERRORPAGE_H
#define PH_ERRORPAGE_H

#include "config.h"
#include "response.h"

/* An error_pages key: "404" gives 404, "4xx" 4 and "5xx" 5; -1 otherwise. */
int errorpage_key(const char *s);

/* The page for status in list, or NULL: the exact status, else its class. */
const struct error_page *errorpage_find(const struct error_pages *list,
					int status);

/*
 * The page for status at the most specific level that has one: route,
 * host, top level (either of the first two may be NULL).
 */
const struct error_page *errorpage_for(const struct config *cfg,
				       const struct vhost *host,
				       const struct route *route, int status);

/*
 * If r holds the server's built-in page for an error and a page is
 * configured for it, put that page in its place.  When the page cannot be
 * read the built-in one stays (and the error log says why); so it does
 * when file_ok is false and the page is not held in memory.
 */
void errorpage_apply(struct response *r, const struct config *cfg,
		     const struct vhost *host, const struct route *route,
		     bool file_ok);

#endif
