/*
 * auth.c -- HTTP Basic authentication (see auth.h).
 */
#include "auth.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* -1: not a base64 character. */
static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decode base64 (padding optional); the length, or -1. */
static long b64_decode(const char *in, size_t len, char *out, size_t cap)
{
	uint32_t acc = 0;
	size_t o = 0, i, bits = 0;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return (long)o;
}

int auth_basic_parse(const char *v, size_t len, char *buf, size_t cap,
		     const char **user, const char **pass)
{
	size_t i = 5;
	long n;
	char *colon;

	if (len < 6 || strncasecmp(v, "Basic", 5) != 0 ||
	    (v[5] != ' ' && v[5] != '\t'))
		return -1;
	while (i < len && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (len > i && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (cap == 0)
		return -1;
	n = b64_decode(v + i, len - i, buf, cap - 1);
	if (n < 0 || memchr(buf, '\0', (size_t)n) != NULL)
		goto bad;
	buf[n] = '\0';
	colon = strchr(buf, ':');
	if (colon == NULL || colon == buf)
		goto bad;
	*colon = '\0';
	*user = buf;
	*pass = colon + 1;
	return 0;
bad:
	explicit_bzero(buf, cap);
	return -1;
}

bool auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char d = alen != blen;
	size_t n = alen > blen ? alen : blen;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = i < alen ? (unsigned char)a[i] : 0;
		unsigned char y = i < blen ? (unsigned char)b[i] : 0;
		d |= x ^ y;
	}
	return d == 0;
}

/* crypt_r's work area (about 32 KiB): one per process, made on first use. */
static struct crypt_data *crypt_area(void)
{
	static struct crypt_data *cd;

	if (cd == NULL) {
		cd = calloc(1, sizeof(*cd));
		if (cd == NULL)
			log_errno(LOG_ERROR, "calloc(crypt_data)");
	}
	return cd;
}

bool auth_verify(const struct access *a, const char *user, const char *pass)
{
	const struct auth_user *u = NULL;
	struct crypt_data *cd = crypt_area();
	const char *hash, *out;
	bool ok;

	if (cd == NULL || a->nusers == 0)
		return false;
	for (size_t i = 0; i < a->nusers && u == NULL; i++)
		if (strcmp(a->users[i].name, user) == 0)
			u = &a->users[i];
	/* An unknown user costs one hash too: the file's first one. */
	hash = u != NULL ? u->hash : a->users[0].hash;
	out = crypt_r(pass, hash, cd);
	ok = out != NULL && out[0] != '*' &&
	     auth_ct_equal(out, strlen(out), hash, strlen(hash)) && u != NULL;
	explicit_bzero(cd->output, sizeof(cd->output));
	explicit_bzero(cd->input, sizeof(cd->input));
	return ok;
}

int auth_request(const struct access *a, const struct request *req,
		 char user[ACCESS_USER_MAX])
{
	char buf[AUTH_CREDENTIALS_MAX];
	const struct span *v = request_header(req, "Authorization");
	const char *name, *pass;
	int rc = -1;

	if (v == NULL ||
	    auth_basic_parse(v->p, v->len, buf, sizeof(buf), &name, &pass) != 0)
		return -1;
	if (strlen(name) < ACCESS_USER_MAX && auth_verify(a, name, pass)) {
		memcpy(user, name, strlen(name) + 1);
		rc = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

const char *auth_hash_check(const char *hash)
{
	static const char *const ok[] = { "$2a$", "$2b$", "$2y$", "$6$", "$y$" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(hash, ok[i], strlen(ok[i])) == 0)
			break;
	if (i == sizeof(ok) / sizeof(ok[0])) {
		if (strncmp(hash, "$apr1$", 6) == 0)
			return "an apr1-MD5 hash (htpasswd's default), which is "
			       "not supported: make it with htpasswd -B (bcrypt)";
		if (strncmp(hash, "{SHA}", 5) == 0)
			return "a SHA-1 hash, which is not supported: make it "
			       "with htpasswd -B (bcrypt)";
		if (hash[0] != '$')
			return "not a supported hash (plain text or DES crypt?): "
			       "make it with htpasswd -B (bcrypt)";
		return "not a supported hash: use bcrypt ($2y$, htpasswd -B), "
		       "sha-512-crypt ($6$) or yescrypt ($y$)";
	}
	/* the hash itself: after the last '$', at least 22 characters of
	 * crypt's base64 (a truncated line would never match anything) */
	{
		const char *last = strrchr(hash, '$');
		size_t n = strlen(last + 1);

		if ((size_t)(last - hash) < strlen(ok[i]) || n < 22 ||
		    strspn(last + 1, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz") != n)
			return "not a complete hash (cut short?)";
	}
#ifdef HAVE_CRYPT_CHECKSALT
	switch (crypt_checksalt(hash)) {
	case CRYPT_SALT_INVALID:
		return "not a valid hash";
	case CRYPT_SALT_METHOD_DISABLED:
		return "a hash method this system's libcrypt has disabled";
	default:
		break;
	}
#endif
	return NULL;
}
