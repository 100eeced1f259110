/*
 * status.c -- the status page (see status.h): the data, the text, ?auto
 * and JSON forms, and serving; the HTML form is in status_html.c.
 *
 * Text:
 *
 *   ServerVersion: prefork-httpd/0.1.0
 *   Uptime: 3600
 *   ...
 *   Scoreboard: _W__....
 *
 *   Slot PID Gen State Requests Bytes Conns Held Seconds Client Request
 *   0 4242 1 writing 10 20480 3 1 1.502 127.0.0.1 GET /big HTTP/1.1
 *
 * Totals first as "Key: value" lines (Apache's ?auto style, easy to grep),
 * then one row per live slot, fields separated by one space, the request
 * line last (it may contain spaces).  "-" stands for an empty field; bytes
 * a client sent that are not printable ASCII are shown as '?'.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "status.h"
#include "status_data.h"
#include "textbuf.h"
#include "util.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

/* Fixed part of a page, and the most one slot row can take (JSON, every
 * byte of client and request escaped as \u00XX). */
#define STATUS_FIXED_BYTES 16384
#define STATUS_ROW_BYTES (1024 + 6 * (SB_CLIENT_MAX + SB_REQUEST_MAX))

static const struct {
	char c;
	const char *name;
} state_info[] = {
	[SB_EMPTY] = { '.', "empty" },     [SB_STARTING] = { 'S', "starting" },
	[SB_IDLE] = { '_', "idle" },       [SB_READING] = { 'R', "reading" },
	[SB_WRITING] = { 'W', "writing" }, [SB_CLOSING] = { 'G', "closing" },
};

char status_state_char(enum sb_state st)
{
	return (unsigned)st < PH_ARRAY_LEN(state_info) ? state_info[st].c : '?';
}

const char *status_state_name(enum sb_state st)
{
	return (unsigned)st < PH_ARRAY_LEN(state_info) ? state_info[st].name
						       : "unknown";
}

size_t status_buffer_size(unsigned nslots)
{
	return STATUS_FIXED_BYTES + (size_t)nslots * STATUS_ROW_BYTES;
}

void status_count(const struct scoreboard *sb, struct status_counts *out)
{
	uint32_t gen = LOAD(&sb->generation);

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < sb->nslots; i++) {
		const struct sb_slot *s = &sb->slots[i];
		enum sb_state st = sb_get_state(s);
		if (st == SB_EMPTY || (unsigned)st > SB_CLOSING)
			continue;
		out->state[st]++;
		out->live++;
		if (LOAD(&s->generation) == gen)
			out->current++;
	}
	out->busy = out->state[SB_READING] + out->state[SB_WRITING] +
		    out->state[SB_CLOSING];
}

static double per(double n, double d)
{
	return d > 0 ? n / d : 0;
}

void status_totals_read(const struct scoreboard *sb, const struct config *cfg,
			struct totals *t)
{
	struct sb_stats st;
	struct sb_sample recent;
	int64_t now = now_ms();

	memset(t, 0, sizeof(*t));
	t->start_time = LOAD(&sb->start_time);
	t->uptime = (int64_t)time(NULL) - t->start_time;
	if (t->uptime < 0)
		t->uptime = 0;
	t->generation = LOAD(&sb->generation);
	t->draining = LOAD(&sb->draining) != 0;
	t->configured = cfg ? cfg->workers : 0;
	status_count(sb, &t->n);
	scoreboard_sum_conns(sb, &t->conns);
	scoreboard_sum_stats(sb, &st);
	t->accepted = st.accepted;
	t->handled = st.handled;
	t->writing = (uint64_t)t->conns.active + t->conns.queued +
		     t->conns.closing;
	t->waiting = t->conns.idle;
	t->requests = scoreboard_total_requests(sb);
	t->bytes = scoreboard_total_bytes(sb);
	t->reloads = LOAD(&sb->reloads);
	t->failed_reloads = LOAD(&sb->failed_reloads);
	t->restarts = LOAD(&sb->restarts);
	t->req_per_sec = per((double)t->requests, (double)t->uptime);
	t->bytes_per_sec = per((double)t->bytes, (double)t->uptime);
	t->bytes_per_req = per((double)t->bytes, (double)t->requests);
	if (scoreboard_recent(sb, now, &recent)) {
		double secs = (double)(now - recent.ms) / 1000.0;
		t->recent_ms = now - recent.ms;
		t->recent_req_per_sec = per((double)(t->requests > recent.requests
			? t->requests - recent.requests : 0), secs);
		t->recent_bytes_per_sec = per((double)(t->bytes > recent.bytes
			? t->bytes - recent.bytes : 0), secs);
	}
}

bool status_row_read(const struct scoreboard *sb, unsigned i, int64_t now,
		     struct row *r)
{
	const struct sb_slot *s = &sb->slots[i];
	int64_t start, started;

	r->state = sb_get_state(s);
	if (r->state == SB_EMPTY)
		return false;
	r->index = i;
	r->pid = LOAD(&s->pid);
	r->generation = LOAD(&s->generation);
	r->requests = LOAD(&s->requests);
	r->bytes = LOAD(&s->bytes);
	r->connections = LOAD(&s->connections);
	r->held = LOAD(&s->conns.open);
	started = LOAD(&s->started_ms);
	r->age_ms = started != 0 && now > started ? now - started : 0;
	start = LOAD(&s->req_start_ms);
	r->req_ms = start != 0 ? (now > start ? now - start : 0) : -1;
	memcpy(r->client, s->client, sizeof(r->client));
	memcpy(r->request, s->request, sizeof(r->request));
	r->client_len = strnlen(r->client, sizeof(r->client));
	r->request_len = strnlen(r->request, sizeof(r->request));
	return true;
}

/* ---- text ---- */

static void text_kv(struct textbuf *b, const char *key, uint64_t v)
{
	tb_str(b, key);
	tb_str(b, ": ");
	tb_u64(b, v);
	tb_char(b, '\n');
}

static void text_rate(struct textbuf *b, const char *key, double v)
{
	tb_str(b, key);
	tb_str(b, ": ");
	tb_fixed(b, v, 3);
	tb_char(b, '\n');
}

/*
 * The totals; with apache (?auto) also the keys Apache's ?auto consumers
 * (monitoring plugins) read that the text page names otherwise, with
 * Apache's names and meanings (Total kBytes: KiB sent, heads included
 * here).  ReqPerSec, BytesPerSec, BytesPerReq, BusyWorkers, IdleWorkers,
 * Uptime and Scoreboard are in both.
 */
static void text_totals(struct textbuf *b, const struct totals *t, bool apache)
{
	tb_str(b, "ServerVersion: " PACKAGE_NAME "/" PACKAGE_VERSION "\n");
	if (apache) {
		tb_str(b, "ServerMPM: prefork\n");
		text_kv(b, "ServerUptimeSeconds", (uint64_t)t->uptime);
		text_kv(b, "Total Accesses", t->requests);
		text_kv(b, "Total kBytes", t->bytes / 1024);
	}
	text_kv(b, "Uptime", (uint64_t)t->uptime);
	text_kv(b, "StartTime", (uint64_t)(t->start_time > 0 ? t->start_time : 0));
	text_kv(b, "Generation", t->generation);
	tb_str(b, t->draining ? "Draining: yes\n" : "Draining: no\n");
	text_kv(b, "ConfiguredWorkers", t->configured);
	text_kv(b, "BusyWorkers", t->n.busy);
	text_kv(b, "IdleWorkers", t->n.state[SB_IDLE]);
	text_kv(b, "StartingWorkers", t->n.state[SB_STARTING]);
	text_kv(b, "ConnsTotal", t->conns.open);
	text_kv(b, "ConnsReading", t->conns.reading);
	text_kv(b, "ConnsKeepAlive", t->conns.idle);
	text_kv(b, "ConnsQueued", t->conns.queued);
	text_kv(b, "ConnsActive", t->conns.active);
	text_kv(b, "ConnsClosing", t->conns.closing);
	text_kv(b, "AcceptedConns", t->accepted);
	text_kv(b, "HandledConns", t->handled);
	text_kv(b, "ActiveConns", t->conns.open);
	text_kv(b, "Reading", t->conns.reading);
	text_kv(b, "Writing", t->writing);
	text_kv(b, "Waiting", t->waiting);
	text_kv(b, "TotalRequests", t->requests);
	text_kv(b, "TotalBytes", t->bytes);
	text_rate(b, "ReqPerSec", t->req_per_sec);
	text_rate(b, "BytesPerSec", t->bytes_per_sec);
	text_rate(b, "BytesPerReq", t->bytes_per_req);
	if (t->recent_ms > 0) {
		text_rate(b, "RecentSeconds", (double)t->recent_ms / 1000.0);
		text_rate(b, "RecentReqPerSec", t->recent_req_per_sec);
		text_rate(b, "RecentBytesPerSec", t->recent_bytes_per_sec);
	}
	text_kv(b, "Reloads", t->reloads);
	text_kv(b, "FailedReloads", t->failed_reloads);
	text_kv(b, "Restarts", t->restarts);
}

static void text_scoreboard(struct textbuf *b, const struct scoreboard *sb)
{
	tb_str(b, "Scoreboard: ");
	for (unsigned i = 0; i < sb->nslots; i++)
		tb_char(b, status_state_char(sb_get_state(&sb->slots[i])));
	tb_char(b, '\n');
}

static void text_field(struct textbuf *b, const char *s, size_t n)
{
	tb_char(b, ' ');
	if (n == 0)
		tb_char(b, '-');
	else
		tb_text_field(b, s, n);
}

static void text_row(struct textbuf *b, const struct row *r)
{
	tb_u64(b, r->index);
	tb_char(b, ' ');
	tb_i64(b, r->pid);
	tb_char(b, ' ');
	tb_u64(b, r->generation);
	tb_char(b, ' ');
	tb_str(b, status_state_name(r->state));
	tb_char(b, ' ');
	tb_u64(b, r->requests);
	tb_char(b, ' ');
	tb_u64(b, r->bytes);
	tb_char(b, ' ');
	tb_u64(b, r->connections);
	tb_char(b, ' ');
	tb_u64(b, r->held);
	tb_char(b, ' ');
	if (r->req_ms < 0)
		tb_char(b, '-');
	else
		tb_ms_as_seconds(b, r->req_ms);
	text_field(b, r->client, r->client_len);
	text_field(b, r->request, r->request_len);
	tb_char(b, '\n');
}

size_t status_render_text(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap)
{
	struct textbuf b;
	struct totals t;
	struct row r;
	int64_t now = now_ms();

	tb_init(&b, buf, cap);
	status_totals_read(sb, cfg, &t);
	text_totals(&b, &t, false);
	text_scoreboard(&b, sb);
	tb_str(&b, "\nSlot PID Gen State Requests Bytes Conns Held Seconds Client Request\n");
	for (unsigned i = 0; i < sb->nslots; i++)
		if (status_row_read(sb, i, now, &r))
			text_row(&b, &r);
	return tb_done(&b);
}

size_t status_render_auto(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap)
{
	struct textbuf b;
	struct totals t;

	tb_init(&b, buf, cap);
	status_totals_read(sb, cfg, &t);
	text_totals(&b, &t, true);
	text_scoreboard(&b, sb);
	return tb_done(&b);
}

/* ---- JSON ---- */

static void json_kv(struct textbuf *b, const char *key, uint64_t v, bool more)
{
	tb_char(b, '"');
	tb_str(b, key);
	tb_str(b, "\":");
	tb_u64(b, v);
	if (more)
		tb_char(b, ',');
}

static void json_totals(struct textbuf *b, const struct totals *t)
{
	tb_str(b, "\"version\":\"" PACKAGE_VERSION "\",");
	json_kv(b, "uptime_seconds", (uint64_t)t->uptime, true);
	json_kv(b, "start_time", (uint64_t)(t->start_time > 0 ? t->start_time : 0), true);
	json_kv(b, "generation", t->generation, true);
	tb_str(b, t->draining ? "\"draining\":true," : "\"draining\":false,");
	tb_str(b, "\"workers\":{");
	json_kv(b, "configured", t->configured, true);
	json_kv(b, "busy", t->n.busy, true);
	json_kv(b, "idle", t->n.state[SB_IDLE], true);
	json_kv(b, "starting", t->n.state[SB_STARTING], true);
	json_kv(b, "live", t->n.live, false);
	tb_str(b, "},\"connections\":{");
	json_kv(b, "open", t->conns.open, true);
	json_kv(b, "reading", t->conns.reading, true);
	json_kv(b, "keepalive", t->conns.idle, true);
	json_kv(b, "queued", t->conns.queued, true);
	json_kv(b, "active", t->conns.active, true);
	json_kv(b, "closing", t->conns.closing, true);
	json_kv(b, "writing", t->writing, true);
	json_kv(b, "waiting", t->waiting, true);
	json_kv(b, "accepted", t->accepted, true);
	json_kv(b, "handled", t->handled, false);
	tb_str(b, "},");
	json_kv(b, "total_requests", t->requests, true);
	json_kv(b, "total_bytes", t->bytes, true);
	tb_str(b, "\"rates\":{\"requests_per_second\":");
	tb_fixed(b, t->req_per_sec, 3);
	tb_str(b, ",\"bytes_per_second\":");
	tb_fixed(b, t->bytes_per_sec, 3);
	tb_str(b, ",\"bytes_per_request\":");
	tb_fixed(b, t->bytes_per_req, 3);
	tb_str(b, ",\"recent\":");
	if (t->recent_ms > 0) {
		tb_str(b, "{\"seconds\":");
		tb_ms_as_seconds(b, t->recent_ms);
		tb_str(b, ",\"requests_per_second\":");
		tb_fixed(b, t->recent_req_per_sec, 3);
		tb_str(b, ",\"bytes_per_second\":");
		tb_fixed(b, t->recent_bytes_per_sec, 3);
		tb_str(b, "}},");
	} else {
		tb_str(b, "null},");
	}
	json_kv(b, "reloads", t->reloads, true);
	json_kv(b, "failed_reloads", t->failed_reloads, true);
	json_kv(b, "restarts", t->restarts, true);
}

static void json_row(struct textbuf *b, const struct row *r)
{
	tb_char(b, '{');
	json_kv(b, "slot", r->index, true);
	tb_str(b, "\"pid\":");
	tb_i64(b, r->pid);
	tb_char(b, ',');
	json_kv(b, "generation", r->generation, true);
	tb_str(b, "\"state\":\"");
	tb_str(b, status_state_name(r->state));
	tb_str(b, "\",\"age_seconds\":");
	tb_ms_as_seconds(b, r->age_ms);
	tb_char(b, ',');
	json_kv(b, "requests", r->requests, true);
	json_kv(b, "bytes", r->bytes, true);
	json_kv(b, "connections", r->connections, true);
	json_kv(b, "held", r->held, true);
	tb_str(b, "\"request_seconds\":");
	if (r->req_ms < 0)
		tb_str(b, "null");
	else
		tb_ms_as_seconds(b, r->req_ms);
	tb_str(b, ",\"client\":");
	tb_json_str(b, r->client, r->client_len);
	tb_str(b, ",\"request\":");
	tb_json_str(b, r->request, r->request_len);
	tb_char(b, '}');
}

size_t status_render_json(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap)
{
	struct textbuf b;
	struct totals t;
	struct row r;
	int64_t now = now_ms();
	bool first = true;

	tb_init(&b, buf, cap);
	status_totals_read(sb, cfg, &t);
	tb_char(&b, '{');
	json_totals(&b, &t);
	tb_str(&b, "\"slots\":[");
	for (unsigned i = 0; i < sb->nslots; i++) {
		if (!status_row_read(sb, i, now, &r))
			continue;
		if (!first)
			tb_char(&b, ',');
		first = false;
		json_row(&b, &r);
	}
	tb_str(&b, "]}\n");
	return tb_done(&b);
}

size_t status_render_html(const struct scoreboard *sb, const struct config *cfg,
			  unsigned refresh, char *buf, size_t cap)
{
	struct textbuf b;
	struct totals t;

	tb_init(&b, buf, cap);
	status_totals_read(sb, cfg, &t);
	status_html(&b, sb, &t, refresh);
	return tb_done(&b);
}

/* ---- serving ---- */

/* Whether the n bytes at p are the word w. */
static bool word_is(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(p, w, n) == 0;
}

/* Whether an Accept header lists text/html (a browser's does, curl's not). */
static bool accepts_html(const char *a, size_t n)
{
	for (size_t i = 0; i + 9 <= n; i++)
		if ((i == 0 || a[i - 1] == ',' || a[i - 1] == ' ') &&
		    strncasecmp(a + i, "text/html", 9) == 0)
			return true;
	return false;
}

void status_query_parse(const char *query, size_t qlen, const char *accept,
			size_t alen, struct status_query *out)
{
	bool named = false;
	size_t i = 0;

	out->format = STATUS_TEXT;
	out->refresh = 0;
	while (i < qlen) {
		size_t w = i;
		while (w < qlen && query[w] != '&' && query[w] != ';')
			w++;
		const char *p = query + i;
		size_t n = w - i;
		if (n >= 8 && memcmp(p, "refresh=", 8) == 0) {
			unsigned long v = 0;
			size_t d = 8;
			for (; d < n && p[d] >= '0' && p[d] <= '9'; d++)
				if (v <= STATUS_REFRESH_MAX) /* past it: the most */
					v = v * 10 + (unsigned long)(p[d] - '0');
			if (d == n && d > 8 && v >= 1)
				out->refresh = v > STATUS_REFRESH_MAX ? STATUS_REFRESH_MAX
								      : (unsigned)v;
		} else if (memmem(p, n, "json", 4) != NULL) {
			out->format = STATUS_JSON;
			named = true;
		} else if (!named && word_is(p, n, "auto")) {
			out->format = STATUS_AUTO;
			named = true;
		} else if (!named && word_is(p, n, "html")) {
			out->format = STATUS_HTML;
			named = true;
		} else if (!named && word_is(p, n, "text")) {
			named = true;
		}
		i = w + 1;
	}
	if (!named && (out->refresh > 0 ||
		       (accept != NULL && accepts_html(accept, alen))))
		out->format = STATUS_HTML;
	if (out->format != STATUS_HTML)
		out->refresh = 0;
}

void status_request_query(const struct request *req, struct status_query *out)
{
	const struct span *a = request_header(req, "Accept");

	status_query_parse(req->query.p, req->query.len, a ? a->p : NULL,
			   a ? a->len : 0, out);
}

void status_answer(struct response *r, const struct scoreboard *sb,
		   const struct config *cfg, const struct status_query *q,
		   char *buf, size_t cap)
{
	static const char *const types[] = {
		[STATUS_TEXT] = "text/plain; charset=utf-8",
		[STATUS_AUTO] = "text/plain; charset=utf-8",
		[STATUS_JSON] = "application/json",
		[STATUS_HTML] = "text/html; charset=utf-8",
	};
	size_t n;

	switch (q->format) {
	case STATUS_AUTO:
		n = status_render_auto(sb, cfg, buf, cap);
		break;
	case STATUS_JSON:
		n = status_render_json(sb, cfg, buf, cap);
		break;
	case STATUS_HTML:
		n = status_render_html(sb, cfg, q->refresh, buf, cap);
		break;
	default:
		n = status_render_text(sb, cfg, buf, cap);
		break;
	}
	response_page(r, types[q->format], buf, n, "the status page");
	if (r->status == 200)
		response_header(r, "Vary", "Accept");
}

void status_serve(struct exchange *x)
{
	const struct config *cfg = x->cfg;
	const struct scoreboard *sb = x->sb;
	static char *page;
	static size_t cap;
	struct status_query q;
	char *buf;

	if (!handler_admit(x, &cfg->status))
		return;
	buf = tb_process_buffer(&page, &cap, status_buffer_size(sb->nslots),
				"status page");
	if (buf == NULL) {
		response_error(x->res, 500);
		return;
	}
	status_request_query(x->req, &q);
	status_answer(x->res, sb, cfg, &q, buf, cap);
}
