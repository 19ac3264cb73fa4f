/*
 * test_retention.c: which events retention may prune while webhook
 * endpoints have not taken them (controller/retention.c), on a real
 * store file: each endpoint holds back from the first event after its
 * stored cursor that its filter matches; events its filter does not
 * match never hold; an endpoint with no cursor yet holds everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "drift.h"
#include "platform.h"
#include "retention.h"
#include "store.h"
#include "xalloc.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char *
s_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/hvp-retention-XXXXXX", tmp && *tmp ? tmp :
	    "/tmp");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Events 1 revision, 2 node online, 3 drift (open), 4 revision. */
static store *
s_store(const char *dir)
{
	char *err = NULL;
	store *s = store_open(dir, &err);
	store_change c = { .text = "t\n", .hash = HASH_A, .applied_at = 100 };
	store_node hv1 = { .name = (char *)"HV01", .role = ROLE_HYPERV_NODE,
	    .cluster = (char *)"C" };
	drift_record r = { 0 };
	uint64_t acked = 0;
	int64_t rev = 0;

	assert_non_null(s);
	assert_int_equal(store_add_change(s, &c, &rev, &err), 0);
	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	assert_int_equal(store_set_node_online(s, "HV01", true, 100, &err), 0);
	r.id = (char *)"d1";
	r.node = (char *)"HV01";
	r.resource = (char *)"HKLM\\X";
	r.status = DRIFT_OPEN;
	r.detected_at = r.received_at = 100;
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, &r, 1, &acked,
	    &err), 0);
	c.hash = HASH_B;
	assert_int_equal(store_add_change(s, &c, &rev, &err), 0);
	assert_int_equal(store_last_event(s), 4);
	return s;
}

static void
s_cursor(store *s, const char *name, int64_t delivered)
{
	store_webhook_cursor c = { .delivered = delivered };
	char *err = NULL;

	assert_int_equal(store_set_webhook_cursor(s, name, &c, &err), 0);
}

static void
test_hold(void **state)
{
	char *dir = s_tmpdir(), *err = NULL, who[32];
	store *s = s_store(dir);
	webhook_view v[4];
	store_prune p = { .before = platform_now_ms() / 1000 + 10,
	    .batch = 100 };
	store_prune_result res;
	int64_t hold = 0;

	(void)state;
	memset(v, 0, sizeof v);
	v[0].name = "all";		/* took 1 and 2: holds from 3 */
	s_cursor(s, "all", 2);
	v[1].name = "revisions";	/* took 1: its next is 4 */
	v[1].types = ",revision,";
	s_cursor(s, "revisions", 1);
	v[2].name = "plans";		/* nothing to take */
	v[2].types = ",plan,";
	v[3].name = "corrections";	/* the open drift is not its */
	v[3].types = ",drift,";
	v[3].statuses = ",corrected,";
	assert_int_equal(retention_hold(s, v, 4, &hold, who, sizeof who,
	    &err), 0);
	assert_int_equal(hold, 2);
	assert_string_equal(who, "all");
	assert_int_equal(retention_hold(s, v + 1, 3, &hold, who, sizeof who,
	    &err), 0);
	assert_int_equal(hold, 3);
	assert_string_equal(who, "revisions");
	assert_int_equal(retention_hold(s, v + 2, 2, &hold, who, sizeof who,
	    &err), 0);
	assert_int_equal(hold, INT64_MAX);
	assert_string_equal(who, "");

	/* Pruning stops at the hold, and says so. */
	assert_int_equal(retention_hold(s, v, 4, &p.upto_max, who, sizeof who,
	    &err), 0);
	assert_int_equal(store_prune_events(s, &p, &res, &err), 0);
	assert_int_equal(res.pruned, 2);
	assert_true(res.held);
	assert_int_equal(store_events_pruned(s), 2);

	/* A new endpoint (no cursor) holds from the oldest kept event. */
	v[0].name = "new";
	assert_int_equal(retention_hold(s, v, 1, &hold, who, sizeof who,
	    &err), 0);
	assert_int_equal(hold, 2);
	assert_string_equal(who, "new");
	store_free(&s);
	{
		char *db = platform_path_join(dir, STORE_FILE_NAME);
		char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);

		unlink(db);
		unlink(wal);
		unlink(shm);
		free(db);
		free(wal);
		free(shm);
	}
	rmdir(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
