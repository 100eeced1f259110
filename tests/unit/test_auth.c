/*
 * test_auth.c -- Basic credentials, password hashes, htpasswd files.
 */
#include <criterion/criterion.h>
#include <crypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "htpasswd.h"

/* A hash of pw made with setting (a method prefix and salt). */
static char *hash_of(const char *pw, const char *setting)
{
	struct crypt_data cd;
	char *h;

	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pw, setting, &cd);
	cr_assert(h != NULL && h[0] != '*', "crypt_r(%s) failed", setting);
	h = strdup(h);
	cr_assert_not_null(h);
	return h;
}

static char *yescrypt_of(const char *pw)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	cr_assert_not_null(crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
					    sizeof(setting)));
	return hash_of(pw, setting);
}

static int parse(const char *v, char *buf, size_t cap, const char **u,
		 const char **p)
{
	return auth_basic_parse(v, strlen(v), buf, cap, u, p);
}

Test(auth, basic_parse)
{
	char buf[AUTH_CREDENTIALS_MAX];
	const char *u, *p;

	/* "alice:open sesame" */
	cr_assert_eq(parse("Basic YWxpY2U6b3BlbiBzZXNhbWU=", buf, sizeof(buf),
			   &u, &p), 0);
	cr_expect_str_eq(u, "alice");
	cr_expect_str_eq(p, "open sesame");
	/* scheme in any case, several spaces, no padding, ':' in the password */
	cr_assert_eq(parse("bAsIc   Ym9iOmE6Yg ", buf, sizeof(buf), &u, &p), 0);
	cr_expect_str_eq(u, "bob");
	cr_expect_str_eq(p, "a:b");
	/* an empty password is a password */
	cr_assert_eq(parse("Basic Ym9iOg==", buf, sizeof(buf), &u, &p), 0);
	cr_expect_str_eq(p, "");
}

Test(auth, basic_parse_refuses)
{
	char buf[64];
	const char *u, *p;

	cr_expect_eq(parse("Bearer YWxpY2U6cHc=", buf, sizeof(buf), &u, &p), -1);
	cr_expect_eq(parse("Basic", buf, sizeof(buf), &u, &p), -1);
	cr_expect_eq(parse("BasicYWxpY2U6cHc=", buf, sizeof(buf), &u, &p), -1);
	cr_expect_eq(parse("Basic YWxpY2U=", buf, sizeof(buf), &u, &p), -1);
	cr_expect_eq(parse("Basic OnB3", buf, sizeof(buf), &u, &p), -1); /* ":pw" */
	cr_expect_eq(parse("Basic YWxp!2U6cHc=", buf, sizeof(buf), &u, &p), -1);
	cr_expect_eq(parse("Basic YQBiOmM=", buf, sizeof(buf), &u, &p), -1); /* NUL */
	cr_expect_eq(parse("Basic Y", buf, sizeof(buf), &u, &p), -1);
	/* longer than the buffer */
	cr_expect_eq(parse("Basic YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
			   "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
			   "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYTpi",
			   buf, sizeof(buf), &u, &p), -1);
	/* the same fits a larger buffer */
	cr_expect_eq(parse("Basic YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
			   "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
			   "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYTpi",
			   (char[128]){ 0 }, 128, &u, &p), 0);
}

Test(auth, ct_equal)
{
	cr_expect(auth_ct_equal("abc", 3, "abc", 3));
	cr_expect(!auth_ct_equal("abc", 3, "abd", 3));
	cr_expect(!auth_ct_equal("abc", 3, "abcd", 4));
	cr_expect(!auth_ct_equal("", 0, "a", 1));
	cr_expect(auth_ct_equal("", 0, "", 0));
}

Test(auth, verify_each_kind)
{
	struct auth_user users[] = {
		{ "bcrypt", hash_of("pw-b", "$2b$05$abcdefghijklmnopqrstuu") },
		{ "bcrypty", hash_of("pw-y", "$2y$05$abcdefghijklmnopqrstuu") },
		{ "sha", hash_of("pw-6", "$6$saltsalt$") },
		{ "yes", yescrypt_of("pw-yes") },
	};
	struct access a = { .users = users, .nusers = 4 };

	cr_expect(auth_verify(&a, "bcrypt", "pw-b"));
	cr_expect(auth_verify(&a, "bcrypty", "pw-y"));
	cr_expect(auth_verify(&a, "sha", "pw-6"));
	cr_expect(auth_verify(&a, "yes", "pw-yes"));
	cr_expect(!auth_verify(&a, "bcrypt", "pw-B"));
	cr_expect(!auth_verify(&a, "sha", "pw-6 "));
	cr_expect(!auth_verify(&a, "yes", ""));
	/* another user's password, and a user not in the file */
	cr_expect(!auth_verify(&a, "sha", "pw-b"));
	cr_expect(!auth_verify(&a, "nobody", "pw-b"));
	for (size_t i = 0; i < 4; i++) {
		cr_expect_null(auth_hash_check(users[i].hash), "%s", users[i].hash);
		free((char *)users[i].hash);
	}
	a.nusers = 0;
	cr_expect(!auth_verify(&a, "bcrypt", "pw-b"));
}

Test(auth, hash_kinds_refused)
{
	cr_expect_not_null(auth_hash_check("$apr1$abc$def"));
	cr_expect(strstr(auth_hash_check("$apr1$abc$def"), "htpasswd -B") != NULL);
	cr_expect_not_null(auth_hash_check("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
	cr_expect_not_null(auth_hash_check("plaintext"));
	cr_expect_not_null(auth_hash_check("$1$salt$hash"));
	cr_expect_not_null(auth_hash_check("$5$salt$hash"));
	cr_expect_not_null(auth_hash_check(""));
	cr_expect_not_null(auth_hash_check("$y$"));
	cr_expect_not_null(auth_hash_check("$2y$05$short"));
	cr_expect_not_null(auth_hash_check("$6$salt$"));
	cr_expect_not_null(auth_hash_check("$6$saltsaltsaltsaltsaltsaltsalt"));
}

/* ---- htpasswd ---- */

struct errs {
	char msg[8][160];
	size_t n;
};

static void on_err(void *arg, size_t line, const char *msg, const char *user)
{
	struct errs *e = arg;

	cr_assert_lt(e->n, 8);
	snprintf(e->msg[e->n++], sizeof(e->msg[0]), "%zu %s %s", line,
		 user ? user : "-", msg);
}

Test(htpasswd, parse)
{
	char *h1 = hash_of("one", "$2y$05$abcdefghijklmnopqrstuu");
	char *h2 = hash_of("two", "$6$saltsalt$");
	char text[1024];
	struct auth_user u[8];
	struct errs e = { .n = 0 };
	size_t n;

	snprintf(text, sizeof(text),
		 "# users\r\n"
		 "alice:%s\r\n"
		 "\n"
		 "  bob:%s\n"
		 "carol:$apr1$x$y\n"
		 "nocolon\n"
		 ":%s\n"
		 "alice:%s",
		 h1, h2, h1, h2);
	cr_assert_eq(htpasswd_max_users(text, strlen(text)), 8);
	n = htpasswd_parse(text, strlen(text), u, 8, on_err, &e);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(u[0].name, "alice");
	cr_expect_str_eq(u[0].hash, h1);
	cr_expect_str_eq(u[1].name, "bob");
	cr_expect_str_eq(u[1].hash, h2);
	cr_assert_eq(e.n, 4);
	cr_expect(strncmp(e.msg[0], "5 carol an apr1-MD5", 19) == 0, "%s", e.msg[0]);
	cr_expect_str_eq(e.msg[1], "6 - expected \"user:hash\"");
	cr_expect_str_eq(e.msg[2], "7 - an empty user name");
	cr_expect_str_eq(e.msg[3], "8 alice given twice");
	free(h1);
	free(h2);
}

Test(htpasswd, nul_byte_and_empty)
{
	char text[] = "a:$6$x$y\0tail\nb";
	struct auth_user u[4];
	struct errs e = { .n = 0 };

	cr_expect_eq(htpasswd_parse(text, sizeof(text) - 1, u, 4, on_err, &e), 0);
	cr_assert_eq(e.n, 2);
	cr_expect_str_eq(e.msg[0], "1 - contains a NUL byte");
	cr_expect_str_eq(e.msg[1], "2 - expected \"user:hash\"");
	e.n = 0;
	cr_expect_eq(htpasswd_parse((char[]){ "" }, 0, u, 4, on_err, &e), 0);
	cr_expect_eq(e.n, 0);
}
