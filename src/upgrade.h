/*
 * upgrade.h -- the channel between a master and the new master it starts
 * on USR2 (binary upgrade).
 *
 * A unix SOCK_SEQPACKET socket pair: the old master keeps one end, the new
 * master inherits the other across exec, its number in UPGRADE_ENV.  Each
 * message is one byte:
 *
 *   UPGRADE_READY  new -> old: my first generation of workers serves.
 *   UPGRADE_MAIN   either way: you are the service's main process now (I
 *                  told the service manager MAINPID=<you>).
 *
 * End of file means the other master is gone.  master.c uses it so that
 * under systemd (NotifyAccess=main) the unit follows the master that
 * serves: the old master hands MAINPID to the new one once it is ready,
 * and a master that stops while the other still serves the same sockets
 * hands it back (rollback).
 */
#ifndef PH_UPGRADE_H
#define PH_UPGRADE_H

#define UPGRADE_ENV "PREFORK_HTTPD_UPGRADE_FD"
#define UPGRADE_READY 'R'
#define UPGRADE_MAIN 'M'

/* A new pair (CLOEXEC, non-blocking) into fds; 0, or -1 (logged). */
int upgrade_channel(int fds[2]);

/* In the child, before exec: keep fd open across exec and name it. */
void upgrade_channel_export(int fd);

/* In a new master: the inherited end (CLOEXEC again), or -1 when none. */
int upgrade_channel_inherit(void);

/* Send one message; 0, or -1 (logged). */
int upgrade_send(int fd, char msg);

/* The next message, 0 at end of file or on an error (the other master is
 * gone), -1 when nothing more is waiting. */
int upgrade_recv(int fd);

#endif
