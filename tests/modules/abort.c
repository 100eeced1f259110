/* abort.c -- a test module whose handler crashes the worker. */
#include <prefork-httpd.h>
#include <stdlib.h>

static int crash(struct ph_request *req, struct ph_response *res)
{
	(void)req;
	(void)res;
	abort();
}

const struct ph_module prefork_httpd_module = {
	.abi = PH_MODULE_ABI, .name = "abort", .handle = crash,
};
