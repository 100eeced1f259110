/*
 * flush.h -- closed connections that still have bytes to send.
 *
 * A worker closes a connection as soon as its last answer is in the
 * kernel's send buffer; the kernel goes on sending it after the close,
 * after the process has exited even ("orphaned" sockets).  But when the
 * last process of a container exits, its network namespace goes away,
 * and with it every orphaned socket: a slow client of a large file then
 * gets a truncated answer.  So the master, the last process to exit after
 * a graceful stop, asks the kernel (NETLINK_SOCK_DIAG, the interface of
 * `ss`) whether such sockets remain on its listening ports, and waits.
 */
#ifndef PH_FLUSH_H
#define PH_FLUSH_H

#include <stddef.h>
#include <stdint.h>

#include "listen.h"

/* The local ports of the TCP listeners among the n (at most cap). */
size_t flush_ports(const struct listener *ls, size_t n, uint16_t *ports,
		   size_t cap);

/*
 * The TCP sockets on one of the n local ports that no process holds any
 * more and that still have data (or their FIN) to send, in this network
 * namespace.  -1 on an error (logged).
 */
int flush_pending(const uint16_t *ports, size_t n);

#endif
