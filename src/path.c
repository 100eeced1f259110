/*
 * path.c -- %-decoding and normalization of request paths.
 *
 * The result never contains a ".." segment, an encoded separator, NUL or a
 * control byte, so it can be handed to openat2() relative to a root.  The
 * file system still has the last word (symlinks): see static.c.
 *
 * Bytes >= 0x80 are copied as they are.  An overlong UTF-8 form such as
 * "%c0%ae" decodes to the two bytes 0xc0 0xae, never to '.', so it cannot
 * form a dot segment: it is an ordinary (odd) file name.  A decoded or
 * literal '\' is an ordinary byte as well (Linux has one separator, '/').
 */
#include "path.h"

#include <string.h>

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

/*
 * Decode one byte of raw at *i (advancing *i).  Returns the byte, or -400
 * for a malformed escape, an encoded separator or a control byte.
 */
static int decode_byte(const char *raw, size_t len, size_t *i)
{
	unsigned char c = (unsigned char)raw[*i];
	int hi, lo;

	if (c != '%') {
		*i += 1;
	} else {
		if (len - *i < 3)
			return -400;
		hi = hexval((unsigned char)raw[*i + 1]);
		lo = hexval((unsigned char)raw[*i + 2]);
		if (hi < 0 || lo < 0)
			return -400;
		c = (unsigned char)(hi * 16 + lo);
		/* Never let an escape become a separator. */
		if (c == '/' || c == '\\')
			return -400;
		*i += 3;
	}
	if (c < 0x20 || c == 0x7f)
		return -400;
	return c;
}

/* Remove the last segment of out[0..*o), which ends with '/'. */
static int pop_segment(const char *out, size_t *o)
{
	if (*o <= 1)
		return 403; /* ".." at the root: an attempt to climb */
	*o -= 1;
	while (out[*o - 1] != '/')
		*o -= 1;
	return 0;
}

int path_normalize(const char *raw, size_t len, char *out, size_t cap,
		   size_t *out_len)
{
	size_t i = 1, o = 1, seg;
	int c, st;

	if (cap < 2)
		return 414;
	/* asterisk-form (OPTIONS * only, request.c sees to that): kept as is,
	 * a path no route and no file can match. */
	if (len == 1 && raw[0] == '*') {
		memcpy(out, "*", 2);
		*out_len = 1;
		return 0;
	}
	if (len == 0 || raw[0] != '/')
		return 400;
	out[0] = '/';
	while (i < len) {
		seg = o;
		while (i < len && raw[i] != '/') {
			c = decode_byte(raw, len, &i);
			if (c < 0)
				return -c;
			if (o + 1 >= cap)
				return 414;
			out[o++] = (char)c;
		}
		if (i < len)
			i++; /* the literal '/' ending the segment */
		if (o - seg == 1 && out[seg] == '.') {
			o = seg;
		} else if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.') {
			o = seg;
			st = pop_segment(out, &o);
			if (st)
				return st;
		} else if (o > seg && raw[i - 1] == '/') {
			if (o + 1 >= cap)
				return 414;
			out[o++] = '/';
		}
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}

bool path_has_dotfile(const char *path, size_t len)
{
	static const char wk[] = ".well-known";
	size_t i, end;

	for (i = 0; i < len; i = end + 1) {
		while (i < len && path[i] == '/')
			i++;
		if (i >= len)
			break;
		end = i;
		while (end < len && path[end] != '/')
			end++;
		if (path[i] != '.')
			continue;
		/* RFC 8615: only the top-level /.well-known/ is allowed. */
		if (i == 1 && end - i == sizeof wk - 1 &&
		    memcmp(path + i, wk, sizeof wk - 1) == 0)
			continue;
		return true;
	}
	return false;
}
