/*
 * chunked.h -- incremental decoder of the chunked transfer coding of a
 * request body (RFC 9112 section 7.1), strict to the grammar:
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *   chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 *   ext-name     = token;  ext-val = token / quoted-string
 *   trailer-section = *( field-line CRLF )
 *
 * Trailer field lines are held to the rules of head field lines: a token
 * name directly followed by ":", no obs-fold, no CR or LF other than the
 * CRLF ending the line, no control byte but HTAB in the value.  Extensions
 * and trailers are checked, then dropped.
 *
 * Bytes may arrive in any split: the decoder keeps its whole state between
 * calls and looks at each input byte once, so one byte at a time gives the
 * same result as everything at once.  No allocation, no I/O.
 */
#ifndef PH_CHUNKED_H
#define PH_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

/* Receives decoded body bytes (a span of the input). */
typedef void (*body_sink_fn)(void *arg, const char *p, size_t n);

enum chunked_result {
	CHUNKED_AGAIN, /* all input consumed, the body is not complete yet */
	CHUNKED_DONE,  /* the body ended; *consumed stops right after it */
	CHUNKED_ERROR, /* status and reason say why; nothing more is read */
};

struct chunked {
	int state;          /* private to chunked.c */
	uint64_t size;      /* chunk-size being read, then data bytes left */
	uint64_t room;      /* bytes the body may still count (see below) */
	int status;         /* CHUNKED_ERROR: 400 or 413 */
	const char *reason; /* CHUNKED_ERROR: short text, static */
};

/*
 * limit bounds the decoded data plus the bytes of chunk extensions, the
 * redundant leading zeros of chunk sizes (two in "005" and in "000") and
 * the bytes of trailer field lines with their CRLF: past it, 413.  A chunk size over what is left is
 * refused when its digits end, before any of its data is read; one that
 * does not fit in 64 bits is malformed (400).
 */
void chunked_init(struct chunked *ck, uint64_t limit);

/*
 * Decode the n bytes at p.  Data bytes go to sink (may be NULL).
 * *consumed is n on CHUNKED_AGAIN, the length up to and including the
 * final CRLF on CHUNKED_DONE.  After DONE or ERROR the decoder does not
 * move any more (DONE again with *consumed 0, or ERROR again).
 */
enum chunked_result chunked_decode(struct chunked *ck, const char *p, size_t n,
				   size_t *consumed, body_sink_fn sink,
				   void *arg);

#endif
