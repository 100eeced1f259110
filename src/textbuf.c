/*
 * textbuf.c -- bounded text appends (see textbuf.h).
 */
#include <string.h>

#include <stdio.h>
#include <stdlib.h>
#include "log.h"
#include "textbuf.h"
#include "util.h"

void tb_init(struct textbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
}

void tb_mem(struct textbuf *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void tb_str(struct textbuf *b, const char *s)
{
	tb_mem(b, s, strlen(s));
}

void tb_char(struct textbuf *b, char c)
{
	tb_mem(b, &c, 1);
}

void tb_u64(struct textbuf *b, uint64_t v)
{
	char d[24];

	tb_mem(b, d, fmt_u64(d, v));
}

void tb_i64(struct textbuf *b, int64_t v)
{
	if (v < 0) {
		tb_char(b, '-');
		tb_u64(b, (uint64_t)0 - (uint64_t)v);
		return;
	}
	tb_u64(b, (uint64_t)v);
}

void tb_ms_as_seconds(struct textbuf *b, int64_t ms)
{
	char frac[3];
	uint64_t v = ms > 0 ? (uint64_t)ms : 0;

	tb_u64(b, v / 1000);
	frac[0] = (char)('0' + v / 100 % 10);
	frac[1] = (char)('0' + v / 10 % 10);
	frac[2] = (char)('0' + v % 10);
	tb_char(b, '.');
	tb_mem(b, frac, 3);
}

void tb_us_as_seconds(struct textbuf *b, uint64_t us)
{
	char frac[6];
	uint64_t f = us % 1000000;
	size_t n = 6;

	tb_u64(b, us / 1000000);
	if (f == 0)
		return;
	for (size_t i = 6; i-- > 0; f /= 10)
		frac[i] = (char)('0' + f % 10);
	while (frac[n - 1] == '0')
		n--;
	tb_char(b, '.');
	tb_mem(b, frac, n);
}

void tb_json_str(struct textbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	tb_char(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			tb_mem(b, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			tb_mem(b, e, 6);
		} else {
			tb_char(b, (char)c);
		}
	}
	tb_char(b, '"');
}

void tb_text_field(struct textbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		tb_char(b, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
}

void tb_fixed(struct textbuf *b, double v, int decimals)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);

	if (n > 0 && (size_t)n < sizeof(tmp))
		tb_mem(b, tmp, (size_t)n);
	else
		tb_char(b, '0');
}

void tb_html(struct textbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&':
			tb_str(b, "&amp;");
			break;
		case '<':
			tb_str(b, "&lt;");
			break;
		case '>':
			tb_str(b, "&gt;");
			break;
		case '"':
			tb_str(b, "&quot;");
			break;
		case '\'':
			tb_str(b, "&#39;");
			break;
		default:
			tb_char(b, c >= 0x20 && c < 0x7f ? (char)c : '?');
		}
	}
}

size_t tb_done(const struct textbuf *b)
{
	return b->overflow ? 0 : b->len;
}

char *tb_process_buffer(char **buf, size_t *cap, size_t size,
			const char *what)
{
	if (*buf == NULL) {
		*buf = malloc(size);
		if (*buf == NULL) {
			log_errno(LOG_ERROR, "malloc(%s, %zu bytes)", what, size);
			return NULL;
		}
		*cap = size;
	}
	return *buf;
}
