#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpus.h"

/* A fake file system root: proc/self/{cgroup,mountinfo} and cgroup files. */
static char root[PATH_MAX];

static void setup(void)
{
	char tmpl[] = "/tmp/ph-cpus-XXXXXX";

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp: %s", strerror(errno));
	snprintf(root, sizeof(root), "%s", tmpl);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	if (root[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(cpus, .init = setup, .fini = teardown);

/* Writes root + path (an absolute path) with its directories. */
static void put(const char *path, const char *text)
{
	char full[PATH_MAX];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (char *p = full + strlen(root) + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		cr_assert(mkdir(full, 0755) == 0 || errno == EEXIST,
			  "mkdir %s: %s", full, strerror(errno));
		*p = '/';
	}
	f = fopen(full, "w");
	cr_assert_not_null(f, "%s: %s", full, strerror(errno));
	cr_assert_geq(fputs(text, f), 0);
	cr_assert_eq(fclose(f), 0);
}

/* Unrelated mounts around the cgroup ones, as in a real mountinfo. */
#define MI_ROOTFS "1 0 8:1 / / rw,relatime - ext4 /dev/vda rw\n"
#define MI_PROC "2 1 0:5 / /proc rw,nosuid - proc proc rw\n"

/* A container with its own cgroup namespace (cgroup v2 only). */
static void v2_container(const char *cpu_max)
{
	put("/proc/self/cgroup", "0::/\n");
	put("/proc/self/mountinfo",
	    MI_ROOTFS MI_PROC
	    "30 1 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 "
	    "cgroup2 rw,nsdelegate\n");
	if (cpu_max != NULL)
		put("/sys/fs/cgroup/cpu.max", cpu_max);
}

Test(cpus, v2_quota_rounds_up)
{
	v2_container("150000 100000\n");
	cr_expect_eq(cpus_quota(root), 2);
}

Test(cpus, v2_exact_and_below_one)
{
	v2_container("300000 100000\n");
	cr_expect_eq(cpus_quota(root), 3);
	v2_container("50000 100000\n");
	cr_expect_eq(cpus_quota(root), 1);
	v2_container("250001 100000\n");
	cr_expect_eq(cpus_quota(root), 3);
}

Test(cpus, v2_max_is_no_limit)
{
	v2_container("max 100000\n");
	cr_expect_eq(cpus_quota(root), 0);
}

Test(cpus, v2_garbage_is_no_limit)
{
	v2_container("lots\n");
	cr_expect_eq(cpus_quota(root), 0);
	v2_container("");
	cr_expect_eq(cpus_quota(root), 0);
}

Test(cpus, nothing_there_is_no_limit)
{
	cr_expect_eq(cpus_quota(root), 0);
	put("/proc/self/cgroup", "0::/\n");
	cr_expect_eq(cpus_quota(root), 0); /* no mountinfo */
}

/* The smallest limit on the way up from the cgroup to the mount point. */
Test(cpus, v2_ancestors_count)
{
	put("/proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
	put("/proc/self/mountinfo",
	    MI_ROOTFS "30 1 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 "
	    "cgroup2 rw\n");
	put("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000\n");
	put("/sys/fs/cgroup/kubepods/pod1/cpu.max", "200000 100000\n");
	put("/sys/fs/cgroup/kubepods/cpu.max", "400000 100000\n");
	cr_expect_eq(cpus_quota(root), 2);
	put("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "100000 100000\n");
	cr_expect_eq(cpus_quota(root), 1);
	/* Above the mount point is out of reach: /sys/fs/cpu.max is not read. */
	put("/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "max 100000\n");
	put("/sys/fs/cgroup/kubepods/pod1/cpu.max", "max 100000\n");
	put("/sys/fs/cgroup/kubepods/cpu.max", "max 100000\n");
	put("/sys/fs/cpu.max", "100000 100000\n");
	cr_expect_eq(cpus_quota(root), 0);
}

/*
 * A hybrid host as seen from a runc container without a cgroup namespace:
 * /proc/self/cgroup has the host's paths, the cpu hierarchy is mounted
 * with the container's cgroup as its root, and the v2 hierarchy has no
 * cpu controller (no cpu.max).  A cpuset hierarchy comes first and must
 * not be taken for "cpu", nor cpuacct mounted on its own.
 */
Test(cpus, v1_hybrid_container)
{
	put("/proc/self/cgroup",
	    "9:cpuset:/libpod_parent/libpod-abc\n"
	    "2:cpuacct:/libpod_parent/libpod-abc\n"
	    "1:cpu:/libpod_parent/libpod-abc\n"
	    "0::/\n");
	put("/proc/self/mountinfo",
	    MI_ROOTFS MI_PROC
	    "40 1 0:30 / /sys/fs/cgroup ro - tmpfs tmpfs ro\n"
	    "41 40 0:31 /libpod_parent/libpod-abc /sys/fs/cgroup/cpuset ro - "
	    "cgroup cgroup rw,cpuset\n"
	    "42 40 0:32 /libpod_parent/libpod-abc /sys/fs/cgroup/cpuacct ro - "
	    "cgroup cgroup rw,cpuacct\n"
	    "43 40 0:33 /libpod_parent/libpod-abc /sys/fs/cgroup/cpu ro - "
	    "cgroup cgroup rw,cpu\n"
	    "44 40 0:34 / /sys/fs/cgroup/unified ro - cgroup2 cgroup2 rw\n");
	put("/sys/fs/cgroup/cpuset/cpu.cfs_quota_us", "300000\n");
	put("/sys/fs/cgroup/cpuset/cpu.cfs_period_us", "100000\n");
	put("/sys/fs/cgroup/cpuacct/cpu.cfs_quota_us", "300000\n");
	put("/sys/fs/cgroup/cpuacct/cpu.cfs_period_us", "100000\n");
	put("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "100000\n");
	put("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
	cr_expect_eq(cpus_quota(root), 1);
	put("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
	cr_expect_eq(cpus_quota(root), 0);
}

/* v1 on the host: co-mounted cpu,cpuacct, the mount's root is "/". */
Test(cpus, v1_host_paths)
{
	put("/proc/self/cgroup",
	    "4:memory:/system.slice/web.service\n"
	    "3:cpu,cpuacct:/system.slice/web.service\n"
	    "0::/system.slice/web.service\n");
	put("/proc/self/mountinfo",
	    MI_ROOTFS
	    "25 1 0:22 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup "
	    "cgroup rw,cpu,cpuacct\n");
	put("/sys/fs/cgroup/cpu,cpuacct/system.slice/web.service/"
	    "cpu.cfs_quota_us", "250000\n");
	put("/sys/fs/cgroup/cpu,cpuacct/system.slice/web.service/"
	    "cpu.cfs_period_us", "100000\n");
	cr_expect_eq(cpus_quota(root), 3);
}

/* Both hierarchies limit: the smaller limit wins, either way round. */
Test(cpus, v1_and_v2_smaller_wins)
{
	put("/proc/self/cgroup", "1:cpu:/\n0::/\n");
	put("/proc/self/mountinfo",
	    "43 1 0:33 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
	    "44 1 0:34 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
	put("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "400000\n");
	put("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
	put("/sys/fs/cgroup/unified/cpu.max", "200000 100000\n");
	cr_expect_eq(cpus_quota(root), 2);
	put("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "100000\n");
	cr_expect_eq(cpus_quota(root), 1);
}

/* The mount's root is an ancestor of the cgroup (a pod's cgroup mounted
 * in its container): the rest of the path is below the mount point. */
Test(cpus, cgroup_below_the_mount_root)
{
	put("/proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
	put("/proc/self/mountinfo",
	    "30 1 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	put("/sys/fs/cgroup/cpu.max", "400000 100000\n");
	put("/sys/fs/cgroup/ctr/cpu.max", "100000 100000\n");
	cr_expect_eq(cpus_quota(root), 1);
	/* "/kubepods/pod10" is not below "/kubepods/pod1". */
	put("/proc/self/cgroup", "0::/kubepods/pod10/ctr\n");
	put("/sys/fs/cgroup/0/ctr/cpu.max", "100000 100000\n");
	cr_expect_eq(cpus_quota(root), 4);
}

/* The cgroup path is outside the mount's root (another namespace): the
 * mount point's own files are used; likewise for "/.." paths. */
Test(cpus, cgroup_outside_the_mount)
{
	put("/proc/self/cgroup", "0::/../../other\n");
	put("/proc/self/mountinfo",
	    "30 1 0:26 /mine /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	put("/sys/fs/cgroup/cpu.max", "100000 100000\n");
	cr_expect_eq(cpus_quota(root), 1);
}

/* Mount points with spaces are escaped as \040 in mountinfo. */
Test(cpus, escaped_mount_point)
{
	put("/proc/self/cgroup", "0::/a\n");
	put("/proc/self/mountinfo",
	    "30 1 0:26 / /my\\040cgroups rw - cgroup2 cgroup2 rw\n");
	put("/my cgroups/a/cpu.max", "200000 100000\n");
	cr_expect_eq(cpus_quota(root), 2);
}

/* A mountinfo line without optional fields, or with several. */
Test(cpus, mountinfo_optional_fields)
{
	put("/proc/self/cgroup", "0::/\n");
	put("/proc/self/mountinfo",
	    "30 1 0:26 / /sys/fs/cgroup rw shared:4 master:7 unbindable - "
	    "cgroup2 cgroup2 rw\n");
	put("/sys/fs/cgroup/cpu.max", "700000 100000\n");
	cr_expect_eq(cpus_quota(root), 7);
}

Test(cpus, affinity_and_available)
{
	cpu_set_t set;
	unsigned aff = cpus_affinity();
	unsigned avail = cpus_available();
	unsigned q = cpus_quota("");

	CPU_ZERO(&set);
	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	cr_expect_eq(aff, (unsigned)CPU_COUNT(&set));
	cr_expect_geq(avail, 1);
	cr_expect_eq(avail, q != 0 && q < aff ? q : aff);
}
