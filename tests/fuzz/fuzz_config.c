/*
 * fuzz_config.c -- libFuzzer harness for the configuration loader
 * (config_load_string() in src/config.c).
 *
 * The input is the YAML text, loaded as "fuzz.yaml" in "/tmp".  Relative
 * paths therefore resolve under /tmp; the loader may stat directories and
 * look up users and groups, which is harmless.
 *
 * Invariants: either a config (then no error) or at least one error (then
 * no config); every message names the file ("fuzz.yaml:LINE:COL: ...") and
 * is one line; everything is freed (LeakSanitizer checks).  A loaded
 * config has at least one listener, at least one worker, and routes
 * sorted longest prefix first.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

#define NAME "fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs;
	struct config *cfg;
	char *text;
	size_t i;

	/* Exactly size bytes, no terminating NUL: the loader gets a length. */
	text = malloc(size ? size : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	memset(&errs, 0, sizeof(errs));
	cfg = config_load_string(NAME, "/tmp", text, size, &errs);
	if (cfg != NULL) {
		CHECK(errs.count == 0);
		CHECK(cfg->nlisten >= 1 && cfg->listen != NULL);
		CHECK(cfg->workers >= 1);
		CHECK(cfg->root != NULL && cfg->root[0] == '/');
		for (i = 0; i + 1 < cfg->nroutes; i++)
			CHECK(cfg->routes[i].prefix_len >=
			      cfg->routes[i + 1].prefix_len);
		for (i = 0; i < cfg->nroutes; i++)
			CHECK(strlen(cfg->routes[i].prefix) ==
			      cfg->routes[i].prefix_len);
		config_free(cfg);
	} else {
		CHECK(errs.count >= 1);
	}
	for (i = 0; i < errs.count; i++) {
		const char *m = errs.msg[i];
		CHECK(m != NULL);
		if (strncmp(m, NAME ":", sizeof(NAME)) != 0 &&
		    strstr(m, NAME) == NULL) {
			fprintf(stderr, "message without the file name: %s\n",
				m);
			abort();
		}
		if (strchr(m, '\n') != NULL) {
			fprintf(stderr, "message of several lines: %s\n", m);
			abort();
		}
	}
	config_errors_free(&errs);
	free(text);
	return 0;
}
