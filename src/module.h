/*
 * module.h -- C handler modules (the API modules use is prefork-httpd.h).
 *
 * The master calls modules_load() after each successful config_load() (at
 * start and on reload) and modules_unload() when that configuration is
 * freed; workers inherit the loaded modules when they are forked, and
 * module_serve() (a handler, see route.c) calls the module of x->route.
 */
#ifndef PH_MODULE_H
#define PH_MODULE_H

#include "config.h"
#include "handler.h"

/*
 * dlopen (RTLD_NOW | RTLD_LOCAL) the module of every module route of cfg,
 * check its ABI number and call its init with the route's options.  0, or
 * -1 with one message per problem appended to errs ("FILE: ABI 2, this
 * server speaks 1 (route /x/, server.yaml:12)"); nothing of cfg stays
 * loaded then.  A module file already loaded for another configuration
 * (same device and inode) is shared; a file replaced on disk (a new inode)
 * is loaded anew beside the old one.
 */
int modules_load(const struct config *cfg, struct config_errors *errs);

/* fini and dlclose for what modules_load(cfg) loaded; harmless otherwise. */
void modules_unload(const struct config *cfg);

/*
 * In a new worker: each module its configuration uses gets worker_init()
 * once.  0, or -1 (logged) when one refused.
 */
int modules_worker_init(const struct config *cfg);

/* The handler: the module of x->route handles the request. */
void module_serve(struct exchange *x);

/* A worker's module state (handler_ctx.h), or NULL (logged) without memory. */
struct module_state *module_state_new(void);

#endif
