/*
 * test_store.c: the controller's SQLite store (controller/store.c) on real
 * database files in a scratch directory: revisions, nodes, exactly-once
 * drift batches, drift transitions and filters, plans, schema versions,
 * damaged files, and kill -9 in the middle of writes (the child process
 * is killed at a random moment; HVP_STORE_SEED repeats a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include <dirent.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drift.h"
#include "plan.h"
#include "platform.h"
#include "store.h"
#include "xalloc.h"

#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEADER_USER_VERSION 60	/* SQLite header: user_version, big-endian */

/* ---- scratch directories ---- */

static void
s_remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *child;

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			child = platform_path_join(path, e->d_name);
			s_remove_tree(child);
			free(child);
		}
		closedir(d);
	}
	rmdir(path);
}

static int
setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/hvp-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (mkdtemp(dir) == NULL) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int
teardown_dir(void **state)
{
	s_remove_tree(*state);
	free(*state);
	return 0;
}

static store *
s_open(const char *dir)
{
	char *err = NULL;
	store *s = store_open(dir, &err);

	if (s == NULL)
		fail_msg("store_open: %s", err);
	return s;
}

static char *
s_db_path(const char *dir)
{
	return platform_path_join(dir, STORE_FILE_NAME);
}

static void
s_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint32_t
s_read_user_version(const char *db)
{
	unsigned char b[4];
	FILE *f = fopen(db, "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, HEADER_USER_VERSION, SEEK_SET), 0);
	assert_int_equal(fread(b, 1, 4, f), 4);
	fclose(f);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static void
s_write_user_version(const char *db, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	FILE *f = fopen(db, "r+b");

	assert_non_null(f);
	assert_int_equal(fseek(f, HEADER_USER_VERSION, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
}

/* Asserts err starts with the database path and contains what. */
static void
s_assert_err(char **err, const char *dir, const char *what)
{
	char *db = s_db_path(dir);

	assert_non_null(*err);
	if (strncmp(*err, db, strlen(db)) != 0 || strstr(*err, what) == NULL)
		fail_msg("error \"%s\" does not name %s and \"%s\"", *err, db,
		    what);
	free(db);
	free(*err);
	*err = NULL;
}

/* ---- revisions ---- */

static void
test_revisions_numbered_and_persistent(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	store_revision *r = NULL, *list = NULL;
	size_t n = 0;
	int64_t rev = -1;
	char *err = NULL;

	assert_int_equal(store_latest_revision(s, &r, &err), 0);
	assert_null(r);
	assert_int_equal(store_add_revision(s, "text one\n", HASH_A, "alice",
	    "apply -f one.yaml", 1000, &rev, &err), 0);
	assert_int_equal(rev, 1);
	assert_int_equal(store_add_revision(s, "text two\n", HASH_B, "bob",
	    "apply -f two.yaml", 2000, &rev, &err), 0);
	assert_int_equal(rev, 2);
	assert_int_equal(store_add_revision(s, "text one\n", HASH_A, NULL,
	    NULL, 3000, &rev, &err), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(store_add_revision(s, NULL, HASH_A, NULL, NULL, 1,
	    &rev, &err), -1);
	free(err);
	err = NULL;

	assert_int_equal(store_get_revision(s, 2, &r, &err), 0);
	assert_non_null(r);
	assert_int_equal(r->revision, 2);
	assert_string_equal(r->text, "text two\n");
	assert_string_equal(r->hash, HASH_B);
	assert_string_equal(r->applied_by, "bob");
	assert_string_equal(r->source, "apply -f two.yaml");
	assert_int_equal(r->applied_at, 2000);
	store_revision_free(&r);
	assert_null(r);
	assert_int_equal(store_get_revision(s, 4, &r, &err), 0);
	assert_null(r);
	store_free(&s);
	assert_null(s);

	s = s_open(dir);
	assert_int_equal(store_latest_revision(s, &r, &err), 0);
	assert_non_null(r);
	assert_int_equal(r->revision, 3);
	assert_string_equal(r->text, "text one\n");
	assert_null(r->applied_by);
	assert_null(r->source);
	store_revision_free(&r);
	assert_int_equal(store_add_revision(s, "text four\n", HASH_B, "carol",
	    "rollback 2", 4000, &rev, &err), 0);
	assert_int_equal(rev, 4);
	assert_int_equal(store_list_revisions(s, &list, &n, &err), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(list[i].revision, (int64_t)i + 1);
		assert_int_equal(list[i].applied_at, ((int64_t)i + 1) * 1000);
		assert_null(list[i].text);
	}
	assert_string_equal(list[0].applied_by, "alice");
	assert_string_equal(list[3].source, "rollback 2");
	assert_string_equal(list[3].hash, HASH_B);
	store_revision_list_free(&list, n);
	assert_null(list);
	assert_int_equal(store_check_integrity(s, &err), 0);
	store_free(&s);
}

/* ---- nodes ---- */

static store_node
s_node(const char *name, host_role role)
{
	store_node n = { 0 };

	n.name = (char *)name;
	n.role = role;
	n.cluster = (char *)"HV-CLUSTER-01";
	return n;
}

static void
test_nodes(void **state)
{
	static const uint8_t inv[] = { 0x0a, 0x00, 0xff, 0x12, 0x00 };
	static const uint8_t inv2[] = { 0x01, 0x02 };
	const char *dir = *state;
	store *s = s_open(dir);
	store_node hv2 = s_node("HV02", ROLE_HYPERV_NODE);
	store_node hv1 = s_node("HV01", ROLE_HYPERV_NODE);
	store_node dpm = s_node("DPM01", ROLE_DPM_SERVER);
	store_node *got = NULL, *list = NULL;
	store_ack ack = { 7, 3, true, 2, HASH_A };
	uint64_t acked = 0;
	size_t n = 0;
	char *err = NULL;

	hv2.last_seen = 100;
	hv2.online = true;
	hv2.inventory = (uint8_t *)inv;
	hv2.inventory_len = sizeof(inv);
	hv2.inventory_hash = (char *)HASH_B;
	assert_int_equal(store_upsert_node(s, &hv2, &err), 0);
	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	assert_int_equal(store_upsert_node(s, &dpm, &err), 0);

	assert_int_equal(store_get_node(s, "HV02", &got, &err), 0);
	assert_non_null(got);
	assert_string_equal(got->name, "HV02");
	assert_int_equal(got->role, ROLE_HYPERV_NODE);
	assert_string_equal(got->cluster, "HV-CLUSTER-01");
	assert_int_equal(got->last_seen, 100);
	assert_true(got->online);
	assert_int_equal(got->inventory_len, sizeof(inv));
	assert_memory_equal(got->inventory, inv, sizeof(inv));
	assert_string_equal(got->inventory_hash, HASH_B);
	assert_null(got->dsgroups_hash);
	assert_int_equal(got->acked_revision, 0);
	assert_false(got->converged);
	store_node_free(&got);
	assert_null(got);
	assert_int_equal(store_get_node(s, "HV09", &got, &err), 0);
	assert_null(got);

	/* A record without an inventory keeps the stored one. */
	hv2.inventory = NULL;
	hv2.inventory_len = 0;
	hv2.inventory_hash = NULL;
	assert_int_equal(store_upsert_node(s, &hv2, &err), 0);
	assert_int_equal(store_get_node(s, "HV02", &got, &err), 0);
	assert_int_equal(got->inventory_len, sizeof(inv));
	assert_memory_equal(got->inventory, inv, sizeof(inv));
	assert_string_equal(got->inventory_hash, HASH_B);
	store_node_free(&got);

	/* Acknowledgements, presence, inventory. */
	assert_int_equal(store_set_node_ack(s, "DPM01", &ack, &err), 0);
	assert_int_equal(store_set_node_online(s, "DPM01", true, 250, &err), 0);
	assert_int_equal(store_set_node_inventory(s, "HV02", inv2,
	    sizeof(inv2), HASH_A, &err), 0);
	assert_int_equal(store_set_node_inventory(s, "HV01", "", 0, NULL,
	    &err), 0);
	assert_int_equal(store_set_node_ack(s, "HV09", &ack, &err), -1);
	s_assert_err(&err, dir, "unknown node HV09");
	assert_int_equal(store_set_node_online(s, "HV09", true, 1, &err), -1);
	s_assert_err(&err, dir, "unknown node HV09");
	assert_int_equal(store_set_node_inventory(s, "HV09", inv2, 2, NULL,
	    &err), -1);
	s_assert_err(&err, dir, "unknown node HV09");

	/* An upsert keeps the drift number. */
	assert_int_equal(store_add_drift_batch(s, "HV02", 0, 1, NULL, 0, &acked,
	    &err), 0);
	assert_int_equal(store_set_drift_seq(s, "HV02", 41, &err), 0);
	hv2.cluster = (char *)"HV-CLUSTER-02";
	hv2.inventory = (uint8_t *)inv2;
	hv2.inventory_len = sizeof(inv2);
	assert_int_equal(store_upsert_node(s, &hv2, &err), 0);
	store_free(&s);

	s = s_open(dir);
	assert_int_equal(store_list_nodes(s, &list, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "DPM01");
	assert_string_equal(list[1].name, "HV01");
	assert_string_equal(list[2].name, "HV02");
	assert_int_equal(list[0].role, ROLE_DPM_SERVER);
	assert_int_equal(list[0].acked_revision, 7);
	assert_int_equal(list[0].acked_plan_generation, 3);
	assert_true(list[0].converged);
	assert_int_equal(list[0].open_drift, 2);
	assert_string_equal(list[0].dsgroups_hash, HASH_A);
	assert_true(list[0].online);
	assert_int_equal(list[0].last_seen, 250);
	assert_non_null(list[1].inventory);	/* empty, not absent */
	assert_int_equal(list[1].inventory_len, 0);
	assert_null(list[1].inventory_hash);
	assert_string_equal(list[2].cluster, "HV-CLUSTER-02");
	assert_int_equal(list[2].inventory_len, sizeof(inv2));
	assert_memory_equal(list[2].inventory, inv2, sizeof(inv2));
	assert_int_equal(list[2].last_drift_seq, 41);
	store_node_list_free(&list, n);
	assert_null(list);

	assert_int_equal(store_set_all_offline(s, &err), 0);
	assert_int_equal(store_list_nodes(s, &list, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_false(list[i].online);
	assert_int_equal(list[0].last_seen, 250);
	store_node_list_free(&list, n);

	hv1.cluster = NULL;
	assert_int_equal(store_upsert_node(s, &hv1, &err), -1);
	s_assert_err(&err, dir, "needs a name, a cluster and a role");
	store_free(&s);
}

/* ---- drift ---- */

static drift_record
s_rec(const char *id, const char *node, drift_status status,
    int64_t detected_at, int64_t resolved_at)
{
	drift_record r = { 0 };

	r.id = xstrdup(id);
	r.cluster = xstrdup("HV-CLUSTER-01");
	r.node = xstrdup(node);
	r.role = ROLE_HYPERV_NODE;
	r.kind = DRIFT_REGISTRY;
	r.resource = xasprintf("HKLM\\SOFTWARE\\Test\\%s", id);
	r.expected = xstrdup("present");
	r.actual = NULL;
	r.policy_revision = 3;
	r.mode = POLICY_ENFORCE;
	r.status = status;
	r.detected_at = detected_at;
	r.resolved_at = resolved_at;
	/* As if the controller stored it when it happened. */
	r.received_at = resolved_at ? resolved_at : detected_at;
	r.action = status == DRIFT_OPEN ? NULL : xstrdup("created the key");
	r.error = NULL;
	return r;
}

static void
s_recs_clear(drift_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		drift_record_clear(&r[i]);
}

static size_t
s_count_drift(store *s, const store_drift_filter *f)
{
	drift_record *list = NULL;
	size_t n = 0;
	char *err = NULL;

	if (store_query_drift(s, f, &list, &n, &err) == -1)
		fail_msg("store_query_drift: %s", err);
	store_drift_list_free(&list, n);
	return n;
}

static size_t
s_count_events(store *s, const store_drift_filter *f)
{
	store_drift_event *list = NULL;
	size_t n = 0;
	char *err = NULL;

	if (store_list_drift_events(s, f, &list, &n, &err) == -1)
		fail_msg("store_list_drift_events: %s", err);
	store_drift_event_list_free(&list, n);
	return n;
}

static void
test_drift_batch_exactly_once(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	store_node hv1 = s_node("HV01", ROLE_HYPERV_NODE);
	drift_record b[6];
	store_drift_filter f = { 0 };
	store_node *got = NULL;
	uint64_t acked = 0;
	char *err = NULL;

	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	/* The node's queue: d1 appears and is corrected, d2 appears and
	 * goes away, d3 and d4 appear. */
	b[0] = s_rec("d1", "HV01", DRIFT_OPEN, 100, 0);
	b[1] = s_rec("d1", "HV01", DRIFT_CORRECTED, 100, 101);
	b[2] = s_rec("d2", "HV01", DRIFT_OPEN, 102, 0);
	b[3] = s_rec("d3", "HV01", DRIFT_OPEN, 103, 0);
	b[4] = s_rec("d2", "HV01", DRIFT_RESOLVED, 102, 104);
	b[5] = s_rec("d4", "HV01", DRIFT_OPEN, 105, 0);

	/* Records 1-3, then the same batch again (the acknowledgement was
	 * lost): replaying d1's "open" would reopen it and log it twice. */
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, b, 3, &acked,
	    &err), 0);
	assert_int_equal(acked, 3);
	assert_int_equal(s_count_drift(s, NULL), 2);
	assert_int_equal(s_count_events(s, NULL), 3);
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, b, 3, &acked,
	    &err), 0);
	assert_int_equal(acked, 3);
	assert_int_equal(s_count_drift(s, NULL), 2);
	assert_int_equal(s_count_events(s, NULL), 3);
	f.open_only = true;
	assert_int_equal(s_count_drift(s, &f), 1);	/* d2 only */

	/* 1-5 overlap what was stored: only 4 and 5 are new. */
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, b, 5, &acked,
	    &err), 0);
	assert_int_equal(acked, 5);
	assert_int_equal(s_count_drift(s, NULL), 3);
	assert_int_equal(s_count_events(s, NULL), 5);
	assert_int_equal(s_count_drift(s, &f), 1);	/* d3 only */

	/* An empty batch tells the node where the store is. */
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 0, NULL, 0, &acked,
	    &err), 0);
	assert_int_equal(acked, 5);
	/* Across a restart: everything sent again changes nothing. */
	store_free(&s);
	s = s_open(dir);
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, b, 5, &acked,
	    &err), 0);
	assert_int_equal(acked, 5);
	assert_int_equal(s_count_drift(s, NULL), 3);
	assert_int_equal(s_count_events(s, NULL), 5);
	assert_int_equal(s_count_drift(s, &f), 1);
	assert_int_equal(store_get_node(s, "HV01", &got, &err), 0);
	assert_int_equal(got->last_drift_seq, 5);
	store_node_free(&got);

	/* A batch that follows one never stored (the node says it sent 7
	 * before it) stores nothing and says where to resend from. */
	assert_int_equal(store_add_drift_batch(s, "HV01", 7, 9, &b[5], 1, &acked,
	    &err), STORE_DRIFT_GAP);
	assert_int_equal(acked, 5);
	assert_int_equal(s_count_drift(s, NULL), 3);

	/* A gap inside what the node sends (its journal lost 6 to 8) is
	 * accepted. */
	assert_int_equal(store_add_drift_batch(s, "HV01", 5, 9, &b[5], 1, &acked,
	    &err), 0);
	assert_int_equal(acked, 9);
	assert_int_equal(s_count_drift(s, NULL), 4);

	/* A record the store cannot keep is skipped, its number used. */
	free(b[0].id);
	b[0].id = NULL;
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 10, b, 1, &acked,
	    &err), 0);
	assert_int_equal(acked, 10);
	assert_int_equal(s_count_drift(s, NULL), 4);
	assert_int_equal(s_count_events(s, NULL), 6);

	assert_int_equal(store_add_drift_batch(s, "HV09", 0, 1, b, 1, &acked,
	    &err), -1);
	s_assert_err(&err, dir, "unknown node HV09");
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 0, &b[1], 1, &acked,
	    &err), -1);
	s_assert_err(&err, dir, "out of range");
	assert_int_equal(store_check_integrity(s, &err), 0);
	s_recs_clear(b, 6);
	store_free(&s);
}

static void
test_drift_transitions(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	store_node hv1 = s_node("HV01", ROLE_HYPERV_NODE);
	store_node hv2 = s_node("HV02", ROLE_HYPERV_NODE);
	drift_record open, done, again, other, *list = NULL;
	store_drift_event *ev = NULL;
	uint64_t acked = 0;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	assert_int_equal(store_upsert_node(s, &hv2, &err), 0);
	open = s_rec("HV01-x-100", "HV01", DRIFT_OPEN, 100, 0);
	open.actual = xstrdup("absent");
	done = s_rec("HV01-x-100", "HV01", DRIFT_CORRECTED, 100, 130);
	done.actual = xstrdup("present");	/* rows keep the first actual */
	again = s_rec("HV01-x-100", "HV01", DRIFT_CORRECTED, 100, 130);
	other = s_rec("HV01-x-100", "HV02", DRIFT_FAILED, 100, 0);
	other.error = xstrdup("access denied");

	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, &open, 1, &acked,
	    &err), 0);
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 2, &done, 1, &acked,
	    &err), 0);
	/* The same transition under a new number changes nothing. */
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 3, &again, 1,
	    &acked, &err), 0);
	/* Another node cannot rewrite HV01's drift. */
	assert_int_equal(store_add_drift_batch(s, "HV02", 0, 1, &other, 1,
	    &acked, &err), 0);
	assert_int_equal(acked, 1);

	assert_int_equal(store_query_drift(s, NULL, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, "HV01-x-100");
	assert_string_equal(list[0].node, "HV01");
	assert_string_equal(list[0].cluster, "HV-CLUSTER-01");
	assert_int_equal(list[0].role, ROLE_HYPERV_NODE);
	assert_int_equal(list[0].kind, DRIFT_REGISTRY);
	assert_string_equal(list[0].resource, "HKLM\\SOFTWARE\\Test\\HV01-x-100");
	assert_string_equal(list[0].expected, "present");
	assert_string_equal(list[0].actual, "absent");
	assert_int_equal(list[0].policy_revision, 3);
	assert_int_equal(list[0].mode, POLICY_ENFORCE);
	assert_int_equal(list[0].status, DRIFT_CORRECTED);
	assert_int_equal(list[0].detected_at, 100);
	assert_int_equal(list[0].resolved_at, 130);
	assert_string_equal(list[0].action, "created the key");
	assert_null(list[0].error);
	store_drift_list_free(&list, n);

	assert_int_equal(store_list_drift_events(s, NULL, &ev, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].drift_id, "HV01-x-100");
	assert_string_equal(ev[0].node, "HV01");
	assert_int_equal(ev[0].node_seq, 1);
	assert_int_equal(ev[0].status, DRIFT_OPEN);
	assert_int_equal(ev[0].at, 100);
	assert_int_equal(ev[1].node_seq, 2);
	assert_int_equal(ev[1].status, DRIFT_CORRECTED);
	assert_int_equal(ev[1].at, 130);
	assert_true(ev[1].seq > ev[0].seq);
	store_drift_event_list_free(&ev, n);
	assert_null(ev);

	/* A failure after the correction: error set, resolvedAt cleared. */
	drift_record_clear(&other);
	other = s_rec("HV01-x-100", "HV01", DRIFT_FAILED, 100, 0);
	other.error = xstrdup("access denied");
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 4, &other, 1,
	    &acked, &err), 0);
	assert_int_equal(store_query_drift(s, NULL, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].status, DRIFT_FAILED);
	assert_int_equal(list[0].resolved_at, 0);
	assert_string_equal(list[0].error, "access denied");
	store_drift_list_free(&list, n);
	assert_int_equal(s_count_events(s, NULL), 3);

	drift_record_clear(&open);
	drift_record_clear(&done);
	drift_record_clear(&again);
	drift_record_clear(&other);
	store_free(&s);
}

static void
test_drift_filters(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	store_node hv1 = s_node("HV01", ROLE_HYPERV_NODE);
	store_node hv2 = s_node("HV02", ROLE_HYPERV_NODE);
	drift_record a[3], b[2], dup, *list = NULL;
	store_drift_filter f = { 0 };
	uint64_t acked = 0;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	assert_int_equal(store_upsert_node(s, &hv2, &err), 0);
	a[0] = s_rec("a-old-resolved", "HV01", DRIFT_CORRECTED, 100, 500);
	a[1] = s_rec("a-open", "HV01", DRIFT_OPEN, 300, 0);
	a[2] = s_rec("a-old", "HV01", DRIFT_RESOLVED, 50, 60);
	b[0] = s_rec("b-open", "HV02", DRIFT_OPEN, 300, 0);
	b[1] = s_rec("b-new", "HV02", DRIFT_FAILED, 400, 0);
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, a, 3, &acked,
	    &err), 0);
	assert_int_equal(store_add_drift_batch(s, "HV02", 0, 1, b, 2, &acked,
	    &err), 0);

	/* A record the controller makes: HV01 and HV02 report one guest. */
	dup = s_rec("controller-dup-1", "HV02", DRIFT_OPEN, 350, 0);
	dup.kind = DRIFT_INVENTORY;
	dup.mode = POLICY_AUDIT;
	dup.role = ROLE_DPM_SERVER;
	assert_int_equal(store_put_drift(s, &dup, &err), 0);

	/* Everything, by detectedAt then id. */
	assert_int_equal(store_query_drift(s, &f, &list, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_string_equal(list[0].id, "a-old");
	assert_string_equal(list[1].id, "a-old-resolved");
	assert_string_equal(list[2].id, "a-open");
	assert_string_equal(list[3].id, "b-open");
	assert_string_equal(list[4].id, "controller-dup-1");
	assert_string_equal(list[5].id, "b-new");
	assert_int_equal(list[4].kind, DRIFT_INVENTORY);
	assert_int_equal(list[4].mode, POLICY_AUDIT);
	assert_int_equal(list[4].role, ROLE_DPM_SERVER);
	assert_null(list[4].action);
	assert_int_equal(list[1].resolved_at, 500);
	store_drift_list_free(&list, n);

	f.node = "HV01";
	assert_int_equal(store_query_drift(s, &f, &list, &n, &err), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(list[i].node, "HV01");
	store_drift_list_free(&list, n);

	/* since: stored (receivedAt) at or after it. */
	f.node = NULL;
	f.since = 400;
	assert_int_equal(store_query_drift(s, &f, &list, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].id, "a-old-resolved");
	assert_string_equal(list[1].id, "b-new");
	store_drift_list_free(&list, n);
	f.since = 501;
	assert_int_equal(s_count_drift(s, &f), 0);

	f.since = 0;
	f.open_only = true;
	assert_int_equal(store_query_drift(s, &f, &list, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].id, "a-open");
	assert_string_equal(list[1].id, "b-open");
	assert_string_equal(list[2].id, "controller-dup-1");
	store_drift_list_free(&list, n);

	f.node = "HV02";
	f.since = 320;
	assert_int_equal(store_query_drift(s, &f, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, "controller-dup-1");
	store_drift_list_free(&list, n);

	/* The controller resolves its own record: one row, two events. */
	dup.status = DRIFT_RESOLVED;
	dup.resolved_at = 600;
	dup.received_at = 600;
	assert_int_equal(store_put_drift(s, &dup, &err), 0);
	assert_int_equal(s_count_drift(s, &f), 0);
	f.open_only = false;
	f.since = 600;
	f.node = NULL;
	assert_int_equal(s_count_drift(s, &f), 1);
	assert_int_equal(s_count_events(s, &f), 1);
	f.since = 0;
	f.node = "HV02";
	assert_int_equal(s_count_events(s, &f), 4);
	f.open_only = true;
	assert_int_equal(s_count_events(s, &f), 2);

	free(dup.node);
	dup.node = NULL;
	assert_int_equal(store_put_drift(s, &dup, &err), -1);
	s_assert_err(&err, dir, "no node");

	s_recs_clear(a, 3);
	s_recs_clear(b, 2);
	drift_record_clear(&dup);
	store_free(&s);
}

/* ---- plans ---- */

static char **
s_strs(size_t n, ...)
{
	char **v = xcalloc(n, sizeof(*v));
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static plan_guest
s_pguest(const char *name, const char *id, const char *node)
{
	plan_guest g = { xstrdup(name), xstrdup(id), xstrdup(node) };

	return g;
}

static plan *
s_make_plan(uint64_t generation, const char *hash)
{
	plan *p = plan_new();

	p->generation = generation;
	snprintf(p->hash, sizeof(p->hash), "%s", hash);
	p->ngroups = 3;
	p->groups = xcalloc(3, sizeof(*p->groups));
	p->groups[0].name = xstrdup("CSV-Volume1+Volume2");
	p->groups[0].csvs = s_strs(2, "Volume1", "Volume2");
	p->groups[0].ncsvs = 2;
	p->groups[0].guests = xcalloc(3, sizeof(plan_guest));
	p->groups[0].guests[0] = s_pguest("VM0001", "id-1", "HV01");
	p->groups[0].guests[1] = s_pguest("VM0002", "id-2", "HV02");
	p->groups[0].guests[2] = s_pguest("VM0002", "id-2b", "HV01");
	p->groups[0].nguests = 3;
	p->groups[1].name = xstrdup("CSV-Volume3");
	p->groups[1].csvs = s_strs(1, "Volume3");
	p->groups[1].ncsvs = 1;
	p->groups[2].name = xstrdup("CSV-Volume4");
	p->groups[2].csvs = s_strs(1, "Volume4");
	p->groups[2].ncsvs = 1;
	p->groups[2].guests = xcalloc(1, sizeof(plan_guest));
	p->groups[2].guests[0] = s_pguest("VM0009", "id-9", "HV03");
	p->groups[2].nguests = 1;
	p->nunplanned = 2;
	p->unplanned = xcalloc(2, sizeof(*p->unplanned));
	p->unplanned[0].name = xstrdup("VM0100");
	p->unplanned[0].id = xstrdup("id-100");
	p->unplanned[0].node = xstrdup("HV01");
	p->unplanned[0].reason = xstrdup("no path on a Cluster Shared Volume");
	p->unplanned[1].name = xstrdup("VM0101");
	p->unplanned[1].id = xstrdup("");	/* as the planner gives it */
	p->unplanned[1].node = xstrdup("HV02");
	p->unplanned[1].reason = xstrdup("no GUID reported");
	return p;
}

static void
s_assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
s_assert_plans_equal(const plan *a, const plan *b)
{
	assert_int_equal(a->generation, b->generation);
	assert_string_equal(a->hash, b->hash);
	assert_int_equal(a->ngroups, b->ngroups);
	for (size_t i = 0; i < a->ngroups; i++) {
		const plan_group *ga = &a->groups[i], *gb = &b->groups[i];

		assert_string_equal(ga->name, gb->name);
		assert_int_equal(ga->ncsvs, gb->ncsvs);
		for (size_t k = 0; k < ga->ncsvs; k++)
			assert_string_equal(ga->csvs[k], gb->csvs[k]);
		assert_int_equal(ga->nguests, gb->nguests);
		for (size_t k = 0; k < ga->nguests; k++) {
			assert_string_equal(ga->guests[k].name,
			    gb->guests[k].name);
			assert_string_equal(ga->guests[k].id, gb->guests[k].id);
			s_assert_str_or_null(ga->guests[k].node,
			    gb->guests[k].node);
		}
	}
	assert_int_equal(a->nunplanned, b->nunplanned);
	for (size_t i = 0; i < a->nunplanned; i++) {
		s_assert_str_or_null(a->unplanned[i].name, b->unplanned[i].name);
		s_assert_str_or_null(a->unplanned[i].id, b->unplanned[i].id);
		s_assert_str_or_null(a->unplanned[i].node, b->unplanned[i].node);
		s_assert_str_or_null(a->unplanned[i].reason,
		    b->unplanned[i].reason);
	}
}

static void
test_plans(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	plan *p1 = s_make_plan(1, HASH_A), *p2, *got = NULL, *empty;
	store_plan_info *info = NULL;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_load_latest_plan(s, &got, &err), 0);
	assert_null(got);
	assert_int_equal(store_save_plan(s, p1, 1111, &err), 0);
	store_free(&s);

	s = s_open(dir);
	assert_int_equal(store_load_latest_plan(s, &got, &err), 0);
	assert_non_null(got);
	s_assert_plans_equal(got, p1);
	plan_free(&got);

	/* Generation 2 moves a guest; generation 1 stays readable. */
	p2 = s_make_plan(2, HASH_B);
	free(p2->groups[2].guests[0].node);
	p2->groups[2].guests[0].node = xstrdup("HV01");
	assert_int_equal(store_save_plan(s, p2, 2222, &err), 0);
	assert_int_equal(store_load_latest_plan(s, &got, &err), 0);
	s_assert_plans_equal(got, p2);
	plan_free(&got);
	assert_int_equal(store_load_plan(s, 1, &got, &err), 0);
	s_assert_plans_equal(got, p1);
	plan_free(&got);
	assert_int_equal(store_load_plan(s, 3, &got, &err), 0);
	assert_null(got);

	/* Saving again: same hash is nothing, another hash or an older
	 * generation fails. */
	assert_int_equal(store_save_plan(s, p2, 3333, &err), 0);
	snprintf(p2->hash, sizeof(p2->hash), "%s", HASH_A);
	assert_int_equal(store_save_plan(s, p2, 3333, &err), -1);
	s_assert_err(&err, dir, "plan generation 2 is stored already with "
	    "another hash");
	p1->generation = 0;
	assert_int_equal(store_save_plan(s, p1, 3333, &err), -1);
	s_assert_err(&err, dir, "needs a generation");
	assert_int_equal(store_list_plans(s, &info, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(info[0].generation, 1);
	assert_string_equal(info[0].hash, HASH_A);
	assert_int_equal(info[0].saved_at, 1111);
	assert_int_equal(info[1].generation, 2);
	assert_string_equal(info[1].hash, HASH_B);
	assert_int_equal(info[1].saved_at, 2222);
	free(info);

	/* An empty plan (no guests anywhere) round-trips too. */
	empty = plan_new();
	empty->generation = 3;
	snprintf(empty->hash, sizeof(empty->hash), "%s", HASH_A);
	assert_int_equal(store_save_plan(s, empty, 4444, &err), 0);
	assert_int_equal(store_load_latest_plan(s, &got, &err), 0);
	s_assert_plans_equal(got, empty);
	plan_free(&got);
	/* Older generations saved again with their hash: nothing to do. */
	p1->generation = 1;
	assert_int_equal(store_save_plan(s, p1, 4444, &err), 0);
	assert_int_equal(store_save_plan(s, p2, 4444, &err), -1);
	s_assert_err(&err, dir, "stored already");
	snprintf(p1->hash, sizeof(p1->hash), "%s", "cc");
	assert_int_equal(store_save_plan(s, p1, 4444, &err), -1);
	s_assert_err(&err, dir, "stored already");

	/* Old generations are pruned, with all their rows. */
	for (uint64_t g = 4; g < 4 + STORE_PLAN_KEEP; g++) {
		p1->generation = g;
		assert_int_equal(store_save_plan(s, p1, (int64_t)g, &err), 0);
	}
	assert_int_equal(store_list_plans(s, &info, &n, &err), 0);
	assert_int_equal(n, STORE_PLAN_KEEP);
	assert_int_equal(info[0].generation, 4);
	assert_int_equal(info[n - 1].generation, 3 + STORE_PLAN_KEEP);
	free(info);
	assert_int_equal(store_load_plan(s, 1, &got, &err), 0);
	assert_null(got);
	p1->generation = 2;
	assert_int_equal(store_save_plan(s, p1, 1, &err), -1);
	s_assert_err(&err, dir, "is older than the stored generation");
	if (store_check_integrity(s, &err) == -1)
		fail_msg("%s", err);

	plan_free(&p1);
	plan_free(&p2);
	plan_free(&empty);
	store_free(&s);
}

/* ---- schema versions and damaged files ---- */

static void
test_migrate_empty_database(void **state)
{
	const char *dir = *state;
	char *db = s_db_path(dir), *err = NULL;
	store *s;
	int64_t rev = 0;

	/* A zero-length file is a database at user_version 0, no tables. */
	s_write_file(db, "", 0);
	s = s_open(dir);
	assert_int_equal(store_add_revision(s, "t\n", HASH_A, "a", "b", 1,
	    &rev, &err), 0);
	assert_int_equal(rev, 1);
	assert_int_equal(store_check_integrity(s, &err), 0);
	store_free(&s);
	assert_true(s_read_user_version(db) >= 1);
	/* Opening an up-to-date database changes nothing. */
	s = s_open(dir);
	store_free(&s);
	free(db);
}

static void
test_refuse_newer_schema(void **state)
{
	const char *dir = *state;
	char *db = s_db_path(dir), *wal = xasprintf("%s-wal", db), *err = NULL;
	store *s = s_open(dir);
	uint32_t current;

	store_free(&s);
	/* The last close checkpoints: the header in the main file is
	 * current. */
	assert_false(platform_file_exists(wal));
	current = s_read_user_version(db);
	assert_true(current >= 1);
	s_write_user_version(db, 999);
	assert_null(store_open(dir, &err));
	s_assert_err(&err, dir, "schema version 999 is newer than this "
	    "program knows");
	/* Nothing was changed: back at the known version it opens. */
	s_write_user_version(db, current);
	s = s_open(dir);
	store_free(&s);
	free(wal);
	free(db);
}

/* Builds dir's database from a schema fixture (tests/data/store). */
static bool
s_db_from_fixture(const char *dir, int version)
{
	char *path = xasprintf("%s/store/schema-v%d.sql", HVP_TEST_DATA,
	    version), *sql = NULL, *err = NULL, *db = s_db_path(dir);
	size_t len = 0;
	sqlite3 *h = NULL;

	if (platform_read_file(path, 1 << 20, &sql, &len, &err) == -1) {
		free(err);
		free(path);
		free(db);
		return false;
	}
	unlink(db);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", path, err);
	assert_int_equal(sqlite3_close(h), SQLITE_OK);
	free(sql);
	free(path);
	free(db);
	return true;
}

/* What schema-v1.sql holds, as the current code reads it. */
static void
s_assert_v1_rows(store *s)
{
	store_revision *r = NULL;
	store_node *n = NULL;
	drift_record *list = NULL;
	store_drift_filter f = { 0 };
	plan *p = NULL;
	size_t nd = 0;
	char *err = NULL;

	assert_int_equal(store_get_revision(s, 2, &r, &err), 0);
	assert_non_null(r);
	assert_string_equal(r->hash, HASH_B);
	assert_string_equal(r->source, "rollback 1");
	store_revision_free(&r);
	assert_int_equal(store_get_node(s, "HV01", &n, &err), 0);
	assert_non_null(n);
	assert_int_equal(n->acked_revision, 2);
	assert_int_equal(n->last_drift_seq, 7);
	store_node_free(&n);
	assert_int_equal(store_query_drift(s, &f, &list, &nd, &err), 0);
	assert_int_equal(nd, 1);
	assert_string_equal(list[0].id, "0123456789abcdef");
	assert_int_equal(list[0].status, DRIFT_OPEN);
	store_drift_list_free(&list, nd);
	assert_int_equal(store_load_latest_plan(s, &p, &err), 0);
	assert_non_null(p);
	assert_int_equal(p->generation, 1);
	assert_int_equal(p->ngroups, 1);
	plan_free(&p);
}

/* What schema-v6.sql adds: a plan stored as one row (plans.body). */
static void
s_assert_v6_rows(store *s)
{
	plan *p = NULL;
	char *err = NULL;

	assert_int_equal(store_load_plan(s, 3, &p, &err), 0);
	assert_non_null(p);
	assert_int_equal(p->ngroups, 1);
	assert_string_equal(p->groups[0].csvs[0], "Volume2");
	assert_int_equal(p->groups[0].nguests, 1);
	assert_string_equal(p->groups[0].guests[0].id,
	    "e25c0289-ec2d-4a91-a7ec-8e65a18debbe");
	assert_int_equal(p->nunplanned, 1);
	assert_string_equal(p->unplanned[0].reason, "no GUID reported");
	plan_free(&p);
	/* The row-stored plans beside it still read. */
	assert_int_equal(store_load_plan(s, 2, &p, &err), 0);
	assert_non_null(p);
	assert_string_equal(p->groups[0].guests[0].node, "HVB01");
	plan_free(&p);
}

/* A plan whose stored body does not decode, or decodes to another plan
 * than its row names, is an error naming the generation; the store's
 * other plans and rows stay readable. */
static void
test_plan_body_damaged(void **state)
{
	const char *dir = *state;
	char *db = s_db_path(dir), *err = NULL;
	store *s = s_open(dir);
	plan *p4 = s_make_plan(4, HASH_A), *p5 = s_make_plan(5, HASH_B);
	plan *back = NULL;
	sqlite3 *h;
	static const char *const damage[] = {
		"UPDATE plans SET body = X'0aff' WHERE generation = 5",
		/* a valid Plan of another generation */
		"UPDATE plans SET body = X'0809' WHERE generation = 5",
	};

	assert_int_equal(store_save_plan(s, p4, 100, &err), 0);
	assert_int_equal(store_save_plan(s, p5, 101, &err), 0);
	store_free(&s);
	for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
		assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, damage[i], NULL, NULL, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_close(h), SQLITE_OK);
		s = s_open(dir);
		assert_int_equal(store_load_plan(s, 5, &back, &err), -1);
		assert_null(back);
		assert_non_null(strstr(err, "plan generation 5: its stored body "
		    "does not decode"));
		free(err);
		err = NULL;
		assert_int_equal(store_load_plan(s, 4, &back, &err), 0);
		s_assert_plans_equal(back, p4);
		plan_free(&back);
		store_free(&s);
	}
	plan_free(&p4);
	plan_free(&p5);
	free(db);
}

/* Every schema version ever released (a fixture per version, the current
 * one included, so the next migration is tested from it) opens with this
 * code, is migrated to the current version, and keeps its rows. */
static void
test_migrate_from_every_version(void **state)
{
	const char *dir = *state;
	char *db = s_db_path(dir), *err = NULL;
	int current = store_schema_version();

	for (int v = 0; v <= current; v++) {
		store *s;

		if (!s_db_from_fixture(dir, v))
			fail_msg("no fixture tests/data/store/schema-v%d.sql: add "
			    "one for every schema version (docs/store.md)", v);
		s = s_open(dir);
		assert_int_equal(store_check_integrity(s, &err), 0);
		if (v >= 1)
			s_assert_v1_rows(s);
		if (v >= 6)
			s_assert_v6_rows(s);
		store_free(&s);
		assert_int_equal(s_read_user_version(db), current);
	}
	free(db);
}

/* store_backup_to() while the store is open and written: the copy opens
 * as a store of its own with the same rows, and replaces an old copy. */
static void
test_backup_copy(void **state)
{
	const char *dir = *state;
	char *sub = platform_path_join(dir, "copy"), *err = NULL;
	char *copy = platform_path_join(sub, STORE_FILE_NAME);
	store *s, *c;
	store_revision *r = NULL;
	int64_t rev = 0;

	assert_true(s_db_from_fixture(dir, 1));
	s = s_open(dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	s_write_file(copy, "old", 3);
	assert_int_equal(store_backup_to(s, copy, &err), 0);
	/* Written after the copy: not in it. */
	assert_int_equal(store_add_revision(s, "t\n", HASH_A, "a", "b", 9,
	    &rev, &err), 0);
	c = s_open(sub);
	s_assert_v1_rows(c);
	assert_int_equal(store_get_revision(c, rev, &r, &err), 0);
	assert_null(r);
	store_free(&c);
	assert_int_equal(store_backup_to(s, "/nonexistent/dir/x.db", &err), -1);
	assert_non_null(strstr(err, "/nonexistent/dir/x.db"));
	free(err);
	err = NULL;

	/* In steps, with a write between them: the copy has it (SQLite
	 * carries this connection's writes into a running backup). */
	{
		store_backup *bk = store_backup_begin(s, copy, &err);
		int64_t later = 0;
		int rc;

		assert_non_null(bk);
		assert_int_equal(store_backup_step(bk, 1, &err), 0);
		assert_int_equal(store_add_revision(s, "u\n", HASH_B, "a", "b",
		    10, &later, &err), 0);
		while ((rc = store_backup_step(bk, 1, &err)) == 0)
			;
		assert_int_equal(rc, 1);
		assert_int_equal(store_backup_end(&bk, &err), 0);
		assert_null(bk);
		c = s_open(sub);
		assert_int_equal(store_get_revision(c, later, &r, &err), 0);
		assert_non_null(r);
		store_revision_free(&r);
		store_free(&c);
		/* Abandoned half way: nothing leaks, the store goes on. */
		bk = store_backup_begin(s, copy, &err);
		assert_int_equal(store_backup_step(bk, 1, &err), 0);
		assert_int_equal(store_backup_end(&bk, NULL), 0);
		assert_int_equal(store_check_integrity(s, &err), 0);
	}
	store_free(&s);
	free(copy);
	free(sub);
}

static void
test_damaged_files(void **state)
{
	const char *dir = *state;
	char *db = s_db_path(dir), *err = NULL;
	char *sub = platform_path_join(dir, "sub");
	char *file = platform_path_join(dir, "plain-file");
	unsigned char garbage[8192];

	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (unsigned char)(i * 131 + 7);
	s_write_file(db, garbage, sizeof(garbage));
	assert_null(store_open(dir, &err));
	/* Only a damaged file is worth moving away (a full disk is not). */
	assert_non_null(strstr(err, "move the file away"));
	s_assert_err(&err, dir, "file is not a database");
	/* Text in place of the database. */
	s_write_file(db, "hello, world\n", 13);
	assert_null(store_open(dir, &err));
	s_assert_err(&err, dir, "file is not a database");
	unlink(db);

	/* The database path is a directory. */
	assert_int_equal(mkdir(db, 0700), 0);
	assert_null(store_open(dir, &err));
	s_assert_err(&err, dir, "");
	rmdir(db);

	/* The data directory cannot be made. */
	s_write_file(file, "x", 1);
	free(sub);
	sub = platform_path_join(file, "data");
	assert_null(store_open(sub, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, file));
	free(err);
	err = NULL;
	assert_null(store_open("", &err));
	assert_string_equal(err, "store: no data directory given");
	free(err);

	/* A missing data directory is made private. */
	free(sub);
	sub = platform_path_join(dir, "new/deeper");
	{
		store *s = s_open(sub);
		struct stat st;

		assert_int_equal(stat(sub, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0700);
		store_free(&s);
	}
	free(sub);
	free(file);
	free(db);
}

/* ---- kill -9 ---- */

typedef struct crash_note {
	int64_t revision;
	int64_t iteration;
} crash_note;

static char *
s_crash_text(int round, int64_t iteration)
{
	return xasprintf("round %d iteration %lld\n", round,
	    (long long)iteration);
}

/* The child: adds revisions until killed, reporting each one committed. */
static _Noreturn void
s_crash_child(const char *dir, int round, int fd)
{
	char *err = NULL;
	store *s = store_open(dir, &err);

	if (s == NULL)
		_exit(2);
	for (int64_t i = 0;; i++) {
		crash_note note = { 0, i };
		char *text = s_crash_text(round, i);

		if (store_add_revision(s, text, HASH_A, "crash", "loop", i,
		    &note.revision, &err) == -1)
			_exit(3);
		free(text);
		if (write(fd, &note, sizeof(note)) != (ssize_t)sizeof(note))
			_exit(4);
	}
}

static void
test_kill9(void **state)
{
	const char *dir = *state;
	const char *seed_env = getenv("HVP_STORE_SEED");
	unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) :
	    (unsigned)platform_now_ms();
	int64_t total = 0;

	srand(seed);
	print_message("kill -9 test: HVP_STORE_SEED=%u\n", seed);
	for (int round = 0; round < 4; round++) {
		int fds[2], status;
		crash_note note, *notes = NULL;
		size_t nnotes = 0, cap = 0;
		char *err = NULL;
		store *s;
		store_revision *list = NULL, *r = NULL;
		size_t n = 0;
		pid_t pid;
		ssize_t got;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid != -1);
		if (pid == 0) {
			close(fds[0]);
			s_crash_child(dir, round, fds[1]);
		}
		close(fds[1]);
		/* Wait for the first commit, then kill at a random moment. */
		assert_int_equal(read(fds[0], &note, sizeof(note)),
		    sizeof(note));
		xgrow(&notes, &cap, nnotes + 1, sizeof(*notes));
		notes[nnotes++] = note;
		platform_sleep_ms(rand() % 250);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
		while ((got = read(fds[0], &note, sizeof(note))) ==
		    sizeof(note)) {
			xgrow(&notes, &cap, nnotes + 1, sizeof(*notes));
			notes[nnotes++] = note;
		}
		assert_int_equal(got, 0);
		close(fds[0]);

		s = s_open(dir);
		if (store_check_integrity(s, &err) == -1)
			fail_msg("seed %u round %d: %s", seed, round, err);
		/* Every reported commit is there, with its text. */
		for (size_t i = 0; i < nnotes; i++) {
			char *text = s_crash_text(round, notes[i].iteration);

			assert_int_equal(store_get_revision(s,
			    notes[i].revision, &r, &err), 0);
			if (r == NULL)
				fail_msg("seed %u round %d: revision %lld "
				    "lost", seed, round,
				    (long long)notes[i].revision);
			assert_string_equal(r->text, text);
			store_revision_free(&r);
			free(text);
		}
		/* Numbers stay 1, 2, 3, ... with nothing half-written. */
		assert_int_equal(store_list_revisions(s, &list, &n, &err), 0);
		assert_true((int64_t)n >= total + (int64_t)nnotes);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(list[i].revision, (int64_t)i + 1);
		print_message("round %d: %zu commits reported, %zu stored\n",
		    round, nnotes, n - (size_t)total);
		total = (int64_t)n;
		store_revision_list_free(&list, n);
		store_free(&s);
		free(notes);
	}
}

/* The event stream: one growing sequence over revisions, node liveness,
 * drift transitions (each showing the record as it was then) and plans,
 * kept across reopening, with a floor above numbers clients saw. */
static void
test_events(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	store_node hv1 = { .name = (char *)"HV01", .role = ROLE_HYPERV_NODE,
	    .cluster = (char *)"HV-CLUSTER-01" };
	store_change c = { .text = "t\n", .hash = HASH_A, .applied_by = "alice",
	    .source = "apply -f p.yaml", .change_id = "CHG1",
	    .message = "why", .applied_at = 10 };
	store_event_filter f = { 0 };
	store_event *ev = NULL;
	store_revision *rev = NULL;
	drift_record b[2], *list = NULL;
	plan *p = s_make_plan(1, HASH_B);
	int64_t r = 0, upto = 0;
	uint64_t acked = 0;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_last_event(s), 0);
	assert_int_equal(store_add_change(s, &c, &r, &err), 0);
	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	assert_int_equal(store_set_node_online(s, "HV01", true, 11, &err), 0);
	b[0] = s_rec("d1", "HV01", DRIFT_OPEN, 100, 0);
	b[0].cause = DRIFT_CAUSE_REVISION;
	b[1] = s_rec("d1", "HV01", DRIFT_CORRECTED, 100, 101);
	b[1].cause = DRIFT_CAUSE_REVISION;
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, b, 2, &acked,
	    &err), 0);
	assert_int_equal(store_save_plan(s, p, 12, &err), 0);
	assert_int_equal(store_last_event(s), 5);

	assert_int_equal(store_list_events(s, NULL, &ev, &n, &upto, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(upto, 5);
	assert_string_equal(ev[0].type, "revision");
	assert_non_null(strstr(ev[0].data, "\"changeId\":\"CHG1\""));
	assert_non_null(strstr(ev[0].data, "\"revision\":1"));
	assert_string_equal(ev[1].type, "node");
	assert_string_equal(ev[1].data, "{\"online\":true}");
	assert_true(ev[2].has_drift && ev[3].has_drift);
	assert_int_equal(ev[2].drift.status, DRIFT_OPEN);	/* as it was */
	assert_null(ev[2].drift.action);
	assert_int_equal(ev[3].drift.status, DRIFT_CORRECTED);
	assert_int_equal(ev[3].drift.cause, DRIFT_CAUSE_REVISION);
	assert_string_equal(ev[4].type, "plan");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ev[i].seq, (int64_t)i + 1);
	store_event_list_free(&ev, n);

	/* Filters; a limit stops the cursor at the last returned. */
	f.type = "drift";
	assert_int_equal(store_list_events(s, &f, &ev, &n, &upto, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(upto, 5);
	store_event_list_free(&ev, n);
	f.type = NULL;
	f.node = "HV01";
	f.limit = 2;
	assert_int_equal(store_list_events(s, &f, &ev, &n, &upto, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(upto, 3);
	store_event_list_free(&ev, n);

	/* The cause is kept with the record and the change with the
	 * revision. */
	assert_int_equal(store_query_drift(s, NULL, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].cause, DRIFT_CAUSE_REVISION);
	store_drift_list_free(&list, n);
	assert_int_equal(store_get_revision(s, 1, &rev, &err), 0);
	assert_string_equal(rev->change_id, "CHG1");
	assert_string_equal(rev->message, "why");
	store_revision_free(&rev);

	/* Reopened, numbering goes on; a floor a client saw lifts it. */
	store_free(&s);
	s = s_open(dir);
	assert_int_equal(store_last_event(s), 5);
	assert_int_equal(store_raise_event_floor(s, 100, &err), 0);
	assert_int_equal(store_last_event(s), 100);
	assert_int_equal(store_set_node_online(s, "HV01", false, 12, &err), 0);
	assert_int_equal(store_last_event(s), 101);
	store_free(&s);
	s = s_open(dir);
	assert_int_equal(store_last_event(s), 101);
	f = (store_event_filter){ .after = 5 };
	assert_int_equal(store_list_events(s, &f, &ev, &n, &upto, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].seq, 101);
	store_event_list_free(&ev, n);

	s_recs_clear(b, 2);
	plan_free(&p);
	store_free(&s);
}

/* Retention: a prefix of the oldest events goes, a batch at a time, never
 * past the caller's hold; the drift transitions they show go with them,
 * the drift report stays; numbers are never reused, also once every
 * event is gone, and the highest pruned is kept across reopening. */
static void
test_event_retention(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	store_change c = { .text = "t\n", .hash = HASH_A, .applied_at = 1000 };
	store_node hv1 = { .name = (char *)"HV01", .role = ROLE_HYPERV_NODE,
	    .cluster = (char *)"HV-CLUSTER-01" };
	store_prune p = { .before = 1500, .upto_max = INT64_MAX, .batch = 1 };
	store_prune_result res;
	store_event *ev = NULL;
	drift_record b[2], *list = NULL;
	int64_t r = 0, upto = 0, now = platform_now_ms() / 1000;
	uint64_t acked = 0;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_events_pruned(s), 0);
	/* Nothing to prune in an empty stream. */
	assert_int_equal(store_prune_events(s, &p, &res, &err), 0);
	assert_int_equal(res.pruned, 0);
	assert_int_equal(store_add_change(s, &c, &r, &err), 0);	/* 1 */
	assert_int_equal(store_upsert_node(s, &hv1, &err), 0);
	b[0] = s_rec("d1", "HV01", DRIFT_OPEN, 1100, 0);
	b[1] = s_rec("d1", "HV01", DRIFT_CORRECTED, 1100, 1101);
	b[0].received_at = b[1].received_at = 1100;
	assert_int_equal(store_add_drift_batch(s, "HV01", 0, 1, b, 2, &acked,
	    &err), 0);					/* 2, 3 */
	c.hash = HASH_B;
	c.applied_at = 2000;
	assert_int_equal(store_add_change(s, &c, &r, &err), 0);	/* 4 */
	c.hash = HASH_A;
	c.applied_at = now;
	assert_int_equal(store_add_change(s, &c, &r, &err), 0);	/* 5 */

	/* One at a time, then the rest older than 1500. */
	assert_int_equal(store_prune_events(s, &p, &res, &err), 0);
	assert_int_equal(res.pruned, 1);
	assert_int_equal(res.upto, 1);
	p.batch = 10;
	assert_int_equal(store_prune_events(s, &p, &res, &err), 0);
	assert_int_equal(res.pruned, 2);
	assert_int_equal(res.upto, 3);
	assert_false(res.held);
	assert_int_equal(s_count_events(s, NULL), 0);	/* transitions gone */
	assert_int_equal(store_query_drift(s, NULL, &list, &n, &err), 0);
	assert_int_equal(n, 1);				/* the report stays */
	assert_int_equal(list[0].status, DRIFT_CORRECTED);
	store_drift_list_free(&list, n);

	/* Event 4 is old enough, but held. */
	p.before = 3000;
	p.upto_max = 3;
	assert_int_equal(store_prune_events(s, &p, &res, &err), 0);
	assert_int_equal(res.pruned, 0);
	assert_true(res.held);
	assert_int_equal(res.upto, 3);

	/* Everything, then a new event: numbered on, never reused. */
	p.before = now + 10;
	p.upto_max = INT64_MAX;
	assert_int_equal(store_prune_events(s, &p, &res, &err), 0);
	assert_int_equal(res.pruned, 2);
	assert_int_equal(store_events_pruned(s), 5);
	store_free(&s);
	s = s_open(dir);
	assert_int_equal(store_events_pruned(s), 5);
	assert_int_equal(store_last_event(s), 5);
	assert_int_equal(store_set_node_online(s, "HV01", true, now, &err), 0);
	assert_int_equal(store_list_events(s, NULL, &ev, &n, &upto, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].seq, 6);
	store_event_list_free(&ev, n);
	assert_int_equal(store_check_integrity(s, &err), 0);
	s_recs_clear(b, 2);
	store_free(&s);
}

/* ---- another process's lock, checkpoints ---- */

static sqlite3 *
s_other(const char *dir)
{
	char *path = s_db_path(dir);
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	free(path);
	return db;
}

/* A write that cannot get the lock fails at once with the busy message
 * (every time: the loop's wait budget is spent), reads go on, and the
 * next tick's write succeeds once the lock is gone. */
static void
test_busy_lock(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	sqlite3 *other = s_other(dir);
	store_revision *list = NULL;
	int64_t rev = 0;
	size_t n = 0;
	char *err = NULL;

	assert_int_equal(store_add_revision(s, "one\n", HASH_A, "a", "t", 1,
	    &rev, &err), 0);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE; UPDATE revisions "
	    "SET applied_by = applied_by", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(store_add_revision(s, "two\n", HASH_B, "b", "t",
		    2, &rev, &err), -1);
		assert_non_null(strstr(err, STORE_BUSY_MESSAGE));
		free(err);
		err = NULL;
	}
	assert_int_equal(store_list_revisions(s, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	store_revision_list_free(&list, n);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	store_tick(s);
	assert_int_equal(store_add_revision(s, "two\n", HASH_B, "b", "t", 2,
	    &rev, &err), 0);
	assert_int_equal(rev, 2);
	sqlite3_close(other);
	store_free(&s);
	(void)state;
}

/* The newest revision in the main file alone (a copy without the WAL). */
static int64_t
s_main_file_revision(const char *dir)
{
	char *path = s_db_path(dir), *copy = xasprintf("%s/copy.db", dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t rev = -1;
	char *data;
	size_t len;

	if (platform_read_file(path, PLATFORM_MAX_FILE, &data, &len, NULL) == 0) {
		s_write_file(copy, data, len);
		free(data);
		if (sqlite3_open(copy, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT max(revision) FROM revisions",
		    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			rev = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		sqlite3_close(db);
		remove(copy);
	}
	free(copy);
	free(path);
	return rev;
}

/* What is committed reaches the main file through store_tick alone. */
static void
test_checkpoint(void **state)
{
	const char *dir = *state;
	store *s = s_open(dir);
	int64_t rev = 0, deadline = platform_mono_ms() + 20000;
	char *err = NULL;

	assert_int_equal(store_add_revision(s, "one\n", HASH_A, "a", "t", 1,
	    &rev, &err), 0);
	while (s_main_file_revision(dir) != rev && platform_mono_ms() < deadline) {
		store_tick(s);
		platform_sleep_ms(50);
	}
	assert_int_equal(s_main_file_revision(dir), rev);
	store_free(&s);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_revisions_numbered_and_persistent, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_nodes, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_drift_batch_exactly_once,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_drift_transitions,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_drift_filters, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_events, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_event_retention, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_plan_body_damaged, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_plans, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_migrate_empty_database,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_migrate_from_every_version,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_backup_copy,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_refuse_newer_schema,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_damaged_files, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_kill9, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_busy_lock, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_checkpoint, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
