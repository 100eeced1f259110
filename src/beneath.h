/*
 * beneath.h -- open a file beneath a root directory: neither ".." nor a
 * symlink can lead outside it (see beneath.c).
 */
#ifndef PH_BENEATH_H
#define PH_BENEATH_H

#include <stdbool.h>

/*
 * The directory fd of root, kept per process, or -1 (errno set).  *owned
 * is set when the table is full and the caller must close the fd itself.
 */
int beneath_root(const char *root, bool *owned);

/*
 * Open rel ("" is the root itself) beneath rootfd, read-only, O_CLOEXEC and
 * O_NONBLOCK (so that a FIFO cannot block the open: clear it with
 * fcntl(F_SETFL, 0) once the file is known to be regular).  -1 with errno:
 * EXDEV or ELOOP when the walk would leave the root.
 */
int beneath_open(int rootfd, const char *rel);

#endif
