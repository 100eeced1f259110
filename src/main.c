/*
 * main.c -- the command line: -c, -t, -s, -V, -h; then the master.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "master.h"
#include "module.h"
#include "preflight.h"

#ifndef BUILD_OPTIONS
#define BUILD_OPTIONS "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: %s [-c FILE] [-t] [-s SIGNAL] [-V] [-h]\n"
		"  -c FILE        configuration file (default %s)\n"
		"  -t             check the configuration, and that its log files,\n"
		"                 pid file and addresses can be used, and exit\n"
		"  -s SIGNAL      signal the running master named by the pid_file:\n"
		"                 reload | stop | quit | reopen | upgrade\n"
		"  -V, --version  print the version and build options\n"
		"  -h, --help     this help\n",
		PACKAGE_NAME, CONFIG_DEFAULT_FILE);
}

static void print_errors(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
}

static struct config *load(const char *path)
{
	struct config_errors errs = { 0 };
	struct config *cfg = config_load(path, &errs);

	if (cfg == NULL)
		print_errors(&errs);
	config_errors_free(&errs);
	return cfg;
}

static int signal_number(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} verbs[] = {
		{ "reload", SIGHUP }, { "stop", SIGTERM }, { "quit", SIGQUIT },
		{ "reopen", SIGUSR1 }, { "upgrade", SIGUSR2 },
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return verbs[i].sig;
	return -1;
}

/* Read the master's pid from the pid file; -1 with a message when unusable. */
static long read_pid(const char *path)
{
	char buf[32] = { 0 };
	FILE *f = fopen(path, "re");
	char *end;
	long pid;

	if (f == NULL) {
		fprintf(stderr, "%s: cannot read pid file %s: %s (is the server running?)\n",
			PACKAGE_NAME, path, strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	pid = strtol(buf, &end, 10);
	if (pid <= 0 || (*end != '\n' && *end != '\0')) {
		fprintf(stderr, "%s: pid file %s does not hold a pid\n",
			PACKAGE_NAME, path);
		return -1;
	}
	return pid;
}

/*
 * -s: the file is read only for its pid_file, so that a verb reaches the
 * master whatever else is wrong in it (a reload then reports the errors,
 * from the master, like HUP).
 */
static int send_signal(const char *cfg_path, const char *verb)
{
	struct config_errors errs = { 0 };
	int sig = signal_number(verb);
	char *pid_file = NULL, ctl[4096];
	long pid;
	int rc;

	if (sig < 0) {
		fprintf(stderr, "%s: unknown signal \"%s\": expected reload, stop, "
			"quit, reopen or upgrade\n", PACKAGE_NAME, verb);
		return 1;
	}
	rc = config_pid_file(cfg_path, &pid_file, &errs);
	print_errors(&errs);
	config_errors_free(&errs);
	if (rc < 0)
		return 1;
	if (rc > 0) {
		fprintf(stderr, "%s: %s sets pid_file: off: cannot find the master\n",
			PACKAGE_NAME, cfg_path);
		return 1;
	}
	control_path(pid_file, ctl, sizeof(ctl));
	rc = control_request(ctl, verb, sig == SIGHUP ? 65000 : 10000);
	if (rc >= 0) {
		free(pid_file);
		return rc;
	}
	/* No control socket (an older master?): a plain signal, no outcome. */
	pid = read_pid(pid_file);
	if (pid > 0 && kill((pid_t)pid, sig) < 0) {
		fprintf(stderr, "%s: kill(%ld) from pid file %s: %s%s\n", PACKAGE_NAME,
			pid, pid_file, strerror(errno),
			errno == ESRCH ? " (stale pid file)" : "");
		pid = -1;
	}
	free(pid_file);
	return pid > 0 ? 0 : 1;
}

/* -t: the file, its modules, then what the master would meet at start. */
static int check_config(const char *cfg_path)
{
	struct config_errors errs = { 0 };
	struct config *cfg = load(cfg_path);

	if (cfg == NULL)
		return 1;
	if (modules_load(cfg, &errs) < 0) {
		print_errors(&errs);
		config_errors_free(&errs);
		config_free(cfg);
		return 1;
	}
	modules_unload(cfg);
	preflight(cfg, &errs);
	print_errors(&errs);
	config_free(cfg);
	if (errs.count > 0) {
		config_errors_free(&errs);
		return 1;
	}
	printf("%s: configuration ok\n", cfg_path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg_path = CONFIG_DEFAULT_FILE;
	const char *verb = NULL;
	bool test = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:ts:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 's':
			verb = optarg;
			break;
		case 'V':
			printf("%s %s\nbuild options: %s\n", PACKAGE_NAME,
			       PACKAGE_VERSION, BUILD_OPTIONS);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", PACKAGE_NAME,
			argv[optind]);
		usage(stderr);
		return 1;
	}
	if (verb != NULL)
		return send_signal(cfg_path, verb);
	if (test)
		return check_config(cfg_path);
	master_block_signals();
	struct config *cfg = load(cfg_path);
	if (cfg == NULL)
		return 1;
	struct config_errors merrs = { 0 };
	if (modules_load(cfg, &merrs) < 0) {
		print_errors(&merrs);
		config_errors_free(&merrs);
		config_free(cfg);
		return 1;
	}
	return master_run(cfg_path, cfg, argv);
}
