/*
 * test_nodestate.c: the node's desired state on disk (node/nodestate.c):
 * save and load round trip (with and without a plan), a missing file, a
 * damaged one (bad magic, truncated, flipped byte) reported clearly, and
 * the checks on a received Desired.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "log.h"
#include "nodestate.h"
#include "platform.h"
#include "wire.h"
#include "tmpdir.h"
#include "xalloc.h"

static plan *
s_plan(void)
{
	plan *p = plan_new();

	p->generation = 12;
	p->ngroups = 1;
	p->groups = xcalloc(1, sizeof *p->groups);
	p->groups[0].name = xstrdup("Volume1+Volume2");
	p->groups[0].ncsvs = 2;
	p->groups[0].csvs = xcalloc(2, sizeof(char *));
	p->groups[0].csvs[0] = xstrdup("Volume1");
	p->groups[0].csvs[1] = xstrdup("Volume2");
	p->groups[0].nguests = 2;
	p->groups[0].guests = xcalloc(2, sizeof *p->groups[0].guests);
	p->groups[0].guests[0].name = xstrdup("VM0001");
	p->groups[0].guests[0].id = xstrdup("6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11");
	p->groups[0].guests[0].node = xstrdup("HV01");
	p->groups[0].guests[1].name = xstrdup("VM0002");
	p->groups[0].guests[1].id = xstrdup("7d2f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e12");
	p->groups[0].guests[1].node = xstrdup("HV02");
	p->nunplanned = 1;
	p->unplanned = xcalloc(1, sizeof *p->unplanned);
	p->unplanned[0].name = xstrdup("VM0003");
	p->unplanned[0].id = xstrdup("8e3f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e13");
	p->unplanned[0].node = xstrdup("HV01");
	p->unplanned[0].reason = xstrdup("no CSV path");
	plan_compute_hash(p);
	return p;
}

static nodestate *
s_state(bool with_plan)
{
	nodestate *s = nodestate_new();

	s->revision = 7;
	free(s->policy_text);
	s->policy_text = xstrdup("apiVersion: hvpolicy/v1\nkind: ClusterPolicy\n");
	free(s->policy_hash);
	s->policy_hash = xstrdup("ab12");
	s->plan_generation = with_plan ? 12 : 0;
	if (with_plan) {
		s->plan = s_plan();
		free(s->plan_hash);
		s->plan_hash = xstrdup(s->plan->hash);
	}
	return s;
}

static nodestate *
s_load_ok(const char *dir)
{
	nodestate *s = NULL;
	char *err = NULL;
	int rc = nodestate_load(dir, &s, &err);

	if (rc != 0)
		fail_msg("nodestate_load: %d %s", rc, err ? err : "");
	assert_non_null(s);
	return s;
}

static void
s_save_ok(const char *dir, const nodestate *s)
{
	char *err = NULL;

	if (nodestate_save(dir, s, &err) != 0)
		fail_msg("nodestate_save: %s", err);
}

static void
test_round_trip_plan(void **state)
{
	const char *dir = *state;
	nodestate *s = s_state(true), *l;
	const plan *p;

	s_save_ok(dir, s);
	l = s_load_ok(dir);
	assert_int_equal(l->revision, 7);
	assert_string_equal(l->policy_text, s->policy_text);
	assert_string_equal(l->policy_hash, "ab12");
	assert_int_equal(l->plan_generation, 12);
	assert_string_equal(l->plan_hash, s->plan->hash);
	assert_non_null(l->plan);
	p = l->plan;
	assert_int_equal(p->generation, 12);
	assert_string_equal(p->hash, s->plan->hash);
	assert_int_equal(p->ngroups, 1);
	assert_string_equal(p->groups[0].name, "Volume1+Volume2");
	assert_int_equal(p->groups[0].ncsvs, 2);
	assert_string_equal(p->groups[0].csvs[1], "Volume2");
	assert_int_equal(p->groups[0].nguests, 2);
	assert_string_equal(p->groups[0].guests[1].node, "HV02");
	assert_int_equal(p->nunplanned, 1);
	assert_string_equal(p->unplanned[0].reason, "no CSV path");
	nodestate_free(&l);
	/* A new save replaces the old one. */
	s->revision = 8;
	plan_free(&s->plan);
	s_save_ok(dir, s);
	l = s_load_ok(dir);
	assert_int_equal(l->revision, 8);
	assert_null(l->plan);
	nodestate_free(&l);
	nodestate_free(&s);
	assert_null(s);
	nodestate_free(&s);
}

static void
test_round_trip_plain(void **state)
{
	const char *dir = *state;
	nodestate *s = s_state(false), *l, *d;

	s_save_ok(dir, s);
	l = s_load_ok(dir);
	assert_int_equal(l->revision, 7);
	assert_string_equal(l->policy_text, s->policy_text);
	assert_string_equal(l->plan_hash, "");
	assert_int_equal(l->plan_generation, 0);
	assert_null(l->plan);
	d = nodestate_dup(l);
	assert_int_equal(d->revision, 7);
	assert_string_equal(d->policy_text, s->policy_text);
	nodestate_free(&d);
	nodestate_free(&l);
	nodestate_free(&s);
}

static void
test_missing(void **state)
{
	const char *dir = *state;
	nodestate *s = (nodestate *)1;
	char *err = NULL;

	assert_int_equal(nodestate_load(dir, &s, &err), 1);
	assert_null(s);
	assert_null(err);
}

static void
s_expect_damaged(const char *dir, const char *why)
{
	nodestate *s = NULL;
	char *err = NULL, *path = platform_path_join(dir, NODESTATE_FILE);

	assert_int_equal(nodestate_load(dir, &s, &err), -1);
	assert_null(s);
	assert_non_null(err);
	/* Names the file and what is wrong with it. */
	assert_non_null(strstr(err, path));
	if (strstr(err, why) == NULL)
		fail_msg("expected '%s' in: %s", why, err);
	free(err);
	free(path);
}

static void
s_write(const char *dir, const void *data, size_t len)
{
	char *path = platform_path_join(dir, NODESTATE_FILE);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
test_corrupt(void **state)
{
	const char *dir = *state;
	nodestate *s = s_state(true);
	char *path = platform_path_join(dir, NODESTATE_FILE), *data, *err = NULL;
	size_t len;

	s_save_ok(dir, s);
	assert_int_equal(platform_read_file(path, PLATFORM_MAX_FILE, &data, &len,
	    &err), 0);
	/* One flipped byte in the payload. */
	data[len / 2] ^= 0x01;
	s_write(dir, data, len);
	s_expect_damaged(dir, "checksum mismatch");
	data[len / 2] ^= 0x01;
	/* Cut short. */
	s_write(dir, data, len - 3);
	s_expect_damaged(dir, "truncated");
	/* Something else entirely. */
	s_write(dir, "name: HV01\n", 11);
	s_expect_damaged(dir, "not a node state file");
	s_write(dir, "", 0);
	s_expect_damaged(dir, "not a node state file");
	/* The intact bytes load again. */
	s_write(dir, data, len);
	nodestate_free(&s);
	s = s_load_ok(dir);
	assert_int_equal(s->revision, 7);
	nodestate_free(&s);
	free(data);
	free(path);
}

static void
test_from_desired(void **state)
{
	Hvp__Desired m = HVP__DESIRED__INIT;
	nodestate *s = NULL;
	char *err = NULL, longhash[100];
	plan *p = s_plan();

	m.revision = 3;
	m.policy = "text";
	m.policy_hash = "h";
	m.plan_generation = 12;
	m.plan_hash = p->hash;
	m.plan = wire_plan_new(p);
	assert_int_equal(nodestate_from_desired(&m, true, &s, &err), 0);
	assert_int_equal(s->revision, 3);
	assert_string_equal(s->policy_text, "text");
	assert_non_null(s->plan);
	assert_string_equal(s->plan->groups[0].guests[0].name, "VM0001");
	nodestate_free(&s);
	/* Not a DPM server: the plan is not kept. */
	assert_int_equal(nodestate_from_desired(&m, false, &s, &err), 0);
	assert_null(s->plan);
	assert_int_equal(s->plan_generation, 12);
	nodestate_free(&s);
	/* Refused. */
	m.revision = -1;
	assert_int_equal(nodestate_from_desired(&m, true, &s, &err), -1);
	assert_null(s);
	assert_string_equal(err, "negative revision -1");
	free(err);
	m.revision = 3;
	memset(longhash, 'a', sizeof longhash - 1);
	longhash[sizeof longhash - 1] = '\0';
	m.policy_hash = longhash;
	assert_int_equal(nodestate_from_desired(&m, true, &s, &err), -1);
	assert_string_equal(err, "policy hash of 99 characters, at most 64 "
	    "expected");
	free(err);
	m.policy_hash = "h";
	m.plan_hash = longhash;
	assert_int_equal(nodestate_from_desired(&m, true, &s, &err), -1);
	assert_string_equal(err, "plan hash of 99 characters, at most 64 "
	    "expected");
	free(err);
	m.plan_hash = "";
	free(m.plan->hash);
	m.plan->hash = xstrdup(longhash);
	assert_int_equal(nodestate_from_desired(&m, true, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err, "plan hash"));
	free(err);
	wire_plan_free(&m.plan);
	plan_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_plan, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_plain, tmpdir_setup,
		    tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt,
		    tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_from_desired),
	};

	log_init("test_nodestate", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
