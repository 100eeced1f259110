/*
 * prefork-httpd.h -- the C handler module API of prefork-httpd.
 *
 * A module is a shared object that exports one symbol,
 *
 *	const struct ph_module prefork_httpd_module = {
 *		.abi = PH_MODULE_ABI, .name = "hello",
 *		.init = hello_init, .handle = hello_handle, .fini = hello_fini,
 *	};
 *
 * and is named by a route:  {prefix: /hello/, module: {path: hello.so,
 * options: {greeting: Hi}}}.  The master loads it (dlopen) when it loads
 * the configuration, checks .abi, and calls .init once per route that uses
 * it; workers inherit it when they are forked.  .handle runs in a worker,
 * once per request, and may block: each worker serves one request at a
 * time.  .fini runs in the master when the configuration is retired (after
 * a reload), once per earlier .init.
 *
 * The request and response are opaque; every string the functions below
 * return is NUL-terminated and valid until .handle returns.  Build with
 *	cc -shared -fPIC -o hello.so hello.c
 * The ph_* functions are provided by the server binary when it loads the
 * module.  See docs/modules.md.
 */
#ifndef PREFORK_HTTPD_H
#define PREFORK_HTTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever struct ph_module or a function below changes. */
#define PH_MODULE_ABI 1

struct ph_request;
struct ph_response;
struct ph_options;

struct ph_module {
	unsigned abi;     /* PH_MODULE_ABI */
	const char *name; /* for messages */
	/* Optional.  0, or nonzero to refuse the configuration (the error
	 * names the module and the route). */
	int (*init)(const struct ph_options *opts);
	/* 0 when the response is complete; nonzero when the request failed
	 * (then 500 if nothing was sent yet, else the connection is closed).
	 * A handler that sets no status and writes nothing also gets 500. */
	int (*handle)(struct ph_request *req, struct ph_response *res);
	/* Optional. */
	void (*fini)(void);
	/* Optional: once in each worker process, after it is forked and has
	 * dropped privileges, before it serves (open per-process resources:
	 * connections, files).  Nonzero makes the worker exit; the master
	 * replaces it, with back-off if it keeps failing. */
	int (*worker_init)(void);
};

/* ---- options (the route's `options` map) ---- */

/* Value of the option name, or NULL. */
const char *ph_options_get(const struct ph_options *o, const char *name);
size_t ph_options_count(const struct ph_options *o);
/* Option i (< count): 0 with *name and *value set, or -1. */
int ph_options_at(const struct ph_options *o, size_t i, const char **name,
		  const char **value);

/* ---- the request ---- */

const char *ph_request_method(const struct ph_request *r); /* "GET" */
const char *ph_request_target(const struct ph_request *r); /* as sent */
/* The %-decoded, normalized path after the route prefix, starting with '/'. */
const char *ph_request_path(const struct ph_request *r);
/* The full decoded path, route prefix included. */
const char *ph_request_full_path(const struct ph_request *r);
const char *ph_request_query(const struct ph_request *r); /* "" when none */
/* "HTTP/1.1" */
const char *ph_request_protocol(const struct ph_request *r);

/* First value of the header name (case-insensitive), or NULL. */
const char *ph_request_header(const struct ph_request *r, const char *name);
size_t ph_request_header_count(const struct ph_request *r);
/* Header i (< count), in request order: 0, or -1. */
int ph_request_header_at(const struct ph_request *r, size_t i,
			 const char **name, const char **value);

/*
 * The query parameter name, %-decoded ('+' is a space), copied into out
 * (always NUL-terminated when cap > 0).  Returns its length (truncated to
 * cap - 1), or -1 when absent.
 */
ssize_t ph_request_query_param(const struct ph_request *r, const char *name,
			       char *out, size_t cap);

/*
 * The request body, decoded: up to cap bytes into buf; returns their
 * number, 0 at the end, -1 on error (client gone, too large, timed out).
 * Content-Length, or -1 when unknown (chunked) or 0 without a body.
 */
ssize_t ph_request_read(struct ph_request *r, void *buf, size_t cap);
int64_t ph_request_content_length(const struct ph_request *r);

/* The client address as text ("127.0.0.1", "::1") and port (0: unix). */
const char *ph_request_client_addr(const struct ph_request *r);
unsigned ph_request_client_port(const struct ph_request *r);

/* The route's option name (as given to init), or NULL. */
const char *ph_request_option(const struct ph_request *r, const char *name);

/* ---- the response ---- */

/*
 * Everything before the first byte of the body: status (default 200) and
 * headers.  Returns 0, or -1 once the head has been sent or when the header
 * is refused (CR/LF in it, no room left).
 */
int ph_response_status(struct ph_response *res, int status);
int ph_response_header(struct ph_response *res, const char *name,
		       const char *value);
/*
 * Announce the body length before writing: sent as Content-Length.
 * Without it the body is chunked (HTTP/1.1) or ends with the connection.
 */
int ph_response_length(struct ph_response *res, int64_t length);

/* Body bytes; the first call sends the head.  0, or -1: client gone. */
int ph_response_write(struct ph_response *res, const void *p, size_t n);
int ph_response_writev(struct ph_response *res, const struct iovec *iov,
		       int cnt);
int ph_response_print(struct ph_response *res, const char *s);

/*
 * Send bytes [off, off+len) of the file fd.  As the whole body (nothing
 * written before) the server sends it with sendfile(2) after .handle
 * returns, from its own duplicate of fd; after other writes, it is copied.
 * 0, or -1.  The caller keeps fd and may close it at once.
 */
int ph_response_sendfile(struct ph_response *res, int fd, off_t off,
			 off_t len);

#ifdef __cplusplus
}
#endif

#endif
