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
	SB_IDLE,      /* no request in hand: waiting for one, or accepting */
	SB_READING,   /* a request in hand: reading its body */
	SB_WRITING,   /* handling it and sending the response */
	SB_CLOSING,   /* retiring: finishing the request in hand */
};

/* sb_slot.quit: how the master told a worker to stop. */
#define SB_QUIT_CLOSE 1    /* answers close their connections */
#define SB_QUIT_HANDOVER 2 /* the connections move to another worker */

#define SB_CLIENT_MAX 48
#define SB_REQUEST_MAX 96

/* Methods counted apart in the metrics; the rest are "other". */
enum sb_method { SB_M_GET, SB_M_HEAD, SB_M_POST, SB_M_PUT, SB_M_DELETE,
		 SB_M_OTHER, SB_METHODS };

/* Request duration histogram upper bounds, microseconds (+Inf last). */
#define SB_DURATION_BOUNDS_US                                               \
	{ 1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, \
	  2500000, 5000000, 10000000 }
#define SB_BUCKETS 13 /* the 12 bounds above, then +Inf */

/* Counters a worker adds to; folded into the header when it exits. */
struct sb_stats {
	/* Requests answered by method and status class: [m][1]..[m][5] for
	 * 1xx..5xx, [m][0] for anything else. */
	uint64_t requests[SB_METHODS][6];
	uint64_t duration[SB_BUCKETS]; /* not cumulative: one bucket per request */
	uint64_t duration_sum_us;
	uint64_t queue[SB_BUCKETS];  /* time waited before a trusted proxy sent the
					request on (X-Request-Start), same bounds */
	uint64_t queue_sum_us;
	uint64_t head_timeouts;  /* heads not complete within timeouts.header */
	uint64_t idle_evictions; /* idle connections closed: every worker was full */
	uint64_t handovers;      /* connections moved to another worker */
	uint64_t handover_failures; /* ... that could not be: served here */
	uint64_t accepted;       /* connections accepted from the listeners */
	uint64_t handled;        /* ... and taken into the worker's set (not
				    refused at once: a PROXY header from a
				    peer not allowed, no resources) */
};

/* The connections a worker holds, by state (gauges, written by the worker). */
struct sb_conns {
	uint32_t open;    /* all of them */
	uint32_t reading; /* nothing yet, or a PROXY header or head arriving */
	uint32_t idle;    /* keep-alive, between requests */
	uint32_t queued;  /* something in hand, waiting for the worker's turn */
	uint32_t active;  /* the one being served (0 or 1) */
	uint32_t closing; /* answered with an error: input dropped, then closed */
};

/* Why the master replaced a worker. */
enum sb_restart { SB_R_EXIT, SB_R_SIGNAL, SB_R_WATCHDOG, SB_R_RECYCLE,
		  SB_RESTART_REASONS };

struct sb_slot {
	pid_t pid;
	uint32_t generation;
	uint32_t state;         /* enum sb_state */
	uint64_t requests;      /* served by this process */
	uint64_t bytes;         /* body + head bytes sent, also while a request
				   is answered (at least every second) */
	uint64_t connections;
	int64_t started_ms;     /* process start, monotonic ms */
	int64_t req_start_ms;   /* start of the request in hand, 0 when none */
	char client[SB_CLIENT_MAX];
	char request[SB_REQUEST_MAX]; /* "GET /path HTTP/1.1", truncated */
	uint32_t recycle;       /* the worker asks to be replaced (max_requests) */
	uint32_t quit;          /* the master told it to stop (the master writes):
				   SB_QUIT_CLOSE, or SB_QUIT_HANDOVER */
	struct sb_conns conns;
	struct sb_stats stats;
};

/* Totals at one moment, for rates over a recent interval (status page). */
struct sb_sample {
	int64_t ms;             /* monotonic ms; 0: not taken */
	uint64_t requests, bytes;
};

#define SB_SAMPLE_MS 5000 /* the master samples the totals this often */

struct scoreboard {
	uint32_t nslots;
	uint32_t generation;    /* current generation (master writes) */
	uint32_t draining;      /* 1 from the start of a graceful stop */
	int32_t master_pid;     /* the master that made it */
	int64_t start_time;     /* master start, wall clock seconds */
	uint32_t sample_seq;    /* samples taken; the newest is [seq % 2] */
	uint32_t pad_;
	struct sb_sample samples[2]; /* the master writes, every SB_SAMPLE_MS */
	uint64_t retired_requests; /* folded in from exited workers */
	uint64_t retired_bytes;
	uint64_t restarts;
	uint64_t reloads;
	uint64_t failed_reloads;
	uint64_t restart_reasons[SB_RESTART_REASONS];
	/* CPU time of the children the master reaped (workers, the admin
	 * process, and what they reaped: CGI scripts), microseconds; the
	 * master updates it after each reap. */
	uint64_t reaped_cpu_us;
	struct sb_stats retired_stats;
	struct sb_slot slots[];
};

/* Map a scoreboard with n slots (shared, anonymous).  NULL on failure (logged). */
struct scoreboard *scoreboard_create(unsigned n);
void scoreboard_destroy(struct scoreboard *sb);

/* A free slot index, or -1 when all n are taken. */
int scoreboard_claim(struct scoreboard *sb, pid_t pid, uint32_t generation);
/* Fold the slot's counters into the totals and empty it. */
void scoreboard_release(struct scoreboard *sb, int slot);

/*
 * Master side: take a sample of the totals when SB_SAMPLE_MS passed since
 * the last one (call it often; cheap otherwise).
 */
void scoreboard_sample(struct scoreboard *sb, int64_t now);
/*
 * The older of the two latest samples, when it is at least 1 s old: rates
 * over the last SB_SAMPLE_MS to 2 * SB_SAMPLE_MS.  false when there is none.
 */
bool scoreboard_recent(const struct scoreboard *sb, int64_t now,
		       struct sb_sample *out);
/* Bytes sent, by live workers (in progress included) and exited ones. */
uint64_t scoreboard_total_bytes(const struct scoreboard *sb);

/* Worker side: its own slot only. */
void sb_set_state(struct sb_slot *s, enum sb_state st);
void sb_request_begin(struct sb_slot *s, int64_t now, const char *line,
		      size_t len);
/* Bytes sent for the request in hand, as they go (a long answer): sent is
 * its total so far, *counted what earlier calls added. */
void sb_request_bytes(struct sb_slot *s, uint64_t *counted, uint64_t sent);
/* The request is answered: count it, with its bytes not counted yet. */
void sb_request_end(struct sb_slot *s, uint64_t bytes);
/* The client of the connection in hand (the caller counts connections). */
void sb_set_client(struct sb_slot *s, const char *client);
/* Count one queue time (X-Request-Start) in the slot's stats. */
void sb_queue_stats(struct sb_slot *s, int64_t queue_us);
/* Count one answered request in the slot's stats. */
void sb_request_stats(struct sb_slot *s, int status, enum sb_method m,
		      int64_t duration_us);
void sb_stat_add(uint64_t *counter, uint64_t n);
/* Sum of the stats of live slots and the retired totals, into out. */
void scoreboard_sum_stats(const struct scoreboard *sb, struct sb_stats *out);
/* Sum of the connection gauges of live slots, into out. */
void scoreboard_sum_conns(const struct scoreboard *sb, struct sb_conns *out);

enum sb_state sb_get_state(const struct sb_slot *s);

/* Sums over live slots plus retired totals. */
uint64_t scoreboard_total_requests(const struct scoreboard *sb);
/* Count of slots of this generation in one of the given states. */
unsigned scoreboard_count(const struct scoreboard *sb, uint32_t generation,
			  enum sb_state st);

#endif
