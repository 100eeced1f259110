/*
 * child.c -- the first steps of a forked child (see child.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "ctl.h"

/* The master's pid, noted before it forks (0: not noted). */
static pid_t master_pid;

void child_note_master(void)
{
	master_pid = getpid();
}

void child_setup(void)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM,
				       SIGUSR1, SIGUSR2, SIGWINCH, SIGTTIN,
				       SIGTTOU, SIGPIPE };
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < PH_ARRAY_LEN(ignored); i++)
		if (sigaction(ignored[i], &sa, NULL) < 0)
			log_errno(LOG_WARN, "sigaction(%d)", ignored[i]);
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) < 0)
		log_errno(LOG_WARN, "sigaction(SIGCHLD)");
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		log_errno(LOG_WARN, "sigprocmask");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		log_errno(LOG_WARN, "prctl(PR_SET_PDEATHSIG)");
	/* The master died before prctl took effect: we have another parent
	 * now (init or a subreaper).  Not "getppid() == 1": the master is
	 * pid 1 itself when it is a container's first process. */
	if (master_pid != 0 ? getppid() != master_pid : getppid() == 1)
		_exit(0);
}

int child_ctl_next(int fd)
{
	for (;;) {
		char cmd;
		union {
			char buf[CMSG_SPACE(2 * sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { &cmd, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return -1;
		if (n < 0) {
			log_errno(LOG_ERROR, "recvmsg(control channel)");
			return -2;
		}
		if (n == 0)
			return 0;
		if (cmd == CTL_REOPEN)
			log_adopt_cmsg(&mh);
		return (unsigned char)cmd;
	}
}

int child_drop_privileges(const struct config *cfg)
{
	struct passwd *pw;
	gid_t gid;

	if (cfg->user == NULL || geteuid() != 0)
		return 0;
	errno = 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		log_errno(LOG_ERROR, "getpwnam(\"%s\")", cfg->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (cfg->group != NULL) {
		struct group *gr = getgrnam(cfg->group);
		if (gr == NULL) {
			log_errno(LOG_ERROR, "getgrnam(\"%s\")", cfg->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0) {
		log_errno(LOG_ERROR, "setgid(%u)", (unsigned)gid);
		return -1;
	}
	if (setuid(pw->pw_uid) < 0) {
		log_errno(LOG_ERROR, "setuid(%u)", (unsigned)pw->pw_uid);
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("could regain root after dropping to \"%s\"", cfg->user);
		return -1;
	}
	return 0;
}
