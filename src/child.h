/*
 * child.h -- what every process the master forks (workers, the admin
 * process) does first: ignore the signals meant for the master, die with
 * the master, and drop privileges.
 */
#ifndef PH_CHILD_H
#define PH_CHILD_H

#include "config.h"

#include <sys/types.h>

/*
 * Note the calling process as the master, before it forks any child:
 * child_setup() checks that its parent is still this process.
 */
void child_note_master(void);

/*
 * Ignore the master's signals (the master speaks to its children through
 * their control channel), restore default SIGCHLD and an empty signal
 * mask, and arrange to be killed when the master dies.  Exits at once if
 * the master is already gone.
 */
void child_setup(void);

/*
 * The next command on the control channel from the master, without
 * waiting: the command byte (worker.h CTL_*), 0 when the master is gone
 * (EOF), -1 when none is pending, -2 on an error (logged).  The log
 * descriptors that come with CTL_REOPEN are taken over here.
 */
int child_ctl_next(int fd);

/* Become cfg->user (and group) when running as root.  0 or -1 (logged). */
int child_drop_privileges(const struct config *cfg);

#endif
