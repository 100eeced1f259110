/*
 * test_admin.c -- the admin process, run for real: forked with a
 * scoreboard, its two listeners and a control channel, then asked over TCP
 * for /healthz, /readyz, the status page, the metrics and the agent line
 * while the test changes the scoreboard under it; and with clients that
 * stall: served concurrently, closed at their deadline, the oldest closed
 * when the connection table is full.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "admin_conn.h"
#include "util.h"

static struct scoreboard *sb;
static struct config cfg;
static struct listener worker_ls;
static int http_port, agent_port;
static int ctl = -1;
static pid_t child = -1;

/* A listening TCP socket on 127.0.0.1; *port is its port. */
static int listen_tcp(int *port, int backlog, int flags)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, backlog), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static int connect_to(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
		     "connect: %s", strerror(errno));
	return fd;
}

static void start_admin(void)
{
	int sv[2], wport;
	int http_fd = listen_tcp(&http_port, 16, SOCK_NONBLOCK);
	int agent_fd = listen_tcp(&agent_port, 16, SOCK_NONBLOCK);

	memset(&worker_ls, 0, sizeof(worker_ls));
	worker_ls.fd = listen_tcp(&wport, 8, SOCK_NONBLOCK);
	worker_ls.addr.family = AF_INET;
	snprintf(worker_ls.addr.text, sizeof(worker_ls.addr.text),
		 "127.0.0.1:%d", wport);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(sv[0]);
		admin_run(&cfg, sb, &worker_ls, 1, http_fd, agent_fd, sv[1]);
	}
	close(sv[1]);
	close(http_fd);
	close(agent_fd);
	ctl = sv[0];
}

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.workers = 2;
	sb = scoreboard_create(3);
	cr_assert_not_null(sb);
	sb->generation = 1;
	sb->start_time = 1700000000;
	for (unsigned i = 0; i < 2; i++) {
		sb->slots[i].pid = (pid_t)(1000 + i);
		sb->slots[i].generation = 1;
		sb->slots[i].state = SB_IDLE;
	}
	start_admin();
}

static int stop_admin(char how)
{
	int st = -1;

	if (how)
		cr_assert_eq(send(ctl, &how, 1, MSG_NOSIGNAL), 1);
	close(ctl);
	cr_assert_eq(waitpid(child, &st, 0), child);
	child = -1;
	return st;
}

static void teardown(void)
{
	if (child > 0)
		stop_admin('Q');
	close(worker_ls.fd);
	scoreboard_destroy(sb);
}

TestSuite(admin, .init = setup, .fini = teardown, .timeout = 20);

/* Send req to port and read everything until the server closes. */
static char *exchange_with(int port, const char *req)
{
	static char out[65536];
	size_t len = 0;
	int fd = connect_to(port);

	if (req)
		cr_assert_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
			     (ssize_t)strlen(req));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		cr_assert_eq(poll(&p, 1, 5000), 1, "no answer within 5 s");
		ssize_t n = recv(fd, out + len, sizeof(out) - 1 - len, 0);
		cr_assert_geq(n, 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	out[len] = '\0';
	return out;
}

static char *get(const char *path)
{
	char req[256];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	return exchange_with(http_port, req);
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	cr_assert_not_null(b, "%s", resp);
	return b + 4;
}

#define expect_status(resp, code) \
	cr_expect_eq(strncmp(resp, "HTTP/1.1 " code " ", 13), 0, "%s", resp)

Test(admin, healthz)
{
	char *r = get("/healthz");

	expect_status(r, "200");
	cr_expect_str_eq(body_of(r), "ok\n");
	cr_expect(strstr(r, "Connection: close\r\n") != NULL, "%s", r);
	cr_expect(strstr(r, "Cache-Control: no-store\r\n") != NULL, "%s", r);
}

Test(admin, readyz_follows_idle_queue_and_draining)
{
	char *r = get("/readyz");
	int waiting;

	expect_status(r, "200");
	cr_expect_str_eq(body_of(r), "ready\n");

	/* Every worker busy, nothing queued: still ready. */
	sb->slots[0].state = SB_WRITING;
	sb->slots[1].state = SB_READING;
	expect_status(get("/readyz"), "200");

	/* A connection waits in a worker listener's accept queue: busy. */
	waiting = connect_to(atoi(strchr(worker_ls.addr.text, ':') + 1));
	r = get("/readyz");
	expect_status(r, "503");
	cr_expect_str_eq(body_of(r), "busy\n");

	/* One worker idle again: ready, even with the queue. */
	sb->slots[1].state = SB_IDLE;
	expect_status(get("/readyz"), "200");
	close(waiting);

	sb->draining = 1;
	r = get("/readyz");
	expect_status(r, "503");
	cr_expect_str_eq(body_of(r), "draining\n");
	/* /healthz says alive whatever readiness says */
	expect_status(get("/healthz"), "200");
}

Test(admin, readyz_without_workers)
{
	sb->slots[0].state = SB_EMPTY;
	sb->slots[1].state = SB_EMPTY;
	char *r = get("/readyz");
	expect_status(r, "503");
	cr_expect_str_eq(body_of(r), "no workers\n");
}

Test(admin, agent_line)
{
	cr_expect_str_eq(exchange_with(agent_port, NULL), "up 100% maxconn:2\n");
	sb->slots[0].state = SB_WRITING;
	cr_expect_str_eq(exchange_with(agent_port, NULL), "up 50% maxconn:2\n");
	sb->slots[1].state = SB_READING;
	cr_expect_str_eq(exchange_with(agent_port, NULL), "up 1% maxconn:2\n");
	/* what HAProxy's agent-send writes first is read and ignored */
	cr_expect_str_eq(exchange_with(agent_port, "hello\n"), "up 1% maxconn:2\n");
	sb->draining = 1;
	cr_expect_str_eq(exchange_with(agent_port, NULL), "drain\n");
	sb->draining = 0;
	sb->slots[0].state = SB_EMPTY;
	sb->slots[1].state = SB_EMPTY;
	cr_expect_str_eq(exchange_with(agent_port, NULL), "down\n");
}

Test(admin, agent_line_during_reload)
{
	/* generation 2 booting: its workers count for maxconn, the idle
	 * workers of generation 1 still accept */
	sb->generation = 2;
	sb->slots[2].generation = 2;
	sb->slots[2].state = SB_STARTING;
	sb->slots[2].pid = 1002;
	cr_expect_str_eq(exchange_with(agent_port, NULL), "up 100% maxconn:1\n");
}

Test(admin, status_and_metrics_default_paths)
{
	char *r = get("/server-status");

	expect_status(r, "200");
	cr_expect(strstr(r, "Content-Type: text/plain; charset=utf-8\r\n") != NULL);
	cr_expect(strstr(r, "\nGeneration: 1\n") != NULL, "%s", r);
	cr_expect(strstr(r, "\nScoreboard: __.\n") != NULL, "%s", r);
	r = get("/server-status?json");
	expect_status(r, "200");
	cr_expect(strstr(r, "Content-Type: application/json\r\n") != NULL);
	cr_expect_eq(body_of(r)[0], '{');
	r = get("/metrics");
	expect_status(r, "200");
	cr_expect(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL);
	cr_expect(strstr(r, "\nprefork_httpd_workers{state=\"idle\"} 2\n") != NULL, "%s", r);
	cr_expect(strstr(r, "\nprefork_httpd_listen_queue_limit{listener=\"") != NULL, "%s", r);
}

Test(admin, head_has_no_body)
{
	char *r = exchange_with(http_port, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");

	expect_status(r, "200");
	cr_expect_str_eq(body_of(r), "");
	cr_expect(strstr(r, "Content-Length: 3\r\n") != NULL, "%s", r);
}

Test(admin, errors)
{
	expect_status(get("/"), "404");
	expect_status(get("/healthz/x"), "404");
	char *r = exchange_with(http_port, "POST /healthz HTTP/1.1\r\nHost: x\r\n"
					   "Content-Length: 0\r\n\r\n");
	expect_status(r, "405");
	cr_expect(strstr(r, "Allow: GET, HEAD\r\n") != NULL, "%s", r);
	expect_status(exchange_with(http_port, "GARBAGE\r\n\r\n"), "400");
}

/* Connect and send the first bytes of a request, then stall. */
static int stalled(int port, const char *start)
{
	int fd = connect_to(port);

	if (start)
		cr_assert_eq(send(fd, start, strlen(start), MSG_NOSIGNAL),
			     (ssize_t)strlen(start));
	return fd;
}

/* Wait up to ms for fd to be closed by the server: the milliseconds it
 * took, or -1 if it is still open.  No answer bytes are expected. */
static int64_t closed_within(int fd, int ms)
{
	int64_t t0 = now_ms();
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) == 0)
		return -1;
	cr_expect_leq(recv(fd, &c, 1, MSG_DONTWAIT), 0, "no answer expected");
	return now_ms() - t0;
}

Test(admin, stalled_clients_do_not_delay_others)
{
	int fds[7];
	int64_t t0, health_ms, agent_ms;
	char *r;

	for (int i = 0; i < 5; i++)
		fds[i] = stalled(http_port, "G"); /* one byte each */
	fds[5] = stalled(http_port, NULL);     /* nothing at all */
	fds[6] = stalled(agent_port, NULL);
	poll(NULL, 0, 200); /* accepted by now */
	t0 = now_ms();
	r = get("/healthz");
	health_ms = now_ms() - t0;
	expect_status(r, "200");
	cr_expect_str_eq(body_of(r), "ok\n");
	t0 = now_ms();
	cr_expect_str_eq(exchange_with(agent_port, NULL), "up 100% maxconn:2\n");
	agent_ms = now_ms() - t0;
	/* A behaviour bound, well under the 2 s a stalled client may take. */
	cr_expect_lt(health_ms, 1000, "/healthz took %lld ms", (long long)health_ms);
	cr_expect_lt(agent_ms, 1000, "agent line took %lld ms", (long long)agent_ms);
	for (int i = 0; i < 7; i++)
		close(fds[i]);
}

Test(admin, heads_in_pieces_on_two_connections)
{
	int a = stalled(http_port, "GET /readyz HTTP/1.1\r\n");
	char *r = get("/healthz"); /* served while a's head is incomplete */
	static char out[4096];
	size_t len = 0;

	expect_status(r, "200");
	cr_expect_str_eq(body_of(r), "ok\n");
	cr_assert_eq(send(a, "Host: x\r\n\r\n", 11, MSG_NOSIGNAL), 11);
	for (;;) {
		struct pollfd p = { .fd = a, .events = POLLIN };
		cr_assert_eq(poll(&p, 1, 5000), 1, "no answer within 5 s");
		ssize_t n = recv(a, out + len, sizeof(out) - 1 - len, 0);
		cr_assert_geq(n, 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(a);
	expect_status(out, "200");
	cr_expect_str_eq(body_of(out), "ready\n");
}

Test(admin, stalled_client_closed_at_its_deadline)
{
	int fd = stalled(http_port, "GET /healthz HTTP/1.1\r\n");
	int64_t ms = closed_within(fd, ADMIN_DEADLINE_MS + 2000);

	cr_expect_geq(ms, ADMIN_DEADLINE_MS - 300, "closed after %lld ms",
		      (long long)ms);
	cr_expect_lt(ms, ADMIN_DEADLINE_MS + 1000, "closed after %lld ms",
		     (long long)ms);
	close(fd);
}

Test(admin, full_table_closes_the_oldest)
{
	int fds[ADMIN_CONNS_MAX];
	int64_t t0, ms;

	fds[0] = stalled(http_port, "G");
	poll(NULL, 0, 100); /* the first is surely the oldest */
	for (int i = 1; i < ADMIN_CONNS_MAX; i++)
		fds[i] = stalled(http_port, "G");
	poll(NULL, 0, 200);
	t0 = now_ms();
	expect_status(get("/healthz"), "200"); /* takes the oldest's slot */
	cr_expect_lt(now_ms() - t0, 1000);
	ms = closed_within(fds[0], 1000);
	cr_expect_geq(ms, 0, "the oldest connection was not closed");
	cr_expect_eq(closed_within(fds[ADMIN_CONNS_MAX - 1], 0), -1,
		     "the newest stalled connection is still open");
	for (int i = 0; i < ADMIN_CONNS_MAX; i++)
		close(fds[i]);
}

Test(admin, configured_allow_list_applies)
{
	static struct cidr ten;

	stop_admin('Q');
	cr_assert_eq(cidr_parse("10.0.0.0/8", &ten), 0);
	cfg.status.path = "/st";
	cfg.status.allow = &ten;
	cfg.status.nallow = 1;
	cfg.metrics.path = "/m";
	cfg.metrics.allow = &ten;
	cfg.metrics.nallow = 1;
	close(worker_ls.fd);
	start_admin();
	expect_status(get("/st"), "403");
	expect_status(get("/m"), "403");
	expect_status(get("/server-status"), "404");
	expect_status(get("/healthz"), "200");
}

Test(admin, exits_on_quit_and_on_eof)
{
	int st = stop_admin('Q');

	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
	close(worker_ls.fd);
	start_admin();
	st = stop_admin(0); /* the master's end closed */
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}

Test(admin, ignores_term)
{
	expect_status(get("/healthz"), "200"); /* set up: signals ignored */
	cr_assert_eq(kill(child, SIGTERM), 0);
	expect_status(get("/healthz"), "200");
}
