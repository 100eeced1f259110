/*
 * cgi_parse.c -- the pure half of CGI: the meta-variables handed to the
 * script, and the header block read back from it (RFC 3875 sections 4
 * and 6).  No I/O here; cgi.c runs the script.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "util.h"

/* ---- the header block ------------------------------------------------- */

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool span_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Fields the server sets or that describe the connection, not the body. */
static bool dropped_field(const char *p, size_t n)
{
	static const char *const names[] = {
		"Connection", "Keep-Alive", "Transfer-Encoding", "Date",
		"Server", "Upgrade", "Proxy-Connection", "TE", "Trailer",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (span_is(p, n, names[i]))
			return true;
	return false;
}

/*
 * "Status: 429 Too Many Requests": the code, and the script's own reason
 * phrase when it may be sent as is (else the registry's is sent).
 */
static int parse_status(const char *v, size_t n, struct span *reason)
{
	int s = 0;

	if (n < 3)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		s = s * 10 + (v[i] - '0');
	}
	if (n > 3 && v[3] != ' ' && v[3] != '\t')
		return -1;
	if (n > 4 && http_reason_ok(v + 4, n - 4))
		*reason = (struct span){ v + 4, n - 4 };
	return s >= 100 && s <= 599 ? s : -1;
}

static int64_t parse_length(const char *v, size_t n)
{
	int64_t len = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		len = len * 10 + (v[i] - '0');
	}
	return len;
}

/*
 * A field value may hold visible characters, SP, HTAB and obs-text (RFC 9110
 * section 5.5): no other control byte (NUL, CR, VT, ESC, DEL, ...), which
 * a client could take for the end of the field or a terminal escape.
 */
static bool value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* One "name: value" line (without its end); 0 or -1. */
static int parse_field(const char *p, size_t n, struct cgi_head *h)
{
	const char *colon = memchr(p, ':', n);
	size_t nlen, vlen;
	const char *v;

	if (colon == NULL || colon == p)
		return -1;
	nlen = (size_t)(colon - p);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return -1;
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (!value_ok(v, vlen))
		return -1;
	if (span_is(p, nlen, "Status"))
		return (h->status = parse_status(v, vlen, &h->reason)) < 0 ? -1 : 0;
	if (span_is(p, nlen, "Content-Length"))
		return (h->content_length = parse_length(v, vlen)) < 0 ? -1 : 0;
	if (span_is(p, nlen, "Location")) {
		h->location = (struct span){ v, vlen };
		return vlen > 0 ? 0 : -1;
	}
	if (span_is(p, nlen, "Content-Type")) {
		h->content_type = (struct span){ v, vlen };
		return 0;
	}
	if (dropped_field(p, nlen))
		return 0;
	if (h->nextra == CGI_HEADERS_MAX)
		return -1;
	h->extra[h->nextra++] = (struct header){ { p, nlen }, { v, vlen } };
	return 0;
}

ssize_t cgi_head_parse(const char *buf, size_t len, struct cgi_head *h)
{
	size_t pos = 0, fields = 0;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end, n;

		if (nl == NULL)
			return 0;
		end = (size_t)(nl - buf);
		n = end - pos;
		if (n > 0 && buf[end - 1] == '\r')
			n--;
		if (n == 0)
			return fields > 0 ? (ssize_t)(end + 1) : -1;
		if (parse_field(buf + pos, n, h) < 0)
			return -1;
		fields++;
		pos = end + 1;
	}
}

int cgi_head_status(const struct cgi_head *h)
{
	if (h->status > 0)
		return h->status;
	return h->location.len > 0 ? 302 : 200;
}

/* ---- the environment -------------------------------------------------- */

static int env_reserve(struct cgi_env *env, size_t more)
{
	size_t max = env->max_bytes ? env->max_bytes : CGI_ENV_MAX;
	size_t cap = env->cap ? env->cap : 4096;
	char *p;

	if (more > max - env->len)
		return -1;
	if (env->len + more <= env->cap)
		return 0;
	while (cap < env->len + more)
		cap *= 2;
	if (cap > max)
		cap = max;
	p = realloc(env->buf, cap);
	if (p == NULL)
		return -1;
	env->buf = p;
	env->cap = cap;
	return 0;
}

/* Start a variable: remember where it begins (as an offset for now). */
static int env_mark(struct cgi_env *env)
{
	if (env->n + 2 > env->vcap) {
		size_t cap = env->vcap ? env->vcap * 2 : 64;
		char **v = realloc(env->vars, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		env->vars = v;
		env->vcap = cap;
	}
	env->vars[env->n++] = (char *)(uintptr_t)env->len;
	return 0;
}

static int env_append(struct cgi_env *env, const char *p, size_t n)
{
	if (env_reserve(env, n) < 0)
		return -1;
	if (n > 0) /* an empty span may have p == NULL (no query string) */
		memcpy(env->buf + env->len, p, n);
	env->len += n;
	return 0;
}

static int env_end(struct cgi_env *env)
{
	return env_append(env, "", 1);
}

static int env_add_n(struct cgi_env *env, const char *name, const char *v,
		     size_t vlen)
{
	if (env_mark(env) < 0 || env_append(env, name, strlen(name)) < 0 ||
	    env_append(env, "=", 1) < 0 || env_append(env, v, vlen) < 0)
		return -1;
	return env_end(env);
}

static int env_add(struct cgi_env *env, const char *name, const char *v)
{
	return v == NULL ? 0 : env_add_n(env, name, v, strlen(v));
}

static bool plain_header_name(const struct span *n)
{
	if (n->len == 0)
		return false;
	for (size_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-'))
			return false;
	}
	return true;
}

static bool same_name(const struct span *a, const struct span *b)
{
	return a->len == b->len && strncasecmp(a->p, b->p, a->len) == 0;
}

static bool exported_header(const struct span *n)
{
	return plain_header_name(n) && !span_is(n->p, n->len, "Proxy") &&
	       !span_is(n->p, n->len, "Content-Type") &&
	       !span_is(n->p, n->len, "Content-Length");
}

/* HTTP_NAME=v1, v2 ... for the first field of each name. */
static int env_add_header(struct cgi_env *env, const struct request *req,
			  size_t i)
{
	const struct span *name = &req->headers[i].name;
	const char *sep = span_is(name->p, name->len, "Cookie") ? "; " : ", ";
	char up;

	if (env_mark(env) < 0 || env_append(env, "HTTP_", 5) < 0)
		return -1;
	for (size_t k = 0; k < name->len; k++) {
		char c = name->p[k];
		up = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
		if (env_append(env, &up, 1) < 0)
			return -1;
	}
	if (env_append(env, "=", 1) < 0)
		return -1;
	for (size_t k = i; k < req->nheaders; k++) {
		const struct span *v = &req->headers[k].value;
		if (!same_name(name, &req->headers[k].name))
			continue;
		if ((k > i && env_append(env, sep, 2) < 0) ||
		    env_append(env, v->p, v->len) < 0)
			return -1;
	}
	return env_end(env);
}

static int env_add_headers(struct cgi_env *env, const struct request *req)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		bool seen = false;
		if (!exported_header(&req->headers[i].name))
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = same_name(&req->headers[i].name, &req->headers[k].name);
		if (!seen && env_add_header(env, req, i) < 0)
			return -1;
	}
	return 0;
}

static int env_add_request(struct cgi_env *env, const struct request *req)
{
	char proto[16], num[24];
	const struct span *ct = &req->content_type;

	memcpy(proto, "HTTP/1.", 7);
	proto[7] = (char)('0' + (req->http_minor > 9 ? 1 : req->http_minor));
	proto[8] = '\0';
	if (env_add(env, "SERVER_PROTOCOL", proto) < 0 ||
	    env_add_n(env, "REQUEST_METHOD", req->method_name.p,
		      req->method_name.len) < 0 ||
	    env_add_n(env, "QUERY_STRING", req->query.p, req->query.len) < 0 ||
	    env_add_n(env, "REQUEST_URI", req->target.p, req->target.len) < 0)
		return -1;
	if (ct->len > 0 && env_add_n(env, "CONTENT_TYPE", ct->p, ct->len) < 0)
		return -1;
	if (req->has_length && !req->chunked && req->content_length > 0) {
		num[fmt_u64(num, req->content_length)] = '\0';
		if (env_add(env, "CONTENT_LENGTH", num) < 0)
			return -1;
	}
	return 0;
}

static int env_add_meta(struct cgi_env *env, const struct cgi_meta *m)
{
	const char *pairs[][2] = {
		{ "GATEWAY_INTERFACE", "CGI/1.1" },
		{ "SERVER_SOFTWARE", m->server_software },
		{ "SERVER_NAME", m->server_name },
		{ "SERVER_PORT", m->server_port },
		{ "REQUEST_SCHEME", "http" },
		{ "REMOTE_ADDR", m->remote_addr },
		{ "REMOTE_PORT", m->remote_port },
		{ "DOCUMENT_ROOT", m->document_root },
		{ "SCRIPT_NAME", m->script_name },
		{ "SCRIPT_FILENAME", m->script_filename },
		{ "PATH_INFO", m->path_info ? m->path_info : "" },
		{ "PATH_TRANSLATED", m->path_translated },
		{ "REDIRECT_STATUS", "200" }, /* php-cgi's force-redirect check */
		{ "PATH", CGI_SAFE_PATH },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (env_add(env, pairs[i][0], pairs[i][1]) < 0)
			return -1;
	return 0;
}

int cgi_env_build(struct cgi_env *env, const struct request *req,
		  const struct cgi_meta *m)
{
	env->len = 0;
	env->n = 0;
	if (env_add_meta(env, m) < 0 || env_add_request(env, req) < 0 ||
	    env_add_headers(env, req) < 0 || env_mark(env) < 0)
		return -1;
	env->n--; /* the mark above only made room for the final NULL */
	for (size_t i = 0; i < env->n; i++)
		env->vars[i] = env->buf + (uintptr_t)env->vars[i];
	env->vars[env->n] = NULL;
	return 0;
}

void cgi_env_free(struct cgi_env *env)
{
	free(env->buf);
	free(env->vars);
	memset(env, 0, sizeof(*env));
}

const char *cgi_env_get(const struct cgi_env *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->vars[i], name, n) == 0 && env->vars[i][n] == '=')
			return env->vars[i] + n + 1;
	return NULL;
}
