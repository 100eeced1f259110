/*
 * proxy.h -- the PROXY protocol, versions 1 and 2 (receiver side), as
 * specified in haproxy's doc/proxy-protocol.txt.
 *
 * A load balancer that speaks it sends one header before the first byte of
 * the client's data, naming the client's address as the balancer saw it.
 * proxy_parse() is pure: no I/O, no allocation, and it never reads beyond
 * len.  Call it with the bytes received so far, from the first byte of the
 * connection; on PROXY_NEED_MORE read more and call again with the whole
 * buffer.  The version is told from the first bytes ("PROXY " or the v2
 * signature), so garbage is rejected after at most 16 bytes.
 */
#ifndef PH_PROXY_H
#define PH_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum proxy_status {
	PROXY_NEED_MORE, /* a valid prefix so far: read more, call again */
	PROXY_OK,        /* *consumed bytes are the header; out is filled */
	PROXY_INVALID,   /* not a valid header: close without answering */
};

struct proxy_info {
	/*
	 * true: v2 LOCAL (a health check from the balancer itself), v1
	 * "PROXY UNKNOWN", or a family we do not relay (v2 UNSPEC, UNIX):
	 * keep the real peer address.  family is then AF_UNSPEC and src, dst
	 * are zeroed.
	 */
	bool local;
	int family;                   /* AF_INET or AF_INET6 when !local */
	struct sockaddr_storage src;  /* the client, with its port */
	struct sockaddr_storage dst;  /* the address the client connected to */
};

/* v1: "PROXY TCP6 <45> <45> 65535 65535\r\n" is bounded by the spec. */
#define PROXY_V1_MAX 107
/*
 * v2: 16 fixed bytes plus a 16-bit length, so up to 65551 bytes by the
 * wire format.  We accept at most PROXY_V2_MAX in total: the addresses
 * take 36 bytes at most for TCP (216 for UNIX), and the TLVs balancers
 * actually send (ALPN, authority, unique id of <= 128 bytes, the SSL
 * sub-TLVs, cloud endpoint ids) fit well within it.  A larger header would
 * have to be held in the connection buffer before the first request, so it
 * is rejected rather than allowed to eat into the request head's room.
 */
#define PROXY_V2_MAX 1024

/*
 * Parse the header at the start of buf.  On PROXY_OK, *consumed is the
 * header's length (the request starts right after it) and *out is filled;
 * on the other results neither is written.
 */
enum proxy_status proxy_parse(const char *buf, size_t len,
			      struct proxy_info *out, size_t *consumed);

/* The longest header proxy_parse() accepts (PROXY_V2_MAX). */
size_t proxy_max_header(void);

#endif
