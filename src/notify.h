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

#include <sys/types.h>

/* Send state to $NOTIFY_SOCKET.  0 sent, 1 no socket configured, -1 error. */
int notify_send(const char *state);

/* "MAINPID=<pid>": tell the service manager which process is the master. */
int notify_mainpid(pid_t pid);

#endif
