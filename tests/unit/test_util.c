#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "util.h"

static int64_t dur(const char *s)
{
	int64_t ms = -12345;

	cr_assert_eq(parse_duration_ms(s, &ms), 0, "duration \"%s\"", s);
	return ms;
}

Test(duration, accepted_forms)
{
	cr_expect_eq(dur("0"), 0);
	cr_expect_eq(dur("10"), 10000);
	cr_expect_eq(dur("500ms"), 500);
	cr_expect_eq(dur("0ms"), 0);
	cr_expect_eq(dur("10s"), 10000);
	cr_expect_eq(dur("2m"), 120000);
	cr_expect_eq(dur("1h"), 3600000);
	cr_expect_eq(dur("007s"), 7000);
}

Test(duration, rejected_forms)
{
	static const char *bad[] = {
		"", "s", "ms", "-1", "+1", "1.5s", "10 s", " 10s", "10s ", "10x",
		"10S", "10sec", "1d", "ten", "9223372036854775807s",
		"99999999999999999999",
	};
	int64_t ms = 42;

	for (size_t i = 0; i < PH_ARRAY_LEN(bad); i++)
		cr_expect_eq(parse_duration_ms(bad[i], &ms), -1, "\"%s\"", bad[i]);
	cr_expect_eq(ms, 42, "output untouched on error");
	cr_expect_eq(parse_duration_ms(NULL, &ms), -1);
}

static uint64_t size(const char *s)
{
	uint64_t v = 12345;

	cr_assert_eq(parse_size(s, &v), 0, "size \"%s\"", s);
	return v;
}

Test(size, accepted_forms)
{
	cr_expect_eq(size("0"), 0);
	cr_expect_eq(size("1024"), 1024);
	cr_expect_eq(size("100b"), 100);
	cr_expect_eq(size("16k"), 16384);
	cr_expect_eq(size("16K"), 16384);
	cr_expect_eq(size("16kb"), 16384);
	cr_expect_eq(size("16KB"), 16384);
	cr_expect_eq(size("1m"), 1048576);
	cr_expect_eq(size("1M"), 1048576);
	cr_expect_eq(size("2g"), 2147483648ULL);
	cr_expect_eq(size("18446744073709551615"), UINT64_MAX);
}

Test(size, rejected_forms)
{
	static const char *bad[] = {
		"", "k", "-1", "1.5k", "1t", "16 k", "16kk", "16bb", " 1", "1 ",
		"17179869184g", "18446744073709551616",
	};
	uint64_t v;

	for (size_t i = 0; i < PH_ARRAY_LEN(bad); i++)
		cr_expect_eq(parse_size(bad[i], &v), -1, "\"%s\"", bad[i]);
}

Test(u64, strict)
{
	uint64_t v;

	cr_assert_eq(parse_u64("0", &v), 0);
	cr_expect_eq(v, 0);
	cr_assert_eq(parse_u64("18446744073709551615", &v), 0);
	cr_expect_eq(v, UINT64_MAX);
	cr_expect_eq(parse_u64("18446744073709551616", &v), -1);
	cr_expect_eq(parse_u64("", &v), -1);
	cr_expect_eq(parse_u64("+1", &v), -1);
	cr_expect_eq(parse_u64("-1", &v), -1);
	cr_expect_eq(parse_u64(" 1", &v), -1);
	cr_expect_eq(parse_u64("1 ", &v), -1);
	cr_expect_eq(parse_u64("0x10", &v), -1);
}

Test(cidr, parse)
{
	struct cidr c;
	static const uint8_t ten[4] = { 10, 0, 0, 0 };
	static const uint8_t one6[16] = { [15] = 1 };

	cr_assert_eq(cidr_parse("10.0.0.0/8", &c), 0);
	cr_expect_eq(c.family, AF_INET);
	cr_expect_eq(c.prefix, 8);
	cr_expect_arr_eq(c.addr, ten, 4);

	cr_assert_eq(cidr_parse("10.1.2.3/8", &c), 0, "host bits are cleared");
	cr_expect_arr_eq(c.addr, ten, 4);

	cr_assert_eq(cidr_parse("192.168.1.1", &c), 0);
	cr_expect_eq(c.prefix, 32);

	cr_assert_eq(cidr_parse("::1/128", &c), 0);
	cr_expect_eq(c.family, AF_INET6);
	cr_expect_eq(c.prefix, 128);
	cr_expect_arr_eq(c.addr, one6, 16);

	cr_assert_eq(cidr_parse("::1", &c), 0);
	cr_expect_eq(c.prefix, 128);
	cr_assert_eq(cidr_parse("0.0.0.0/0", &c), 0);
	cr_expect_eq(c.prefix, 0);
	cr_assert_eq(cidr_parse("2001:db8::/32", &c), 0);
	cr_expect_eq(c.prefix, 32);
}

Test(cidr, parse_rejects)
{
	static const char *bad[] = {
		"", "foo", "10.0.0.0/", "/8", "10.0.0.0/33", "::/129",
		"10.0.0.0/-1", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0 /8",
		"localhost",
	};
	struct cidr c;

	for (size_t i = 0; i < PH_ARRAY_LEN(bad); i++)
		cr_expect_eq(cidr_parse(bad[i], &c), -1, "\"%s\"", bad[i]);
}

static struct sockaddr_storage peer(const char *ip)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static bool match(const char *list, const char *ip)
{
	struct cidr c[8];
	size_t n = 0;
	char buf[256], *save = NULL;
	struct sockaddr_storage ss = peer(ip);

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save))
		cr_assert_eq(cidr_parse(t, &c[n++]), 0, "%s", t);
	return cidr_match_any(c, n, (struct sockaddr *)&ss);
}

Test(cidr, match)
{
	cr_expect(match("10.0.0.0/8", "10.200.1.1"));
	cr_expect_not(match("10.0.0.0/8", "11.0.0.1"));
	cr_expect(match("192.168.1.0/25", "192.168.1.127"));
	cr_expect_not(match("192.168.1.0/25", "192.168.1.128"));
	cr_expect(match("127.0.0.1/32,::1/128", "::1"));
	cr_expect(match("127.0.0.1/32,::1/128", "127.0.0.1"));
	cr_expect_not(match("::1/128", "127.0.0.1"));
	cr_expect_not(match("127.0.0.1/32", "::1"));
	cr_expect(match("0.0.0.0/0", "203.0.113.9"));
	cr_expect_not(match("0.0.0.0/0", "2001:db8::1"));
	cr_expect(match("::/0", "2001:db8::1"));
	cr_expect(match("2001:db8::/32", "2001:db8:ffff::1"));
	cr_expect_not(match("2001:db8::/33", "2001:db8:ffff::1"));
}

Test(cidr, v4_mapped_peers)
{
	cr_expect(match("10.0.0.0/8", "::ffff:10.1.2.3"));
	cr_expect_not(match("10.0.0.0/8", "::ffff:11.1.2.3"));
	cr_expect(match("127.0.0.1", "::ffff:127.0.0.1"));
	cr_expect(match("::ffff:0:0/96", "10.1.2.3"), "v4 peer in a mapped v6 block");
	cr_expect_not(match("10.0.0.0/8", "::10.1.2.3"), "v4-compatible is not mapped");
}

Test(cidr, other_families)
{
	struct cidr c;
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	cr_assert_eq(cidr_parse("0.0.0.0/0", &c), 0);
	cr_expect_not(cidr_match_any(&c, 1, (struct sockaddr *)&un));
	cr_expect_not(cidr_match_any(&c, 1, NULL));
	cr_expect_not(cidr_match_any(NULL, 0, (struct sockaddr *)&un));
}

Test(http_date, format)
{
	char buf[HTTP_DATE_LEN + 1];

	http_date_fmt(784111777, buf);
	cr_expect_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date_fmt(0, buf);
	cr_expect_str_eq(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_fmt(951782400, buf);
	cr_expect_str_eq(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
	cr_expect_eq(strlen(buf), HTTP_DATE_LEN);
}

static time_t pdate(const char *s)
{
	time_t t = -1;

	cr_assert_eq(http_date_parse(s, strlen(s), &t), 0, "\"%s\"", s);
	return t;
}

Test(http_date, parse_three_forms)
{
	cr_expect_eq(pdate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
	cr_expect_eq(pdate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
	cr_expect_eq(pdate("Sun Nov  6 08:49:37 1994"), 784111777);
	cr_expect_eq(pdate("Sun Nov 16 08:49:37 1994"), 784111777 + 10 * 86400);
	cr_expect_eq(pdate("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
	cr_expect_eq(pdate("Tuesday, 01-Jan-30 00:00:00 GMT"), 1893456000);
}

Test(http_date, length_counted)
{
	const char *s = "Sun, 06 Nov 1994 08:49:37 GMTxyz";
	time_t t;

	cr_assert_eq(http_date_parse(s, 29, &t), 0);
	cr_expect_eq(t, 784111777);
	cr_expect_eq(http_date_parse(s, strlen(s), &t), -1);
}

Test(http_date, round_trip)
{
	static const time_t times[] = { 0, 1, 59, 86399, 951782400, 1700000000,
					2147483647, 4102444799 };
	char buf[HTTP_DATE_LEN + 1];
	time_t t;

	for (size_t i = 0; i < PH_ARRAY_LEN(times); i++) {
		http_date_fmt(times[i], buf);
		cr_assert_eq(http_date_parse(buf, strlen(buf), &t), 0, "%s", buf);
		cr_expect_eq(t, times[i], "%s", buf);
	}
}

Test(http_date, rejects)
{
	static const char *bad[] = {
		"",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 30 Feb 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"sun, 06 nov 1994 08:49:37 gmt",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 94",
		"1994-11-06T08:49:37Z",
	};
	time_t t;

	for (size_t i = 0; i < PH_ARRAY_LEN(bad); i++)
		cr_expect_eq(http_date_parse(bad[i], strlen(bad[i]), &t), -1,
			     "\"%s\"", bad[i]);
}

Test(fmt_u64, digits)
{
	char buf[24];
	size_t n;

	n = fmt_u64(buf, 0);
	cr_expect_eq(n, 1);
	cr_expect_eq(buf[0], '0');
	n = fmt_u64(buf, 1234567);
	buf[n] = '\0';
	cr_expect_str_eq(buf, "1234567");
	n = fmt_u64(buf, UINT64_MAX);
	buf[n] = '\0';
	cr_expect_eq(n, 20);
	cr_expect_str_eq(buf, "18446744073709551615");
}

Test(token_eq, case_insensitive)
{
	cr_expect(token_eq("Keep-Alive", 10, "keep-alive"));
	cr_expect(token_eq("CLOSE", 5, "close"));
	cr_expect(token_eq("closed", 5, "close"));
	cr_expect_not(token_eq("clos", 4, "close"));
	cr_expect_not(token_eq("closex", 6, "close"));
	cr_expect(token_eq("", 0, ""));
	cr_expect_not(token_eq("a", 1, ""));
}

Test(now_ms, monotonic)
{
	int64_t a = now_ms(), b = now_ms();

	cr_expect_gt(a, 0);
	cr_expect_geq(b, a);
}

Test(util, request_start_forms)
{
	int64_t us;

	cr_assert_eq(parse_request_start("t=1700000000.123", 16, &us), 0);
	cr_expect_eq(us, 1700000000123000);
	cr_assert_eq(parse_request_start("1700000000", 10, &us), 0);
	cr_expect_eq(us, 1700000000000000);
	cr_assert_eq(parse_request_start("t=1700000000123", 15, &us), 0);
	cr_expect_eq(us, 1700000000123000);
	cr_assert_eq(parse_request_start("t=1700000000123456", 18, &us), 0);
	cr_expect_eq(us, 1700000000123456);
	cr_assert_eq(parse_request_start("1700000000123456789", 19, &us), 0);
	cr_expect_eq(us, 1700000000123456);
	cr_assert_eq(parse_request_start("1700000000.1234567", 18, &us), 0);
	cr_expect_eq(us, 1700000000123456);
	cr_expect_eq(parse_request_start("t=", 2, &us), -1);
	cr_expect_eq(parse_request_start("t=abc", 5, &us), -1);
	cr_expect_eq(parse_request_start("17000.", 6, &us), -1);
	cr_expect_eq(parse_request_start("1700000000 ", 11, &us), -1);
	cr_expect_eq(parse_request_start("12345678901234567890", 20, &us), -1);
}
