/*
 * status.h -- the status page: the scoreboard for people and scripts.
 *
 * Like Apache's mod_status: totals (uptime, generation, requests, bytes,
 * reloads, restarts), worker counts by state, and one row per live worker
 * slot (pid, generation, state, counters, the request in hand and for how
 * long, the client).  Plain text by default, JSON when the query string
 * contains "json" (GET /server-status?json).
 *
 * Rendering reads the shared scoreboard with relaxed loads and never
 * allocates: the page goes into a buffer the caller sized with
 * status_buffer_size(), allocated once per process.
 */
#ifndef PH_STATUS_H
#define PH_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "handler.h"
#include "response.h"
#include "scoreboard.h"

/* Live slots by state, and the worker counts derived from them. */
struct status_counts {
	unsigned state[SB_CLOSING + 1]; /* all generations, by enum sb_state */
	unsigned live;     /* slots not SB_EMPTY, all generations */
	unsigned current;  /* slots not SB_EMPTY of sb->generation */
	unsigned busy;     /* reading + writing + closing */
};

void status_count(const struct scoreboard *sb, struct status_counts *out);

/* The scoreboard letter and name of a state: '_' "idle", 'W' "writing"... */
char status_state_char(enum sb_state st);
const char *status_state_name(enum sb_state st);

/* A buffer size that holds either page for a scoreboard of nslots slots. */
size_t status_buffer_size(unsigned nslots);

/*
 * Render the page into buf.  Returns its length, or 0 when it does not fit
 * in cap.  cfg may be NULL (it is only used for the configured worker count).
 */
size_t status_render_text(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap);
size_t status_render_json(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap);

/*
 * Fill r with the page (200, Content-Type, Cache-Control: no-store), the
 * body pointing into buf; 500 when it does not fit.  No access check: the
 * caller did it.  Used by status_serve() and by the admin process.
 */
void status_answer(struct response *r, const struct scoreboard *sb,
		   const struct config *cfg, bool json, char *buf, size_t cap);

/* True when the query string asks for JSON (contains "json"). */
bool status_wants_json(const char *query, size_t len);

/*
 * The handler for cfg->status.path on the worker listeners: 403 unless the
 * peer is in cfg->status.allow (unix-socket peers included: they match no
 * block), 405 for methods other than GET and HEAD.
 */
void status_serve(struct exchange *x);

#endif
