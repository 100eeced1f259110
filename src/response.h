/*
 * response.h -- what a handler answers, and the response head it becomes.
 *
 * A handler never touches the socket: it fills a struct response (status,
 * extra headers, a body in memory or a file range), and conn.c sends it.
 * The head is serialized by response_head() without printf: status line,
 * Date, Server, the handler's headers, Content-Length, Connection.
 */
#ifndef PH_RESPONSE_H
#define PH_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct response {
	/* The status answered.  Once a streamed head is sent (head_sent) the
	 * head no longer changes, and status is only the status of record
	 * (access log, metrics): a handler that cannot complete its answer
	 * sets it to what happened, e.g. CGI's 504 at its timeout. */
	int status;
	/* The reason phrase to send, when not the registry's for status
	 * (a CGI script's own, checked with http_reason_ok); NULL: the
	 * registry's.  It must stay valid until the head is serialized. */
	const char *reason;
	size_t reason_len;
	bool close;     /* answer with "Connection: close" and close after */
	bool head_only; /* HEAD: send the head, never the body */

	/* Extra header lines ("Name: value\r\n"), in a caller-provided buffer. */
	char *hbuf;
	size_t hlen, hcap;
	bool hoverflow; /* a header did not fit: answered as 500 */

	/* Body: memory (body != NULL), a file range (fd >= 0), or none. */
	const char *body;
	size_t body_len;
	int fd;
	bool fd_owned; /* close fd once sent */
	off_t file_off;
	off_t file_len;
	bool no_length; /* 1xx, 204, 304: no Content-Length, no body */
	bool builtin_page; /* the body is the server's own error page */

	/* Streamed by the handler (handler.h exchange_start): length, or -1
	 * for chunked (HTTP/1.1) or close-delimited (HTTP/1.0) bodies. */
	bool streaming;
	bool chunked;
	int64_t stream_length;
	bool head_sent;

	/* For the access log: bytes that went out, head and body, and the
	 * length of the head once it is serialized (the body is the rest). */
	uint64_t bytes_sent;
	size_t head_len;
};

void response_init(struct response *r, char *hbuf, size_t hcap);

/* Forget status, headers and body; keep the buffer. */
void response_reset(struct response *r);

void response_header(struct response *r, const char *name, const char *value);
void response_header_n(struct response *r, const char *name, size_t nlen,
		       const char *value, size_t vlen);
/* Remove every header line called name (case-insensitive). */
void response_header_drop(struct response *r, const char *name);

void response_body_mem(struct response *r, const char *p, size_t n);
/* Sends file bytes [off, off+len) with sendfile; owned: close fd after. */
void response_body_file(struct response *r, int fd, off_t off, off_t len,
			bool owned);

/*
 * A complete error answer: status, "text/html; charset=utf-8", a small body
 * naming the status (builtin_page set: error_pages may replace it), and
 * Connection: close for every 4xx/5xx except 401, 403, 404, 405 and 416
 * (those leave the connection usable).
 */
void response_error(struct response *r, int status);

/*
 * A page rendered by the server itself (status, metrics): 200 with the
 * type and "Cache-Control: no-store", or 500 (logged, naming what) when it
 * did not fit (n == 0).
 */
void response_page(struct response *r, const char *ctype, const char *body,
		   size_t n, const char *what);

/* The IANA registry's phrase: "Not Found" for 404 etc.; "" for a code the
 * registry does not name (the status line is then "HTTP/1.1 299 "). */
const char *http_reason(int status);

/* The longest reason phrase passed through from a script. */
#define HTTP_REASON_MAX 128

/* Whether p is a reason phrase that may be sent as is (RFC 9112 4:
 * HTAB, SP, visible ASCII and obs-text; 1 to HTTP_REASON_MAX bytes). */
bool http_reason_ok(const char *p, size_t n);

/* The current Date header value (formatted once per second). */
const char *date_now(void);

/* The body length announced in Content-Length. */
uint64_t response_content_length(const struct response *r);

/* Body bytes sent so far: the bytes sent after the head (for the access
 * log's bytes, Apache's %b). */
static inline uint64_t response_body_sent(const struct response *r)
{
	return r->bytes_sent > r->head_len ? r->bytes_sent - r->head_len : 0;
}

/*
 * Serialize the head into out.  date is the cached IMF-fixdate, server the
 * Server header value, keep_alive whether the connection stays open.
 * Returns the length, or 0 if cap is too small.
 */
size_t response_head(const struct response *r, char *out, size_t cap,
		     const char *date, const char *server, bool keep_alive);

#endif
