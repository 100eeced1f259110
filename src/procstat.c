/*
 * procstat.c -- process figures from /proc (see procstat.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "procstat.h"

/* Read a small /proc file whole into buf (NUL-terminated); its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0) {
		log_debug("open(\"%s\"): %s", path, strerror(errno));
		return -1;
	}
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_debug("read(\"%s\"): %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/*
 * /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and
 * parentheses, so the fields are counted from the last ')'.  Field 14 and
 * 15 are utime and stime, 16 and 17 the same of reaped children (CGI
 * scripts a worker ran), 22 the start in clock ticks after boot, 24 the
 * resident set in pages (proc(5)).
 */
static int read_stat(const char *dir, struct proc_usage *u)
{
	char path[64], buf[1024];
	unsigned long long f[25] = { 0 };
	const char *p;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct timespec real, boot;

	snprintf(path, sizeof(path), "%s/stat", dir);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strrchr(buf, ')');
	if (p == NULL || tick <= 0 || page <= 0)
		return -1;
	p++;
	for (int i = 3; i <= 24; i++) {
		char *end;
		while (*p == ' ')
			p++;
		if (i == 3) { /* the state letter */
			if (*p == '\0')
				return -1;
			p++;
			continue;
		}
		errno = 0;
		f[i] = strtoull(p, &end, 10);
		if (end == p || errno != 0)
			return -1;
		p = end;
	}
	if (clock_gettime(CLOCK_REALTIME, &real) < 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &boot) < 0) {
		log_errno(LOG_WARN, "clock_gettime");
		return -1;
	}
	u->cpu_seconds = (double)(f[14] + f[15]) / (double)tick;
	u->children_cpu_seconds = (double)(f[16] + f[17]) / (double)tick;
	u->rss_bytes = f[24] * (unsigned long long)page;
	/* started (boot now - start) seconds ago */
	u->start_time = (double)real.tv_sec + (double)real.tv_nsec / 1e9 -
			((double)boot.tv_sec + (double)boot.tv_nsec / 1e9 -
			 (double)f[22] / (double)tick);
	u->has_stat = true;
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Count the entries of /proc/PID/fd (but "." and ".."). */
static int count_fds(const char *dir, uint64_t *out)
{
	char path[64];
	char buf[4096] __attribute__((aligned(8)));
	uint64_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/fd", dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_debug("open(\"%s\"): %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			log_debug("getdents64(\"%s\"): %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			const struct linux_dirent64 *d =
				(const struct linux_dirent64 *)(void *)(buf + off);
			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	*out = n;
	return 0;
}

int proc_usage_read(pid_t pid, struct proc_usage *u)
{
	char dir[32];

	memset(u, 0, sizeof(*u));
	if (pid == 0)
		snprintf(dir, sizeof(dir), "/proc/self");
	else
		snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	if (read_stat(dir, u) < 0)
		return -1;
	u->has_fds = count_fds(dir, &u->open_fds) == 0;
	return 0;
}
