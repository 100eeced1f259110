/*
 * errorpage.c -- error_pages (see errorpage.h).
 */
#include "errorpage.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filecache.h"
#include "log.h"
#include "mime.h"

int errorpage_key(const char *s)
{
	if (strlen(s) != 3)
		return -1;
	if ((s[0] == '4' || s[0] == '5') &&
	    (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X'))
		return s[0] - '0';
	if (s[0] < '4' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

const struct error_page *errorpage_find(const struct error_pages *list,
					int status)
{
	const struct error_page *cls = NULL;

	for (size_t i = 0; i < list->n; i++) {
		if (list->v[i].code == status)
			return &list->v[i];
		if (list->v[i].code == status / 100)
			cls = &list->v[i];
	}
	return cls;
}

const struct error_page *errorpage_for(const struct config *cfg,
				       const struct vhost *host,
				       const struct route *route, int status)
{
	const struct error_page *p = NULL;

	if (route != NULL)
		p = errorpage_find(&route->error_pages, status);
	if (p == NULL && host != NULL)
		p = errorpage_find(&host->error_pages, status);
	if (p == NULL)
		p = errorpage_find(&cfg->error_pages, status);
	return p;
}

/* The cached entry of the page's file (its path is the key). */
static const struct fc_entry *page_entry(const struct config *cfg,
					 const struct error_page *p)
{
	struct timespec ts;
	const struct fc_entry *e;
	struct stat st;
	int fd;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	e = filecache_get(p->file, "/", 1, CODING_IDENTITY, ts.tv_sec);
	if (e != NULL)
		return e;
	fd = open(p->file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_errno(LOG_ERROR, "error page %s", p->file);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) < 0) {
		if (!S_ISREG(st.st_mode))
			errno = EINVAL;
		log_errno(LOG_ERROR, "error page %s: not a readable regular file",
			  p->file);
		close(fd);
		return NULL;
	}
	e = filecache_put(p->file, "/", 1, fd, &st, strrchr(p->file, '/') + 1,
			  mime_type_with(p->file, strlen(p->file), cfg->types,
					 cfg->ntypes, cfg->default_type),
			  ts.tv_sec);
	if (e == NULL) {
		log_error("error page %s: cannot be read", p->file);
		close(fd);
	}
	return e;
}

void errorpage_apply(struct response *r, const struct config *cfg,
		     const struct vhost *host, const struct route *route,
		     bool file_ok)
{
	const struct error_page *p;
	const struct fc_entry *e;

	if (!r->builtin_page || r->head_sent || r->status < 400)
		return;
	p = errorpage_for(cfg, host, route, r->status);
	if (p == NULL || (e = page_entry(cfg, p)) == NULL ||
	    (!file_ok && e->data == NULL && e->size > 0))
		return;
	response_header_drop(r, "Content-Type");
	response_header(r, "Content-Type", e->ctype);
	if (r->fd >= 0 && r->fd_owned)
		close(r->fd); /* a file body the error replaced, not yet closed */
	r->fd = -1;
	if (e->data != NULL || e->size == 0)
		response_body_mem(r, e->data != NULL ? e->data : "",
				  (size_t)e->size);
	else
		response_body_file(r, e->fd, 0, e->size, false);
}
