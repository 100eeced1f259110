/*
 * auth.h -- HTTP Basic authentication (RFC 7617) against an htpasswd file
 * with bcrypt ($2y$, $2b$, $2a$: `htpasswd -B`), sha-512-crypt ($6$) or
 * yescrypt ($y$) hashes, checked with libxcrypt's crypt_r.
 *
 * The decoded credentials live on the stack only while they are checked
 * and are wiped afterwards; they are never logged.  A user name that is
 * not in the file costs the same hash computation as one that is (with
 * the file's first hash), and hashes are compared in constant time, so
 * that the timing tells neither which names exist nor how much of a hash
 * matched.
 */
#ifndef PH_AUTH_H
#define PH_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "access.h"
#include "config.h"
#include "request.h"

/* The longest "user:password" accepted, decoded. */
#define AUTH_CREDENTIALS_MAX 1024

/*
 * Check the request's Authorization against a's users: 0 with the user
 * name in user, or -1 (no credentials, malformed, unknown, wrong).
 */
int auth_request(const struct access *a, const struct request *req,
		 char user[ACCESS_USER_MAX]);

/*
 * Decode an Authorization value "Basic <base64 of user:password>" into buf
 * (cap bytes): 0 with *user and *pass pointing into buf (NUL-terminated),
 * or -1 when it is not that (another scheme, bad base64, no ':', an empty
 * user, a NUL byte, too long).
 */
int auth_basic_parse(const char *v, size_t len, char *buf, size_t cap,
		     const char **user, const char **pass);

/* Whether pass is the password of user in a's users. */
bool auth_verify(const struct access *a, const char *user, const char *pass);

/*
 * Whether crypt_r can check hash and it is of a supported kind: NULL, or
 * what is wrong (for configuration messages).
 */
const char *auth_hash_check(const char *hash);

/* a == b, in a time that depends on their lengths only. */
bool auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
