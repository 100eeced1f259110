/*
 * htpasswd.h -- the password file of HTTP Basic authentication, as
 * Apache's htpasswd writes it: one "user:hash" per line.
 *
 * Blank lines and lines starting with '#' are skipped; a CR before the
 * line end is dropped.  A user name is not empty and has no ':'; the hash
 * must be one auth_hash_check() accepts.  A name given twice is an error.
 */
#ifndef PH_HTPASSWD_H
#define PH_HTPASSWD_H

#include <stddef.h>

#include "config.h"

/* An upper bound of the users in text (its line count). */
size_t htpasswd_max_users(const char *text, size_t len);

typedef void (*htpasswd_err_fn)(void *arg, size_t line, const char *msg,
				const char *user);

/*
 * Parse text (len bytes followed by a NUL, changed in place: names and hashes are
 * NUL-terminated where they stand) into out (cap entries, pointing into
 * text).  Each bad line is reported through err (its 1-based number, what
 * is wrong, the user name or NULL) and left out.  Returns the users kept.
 */
size_t htpasswd_parse(char *text, size_t len, struct auth_user *out,
		      size_t cap, htpasswd_err_fn err, void *arg);

#endif
