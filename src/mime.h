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

/* An extension the configuration maps to a type (the `types` key). */
struct mime_extra {
	const char *ext;  /* without the dot, any case */
	const char *type; /* the Content-Type value, charset included */
};

/*
 * The type for name, looking first at the n extras, then as mime_type();
 * an extension none of them knows gets dflt (NULL: the built-in default,
 * application/octet-stream).
 */
const char *mime_type_with(const char *name, size_t len,
			   const struct mime_extra *extra, size_t n,
			   const char *dflt);

/*
 * The Content-Type value for a configured type: type as given, with
 * "; charset=utf-8" added for textual types without parameters.  Writes
 * at most cap bytes with the NUL; returns the length, or 0 when it does
 * not fit.
 */
size_t mime_value(const char *type, char *out, size_t cap);

/* The extension of name (after the last dot of its last component), or NULL. */
const char *mime_extension(const char *name, size_t len, size_t *extlen);

#endif
