/*
 * request.h -- request parsing: bytes in the connection buffer -> struct
 * request.  No I/O and no allocation: every string is a span into the
 * caller's buffer, which must stay put until the request is answered.
 *
 * Use:  request_head() until it returns REQ_HEAD (the whole head is in the
 * buffer, validated and parsed) or REQ_ERROR (req->error is the status to
 * answer, and the connection must be closed afterwards).  Then, when the
 * request has a body, request_body() on the bytes that follow the head until
 * REQ_COMPLETE; what it does not consume belongs to the next (pipelined)
 * request.  request_reset() before the next request on the connection.
 */
#ifndef PH_REQUEST_H
#define PH_REQUEST_H

#include <http_parser.h> /* enum http_method, http_parser_parse_url */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunked.h"

struct span {
	const char *p;
	size_t len;
};

struct header {
	struct span name;
	struct span value;
};

struct request_limits {
	uint64_t header_bytes; /* request line + headers; over: 431 */
	uint64_t headers;      /* header count; over: 431 */
	uint64_t uri_bytes;    /* request-target; over: 414 */
	uint64_t body_bytes;   /* decoded body; over: 413 */
};

struct request {
	enum http_method method; /* http-parser's enum */
	struct span method_name;
	unsigned short http_major, http_minor;

	struct span target; /* as sent: origin-form, absolute-form or "*" */
	struct span path;   /* path part of the target, still %-encoded */
	struct span query;  /* after '?', without it; len 0 when absent */
	struct span host;   /* Host header (or the authority of absolute-form) */

	struct header *headers; /* all fields in order, names as sent */
	size_t nheaders;

	/* Fields the server itself interprets; len 0 when absent. */
	struct span connection, if_none_match, if_modified_since, if_match,
	    if_unmodified_since, range, if_range, user_agent, referer,
	    content_type, x_forwarded_for, x_request_id;

	bool keep_alive;      /* after this exchange, per version + Connection */
	bool expect_continue; /* "Expect: 100-continue" */
	bool chunked;         /* Transfer-Encoding: chunked */
	bool has_length;      /* a valid Content-Length was given */
	uint64_t content_length;

	size_t head_len; /* bytes from the start of the request line to the end of the blank line */
	int error;       /* REQ_ERROR: the status to answer (400, 413, 414, 431, 501, 505) */
	const char *error_reason; /* short text for the error log, static */
};

enum req_status {
	REQ_AGAIN,    /* need more bytes */
	REQ_HEAD,     /* head parsed, req filled */
	REQ_COMPLETE, /* body fully read (request_body only) */
	REQ_ERROR,    /* req->error says what to answer; close afterwards */
};

struct request_parser {
	struct request *req;
	struct header *hdr_store; /* caller's array of limits.headers entries */
	size_t hdr_cap;
	struct request_limits lim;
	size_t scanned;  /* how far request_head() has looked for the end */
	uint64_t body_seen; /* Content-Length bytes consumed so far */
	bool body_done;
	struct chunked chunked; /* the decoder of a chunked body */
};

/* hdrs must hold lim->headers entries and outlive the parser. */
void request_parser_init(struct request_parser *rp, struct request *req,
			 struct header *hdrs, const struct request_limits *lim);

/* Forget the previous request; keep the limits and storage. */
void request_reset(struct request_parser *rp);

/*
 * buf holds len bytes starting at the first byte of the request.  Call again
 * with the same buf and a larger len after each read.  Empty lines before the
 * request line are tolerated (RFC 9112 2.2) and counted in head_len.
 */
enum req_status request_head(struct request_parser *rp, const char *buf,
			     size_t len);

/* True when a body follows the head (Content-Length > 0 or chunked). */
bool request_has_body(const struct request *req);

/*
 * Feed len bytes that follow the head (or follow what was consumed before).
 * Decoded body bytes go to sink (may be NULL: discarded).  *consumed says how
 * many input bytes belong to this body: all len on REQ_AGAIN, up to the end
 * of the body on REQ_COMPLETE.  REQ_ERROR with req->error 413 when the body
 * passes lim.body_bytes, 400 when the chunked framing is invalid (chunked.h).
 * Any split of the input gives the same result.
 */
enum req_status request_body(struct request_parser *rp, const char *data,
			     size_t len, size_t *consumed, body_sink_fn sink,
			     void *arg);

/* Value of the first header named name (case-insensitive), or NULL. */
const struct span *request_header(const struct request *req, const char *name);

#endif
