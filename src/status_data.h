/*
 * status_data.h -- what the status page shows, read once from the
 * scoreboard; shared by the renderers (status.c: text, ?auto and JSON;
 * status_html.c: HTML).  Private to those two files.
 */
#ifndef PH_STATUS_DATA_H
#define PH_STATUS_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "scoreboard.h"
#include "status.h"
#include "textbuf.h"

/* The numbers every format shows, read once. */
struct totals {
	int64_t uptime;
	int64_t start_time;
	uint32_t generation;
	bool draining;
	unsigned configured;
	struct status_counts n;
	struct sb_conns conns;
	uint64_t requests, bytes, reloads, failed_reloads, restarts;
	uint64_t accepted, handled; /* connections, since the master started */
	/* nginx stub_status: reading + writing + waiting = conns.open */
	uint64_t writing, waiting;
	/* Rates since the start, and over the recent window (recent_ms > 0):
	 * from the master's older sample (scoreboard_recent) to now. */
	double req_per_sec, bytes_per_sec, bytes_per_req;
	int64_t recent_ms;
	double recent_req_per_sec, recent_bytes_per_sec;
};

void status_totals_read(const struct scoreboard *sb, const struct config *cfg,
			struct totals *t);

/* A copy of one slot, bounded even if a writer races. */
struct row {
	unsigned index;
	pid_t pid;
	uint32_t generation;
	enum sb_state state;
	uint64_t requests, bytes, connections;
	uint32_t held;  /* connections open now */
	int64_t age_ms; /* since the worker started */
	int64_t req_ms; /* time in the current request; -1: none */
	char client[SB_CLIENT_MAX];
	char request[SB_REQUEST_MAX];
	size_t client_len, request_len;
};

/* Slot i, or false when it is empty. */
bool status_row_read(const struct scoreboard *sb, unsigned i, int64_t now,
		     struct row *r);

/* The HTML page (status_html.c). */
void status_html(struct textbuf *b, const struct scoreboard *sb,
		 const struct totals *t, unsigned refresh);

#endif
