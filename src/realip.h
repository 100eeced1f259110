/*
 * realip.h -- the client's address behind trusted reverse proxies.
 *
 * Pure: no I/O, no allocation.  Only a peer in trusted_proxies is believed:
 * anybody else can write any X-Forwarded-For they like.
 */
#ifndef PH_REALIP_H
#define PH_REALIP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "request.h"
#include "util.h"

/*
 * When peer lies in one of the ntrusted blocks, find the client address in
 * the request and store it in *out (family and address; port 0), returning
 * true.  Returns false, leaving *out untouched, when the peer's own address
 * is the one to use.
 *
 * The hops are taken from every X-Forwarded-For field, in order, as one
 * comma-separated list ("client, proxy1, proxy2"); only when there is none
 * (or they are all empty), from the "for=" parameters of the Forwarded
 * fields (RFC 7239).  The list is walked from the right, skipping hops that
 * are themselves trusted; the first untrusted one is the client.  When every
 * hop is trusted, the leftmost is.  An entry that is not an IP address
 * ("unknown", an obfuscated identifier, a malformed field) met on that walk
 * stops it with false: the chain cannot be followed any further.
 *
 * Accepted entries: 192.0.2.1, 192.0.2.1:port, 2001:db8::1 (X-Forwarded-For
 * only), [2001:db8::1], [2001:db8::1]:port; in Forwarded also quoted, e.g.
 * for="[2001:db8::1]:4711".  Ports are ignored.
 */
bool realip_resolve(const struct request *req, const struct sockaddr *peer,
		    const struct cidr *trusted, size_t ntrusted,
		    struct sockaddr_storage *out);

#endif
