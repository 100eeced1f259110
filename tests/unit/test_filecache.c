/*
 * test_filecache.c -- compressed variants in the file cache: kept per
 * version of their source, told apart by coding, bounded in memory.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filecache.h"

static const char *root = "/the/root"; /* only its identity counts */
static char file[64];

static void setup(void)
{
	int fd;

	snprintf(file, sizeof(file), "/tmp/test_filecache.XXXXXX");
	fd = mkstemp(file);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hello hello hello\n", 18), 18);
	close(fd);
	filecache_clear();
}

static void teardown(void)
{
	filecache_clear();
	unlink(file);
}

TestSuite(filecache, .init = setup, .fini = teardown);

/* The identity entry of file as /p (stat in st). */
static const struct fc_entry *put_identity(const char *path, struct stat *st,
					   time_t now)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	const struct fc_entry *e;

	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, st), 0);
	e = filecache_put(root, path, strlen(path), fd, st, "f.html",
			  "text/html", now);
	cr_assert_not_null(e);
	return e;
}

static char *bytes(size_t n, char c)
{
	char *p = malloc(n);

	cr_assert_not_null(p);
	memset(p, c, n);
	return p;
}

Test(filecache, variant_per_coding)
{
	struct stat st;
	const struct fc_entry *e = put_identity("/p", &st, 100), *v, *g;

	cr_expect_str_eq(e->rel, "f.html");
	v = filecache_put_variant(root, "/p", 2, CODING_BR, e, -1, NULL,
				  bytes(5, 'b'), 5, 100);
	cr_assert_not_null(v);
	g = filecache_put_variant(root, "/p", 2, CODING_GZIP, e, -1, NULL,
				  bytes(7, 'g'), 7, 100);
	cr_assert_not_null(g);
	cr_expect_eq(filecache_get(root, "/p", 2, CODING_BR, 100), v);
	cr_expect_eq(filecache_get(root, "/p", 2, CODING_GZIP, 100), g);
	cr_expect_eq(filecache_get(root, "/p", 2, CODING_IDENTITY, 100), e);
	cr_expect_eq(v->size, 5);
	cr_expect_eq(v->coding, CODING_BR);
	cr_expect_str_eq(v->ctype, "text/html");
	/* a strong validator of its own, per coding */
	cr_expect_str_neq(v->etag, e->etag);
	cr_expect_str_neq(v->etag, g->etag);
	cr_expect(strstr(v->etag, "-br\"") != NULL, "%s", v->etag);
	cr_expect(strstr(g->etag, "-gz\"") != NULL, "%s", g->etag);
	cr_expect_eq(filecache_variant_bytes(), 12);
	/* next second: not valid until revalidated against its source */
	cr_expect_null(filecache_get(root, "/p", 2, CODING_BR, 101));
	e = put_identity("/p", &st, 101);
	cr_expect_eq(filecache_revalidate(root, "/p", 2, CODING_BR, e, NULL, 101), v);
	cr_expect_eq(filecache_get(root, "/p", 2, CODING_BR, 101), v);
}

Test(filecache, a_changed_source_is_not_revalidated)
{
	struct stat st;
	const struct fc_entry *e = put_identity("/p", &st, 100);
	int fd;

	cr_assert_not_null(filecache_put_variant(root, "/p", 2, CODING_GZIP, e,
						 -1, NULL, bytes(4, 'g'), 4, 100));
	fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_assert_eq(write(fd, "more\n", 5), 5);
	close(fd);
	e = put_identity("/p", &st, 102);
	cr_expect_null(filecache_revalidate(root, "/p", 2, CODING_GZIP, e, NULL, 102));
}

Test(filecache, sibling_and_made_are_told_apart)
{
	struct stat st, sst;
	const struct fc_entry *e = put_identity("/p", &st, 100), *v;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(fstat(fd, &sst), 0);
	/* a sibling (here the same file stands in for FILE.gz) */
	v = filecache_put_variant(root, "/p", 2, CODING_GZIP, e, fd, &sst, NULL,
				  0, 100);
	cr_assert_not_null(v);
	cr_expect(v->sibling);
	cr_expect_eq(v->size, 18);
	cr_expect_eq(filecache_variant_bytes(), 0, "siblings are not made");
	cr_expect_eq(filecache_revalidate(root, "/p", 2, CODING_GZIP, e, &sst, 101), v);
	/* the sibling went away: the entry is not a made variant */
	cr_expect_null(filecache_revalidate(root, "/p", 2, CODING_GZIP, e, NULL, 102));
	/* nothing to send: remembered as such */
	v = filecache_put_variant(root, "/p", 2, CODING_GZIP, e, -1, NULL, NULL,
				  0, 103);
	cr_assert_not_null(v);
	cr_expect(v->none);
	cr_expect_eq(filecache_revalidate(root, "/p", 2, CODING_GZIP, e, NULL, 104), v);
}

Test(filecache, variant_bytes_are_bounded)
{
	struct stat st;
	const struct fc_entry *e = put_identity("/p", &st, 100);
	size_t third = FC_VARIANT_BYTES / 3 + 1;
	char path[8];

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/v%d", i);
		cr_assert_not_null(filecache_put_variant(root, path, 3, CODING_BR,
							 e, -1, NULL,
							 bytes(third, 'x'),
							 third,
							 (time_t)(200 + i)));
		cr_expect_leq(filecache_variant_bytes(), FC_VARIANT_BYTES);
	}
	cr_expect_eq(filecache_variant_bytes(), 2 * third);
	/* the stalest went first; the newest two stay */
	cr_expect_null(filecache_get(root, "/v0", 3, CODING_BR, 200));
	cr_expect_null(filecache_get(root, "/v1", 3, CODING_BR, 201));
	cr_expect_not_null(filecache_get(root, "/v3", 3, CODING_BR, 203));
	/* the source they were made from is never the one evicted */
	cr_expect_eq(filecache_get(root, "/p", 2, CODING_IDENTITY, 100), e);
}

/* ---- variant_pick: once per version of the file ---- */

#include "variant.h"

Test(filecache, compressed_once_per_version)
{
	static const char *types[] = { "text/html" };
	struct compress_rule rule = { .on = true, .enc = { CODING_GZIP },
				      .nenc = 1, .types = types, .ntypes = 1 };
	struct header h = { { "Accept-Encoding", 15 }, { "gzip", 4 } };
	struct request req = { .headers = &h, .nheaders = 1 };
	char dir[64], path[128], text[4096];
	const struct fc_entry *e, *v;
	const char *first = NULL;
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/test_variant.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.html", dir);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "<p>once</p>\n"[i % 12];
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_eq(write(fd, text, sizeof(text)), (ssize_t)sizeof(text));
	close(fd);

	for (time_t now = 100; now < 104; now++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		cr_assert_eq(fstat(fd, &st), 0);
		e = filecache_put(dir, "/f.html", 7, fd, &st, "f.html",
				  "text/html", now);
		cr_assert_not_null(e);
		v = variant_pick(&req, &rule, dir, "/f.html", 7, e, now);
		cr_assert_not_null(v);
		cr_assert_eq(v->coding, CODING_GZIP);
		if (now == 100)
			first = v->data;
		/* a later second: checked again, not compressed again */
		cr_expect_eq(v->data, first, "second %ld", (long)now);
	}
	/* a new version of the file: a new variant */
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	cr_assert_eq(write(fd, "<p>more</p>\n", 12), 12);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_eq(fstat(fd, &st), 0);
	e = filecache_put(dir, "/f.html", 7, fd, &st, "f.html", "text/html", 104);
	v = variant_pick(&req, &rule, dir, "/f.html", 7, e, 104);
	cr_assert_not_null(v);
	cr_expect_neq(v->data, first);
	cr_expect_eq(v->src.size, (off_t)sizeof(text) + 12);
	filecache_clear();
	unlink(path);
	rmdir(dir);
}
