/*
 * encoding.h -- content-coding negotiation: what an Accept-Encoding allows
 * (RFC 9110 12.5.3), as pure functions over header values.
 *
 * Weights are kept in thousandths (q=0.5 is 500).  A coding the header
 * does not name gets the weight of "*" when there is one, else 0.  The
 * identity coding is acceptable unless "identity;q=0" says otherwise, or
 * "*;q=0" does without an entry for identity.
 */
#ifndef PH_ENCODING_H
#define PH_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct accept_enc {
	bool present;         /* an Accept-Encoding was sent */
	int q[CODING_COUNT];  /* -1: not named */
	int star;             /* -1: no "*" */
};

/* Start empty: no header seen. */
void accept_enc_init(struct accept_enc *a);

/*
 * Add one Accept-Encoding field value (call again for each field of a
 * request that sends several).  Unknown codings are ignored; an element
 * whose q is not a valid qvalue is ignored as a whole; "x-gzip" is gzip.
 */
void accept_enc_add(struct accept_enc *a, const char *v, size_t len);

/* The weight the client gives c, 0..1000 (identity: see above). */
int accept_enc_q(const struct accept_enc *a, enum coding c);

/* Whether the identity coding (no compression) is acceptable. */
bool accept_enc_identity_ok(const struct accept_enc *a);

/*
 * The codings of pref (the server's order) that the client accepts and
 * does not rank below identity, best first: by weight, then in the
 * server's order.  Without an Accept-Encoding, none.  Returns how many
 * were written to out (at most n).
 */
size_t accept_enc_choose(const struct accept_enc *a, const enum coding *pref,
			 size_t n, enum coding *out);

/* "gzip", "br", "identity". */
const char *coding_name(enum coding c);

/* The coding named (case-insensitive; "x-gzip" is gzip), or -1. */
int coding_of(const char *name, size_t len);

#endif
