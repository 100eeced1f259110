/*
 * misc.c -- a test module for the corner cases of the API:
 *	/nothing  returns 0 without answering      (server: 500)
 *	/error    returns an error                 (server: 500)
 *	/status   204, no body
 *	/file     the file named by option `file`, sent as the whole body
 *	/mixed    "head:" then the same file, copied after a write
 *	/version  the `version` option (reload tests)
 * init counts its calls; fini logs nothing.  init refuses option refuse=yes.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <prefork-httpd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int init_calls;

static int misc_init(const struct ph_options *opts)
{
	const char *r = ph_options_get(opts, "refuse");

	init_calls++;
	return r != NULL && strcmp(r, "yes") == 0 ? -1 : 0;
}

static int send_file(struct ph_request *req, struct ph_response *res, int mixed)
{
	const char *file = ph_request_option(req, "file");
	struct stat st;
	int fd, rc;

	if (file == NULL || (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	ph_response_header(res, "Content-Type", "application/octet-stream");
	rc = mixed ? ph_response_print(res, "head:") : 0;
	if (rc == 0)
		rc = ph_response_sendfile(res, fd, 0, st.st_size);
	close(fd);
	return rc;
}

static int misc_handle(struct ph_request *req, struct ph_response *res)
{
	const char *p = ph_request_path(req);

	if (strcmp(p, "/nothing") == 0)
		return 0;
	if (strcmp(p, "/error") == 0)
		return -1;
	if (strcmp(p, "/status") == 0)
		return ph_response_status(res, 204);
	if (strcmp(p, "/file") == 0 || strcmp(p, "/mixed") == 0)
		return send_file(req, res, p[1] == 'm');
	if (strcmp(p, "/version") == 0) {
		const char *v = ph_request_option(req, "version");
		return ph_response_print(res, v ? v : "none");
	}
	if (strcmp(p, "/inits") == 0) {
		char d[2] = { (char)('0' + init_calls % 10), '\0' };
		return ph_response_print(res, d);
	}
	ph_response_status(res, 404);
	return ph_response_print(res, "no such test\n");
}

const struct ph_module prefork_httpd_module = {
	.abi = PH_MODULE_ABI, .name = "misc", .init = misc_init,
	.handle = misc_handle,
};
