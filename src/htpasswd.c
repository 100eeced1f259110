/*
 * htpasswd.c -- "user:hash" lines (see htpasswd.h).
 */
#include "htpasswd.h"

#include <string.h>

#include "auth.h"

size_t htpasswd_max_users(const char *text, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

size_t htpasswd_parse(char *text, size_t len, struct auth_user *out,
		      size_t cap, htpasswd_err_fn err, void *arg)
{
	size_t n = 0, line = 0, i = 0;

	while (i < len) {
		char *s = text + i, *eol = memchr(s, '\n', len - i), *colon;
		size_t l = eol != NULL ? (size_t)(eol - s) : len - i;
		const char *why = NULL;

		line++;
		i += l + (eol != NULL);
		if (memchr(s, '\0', l) != NULL) {
			err(arg, line, "contains a NUL byte", NULL);
			continue;
		}
		if (l > 0 && s[l - 1] == '\r')
			l--;
		s[l] = '\0'; /* the line end, or the NUL after the text */
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		colon = strchr(s, ':');
		if (colon == NULL || colon == s) {
			err(arg, line, colon ? "an empty user name"
					     : "expected \"user:hash\"", NULL);
			continue;
		}
		*colon = '\0';
		for (size_t j = 0; j < n && why == NULL; j++)
			if (strcmp(out[j].name, s) == 0)
				why = "given twice";
		if (why == NULL)
			why = auth_hash_check(colon + 1);
		if (why != NULL) {
			err(arg, line, why, s);
			continue;
		}
		if (n == cap)
			break;
		out[n].name = s;
		out[n].hash = colon + 1;
		n++;
	}
	return n;
}
