/*
 * autoindex.c -- the HTML listing of a directory without an index file.
 *
 * Entries are read with readdir from the descriptor static.c opened beneath
 * the root, described with fstatat(AT_SYMLINK_NOFOLLOW) (a symlink is listed
 * as itself: its target is never looked at), and sorted by name.  The page
 * goes into one buffer per process, allocated on first use and grown by
 * doubling up to AUTOINDEX_MAX; the names into a second, reused array.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "autoindex.h"
#include "log.h"
#include "util.h"

#define TAIL_RESERVE 512 /* room kept for the closing tags and the note */

struct entry {
	char *name;
	bool dir;
	off_t size;
	time_t mtime;
};

struct page {
	char *p;
	size_t len, cap;
	bool full; /* AUTOINDEX_MAX reached: the listing is cut */
};

static struct page page;
static struct entry *entries;
static size_t nentries, entries_cap;

bool autoindex_enabled(const struct exchange *x)
{
	return x->route != NULL && x->route->kind == ROUTE_STATIC &&
	       x->route->static_.autoindex;
}

size_t autoindex_html_escape(char *out, size_t len, size_t cap,
			     const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		size_t k = rep ? strlen(rep) : 1;
		if (k > cap - len)
			return cap; /* marks "did not fit" */
		if (rep)
			memcpy(out + len, rep, k);
		else
			out[len] = s[i];
		len += k;
	}
	return len;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

size_t autoindex_url_encode(char *out, size_t len, size_t cap,
			    const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			if (len + 1 > cap)
				return cap;
			out[len++] = (char)c;
		} else {
			if (len + 3 > cap)
				return cap;
			out[len++] = '%';
			out[len++] = hex[c >> 4];
			out[len++] = hex[c & 15];
		}
	}
	return len;
}

/* Room for n more bytes (below the reserve unless tail); false when full. */
static bool page_room(size_t n, bool tail)
{
	size_t limit = tail ? AUTOINDEX_MAX : AUTOINDEX_MAX - TAIL_RESERVE;
	size_t cap = page.cap ? page.cap : 16384;
	char *p;

	if (page.full && !tail)
		return false;
	if (n > limit - page.len) {
		page.full = true;
		return false;
	}
	if (page.len + n <= page.cap)
		return true;
	while (cap < page.len + n)
		cap *= 2;
	if (cap > AUTOINDEX_MAX)
		cap = AUTOINDEX_MAX;
	p = realloc(page.p, cap);
	if (p == NULL) {
		log_error("autoindex: out of memory for a %zu-byte page", cap);
		page.full = true;
		return false;
	}
	page.p = p;
	page.cap = cap;
	return true;
}

static void put(const char *s, bool tail)
{
	size_t n = strlen(s);

	if (page_room(n, tail)) {
		memcpy(page.p + page.len, s, n);
		page.len += n;
	}
}

/* Escaped or encoded text: worst case 6 (or 3) bytes per input byte. */
static void put_escaped(const char *s, bool url)
{
	size_t n = strlen(s), worst = n * 6;

	if (!page_room(worst, false))
		return;
	page.len = url ? autoindex_url_encode(page.p, page.len, page.cap, s, n)
		       : autoindex_html_escape(page.p, page.len, page.cap, s, n);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
		      ((const struct entry *)b)->name);
}

static void entries_clear(void)
{
	for (size_t i = 0; i < nentries; i++)
		free(entries[i].name);
	nentries = 0;
}

static int entry_add(int dirfd, const char *name)
{
	struct stat st;
	struct entry *e;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* vanished meanwhile: not listed */
	if (nentries == entries_cap) {
		size_t cap = entries_cap ? entries_cap * 2 : 64;
		e = realloc(entries, cap * sizeof(*e));
		if (e == NULL)
			return -1;
		entries = e;
		entries_cap = cap;
	}
	e = &entries[nentries];
	e->name = strdup(name);
	if (e->name == NULL)
		return -1;
	e->dir = S_ISDIR(st.st_mode);
	e->size = st.st_size;
	e->mtime = st.st_mtim.tv_sec;
	nentries++;
	return 0;
}

/* Read the directory (dirfd is consumed); 0 or -1 (logged). */
static int read_entries(const struct exchange *x, int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int rc = 0;

	entries_clear();
	if (d == NULL) {
		log_errno(LOG_ERROR, "autoindex: fdopendir for %.*s",
			  (int)x->path_len, x->path);
		close(dirfd);
		return -1;
	}
	errno = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (!x->cfg->serve_dotfiles || de->d_name[1] == '\0' ||
		     strcmp(de->d_name, "..") == 0))
			continue;
		rc = entry_add(dirfd, de->d_name);
		errno = 0;
	}
	if (rc == 0 && errno != 0)
		rc = -1;
	if (rc < 0)
		log_errno(LOG_ERROR, "autoindex: reading %.*s", (int)x->path_len,
			  x->path);
	closedir(d);
	qsort(entries, nentries, sizeof(*entries), by_name);
	return rc;
}

/* The URL path of the directory: the route prefix joined with x->path. */
static void put_title_path(const struct exchange *x)
{
	char full[8192];
	size_t plen = 0;

	if (x->route != NULL) {
		plen = x->route->prefix_len;
		if (plen > 0 && x->route->prefix[plen - 1] == '/')
			plen--;
	}
	snprintf(full, sizeof full, "%.*s%.*s", (int)plen,
		 x->route ? x->route->prefix : "", (int)x->path_len, x->path);
	put_escaped(full, false);
}

static void put_entry(const struct entry *e)
{
	char meta[96], date[32];
	struct tm tm;

	if (gmtime_r(&e->mtime, &tm) == NULL ||
	    strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm) == 0)
		strcpy(date, "-");
	if (e->dir)
		snprintf(meta, sizeof meta, "</a></td><td>-</td><td>%s</td></tr>\n",
			 date);
	else
		snprintf(meta, sizeof meta, "</a></td><td>%lld</td><td>%s</td></tr>\n",
			 (long long)e->size, date);
	put("<tr><td><a href=\"", false);
	put_escaped(e->name, true);
	put(e->dir ? "/\">" : "\">", false);
	put_escaped(e->name, false);
	put(e->dir ? "/" : "", false);
	put(meta, false);
}

/*
 * Build the page; returns the number of entries listed.  An entry goes in
 * whole or not at all: when one does not fit, the page is rolled back to
 * the end of the entry before it, so that the cut falls between table rows
 * and every tag is closed.
 */
static size_t build_page(const struct exchange *x)
{
	char note[128];
	size_t shown = 0;

	page.len = 0;
	page.full = false;
	put("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ",
	    false);
	put_title_path(x);
	put("</title></head>\n<body><h1>Index of ", false);
	put_title_path(x);
	put("</h1>\n<table>\n<tr><th>Name</th><th>Size</th>"
	    "<th>Modified (UTC)</th></tr>\n", false);
	if (!(x->path_len == 1 && x->route == NULL))
		put("<tr><td><a href=\"../\">../</a></td><td>-</td><td></td></tr>\n",
		    false);
	for (size_t i = 0; i < nentries && !page.full; i++) {
		size_t mark = page.len;
		put_entry(&entries[i]);
		if (page.full)
			page.len = mark;
		else
			shown++;
	}
	put("</table>\n", true);
	if (page.full) {
		snprintf(note, sizeof note, "<p>This listing was truncated: "
			 "%zu of %zu entries shown.</p>\n", shown, nentries);
		put(note, true);
	}
	put("</body></html>\n", true);
	return shown;
}

void autoindex_serve(struct exchange *x, int dirfd)
{
	size_t shown;

	if (read_entries(x, dirfd) < 0) {
		response_error(x->res, 500);
		return;
	}
	shown = build_page(x);
	if (page.full)
		log_warn("autoindex: listing of %.*s truncated at %d bytes: "
			 "%zu of %zu entries shown", (int)x->path_len, x->path,
			 AUTOINDEX_MAX, shown, nentries);
	if (page.p == NULL) {
		response_error(x->res, 500);
		return;
	}
	x->res->status = 200;
	response_header(x->res, "Content-Type", "text/html; charset=utf-8");
	response_body_mem(x->res, page.p, page.len);
}
