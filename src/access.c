/*
 * access.c -- address rules and the admission of a request (see access.h).
 */
#include "access.h"

#include <string.h>

#include "auth.h"

bool access_addr_ok(const struct access *a, const struct sockaddr *sa)
{
	for (size_t i = 0; i < a->nrules; i++)
		if (cidr_match_any(&a->rules[i].net, 1, sa))
			return a->rules[i].allow;
	return a->default_allow;
}

/* Whether block outer holds every address of block inner. */
static bool covers(const struct cidr *outer, const struct cidr *inner)
{
	unsigned bits = outer->prefix, full = bits / 8, rest = bits % 8;

	if (outer->family != inner->family || outer->prefix > inner->prefix)
		return false;
	if (memcmp(outer->addr, inner->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((outer->addr[full] ^ inner->addr[full]) &
		(uint8_t)(0xff << (8 - rest))) == 0;
}

long access_shadowed(const struct access_rule *rules, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (covers(&rules[j].net, &rules[i].net))
			return (long)j;
	return -1;
}

int access_check(const struct access *a, const struct request *req,
		 const struct sockaddr *peer, struct response *res,
		 char user[ACCESS_USER_MAX])
{
	user[0] = '\0';
	if (!access_addr_ok(a, peer)) {
		response_error(res, 403);
		return 403;
	}
	if (a->realm == NULL)
		return 0;
	if (auth_request(a, req, user) == 0)
		return 0;
	user[0] = '\0';
	response_error(res, 401);
	response_header(res, "WWW-Authenticate", a->challenge);
	return 401;
}
