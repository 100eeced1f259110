/*
 * mime.h -- Content-Type from a file name's extension.
 *
 * mime_load() reads /etc/mime.types (once, in the master before forking);
 * without it a built-in table answers.  Text types carry "; charset=utf-8".
 */
#ifndef PH_MIME_H
#define PH_MIME_H

#include <stddef.h>

/* Returns the number of extensions loaded, or -1 (errno set) if unreadable. */
int mime_load(const char *path);

/* The type for name (only its extension matters); never NULL. */
const char *mime_type(const char *name, size_t len);

void mime_free(void);

#endif
