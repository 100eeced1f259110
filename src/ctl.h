/*
 * ctl.h -- the commands on a child's control channel, master -> worker or
 * admin process, one byte each (a SOCK_SEQPACKET socketpair; EOF means
 * the master is gone).  The connection hand-over messages share the
 * channel: handover.h.
 */
#ifndef PH_CTL_H
#define PH_CTL_H

#define CTL_QUIT 'Q'   /* graceful: finish what is in hand, then exit */
#define CTL_RETIRE 'H' /* as QUIT, handing the connections to the others */
#define CTL_DRAIN 'D'  /* stop: as QUIT, after serving the queued backlog,
			  and shut the listening sockets down */
#define CTL_DRAIN_SHARED 'd' /* as DRAIN, the sockets only closed: they are
				shared (systemd, a previous master) */
#define CTL_REOPEN 'R' /* two log descriptors follow as SCM_RIGHTS */

#endif
