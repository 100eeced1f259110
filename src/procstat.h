/*
 * procstat.h -- what Linux's /proc says of a process: CPU time, resident
 * memory, start time and open descriptors, for the standard process_*
 * metrics (metrics.c).
 *
 * Read from /proc/PID/stat (CPU time, start time, resident pages) and by
 * counting /proc/PID/fd.  A process of another user, or one that is not
 * dumpable (a worker that dropped privileges from root is not), keeps
 * its fd directory from us: that part is then missing (has_fds false),
 * never guessed.  No allocation: the files are read into stack buffers
 * and the directory with getdents64.
 */
#ifndef PH_PROCSTAT_H
#define PH_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_usage {
	bool has_stat;        /* the three below were read */
	double cpu_seconds;   /* user + system */
	double children_cpu_seconds; /* the same of the children it reaped */
	uint64_t rss_bytes;
	double start_time;    /* Unix time, seconds */
	bool has_fds;
	uint64_t open_fds;
};

/*
 * Fill u for pid (0: this process).  Returns 0 when /proc/PID/stat was
 * read, -1 when the process is gone or unreadable (nothing logged but at
 * debug level: a worker may exit between the scoreboard and the read).
 */
int proc_usage_read(pid_t pid, struct proc_usage *u);

#endif
