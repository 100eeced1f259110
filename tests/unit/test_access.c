/*
 * test_access.c -- address rules (first match, the default), and the
 * admission of a request: 403, 401 with WWW-Authenticate, or the user.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <string.h>

#include "access.h"

static struct sockaddr_storage ss;

static const struct sockaddr *addr(const char *text)
{
	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return (const struct sockaddr *)&ss;
}

static struct access_rule rule(const char *cidr, bool allow)
{
	struct access_rule r = { .allow = allow };

	cr_assert_eq(cidr_parse(cidr, &r.net), 0, "%s", cidr);
	return r;
}

Test(access, first_match_wins)
{
	struct access_rule rules[] = {
		rule("10.1.2.3", false),
		rule("10.0.0.0/8", true),
		rule("2001:db8::/32", true),
	};
	struct access a = { .rules = rules, .nrules = 3, .default_allow = false };

	cr_expect(!access_addr_ok(&a, addr("10.1.2.3")));
	cr_expect(access_addr_ok(&a, addr("10.1.2.4")));
	cr_expect(access_addr_ok(&a, addr("::ffff:10.9.9.9")));
	cr_expect(!access_addr_ok(&a, addr("::ffff:10.1.2.3")));
	cr_expect(access_addr_ok(&a, addr("2001:db8::1")));
	cr_expect(!access_addr_ok(&a, addr("192.168.1.1")));
	cr_expect(!access_addr_ok(&a, addr("2001:db9::1")));
}

Test(access, default_without_allow)
{
	struct access_rule rules[] = { rule("192.168.0.0/16", false) };
	struct access a = { .rules = rules, .nrules = 1, .default_allow = true };
	struct sockaddr_un_like { sa_family_t f; } un = { AF_UNIX };

	cr_expect(!access_addr_ok(&a, addr("192.168.7.7")));
	cr_expect(access_addr_ok(&a, addr("8.8.8.8")));
	/* a unix socket peer has no address: only the default applies */
	cr_expect(access_addr_ok(&a, (const struct sockaddr *)&un));
	a.default_allow = false;
	cr_expect(!access_addr_ok(&a, (const struct sockaddr *)&un));
}

Test(access, shadowed_rules)
{
	struct access_rule rules[] = {
		rule("10.0.0.0/8", true),
		rule("10.1.0.0/16", false),
		rule("11.0.0.0/8", false),
		rule("10.0.0.0/7", false),
		rule("::/0", true),
		rule("2001:db8::1", false),
	};

	cr_expect_eq(access_shadowed(rules, 0), -1);
	cr_expect_eq(access_shadowed(rules, 1), 0);
	cr_expect_eq(access_shadowed(rules, 2), -1);
	cr_expect_eq(access_shadowed(rules, 3), -1); /* wider, not inside */
	cr_expect_eq(access_shadowed(rules, 4), -1);
	cr_expect_eq(access_shadowed(rules, 5), 4);
}

static bool has_header(const struct response *r, const char *line)
{
	return memmem(r->hbuf, r->hlen, line, strlen(line)) != NULL;
}

Test(access, check_answers)
{
	struct crypt_data cd;
	char hbuf[1024], user[ACCESS_USER_MAX] = "stale";
	struct access_rule rules[] = { rule("127.0.0.0/8", true) };
	struct auth_user users[1];
	struct access a = {
		.rules = rules, .nrules = 1, .default_allow = false,
		.realm = "staff",
		.challenge = "Basic realm=\"staff\", charset=\"UTF-8\"",
		.users = users, .nusers = 1,
	};
	struct header h[1];
	struct request req = { .headers = h, .nheaders = 0 };
	struct response res;

	memset(&cd, 0, sizeof(cd));
	users[0].name = "alice";
	users[0].hash = strdup(crypt_r("secret", "$6$abcdefgh$", &cd));
	response_init(&res, hbuf, sizeof(hbuf));

	cr_expect_eq(access_check(&a, &req, addr("10.0.0.1"), &res, user), 403);
	cr_expect_eq(res.status, 403);
	cr_expect_str_eq(user, "");

	response_reset(&res);
	cr_expect_eq(access_check(&a, &req, addr("127.0.0.1"), &res, user), 401);
	cr_expect_eq(res.status, 401);
	cr_expect(has_header(&res, "WWW-Authenticate: Basic realm=\"staff\", "
				   "charset=\"UTF-8\"\r\n"));
	cr_expect(!res.close, "a 401 keeps the connection");

	/* alice:wrong */
	h[0] = (struct header){ { "Authorization", 13 },
				{ "Basic YWxpY2U6d3Jvbmc=", 22 } };
	req.nheaders = 1;
	response_reset(&res);
	cr_expect_eq(access_check(&a, &req, addr("127.0.0.1"), &res, user), 401);
	cr_expect_str_eq(user, "");

	/* alice:secret */
	h[0].value = (struct span){ "Basic YWxpY2U6c2VjcmV0", 22 };
	response_reset(&res);
	cr_expect_eq(access_check(&a, &req, addr("127.0.0.1"), &res, user), 0);
	cr_expect_str_eq(user, "alice");
	cr_expect_eq(res.status, 200);

	/* the address rules come first, whatever the credentials */
	response_reset(&res);
	cr_expect_eq(access_check(&a, &req, addr("10.0.0.1"), &res, user), 403);

	/* without auth: the address is enough */
	a.realm = NULL;
	response_reset(&res);
	req.nheaders = 0;
	cr_expect_eq(access_check(&a, &req, addr("127.0.0.2"), &res, user), 0);
	cr_expect_str_eq(user, "");
	free((char *)users[0].hash);
}
