/*
 * exchange.c -- what handlers call while they answer (handler.h): the
 * request body, decoded, and streamed answers.  The state behind it is
 * the request in hand (serve_state.h).
 *
 * The body is read into the space after the head in the request buffer
 * and decoded by request_body() into the handler's buffer; each gap waits
 * at most timeouts.body.  Streamed answers send their head together with
 * the first body bytes: one sendmsg for a small answer.
 */
#include <string.h>

#include "handler.h"
#include "log.h"
#include "serve_state.h"
#include "util.h"

bool serve_keep_alive(struct serve *s)
{
	const struct serve_ctx *sx = s->sx;
	const struct config *cfg = sx->cfg;

	if (!s->req.keep_alive || s->res.close || sx->closing || s->c->closing ||
	    __atomic_load_n(&sx->slot->quit, __ATOMIC_RELAXED) == SB_QUIT_CLOSE)
		return false;
	if (cfg->limits.keepalive_requests &&
	    s->c->requests + 1 >= cfg->limits.keepalive_requests)
		return false;
	return true;
}

bool serve_send(struct serve *s, struct iovec *iov, int cnt, bool more)
{
	return conn_send_iov(s->c, iov, cnt, more, s->sx->cfg->timeouts.send_ms,
			     &s->res.bytes_sent);
}

struct body_sink {
	char *p;
	size_t cap, n;
};

static void body_copy(void *arg, const char *p, size_t n)
{
	struct body_sink *b = arg;

	if (n > b->cap - b->n)
		n = b->cap - b->n; /* cannot happen: input is bounded by cap */
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static bool send_continue(struct serve *s)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec iov = { (void *)(uintptr_t)cont, sizeof(cont) - 1 };
	uint64_t sent = 0;

	s->continue_sent = true;
	return conn_send_iov(s->c, &iov, 1, false, s->sx->cfg->timeouts.send_ms,
			     &sent);
}

/* The body is done: pipelined bytes after it move up to follow the head. */
static void body_finish(struct serve *s)
{
	struct conn *c = s->c;
	size_t head_end = s->req.head_len;

	s->body_done = true;
	memmove(c->buf + head_end, c->buf + s->body_off, c->len - s->body_off);
	c->len = head_end + (c->len - s->body_off);
	s->body_off = head_end;
}

ssize_t exchange_read_body(struct exchange *x, char *out, size_t cap)
{
	struct serve *s = x->serve;
	struct conn *c = s->c;

	if (s->body_done || !request_has_body(&s->req))
		return 0;
	if (s->body_failed || cap == 0)
		return -1;
	if (s->req.expect_continue && !s->continue_sent && !send_continue(s))
		goto fail;
	for (;;) {
		struct body_sink sink = { out, cap, 0 };
		if (s->body_off < c->len) {
			size_t in = c->len - s->body_off, used = 0;
			enum req_status st = request_body(&s->rp, c->buf + s->body_off,
							  in < cap ? in : cap, &used,
							  body_copy, &sink);
			s->body_off += used;
			if (st == REQ_ERROR)
				goto fail;
			if (st == REQ_COMPLETE)
				body_finish(s);
			if (sink.n > 0 || st == REQ_COMPLETE)
				return (ssize_t)sink.n;
			if (s->body_off < c->len)
				continue;
		}
		/* All buffered input is consumed: reuse the space after the head. */
		c->len = s->req.head_len;
		s->body_off = c->len;
		ssize_t n = conn_read_wait(c, now_ms() + s->sx->cfg->timeouts.body_ms);
		if (n <= 0) {
			if (n == CONN_TIMEOUT)
				s->req.error = 408;
			goto fail;
		}
	}
fail:
	s->body_failed = true;
	return -1;
}

void serve_skip_body(struct serve *s, struct exchange *x)
{
	char sink[4096];

	if (s->body_done || !request_has_body(&s->req))
		return;
	/* A client that waits for "100 Continue" gets none: the answer goes
	 * out and the connection closes. */
	if (s->req.expect_continue && !s->continue_sent) {
		s->res.close = true;
		return;
	}
	while (!s->body_failed) {
		if (exchange_read_body(x, sink, sizeof(sink)) == 0)
			return;
	}
}

int exchange_start(struct exchange *x, int64_t length)
{
	struct serve *s = x->serve;
	struct response *r = &s->res;
	size_t hl;

	if (r->head_sent)
		return s->stream_failed ? -1 : 0;
	response_header_n(r, "X-Request-Id", 12, s->request_id, s->request_id_len);
	r->streaming = true;
	r->stream_length = length;
	r->chunked = length < 0 && s->req.http_minor >= 1;
	if (length < 0 && !r->chunked)
		r->close = true; /* HTTP/1.0: the end of the body is the close */
	s->keep = s->req.keep_alive && serve_keep_alive(s);
	hl = response_head(r, s->head, sizeof(s->head), date_now(), s->sx->server,
			   s->keep);
	r->head_sent = true;
	r->head_len = hl;
	if (hl == 0) {
		log_error("response head for client %s does not fit", s->c->remote);
		s->stream_failed = true;
		return -1;
	}
	/* The head goes out with the first body bytes (or at the end): one
	 * sendmsg instead of two for a small answer. */
	s->head_pending = hl;
	return 0;
}

/*
 * Send the n body pieces at iov[1..n], preceded by the pending head if
 * there is one (iov[0] is reserved for it).
 */
static int stream_send(struct serve *s, struct iovec *iov, int n)
{
	struct iovec *from = iov + 1;
	int cnt = n;

	if (s->head_pending > 0) {
		iov[0] = (struct iovec){ s->head, s->head_pending };
		from = iov;
		cnt = n + 1;
		s->head_pending = 0;
	}
	if (cnt > 0 && !serve_send(s, from, cnt, false))
		s->stream_failed = true;
	return s->stream_failed ? -1 : 0;
}

int exchange_write(struct exchange *x, const void *p, size_t n)
{
	struct serve *s = x->serve;
	struct response *r = &s->res;
	char size[24];
	struct iovec iov[4];
	int cnt = 1; /* iov[0]: the pending head */

	if (!r->head_sent && exchange_start(x, -1) < 0)
		return -1;
	if (s->stream_failed)
		return -1;
	if (n == 0 || r->head_only)
		return 0;
	if (r->chunked) {
		static const char hex[] = "0123456789abcdef";
		size_t len = 0;
		char tmp[20];
		for (size_t v = n; v > 0; v >>= 4)
			tmp[len++] = hex[v & 15];
		for (size_t i = 0; i < len; i++)
			size[i] = tmp[len - 1 - i];
		size[len++] = '\r';
		size[len++] = '\n';
		iov[cnt++] = (struct iovec){ size, len };
	}
	iov[cnt++] = (struct iovec){ (void *)(uintptr_t)p, n };
	if (r->chunked)
		iov[cnt++] = (struct iovec){ (void *)(uintptr_t)"\r\n", 2 };
	s->stream_body += n;
	return stream_send(s, iov, cnt - 1);
}

void exchange_abort(struct exchange *x)
{
	struct serve *s = x->serve;

	if (s->head_pending > 0) {
		/* Nothing went out yet: the client gets an error answer
		 * instead of a cut (serve.c). */
		s->head_pending = 0;
		s->abort_unsent = true;
	}
	s->stream_failed = true;
	s->res.close = true;
}

int exchange_end(struct exchange *x)
{
	struct serve *s = x->serve;
	struct response *r = &s->res;
	struct iovec iov[2];
	int cnt = 0;

	if (!r->head_sent && exchange_start(x, -1) < 0)
		return -1;
	if (s->stream_failed || !r->streaming)
		return s->stream_failed ? -1 : 0;
	r->streaming = false; /* ended: nothing more may be written */
	if (r->chunked && !r->head_only)
		iov[1 + cnt++] = (struct iovec){ (void *)(uintptr_t)"0\r\n\r\n", 5 };
	return stream_send(s, iov, cnt);
}

bool serve_stream_finish(struct serve *s, struct exchange *x)
{
	struct response *r = &s->res;

	if (r->streaming && !s->stream_failed)
		exchange_end(x);
	if (r->stream_length >= 0 && !r->head_only &&
	    s->stream_body < (uint64_t)r->stream_length)
		s->stream_failed = true; /* short body: only a close can tell */
	return !s->stream_failed;
}
