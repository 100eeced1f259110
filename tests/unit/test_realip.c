/* Unit tests for realip_resolve(). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "realip.h"

#define MAX_HDRS 8

struct fixture {
	struct request req;
	struct header hdrs[MAX_HDRS];
	struct cidr trusted[4];
	size_t ntrusted;
	struct sockaddr_storage peer;
};

static struct fixture fx;

static void trust(const char *block)
{
	cr_assert_lt(fx.ntrusted, 4);
	cr_assert_eq(cidr_parse(block, &fx.trusted[fx.ntrusted]), 0, "%s",
		     block);
	fx.ntrusted++;
}

static void set_addr(struct sockaddr_storage *ss, const char *text)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_port = htons(40000);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
		sin->sin_port = htons(40000);
	}
}

static void peer(const char *text)
{
	set_addr(&fx.peer, text);
}

/* Headers are spans; the literals outlive each test. */
static void header(const char *name, const char *value)
{
	cr_assert_lt(fx.req.nheaders, MAX_HDRS);
	fx.hdrs[fx.req.nheaders] = (struct header){
		.name = { name, strlen(name) },
		.value = { value, strlen(value) },
	};
	fx.req.nheaders++;
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.req.headers = fx.hdrs;
	trust("10.0.0.0/8");
	trust("2001:db8:ffff::/48");
	peer("10.0.0.1");
}

static bool resolve(struct sockaddr_storage *out)
{
	return realip_resolve(&fx.req, (const struct sockaddr *)&fx.peer,
			      fx.trusted, fx.ntrusted, out);
}

static const char *text_of(const struct sockaddr_storage *ss, char *buf,
			   size_t cap)
{
	const void *a = ss->ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	cr_assert(ss->ss_family == AF_INET || ss->ss_family == AF_INET6);
	cr_assert_not_null(inet_ntop(ss->ss_family, a, buf, (socklen_t)cap));
	return buf;
}

static void expect_client(const char *want)
{
	struct sockaddr_storage out;
	char buf[INET6_ADDRSTRLEN];

	memset(&out, 0, sizeof(out));
	cr_assert(resolve(&out), "expected %s, got false", want);
	cr_expect_str_eq(text_of(&out, buf, sizeof(buf)), want);
	if (out.ss_family == AF_INET)
		cr_expect_eq(((struct sockaddr_in *)&out)->sin_port, 0);
	else
		cr_expect_eq(((struct sockaddr_in6 *)&out)->sin6_port, 0);
}

static void expect_peer(void)
{
	struct sockaddr_storage out;

	memset(&out, 0x5a, sizeof(out));
	cr_expect_not(resolve(&out), "expected the peer to be used");
	cr_expect_eq(((unsigned char *)&out)[0], 0x5a, "out untouched");
}

TestSuite(realip, .init = setup);

Test(realip, untrusted_peer_is_believed_over_any_header)
{
	peer("203.0.113.9");
	header("X-Forwarded-For", "192.0.2.1");
	header("Forwarded", "for=192.0.2.2");
	expect_peer();
}

Test(realip, no_trusted_proxies)
{
	struct sockaddr_storage out;

	header("X-Forwarded-For", "192.0.2.1");
	cr_expect_not(realip_resolve(&fx.req, (const struct sockaddr *)&fx.peer,
				     NULL, 0, &out));
}

Test(realip, trusted_peer_without_headers)
{
	header("Host", "example.com");
	expect_peer();
}

Test(realip, unix_peer)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(&fx.peer, 0, sizeof(fx.peer));
	memcpy(&fx.peer, &sun, sizeof(sun));
	header("X-Forwarded-For", "192.0.2.1");
	expect_peer();
}

Test(realip, single_hop)
{
	header("X-Forwarded-For", "192.0.2.1");
	expect_client("192.0.2.1");
}

Test(realip, header_name_is_case_insensitive)
{
	header("x-forwarded-for", "192.0.2.1");
	expect_client("192.0.2.1");
}

Test(realip, multiple_hops_rightmost_untrusted)
{
	/* The client spoofed 198.51.100.7; our balancer appended the truth. */
	header("X-Forwarded-For", "198.51.100.7, 192.0.2.1, 10.1.1.1, 10.2.2.2");
	expect_client("192.0.2.1");
}

Test(realip, spoofed_entries_left_of_the_client_are_ignored)
{
	header("X-Forwarded-For", "garbage, unknown, 192.0.2.1");
	expect_client("192.0.2.1");
}

Test(realip, all_trusted_takes_the_leftmost)
{
	header("X-Forwarded-For", "10.9.9.9, 10.1.1.1,10.2.2.2");
	expect_client("10.9.9.9");
}

Test(realip, multiple_headers_are_one_list)
{
	header("X-Forwarded-For", "198.51.100.7, 192.0.2.1");
	header("Accept", "*/*");
	header("X-Forwarded-For", "10.1.1.1");
	expect_client("192.0.2.1");
}

Test(realip, later_header_holds_the_client)
{
	header("X-Forwarded-For", "192.0.2.1");
	header("X-Forwarded-For", "198.51.100.7, 10.1.1.1");
	expect_client("198.51.100.7");
}

Test(realip, ipv6_hops)
{
	peer("2001:db8:ffff::1");
	header("X-Forwarded-For", "2001:db8::1, 2001:db8:ffff::2");
	expect_client("2001:db8::1");
}

Test(realip, ipv6_bracketed_and_ports)
{
	header("X-Forwarded-For", "[2001:db8::7]:4711");
	expect_client("2001:db8::7");
	fx.req.nheaders = 0;
	header("X-Forwarded-For", "[2001:db8::8]");
	expect_client("2001:db8::8");
	fx.req.nheaders = 0;
	header("X-Forwarded-For", "192.0.2.5:8080, 10.0.0.3:1");
	expect_client("192.0.2.5");
}

Test(realip, v4_mapped_peer_is_trusted)
{
	peer("::ffff:10.0.0.1");
	header("X-Forwarded-For", "192.0.2.1");
	expect_client("192.0.2.1");
}

Test(realip, whitespace_and_empty_elements)
{
	header("X-Forwarded-For", " \t192.0.2.1 ,, , 10.1.1.1\t ");
	expect_client("192.0.2.1");
}

Test(realip, invalid_entry_stops_the_walk)
{
	static const char *bad[] = {
		"192.0.2.1, unknown",
		"192.0.2.1, 10.1.1.1, _hidden",
		"192.0.2.1, 999.1.1.1",
		"192.0.2.1, 10.1.1.1 10.2.2.2",
		"192.0.2.1, 192.0.2.1:",
		"192.0.2.1, 192.0.2.1:123456",
		"192.0.2.1, 192.0.2.1:http",
		"192.0.2.1, [2001:db8::1",
		"192.0.2.1, [2001:db8::1]x",
		"192.0.2.1, []",
		"192.0.2.1, fe80::1%eth0",
		"192.0.2.1, 010.0.0.1",
		"192.0.2.1, 10.0.0.1/8",
		"192.0.2.1, example.com",
		"192.0.2.1, \"10.0.0.1\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx.req.nheaders = 0;
		header("X-Forwarded-For", bad[i]);
		expect_peer();
	}
}

Test(realip, embedded_nul_is_invalid)
{
	static const char v[] = "192.0.2.1\0.5";
	struct sockaddr_storage out;

	fx.hdrs[0] = (struct header){
		.name = { "X-Forwarded-For", 15 },
		.value = { v, sizeof(v) - 1 },
	};
	fx.req.nheaders = 1;
	cr_expect_not(resolve(&out));
}

Test(realip, empty_xff_falls_back_to_forwarded)
{
	header("X-Forwarded-For", " ");
	header("Forwarded", "for=192.0.2.60");
	expect_client("192.0.2.60");
}

Test(realip, xff_wins_over_forwarded)
{
	header("Forwarded", "for=192.0.2.60");
	header("X-Forwarded-For", "198.51.100.1");
	expect_client("198.51.100.1");
}

/* --- Forwarded ----------------------------------------------------------- */

Test(realip, forwarded_simple)
{
	header("Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43");
	expect_client("192.0.2.60");
}

Test(realip, forwarded_quoted_ipv6_with_port)
{
	header("Forwarded", "For=\"[2001:db8:cafe::17]:4711\"");
	expect_client("2001:db8:cafe::17");
}

Test(realip, forwarded_quoted_forms)
{
	header("Forwarded", "for=\"192.0.2.43\"");
	expect_client("192.0.2.43");
	fx.req.nheaders = 0;
	header("Forwarded", "for=\"192.0.2.43:80\"");
	expect_client("192.0.2.43");
	fx.req.nheaders = 0;
	header("Forwarded", "for=\"192.0.2.43:_p0rt\"");
	expect_client("192.0.2.43");
	fx.req.nheaders = 0;
	header("Forwarded", "for=\"\\[2001:db8::9\\]\""); /* quoted-pairs */
	expect_client("2001:db8::9");
	fx.req.nheaders = 0;
	header("Forwarded", "for=[2001:db8::9]"); /* unquoted, tolerated */
	expect_client("2001:db8::9");
}

Test(realip, forwarded_several_elements)
{
	header("Forwarded", "for=198.51.100.17, for=192.0.2.43;by=10.0.0.1, "
			    "for=10.3.3.3;proto=https");
	expect_client("192.0.2.43");
}

Test(realip, forwarded_several_fields)
{
	header("Forwarded", "for=192.0.2.43");
	header("Forwarded", "for=10.3.3.3; proto=https ; host=example.com");
	expect_client("192.0.2.43");
}

Test(realip, forwarded_all_trusted)
{
	header("Forwarded", "for=10.1.1.1, for=\"[2001:db8:ffff::5]\"");
	expect_client("10.1.1.1");
}

Test(realip, forwarded_other_params_may_hold_separators)
{
	header("Forwarded", "for=192.0.2.1;host=\"a,b;c=d\", for=10.1.1.1");
	expect_client("192.0.2.1");
}

Test(realip, forwarded_unusable_hops)
{
	static const char *bad[] = {
		"for=192.0.2.1, for=unknown",
		"for=192.0.2.1, for=_gazonk",
		"for=192.0.2.1, for=\"_gazonk\"",
		"for=192.0.2.1, proto=https",          /* hop without for= */
		"for=192.0.2.1, for=\"2001:db8::1\"",  /* IPv6 without [] */
		"for=192.0.2.1, for=\"[2001:db8::1]:\"",
		"for=192.0.2.1, for=\"[2001:db8::1]:_\"",
		"for=192.0.2.1, for=192.0.2.300",
		/* longer than any node: not copied, not an address */
		("for=192.0.2.1, for=\"[2001:db8::1]:_0123456789012345678901"
		 "234567890123456789012345678901234567890123456789\""),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx.req.nheaders = 0;
		header("Forwarded", bad[i]);
		expect_peer();
	}
}

Test(realip, forwarded_unusable_hop_left_of_client_is_ignored)
{
	header("Forwarded", "for=unknown, for=_x, for=192.0.2.1, for=10.1.1.1");
	expect_client("192.0.2.1");
}

Test(realip, forwarded_malformed_fields)
{
	static const char *bad[] = {
		"for=\"192.0.2.1",              /* unterminated */
		"for=192.0.2.1;for=192.0.2.2",  /* "for" twice in an element */
		"for=",
		"for",
		"=192.0.2.1",
		"for =192.0.2.1",
		"for= 192.0.2.1",
		"for=192.0.2.1 x",
		"for=192.0.2.1;by",
		"for=\"192.0.2.1\"x",
		"for=\"192.0.2.1\\",
		"for=\"a\x01\"",
		"for=192.0.2.1/24",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx.req.nheaders = 0;
		header("Forwarded", bad[i]);
		expect_peer();
	}
}

Test(realip, forwarded_empty_pairs_and_elements)
{
	header("Forwarded", " , for=192.0.2.1;;proto=http; ,");
	expect_client("192.0.2.1");
}

Test(realip, forwarded_from_untrusted_peer_ignored)
{
	peer("192.0.2.200");
	header("Forwarded", "for=198.51.100.1");
	expect_peer();
}
