/*
 * module.c -- loading C handler modules, and the prefork-httpd.h API over
 * the exchange (handler.h).
 *
 * Loading.  A module file is opened once, and dlopen()ed through its
 * descriptor ("/proc/self/fd/N", the descriptor kept open while the object
 * is loaded).  The name glibc records is then unique per loaded file, so a
 * module rebuilt under the same path (a new inode, as `make` or a rename
 * gives) is really loaded anew on reload instead of glibc handing back the
 * old object still used by the previous configuration.  The same inode is
 * shared.  Without /proc the plain path is used.
 *
 * Registry.  One binding per (config, route): the loaded object and the
 * route's options.  module_serve() finds the binding by route pointer:
 * routes are part of their config, so pointers never collide between live
 * generations.
 *
 * Requests.  The strings a module sees are copied, NUL-terminated, into a
 * per-process buffer at the start of each request (the request's spans are
 * not terminated).  A response is streamed with exchange_start/write/end;
 * a file sent as the whole body goes out with sendfile via the response.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "handler_ctx.h"
#include "log.h"
#include "module.h"
#include "prefork-httpd.h"

#define SYMBOL "prefork_httpd_module"

struct ph_options {
	const struct header_kv *kv;
	size_t n;
};

struct loaded {
	dev_t dev;
	ino_t ino;
	int fd; /* kept open while loaded: its number names the object */
	void *handle;
	const struct ph_module *mod;
	unsigned refs;
};

struct binding {
	const struct config *cfg;
	const struct route *route;
	struct loaded *so;
	struct ph_options opts;
};

/*
 * The process's registry of loaded modules: like the dynamic linker's own
 * table it is per process, filled by the master at load and inherited by
 * every worker it forks.
 */
static struct binding *bindings;
static size_t nbindings, bindings_cap;

struct ph_request {
	struct exchange *x;
	const struct binding *b;
	const char *method, *target, *path, *full_path, *query, *protocol;
	const char **hname, **hvalue;
	size_t nheaders;
	char addr[64];
	unsigned port;
};

struct ph_response {
	struct exchange *x;
	bool touched;  /* status, a header, or body: the module answered */
	bool file_body; /* the body is a file range sent by conn.c */
	int64_t length;
};

/* ---- loading ------------------------------------------------------------ */

static void errs_add(struct config_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void errs_add(struct config_errors *errs, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		log_error("out of memory reporting a module error");
		return;
	}
	if (errs->count == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 8;
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

/* Every loaded object, found through the bindings that hold it. */
static struct loaded *find_loaded(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < nbindings; i++)
		if (bindings[i].so->dev == dev && bindings[i].so->ino == ino)
			return bindings[i].so;
	return NULL;
}

static void release(struct loaded *so)
{
	if (--so->refs > 0)
		return;
	if (dlclose(so->handle) != 0)
		log_error("dlclose: %s", dlerror());
	if (so->fd >= 0)
		close(so->fd);
	free(so);
}

static void *open_object(const char *path, int fd)
{
	char name[32];
	void *h;

	snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
	h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL && access("/proc/self/fd", F_OK) != 0)
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	return h;
}

/* Check what dlsym found; NULL, or the problem. */
static const char *check_module(const struct ph_module *m, char *buf,
				size_t cap)
{
	if (m == NULL)
		return "no symbol " SYMBOL " (not a prefork-httpd module?)";
	if (m->abi != PH_MODULE_ABI) {
		snprintf(buf, cap, "ABI %u, this server speaks %d", m->abi,
			 PH_MODULE_ABI);
		return buf;
	}
	if (m->handle == NULL)
		return SYMBOL ".handle is NULL";
	return NULL;
}

/* dlopen and check; the new object (refs 1), or NULL with *why. */
static struct loaded *load_new(const char *path, int fd, const struct stat *st,
			       char *why, size_t cap)
{
	struct loaded *so = calloc(1, sizeof(*so));
	const char *bad;

	if (so == NULL) {
		snprintf(why, cap, "out of memory");
		return NULL;
	}
	so->handle = open_object(path, fd);
	if (so->handle == NULL) {
		snprintf(why, cap, "cannot load: %s", dlerror());
		free(so);
		return NULL;
	}
	dlerror();
	so->mod = dlsym(so->handle, SYMBOL);
	bad = check_module(so->mod, why, cap);
	if (bad != NULL) {
		if (bad != why)
			snprintf(why, cap, "%s", bad);
		dlclose(so->handle);
		free(so);
		return NULL;
	}
	so->fd = fd;
	so->dev = st->st_dev;
	so->ino = st->st_ino;
	so->refs = 1;
	return so;
}

/* The loaded object for path (shared or new), or NULL with *why. */
static struct loaded *acquire(const char *path, char *why, size_t cap)
{
	struct loaded *so;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, cap, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	so = find_loaded(st.st_dev, st.st_ino);
	if (so != NULL) {
		close(fd);
		so->refs++;
		return so;
	}
	so = load_new(path, fd, &st, why, cap);
	if (so == NULL)
		close(fd);
	return so;
}

static int bind_route(const struct config *cfg, const struct route *rt,
		      struct config_errors *errs)
{
	char why[512];
	struct binding b = { cfg, rt, NULL, { rt->module.options, rt->module.noptions } };

	if (nbindings == bindings_cap) {
		size_t cap = bindings_cap ? bindings_cap * 2 : 8;
		struct binding *nb = realloc(bindings, cap * sizeof(*nb));
		if (nb == NULL) {
			errs_add(errs, "%s: out of memory", rt->module.path);
			return -1;
		}
		bindings = nb;
		bindings_cap = cap;
	}
	b.so = acquire(rt->module.path, why, sizeof why);
	if (b.so == NULL) {
		errs_add(errs, "%s: %s (route %s, %s:%d)", rt->module.path, why,
			 rt->prefix, cfg->file, rt->line);
		return -1;
	}
	if (b.so->mod->init != NULL && b.so->mod->init(&b.opts) != 0) {
		errs_add(errs, "%s: module %s refused its options (route %s, %s:%d)",
			 rt->module.path, b.so->mod->name ? b.so->mod->name : "?",
			 rt->prefix, cfg->file, rt->line);
		release(b.so);
		return -1;
	}
	bindings[nbindings++] = b;
	return 0;
}

int modules_load(const struct config *cfg, struct config_errors *errs)
{
	int rc = 0;

	/* the top-level routes (h == nhosts), then each host's */
	for (size_t h = 0; h <= cfg->nhosts; h++) {
		const struct route *routes = h < cfg->nhosts ? cfg->hosts[h].routes
							     : cfg->routes;
		size_t n = h < cfg->nhosts ? cfg->hosts[h].nroutes : cfg->nroutes;

		for (size_t i = 0; i < n; i++) {
			const struct route *rt = &routes[i];
			if (rt->kind == ROUTE_MODULE && rt->module.path != NULL &&
			    bind_route(cfg, rt, errs) < 0)
				rc = -1;
		}
	}
	if (rc < 0)
		modules_unload(cfg);
	return rc;
}

void modules_unload(const struct config *cfg)
{
	size_t keep = 0;

	for (size_t i = 0; i < nbindings; i++) {
		struct binding *b = &bindings[i];
		if (b->cfg != cfg) {
			bindings[keep++] = *b;
			continue;
		}
		if (b->so->mod->fini != NULL)
			b->so->mod->fini();
		release(b->so);
	}
	nbindings = keep;
}

/* ---- options -------------------------------------------------------------- */

const char *ph_options_get(const struct ph_options *o, const char *name)
{
	for (size_t i = 0; o != NULL && i < o->n; i++)
		if (strcmp(o->kv[i].name, name) == 0)
			return o->kv[i].value;
	return NULL;
}

size_t ph_options_count(const struct ph_options *o)
{
	return o != NULL ? o->n : 0;
}

int ph_options_at(const struct ph_options *o, size_t i, const char **name,
		  const char **value)
{
	if (o == NULL || i >= o->n)
		return -1;
	*name = o->kv[i].name;
	*value = o->kv[i].value;
	return 0;
}

/* ---- the request ---------------------------------------------------------- */

/*
 * A worker's storage for the strings of the request in hand (handler_ctx.h):
 * copied and NUL-terminated for the module, reused from one request to
 * the next.
 */
struct module_state {
	char *arena;
	size_t arena_cap, arena_len;
	const char **hstore;
	size_t hstore_cap;
};

struct module_state *module_state_new(void)
{
	struct module_state *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		log_errno(LOG_ERROR, "calloc(module state)");
	return ms;
}

static const char *arena_put(struct module_state *ms, const char *p, size_t n)
{
	char *s = ms->arena + ms->arena_len;

	if (n > 0) /* p may be NULL for an absent part (no query) */
		memcpy(s, p, n);
	s[n] = '\0';
	ms->arena_len += n + 1;
	return s;
}

static int arena_reserve(struct module_state *ms, const struct exchange *x)
{
	const struct request *q = x->req;
	size_t need = q->method_name.len + q->target.len + 2 * x->path_len +
		      q->query.len + 64;

	for (size_t i = 0; i < q->nheaders; i++)
		need += q->headers[i].name.len + q->headers[i].value.len + 2;
	if (need > ms->arena_cap) {
		char *a = realloc(ms->arena, need);
		if (a == NULL)
			return -1;
		ms->arena = a;
		ms->arena_cap = need;
	}
	if (2 * q->nheaders > ms->hstore_cap) {
		const char **h = realloc(ms->hstore, 2 * q->nheaders * sizeof(*h));
		if (h == NULL)
			return -1;
		ms->hstore = h;
		ms->hstore_cap = 2 * q->nheaders;
	}
	ms->arena_len = 0;
	return 0;
}

static void client_of(struct ph_request *r, const struct sockaddr *sa)
{
	const void *a = NULL;

	strcpy(r->addr, "unix");
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		a = &in->sin_addr;
		r->port = ntohs(in->sin_port);
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		a = &in6->sin6_addr;
		r->port = ntohs(in6->sin6_port);
	}
	if (a != NULL && !inet_ntop(sa->sa_family, a, r->addr, sizeof r->addr))
		strcpy(r->addr, "-");
}

static int request_fill(struct ph_request *r, struct exchange *x)
{
	const struct request *q = x->req;
	struct module_state *ms = x->hctx->mod;
	size_t skip = x->route->prefix_len;

	if (arena_reserve(ms, x) < 0)
		return -1;
	if (skip > 0 && x->route->prefix[skip - 1] == '/')
		skip--;
	if (skip > x->path_len)
		skip = x->path_len;
	r->method = arena_put(ms, q->method_name.p, q->method_name.len);
	r->target = arena_put(ms, q->target.p, q->target.len);
	r->full_path = arena_put(ms, x->path, x->path_len);
	r->path = skip < x->path_len ? arena_put(ms, x->path + skip, x->path_len - skip)
				     : arena_put(ms, "/", 1);
	r->query = arena_put(ms, q->query.p, q->query.len);
	r->protocol = q->http_minor ? "HTTP/1.1" : "HTTP/1.0";
	r->hname = ms->hstore;
	r->hvalue = ms->hstore + q->nheaders;
	r->nheaders = q->nheaders;
	for (size_t i = 0; i < q->nheaders; i++) {
		r->hname[i] = arena_put(ms, q->headers[i].name.p, q->headers[i].name.len);
		r->hvalue[i] = arena_put(ms, q->headers[i].value.p, q->headers[i].value.len);
	}
	client_of(r, x->peer);
	return 0;
}

const char *ph_request_method(const struct ph_request *r) { return r->method; }
const char *ph_request_target(const struct ph_request *r) { return r->target; }
const char *ph_request_path(const struct ph_request *r) { return r->path; }
const char *ph_request_full_path(const struct ph_request *r) { return r->full_path; }
const char *ph_request_query(const struct ph_request *r) { return r->query; }
const char *ph_request_protocol(const struct ph_request *r) { return r->protocol; }
const char *ph_request_client_addr(const struct ph_request *r) { return r->addr; }
unsigned ph_request_client_port(const struct ph_request *r) { return r->port; }
size_t ph_request_header_count(const struct ph_request *r) { return r->nheaders; }

const char *ph_request_header(const struct ph_request *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->hname[i], name) == 0)
			return r->hvalue[i];
	return NULL;
}

int ph_request_header_at(const struct ph_request *r, size_t i,
			 const char **name, const char **value)
{
	if (i >= r->nheaders)
		return -1;
	*name = r->hname[i];
	*value = r->hvalue[i];
	return 0;
}

const char *ph_request_option(const struct ph_request *r, const char *name)
{
	return ph_options_get(&r->b->opts, name);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %-decode [p, p+n) into out (cap > 0); the decoded length, untruncated. */
static size_t form_decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '+')
			c = ' ';
		else if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
			 hexval(p[i + 2]) >= 0) {
			c = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		}
		if (out != NULL && len + 1 < cap)
			out[len] = c;
		len++;
	}
	if (out != NULL)
		out[len < cap ? len : cap - 1] = '\0';
	return len;
}

static bool key_is(const char *p, size_t n, const char *name)
{
	char key[256];

	if (form_decode(p, n, key, sizeof key) >= sizeof key)
		return false;
	return strcmp(key, name) == 0;
}

ssize_t ph_request_query_param(const struct ph_request *r, const char *name,
			       char *out, size_t cap)
{
	const char *p = r->query, *end = p + strlen(p);

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		const char *kend = eq ? eq : stop;
		if (key_is(p, (size_t)(kend - p), name)) {
			const char *v = eq ? eq + 1 : stop;
			size_t len = form_decode(v, (size_t)(stop - v), cap ? out : NULL, cap);
			return (ssize_t)(cap == 0 ? 0 : len < cap ? len : cap - 1);
		}
		p = stop + 1;
	}
	if (cap > 0)
		out[0] = '\0';
	return -1;
}

ssize_t ph_request_read(struct ph_request *r, void *buf, size_t cap)
{
	return exchange_read_body(r->x, buf, cap);
}

int64_t ph_request_content_length(const struct ph_request *r)
{
	const struct request *q = r->x->req;

	if (q->has_length && !q->chunked)
		return (int64_t)q->content_length;
	return request_has_body(q) ? -1 : 0;
}

/* ---- the response --------------------------------------------------------- */

static bool head_sent(const struct ph_response *res)
{
	return res->x->res->head_sent;
}

int ph_response_status(struct ph_response *res, int status)
{
	if (head_sent(res) || res->file_body || status < 200 || status > 599)
		return -1;
	res->x->res->status = status;
	res->touched = true;
	return 0;
}

static bool server_header(const char *name)
{
	return strcasecmp(name, "Content-Length") == 0 ||
	       strcasecmp(name, "Transfer-Encoding") == 0 ||
	       strcasecmp(name, "Connection") == 0;
}

int ph_response_header(struct ph_response *res, const char *name,
		       const char *value)
{
	struct response *r = res->x->res;

	if (head_sent(res) || name[0] == '\0' || server_header(name))
		return -1;
	response_header(r, name, value);
	if (r->hoverflow) { /* refused: the response goes on without it */
		r->hoverflow = false;
		return -1;
	}
	res->touched = true;
	return 0;
}

int ph_response_length(struct ph_response *res, int64_t length)
{
	if (head_sent(res) || res->file_body || length < 0)
		return -1;
	res->length = length;
	return 0;
}

static int start(struct ph_response *res)
{
	res->touched = true;
	if (res->file_body)
		return -1;
	if (head_sent(res))
		return 0;
	return exchange_start(res->x, res->length);
}

int ph_response_write(struct ph_response *res, const void *p, size_t n)
{
	if (start(res) < 0)
		return -1;
	return n == 0 ? 0 : exchange_write(res->x, p, n);
}

int ph_response_writev(struct ph_response *res, const struct iovec *iov,
		       int cnt)
{
	if (start(res) < 0)
		return -1;
	for (int i = 0; i < cnt; i++)
		if (iov[i].iov_len > 0 &&
		    exchange_write(res->x, iov[i].iov_base, iov[i].iov_len) < 0)
			return -1;
	return 0;
}

int ph_response_print(struct ph_response *res, const char *s)
{
	return ph_response_write(res, s, strlen(s));
}

/* After other writes: copy the range through a buffer. */
static int copy_range(struct ph_response *res, int fd, off_t off, off_t len)
{
	char buf[16384];

	while (len > 0) {
		size_t want = len < (off_t)sizeof buf ? (size_t)len : sizeof buf;
		ssize_t n = pread(fd, buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				log_errno(LOG_ERROR, "module: pread");
			return -1;
		}
		if (ph_response_write(res, buf, (size_t)n) < 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

int ph_response_sendfile(struct ph_response *res, int fd, off_t off, off_t len)
{
	struct stat st;
	int dup;

	if (off < 0 || len < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    off > st.st_size || len > st.st_size - off || res->file_body)
		return -1;
	if (res->touched && head_sent(res))
		return copy_range(res, fd, off, len);
	if (head_sent(res))
		return -1;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0) {
		log_errno(LOG_ERROR, "module: dup of the file to send");
		return -1;
	}
	response_body_file(res->x->res, dup, off, len, true);
	res->file_body = true;
	res->touched = true;
	return 0;
}

/* ---- the handler ---------------------------------------------------------- */

static const struct binding *binding_of(const struct route *rt)
{
	for (size_t i = 0; i < nbindings; i++)
		if (bindings[i].route == rt)
			return &bindings[i];
	return NULL;
}

static void route_headers(struct exchange *x)
{
	for (size_t i = 0; i < x->route->nheaders; i++)
		response_header(x->res, x->route->headers[i].name,
				x->route->headers[i].value);
}

/* The module failed before sending anything: 500 without its leftovers. */
static void fail_500(struct exchange *x, const char *name, const char *why)
{
	struct response *r = x->res;

	log_error("module %s (route %s): %s; answering 500", name,
		  x->route->prefix, why);
	if (r->fd >= 0 && r->fd_owned)
		close(r->fd);
	r->fd = -1;
	response_error(r, 500);
}

static void finish(struct exchange *x, struct ph_response *res,
		   const char *name, int rc)
{
	if (head_sent(res)) {
		if (rc != 0) {
			log_error("module %s (route %s): failed after sending "
				  "the head; closing the connection", name,
				  x->route->prefix);
			exchange_abort(x);
			return;
		}
		exchange_end(x);
	} else if (rc != 0) {
		fail_500(x, name, "handle returned an error");
	} else if (!res->touched) {
		fail_500(x, name, "handle answered nothing");
	} else if (!res->file_body) {
		if (exchange_start(x, res->length < 0 ? 0 : res->length) == 0)
			exchange_end(x);
	}
}

void module_serve(struct exchange *x)
{
	const struct binding *b = binding_of(x->route);
	struct ph_request req = { .x = x, .b = b };
	struct ph_response res = { .x = x, .length = -1 };
	const char *name;
	int rc;

	if (b == NULL) {
		log_error("route %s: module %s is not loaded", x->route->prefix,
			  x->route->module.path);
		response_error(x->res, 500);
		return;
	}
	name = b->so->mod->name ? b->so->mod->name : x->route->module.path;
	if (request_fill(&req, x) < 0) {
		log_error("module %s: out of memory for the request", name);
		response_error(x->res, 500);
		return;
	}
	route_headers(x);
	rc = b->so->mod->handle(&req, &res);
	finish(x, &res, name, rc);
}

int modules_worker_init(const struct config *cfg)
{
	for (size_t i = 0; i < nbindings; i++) {
		struct loaded *so = bindings[i].so;
		bool seen = false;
		if (bindings[i].cfg != cfg || so->mod->worker_init == NULL)
			continue;
		for (size_t j = 0; j < i && !seen; j++) /* once per object */
			seen = bindings[j].cfg == cfg && bindings[j].so == so;
		if (seen)
			continue;
		if (so->mod->worker_init() != 0) {
			log_error("module %s (route %s): worker_init failed",
				  so->mod->name, bindings[i].route->prefix);
			return -1;
		}
	}
	return 0;
}
