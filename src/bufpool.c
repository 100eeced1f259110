/*
 * bufpool.c -- a worker's small pool of byte buffers (see bufpool.h).
 */
#include <stdlib.h>

#include "bufpool.h"

/* The class of a size: 0 for up to BUFPOOL_MIN, then one per doubling. */
static unsigned class_of(size_t n, size_t *size)
{
	unsigned c = 0;
	size_t s = BUFPOOL_MIN;

	while (s < n && c + 1 < BUFPOOL_CLASSES) {
		s <<= 1;
		c++;
	}
	*size = s;
	return c;
}

void bufpool_init(struct bufpool *bp, size_t max)
{
	size_t size;

	*bp = (struct bufpool){ 0 };
	class_of(max, &size);
	bp->max = size;
}

char *bufpool_get(struct bufpool *bp, size_t need, size_t *cap)
{
	size_t size;
	unsigned c;
	char *b;

	if (need == 0 || need > bp->max)
		return NULL;
	c = class_of(need, &size);
	if (size < need)
		return NULL;
	if (bp->nfree[c] > 0) {
		b = bp->free[c][--bp->nfree[c]];
		bp->cached -= size;
	} else if ((b = malloc(size)) == NULL) {
		return NULL;
	}
	bp->held += size;
	*cap = size;
	return b;
}

void bufpool_put(struct bufpool *bp, char *buf, size_t cap)
{
	size_t size;
	unsigned c;

	if (buf == NULL)
		return;
	c = class_of(cap, &size);
	bp->held -= cap;
	if (size == cap && bp->nfree[c] < BUFPOOL_KEEP) {
		bp->free[c][bp->nfree[c]++] = buf;
		bp->cached += cap;
		return;
	}
	free(buf);
}

void bufpool_drain(struct bufpool *bp)
{
	for (unsigned c = 0; c < BUFPOOL_CLASSES; c++) {
		while (bp->nfree[c] > 0)
			free(bp->free[c][--bp->nfree[c]]);
	}
	bp->cached = 0;
}
