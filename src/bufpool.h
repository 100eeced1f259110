/*
 * bufpool.h -- a worker's small pool of byte buffers.
 *
 * A connection waiting in the worker's set keeps only the bytes that have
 * arrived and not been served yet (a partial PROXY header or request head,
 * or pipelined bytes after an answer); an idle one keeps none.  Those bytes
 * live in a buffer of the smallest power-of-two size class that holds
 * them, from BUFPOOL_MIN up to the pool's largest class.  A returned buffer
 * goes back on its class's free list (at most BUFPOOL_KEEP per class), so
 * a busy worker allocates nothing in its steady state, and an idle one
 * holds little.
 */
#ifndef PH_BUFPOOL_H
#define PH_BUFPOOL_H

#include <stddef.h>

#define BUFPOOL_MIN 512    /* the smallest class */
#define BUFPOOL_CLASSES 16 /* 512 B .. 16 MiB */
#define BUFPOOL_KEEP 8     /* free buffers kept per class */

struct bufpool {
	size_t max;                      /* the largest size handed out */
	void *free[BUFPOOL_CLASSES][BUFPOOL_KEEP];
	unsigned nfree[BUFPOOL_CLASSES];
	size_t held;                     /* bytes in buffers handed out */
	size_t cached;                   /* bytes on the free lists */
};

/* An empty pool handing out at most max bytes per buffer (rounded up). */
void bufpool_init(struct bufpool *bp, size_t max);

/*
 * A buffer of at least need bytes (need <= the pool's max), its size in
 * *cap; NULL when need is 0, too large, or memory runs out.
 */
char *bufpool_get(struct bufpool *bp, size_t need, size_t *cap);

/* Give back a buffer of cap bytes got from bp (NULL is fine). */
void bufpool_put(struct bufpool *bp, char *buf, size_t cap);

/* Free every cached buffer. */
void bufpool_drain(struct bufpool *bp);

#endif
