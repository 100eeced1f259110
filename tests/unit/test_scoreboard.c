/* Unit tests for the shared scoreboard (scoreboard.h). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scoreboard.h"
#include "util.h"

static struct scoreboard *sb;

static void make4(void)
{
	sb = scoreboard_create(4);
	cr_assert_not_null(sb);
}

static void destroy(void)
{
	scoreboard_destroy(sb);
	sb = NULL;
}

TestSuite(scoreboard, .init = make4, .fini = destroy);

Test(scoreboard, create_is_empty)
{
	cr_assert_eq(sb->nslots, 4);
	cr_assert_eq(sb->generation, 0);
	cr_assert_eq(sb->draining, 0);
	cr_assert_eq(sb->retired_requests, 0);
	cr_assert_eq(sb->retired_bytes, 0);
	cr_assert_eq(scoreboard_total_requests(sb), 0);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(sb_get_state(&sb->slots[i]), SB_EMPTY);
		cr_assert_eq(sb->slots[i].pid, 0);
		cr_assert_eq(sb->slots[i].requests, 0);
	}
}

Test(scoreboard, mapping_is_shared_with_children)
{
	pid_t pid = fork();
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		sb_request_end(&sb->slots[1], 42);
		sb->generation = 7;
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(sb->slots[1].requests, 1);
	cr_assert_eq(sb->slots[1].bytes, 42);
	cr_assert_eq(sb->generation, 7);
}

Test(scoreboard, claim_up_to_the_limit)
{
	int64_t before = now_ms();
	bool seen[4] = { false };

	for (int i = 0; i < 4; i++) {
		int s = scoreboard_claim(sb, 100 + i, 3);
		cr_assert(s >= 0 && s < 4, "claim %d returned %d", i, s);
		cr_assert_not(seen[s], "slot %d handed out twice", s);
		seen[s] = true;
		cr_assert_eq(sb->slots[s].pid, 100 + i);
		cr_assert_eq(sb->slots[s].generation, 3);
		cr_assert_eq(sb_get_state(&sb->slots[s]), SB_STARTING);
		cr_assert_geq(sb->slots[s].started_ms, before);
		cr_assert_leq(sb->slots[s].started_ms, now_ms());
	}
	cr_assert_eq(scoreboard_claim(sb, 200, 3), -1);
	cr_assert_eq(scoreboard_claim(sb, 201, 4), -1);
}

Test(scoreboard, released_slot_is_reused_and_cleared)
{
	for (int i = 0; i < 4; i++)
		cr_assert_eq(scoreboard_claim(sb, 100 + i, 1), i);
	sb_set_client(&sb->slots[2], "192.0.2.1");
	sb_request_begin(&sb->slots[2], 1234, "GET / HTTP/1.1", 14);
	sb_request_end(&sb->slots[2], 10);
	scoreboard_release(sb, 2);
	cr_assert_eq(sb_get_state(&sb->slots[2]), SB_EMPTY);
	cr_assert_eq(scoreboard_claim(sb, 300, 2), 2);
	cr_assert_eq(scoreboard_claim(sb, 301, 2), -1);

	const struct sb_slot *s = &sb->slots[2];
	cr_assert_eq(s->pid, 300);
	cr_assert_eq(s->generation, 2);
	cr_assert_eq(s->requests, 0);
	cr_assert_eq(s->bytes, 0);
	cr_assert_eq(s->connections, 0);
	cr_assert_eq(s->req_start_ms, 0);
	cr_assert_str_empty(s->client);
	cr_assert_str_empty(s->request);
}

Test(scoreboard, release_folds_counters_into_retired_totals)
{
	int a = scoreboard_claim(sb, 10, 1);
	int b = scoreboard_claim(sb, 11, 1);

	cr_assert_geq(a, 0);
	cr_assert_geq(b, 0);
	for (int i = 0; i < 3; i++)
		sb_request_end(&sb->slots[a], 100);
	sb_request_end(&sb->slots[b], 7);
	cr_assert_eq(scoreboard_total_requests(sb), 4);

	scoreboard_release(sb, a);
	cr_assert_eq(sb->retired_requests, 3);
	cr_assert_eq(sb->retired_bytes, 300);
	cr_assert_eq(sb_get_state(&sb->slots[a]), SB_EMPTY);
	cr_assert_eq(sb->slots[a].pid, 0);
	cr_assert_eq(sb->slots[a].requests, 0);
	cr_assert_eq(sb->slots[a].bytes, 0);
	/* The total survives the release. */
	cr_assert_eq(scoreboard_total_requests(sb), 4);

	scoreboard_release(sb, b);
	cr_assert_eq(sb->retired_requests, 4);
	cr_assert_eq(sb->retired_bytes, 307);
	cr_assert_eq(scoreboard_total_requests(sb), 4);

	/* A new worker in the old slot adds to the total from zero. */
	int c = scoreboard_claim(sb, 12, 2);
	sb_request_end(&sb->slots[c], 1);
	cr_assert_eq(scoreboard_total_requests(sb), 5);
}

Test(scoreboard, request_begin_and_end)
{
	int s = scoreboard_claim(sb, 10, 1);
	struct sb_slot *sl = &sb->slots[s];
	/* Only len bytes are taken, even when more follow. */
	const char *head = "GET /index.html HTTP/1.1\r\nHost: x\r\n";

	sb_set_state(sl, SB_READING);
	sb_request_begin(sl, 5555, head, strlen("GET /index.html HTTP/1.1"));
	cr_assert_str_eq(sl->request, "GET /index.html HTTP/1.1");
	cr_assert_eq(sl->req_start_ms, 5555);
	cr_assert_eq(sb_get_state(sl), SB_WRITING);

	sb_request_end(sl, 1000);
	cr_assert_eq(sl->req_start_ms, 0);
	cr_assert_eq(sl->requests, 1);
	cr_assert_eq(sl->bytes, 1000);
	sb_request_end(sl, 24);
	cr_assert_eq(sl->requests, 2);
	cr_assert_eq(sl->bytes, 1024);
}

Test(scoreboard, request_line_is_truncated)
{
	int s = scoreboard_claim(sb, 10, 1);
	struct sb_slot *sl = &sb->slots[s];
	char line[300];

	memset(line, 'a', sizeof(line));
	memcpy(line, "GET /", 5);

	/* Exactly fits: SB_REQUEST_MAX - 1 bytes and the NUL. */
	sb_request_begin(sl, 1, line, SB_REQUEST_MAX - 1);
	cr_assert_eq(strlen(sl->request), SB_REQUEST_MAX - 1);
	cr_assert_eq(memcmp(sl->request, line, SB_REQUEST_MAX - 1), 0);

	/* One more byte: truncated to the same. */
	sb_request_begin(sl, 2, line, SB_REQUEST_MAX);
	cr_assert_eq(strlen(sl->request), SB_REQUEST_MAX - 1);

	/* Far too long: truncated, NUL-terminated, the slot intact. */
	sl->client[0] = 'c';
	sl->client[1] = '\0';
	sb_request_begin(sl, 3, line, sizeof(line));
	cr_assert_eq(strlen(sl->request), SB_REQUEST_MAX - 1);
	cr_assert_eq(sl->request[SB_REQUEST_MAX - 1], '\0');
	cr_assert_eq(memcmp(sl->request, "GET /aaa", 8), 0);
	cr_assert_eq(sl->req_start_ms, 3);
	cr_assert_str_eq(sl->client, "c");

	/* A shorter line after a long one leaves nothing of the old one. */
	sb_request_begin(sl, 4, "HEAD / HTTP/1.0", 15);
	cr_assert_str_eq(sl->request, "HEAD / HTTP/1.0");

	/* An empty line. */
	sb_request_begin(sl, 5, "", 0);
	cr_assert_str_empty(sl->request);
}

Test(scoreboard, client_is_truncated_and_not_counted_twice)
{
	int s = scoreboard_claim(sb, 10, 1);
	struct sb_slot *sl = &sb->slots[s];
	char longc[SB_CLIENT_MAX * 2];

	sb_set_client(sl, "2001:db8::1");
	cr_assert_str_eq(sl->client, "2001:db8::1");
	/* A connection resumed from the park sets its client again: the
	 * caller counts connections once, at accept. */
	cr_assert_eq(sl->connections, 0);
	sb_stat_add(&sl->connections, 1);
	cr_assert_eq(sl->connections, 1);

	memset(longc, 'x', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	sb_set_client(sl, longc);
	cr_assert_eq(strlen(sl->client), SB_CLIENT_MAX - 1);
}

Test(scoreboard, count_by_generation_and_state)
{
	int a = scoreboard_claim(sb, 10, 1);
	int b = scoreboard_claim(sb, 11, 1);
	int c = scoreboard_claim(sb, 12, 2);

	cr_assert_eq(scoreboard_count(sb, 1, SB_STARTING), 2);
	cr_assert_eq(scoreboard_count(sb, 2, SB_STARTING), 1);
	cr_assert_eq(scoreboard_count(sb, 3, SB_STARTING), 0);
	/* The free slot is generation 0, EMPTY. */
	cr_assert_eq(scoreboard_count(sb, 0, SB_EMPTY), 1);

	sb_set_state(&sb->slots[a], SB_IDLE);
	sb_set_state(&sb->slots[b], SB_READING);
	sb_set_state(&sb->slots[c], SB_IDLE);
	cr_assert_eq(scoreboard_count(sb, 1, SB_STARTING), 0);
	cr_assert_eq(scoreboard_count(sb, 1, SB_IDLE), 1);
	cr_assert_eq(scoreboard_count(sb, 1, SB_READING), 1);
	cr_assert_eq(scoreboard_count(sb, 2, SB_IDLE), 1);
	cr_assert_eq(scoreboard_count(sb, 2, SB_READING), 0);

	sb_set_state(&sb->slots[b], SB_CLOSING);
	cr_assert_eq(scoreboard_count(sb, 1, SB_CLOSING), 1);
	cr_assert_eq(sb_get_state(&sb->slots[b]), SB_CLOSING);

	scoreboard_release(sb, b);
	cr_assert_eq(scoreboard_count(sb, 1, SB_CLOSING), 0);
	cr_assert_eq(scoreboard_count(sb, 0, SB_EMPTY), 2);
}

Test(scoreboard, total_requests_counts_live_and_retired)
{
	int a = scoreboard_claim(sb, 10, 1);
	int b = scoreboard_claim(sb, 11, 1);

	sb_request_end(&sb->slots[a], 1);
	sb_request_end(&sb->slots[a], 1);
	sb_request_end(&sb->slots[b], 1);
	cr_assert_eq(scoreboard_total_requests(sb), 3);
	sb->retired_requests = 100;
	cr_assert_eq(scoreboard_total_requests(sb), 103);
	/* An empty slot's leftovers are not counted. */
	sb->slots[3].requests = 50;
	cr_assert_eq(sb_get_state(&sb->slots[3]), SB_EMPTY);
	cr_assert_eq(scoreboard_total_requests(sb), 103);
}

Test(scoreboard_sizes, one_slot_and_many)
{
	struct scoreboard *one = scoreboard_create(1);
	struct scoreboard *many = scoreboard_create(4096);

	cr_assert_not_null(one);
	cr_assert_not_null(many);
	cr_assert_eq(scoreboard_claim(one, 1, 1), 0);
	cr_assert_eq(scoreboard_claim(one, 2, 1), -1);
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(scoreboard_claim(many, i + 1, 1), i);
	cr_assert_eq(scoreboard_claim(many, 9999, 1), -1);
	cr_assert_eq(many->slots[4095].pid, 4096);
	scoreboard_destroy(one);
	scoreboard_destroy(many);
}

/* A long answer: its bytes reach the slot as they go, never twice. */
Test(scoreboard, request_bytes_as_they_go)
{
	struct sb_slot *s = &sb->slots[0];
	uint64_t counted = 0;

	s->state = SB_WRITING;
	sb_request_bytes(s, &counted, 300); /* the head */
	cr_expect_eq(s->bytes, 300);
	sb_request_bytes(s, &counted, 300); /* nothing new */
	cr_expect_eq(s->bytes, 300);
	sb_request_bytes(s, &counted, 1048876);
	cr_expect_eq(s->bytes, 1048876);
	cr_expect_eq(scoreboard_total_bytes(sb), 1048876);
	cr_expect_eq(s->requests, 0, "not answered yet");
	sb_request_end(s, 2000000 - counted);
	cr_expect_eq(s->bytes, 2000000);
	cr_expect_eq(s->requests, 1);
	scoreboard_release(sb, 0);
	cr_expect_eq(scoreboard_total_bytes(sb), 2000000, "kept when it exits");
}

/* The master's samples of the totals, for the recent rates. */
Test(scoreboard, samples_for_rates)
{
	struct sb_sample got;

	sb->retired_requests = 10;
	cr_expect_not(scoreboard_recent(sb, 1000000, &got), "none taken yet");
	scoreboard_sample(sb, 1000000);
	cr_expect_not(scoreboard_recent(sb, 1000500, &got), "under a second old");
	cr_assert(scoreboard_recent(sb, 1002000, &got));
	cr_expect_eq(got.ms, 1000000);
	cr_expect_eq(got.requests, 10);
	sb->retired_requests = 20;
	scoreboard_sample(sb, 1004999); /* too soon: not taken */
	cr_assert(scoreboard_recent(sb, 1005000, &got));
	cr_expect_eq(got.ms, 1000000);
	scoreboard_sample(sb, 1005000);
	cr_assert(scoreboard_recent(sb, 1005001, &got));
	cr_expect_eq(got.ms, 1000000, "the older of the two");
	sb->retired_requests = 30;
	scoreboard_sample(sb, 1010000);
	cr_assert(scoreboard_recent(sb, 1010001, &got));
	cr_expect_eq(got.ms, 1005000);
	cr_expect_eq(got.requests, 20);
	cr_expect_eq(sb->sample_seq % 2, 0, "not left mid-write");
}

/* accepted and handled are folded in when a worker exits. */
Test(scoreboard, connection_counters_survive_the_worker)
{
	struct sb_stats st;
	int i = scoreboard_claim(sb, 4242, 1);

	cr_assert_geq(i, 0);
	sb_stat_add(&sb->slots[i].stats.accepted, 5);
	sb_stat_add(&sb->slots[i].stats.handled, 4);
	scoreboard_release(sb, i);
	scoreboard_sum_stats(sb, &st);
	cr_expect_eq(st.accepted, 5);
	cr_expect_eq(st.handled, 4);
}
