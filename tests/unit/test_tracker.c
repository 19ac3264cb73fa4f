/*
 * test_tracker.c: drift transitions across passes (node/tracker.c): a
 * drift is reported when it appears, and again only when it is corrected,
 * fails (differently), or goes away; the tracked set survives a restart
 * through its file, and a damaged file is refused with its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "drift.h"
#include "platform.h"
#include "tracker.h"
#include "xalloc.h"

#define KEY "HKLM\\SOFTWARE\\Contoso\\Backup"
#define GUEST "guest VM0001 (6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11)/VSS"

/* A pass under construction. */
typedef struct pass {
	drift_record r[8];
	size_t n;
	int64_t now;
} pass;

static void
s_add(pass *p, const char *resource, const char *expected,
    const char *actual, drift_status st, const char *error)
{
	drift_record *r = &p->r[p->n++];

	memset(r, 0, sizeof *r);
	r->id = drift_make_id("HV01", resource, p->now);
	r->cluster = xstrdup("HV-CLUSTER-01");
	r->node = xstrdup("HV01");
	r->role = ROLE_HYPERV_NODE;
	r->kind = strncmp(resource, "guest ", 6) == 0 ?
	    DRIFT_INTEGRATION_SERVICE : DRIFT_REGISTRY;
	r->resource = xstrdup(resource);
	r->expected = xstrdup(expected);
	r->actual = xstrdup(actual);
	r->policy_revision = 3;
	r->mode = st == DRIFT_OPEN ? POLICY_AUDIT : POLICY_ENFORCE;
	r->status = st;
	r->detected_at = p->now;
	r->resolved_at = st == DRIFT_CORRECTED ? p->now : 0;
	r->action = xstrdup(st == DRIFT_OPEN ? "would create key" :
	    st == DRIFT_CORRECTED ? "created key" : "create key");
	r->error = xstrdup(error);
}

static void
s_pass_clear(pass *p)
{
	for (size_t i = 0; i < p->n; i++)
		drift_record_clear(&p->r[i]);
	p->n = 0;
}

/* Runs a pass at time now; returns the transitions (owned). */
static drift_record *
s_update(tracker *t, pass *p, size_t *n)
{
	tracker_pass tp;
	drift_record *out = NULL;
	size_t added;

	memset(&tp, 0, sizeof tp);
	tp.records = p->r;
	tp.count = p->n;
	tp.revision = 4;
	tp.mode = POLICY_ENFORCE;
	tp.now = p->now;

	*n = 0;
	added = tracker_update(t, &tp, &out, n);
	assert_int_equal(added, *n);
	return out;
}

static void
s_free_out(drift_record **out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		drift_record_clear(&(*out)[i]);
	free(*out);
	*out = NULL;
}

static void
test_open_once(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 1000 };
	drift_record *out;
	size_t n;
	char *id;

	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_OPEN);
	assert_string_equal(out[0].resource, KEY);
	id = xstrdup(out[0].id);
	assert_string_equal(id, p.r[0].id);
	assert_int_equal(out[0].detected_at, 1000);
	assert_int_equal(tracker_count(t), 1);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* The next scans find it again: nothing to report, even when
	 * what is held changed in between. */
	for (int i = 0; i < 3; i++) {
		p.now = 1060 + i * 60;
		s_add(&p, KEY, "present", i == 2 ? "other" : NULL, DRIFT_OPEN,
		    NULL);
		out = s_update(t, &p, &n);
		assert_int_equal(n, 0);
		assert_null(out);
		s_pass_clear(&p);
	}
	assert_string_equal(tracker_find(t, KEY)->id, id);
	assert_string_equal(tracker_find(t, KEY)->actual, "other");

	/* Corrected later: reported under the same id. */
	p.now = 2000;
	s_add(&p, KEY, "present", NULL, DRIFT_CORRECTED, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_CORRECTED);
	assert_string_equal(out[0].id, id);
	assert_int_equal(out[0].detected_at, 1000);
	assert_int_equal(out[0].resolved_at, 2000);
	assert_int_equal(tracker_count(t), 0);
	assert_null(tracker_find(t, KEY));
	s_free_out(&out, n);
	s_pass_clear(&p);
	free(id);
	tracker_free(&t);
	assert_null(t);
}

static void
test_goes_away(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 1000 };
	drift_record *out;
	size_t n;
	char *id;

	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_OPEN, NULL);
	id = xstrdup(p.r[1].id);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 2);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* The guest went back by itself (or left the host). */
	p.now = 1060;
	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_RESOLVED);
	assert_string_equal(out[0].resource, GUEST);
	assert_string_equal(out[0].id, id);
	assert_int_equal(out[0].detected_at, 1000);
	assert_int_equal(out[0].resolved_at, 1060);
	assert_int_equal(out[0].policy_revision, 4);
	assert_int_equal(out[0].mode, POLICY_ENFORCE);
	assert_string_equal(out[0].action, "no longer differs");
	assert_string_equal(out[0].expected, "enabled");
	assert_string_equal(out[0].actual, "disabled");
	assert_null(out[0].error);
	assert_int_equal(tracker_count(t), 1);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* An empty pass resolves the rest. */
	p.now = 1120;
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].resource, KEY);
	assert_int_equal(out[0].status, DRIFT_RESOLVED);
	assert_int_equal(tracker_count(t), 0);
	s_free_out(&out, n);
	free(id);
	tracker_free(&t);
}

static void
test_corrected_at_once(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 500 };
	drift_record *out;
	size_t n;

	s_add(&p, KEY, "present", NULL, DRIFT_CORRECTED, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_CORRECTED);
	assert_string_equal(out[0].id, p.r[0].id);
	assert_int_equal(out[0].resolved_at, 500);
	assert_int_equal(tracker_count(t), 0);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* It drifts again later: a new drift with a new id. */
	p.now = 900;
	s_add(&p, KEY, "present", NULL, DRIFT_CORRECTED, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].detected_at, 900);
	assert_string_equal(out[0].id, p.r[0].id);
	s_free_out(&out, n);
	s_pass_clear(&p);
	tracker_free(&t);
}

static void
test_failures(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 100 };
	drift_record *out;
	size_t n;
	char *id;

	s_add(&p, KEY, "present", NULL, DRIFT_FAILED, "cannot write: EROFS");
	id = xstrdup(p.r[0].id);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_FAILED);
	assert_string_equal(out[0].error, "cannot write: EROFS");
	assert_int_equal(tracker_count(t), 1);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* The same failure at the next scans: reported once. */
	p.now = 160;
	s_add(&p, KEY, "present", NULL, DRIFT_FAILED, "cannot write: EROFS");
	out = s_update(t, &p, &n);
	assert_int_equal(n, 0);
	s_pass_clear(&p);

	/* Another reason: reported, same drift. */
	p.now = 220;
	s_add(&p, KEY, "present", NULL, DRIFT_FAILED, "cannot write: ENOSPC");
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, id);
	assert_int_equal(out[0].detected_at, 100);
	assert_string_equal(out[0].error, "cannot write: ENOSPC");
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* Then it works. */
	p.now = 280;
	s_add(&p, KEY, "present", NULL, DRIFT_CORRECTED, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_CORRECTED);
	assert_string_equal(out[0].id, id);
	assert_int_equal(out[0].detected_at, 100);
	assert_int_equal(out[0].resolved_at, 280);
	assert_null(out[0].error);
	assert_int_equal(tracker_count(t), 0);
	s_free_out(&out, n);
	s_pass_clear(&p);
	free(id);
	tracker_free(&t);
}

static void
test_open_then_failed(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 100 };
	drift_record *out;
	size_t n;
	char *id;

	/* Seen in audit mode, then enforce fails on it. */
	s_add(&p, GUEST, "disabled", "enabled", DRIFT_OPEN, NULL);
	id = xstrdup(p.r[0].id);
	out = s_update(t, &p, &n);
	s_free_out(&out, n);
	s_pass_clear(&p);
	p.now = 200;
	s_add(&p, GUEST, "disabled", "enabled", DRIFT_FAILED, "no such guest");
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_FAILED);
	assert_string_equal(out[0].id, id);
	s_free_out(&out, n);
	s_pass_clear(&p);
	free(id);
	tracker_free(&t);
}

static void
test_policy_changed(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 100 };
	drift_record *out;
	size_t n;
	char *id;

	s_add(&p, KEY "[Retries]", "REG_DWORD 3", "REG_DWORD 1", DRIFT_OPEN,
	    NULL);
	id = xstrdup(p.r[0].id);
	out = s_update(t, &p, &n);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* The policy now wants 5: the old drift is over, a new one opens. */
	p.now = 200;
	s_add(&p, KEY "[Retries]", "REG_DWORD 5", "REG_DWORD 1", DRIFT_OPEN,
	    NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].status, DRIFT_RESOLVED);
	assert_string_equal(out[0].id, id);
	assert_string_equal(out[0].expected, "REG_DWORD 3");
	assert_string_equal(out[0].action, "policy changed");
	assert_int_equal(out[0].resolved_at, 200);
	assert_int_equal(out[1].status, DRIFT_OPEN);
	assert_string_equal(out[1].expected, "REG_DWORD 5");
	assert_string_not_equal(out[1].id, id);
	assert_int_equal(out[1].detected_at, 200);
	assert_string_equal(tracker_find(t, KEY "[Retries]")->id, out[1].id);
	s_free_out(&out, n);
	s_pass_clear(&p);

	/* Now absent is wanted (expected NULL) and it is corrected at
	 * once: resolved for the old, corrected for the new. */
	p.now = 300;
	s_add(&p, KEY "[Retries]", NULL, "REG_DWORD 1", DRIFT_CORRECTED, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].status, DRIFT_RESOLVED);
	assert_int_equal(out[1].status, DRIFT_CORRECTED);
	assert_null(out[1].expected);
	assert_int_equal(tracker_count(t), 0);
	s_free_out(&out, n);
	s_pass_clear(&p);
	free(id);
	tracker_free(&t);
}

static void
test_duplicate_in_pass(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 100 };
	drift_record *out;
	size_t n;

	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	s_add(&p, KEY, "present", NULL, DRIFT_FAILED, "second");
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_OPEN);
	assert_int_equal(tracker_count(t), 1);
	s_free_out(&out, n);
	s_pass_clear(&p);
	tracker_free(&t);
}

static void
test_appends_to_out(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 100 };
	tracker_pass tp;
	drift_record *out = NULL;
	size_t n = 0;

	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_OPEN, NULL);
	memset(&tp, 0, sizeof tp);
	tp.records = p.r;
	tp.count = 1;
	tp.now = 100;
	assert_int_equal(tracker_update(t, &tp, &out, &n), 1);
	tp.records = p.r + 1;
	/* KEY is gone from this pass: resolved; GUEST appears. */
	assert_int_equal(tracker_update(t, &tp, &out, &n), 2);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].resource, KEY);
	assert_int_equal(out[0].status, DRIFT_OPEN);
	s_free_out(&out, n);
	s_pass_clear(&p);
	tracker_free(&t);
}

static char *
s_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/hvp-tracker-XXXXXX", base ? base : "/tmp");

	assert_non_null(mkdtemp(tmpl));
	return tmpl;
}

static void
s_write(const char *path, const char *text)
{
	char *err = NULL;

	assert_int_equal(platform_replace_file(path, text, strlen(text), false,
	    &err), 0);
}

static void
test_save_load(void **state)
{
	char *dir = s_tmpdir();
	char *path = platform_path_join(dir, "drift.tracker");
	char *err = NULL;
	tracker *t = tracker_new(), *u;
	pass p = { .now = 100 };
	drift_record *out;
	size_t n;
	const drift_record *a, *b;

	/* A missing file is an empty tracker. */
	u = tracker_load(path, &err);
	assert_non_null(u);
	assert_int_equal(tracker_count(u), 0);
	tracker_free(&u);

	s_add(&p, KEY "[Odd\tname\\with\nbreaks\r]", NULL, "REG_SZ \"a\tb\"",
	    DRIFT_OPEN, NULL);
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_FAILED,
	    "guest 6c1f: not on host HV01\\N");
	out = s_update(t, &p, &n);
	s_free_out(&out, n);
	assert_int_equal(tracker_save(t, path, &err), 0);
	u = tracker_load(path, &err);
	if (u == NULL)
		fprintf(stderr, "%s\n", err);
	assert_non_null(u);
	assert_int_equal(tracker_count(u), 2);
	for (size_t i = 0; i < p.n; i++) {
		a = tracker_find(t, p.r[i].resource);
		b = tracker_find(u, p.r[i].resource);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a->id, b->id);
		assert_string_equal(a->cluster, b->cluster);
		assert_string_equal(a->node, b->node);
		assert_int_equal(a->role, b->role);
		assert_int_equal(a->kind, b->kind);
		assert_string_equal(a->resource, b->resource);
		if (a->expected)
			assert_string_equal(a->expected, b->expected);
		else
			assert_null(b->expected);
		assert_string_equal(a->actual, b->actual);
		assert_int_equal(a->policy_revision, b->policy_revision);
		assert_int_equal(a->mode, b->mode);
		assert_int_equal(a->status, b->status);
		assert_int_equal(a->detected_at, b->detected_at);
		assert_int_equal(a->resolved_at, b->resolved_at);
		assert_string_equal(a->action, b->action);
		assert_int_equal(a->cause, b->cause);
		if (a->error)
			assert_string_equal(a->error, b->error);
		else
			assert_null(b->error);
	}

	/* A restarted daemon fed the same findings reports nothing. */
	s_pass_clear(&p);
	p.now = 160;
	s_add(&p, KEY "[Odd\tname\\with\nbreaks\r]", NULL, "REG_SZ \"a\tb\"",
	    DRIFT_OPEN, NULL);
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_FAILED,
	    "guest 6c1f: not on host HV01\\N");
	out = s_update(u, &p, &n);
	assert_int_equal(n, 0);
	s_pass_clear(&p);

	/* An empty tracker saves and loads as empty. */
	tracker_clear(u);
	assert_int_equal(tracker_save(u, path, &err), 0);
	tracker_free(&u);
	u = tracker_load(path, &err);
	assert_non_null(u);
	assert_int_equal(tracker_count(u), 0);
	tracker_free(&u);
	tracker_free(&t);
	assert_int_equal(platform_remove_file(path, &err), 0);
	rmdir(dir);
	free(path);
	free(dir);
}

static void
s_expect_damaged(const char *path, const char *text, const char *why)
{
	char *err = NULL;
	tracker *t;

	s_write(path, text);
	t = tracker_load(path, &err);
	assert_null(t);
	assert_non_null(err);
	{
		char *want = xasprintf("%s:%s", path, why);

		assert_string_equal(err, want);
		free(want);
	}
	free(err);
}

#define HDR "hvpolicy-node drift tracker 1\n"
#define HDR2 "hvpolicy-node drift tracker 2\n"
#define LINE_A "abc\tHV-CLUSTER-01\tHV01\thyperv-node\tregistry\tHKLM\\\\X" \
	"\tpresent\t\\N\t0\tenforce\topen\t100\t0\twould create key\t\\N\n"

static void
test_load_damaged(void **state)
{
	char *dir = s_tmpdir();
	char *path = platform_path_join(dir, "drift.tracker");
	char *err = NULL;
	tracker *t;

	/* The good line first, to show the format is what is checked. */
	s_write(path, HDR LINE_A);
	t = tracker_load(path, &err);
	assert_non_null(t);
	assert_int_equal(tracker_count(t), 1);
	assert_string_equal(tracker_find(t, "HKLM\\X")->expected, "present");
	assert_null(tracker_find(t, "HKLM\\X")->actual);
	tracker_free(&t);

	s_expect_damaged(path, "something else\n" LINE_A,
	    "1: not a drift tracker file (bad header)");
	s_expect_damaged(path, HDR LINE_A "a\tb\n",
	    "3: expected 15 tab-separated fields");
	s_expect_damaged(path, HDR "abc\tC\tN\tdpm\tregistry\tR\t\\N\t\\N\t0"
	    "\tenforce\topen\t1\t0\t\\N\t\\N\n", "2: unknown role");
	s_expect_damaged(path, HDR "abc\tC\tN\thyperv-node\tregistry\tR\t\\N"
	    "\t\\N\t0\tenforce\tresolved\t1\t0\t\\N\t\\N\n",
	    "2: status must be open or failed");
	s_expect_damaged(path, HDR "abc\tC\tN\thyperv-node\tregistry\tR\t\\N"
	    "\t\\N\tx1\tenforce\topen\t1\t0\t\\N\t\\N\n", "2: bad number");
	s_expect_damaged(path, HDR "abc\tC\tN\thyperv-node\tregistry\tR\\q"
	    "\t\\N\t\\N\t0\tenforce\topen\t1\t0\t\\N\t\\N\n",
	    "2: bad escape in a field");
	s_expect_damaged(path, HDR LINE_A LINE_A,
	    " the same resource is tracked twice");
	s_expect_damaged(path, HDR "abc\tC\tN\thyperv-node\tregistry\tR",
	    "2: last line is not terminated");
	/* Version 2 adds the cause. */
	s_expect_damaged(path, HDR2 LINE_A, "2: expected 16 tab-separated "
	    "fields");
	s_expect_damaged(path, HDR2 "abc\tC\tN\thyperv-node\tregistry\tR"
	    "\t\\N\t\\N\t0\tenforce\topen\t1\t0\t\\N\t\\N\tbecause\n",
	    "2: unknown cause");
	assert_int_equal(platform_remove_file(path, &err), 0);
	rmdir(dir);
	free(path);
	free(dir);
}

/* A daemon killed after journaling an open transition and before saving
 * the tracker: the restarted one adopts the journal's entries, so the
 * correction is reported under the journaled id, never as a new drift. */
static void
test_adopt_journaled(void **state)
{
	tracker *t = tracker_new(), *fresh = tracker_new();
	pass p = { .now = 1000 };
	drift_record *out;
	size_t n;
	char *id;

	(void)state;
	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	id = xstrdup(out[0].id);
	/* The restarted daemon's tracker was never saved: adopt. */
	tracker_adopt(fresh, &out[0]);
	tracker_adopt(fresh, &out[0]);	/* twice changes nothing */
	assert_int_equal(tracker_count(fresh), 1);
	s_free_out(&out, n);
	s_pass_clear(&p);
	p.now = 1010;
	s_add(&p, KEY, "present", NULL, DRIFT_CORRECTED, NULL);
	out = s_update(fresh, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_CORRECTED);
	assert_string_equal(out[0].id, id);
	/* A journaled end drops the drift of that id only. */
	tracker_adopt(t, &out[0]);
	assert_int_equal(tracker_count(t), 0);
	s_free_out(&out, n);
	s_pass_clear(&p);
	free(id);
	tracker_free(&t);
	tracker_free(&fresh);
}

/* Killed after correcting a host and before journaling the correction:
 * the first pass after the start finds the drift gone; it was corrected
 * (not "went back by itself"). Later passes resolve as before. */
static void
test_resume_reports_corrected(void **state)
{
	tracker *t = tracker_new();
	pass p = { .now = 1000 };
	drift_record *out;
	size_t n;

	(void)state;
	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	p.r[0].mode = POLICY_ENFORCE;	/* an enforce pass's findings */
	out = s_update(t, &p, &n);
	s_free_out(&out, n);
	s_pass_clear(&p);
	tracker_resume(t);
	p.now = 1010;
	out = s_update(t, &p, &n);	/* nothing found */
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_CORRECTED);
	assert_string_equal(out[0].action, "corrected before the daemon stopped");
	s_free_out(&out, n);
	/* Not resuming: gone means resolved. */
	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	p.r[0].mode = POLICY_ENFORCE;
	out = s_update(t, &p, &n);
	s_free_out(&out, n);
	s_pass_clear(&p);
	out = s_update(t, &p, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].status, DRIFT_RESOLVED);
	s_free_out(&out, n);
	tracker_free(&t);
}

/* A drift open across a restart keeps the cause it began with: the
 * tracker file holds it, so the transitions after the restart carry it,
 * not the cause of the pass that saw them. A version 1 file (no cause)
 * loads with the cause unknown, and the later transition says so rather
 * than guessing. */
static void
test_cause_across_restart(void **state)
{
	char *dir = s_tmpdir();
	char *path = platform_path_join(dir, "drift.tracker");
	char *err = NULL;
	tracker *t = tracker_new(), *u;
	pass p = { .now = 2000 };
	drift_record *out;
	size_t n;

	(void)state;
	s_add(&p, KEY, "present", NULL, DRIFT_OPEN, NULL);
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_OPEN, NULL);
	p.r[0].mode = p.r[1].mode = POLICY_ENFORCE;
	p.r[0].cause = p.r[1].cause = DRIFT_CAUSE_REVISION;
	out = s_update(t, &p, &n);
	s_free_out(&out, n);
	s_pass_clear(&p);
	assert_int_equal(tracker_save(t, path, &err), 0);
	tracker_free(&t);

	u = tracker_load(path, &err);
	assert_non_null(u);
	assert_int_equal(tracker_find(u, KEY)->cause, DRIFT_CAUSE_REVISION);
	tracker_resume(u);
	/* The first pass after the start (an out-of-band pass) finds the
	 * key gone and corrects the guest. */
	p.now = 2010;
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_CORRECTED, NULL);
	p.r[0].cause = DRIFT_CAUSE_OUT_OF_BAND;
	out = s_update(u, &p, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(out[i].status, DRIFT_CORRECTED);
		assert_int_equal(out[i].cause, DRIFT_CAUSE_REVISION);
	}
	s_free_out(&out, n);
	s_pass_clear(&p);
	tracker_free(&u);

	/* Version 1: fifteen fields, no cause. */
	s_write(path, "hvpolicy-node drift tracker 1\n"
	    "abc\tC\tHV01\thyperv-node\tintegration-service\t" GUEST
	    "\tenabled\t\\N\t3"
	    "\tenforce\topen\t100\t0\twould enable\t\\N\n");
	u = tracker_load(path, &err);
	assert_non_null(u);
	assert_int_equal(tracker_find(u, GUEST)->cause, DRIFT_CAUSE_UNKNOWN);
	p.now = 2020;
	s_add(&p, GUEST, "enabled", "disabled", DRIFT_CORRECTED, NULL);
	p.r[0].cause = DRIFT_CAUSE_OUT_OF_BAND;
	out = s_update(u, &p, &n);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].id, "abc");
	assert_int_equal(out[0].cause, DRIFT_CAUSE_UNKNOWN);
	s_free_out(&out, n);
	s_pass_clear(&p);
	tracker_free(&u);
	assert_int_equal(platform_remove_file(path, &err), 0);
	rmdir(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_once),
		cmocka_unit_test(test_goes_away),
		cmocka_unit_test(test_corrected_at_once),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_open_then_failed),
		cmocka_unit_test(test_policy_changed),
		cmocka_unit_test(test_duplicate_in_pass),
		cmocka_unit_test(test_appends_to_out),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_load_damaged),
		cmocka_unit_test(test_adopt_journaled),
		cmocka_unit_test(test_resume_reports_corrected),
		cmocka_unit_test(test_cause_across_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
