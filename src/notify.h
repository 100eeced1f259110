/*
 * notify.h -- the service manager readiness protocol (sd_notify), without
 * libsystemd.
 *
 * When $NOTIFY_SOCKET names a unix datagram socket (a path, or an abstract
 * address written with a leading '@'), notify_send() sends one datagram
 * with the given state text to it: "READY=1", "RELOADING=1", "STOPPING=1",
 * "STATUS=...", several of them separated by '\n'.  Without $NOTIFY_SOCKET
 * it does nothing, so the server behaves the same outside systemd.  Errors
 * are logged and otherwise ignored: the server never stops over them.
 */
#ifndef PH_NOTIFY_H
#define PH_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

/* Send state to $NOTIFY_SOCKET.  0 sent, 1 no socket configured, -1 error. */
int notify_send(const char *state);

/* "MAINPID=<pid>": tell the service manager which process is the master. */
int notify_mainpid(pid_t pid);

/*
 * With NotifyAccess=main the service manager listens only to the process
 * it takes for the service's main process, and logs a complaint about
 * every message from another.  During a binary upgrade two masters run:
 * the one that is not the main process calls notify_enable(false), and
 * from then on notify_send() sends nothing and returns 1, until
 * notify_enable(true) when it becomes the main process (master.c).
 */
void notify_enable(bool on);

#endif
