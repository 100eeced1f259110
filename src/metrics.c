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
#include "procstat.h"
#include "status.h"
#include "textbuf.h"
#include "util.h"
#include "listen.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

#define METRICS_FIXED_BYTES 32768
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

/* A sample with two labels. */
static void sample2(struct textbuf *b, const char *name, const char *k1,
		    const char *v1, const char *k2, const char *v2, uint64_t v)
{
	tb_str(b, name);
	tb_char(b, '{');
	tb_str(b, k1);
	tb_str(b, "=\"");
	label_value(b, v1);
	tb_str(b, "\",");
	tb_str(b, k2);
	tb_str(b, "=\"");
	label_value(b, v2);
	tb_str(b, "\"} ");
	tb_u64(b, v);
	tb_char(b, '\n');
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
	       "Requests answered, by method and status class.");
	for (size_t m = 0; m < SB_METHODS; m++)
		for (size_t c = 1; c <= 6; c++) /* 1xx..5xx, then other */
			sample2(b, P "requests_total", "method", methods[m],
				"code_class", classes[c % 6],
				st->requests[m][c % 6]);
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

	counter(b, P "sent_bytes_total",
		"Bytes sent, heads and bodies (also while an answer goes out).",
		bytes);
	counter(b, P "connections_accepted_total",
		"Connections accepted from the listeners.", st->accepted);
	counter(b, P "connections_handled_total",
		"Accepted connections taken into a worker's set (the others "
		"were closed at once).", st->handled);
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

/* A sample with a label and a value with decimals. */
static void sample_f(struct textbuf *b, const char *name, const char *key,
		     const char *value, double v, int decimals)
{
	tb_str(b, name);
	tb_char(b, '{');
	tb_str(b, key);
	tb_str(b, "=\"");
	label_value(b, value);
	tb_str(b, "\"} ");
	tb_fixed(b, v, decimals);
	tb_char(b, '\n');
}

static void build_info(struct textbuf *b)
{
	family(b, P "build_info", "gauge",
	       "Always 1; the labels say which build is running.");
	sample(b, P "build_info", "version", PACKAGE_VERSION, 1);
}

/* The process figures of the master and, summed, of the live workers. */
struct usage_sums {
	struct proc_usage master;
	bool master_ok;
	double workers_cpu;     /* live workers, with their reaped children */
	uint64_t workers_rss, workers_fds;
	double workers_start;   /* the oldest live worker's */
	unsigned workers;       /* live workers read */
	bool workers_fds_ok;    /* every live worker's fd directory was read */
};

static void usage_read(const struct scoreboard *sb, struct usage_sums *u)
{
	pid_t master = (pid_t)LOAD(&sb->master_pid);

	memset(u, 0, sizeof(*u));
	u->master_ok = master > 0 && proc_usage_read(master, &u->master) == 0;
	u->workers_fds_ok = true;
	for (unsigned i = 0; i < sb->nslots; i++) {
		const struct sb_slot *s = &sb->slots[i];
		struct proc_usage w;
		pid_t pid = LOAD(&s->pid);
		if (sb_get_state(s) == SB_EMPTY || pid <= 0 ||
		    proc_usage_read(pid, &w) < 0)
			continue; /* gone meanwhile: its figures are the master's now */
		u->workers++;
		u->workers_cpu += w.cpu_seconds + w.children_cpu_seconds;
		u->workers_rss += w.rss_bytes;
		if (u->workers_start == 0 || w.start_time < u->workers_start)
			u->workers_start = w.start_time;
		if (w.has_fds)
			u->workers_fds += w.open_fds;
		else
			u->workers_fds_ok = false;
	}
}

/*
 * The standard process_* families (what a client library exports for its
 * process), with a label: process="master", and process="workers" summed
 * over the live workers.  Worker CPU time counts the workers that exited
 * too (the master's RUSAGE_CHILDREN after each reap), so that it only
 * grows.  What cannot be read (the master's descriptors from a worker of
 * another user) is left out rather than guessed.
 */
static void process(struct textbuf *b, const struct scoreboard *sb)
{
	struct usage_sums u;
	double reaped = (double)LOAD(&sb->reaped_cpu_us) / 1e6;

	usage_read(sb, &u);
	family(b, "process_cpu_seconds_total", "counter",
	       "User and system CPU time, seconds: the master; the workers "
	       "(live and exited, with the CGI scripts they ran).");
	if (u.master_ok)
		sample_f(b, "process_cpu_seconds_total", "process", "master",
			 u.master.cpu_seconds, 2);
	sample_f(b, "process_cpu_seconds_total", "process", "workers",
		 u.workers_cpu + reaped, 2);
	family(b, "process_resident_memory_bytes", "gauge",
	       "Resident memory: the master; the live workers, summed.");
	if (u.master_ok)
		sample(b, "process_resident_memory_bytes", "process", "master",
		       u.master.rss_bytes);
	sample(b, "process_resident_memory_bytes", "process", "workers",
	       u.workers_rss);
	if ((u.master_ok && u.master.has_fds) || u.workers_fds_ok) {
		family(b, "process_open_fds", "gauge",
		       "Open file descriptors: the master; the live workers, "
		       "summed.");
		if (u.master_ok && u.master.has_fds)
			sample(b, "process_open_fds", "process", "master",
			       u.master.open_fds);
		if (u.workers_fds_ok)
			sample(b, "process_open_fds", "process", "workers",
			       u.workers_fds);
	}
	if (u.master_ok || u.workers > 0) {
		family(b, "process_start_time_seconds", "gauge",
		       "Start time, seconds since the Unix epoch: the master; "
		       "the oldest live worker.");
		if (u.master_ok)
			sample_f(b, "process_start_time_seconds", "process",
				 "master", u.master.start_time, 2);
		if (u.workers > 0)
			sample_f(b, "process_start_time_seconds", "process",
				 "workers", u.workers_start, 2);
	}
}

size_t metrics_render(const struct scoreboard *sb, const struct config *cfg,
		      const struct listener *ls, size_t nls, char *buf,
		      size_t cap)
{
	struct textbuf b;
	struct sb_stats st;

	tb_init(&b, buf, cap);
	scoreboard_sum_stats(sb, &st);
	build_info(&b);
	requests(&b, &st);
	duration(&b, &st);
	server(&b, sb, &st, scoreboard_total_bytes(sb));
	workers(&b, sb, cfg);
	connections(&b, sb);
	restarts(&b, sb);
	queues(&b, ls, nls, 0, P "listen_queue_depth",
	       "Connections waiting in the accept queue of a listener.");
	queues(&b, ls, nls, 1, P "listen_queue_limit",
	       "Accept queue limit (backlog) of a listener.");
	process(&b, sb);
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
