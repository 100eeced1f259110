/*
 * log.c -- error log and access log (see log.h).
 *
 * Both logs are plain descriptors opened O_APPEND by the master and
 * inherited by the workers.  Error lines are written whole with one write(2)
 * each, so lines from several processes never interleave.  Access lines are
 * collected in a per-process buffer and written when it fills, when the
 * oldest line is a second old (the worker's waits wake up for that), and at
 * exit: one write per many requests instead of one per request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define ACCESS_BUF 65536
#define ACCESS_LINE_MAX 8192
#define ACCESS_FLUSH_MS 1000

static struct {
	int err_fd;
	enum log_level level;
	const char *err_path; /* NULL for stderr */
	int acc_fd;           /* -1: off */
	const char *acc_path; /* NULL for stdout/stderr */
	enum log_format fmt;
	char role[32];
	char acc_buf[ACCESS_BUF];
	size_t acc_len;
	int64_t acc_first_ms; /* when the oldest buffered line was added */
	time_t stamp_sec;
	char stamp[32]; /* "[25/Nov/2026:15:04:05 +0000]" */
} L = { .err_fd = 2, .level = LOG_INFO, .acc_fd = -1, .role = "master" };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_role(const char *role, int slot)
{
	if (slot >= 0)
		snprintf(L.role, sizeof(L.role), "%s %d", role, slot);
	else
		snprintf(L.role, sizeof(L.role), "%s", role);
}

bool log_enabled(enum log_level lvl)
{
	return lvl <= L.level;
}

static int open_target(const char *path, bool is_access)
{
	int fd;

	if (path == NULL)
		return -1;
	if (strcmp(path, "stdout") == 0)
		return 1;
	if (strcmp(path, "stderr") == 0)
		return 2;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		log_errno(LOG_ERROR, "open(\"%s\") for the %s log", path,
			  is_access ? "access" : "error");
	return fd;
}

static bool is_file(const char *path)
{
	return path && strcmp(path, "stdout") != 0 && strcmp(path, "stderr") != 0;
}

int log_open_error(const struct log_target *t)
{
	int fd;

	if (t == NULL)
		return 0;
	L.level = t->level;
	if (t->path == NULL) { /* off: errors still go somewhere: stderr */
		L.err_fd = 2;
		L.err_path = NULL;
		return 0;
	}
	fd = open_target(t->path, false);
	if (fd < 0)
		return -1;
	if (L.err_fd > 2)
		close(L.err_fd);
	L.err_fd = fd;
	L.err_path = is_file(t->path) ? t->path : NULL;
	return 0;
}

int log_open_access(const struct log_target *t)
{
	int fd = -1;

	log_access_flush();
	if (t->path != NULL) {
		fd = open_target(t->path, true);
		if (fd < 0)
			return -1;
	}
	if (L.acc_fd > 2)
		close(L.acc_fd);
	L.acc_fd = fd;
	L.acc_path = is_file(t->path) ? t->path : NULL;
	L.fmt = t->format;
	return 0;
}

static void reopen_one(int *fd, const char *path)
{
	int nfd;

	if (path == NULL)
		return;
	nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (nfd < 0) {
		log_errno(LOG_ERROR, "reopen \"%s\" (keeping the old file)", path);
		return;
	}
	if (*fd > 2)
		close(*fd);
	*fd = nfd;
}

void log_reopen(void)
{
	log_access_flush();
	reopen_one(&L.err_fd, L.err_path);
	reopen_one(&L.acc_fd, L.acc_path);
}

void log_fds(int *error_fd, int *access_fd)
{
	*error_fd = L.err_fd;
	*access_fd = L.acc_fd;
}

void log_adopt(int error_fd, int access_fd)
{
	log_access_flush();
	if (error_fd >= 0 && error_fd != L.err_fd) {
		if (L.err_fd > 2)
			close(L.err_fd);
		L.err_fd = error_fd;
	}
	if (access_fd >= 0 && access_fd != L.acc_fd) {
		if (L.acc_fd > 2)
			close(L.acc_fd);
		L.acc_fd = access_fd;
	}
}

void log_close(void)
{
	log_access_flush();
	if (L.acc_fd > 2)
		close(L.acc_fd);
	L.acc_fd = -1;
}

bool log_access_enabled(void)
{
	return L.acc_fd >= 0;
}

/* Write all of buf; on a full disk or a closed pipe, the line is lost. */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void vlog(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s[%ld]: ",
		     ts.tv_nsec / 1000000, level_names[lvl], L.role,
		     (long)getpid());
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n = n + (size_t)r < sizeof(line) ? n + (size_t)r : sizeof(line) - 1;
	if (err != 0 && n < sizeof(line) - 1) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
		if (r > 0)
			n = n + (size_t)r < sizeof(line) ? n + (size_t)r : sizeof(line) - 1;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	write_all(L.err_fd, line, n);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vlog(lvl, 0, fmt, ap);
	va_end(ap);
}

void log_errno(enum log_level lvl, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vlog(lvl, err, fmt, ap);
	va_end(ap);
	errno = err;
}

void log_access_flush(void)
{
	if (L.acc_len > 0 && L.acc_fd >= 0)
		write_all(L.acc_fd, L.acc_buf, L.acc_len);
	L.acc_len = 0;
}

int log_access_due_ms(int64_t now)
{
	int64_t left;

	if (L.acc_len == 0)
		return -1;
	left = L.acc_first_ms + ACCESS_FLUSH_MS - now;
	return left < 0 ? 0 : (int)left;
}

static const char *access_stamp(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != L.stamp_sec) {
		L.stamp_sec = ts.tv_sec;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(L.stamp, sizeof(L.stamp), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
	}
	return L.stamp;
}

/* Append s, escaping '"', '\\' and control bytes (\xHH), as nginx does. */
static size_t put_escaped(char *out, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	return n;
}

static size_t put_field(char *out, size_t cap, const char *s, size_t len)
{
	if (s == NULL || len == 0) {
		if (cap < 2)
			return 0;
		out[0] = '-';
		return 1;
	}
	return put_escaped(out, cap, s, len);
}

static size_t format_combined(char *o, size_t cap, const struct access_entry *e)
{
	int r = snprintf(o, cap, "%s - - %s \"", e->remote, access_stamp());
	size_t n = r > 0 ? (size_t)r : 0;

	n += put_escaped(o + n, cap - n, e->method, e->method_len);
	n += put_escaped(o + n, cap - n, " ", 1);
	n += put_escaped(o + n, cap - n, e->target, e->target_len);
	r = snprintf(o + n, cap - n, " HTTP/%d.%d\" %d %llu \"", e->http_major,
		     e->http_minor, e->status, e->bytes);
	n += r > 0 ? (size_t)r : 0;
	n += put_field(o + n, cap - n, e->referer, e->referer_len);
	if (n + 3 < cap) {
		memcpy(o + n, "\" \"", 3);
		n += 3;
	}
	n += put_field(o + n, cap - n, e->user_agent, e->user_agent_len);
	if (n + 2 < cap) {
		o[n++] = '"';
		o[n++] = '\n';
	}
	return n;
}

static size_t format_json(char *o, size_t cap, const struct access_entry *e)
{
	struct timespec ts;
	struct tm tm;
	char t[40];
	int r;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(o, cap, "{\"time\":\"%s.%03ldZ\",\"remote\":\"%s\",\"method\":\"",
		     t, ts.tv_nsec / 1000000, e->remote);
	n = r > 0 ? (size_t)r : 0;
	n += put_escaped(o + n, cap - n, e->method, e->method_len);
	n += (size_t)snprintf(o + n, cap - n, "\",\"target\":\"");
	n += put_escaped(o + n, cap - n, e->target, e->target_len);
	r = snprintf(o + n, cap - n,
		     "\",\"protocol\":\"HTTP/%d.%d\",\"status\":%d,\"bytes\":%llu,"
		     "\"duration_us\":%lld,\"referer\":\"",
		     e->http_major, e->http_minor, e->status, e->bytes,
		     e->duration_us);
	n += r > 0 ? (size_t)r : 0;
	n += put_escaped(o + n, cap - n, e->referer, e->referer_len);
	n += (size_t)snprintf(o + n, cap - n, "\",\"user_agent\":\"");
	n += put_escaped(o + n, cap - n, e->user_agent, e->user_agent_len);
	n += (size_t)snprintf(o + n, cap - n, "\",\"request_id\":\"");
	n += put_escaped(o + n, cap - n, e->request_id, e->request_id_len);
	if (n + 3 < cap) {
		memcpy(o + n, "\"}\n", 3);
		n += 3;
	}
	return n;
}

void log_access(const struct access_entry *e)
{
	char *dst;
	size_t n;

	if (L.acc_fd < 0)
		return;
	if (ACCESS_BUF - L.acc_len < ACCESS_LINE_MAX)
		log_access_flush();
	dst = L.acc_buf + L.acc_len;
	if (L.fmt == LOG_FORMAT_JSON)
		n = format_json(dst, ACCESS_LINE_MAX, e);
	else
		n = format_combined(dst, ACCESS_LINE_MAX, e);
	if (n > 0 && dst[n - 1] != '\n')
		dst[n - 1] = '\n';
	if (L.acc_len == 0)
		L.acc_first_ms = now_ms();
	L.acc_len += n;
}
