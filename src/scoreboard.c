/*
 * scoreboard.c -- shared-memory worker slots (see scoreboard.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "scoreboard.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static size_t sb_size(unsigned n)
{
	return sizeof(struct scoreboard) + (size_t)n * sizeof(struct sb_slot);
}

struct scoreboard *scoreboard_create(unsigned n)
{
	struct scoreboard *sb;

	sb = mmap(NULL, sb_size(n), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sb == MAP_FAILED) {
		log_errno(LOG_ERROR, "mmap(scoreboard, %u slots)", n);
		return NULL;
	}
	memset(sb, 0, sb_size(n));
	sb->nslots = n;
	sb->master_pid = (int32_t)getpid();
	return sb;
}

void scoreboard_destroy(struct scoreboard *sb)
{
	if (sb && munmap(sb, sb_size(sb->nslots)) < 0)
		log_errno(LOG_WARN, "munmap(scoreboard)");
}

int scoreboard_claim(struct scoreboard *sb, pid_t pid, uint32_t generation)
{
	for (unsigned i = 0; i < sb->nslots; i++) {
		struct sb_slot *s = &sb->slots[i];
		if (LOAD(&s->state) != SB_EMPTY)
			continue;
		memset(s, 0, sizeof(*s));
		s->pid = pid;
		s->generation = generation;
		s->started_ms = now_ms();
		STORE(&s->state, (uint32_t)SB_STARTING);
		return (int)i;
	}
	return -1;
}

static void stats_add(struct sb_stats *to, const struct sb_stats *from)
{
	const uint64_t *f = (const uint64_t *)(const void *)from;
	uint64_t *t = (uint64_t *)(void *)to;
	size_t n = sizeof(struct sb_stats) / sizeof(uint64_t);

	for (size_t i = 0; i < n; i++)
		t[i] += LOAD(&f[i]);
}

void scoreboard_release(struct scoreboard *sb, int slot)
{
	struct sb_slot *s = &sb->slots[slot];

	sb->retired_requests += LOAD(&s->requests);
	sb->retired_bytes += LOAD(&s->bytes);
	stats_add(&sb->retired_stats, &s->stats);
	memset(s, 0, sizeof(*s));
	STORE(&s->state, (uint32_t)SB_EMPTY);
}

void sb_set_state(struct sb_slot *s, enum sb_state st)
{
	STORE(&s->state, (uint32_t)st);
}

enum sb_state sb_get_state(const struct sb_slot *s)
{
	return (enum sb_state)LOAD(&s->state);
}

void sb_request_begin(struct sb_slot *s, int64_t now, const char *line,
		      size_t len)
{
	if (len >= sizeof(s->request))
		len = sizeof(s->request) - 1;
	memcpy(s->request, line, len);
	s->request[len] = '\0';
	STORE(&s->req_start_ms, now);
	STORE(&s->state, (uint32_t)SB_WRITING);
}

void sb_request_bytes(struct sb_slot *s, uint64_t *counted, uint64_t sent)
{
	if (sent <= *counted)
		return;
	STORE(&s->bytes, LOAD(&s->bytes) + (sent - *counted));
	*counted = sent;
}

void sb_request_end(struct sb_slot *s, uint64_t bytes)
{
	STORE(&s->req_start_ms, (int64_t)0);
	STORE(&s->requests, LOAD(&s->requests) + 1);
	STORE(&s->bytes, LOAD(&s->bytes) + bytes);
}

void sb_set_client(struct sb_slot *s, const char *client)
{
	size_t n = strlen(client);

	if (n >= sizeof(s->client))
		n = sizeof(s->client) - 1;
	memcpy(s->client, client, n);
	s->client[n] = '\0';
}

void sb_stat_add(uint64_t *counter, uint64_t n)
{
	STORE(counter, LOAD(counter) + n);
}

/* The histogram bucket of a time in microseconds. */
static size_t bucket_of(int64_t us)
{
	static const int64_t bounds[] = SB_DURATION_BOUNDS_US;
	size_t b = 0;

	while (b < PH_ARRAY_LEN(bounds) && us > bounds[b])
		b++;
	return b;
}

void sb_queue_stats(struct sb_slot *s, int64_t queue_us)
{
	sb_stat_add(&s->stats.queue[bucket_of(queue_us)], 1);
	sb_stat_add(&s->stats.queue_sum_us, queue_us > 0 ? (uint64_t)queue_us : 0);
}

void sb_request_stats(struct sb_slot *s, int status, enum sb_method m,
		      int64_t duration_us)
{
	int cls = status / 100;

	sb_stat_add(&s->stats.requests[m][cls >= 1 && cls <= 5 ? cls : 0], 1);
	sb_stat_add(&s->stats.duration[bucket_of(duration_us)], 1);
	sb_stat_add(&s->stats.duration_sum_us,
		    duration_us > 0 ? (uint64_t)duration_us : 0);
}

void scoreboard_sum_stats(const struct scoreboard *sb, struct sb_stats *out)
{
	*out = sb->retired_stats;
	for (unsigned i = 0; i < sb->nslots; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (LOAD(&s->state) != SB_EMPTY)
			stats_add(out, &s->stats);
	}
}

void scoreboard_sum_conns(const struct scoreboard *sb, struct sb_conns *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < sb->nslots; i++) {
		const struct sb_conns *g = &sb->slots[i].conns;
		if (LOAD(&sb->slots[i].state) == SB_EMPTY)
			continue;
		out->open += LOAD(&g->open);
		out->reading += LOAD(&g->reading);
		out->idle += LOAD(&g->idle);
		out->queued += LOAD(&g->queued);
		out->active += LOAD(&g->active);
		out->closing += LOAD(&g->closing);
	}
}

uint64_t scoreboard_total_requests(const struct scoreboard *sb)
{
	uint64_t total = sb->retired_requests;

	for (unsigned i = 0; i < sb->nslots; i++)
		if (LOAD(&sb->slots[i].state) != SB_EMPTY)
			total += LOAD(&sb->slots[i].requests);
	return total;
}

uint64_t scoreboard_total_bytes(const struct scoreboard *sb)
{
	uint64_t total = LOAD(&sb->retired_bytes);

	for (unsigned i = 0; i < sb->nslots; i++)
		if (LOAD(&sb->slots[i].state) != SB_EMPTY)
			total += LOAD(&sb->slots[i].bytes);
	return total;
}

/*
 * The samples are under a sequence lock: sample_seq is odd while the
 * master writes one, and counts two per sample taken.  The newest sample
 * taken is samples[(taken - 1) % 2]; the next one overwrites the other.
 */
void scoreboard_sample(struct scoreboard *sb, int64_t now)
{
	uint32_t seq = LOAD(&sb->sample_seq);
	uint32_t taken = seq / 2;
	struct sb_sample *next = &sb->samples[taken % 2];

	if (taken > 0 &&
	    now - LOAD(&sb->samples[(taken - 1) % 2].ms) < SB_SAMPLE_MS)
		return;
	__atomic_store_n(&sb->sample_seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	STORE(&next->requests, scoreboard_total_requests(sb));
	STORE(&next->bytes, scoreboard_total_bytes(sb));
	STORE(&next->ms, now > 0 ? now : 1);
	__atomic_store_n(&sb->sample_seq, seq + 2, __ATOMIC_RELEASE);
}

bool scoreboard_recent(const struct scoreboard *sb, int64_t now,
		       struct sb_sample *out)
{
	for (int tries = 0; tries < 3; tries++) {
		uint32_t seq = __atomic_load_n(&sb->sample_seq, __ATOMIC_ACQUIRE);
		uint32_t taken = seq / 2;
		const struct sb_sample *s;

		if (seq % 2 != 0)
			continue; /* being written */
		if (taken == 0)
			return false;
		/* the older of the latest two, or the only one */
		s = &sb->samples[(taken >= 2 ? taken - 2 : 0) % 2];
		out->ms = LOAD(&s->ms);
		out->requests = LOAD(&s->requests);
		out->bytes = LOAD(&s->bytes);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (LOAD(&sb->sample_seq) != seq)
			continue;
		return out->ms != 0 && now - out->ms >= 1000;
	}
	return false;
}

unsigned scoreboard_count(const struct scoreboard *sb, uint32_t generation,
			  enum sb_state st)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sb->nslots; i++) {
		const struct sb_slot *s = &sb->slots[i];
		if (LOAD(&s->state) == (uint32_t)st &&
		    s->generation == generation)
			n++;
	}
	return n;
}
