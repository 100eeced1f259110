/*
 * admin.h -- the admin process: health, readiness, status and metrics on a
 * listener of their own, and the HAProxy agent-check responder.
 *
 * Why a separate process: the workers serve one connection at a time, so
 * when every worker is busy (slow downloads, a stuck backend) a health
 * check sent to the main listeners waits in the accept queue like any
 * request, and a load balancer sees a timeout exactly when it most needs an
 * answer.  The admin process never serves the site: it only reads the
 * shared scoreboard and the kernel's accept-queue counters, so it answers
 * within milliseconds however loaded the workers are, and it can say *why*
 * the server should get no traffic (draining, or saturated).
 *
 * The master forks it when admin.listen or agent_check is configured,
 * after opening both listening sockets itself (before dropping privileges;
 * -1 for one that is not configured), and gives it one end of a control
 * socketpair.  It serves up to ADMIN_CONNS_MAX (admin_conn.h) connections
 * at the same time, each within 2 s of its acceptance (then it is closed),
 * so that a slow or silent client never delays another's answer; when
 * that many are open, a new connection takes the place of the oldest:
 *
 *   GET /healthz        200 "ok": the process (and so the master) is alive
 *   GET /readyz         503 "draining" from the start of a graceful stop;
 *                       503 "busy" when no worker is idle and a worker
 *                       listener has connections waiting to be accepted;
 *                       503 "no workers" when no worker process is running;
 *                       else 200 "ready"
 *   GET status path     cfg->status.path, or /server-status when the status
 *                       page is not configured; the same page as on the
 *                       worker listeners (?json too)
 *   GET metrics path    cfg->metrics.path, or /metrics when not configured
 *
 * When the status (metrics) section is configured, its allow list applies
 * on the admin listener too; when it is not, the admin listener serves the
 * page to anyone who can connect to it (bind it to a loopback or private
 * address).
 *
 * On the agent-check socket it accepts, writes one line and closes:
 * "drain\n" while the server drains, "down\n" when no worker is running,
 * else "up P% maxconn:N\n" where N is the number of workers of the current
 * generation and P the share of them idle (at least 1%, since 0% would
 * mean drain to HAProxy).
 *
 * Control channel: EOF or a 'Q' byte makes it exit 0.  It ignores the
 * signals the master handles (the master speaks for it), and dies with the
 * master (PR_SET_PDEATHSIG).
 */
#ifndef PH_ADMIN_H
#define PH_ADMIN_H

#include <stddef.h>

#include "config.h"
#include "listen.h"
#include "scoreboard.h"

#define ADMIN_DEADLINE_MS 2000

/*
 * The body of the admin process; never returns.  worker_listeners are the
 * current generation's listeners (for readiness and the queue metrics).
 * http_fd, agent_fd: listening sockets (non-blocking) or -1.
 */
_Noreturn void admin_run(const struct config *cfg, struct scoreboard *sb,
			 const struct listener *worker_listeners, size_t nls,
			 int http_fd, int agent_fd, int ctl_fd);

/* The agent-check line for the scoreboard as it is now (with '\n'). */
size_t admin_agent_line(const struct scoreboard *sb, char *buf, size_t cap);

/* Readiness: 200 or 503, and the one-word reason ("ready", "draining",
 * "busy", "no workers"). */
int admin_readiness(const struct scoreboard *sb,
		    const struct listener *worker_listeners, size_t nls,
		    const char **why);

#endif
