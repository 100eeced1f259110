/*
 * cpus.h -- how many CPUs this process may use, for "workers: auto".
 *
 * The CPUs of the affinity mask (sched_getaffinity: what taskset, a cpuset
 * cgroup or a container's --cpuset-cpus allow), capped by the CPU bandwidth
 * quota of the cgroups the process is in, rounded up: a container limited
 * to 1.5 CPUs on a 16-CPU host gets 2, not 16.  The quota is read from
 * cgroup v2 cpu.max and from cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us
 * (a hybrid host has both hierarchies; the smaller limit wins), in the
 * process's own cgroup and every ancestor up to the mount point.
 */
#ifndef PH_CPUS_H
#define PH_CPUS_H

/* CPUs this process may use: min(affinity, quota), at least 1. */
unsigned cpus_available(void);

/* CPUs in the affinity mask (the online count when it cannot be read), >= 1. */
unsigned cpus_affinity(void);

/*
 * The CPU quota of this process's cgroups in CPUs, rounded up (>= 1), or 0
 * when there is none.  root is prepended to every path read
 * (/proc/self/cgroup, /proc/self/mountinfo and the cgroup files): "" for
 * the real system, a directory holding a fake tree in tests.  Files that do
 * not exist mean no limit; other read errors are logged and mean no limit.
 */
unsigned cpus_quota(const char *root);

#endif
