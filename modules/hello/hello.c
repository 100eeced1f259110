/*
 * hello.c -- the smallest useful prefork-httpd module.
 *
 *	GET /hello/?name=Ada  ->  "Hello, Ada!"
 *
 * Options: greeting (default "Hello").  The route's options are read at
 * request time, so one hello.so can serve several routes with different
 * greetings.
 */
#include <prefork-httpd.h>
#include <stdio.h>
#include <string.h>

static int hello_init(const struct ph_options *opts)
{
	const char *g = ph_options_get(opts, "greeting");

	return g != NULL && g[0] == '\0' ? -1 : 0; /* an empty greeting: refused */
}

static int hello_handle(struct ph_request *req, struct ph_response *res)
{
	const char *greeting = ph_request_option(req, "greeting");
	char name[128], body[256];
	int n;

	if (ph_request_query_param(req, "name", name, sizeof name) <= 0)
		strcpy(name, "world");
	n = snprintf(body, sizeof body, "%s, %s!\n", greeting ? greeting : "Hello",
		     name);
	if (n < 0 || (size_t)n >= sizeof body)
		return -1;
	ph_response_header(res, "Content-Type", "text/plain; charset=utf-8");
	ph_response_length(res, n);
	return ph_response_write(res, body, (size_t)n) < 0 ? -1 : 0;
}

const struct ph_module prefork_httpd_module = {
	.abi = PH_MODULE_ABI,
	.name = "hello",
	.init = hello_init,
	.handle = hello_handle,
	.fini = NULL,
};
