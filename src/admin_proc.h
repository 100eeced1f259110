/*
 * admin_proc.h -- the master's side of the admin process (admin.h): its
 * listening sockets, forking it, noticing its death, replacing it.
 *
 * The master owns the admin and agent-check sockets (opened before
 * dropping privileges, kept across reloads while the address is the same,
 * so a restarted admin process never makes a probe fail with "connection
 * refused": connections wait in the backlog for the next one).  The policy
 * (when to spawn, that it is not a worker) stays in master.c; this file
 * only does the mechanics, like process.c does for workers.
 */
#ifndef PH_ADMIN_PROC_H
#define PH_ADMIN_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "listen.h"
#include "process.h"
#include "scoreboard.h"

struct admin_proc {
	struct listener http;  /* admin.listen; fd -1 when not configured */
	struct listener agent; /* agent_check; fd -1 when not configured */
	pid_t pid;             /* 0: not running */
	int ctl;               /* the master's end of the control channel, or -1 */
	bool quitting;         /* told to exit: its end is expected */
	int64_t started_ms;
	int64_t respawn_at;    /* do not fork again before this */
};

void admin_proc_init(struct admin_proc *ap);

/*
 * Give ap the sockets cfg asks for: kept when the address is unchanged,
 * opened when new, closed when gone.  Returns 0, or -1 with the message in
 * err ("bind 127.0.0.1:9901: Address already in use") and ap unchanged.
 */
int admin_proc_listen(struct admin_proc *ap, const struct config *cfg,
		      char *err, size_t errlen);

/* True when cfg asks for the admin process (admin.listen or agent_check). */
bool admin_proc_wanted(const struct admin_proc *ap);

/*
 * Fork the admin process for cfg with the workers' listeners ls (for
 * readiness and queue metrics).  In the child, the master's ends of the
 * workers' control channels (procs) and close_fds are closed first.
 * Returns 0, or -1 (logged; respawn_at is pushed back).
 */
int admin_proc_spawn(struct admin_proc *ap, const struct config *cfg,
		     struct scoreboard *sb, const struct listener *ls,
		     size_t nls, const struct proc_table *procs,
		     const int *close_fds, size_t nclose, int64_t now);

/* Spawn now?  Wanted, not running, respawn_at passed, not stopping. */
bool admin_proc_due(const struct admin_proc *ap, int64_t now, bool stopping);

/*
 * After waitpid(): when pid is the admin process, log how it ended (a
 * warning unless it was told to quit or the server is stopping), forget
 * it, schedule its replacement and return true.  False for other pids.
 */
bool admin_proc_reaped(struct admin_proc *ap, pid_t pid, int status,
		       int64_t now, bool stopping);

/* Ask it to exit (after a reload, so the next one gets the new config). */
void admin_proc_restart(struct admin_proc *ap);

/* Hand it reopened log descriptors (SIGUSR1). */
void admin_proc_send_fds(struct admin_proc *ap, int error_fd, int access_fd);

/* The descriptors a worker must not keep: up to 3 into out, their count. */
size_t admin_proc_fds(const struct admin_proc *ap, int out[3]);

/* At exit: end the process (SIGKILL, waited for) and close the sockets. */
void admin_proc_stop(struct admin_proc *ap);
void admin_proc_close(struct admin_proc *ap);

#endif
