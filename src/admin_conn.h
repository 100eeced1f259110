/*
 * admin_conn.h -- the admin process's table of open connections: which
 * slot a new connection takes (a free one, else one that must be closed
 * to make room) and how long the poll loop may sleep before the nearest
 * deadline.  No I/O here: admin.c does the reading and writing.
 *
 * The admin process serves its connections concurrently so that a slow or
 * silent client never delays another (a balancer's health check above
 * all).  The table is bounded: when every slot is in use, a new connection
 * takes the slot of the oldest connection that has been answered and is
 * only waiting for the client to close; failing that, of the oldest one.
 * Each connection has an absolute deadline from its acceptance.
 */
#ifndef PH_ADMIN_CONN_H
#define PH_ADMIN_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADMIN_CONNS_MAX 16  /* connections served at the same time */
#define ADMIN_IN_BYTES 8192 /* request head */
#define ADMIN_HEAD_BYTES 1024 /* serialized response head */

enum admin_conn_state {
	AC_FREE,      /* slot unused */
	AC_READING,   /* reading the request head */
	AC_WRITING,   /* sending the answer */
	AC_LINGERING, /* answered; reading until the client closes */
};

struct admin_conn {
	enum admin_conn_state state;
	int fd;
	bool agent;       /* agent-check connection: one line, no request */
	uint64_t seq;     /* acceptance order: lower is older */
	int64_t deadline; /* absolute (now_ms clock): closed when it passes */
	struct sockaddr_storage peer;

	char *in;         /* ADMIN_IN_BYTES, owned by the caller */
	size_t in_len;
	char *page;       /* the rendered page, owned by the caller */
	char head[ADMIN_HEAD_BYTES];
	size_t head_len;
	const char *body; /* static text or page */
	size_t body_len;
	size_t sent;      /* bytes of head, then body, already sent */
};

struct admin_conns {
	struct admin_conn *slot;
	size_t n;
	uint64_t seq;
};

/* Take n slots (their in and page buffers already set) as a free table. */
void admin_conns_init(struct admin_conns *t, struct admin_conn *slots,
		      size_t n);

/*
 * The slot for a new connection: a free one; when there is none, the one
 * to close to make room (state != AC_FREE): the oldest lingering one, else
 * the oldest.  NULL only for an empty table.
 */
struct admin_conn *admin_conns_pick(struct admin_conns *t);

/* Put a new connection in c (a slot from admin_conns_pick, now free):
 * reading (or writing for an agent check), deadline now + deadline_ms. */
void admin_conns_open(struct admin_conns *t, struct admin_conn *c, int fd,
		      bool agent, int64_t now, int64_t deadline_ms);

/* Forget the connection in c (the caller has closed it). */
void admin_conns_free(struct admin_conn *c);

/* Milliseconds until the nearest deadline: 0 when one has passed, -1
 * when no connection is open (wait for events only). */
int admin_conns_wait_ms(const struct admin_conns *t, int64_t now);

/* Number of slots in use. */
size_t admin_conns_open_count(const struct admin_conns *t);

#endif
