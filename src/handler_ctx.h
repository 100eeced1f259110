/*
 * handler_ctx.h -- the per-worker state of the handlers that keep some.
 *
 * CGI keeps its pipes' buffers and the script being run, modules their
 * registry and the strings of the request in hand.  A worker makes one
 * handler_ctx at its start; handlers reach it through the exchange
 * (x->hctx), never through a global.
 */
#ifndef PH_HANDLER_CTX_H
#define PH_HANDLER_CTX_H

struct cgi_state;    /* cgi.c */
struct module_state; /* module.c */

struct handler_ctx {
	struct cgi_state *cgi;
	struct module_state *mod;
};

#endif
