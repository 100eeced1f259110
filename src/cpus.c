/*
 * cpus.c -- how many CPUs this process may use (see cpus.h).
 *
 * A cgroup's files are found the way the kernel publishes them:
 * /proc/self/cgroup names the process's cgroup in each hierarchy
 * ("0::/path" for v2, "N:cpu,cpuacct:/path" for the v1 hierarchy with the
 * cpu controller), /proc/self/mountinfo says where that hierarchy is
 * mounted and which of its cgroups is the root of the mount.  Inside a
 * container the mount's root is usually the container's own cgroup, so
 * the path relative to it is "/" and the files are those of the mount
 * point itself.
 */
#include "cpus.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* The most CPUs sched_getaffinity is asked about (the mask grows to it). */
#define CPUS_MASK_MAX 65536

/* Where one cgroup hierarchy's files for this process are. */
struct hier {
	char cgroup[PATH_MAX];    /* from /proc/self/cgroup; "" when not found */
	char mnt_root[PATH_MAX];  /* from mountinfo; "" when not mounted */
	char mnt_point[PATH_MAX];
};

/* fopen(root + path), close-on-exec.  NULL when absent (logged otherwise). */
static FILE *open_under(const char *root, const char *path)
{
	char full[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >=
	    sizeof(full))
		return NULL;
	f = fopen(full, "re");
	if (f == NULL && errno != ENOENT && errno != ENOTDIR)
		log_errno(LOG_WARN, "cpus: open(\"%s\")", full);
	return f;
}

/* The first line of root + path, without its newline.  0, or -1 when absent. */
static int read_line(const char *root, const char *path, char *buf,
		     size_t size)
{
	FILE *f = open_under(root, path);
	int rc = -1;

	if (f == NULL)
		return -1;
	if (fgets(buf, (int)size, f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		rc = 0;
	} else if (ferror(f)) {
		log_errno(LOG_WARN, "cpus: read(\"%s%s\")", root, path);
	}
	fclose(f);
	return rc;
}

/* Whether the comma-separated list has the exact word. */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == wl && strncmp(p, word, wl) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Copies s into out, turning mountinfo's octal escapes ("\040") back. */
static void unescape(const char *s, char *out, size_t size)
{
	size_t o = 0;

	while (*s != '\0' && o + 1 < size) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			out[o++] = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					  (s[3] - '0'));
			s += 4;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
}

/* The process's cgroup in v2 (v2) and in the v1 hierarchy with "cpu" (v1). */
static void read_cgroups(const char *root, struct hier *v2, struct hier *v1)
{
	FILE *f = open_under(root, "/proc/self/cgroup");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *ctl, *path;

		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		if (ctl == NULL)
			continue;
		*ctl++ = '\0';
		path = strchr(ctl, ':');
		if (path == NULL)
			continue;
		*path++ = '\0';
		if (strcmp(line, "0") == 0 && *ctl == '\0')
			snprintf(v2->cgroup, sizeof(v2->cgroup), "%s", path);
		else if (has_word(ctl, "cpu"))
			snprintf(v1->cgroup, sizeof(v1->cgroup), "%s", path);
	}
	if (ferror(f))
		log_errno(LOG_WARN, "cpus: read(\"%s/proc/self/cgroup\")", root);
	free(line);
	fclose(f);
}

/*
 * Where the hierarchies are mounted.  A mountinfo line:
 *   36 35 98:0 /ROOT /MOUNT/POINT rw,nosuid [optional fields] - FSTYPE SOURCE SUPEROPTS
 * The first mount of each hierarchy counts.
 */
static void read_mounts(const char *root, struct hier *v2, struct hier *v1)
{
	FILE *f = open_under(root, "/proc/self/mountinfo");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *field[6] = { 0 }, *save = NULL, *tok, *fstype, *opts;
		struct hier *h;
		int i;

		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " ", &save);
		for (i = 0; i < 6 && tok != NULL; i++) {
			field[i] = tok;
			tok = strtok_r(NULL, " ", &save);
		}
		if (i < 6)
			continue;
		/* The optional fields end with a lone "-". */
		while (tok != NULL && strcmp(tok, "-") != 0)
			tok = strtok_r(NULL, " ", &save);
		fstype = strtok_r(NULL, " ", &save);
		if (fstype == NULL || strtok_r(NULL, " ", &save) == NULL)
			continue;
		opts = strtok_r(NULL, " ", &save);
		if (strcmp(fstype, "cgroup2") == 0)
			h = v2;
		else if (strcmp(fstype, "cgroup") == 0 && opts != NULL &&
			 has_word(opts, "cpu"))
			h = v1;
		else
			continue;
		if (h->mnt_point[0] != '\0')
			continue;
		unescape(field[3], h->mnt_root, sizeof(h->mnt_root));
		unescape(field[4], h->mnt_point, sizeof(h->mnt_point));
	}
	if (ferror(f))
		log_errno(LOG_WARN, "cpus: read(\"%s/proc/self/mountinfo\")",
			  root);
	free(line);
	fclose(f);
}

/*
 * The directory of the process's cgroup: the mount point plus the cgroup's
 * path below the mount's root.  A cgroup outside the mount's root (or
 * shown as "/.." from another cgroup namespace) has no directory of its
 * own here: the mount point's files are the nearest there are.
 */
static int cgroup_dir(const struct hier *h, char *out, size_t size)
{
	const char *rel = h->cgroup;
	size_t rl = strlen(h->mnt_root);

	if (h->cgroup[0] == '\0' || h->mnt_point[0] == '\0')
		return -1;
	if (strcmp(h->mnt_root, "/") != 0) {
		if (strncmp(rel, h->mnt_root, rl) == 0 &&
		    (rel[rl] == '/' || rel[rl] == '\0'))
			rel += rl;
		else
			rel = "";
	}
	if (strcmp(rel, "/") == 0 || strstr(rel, "/..") != NULL)
		rel = "";
	if ((size_t)snprintf(out, size, "%s%s", h->mnt_point, rel) >= size)
		return -1;
	return 0;
}

/* quota/period in CPUs, rounded up; 0 for no limit. */
static unsigned quota_cpus(uint64_t quota, uint64_t period)
{
	uint64_t n;

	if (quota == 0 || period == 0)
		return 0;
	n = quota / period + (quota % period != 0);
	return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

/* cgroup v2: "max 100000" or "150000 100000" in DIR/cpu.max. */
static unsigned limit_v2(const char *root, const char *dir)
{
	char path[PATH_MAX + 16], buf[128], *period;
	uint64_t q, p;

	snprintf(path, sizeof(path), "%s/cpu.max", dir);
	if (read_line(root, path, buf, sizeof(buf)) != 0)
		return 0;
	period = strchr(buf, ' ');
	if (period == NULL)
		return 0;
	*period++ = '\0';
	if (parse_u64(buf, &q) != 0 || parse_u64(period, &p) != 0)
		return 0; /* "max": no limit */
	return quota_cpus(q, p);
}

/* cgroup v1: DIR/cpu.cfs_quota_us ("-1": no limit) over cpu.cfs_period_us. */
static unsigned limit_v1(const char *root, const char *dir)
{
	char path[PATH_MAX + 24], buf[64];
	uint64_t q, p;

	snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir);
	if (read_line(root, path, buf, sizeof(buf)) != 0 ||
	    parse_u64(buf, &q) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir);
	if (read_line(root, path, buf, sizeof(buf)) != 0 ||
	    parse_u64(buf, &p) != 0)
		return 0;
	return quota_cpus(q, p);
}

/* The smallest limit of the cgroup and its ancestors up to the mount point. */
static unsigned hier_limit(const char *root, const struct hier *h, bool v2)
{
	char dir[PATH_MAX];
	size_t top = strlen(h->mnt_point);
	unsigned best = 0;

	if (cgroup_dir(h, dir, sizeof(dir)) != 0)
		return 0;
	for (;;) {
		unsigned n = v2 ? limit_v2(root, dir) : limit_v1(root, dir);
		char *slash;

		if (n != 0 && (best == 0 || n < best))
			best = n;
		if (strlen(dir) <= top)
			break;
		slash = strrchr(dir, '/');
		if (slash == NULL || (size_t)(slash - dir) < top)
			break;
		*slash = '\0';
	}
	return best;
}

unsigned cpus_quota(const char *root)
{
	struct hier v2 = { 0 }, v1 = { 0 };
	unsigned a, b;

	read_cgroups(root, &v2, &v1);
	read_mounts(root, &v2, &v1);
	a = hier_limit(root, &v2, true);
	b = hier_limit(root, &v1, false);
	if (a == 0 || (b != 0 && b < a))
		return b;
	return a;
}

unsigned cpus_affinity(void)
{
	int ncpu;
	long online;

	for (ncpu = 1024; ncpu <= CPUS_MASK_MAX; ncpu *= 2) {
		cpu_set_t *set = CPU_ALLOC((size_t)ncpu);
		size_t size = CPU_ALLOC_SIZE((size_t)ncpu);
		int n;

		if (set == NULL) {
			log_errno(LOG_WARN, "cpus: CPU_ALLOC(%d)", ncpu);
			break;
		}
		CPU_ZERO_S(size, set);
		if (sched_getaffinity(0, size, set) == 0) {
			n = CPU_COUNT_S(size, set);
			CPU_FREE(set);
			if (n >= 1)
				return (unsigned)n;
			break;
		}
		CPU_FREE(set);
		if (errno != EINVAL) { /* EINVAL: the mask is too small */
			log_errno(LOG_WARN, "cpus: sched_getaffinity");
			break;
		}
	}
	online = sysconf(_SC_NPROCESSORS_ONLN);
	return online < 1 ? 1 : online > UINT_MAX ? UINT_MAX : (unsigned)online;
}

unsigned cpus_available(void)
{
	unsigned n = cpus_affinity();
	unsigned q = cpus_quota("");

	if (q != 0 && q < n)
		n = q;
	return n < 1 ? 1 : n;
}
