/*
 * status.c -- the status page (see status.h).
 *
 * Text:
 *
 *   ServerVersion: prefork-httpd/0.1.0
 *   Uptime: 3600
 *   ...
 *   Scoreboard: _W_K....
 *
 *   Slot PID Gen State Requests Bytes Conns Seconds Client Request
 *   0 4242 1 writing 10 20480 3 1.502 127.0.0.1 GET /big HTTP/1.1
 *
 * Totals first as "Key: value" lines (Apache's ?auto style, easy to grep),
 * then one row per live slot, fields separated by one space, the request
 * line last (it may contain spaces).  "-" stands for an empty field; bytes
 * a client sent that are not printable ASCII are shown as '?'.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "status.h"
#include "textbuf.h"
#include "util.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

/* Fixed part of a page, and the most one slot row can take (JSON, every
 * byte of client and request escaped as \u00XX). */
#define STATUS_FIXED_BYTES 4096
#define STATUS_ROW_BYTES (512 + 6 * (SB_CLIENT_MAX + SB_REQUEST_MAX))

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

static uint64_t total_bytes(const struct scoreboard *sb)
{
	uint64_t total = LOAD(&sb->retired_bytes);

	for (unsigned i = 0; i < sb->nslots; i++)
		if (sb_get_state(&sb->slots[i]) != SB_EMPTY)
			total += LOAD(&sb->slots[i].bytes);
	return total;
}

/* The numbers both formats show, read once. */
struct totals {
	int64_t uptime;
	int64_t start_time;
	uint32_t generation;
	bool draining;
	unsigned configured;
	struct status_counts n;
	struct sb_conns conns;
	uint64_t requests, bytes, reloads, failed_reloads, restarts;
};

static void totals_read(const struct scoreboard *sb, const struct config *cfg,
			struct totals *t)
{
	t->start_time = LOAD(&sb->start_time);
	t->uptime = (int64_t)time(NULL) - t->start_time;
	if (t->uptime < 0)
		t->uptime = 0;
	t->generation = LOAD(&sb->generation);
	t->draining = LOAD(&sb->draining) != 0;
	t->configured = cfg ? cfg->workers : 0;
	status_count(sb, &t->n);
	scoreboard_sum_conns(sb, &t->conns);
	t->requests = scoreboard_total_requests(sb);
	t->bytes = total_bytes(sb);
	t->reloads = LOAD(&sb->reloads);
	t->failed_reloads = LOAD(&sb->failed_reloads);
	t->restarts = LOAD(&sb->restarts);
}

/* A copy of the text fields of a slot, bounded even if a writer races. */
struct row {
	unsigned index;
	pid_t pid;
	uint32_t generation;
	enum sb_state state;
	uint64_t requests, bytes, connections;
	uint32_t held; /* connections open now */
	int64_t req_ms; /* time in the current request; -1: none */
	char client[SB_CLIENT_MAX];
	char request[SB_REQUEST_MAX];
	size_t client_len, request_len;
};

static bool row_read(const struct scoreboard *sb, unsigned i, int64_t now,
		     struct row *r)
{
	const struct sb_slot *s = &sb->slots[i];
	int64_t start;

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

static void text_totals(struct textbuf *b, const struct totals *t)
{
	tb_str(b, "ServerVersion: " PACKAGE_NAME "/" PACKAGE_VERSION "\n");
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
	text_kv(b, "TotalRequests", t->requests);
	text_kv(b, "TotalBytes", t->bytes);
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
	totals_read(sb, cfg, &t);
	text_totals(&b, &t);
	text_scoreboard(&b, sb);
	tb_str(&b, "\nSlot PID Gen State Requests Bytes Conns Held Seconds Client Request\n");
	for (unsigned i = 0; i < sb->nslots; i++)
		if (row_read(sb, i, now, &r))
			text_row(&b, &r);
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
	json_kv(b, "closing", t->conns.closing, false);
	tb_str(b, "},");
	json_kv(b, "total_requests", t->requests, true);
	json_kv(b, "total_bytes", t->bytes, true);
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
	tb_str(b, "\",");
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
	totals_read(sb, cfg, &t);
	tb_char(&b, '{');
	json_totals(&b, &t);
	tb_str(&b, "\"slots\":[");
	for (unsigned i = 0; i < sb->nslots; i++) {
		if (!row_read(sb, i, now, &r))
			continue;
		if (!first)
			tb_char(&b, ',');
		first = false;
		json_row(&b, &r);
	}
	tb_str(&b, "]}\n");
	return tb_done(&b);
}

/* ---- serving ---- */

bool status_wants_json(const char *query, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(query + i, "json", 4) == 0)
			return true;
	return false;
}

void status_answer(struct response *r, const struct scoreboard *sb,
		   const struct config *cfg, bool json, char *buf, size_t cap)
{
	size_t n = json ? status_render_json(sb, cfg, buf, cap)
			: status_render_text(sb, cfg, buf, cap);

	response_page(r, json ? "application/json" : "text/plain; charset=utf-8",
		      buf, n, "the status page");
}

void status_serve(struct exchange *x)
{
	const struct config *cfg = x->cfg;
	const struct scoreboard *sb = x->sb;
	static char *page;
	static size_t cap;
	char *buf;

	if (!handler_admit(x, &cfg->status))
		return;
	buf = tb_process_buffer(&page, &cap, status_buffer_size(sb->nslots),
				"status page");
	if (buf == NULL) {
		response_error(x->res, 500);
		return;
	}
	status_answer(x->res, sb, cfg, status_wants_json(x->req->query.p,
							 x->req->query.len),
		      buf, cap);
}
