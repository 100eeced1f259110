/*
 * config.c -- YAML (libyaml document API) into a new immutable struct config.
 *
 * The file is loaded into a libyaml document, then walked with one key table
 * per mapping: each key names a setter and where the value goes.  Setters
 * check types and ranges and report with the position of the offending node;
 * checks that need the whole file (listen duplicates, route shadowing,
 * max_workers against workers) run after the walk.  Errors are collected,
 * sorted into file order and returned; nothing is logged from here (except
 * by cpus.c, when a cgroup file it reads for "workers: auto" is unreadable).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "access.h"
#include "auth.h"
#include "compress.h"
#include "cpus.h"
#include "encoding.h"
#include "errorpage.h"
#include "htpasswd.h"
#include "mime.h"
#include "vhost.h"

#define MAX_WORKERS 4096
#define KP_MAX 160
#define CONFIG_MAX_BYTES (16u << 20)
#define HTPASSWD_MAX_BYTES (4u << 20)
#define REALM_MAX 200
#define HEADER_VALUE_MAX 4096

/* ---- arena: every allocation of a config, freed at once ---- */

struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct arena {
	struct chunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;

	if (n > SIZE_MAX - sizeof(*c))
		return NULL;
	c = calloc(1, sizeof(*c) + n);
	if (c == NULL)
		return NULL;
	c->next = a->head;
	a->head = c;
	return c->data;
}

static void arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* ---- loading context and error collection ---- */

struct pos {
	int line, col;
};

struct perr {
	struct pos at; /* line 0: the file as a whole */
	size_t seq;
	char *msg;
};

struct route_b; /* per-route state kept for the checks after the walk */
struct host_b;  /* per-host state, the same */

/* A list of routes (the top level's, or a host's) being read. */
struct routes_b {
	struct route_b *rb;
	size_t n;
};

struct ctx {
	const char *name;
	yaml_document_t *doc;
	struct arena *arena;
	struct config *cfg;
	struct perr *errs;
	size_t nerrs, caperrs;
	bool oom;

	bool listen_seen, workers_bad, root_set, pid_file_set;
	bool max_workers_set;
	struct pos max_workers_at, root_at, user_at;
	bool user_is_root;
	struct routes_b top_routes;
	struct host_b *hb;
	size_t nhb, cur_host;
};

static struct pos node_pos(const yaml_node_t *n)
{
	struct pos p = { 1, 1 };

	if (n != NULL) {
		p.line = (int)n->start_mark.line + 1;
		p.col = (int)n->start_mark.column + 1;
	}
	return p;
}

static void add_err(struct ctx *c, struct pos at, char *msg)
{
	struct perr *e;

	if (msg == NULL) {
		c->oom = true;
		return;
	}
	if (c->nerrs == c->caperrs) {
		size_t cap = c->caperrs ? 2 * c->caperrs : 8;
		e = realloc(c->errs, cap * sizeof(*e));
		if (e == NULL) {
			free(msg);
			c->oom = true;
			return;
		}
		c->errs = e;
		c->caperrs = cap;
	}
	e = &c->errs[c->nerrs];
	e->at = at;
	e->seq = c->nerrs++;
	e->msg = msg;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return s;
}

/*
 * Messages quote values and keys from the file, which may hold line breaks
 * and other control bytes ("a\nb", a multi-line plain scalar): write those
 * as \n, \t, \r or \xHH so that every message stays on one line.
 */
static char *escape_controls(char *s)
{
	size_t n = 0, i, o = 0;
	char *e;

	for (i = 0; s[i] != '\0'; i++)
		n += ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? 4 : 1;
	if (n == i)
		return s;
	e = malloc(n + 1);
	if (e != NULL) {
		for (i = 0; s[i] != '\0'; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (ch >= 0x20 && ch != 0x7f) {
				e[o++] = (char)ch;
			} else if (ch == '\n' || ch == '\t' || ch == '\r') {
				e[o++] = '\\';
				e[o++] = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
			} else {
				e[o++] = '\\';
				e[o++] = 'x';
				e[o++] = "0123456789abcdef"[ch >> 4];
				e[o++] = "0123456789abcdef"[ch & 15];
			}
		}
		e[o] = '\0';
	}
	free(s);
	return e;
}

static void err_at(struct ctx *c, struct pos at, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static void err_at(struct ctx *c, struct pos at, const char *f, ...)
{
	va_list ap;
	char *body, *line;

	va_start(ap, f);
	body = vfmt(f, ap);
	va_end(ap);
	if (body != NULL)
		body = escape_controls(body);
	if (body == NULL) {
		c->oom = true;
		return;
	}
	line = fmt("%s:%d:%d: %s", c->name, at.line, at.col, body);
	free(body);
	add_err(c, at, line);
}

#define err_node(c, n, ...) err_at((c), node_pos(n), __VA_ARGS__)

static void *c_alloc(struct ctx *c, size_t n)
{
	void *p = arena_alloc(c->arena, n ? n : 1);

	if (p == NULL)
		c->oom = true;
	return p;
}

static void *c_array(struct ctx *c, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		c->oom = true;
		return NULL;
	}
	return c_alloc(c, n * size);
}

static char *c_strdup(struct ctx *c, const char *s)
{
	size_t n = strlen(s);
	char *p = c_alloc(c, n + 1);

	if (p != NULL)
		memcpy(p, s, n + 1);
	return p;
}

/* ---- nodes ---- */

static yaml_node_t *node(struct ctx *c, yaml_node_item_t id)
{
	return yaml_document_get_node(c->doc, id);
}

/* A null scalar: the key takes its default. */
static bool null_scalar(const char *v, yaml_scalar_style_t style)
{
	return style == YAML_PLAIN_SCALAR_STYLE &&
	       (!strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") ||
		!strcmp(v, "Null") || !strcmp(v, "NULL"));
}

static bool is_null(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       null_scalar((const char *)n->data.scalar.value,
			   n->data.scalar.style);
}

/* How a node is shown after "got": "\"text\"", "a mapping", "a list". */
static const char *desc(const yaml_node_t *n, char *buf, size_t len)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->data.scalar.length > 60)
		snprintf(buf, len, "\"%.57s...\"", n->data.scalar.value);
	else
		snprintf(buf, len, "\"%s\"", n->data.scalar.value);
	return buf;
}

static void err_want(struct ctx *c, const char *kp, const yaml_node_t *n,
		     const char *want)
{
	char buf[80];

	err_node(c, n, "%s: expected %s, got %s", kp, want,
		 desc(n, buf, sizeof(buf)));
}

/* The text of a scalar node, or NULL after reporting what was wanted. */
static const char *scalar(struct ctx *c, const char *kp, const yaml_node_t *n,
			  const char *want)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		err_want(c, kp, n, want);
		return NULL;
	}
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length) {
		err_node(c, n, "%s: contains a NUL byte", kp);
		return NULL;
	}
	return v;
}

/* 1 true, 0 false, -1 not a boolean. */
static int bool_of(const char *v)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static void kp_join(char *dst, const char *kp, const char *name)
{
	/* Key paths are short; a longer one is cut, never overflowed. */
	int n = snprintf(dst, KP_MAX, "%s%s", kp, kp[0] ? "." : "");
	if (n >= 0 && (size_t)n < KP_MAX)
		snprintf(dst + n, KP_MAX - (size_t)n, "%.80s", name);
}

static void kp_index(char *dst, const char *kp, size_t i)
{
	snprintf(dst, KP_MAX, "%s[%zu]", kp, i);
}

/* ---- key tables ---- */

struct key;
typedef void (*set_fn)(struct ctx *c, const struct key *k, const char *kp,
		       yaml_node_t *v, void *base);

struct key {
	const char *name;
	set_fn set;
	size_t off;  /* where the value goes in base */
	size_t off2; /* second field (element count) for lists */
	int64_t min, max;
	const char *const *names; /* enum names, by value */
	const struct key *sub;    /* a nested section's keys */
	size_t nsub;
	bool list;                /* sub: the keys of each entry of a list */
};

#define AT(base, k, type) ((type *)(void *)((char *)(base) + (k)->off))
#define AT2(base, k, type) ((type *)(void *)((char *)(base) + (k)->off2))

/* Keys of earlier versions, and what to write instead. */
static const struct {
	const char *kp, *name, *hint;
} replaced_keys[] = {
	{ "limits", "parked_per_worker",
	  "replaced by connections_per_worker (every waiting connection now "
	  "waits in its worker's set)" },
};

static const char *replaced_hint(const char *kp, const char *name)
{
	for (size_t i = 0; i < PH_ARRAY_LEN(replaced_keys); i++)
		if (strcmp(replaced_keys[i].kp, kp) == 0 &&
		    strcmp(replaced_keys[i].name, name) == 0)
			return replaced_keys[i].hint;
	return NULL;
}

static void walk_map(struct ctx *c, const char *kp, yaml_node_t *m,
		     const struct key *keys, size_t nkeys, void *base)
{
	bool seen[32] = { false };
	char sub[KP_MAX], buf[80];
	const char *sep = kp[0] ? ": " : "";

	if (m->type != YAML_MAPPING_NODE) {
		err_want(c, kp[0] ? kp : "configuration", m, "a mapping");
		return;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *name;
		size_t i;

		if (kn->type != YAML_SCALAR_NODE) {
			err_node(c, kn, "%s%sexpected a key name, got %s", kp,
				 sep, desc(kn, buf, sizeof(buf)));
			continue;
		}
		name = (const char *)kn->data.scalar.value;
		for (i = 0; i < nkeys && strcmp(keys[i].name, name); i++)
			;
		if (i == nkeys && replaced_hint(kp, name) != NULL) {
			err_node(c, kn, "%s%s%s: %s", kp, sep, name,
				 replaced_hint(kp, name));
		} else if (i == nkeys) {
			err_node(c, kn, "%s%sunknown key %s", kp, sep,
				 desc(kn, buf, sizeof(buf)));
		} else if (seen[i]) {
			err_node(c, kn, "%s%sduplicate key %s", kp, sep,
				 desc(kn, buf, sizeof(buf)));
		} else {
			seen[i] = true;
			kp_join(sub, kp, name);
			if (!is_null(vn))
				keys[i].set(c, &keys[i], sub, vn, base);
		}
	}
}

/* ---- generic setters ---- */

static void set_bool(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "true or false");
	int b;

	if (s == NULL)
		return;
	b = bool_of(s);
	if (b < 0)
		err_want(c, kp, v, "true or false");
	else
		*AT(base, k, bool) = b == 1;
}

static void set_duration(struct ctx *c, const struct key *k, const char *kp,
			 yaml_node_t *v, void *base)
{
	const char *want = "a duration like \"10s\"";
	const char *s = scalar(c, kp, v, want);
	int64_t ms;

	if (s == NULL)
		return;
	if (parse_duration_ms(s, &ms) != 0)
		err_want(c, kp, v, want);
	else if (ms < k->min)
		err_want(c, kp, v, "a duration of at least 1ms");
	else
		*AT(base, k, int64_t) = ms;
}

static void set_size(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	const char *want = "a size like \"16k\"";
	const char *s = scalar(c, kp, v, want);
	uint64_t n;
	char buf[64];

	if (s == NULL)
		return;
	if (parse_size(s, &n) != 0) {
		err_want(c, kp, v, want);
	} else if (n < (uint64_t)k->min) {
		snprintf(buf, sizeof(buf), "a size of at least %lld bytes",
			 (long long)k->min);
		err_want(c, kp, v, buf);
	} else {
		*AT(base, k, uint64_t) = n;
	}
}

/* An integer in [k->min, k->max] (max 0: unbounded); 0 or -1 (reported). */
static int get_int(struct ctx *c, const struct key *k, const char *kp,
		   yaml_node_t *v, uint64_t *out)
{
	char want[80];
	const char *s;

	if (k->max > 0)
		snprintf(want, sizeof(want), "an integer from %lld to %lld",
			 (long long)k->min, (long long)k->max);
	else
		snprintf(want, sizeof(want), "an integer >= %lld",
			 (long long)k->min);
	s = scalar(c, kp, v, want);
	if (s == NULL)
		return -1;
	if (parse_u64(s, out) != 0 || *out < (uint64_t)k->min ||
	    (k->max > 0 && *out > (uint64_t)k->max)) {
		err_want(c, kp, v, want);
		return -1;
	}
	return 0;
}

static void set_u64(struct ctx *c, const struct key *k, const char *kp,
		    yaml_node_t *v, void *base)
{
	uint64_t n;

	if (get_int(c, k, kp, v, &n) == 0)
		*AT(base, k, uint64_t) = n;
}

static void set_int(struct ctx *c, const struct key *k, const char *kp,
		    yaml_node_t *v, void *base)
{
	uint64_t n;

	if (get_int(c, k, kp, v, &n) == 0)
		*AT(base, k, int) = (int)n;
}

static void set_enum(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	char want[96] = "one of";
	const char *s = scalar(c, kp, v, "a name");
	size_t len;

	if (s == NULL)
		return;
	for (unsigned i = 0; k->names[i] != NULL; i++) {
		if (strcmp(s, k->names[i]) == 0) {
			*AT(base, k, unsigned) = i;
			return;
		}
	}
	for (unsigned i = 0; k->names[i] != NULL; i++) {
		len = strlen(want);
		snprintf(want + len, sizeof(want) - len, "%s %s",
			 i ? (k->names[i + 1] ? "," : " or") : "", k->names[i]);
	}
	err_want(c, kp, v, want);
}

static void set_str(struct ctx *c, const struct key *k, const char *kp,
		    yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a string");

	if (s == NULL)
		return;
	if (s[0] == '\0' && k->min > 0) {
		err_want(c, kp, v, "a non-empty string");
		return;
	}
	*AT(base, k, const char *) = c_strdup(c, s);
}

/* "off", or a plain false/no: a log or the pid file turned off. */
static bool is_off(const char *s, yaml_scalar_style_t style)
{
	return strcmp(s, "off") == 0 ||
	       (style == YAML_PLAIN_SCALAR_STYLE && bool_of(s) == 0);
}

/* ---- paths ---- */

static const char *resolve(struct ctx *c, const char *p)
{
	const char *dir = c->cfg->dir;
	size_t dl, pl;
	char *out;

	if (p[0] == '/')
		return c_strdup(c, p);
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	dl = strlen(dir);
	pl = strlen(p);
	if (dl > 0 && dir[dl - 1] == '/')
		dl--;
	out = c_alloc(c, dl + pl + 2);
	if (out == NULL)
		return NULL;
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, p, pl + 1);
	if (pl == 0 || (pl == 1 && p[0] == '.'))
		out[dl + (dl == 0)] = '\0';
	return out;
}

static const char *get_path(struct ctx *c, const char *kp, yaml_node_t *v)
{
	const char *s = scalar(c, kp, v, "a path");

	if (s == NULL)
		return NULL;
	if (s[0] == '\0') {
		err_want(c, kp, v, "a path");
		return NULL;
	}
	return resolve(c, s);
}

static void set_path(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	const char *p = get_path(c, kp, v);

	if (p != NULL)
		*AT(base, k, const char *) = p;
}

/* 0 when path has the file type wanted (S_IFDIR or S_IFREG), else reported. */
static int check_type(struct ctx *c, struct pos at, const char *kp,
		      const char *path, mode_t type)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		err_at(c, at, "%s: %s: %s", kp, path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & S_IFMT) == type)
		return 0;
	err_at(c, at, "%s: %s: %s", kp, path,
	       type == S_IFDIR ? strerror(ENOTDIR) : "Not a regular file");
	return -1;
}

static void set_dir(struct ctx *c, const struct key *k, const char *kp,
		    yaml_node_t *v, void *base)
{
	const char *p = get_path(c, kp, v);

	if (p != NULL && check_type(c, node_pos(v), kp, p, S_IFDIR) == 0)
		*AT(base, k, const char *) = p;
}

static void set_file(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	const char *p = get_path(c, kp, v);

	if (p != NULL && check_type(c, node_pos(v), kp, p, S_IFREG) == 0)
		*AT(base, k, const char *) = p;
}

/* A URL path of a built-in page: must start with '/'. */
static void set_urlpath(struct ctx *c, const struct key *k, const char *kp,
			yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a path starting with '/'");

	if (s == NULL)
		return;
	if (s[0] != '/' || strpbrk(s, " ?#") != NULL)
		err_want(c, kp, v, "a path starting with '/'");
	else
		*AT(base, k, const char *) = c_strdup(c, s);
}

/* ---- lists ---- */

/* The items of a list that must be a list (of routes, of hosts): false,
 * with the error, when v is something else. */
static bool seq_items(struct ctx *c, const char *kp, yaml_node_t *v,
		      const char *want, yaml_node_item_t **it, size_t *n)
{
	*it = NULL;
	*n = 0;
	if (v->type != YAML_SEQUENCE_NODE) {
		err_want(c, kp, v, want);
		return false;
	}
	*n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	*it = v->data.sequence.items.start;
	return true;
}

/* The items of a list; a single scalar counts as a list of one. */
static yaml_node_item_t *items(struct ctx *c, const char *kp, yaml_node_t *v,
			       size_t *n, const char *want)
{
	yaml_node_item_t *it;

	if (v->type == YAML_SCALAR_NODE) {
		*n = 1;
		return NULL;
	}
	seq_items(c, kp, v, want, &it, n);
	return it;
}

static yaml_node_t *item(struct ctx *c, yaml_node_t *v, yaml_node_item_t *it,
			 size_t i)
{
	return it == NULL ? v : node(c, it[i]);
}

/* Index file names: non-empty, no '/'. */
static void set_names(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	size_t n, i, ok = 0;
	yaml_node_item_t *it = items(c, kp, v, &n, "a list of file names");
	const char **arr = c_array(c, n, sizeof(*arr));
	char sub[KP_MAX];

	if (arr == NULL || (it == NULL && n == 0))
		return;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = item(c, v, it, i);
		const char *s;

		kp_index(sub, kp, i);
		s = scalar(c, sub, e, "a file name");
		if (s != NULL && (s[0] == '\0' || strchr(s, '/') != NULL))
			err_want(c, sub, e, "a file name without '/'");
		else if (s != NULL)
			arr[ok++] = c_strdup(c, s);
	}
	*AT(base, k, const char **) = arr;
	*AT2(base, k, size_t) = ok;
}

static void set_cidrs(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	const char *want = "an address block like \"10.0.0.0/8\"";
	size_t n, i, ok = 0;
	yaml_node_item_t *it = items(c, kp, v, &n, "a list of address blocks");
	struct cidr *arr = c_array(c, n, sizeof(*arr));
	char sub[KP_MAX];

	if (arr == NULL || (it == NULL && n == 0))
		return;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = item(c, v, it, i);
		const char *s;

		kp_index(sub, kp, i);
		s = scalar(c, sub, e, want);
		if (s != NULL && cidr_parse(s, &arr[ok]) != 0)
			err_want(c, sub, e, want);
		else if (s != NULL)
			ok++;
	}
	*AT(base, k, const struct cidr *) = arr;
	*AT2(base, k, size_t) = ok;
}

static bool is_tchar(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z') ||
	       (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* A map of scalar name -> scalar value; header names checked when min > 0. */
static void set_pairs(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	yaml_node_pair_t *p, *start;
	struct header_kv *arr;
	size_t n, ok = 0;
	char sub[KP_MAX], buf[80];

	if (v->type != YAML_MAPPING_NODE) {
		err_want(c, kp, v, "a mapping");
		return;
	}
	start = v->data.mapping.pairs.start;
	n = (size_t)(v->data.mapping.pairs.top - start);
	arr = c_array(c, n, sizeof(*arr));
	if (arr == NULL)
		return;
	for (p = start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *name = scalar(c, kp, kn, "a name"), *val;
		size_t j;

		if (name == NULL)
			continue;
		for (j = 0; j < ok && strcasecmp(arr[j].name, name); j++)
			;
		kp_join(sub, kp, name);
		if (j < ok) {
			err_node(c, kn, "%s: duplicate key %s", kp,
				 desc(kn, buf, sizeof(buf)));
			continue;
		}
		if (k->min > 0 && !is_token(name)) {
			err_want(c, kp, kn, "a header name");
			continue;
		}
		val = scalar(c, sub, vn, "a string");
		if (val != NULL && k->min > 0 && strpbrk(val, "\r\n") != NULL) {
			err_node(c, vn, "%s: line breaks are not allowed in a header value", sub);
			continue;
		}
		if (val == NULL)
			continue;
		arr[ok].name = c_strdup(c, name);
		arr[ok++].value = c_strdup(c, is_null(vn) ? "" : val);
	}
	*AT(base, k, const struct header_kv *) = arr;
	*AT2(base, k, size_t) = ok;
}

/* ---- listen addresses ---- */

static int get_addr(struct ctx *c, const char *kp, yaml_node_t *v,
		    struct listen_addr *out)
{
	const char *s = scalar(c, kp, v, "an address like \"127.0.0.1:8080\"");
	char err[256];
	struct pos at = node_pos(v);

	if (s == NULL)
		return -1;
	if (listen_addr_parse(s, out, err, sizeof(err)) != 0) {
		err_node(c, v, "%s: %s", kp, err);
		return -1;
	}
	out->line = at.line;
	out->col = at.col;
	return 0;
}

struct listen_item {
	yaml_node_t *address;
	bool proxy_protocol;
	bool defer_accept;
};

static void set_node(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	(void)c;
	(void)kp;
	*AT(base, k, yaml_node_t *) = v;
}

static const struct key listen_keys[] = {
	{ .name = "address", .set = set_node,
	  .off = offsetof(struct listen_item, address) },
	{ .name = "proxy_protocol", .set = set_bool,
	  .off = offsetof(struct listen_item, proxy_protocol) },
	{ .name = "defer_accept", .set = set_bool,
	  .off = offsetof(struct listen_item, defer_accept) },
};

static int listen_one(struct ctx *c, const char *kp, yaml_node_t *e,
		      struct listen_addr *out)
{
	struct listen_item li = { NULL, false, true };
	char sub[KP_MAX];

	if (e->type != YAML_MAPPING_NODE)
		return get_addr(c, kp, e, out);
	walk_map(c, kp, e, listen_keys, PH_ARRAY_LEN(listen_keys), &li);
	if (li.address == NULL) {
		err_node(c, e, "%s.address: required", kp);
		return -1;
	}
	kp_join(sub, kp, "address");
	if (get_addr(c, sub, li.address, out) != 0)
		return -1;
	out->proxy_protocol = li.proxy_protocol;
	if (out->family != AF_UNIX)
		out->defer_accept = li.defer_accept;
	return 0;
}

static void set_listen(struct ctx *c, const struct key *k, const char *kp,
		       yaml_node_t *v, void *base)
{
	size_t n = 1, i;
	yaml_node_item_t *it = NULL;
	struct config *cfg = base;
	char sub[KP_MAX];

	(void)k;
	c->listen_seen = true;
	if (v->type != YAML_MAPPING_NODE) /* a map alone is a list of one */
		it = items(c, kp, v, &n, "a list of addresses");
	if (v->type == YAML_SEQUENCE_NODE && n == 0)
		err_node(c, v, "%s: expected at least one address", kp);
	cfg->listen = c_array(c, n, sizeof(*cfg->listen));
	if (cfg->listen == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (it != NULL)
			kp_index(sub, kp, i);
		else
			snprintf(sub, sizeof(sub), "%s", kp);
		if (listen_one(c, sub, item(c, v, it, i),
			       &cfg->listen[cfg->nlisten]) == 0)
			cfg->nlisten++;
	}
}

/* ---- top-level specials ---- */

/* "workers: auto": the CPUs this process may use (cpus.h), up to MAX_WORKERS. */
static unsigned auto_workers(void)
{
	unsigned n = cpus_available();

	return n > MAX_WORKERS ? MAX_WORKERS : n;
}

static void set_workers(struct ctx *c, const struct key *k, const char *kp,
			yaml_node_t *v, void *base)
{
	const char *want = "an integer >= 1 or \"auto\"";
	const char *s = scalar(c, kp, v, want);
	struct config *cfg = base;
	uint64_t n;

	(void)k;
	c->workers_bad = true;
	if (s == NULL)
		return;
	if (strcmp(s, "auto") == 0) {
		cfg->workers_auto = true; /* resolved by check_workers */
	} else if (parse_u64(s, &n) != 0 || n < 1) {
		err_want(c, kp, v, want);
		return;
	} else if (n > MAX_WORKERS) {
		err_want(c, kp, v, "an integer from 1 to 4096 or \"auto\"");
		return;
	} else {
		cfg->workers = (unsigned)n;
		cfg->workers_auto = false;
	}
	c->workers_bad = false;
}

static void set_max_workers(struct ctx *c, const struct key *k, const char *kp,
			    yaml_node_t *v, void *base)
{
	uint64_t n;

	if (get_int(c, k, kp, v, &n) != 0)
		return;
	((struct config *)base)->max_workers = (unsigned)n;
	c->max_workers_set = true;
	c->max_workers_at = node_pos(v);
}

static void set_user(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a user name");
	struct passwd *pw;

	(void)k;
	if (s == NULL)
		return;
	errno = 0;
	pw = getpwnam(s);
	if (pw == NULL) {
		err_node(c, v, "%s: unknown user \"%s\"", kp, s);
		return;
	}
	((struct config *)base)->user = c_strdup(c, s);
	c->user_is_root = pw->pw_uid == 0;
	c->user_at = node_pos(v);
}

static void set_group(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a group name");

	(void)k;
	if (s == NULL)
		return;
	if (getgrnam(s) == NULL) {
		err_node(c, v, "%s: unknown group \"%s\"", kp, s);
		return;
	}
	((struct config *)base)->group = c_strdup(c, s);
}

static void set_root(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	c->root_set = true;
	c->root_at = node_pos(v);
	set_dir(c, k, kp, v, base);
}

/* ---- logs ---- */

static const char *const format_names[] = { "combined", "json", NULL };
static const char *const time_names[] = { "utc", "local", NULL };
static const char *const level_names[] = { "error", "warn", "info", "debug",
					   NULL };

/* "stdout", "stderr", off/false (NULL), or a file path. */
static void set_log_path(struct ctx *c, const struct key *k, const char *kp,
			 yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a path, \"stdout\", \"stderr\" or off");
	const char **out = AT(base, k, const char *);
	struct pos at = node_pos(v);

	if (s == NULL)
		return;
	((struct log_target *)base)->path_at = (struct config_at){ at.line, at.col };
	if (is_off(s, v->data.scalar.style))
		*out = NULL;
	else if (strcmp(s, "stdout") == 0)
		*out = "stdout";
	else if (strcmp(s, "stderr") == 0)
		*out = "stderr";
	else
		set_path(c, k, kp, v, base);
}

static const struct key access_keys[] = {
	{ .name = "path", .set = set_log_path,
	  .off = offsetof(struct log_target, path) },
	{ .name = "format", .set = set_enum,
	  .off = offsetof(struct log_target, format), .names = format_names },
	{ .name = "time", .set = set_enum,
	  .off = offsetof(struct log_target, time), .names = time_names },
};

static const struct key error_keys[] = {
	{ .name = "path", .set = set_log_path,
	  .off = offsetof(struct log_target, path) },
	{ .name = "level", .set = set_enum,
	  .off = offsetof(struct log_target, level), .names = level_names },
};

static void set_log(struct ctx *c, const struct key *k, const char *kp,
		    yaml_node_t *v, void *base)
{
	struct log_target *t = AT(base, k, struct log_target);
	const struct key *keys = k->off == offsetof(struct config, access_log)
					 ? access_keys : error_keys;
	const struct key path_key = { .name = "path", .set = set_log_path };

	if (v->type == YAML_SCALAR_NODE)
		set_log_path(c, &path_key, kp, v, t); /* "access_log: off" */
	else
		walk_map(c, kp, v, keys,
			 keys == access_keys ? PH_ARRAY_LEN(access_keys)
					     : PH_ARRAY_LEN(error_keys), t);
}

/* ---- the pid file ---- */

/* A path (relative to the file's directory), or off. */
static void set_pid_file(struct ctx *c, const struct key *k, const char *kp,
			 yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a path or off");
	struct config *cfg = base;
	struct pos at = node_pos(v);

	(void)k;
	if (s == NULL)
		return;
	c->pid_file_set = true;
	cfg->pid_file_at = (struct config_at){ at.line, at.col };
	if (is_off(s, v->data.scalar.style))
		cfg->pid_file = NULL;
	else
		cfg->pid_file = get_path(c, kp, v);
}

/* ---- health, status, metrics, admin, agent ---- */

/* A section that may be written as on/off: 1 on, 0 off, -1 a mapping. */
static int switch_of(struct ctx *c, const char *kp, yaml_node_t *v)
{
	int b;

	if (v->type != YAML_SCALAR_NODE)
		return -1;
	b = bool_of((const char *)v->data.scalar.value);
	if (b < 0) {
		err_want(c, kp, v, "a mapping, or on or off");
		return 0;
	}
	return b;
}

static const struct key health_keys[] = {
	{ .name = "path", .set = set_urlpath,
	  .off = offsetof(struct config, health_path) },
	{ .name = "log", .set = set_bool,
	  .off = offsetof(struct config, health_log) },
};

static void set_health(struct ctx *c, const struct key *k, const char *kp,
		       yaml_node_t *v, void *base)
{
	int sw = switch_of(c, kp, v);

	(void)k;
	if (sw == 0)
		((struct config *)base)->health_path = NULL;
	else if (sw < 0)
		walk_map(c, kp, v, health_keys, PH_ARRAY_LEN(health_keys),
			 base);
}

static const struct key acl_keys[] = {
	{ .name = "path", .set = set_urlpath, .off = offsetof(struct acl, path) },
	{ .name = "allow", .set = set_cidrs, .off = offsetof(struct acl, allow),
	  .off2 = offsetof(struct acl, nallow) },
};

static const struct cidr local_only[] = {
	{ .family = AF_INET, .addr = { 127, 0, 0, 1 }, .prefix = 32 },
	{ .family = AF_INET6, .addr = { [15] = 1 }, .prefix = 128 },
};

static void set_acl(struct ctx *c, const struct key *k, const char *kp,
		    yaml_node_t *v, void *base)
{
	struct acl *a = AT(base, k, struct acl);
	int sw = switch_of(c, kp, v);

	if (sw == 0)
		return;
	a->path = k->off == offsetof(struct config, status) ? "/server-status"
							     : "/metrics";
	a->allow = local_only;
	a->nallow = PH_ARRAY_LEN(local_only);
	if (sw < 0)
		walk_map(c, kp, v, acl_keys, PH_ARRAY_LEN(acl_keys), a);
}

static void set_admin_listen(struct ctx *c, const struct key *k,
			     const char *kp, yaml_node_t *v, void *base)
{
	struct config *cfg = base;

	(void)k;
	if (get_addr(c, kp, v, &cfg->admin_listen) == 0)
		cfg->admin_enabled = true;
}

static const struct key admin_keys[] = {
	{ .name = "listen", .set = set_admin_listen },
};

static void set_admin(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	size_t before = c->nerrs;

	(void)k;
	walk_map(c, kp, v, admin_keys, 1, base);
	if (!((struct config *)base)->admin_enabled && c->nerrs == before)
		err_node(c, v, "%s.listen: required", kp);
}

static void set_agent(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	struct config *cfg = base;

	(void)k;
	if (get_addr(c, kp, v, &cfg->agent_check) == 0)
		cfg->agent_check_enabled = true;
}

/* ---- compress ---- */

static void set_encodings(struct ctx *c, const struct key *k, const char *kp,
			  yaml_node_t *v, void *base)
{
	struct compress_rule *r = base;
	size_t n, i;
	yaml_node_item_t *it = items(c, kp, v, &n, "a list of encodings");
	char sub[KP_MAX];

	(void)k;
	if (it == NULL && n == 0)
		return;
	if (n == 0) {
		err_want(c, kp, v, "at least one encoding (br, gzip)");
		return;
	}
	r->nenc = 0;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = item(c, v, it, i);
		const char *s;
		int cd;
		size_t j;

		kp_index(sub, kp, i);
		s = scalar(c, sub, e, "br or gzip");
		if (s == NULL)
			continue;
		cd = coding_of(s, strlen(s));
		if (cd <= CODING_IDENTITY || strcmp(s, coding_name((enum coding)cd)) != 0) {
			err_want(c, sub, e, "br or gzip");
			continue;
		}
		for (j = 0; j < r->nenc && r->enc[j] != (enum coding)cd; j++)
			;
		if (j < r->nenc) {
			err_node(c, e, "%s: \"%s\" is listed twice", sub, s);
			continue;
		}
		r->enc[r->nenc++] = (enum coding)cd;
	}
}

/* "type/subtype" (lower case letters, digits and !#$&^_.+-), or "type/" and
 * a star, when wildcard. */
static bool media_type_ok(const char *s, bool wildcard)
{
	const char *slash = strchr(s, '/');
	size_t i;

	if (slash == NULL || slash == s || slash[1] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (s + i == slash)
			continue;
		if (wildcard && ch == '*' && s + i == slash + 1 && s[i + 1] == '\0')
			continue;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      (ch != 0 && strchr("!#$&^_.+-", ch) != NULL)))
			return false;
	}
	return true;
}

static void set_media_types(struct ctx *c, const struct key *k,
			    const char *kp, yaml_node_t *v, void *base)
{
	const char *want = "a media type like \"text/css\" or \"text/*\", "
			   "in lower case";
	struct compress_rule *r = base;
	size_t n, i, ok = 0;
	yaml_node_item_t *it = items(c, kp, v, &n, "a list of media types");
	const char **arr = c_array(c, n, sizeof(*arr));
	char sub[KP_MAX];

	(void)k;
	if (arr == NULL || (it == NULL && n == 0))
		return;
	for (i = 0; i < n; i++) {
		yaml_node_t *e = item(c, v, it, i);
		const char *s;

		kp_index(sub, kp, i);
		s = scalar(c, sub, e, want);
		if (s != NULL && !media_type_ok(s, true))
			err_want(c, sub, e, want);
		else if (s != NULL)
			arr[ok++] = c_strdup(c, s);
	}
	r->types = arr;
	r->ntypes = ok;
}

static const struct key compress_keys[] = {
	{ .name = "encodings", .set = set_encodings },
	{ .name = "types", .set = set_media_types },
	{ .name = "min_size", .set = set_size,
	  .off = offsetof(struct compress_rule, min_size) },
};

/* compress: on (the defaults), off, or a mapping of compress_keys. */
static void get_compress(struct ctx *c, const char *kp, yaml_node_t *v,
			 struct compress_rule *r)
{
	int sw = switch_of(c, kp, v);

	r->on = sw != 0;
	r->enc[0] = CODING_BR;
	r->enc[1] = CODING_GZIP;
	r->nenc = 2;
	r->types = (const char **)(uintptr_t)compress_default_types;
	r->ntypes = compress_default_ntypes;
	r->min_size = 1024;
	if (sw < 0)
		walk_map(c, kp, v, compress_keys, PH_ARRAY_LEN(compress_keys), r);
}

/* The top level's rule, in the config itself. */
static void set_compress(struct ctx *c, const struct key *k, const char *kp,
			 yaml_node_t *v, void *base)
{
	(void)k;
	get_compress(c, kp, v, &((struct config *)base)->compress);
}

/* A host's or a route's rule: a pointer to its own. */
static void set_compress_ptr(struct ctx *c, const struct key *k,
			     const char *kp, yaml_node_t *v, void *base)
{
	struct compress_rule *r = c_alloc(c, sizeof(*r));

	if (r == NULL)
		return;
	get_compress(c, kp, v, r);
	*AT(base, k, const struct compress_rule *) = r;
}

/* ---- error_pages ---- */

static void set_error_pages(struct ctx *c, const struct key *k,
			    const char *kp, yaml_node_t *v, void *base)
{
	struct error_pages *out = AT(base, k, struct error_pages);
	yaml_node_pair_t *p, *start;
	struct error_page *arr;
	size_t n, ok = 0;
	char sub[KP_MAX];

	if (v->type != YAML_MAPPING_NODE) {
		err_want(c, kp, v, "a mapping of statuses to files");
		return;
	}
	start = v->data.mapping.pairs.start;
	n = (size_t)(v->data.mapping.pairs.top - start);
	arr = c_array(c, n, sizeof(*arr));
	if (arr == NULL)
		return;
	for (p = start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *name = scalar(c, kp, kn, "a status"), *file;
		int code;
		size_t j;

		if (name == NULL)
			continue;
		code = errorpage_key(name);
		if (code < 0) {
			err_want(c, kp, kn, "a status from 400 to 599, 4xx or 5xx");
			continue;
		}
		for (j = 0; j < ok && arr[j].code != code; j++)
			;
		if (j < ok) {
			char buf[80];
			err_node(c, kn, "%s: duplicate key %s", kp,
				 desc(kn, buf, sizeof(buf)));
			continue;
		}
		kp_join(sub, kp, name);
		file = get_path(c, sub, vn);
		if (file == NULL ||
		    check_type(c, node_pos(vn), sub, file, S_IFREG) != 0)
			continue;
		arr[ok].code = code;
		arr[ok++].file = file;
	}
	out->v = arr;
	out->n = ok;
	if (ok > 0)
		c->cfg->any_error_pages = true;
}

/* ---- types and default_type ---- */

/* A media type as a Content-Type value: "type/subtype", maybe parameters. */
static const char *get_ctype(struct ctx *c, const char *kp, yaml_node_t *v)
{
	const char *want = "a media type like \"application/wasm\"";
	const char *s = scalar(c, kp, v, want);
	char base[128], val[256];
	size_t blen;

	if (s == NULL)
		return NULL;
	blen = strcspn(s, ";");
	while (blen > 0 && s[blen - 1] == ' ')
		blen--;
	if (blen == 0 || blen >= sizeof(base)) {
		err_want(c, kp, v, want);
		return NULL;
	}
	memcpy(base, s, blen);
	base[blen] = '\0';
	for (size_t i = 0; i < blen; i++)
		if (base[i] >= 'A' && base[i] <= 'Z')
			base[i] = (char)(base[i] | 0x20);
	if (!media_type_ok(base, false)) {
		err_want(c, kp, v, want);
		return NULL;
	}
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f) {
			err_node(c, v, "%s: control bytes are not allowed in "
				 "a header value", kp);
			return NULL;
		}
	}
	if (mime_value(s, val, sizeof(val)) == 0) {
		err_node(c, v, "%s: longer than %zu bytes", kp, sizeof(val) - 16);
		return NULL;
	}
	return c_strdup(c, val);
}

static void set_types(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	struct config *cfg = base;
	yaml_node_pair_t *p, *start;
	struct mime_extra *arr;
	size_t n, ok = 0;
	char sub[KP_MAX];

	(void)k;
	if (v->type != YAML_MAPPING_NODE) {
		err_want(c, kp, v, "a mapping of extensions to media types");
		return;
	}
	start = v->data.mapping.pairs.start;
	n = (size_t)(v->data.mapping.pairs.top - start);
	arr = c_array(c, n, sizeof(*arr));
	if (arr == NULL)
		return;
	for (p = start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key), *vn = node(c, p->value);
		const char *ext = scalar(c, kp, kn, "an extension"), *type;
		size_t j, len;
		bool bad = false;

		if (ext == NULL)
			continue;
		len = strlen(ext);
		for (j = 0; j < len; j++) {
			unsigned char ch = (unsigned char)ext[j];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
			      ch == '+' || ch == '~'))
				bad = true;
		}
		if (len == 0 || len > 31 || bad) {
			err_want(c, kp, kn, "an extension without the dot, like "
				 "\"wasm\" (letters, digits, '-', '_', '+', '~')");
			continue;
		}
		for (j = 0; j < ok && strcasecmp(arr[j].ext, ext) != 0; j++)
			;
		if (j < ok) {
			char buf[80];
			err_node(c, kn, "%s: duplicate key %s", kp,
				 desc(kn, buf, sizeof(buf)));
			continue;
		}
		kp_join(sub, kp, ext);
		type = get_ctype(c, sub, vn);
		if (type == NULL)
			continue;
		arr[ok].ext = c_strdup(c, ext);
		arr[ok++].type = type;
	}
	cfg->types = arr;
	cfg->ntypes = ok;
}

static void set_default_type(struct ctx *c, const struct key *k,
			     const char *kp, yaml_node_t *v, void *base)
{
	const char *t = get_ctype(c, kp, v);

	(void)k;
	if (t != NULL)
		((struct config *)base)->default_type = t;
}

/* ---- access (a route's) ---- */

struct access_b {
	struct access a;
	struct pos *at; /* of each rule */
	bool any;       /* allow, deny or auth given */
};

/* allow / deny: the blocks are appended to the rules in file order. */
static void set_rules(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	const char *want = "an address block like \"10.0.0.0/8\"";
	struct access_b *b = base;
	bool allow = k->min == 1;
	size_t n, i, have = b->a.nrules;
	yaml_node_item_t *it = items(c, kp, v, &n, "a list of address blocks");
	struct access_rule *arr = c_array(c, have + n, sizeof(*arr));
	struct pos *at = c_array(c, have + n, sizeof(*at));
	char sub[KP_MAX];

	b->any = true;
	if (allow)
		b->a.default_allow = false;
	if (arr == NULL || at == NULL || (it == NULL && n == 0))
		return;
	if (have > 0) {
		memcpy(arr, b->a.rules, have * sizeof(*arr));
		memcpy(at, b->at, have * sizeof(*at));
	}
	for (i = 0; i < n; i++) {
		yaml_node_t *e = item(c, v, it, i);
		const char *s;
		long j;

		kp_index(sub, kp, i);
		s = scalar(c, sub, e, want);
		if (s == NULL)
			continue;
		if (cidr_parse(s, &arr[have].net) != 0) {
			err_want(c, sub, e, want);
			continue;
		}
		arr[have].allow = allow;
		at[have] = node_pos(e);
		j = access_shadowed(arr, have);
		if (j >= 0) {
			err_node(c, e, "%s: \"%s\" lies within a block %s at "
				 "line %d, which decides first; this entry "
				 "would never be used", sub, s,
				 arr[j].allow ? "allowed" : "denied",
				 at[j].line);
			continue;
		}
		have++;
	}
	b->a.rules = arr;
	b->at = at;
	b->a.nrules = have;
}

static void set_realm(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	struct access_b *b = base;
	const char *s = scalar(c, kp, v, "a realm name");
	char *ch;

	(void)k;
	if (s == NULL)
		return;
	if (s[0] == '\0' || strlen(s) > REALM_MAX) {
		err_want(c, kp, v, "a realm name of 1 to 200 bytes");
		return;
	}
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char u = (unsigned char)s[i];
		if (u < 0x20 || u == 0x7f || u == '"' || u == '\\') {
			err_node(c, v, "%s: a realm may not hold '\"', '\\\\' or "
				 "control bytes", kp);
			return;
		}
	}
	b->a.realm = c_strdup(c, s);
	ch = fmt("Basic realm=\"%s\", charset=\"UTF-8\"", s);
	if (ch == NULL) {
		c->oom = true;
		return;
	}
	b->a.challenge = c_strdup(c, ch);
	free(ch);
}

struct htpasswd_ctx {
	struct ctx *c;
	const yaml_node_t *v;
	const char *kp, *file;
};

static void htpasswd_err(void *arg, size_t line, const char *msg,
			 const char *user)
{
	struct htpasswd_ctx *h = arg;

	if (user != NULL)
		err_node(h->c, h->v, "%s: %s:%zu: user \"%s\": %s", h->kp,
			 h->file, line, user, msg);
	else
		err_node(h->c, h->v, "%s: %s:%zu: %s", h->kp, h->file, line, msg);
}

/* The password file, read now (at start and at each reload). */
static void set_htpasswd(struct ctx *c, const struct key *k, const char *kp,
			 yaml_node_t *v, void *base)
{
	struct access_b *b = base;
	const char *path = get_path(c, kp, v);
	struct htpasswd_ctx hc = { c, v, kp, path };
	struct auth_user *users;
	struct stat st;
	char *text;
	size_t got = 0, max;
	int fd;

	(void)k;
	if (path == NULL || check_type(c, node_pos(v), kp, path, S_IFREG) != 0)
		return;
	b->a.htpasswd = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_node(c, v, "%s: %s: %s", kp, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if ((uint64_t)st.st_size > HTPASSWD_MAX_BYTES) {
		err_node(c, v, "%s: %s: larger than 4 MiB", kp, path);
		close(fd);
		return;
	}
	text = c_alloc(c, (size_t)st.st_size + 1);
	while (text != NULL && got < (size_t)st.st_size) {
		ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err_node(c, v, "%s: %s: %s", kp, path,
				 r < 0 ? strerror(errno) : "shorter than its size");
			close(fd);
			return;
		}
		got += (size_t)r;
	}
	close(fd);
	if (text == NULL)
		return;
	text[got] = '\0';
	max = htpasswd_max_users(text, got);
	users = c_array(c, max, sizeof(*users));
	if (users == NULL)
		return;
	b->a.users = users;
	b->a.nusers = htpasswd_parse(text, got, users, max, htpasswd_err, &hc);
	if (b->a.nusers == 0)
		err_node(c, v, "%s: %s: no users", kp, path);
}

static const struct key auth_keys[] = {
	{ .name = "realm", .set = set_realm },
	{ .name = "htpasswd", .set = set_htpasswd },
};

static void set_auth(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	struct access_b *b = base;
	size_t before = c->nerrs;

	(void)k;
	b->any = true;
	walk_map(c, kp, v, auth_keys, PH_ARRAY_LEN(auth_keys), base);
	if (c->nerrs != before)
		return;
	if (b->a.realm == NULL)
		err_node(c, v, "%s.realm: required", kp);
	if (b->a.htpasswd == NULL)
		err_node(c, v, "%s.htpasswd: required", kp);
}

static const struct key access_rule_keys[] = {
	{ .name = "allow", .set = set_rules, .min = 1 },
	{ .name = "deny", .set = set_rules, .min = 0 },
	{ .name = "auth", .set = set_auth, .sub = auth_keys,
	  .nsub = PH_ARRAY_LEN(auth_keys) },
};

static void set_access(struct ctx *c, const struct key *k, const char *kp,
		       yaml_node_t *v, void *base)
{
	struct access_b *b = c_alloc(c, sizeof(*b));
	size_t before = c->nerrs;

	if (b == NULL)
		return;
	b->a.default_allow = true;
	walk_map(c, kp, v, access_rule_keys, PH_ARRAY_LEN(access_rule_keys), b);
	if (c->nerrs == before && !b->any) {
		err_node(c, v, "%s: expected allow, deny or auth", kp);
		return;
	}
	if (b->a.realm != NULL && (b->a.users == NULL || b->a.nusers == 0))
		b->a.realm = NULL; /* reported: not usable */
	*AT(base, k, const struct access *) = &b->a;
}

/* ---- routes ---- */

struct route_b {
	struct route r;
	const yaml_node_t *node, *prefix_node;
	const yaml_node_t *fallback_node, *cache_node, *expires_node;
	int nkinds;
	bool index_set;
	const char *first_kind;
};

static void set_prefix(struct ctx *c, const struct key *k, const char *kp,
		       yaml_node_t *v, void *base)
{
	struct route_b *b = base;
	const char *s = scalar(c, kp, v, "a path starting with '/'");

	(void)k;
	b->prefix_node = v;
	if (s == NULL)
		return;
	if (s[0] != '/' || strpbrk(s, " ?#") != NULL) {
		err_want(c, kp, v, "a path starting with '/'");
		return;
	}
	b->r.prefix = c_strdup(c, s);
	b->r.prefix_len = strlen(s);
}

static void set_route_index(struct ctx *c, const struct key *k,
			    const char *kp, yaml_node_t *v, void *base)
{
	((struct route_b *)base)->index_set = true;
	set_names(c, k, kp, v, base);
}

static void set_redirect_status(struct ctx *c, const struct key *k,
				const char *kp, yaml_node_t *v, void *base)
{
	uint64_t n;

	if (get_int(c, k, kp, v, &n) != 0)
		return;
	if (n != 301 && n != 302 && n != 307 && n != 308)
		err_want(c, kp, v, "301, 302, 307 or 308");
	else
		((struct route_b *)base)->r.redirect.status = (int)n;
}

/*
 * redirect.to becomes a Location header: one line of at most
 * REDIRECT_TO_MAX bytes, without control bytes.  Checked here so that -t
 * tells, rather than every request to the route failing (a line break
 * makes the response layer answer 500) or clients getting the bytes.
 */
static void set_redirect_to(struct ctx *c, const struct key *k,
			    const char *kp, yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a URL or a path");
	size_t n;

	(void)k;
	if (s == NULL)
		return;
	n = strlen(s);
	if (n == 0) {
		err_want(c, kp, v, "a non-empty URL or path");
		return;
	}
	if (n > REDIRECT_TO_MAX) {
		err_node(c, v, "%s: %zu bytes long; at most %d are allowed", kp,
			 n, REDIRECT_TO_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f) {
			err_node(c, v, "%s: control byte 0x%02x at offset %zu; "
				 "a Location is one line of visible characters",
				 kp, ch, i);
			return;
		}
	}
	((struct route_b *)base)->r.redirect.to = c_strdup(c, s);
}

static void set_body(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	struct route_b *b = base;

	set_str(c, k, kp, v, base);
	if (b->r.ret.body != NULL)
		b->r.ret.body_len = strlen(b->r.ret.body);
}

#define RB(field) offsetof(struct route_b, r.field)

/* static.fallback: a request path, checked against the prefix later. */
static void set_fallback(struct ctx *c, const struct key *k, const char *kp,
			 yaml_node_t *v, void *base)
{
	struct route_b *b = base;
	const char *want = "a path starting with '/', without \".\" segments";
	const char *s = scalar(c, kp, v, want);

	(void)k;
	if (s == NULL)
		return;
	if (s[0] != '/' || strpbrk(s, " ?#%\\") != NULL || strstr(s, "/.") ||
	    strstr(s, "//") || s[strlen(s) - 1] == '/') {
		err_want(c, kp, v, s[0] == '/' && s[strlen(s) - 1] == '/'
				       ? "the path of a file, not a directory"
				       : want);
		return;
	}
	b->fallback_node = v;
	b->r.static_.fallback = c_strdup(c, s);
}

/* A header value: one line of visible characters (HTAB allowed). */
static void set_header_value(struct ctx *c, const struct key *k,
			     const char *kp, yaml_node_t *v, void *base)
{
	const char *s = scalar(c, kp, v, "a header value");

	if (s == NULL)
		return;
	if (s[0] == '\0' || strlen(s) > HEADER_VALUE_MAX) {
		err_want(c, kp, v, "a header value of 1 to 4096 bytes");
		return;
	}
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			err_node(c, v, "%s: control bytes are not allowed in "
				 "a header value", kp);
			return;
		}
	}
	((struct route_b *)base)->cache_node = v;
	*AT(base, k, const char *) = c_strdup(c, s);
}

static void set_expires(struct ctx *c, const struct key *k, const char *kp,
			yaml_node_t *v, void *base)
{
	struct route_b *b = base;
	int64_t ms = -1;
	const struct key d = { .name = k->name, .set = set_duration };

	set_duration(c, &d, kp, v, &ms);
	if (ms < 0)
		return;
	b->expires_node = v;
	b->r.static_.expires = true;
	b->r.static_.expires_s = ms / 1000;
}

static const struct key static_keys[] = {
	{ .name = "root", .set = set_dir, .off = RB(static_.root) },
	{ .name = "index", .set = set_route_index, .off = RB(static_.index),
	  .off2 = RB(static_.nindex) },
	{ .name = "autoindex", .set = set_bool, .off = RB(static_.autoindex) },
	{ .name = "fallback", .set = set_fallback },
	{ .name = "cache_control", .set = set_header_value,
	  .off = RB(static_.cache_control) },
	{ .name = "expires", .set = set_expires },
};

static const struct key cgi_keys[] = {
	{ .name = "dir", .set = set_dir, .off = RB(cgi.dir) },
	{ .name = "timeout", .set = set_duration, .off = RB(cgi.timeout_ms),
	  .min = 1 },
};

static const struct key module_keys[] = {
	{ .name = "path", .set = set_file, .off = RB(module.path) },
	{ .name = "options", .set = set_pairs, .off = RB(module.options),
	  .off2 = RB(module.noptions) },
};

static const struct key redirect_keys[] = {
	{ .name = "to", .set = set_redirect_to },
	{ .name = "status", .set = set_redirect_status, .min = 301, .max = 308 },
	{ .name = "keep_path", .set = set_bool, .off = RB(redirect.keep_path) },
};

static const struct key return_keys[] = {
	{ .name = "status", .set = set_int, .off = RB(ret.status), .min = 100,
	  .max = 599 },
	{ .name = "body", .set = set_body, .off = RB(ret.body) },
};

struct kind {
	const char *name;
	enum route_kind kind;
	const struct key *keys;
	size_t nkeys;
	const char *required; /* key that must be given, or NULL */
	size_t required_off;
};

static const struct kind kinds[] = {
	{ "static", ROUTE_STATIC, static_keys, PH_ARRAY_LEN(static_keys), NULL, 0 },
	{ "cgi", ROUTE_CGI, cgi_keys, PH_ARRAY_LEN(cgi_keys), "dir", RB(cgi.dir) },
	{ "module", ROUTE_MODULE, module_keys, PH_ARRAY_LEN(module_keys), "path",
	  RB(module.path) },
	{ "redirect", ROUTE_REDIRECT, redirect_keys, PH_ARRAY_LEN(redirect_keys),
	  "to", RB(redirect.to) },
	{ "return", ROUTE_RETURN, return_keys, PH_ARRAY_LEN(return_keys), NULL, 0 },
};

static void set_kind(struct ctx *c, const struct key *k, const char *kp,
		     yaml_node_t *v, void *base)
{
	const struct kind *kd = &kinds[k->off];
	struct route_b *b = base;
	size_t before = c->nerrs;

	if (b->nkinds++ > 0) {
		err_node(c, v, "%.*s: more than one handler (%s and %s); "
			 "a route has exactly one", (int)(strrchr(kp, '.') - kp),
			 kp, b->first_kind, kd->name);
		return;
	}
	b->first_kind = kd->name;
	b->r.kind = kd->kind;
	walk_map(c, kp, v, kd->keys, kd->nkeys, base);
	if (kd->required != NULL && c->nerrs == before &&
	    *(const char **)(void *)((char *)base + kd->required_off) == NULL)
		err_node(c, v, "%s.%s: required", kp, kd->required);
}

static const struct key route_keys[] = {
	{ .name = "prefix", .set = set_prefix },
	{ .name = "static", .set = set_kind, .off = 0 },
	{ .name = "cgi", .set = set_kind, .off = 1 },
	{ .name = "module", .set = set_kind, .off = 2 },
	{ .name = "redirect", .set = set_kind, .off = 3 },
	{ .name = "return", .set = set_kind, .off = 4 },
	{ .name = "headers", .set = set_pairs, .off = RB(headers),
	  .off2 = RB(nheaders), .min = 1 },
	{ .name = "compress", .set = set_compress_ptr, .off = RB(compress) },
	{ .name = "access", .set = set_access, .off = RB(access),
	  .sub = access_rule_keys, .nsub = PH_ARRAY_LEN(access_rule_keys) },
	{ .name = "error_pages", .set = set_error_pages, .off = RB(error_pages) },
};

/* A list of routes into list (the top level's or a host's). */
static void parse_routes(struct ctx *c, const char *kp, yaml_node_t *v,
			 struct routes_b *list)
{
	yaml_node_item_t *it;
	size_t n, i;
	char sub[KP_MAX];

	if (!seq_items(c, kp, v, "a list of routes", &it, &n))
		return;
	list->rb = c_array(c, n, sizeof(*list->rb));
	if (list->rb == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct route_b *b = &list->rb[i];
		struct pos at;

		b->node = node(c, it[i]);
		at = node_pos(b->node);
		b->r.line = at.line;
		b->r.col = at.col;
		b->r.cgi.timeout_ms = 30000;
		b->r.redirect.status = 302;
		b->r.redirect.keep_path = true;
		b->r.ret.status = 200;
		b->r.ret.body = "";
		kp_index(sub, kp, i);
		walk_map(c, sub, (yaml_node_t *)b->node, route_keys,
			 PH_ARRAY_LEN(route_keys), b);
	}
	list->n = n;
}

static void set_routes(struct ctx *c, const struct key *k, const char *kp,
		       yaml_node_t *v, void *base)
{
	(void)k;
	(void)base;
	parse_routes(c, kp, v, &c->top_routes);
}

/* ---- hosts ---- */

struct host_b {
	struct vhost h;
	const yaml_node_t *node;
	yaml_node_t **name_nodes;
	struct routes_b routes;
	bool index_set;
};

#define HB(field) offsetof(struct host_b, h.field)

static void set_host_names(struct ctx *c, const struct key *k, const char *kp,
			   yaml_node_t *v, void *base)
{
	const char *want = "a host name like \"example.com\" or \"*.example.com\"";
	struct host_b *b = base;
	size_t n, i, ok = 0;
	yaml_node_item_t *it = items(c, kp, v, &n, "a list of host names");
	const char **arr = c_array(c, n, sizeof(*arr));
	yaml_node_t **nodes = c_array(c, n, sizeof(*nodes));
	char sub[KP_MAX], name[256];

	(void)k;
	if (arr == NULL || nodes == NULL || (it == NULL && n == 0))
		return;
	if (n == 0)
		err_node(c, v, "%s: expected at least one name", kp);
	for (i = 0; i < n; i++) {
		yaml_node_t *e = item(c, v, it, i);
		const char *s, *why;
		bool dup = false;

		kp_index(sub, kp, i);
		s = scalar(c, sub, e, want);
		if (s == NULL)
			continue;
		why = vhost_name_check(s, name, sizeof(name));
		if (why != NULL) {
			err_node(c, e, "%s: \"%s\": %s", sub, s, why);
			continue;
		}
		for (size_t h = 0; h <= c->cur_host && !dup; h++) {
			const struct host_b *o = &c->hb[h];
			size_t m = h == c->cur_host ? ok : o->h.nnames;

			for (size_t j = 0; j < m && !dup; j++) {
				if (strcmp(o == b ? arr[j] : o->h.names[j], name))
					continue;
				err_node(c, e, "%s: \"%s\" is already named at "
					 "line %d", sub, s,
					 node_pos(o == b ? nodes[j]
							 : o->name_nodes[j]).line);
				dup = true;
			}
		}
		if (dup)
			continue;
		nodes[ok] = e;
		arr[ok++] = c_strdup(c, name);
	}
	b->h.names = arr;
	b->h.nnames = ok;
	b->name_nodes = nodes;
}

static void set_host_index(struct ctx *c, const struct key *k, const char *kp,
			   yaml_node_t *v, void *base)
{
	((struct host_b *)base)->index_set = true;
	set_names(c, k, kp, v, base);
}

static void set_host_routes(struct ctx *c, const struct key *k,
			    const char *kp, yaml_node_t *v, void *base)
{
	(void)k;
	parse_routes(c, kp, v, &((struct host_b *)base)->routes);
}

static const struct key host_keys[] = {
	{ .name = "names", .set = set_host_names },
	{ .name = "root", .set = set_dir, .off = HB(root) },
	{ .name = "index", .set = set_host_index, .off = HB(index),
	  .off2 = HB(nindex) },
	{ .name = "routes", .set = set_host_routes },
	{ .name = "error_pages", .set = set_error_pages, .off = HB(error_pages) },
	{ .name = "compress", .set = set_compress_ptr, .off = HB(compress) },
};

static void set_hosts(struct ctx *c, const struct key *k, const char *kp,
		      yaml_node_t *v, void *base)
{
	yaml_node_item_t *it;
	size_t n, i;
	char sub[KP_MAX];

	(void)k;
	(void)base;
	if (!seq_items(c, kp, v, "a list of hosts", &it, &n))
		return;
	c->hb = c_array(c, n, sizeof(*c->hb));
	if (c->hb == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct host_b *b = &c->hb[i];
		struct pos at;

		b->node = node(c, it[i]);
		at = node_pos(b->node);
		b->h.line = at.line;
		b->h.col = at.col;
		c->cur_host = i;
		kp_index(sub, kp, i);
		walk_map(c, sub, (yaml_node_t *)b->node, host_keys,
			 PH_ARRAY_LEN(host_keys), b);
		c->nhb = i + 1;
	}
}

/* ---- the top-level table ---- */

#define CF(field) offsetof(struct config, field)

static void set_section(struct ctx *c, const struct key *k, const char *kp,
			yaml_node_t *v, void *base)
{
	walk_map(c, kp, v, k->sub, k->nsub, base);
}

static const struct key timeout_keys[] = {
	{ .name = "header", .set = set_duration, .off = CF(timeouts.header_ms),
	  .min = 1 },
	{ .name = "body", .set = set_duration, .off = CF(timeouts.body_ms),
	  .min = 1 },
	{ .name = "keepalive", .set = set_duration,
	  .off = CF(timeouts.keepalive_ms) },
	{ .name = "send", .set = set_duration, .off = CF(timeouts.send_ms),
	  .min = 1 },
	{ .name = "worker", .set = set_duration, .off = CF(timeouts.worker_ms),
	  .min = 1 },
	{ .name = "graceful", .set = set_duration,
	  .off = CF(timeouts.graceful_ms) },
	{ .name = "drain_delay", .set = set_duration,
	  .off = CF(timeouts.drain_delay_ms) },
};

static const struct key limit_keys[] = {
	{ .name = "header_bytes", .set = set_size,
	  .off = CF(limits.header_bytes), .min = 1024 },
	{ .name = "headers", .set = set_u64, .off = CF(limits.headers),
	  .min = 1 },
	{ .name = "uri_bytes", .set = set_size, .off = CF(limits.uri_bytes),
	  .min = 256 },
	{ .name = "body_bytes", .set = set_size, .off = CF(limits.body_bytes) },
	{ .name = "keepalive_requests", .set = set_u64,
	  .off = CF(limits.keepalive_requests) },
	{ .name = "connections_per_worker", .set = set_u64,
	  .off = CF(limits.connections_per_worker), .min = 1, .max = 1 << 20 },
};

static const struct key top_keys[] = {
	{ .name = "listen", .set = set_listen },
	{ .name = "workers", .set = set_workers },
	{ .name = "max_workers", .set = set_max_workers, .min = 1,
	  .max = MAX_WORKERS },
	{ .name = "max_requests_per_worker", .set = set_u64,
	  .off = CF(max_requests_per_worker) },
	{ .name = "max_requests_jitter", .set = set_u64,
	  .off = CF(max_requests_jitter) },
	{ .name = "backlog", .set = set_int, .off = CF(backlog), .min = 1,
	  .max = 65535 },
	{ .name = "user", .set = set_user },
	{ .name = "group", .set = set_group },
	{ .name = "allow_root", .set = set_bool, .off = CF(allow_root) },
	{ .name = "pid_file", .set = set_pid_file },
	{ .name = "root", .set = set_root, .off = CF(root) },
	{ .name = "index", .set = set_names, .off = CF(index),
	  .off2 = CF(nindex) },
	{ .name = "server_tokens", .set = set_bool, .off = CF(server_tokens) },
	{ .name = "serve_dotfiles", .set = set_bool, .off = CF(serve_dotfiles) },
	{ .name = "timeouts", .set = set_section, .sub = timeout_keys,
	  .nsub = PH_ARRAY_LEN(timeout_keys) },
	{ .name = "limits", .set = set_section, .sub = limit_keys,
	  .nsub = PH_ARRAY_LEN(limit_keys) },
	{ .name = "access_log", .set = set_log, .off = CF(access_log) },
	{ .name = "error_log", .set = set_log, .off = CF(error_log) },
	{ .name = "health", .set = set_health },
	{ .name = "admin", .set = set_admin },
	{ .name = "agent_check", .set = set_agent },
	{ .name = "status", .set = set_acl, .off = CF(status) },
	{ .name = "metrics", .set = set_acl, .off = CF(metrics) },
	{ .name = "trusted_proxies", .set = set_cidrs, .off = CF(trusted_proxies),
	  .off2 = CF(ntrusted_proxies) },
	{ .name = "proxy_protocol_from", .set = set_cidrs,
	  .off = CF(proxy_protocol_from), .off2 = CF(nproxy_protocol_from) },
	{ .name = "routes", .set = set_routes },
	{ .name = "hosts", .set = set_hosts, .sub = host_keys,
	  .nsub = PH_ARRAY_LEN(host_keys), .list = true },
	{ .name = "compress", .set = set_compress, .sub = compress_keys,
	  .nsub = PH_ARRAY_LEN(compress_keys) },
	{ .name = "error_pages", .set = set_error_pages, .off = CF(error_pages) },
	{ .name = "types", .set = set_types },
	{ .name = "default_type", .set = set_default_type },
};

/* ---- defaults and whole-file checks ---- */

static struct config *config_new(struct ctx *c)
{
	struct config *cfg = c_alloc(c, sizeof(*cfg));
	const char **index = c_alloc(c, sizeof(*index));

	if (cfg == NULL || index == NULL)
		return NULL;
	index[0] = "index.html";
	cfg->workers_auto = true; /* resolved by check_workers */
	cfg->backlog = 511;
	cfg->index = index;
	cfg->nindex = 1;
	cfg->server_tokens = true;
	cfg->timeouts.header_ms = 10000;
	cfg->timeouts.body_ms = 30000;
	cfg->timeouts.keepalive_ms = 5000;
	cfg->timeouts.send_ms = 30000;
	cfg->timeouts.worker_ms = 60000;
	cfg->timeouts.graceful_ms = 30000;
	cfg->timeouts.drain_delay_ms = 0;
	cfg->limits.header_bytes = 16 << 10;
	cfg->limits.headers = 100;
	cfg->limits.uri_bytes = 8 << 10;
	cfg->limits.body_bytes = 1 << 20;
	cfg->limits.keepalive_requests = 1000;
	cfg->limits.connections_per_worker = 1024;
	cfg->access_log.path = "stdout";
	cfg->access_log.format = LOG_FORMAT_COMBINED;
	cfg->error_log.path = "stderr";
	cfg->error_log.level = LOG_INFO;
	cfg->health_path = "/healthz";
	return cfg;
}

struct addr_use {
	const struct listen_addr *a;
	const char *kp;
};

static void check_addresses(struct ctx *c)
{
	struct config *cfg = c->cfg;
	struct addr_use *u = c_array(c, cfg->nlisten + 2, sizeof(*u));
	size_t n = 0;

	if (u == NULL)
		return;
	for (size_t i = 0; i < cfg->nlisten; i++)
		u[n++] = (struct addr_use){ &cfg->listen[i], "listen" };
	if (cfg->admin_enabled)
		u[n++] = (struct addr_use){ &cfg->admin_listen, "admin.listen" };
	if (cfg->agent_check_enabled)
		u[n++] = (struct addr_use){ &cfg->agent_check, "agent_check" };
	for (size_t j = 1; j < n; j++) {
		for (size_t i = 0; i < j; i++) {
			if (strcmp(u[i].a->text, u[j].a->text) != 0)
				continue;
			err_at(c, (struct pos){ u[j].a->line, u[j].a->col },
			       "%s: address \"%s\" is already used at line %d",
			       u[j].kp, u[j].a->text, u[i].a->line);
			break;
		}
	}
}

static void check_workers(struct ctx *c)
{
	struct config *cfg = c->cfg;
	unsigned dflt;

	if (cfg->workers_auto)
		cfg->workers = auto_workers();
	dflt = cfg->workers * 2 > 64 ? cfg->workers * 2 : 64;
	if (!c->max_workers_set) {
		if (dflt > MAX_WORKERS)
			dflt = MAX_WORKERS;
		cfg->max_workers = dflt < cfg->workers ? cfg->workers : dflt;
	} else if (cfg->max_workers < cfg->workers && !c->workers_bad) {
		err_at(c, c->max_workers_at,
		       "max_workers: expected an integer >= workers (%u), got \"%u\"",
		       cfg->workers, cfg->max_workers);
	}
}

static void check_root(struct ctx *c, struct pos top)
{
	struct config *cfg = c->cfg;
	const char *p;

	if (!c->root_set) {
		p = resolve(c, "www");
		if (p != NULL && check_type(c, top, "root", p, S_IFDIR) == 0)
			cfg->root = p;
	}
	if (c->user_is_root && !cfg->allow_root)
		err_at(c, c->user_at, "user: workers would run as root; "
		       "set allow_root: true to allow it");
}

/* A route under a built-in page's path would never be reached. */
static void check_shadow(struct ctx *c, const struct route_b *b,
			 const char *kp)
{
	const struct config *cfg = c->cfg;
	const char *what[3] = { "health check", "status page", "metrics page" };
	const char *paths[3] = { cfg->health_path, cfg->status.path,
				 cfg->metrics.path };
	const char *p = b->r.prefix;

	for (int i = 0; i < 3; i++) {
		size_t n = paths[i] ? strlen(paths[i]) : 0;

		if (n == 0 || strncmp(p, paths[i], n) != 0 ||
		    !(p[n] == '\0' || p[n] == '/' || paths[i][n - 1] == '/'))
			continue;
		err_node(c, b->prefix_node,
			 "%s.prefix: \"%s\" is at or under the %s path \"%s\", "
			 "which would shadow it", kp, p, what[i], paths[i]);
	}
}

/*
 * static.fallback: under the route's prefix, and a regular file under its
 * root; kept as the path the static handler looks up (after the prefix).
 */
static void check_fallback(struct ctx *c, struct route_b *b, const char *kp)
{
	struct route *r = &b->r;
	const char *fb = r->static_.fallback, *rel;
	size_t skip = r->prefix_len;
	char sub[KP_MAX], *file;

	if (fb == NULL)
		return;
	kp_join(sub, kp, "static.fallback");
	if (r->kind != ROUTE_STATIC || r->static_.root == NULL)
		return;
	if (strncmp(fb, r->prefix, r->prefix_len) != 0) {
		err_node(c, b->fallback_node, "%s: \"%s\" is not under the "
			 "route's prefix \"%s\"", sub, fb, r->prefix);
		r->static_.fallback = NULL;
		return;
	}
	if (skip > 0 && r->prefix[skip - 1] == '/')
		skip--;
	rel = fb + skip;
	if (rel[0] != '/') {
		err_node(c, b->fallback_node, "%s: \"%s\" names no file under "
			 "the route's prefix \"%s\"", sub, fb, r->prefix);
		return;
	}
	r->static_.fallback = rel;
	file = fmt("%s%s", r->static_.root, rel);
	if (file == NULL) {
		c->oom = true;
		return;
	}
	check_type(c, node_pos(b->fallback_node), sub, file, S_IFREG);
	free(file);
}

/* cache_control or expires, and not both with headers: Cache-Control. */
static void check_cache(struct ctx *c, struct route_b *b, const char *kp)
{
	const struct route *r = &b->r;
	const yaml_node_t *n = b->cache_node ? b->cache_node : b->expires_node;

	if (n == NULL)
		return;
	if (b->cache_node != NULL && b->expires_node != NULL) {
		err_node(c, b->expires_node, "%s.static.expires: give "
			 "cache_control or expires, not both", kp);
		return;
	}
	for (size_t i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, "Cache-Control") != 0 &&
		    (b->expires_node == NULL ||
		     strcasecmp(r->headers[i].name, "Expires") != 0))
			continue;
		err_node(c, n, "%s.static.%s: the route's headers set %s too",
			 kp, b->cache_node ? "cache_control" : "expires",
			 r->headers[i].name);
		return;
	}
}

static void check_route(struct ctx *c, struct routes_b *list, size_t i,
			const char *base_kp, const char *root,
			const char **index, size_t nindex)
{
	struct route_b *b = &list->rb[i];
	char kp[KP_MAX];

	kp_index(kp, base_kp, i);
	if (b->node->type != YAML_MAPPING_NODE)
		return;
	if (b->nkinds == 0)
		err_node(c, b->node, "%s: expected a handler: static, cgi, "
			 "module, redirect or return", kp);
	if (b->r.prefix == NULL) {
		if (b->prefix_node == NULL)
			err_node(c, b->node, "%s.prefix: required", kp);
		return;
	}
	for (size_t j = 0; j < i; j++) {
		if (list->rb[j].r.prefix != NULL &&
		    strcmp(list->rb[j].r.prefix, b->r.prefix) == 0) {
			err_node(c, b->prefix_node,
				 "%s.prefix: \"%s\" is already used at line %d",
				 kp, b->r.prefix, list->rb[j].r.line);
			break;
		}
	}
	check_shadow(c, b, kp);
	if (b->r.kind == ROUTE_STATIC && b->r.static_.root == NULL)
		b->r.static_.root = root;
	if (b->r.kind == ROUTE_STATIC && !b->index_set) {
		b->r.static_.index = index;
		b->r.static_.nindex = nindex;
	}
	if (b->r.kind != ROUTE_STATIC &&
	    (b->fallback_node || b->cache_node || b->expires_node))
		return; /* (static keys only come with a static handler) */
	check_fallback(c, b, kp);
	check_cache(c, b, kp);
	if (b->r.error_pages.n > 0)
		c->cfg->any_error_pages = true;
}

/* Longest prefix first; equal lengths keep file order (insertion sort). */
static void sort_routes(struct ctx *c, const struct routes_b *list,
			const struct route **out, size_t *nout)
{
	struct route *r = c_array(c, list->n, sizeof(*r));

	if (r == NULL)
		return;
	for (size_t i = 0; i < list->n; i++) {
		size_t j = i;

		while (j > 0 && r[j - 1].prefix_len < list->rb[i].r.prefix_len) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = list->rb[i].r;
	}
	*out = r;
	*nout = list->n;
}

static void check_routes(struct ctx *c, struct routes_b *list,
			 const char *kp, const char *root, const char **index,
			 size_t nindex, const struct route **out, size_t *nout)
{
	for (size_t i = 0; i < list->n; i++)
		check_route(c, list, i, kp, root, index, nindex);
	sort_routes(c, list, out, nout);
}

static void check_hosts(struct ctx *c)
{
	struct config *cfg = c->cfg;
	struct vhost *h = c_array(c, c->nhb, sizeof(*h));
	char kp[KP_MAX], sub[KP_MAX];

	if (h == NULL)
		return;
	for (size_t i = 0; i < c->nhb; i++) {
		struct host_b *b = &c->hb[i];

		kp_index(kp, "hosts", i);
		if (b->node->type != YAML_MAPPING_NODE)
			continue;
		if (b->name_nodes == NULL)
			err_node(c, b->node, "%s.names: required", kp);
		if (b->h.root == NULL)
			b->h.root = cfg->root;
		if (!b->index_set) {
			b->h.index = cfg->index;
			b->h.nindex = cfg->nindex;
		}
		if (b->h.error_pages.n > 0)
			cfg->any_error_pages = true;
		kp_join(sub, kp, "routes");
		check_routes(c, &b->routes, sub, b->h.root, b->h.index,
			     b->h.nindex, &b->h.routes, &b->h.nroutes);
		h[i] = b->h;
	}
	cfg->hosts = h;
	cfg->nhosts = c->nhb;
}

static void finish(struct ctx *c, const yaml_node_t *top)
{
	struct pos at = node_pos(top);

	if (!c->listen_seen)
		err_at(c, at, "listen: required (at least one address)");
	if (!c->pid_file_set) {
		c->cfg->pid_file = resolve(c, CONFIG_DEFAULT_PID_FILE);
		c->cfg->pid_file_at = (struct config_at){ at.line, at.col };
		c->cfg->pid_file_default = true;
	}
	check_addresses(c);
	check_workers(c);
	check_root(c, at);
	check_routes(c, &c->top_routes, "routes", c->cfg->root, c->cfg->index,
		     c->cfg->nindex, &c->cfg->routes, &c->cfg->nroutes);
	check_hosts(c);
}

/* ---- loading ---- */

static void err_file(struct ctx *c, const char *f, const char *arg)
{
	struct pos none = { 0, 0 };

	add_err(c, none, fmt("%s: %s%s", c->name, f, arg));
}

static void err_syntax(struct ctx *c, const yaml_parser_t *p)
{
	struct pos at = { (int)p->problem_mark.line + 1,
			  (int)p->problem_mark.column + 1 };

	if (p->error == YAML_MEMORY_ERROR)
		c->oom = true;
	else if (p->context != NULL)
		err_at(c, at, "%s (%s)", p->problem ? p->problem : "syntax error",
		       p->context);
	else
		err_at(c, at, "%s", p->problem ? p->problem : "syntax error");
}

static void parse_text(struct ctx *c, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *top;

	if (!yaml_parser_initialize(&parser)) {
		c->oom = true;
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err_syntax(c, &parser);
		yaml_parser_delete(&parser);
		return;
	}
	c->doc = &doc;
	top = yaml_document_get_root_node(&doc);
	if (top != NULL)
		walk_map(c, "", top, top_keys, PH_ARRAY_LEN(top_keys), c->cfg);
	finish(c, top);
	if (!yaml_parser_load(&parser, &extra)) {
		err_syntax(c, &parser);
	} else {
		top = yaml_document_get_root_node(&extra);
		if (top != NULL)
			err_node(c, top, "expected a single YAML document");
		yaml_document_delete(&extra);
	}
	c->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
}

static int cmp_err(const void *a, const void *b)
{
	const struct perr *x = a, *y = b;

	if (x->at.line != y->at.line)
		return x->at.line < y->at.line ? -1 : 1;
	if (x->at.col != y->at.col)
		return x->at.col < y->at.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void errs_push(struct config_errors *errs, char *msg)
{
	if (errs->count == errs->cap) {
		size_t cap = errs->cap ? 2 * errs->cap : 8;
		char **m = realloc(errs->msg, cap * sizeof(*m));

		if (m == NULL) {
			free(msg);
			return;
		}
		errs->msg = m;
		errs->cap = cap;
	}
	errs->msg[errs->count++] = msg;
}

/* Hand the errors (sorted) to the caller, or the config when there are none. */
static struct config *publish(struct ctx *c, struct config_errors *errs)
{
	struct config *cfg = c->cfg;

	if (c->oom)
		err_file(c, "out of memory", "");
	if (c->oom && c->nerrs == 0)
		errs_push(errs, strdup("out of memory"));
	if (c->nerrs > 1)
		qsort(c->errs, c->nerrs, sizeof(*c->errs), cmp_err);
	for (size_t i = 0; i < c->nerrs; i++)
		errs_push(errs, c->errs[i].msg);
	free(c->errs);
	if (c->nerrs > 0 || c->oom || cfg == NULL) {
		arena_free(c->arena);
		return NULL;
	}
	cfg->arena_ = c->arena;
	return cfg;
}

static struct config *load(const char *name, const char *dir, const char *text,
			   size_t len, struct config_errors *errs)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.arena = calloc(1, sizeof(*c.arena));
	if (c.arena == NULL) {
		errs_push(errs, strdup("out of memory"));
		return NULL;
	}
	c.cfg = config_new(&c);
	if (c.cfg != NULL) {
		c.cfg->file = c_strdup(&c, name);
		c.cfg->dir = c_strdup(&c, dir);
		parse_text(&c, text, len);
	}
	return publish(&c, errs);
}

/* The absolute form of dir (relative to the working directory), malloc'd. */
static char *abs_dir(const char *dir)
{
	char *r;

	if (dir[0] == '/')
		return strdup(dir);
	r = realpath(dir, NULL);
	return r;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d, *r;

	if (slash == NULL)
		return abs_dir(".");
	if (slash == path)
		return strdup("/");
	d = strndup(path, (size_t)(slash - path));
	if (d == NULL)
		return NULL;
	r = abs_dir(d);
	free(d);
	return r;
}

static struct config *fail_file(const char *name, const char *what,
				struct config_errors *errs)
{
	char *msg = NULL;

	if (asprintf(&msg, "%s: %s: %s", name, what, strerror(errno)) < 0)
		msg = NULL;
	errs_push(errs, msg != NULL ? msg : strdup("out of memory"));
	return NULL;
}

/* The whole file into a malloc'd buffer; NULL with errno set on failure. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	while (buf != NULL) {
		if (n == cap) {
			if (cap >= CONFIG_MAX_BYTES) {
				errno = EFBIG;
				break;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r == 0) {
			*len = n;
			return buf;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0)
			n += (size_t)r;
	}
	free(buf);
	return NULL;
}

struct config *config_load(const char *path, struct config_errors *errs)
{
	struct config *cfg;
	char *text, *dir;
	size_t len = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_file(path, "cannot open", errs);
	text = read_all(fd, &len);
	e = errno;
	if (close(fd) != 0 && text != NULL) {
		free(text);
		return fail_file(path, "cannot read", errs);
	}
	errno = e;
	if (text == NULL)
		return fail_file(path, "cannot read", errs);
	dir = dir_of(path);
	if (dir == NULL) {
		free(text);
		return fail_file(path, "cannot resolve its directory", errs);
	}
	cfg = load(path, dir, text, len, errs);
	free(dir);
	free(text);
	return cfg;
}

struct config *config_load_string(const char *name, const char *dir,
				  const char *text, size_t len,
				  struct config_errors *errs)
{
	struct config *cfg;
	char *adir = abs_dir(dir != NULL ? dir : ".");

	if (adir == NULL) {
		errno = errno ? errno : ENOMEM;
		return fail_file(name, dir != NULL ? dir : ".", errs);
	}
	cfg = load(name, adir, text, len, errs);
	free(adir);
	return cfg;
}

void config_errors_add(struct config_errors *errs, char *msg)
{
	errs_push(errs, msg != NULL ? msg : strdup("out of memory"));
}

/* ---- the pid file alone (-s) ---- */

struct pid_scan {
	const char *name; /* the file, for messages */
	yaml_parser_t parser;
	yaml_event_t ev;
	struct config_errors *errs;
	bool broken; /* a YAML syntax error came first */
};

static void scan_err(struct pid_scan *p, yaml_mark_t at, const char *msg)
{
	char *line = NULL;

	if (asprintf(&line, "%s:%d:%d: %s", p->name, (int)at.line + 1,
		     (int)at.column + 1, msg) < 0)
		line = NULL;
	config_errors_add(p->errs, line);
}

/* The next event into p->ev (the previous one deleted); false when the
 * YAML is broken here. */
static bool scan_next(struct pid_scan *p)
{
	yaml_event_delete(&p->ev);
	if (yaml_parser_parse(&p->parser, &p->ev))
		return true;
	memset(&p->ev, 0, sizeof(p->ev));
	p->broken = true;
	return false;
}

/* Skip the value that starts with the current event. */
static bool scan_skip(struct pid_scan *p)
{
	int depth = 0;

	do {
		if (p->ev.type == YAML_MAPPING_START_EVENT ||
		    p->ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (p->ev.type == YAML_MAPPING_END_EVENT ||
			 p->ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		if (depth == 0)
			return true;
	} while (scan_next(p));
	return false;
}

/* The value of pid_file (v, in that style): into *value and *off. */
static int pid_value(struct pid_scan *p, yaml_mark_t at, const char *v,
		     yaml_scalar_style_t style, char **value, bool *off)
{
	bool null = null_scalar(v, style);

	if (!null && v[0] == '\0') {
		scan_err(p, at, "pid_file: expected a path, got \"\"");
		return -1;
	}
	*off = !null && is_off(v, style);
	*value = null || *off ? NULL : strdup(v);
	if (!null && !*off && *value == NULL) {
		config_errors_add(p->errs, NULL);
		return -1;
	}
	return 0;
}

/*
 * A file whose YAML breaks before its pid_file: the first line that starts
 * with "pid_file:" (a top-level key), its value plain or quoted.  Then the
 * master can still be reached (`-s reload` has it report the error).
 */
static int line_scan(struct pid_scan *p, const char *text, char **value,
		     bool *off)
{
	static const char key[] = "pid_file:";
	const char *line = text;
	size_t lineno = 0;

	for (; line != NULL; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		lineno++;
		if (strncmp(line, key, sizeof(key) - 1) != 0)
			continue;
		const char *v = line + sizeof(key) - 1, *end;
		yaml_mark_t at = { .line = lineno - 1 };
		yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
		char buf[PATH_MAX];

		while (*v == ' ' || *v == '\t')
			v++;
		at.column = (size_t)(v - line);
		if (*v == '"' || *v == '\'') {
			style = *v == '"' ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
					  : YAML_SINGLE_QUOTED_SCALAR_STYLE;
			end = strchr(v + 1, *v);
			v++;
		} else {
			end = v + strcspn(v, "\r\n");
			for (const char *h = v; h < end; h++)
				if (*h == '#' && (h == v || h[-1] == ' ' || h[-1] == '\t'))
					end = h;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
		}
		if (end == NULL || strchr("{[&*|>!", *v) != NULL ||
		    (size_t)(end - v) >= sizeof(buf)) {
			scan_err(p, at, "pid_file: expected a path or off");
			return -1;
		}
		memcpy(buf, v, (size_t)(end - v));
		buf[end - v] = '\0';
		return pid_value(p, at, buf, style, value, off);
	}
	return 1;
}

/*
 * The value of the top-level pid_file key: 0 and *value (malloc'd, NULL
 * for a null value) when found, 1 when the file has none, -1 on an error,
 * -2 when the YAML breaks before it.
 */
static int scan_pid_value(struct pid_scan *p, char **value, bool *off)
{
	do {
		if (!scan_next(p))
			return -2;
	} while (p->ev.type == YAML_STREAM_START_EVENT ||
		 p->ev.type == YAML_DOCUMENT_START_EVENT);
	if (p->ev.type != YAML_MAPPING_START_EVENT)
		return 1; /* not a mapping: config_load() says so; no pid_file */
	for (;;) {
		if (!scan_next(p))
			return -2;
		if (p->ev.type != YAML_SCALAR_EVENT)
			return 1; /* the end of the mapping, or a strange key */
		bool mine = strcmp((const char *)p->ev.data.scalar.value,
				   "pid_file") == 0;
		if (!scan_next(p))
			return -2;
		if (!mine) {
			if (!scan_skip(p))
				return -2;
			continue;
		}
		if (p->ev.type != YAML_SCALAR_EVENT) {
			scan_err(p, p->ev.start_mark, "pid_file: expected a path or off");
			return -1;
		}
		return pid_value(p, p->ev.start_mark,
				 (const char *)p->ev.data.scalar.value,
				 p->ev.data.scalar.style, value, off);
	}
}

int config_pid_file(const char *path, char **out, struct config_errors *errs)
{
	struct pid_scan p = { .name = path, .errs = errs };
	char *text, *dir, *value = NULL;
	size_t len = 0;
	bool off = false;
	int fd, r, e;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail_file(path, "cannot open", errs);
		return -1;
	}
	text = read_all(fd, &len);
	e = errno;
	close(fd);
	errno = e;
	if (text == NULL) {
		fail_file(path, "cannot read", errs);
		return -1;
	}
	if (!yaml_parser_initialize(&p.parser)) {
		free(text);
		config_errors_add(errs, NULL);
		return -1;
	}
	yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
	r = scan_pid_value(&p, &value, &off);
	if (r == -2)
		r = line_scan(&p, text, &value, &off);
	yaml_event_delete(&p.ev);
	yaml_parser_delete(&p.parser);
	free(text);
	if (r < 0)
		return -1;
	if (off)
		return 1;
	if (value != NULL && value[0] == '/') {
		*out = value;
		return 0;
	}
	dir = dir_of(path);
	if (dir == NULL) {
		free(value);
		fail_file(path, "cannot resolve its directory", errs);
		return -1;
	}
	const char *rel = value != NULL ? value : CONFIG_DEFAULT_PID_FILE;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (asprintf(out, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", rel) < 0) {
		*out = NULL;
		config_errors_add(errs, NULL);
	}
	free(dir);
	free(value);
	return *out != NULL ? 0 : -1;
}

void config_free(struct config *cfg)
{
	if (cfg != NULL)
		arena_free(cfg->arena_);
}

void config_errors_free(struct config_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->count; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->count = 0;
	errs->cap = 0;
}

/* ---- the key tables as a list of key paths (config_keys) ---- */

/* The table a key's value is walked with, and how its path continues. */
static const struct key *key_sub(const struct key *k, size_t *nsub,
				 const char **join)
{
	*join = k->list ? "[]." : ".";
	if (k->sub != NULL) {
		*nsub = k->nsub;
		return k->sub;
	}
	if (k->set == set_section) {
		*nsub = k->nsub;
		return k->sub;
	}
	if (k->set == set_log) {
		bool access = k->off == offsetof(struct config, access_log);
		*nsub = access ? PH_ARRAY_LEN(access_keys)
			       : PH_ARRAY_LEN(error_keys);
		return access ? access_keys : error_keys;
	}
	if (k->set == set_listen) {
		*join = "[].";
		*nsub = PH_ARRAY_LEN(listen_keys);
		return listen_keys;
	}
	if (k->set == set_health) {
		*nsub = PH_ARRAY_LEN(health_keys);
		return health_keys;
	}
	if (k->set == set_acl) {
		*nsub = PH_ARRAY_LEN(acl_keys);
		return acl_keys;
	}
	if (k->set == set_admin) {
		*nsub = PH_ARRAY_LEN(admin_keys);
		return admin_keys;
	}
	if (k->set == set_routes) {
		*join = "[].";
		*nsub = PH_ARRAY_LEN(route_keys);
		return route_keys;
	}
	if (k->set == set_kind) {
		*nsub = kinds[k->off].nkeys;
		return kinds[k->off].keys;
	}
	*nsub = 0;
	return NULL;
}

static void keys_walk(const char *kp, const struct key *keys, size_t nkeys,
		      void (*cb)(const char *keypath, void *arg), void *arg)
{
	char path[KP_MAX];

	for (size_t i = 0; i < nkeys; i++) {
		const struct key *sub;
		const char *join;
		size_t nsub;
		int n = snprintf(path, sizeof(path), "%s%s", kp, keys[i].name);

		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		cb(path, arg);
		sub = key_sub(&keys[i], &nsub, &join);
		if (sub == NULL || (size_t)n + strlen(join) >= sizeof(path))
			continue;
		strcat(path, join);
		keys_walk(path, sub, nsub, cb, arg);
	}
}

void config_keys(void (*cb)(const char *keypath, void *arg), void *arg)
{
	keys_walk("", top_keys, PH_ARRAY_LEN(top_keys), cb, arg);
}
