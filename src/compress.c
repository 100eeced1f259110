/*
 * compress.c -- one-shot gzip and brotli, and the type check of a compress
 * rule (see compress.h).
 */
#include "compress.h"

#include <brotli/encode.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

const char *const compress_default_types[] = {
	"text/html",	   "text/css",	      "text/plain",
	"text/javascript", "text/xml",	      "application/javascript",
	"application/json", "application/xml", "image/svg+xml",
	"application/wasm",
};
const size_t compress_default_ntypes =
	sizeof(compress_default_types) / sizeof(compress_default_types[0]);

/* "text/html; charset=utf-8" -> length of "text/html" (OWS trimmed). */
static size_t media_len(const char *ctype)
{
	size_t n = strcspn(ctype, ";");

	while (n > 0 && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
		n--;
	return n;
}

static bool type_match(const char *pattern, const char *t, size_t tlen)
{
	size_t plen = strlen(pattern);

	if (plen >= 2 && pattern[plen - 1] == '*' && pattern[plen - 2] == '/')
		return tlen > plen - 1 && strncasecmp(pattern, t, plen - 1) == 0;
	return plen == tlen && strncasecmp(pattern, t, tlen) == 0;
}

bool compress_type_matches(const struct compress_rule *rule, const char *ctype)
{
	size_t tlen;

	if (rule == NULL || !rule->on || ctype == NULL)
		return false;
	tlen = media_len(ctype);
	for (size_t i = 0; i < rule->ntypes; i++)
		if (type_match(rule->types[i], ctype, tlen))
			return true;
	return false;
}

/* The largest input compressed here: zlib counts in uInt. */
#define INPUT_MAX ((size_t)UINT32_MAX / 2)

static int gzip_buf(const void *src, size_t n, char **out, size_t *outlen)
{
	z_stream z;
	uLong cap;
	char *buf;
	int rc;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper, not zlib's own */
	if (deflateInit2(&z, COMPRESS_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)n);
	buf = malloc(cap);
	if (buf == NULL) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = (size_t)z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

static int br_buf(const void *src, size_t n, char **out, size_t *outlen)
{
	int win = BROTLI_DEFAULT_WINDOW;
	size_t cap = BrotliEncoderMaxCompressedSize(n);
	char *buf;

	if (cap == 0 || (buf = malloc(cap)) == NULL)
		return -1;
	/* a window no larger than the input saves the client memory */
	while (win > BROTLI_MIN_WINDOW_BITS && ((size_t)1 << (win - 1)) >= n)
		win--;
	*outlen = cap;
	if (!BrotliEncoderCompress(COMPRESS_BR_QUALITY, win, BROTLI_MODE_GENERIC,
				   n, src, outlen, (uint8_t *)buf)) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

int compress_buf(enum coding c, const void *src, size_t n, char **out,
		 size_t *outlen)
{
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (n == 0 || n > INPUT_MAX)
		return -1;
	if (c == CODING_GZIP)
		rc = gzip_buf(src, n, out, outlen);
	else if (c == CODING_BR)
		rc = br_buf(src, n, out, outlen);
	if (rc == 0 && *outlen >= n) { /* nothing gained */
		free(*out);
		*out = NULL;
		rc = -1;
	}
	if (rc != 0)
		*outlen = 0;
	return rc;
}
