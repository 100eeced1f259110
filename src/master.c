/*
 * master.c -- the supervision loop: generations, signals, back-off, watchdog.
 *
 * The master binds, forks and watches; it never accepts a connection.  All
 * signals it handles are blocked except while it waits in ppoll(2), so a
 * handler can only run there: it records the signal in a flag and the loop
 * acts on it (nginx's sigsuspend idea, with a descriptor to watch as well:
 * the wake pipe on which new workers report that they are ready).
 *
 * Generations.  Every worker belongs to the generation whose config it was
 * forked with.  A reload (SIGHUP) parses the file into a new config beside
 * the old one; if it is invalid, the errors are logged and nothing changes.
 * If valid, listeners whose address is unchanged are kept (the same fds:
 * the kernel's accept queue is never closed), new ones are opened, a new
 * generation is forked, and only when its workers report ready is the old
 * generation told to finish its requests and exit.  A generation's config
 * and its listeners that nobody else uses are freed when its last worker
 * is gone.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin_proc.h"
#include "child.h"
#include "control.h"
#include "flush.h"
#include "handover.h"
#include "log.h"
#include "master.h"
#include "mime.h"
#include "module.h"
#include "notify.h"
#include "process.h"
#include "scoreboard.h"
#include "upgrade.h"
#include "worker.h"

#define MAX_GENS 8
#define MAX_OPEN 64
#define WATCHDOG_MS 1000
#define CRASH_WINDOW_MS 1000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000

struct gen {
	uint32_t id; /* 0: unused entry */
	struct config *cfg;
	struct listener *ls;
	size_t nls;
	unsigned wanted;
};

struct master {
	const char *cfg_path;
	struct gen gens[MAX_GENS];
	struct gen *cur;
	struct gen *pending; /* booting; the older generations keep serving */
	uint32_t next_id;
	struct proc_table procs;
	struct scoreboard *sb;
	struct listener open[MAX_OPEN];
	size_t nopen;
	int wake[2];
	bool stopping;
	bool stop_sent;
	bool fast; /* a fast stop (INT, or TERM twice) */
	uint16_t flush_ports[MAX_OPEN]; /* the TCP ports closed at the stop */
	size_t nflush;
	bool workers_stopped; /* WINCH: no workers until the next HUP */
	int64_t drain_until;
	int64_t respawn_at;
	int64_t backoff_ms;
	int64_t next_watchdog;
	char pid_file[PATH_MAX]; /* "" for none; "X.oldbin" after an upgrade */
	int ctl_fd;
	char ctl_path[PATH_MAX];
	struct waiter {
		int fd;
		uint32_t gen;
		int64_t deadline;
	} waiters[8];
	size_t nwaiters;
	struct listener inherited[MAX_OPEN]; /* handed over at start */
	size_t ninherited;
	char exe[PATH_MAX];
	char **argv;
	pid_t upgrade_pid; /* the new master started by USR2 */
	/* Another master serves the same listeners: the new one started by
	 * USR2, or the old one that started this one and still runs. */
	bool upgraded;
	int peer_fd;     /* the upgrade channel to that master, or -1 */
	pid_t peer_pid;
	bool is_main;    /* the service's main process (speaks to systemd) */
	bool ready_told; /* a new master: told the old one that it serves */
	pid_t recycle_old, recycle_new;
	int ctl_client; /* the control connection being answered, or -1 */
	char *relay;    /* a hand-over on its way (HO_MSG_MAX bytes) */
	struct pollfd *pfd; /* the loop's wait: 3 + one per worker */
	struct admin_proc admin; /* admin.listen / agent_check responder */
};

#define RELOAD_WAIT_MS 60000

static volatile sig_atomic_t sig_pending[NSIG];

static const int handled_signals[] = { SIGHUP, SIGTERM, SIGQUIT, SIGINT,
				       SIGUSR1, SIGUSR2, SIGTTIN, SIGTTOU,
				       SIGWINCH, SIGCHLD };

static void on_signal(int signo)
{
	if (signo > 0 && signo < NSIG)
		sig_pending[signo] = 1;
}

static bool take_signal(int signo)
{
	if (!sig_pending[signo])
		return false;
	sig_pending[signo] = 0;
	return true;
}

void master_block_signals(void)
{
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < PH_ARRAY_LEN(handled_signals); i++)
		sigaddset(&block, handled_signals[i]);
	if (sigprocmask(SIG_BLOCK, &block, NULL) < 0)
		log_errno(LOG_WARN, "sigprocmask");
}

/* Block the handled signals; *waitmask is the mask to wait with. */
static void signals_setup(sigset_t *waitmask)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&block);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < PH_ARRAY_LEN(handled_signals); i++) {
		sigaddset(&block, handled_signals[i]);
		sigaction(handled_signals[i], &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (size_t i = 0; i < PH_ARRAY_LEN(handled_signals); i++)
		sigdelset(waitmask, handled_signals[i]);
}

static struct gen *gen_by_id(struct master *m, uint32_t id)
{
	for (size_t i = 0; i < MAX_GENS; i++)
		if (m->gens[i].id == id && id != 0)
			return &m->gens[i];
	return NULL;
}

static struct listener *open_find(struct master *m, const char *text)
{
	for (size_t i = 0; i < m->nopen; i++)
		if (strcmp(m->open[i].addr.text, text) == 0)
			return &m->open[i];
	return NULL;
}

static void listener_close(struct listener *l, bool unlink_path)
{
	if (close(l->fd) < 0)
		log_errno(LOG_WARN, "close(listener %s)", l->addr.text);
	if (unlink_path && l->addr.family == AF_UNIX) {
		const char *path = l->addr.text + strlen("unix:");
		if (unlink(path) < 0 && errno != ENOENT)
			log_errno(LOG_WARN, "unlink(\"%s\")", path);
	}
}

/* Use a socket handed over at start for addr, if there is one. */
static bool take_inherited(struct master *m, const struct listen_addr *a)
{
	for (size_t i = 0; i < m->ninherited; i++) {
		if (strcmp(m->inherited[i].addr.text, a->text) != 0 ||
		    m->nopen >= MAX_OPEN)
			continue;
		m->open[m->nopen].addr = *a;
		m->open[m->nopen].fd = m->inherited[i].fd;
		m->open[m->nopen].inherited = true;
		m->nopen++;
		m->inherited[i] = m->inherited[--m->ninherited];
		log_info("using inherited listener %s", a->text);
		return true;
	}
	return false;
}

/*
 * Give g the listeners of cfg: the open ones with the same address are
 * reused, the others opened.  On failure, closes what it opened, returns -1
 * and leaves the message in err.
 */
static int gen_listeners(struct master *m, struct gen *g,
			 const struct config *cfg, char *err, size_t errlen)
{
	size_t first_new = m->nopen;

	g->ls = calloc(cfg->nlisten, sizeof(*g->ls));
	if (g->ls == NULL) {
		snprintf(err, errlen, "calloc(listeners): %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->nlisten; i++) {
		const struct listen_addr *a = &cfg->listen[i];
		struct listener *l = open_find(m, a->text);
		if (l == NULL && take_inherited(m, a)) {
			l = &m->open[m->nopen - 1];
		} else if (l == NULL) {
			int fd = m->nopen < MAX_OPEN
				     ? listener_open(a, cfg->backlog, err, errlen)
				     : -1;
			if (fd < 0) {
				if (m->nopen >= MAX_OPEN)
					snprintf(err, errlen, "too many listeners");
				goto fail;
			}
			l = &m->open[m->nopen++];
			l->addr = *a;
			l->fd = fd;
			l->inherited = false;
		} else if (listen(l->fd, cfg->backlog) < 0) {
			log_errno(LOG_WARN, "listen(%s, backlog %d)", a->text,
				  cfg->backlog);
		}
		g->ls[i].addr = *a;
		g->ls[i].fd = l->fd;
		g->ls[i].inherited = l->inherited;
	}
	g->nls = cfg->nlisten;
	return 0;
fail:
	while (m->nopen > first_new)
		listener_close(&m->open[--m->nopen], true);
	free(g->ls);
	g->ls = NULL;
	return -1;
}

static bool gen_uses_fd(const struct gen *g, int fd)
{
	for (size_t i = 0; i < g->nls; i++)
		if (g->ls[i].fd == fd)
			return true;
	return false;
}

/* Close listeners no live generation uses any more. */
static void close_unused_listeners(struct master *m)
{
	for (size_t i = 0; i < m->nopen;) {
		bool used = false;
		for (size_t g = 0; g < MAX_GENS && !used; g++)
			used = m->gens[g].id != 0 && gen_uses_fd(&m->gens[g], m->open[i].fd);
		if (used) {
			i++;
			continue;
		}
		log_info("closing listener %s", m->open[i].addr.text);
		listener_close(&m->open[i], !m->upgraded);
		m->open[i] = m->open[--m->nopen];
	}
}

static void gen_free(struct gen *g)
{
	if (g->cfg != NULL)
		modules_unload(g->cfg);
	config_free(g->cfg);
	free(g->ls);
	memset(g, 0, sizeof(*g));
}

/* Free the generations whose last worker is gone. */
static void collect_generations(struct master *m)
{
	bool freed = false;

	for (size_t i = 0; i < MAX_GENS; i++) {
		struct gen *g = &m->gens[i];
		if (g->id == 0 || g == m->cur || g == m->pending)
			continue;
		if (proc_count(&m->procs, g->id, true) > 0)
			continue;
		log_info("generation %u is gone", g->id);
		gen_free(g);
		freed = true;
	}
	if (freed)
		close_unused_listeners(m);
}

/* Fork one worker of the current generation. */
static struct proc *spawn_one(struct master *m)
{
	struct gen *g = m->cur;
	int close_fds[MAX_OPEN + 3 + 8 + 4];
	size_t nclose = 0;

	nclose += admin_proc_fds(&m->admin, close_fds);
	close_fds[nclose++] = m->peer_fd;
	close_fds[nclose++] = m->wake[0];
	close_fds[nclose++] = m->ctl_fd;
	close_fds[nclose++] = m->ctl_client;
	for (size_t i = 0; i < m->nwaiters; i++)
		close_fds[nclose++] = m->waiters[i].fd;
	for (size_t i = 0; i < m->nopen; i++)
		if (!gen_uses_fd(g, m->open[i].fd))
			close_fds[nclose++] = m->open[i].fd;
	struct spawn_args a = {
		.cfg = g->cfg, .sb = m->sb, .generation = g->id,
		.listeners = g->ls, .nlisteners = g->nls,
		.notify_fd = m->wake[1], .close_fds = close_fds,
		.nclose_fds = nclose,
	};
	return proc_spawn(&m->procs, &a);
}

/* The admin process, for the current generation (admin_proc.h). */
static void admin_spawn(struct master *m, int64_t now)
{
	int close_fds[MAX_OPEN + 5 + 8];
	size_t nclose = 0;

	if (!admin_proc_due(&m->admin, now, m->stopping))
		return;
	close_fds[nclose++] = m->peer_fd;
	close_fds[nclose++] = m->wake[0];
	close_fds[nclose++] = m->wake[1];
	close_fds[nclose++] = m->ctl_fd;
	close_fds[nclose++] = m->ctl_client;
	for (size_t i = 0; i < m->nwaiters; i++)
		close_fds[nclose++] = m->waiters[i].fd;
	for (size_t i = 0; i < m->nopen; i++)
		if (!gen_uses_fd(m->cur, m->open[i].fd))
			close_fds[nclose++] = m->open[i].fd;
	admin_proc_spawn(&m->admin, m->cur->cfg, m->sb, m->cur->ls, m->cur->nls,
			 &m->procs, close_fds, nclose, now);
}

static void spawn_missing(struct master *m, int64_t now)
{
	if (m->stopping || m->workers_stopped || now < m->respawn_at)
		return;
	while (proc_count(&m->procs, m->cur->id, false) < m->cur->wanted) {
		if (spawn_one(m) == NULL) {
			m->respawn_at = now + BACKOFF_MAX_MS / 10;
			return;
		}
	}
}

static bool proc_ready(const struct master *m, const struct proc *p)
{
	enum sb_state st = sb_get_state(&m->sb->slots[p->slot]);

	return st != SB_STARTING && st != SB_EMPTY;
}

/*
 * max_requests_per_worker: one worker at a time, and its replacement is
 * started first; the old one is told to stop once the new one is ready.
 */
static void recycle(struct master *m, int64_t now)
{
	if (m->recycle_old != 0) {
		struct proc *old = proc_find(&m->procs, m->recycle_old);
		struct proc *new = proc_find(&m->procs, m->recycle_new);
		if (old == NULL || new == NULL || proc_ready(m, new)) {
			if (old != NULL && !old->retiring) {
				proc_retire(old, CTL_RETIRE, now,
					    m->cur->cfg->timeouts.graceful_ms);
				m->sb->restart_reasons[SB_R_RECYCLE]++;
			}
			m->recycle_old = m->recycle_new = 0;
		}
		return;
	}
	if (m->stopping || m->pending != NULL)
		return;
	for (size_t i = 0; i < m->procs.cap; i++) {
		struct proc *p = &m->procs.p[i];
		if (p->pid == 0 || p->retiring || p->generation != m->cur->id ||
		    !__atomic_load_n(&m->sb->slots[p->slot].recycle, __ATOMIC_RELAXED))
			continue;
		struct proc *n = spawn_one(m);
		if (n == NULL)
			return;
		log_info("recycling worker %d (pid %d): replacement pid %d",
			 p->slot, (int)p->pid, (int)n->pid);
		m->recycle_old = p->pid;
		m->recycle_new = n->pid;
		return;
	}
}

static unsigned free_slots(const struct master *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->sb->nslots; i++)
		if (sb_get_state(&m->sb->slots[i]) == SB_EMPTY)
			n++;
	return n;
}

static void retire_older(struct master *m, int64_t now)
{
	for (size_t i = 0; i < m->procs.cap; i++) {
		struct proc *p = &m->procs.p[i];
		if (p->pid == 0 || p->generation == m->cur->id || p->retiring)
			continue;
		struct gen *g = gen_by_id(m, p->generation);
		proc_retire(p, CTL_RETIRE, now, g ? g->cfg->timeouts.graceful_ms : 0);
	}
}

/*
 * Answer the `-s reload` clients: "ok" once their generation serves (or
 * was superseded by a newer one that serves), an error when it did not
 * come up in time.
 */
static void answer_waiters(struct master *m, int64_t now)
{
	char msg[200];

	for (size_t i = 0; i < m->nwaiters;) {
		struct waiter *w = &m->waiters[i];
		if (m->pending == NULL && m->cur->id >= w->gen) {
			snprintf(msg, sizeof(msg), "ok: generation %u serving\n",
				 m->cur->id);
		} else if (now >= w->deadline) {
			snprintf(msg, sizeof(msg),
				 "error: generation %u did not start serving within "
				 "%d s; the previous generation goes on serving\n",
				 w->gen, RELOAD_WAIT_MS / 1000);
		} else {
			i++;
			continue;
		}
		control_reply(w->fd, msg);
		*w = m->waiters[--m->nwaiters];
	}
}

/* Once the new generation's workers are ready, retire the older ones. */
static void check_pending(struct master *m, int64_t now)
{
	struct gen *g = m->pending;
	unsigned ready = 0;

	if (g == NULL)
		return;
	for (size_t i = 0; i < m->procs.cap; i++) {
		const struct proc *p = &m->procs.p[i];
		if (p->pid != 0 && p->generation == g->id && proc_ready(m, p))
			ready++;
	}
	if (ready < g->wanted && !(ready > 0 && free_slots(m) == 0))
		return;
	m->pending = NULL;
	notify_send("READY=1");
	m->sb->reloads++;
	retire_older(m, now);
	admin_proc_restart(&m->admin);
	log_info("generation %u serving: %u workers, %zu listeners; older "
		 "generations retiring",
		 g->id, ready, g->nls);
	answer_waiters(m, now);
}

static void log_config_errors(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		log_error("%s", errs->msg[i]);
}

static struct gen *gen_free_entry(struct master *m)
{
	for (size_t i = 0; i < MAX_GENS; i++)
		if (m->gens[i].id == 0)
			return &m->gens[i];
	return NULL;
}

static unsigned wanted_workers(const struct master *m, const struct config *cfg)
{
	if (cfg->workers > m->sb->nslots) {
		log_warn("workers %u is above the max_workers fixed at start "
			 "(%u): running %u",
			 cfg->workers, m->sb->nslots, m->sb->nslots);
		return m->sb->nslots;
	}
	return cfg->workers;
}

/* Join the config errors into msg ("error: ...\n" then one per line). */
static void errors_text(const struct config_errors *errs, const char *head,
			char *msg, size_t cap)
{
	size_t n = (size_t)snprintf(msg, cap, "error: %s\n", head);

	for (size_t i = 0; i < errs->count && n < cap; i++)
		n += (size_t)snprintf(msg + n, cap - n, "%s\n", errs->msg[i]);
}

/*
 * Descriptors a worker needs besides its connections: listeners, logs,
 * epoll, control, the file cache, CGI pipes.
 */
#define NOFILE_SLACK 256

/*
 * Each connection a worker holds is a descriptor: raise the soft
 * RLIMIT_NOFILE to what limits.connections_per_worker needs (workers
 * inherit it), up to the hard limit, and say what to raise when that is
 * not enough.
 */
static void raise_nofile(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)cfg->limits.connections_per_worker +
		      (rlim_t)cfg->nlisten + NOFILE_SLACK;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_errno(LOG_WARN, "getrlimit(RLIMIT_NOFILE)");
		return;
	}
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need
			      ? rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_errno(LOG_WARN, "setrlimit(RLIMIT_NOFILE, %llu)",
			  (unsigned long long)rl.rlim_cur);
	if (rl.rlim_cur < need)
		log_warn("limits.connections_per_worker %llu needs %llu file "
			 "descriptors per worker, but RLIMIT_NOFILE allows %llu: "
			 "raise it (LimitNOFILE= in the systemd unit, ulimit -n) "
			 "or lower the limit; a worker out of descriptors stops "
			 "accepting for a moment",
			 (unsigned long long)cfg->limits.connections_per_worker,
			 (unsigned long long)need,
			 (unsigned long long)rl.rlim_cur);
}

/*
 * SIGHUP: parse the file beside the running config; switch only if valid.
 * Returns 0 when a new generation is starting, -1 (with the reason in msg,
 * when given) when the running one stays alone.
 */
static int reload(struct master *m, int64_t now, char *msg, size_t cap)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load(m->cfg_path, &errs);
	struct gen *g = gen_free_entry(m);
	char err[256];

	if (cfg != NULL && modules_load(cfg, &errs) < 0) {
		config_free(cfg);
		cfg = NULL;
	}

	notify_send("RELOADING=1");
	if (cfg == NULL) {
		notify_send("READY=1"); /* still serving the previous config */
		log_config_errors(&errs);
		log_error("reload: %zu error(s) in %s; still serving generation %u "
			  "with the previous configuration",
			  errs.count, m->cfg_path, m->cur->id);
		if (msg)
			errors_text(&errs, "configuration refused; the previous "
					   "one goes on serving", msg, cap);
		config_errors_free(&errs);
		m->sb->failed_reloads++;
		return -1;
	}
	if (g == NULL || gen_listeners(m, g, cfg, err, sizeof(err)) < 0) {
		notify_send("READY=1");
		log_error("reload: %s; still serving generation %u",
			  g ? err : "too many generations still retiring",
			  m->cur->id);
		if (msg)
			snprintf(msg, cap, "error: %s; the previous configuration "
				 "goes on serving\n",
				 g ? err : "too many generations still retiring");
		modules_unload(cfg);
		config_free(cfg);
		m->sb->failed_reloads++;
		return -1;
	}
	if (admin_proc_listen(&m->admin, cfg, err, sizeof(err)) < 0)
		log_warn("reload: %s; the admin and agent-check sockets stay as "
			 "they were", err);
	if (cfg->max_workers != m->sb->nslots)
		log_warn("reload: max_workers is fixed at start (%u); a new "
			 "value takes effect on restart", m->sb->nslots);
	if (log_open_error(&cfg->error_log) < 0 || log_open_access(&cfg->access_log) < 0)
		log_warn("reload: keeping the previous log files");
	raise_nofile(cfg);
	g->id = ++m->next_id;
	g->cfg = cfg;
	g->wanted = wanted_workers(m, cfg);
	m->cur = g;
	m->pending = g;
	m->workers_stopped = false;
	m->respawn_at = 0;
	m->sb->generation = g->id;
	log_info("reload: generation %u starting with %u workers from %s", g->id,
		 g->wanted, m->cfg_path);
	spawn_missing(m, now);
	collect_generations(m);
	return 0;
}

/* The pid file and control socket move aside for the new master. */
static void rename_aside(struct master *m, bool back)
{
	static const char suffix[] = ".oldbin";
	char to[sizeof(m->pid_file)], ctl[sizeof(m->ctl_path)];
	size_t n = strlen(m->pid_file);

	if (n == 0 || n + sizeof(suffix) > sizeof(to))
		return;
	memcpy(to, m->pid_file, n + 1);
	if (back && n > sizeof(suffix) - 1) /* m->pid_file is "X.oldbin" */
		to[n - (sizeof(suffix) - 1)] = '\0';
	else
		memcpy(to + n, suffix, sizeof(suffix));
	if (rename(m->pid_file, to) < 0)
		log_errno(LOG_WARN, "rename(\"%s\", \"%s\")", m->pid_file, to);
	memcpy(m->pid_file, to, strlen(to) + 1);
	if (m->ctl_fd < 0)
		return;
	control_path(m->pid_file, ctl, sizeof(ctl));
	if (rename(m->ctl_path, ctl) < 0)
		log_errno(LOG_WARN, "rename(\"%s\", \"%s\")", m->ctl_path, ctl);
	memcpy(m->ctl_path, ctl, strlen(ctl) + 1);
}

/* In the child: keep the listeners and the channel across exec, name them. */
_Noreturn static void exec_new_binary(struct master *m, int channel)
{
	char env[MAX_OPEN * (LISTEN_TEXT_MAX + 16)];
	size_t n = 0;

	const struct listener *extra[2] = { &m->admin.http, &m->admin.agent };

	env[0] = '\0';
	for (size_t i = 0; i < m->nopen + 2 && n < sizeof(env); i++) {
		const struct listener *l = i < m->nopen ? &m->open[i]
							: extra[i - m->nopen];
		if (l->fd < 0)
			continue;
		if (fcntl(l->fd, F_SETFD, 0) < 0)
			log_errno(LOG_ERROR, "fcntl(listener %s)", l->addr.text);
		n += (size_t)snprintf(env + n, sizeof(env) - n, "%d=%s;", l->fd,
				      l->addr.text);
	}
	setenv(LISTEN_ENV, env, 1);
	upgrade_channel_export(channel);
	/* The handled signals stay blocked across exec: one that arrives
	 * before the new master installs its handlers waits instead of
	 * killing it with the default action. */
	execv(m->exe, m->argv);
	log_errno(LOG_ERROR, "execv(\"%s\")", m->exe);
	_exit(127);
}

/*
 * USR2: start the binary on disk again with the listening sockets; this
 * master and its workers go on serving beside it until told QUIT (or WINCH
 * to stop only the workers, keeping a way back).
 */
static int upgrade(struct master *m, char *msg, size_t cap)
{
	int ch[2];
	pid_t pid;

	if (m->upgrade_pid != 0) {
		snprintf(msg, cap, "error: an upgrade is already running (pid %d)\n",
			 (int)m->upgrade_pid);
		return -1;
	}
	if (m->peer_fd >= 0) {
		snprintf(msg, cap, "error: the previous master (pid %d) still "
			 "runs: QUIT it (or roll back) first\n", (int)m->peer_pid);
		return -1;
	}
	if (m->exe[0] == '\0') {
		snprintf(msg, cap, "error: the path of the binary is unknown\n");
		return -1;
	}
	if (upgrade_channel(ch) < 0) {
		snprintf(msg, cap, "error: socketpair: %s\n", strerror(errno));
		return -1;
	}
	rename_aside(m, false);
	pid = fork();
	if (pid < 0) {
		snprintf(msg, cap, "error: fork: %s\n", strerror(errno));
		rename_aside(m, true);
		close(ch[0]);
		close(ch[1]);
		return -1;
	}
	if (pid == 0)
		exec_new_binary(m, ch[1]);
	close(ch[1]);
	m->peer_fd = ch[0];
	m->peer_pid = pid;
	m->upgrade_pid = pid;
	m->upgraded = true;
	log_info("upgrade: started %s as pid %d; this master stays until QUIT",
		 m->exe, (int)pid);
	snprintf(msg, cap, "ok: new master pid %d\n", (int)pid);
	return 0;
}

static void peer_read(struct master *m);

/*
 * The new master exited.  With status 0 it was told to stop (QUIT or TERM:
 * the operator rolled the upgrade back), which is normal; anything else
 * is a failed upgrade.  Either way this master goes on.
 */
static void upgrade_failed(struct master *m, int status, const char *why)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("upgrade rolled back: the new master (pid %d) %s; "
			 "this master goes on", (int)m->upgrade_pid, why);
	else
		log_error("upgrade: the new master (pid %d) %s; this master "
			  "goes on", (int)m->upgrade_pid, why);
	peer_read(m); /* its last word, e.g. the main process back to us */
	if (m->peer_fd >= 0)
		close(m->peer_fd);
	m->peer_fd = -1;
	m->peer_pid = 0;
	m->upgrade_pid = 0;
	m->upgraded = false;
	rename_aside(m, true);
}

/*
 * Under systemd (NotifyAccess=main) only the main process may speak, and
 * the unit ends with it.  While two masters serve the same sockets, the
 * main process is the one that stays: this one passes it to the other
 * (MAINPID=) when the new master serves, or when it stops itself while the
 * other goes on (QUIT to the old master before the new one was ready, or
 * a rollback), and from then on keeps quiet.
 */
static void pass_main(struct master *m, const char *why)
{
	if (m->peer_fd < 0 || !m->is_main)
		return;
	notify_mainpid(m->peer_pid);
	upgrade_send(m->peer_fd, UPGRADE_MAIN);
	m->is_main = false;
	notify_enable(false);
	log_info("upgrade: %s; master pid %d is the main process now", why,
		 (int)m->peer_pid);
}

/* The messages of the other master (upgrade.h). */
static void peer_read(struct master *m)
{
	int msg;

	while (m->peer_fd >= 0 && (msg = upgrade_recv(m->peer_fd)) != -1) {
		if (msg == UPGRADE_READY) {
			pass_main(m, "the new master serves");
		} else if (msg == UPGRADE_MAIN) {
			m->is_main = true;
			notify_enable(true);
			log_info("upgrade: this master is the main process now "
				 "(the other is pid %d)", (int)m->peer_pid);
		} else if (msg == 0) {
			close(m->peer_fd);
			m->peer_fd = -1;
			if (m->upgrade_pid == 0) { /* our predecessor is gone */
				log_info("upgrade: the previous master (pid %d) "
					 "is gone", (int)m->peer_pid);
				m->upgraded = false;
				m->is_main = true;
				notify_enable(true);
			}
		}
	}
}

/* A new master: tell the old one once the first generation serves. */
static void report_ready(struct master *m)
{
	unsigned ready = 0;

	if (m->peer_fd < 0 || m->upgrade_pid != 0 || m->ready_told)
		return;
	for (size_t i = 0; i < m->procs.cap; i++) {
		const struct proc *p = &m->procs.p[i];
		if (p->pid != 0 && p->generation == m->cur->id && proc_ready(m, p))
			ready++;
	}
	if (ready < m->cur->wanted && !(ready > 0 && free_slots(m) == 0))
		return;
	if (upgrade_send(m->peer_fd, UPGRADE_READY) < 0)
		return;
	m->ready_told = true;
	log_info("upgrade: %u workers serve; telling the previous master "
		 "(pid %d)", ready, (int)m->peer_pid);
}

static void reap(struct master *m, int64_t now)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			if (pid < 0 && errno != ECHILD)
				log_errno(LOG_ERROR, "waitpid");
			return;
		}
		char why[96];
		struct rusage ru;
		if (getrusage(RUSAGE_CHILDREN, &ru) == 0) /* process_cpu_seconds_total */
			__atomic_store_n(&m->sb->reaped_cpu_us,
					 (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
					 (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec),
					 __ATOMIC_RELAXED);
		else
			log_errno(LOG_WARN, "getrusage(RUSAGE_CHILDREN)");
		proc_status_text(status, why, sizeof(why));
		if (pid == m->upgrade_pid) {
			upgrade_failed(m, status, why);
			continue;
		}
		if (admin_proc_reaped(&m->admin, pid, status, now, m->stopping))
			continue;
		struct proc *p = proc_find(&m->procs, pid);
		if (p == NULL)
			continue;
		bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		int64_t lived = now - p->started_ms;
		if (p->retiring || m->stopping) {
			log_debug("worker %d (pid %d) %s", p->slot, (int)pid, why);
		} else if (clean) {
			log_warn("worker %d (pid %d) exited on its own", p->slot,
				 (int)pid);
			m->sb->restarts++;
			m->sb->restart_reasons[SB_R_EXIT]++;
		} else {
			log_warn("worker %d (pid %d) %s", p->slot, (int)pid, why);
			m->sb->restarts++;
			m->sb->restart_reasons[p->watchdog ? SB_R_WATCHDOG
				: WIFSIGNALED(status) ? SB_R_SIGNAL : SB_R_EXIT]++;
			if (lived < CRASH_WINDOW_MS) {
				m->backoff_ms = m->backoff_ms ? m->backoff_ms * 2 : BACKOFF_MIN_MS;
				if (m->backoff_ms > BACKOFF_MAX_MS)
					m->backoff_ms = BACKOFF_MAX_MS;
				m->respawn_at = now + m->backoff_ms;
				log_warn("worker died %lld ms after start; next start in %lld ms",
					 (long long)lived, (long long)m->backoff_ms);
			}
		}
		if (lived >= CRASH_WINDOW_MS && !(!clean && !p->retiring))
			m->backoff_ms = 0;
		proc_forget(p, m->sb);
	}
}

/*
 * SIGKILL a worker and whatever it started in process groups of its own
 * (CGI scripts: cgi.c puts each in its own group and kills it on its
 * timeout, which a killed worker never reaches).  The worker is stopped
 * first, so that it cannot reap a child, whose pid could then be reused,
 * while its children are read from /proc.
 */
static void kill_worker(pid_t pid)
{
	char path[64], buf[1024];
	FILE *f;

	if (kill(pid, SIGSTOP) < 0) {
		if (errno != ESRCH)
			log_errno(LOG_WARN, "kill(%d, SIGSTOP)", (int)pid);
		kill(pid, SIGKILL);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(path, "re");
	if (f != NULL) {
		while (fscanf(f, "%1023s", buf) == 1) {
			long c = strtol(buf, NULL, 10);
			if (c <= 0)
				continue;
			/* its own group: the whole group; else the child alone */
			pid_t target = getpgid((pid_t)c) == (pid_t)c ? -(pid_t)c
								    : (pid_t)c;
			if (kill(target, SIGKILL) < 0 && errno != ESRCH)
				log_errno(LOG_WARN, "kill(%d, SIGKILL)", (int)target);
		}
		fclose(f);
	}
	if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
		log_errno(LOG_WARN, "kill(%d, SIGKILL)", (int)pid);
}

/* Hard-kill retiring workers past their grace, and workers stuck on one request. */
static void enforce_deadlines(struct master *m, int64_t now)
{
	bool watchdog = now >= m->next_watchdog;

	if (watchdog) {
		m->next_watchdog = now + WATCHDOG_MS;
		scoreboard_sample(m->sb, now); /* rates on the status page */
	}
	for (size_t i = 0; i < m->procs.cap; i++) {
		struct proc *p = &m->procs.p[i];
		if (p->pid == 0)
			continue;
		if (p->retiring && p->kill_at_ms && now >= p->kill_at_ms) {
			log_warn("worker %d (pid %d) still busy after the graceful "
				 "timeout; killing it", p->slot, (int)p->pid);
			kill_worker(p->pid);
			p->kill_at_ms = 0;
			continue;
		}
		struct gen *g = gen_by_id(m, p->generation);
		const struct sb_slot *s = &m->sb->slots[p->slot];
		int64_t start = __atomic_load_n(&s->req_start_ms, __ATOMIC_RELAXED);
		if (!watchdog || g == NULL || start == 0 ||
		    now - start <= g->cfg->timeouts.worker_ms)
			continue;
		log_warn("worker %d (pid %d) killed after %.1fs in handler: %s from %s",
			 p->slot, (int)p->pid, (double)(now - start) / 1000.0,
			 s->request, s->client);
		p->watchdog = true;
		kill_worker(p->pid);
	}
}

static void begin_stop(struct master *m, int64_t now)
{
	if (m->stopping)
		return;
	m->stopping = true;
	if (m->upgraded) {
		/* A new master serves the same listeners: this one leaves
		 * quietly, without turning the shared health path to 503. */
		pass_main(m, "stopping while the other master serves");
		m->drain_until = now;
		log_info("graceful stop while another master serves the same "
			 "sockets: workers finish their requests");
		return;
	}
	notify_send("STOPPING=1");
	m->sb->draining = 1;
	m->drain_until = now + m->cur->cfg->timeouts.drain_delay_ms;
	log_info("graceful stop: health answers 503 for %lld ms, then workers "
		 "finish their requests (at most %lld ms)",
		 (long long)m->cur->cfg->timeouts.drain_delay_ms,
		 (long long)m->cur->cfg->timeouts.graceful_ms);
}

/*
 * drain_delay is over: the workers take in what waits in the backlog, and
 * every process closes its copies of the listeners at once (the master
 * too; a worker shuts the sockets down), so a later connection is refused
 * rather than left waiting.  After an upgrade the successor serves the
 * same sockets: the workers only retire, and the sockets stay open.
 */
static void send_stop(struct master *m, int64_t now)
{
	char cmd = m->upgraded ? CTL_QUIT : CTL_DRAIN;

	if (!m->stopping || m->stop_sent || now < m->drain_until)
		return;
	/* Sockets from systemd or from a previous master are shared with
	 * them: closed here, never shut down. */
	for (size_t i = 0; cmd == CTL_DRAIN && i < m->cur->nls; i++)
		if (m->cur->ls[i].inherited)
			cmd = CTL_DRAIN_SHARED;
	m->stop_sent = true;
	for (size_t i = 0; i < m->procs.cap; i++)
		if (m->procs.p[i].pid != 0)
			proc_retire(&m->procs.p[i], cmd, now,
				    m->cur->cfg->timeouts.graceful_ms);
	if (m->upgraded)
		return;
	m->nflush = flush_ports(m->open, m->nopen, m->flush_ports, MAX_OPEN);
	while (m->nopen > 0)
		listener_close(&m->open[--m->nopen], true);
	for (size_t g = 0; g < MAX_GENS; g++)
		for (size_t i = 0; i < m->gens[g].nls; i++)
			m->gens[g].ls[i].fd = -1;
}

static void fast_stop(struct master *m)
{
	size_t running = 0;

	pass_main(m, "stopping while the other master serves");
	for (size_t i = 0; i < m->procs.cap; i++)
		running += m->procs.p[i].pid != 0;
	log_info("fast stop: killing %zu worker%s", running,
		 running == 1 ? "" : "s");
	if (!m->stopping)
		notify_send("STOPPING=1");
	m->stopping = true;
	m->stop_sent = true;
	m->fast = true;
	m->drain_until = 0;
	for (size_t i = 0; i < m->procs.cap; i++)
		if (m->procs.p[i].pid != 0)
			kill_worker(m->procs.p[i].pid);
}

static void reopen_logs(struct master *m)
{
	int efd, afd;

	log_reopen();
	log_fds(&efd, &afd);
	for (size_t i = 0; i < m->procs.cap; i++)
		if (m->procs.p[i].pid != 0)
			proc_send_fds(&m->procs.p[i], efd, afd);
	admin_proc_send_fds(&m->admin, efd, afd);
	log_info("log files reopened");
}

static void resize(struct master *m, int delta, int64_t now)
{
	struct gen *g = m->cur;

	if (delta > 0 && g->wanted < m->sb->nslots) {
		g->wanted++;
	} else if (delta < 0 && g->wanted > 1) {
		g->wanted--;
		for (size_t i = m->procs.cap; i-- > 0;) {
			struct proc *p = &m->procs.p[i];
			if (p->pid != 0 && p->generation == g->id && !p->retiring) {
				proc_retire(p, CTL_RETIRE, now, g->cfg->timeouts.graceful_ms);
				break;
			}
		}
	}
	log_info("workers: %u", g->wanted);
}

static void stop_workers_only(struct master *m, int64_t now)
{
	m->workers_stopped = true;
	for (size_t i = 0; i < m->procs.cap; i++)
		if (m->procs.p[i].pid != 0)
			proc_retire(&m->procs.p[i], CTL_QUIT, now,
				    m->cur->cfg->timeouts.graceful_ms);
	log_info("workers stopping (WINCH); the master stays until HUP or a stop");
}

/* One command from the control socket. */
static void control_command(struct master *m, int fd, const char *verb,
			    int64_t now)
{
	char msg[8192];

	if (strcmp(verb, "reload") == 0) {
		if (m->stopping) {
			control_reply(fd, "error: the server is stopping\n");
		} else if (reload(m, now, msg, sizeof(msg)) < 0) {
			control_reply(fd, msg);
		} else if (m->nwaiters == PH_ARRAY_LEN(m->waiters)) {
			control_reply(fd, "ok: reload started (too many waiting clients)\n");
		} else {
			m->waiters[m->nwaiters++] = (struct waiter){
				fd, m->cur->id, now + RELOAD_WAIT_MS };
			check_pending(m, now);
		}
		return;
	}
	if (strcmp(verb, "stop") == 0 || strcmp(verb, "quit") == 0) {
		if (m->stopping && strcmp(verb, "stop") == 0)
			fast_stop(m);
		begin_stop(m, now);
		control_reply(fd, "ok: stopping\n");
	} else if (strcmp(verb, "reopen") == 0) {
		reopen_logs(m);
		control_reply(fd, "ok: log files reopened\n");
	} else if (strcmp(verb, "upgrade") == 0) {
		upgrade(m, msg, sizeof(msg));
		control_reply(fd, msg);
	} else {
		snprintf(msg, sizeof(msg), "error: unknown command \"%.64s\"\n", verb);
		control_reply(fd, msg);
	}
}

static void handle_control(struct master *m, int64_t now)
{
	char verb[64];
	int fd;

	while ((fd = control_accept(m->ctl_fd, verb, sizeof(verb))) >= 0) {
		m->ctl_client = fd; /* workers forked meanwhile must not keep it */
		control_command(m, fd, verb, now);
		m->ctl_client = -1;
	}
}

static void handle_signals(struct master *m, int64_t now)
{
	if (take_signal(SIGCHLD))
		reap(m, now);
	if (take_signal(SIGINT))
		fast_stop(m);
	if (take_signal(SIGTERM)) {
		if (m->stopping)
			fast_stop(m);
		else
			begin_stop(m, now);
	}
	if (take_signal(SIGQUIT))
		begin_stop(m, now);
	if (m->stopping)
		return;
	if (take_signal(SIGHUP))
		reload(m, now, NULL, 0);
	if (take_signal(SIGUSR1))
		reopen_logs(m);
	if (take_signal(SIGTTIN))
		resize(m, +1, now);
	if (take_signal(SIGTTOU))
		resize(m, -1, now);
	if (take_signal(SIGWINCH))
		stop_workers_only(m, now);
	if (take_signal(SIGUSR2)) {
		char msg[256];
		if (upgrade(m, msg, sizeof(msg)) < 0)
			log_error("upgrade: %s", msg);
	}
}

static bool any_proc(const struct master *m)
{
	for (size_t i = 0; i < m->procs.cap; i++)
		if (m->procs.p[i].pid != 0)
			return true;
	return false;
}

/* Milliseconds until the next thing the loop must do by itself. */
static int next_timeout(const struct master *m, int64_t now)
{
	int64_t t = m->next_watchdog;

	if (m->respawn_at > now && m->respawn_at < t)
		t = m->respawn_at;
	if (m->admin.pid == 0 && admin_proc_wanted(&m->admin) &&
	    m->admin.respawn_at < t)
		t = m->admin.respawn_at;
	if (m->stopping && !m->stop_sent && m->drain_until < t)
		t = m->drain_until;
	for (size_t i = 0; i < m->procs.cap; i++) {
		const struct proc *p = &m->procs.p[i];
		if (p->pid != 0 && p->kill_at_ms && p->kill_at_ms < t)
			t = p->kill_at_ms;
	}
	if ((m->pending != NULL || m->recycle_old != 0) && now + 50 < t)
		t = now + 50; /* a crashed booting worker shows up as SIGCHLD anyway */
	for (size_t i = 0; i < m->nwaiters; i++)
		if (m->waiters[i].deadline < t)
			t = m->waiters[i].deadline;
	t -= now;
	return t < 0 ? 0 : (int)t;
}

/* ---- moving connections between workers (handover.h) ---- */

/* The current generation's worker with the fewest connections, or NULL. */
static struct proc *handover_target(struct master *m, const struct proc *from)
{
	struct proc *best = NULL;
	uint32_t fewest = UINT32_MAX;

	for (size_t i = 0; i < m->procs.cap; i++) {
		struct proc *p = &m->procs.p[i];
		if (p->pid == 0 || p->retiring || p == from ||
		    p->generation != m->cur->id || !proc_ready(m, p))
			continue;
		uint32_t n = __atomic_load_n(&m->sb->slots[p->slot].conns.open,
					     __ATOMIC_RELAXED);
		if (n < fewest) {
			fewest = n;
			best = p;
		}
	}
	return best;
}

/*
 * Whether a connection of listener text can move from generation `from`
 * to the current one: the listener is still there, and still speaks (or
 * not) the PROXY protocol.
 */
static bool handover_listener_kept(struct master *m, uint32_t from,
				   const char *text)
{
	const struct gen *old = gen_by_id(m, from);
	int was_proxy = -1;

	for (size_t i = 0; old != NULL && i < old->nls; i++)
		if (strcmp(old->ls[i].addr.text, text) == 0)
			was_proxy = old->ls[i].addr.proxy_protocol;
	for (size_t i = 0; i < m->cur->nls; i++)
		if (strcmp(m->cur->ls[i].addr.text, text) == 0)
			return (int)m->cur->ls[i].addr.proxy_protocol == was_proxy;
	return false;
}

/*
 * A retiring worker hands connections over: relay each to a worker of the
 * current generation and tell the sender whether it went.  Never waits:
 * a full channel on either side means the hand-over failed, and the
 * sender serves the connection itself.
 */
static void relay_handovers(struct master *m, struct proc *from)
{
	for (;;) {
		struct handover_answer a = { .tag = HO_ANSWER };
		struct handover h;
		struct proc *to = NULL;
		int fds[2];
		ssize_t n = handover_recv(from->ctl_fd, m->relay, HO_MSG_MAX, fds);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EMSGSIZE)) {
			/* It is exiting: stop watching, or the wait would never
			 * sleep again (and ppoll delivers no signal when it
			 * returns ready descriptors). */
			from->ctl_closed = true;
			return;
		}
		if (n < 0)
			return;
		if ((size_t)n < sizeof(h) || m->relay[0] != HO_CONN) {
			log_warn("worker %d (pid %d): unexpected control message",
				 from->slot, (int)from->pid);
		} else {
			memcpy(&h, m->relay, sizeof(h));
			a.id = h.id;
			if (fds[0] < 0 || !handover_valid(m->relay, (size_t)n) ||
			    !handover_listener_kept(m, from->generation, h.listener) ||
			    m->stopping || m->workers_stopped)
				a.ok = HO_REFUSED;
			else if ((to = handover_target(m, from)) != NULL &&
				 handover_send(to->ctl_fd, m->relay, (size_t)n, fds[0]) == 0)
				a.ok = HO_MOVED;
			else /* none ready yet, or its channel is full */
				a.ok = HO_LATER;
			if (handover_send(from->ctl_fd, &a, sizeof(a), -1) < 0)
				log_errno(LOG_WARN, "send(worker %d hand-over answer)",
					  (int)from->pid);
		}
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
}

static void drain_wake_pipe(struct master *m)
{
	char buf[256];

	while (read(m->wake[0], buf, sizeof(buf)) > 0)
		;
}

static void master_loop(struct master *m, const sigset_t *waitmask)
{
	struct pollfd *pfd = m->pfd;

	for (;;) {
		int64_t now = now_ms();
		int timeout = next_timeout(m, now);
		struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000L };
		nfds_t n = 3;

		pfd[0] = (struct pollfd){ .fd = m->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = m->ctl_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = m->peer_fd, .events = POLLIN };
		/* Retiring workers may hand connections over. */
		for (size_t i = 0; i < m->procs.cap; i++) {
			const struct proc *p = &m->procs.p[i];
			pfd[n++] = (struct pollfd){
				.fd = p->pid != 0 && p->retiring && !p->ctl_closed
					      ? p->ctl_fd : -1,
				.events = POLLIN };
		}
		if (ppoll(pfd, n, &ts, waitmask) < 0 && errno != EINTR)
			log_errno(LOG_ERROR, "ppoll");
		for (size_t i = 0; i < m->procs.cap; i++)
			if (pfd[3 + i].fd >= 0 && pfd[3 + i].revents)
				relay_handovers(m, &m->procs.p[i]);
		if (pfd[0].revents)
			drain_wake_pipe(m);
		now = now_ms();
		handle_signals(m, now);
		if (pfd[1].revents)
			handle_control(m, now);
		if (pfd[2].revents)
			peer_read(m);
		check_pending(m, now);
		report_ready(m);
		answer_waiters(m, now);
		recycle(m, now);
		send_stop(m, now);
		enforce_deadlines(m, now);
		collect_generations(m);
		if (m->stopping && !any_proc(m))
			return;
		spawn_missing(m, now);
		admin_spawn(m, now);
	}
}

/*
 * After a graceful stop, with every worker gone and the listeners closed:
 * wait until the connections the workers closed have sent what the kernel
 * still holds for them (flush.h), within timeouts.graceful.  A container's
 * network namespace, and every such connection with it, goes away when its
 * last process exits.  TERM or INT cuts the wait short.
 */
static void flush_wait(struct master *m, const uint16_t *ports, size_t n,
		       const sigset_t *waitmask)
{
	int64_t deadline;
	int first = 0;

	if (m->fast || m->upgraded || n == 0 || m->cur == NULL)
		return;
	deadline = m->drain_until + m->cur->cfg->timeouts.graceful_ms;
	for (;;) {
		int pending = flush_pending(ports, n);
		struct timespec ts = { 0, 20 * 1000000L };

		if (pending <= 0)
			break;
		if (first == 0) {
			first = pending;
			log_info("graceful stop: %d closed connections still have "
				 "bytes to send; waiting for them", pending);
		}
		if (now_ms() >= deadline) {
			log_warn("graceful stop: %d closed connections still had "
				 "bytes to send after timeouts.graceful", pending);
			return;
		}
		if (ppoll(NULL, 0, &ts, waitmask) < 0 && errno != EINTR)
			log_errno(LOG_ERROR, "ppoll");
		if (take_signal(SIGTERM) || take_signal(SIGINT)) {
			log_info("fast stop: not waiting for closed connections");
			return;
		}
	}
	if (first > 0)
		log_info("graceful stop: closed connections have sent everything");
}

/* Errors name the key and where it is set (`-t` checks the same). */
static int write_pid_file(const struct config *cfg)
{
	const char *path = cfg->pid_file;
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *what = "open";

	if (fd >= 0 && write(fd, buf, (size_t)n) != n) {
		what = "write";
		close(fd);
		fd = -1;
	} else if (fd >= 0 && close(fd) < 0) {
		what = "close";
		fd = -1;
	} else if (fd >= 0) {
		return 0;
	}
	log_errno(LOG_ERROR, "%s:%d:%d: pid_file%s: %s(\"%s\")", cfg->file,
		  cfg->pid_file_at.line, cfg->pid_file_at.col,
		  cfg->pid_file_default ? " (the default, next to the file)" : "",
		  what, path);
	return -1;
}

/* Remove the pid file if it still names this process. */
static void remove_pid_file(const char *path)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && strtol(buf, NULL, 10) == (long)getpid() && unlink(path) < 0)
		log_errno(LOG_WARN, "unlink(\"%s\")", path);
}

/* Workers as root only when the config says so. */
static int check_user(const struct config *cfg)
{
	if (geteuid() != 0)
		return 0;
	if (cfg->user == NULL) {
		log_warn("running as root without a `user`: workers keep root");
		return 0;
	}
	struct passwd *pw = getpwnam(cfg->user);
	if (pw != NULL && pw->pw_uid == 0 && !cfg->allow_root) {
		log_error("user: workers would run as root; set `allow_root: true` "
			  "to allow it");
		return -1;
	}
	return 0;
}

/* An admin or agent-check socket handed over by the previous master. */
static void adopt_admin(struct master *m, struct listener *slot, bool enabled,
			const struct listen_addr *a)
{
	for (size_t i = 0; enabled && i < m->ninherited; i++) {
		if (strcmp(m->inherited[i].addr.text, a->text) != 0)
			continue;
		slot->addr = *a;
		slot->fd = m->inherited[i].fd;
		m->inherited[i] = m->inherited[--m->ninherited];
		return;
	}
}

static int master_start(struct master *m, struct config *cfg)
{
	char err[256];
	struct gen *g = &m->gens[0];

	if (log_open_error(&cfg->error_log) < 0 ||
	    log_open_access(&cfg->access_log) < 0 || check_user(cfg) < 0)
		return -1;
	raise_nofile(cfg);
	if (mime_load("/etc/mime.types") < 0)
		log_debug("no /etc/mime.types; using the built-in types");
	m->ninherited = listeners_inherit(m->inherited, MAX_OPEN);
	if (gen_listeners(m, g, cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	adopt_admin(m, &m->admin.http, cfg->admin_enabled, &cfg->admin_listen);
	adopt_admin(m, &m->admin.agent, cfg->agent_check_enabled,
		    &cfg->agent_check);
	while (m->ninherited > 0) {
		struct listener *l = &m->inherited[--m->ninherited];
		log_warn("inherited listener %s is not in the configuration; "
			 "closing it", l->addr.text);
		close(l->fd);
	}
	if (admin_proc_listen(&m->admin, cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	m->sb = scoreboard_create(cfg->max_workers);
	if (m->sb == NULL || proc_table_init(&m->procs, cfg->max_workers) < 0)
		return -1;
	m->relay = malloc(HO_MSG_MAX);
	m->pfd = calloc(m->procs.cap + 3, sizeof(*m->pfd));
	if (m->relay == NULL || m->pfd == NULL) {
		log_errno(LOG_ERROR, "malloc(master buffers)");
		return -1;
	}
	m->sb->start_time = (int64_t)time(NULL);
	if (pipe2(m->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_errno(LOG_ERROR, "pipe2(wake)");
		return -1;
	}
	if (cfg->pid_file && write_pid_file(cfg) < 0)
		return -1;
	if (cfg->pid_file) {
		snprintf(m->pid_file, sizeof(m->pid_file), "%s", cfg->pid_file);
		control_path(cfg->pid_file, m->ctl_path, sizeof(m->ctl_path));
		m->ctl_fd = control_listen(m->ctl_path);
		if (m->ctl_fd < 0)
			log_warn("no control socket: `-s reload` falls back to signals");
	}
	g->id = m->next_id = 1;
	g->cfg = cfg;
	g->wanted = cfg->workers;
	m->cur = g;
	m->sb->generation = 1;
	return 0;
}

int master_run(const char *cfg_path, struct config *cfg, char **argv)
{
	struct master m = { .cfg_path = cfg_path, .wake = { -1, -1 },
			    .ctl_fd = -1, .argv = argv, .ctl_client = -1,
			    .peer_fd = -1, .is_main = true };
	sigset_t waitmask;
	ssize_t n;

	log_set_role("master", -1);
	child_note_master();
	m.peer_fd = upgrade_channel_inherit();
	if (m.peer_fd >= 0) {
		/* Started by USR2: quiet until the old master makes this one
		 * the main process (pass_main). */
		m.peer_pid = getppid();
		m.upgraded = true;
		m.is_main = false;
		notify_enable(false);
	}
	admin_proc_init(&m.admin);
	signals_setup(&waitmask);
	n = readlink("/proc/self/exe", m.exe, sizeof(m.exe) - 1);
	m.exe[n > 0 ? n : 0] = '\0';
	if (master_start(&m, cfg) < 0) {
		admin_proc_close(&m.admin);
		while (m.nopen > 0)
			listener_close(&m.open[--m.nopen], true);
		free(m.gens[0].ls); /* its cfg is not set yet: freed below */
		for (int i = 0; i < 2; i++)
			if (m.wake[i] >= 0)
				close(m.wake[i]);
		free(m.procs.p);
		free(m.relay);
		free(m.pfd);
		if (m.sb != NULL)
			scoreboard_destroy(m.sb);
		config_free(cfg);
		return 2;
	}
	for (size_t i = 0; i < m.nopen; i++)
		log_info("listening on %s", m.open[i].addr.text);
	log_info("%s %s started: %u workers, generation 1", PACKAGE_NAME,
		 PACKAGE_VERSION, cfg->workers);
	spawn_missing(&m, now_ms());
	admin_spawn(&m, now_ms());
	notify_send("READY=1");
	master_loop(&m, &waitmask);
	if (m.nopen > 0) /* else closed at the stop (send_stop) */
		m.nflush = flush_ports(m.open, m.nopen, m.flush_ports, MAX_OPEN);
	while (m.nopen > 0)
		listener_close(&m.open[--m.nopen], !m.upgraded);
	flush_wait(&m, m.flush_ports, m.nflush, &waitmask);
	admin_proc_stop(&m.admin);
	admin_proc_close(&m.admin);
	for (size_t i = 0; i < MAX_GENS; i++)
		if (m.gens[i].id != 0)
			gen_free(&m.gens[i]);
	for (size_t i = 0; i < m.nwaiters; i++)
		control_reply(m.waiters[i].fd, "error: the server stopped\n");
	if (m.ctl_fd >= 0) {
		close(m.ctl_fd);
		if (unlink(m.ctl_path) < 0)
			log_errno(LOG_WARN, "unlink(\"%s\")", m.ctl_path);
	}
	if (m.pid_file[0] != '\0')
		remove_pid_file(m.pid_file);
	if (m.peer_fd >= 0)
		close(m.peer_fd);
	log_info("stopped");
	log_close();
	free(m.procs.p);
	free(m.relay);
	free(m.pfd);
	scoreboard_destroy(m.sb);
	mime_free();
	return 0;
}
