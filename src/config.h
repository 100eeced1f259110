/*
 * config.h -- the configuration as one immutable value.
 *
 * config_load() reads a YAML file into a new struct config, or reports every
 * error it finds as "FILE:LINE:COL: message".  Nothing else ever writes to a
 * loaded config: a reload builds a second one beside the first and the master
 * swaps them only when the new one is valid (see master.c).  All memory of a
 * config (strings, arrays) belongs to it and goes with config_free().
 */
#ifndef PH_CONFIG_H
#define PH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "listen.h"
#include "mime.h"
#include "util.h"

enum log_format { LOG_FORMAT_COMBINED, LOG_FORMAT_JSON };
enum log_time { LOG_TIME_UTC, LOG_TIME_LOCAL };
enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Where a value was written in the file; for a default, where the file starts. */
struct config_at {
	int line, col;
};

struct log_target {
	/* NULL: off.  "stdout", "stderr", or an absolute file path. */
	const char *path;
	enum log_format format; /* access log only */
	enum log_time time;     /* access log only: its timestamps */
	enum log_level level;   /* error log only */
	struct config_at path_at;
};

struct header_kv {
	const char *name;
	const char *value;
};

enum route_kind {
	ROUTE_STATIC,
	ROUTE_CGI,
	ROUTE_MODULE,
	ROUTE_REDIRECT,
	ROUTE_RETURN,
};

/* Content codings the server can produce, in no particular order. */
enum coding {
	CODING_IDENTITY = 0,
	CODING_GZIP,
	CODING_BR,
	CODING_COUNT
};

/*
 * compress: which responses of static files are sent compressed.  One set
 * at the top level, and optionally one per host and per route, which then
 * replaces (not extends) the one above it.
 */
struct compress_rule {
	bool on;
	enum coding enc[CODING_COUNT - 1]; /* the server's preference order */
	size_t nenc;
	const char **types; /* media types, lower case; "text/" and a star: a family */
	size_t ntypes;
	uint64_t min_size;  /* smaller files are sent as they are */
};

/*
 * error_pages: a file for a status (404) or a class of them (4 for "4xx",
 * 5 for "5xx"), for the errors the server answers itself.
 */
struct error_page {
	int code;         /* 400..599, or 4 / 5 for a class */
	const char *file; /* absolute path of a regular file */
};

struct error_pages {
	const struct error_page *v;
	size_t n;
};

/* access: who may use a route (access.c, auth.c). */
struct access_rule {
	struct cidr net;
	bool allow;
};

struct auth_user {
	const char *name;
	const char *hash; /* crypt(3) setting and hash: $2y$, $6$ or $y$ */
};

struct access {
	const struct access_rule *rules; /* in file order: the first match wins */
	size_t nrules;
	bool default_allow;    /* no rule matched: false once an allow is given */
	const char *realm;     /* NULL: no authentication */
	const char *challenge; /* the WWW-Authenticate value */
	const char *htpasswd;  /* absolute path, for messages */
	const struct auth_user *users; /* as read at load (and at each reload) */
	size_t nusers;
};

/* The longest redirect.to accepted: a Location header has to fit in the
 * worker's response header buffer along with the query string and the
 * route's headers. */
#define REDIRECT_TO_MAX 4096

struct route {
	const char *prefix;
	size_t prefix_len;
	enum route_kind kind;
	struct {
		const char *root; /* absolute */
		const char **index;
		size_t nindex;
		bool autoindex;
		/* A request path under the route (the part after the prefix,
		 * starting with '/') answered for a missing file; NULL: none. */
		const char *fallback;
		const char *cache_control; /* NULL: none */
		bool expires;              /* expires_s is set */
		int64_t expires_s;
	} static_;
	struct {
		const char *dir; /* absolute */
		int64_t timeout_ms;
	} cgi;
	struct {
		const char *path; /* absolute */
		const struct header_kv *options; /* flat string options */
		size_t noptions;
	} module;
	struct {
		const char *to; /* one line, at most REDIRECT_TO_MAX bytes */
		int status; /* 301, 302, 307, 308 */
		bool keep_path; /* append the path after the prefix (default) */
	} redirect;
	struct {
		int status;
		const char *body;
		size_t body_len;
	} ret;
	const struct header_kv *headers; /* extra response headers */
	size_t nheaders;
	const struct compress_rule *compress; /* NULL: the host's or the top's */
	const struct access *access;          /* NULL: anyone */
	struct error_pages error_pages;
	int line, col; /* where the route was declared, for messages */
};

/*
 * hosts: a site chosen by the request's Host (vhost.c).  Names are lower
 * case; a wildcard "*.example.com" is kept as ".example.com".
 */
struct vhost {
	const char **names;
	size_t nnames;
	const char *root; /* absolute */
	const char **index;
	size_t nindex;
	const struct route *routes; /* sorted: longest prefix first */
	size_t nroutes;
	struct error_pages error_pages;
	const struct compress_rule *compress; /* NULL: the top level's */
	int line, col;
};

struct acl {
	const char *path;  /* NULL: disabled */
	const struct cidr *allow;
	size_t nallow;
};

struct config {
	const char *file; /* as given */
	const char *dir;  /* absolute directory of the file */

	struct listen_addr *listen;
	size_t nlisten;

	unsigned workers;       /* resolved: "auto" becomes cpus_available() */
	bool workers_auto;
	unsigned max_workers;   /* scoreboard ceiling, fixed at start */
	uint64_t max_requests_per_worker; /* 0 = never recycle */
	uint64_t max_requests_jitter;
	int backlog;

	const char *user;  /* NULL: keep the current user */
	const char *group; /* NULL: the user's primary group */
	bool allow_root;
	/* Absolute; CONFIG_DEFAULT_PID_FILE next to the file unless set; NULL:
	 * "pid_file: off". */
	const char *pid_file;
	struct config_at pid_file_at;
	bool pid_file_default; /* not in the file */

	const char *root; /* absolute document root */
	const char **index;
	size_t nindex;
	bool server_tokens;  /* false: "Server: prefork-httpd" without version */
	bool serve_dotfiles; /* false: refuse /.x paths except /.well-known/ */

	struct {
		int64_t header_ms;
		int64_t body_ms;
		int64_t keepalive_ms;
		int64_t send_ms;
		int64_t worker_ms;
		int64_t graceful_ms;
		int64_t drain_delay_ms;
	} timeouts;

	struct {
		uint64_t header_bytes;
		uint64_t headers;
		uint64_t uri_bytes;
		uint64_t body_bytes;
		uint64_t keepalive_requests;
		uint64_t connections_per_worker; /* held at once, waiting or served */
	} limits;

	struct log_target access_log;
	struct log_target error_log;

	const char *health_path; /* NULL: disabled */
	bool health_log;

	bool admin_enabled;
	struct listen_addr admin_listen;
	bool agent_check_enabled;
	struct listen_addr agent_check;

	struct acl status;
	struct acl metrics;

	const struct cidr *trusted_proxies;
	size_t ntrusted_proxies;
	/* Peers allowed to send a PROXY header (empty: any peer). */
	const struct cidr *proxy_protocol_from;
	size_t nproxy_protocol_from;

	const struct route *routes; /* sorted: longest prefix first */
	size_t nroutes;

	const struct vhost *hosts; /* in file order */
	size_t nhosts;

	struct compress_rule compress;  /* on == false: off */
	struct error_pages error_pages; /* top level */
	bool any_error_pages;           /* some level has error pages */
	const struct mime_extra *types; /* extension -> Content-Type value */
	size_t ntypes;
	const char *default_type;       /* Content-Type value for the others */

	void *arena_; /* private: owns every allocation above */
};

/* Error messages collected while loading; each a full line without '\n'. */
struct config_errors {
	char **msg;
	size_t count;
	size_t cap;
};

/*
 * Load and validate path.  On success returns a new config and leaves errs
 * empty; on failure returns NULL with one message per problem in errs (all
 * of them, in file order).  errs must be zeroed by the caller and released
 * with config_errors_free().
 */
struct config *config_load(const char *path, struct config_errors *errs);

/* The same for YAML text in memory; name is used in messages, dir for paths. */
struct config *config_load_string(const char *name, const char *dir,
				  const char *text, size_t len,
				  struct config_errors *errs);

void config_free(struct config *cfg);
void config_errors_free(struct config_errors *errs);

/* Append msg (malloc'd; taken over, NULL counts as out of memory) to errs. */
void config_errors_add(struct config_errors *errs, char *msg);

/*
 * Only the pid file of the configuration at path, as config_load() would
 * set it (the default when the file has no pid_file), without validating
 * the rest of the file: the control commands (-s) need nothing else, and
 * must reach the master whatever else is wrong in the file.  Reads the
 * file up to the top-level pid_file key, so a syntax error after it does
 * not matter; when the YAML breaks before it, the first line starting with
 * "pid_file:" is taken.  Returns 0 with *out the absolute path (malloc'd),
 * 1 when the file says "pid_file: off" (*out NULL), or -1 with the reason
 * in errs (the file cannot be read; a pid_file that is not a path).
 */
int config_pid_file(const char *path, char **out, struct config_errors *errs);

/*
 * Call cb once for every key the loader accepts, parents before their
 * children, in table order.  Key paths join mapping keys with '.' and step
 * into the entries of a list of mappings with "[]":
 *   "listen", "listen[].address", "timeouts", "timeouts.header",
 *   "routes", "routes[].prefix", "routes[].static", "routes[].static.root"
 * Free-form mappings (a route's headers, a module's options) are one key.
 * keypath is valid only during the call.
 */
void config_keys(void (*cb)(const char *keypath, void *arg), void *arg);

/* Built-in defaults, as documented in docs/configuration.md. */
#define CONFIG_DEFAULT_FILE SYSCONFDIR "/prefork-httpd/server.yaml"
/* The pid file when the file sets none: next to the configuration file. */
#define CONFIG_DEFAULT_PID_FILE "prefork-httpd.pid"

#endif
