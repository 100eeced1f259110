/*
 * fuzz_proxy.c -- libFuzzer harness for the PROXY protocol parser
 * (proxy_parse() in src/proxy.c).
 *
 * The input is the start of a connection.  The buffer is exactly as large
 * as the input, and for every prefix length that is parsed the bytes past
 * it are poisoned, so that reading at or beyond len is an ASan report.
 *
 * Invariants: on PROXY_OK, consumed <= len, consumed is at most
 * PROXY_V1_MAX (v1) or proxy_max_header() (v2), and every shorter prefix
 * is PROXY_NEED_MORE (never OK, never INVALID: a prefix of a valid header
 * is not garbage); the same header answers the same with the request
 * bytes that follow it cut off; the address is consistent (local: AF_UNSPEC;
 * otherwise AF_INET or AF_INET6 in family, src and dst).  On NEED_MORE,
 * every shorter prefix is NEED_MORE too and len is below the maximum
 * header size.  Once a prefix is INVALID, every longer one is.
 */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

static enum proxy_status parse_prefix(const char *buf, size_t total,
				      size_t len, struct proxy_info *out,
				      size_t *consumed)
{
	enum proxy_status st;

	if (len < total)
		ASAN_POISON_MEMORY_REGION(buf + len, total - len);
	st = proxy_parse(buf, len, out, consumed);
	ASAN_UNPOISON_MEMORY_REGION(buf, total);
	CHECK(st == PROXY_NEED_MORE || st == PROXY_OK || st == PROXY_INVALID);
	return st;
}

static void check_info(const struct proxy_info *pi)
{
	if (pi->local) {
		CHECK(pi->family == AF_UNSPEC);
		return;
	}
	CHECK(pi->family == AF_INET || pi->family == AF_INET6);
	CHECK(pi->src.ss_family == pi->family);
	CHECK(pi->dst.ss_family == pi->family);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = proxy_max_header(), consumed = 0, c2 = 0, len, limit;
	struct proxy_info pi, pi2;
	enum proxy_status st, full;
	bool invalid_seen = false;
	char *buf;

	buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	full = parse_prefix(buf, size, size, &pi, &consumed);
	if (full == PROXY_OK) {
		CHECK(consumed > 0 && consumed <= size && consumed <= max);
		if (size > 0 && buf[0] == 'P')
			CHECK(consumed <= PROXY_V1_MAX);
		check_info(&pi);
		/* The header alone, without what follows it. */
		CHECK(parse_prefix(buf, size, consumed, &pi2, &c2) == PROXY_OK);
		CHECK(c2 == consumed);
		CHECK(pi2.local == pi.local && pi2.family == pi.family);
		CHECK(memcmp(&pi2.src, &pi.src, sizeof(pi.src)) == 0);
		CHECK(memcmp(&pi2.dst, &pi.dst, sizeof(pi.dst)) == 0);
	} else if (full == PROXY_NEED_MORE) {
		CHECK(size < max);
	}

	/* Every prefix, up to the header (or what decides the outcome). */
	limit = full == PROXY_OK ? consumed : size;
	if (limit > max + 1)
		limit = max + 1;
	for (len = 0; len < limit; len++) {
		size_t c = 0;
		st = parse_prefix(buf, size, len, &pi2, &c);
		if (full == PROXY_OK || full == PROXY_NEED_MORE) {
			CHECK(st == PROXY_NEED_MORE);
		} else if (st == PROXY_OK) {
			/* A complete header followed by bytes that are not
			 * allowed: cannot be, OK is decided by the header. */
			CHECK(0);
		}
		if (st == PROXY_INVALID)
			invalid_seen = true;
		else
			CHECK(!invalid_seen);
	}
	free(buf);
	return 0;
}
