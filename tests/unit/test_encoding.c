/*
 * test_encoding.c -- Accept-Encoding: weights, "*", identity, and the
 * order in which codings are offered.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "encoding.h"

static const enum coding br_gzip[] = { CODING_BR, CODING_GZIP };
static const enum coding gzip_br[] = { CODING_GZIP, CODING_BR };

static struct accept_enc parse(const char *v)
{
	struct accept_enc a;

	accept_enc_init(&a);
	if (v != NULL)
		accept_enc_add(&a, v, strlen(v));
	return a;
}

/* The codings chosen for header v (NULL: none sent) as "br,gzip". */
static const char *choose(const char *v, const enum coding *pref)
{
	static char out[64];
	struct accept_enc a = parse(v);
	enum coding c[CODING_COUNT];
	size_t n = accept_enc_choose(&a, pref, 2, c);

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, coding_name(c[i]));
	}
	return out;
}

Test(encoding, no_header_means_identity)
{
	cr_expect_str_eq(choose(NULL, br_gzip), "");
	cr_expect_str_eq(choose("", br_gzip), "");
	struct accept_enc a = parse(NULL);

	cr_expect(!a.present);
	cr_expect(accept_enc_identity_ok(&a));
}

Test(encoding, server_order_among_equals)
{
	cr_expect_str_eq(choose("gzip, br", br_gzip), "br,gzip");
	cr_expect_str_eq(choose("gzip, br", gzip_br), "gzip,br");
	cr_expect_str_eq(choose("gzip, deflate, br, zstd", br_gzip), "br,gzip");
}

Test(encoding, weights_first)
{
	cr_expect_str_eq(choose("gzip;q=0.9, br;q=0.5", br_gzip), "gzip,br");
	cr_expect_str_eq(choose("br;q=0.8, gzip;q=0.5", gzip_br), "br,gzip");
	cr_expect_str_eq(choose("gzip; q=0.001, br;Q=0.002", gzip_br), "br,gzip");
}

Test(encoding, zero_refuses)
{
	cr_expect_str_eq(choose("gzip, br;q=0", br_gzip), "gzip");
	cr_expect_str_eq(choose("br;q=0.000, gzip;q=0", br_gzip), "");
}

Test(encoding, only_what_the_server_offers)
{
	static const enum coding gz[] = { CODING_GZIP };
	struct accept_enc a = parse("br");
	enum coding c[CODING_COUNT];

	cr_expect_eq(accept_enc_choose(&a, gz, 1, c), 0);
	a = parse("deflate, zstd");
	cr_expect_eq(accept_enc_choose(&a, br_gzip, 2, c), 0);
}

Test(encoding, star)
{
	cr_expect_str_eq(choose("*", br_gzip), "br,gzip");
	cr_expect_str_eq(choose("*;q=0.5, gzip", br_gzip), "gzip,br");
	cr_expect_str_eq(choose("*;q=0.1, gzip;q=0", br_gzip), "br");
	cr_expect_str_eq(choose("*;q=0", br_gzip), "");
}

Test(encoding, identity_rules)
{
	struct accept_enc a = parse("gzip, identity;q=0");

	cr_expect(!accept_enc_identity_ok(&a));
	a = parse("*;q=0");
	cr_expect(!accept_enc_identity_ok(&a));
	a = parse("*;q=0, identity");
	cr_expect(accept_enc_identity_ok(&a));
	a = parse("gzip");
	cr_expect(accept_enc_identity_ok(&a));
	cr_expect_eq(accept_enc_q(&a, CODING_IDENTITY), 1000);
	cr_expect_eq(accept_enc_q(&a, CODING_BR), 0);
	/* identity preferred by weight: no coding beats it */
	cr_expect_str_eq(choose("gzip;q=0.5, identity", br_gzip), "");
	cr_expect_str_eq(choose("gzip;q=0.5, br, identity;q=0.7", br_gzip), "br");
	/* the same weight: the smaller answer wins */
	cr_expect_str_eq(choose("gzip, identity", br_gzip), "gzip");
}

Test(encoding, names)
{
	cr_expect_str_eq(choose("X-GZIP", br_gzip), "gzip");
	cr_expect_str_eq(choose("GZip, BR", br_gzip), "br,gzip");
	cr_expect_eq(coding_of("identity", 8), CODING_IDENTITY);
	cr_expect_eq(coding_of("brotli", 6), -1);
	cr_expect_str_eq(coding_name(CODING_GZIP), "gzip");
}

Test(encoding, malformed_elements_mean_nothing)
{
	cr_expect_str_eq(choose("gzip;q=2, br", br_gzip), "br");
	cr_expect_str_eq(choose("gzip;q=0.1234", br_gzip), "");
	cr_expect_str_eq(choose("gzip;q=1.001", br_gzip), "");
	cr_expect_str_eq(choose("gzip;q=, br;q=x", br_gzip), "");
	cr_expect_str_eq(choose(" , ,gzip ,", br_gzip), "gzip");
	cr_expect_str_eq(choose("gzip;level=9;q=0.5, br;q=0.4", br_gzip),
			 "gzip,br");
}

Test(encoding, several_fields_add_up)
{
	struct accept_enc a;
	enum coding c[CODING_COUNT];

	accept_enc_init(&a);
	accept_enc_add(&a, "gzip;q=0.2", 10);
	accept_enc_add(&a, "br", 2);
	cr_assert_eq(accept_enc_choose(&a, gzip_br, 2, c), 2);
	cr_expect_eq(c[0], CODING_BR);
	cr_expect_eq(c[1], CODING_GZIP);
}
