/*
 * control.h -- the master's control socket, and its client (-s).
 *
 * A unix stream socket with mode 0600 beside the pid file ("X.pid" gives
 * "X.ctl").  A client connects, writes one command line (reload, stop,
 * quit, reopen, upgrade) and reads the answer until EOF: a first line
 * starting with "ok" or "error", then details (for a refused reload, every
 * config error).  The master answers a reload only when the outcome is
 * known: the new generation serves, or the config was refused.
 */
#ifndef PH_CONTROL_H
#define PH_CONTROL_H

#include <stddef.h>

/* The socket path for a pid file path. */
void control_path(const char *pid_file, char *out, size_t cap);

/* Master: bind and listen (non-blocking, CLOEXEC, 0600).  fd or -1 (logged). */
int control_listen(const char *path);

/*
 * Master: accept one client and read its command line into verb (waits at
 * most 200 ms for it).  Returns the client fd, or -1 (nothing to do).
 */
int control_accept(int lfd, char *verb, size_t cap);

/* Master: send text to the client (bounded wait) and close it. */
void control_reply(int fd, const char *text);

/*
 * Client: send verb to the master at path and print its answer (the first
 * line and details on stdout when "ok", on stderr otherwise).  Returns 0
 * for "ok", 1 for an error answer, -1 when there is no master listening
 * there (errno set): the caller may fall back to a signal.
 */
int control_request(const char *path, const char *verb, int timeout_ms);

#endif
