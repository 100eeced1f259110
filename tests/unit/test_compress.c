/*
 * test_compress.c -- gzip and brotli of a buffer decode to the input; the
 * types a rule covers.
 */
#include <criterion/criterion.h>
#include <brotli/decode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "compress.h"

static char *text(size_t n)
{
	static const char *words[] = { "<p>", "static", "site ", "</p>\n",
				       "compress ", "prefork " };
	char *t = malloc(n);
	size_t i = 0, w = 0;

	cr_assert_not_null(t);
	while (i < n) {
		const char *s = words[(w++ * 7) % 6];
		size_t l = strlen(s);
		if (l > n - i)
			l = n - i;
		memcpy(t + i, s, l);
		i += l;
	}
	return t;
}

static void gunzip_eq(const char *z, size_t zn, const char *want, size_t n)
{
	char *out = malloc(n + 16);
	z_stream s;

	cr_assert_not_null(out);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(inflateInit2(&s, 15 + 16), Z_OK); /* gzip only */
	s.next_in = (Bytef *)(uintptr_t)z;
	s.avail_in = (uInt)zn;
	s.next_out = (Bytef *)out;
	s.avail_out = (uInt)(n + 16);
	cr_assert_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
	cr_assert_eq(s.total_out, n);
	cr_expect_eq(memcmp(out, want, n), 0);
	inflateEnd(&s);
	free(out);
}

Test(compress, gzip_round_trip)
{
	size_t n = 200000, zn = 0;
	char *t = text(n), *z = NULL;

	cr_assert_eq(compress_buf(CODING_GZIP, t, n, &z, &zn), 0);
	cr_assert_not_null(z);
	cr_expect_lt(zn, n / 4);
	cr_expect_eq((unsigned char)z[0], 0x1f); /* a gzip member */
	cr_expect_eq((unsigned char)z[1], 0x8b);
	gunzip_eq(z, zn, t, n);
	free(z);
	free(t);
}

Test(compress, brotli_round_trip)
{
	size_t n = 70000, zn = 0, dn = n + 16;
	char *t = text(n), *z = NULL, *d = malloc(dn);

	cr_assert_eq(compress_buf(CODING_BR, t, n, &z, &zn), 0);
	cr_expect_lt(zn, n / 4);
	cr_assert_eq(BrotliDecoderDecompress(zn, (const uint8_t *)z, &dn,
					     (uint8_t *)d),
		     BROTLI_DECODER_RESULT_SUCCESS);
	cr_assert_eq(dn, n);
	cr_expect_eq(memcmp(d, t, n), 0);
	free(z);
	free(t);
	free(d);
}

Test(compress, nothing_gained_nothing_kept)
{
	size_t n = 4096, zn = 123;
	char *r = malloc(n), *z = (char *)1;
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < n; i++) { /* xorshift: incompressible */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		r[i] = (char)x;
	}
	cr_expect_eq(compress_buf(CODING_GZIP, r, n, &z, &zn), -1);
	cr_expect_null(z);
	cr_expect_eq(zn, 0);
	cr_expect_eq(compress_buf(CODING_BR, r, n, &z, &zn), -1);
	cr_expect_null(z);
	cr_expect_eq(compress_buf(CODING_GZIP, "", 0, &z, &zn), -1);
	cr_expect_eq(compress_buf(CODING_IDENTITY, "aaaaaaaaaaaaaaaaaaaaaaaa", 24,
				  &z, &zn), -1);
	free(r);
}

Test(compress, types)
{
	static const char *types[] = { "text/html", "application/json",
				       "image/*" };
	struct compress_rule r = { .on = true, .types = types, .ntypes = 3 };

	cr_expect(compress_type_matches(&r, "text/html; charset=utf-8"));
	cr_expect(compress_type_matches(&r, "Text/HTML"));
	cr_expect(compress_type_matches(&r, "application/json ;charset=utf-8"));
	cr_expect(compress_type_matches(&r, "image/svg+xml"));
	cr_expect(!compress_type_matches(&r, "image/"));
	cr_expect(!compress_type_matches(&r, "text/css"));
	cr_expect(!compress_type_matches(&r, "text/htmlx"));
	cr_expect(!compress_type_matches(&r, "application/octet-stream"));
	r.on = false;
	cr_expect(!compress_type_matches(&r, "text/html"));
	cr_expect(!compress_type_matches(NULL, "text/html"));
	r.on = true;
	r.ntypes = 0;
	cr_expect(!compress_type_matches(&r, "text/html"));
}
