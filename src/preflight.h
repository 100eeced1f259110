/*
 * preflight.h -- what `prefork-httpd -t` checks beyond the file itself.
 *
 * A file can be valid and still fail at start: a log file that cannot be
 * opened, a pid file whose directory is missing or read-only, a listen
 * address in use.  preflight() tries each of these the way the master does
 * at start, and keeps nothing: the log files are opened (created when
 * missing, as the master would) and closed, an unnamed file is created in
 * the pid file's directory, and every listener, the admin listener and the
 * agent-check address are bound and closed at once.
 *
 * An address in use is not an error when the process that listens on it is
 * the running master of this configuration (named by its pid file, or by
 * the ".oldbin" pid file during an upgrade), so that `-t` can check a file
 * before a reload; nor when it is process 1 (the service manager holding
 * the sockets of a socket unit, handed to the server when it starts).
 */
#ifndef PH_PREFLIGHT_H
#define PH_PREFLIGHT_H

#include "config.h"

/*
 * Check cfg as described above.  Appends one "FILE:LINE:COL: message" per
 * problem to errs (the position of the key in cfg->file) and returns how
 * many it added.
 */
size_t preflight(const struct config *cfg, struct config_errors *errs);

#endif
