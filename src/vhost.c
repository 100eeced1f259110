/*
 * vhost.c -- host blocks by the request's Host (see vhost.h).
 */
#include "vhost.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 253

/* The name part of a Host value: without ":port" and a trailing dot. */
static size_t host_name_len(const char *h, size_t len)
{
	size_t n = len;

	if (len > 0 && h[0] == '[') { /* IP-literal: up to the ']' */
		const char *end = memchr(h, ']', len);
		n = end != NULL ? (size_t)(end - h) + 1 : len;
	} else {
		const char *colon = memchr(h, ':', len);
		if (colon != NULL)
			n = (size_t)(colon - h);
	}
	if (n > 1 && h[n - 1] == '.')
		n--;
	return n;
}

const struct vhost *vhost_select(const struct vhost *hosts, size_t n,
				 const char *host, size_t len)
{
	const struct vhost *best = NULL;
	size_t best_len = 0;

	if (n == 0 || host == NULL)
		return NULL;
	len = host_name_len(host, len);
	if (len == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < hosts[i].nnames; j++) {
			const char *name = hosts[i].names[j];
			if (name[0] != '.' && strlen(name) == len &&
			    strncasecmp(name, host, len) == 0)
				return &hosts[i];
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < hosts[i].nnames; j++) {
			const char *name = hosts[i].names[j];
			size_t nl = strlen(name);
			if (name[0] == '.' && len > nl && nl > best_len &&
			    strncasecmp(name, host + len - nl, nl) == 0) {
				best = &hosts[i];
				best_len = nl;
			}
		}
	return best;
}

static bool name_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_';
}

const char *vhost_name_check(const char *name, char *out, size_t cap)
{
	size_t len = strlen(name), o = 0, i = 0;

	if (len == 0)
		return "an empty name";
	if (len > NAME_MAX_LEN || len + 1 > cap)
		return "longer than 253 bytes";
	if (name[0] == '[') { /* an IPv6 literal, as it comes in Host */
		if (name[len - 1] != ']' || len < 3)
			return "an IPv6 address must be written in brackets, "
			       "like \"[::1]\"";
		for (i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)name[i];
			if (!(ch == '[' || ch == ']' || ch == ':' || ch == '.' ||
			      (ch >= '0' && ch <= '9') ||
			      ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')))
				return "not an IPv6 address";
			out[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch);
		}
		out[o] = '\0';
		return NULL;
	}
	if (name[0] == '*') {
		if (len < 3 || name[1] != '.')
			return "a wildcard is \"*.\" followed by a domain";
		i = 1; /* keep the '.' */
	}
	if (name[i] == '.' && i == 0)
		return "a name starts with a letter or digit, or \"*.\"";
	for (; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch >= 'A' && ch <= 'Z')
			ch |= 0x20;
		if (!name_char(ch))
			return ch == '*' ? "\"*\" is only allowed as \"*.\" at "
					   "the start"
					 : ch == ':' ? "a name has no port"
						     : "only letters, digits, "
						       "'-', '_' and '.' are "
						       "allowed";
		if (ch == '.' && o > 0 && out[o - 1] == '.')
			return "an empty label (\"..\")";
		out[o++] = (char)ch;
	}
	if (o > 1 && out[o - 1] == '.')
		o--; /* "example.com." is example.com */
	out[o] = '\0';
	return NULL;
}
