/*
 * child.h -- what every process the master forks (workers, the admin
 * process) does first: ignore the signals meant for the master, die with
 * the master, and drop privileges.
 */
#ifndef PH_CHILD_H
#define PH_CHILD_H

#include "config.h"

/*
 * Ignore the master's signals (the master speaks to its children through
 * their control channel), restore default SIGCHLD and an empty signal
 * mask, and arrange to be killed when the master dies.  Exits at once if
 * the master is already gone.
 */
void child_setup(void);

/* Become cfg->user (and group) when running as root.  0 or -1 (logged). */
int child_drop_privileges(const struct config *cfg);

#endif
