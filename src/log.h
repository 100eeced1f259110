/*
 * log.h -- the error log and the access log.
 *
 * Error log lines: "2026-11-25T15:04:05.123Z warn worker 1[812]: message",
 * with a "<4>" syslog priority in front when the error log is the
 * journal's stream (JOURNAL_STREAM, under systemd).
 * log_error() and friends format with printf; log_errno variants append
 * ": strerror(errno)" (errno saved on entry).  The access log is written by
 * the worker after each response, buffered, and flushed with bounded delay.
 * log_reopen() reopens both files (SIGUSR1).
 */
#ifndef PH_LOG_H
#define PH_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* Who writes: "master" or "worker" (with its slot number) or "admin". */
void log_set_role(const char *role, int slot);

/* Open the error log per cfg (NULL: stderr at info).  0 or -1. */
int log_open_error(const struct log_target *t);
/* Open the access log per cfg.  0 or -1 (with the error logged). */
int log_open_access(const struct log_target *t);
/* Reopen both files, keeping the old descriptors when a reopen fails. */
void log_reopen(void);
void log_close(void);

/* The descriptors in use (-1 when off/absent), to hand them to workers. */
void log_fds(int *error_fd, int *access_fd);
/* Take over descriptors opened by the master (after SIGUSR1); closes the old. */
void log_adopt(int error_fd, int access_fd);
/* The same, from the SCM_RIGHTS message the master sent (error, access). */
struct msghdr;
void log_adopt_cmsg(struct msghdr *mh);
/* Whether the access log is on, and the JSON format is wanted. */
bool log_access_enabled(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* As log_msg, with ": <strerror(errno)>" appended. */
void log_errno(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool log_enabled(enum log_level lvl);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* One access log entry, appended to the buffer; flushed when full or by log_access_flush(). */
struct access_entry {
	const char *remote; /* client address text */
	const char *method; size_t method_len; /* NULL: refused, see line */
	const char *target; size_t target_len;
	int http_major, http_minor;
	/* A refused head: its request line as it came (without CR LF), logged
	 * escaped in place of method, target and protocol; len 0: "-". */
	const char *line; size_t line_len;
	int status;
	unsigned long long bytes;      /* body bytes (Apache %b, nginx $body_bytes_sent) */
	unsigned long long bytes_sent; /* head and body (JSON's bytes_sent) */
	const char *referer; size_t referer_len;
	const char *user_agent; size_t user_agent_len;
	long long duration_us;
	const char *request_id; size_t request_id_len;
	const char *user; /* authenticated user (access.auth), or NULL */
};
void log_access(const struct access_entry *e);
void log_access_flush(void);
/* Milliseconds until buffered access lines must be flushed; -1 when empty. */
int log_access_due_ms(int64_t now);

#endif
