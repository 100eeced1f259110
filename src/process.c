/*
 * process.c -- spawning and tracking worker processes (see process.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "process.h"
#include "ctl.h"
#include "worker.h"

int proc_table_init(struct proc_table *t, size_t cap)
{
	t->p = calloc(cap, sizeof(*t->p));
	t->cap = cap;
	if (t->p == NULL) {
		log_errno(LOG_ERROR, "calloc(process table)");
		return -1;
	}
	return 0;
}

static struct proc *proc_free_entry(struct proc_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->p[i].pid == 0)
			return &t->p[i];
	return NULL;
}

/* In the child: close what belongs to the master and to other workers. */
static void child_close(const struct proc_table *t, const struct spawn_args *a)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->p[i].pid != 0 && t->p[i].ctl_fd >= 0)
			close(t->p[i].ctl_fd);
	for (size_t i = 0; i < a->nclose_fds; i++)
		if (a->close_fds[i] >= 0)
			close(a->close_fds[i]);
}

struct proc *proc_spawn(struct proc_table *t, const struct spawn_args *a)
{
	struct proc *p = proc_free_entry(t);
	int sv[2];
	int slot;
	pid_t pid;

	if (p == NULL)
		return NULL;
	slot = scoreboard_claim(a->sb, 0, a->generation);
	if (slot < 0) {
		log_warn("no free scoreboard slot (max_workers %u)", a->sb->nslots);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_errno(LOG_ERROR, "socketpair(worker control)");
		scoreboard_release(a->sb, slot);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		log_errno(LOG_ERROR, "fork");
		close(sv[0]);
		close(sv[1]);
		scoreboard_release(a->sb, slot);
		return NULL;
	}
	if (pid == 0) {
		struct worker w = {
			.cfg = a->cfg, .sb = a->sb, .slot = &a->sb->slots[slot],
			.slot_index = slot, .generation = a->generation,
			.ctl_fd = sv[1], .notify_fd = a->notify_fd,
			.listeners = a->listeners, .nlisteners = a->nlisteners,
		};
		close(sv[0]);
		child_close(t, a);
		a->sb->slots[slot].pid = getpid();
		worker_run(&w);
	}
	close(sv[1]);
	a->sb->slots[slot].pid = pid;
	*p = (struct proc){ .pid = pid, .slot = slot, .sbs = &a->sb->slots[slot],
			    .generation = a->generation, .ctl_fd = sv[0],
			    .started_ms = now_ms() };
	return p;
}

struct proc *proc_find(struct proc_table *t, pid_t pid)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->p[i].pid == pid)
			return &t->p[i];
	return NULL;
}

void proc_retire(struct proc *p, char cmd, int64_t now, int64_t grace_ms)
{
	if (p->retiring && cmd != CTL_DRAIN && cmd != CTL_DRAIN_SHARED)
		return; /* only a full stop overrides a retire */
	p->retiring = true;
	p->kill_at_ms = now + grace_ms;
	/* Seen at once, even by a worker busy with a request: its answer
	 * then closes the connection, unless the connections are to move. */
	__atomic_store_n(&p->sbs->quit, cmd == CTL_RETIRE ? SB_QUIT_HANDOVER
							  : SB_QUIT_CLOSE,
			 __ATOMIC_RELAXED);
	if (send(p->ctl_fd, &cmd, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EPIPE)
		log_errno(LOG_WARN, "send(worker %d control)", (int)p->pid);
}

void proc_send_fds(struct proc *p, int error_fd, int access_fd)
{
	char cmd = CTL_REOPEN;
	int fds[2] = { error_fd, access_fd };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { &cmd, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(p->ctl_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_errno(LOG_WARN, "sendmsg(worker %d log descriptors)", (int)p->pid);
}

void proc_forget(struct proc *p, struct scoreboard *sb)
{
	if (p->ctl_fd >= 0 && close(p->ctl_fd) < 0)
		log_errno(LOG_WARN, "close(worker %d control)", (int)p->pid);
	scoreboard_release(sb, p->slot);
	memset(p, 0, sizeof(*p));
	p->ctl_fd = -1;
}

unsigned proc_count(const struct proc_table *t, uint32_t generation,
		    bool with_retiring)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->cap; i++) {
		const struct proc *p = &t->p[i];
		if (p->pid != 0 && p->generation == generation &&
		    (with_retiring || !p->retiring))
			n++;
	}
	return n;
}

void proc_status_text(int status, char *out, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, cap, "killed by signal %d (%s)%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)),
			 WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(out, cap, "ended with status 0x%x", (unsigned)status);
}
