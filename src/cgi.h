/*
 * cgi.h -- CGI/1.1 (RFC 3875): run a program per request.
 *
 * cgi_serve() is the handler.  The two pure steps it is built from, the
 * meta-variables (environment) and the parsing of the script's header
 * block, are declared here too so that they can be tested alone.
 */
#ifndef PH_CGI_H
#define PH_CGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "handler.h"
#include "request.h"

void cgi_serve(struct exchange *x);

/* A worker's CGI state (handler_ctx.h), or NULL (logged) without memory. */
struct cgi_state *cgi_state_new(void);

/* ---- the script's answer: the CGI header block ----------------------- */

#define CGI_HEAD_MAX 16384  /* bytes of headers a script may send */
#define CGI_HEADERS_MAX 64  /* header fields passed through */

struct cgi_head {
	int status;             /* from "Status:", 0 when absent */
	struct span reason;     /* its reason phrase, len 0 when absent or unfit */
	struct span location;   /* len 0 when absent */
	struct span content_type;
	int64_t content_length; /* -1 when absent */
	struct header extra[CGI_HEADERS_MAX]; /* the others, to pass through */
	size_t nextra;
};

/*
 * Parse the header block at the start of buf (lines end in LF or CRLF, a
 * blank line ends the block).  Returns the bytes the block takes, blank
 * line included; 0 when the blank line has not arrived yet; -1 when the
 * block is malformed: a line that is not "name: value", a value with a
 * control byte other than HTAB (NUL, CR, VT, ESC, DEL, ...), a bad Status
 * or Content-Length, too many fields, or no field at all.  Fields the server
 * sets itself (Connection, Date, Server, Transfer-Encoding, ...) are
 * dropped.  Spans point into buf.
 */
ssize_t cgi_head_parse(const char *buf, size_t len, struct cgi_head *h);

/* The status to answer: Status, else 302 with a Location, else 200. */
int cgi_head_status(const struct cgi_head *h);

/* ---- the script's environment ---------------------------------------- */

/* Values that do not come from the request itself; NULL: not exported. */
struct cgi_meta {
	const char *server_software;
	const char *server_name;
	const char *server_port;
	const char *remote_addr;
	const char *remote_port;
	const char *document_root;
	const char *script_name;     /* URL path of the script */
	const char *script_filename; /* absolute file name */
	const char *path_info;       /* "" when none */
	const char *path_translated; /* NULL when there is no PATH_INFO */
};

/* "NAME=value" strings for execve; reuse one across requests. */
struct cgi_env {
	char *buf;
	size_t len, cap;
	char **vars; /* NULL-terminated once built */
	size_t n, vcap;
	size_t max_bytes; /* limit on buf; 0: CGI_ENV_MAX */
};

#define CGI_ENV_MAX (1024 * 1024)
#define CGI_SAFE_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * Fill env with every meta-variable of RFC 3875 for req, then one HTTP_*
 * variable per request header field (name upper-cased, '-' -> '_'; repeated
 * fields joined with ", "; "Proxy" (httpoxy), Content-Type/Length and names
 * with '_' or other odd bytes left out).  0, or -1 when out of memory or
 * over the limit.
 */
int cgi_env_build(struct cgi_env *env, const struct request *req,
		  const struct cgi_meta *m);
void cgi_env_free(struct cgi_env *env);

/* Value of NAME in a built env (tests, logging), or NULL. */
const char *cgi_env_get(const struct cgi_env *env, const char *name);

#endif
