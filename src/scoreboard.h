/*
 * scoreboard.h -- the only state the master and the workers share.
 *
 * One anonymous shared mapping, made by the master before the first fork and
 * inherited by every worker: a header the master writes (generation,
 * draining) and one slot per worker, which only that worker writes (its
 * state, counters, the request in hand).  The master reads the slots for the
 * watchdog and for the status page; counters of workers that exited are
 * folded into the header so totals survive recycling.  Fields are written
 * and read with relaxed atomics: a reader may see a slot mid-update, which
 * is fine for monitoring and never used for control decisions that need
 * more than one field to agree.
 */
#ifndef PH_SCOREBOARD_H
#define PH_SCOREBOARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum sb_state {
	SB_EMPTY = 0, /* no process */
	SB_STARTING,  /* forked, not yet accepting */
	SB_IDLE,      /* waiting in accept */
	SB_READING,   /* reading a request head or body */
	SB_WRITING,   /* handling and sending a response */
	SB_KEEPALIVE, /* between requests on an open connection */
	SB_CLOSING,   /* retiring: finishing the request in hand */
};

#define SB_CLIENT_MAX 48
#define SB_REQUEST_MAX 96

struct sb_slot {
	pid_t pid;
	uint32_t generation;
	uint32_t state;         /* enum sb_state */
	uint64_t requests;      /* served by this process */
	uint64_t bytes;         /* body + head bytes sent */
	uint64_t connections;
	int64_t started_ms;     /* process start, monotonic ms */
	int64_t req_start_ms;   /* start of the request in hand, 0 when none */
	char client[SB_CLIENT_MAX];
	char request[SB_REQUEST_MAX]; /* "GET /path HTTP/1.1", truncated */
};

struct scoreboard {
	uint32_t nslots;
	uint32_t generation;    /* current generation (master writes) */
	uint32_t draining;      /* 1 from the start of a graceful stop */
	uint32_t pad_;
	int64_t start_time;     /* master start, wall clock seconds */
	uint64_t retired_requests; /* folded in from exited workers */
	uint64_t retired_bytes;
	uint64_t restarts;
	uint64_t reloads;
	uint64_t failed_reloads;
	struct sb_slot slots[];
};

/* Map a scoreboard with n slots (shared, anonymous).  NULL on failure (logged). */
struct scoreboard *scoreboard_create(unsigned n);
void scoreboard_destroy(struct scoreboard *sb);

/* A free slot index, or -1 when all n are taken. */
int scoreboard_claim(struct scoreboard *sb, pid_t pid, uint32_t generation);
/* Fold the slot's counters into the totals and empty it. */
void scoreboard_release(struct scoreboard *sb, int slot);

/* Worker side: its own slot only. */
void sb_set_state(struct sb_slot *s, enum sb_state st);
void sb_request_begin(struct sb_slot *s, int64_t now, const char *line,
		      size_t len);
void sb_request_end(struct sb_slot *s, uint64_t bytes);
void sb_set_client(struct sb_slot *s, const char *client);

enum sb_state sb_get_state(const struct sb_slot *s);

/* Sums over live slots plus retired totals. */
uint64_t scoreboard_total_requests(const struct scoreboard *sb);
/* Count of slots of this generation in one of the given states. */
unsigned scoreboard_count(const struct scoreboard *sb, uint32_t generation,
			  enum sb_state st);

#endif
