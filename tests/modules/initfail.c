/*
 * initfail.c -- a test module whose worker_init fails, so every worker
 * exits as soon as it starts (the master must back off, not spin).
 */
#include <prefork-httpd.h>

static int never(struct ph_request *req, struct ph_response *res)
{
	(void)req;
	(void)res;
	return 1;
}

static int fail_init(void)
{
	return 1;
}

const struct ph_module prefork_httpd_module = {
	.abi = PH_MODULE_ABI, .name = "initfail", .handle = never,
	.worker_init = fail_init,
};
