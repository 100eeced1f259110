/*
 * mime.c -- extension -> Content-Type.
 *
 * mime_load() reads a mime.types file ("type ext ext ...", '#' comments)
 * into one allocation: an open-addressing hash of (extension, type) slots
 * followed by the strings themselves.  It runs in the master before the
 * workers fork, so they share the pages and never allocate here.  The
 * returned type strings live in that block until mime_free() or the next
 * mime_load().  The first line naming an extension wins; extensions that
 * contain a dot ("tar.gz") are skipped, since lookups use the last dot.  A built-in table answers for extensions the file lacks.
 */
#include "mime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIME_EXT_MAX 32
#define MIME_FILE_MAX (4u << 20)
#define CHARSET "; charset=utf-8"
#define DEFAULT_TYPE "application/octet-stream"

struct mime_slot {
	const char *ext; /* lower case; NULL: empty slot */
	const char *type;
};

static struct mime_slot *table; /* one block: slots, then strings */
static size_t table_mask;

static const struct mime_slot builtin[] = {
	{"html", "text/html" CHARSET},
	{"htm", "text/html" CHARSET},
	{"css", "text/css" CHARSET},
	{"js", "text/javascript" CHARSET},
	{"mjs", "text/javascript" CHARSET},
	{"json", "application/json" CHARSET},
	{"txt", "text/plain" CHARSET},
	{"xml", "application/xml" CHARSET},
	{"svg", "image/svg+xml" CHARSET},
	{"png", "image/png"},
	{"jpg", "image/jpeg"},
	{"jpeg", "image/jpeg"},
	{"gif", "image/gif"},
	{"webp", "image/webp"},
	{"ico", "image/vnd.microsoft.icon"},
	{"pdf", "application/pdf"},
	{"wasm", "application/wasm"},
	{"woff", "font/woff"},
	{"woff2", "font/woff2"},
	{"mp4", "video/mp4"},
	{"webm", "video/webm"},
	{"mp3", "audio/mpeg"},
	{"zip", "application/zip"},
	{"gz", "application/gzip"},
	{"tar", "application/x-tar"},
	{"bin", DEFAULT_TYPE},
};

static bool wants_charset(const char *type, size_t len)
{
	static const char *const textual[] = {
		"application/javascript", "application/json",
		"application/xml", "image/svg+xml",
	};
	size_t i;

	if (len > 5 && strncasecmp(type, "text/", 5) == 0)
		return true;
	for (i = 0; i < sizeof textual / sizeof textual[0]; i++)
		if (strlen(textual[i]) == len &&
		    strncasecmp(type, textual[i], len) == 0)
			return true;
	return false;
}

static uint32_t hash_ext(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

/* Whole file in a NUL-terminated buffer (freed by the caller), or NULL. */
static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MIME_FILE_MAX) {
		errno = EINVAL;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	close(fd);
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

/* Token scanner over the file: words, with '#' to end of line ignored. */
struct scan {
	const char *p, *end;
};

/* Next word on the current line; false at the end of the line. */
static bool next_word(struct scan *s, const char **w, size_t *wlen)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
	if (s->p < s->end && *s->p == '#')
		while (s->p < s->end && *s->p != '\n')
			s->p++;
	if (s->p >= s->end || *s->p == '\n')
		return false;
	*w = s->p;
	while (s->p < s->end && !isspace((unsigned char)*s->p) && *s->p != '#')
		s->p++;
	*wlen = (size_t)(s->p - *w);
	return true;
}

static bool next_line(struct scan *s)
{
	while (s->p < s->end && *s->p != '\n')
		s->p++;
	if (s->p >= s->end)
		return false;
	s->p++;
	return true;
}

/* Extensions with a dot ("tar.gz") can never match a last-dot lookup. */
static bool usable_ext(const char *w, size_t len)
{
	return len > 0 && len < MIME_EXT_MAX && !memchr(w, '.', len);
}

/* Copy type (with a charset when textual) to *strs; returns the copy. */
static const char *store_type(const char *type, size_t tlen, char **strs)
{
	char *t = *strs;

	memcpy(t, type, tlen);
	*strs += tlen;
	if (wants_charset(type, tlen)) {
		memcpy(*strs, CHARSET, sizeof CHARSET - 1);
		*strs += sizeof CHARSET - 1;
	}
	*(*strs)++ = '\0';
	return t;
}

/* Insert ext (lower-cased into *strs); the first mention of an ext wins. */
static bool insert(struct mime_slot *slots, size_t mask, const char *w,
		   size_t wlen, const char *type, char **strs)
{
	char *e = *strs;
	size_t i, k;

	for (k = 0; k < wlen; k++)
		e[k] = (char)tolower((unsigned char)w[k]);
	e[wlen] = '\0';
	i = hash_ext(w, wlen) & mask;
	while (slots[i].ext) {
		if (strcmp(slots[i].ext, e) == 0)
			return false;
		i = (i + 1) & mask;
	}
	slots[i].ext = e;
	slots[i].type = type;
	*strs += wlen + 1;
	return true;
}

/*
 * One pass over the file.  Without a table it only counts (extensions, and
 * an upper bound of the string bytes in *bytes); with one it inserts.
 */
static size_t pass(const char *buf, size_t len, struct mime_slot *slots,
		   size_t mask, char **strs, size_t *bytes)
{
	struct scan s = {buf, buf + len};
	const char *w, *type, *tcopy;
	size_t wlen, tlen, n = 0;

	do {
		if (!next_word(&s, &type, &tlen))
			continue;
		tcopy = NULL;
		while (next_word(&s, &w, &wlen)) {
			if (!usable_ext(w, wlen))
				continue;
			if (!slots) {
				*bytes += wlen + 1;
				n++;
				continue;
			}
			if (!tcopy)
				tcopy = store_type(type, tlen, strs);
			n += insert(slots, mask, w, wlen, tcopy, strs);
		}
		if (!slots)
			*bytes += tlen + sizeof CHARSET;
	} while (next_line(&s));
	return n;
}

int mime_load(const char *path)
{
	size_t len = 0, bytes = 0, n, nslots = 16;
	struct mime_slot *slots;
	char *buf, *strs;

	buf = read_file(path, &len);
	if (!buf)
		return -1;
	n = pass(buf, len, NULL, 0, NULL, &bytes);
	while (nslots < 2 * n)
		nslots *= 2;
	slots = calloc(1, nslots * sizeof *slots + bytes);
	if (!slots) {
		free(buf);
		errno = ENOMEM;
		return -1;
	}
	strs = (char *)(slots + nslots);
	n = pass(buf, len, slots, nslots - 1, &strs, &bytes);
	free(buf);
	mime_free();
	table = slots;
	table_mask = nslots - 1;
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

void mime_free(void)
{
	free(table);
	table = NULL;
	table_mask = 0;
}

static const char *lookup_loaded(const char *ext, size_t len)
{
	size_t i;

	if (!table)
		return NULL;
	i = hash_ext(ext, len) & table_mask;
	while (table[i].ext) {
		if (strlen(table[i].ext) == len &&
		    strncasecmp(table[i].ext, ext, len) == 0)
			return table[i].type;
		i = (i + 1) & table_mask;
	}
	return NULL;
}

static const char *lookup_builtin(const char *ext, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (strlen(builtin[i].ext) == len &&
		    strncasecmp(builtin[i].ext, ext, len) == 0)
			return builtin[i].type;
	return NULL;
}

const char *mime_extension(const char *name, size_t len, size_t *extlen)
{
	size_t i = len, base;

	while (i > 0 && name[i - 1] != '/' && name[i - 1] != '.')
		i--;
	if (i > 0 && name[i - 1] == '/')
		return NULL; /* no extension */
	for (base = i; base > 0 && name[base - 1] != '/'; base--)
		;
	/* ".profile" has no extension; "a." has an empty one. */
	if (i == 0 || i - 1 == base || i == len || len - i >= MIME_EXT_MAX)
		return NULL;
	*extlen = len - i;
	return name + i;
}

static const char *lookup_extra(const char *ext, size_t len,
				const struct mime_extra *extra, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(extra[i].ext) == len &&
		    strncasecmp(extra[i].ext, ext, len) == 0)
			return extra[i].type;
	return NULL;
}

const char *mime_type_with(const char *name, size_t len,
			   const struct mime_extra *extra, size_t n,
			   const char *dflt)
{
	size_t elen = 0;
	const char *ext = mime_extension(name, len, &elen), *t = NULL;

	if (dflt == NULL)
		dflt = DEFAULT_TYPE;
	if (ext == NULL)
		return dflt;
	t = lookup_extra(ext, elen, extra, n);
	if (!t)
		t = lookup_loaded(ext, elen);
	if (!t)
		t = lookup_builtin(ext, elen);
	return t ? t : dflt;
}

const char *mime_type(const char *name, size_t len)
{
	return mime_type_with(name, len, NULL, 0, NULL);
}

size_t mime_value(const char *type, char *out, size_t cap)
{
	size_t n = strlen(type), need = n + 1;
	bool cs = strchr(type, ';') == NULL && wants_charset(type, n);

	if (cs)
		need += sizeof CHARSET - 1;
	if (need > cap)
		return 0;
	memcpy(out, type, n);
	if (cs)
		memcpy(out + n, CHARSET, sizeof CHARSET - 1);
	out[need - 1] = '\0';
	return need - 1;
}
