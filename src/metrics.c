/*
 * metrics.c -- Prometheus text exposition, format 0.0.4 (see metrics.h).
 *
 * Each family is written as "# HELP", "# TYPE", then its samples; counters
 * end in _total; the duration histogram has cumulative le buckets in
 * seconds, +Inf last, then _sum and _count.  All counters of workers that
 * exited are folded into the scoreboard header by the master, so they only
 * go down when the master restarts (start_time_seconds tells when).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "metrics.h"
#include "status.h"
#include "textbuf.h"
#include "util.h"
#include "listen.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

#define METRICS_FIXED_BYTES 16384
#define METRICS_LISTENER_BYTES (256 + 4 * 2 * LISTEN_TEXT_MAX)

#define P "prefork_httpd_"

size_t metrics_buffer_size(size_t nls)
{
	return METRICS_FIXED_BYTES + nls * METRICS_LISTENER_BYTES;
}

int listener_queue(const struct listener *l, unsigned *depth, unsigned *limit)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (l->addr.family != AF_INET && l->addr.family != AF_INET6)
		return -1;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(l->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) {
		log_errno(LOG_WARN, "getsockopt(%s, TCP_INFO)", l->addr.text);
		return -1;
	}
	if (ti.tcpi_state != TCP_LISTEN)
		return -1;
	*depth = ti.tcpi_unacked;
	*limit = ti.tcpi_sacked;
	return 0;
}

static void family(struct textbuf *b, const char *name, const char *type,
		   const char *help)
{
	tb_str(b, "# HELP ");
	tb_str(b, name);
	tb_char(b, ' ');
	tb_str(b, help);
	tb_str(b, "\n# TYPE ");
	tb_str(b, name);
	tb_char(b, ' ');
	tb_str(b, type);
	tb_char(b, '\n');
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(struct textbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			tb_char(b, '\\');
		if (*s == '\n')
			tb_str(b, "\\n");
		else
			tb_char(b, *s);
	}
}

/* name{key="value"} v, or name v when key is NULL. */
static void sample(struct textbuf *b, const char *name, const char *key,
		   const char *value, uint64_t v)
{
	tb_str(b, name);
	if (key != NULL) {
		tb_char(b, '{');
		tb_str(b, key);
		tb_str(b, "=\"");
		label_value(b, value);
		tb_str(b, "\"}");
	}
	tb_char(b, ' ');
	tb_u64(b, v);
	tb_char(b, '\n');
}

static void counter(struct textbuf *b, const char *name, const char *help,
		    uint64_t v)
{
	family(b, name, "counter", help);
	sample(b, name, NULL, NULL, v);
}

static void gauge(struct textbuf *b, const char *name, const char *help,
		  uint64_t v)
{
	family(b, name, "gauge", help);
	sample(b, name, NULL, NULL, v);
}

static void requests(struct textbuf *b, const struct sb_stats *st)
{
	static const char *const classes[6] = { "other", "1xx", "2xx",
						"3xx", "4xx", "5xx" };
	static const char *const methods[SB_METHODS] = {
		[SB_M_GET] = "GET",	  [SB_M_HEAD] = "HEAD",
		[SB_M_POST] = "POST",	  [SB_M_PUT] = "PUT",
		[SB_M_DELETE] = "DELETE", [SB_M_OTHER] = "other",
	};

	family(b, P "requests_total", "counter",
	       "Requests answered, by status class.");
	for (size_t i = 1; i < 6; i++)
		sample(b, P "requests_total", "class", classes[i], st->status[i]);
	sample(b, P "requests_total", "class", classes[0], st->status[0]);
	family(b, P "requests_by_method_total", "counter",
	       "Requests answered, by method.");
	for (size_t i = 0; i < SB_METHODS; i++)
		sample(b, P "requests_by_method_total", "method", methods[i],
		       st->method[i]);
}

static void histogram(struct textbuf *b, const char *name, const char *help,
		      const uint64_t *buckets, uint64_t sum_us)
{
	static const uint64_t bounds[] = SB_DURATION_BOUNDS_US;
	uint64_t cum = 0;

	family(b, name, "histogram", help);
	for (size_t i = 0; i < SB_BUCKETS; i++) {
		cum += buckets[i];
		tb_str(b, name);
		tb_str(b, "_bucket{le=\"");
		if (i < PH_ARRAY_LEN(bounds))
			tb_us_as_seconds(b, bounds[i]);
		else
			tb_str(b, "+Inf");
		tb_str(b, "\"} ");
		tb_u64(b, cum);
		tb_char(b, '\n');
	}
	tb_str(b, name);
	tb_str(b, "_sum ");
	tb_us_as_seconds(b, sum_us);
	tb_char(b, '\n');
	tb_str(b, name);
	tb_str(b, "_count ");
	tb_u64(b, cum);
	tb_char(b, '\n');
}

static void duration(struct textbuf *b, const struct sb_stats *st)
{
	histogram(b, P "request_duration_seconds",
		  "Time from the start of a request to the end of its answer.",
		  st->duration, st->duration_sum_us);
	histogram(b, P "queue_time_seconds",
		  "Time a request waited before a trusted proxy sent it on "
		  "(from its X-Request-Start header).",
		  st->queue, st->queue_sum_us);
}

static void workers(struct textbuf *b, const struct scoreboard *sb,
		    const struct config *cfg)
{
	struct status_counts n;

	status_count(sb, &n);
	family(b, P "workers", "gauge", "Worker processes, by state.");
	for (unsigned st = SB_STARTING; st <= SB_CLOSING; st++)
		sample(b, P "workers", "state",
		       status_state_name((enum sb_state)st), n.state[st]);
	if (cfg != NULL)
		gauge(b, P "workers_configured",
		      "Workers the configuration asks for.", cfg->workers);
	gauge(b, P "worker_slots", "Scoreboard slots (max_workers).",
	      sb->nslots);
}

static void connections(struct textbuf *b, const struct scoreboard *sb)
{
	struct sb_conns g;

	scoreboard_sum_conns(sb, &g);
	family(b, P "connections", "gauge",
	       "Client connections the workers hold, by state: reading (a "
	       "request head still arriving), keepalive (idle between "
	       "requests), queued (waiting for its worker), active (being "
	       "served), closing.");
	sample(b, P "connections", "state", "reading", g.reading);
	sample(b, P "connections", "state", "keepalive", g.idle);
	sample(b, P "connections", "state", "queued", g.queued);
	sample(b, P "connections", "state", "active", g.active);
	sample(b, P "connections", "state", "closing", g.closing);
}

static void restarts(struct textbuf *b, const struct scoreboard *sb)
{
	static const char *const reasons[SB_RESTART_REASONS] = {
		[SB_R_EXIT] = "exit", [SB_R_SIGNAL] = "signal",
		[SB_R_WATCHDOG] = "watchdog", [SB_R_RECYCLE] = "recycle",
	};

	family(b, P "worker_restarts_total", "counter",
	       "Workers replaced by the master, by reason.");
	for (size_t i = 0; i < SB_RESTART_REASONS; i++)
		sample(b, P "worker_restarts_total", "reason", reasons[i],
		       LOAD(&sb->restart_reasons[i]));
}

static void server(struct textbuf *b, const struct scoreboard *sb,
		   const struct sb_stats *st, uint64_t bytes)
{
	int64_t start = LOAD(&sb->start_time);

	counter(b, P "sent_bytes_total", "Bytes sent, heads and bodies.", bytes);
	counter(b, P "reloads_total", "Configuration reloads that took effect.",
		LOAD(&sb->reloads));
	counter(b, P "reload_failures_total",
		"Reloads refused (invalid configuration or listeners).",
		LOAD(&sb->failed_reloads));
	counter(b, P "head_timeouts_total",
		"Request heads not complete within timeouts.header.",
		st->head_timeouts);
	counter(b, P "handovers_total",
		"Connections moved from a retiring worker to one of the current "
		"generation (reload, recycling).",
		st->handovers);
	counter(b, P "handover_failures_total",
		"Connections a retiring worker could not move and served itself.",
		st->handover_failures);
	counter(b, P "idle_evictions_total",
		"Idle keep-alive connections closed to take a new one while "
		"every worker held all it may.",
		st->idle_evictions);
	gauge(b, P "generation", "Current configuration generation.",
	      LOAD(&sb->generation));
	gauge(b, P "draining", "1 from the start of a graceful stop.",
	      LOAD(&sb->draining) != 0);
	gauge(b, P "start_time_seconds",
	      "Start time of the master, seconds since the Unix epoch.",
	      start > 0 ? (uint64_t)start : 0);
}

/* One gauge family over the TCP listeners: depth (which 0) or limit (1). */
static void queues(struct textbuf *b, const struct listener *ls, size_t nls,
		   int which, const char *name, const char *help)
{
	bool header = false;

	for (size_t i = 0; i < nls; i++) {
		unsigned q[2];
		if (listener_queue(&ls[i], &q[0], &q[1]) < 0)
			continue;
		if (!header)
			family(b, name, "gauge", help);
		header = true;
		sample(b, name, "listener", ls[i].addr.text, q[which]);
	}
}

static uint64_t sent_bytes(const struct scoreboard *sb)
{
	uint64_t total = LOAD(&sb->retired_bytes);

	for (unsigned i = 0; i < sb->nslots; i++)
		if (sb_get_state(&sb->slots[i]) != SB_EMPTY)
			total += LOAD(&sb->slots[i].bytes);
	return total;
}

size_t metrics_render(const struct scoreboard *sb, const struct config *cfg,
		      const struct listener *ls, size_t nls, char *buf,
		      size_t cap)
{
	struct textbuf b;
	struct sb_stats st;

	tb_init(&b, buf, cap);
	scoreboard_sum_stats(sb, &st);
	requests(&b, &st);
	duration(&b, &st);
	server(&b, sb, &st, sent_bytes(sb));
	workers(&b, sb, cfg);
	connections(&b, sb);
	restarts(&b, sb);
	queues(&b, ls, nls, 0, P "listen_queue_depth",
	       "Connections waiting in the accept queue of a listener.");
	queues(&b, ls, nls, 1, P "listen_queue_limit",
	       "Accept queue limit (backlog) of a listener.");
	return tb_done(&b);
}

void metrics_answer(struct response *r, const struct scoreboard *sb,
		    const struct config *cfg, const struct listener *ls,
		    size_t nls, char *buf, size_t cap)
{
	response_page(r, METRICS_CONTENT_TYPE, buf,
		      metrics_render(sb, cfg, ls, nls, buf, cap), "the metrics");
}

void metrics_serve(struct exchange *x)
{
	const struct config *cfg = x->cfg;
	static char *page;
	static size_t cap;
	char *buf;

	if (!handler_admit(x, &cfg->metrics))
		return;
	buf = tb_process_buffer(&page, &cap, metrics_buffer_size(x->nlisteners),
				"metrics");
	if (buf == NULL) {
		response_error(x->res, 500);
		return;
	}
	metrics_answer(x->res, x->sb, cfg, x->listeners, x->nlisteners, buf, cap);
}
