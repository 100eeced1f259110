/*
 * util.h -- small pure helpers: durations, sizes, CIDRs, HTTP dates,
 * number formatting, monotonic time.  No I/O, no global state.
 */
#ifndef PH_UTIL_H
#define PH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define PH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t now_ms(void);
/* Microseconds on CLOCK_MONOTONIC. */
int64_t now_us(void);

/* An address as text: "10.0.0.1", "::1", "unix" for AF_UNIX, else "-". */
void addr_text(const struct sockaddr *sa, char *out, size_t cap);

/*
 * "500ms", "10s", "2m", "1h", or a plain non-negative integer (seconds).
 * Returns 0 and stores milliseconds, or -1 when the text is not a duration.
 */
int parse_duration_ms(const char *s, int64_t *out_ms);

/*
 * "16k", "1m", "1g" (powers of 1024, either case, optional trailing "b"),
 * or a plain non-negative integer (bytes).  Returns 0 or -1.
 */
int parse_size(const char *s, uint64_t *out);

/* Strict non-negative decimal integer, no sign, no spaces.  0 or -1. */
int parse_u64(const char *s, uint64_t *out);

/* An address block: "10.0.0.0/8", "::1/128", or a bare address (/32, /128). */
struct cidr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; first 4 bytes for AF_INET */
	unsigned prefix;
};

int cidr_parse(const char *s, struct cidr *out);
/* True when sa (AF_INET, AF_INET6 incl. v4-mapped) lies in one of the n blocks. */
bool cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa);

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 chars + NUL. */
#define HTTP_DATE_LEN 29
void http_date_fmt(time_t t, char out[HTTP_DATE_LEN + 1]);
/* Parses IMF-fixdate (and the obsolete RFC 850 / asctime forms).  0 or -1. */
int http_date_parse(const char *s, size_t len, time_t *out);

/*
 * An X-Request-Start value: "t=" (optional) then seconds with a fraction
 * ("1700000000.123"), or an integer in seconds, milliseconds, microseconds
 * or nanoseconds told apart by its digit count (10, 13, 16, 19), as
 * HAProxy, nginx and others send it.  Microseconds since the epoch in
 * *out_us; 0, or -1 when it is none of these.
 */
int parse_request_start(const char *s, size_t len, int64_t *out_us);

/* Decimal digits of v into dst (no NUL); returns the length (<= 20). */
size_t fmt_u64(char *dst, uint64_t v);

/* Case-insensitive compare of a length-counted token with a C string. */
bool token_eq(const char *s, size_t len, const char *lit);

/* tchar of RFC 9110 5.6.2: a byte of a token (field names, methods, ...). */
bool http_tchar(unsigned char c);

/* A byte allowed in a field value (RFC 9110 5.5): HTAB, SP, VCHAR, obs-text. */
bool http_field_byte(unsigned char c);

#endif
