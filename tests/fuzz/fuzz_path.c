/*
 * fuzz_path.c -- libFuzzer harness for path_normalize() (src/path.c).
 *
 * Input layout: byte 0 chooses the output capacity (small capacities reach
 * the 414 paths), the rest is the raw %-encoded request path.  The input
 * and the output buffer are exactly their size, so ASan sees any overrun.
 *
 * Invariants on success: the output starts with '/', is NUL-terminated at
 * out_len < cap, contains no NUL or control byte, no "//", and no "." or
 * ".." segment; it equals what a simple reference (decode, then a stack of
 * segments) gives.  Errors are 400, 403 or 414 only, and 400/403 agree
 * with the reference.  path_has_dotfile() agrees with a reference too.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

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
 * Reference: segments split on literal '/', each decoded, then "." dropped
 * and ".." popping the stack; the first error from left to right wins.
 * out must hold 2 * len + 2 bytes.
 */
static int reference(const unsigned char *raw, size_t len, char *out,
		     size_t *out_len)
{
	size_t i = 1, o = 1, seg;

	if (len == 1 && raw[0] == '*') {
		strcpy(out, "*");
		*out_len = 1;
		return 0;
	}
	if (len == 0 || raw[0] != '/')
		return 400;
	out[0] = '/';
	while (i < len) {
		seg = o;
		while (i < len && raw[i] != '/') {
			unsigned c = raw[i];
			if (c == '%') {
				if (len - i < 3)
					return 400;
				if (hexval(raw[i + 1]) < 0 ||
				    hexval(raw[i + 2]) < 0)
					return 400;
				c = (unsigned)(hexval(raw[i + 1]) * 16 +
					       hexval(raw[i + 2]));
				if (c == '/' || c == '\\')
					return 400;
				i += 3;
			} else {
				i++;
			}
			if (c < 0x20 || c == 0x7f)
				return 400;
			out[o++] = (char)c;
		}
		bool slash = i < len; /* a literal '/' ends the segment */
		if (slash)
			i++;
		if (o - seg == 1 && out[seg] == '.') {
			o = seg;
		} else if (o - seg == 2 && out[seg] == '.' &&
			   out[seg + 1] == '.') {
			o = seg;
			if (o <= 1)
				return 403;
			o--;
			while (out[o - 1] != '/')
				o--;
		} else if (o > seg && slash) {
			out[o++] = '/';
		}
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}

static bool ref_dotfile(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t s, e;
		while (i < len && p[i] == '/')
			i++;
		if (i >= len)
			break;
		s = i;
		e = s;
		while (e < len && p[e] != '/')
			e++;
		if (p[s] == '.' &&
		    !(s == 1 && e - s == 11 && memcmp(p + s, ".well-known", 11) == 0))
			return true;
		i = e;
	}
	return false;
}

static void check_output(const char *out, size_t n, size_t cap)
{
	size_t i, s;

	CHECK(n < cap);
	CHECK(out[n] == '\0');
	CHECK(n >= 1 && out[0] == '/');
	CHECK(memchr(out, '\0', n) == NULL);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	/* Segments between slashes: none empty (except a trailing one), ".",
	 * or "..". */
	for (s = 1; s < n;) {
		size_t e = s;
		while (e < n && out[e] != '/')
			e++;
		CHECK(e > s); /* no "//" */
		CHECK(!(e - s == 1 && out[s] == '.'));
		CHECK(!(e - s == 2 && out[s] == '.' && out[s + 1] == '.'));
		s = e + 1;
	}
	CHECK(strstr(out, "/../") == NULL && strstr(out, "/./") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {2, 3, 4, 8, 16, 64, 4096};
	unsigned char *raw;
	char *out, *ref, *again;
	size_t cap, len, n = 0, rn = 0, n2 = 0;
	int st, rst, st2;

	if (size < 1)
		return 0;
	cap = caps[data[0] % (sizeof(caps) / sizeof(caps[0]))];
	len = size - 1;
	raw = malloc(len ? len : 1);
	out = malloc(cap);
	ref = malloc(2 * len + 2);
	again = malloc(cap);
	if (!raw || !out || !ref || !again)
		goto done;
	memcpy(raw, data + 1, len);

	st = path_normalize((const char *)raw, len, out, cap, &n);
	CHECK(st == 0 || st == 400 || st == 403 || st == 414);
	rst = reference(raw, len, ref, &rn);
	if (st == 0) {
		if (n == 1 && out[0] == '*') {
			CHECK(len == 1 && raw[0] == '*');
		} else {
			check_output(out, n, cap);
		}
		CHECK(rst == 0 && rn == n && memcmp(out, ref, n) == 0);
		CHECK(path_has_dotfile(out, n) == ref_dotfile(out, n));
		/* Normalizing a result without '%' gives it back unchanged. */
		if (memchr(out, '%', n) == NULL) {
			st2 = path_normalize(out, n, again, cap, &n2);
			CHECK(st2 == 0 && n2 == n && memcmp(again, out, n) == 0);
		}
	} else if (st != 414) {
		CHECK(rst == st);
	}
done:
	free(raw);
	free(out);
	free(ref);
	free(again);
	return 0;
}
