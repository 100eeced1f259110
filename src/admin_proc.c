/*
 * admin_proc.c -- forking and tracking the admin process (see admin_proc.h).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "admin_proc.h"
#include "log.h"
#include "util.h"
#include "ctl.h"

#define ADMIN_RESPAWN_MS 1000 /* after a death within this long of its start */

void admin_proc_init(struct admin_proc *ap)
{
	memset(ap, 0, sizeof(*ap));
	ap->http.fd = -1;
	ap->agent.fd = -1;
	ap->ctl = -1;
}

static void sock_close(struct listener *l)
{
	if (l->fd < 0)
		return;
	if (close(l->fd) < 0)
		log_errno(LOG_WARN, "close(%s)", l->addr.text);
	if (l->addr.family == AF_UNIX) {
		const char *path = l->addr.text + strlen("unix:");
		if (unlink(path) < 0 && errno != ENOENT)
			log_errno(LOG_WARN, "unlink(\"%s\")", path);
	}
	l->fd = -1;
}

/* The socket for addr into *next: the current one when the address is the
 * same, else a new one.  0 or -1. */
static int sock_for(const struct listener *cur, bool enabled,
		    const struct listen_addr *addr, int backlog,
		    struct listener *next, char *err, size_t errlen)
{
	next->fd = -1;
	if (!enabled)
		return 0;
	next->addr = *addr;
	if (cur->fd >= 0 && strcmp(cur->addr.text, addr->text) == 0) {
		next->fd = cur->fd;
		return 0;
	}
	next->fd = listener_open(addr, backlog, err, errlen);
	return next->fd < 0 ? -1 : 0;
}

int admin_proc_listen(struct admin_proc *ap, const struct config *cfg,
		      char *err, size_t errlen)
{
	struct listener http, agent;
	struct listen_addr agent_addr;
	int backlog = cfg->backlog > 0 ? cfg->backlog : 64;

	if (sock_for(&ap->http, cfg->admin_enabled, &cfg->admin_listen,
		     backlog, &http, err, errlen) < 0)
		return -1;
	/* An agent check connects and waits for the line without sending
	 * anything: TCP_DEFER_ACCEPT would hold it in the kernel. */
	agent_addr = cfg->agent_check;
	agent_addr.defer_accept = false;
	if (sock_for(&ap->agent, cfg->agent_check_enabled, &agent_addr,
		     backlog, &agent, err, errlen) < 0) {
		if (http.fd >= 0 && http.fd != ap->http.fd)
			sock_close(&http);
		return -1;
	}
	if (ap->http.fd != http.fd)
		sock_close(&ap->http);
	if (ap->agent.fd != agent.fd)
		sock_close(&ap->agent);
	ap->http = http;
	ap->agent = agent;
	return 0;
}

bool admin_proc_wanted(const struct admin_proc *ap)
{
	return ap->http.fd >= 0 || ap->agent.fd >= 0;
}

int admin_proc_spawn(struct admin_proc *ap, const struct config *cfg,
		     struct scoreboard *sb, const struct listener *ls,
		     size_t nls, const struct proc_table *procs,
		     const int *close_fds, size_t nclose, int64_t now)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_errno(LOG_ERROR, "socketpair(admin control)");
		ap->respawn_at = now + ADMIN_RESPAWN_MS;
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(LOG_ERROR, "fork(admin process)");
		close(sv[0]);
		close(sv[1]);
		ap->respawn_at = now + ADMIN_RESPAWN_MS;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		for (size_t i = 0; i < procs->cap; i++)
			if (procs->p[i].pid != 0 && procs->p[i].ctl_fd >= 0)
				close(procs->p[i].ctl_fd);
		for (size_t i = 0; i < nclose; i++)
			if (close_fds[i] >= 0)
				close(close_fds[i]);
		admin_run(cfg, sb, ls, nls, ap->http.fd, ap->agent.fd, sv[1]);
	}
	if (close(sv[1]) < 0)
		log_errno(LOG_WARN, "close(admin control, child end)");
	ap->pid = pid;
	ap->ctl = sv[0];
	ap->quitting = false;
	ap->started_ms = now;
	return 0;
}

bool admin_proc_due(const struct admin_proc *ap, int64_t now, bool stopping)
{
	return !stopping && ap->pid == 0 && admin_proc_wanted(ap) &&
	       now >= ap->respawn_at;
}

bool admin_proc_reaped(struct admin_proc *ap, pid_t pid, int status,
		       int64_t now, bool stopping)
{
	char why[96];

	if (pid != ap->pid || pid == 0)
		return false;
	proc_status_text(status, why, sizeof(why));
	if (ap->quitting || stopping)
		log_debug("admin process (pid %d) %s", (int)pid, why);
	else
		log_warn("admin process (pid %d) %s; starting another", (int)pid,
			 why);
	if (ap->ctl >= 0 && close(ap->ctl) < 0)
		log_errno(LOG_WARN, "close(admin control)");
	ap->ctl = -1;
	ap->pid = 0;
	ap->respawn_at = !ap->quitting && now - ap->started_ms < ADMIN_RESPAWN_MS
				 ? now + ADMIN_RESPAWN_MS
				 : now;
	ap->quitting = false;
	return true;
}

void admin_proc_restart(struct admin_proc *ap)
{
	char cmd = CTL_QUIT;

	if (ap->pid == 0 || ap->quitting)
		return;
	ap->quitting = true;
	if (send(ap->ctl, &cmd, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_errno(LOG_WARN, "send(admin control)");
		kill(ap->pid, SIGKILL);
	}
}

void admin_proc_send_fds(struct admin_proc *ap, int error_fd, int access_fd)
{
	struct proc p = { .pid = ap->pid, .ctl_fd = ap->ctl };

	if (ap->pid != 0 && !ap->quitting)
		proc_send_fds(&p, error_fd, access_fd);
}

size_t admin_proc_fds(const struct admin_proc *ap, int out[3])
{
	size_t n = 0;

	if (ap->http.fd >= 0)
		out[n++] = ap->http.fd;
	if (ap->agent.fd >= 0)
		out[n++] = ap->agent.fd;
	if (ap->ctl >= 0)
		out[n++] = ap->ctl;
	return n;
}

void admin_proc_stop(struct admin_proc *ap)
{
	if (ap->pid == 0)
		return;
	if (kill(ap->pid, SIGKILL) < 0 && errno != ESRCH)
		log_errno(LOG_WARN, "kill(admin process %d)", (int)ap->pid);
	while (waitpid(ap->pid, NULL, 0) < 0) {
		if (errno != EINTR) {
			log_errno(LOG_WARN, "waitpid(admin process %d)", (int)ap->pid);
			break;
		}
	}
	if (ap->ctl >= 0 && close(ap->ctl) < 0)
		log_errno(LOG_WARN, "close(admin control)");
	ap->ctl = -1;
	ap->pid = 0;
}

void admin_proc_close(struct admin_proc *ap)
{
	sock_close(&ap->http);
	sock_close(&ap->agent);
}
