/*
 * access.h -- who may use a route: address rules, then HTTP Basic
 * authentication (auth.c).
 *
 * The client is the address after the PROXY header and trusted proxies.
 * Rules are tried in file order and the first block that holds the client
 * decides (allow or deny); when none does, the client is refused if any
 * allow rule exists, else let through.  A client refused by address gets
 * 403.  Then, when the route has auth, a request without valid
 * credentials gets 401 with WWW-Authenticate.
 */
#ifndef PH_ACCESS_H
#define PH_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "request.h"
#include "response.h"

#define ACCESS_USER_MAX 256

/* Whether the address rules let sa through. */
bool access_addr_ok(const struct access *a, const struct sockaddr *sa);

/*
 * For the configuration: the index of an earlier rule that holds every
 * address of rule i (so rule i can never match), or -1.
 */
long access_shadowed(const struct access_rule *rules, size_t i);

/*
 * Admit a request: 0 (user gets the authenticated user name, or "" when
 * the route has no auth), or the status answered in res (403, or 401 with
 * WWW-Authenticate).
 */
int access_check(const struct access *a, const struct request *req,
		 const struct sockaddr *peer, struct response *res,
		 char user[ACCESS_USER_MAX]);

#endif
