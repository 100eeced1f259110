/*
 * response.c -- response state and head serialization.  No I/O, no
 * allocation, no printf: every line is assembled with memcpy.
 */
#include "log.h"
#include "response.h"

#include <string.h>
#include <time.h>

#include "util.h"

#define ERROR_PAGE(code, text)                                                 \
	"<html><head><title>" #code " " text "</title></head><body><h1>" #code \
	" " text "</h1></body></html>\n"

#define STATUS(code, text)                                                     \
	{                                                                      \
		code, text, ERROR_PAGE(code, text)                             \
	}

/*
 * The IANA HTTP Status Code Registry (RFC 9110 and the RFCs it names),
 * sorted by code.  306 and 418 are registered as "(Unused)" and have no
 * phrase here; neither do codes outside the registry.
 */
static const struct status_text {
	int code;
	const char *reason;
	const char *page;
} statuses[] = {
	STATUS(100, "Continue"),
	STATUS(101, "Switching Protocols"),
	STATUS(102, "Processing"),
	STATUS(103, "Early Hints"),
	STATUS(200, "OK"),
	STATUS(201, "Created"),
	STATUS(202, "Accepted"),
	STATUS(203, "Non-Authoritative Information"),
	STATUS(204, "No Content"),
	STATUS(205, "Reset Content"),
	STATUS(206, "Partial Content"),
	STATUS(207, "Multi-Status"),
	STATUS(208, "Already Reported"),
	STATUS(226, "IM Used"),
	STATUS(300, "Multiple Choices"),
	STATUS(301, "Moved Permanently"),
	STATUS(302, "Found"),
	STATUS(303, "See Other"),
	STATUS(304, "Not Modified"),
	STATUS(305, "Use Proxy"),
	STATUS(307, "Temporary Redirect"),
	STATUS(308, "Permanent Redirect"),
	STATUS(400, "Bad Request"),
	STATUS(401, "Unauthorized"),
	STATUS(402, "Payment Required"),
	STATUS(403, "Forbidden"),
	STATUS(404, "Not Found"),
	STATUS(405, "Method Not Allowed"),
	STATUS(406, "Not Acceptable"),
	STATUS(407, "Proxy Authentication Required"),
	STATUS(408, "Request Timeout"),
	STATUS(409, "Conflict"),
	STATUS(410, "Gone"),
	STATUS(411, "Length Required"),
	STATUS(412, "Precondition Failed"),
	STATUS(413, "Content Too Large"),
	STATUS(414, "URI Too Long"),
	STATUS(415, "Unsupported Media Type"),
	STATUS(416, "Range Not Satisfiable"),
	STATUS(417, "Expectation Failed"),
	STATUS(421, "Misdirected Request"),
	STATUS(422, "Unprocessable Content"),
	STATUS(423, "Locked"),
	STATUS(424, "Failed Dependency"),
	STATUS(425, "Too Early"),
	STATUS(426, "Upgrade Required"),
	STATUS(428, "Precondition Required"),
	STATUS(429, "Too Many Requests"),
	STATUS(431, "Request Header Fields Too Large"),
	STATUS(451, "Unavailable For Legal Reasons"),
	STATUS(500, "Internal Server Error"),
	STATUS(501, "Not Implemented"),
	STATUS(502, "Bad Gateway"),
	STATUS(503, "Service Unavailable"),
	STATUS(504, "Gateway Timeout"),
	STATUS(505, "HTTP Version Not Supported"),
	STATUS(506, "Variant Also Negotiates"),
	STATUS(507, "Insufficient Storage"),
	STATUS(508, "Loop Detected"),
	STATUS(510, "Not Extended"),
	STATUS(511, "Network Authentication Required"),
};

static const char generic_page[] =
	"<html><head><title>Error</title></head><body><h1>Error</h1></body>"
	"</html>\n";

/* Binary search in the sorted table. */
static const struct status_text *find_status(int status)
{
	size_t lo = 0, hi = PH_ARRAY_LEN(statuses);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (statuses[mid].code == status)
			return &statuses[mid];
		if (statuses[mid].code < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *http_reason(int status)
{
	const struct status_text *st = find_status(status);

	return st ? st->reason : "";
}

bool http_reason_ok(const char *p, size_t n)
{
	if (n == 0 || n > HTTP_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

void response_init(struct response *r, char *hbuf, size_t hcap)
{
	r->hbuf = hbuf;
	r->hcap = hcap;
	response_reset(r);
}

void response_reset(struct response *r)
{
	char *hbuf = r->hbuf;
	size_t hcap = r->hcap;

	memset(r, 0, sizeof(*r));
	r->hbuf = hbuf;
	r->hcap = hcap;
	r->status = 200;
	r->fd = -1;
}

/* CR, LF or NUL would split or end the header line: never sent. */
static bool unsafe_in_header(const char *p, size_t n)
{
	return memchr(p, '\r', n) || memchr(p, '\n', n) || memchr(p, '\0', n);
}

/*
 * Appends "name: value\r\n" to hbuf.  When it does not fit, or would smuggle
 * a line break, nothing is appended and hoverflow is set (answered as 500).
 */
void response_header_n(struct response *r, const char *name, size_t nlen,
		       const char *value, size_t vlen)
{
	size_t need = nlen + 2 + vlen + 2;
	char *p;

	if (r->hoverflow || unsafe_in_header(name, nlen) ||
	    unsafe_in_header(value, vlen) || need > r->hcap - r->hlen) {
		r->hoverflow = true;
		return;
	}
	p = r->hbuf + r->hlen;
	memcpy(p, name, nlen);
	memcpy(p + nlen, ": ", 2);
	memcpy(p + nlen + 2, value, vlen);
	memcpy(p + nlen + 2 + vlen, "\r\n", 2);
	r->hlen += need;
}

void response_header_drop(struct response *r, const char *name)
{
	size_t nlen = strlen(name), i = 0;

	while (i < r->hlen) {
		char *line = r->hbuf + i;
		char *end = memchr(line, '\n', r->hlen - i);
		size_t llen = end != NULL ? (size_t)(end - line) + 1 : r->hlen - i;

		if (llen > nlen && line[nlen] == ':' &&
		    token_eq(line, nlen, name)) {
			memmove(line, line + llen, r->hlen - i - llen);
			r->hlen -= llen;
		} else {
			i += llen;
		}
	}
}

void response_header(struct response *r, const char *name, const char *value)
{
	response_header_n(r, name, strlen(name), value, strlen(value));
}

void response_body_mem(struct response *r, const char *p, size_t n)
{
	r->body = p;
	r->body_len = n;
	r->builtin_page = false;
}

void response_body_file(struct response *r, int fd, off_t off, off_t len,
			bool owned)
{
	r->body = NULL;
	r->body_len = 0;
	r->builtin_page = false;
	r->fd = fd;
	r->file_off = off;
	r->file_len = len;
	r->fd_owned = owned;
}

static bool error_closes(int status)
{
	if (status < 400)
		return false;
	return status != 401 && status != 403 && status != 404 &&
	       status != 405 && status != 416;
}

/*
 * Replaces the status, the extra headers and the body with an error page.
 * Headers wanted beside it (Allow for 405, ...) are added afterwards.  A file
 * body is left as it was, so that an owned fd is still closed by whoever
 * sends the response; the memory body takes precedence over it.
 */
void response_error(struct response *r, int status)
{
	const struct status_text *st = find_status(status);
	const char *page = st ? st->page : generic_page;

	r->status = status;
	r->reason = NULL;
	r->reason_len = 0;
	r->hlen = 0;
	r->hoverflow = false;
	r->no_length = false;
	response_header(r, "Content-Type", "text/html; charset=utf-8");
	response_body_mem(r, page, strlen(page));
	r->builtin_page = true;
	if (error_closes(status))
		r->close = true;
}

uint64_t response_content_length(const struct response *r)
{
	if (r->streaming)
		return r->stream_length > 0 ? (uint64_t)r->stream_length : 0;
	if (r->body != NULL)
		return r->body_len;
	if (r->fd >= 0 && r->file_len > 0)
		return (uint64_t)r->file_len;
	return 0;
}

/* An append-only view of the output buffer. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char digits[20];

	put(o, digits, fmt_u64(digits, v));
}

static void put_field(struct out *o, const char *name, const char *value)
{
	put_str(o, name);
	put(o, ": ", 2);
	put_str(o, value);
	put(o, "\r\n", 2);
}

static bool has_no_body(const struct response *r)
{
	return r->no_length || (r->status >= 100 && r->status < 200) ||
	       r->status == 204 || r->status == 304;
}

/*
 * Status line, Date, Server (each skipped when NULL), the extra headers,
 * Content-Length (none for 1xx, 204 and 304; for HEAD the length a GET
 * would carry), Connection, blank line.  0 when cap is too small.
 */
size_t response_head(const struct response *r, char *out, size_t cap,
		     const char *date, const char *server, bool keep_alive)
{
	struct out o = {out, 0, cap, false};
	uint64_t status = r->status > 0 ? (uint64_t)r->status : 0;

	put(&o, "HTTP/1.1 ", 9);
	put_u64(&o, status);
	put(&o, " ", 1);
	if (r->reason != NULL)
		put(&o, r->reason, r->reason_len);
	else
		put_str(&o, http_reason(r->status));
	put(&o, "\r\n", 2);
	if (date != NULL)
		put_field(&o, "Date", date);
	if (server != NULL)
		put_field(&o, "Server", server);
	put(&o, r->hbuf, r->hlen);
	if (r->streaming && r->stream_length < 0 && !has_no_body(r)) {
		if (r->chunked)
			put_str(&o, "Transfer-Encoding: chunked\r\n");
	} else if (!has_no_body(r)) {
		put(&o, "Content-Length: ", 16);
		put_u64(&o, response_content_length(r));
		put(&o, "\r\n", 2);
	}
	put_str(&o, keep_alive && !r->close ? "Connection: keep-alive\r\n"
					    : "Connection: close\r\n");
	put(&o, "\r\n", 2);
	return o.full ? 0 : o.len;
}

void response_page(struct response *r, const char *ctype, const char *body,
		   size_t n, const char *what)
{
	if (n == 0) {
		log_error("%s does not fit in its buffer", what);
		response_error(r, 500);
		return;
	}
	r->status = 200;
	response_header(r, "Content-Type", ctype);
	response_header(r, "Cache-Control", "no-store");
	response_body_mem(r, body, n);
}

/* The Date header, formatted once per second. */
const char *date_now(void)
{
	static char date[HTTP_DATE_LEN + 1];
	static time_t sec = -1;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != sec) {
		sec = ts.tv_sec;
		http_date_fmt(sec, date);
	}
	return date;
}
