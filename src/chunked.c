/*
 * chunked.c -- strict incremental decoder of the chunked transfer coding
 * (RFC 9112 7.1), one state per position in the grammar of chunked.h.
 *
 * Every byte outside chunk data goes through step() exactly once, so the
 * result never depends on how the input was split.  Anything the grammar
 * does not allow ends the decoding with 400: nothing is skipped, guessed or
 * taken for something else (a lone LF for CRLF, any two bytes for the CRLF
 * after chunk data), since a front end that frames the body another way
 * would otherwise see a different end of it (request smuggling).
 */
#include "chunked.h"

#include <stdbool.h>

#include "util.h"

enum {
	CK_SIZE_FIRST,     /* the first HEXDIG of a chunk-size */
	CK_SIZE,           /* more HEXDIG, or what ends the size */
	CK_EXT_SEMI,       /* BWS, expecting ";" */
	CK_EXT_NAME_START, /* after ";": BWS, then the first tchar of a name */
	CK_EXT_NAME,       /* in ext-name */
	CK_EXT_EQ,         /* BWS after ext-name: "=" or ";" */
	CK_EXT_VAL_START,  /* after "=": BWS, then a token or DQUOTE */
	CK_EXT_TOKEN,      /* in a token ext-val */
	CK_EXT_QUOTED,     /* in a quoted-string ext-val */
	CK_EXT_QPAIR,      /* after a backslash in a quoted-string */
	CK_EXT_QEND,       /* after the closing DQUOTE */
	CK_SIZE_LF,        /* CR seen at the end of the chunk-size line */
	CK_DATA,           /* chunk-data, size bytes left */
	CK_DATA_CR,        /* the CRLF after chunk-data */
	CK_DATA_LF,
	CK_TRAILER,        /* start of a trailer field line or the final CRLF */
	CK_TRAILER_NAME,   /* in a trailer field name */
	CK_TRAILER_VALUE,  /* after the colon, up to CR */
	CK_TRAILER_LF,     /* CR seen at the end of a trailer field line */
	CK_END_LF,         /* CR of the final CRLF seen */
	CK_DONE,
	CK_FAILED,
};

static const char ext_limit[] = "chunk size line over the body limit";
static const char trailer_limit[] = "chunk trailers over the body limit";
static const char bad_ext[] = "invalid chunk extension";

void chunked_init(struct chunked *ck, uint64_t limit)
{
	ck->state = CK_SIZE_FIRST;
	ck->size = 0;
	ck->room = limit;
	ck->status = 0;
	ck->reason = NULL;
}

static int fail(struct chunked *ck, int status, const char *why)
{
	ck->state = CK_FAILED;
	ck->status = status;
	ck->reason = why;
	return -1;
}

/* Count n bytes that are not data against the limit. */
static int spend(struct chunked *ck, uint64_t n, const char *why)
{
	if (n > ck->room)
		return fail(ck, 413, why);
	ck->room -= n;
	return 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* A HEXDIG of a chunk-size (not its first). */
static int size_digit(struct chunked *ck, int d)
{
	if (ck->size == 0 && spend(ck, 1, ext_limit) != 0)
		return -1; /* the digit before was a leading zero */
	if (ck->size >> 60 != 0) /* size * 16 would not fit */
		return fail(ck, 400, "chunk size overflows");
	ck->size = ck->size * 16 + (uint64_t)d;
	return 0;
}

/* The digits of a chunk-size are over: is there room for the chunk? */
static int size_end(struct chunked *ck)
{
	if (ck->size > ck->room)
		return fail(ck, 413, "chunk over the body limit");
	return 0;
}

/* What may follow the chunk-size or an ext-name or ext-val. */
static int after_item(struct chunked *ck, unsigned char c, const char *why)
{
	if (c == '\r')
		ck->state = CK_SIZE_LF;
	else if (c == ';')
		ck->state = CK_EXT_NAME_START;
	else if (is_ws(c))
		ck->state = CK_EXT_SEMI;
	else if (c == '\n')
		return fail(ck, 400, "bare LF in chunk size line");
	else
		return fail(ck, 400, why);
	return 0;
}

/* The chunk-size line: size, extensions, CRLF. */
static int step_size_line(struct chunked *ck, unsigned char c)
{
	bool ext = (ck->state >= CK_EXT_SEMI && ck->state <= CK_EXT_QEND) ||
		   (ck->state == CK_SIZE && (c == ';' || is_ws(c)));
	int d;

	if (ext && c != '\r' && spend(ck, 1, ext_limit) != 0)
		return -1;
	switch (ck->state) {
	case CK_SIZE_FIRST:
		d = hexval(c);
		if (d < 0)
			return fail(ck, 400, "invalid chunk size");
		ck->size = (uint64_t)d;
		ck->state = CK_SIZE;
		return 0;
	case CK_SIZE:
		d = hexval(c);
		if (d >= 0)
			return size_digit(ck, d);
		if (size_end(ck) != 0)
			return -1;
		return after_item(ck, c, "invalid chunk size");
	case CK_EXT_SEMI:
		if (c == ';')
			ck->state = CK_EXT_NAME_START;
		else if (!is_ws(c))
			return fail(ck, 400, bad_ext);
		return 0;
	case CK_EXT_NAME_START:
		if (http_tchar(c))
			ck->state = CK_EXT_NAME;
		else if (!is_ws(c))
			return fail(ck, 400, bad_ext);
		return 0;
	case CK_EXT_NAME:
		if (http_tchar(c))
			return 0;
		if (c == '=') {
			ck->state = CK_EXT_VAL_START;
			return 0;
		}
		if (is_ws(c)) {
			ck->state = CK_EXT_EQ;
			return 0;
		}
		return after_item(ck, c, bad_ext);
	case CK_EXT_EQ:
		if (c == '=')
			ck->state = CK_EXT_VAL_START;
		else if (c == ';')
			ck->state = CK_EXT_NAME_START;
		else if (!is_ws(c))
			return fail(ck, 400, bad_ext);
		return 0;
	case CK_EXT_VAL_START:
		if (http_tchar(c))
			ck->state = CK_EXT_TOKEN;
		else if (c == '"')
			ck->state = CK_EXT_QUOTED;
		else if (!is_ws(c))
			return fail(ck, 400, bad_ext);
		return 0;
	case CK_EXT_TOKEN:
		if (http_tchar(c))
			return 0;
		return after_item(ck, c, bad_ext);
	case CK_EXT_QUOTED:
		if (c == '"')
			ck->state = CK_EXT_QEND;
		else if (c == '\\')
			ck->state = CK_EXT_QPAIR;
		else if (!http_field_byte(c)) /* qdtext */
			return fail(ck, 400, bad_ext);
		return 0;
	case CK_EXT_QPAIR:
		if (!http_field_byte(c))
			return fail(ck, 400, bad_ext);
		ck->state = CK_EXT_QUOTED;
		return 0;
	case CK_EXT_QEND:
		return after_item(ck, c, bad_ext);
	default: /* CK_SIZE_LF */
		if (c != '\n')
			return fail(ck, 400, "chunk size line not ended by CRLF");
		if (ck->size == 0) {
			ck->state = CK_TRAILER;
			return 0;
		}
		if (size_end(ck) != 0) /* extensions took room */
			return -1;
		ck->state = CK_DATA;
		return 0;
	}
}

/* The trailer section and the final CRLF. */
static int step_trailer(struct chunked *ck, unsigned char c)
{
	if (!(ck->state == CK_TRAILER && c == '\r') &&
	    ck->state != CK_END_LF && spend(ck, 1, trailer_limit) != 0)
		return -1;
	if (c == '\n' && ck->state != CK_TRAILER_LF && ck->state != CK_END_LF)
		return fail(ck, 400, "bare LF in chunk trailers");
	switch (ck->state) {
	case CK_TRAILER:
		if (c == '\r')
			ck->state = CK_END_LF;
		else if (is_ws(c))
			return fail(ck, 400, "obs-fold in chunk trailers");
		else if (http_tchar(c))
			ck->state = CK_TRAILER_NAME;
		else if (c == ':')
			return fail(ck, 400, "trailer field without a name");
		else
			return fail(ck, 400, "invalid trailer field name");
		return 0;
	case CK_TRAILER_NAME:
		if (c == ':')
			ck->state = CK_TRAILER_VALUE;
		else if (is_ws(c))
			return fail(ck, 400, "whitespace before colon in trailer");
		else if (c == '\r')
			return fail(ck, 400, "trailer field without a colon");
		else if (!http_tchar(c))
			return fail(ck, 400, "invalid trailer field name");
		return 0;
	case CK_TRAILER_VALUE:
		if (c == '\r')
			ck->state = CK_TRAILER_LF;
		else if (!http_field_byte(c))
			return fail(ck, 400, "control byte in trailer field");
		return 0;
	case CK_TRAILER_LF:
		if (c != '\n')
			return fail(ck, 400, "bare CR in chunk trailers");
		ck->state = CK_TRAILER;
		return 0;
	default: /* CK_END_LF */
		if (c != '\n')
			return fail(ck, 400, "chunked body not ended by CRLF");
		ck->state = CK_DONE;
		return 0;
	}
}

/* One byte outside chunk-data. */
static int step(struct chunked *ck, unsigned char c)
{
	switch (ck->state) {
	case CK_DATA_CR:
		if (c != '\r')
			return fail(ck, 400, "chunk data not followed by CRLF");
		ck->state = CK_DATA_LF;
		return 0;
	case CK_DATA_LF:
		if (c != '\n')
			return fail(ck, 400, "chunk data not followed by CRLF");
		ck->state = CK_SIZE_FIRST;
		return 0;
	case CK_TRAILER:
	case CK_TRAILER_NAME:
	case CK_TRAILER_VALUE:
	case CK_TRAILER_LF:
	case CK_END_LF:
		return step_trailer(ck, c);
	default:
		return step_size_line(ck, c);
	}
}

enum chunked_result chunked_decode(struct chunked *ck, const char *p, size_t n,
				   size_t *consumed, body_sink_fn sink,
				   void *arg)
{
	size_t i = 0;

	*consumed = 0;
	if (ck->state == CK_FAILED)
		return CHUNKED_ERROR;
	if (ck->state == CK_DONE)
		return CHUNKED_DONE;
	while (i < n) {
		if (ck->state == CK_DATA) {
			size_t take = n - i;
			if (take > ck->size)
				take = (size_t)ck->size;
			if (sink)
				sink(arg, p + i, take);
			ck->size -= take;
			ck->room -= take; /* size <= room: checked at its CRLF */
			i += take;
			if (ck->size == 0)
				ck->state = CK_DATA_CR;
			continue;
		}
		if (step(ck, (unsigned char)p[i]) != 0) {
			*consumed = i;
			return CHUNKED_ERROR;
		}
		i++;
		if (ck->state == CK_DONE) {
			*consumed = i;
			return CHUNKED_DONE;
		}
	}
	*consumed = n;
	return CHUNKED_AGAIN;
}
