/*
 * test_status.c -- the status page: totals, worker counts, per-slot rows,
 * escaping, JSON validity (checked by python3's json module), sizes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "status.h"
#include "util.h"

static struct scoreboard *sb;
static char *buf;
static size_t cap;

static void slot_fill(unsigned i, pid_t pid, uint32_t gen, enum sb_state st,
		      const char *client, const char *request)
{
	struct sb_slot *s = &sb->slots[i];

	s->pid = pid;
	s->generation = gen;
	s->state = st;
	snprintf(s->client, sizeof(s->client), "%s", client);
	snprintf(s->request, sizeof(s->request), "%s", request);
}

/* 4 slots: an idle worker, a busy one, one of an older generation in
 * keep-alive, and an empty slot. */
static void setup(void)
{
	sb = scoreboard_create(4);
	cr_assert_not_null(sb);
	sb->generation = 2;
	sb->start_time = (int64_t)time(NULL) - 100;
	sb->retired_requests = 10;
	sb->retired_bytes = 1000;
	sb->reloads = 1;
	sb->failed_reloads = 2;
	sb->restarts = 3;
	slot_fill(0, 100, 2, SB_IDLE, "127.0.0.1", "GET / HTTP/1.1");
	sb->slots[0].requests = 5;
	sb->slots[0].bytes = 500;
	sb->slots[0].connections = 2;
	slot_fill(1, 101, 2, SB_WRITING, "10.1.2.3\"\x01\xc3",
		  "GET /a\"b\\c\td\xff HTTP/1.1");
	sb->slots[1].requests = 7;
	sb->slots[1].bytes = 70;
	sb->slots[1].connections = 1;
	sb->slots[1].req_start_ms = now_ms() - 1500;
	slot_fill(2, 99, 1, SB_CLOSING, "::1", "HEAD /x HTTP/1.0");
	sb->slots[0].conns = (struct sb_conns){ .open = 3, .reading = 1, .idle = 2 };
	sb->slots[1].conns = (struct sb_conns){ .open = 4, .idle = 1, .queued = 1,
						.active = 1, .closing = 1 };
	cap = status_buffer_size(sb->nslots);
	buf = malloc(cap + 1);
	cr_assert_not_null(buf);
}

static void teardown(void)
{
	scoreboard_destroy(sb);
	free(buf);
}

TestSuite(status, .init = setup, .fini = teardown);

static char *render_text(void)
{
	size_t n = status_render_text(sb, NULL, buf, cap);

	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

/* True when text has line as one whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define expect_line(text, line) \
	cr_expect(has_line(text, line), "missing line \"%s\" in:\n%s", line, text)

Test(status, text_totals)
{
	char *t = render_text();
	char up[32], up2[32];

	snprintf(up, sizeof(up), "Uptime: %d", 100);
	snprintf(up2, sizeof(up2), "Uptime: %d", 101);
	cr_expect(has_line(t, up) || has_line(t, up2), "%s", t);
	expect_line(t, "ServerVersion: " PACKAGE_NAME "/" PACKAGE_VERSION);
	expect_line(t, "Generation: 2");
	expect_line(t, "Draining: no");
	expect_line(t, "BusyWorkers: 2");
	expect_line(t, "IdleWorkers: 1");
	expect_line(t, "StartingWorkers: 0");
	expect_line(t, "ConnsTotal: 7");
	expect_line(t, "ConnsReading: 1");
	expect_line(t, "ConnsKeepAlive: 3");
	expect_line(t, "ConnsQueued: 1");
	expect_line(t, "ConnsActive: 1");
	expect_line(t, "ConnsClosing: 1");
	expect_line(t, "TotalRequests: 22");
	expect_line(t, "TotalBytes: 1570");
	expect_line(t, "Reloads: 1");
	expect_line(t, "FailedReloads: 2");
	expect_line(t, "Restarts: 3");
	expect_line(t, "Scoreboard: _WG.");
}

Test(status, text_rows)
{
	char *t = render_text();
	const char *busy = strstr(t, "\n1 101 2 writing 7 70 1 4 ");

	expect_line(t, "Slot PID Gen State Requests Bytes Conns Held Seconds Client Request");
	expect_line(t, "0 100 2 idle 5 500 2 3 - 127.0.0.1 GET / HTTP/1.1");
	expect_line(t, "2 99 1 closing 0 0 0 0 - ::1 HEAD /x HTTP/1.0");
	cr_assert_not_null(busy, "%s", t);
	/* about 1.5 s in the request; unprintable bytes shown as '?' */
	double secs = strtod(busy + strlen("\n1 101 2 writing 7 70 1 4 "), NULL);
	cr_expect(secs >= 1.5 && secs < 5.0, "seconds %f", secs);
	cr_expect(strstr(busy, " 10.1.2.3\"?? GET /a\"b\\c?d? HTTP/1.1\n") != NULL,
		  "%s", busy);
	cr_expect_null(strstr(t, "\n3 "), "the empty slot has no row");
}

Test(status, draining_shown)
{
	sb->draining = 1;
	expect_line(render_text(), "Draining: yes");
}

/* Feed the page to python3 and run the assertions in script on d. */
static int python_check(const char *json, size_t n, const char *script)
{
	char cmd[2048];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, sys\n"
		 "d = json.load(sys.stdin)\n%s'",
		 script);
	p = popen(cmd, "w");
	cr_assert_not_null(p);
	fwrite(json, 1, n, p);
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(status, json_valid_and_complete)
{
	size_t n = status_render_json(sb, NULL, buf, cap);

	cr_assert_gt(n, 0);
	cr_assert_eq(buf[n - 1], '\n');
	cr_assert_eq(python_check(buf, n,
		"assert d[\"generation\"] == 2, d\n"
		"assert d[\"draining\"] is False\n"
		"assert d[\"total_requests\"] == 22\n"
		"assert d[\"total_bytes\"] == 1570\n"
		"assert d[\"reloads\"] == 1 and d[\"failed_reloads\"] == 2\n"
		"assert d[\"restarts\"] == 3\n"
		"assert 100 <= d[\"uptime_seconds\"] <= 101\n"
		"w = d[\"workers\"]\n"
		"assert (w[\"busy\"], w[\"idle\"], w[\"live\"]) == (2, 1, 3), w\n"
		"c = d[\"connections\"]\n"
		"assert (c[\"open\"], c[\"reading\"], c[\"keepalive\"], c[\"queued\"], c[\"active\"], c[\"closing\"]) == (7, 1, 3, 1, 1, 1), c\n"
		"s = d[\"slots\"]\n"
		"assert [x[\"slot\"] for x in s] == [0, 1, 2]\n"
		"assert s[0][\"request_seconds\"] is None\n"
		"assert s[0][\"request\"] == \"GET / HTTP/1.1\"\n"
		"assert 1.5 <= s[1][\"request_seconds\"] < 5\n"
		"assert s[1][\"client\"] == \"10.1.2.3\\\"\\x01\\xc3\", s[1]\n"
		"assert s[1][\"request\"] == \"GET /a\\\"b\\\\c\\td\\xff HTTP/1.1\", s[1]\n"
		"assert s[2][\"state\"] == \"closing\" and s[2][\"generation\"] == 1\n"
		"assert [x[\"held\"] for x in s] == [3, 4, 0], s\n"
		"assert s[2][\"pid\"] == 99\n"),
		     0);
}

Test(status, json_only_ascii)
{
	size_t n = status_render_json(sb, NULL, buf, cap);

	for (size_t i = 0; i < n; i++)
		cr_assert(buf[i] >= 0x20 || buf[i] == '\n', "byte %zu: %#x", i,
			  (unsigned)(unsigned char)buf[i]);
}

Test(status, too_small_is_zero)
{
	cr_expect_eq(status_render_text(sb, NULL, buf, 64), 0);
	cr_expect_eq(status_render_json(sb, NULL, buf, 64), 0);
}

/* Every slot live with the worst bytes in both text fields still fits. */
Test(status, buffer_size_is_enough)
{
	for (unsigned i = 0; i < sb->nslots; i++) {
		struct sb_slot *s = &sb->slots[i];
		s->state = SB_WRITING;
		s->pid = 2147483647;
		s->generation = UINT32_MAX;
		s->requests = s->bytes = s->connections = UINT64_MAX;
		s->req_start_ms = 1;
		memset(s->client, 0x01, sizeof(s->client) - 1);
		memset(s->request, 0xff, sizeof(s->request) - 1);
	}
	sb->retired_requests = sb->retired_bytes = UINT64_MAX / 2;
	cr_expect_gt(status_render_json(sb, NULL, buf, cap), 0);
	cr_expect_gt(status_render_text(sb, NULL, buf, cap), 0);
	cr_expect_gt(status_render_auto(sb, NULL, buf, cap), 0);
	cr_expect_gt(status_render_html(sb, NULL, STATUS_REFRESH_MAX, buf, cap), 0);
	/* the HTML escapes '"' as 6 bytes: the worst text for it */
	for (unsigned i = 0; i < sb->nslots; i++) {
		memset(sb->slots[i].client, '"', sizeof(sb->slots[i].client) - 1);
		memset(sb->slots[i].request, '"', sizeof(sb->slots[i].request) - 1);
	}
	cr_expect_gt(status_render_html(sb, NULL, STATUS_REFRESH_MAX, buf, cap), 0);
}

Test(status, counts)
{
	struct status_counts c;

	status_count(sb, &c);
	cr_expect_eq(c.live, 3);
	cr_expect_eq(c.current, 2);
	cr_expect_eq(c.busy, 2);
	cr_expect_eq(c.state[SB_IDLE], 1);
	cr_expect_eq(c.state[SB_CLOSING], 1);
}

static struct status_query parse(const char *query, const char *accept)
{
	struct status_query q;

	status_query_parse(query, strlen(query), accept,
			   accept ? strlen(accept) : 0, &q);
	return q;
}

Test(status, query_formats)
{
	static const char browser[] =
		"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

	cr_expect_eq(parse("", NULL).format, STATUS_TEXT);
	cr_expect_eq(parse("", "*/*").format, STATUS_TEXT, "curl gets text");
	cr_expect_eq(parse("json", NULL).format, STATUS_JSON);
	cr_expect_eq(parse("format=json&x", NULL).format, STATUS_JSON);
	cr_expect_eq(parse("jso", NULL).format, STATUS_TEXT);
	cr_expect_eq(parse("auto", NULL).format, STATUS_AUTO);
	cr_expect_eq(parse("auto", browser).format, STATUS_AUTO, "the query wins");
	cr_expect_eq(parse("html", NULL).format, STATUS_HTML);
	cr_expect_eq(parse("", browser).format, STATUS_HTML, "a browser gets HTML");
	cr_expect_eq(parse("", "application/json, Text/HTML").format, STATUS_HTML);
	cr_expect_eq(parse("", "application/xhtml+xml").format, STATUS_TEXT);
	cr_expect_eq(parse("text", browser).format, STATUS_TEXT);
	cr_expect_eq(parse("json", browser).format, STATUS_JSON);
}

Test(status, query_refresh)
{
	struct status_query q = parse("refresh=5", NULL);

	cr_expect_eq(q.format, STATUS_HTML, "?refresh alone is for a browser");
	cr_expect_eq(q.refresh, 5);
	q = parse("html&refresh=30", NULL);
	cr_expect_eq(q.refresh, 30);
	cr_expect_eq(parse("refresh=99999999999999", NULL).refresh,
		     STATUS_REFRESH_MAX);
	cr_expect_eq(parse("refresh=0", "text/html").refresh, 0);
	cr_expect_eq(parse("refresh=x", "text/html").refresh, 0);
	cr_expect_eq(parse("refresh=", "text/html").refresh, 0);
	cr_expect_eq(parse("json;refresh=5", NULL).refresh, 0, "HTML only");
}

Test(status, auto_has_apache_keys)
{
	size_t n;

	sb->start_time = (int64_t)time(NULL) - 10;
	sb->retired_bytes = 2048 * 10 + 1000;
	n = status_render_auto(sb, NULL, buf, cap);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	expect_line(buf, "Total Accesses: 22");
	expect_line(buf, "Total kBytes: 21");    /* 22050 bytes */
	expect_line(buf, "ReqPerSec: 2.200");    /* 22 in 10 s */
	expect_line(buf, "BytesPerSec: 2205.000");
	expect_line(buf, "BytesPerReq: 1002.273");
	expect_line(buf, "BusyWorkers: 2");
	expect_line(buf, "IdleWorkers: 1");
	expect_line(buf, "Uptime: 10");
	expect_line(buf, "ServerUptimeSeconds: 10");
	expect_line(buf, "Scoreboard: _WG.");
	cr_expect_null(strstr(buf, "\nSlot "), "no rows in ?auto");
	cr_expect_eq(strstr(buf, "ServerVersion:"), buf, "the first line");
	cr_expect_null(strstr(buf + 1, "ServerVersion:"), "once only");
	cr_expect_null(strstr(strstr(buf, "\nUptime:") + 1, "\nUptime:"), "once only");
}

Test(status, nginx_counters)
{
	char *t;

	sb->retired_stats.accepted = 40;
	sb->slots[0].stats.accepted = 2;
	sb->retired_stats.handled = 39;
	sb->slots[1].stats.handled = 3;
	t = render_text();
	expect_line(t, "AcceptedConns: 42");
	expect_line(t, "HandledConns: 42");
	expect_line(t, "ActiveConns: 7");
	expect_line(t, "Reading: 1");
	expect_line(t, "Writing: 3");      /* active + queued + closing */
	expect_line(t, "Waiting: 3");      /* keep-alive */
}

Test(status, recent_rates)
{
	int64_t now = now_ms();
	char *t;

	cr_expect_null(strstr(render_text(), "RecentReqPerSec"),
		       "no sample yet, no recent rate");
	scoreboard_sample(sb, now - 4000); /* 22 requests, 1570 bytes then */
	sb->slots[0].requests += 8;
	sb->slots[0].bytes += 4000;
	t = render_text();
	expect_line(t, "RecentSeconds: 4.000");
	expect_line(t, "RecentReqPerSec: 2.000");
	expect_line(t, "RecentBytesPerSec: 1000.000");
	/* a newer sample: the older of the two is used */
	scoreboard_sample(sb, now - 3000); /* too soon after: not taken */
	expect_line(render_text(), "RecentSeconds: 4.000");
	scoreboard_sample(sb, now + 1000);
	expect_line(render_text(), "RecentSeconds: 4.000");
}

/* Run python3 with script on the page on stdin; its exit status. */
static int python_run(const char *page, size_t n, const char *script)
{
	char cmd[4096];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "python3 -c '%s'", script);
	p = popen(cmd, "w");
	cr_assert_not_null(p);
	fwrite(page, 1, n, p);
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The HTML page: well-formed (every element closed, python's parser as
 * the judge), one table row per live worker with its state, the client's
 * bytes escaped, the refresh. */
Test(status, html_page)
{
	size_t n;

	sb->slots[1].requests = 7;
	snprintf(sb->slots[1].request, sizeof(sb->slots[1].request),
		 "GET /<script>alert(1)</script>&x HTTP/1.1");
	n = status_render_html(sb, NULL, 7, buf, cap);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_expect_null(strstr(buf, "<script>"), "client text is escaped");
	cr_expect_not_null(strstr(buf, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;x"));
	cr_expect_not_null(strstr(buf, "<meta http-equiv=\"refresh\" content=\"7\">"));
	cr_expect_eq(python_run(buf, n,
		"import sys\n"
		"from html.parser import HTMLParser\n"
		"void = {\"meta\", \"br\", \"link\"}\n"
		"class P(HTMLParser):\n"
		"    def __init__(s):\n"
		"        super().__init__(); s.stack = []; s.rows = []; s.cells = None\n"
		"    def handle_starttag(s, t, a):\n"
		"        if t in void: return\n"
		"        s.stack.append(t)\n"
		"        if t == \"tr\": s.cells = []\n"
		"        if t == \"td\": s.cells.append(\"\")\n"
		"    def handle_endtag(s, t):\n"
		"        assert s.stack and s.stack[-1] == t, (t, s.stack)\n"
		"        s.stack.pop()\n"
		"        if t == \"tr\" and s.cells: s.rows.append(s.cells)\n"
		"    def handle_data(s, d):\n"
		"        if s.cells is not None and s.stack and s.stack[-1] in (\"td\", \"span\"): s.cells[-1] += d\n"
		"p = P(); p.feed(sys.stdin.read()); p.close()\n"
		"assert not p.stack, p.stack\n"
		"r = p.rows\n"
		"assert [x[0] for x in r] == [\"0\", \"1\", \"2\"], r\n"
		"assert [x[3] for x in r] == [\"idle\", \"writing\", \"closing\"], r\n"
		"assert r[1][11] == \"GET /<script>alert(1)</script>&x HTTP/1.1\", r[1]\n"
		"assert r[0][10] == \"127.0.0.1\", r[0]\n"),
		     0);
}

Test(status, html_too_small_is_zero)
{
	cr_expect_eq(status_render_html(sb, NULL, 0, buf, 512), 0);
	cr_expect_eq(status_render_auto(sb, NULL, buf, 16), 0);
}

static bool has_header(const struct response *r, const char *line)
{
	return memmem(r->hbuf, r->hlen, line, strlen(line)) != NULL;
}

Test(status, answer_sets_headers)
{
	char hbuf[256];
	struct response r;
	struct status_query q = { .format = STATUS_JSON };

	response_init(&r, hbuf, sizeof(hbuf));
	status_answer(&r, sb, NULL, &q, buf, cap);
	cr_expect_eq(r.status, 200);
	cr_expect(has_header(&r, "Content-Type: application/json\r\n"));
	cr_expect(has_header(&r, "Cache-Control: no-store\r\n"));
	cr_expect(has_header(&r, "Vary: Accept\r\n"));
	cr_expect_eq(r.body, buf);
	cr_expect_gt(r.body_len, 0);

	q.format = STATUS_HTML;
	response_init(&r, hbuf, sizeof(hbuf));
	status_answer(&r, sb, NULL, &q, buf, cap);
	cr_expect(has_header(&r, "Content-Type: text/html; charset=utf-8\r\n"));

	q.format = STATUS_TEXT;
	response_init(&r, hbuf, sizeof(hbuf));
	status_answer(&r, sb, NULL, &q, buf, 16);
	cr_expect_eq(r.status, 500);
}
