/*
 * master.h -- the supervising process.
 */
#ifndef PH_MASTER_H
#define PH_MASTER_H

#include "config.h"

/*
 * Bind the listeners of cfg (loaded from cfg_path), fork the workers and
 * supervise them until told to stop.  Takes ownership of cfg.  Returns the
 * process exit code: 0 after a stop, 2 when start-up failed (the reason is
 * logged, e.g. "bind 127.0.0.1:8080: Address already in use").  argv is
 * what USR2 executes again (with the binary found at start).
 */
/*
 * Block the signals the master handles, until master_run() waits for them:
 * called first thing, so that a signal sent while the configuration is
 * loaded is held instead of killing the process.
 */
void master_block_signals(void);

int master_run(const char *cfg_path, struct config *cfg, char **argv);

#endif
