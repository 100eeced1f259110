/*
 * beneath.c -- opening files beneath a root directory, never outside it.
 *
 * Files are opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 * relative to a directory fd of the root, so the kernel resolves every
 * component, ".." and symlinks included, and fails with EXDEV when the
 * walk would leave the root.  That is one atomic lookup: there is no window
 * between a check (realpath, lstat) and the open in which a symlink could
 * be swapped.  Absolute symlinks are refused too, even when they point
 * inside the root (use relative ones).
 *
 * openat2 needs Linux >= 5.6.  On ENOSYS (older kernels, some seccomp
 * sandboxes) the path is walked one component at a time with
 * openat(O_NOFOLLOW): safe, but no symlink is followed at all then.
 *
 * The root directory is opened once per process (workers are processes) and
 * kept in a small table keyed by the root string.  A root that is replaced
 * on disk (a symlink swapped by a deploy) is seen after a reload, which
 * starts new workers.
 */
#include "beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROOTS_MAX 64

/*
 * O_NONBLOCK keeps a FIFO or a device node in the root from blocking the
 * worker in open(); it is cleared again once the file is known to be
 * regular, so the sender sees an ordinary blocking descriptor.
 */
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

struct root_entry {
	char *root;
	int fd;
};

static struct root_entry roots[ROOTS_MAX];
static size_t nroots;
static bool no_openat2;

static int open_root(const char *root)
{
	return open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/*
 * The cached directory fd of root, or -1 (errno set).  *owned is set when
 * the table is full and the caller must close the fd itself.
 */
int beneath_root(const char *root, bool *owned)
{
	size_t i;
	char *copy;
	int fd;

	*owned = false;
	for (i = 0; i < nroots; i++)
		if (strcmp(roots[i].root, root) == 0)
			return roots[i].fd;
	fd = open_root(root);
	if (fd < 0)
		return -1;
	copy = nroots < ROOTS_MAX ? strdup(root) : NULL;
	if (!copy) {
		*owned = true;
		return fd;
	}
	roots[nroots].root = copy;
	roots[nroots].fd = fd;
	nroots++;
	return fd;
}

static int openat2_beneath(int dirfd, const char *rel)
{
	struct open_how how;
	int tries = 0;
	long fd;

	memset(&how, 0, sizeof how);
	how.flags = OPEN_FLAGS;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	/* EAGAIN: a concurrent rename made the kernel unsure; try again. */
	do
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
	while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 8);
	return (int)fd;
}

/*
 * Fallback without openat2: walk rel one component at a time, never
 * following a symlink (O_NOFOLLOW; an intermediate symlink opened with
 * O_PATH|O_NOFOLLOW is not a directory, so the next step fails ENOTDIR).
 */
static int open_walk(int rootfd, const char *rel)
{
	char name[NAME_MAX + 1];
	const char *p = rel, *slash;
	int cur = rootfd, fd = -1, saved;
	size_t n;

	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, n ? p : ".", n ? n : 1);
		name[n ? n : 1] = '\0';
		if (n && (strcmp(name, "..") == 0 || strcmp(name, ".") == 0)) {
			errno = EXDEV; /* normalized paths have none */
			goto fail;
		}
		if (!slash || slash[1] == '\0') {
			fd = openat(cur, name, OPEN_FLAGS | O_NOFOLLOW |
						   (slash ? O_DIRECTORY : 0));
			goto fail;
		}
		fd = openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
		if (fd < 0)
			goto fail;
		if (cur != rootfd)
			close(cur);
		cur = fd;
		fd = -1;
		p = slash + 1;
	}
fail:
	saved = errno;
	if (cur != rootfd)
		close(cur);
	errno = saved;
	return fd;
}

/* Open rel ("" is the root itself) beneath rootfd; -1 with errno. */
int beneath_open(int rootfd, const char *rel)
{
	int fd;

	if (!no_openat2) {
		fd = openat2_beneath(rootfd, rel[0] ? rel : ".");
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		no_openat2 = true;
	}
	return open_walk(rootfd, rel);
}
