/*
 * textbuf.h -- append text to a fixed, caller-owned buffer.
 *
 * The status page and the metrics are rendered into one buffer allocated
 * once per process; these helpers append to it and remember when something
 * did not fit, so a renderer can write straight through and check once at
 * the end (tb_done() is 0 then).  No allocation.
 */
#ifndef PH_TEXTBUF_H
#define PH_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf {
	char *p;
	size_t len, cap;
	bool overflow;
};

void tb_init(struct textbuf *b, char *p, size_t cap);

/*
 * A buffer kept for the life of the process: *buf is allocated with size
 * bytes on the first call (what names it in the error log) and reused.
 * NULL when it cannot be allocated.
 */
char *tb_process_buffer(char **buf, size_t *cap, size_t size,
			const char *what);
void tb_mem(struct textbuf *b, const char *s, size_t n);
void tb_str(struct textbuf *b, const char *s);
void tb_char(struct textbuf *b, char c);
void tb_u64(struct textbuf *b, uint64_t v);
void tb_i64(struct textbuf *b, int64_t v);
/* Milliseconds as seconds with three decimals: 1500 -> "1.500". */
void tb_ms_as_seconds(struct textbuf *b, int64_t ms);
/* Microseconds as seconds, shortest exact form: 2500000 -> "2.5", 1000 -> "0.001". */
void tb_us_as_seconds(struct textbuf *b, uint64_t us);
/*
 * A JSON string with its quotes.  '"', '\\' and control bytes are escaped,
 * and so is every byte >= 0x80 (as \u00XX, its Latin-1 reading), so the
 * output is valid JSON whatever bytes a client sent.
 */
void tb_json_str(struct textbuf *b, const char *s, size_t n);
/* Printable ASCII as is, anything else as '?' (for one-line text fields). */
void tb_text_field(struct textbuf *b, const char *s, size_t n);

/* v with that many decimals ("%.*f"): 12.5 -> "12.50". */
void tb_fixed(struct textbuf *b, double v, int decimals);
/* Text for HTML: & < > " ' as entities, bytes outside printable ASCII as '?'. */
void tb_html(struct textbuf *b, const char *s, size_t n);

/* The length written, or 0 when something did not fit. */
size_t tb_done(const struct textbuf *b);

#endif
