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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define ACCESS_BUF 65536
#define ACCESS_LINE_MAX 8192
#define ACCESS_FLUSH_MS 1000
#define FIELD_MAX 2048 /* escaped Referer and User-Agent, each, at most */
#define LINE_MAX_OUT 4096 /* an escaped request line that was refused, at most */

static struct {
	int err_fd;
	int err_journal; /* err_fd is the journal's stream: 1, 0, or -1 unknown */
	enum log_level level;
	const char *err_path; /* NULL for stderr */
	int acc_fd;           /* -1: off */
	const char *acc_path; /* NULL for stdout/stderr */
	enum log_format fmt;
	bool local_time; /* access log timestamps in local time, not UTC */
	char role[32];
	char acc_buf[ACCESS_BUF];
	size_t acc_len;
	int64_t acc_first_ms; /* when the oldest buffered line was added */
	time_t stamp_sec;
	char stamp[40]; /* "[25/Nov/2026:15:04:05 +0000]" */
} L = { .err_fd = 2, .err_journal = -1, .level = LOG_INFO, .acc_fd = -1,
	.role = "master" };

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

/*
 * Under systemd, stderr and stdout are often a stream to the journal,
 * named by JOURNAL_STREAM ("DEV:INODE" of that stream).  Lines written to
 * it get a "<N>" syslog priority prefix (sd-daemon(3)), which the journal
 * strips and keeps as the priority, so `journalctl -p warning` shows the
 * warnings and errors.  A file or a terminal gets no prefix.
 */
static int journal_stream(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(fd, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static void set_err_fd(int fd)
{
	L.err_fd = fd;
	L.err_journal = -1; /* looked at before the next line */
}

int log_open_error(const struct log_target *t)
{
	int fd;

	if (t == NULL)
		return 0;
	L.level = t->level;
	if (t->path == NULL) { /* off: errors still go somewhere: stderr */
		if (L.err_fd > 2)
			close(L.err_fd);
		set_err_fd(2);
		L.err_path = NULL;
		return 0;
	}
	fd = open_target(t->path, false);
	if (fd < 0)
		return -1;
	if (L.err_fd > 2)
		close(L.err_fd);
	set_err_fd(fd);
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
	L.local_time = t->time == LOG_TIME_LOCAL;
	if (L.local_time)
		tzset(); /* read the zone now, before privileges are dropped */
	L.stamp_sec = 0;
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
	int efd = L.err_fd;

	log_access_flush();
	reopen_one(&efd, L.err_path);
	set_err_fd(efd);
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
		set_err_fd(error_fd);
	}
	if (access_fd >= 0 && access_fd != L.acc_fd) {
		if (L.acc_fd > 2)
			close(L.acc_fd);
		L.acc_fd = access_fd;
	}
}

void log_adopt_cmsg(struct msghdr *mh)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	int fds[2] = { -1, -1 };

	if (cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS)
		return;
	size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	memcpy(fds, CMSG_DATA(cm), (n > 2 ? 2 : n) * sizeof(int));
	log_adopt(fds[0], fds[1]);
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
	static const char priority[] = { '3', '4', '6', '7' }; /* syslog's */
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n = 0;
	int r;

	if (L.err_journal < 0)
		L.err_journal = journal_stream(L.err_fd);
	if (L.err_journal) {
		line[n++] = '<';
		line[n++] = priority[lvl];
		line[n++] = '>';
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n += strftime(line + n, sizeof(line) - n, "%Y-%m-%dT%H:%M:%S", &tm);
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

/* The broken-down time of t in the access log's zone (access_log.time). */
static void access_tm(time_t t, struct tm *tm)
{
	if (L.local_time)
		localtime_r(&t, tm);
	else
		gmtime_r(&t, tm);
}

/* "[25/Nov/2026:15:04:05 +0000]", or with the local offset; once a second. */
static const char *access_stamp(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != L.stamp_sec) {
		L.stamp_sec = ts.tv_sec;
		access_tm(ts.tv_sec, &tm);
		strftime(L.stamp, sizeof(L.stamp), "[%d/%b/%Y:%H:%M:%S %z]", &tm);
	}
	return L.stamp;
}

/*
 * JSON's "time": RFC 3339 with milliseconds, "Z" for UTC or the local
 * offset ("2026-11-25T16:04:05.123+01:00").
 */
static void json_stamp(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char zone[8];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	access_tm(ts.tv_sec, &tm);
	n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!L.local_time) {
		snprintf(out + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
		return;
	}
	if (strftime(zone, sizeof(zone), "%z", &tm) != 5)
		snprintf(zone, sizeof(zone), "+0000");
	snprintf(out + n, cap - n, ".%03ld%.3s:%.2s", ts.tv_nsec / 1000000, zone,
		 zone + 3);
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

/* Length of the valid UTF-8 sequence at s (at most len bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1fu;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0fu;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Append s as the inside of a JSON string (RFC 8259): '"' and '\\' are
 * escaped with a backslash, control bytes and DEL as \u00XX, valid UTF-8
 * is kept, and every other byte is taken as the code point of the same
 * value (\u00XX), so each line stays valid JSON whatever a client sent.
 */
static size_t put_json(char *out, size_t cap, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0;

	for (size_t i = 0; i < len && n + 6 < cap;) {
		unsigned char c = s[i];
		size_t u;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			out[n++] = (char)c;
			i++;
		} else if (c >= 0x80 && (u = utf8_len(s + i, len - i)) > 0) {
			if (n + u + 6 >= cap)
				break;
			memcpy(out + n, s + i, u);
			n += u;
			i += u;
		} else {
			memcpy(out + n, "\\u00", 4);
			out[n + 4] = hex[c >> 4];
			out[n + 5] = hex[c & 15];
			n += 6;
			i++;
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

/*
 * Bounded appends for one access line: n never passes cap - 1, whatever
 * the escaped fields add up to (a long Referer of 0xff bytes grows four or
 * six times), so a line is cut short rather than written past its space.
 */
struct line {
	char *o;
	size_t cap, n;
};

static void put_fmt(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put_fmt(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (l->n + 1 >= l->cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->o + l->n, l->cap - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n = l->n + (size_t)r < l->cap ? l->n + (size_t)r : l->cap - 1;
}

static void put_esc(struct line *l, const char *s, size_t len, bool json)
{
	if (l->n + 1 >= l->cap)
		return;
	if (json)
		l->n += put_json(l->o + l->n, l->cap - l->n, s, len);
	else if (s == NULL || len == 0)
		l->n += put_field(l->o + l->n, l->cap - l->n, s, len);
	else
		l->n += put_escaped(l->o + l->n, l->cap - l->n, s, len);
}

/* The same with at most max bytes of output: for the long free-text fields,
 * so that the fields after them still have room. */
static void put_esc_max(struct line *l, const char *s, size_t len, bool json,
			size_t max)
{
	size_t cap = l->cap;

	if (l->n + max < cap)
		l->cap = l->n + max;
	put_esc(l, s, len, json);
	l->cap = cap;
}

/* The line must end with this; room is kept for it. */
static size_t put_end(struct line *l, const char *end)
{
	size_t e = strlen(end);

	if (l->n + e > l->cap)
		l->n = l->cap - e;
	memcpy(l->o + l->n, end, e);
	return l->n + e;
}

/*
 * JSON of a refused head: the next word of its line (up to a space, or the
 * rest when last) as a string value, "-" when there is none; p and n move
 * past it and the space.
 */
static void put_word(struct line *l, const char **p, size_t *n, bool last,
		     size_t max)
{
	size_t w = 0;

	while (w < *n && (last || (*p)[w] != ' '))
		w++;
	if (w == 0)
		put_fmt(l, "-");
	else
		put_esc_max(l, *p, w, true, max);
	if (w < *n)
		w++;
	*p += w;
	*n -= w;
}

static size_t format_combined(char *o, size_t cap, const struct access_entry *e)
{
	struct line l = { o, cap - 2, 0 }; /* room for "\"\n" */

	put_fmt(&l, "%s - ", e->remote);
	if (e->user != NULL)
		put_esc_max(&l, e->user, strlen(e->user), false, FIELD_MAX);
	else
		put_fmt(&l, "-");
	put_fmt(&l, " %s \"", access_stamp());
	if (e->method == NULL) { /* refused: the line as it came */
		put_esc_max(&l, e->line, e->line_len, false, LINE_MAX_OUT);
		put_fmt(&l, "\"");
	} else {
		put_esc(&l, e->method, e->method_len, false);
		put_fmt(&l, " ");
		put_esc(&l, e->target, e->target_len, false);
		put_fmt(&l, " HTTP/%d.%d\"", e->http_major, e->http_minor);
	}
	put_fmt(&l, " %d %llu \"", e->status, e->bytes);
	put_esc_max(&l, e->referer, e->referer_len, false, FIELD_MAX);
	put_fmt(&l, "\" \"");
	put_esc_max(&l, e->user_agent, e->user_agent_len, false, FIELD_MAX);
	l.cap = cap;
	return put_end(&l, "\"\n");
}

static size_t format_json(char *o, size_t cap, const struct access_entry *e)
{
	struct line l = { o, cap - 3, 0 }; /* room for "\"}\n" */
	char t[48];

	json_stamp(t, sizeof(t));
	put_fmt(&l, "{\"time\":\"%s\",\"remote\":\"", t);
	put_esc(&l, e->remote, strlen(e->remote), true);
	if (e->method == NULL) { /* refused: the words of the line as it came */
		const char *p = e->line;
		size_t n = p ? e->line_len : 0;
		put_fmt(&l, "\",\"method\":\"");
		put_word(&l, &p, &n, false, FIELD_MAX);
		put_fmt(&l, "\",\"target\":\"");
		put_word(&l, &p, &n, false, LINE_MAX_OUT);
		put_fmt(&l, "\",\"protocol\":\"");
		put_word(&l, &p, &n, true, FIELD_MAX);
		put_fmt(&l, "\"");
	} else {
		put_fmt(&l, "\",\"method\":\"");
		put_esc(&l, e->method, e->method_len, true);
		put_fmt(&l, "\",\"target\":\"");
		put_esc(&l, e->target, e->target_len, true);
		put_fmt(&l, "\",\"protocol\":\"HTTP/%d.%d\"", e->http_major,
			e->http_minor);
	}
	put_fmt(&l, ",\"status\":%d,\"bytes\":%llu,\"bytes_sent\":%llu,"
		    "\"duration_us\":%lld,\"referer\":\"",
		e->status, e->bytes, e->bytes_sent, e->duration_us);
	put_esc_max(&l, e->referer, e->referer_len, true, FIELD_MAX);
	put_fmt(&l, "\",\"user_agent\":\"");
	put_esc_max(&l, e->user_agent, e->user_agent_len, true, FIELD_MAX);
	put_fmt(&l, "\",\"request_id\":\"");
	put_esc(&l, e->request_id, e->request_id_len, true);
	if (e->user != NULL) {
		put_fmt(&l, "\",\"user\":\"");
		put_esc_max(&l, e->user, strlen(e->user), true, FIELD_MAX);
	}
	l.cap = cap;
	return put_end(&l, "\"}\n");
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
