#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cpus.h"

static char tmpdir[PATH_MAX];

static void mkdir_in(const char *rel)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s", p);
}

static void write_file(const char *rel, const char *text)
{
	char p[PATH_MAX + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	f = fopen(p, "we");
	cr_assert_not_null(f, "fopen %s", p);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

static void setup(void)
{
	char tmpl[] = "/tmp/ph-config-XXXXXX";
	char *real;

	cr_assert_not_null(mkdtemp(tmpl));
	real = realpath(tmpl, NULL);
	cr_assert_not_null(real);
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	mkdir_in("www");
	/* Messages then name the file as given: "server.yaml:LINE:COL: ..." */
	cr_assert_eq(chdir(tmpdir), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void teardown(void)
{
	if (tmpdir[0] != '\0' && chdir("/") == 0)
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = setup, .fini = teardown);

static struct config *load(const char *text, struct config_errors *e)
{
	write_file("server.yaml", text);
	memset(e, 0, sizeof(*e));
	return config_load("server.yaml", e);
}

static struct config *load_ok(const char *text)
{
	struct config_errors e;
	struct config *cfg = load(text, &e);

	for (size_t i = 0; i < e.count; i++)
		cr_log_error("%s", e.msg[i]);
	cr_assert_not_null(cfg, "config should load");
	cr_assert_eq(e.count, 0);
	config_errors_free(&e);
	return cfg;
}

/* Loading text fails with exactly the n messages given, in that order. */
static void expect_errors(const char *text, size_t n, ...)
{
	struct config_errors e;
	struct config *cfg = load(text, &e);
	va_list ap;

	cr_expect_null(cfg);
	config_free(cfg);
	for (size_t i = 0; i < e.count; i++)
		cr_log_info("got: %s", e.msg[i]);
	cr_assert_eq(e.count, n, "error count");
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(e.msg[i], va_arg(ap, const char *));
	va_end(ap);
	config_errors_free(&e);
}

static char *in_tmp(const char *rel)
{
	static char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	return p;
}

static const char sample[] =
	"listen:\n"
	"  - 127.0.0.1:8080\n"
	"  - {address: \"[::1]:8081\", proxy_protocol: true, defer_accept: false}\n"
	"  - unix:/tmp/ph-test.sock\n"
	"workers: 4\n"
	"max_workers: 16\n"
	"max_requests_per_worker: 10000\n"
	"max_requests_jitter: 500\n"
	"backlog: 1024\n"
	"user: nobody\n"
	"group: nogroup\n"
	"pid_file: run/prefork-httpd.pid\n"
	"root: www\n"
	"index: [index.html, index.htm]\n"
	"server_tokens: false\n"
	"serve_dotfiles: yes\n"
	"timeouts:\n"
	"  header: 5s\n"
	"  body: 20\n"
	"  keepalive: 500ms\n"
	"  send: 1m\n"
	"  worker: 2m\n"
	"  graceful: 1h\n"
	"  drain_delay: 3s\n"
	"limits:\n"
	"  header_bytes: 8k\n"
	"  headers: 50\n"
	"  uri_bytes: 4096\n"
	"  body_bytes: 10m\n"
	"  keepalive_requests: 0\n"
	"access_log: {path: logs/access.log, format: json}\n"
	"error_log: {path: stdout, level: debug}\n"
	"health: {path: /ping, log: true}\n"
	"admin:\n"
	"  listen: 127.0.0.1:9901\n"
	"agent_check: 127.0.0.1:9902\n"
	"status: {path: /server-status, allow: [127.0.0.1/32, \"::1/128\"]}\n"
	"metrics: {path: /metrics, allow: [10.0.0.0/8]}\n"
	"trusted_proxies: [10.0.0.0/8, 192.168.0.0/16]\n"
	"routes:\n"
	"  - prefix: /static/\n"
	"    static: {root: public, index: [index.html], autoindex: true}\n"
	"    headers: {Cache-Control: \"public, max-age=3600\"}\n"
	"  - prefix: /cgi-bin/\n"
	"    cgi: {dir: cgi-bin, timeout: 30s}\n"
	"  - prefix: /api/\n"
	"    module: {path: modules/hello.so, options: {greeting: hi, n: 3}}\n"
	"  - prefix: /old/\n"
	"    redirect: {to: /new/, status: 301}\n"
	"  - prefix: /robots.txt\n"
	"    return: {status: 200, body: \"User-agent: *\\nDisallow:\\n\"}\n"
	"  - prefix: /\n"
	"    return: {status: 404}\n";

static void make_sample_tree(void)
{
	mkdir_in("public");
	mkdir_in("cgi-bin");
	mkdir_in("modules");
	write_file("modules/hello.so", "");
}

Test(config, full_sample)
{
	struct config *cfg;
	const struct route *r;

	make_sample_tree();
	cfg = load_ok(sample);
	cr_expect_str_eq(cfg->file, "server.yaml");
	cr_expect_str_eq(cfg->dir, tmpdir);

	cr_assert_eq(cfg->nlisten, 3);
	cr_expect_str_eq(cfg->listen[0].text, "127.0.0.1:8080");
	cr_expect_eq(cfg->listen[0].line, 2);
	cr_expect_eq(cfg->listen[0].col, 5);
	cr_expect(cfg->listen[0].defer_accept);
	cr_expect_not(cfg->listen[0].proxy_protocol);
	cr_expect_str_eq(cfg->listen[1].text, "[::1]:8081");
	cr_expect(cfg->listen[1].proxy_protocol);
	cr_expect_not(cfg->listen[1].defer_accept);
	cr_expect_str_eq(cfg->listen[2].text, "unix:/tmp/ph-test.sock");

	cr_expect_eq(cfg->workers, 4);
	cr_expect_not(cfg->workers_auto);
	cr_expect_eq(cfg->max_workers, 16);
	cr_expect_eq(cfg->max_requests_per_worker, 10000);
	cr_expect_eq(cfg->max_requests_jitter, 500);
	cr_expect_eq(cfg->backlog, 1024);
	cr_expect_str_eq(cfg->user, "nobody");
	cr_expect_str_eq(cfg->group, "nogroup");
	cr_expect_str_eq(cfg->pid_file, in_tmp("run/prefork-httpd.pid"));
	cr_expect_str_eq(cfg->root, in_tmp("www"));
	cr_assert_eq(cfg->nindex, 2);
	cr_expect_str_eq(cfg->index[1], "index.htm");
	cr_expect_not(cfg->server_tokens);
	cr_expect(cfg->serve_dotfiles);

	cr_expect_eq(cfg->timeouts.header_ms, 5000);
	cr_expect_eq(cfg->timeouts.body_ms, 20000);
	cr_expect_eq(cfg->timeouts.keepalive_ms, 500);
	cr_expect_eq(cfg->timeouts.send_ms, 60000);
	cr_expect_eq(cfg->timeouts.worker_ms, 120000);
	cr_expect_eq(cfg->timeouts.graceful_ms, 3600000);
	cr_expect_eq(cfg->timeouts.drain_delay_ms, 3000);
	cr_expect_eq(cfg->limits.header_bytes, 8192);
	cr_expect_eq(cfg->limits.headers, 50);
	cr_expect_eq(cfg->limits.uri_bytes, 4096);
	cr_expect_eq(cfg->limits.body_bytes, 10u << 20);
	cr_expect_eq(cfg->limits.keepalive_requests, 0);

	cr_expect_str_eq(cfg->access_log.path, in_tmp("logs/access.log"));
	cr_expect_eq(cfg->access_log.format, LOG_FORMAT_JSON);
	cr_expect_str_eq(cfg->error_log.path, "stdout");
	cr_expect_eq(cfg->error_log.level, LOG_DEBUG);
	cr_expect_str_eq(cfg->health_path, "/ping");
	cr_expect(cfg->health_log);
	cr_expect(cfg->admin_enabled);
	cr_expect_str_eq(cfg->admin_listen.text, "127.0.0.1:9901");
	cr_expect(cfg->agent_check_enabled);
	cr_expect_str_eq(cfg->agent_check.text, "127.0.0.1:9902");
	cr_expect_str_eq(cfg->status.path, "/server-status");
	cr_expect_eq(cfg->status.nallow, 2);
	cr_expect_eq(cfg->status.allow[1].family, AF_INET6);
	cr_expect_str_eq(cfg->metrics.path, "/metrics");
	cr_assert_eq(cfg->metrics.nallow, 1);
	cr_expect_eq(cfg->metrics.allow[0].prefix, 8);
	cr_expect_eq(cfg->ntrusted_proxies, 2);

	cr_assert_eq(cfg->nroutes, 6);
	r = cfg->routes;
	cr_expect_str_eq(r[0].prefix, "/robots.txt");
	cr_expect_eq(r[0].kind, ROUTE_RETURN);
	cr_expect_eq(r[0].ret.status, 200);
	cr_expect_str_eq(r[0].ret.body, "User-agent: *\nDisallow:\n");
	cr_expect_eq(r[0].ret.body_len, 24);
	cr_expect_str_eq(r[1].prefix, "/cgi-bin/");
	cr_expect_eq(r[1].kind, ROUTE_CGI);
	cr_expect_str_eq(r[1].cgi.dir, in_tmp("cgi-bin"));
	cr_expect_eq(r[1].cgi.timeout_ms, 30000);
	cr_expect_str_eq(r[2].prefix, "/static/");
	cr_expect_eq(r[2].prefix_len, 8);
	cr_expect_eq(r[2].kind, ROUTE_STATIC);
	cr_expect_str_eq(r[2].static_.root, in_tmp("public"));
	cr_expect(r[2].static_.autoindex);
	cr_assert_eq(r[2].nheaders, 1);
	cr_expect_str_eq(r[2].headers[0].name, "Cache-Control");
	cr_expect_str_eq(r[2].headers[0].value, "public, max-age=3600");
	cr_expect_eq(r[2].line, 41);
	cr_expect_eq(r[2].col, 5);
	cr_expect_str_eq(r[3].prefix, "/api/");
	cr_expect_eq(r[3].kind, ROUTE_MODULE);
	cr_expect_str_eq(r[3].module.path, in_tmp("modules/hello.so"));
	cr_assert_eq(r[3].module.noptions, 2);
	cr_expect_str_eq(r[3].module.options[0].name, "greeting");
	cr_expect_str_eq(r[3].module.options[0].value, "hi");
	cr_expect_str_eq(r[3].module.options[1].value, "3");
	cr_expect_str_eq(r[4].prefix, "/old/");
	cr_expect_eq(r[4].kind, ROUTE_REDIRECT);
	cr_expect_str_eq(r[4].redirect.to, "/new/");
	cr_expect_eq(r[4].redirect.status, 301);
	cr_expect_str_eq(r[5].prefix, "/");
	cr_expect_eq(r[5].ret.status, 404);
	cr_expect_str_eq(r[5].ret.body, "");
	config_free(cfg);
}

Test(config, defaults)
{
	struct config *cfg = load_ok("listen: 127.0.0.1:8080\n");
	unsigned want_max;

	cr_assert_eq(cfg->nlisten, 1);
	cr_expect_str_eq(cfg->listen[0].text, "127.0.0.1:8080");
	cr_expect(cfg->workers_auto);
	cr_expect_eq(cfg->workers, cpus_available());
	want_max = cfg->workers * 2 > 64 ? cfg->workers * 2 : 64;
	cr_expect_eq(cfg->max_workers, want_max);
	cr_expect_eq(cfg->max_requests_per_worker, 0);
	cr_expect_eq(cfg->max_requests_jitter, 0);
	cr_expect_eq(cfg->backlog, 511);
	cr_expect_null(cfg->user);
	cr_expect_null(cfg->group);
	cr_expect_not(cfg->allow_root);
	cr_expect_str_eq(cfg->pid_file, in_tmp("prefork-httpd.pid"),
			 "the default pid file is next to the configuration file");
	cr_expect(cfg->pid_file_default);
	cr_expect_str_eq(cfg->root, in_tmp("www"));
	cr_assert_eq(cfg->nindex, 1);
	cr_expect_str_eq(cfg->index[0], "index.html");
	cr_expect(cfg->server_tokens);
	cr_expect_not(cfg->serve_dotfiles);
	cr_expect_eq(cfg->timeouts.header_ms, 10000);
	cr_expect_eq(cfg->timeouts.body_ms, 30000);
	cr_expect_eq(cfg->timeouts.keepalive_ms, 5000);
	cr_expect_eq(cfg->timeouts.send_ms, 30000);
	cr_expect_eq(cfg->timeouts.worker_ms, 60000);
	cr_expect_eq(cfg->timeouts.graceful_ms, 30000);
	cr_expect_eq(cfg->timeouts.drain_delay_ms, 0);
	cr_expect_eq(cfg->limits.header_bytes, 16384);
	cr_expect_eq(cfg->limits.headers, 100);
	cr_expect_eq(cfg->limits.uri_bytes, 8192);
	cr_expect_eq(cfg->limits.body_bytes, 1048576);
	cr_expect_eq(cfg->limits.keepalive_requests, 1000);
	cr_expect_str_eq(cfg->access_log.path, "stdout");
	cr_expect_eq(cfg->access_log.format, LOG_FORMAT_COMBINED);
	cr_expect_str_eq(cfg->error_log.path, "stderr");
	cr_expect_eq(cfg->error_log.level, LOG_INFO);
	cr_expect_str_eq(cfg->health_path, "/healthz");
	cr_expect_not(cfg->health_log);
	cr_expect_not(cfg->admin_enabled);
	cr_expect_not(cfg->agent_check_enabled);
	cr_expect_null(cfg->status.path);
	cr_expect_null(cfg->metrics.path);
	cr_expect_eq(cfg->ntrusted_proxies, 0);
	cr_expect_eq(cfg->nroutes, 0);
	config_free(cfg);
}

Test(config, status_and_metrics_default_allow)
{
	struct config *cfg = load_ok("listen: :8080\nstatus: {}\nmetrics: on\n");

	cr_expect_str_eq(cfg->listen[0].text, "0.0.0.0:8080");
	cr_expect_str_eq(cfg->status.path, "/server-status");
	cr_assert_eq(cfg->status.nallow, 2);
	cr_expect_eq(cfg->status.allow[0].family, AF_INET);
	cr_expect_eq(cfg->status.allow[0].prefix, 32);
	cr_expect_eq(cfg->status.allow[1].family, AF_INET6);
	cr_expect_eq(cfg->status.allow[1].prefix, 128);
	cr_expect_str_eq(cfg->metrics.path, "/metrics");
	cr_expect_eq(cfg->metrics.nallow, 2);
	config_free(cfg);
}

Test(config, workers_error_position)
{
	expect_errors("listen:\n  - 127.0.0.1:8080\n\n\n\n\nworkers:   four\n", 1,
		      "server.yaml:7:12: workers: expected an integer >= 1 "
		      "or \"auto\", got \"four\"");
}

Test(config, workers_auto_and_zero)
{
	struct config *cfg = load_ok("listen: 127.0.0.1:1\nworkers: auto\n");

	cr_expect(cfg->workers_auto);
	cr_expect_geq(cfg->workers, 1);
	config_free(cfg);
	expect_errors("listen: 127.0.0.1:1\nworkers: 0\n", 1,
		      "server.yaml:2:10: workers: expected an integer >= 1 or "
		      "\"auto\", got \"0\"");
}

Test(config, max_workers_below_workers)
{
	expect_errors("listen: 127.0.0.1:1\nworkers: 8\nmax_workers: 4\n", 1,
		      "server.yaml:3:14: max_workers: expected an integer >= "
		      "workers (8), got \"4\"");
}

Test(config, unknown_keys)
{
	expect_errors("listen: 127.0.0.1:1\nworkers: 2\nwrokers: 3\n", 1,
		      "server.yaml:3:1: unknown key \"wrokers\"");
	expect_errors("listen: 127.0.0.1:1\ntimeouts:\n  header: 5s\n"
		      "  hedaer: 5s\n", 1,
		      "server.yaml:4:3: timeouts: unknown key \"hedaer\"");
	expect_errors("listen: 127.0.0.1:1\nroutes:\n  - prefix: /a\n"
		      "    static: {rot: x}\n", 1,
		      "server.yaml:4:14: routes[0].static: unknown key \"rot\"");
	expect_errors("listen:\n  - {address: 127.0.0.1:1, proxy: true}\n", 1,
		      "server.yaml:2:28: listen[0]: unknown key \"proxy\"");
}

Test(config, duplicate_keys)
{
	expect_errors("listen: 127.0.0.1:1\nworkers: 2\nworkers: 3\n", 1,
		      "server.yaml:3:1: duplicate key \"workers\"");
	expect_errors("listen: 127.0.0.1:1\nlimits: {headers: 5, headers: 6}\n", 1,
		      "server.yaml:2:22: limits: duplicate key \"headers\"");
}

Test(config, several_errors_in_file_order)
{
	expect_errors("workers: four\n"
		      "listen:\n"
		      "  - 127.0.0.1:8080\n"
		      "  - example.com:80\n"
		      "  - 127.0.0.1:8080\n"
		      "timeouts:\n"
		      "  header: ten\n"
		      "  body: -1\n"
		      "limits: {header_bytes: 512, uri_bytes: 1x, headers: 0}\n"
		      "backlog: 70000\n"
		      "access_log: {format: xml}\n"
		      "error_log: {level: loud}\n"
		      "server_tokens: maybe\n"
		      "user: no-such-user-xyz\n"
		      "group: no-such-group-xyz\n",
		      14,
		      "server.yaml:1:10: workers: expected an integer >= 1 or "
		      "\"auto\", got \"four\"",
		      "server.yaml:4:5: listen[1]: expected an IP address, got "
		      "\"example.com:80\"",
		      "server.yaml:5:5: listen: address \"127.0.0.1:8080\" is "
		      "already used at line 3",
		      "server.yaml:7:11: timeouts.header: expected a duration like "
		      "\"10s\", got \"ten\"",
		      "server.yaml:8:9: timeouts.body: expected a duration like "
		      "\"10s\", got \"-1\"",
		      "server.yaml:9:24: limits.header_bytes: expected a size of at "
		      "least 1024 bytes, got \"512\"",
		      "server.yaml:9:40: limits.uri_bytes: expected a size like "
		      "\"16k\", got \"1x\"",
		      "server.yaml:9:53: limits.headers: expected an integer >= 1, "
		      "got \"0\"",
		      "server.yaml:10:10: backlog: expected an integer from 1 to "
		      "65535, got \"70000\"",
		      "server.yaml:11:22: access_log.format: expected one of "
		      "combined or json, got \"xml\"",
		      "server.yaml:12:20: error_log.level: expected one of error, "
		      "warn, info or debug, got \"loud\"",
		      "server.yaml:13:16: server_tokens: expected true or false, "
		      "got \"maybe\"",
		      "server.yaml:14:7: user: unknown user \"no-such-user-xyz\"",
		      "server.yaml:15:8: group: unknown group \"no-such-group-xyz\"");
}

Test(config, types_are_checked)
{
	expect_errors("listen: 127.0.0.1:1\ntimeouts: 5s\n", 1,
		      "server.yaml:2:11: timeouts: expected a mapping, got \"5s\"");
	expect_errors("listen: 127.0.0.1:1\nworkers: [1]\n", 1,
		      "server.yaml:2:10: workers: expected an integer >= 1 or "
		      "\"auto\", got a list");
	expect_errors("listen: {port: 1}\n", 2,
		      "server.yaml:1:9: listen.address: required",
		      "server.yaml:1:10: listen: unknown key \"port\"");
	expect_errors("- a\n- b\n", 2,
		      "server.yaml:1:1: configuration: expected a mapping, got a list",
		      "server.yaml:1:1: listen: required (at least one address)");
}

Test(config, listen_required_and_forms)
{
	struct config *cfg;

	expect_errors("workers: 2\n", 1,
		      "server.yaml:1:1: listen: required (at least one address)");
	expect_errors("", 1,
		      "server.yaml:1:1: listen: required (at least one address)");
	expect_errors("listen: []\n", 1,
		      "server.yaml:1:9: listen: expected at least one address");
	expect_errors("listen: example.com:80\n", 1,
		      "server.yaml:1:9: listen: expected an IP address, got "
		      "\"example.com:80\"");
	cfg = load_ok("listen: {address: \"[::1]:80\", proxy_protocol: on}\n");
	cr_assert_eq(cfg->nlisten, 1);
	cr_expect(cfg->listen[0].proxy_protocol);
	config_free(cfg);
}

Test(config, admin_address_clash)
{
	expect_errors("listen: 127.0.0.1:80\nadmin: {listen: 127.0.0.1:80}\n", 1,
		      "server.yaml:2:17: admin.listen: address \"127.0.0.1:80\" "
		      "is already used at line 1");
	expect_errors("listen: 127.0.0.1:80\nadmin: {}\n", 1,
		      "server.yaml:2:8: admin.listen: required");
}

Test(config, syntax_error)
{
	struct config_errors e;
	struct config *cfg = load("listen: [127.0.0.1:80\nworkers: 2\n", &e);

	cr_expect_null(cfg);
	cr_assert_eq(e.count, 1);
	cr_expect(strncmp(e.msg[0], "server.yaml:", 12) == 0, "%s", e.msg[0]);
	cr_expect(strstr(e.msg[0], "flow sequence") != NULL, "%s", e.msg[0]);
	config_errors_free(&e);

	expect_errors("listen: 127.0.0.1:80\n  workers: 2\n", 1,
		      "server.yaml:2:10: mapping values are not allowed in this "
		      "context");
}

Test(config, missing_file)
{
	struct config_errors e = { 0 };
	struct config *cfg = config_load("no-such.yaml", &e);

	cr_expect_null(cfg);
	cr_assert_eq(e.count, 1);
	cr_expect_str_eq(e.msg[0],
			 "no-such.yaml: cannot open: No such file or directory");
	config_errors_free(&e);
}

Test(config, log_off_forms)
{
	static const char *forms[] = { "off", "false", "no", "\"off\"", "Off" };
	char text[256];
	struct config *cfg;

	for (size_t i = 0; i < PH_ARRAY_LEN(forms); i++) {
		snprintf(text, sizeof(text),
			 "listen: 127.0.0.1:1\naccess_log: {path: %s}\n"
			 "error_log: {path: %s}\n", forms[i], forms[i]);
		cfg = load_ok(text);
		cr_expect_null(cfg->access_log.path, "%s", forms[i]);
		cr_expect_null(cfg->error_log.path, "%s", forms[i]);
		config_free(cfg);
	}
	cfg = load_ok("listen: 127.0.0.1:1\naccess_log: off\n");
	cr_expect_null(cfg->access_log.path);
	config_free(cfg);
	cfg = load_ok("listen: 127.0.0.1:1\naccess_log: {path: stderr}\n"
		      "error_log: {path: /var/log/x.log}\n");
	cr_expect_str_eq(cfg->access_log.path, "stderr");
	cr_expect_str_eq(cfg->error_log.path, "/var/log/x.log");
	config_free(cfg);
}

Test(config, relative_paths)
{
	struct config *cfg;
	char dir[PATH_MAX + 64];

	mkdir_in("conf");
	mkdir_in("conf/docs");
	mkdir_in("conf/pub");
	write_file("conf/s.yaml",
		   "listen: 127.0.0.1:1\nroot: ./docs\npid_file: x.pid\n"
		   "access_log: {path: ../logs/a.log}\n"
		   "error_log: {path: e.log}\n"
		   "routes:\n  - prefix: /p/\n    static: {root: pub}\n"
		   "  - prefix: /q/\n    static: {}\n");
	cfg = NULL;
	{
		struct config_errors e = { 0 };
		cfg = config_load("conf/s.yaml", &e);
		for (size_t i = 0; i < e.count; i++)
			cr_log_error("%s", e.msg[i]);
		config_errors_free(&e);
	}
	cr_assert_not_null(cfg);
	snprintf(dir, sizeof(dir), "%s/conf", tmpdir);
	cr_expect_str_eq(cfg->dir, dir);
	cr_expect_str_eq(cfg->root, in_tmp("conf/docs"));
	cr_expect_str_eq(cfg->pid_file, in_tmp("conf/x.pid"));
	cr_expect_str_eq(cfg->access_log.path, in_tmp("conf/../logs/a.log"));
	cr_expect_str_eq(cfg->error_log.path, in_tmp("conf/e.log"));
	cr_assert_eq(cfg->nroutes, 2);
	cr_expect_str_eq(cfg->routes[0].static_.root, in_tmp("conf/pub"));
	cr_expect_str_eq(cfg->routes[1].static_.root, in_tmp("conf/docs"),
			 "a static route without root uses the top-level root");
	cr_expect_eq(cfg->routes[1].static_.nindex, 1);
	config_free(cfg);
}

Test(config, root_must_exist)
{
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg),
		 "server.yaml:2:7: root: %s: No such file or directory",
		 in_tmp("nope"));
	expect_errors("listen: 127.0.0.1:1\nroot: nope\n", 1, msg);
	cr_assert_eq(rmdir(in_tmp("www")), 0);
	snprintf(msg, sizeof(msg),
		 "server.yaml:1:1: root: %s: No such file or directory",
		 in_tmp("www"));
	expect_errors("listen: 127.0.0.1:1\n", 1, msg);
}

Test(config, load_string)
{
	struct config_errors e = { 0 };
	static const char text[] = "listen: 127.0.0.1:1\nworkers: x\n";
	struct config *cfg;

	cfg = config_load_string("inline", tmpdir, text, strlen(text), &e);
	cr_expect_null(cfg);
	cr_assert_eq(e.count, 1);
	cr_expect_str_eq(e.msg[0], "inline:2:10: workers: expected an integer "
				   ">= 1 or \"auto\", got \"x\"");
	config_errors_free(&e);
	cfg = config_load_string("inline", tmpdir, text, 20, &e);
	cr_assert_not_null(cfg);
	cr_expect_str_eq(cfg->root, in_tmp("www"));
	config_free(cfg);
}

Test(config, health)
{
	struct config *cfg = load_ok("listen: 127.0.0.1:1\nhealth: off\n");

	cr_expect_null(cfg->health_path);
	config_free(cfg);
	cfg = load_ok("listen: 127.0.0.1:1\nhealth: false\n");
	cr_expect_null(cfg->health_path);
	config_free(cfg);
	expect_errors("listen: 127.0.0.1:1\nhealth: {path: healthz}\n", 1,
		      "server.yaml:2:16: health.path: expected a path starting "
		      "with '/', got \"healthz\"");
}

Test(config, route_validation)
{
	expect_errors("listen: 127.0.0.1:1\nroutes:\n"
		      "  - prefix: /a/\n"
		      "  - prefix: b\n    return: {}\n"
		      "  - return: {}\n"
		      "  - prefix: /c\n    return: {status: 200}\n"
		      "    redirect: {to: /x}\n"
		      "  - prefix: /c\n    return: {status: 600}\n"
		      "  - prefix: /d\n    redirect: {status: 301}\n"
		      "  - prefix: /e\n    static: {}\n    headers: {\"a b\": c}\n",
		      8,
		      "server.yaml:3:5: routes[0]: expected a handler: static, "
		      "cgi, module, redirect or return",
		      "server.yaml:4:13: routes[1].prefix: expected a path "
		      "starting with '/', got \"b\"",
		      "server.yaml:6:5: routes[2].prefix: required",
		      "server.yaml:9:15: routes[3]: more than one handler (return "
		      "and redirect); a route has exactly one",
		      "server.yaml:10:13: routes[4].prefix: \"/c\" is already used "
		      "at line 7",
		      "server.yaml:11:22: routes[4].return.status: expected an "
		      "integer from 100 to 599, got \"600\"",
		      "server.yaml:13:15: routes[5].redirect.to: required",
		      "server.yaml:16:15: routes[6].headers: expected a header "
		      "name, got \"a b\"");
}

/*
 * redirect.to becomes a Location header: a control byte (CR, LF, a tab,
 * ESC, DEL) or more than REDIRECT_TO_MAX bytes is refused with the
 * position of the value.
 */
Test(config, redirect_to_refused)
{
	static const struct {
		const char *to;      /* YAML text of the value */
		const char *message; /* after "server.yaml:4:20: " */
	} cases[] = {
		{ "\"/a\\r\\nSet-Cookie: x=1\"",
		  "routes[0].redirect.to: control byte 0x0d at offset 2; a "
		  "Location is one line of visible characters" },
		{ "\"/a\\nb\"",
		  "routes[0].redirect.to: control byte 0x0a at offset 2; a "
		  "Location is one line of visible characters" },
		{ "\"/a\\tb\"",
		  "routes[0].redirect.to: control byte 0x09 at offset 2; a "
		  "Location is one line of visible characters" },
		{ "\"\\e[2J/x\"",
		  "routes[0].redirect.to: control byte 0x1b at offset 0; a "
		  "Location is one line of visible characters" },
		{ "\"/x\\x7f\"",
		  "routes[0].redirect.to: control byte 0x7f at offset 2; a "
		  "Location is one line of visible characters" },
		{ "\"\"", "routes[0].redirect.to: expected a non-empty URL or "
			  "path, got \"\"" },
		{ "[/a]", "routes[0].redirect.to: expected a URL or a path, got "
			  "a list" },
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);

	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		char text[512], want[512];

		snprintf(text, sizeof(text), "listen: 127.0.0.1:1\nroutes:\n"
			 "  - prefix: /old/\n    redirect: {to: %s}\n",
			 cases[i].to);
		snprintf(want, sizeof(want), "server.yaml:4:20: %s",
			 cases[i].message);
		cr_log_info("case %zu: %s", i, cases[i].to);
		expect_errors(text, 1, want);
	}
}

/* The bound is REDIRECT_TO_MAX bytes: that many load, one more does not. */
Test(config, redirect_to_length)
{
	static char text[2 * REDIRECT_TO_MAX];
	const char *head = "listen: 127.0.0.1:1\nroutes:\n"
			   "  - prefix: /old/\n    redirect: {to: /";
	struct config *cfg;
	char want[160];
	size_t hl = strlen(head);

	cr_assert_eq(REDIRECT_TO_MAX, 4096);
	/* "/" then REDIRECT_TO_MAX - 1 letters: exactly at the bound. */
	memcpy(text, head, hl);
	memset(text + hl, 'a', REDIRECT_TO_MAX - 1);
	strcpy(text + hl + REDIRECT_TO_MAX - 1, "}\n");
	cfg = load_ok(text);
	cr_expect_eq(strlen(cfg->routes[0].redirect.to), REDIRECT_TO_MAX);
	config_free(cfg);

	/* One byte more; and 5001 bytes. */
	for (size_t len = REDIRECT_TO_MAX + 1; len <= 5001;
	     len += 5001 - REDIRECT_TO_MAX - 1) {
		memset(text + hl, 'a', len - 1);
		strcpy(text + hl + len - 1, "}\n");
		snprintf(want, sizeof(want), "server.yaml:4:20: routes[0]."
			 "redirect.to: %zu bytes long; at most 4096 are "
			 "allowed", len);
		expect_errors(text, 1, want);
	}
}

Test(config, route_shadowing)
{
	expect_errors("listen: 127.0.0.1:1\nstatus: {}\nroutes:\n"
		      "  - prefix: /healthz\n    return: {}\n"
		      "  - prefix: /server-status/x\n    return: {}\n"
		      "  - prefix: /healthzz\n    return: {}\n"
		      "  - prefix: /\n    return: {}\n",
		      2,
		      "server.yaml:4:13: routes[0].prefix: \"/healthz\" is at or "
		      "under the health check path \"/healthz\", which would "
		      "shadow it",
		      "server.yaml:6:13: routes[1].prefix: \"/server-status/x\" is "
		      "at or under the status page path \"/server-status\", "
		      "which would shadow it");
}

Test(config, route_order_longest_first_stable)
{
	struct config *cfg = load_ok(
		"listen: 127.0.0.1:1\nroutes:\n"
		"  - {prefix: /, return: {body: root}}\n"
		"  - {prefix: /ab, return: {body: ab}}\n"
		"  - {prefix: /abcd/, return: {body: abcd}}\n"
		"  - {prefix: /cd, return: {body: cd}}\n"
		"  - {prefix: /x/, redirect: {to: /y/}}\n");

	cr_assert_eq(cfg->nroutes, 5);
	cr_expect_str_eq(cfg->routes[0].prefix, "/abcd/");
	cr_expect_str_eq(cfg->routes[1].prefix, "/ab");
	cr_expect_str_eq(cfg->routes[2].prefix, "/cd");
	cr_expect_str_eq(cfg->routes[3].prefix, "/x/");
	cr_expect_eq(cfg->routes[3].redirect.status, 302);
	cr_expect_str_eq(cfg->routes[4].prefix, "/");
	cr_expect_str_eq(cfg->routes[4].ret.body, "root");
	cr_expect_eq(cfg->routes[4].ret.status, 200);
	config_free(cfg);
}

Test(config, route_dirs_checked)
{
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg),
		 "server.yaml:3:30: routes[0].cgi.dir: %s: No such file or "
		 "directory", in_tmp("cgi"));
	expect_errors("listen: 127.0.0.1:1\nroutes:\n"
		      "  - {prefix: /c/, cgi: {dir: cgi}}\n", 1, msg);
}

Test(config, cidr_lists)
{
	struct config *cfg;

	expect_errors("listen: 127.0.0.1:1\ntrusted_proxies: [10.0.0.0/8, "
		      "10.0.0.0/40]\n", 1,
		      "server.yaml:2:31: trusted_proxies[1]: expected an address "
		      "block like \"10.0.0.0/8\", got \"10.0.0.0/40\"");
	cfg = load_ok("listen: 127.0.0.1:1\ntrusted_proxies: 10.0.0.0/8\n");
	cr_expect_eq(cfg->ntrusted_proxies, 1);
	config_free(cfg);
}

Test(config, root_user_needs_allow_root)
{
	struct config *cfg;

	expect_errors("listen: 127.0.0.1:1\nuser: root\n", 1,
		      "server.yaml:2:7: user: workers would run as root; set "
		      "allow_root: true to allow it");
	cfg = load_ok("listen: 127.0.0.1:1\nuser: root\nallow_root: true\n");
	cr_expect_str_eq(cfg->user, "root");
	config_free(cfg);
}

Test(config, empty_value_means_default)
{
	struct config *cfg = load_ok("listen: 127.0.0.1:1\ntimeouts:\npid_file: ~\n"
				     "workers:\n");

	cr_expect_eq(cfg->timeouts.header_ms, 10000);
	cr_expect_str_eq(cfg->pid_file, in_tmp("prefork-httpd.pid"));
	cr_expect(cfg->workers_auto);
	config_free(cfg);
}

Test(config, pid_file_off_and_positions)
{
	static const char *const offs[] = { "off", "\"off\"", "false", "no" };
	char text[160];
	struct config *cfg;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		snprintf(text, sizeof(text), "listen: 127.0.0.1:1\npid_file: %s\n",
			 offs[i]);
		cfg = load_ok(text);
		cr_expect_null(cfg->pid_file, "pid_file: %s", offs[i]);
		cr_expect_not(cfg->pid_file_default);
		config_free(cfg);
	}
	cfg = load_ok("listen: 127.0.0.1:1\n"
		      "access_log: {path: a.log}\n"
		      "error_log:\n  path: e.log\n"
		      "pid_file:   run.pid\n");
	cr_expect_str_eq(cfg->pid_file, in_tmp("run.pid"));
	cr_expect_not(cfg->pid_file_default);
	cr_expect_eq(cfg->pid_file_at.line, 5);
	cr_expect_eq(cfg->pid_file_at.col, 13);
	cr_expect_eq(cfg->access_log.path_at.line, 2);
	cr_expect_eq(cfg->access_log.path_at.col, 20);
	cr_expect_eq(cfg->error_log.path_at.line, 4);
	cr_expect_eq(cfg->error_log.path_at.col, 9);
	config_free(cfg);
	expect_errors("listen: 127.0.0.1:1\npid_file: \"\"\n", 1,
		      "server.yaml:2:11: pid_file: expected a path, got \"\"");
	expect_errors("listen: 127.0.0.1:1\npid_file: [a]\n", 1,
		      "server.yaml:2:11: pid_file: expected a path or off, got a list");
}

/* config_pid_file(): the pid file alone, as config_load() would set it. */
static int pid_of(const char *path, char **out, struct config_errors *e)
{
	memset(e, 0, sizeof(*e));
	return config_pid_file(path, out, e);
}

Test(config, pid_file_alone_despite_errors_elsewhere)
{
	struct config_errors e;
	char *p = NULL;

	/* Invalid for config_load(): the pid file is still found. */
	write_file("server.yaml", "listen: 127.0.0.1:1\nworkers: two\n"
				  "colour: blue\ntimeouts: {header: soon}\n"
				  "routes:\n  - prefix: /a/\n    pid_file: nope.pid\n"
				  "pid_file: run/x.pid\n");
	cr_assert_eq(pid_of("server.yaml", &p, &e), 0);
	cr_expect_eq(e.count, 0);
	cr_expect_str_eq(p, in_tmp("run/x.pid"));
	free(p);
	config_errors_free(&e);

	/* A syntax error after the key does not matter. */
	write_file("server.yaml", "pid_file: /abs/x.pid\nroot: [www\n");
	cr_assert_eq(pid_of("server.yaml", &p, &e), 0);
	cr_expect_str_eq(p, "/abs/x.pid");
	free(p);
	config_errors_free(&e);

	/* YAML broken before the key: the first top-level pid_file line. */
	write_file("server.yaml", "workers: [2\nroot: www\n"
				  "pid_file: \"q.pid\"  # quoted\n");
	cr_assert_eq(pid_of("server.yaml", &p, &e), 0);
	cr_expect_eq(e.count, 0);
	cr_expect_str_eq(p, in_tmp("q.pid"));
	free(p);
	config_errors_free(&e);
	write_file("server.yaml", "workers: [2\n  pid_file: no.pid\n"
				  "pid_file: /r/p.pid # plain\n");
	cr_assert_eq(pid_of("server.yaml", &p, &e), 0);
	cr_expect_str_eq(p, "/r/p.pid");
	free(p);
	config_errors_free(&e);
	write_file("server.yaml", "workers: [2\npid_file: off\n");
	cr_expect_eq(pid_of("server.yaml", &p, &e), 1);
	config_errors_free(&e);
	write_file("server.yaml", "workers: [2\n");
	cr_assert_eq(pid_of("server.yaml", &p, &e), 0);
	cr_expect_str_eq(p, in_tmp("prefork-httpd.pid"));
	free(p);
	config_errors_free(&e);

	/* No key: the default, next to the file. */
	mkdir_in("conf");
	write_file("conf/s.yaml", "workers: two\nlisten: []\n");
	cr_assert_eq(pid_of("conf/s.yaml", &p, &e), 0);
	cr_expect_str_eq(p, in_tmp("conf/prefork-httpd.pid"));
	free(p);
	config_errors_free(&e);

	write_file("server.yaml", "pid_file: ~\n");
	cr_assert_eq(pid_of("server.yaml", &p, &e), 0);
	cr_expect_str_eq(p, in_tmp("prefork-httpd.pid"));
	free(p);
	config_errors_free(&e);

	write_file("server.yaml", "pid_file: off\n");
	cr_expect_eq(pid_of("server.yaml", &p, &e), 1);
	cr_expect_null(p);
	config_errors_free(&e);
}

Test(config, pid_file_alone_errors)
{
	struct config_errors e;
	char *p = NULL;

	write_file("server.yaml", "listen: 127.0.0.1:1\npid_file: 'a\n");
	cr_expect_eq(pid_of("server.yaml", &p, &e), -1);
	cr_expect_null(p);
	cr_assert_eq(e.count, 1);
	cr_expect_str_eq(e.msg[0], "server.yaml:2:11: pid_file: expected a path or off");
	config_errors_free(&e);

	write_file("server.yaml", "listen: 127.0.0.1:1\npid_file: {a: b}\n");
	cr_expect_eq(pid_of("server.yaml", &p, &e), -1);
	cr_assert_eq(e.count, 1);
	cr_expect_str_eq(e.msg[0], "server.yaml:2:11: pid_file: expected a path or off");
	config_errors_free(&e);

	cr_expect_eq(pid_of("absent.yaml", &p, &e), -1);
	cr_assert_eq(e.count, 1);
	cr_expect_str_eq(e.msg[0], "absent.yaml: cannot open: No such file or directory");
	config_errors_free(&e);
}

/* Both readers agree on valid files. */
Test(config, pid_file_alone_agrees_with_load)
{
	static const char *const texts[] = {
		"listen: 127.0.0.1:1\n",
		"listen: 127.0.0.1:1\npid_file: a.pid\n",
		"listen: 127.0.0.1:1\npid_file: ./b/../c.pid\n",
		"pid_file: \"/q/d.pid\"\nlisten: 127.0.0.1:1\n",
		"listen: 127.0.0.1:1\npid_file:\n",
		"listen: 127.0.0.1:1\npid_file: false\n",
	};
	struct config_errors e;
	struct config *cfg;
	char *p;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		int r;

		cfg = load_ok(texts[i]);
		p = NULL;
		r = pid_of("server.yaml", &p, &e);
		cr_expect_eq(r, cfg->pid_file ? 0 : 1, "%s", texts[i]);
		if (cfg->pid_file != NULL && p != NULL)
			cr_expect_str_eq(p, cfg->pid_file, "%s", texts[i]);
		free(p);
		config_errors_free(&e);
		config_free(cfg);
	}
}

/* ---- static-site features ---- */

/* An htpasswd file with alice:secret (sha-512-crypt), made here. */
static void write_htpasswd(const char *rel)
{
	write_file(rel, "# staff\nalice:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4"
			"XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNw2xpSEz"
			"8GvV1\n");
}

Test(config, site_sample_loads)
{
	struct config *cfg;
	const struct route *app = NULL, *assets = NULL, *staff = NULL;

	mkdir_in("app");
	mkdir_in("assets");
	mkdir_in("staff");
	mkdir_in("errors");
	mkdir_in("conf");
	mkdir_in("sites");
	mkdir_in("sites/example");
	write_file("app/index.html", "app\n");
	write_file("errors/404.html", "404\n");
	write_file("errors/50x.html", "50x\n");
	write_htpasswd("conf/htpasswd");
	cfg = load_ok(
		"listen: 127.0.0.1:1\n"
		"compress: {encodings: [br, gzip], types: [text/html, text/css, "
		"application/javascript], min_size: 1k}\n"
		"error_pages: {404: errors/404.html, 5xx: errors/50x.html}\n"
		"types: {wasm: application/wasm, mjs: text/javascript}\n"
		"default_type: application/octet-stream\n"
		"routes:\n"
		"  - prefix: /app/\n"
		"    static: {root: app, fallback: /app/index.html, cache_control: "
		"\"no-cache\"}\n"
		"  - prefix: /assets/\n"
		"    static: {root: assets, expires: 1h}\n"
		"    compress: {encodings: [gzip], types: [text/css]}\n"
		"  - prefix: /staff/\n"
		"    static: {root: staff}\n"
		"    access: {allow: [10.0.0.0/8], auth: {realm: staff, htpasswd: "
		"conf/htpasswd}}\n"
		"hosts:\n"
		"  - names: [example.com, \"*.example.com\"]\n"
		"    root: sites/example\n"
		"    routes: []\n");
	cr_expect(cfg->compress.on);
	cr_expect_eq(cfg->compress.nenc, 2);
	cr_expect_eq(cfg->compress.enc[0], CODING_BR);
	cr_expect_eq(cfg->compress.ntypes, 3);
	cr_expect_eq(cfg->compress.min_size, 1024);
	cr_assert_eq(cfg->error_pages.n, 2);
	cr_expect_eq(cfg->error_pages.v[0].code, 404);
	cr_expect_str_eq(cfg->error_pages.v[0].file, in_tmp("errors/404.html"));
	cr_expect_eq(cfg->error_pages.v[1].code, 5);
	cr_expect(cfg->any_error_pages);
	cr_assert_eq(cfg->ntypes, 2);
	cr_expect_str_eq(cfg->types[0].ext, "wasm");
	cr_expect_str_eq(cfg->types[0].type, "application/wasm");
	cr_expect_str_eq(cfg->types[1].type, "text/javascript; charset=utf-8");
	cr_expect_str_eq(cfg->default_type, "application/octet-stream");
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];
		if (strcmp(r->prefix, "/app/") == 0)
			app = r;
		else if (strcmp(r->prefix, "/assets/") == 0)
			assets = r;
		else if (strcmp(r->prefix, "/staff/") == 0)
			staff = r;
	}
	cr_assert(app && assets && staff);
	cr_expect_str_eq(app->static_.fallback, "/index.html");
	cr_expect_str_eq(app->static_.cache_control, "no-cache");
	cr_expect_null(app->compress);
	cr_expect(assets->static_.expires);
	cr_expect_eq(assets->static_.expires_s, 3600);
	cr_assert_not_null(assets->compress);
	cr_expect_eq(assets->compress->nenc, 1);
	cr_expect_eq(assets->compress->enc[0], CODING_GZIP);
	cr_expect_eq(assets->compress->min_size, 1024);
	cr_assert_not_null(staff->access);
	cr_expect_eq(staff->access->nrules, 1);
	cr_expect(!staff->access->default_allow);
	cr_expect_str_eq(staff->access->realm, "staff");
	cr_expect_str_eq(staff->access->challenge,
			 "Basic realm=\"staff\", charset=\"UTF-8\"");
	cr_assert_eq(staff->access->nusers, 1);
	cr_expect_str_eq(staff->access->users[0].name, "alice");
	cr_assert_eq(cfg->nhosts, 1);
	cr_expect_eq(cfg->hosts[0].nnames, 2);
	cr_expect_str_eq(cfg->hosts[0].names[1], ".example.com");
	cr_expect_str_eq(cfg->hosts[0].root, in_tmp("sites/example"));
	cr_expect_eq(cfg->hosts[0].nroutes, 0);
	cr_expect_eq(cfg->hosts[0].nindex, 1, "the top-level index");
	config_free(cfg);
}

Test(config, compress_forms)
{
	struct config *cfg = load_ok("listen: 127.0.0.1:1\ncompress: on\n"
				     "routes:\n  - prefix: /a/\n    static: {}\n"
				     "    compress: off\n");

	cr_expect(cfg->compress.on);
	cr_expect_eq(cfg->compress.nenc, 2);
	cr_expect_gt(cfg->compress.ntypes, 3);
	cr_assert_not_null(cfg->routes[0].compress);
	cr_expect(!cfg->routes[0].compress->on);
	config_free(cfg);
	cfg = load_ok("listen: 127.0.0.1:1\n");
	cr_expect(!cfg->compress.on, "off when absent");
	config_free(cfg);
	expect_errors("listen: 127.0.0.1:1\n"
		      "compress: {encodings: [br, deflate, br], types: [Text/HTML, "
		      "\"text/*\", html], min_size: x}\n", 5,
		      "server.yaml:2:28: compress.encodings[1]: expected br or "
		      "gzip, got \"deflate\"",
		      "server.yaml:2:37: compress.encodings[2]: \"br\" is listed twice",
		      "server.yaml:2:50: compress.types[0]: expected a media type "
		      "like \"text/css\" or \"text/*\", in lower case, got \"Text/HTML\"",
		      "server.yaml:2:71: compress.types[2]: expected a media type "
		      "like \"text/css\" or \"text/*\", in lower case, got \"html\"",
		      "server.yaml:2:88: compress.min_size: expected a size like "
		      "\"16k\", got \"x\"");
	expect_errors("listen: 127.0.0.1:1\ncompress: maybe\n", 1,
		      "server.yaml:2:11: compress: expected a mapping, or on or "
		      "off, got \"maybe\"");
}

Test(config, error_pages_errors)
{
	char msg[PATH_MAX + 128], dir[PATH_MAX + 128];

	mkdir_in("errors");
	write_file("errors/404.html", "404\n");
	snprintf(msg, sizeof(msg), "server.yaml:2:42: error_pages.500: %s: "
		 "No such file or directory", in_tmp("errors/none.html"));
	snprintf(dir, sizeof(dir), "server.yaml:2:87: error_pages.4xx: %s: "
		 "Not a regular file", in_tmp("errors"));
	expect_errors("listen: 127.0.0.1:1\n"
		      "error_pages: {404: errors/404.html, 500: errors/none.html, "
		      "302: errors/404.html, 4xx: errors, 404: errors/404.html}\n",
		      4, msg,
		      "server.yaml:2:60: error_pages: expected a status from 400 "
		      "to 599, 4xx or 5xx, got \"302\"",
		      dir, "server.yaml:2:95: error_pages: duplicate key \"404\"");
	expect_errors("listen: 127.0.0.1:1\nerror_pages: [a]\n", 1,
		      "server.yaml:2:14: error_pages: expected a mapping of "
		      "statuses to files, got a list");
}

Test(config, types_errors)
{
	expect_errors("listen: 127.0.0.1:1\n"
		      "types: {.wasm: application/wasm, js: text, JS: text/x, "
		      "a: \"text/x\\n\"}\n"
		      "default_type: octet\n", 4,
		      "server.yaml:2:9: types: expected an extension without the "
		      "dot, like \"wasm\" (letters, digits, '-', '_', '+', '~'), "
		      "got \".wasm\"",
		      "server.yaml:2:38: types.js: expected a media type like "
		      "\"application/wasm\", got \"text\"",
		      "server.yaml:2:59: types.a: expected a media type like "
		      "\"application/wasm\", got \"text/x\\n\"",
		      "server.yaml:3:15: default_type: expected a media type like "
		      "\"application/wasm\", got \"octet\"");
	expect_errors("listen: 127.0.0.1:1\ntypes: {x: a/b, X: c/d}\n", 1,
		      "server.yaml:2:17: types: duplicate key \"X\"");
}

Test(config, access_errors)
{
	char nofile[PATH_MAX * 2], badline[PATH_MAX * 2], nousers[PATH_MAX * 2];

	mkdir_in("conf");
	write_htpasswd("conf/htpasswd");
	write_file("conf/apr1", "\n\nbob:$apr1$x$y\n");
	snprintf(nofile, sizeof(nofile), "server.yaml:5:41: routes[0].access.auth."
		 "htpasswd: %s: No such file or directory", in_tmp("conf/none"));
	snprintf(badline, sizeof(badline), "server.yaml:8:41: routes[1].access."
		 "auth.htpasswd: %s:3: user \"bob\": an apr1-MD5 hash (htpasswd's "
		 "default), which is not supported: make it with htpasswd -B "
		 "(bcrypt)", in_tmp("conf/apr1"));
	snprintf(nousers, sizeof(nousers), "server.yaml:8:41: routes[1].access."
		 "auth.htpasswd: %s: no users", in_tmp("conf/apr1"));
	expect_errors("listen: 127.0.0.1:1\nroutes:\n"
		      "  - prefix: /a/\n    static: {}\n"
		      "    access: {auth: {realm: a, htpasswd: conf/none}}\n"
		      "  - prefix: /b/\n    static: {}\n"
		      "    access: {auth: {realm: b, htpasswd: conf/apr1}}\n", 3,
		      nofile, badline, nousers);
}

Test(config, access_rules_errors)
{
	struct config *cfg;

	mkdir_in("conf");
	write_htpasswd("conf/htpasswd");
	expect_errors("listen: 127.0.0.1:1\nroutes:\n"
		      "  - prefix: /a/\n    static: {}\n"
		      "    access: {allow: [10.0.0.0/8], deny: [10.1.0.0/16, x]}\n"
		      "  - prefix: /b/\n    static: {}\n"
		      "    access: {}\n"
		      "  - prefix: /c/\n    static: {}\n"
		      "    access: {auth: {realm: \"a\\\"b\", htpasswd: conf/htpasswd}}\n"
		      "  - prefix: /d/\n    static: {}\n"
		      "    access: {auth: {htpasswd: conf/htpasswd}}\n", 5,
		      "server.yaml:5:42: routes[0].access.deny[0]: \"10.1.0.0/16\" "
		      "lies within a block allowed at line 5, which decides "
		      "first; this entry would never be used",
		      "server.yaml:5:55: routes[0].access.deny[1]: expected an "
		      "address block like \"10.0.0.0/8\", got \"x\"",
		      "server.yaml:8:13: routes[1].access: expected allow, deny "
		      "or auth",
		      "server.yaml:11:28: routes[2].access.auth.realm: a realm may "
		      "not hold '\"', '\\\\' or control bytes",
		      "server.yaml:14:20: routes[3].access.auth.realm: required");
	/* deny first, then a wider allow: what nginx's deny/allow order does */
	cfg = load_ok("listen: 127.0.0.1:1\nroutes:\n"
		      "  - prefix: /a/\n    static: {}\n"
		      "    access: {deny: [10.1.0.0/16], allow: [10.0.0.0/8]}\n"
		      "  - prefix: /b/\n    static: {}\n"
		      "    access: {deny: 192.168.0.0/16}\n");
	cr_assert_not_null(cfg->routes[0].access);
	cr_expect_eq(cfg->routes[0].access->nrules, 2);
	cr_expect(!cfg->routes[0].access->rules[0].allow);
	cr_expect(cfg->routes[0].access->rules[1].allow);
	cr_expect(!cfg->routes[0].access->default_allow);
	cr_expect_null(cfg->routes[0].access->realm);
	cr_expect(cfg->routes[1].access->default_allow, "no allow: open");
	config_free(cfg);
}

Test(config, hosts_errors)
{
	struct config *cfg;
	char root[PATH_MAX * 2];

	mkdir_in("a");
	snprintf(root, sizeof(root), "server.yaml:5:11: hosts[1].root: %s: "
		 "No such file or directory", in_tmp("nowhere"));
	expect_errors("listen: 127.0.0.1:1\nhosts:\n"
		      "  - names: [a.example, \"*.b.example\", \"x:80\"]\n"
		      "  - names: [A.example]\n    root: nowhere\n"
		      "  - root: a\n"
		      "  - names: []\n"
		      "    routes:\n      - {prefix: /x/, static: {}}\n"
		      "      - {prefix: /x/, static: {}}\n"
		      "      - {prefix: /healthz, static: {}}\n", 7,
		      "server.yaml:3:39: hosts[0].names[2]: \"x:80\": a name has "
		      "no port",
		      "server.yaml:4:13: hosts[1].names[0]: \"A.example\" is "
		      "already named at line 3",
		      root,
		      "server.yaml:6:5: hosts[2].names: required",
		      "server.yaml:7:12: hosts[3].names: expected at least one name",
		      "server.yaml:10:18: hosts[3].routes[1].prefix: \"/x/\" is "
		      "already used at line 9",
		      "server.yaml:11:18: hosts[3].routes[2].prefix: \"/healthz\" is "
		      "at or under the health check path \"/healthz\", which would "
		      "shadow it");
	cfg = load_ok("listen: 127.0.0.1:1\nhosts:\n"
		      "  - names: a.example\n    root: a\n    index: [home.html]\n"
		      "    routes:\n      - {prefix: /s/, static: {}}\n"
		      "      - {prefix: /, static: {root: www}}\n"
		      "    compress: on\n    error_pages: {}\n");
	cr_assert_eq(cfg->nhosts, 1);
	cr_expect_str_eq(cfg->hosts[0].names[0], "a.example");
	cr_expect_str_eq(cfg->hosts[0].root, in_tmp("a"));
	cr_assert_eq(cfg->hosts[0].nroutes, 2);
	cr_expect_str_eq(cfg->hosts[0].routes[0].prefix, "/s/", "sorted");
	/* a host's static routes default to the host's root and index */
	cr_expect_str_eq(cfg->hosts[0].routes[0].static_.root, in_tmp("a"));
	cr_expect_str_eq(cfg->hosts[0].routes[0].static_.index[0], "home.html");
	cr_expect_str_eq(cfg->hosts[0].routes[1].static_.root, in_tmp("www"));
	cr_assert_not_null(cfg->hosts[0].compress);
	cr_expect(cfg->hosts[0].compress->on);
	cr_expect_eq(cfg->nroutes, 0);
	config_free(cfg);
}

Test(config, static_extras_errors)
{
	char missing[PATH_MAX * 2];

	mkdir_in("app");
	write_file("app/index.html", "app\n");
	snprintf(missing, sizeof(missing), "server.yaml:7:49: routes[2].static."
		 "fallback: %s/none.html: No such file or directory", in_tmp("app"));
	expect_errors("listen: 127.0.0.1:1\nroutes:\n"
		      "  - prefix: /app/\n"
		      "    static: {root: app, fallback: /index.html}\n"
		      "  - prefix: /b/\n"
		      "    static: {root: app, fallback: /b/../x, expires: 1h, "
		      "cache_control: \"a\\tb\"}\n"
		      "  - {prefix: /c/, static: {root: app, fallback: /c/none.html}}\n"
		      "  - prefix: /d/\n"
		      "    static: {cache_control: \"no-cache\", expires: 10s}\n"
		      "  - prefix: /e/\n"
		      "    static: {expires: 1h}\n"
		      "    headers: {cache-control: x}\n"
		      "  - prefix: /f/\n"
		      "    static: {fallback: /f/dir/, cache_control: \"a\\nb\"}\n",
		      8,
		      "server.yaml:4:35: routes[0].static.fallback: \"/index.html\" "
		      "is not under the route's prefix \"/app/\"",
		      "server.yaml:6:35: routes[1].static.fallback: expected a path "
		      "starting with '/', without \".\" segments, got \"/b/../x\"",
		      "server.yaml:6:53: routes[1].static.expires: give "
		      "cache_control or expires, not both",
		      missing,
		      "server.yaml:9:50: routes[3].static.expires: give "
		      "cache_control or expires, not both",
		      "server.yaml:11:23: routes[4].static.expires: the route's "
		      "headers set cache-control too",
		      "server.yaml:14:24: routes[5].static.fallback: expected the "
		      "path of a file, not a directory, got \"/f/dir/\"",
		      "server.yaml:14:48: routes[5].static.cache_control: control "
		      "bytes are not allowed in a header value");
}
