/*
 * test_metrics.c -- Prometheus exposition: exact sample lines, cumulative
 * histogram, accept-queue gauges from a real listening socket, and the
 * whole text through the strict format checker (tests/integration/promcheck.py).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "textbuf.h"
#include "util.h"

static struct scoreboard *sb;
static char *buf;
static size_t cap;

static void setup(void)
{
	sb = scoreboard_create(3);
	cr_assert_not_null(sb);
	sb->generation = 4;
	sb->start_time = 1700000000;
	sb->reloads = 3;
	sb->failed_reloads = 1;
	sb->retired_bytes = 100;
	sb->restart_reasons[SB_R_SIGNAL] = 2;
	sb->restart_reasons[SB_R_RECYCLE] = 5;
	sb->retired_stats.requests[SB_M_GET][2] = 10;
	sb->retired_stats.requests[SB_M_GET][4] = 1;
	sb->retired_stats.accepted = 40;
	sb->retired_stats.handled = 39;
	sb->retired_stats.duration[0] = 10; /* <= 1 ms */
	sb->retired_stats.duration[12] = 1; /* > 10 s */
	sb->retired_stats.duration_sum_us = 12000000;
	sb->retired_stats.head_timeouts = 4;
	sb->retired_stats.idle_evictions = 2;

	sb->slots[0].state = SB_IDLE;
	sb->slots[0].generation = 4;
	sb->slots[0].bytes = 23;
	sb_request_stats(&sb->slots[0], 200, SB_M_HEAD, 1500000); /* 2.5 s bucket */
	sb_request_stats(&sb->slots[0], 503, SB_M_OTHER, 30000);  /* 50 ms bucket */
	sb->slots[0].stats.idle_evictions = 5;
	sb->slots[0].conns = (struct sb_conns){ .open = 9, .reading = 2, .idle = 4,
						.queued = 1, .active = 1, .closing = 1 };
	sb->slots[1].conns = (struct sb_conns){ .open = 3, .idle = 3 };
	sb->slots[1].state = SB_WRITING;
	sb->slots[1].generation = 4;
	cap = metrics_buffer_size(2);
	buf = malloc(cap + 1);
	cr_assert_not_null(buf);
}

static void teardown(void)
{
	scoreboard_destroy(sb);
	free(buf);
}

TestSuite(metrics, .init = setup, .fini = teardown);

static char *render(const struct listener *ls, size_t nls)
{
	size_t n = metrics_render(sb, NULL, ls, nls, buf, cap);

	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

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

Test(metrics, requests_by_method_and_class)
{
	char *t = render(NULL, 0);

	expect_line(t, "# HELP prefork_httpd_requests_total Requests answered, by method and status class.");
	expect_line(t, "# TYPE prefork_httpd_requests_total counter");
	expect_line(t, "prefork_httpd_requests_total{method=\"GET\",code_class=\"2xx\"} 10");
	expect_line(t, "prefork_httpd_requests_total{method=\"GET\",code_class=\"4xx\"} 1");
	expect_line(t, "prefork_httpd_requests_total{method=\"GET\",code_class=\"1xx\"} 0");
	expect_line(t, "prefork_httpd_requests_total{method=\"HEAD\",code_class=\"2xx\"} 1");
	expect_line(t, "prefork_httpd_requests_total{method=\"other\",code_class=\"5xx\"} 1");
	expect_line(t, "prefork_httpd_requests_total{method=\"DELETE\",code_class=\"other\"} 0");
	cr_expect_null(strstr(t, "requests_by_method_total"), "the old family is gone");
	cr_expect_null(strstr(t, "{class="), "the old label is gone");
	/* every method x class pair, 6 x 6 */
	size_t n = 0;
	for (const char *p = t; (p = strstr(p, "\nprefork_httpd_requests_total{")) != NULL; p++)
		n++;
	cr_expect_eq(n, 36, "%zu requests_total series", n);
}

Test(metrics, build_info_and_connections)
{
	char *t = render(NULL, 0);

	expect_line(t, "# TYPE prefork_httpd_build_info gauge");
	expect_line(t, "prefork_httpd_build_info{version=\"" PACKAGE_VERSION "\"} 1");
	expect_line(t, "prefork_httpd_connections_accepted_total 40");
	expect_line(t, "prefork_httpd_connections_handled_total 39");
}

/* The value of the first sample line that starts with prefix, or -1. */
static double value_of(const char *t, const char *prefix)
{
	for (const char *p = t; (p = strstr(p, prefix)) != NULL; p++)
		if (p == t || p[-1] == '\n')
			return strtod(p + strlen(prefix), NULL);
	return -1;
}

/* The process_* families, read from /proc: the test process stands for the
 * master, a child for a worker. */
Test(metrics, process_families)
{
	pid_t child = fork();
	char *t;

	cr_assert_geq(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	sb->master_pid = getpid();
	sb->slots[0].pid = child;
	sb->slots[1].pid = 0; /* not readable: skipped */
	sb->reaped_cpu_us = 2500000;
	t = render(NULL, 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	expect_line(t, "# TYPE process_cpu_seconds_total counter");
	expect_line(t, "# TYPE process_resident_memory_bytes gauge");
	expect_line(t, "# TYPE process_open_fds gauge");
	expect_line(t, "# TYPE process_start_time_seconds gauge");
	double rss = value_of(t, "process_resident_memory_bytes{process=\"master\"} ");
	double wrss = value_of(t, "process_resident_memory_bytes{process=\"workers\"} ");
	double fds = value_of(t, "process_open_fds{process=\"master\"} ");
	double wfds = value_of(t, "process_open_fds{process=\"workers\"} ");
	double start = value_of(t, "process_start_time_seconds{process=\"master\"} ");
	double wcpu = value_of(t, "process_cpu_seconds_total{process=\"workers\"} ");
	cr_expect_gt(rss, 100000, "master rss %g", rss);
	cr_expect_gt(wrss, 100000, "workers rss %g", wrss);
	cr_expect_geq(fds, 3, "master fds %g", fds);
	cr_expect_geq(wfds, 3, "worker fds %g", wfds);
	cr_expect_geq(wcpu, 2.5, "reaped CPU is counted: %g", wcpu);
	time_t now = time(NULL);
	cr_expect(start > (double)now - 600 && start <= (double)now + 1,
		  "start %f, now %lld", start, (long long)now);
}

Test(metrics, histogram_is_cumulative)
{
	char *t = render(NULL, 0);
	const char *h = "prefork_httpd_request_duration_seconds";
	static const char *const want[] = {
		"_bucket{le=\"0.001\"} 10", "_bucket{le=\"0.005\"} 10",
		"_bucket{le=\"0.01\"} 10",  "_bucket{le=\"0.025\"} 10",
		"_bucket{le=\"0.05\"} 11",  "_bucket{le=\"0.1\"} 11",
		"_bucket{le=\"0.25\"} 11",  "_bucket{le=\"0.5\"} 11",
		"_bucket{le=\"1\"} 11",	    "_bucket{le=\"2.5\"} 12",
		"_bucket{le=\"5\"} 12",	    "_bucket{le=\"10\"} 12",
		"_bucket{le=\"+Inf\"} 13",  "_sum 13.53",
		"_count 13",
	};
	char line[128];

	expect_line(t, "# TYPE prefork_httpd_request_duration_seconds histogram");
	for (size_t i = 0; i < PH_ARRAY_LEN(want); i++) {
		snprintf(line, sizeof(line), "%s%s", h, want[i]);
		expect_line(t, line);
	}
}

Test(metrics, server_counters_and_gauges)
{
	char *t = render(NULL, 0);

	expect_line(t, "prefork_httpd_sent_bytes_total 123");
	expect_line(t, "prefork_httpd_reloads_total 3");
	expect_line(t, "prefork_httpd_reload_failures_total 1");
	expect_line(t, "prefork_httpd_head_timeouts_total 4");
	expect_line(t, "prefork_httpd_idle_evictions_total 7");
	expect_line(t, "prefork_httpd_connections{state=\"reading\"} 2");
	expect_line(t, "prefork_httpd_connections{state=\"keepalive\"} 7");
	expect_line(t, "prefork_httpd_connections{state=\"queued\"} 1");
	expect_line(t, "prefork_httpd_connections{state=\"active\"} 1");
	expect_line(t, "prefork_httpd_connections{state=\"closing\"} 1");
	expect_line(t, "prefork_httpd_generation 4");
	expect_line(t, "prefork_httpd_draining 0");
	expect_line(t, "prefork_httpd_start_time_seconds 1700000000");
	expect_line(t, "# TYPE prefork_httpd_workers gauge");
	expect_line(t, "prefork_httpd_workers{state=\"idle\"} 1");
	expect_line(t, "prefork_httpd_workers{state=\"writing\"} 1");
	expect_line(t, "prefork_httpd_workers{state=\"starting\"} 0");
	expect_line(t, "prefork_httpd_worker_slots 3");
	expect_line(t, "prefork_httpd_worker_restarts_total{reason=\"exit\"} 0");
	expect_line(t, "prefork_httpd_worker_restarts_total{reason=\"signal\"} 2");
	expect_line(t, "prefork_httpd_worker_restarts_total{reason=\"watchdog\"} 0");
	expect_line(t, "prefork_httpd_worker_restarts_total{reason=\"recycle\"} 5");
	cr_expect_null(strstr(t, "listen_queue"), "no listeners, no queue series");
}

/* A TCP listener on 127.0.0.1 with backlog 7 and two unaccepted clients. */
static int tcp_listener(struct listener *l, int clients[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 7), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->addr.family = AF_INET;
	snprintf(l->addr.text, sizeof(l->addr.text), "127.0.0.1:%u",
		 (unsigned)ntohs(sin.sin_port));
	for (int i = 0; i < 2; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(clients[i], 0);
		cr_assert_eq(connect(clients[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	return fd;
}

Test(metrics, listen_queue_from_tcp_info)
{
	struct listener ls[2];
	int clients[2];
	char line[256];
	unsigned depth = 0, limit = 0;

	tcp_listener(&ls[0], clients);
	memset(&ls[1], 0, sizeof(ls[1]));
	ls[1].addr.family = AF_UNIX;
	snprintf(ls[1].addr.text, sizeof(ls[1].addr.text), "unix:/tmp/x.sock");
	ls[1].fd = -1;
	cr_assert_eq(listener_queue(&ls[0], &depth, &limit), 0);
	cr_expect_eq(depth, 2);
	cr_expect_eq(limit, 7);
	cr_expect_eq(listener_queue(&ls[1], &depth, &limit), -1);

	char *t = render(ls, 2);
	expect_line(t, "# TYPE prefork_httpd_listen_queue_depth gauge");
	snprintf(line, sizeof(line),
		 "prefork_httpd_listen_queue_depth{listener=\"%s\"} 2",
		 ls[0].addr.text);
	expect_line(t, line);
	snprintf(line, sizeof(line),
		 "prefork_httpd_listen_queue_limit{listener=\"%s\"} 7",
		 ls[0].addr.text);
	expect_line(t, line);
	cr_expect_null(strstr(t, "unix:"), "unix listeners are skipped");
	close(clients[0]);
	close(clients[1]);
	close(ls[0].fd);
}

/* The whole text through promcheck.py, when the source tree is known. */
Test(metrics, strict_format_check)
{
	const char *src = getenv("top_srcdir");
	char path[] = "/tmp/test_metrics.XXXXXX";
	char cmd[1024];
	struct listener l;
	int clients[2];

	if (src == NULL)
		cr_skip_test("top_srcdir is not set (run through make check)");
	tcp_listener(&l, clients);
	snprintf(l.addr.text, sizeof(l.addr.text), "[::1]:80 \"odd\\name\"");
	char *t = render(&l, 1);
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/integration/promcheck.py' check '%s'",
		 src, path);
	int st = system(cmd);
	unlink(path);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "promcheck failed on:\n%s", t);
	cr_expect(strstr(t, "listener=\"[::1]:80 \\\"odd\\\\name\\\"\"") != NULL,
		  "label value escaped");
	close(clients[0]);
	close(clients[1]);
	close(l.fd);
}

Test(metrics, too_small_is_zero)
{
	cr_expect_eq(metrics_render(sb, NULL, NULL, 0, buf, 100), 0);
}

Test(metrics, seconds_formatting)
{
	char out[32];
	struct textbuf b;
	static const struct {
		uint64_t us;
		const char *want;
	} cases[] = { { 0, "0" },	   { 1, "0.000001" }, { 1000, "0.001" },
		      { 2500000, "2.5" }, { 10000000, "10" }, { 123456789, "123.456789" } };

	for (size_t i = 0; i < PH_ARRAY_LEN(cases); i++) {
		tb_init(&b, out, sizeof(out));
		tb_us_as_seconds(&b, cases[i].us);
		cr_expect_eq(tb_done(&b), strlen(cases[i].want));
		cr_expect_eq(memcmp(out, cases[i].want, b.len), 0, "%llu -> %.*s",
			     (unsigned long long)cases[i].us, (int)b.len, out);
	}
}
