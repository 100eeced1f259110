/*
 * status_html.c -- the status page as HTML, for an operator's browser
 * (status.h): what Apache's mod_status shows, on one screen.
 *
 *   the server: version, generation, serving or draining, start (as a
 *     date) and uptime; the page's own refresh choices
 *   totals: requests and bytes, and their rates since the start and over
 *     the last few seconds (the master's sample, scoreboard_recent)
 *   workers by state and the scoreboard line, with its legend
 *   connections by state, accepted and handled
 *   the pool: one row per worker, its state coloured, age, counters,
 *     the request in hand and for how long, the client
 *
 * No script, no external resource: one self-contained document, rendered
 * into the caller's buffer without allocation.  Text that came from a
 * client (request lines, addresses) is escaped (tb_html).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "status_data.h"
#include "util.h"

static const char style[] =
	"<style>\n"
	":root{color-scheme:light;--line:#d8dde3;--muted:#5b6570}\n"
	"body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"sans-serif;margin:0;color:#1d232a;background:#f6f7f9}\n"
	"header{background:#1f3a5f;color:#fff;padding:14px 24px}\n"
	"header h1{font-size:20px;margin:0}\n"
	"header p{margin:4px 0 0;color:#c9d6e6}\n"
	"main{padding:16px 24px}\n"
	"section{background:#fff;border:1px solid var(--line);border-radius:6px;"
	"padding:12px 16px;margin:0 0 16px}\n"
	"h2{font-size:15px;margin:0 0 8px}\n"
	".grid{display:flex;flex-wrap:wrap;gap:8px 32px}\n"
	".stat b{display:block;font-size:20px;font-variant-numeric:tabular-nums}\n"
	".stat span{color:var(--muted);font-size:12px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:"
	"tabular-nums}\n"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid "
	"var(--line);white-space:nowrap}\n"
	"th{font-size:12px;color:var(--muted);font-weight:600}\n"
	"td.n,th.n{text-align:right}\n"
	"td.req{white-space:normal;word-break:break-all;font-family:ui-monospace,"
	"monospace}\n"
	".board{font:16px ui-monospace,monospace;letter-spacing:2px;"
	"word-break:break-all}\n"
	".legend{color:var(--muted);font-size:12px}\n"
	".st{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;"
	"font-weight:600}\n"
	".st-idle{background:#e3f4e6;color:#1d6b2f}\n"
	".st-writing{background:#fde8c8;color:#8a4b00}\n"
	".st-reading{background:#dbe9fb;color:#1c4f8f}\n"
	".st-starting{background:#ececec;color:#555}\n"
	".st-closing{background:#f4dede;color:#8f1d1d}\n"
	".draining{background:#8f1d1d;color:#fff;padding:1px 6px;"
	"border-radius:3px}\n"
	"footer{color:var(--muted);font-size:12px;padding:0 24px 16px}\n"
	"a{color:#1c4f8f}\n"
	"</style>\n";

static void num(struct textbuf *b, uint64_t v)
{
	tb_u64(b, v);
}

/* 1536 -> "1.5 KiB"; under 1 KiB: "512 B". */
static void human_bytes(struct textbuf *b, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024;
		u++;
	}
	tb_fixed(b, v, u == 0 ? 0 : 1);
	tb_char(b, ' ');
	tb_str(b, unit[u]);
}

/* Seconds as "2 d 3 h", "3 h 4 min", "4 min 5 s" or "5 s". */
static void human_duration(struct textbuf *b, int64_t s)
{
	char out[64];
	long long v = s > 0 ? (long long)s : 0;

	if (v >= 86400)
		snprintf(out, sizeof(out), "%lld d %lld h", v / 86400, v % 86400 / 3600);
	else if (v >= 3600)
		snprintf(out, sizeof(out), "%lld h %lld min", v / 3600, v % 3600 / 60);
	else if (v >= 60)
		snprintf(out, sizeof(out), "%lld min %lld s", v / 60, v % 60);
	else
		snprintf(out, sizeof(out), "%lld s", v);
	tb_str(b, out);
}

/* A Unix time as a date in the server's zone: "2026-11-25 15:04:05 +0000". */
static void date(struct textbuf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char out[40];

	if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(out, sizeof(out), "%Y-%m-%d %H:%M:%S %z", &tm) == 0) {
		tb_char(b, '-');
		return;
	}
	tb_str(b, out);
}

/* One big number with its caption. */
static void stat_start(struct textbuf *b)
{
	tb_str(b, "<div class=\"stat\"><b>");
}

static void stat_end(struct textbuf *b, const char *caption)
{
	tb_str(b, "</b><span>");
	tb_str(b, caption);
	tb_str(b, "</span></div>\n");
}

static void stat_u64(struct textbuf *b, uint64_t v, const char *caption)
{
	stat_start(b);
	num(b, v);
	stat_end(b, caption);
}

static void stat_rate(struct textbuf *b, double v, bool bytes,
		      const char *caption)
{
	stat_start(b);
	if (bytes) {
		human_bytes(b, v);
		tb_str(b, "/s");
	} else {
		tb_fixed(b, v, v < 10 ? 2 : 1);
	}
	stat_end(b, caption);
}

static void head(struct textbuf *b, const struct totals *t, unsigned refresh)
{
	tb_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width\">\n");
	if (refresh > 0) {
		tb_str(b, "<meta http-equiv=\"refresh\" content=\"");
		tb_u64(b, refresh);
		tb_str(b, "\">\n");
	}
	tb_str(b, "<title>" PACKAGE_NAME " status</title>\n");
	tb_str(b, style);
	tb_str(b, "</head><body>\n<header><h1>" PACKAGE_NAME " status</h1><p>"
		  PACKAGE_NAME "/" PACKAGE_VERSION " &middot; generation ");
	tb_u64(b, t->generation);
	tb_str(b, " &middot; ");
	tb_str(b, t->draining ? "<span class=\"draining\">draining</span>"
			      : "serving");
	tb_str(b, " &middot; started ");
	date(b, t->start_time);
	tb_str(b, " &middot; up ");
	human_duration(b, t->uptime);
	tb_str(b, "</p></header>\n<main>\n");
}

static void totals(struct textbuf *b, const struct totals *t)
{
	tb_str(b, "<section id=\"totals\"><h2>Traffic</h2><div class=\"grid\">\n");
	stat_u64(b, t->requests, "requests");
	stat_start(b);
	human_bytes(b, (double)t->bytes);
	stat_end(b, "sent");
	stat_rate(b, t->req_per_sec, false, "requests/s since start");
	stat_rate(b, t->bytes_per_sec, true, "since start");
	if (t->recent_ms > 0) {
		char cap[64];
		snprintf(cap, sizeof(cap), "requests/s, last %lld s",
			 (long long)((t->recent_ms + 500) / 1000));
		stat_rate(b, t->recent_req_per_sec, false, cap);
		snprintf(cap, sizeof(cap), "last %lld s",
			 (long long)((t->recent_ms + 500) / 1000));
		stat_rate(b, t->recent_bytes_per_sec, true, cap);
	}
	tb_str(b, "</div></section>\n");
}

static void workers(struct textbuf *b, const struct scoreboard *sb,
		    const struct totals *t)
{
	tb_str(b, "<section id=\"workers\"><h2>Workers</h2><div class=\"grid\">\n");
	stat_u64(b, t->configured, "configured");
	stat_u64(b, t->n.live, "running");
	stat_u64(b, t->n.busy, "busy");
	stat_u64(b, t->n.state[SB_IDLE], "idle");
	stat_u64(b, t->n.state[SB_STARTING], "starting");
	stat_u64(b, t->restarts, "restarts");
	stat_u64(b, t->reloads, "reloads");
	stat_u64(b, t->failed_reloads, "failed reloads");
	tb_str(b, "</div>\n<p class=\"board\" title=\"one character per slot\">");
	for (unsigned i = 0; i < sb->nslots; i++)
		tb_char(b, status_state_char(sb_get_state(&sb->slots[i])));
	tb_str(b, "</p><p class=\"legend\">_ idle &middot; W answering "
		  "&middot; R reading a body &middot; S starting &middot; "
		  "G retiring &middot; . no process</p></section>\n");
}

static void connections(struct textbuf *b, const struct totals *t)
{
	tb_str(b, "<section id=\"connections\"><h2>Connections</h2>"
		  "<div class=\"grid\">\n");
	stat_u64(b, t->conns.open, "open");
	stat_u64(b, t->conns.reading, "reading a head");
	stat_u64(b, t->conns.idle, "keep-alive");
	stat_u64(b, t->conns.queued, "queued");
	stat_u64(b, t->conns.active, "being answered");
	stat_u64(b, t->conns.closing, "closing");
	stat_u64(b, t->accepted, "accepted");
	stat_u64(b, t->handled, "handled");
	tb_str(b, "</div></section>\n");
}

static void row(struct textbuf *b, const struct row *r)
{
	const char *st = status_state_name(r->state);

	tb_str(b, "<tr class=\"w-");
	tb_str(b, st);
	tb_str(b, "\"><td class=\"n\">");
	tb_u64(b, r->index);
	tb_str(b, "</td><td class=\"n\">");
	tb_i64(b, r->pid);
	tb_str(b, "</td><td class=\"n\">");
	tb_u64(b, r->generation);
	tb_str(b, "</td><td><span class=\"st st-");
	tb_str(b, st);
	tb_str(b, "\">");
	tb_str(b, st);
	tb_str(b, "</span></td><td class=\"n\">");
	human_duration(b, r->age_ms / 1000);
	tb_str(b, "</td><td class=\"n\">");
	num(b, r->requests);
	tb_str(b, "</td><td class=\"n\" title=\"");
	tb_u64(b, r->bytes);
	tb_str(b, " bytes\">");
	human_bytes(b, (double)r->bytes);
	tb_str(b, "</td><td class=\"n\">");
	num(b, r->connections);
	tb_str(b, "</td><td class=\"n\">");
	num(b, r->held);
	tb_str(b, "</td><td class=\"n\">");
	if (r->req_ms < 0)
		tb_str(b, "&ndash;");
	else
		tb_ms_as_seconds(b, r->req_ms);
	tb_str(b, "</td><td>");
	if (r->client_len == 0)
		tb_str(b, "&ndash;");
	else
		tb_html(b, r->client, r->client_len);
	tb_str(b, "</td><td class=\"req\">");
	if (r->request_len == 0)
		tb_str(b, "&ndash;");
	else
		tb_html(b, r->request, r->request_len);
	tb_str(b, "</td></tr>\n");
}

static void pool(struct textbuf *b, const struct scoreboard *sb)
{
	struct row r;
	int64_t now = now_ms();
	unsigned shown = 0;

	tb_str(b, "<section id=\"pool\"><h2>Pool</h2>\n<table><thead><tr>"
		  "<th class=\"n\">Slot</th><th class=\"n\">PID</th>"
		  "<th class=\"n\">Gen</th><th>State</th><th class=\"n\">Age</th>"
		  "<th class=\"n\">Requests</th><th class=\"n\">Sent</th>"
		  "<th class=\"n\">Conns</th><th class=\"n\">Held</th>"
		  "<th class=\"n\">Seconds</th><th>Client</th>"
		  "<th>Current or last request</th></tr></thead><tbody>\n");
	for (unsigned i = 0; i < sb->nslots; i++) {
		if (!status_row_read(sb, i, now, &r))
			continue;
		row(b, &r);
		shown++;
	}
	if (shown == 0)
		tb_str(b, "<tr><td colspan=\"12\">no worker is running</td></tr>\n");
	tb_str(b, "</tbody></table>\n<p class=\"legend\">Age: since the worker "
		  "started. Requests, Sent, Conns: answered, bytes sent (heads "
		  "and bodies, updated every second during a long answer) and "
		  "connections accepted by that worker. Held: connections it "
		  "holds now. Seconds: time on the request in hand.</p>"
		  "</section>\n");
}

static void footer(struct textbuf *b, unsigned refresh)
{
	static const unsigned choices[] = { 2, 5, 10, 30 };

	tb_str(b, "</main>\n<footer>Also as <a href=\"?text\">text</a>, "
		  "<a href=\"?auto\">?auto</a> and <a href=\"?json\">JSON</a>. "
		  "Refresh: ");
	tb_str(b, refresh == 0 ? "<b>off</b>" : "<a href=\"?html\">off</a>");
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		tb_str(b, " &middot; ");
		if (choices[i] == refresh) {
			tb_str(b, "<b>");
			tb_u64(b, choices[i]);
			tb_str(b, " s</b>");
			continue;
		}
		tb_str(b, "<a href=\"?refresh=");
		tb_u64(b, choices[i]);
		tb_str(b, "\">");
		tb_u64(b, choices[i]);
		tb_str(b, " s</a>");
	}
	tb_str(b, "</footer>\n</body></html>\n");
}

void status_html(struct textbuf *b, const struct scoreboard *sb,
		 const struct totals *t, unsigned refresh)
{
	head(b, t, refresh);
	totals(b, t);
	workers(b, sb, t);
	connections(b, t);
	pool(b, sb);
	footer(b, refresh);
}
