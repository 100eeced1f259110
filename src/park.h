/*
 * park.h -- connections whose request head is still arriving, set aside.
 *
 * A worker serves one request at a time, so a client that trickles its
 * head would hold it until timeouts.header.  Instead, when a head is
 * incomplete and the socket has nothing more to read, the worker parks the
 * connection here (its bytes so far, its head deadline) and goes back to
 * accepting; its epoll set wakes it when a parked socket has more bytes,
 * and the request is served, blocking as usual, once the head is complete.
 * The set is bounded (limits.parked_per_worker); when it is full the worker
 * waits for the head as before.
 */
#ifndef PH_PARK_H
#define PH_PARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct parked {
	int fd;                      /* -1: free entry */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int64_t accepted_ms;
	int64_t head_start_ms;       /* the head deadline runs from here */
	int64_t deadline_ms;
	unsigned requests;           /* answered on this connection before */
	char *buf;                   /* the head so far */
	size_t len, cap;
};

struct park_set {
	struct parked *p;
	size_t cap;   /* limits.parked_per_worker */
	size_t count;
};

/* 0, or -1 when the entries cannot be allocated (cap 0 is fine: no parking). */
int park_init(struct park_set *ps, size_t cap);

/* A free entry (fd set by the caller), or NULL when the set is full. */
struct parked *park_add(struct park_set *ps);

/* Release the entry and its buffer (the fd is the caller's to close). */
void park_remove(struct park_set *ps, struct parked *p);

struct parked *park_find(struct park_set *ps, int fd);

/* The earliest deadline of a parked connection, or INT64_MAX. */
int64_t park_next_deadline(const struct park_set *ps);

/* Append bytes to the head so far; -1 when it would pass max bytes. */
int park_append(struct parked *p, const char *data, size_t n, size_t max);

/* True when the bytes so far hold a blank line ending a head. */
bool park_head_complete(const struct parked *p);

#endif
