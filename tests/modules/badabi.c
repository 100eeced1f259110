/* badabi.c -- a test module built for a future ABI: must be refused. */
#include <prefork-httpd.h>

static int never(struct ph_request *req, struct ph_response *res)
{
	(void)req;
	(void)res;
	return -1;
}

const struct ph_module prefork_httpd_module = {
	.abi = PH_MODULE_ABI + 1, .name = "badabi", .handle = never,
};
