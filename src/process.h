/*
 * process.h -- the master's table of worker processes: spawn, find,
 * signal, forget.  The supervision policy (when to spawn, retire, kill)
 * lives in master.c; this file only does the mechanics.
 */
#ifndef PH_PROCESS_H
#define PH_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "listen.h"
#include "scoreboard.h"

struct proc {
	pid_t pid;          /* 0: free entry */
	int slot;           /* scoreboard slot */
	struct sb_slot *sbs; /* ... itself */
	uint32_t generation;
	int ctl_fd;         /* master's end of the control socketpair */
	int64_t started_ms;
	bool retiring;      /* told to stop */
	bool ctl_closed;    /* its end of the control channel is closed: it exits */
	int64_t kill_at_ms; /* retiring: SIGKILL at this time (0: none) */
	bool watchdog;      /* killed by the watchdog */
};

struct proc_table {
	struct proc *p;
	size_t cap;
};

struct spawn_args {
	const struct config *cfg;
	struct scoreboard *sb;
	uint32_t generation;
	const struct listener *listeners;
	size_t nlisteners;
	int notify_fd;
	/* Descriptors of the master the child must not keep. */
	const int *close_fds;
	size_t nclose_fds;
};

int proc_table_init(struct proc_table *t, size_t cap);

/* Fork a worker.  Returns its entry, or NULL (logged) on failure. */
struct proc *proc_spawn(struct proc_table *t, const struct spawn_args *a);

struct proc *proc_find(struct proc_table *t, pid_t pid);

/* Tell p to stop gracefully (CTL_QUIT or CTL_DRAIN); kill it after grace_ms. */
void proc_retire(struct proc *p, char cmd, int64_t now, int64_t grace_ms);

/* Send the reopened log descriptors. */
void proc_send_fds(struct proc *p, int error_fd, int access_fd);

/* After the process was reaped: close its channel, free its slot. */
void proc_forget(struct proc *p, struct scoreboard *sb);

/* Live entries of a generation; retiring ones counted only if asked. */
unsigned proc_count(const struct proc_table *t, uint32_t generation,
		    bool with_retiring);

/* Describe how a process ended: "exited with status 2", "killed by signal 9 (Killed)". */
void proc_status_text(int status, char *out, size_t cap);

#endif
