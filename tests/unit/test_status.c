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

Test(status, wants_json)
{
	cr_expect(status_wants_json("json", 4));
	cr_expect(status_wants_json("format=json&x", 13));
	cr_expect_not(status_wants_json("jso", 3));
	cr_expect_not(status_wants_json("", 0));
	cr_expect_not(status_wants_json("auto", 4));
}

static bool has_header(const struct response *r, const char *line)
{
	return memmem(r->hbuf, r->hlen, line, strlen(line)) != NULL;
}

Test(status, answer_sets_headers)
{
	char hbuf[256];
	struct response r;

	response_init(&r, hbuf, sizeof(hbuf));
	status_answer(&r, sb, NULL, true, buf, cap);
	cr_expect_eq(r.status, 200);
	cr_expect(has_header(&r, "Content-Type: application/json\r\n"));
	cr_expect(has_header(&r, "Cache-Control: no-store\r\n"));
	cr_expect_eq(r.body, buf);
	cr_expect_gt(r.body_len, 0);

	response_init(&r, hbuf, sizeof(hbuf));
	status_answer(&r, sb, NULL, false, buf, 16);
	cr_expect_eq(r.status, 500);
}
