/*
 * vhost.h -- which host block serves a request, by its Host.
 *
 * The Host (or the authority of an absolute-form target) loses its port
 * and one trailing dot, and is compared without regard to case: first
 * with every exact name of every block, then with the wildcards
 * ("*.example.com" matches any name that ends in ".example.com", not
 * "example.com" itself), the longest wildcard winning.  No match: NULL,
 * and the top-level settings serve.
 */
#ifndef PH_VHOST_H
#define PH_VHOST_H

#include <stddef.h>

#include "config.h"

const struct vhost *vhost_select(const struct vhost *hosts, size_t n,
				 const char *host, size_t len);

/*
 * Check a configured name and write its stored form to out (lower case;
 * "*.example.com" becomes ".example.com").  NULL when it is fine, else
 * what is wrong with it.
 */
const char *vhost_name_check(const char *name, char *out, size_t cap);

#endif
