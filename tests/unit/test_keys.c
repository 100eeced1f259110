/*
 * test_keys.c -- the configuration keys, the manual and the sample agree.
 *
 * config_keys() lists every key the loader accepts.  Each must be documented
 * in prefork-httpd.yaml(5) (a .TP/.TQ entry in its KEYS section whose first
 * word is the key path) and present in conf/server.yaml as a key, possibly
 * commented out; and every key the manual documents must be accepted.
 *
 * The files are found through $top_srcdir and $top_builddir (exported by
 * `make check'), else the TOP_SRCDIR and TOP_BUILDDIR the test was built with.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif
#ifndef TOP_BUILDDIR
#define TOP_BUILDDIR "."
#endif

#define MAX_KEYS 256
#define MAX_LINES 4096

struct list {
	char *s[MAX_KEYS];
	size_t n;
};

static void list_add(struct list *l, const char *s)
{
	cr_assert_lt(l->n, (size_t)MAX_KEYS, "too many keys");
	l->s[l->n] = strdup(s);
	cr_assert_not_null(l->s[l->n]);
	l->n++;
}

static bool list_has(const struct list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->s[i], s) == 0)
			return true;
	return false;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	l->n = 0;
}

static void collect(const char *keypath, void *arg)
{
	list_add(arg, keypath);
}

static void loader_keys(struct list *l)
{
	config_keys(collect, l);
	cr_assert_gt(l->n, 0, "config_keys() reported no keys");
}

static void file_path(char *out, size_t len, const char *envname,
		      const char *dflt, const char *rel)
{
	const char *dir = getenv(envname);

	if (dir == NULL || dir[0] == '\0')
		dir = dflt;
	snprintf(out, len, "%s/%s", dir, rel);
}

/* The whole file as an array of lines (without '\n'), NULL-terminated. */
static char **read_lines(const char *path)
{
	char **lines = calloc(MAX_LINES + 1, sizeof(*lines));
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	FILE *f = fopen(path, "re");

	cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
	cr_assert_not_null(lines);
	while ((r = getline(&line, &cap, f)) >= 0) {
		cr_assert_lt(n, (size_t)MAX_LINES, "%s: too long", path);
		if (r > 0 && line[r - 1] == '\n')
			line[r - 1] = '\0';
		lines[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return lines;
}

static void free_lines(char **lines)
{
	for (size_t i = 0; lines[i] != NULL; i++)
		free(lines[i]);
	free(lines);
}

/* ---- the manual: .TP/.TQ entries under .SH KEYS ---- */

static void manual_keys(const char *path, struct list *l)
{
	char **lines = read_lines(path);
	bool in_keys = false, want_tag = false;

	for (size_t i = 0; lines[i] != NULL; i++) {
		const char *s = lines[i];
		char word[128];
		size_t n = 0;

		if (strncmp(s, ".SH", 3) == 0) {
			in_keys = strstr(s, "KEYS") != NULL;
			want_tag = false;
			continue;
		}
		if (!in_keys)
			continue;
		if (strcmp(s, ".TP") == 0 || strcmp(s, ".TQ") == 0) {
			want_tag = true;
			continue;
		}
		if (!want_tag)
			continue;
		want_tag = false;
		/* ".B key", ".BI key type", ".BR key text": the first word. */
		cr_assert(s[0] == '.' && s[1] == 'B', "%s:%zu: a key entry "
			  "should start with .B, .BI or .BR: %s", path, i + 1, s);
		s += 2;
		while (*s && !isspace((unsigned char)*s))
			s++;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '"')
			s++;
		while (*s && !isspace((unsigned char)*s) && *s != '"' &&
		       n < sizeof(word) - 1)
			word[n++] = *s++;
		word[n] = '\0';
		cr_assert_gt(n, 0, "%s:%zu: empty key entry", path, i + 1);
		list_add(l, word);
	}
	free_lines(lines);
}

/* ---- the sample: keys, also commented out, and their nesting ---- */

/*
 * A line as YAML would see it were it uncommented: a leading "#" removed,
 * a trailing " # comment" cut off (outside quotes).
 */
static char *clean_line(const char *s)
{
	const char *p = s;
	char *out, q = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '#')
		s = p + 1;
	out = strdup(s);
	cr_assert_not_null(out);
	for (char *c = out; *c; c++) {
		if (q) {
			if (*c == q)
				q = 0;
		} else if (*c == '"' || *c == '\'') {
			q = *c;
		} else if (*c == '#' && (c == out || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			break;
		}
	}
	return out;
}

static size_t indent_of(const char *s)
{
	size_t n = 0;

	while (s[n] == ' ')
		n++;
	return n;
}

/* Column of the first key of a block line: after indentation and "- ". */
static size_t key_col(const char *s)
{
	size_t n = indent_of(s);

	while (s[n] == '-' && s[n + 1] == ' ') {
		n += 2;
		while (s[n] == ' ')
			n++;
	}
	return n;
}

static bool key_at(const char *s, size_t col, const char *name)
{
	size_t len = strlen(name);

	return strncmp(s + col, name, len) == 0 && s[col + len] == ':';
}

/* "name:" inside a flow mapping ("{a: 1, name: 2}") at or after from. */
static bool flow_key(const char *s, size_t from, const char *name,
		     size_t *col)
{
	size_t len = strlen(name);

	for (const char *p = s + from; (p = strstr(p, name)) != NULL; p++) {
		const char *b = p;

		if (p[len] != ':')
			continue;
		while (b > s && b[-1] == ' ')
			b--;
		if (b > s && (b[-1] == '{' || b[-1] == ',')) {
			*col = (size_t)(p - s);
			return true;
		}
	}
	return false;
}

struct at {
	size_t line, col, len; /* where a key is, and its length */
};

/*
 * Find key name in the value of the key at parent (NULL: at the top level),
 * on line from or after it, and store where it is.
 */
static bool find_key(char **lines, const struct at *parent, const char *name,
		     size_t from, struct at *out)
{
	size_t first = 0, pcol = 0;

	if (parent != NULL) {
		const char *s = lines[parent->line];

		if (from <= parent->line &&
		    flow_key(s, parent->col + parent->len, name, &out->col)) {
			out->line = parent->line;
			return true;
		}
		first = parent->line + 1;
		pcol = parent->col;
	}
	if (from > first)
		first = from;
	for (size_t i = first; lines[i] != NULL; i++) {
		const char *s = lines[i];
		size_t ind = indent_of(s), kc = key_col(s);

		if (s[ind] == '\0')
			continue;
		if (parent == NULL) {
			if (ind == 0 && key_at(s, 0, name)) {
				*out = (struct at){ i, 0, 0 };
				return true;
			}
			continue;
		}
		if (ind < pcol || (ind == pcol && s[ind] != '-'))
			return false; /* the parent's block ends here */
		if (key_at(s, kc, name)) {
			*out = (struct at){ i, kc, 0 };
			return true;
		}
		if (flow_key(s, kc, name, &out->col)) {
			out->line = i;
			return true;
		}
	}
	return false;
}

/*
 * The components of keypath from names[k] on, each inside the previous
 * one's value (parent; NULL at the top).  A key may appear in any entry of
 * a list, so every place the component is found is tried.
 */
static bool path_found(char **lines, char **names, size_t k, size_t n,
		       const struct at *parent)
{
	struct at at;

	if (k == n)
		return true;
	for (size_t from = 0; find_key(lines, parent, names[k], from, &at);
	     from = at.line + 1) {
		at.len = strlen(names[k]);
		if (path_found(lines, names, k + 1, n, &at))
			return true;
		if (parent == NULL)
			break; /* a top-level key is there once */
	}
	return false;
}

/* Every component of keypath, each inside the previous one's value. */
static bool sample_has(char **lines, const char *keypath)
{
	char buf[160], *save = NULL, *name, *names[16];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", keypath);
	for (name = strtok_r(buf, ".", &save); name != NULL && n < 16;
	     name = strtok_r(NULL, ".", &save)) {
		char *br = strstr(name, "[]");

		if (br != NULL)
			*br = '\0';
		names[n++] = name;
	}
	return path_found(lines, names, 0, n, NULL);
}

/* ---- tests ---- */

static char **sample_lines(void)
{
	char path[PATH_MAX], **raw, **lines;
	size_t n;

	file_path(path, sizeof(path), "top_srcdir", TOP_SRCDIR,
		  "conf/server.yaml");
	raw = read_lines(path);
	for (n = 0; raw[n] != NULL; n++)
		;
	lines = calloc(n + 1, sizeof(*lines));
	cr_assert_not_null(lines);
	for (size_t i = 0; i < n; i++)
		lines[i] = clean_line(raw[i]);
	free_lines(raw);
	return lines;
}

static void manual(struct list *l)
{
	char path[PATH_MAX];

	file_path(path, sizeof(path), "top_builddir", TOP_BUILDDIR,
		  "docs/prefork-httpd.yaml.5");
	manual_keys(path, l);
	cr_assert_gt(l->n, 0, "%s: no key entries under .SH KEYS", path);
}

Test(keys, notation)
{
	struct list keys = { .n = 0 };

	loader_keys(&keys);
	cr_expect(list_has(&keys, "listen"));
	cr_expect(list_has(&keys, "listen[].proxy_protocol"));
	cr_expect(list_has(&keys, "timeouts.header"));
	cr_expect(list_has(&keys, "access_log.format"));
	cr_expect(list_has(&keys, "routes[].static.root"));
	cr_expect(list_has(&keys, "routes[].headers"));
	cr_expect(!list_has(&keys, "timeouts.hedaer"));
	for (size_t i = 0; i < keys.n; i++)
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(keys.s[i], keys.s[j],
					  "key listed twice: %s", keys.s[i]);
	list_free(&keys);
}

Test(keys, every_key_is_in_the_manual)
{
	struct list keys = { .n = 0 }, doc = { .n = 0 };

	loader_keys(&keys);
	manual(&doc);
	for (size_t i = 0; i < keys.n; i++)
		cr_expect(list_has(&doc, keys.s[i]),
			  "prefork-httpd.yaml.5 does not document \"%s\"",
			  keys.s[i]);
	list_free(&keys);
	list_free(&doc);
}

Test(keys, every_documented_key_is_accepted)
{
	struct list keys = { .n = 0 }, doc = { .n = 0 };

	loader_keys(&keys);
	manual(&doc);
	for (size_t i = 0; i < doc.n; i++)
		cr_expect(list_has(&keys, doc.s[i]),
			  "prefork-httpd.yaml.5 documents \"%s\", which the "
			  "loader does not accept", doc.s[i]);
	list_free(&keys);
	list_free(&doc);
}

Test(keys, every_key_is_in_the_sample)
{
	struct list keys = { .n = 0 };
	char **lines = sample_lines();

	loader_keys(&keys);
	for (size_t i = 0; i < keys.n; i++)
		cr_expect(sample_has(lines, keys.s[i]),
			  "conf/server.yaml has no \"%s\" (not even commented "
			  "out)", keys.s[i]);
	free_lines(lines);
	list_free(&keys);
}

Test(keys, the_sample_check_sees_nesting)
{
	char *raw[] = { "listen: [127.0.0.1:80]", "health: {path: /h}",
			"#routes:", "#  - prefix: /a/",
			"#    static: {root: x}  # index: [a]", "root: www",
			"timeouts:", "  header: 1s", "limits: {}", NULL };
	char *lines[PH_ARRAY_LEN(raw)] = { NULL };

	for (size_t i = 0; raw[i] != NULL; i++)
		lines[i] = clean_line(raw[i]);
	cr_expect(sample_has(lines, "health.path"));
	cr_expect(sample_has(lines, "routes[].prefix"));
	cr_expect(sample_has(lines, "routes[].static.root"));
	cr_expect(sample_has(lines, "timeouts.header"));
	cr_expect(sample_has(lines, "root"));
	cr_expect(!sample_has(lines, "routes[].static.index"));
	cr_expect(!sample_has(lines, "health.log"));
	cr_expect(!sample_has(lines, "limits.headers"));
	cr_expect(!sample_has(lines, "prefix"));
	cr_expect(!sample_has(lines, "timeouts.body"));
	for (size_t i = 0; raw[i] != NULL; i++)
		free(lines[i]);
}

/* A key of a list's entries may be in any entry, not only the first. */
Test(keys, the_sample_check_looks_at_every_entry)
{
	char *raw[] = { "listen: [127.0.0.1:80]", "routes:",
			"  - prefix: /a/", "    static: {root: x}",
			"  - prefix: /b/", "    static:", "      index: [a]",
			"      fallback: /b/x", "hosts: []", NULL };
	char *lines[PH_ARRAY_LEN(raw)] = { NULL };

	for (size_t i = 0; raw[i] != NULL; i++)
		lines[i] = clean_line(raw[i]);
	cr_expect(sample_has(lines, "routes[].static.root"));
	cr_expect(sample_has(lines, "routes[].static.index"));
	cr_expect(sample_has(lines, "routes[].static.fallback"));
	cr_expect(!sample_has(lines, "routes[].static.autoindex"));
	cr_expect(!sample_has(lines, "routes[].static.prefix"));
	cr_expect(!sample_has(lines, "hosts[].names"));
	for (size_t i = 0; lines[i] != NULL; i++)
		free(lines[i]);
}
