/*
 * echo.c -- answers with what it was sent: the request line, the headers,
 * a blank line, then the body, streamed back as it arrives (chunked).
 */
#include <prefork-httpd.h>
#include <stdio.h>
#include <string.h>

static int echo_head(struct ph_request *req, struct ph_response *res)
{
	const char *name, *value;
	size_t n = ph_request_header_count(req);

	if (ph_response_print(res, ph_request_method(req)) < 0 ||
	    ph_response_print(res, " ") < 0 ||
	    ph_response_print(res, ph_request_target(req)) < 0 ||
	    ph_response_print(res, " ") < 0 ||
	    ph_response_print(res, ph_request_protocol(req)) < 0 ||
	    ph_response_print(res, "\n") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (ph_request_header_at(req, i, &name, &value) < 0)
			return -1;
		struct iovec iov[4] = {
			{ (void *)name, strlen(name) }, { ": ", 2 },
			{ (void *)value, strlen(value) }, { "\n", 1 },
		};
		if (ph_response_writev(res, iov, 4) < 0)
			return -1;
	}
	return ph_response_print(res, "\n");
}

static int echo_handle(struct ph_request *req, struct ph_response *res)
{
	char buf[16384];
	ssize_t n;

	ph_response_header(res, "Content-Type", "text/plain; charset=utf-8");
	if (echo_head(req, res) < 0)
		return -1;
	while ((n = ph_request_read(req, buf, sizeof buf)) > 0)
		if (ph_response_write(res, buf, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

const struct ph_module prefork_httpd_module = {
	.abi = PH_MODULE_ABI,
	.name = "echo",
	.handle = echo_handle,
};
