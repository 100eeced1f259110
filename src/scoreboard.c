/*
 * scoreboard.c -- shared-memory worker slots (see scoreboard.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

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

void scoreboard_release(struct scoreboard *sb, int slot)
{
	struct sb_slot *s = &sb->slots[slot];

	sb->retired_requests += LOAD(&s->requests);
	sb->retired_bytes += LOAD(&s->bytes);
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
	STORE(&s->connections, LOAD(&s->connections) + 1);
}

uint64_t scoreboard_total_requests(const struct scoreboard *sb)
{
	uint64_t total = sb->retired_requests;

	for (unsigned i = 0; i < sb->nslots; i++)
		if (LOAD(&sb->slots[i].state) != SB_EMPTY)
			total += LOAD(&sb->slots[i].requests);
	return total;
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
