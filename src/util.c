/*
 * util.c -- small pure helpers: durations, sizes, CIDRs, HTTP dates,
 * number formatting, monotonic time.  No allocation, no global state.
 */
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int64_t now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* cannot fail with a valid clock id */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	const void *a = NULL;
	const char *alt = "-";

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else if (sa->sa_family == AF_UNIX)
		alt = "unix";
	if (a != NULL && inet_ntop(sa->sa_family, a, out, (socklen_t)cap) != NULL)
		return;
	if (cap > strlen(alt))
		memcpy(out, alt, strlen(alt) + 1);
	else if (cap > 0)
		out[0] = '\0';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Leading decimal digits of s into *out; returns how many, 0 on overflow. */
static size_t scan_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; is_digit(s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return i;
}

int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v;
	size_t n;

	if (s == NULL)
		return -1;
	n = scan_u64(s, &v);
	if (n == 0 || s[n] != '\0')
		return -1;
	*out = v;
	return 0;
}

static int mul_checked(uint64_t v, uint64_t m, uint64_t limit, uint64_t *out)
{
	if (m != 0 && v > limit / m)
		return -1;
	*out = v * m;
	return 0;
}

int parse_duration_ms(const char *s, int64_t *out_ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 },
		{ "m", 60000 }, { "h", 3600000 },
	};
	uint64_t v, r;
	size_t n, i;

	if (s == NULL)
		return -1;
	n = scan_u64(s, &v);
	if (n == 0)
		return -1;
	for (i = 0; i < PH_ARRAY_LEN(units); i++) {
		if (strcmp(s + n, units[i].unit) != 0)
			continue;
		if (mul_checked(v, units[i].ms, (uint64_t)INT64_MAX, &r) != 0)
			return -1;
		*out_ms = (int64_t)r;
		return 0;
	}
	return -1;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v, m = 1;
	const char *p;
	size_t n;

	if (s == NULL)
		return -1;
	n = scan_u64(s, &v);
	if (n == 0)
		return -1;
	p = s + n;
	switch (lower(*p)) {
	case 'k': m = 1ULL << 10; p++; break;
	case 'm': m = 1ULL << 20; p++; break;
	case 'g': m = 1ULL << 30; p++; break;
	default: break;
	}
	if (lower(*p) == 'b')
		p++;
	if (*p != '\0')
		return -1;
	return mul_checked(v, m, UINT64_MAX, out);
}

int cidr_parse(const char *s, struct cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;
	uint64_t pfx;
	unsigned max, i;

	if (s == NULL)
		return -1;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	pfx = max;
	if (slash && (parse_u64(slash + 1, &pfx) != 0 || pfx > max))
		return -1;
	out->prefix = (unsigned)pfx;
	/* Clear host bits so that "10.1.2.3/8" means 10.0.0.0/8. */
	for (i = 0; i < max / 8; i++) {
		unsigned keep = out->prefix > i * 8 ? out->prefix - i * 8 : 0;
		if (keep < 8)
			out->addr[i] &= (uint8_t)(0xffu << (8 - keep));
	}
	return 0;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xffu << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

static bool cidr_match(const struct cidr *c, int family, const uint8_t *addr)
{
	return c->family == family && prefix_eq(c->addr, addr, c->prefix);
}

bool cidr_match_any(const struct cidr *list, size_t n,
		    const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };
	uint8_t v4[4], v6[16];
	bool has4 = false, has6 = false;
	size_t i;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		memcpy(v4, &sin->sin_addr, 4);
		memcpy(v6, mapped, 12);
		memcpy(v6 + 12, v4, 4);
		has4 = has6 = true;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(v6, &s6->sin6_addr, 16);
		has6 = true;
		if (memcmp(v6, mapped, 12) == 0) {
			memcpy(v4, v6 + 12, 4);
			has4 = true;
		}
	} else {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (has4 && cidr_match(&list[i], AF_INET, v4))
			return true;
		if (has6 && cidr_match(&list[i], AF_INET6, v6))
			return true;
	}
	return false;
}

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed",
				  "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static char *put_num(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void http_date_fmt(time_t t, char out[HTTP_DATE_LEN + 1])
{
	struct tm tm;
	char *p = out;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	memcpy(p, wdays[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put_num(p, (unsigned)tm.tm_mday, 2);
	*p++ = ' ';
	memcpy(p, months[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put_num(p, (unsigned)(tm.tm_year + 1900), 4);
	*p++ = ' ';
	p = put_num(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_num(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_num(p, (unsigned)tm.tm_sec, 2);
	memcpy(p, " GMT", 4);
	p += 4;
	*p = '\0';
}

/* A cursor over a length-counted string for the date parser. */
struct cur {
	const char *p, *end;
	bool ok;
};

static void expect_lit(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if (!c->ok || (size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		c->ok = false;
	else
		c->p += n;
}

/* Exactly n digits (or 1..n when space_pad allows a leading space). */
static int expect_num(struct cur *c, int n, bool space_pad)
{
	int v = 0;

	if (!c->ok || c->end - c->p < n) {
		c->ok = false;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char ch = c->p[i];
		if (space_pad && i == 0 && ch == ' ' && n > 1)
			continue;
		if (!is_digit(ch)) {
			c->ok = false;
			return 0;
		}
		v = v * 10 + (ch - '0');
	}
	c->p += n;
	return v;
}

static int expect_name(struct cur *c, const char (*names)[4], int count)
{
	if (!c->ok || c->end - c->p < 3) {
		c->ok = false;
		return -1;
	}
	for (int i = 0; i < count; i++) {
		if (memcmp(c->p, names[i], 3) == 0) {
			c->p += 3;
			return i;
		}
	}
	c->ok = false;
	return -1;
}

static void expect_time(struct cur *c, struct tm *tm)
{
	tm->tm_hour = expect_num(c, 2, false);
	expect_lit(c, ":");
	tm->tm_min = expect_num(c, 2, false);
	expect_lit(c, ":");
	tm->tm_sec = expect_num(c, 2, false);
}

static const char long_wdays[7][10] = { "Sunday", "Monday", "Tuesday",
					"Wednesday", "Thursday", "Friday",
					"Saturday" };

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static void parse_rfc850(struct cur *c, struct tm *tm)
{
	size_t i;

	for (i = 0; i < 7; i++) {
		size_t n = strlen(long_wdays[i]);
		if ((size_t)(c->end - c->p) > n &&
		    memcmp(c->p, long_wdays[i], n) == 0 && c->p[n] == ',')
			break;
	}
	if (i == 7) {
		c->ok = false;
		return;
	}
	c->p += strlen(long_wdays[i]);
	expect_lit(c, ", ");
	tm->tm_mday = expect_num(c, 2, false);
	expect_lit(c, "-");
	tm->tm_mon = expect_name(c, months, 12);
	expect_lit(c, "-");
	tm->tm_year = expect_num(c, 2, false);
	/* RFC 9110 5.6.7: a two-digit year more than 50 years ahead is past. */
	tm->tm_year += tm->tm_year < 70 ? 100 : 0;
	expect_lit(c, " ");
	expect_time(c, tm);
	expect_lit(c, " GMT");
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static void parse_imf(struct cur *c, struct tm *tm)
{
	expect_name(c, wdays, 7);
	expect_lit(c, ", ");
	tm->tm_mday = expect_num(c, 2, false);
	expect_lit(c, " ");
	tm->tm_mon = expect_name(c, months, 12);
	expect_lit(c, " ");
	tm->tm_year = expect_num(c, 4, false) - 1900;
	expect_lit(c, " ");
	expect_time(c, tm);
	expect_lit(c, " GMT");
}

/* "Sun Nov  6 08:49:37 1994" */
static void parse_asctime(struct cur *c, struct tm *tm)
{
	expect_name(c, wdays, 7);
	expect_lit(c, " ");
	tm->tm_mon = expect_name(c, months, 12);
	expect_lit(c, " ");
	tm->tm_mday = expect_num(c, 2, true);
	expect_lit(c, " ");
	expect_time(c, tm);
	expect_lit(c, " ");
	tm->tm_year = expect_num(c, 4, false) - 1900;
}

static bool tm_valid(const struct tm *tm)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	int y = tm->tm_year + 1900;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 ||
	    tm->tm_mday > mdays[tm->tm_mon])
		return false;
	if (tm->tm_mon == 1 && tm->tm_mday == 29 && !leap)
		return false;
	/* 60: a leap second, which timegm() folds into the next minute. */
	return tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

int http_date_parse(const char *s, size_t len, time_t *out)
{
	struct tm tm;
	struct cur c = { s, s + len, true };

	if (s == NULL || len < 4)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (s[3] == ',')
		parse_imf(&c, &tm);
	else if (s[3] == ' ')
		parse_asctime(&c, &tm);
	else
		parse_rfc850(&c, &tm);
	if (!c.ok || c.p != c.end || !tm_valid(&tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

size_t fmt_u64(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

bool token_eq(const char *s, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (lit[i] == '\0' || lower(s[i]) != lower(lit[i]))
			return false;
	}
	return lit[i] == '\0';
}

bool http_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool http_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

int parse_request_start(const char *s, size_t len, int64_t *out_us)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	size_t i = 0, digits = 0, fdigits = 0;

	if (len >= 2 && s[0] == 't' && s[1] == '=')
		i = 2;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (digits >= 19)
			return -1;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (digits == 0)
		return -1;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fdigits++) {
			if (fdigits < 6) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				scale *= 10;
			}
		}
		if (fdigits == 0 || i != len || digits > 10)
			return -1;
		*out_us = (int64_t)(whole * 1000000 + frac * (1000000 / scale));
		return 0;
	}
	if (i != len)
		return -1;
	if (digits <= 10)
		*out_us = (int64_t)(whole * 1000000);
	else if (digits <= 13)
		*out_us = (int64_t)(whole * 1000);
	else if (digits <= 16)
		*out_us = (int64_t)whole;
	else
		*out_us = (int64_t)(whole / 1000);
	return 0;
}
