/*
 * handover.h -- a connection moving from a retiring worker to a worker of
 * the current generation, through the master.
 *
 * On a reload or a recycle, a retiring worker finishes the request in hand
 * and then passes each connection it holds -- idle, or with part of a
 * PROXY header or a request head, or a pipelined request -- to the master
 * as one message on its control channel: what the connection is (the
 * listener it came from, the client, its request count, its deadlines)
 * and the bytes it has sent that were not served yet, with the socket as
 * SCM_RIGHTS.  The master relays the message to a worker of the current
 * generation (never blocking: MSG_DONTWAIT, or the hand-over fails) and
 * answers the sender whether it went through.  The new worker takes the
 * connection into its set as if it had been its own; the client notices
 * nothing.  Until the answer comes, the sender keeps its copy of the
 * socket, out of its wait: when the hand-over fails it serves the
 * connection itself (closing it if idle, answering with Connection: close
 * otherwise).  When no worker of the current generation can take it at
 * that moment (all of them are starting or retiring, as when recycling
 * and a reload meet, or a channel is full), the answer is "later": the
 * sender keeps the connection in its set and tries again shortly.
 *
 * Messages on the control channel (SOCK_SEQPACKET) are HO_CONN and
 * HO_ANSWER; the one-byte commands of worker.h share it.
 */
#ifndef PH_HANDOVER_H
#define PH_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "listen.h"

#define HO_CONN 'C'   /* a connection: struct handover + bytes, and its fd */
#define HO_ANSWER 'A' /* to the sender: struct handover_answer */

#define HO_MAX_BYTES 65536 /* bytes in hand a hand-over can carry */
#define HO_MSG_MAX (sizeof(struct handover) + HO_MAX_BYTES)

#define HO_PROXY_PENDING 1u /* no PROXY header yet */

struct handover {
	char tag;           /* HO_CONN */
	uint8_t flags;      /* HO_* */
	uint16_t pad_;
	uint32_t id;        /* the sender's handle, echoed in the answer */
	uint32_t requests;  /* answered on the connection so far */
	uint32_t len;       /* bytes in hand, following this header */
	int64_t accepted_ms;   /* CLOCK_MONOTONIC, the same in every process */
	int64_t head_start_ms; /* 0: no head begun */
	int64_t idle_since_ms;
	char listener[LISTEN_TEXT_MAX]; /* the listener's canonical address */
	struct sockaddr_storage peer;   /* the client (as a PROXY header named it) */
	uint32_t peerlen;
	uint32_t pad2_;
};

/* struct handover_answer.ok */
#define HO_REFUSED 0 /* it cannot move: serve it (closing) */
#define HO_MOVED 1   /* the connection is the new worker's now */
#define HO_LATER 2   /* no worker can take it this moment: keep it, try again */

struct handover_answer {
	char tag;     /* HO_ANSWER */
	uint8_t ok;   /* HO_REFUSED, HO_MOVED or HO_LATER */
	uint16_t pad_;
	uint32_t id;
};

/*
 * Send a message (with fd as SCM_RIGHTS when fd >= 0) without waiting.
 * 0, or -1 with errno (EAGAIN: the channel is full).
 */
int handover_send(int chan, const void *msg, size_t len, int fd);

/*
 * Receive one message into buf (cap bytes) without waiting: its length,
 * 0 at end of channel, -1 when none is waiting (errno EAGAIN) or on an
 * error (logged).  fds[0] and fds[1] get the descriptors that came with it
 * (CLOEXEC; -1 when fewer came; any more are closed): the socket of a
 * HO_CONN, the log files of a CTL_REOPEN.  A message longer than cap is
 * refused: its descriptors are closed and -1 returned with errno EMSGSIZE.
 */
ssize_t handover_recv(int chan, void *buf, size_t cap, int fds[2]);

/*
 * Check a received HO_CONN message of n bytes.  true when its fields are
 * consistent (sizes, address family, lengths).
 */
bool handover_valid(const void *msg, size_t n);

#endif
