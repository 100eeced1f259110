/*
 * status.h -- the status page: the scoreboard for people and scripts.
 *
 * Like Apache's mod_status: totals (uptime, generation, requests, bytes,
 * rates, connections, reloads, restarts), worker counts by state, and one
 * row per live worker slot (pid, generation, state, age, counters, the
 * request in hand and for how long, the client).  Four formats, chosen by
 * the query string and the Accept header (status_query_parse):
 *
 *   text   the default: "Key: value" totals, the scoreboard, the rows
 *   ?auto  Apache's machine-readable form (Total Accesses, Total kBytes,
 *          ReqPerSec, BusyWorkers, Scoreboard, ...), totals only
 *   ?json  JSON
 *   html   ?html, or a browser's Accept: text/html: one page with the
 *          pool at a glance; ?refresh=N reloads it every N seconds
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
size_t status_render_auto(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap);
size_t status_render_json(const struct scoreboard *sb, const struct config *cfg,
			  char *buf, size_t cap);
/* refresh: seconds between reloads of the page, 0 for none. */
size_t status_render_html(const struct scoreboard *sb, const struct config *cfg,
			  unsigned refresh, char *buf, size_t cap);

enum status_format { STATUS_TEXT, STATUS_AUTO, STATUS_JSON, STATUS_HTML };

/* What a request asks for. */
struct status_query {
	enum status_format format;
	unsigned refresh; /* ?refresh=N (1..3600; HTML only), 0: none */
};

#define STATUS_REFRESH_MAX 3600

/*
 * From the query string (words separated by '&' or ';': "json" anywhere
 * in one, "auto", "html", "text", "refresh=N") and, when the query names
 * no format, the Accept header: HTML when it lists text/html (a browser),
 * else text.  ?refresh alone means HTML.
 */
void status_query_parse(const char *query, size_t qlen, const char *accept,
			size_t alen, struct status_query *out);

/*
 * Fill r with the page (200, Content-Type, Cache-Control: no-store,
 * Vary: Accept), the body pointing into buf; 500 when it does not fit.
 * No access check: the caller did it.  Used by status_serve() and by the
 * admin process.
 */
void status_answer(struct response *r, const struct scoreboard *sb,
		   const struct config *cfg, const struct status_query *q,
		   char *buf, size_t cap);

/* status_query_parse() for a request. */
void status_request_query(const struct request *req, struct status_query *out);

/*
 * The handler for cfg->status.path on the worker listeners: 403 unless the
 * peer is in cfg->status.allow (unix-socket peers included: they match no
 * block), 405 for methods other than GET and HEAD.
 */
void status_serve(struct exchange *x);

#endif
