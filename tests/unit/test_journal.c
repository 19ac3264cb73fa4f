/*
 * test_journal.c: the node's drift journal (node/journal.c): append and
 * reopen, pending batches and their limits, trimming, sequence numbers
 * never reused (also after everything was trimmed), renumbering after a
 * lost state directory, and damage: a torn last record, a corrupt record
 * in the middle, a damaged meta file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "drift.h"
#include "journal.h"
#include "log.h"
#include "platform.h"
#include "xalloc.h"

typedef struct fixture {
	char *dir;	/* the journal directory (inside base) */
	char *base;
} fixture;

static void
s_remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char *child;

			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			child = xasprintf("%s/%s", path, e->d_name);
			s_remove_tree(child);
			free(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	fixture *f = xcalloc(1, sizeof *f);

	f->base = xasprintf("%s/hvp-journal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(f->base) == NULL)
		return -1;
	f->dir = xasprintf("%s/journal", f->base);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	s_remove_tree(f->base);
	free(f->base);
	free(f->dir);
	free(f);
	return 0;
}

/* A record whose fields all say i. */
static void
s_rec(drift_record *r, int i)
{
	memset(r, 0, sizeof *r);
	r->id = xasprintf("id-%d", i);
	r->cluster = xstrdup("HV-CLUSTER-01");
	r->node = xstrdup("HV01");
	r->role = ROLE_HYPERV_NODE;
	r->kind = DRIFT_REGISTRY;
	r->resource = xasprintf("HKLM\\SOFTWARE\\Test\\Key%d", i);
	r->expected = i % 2 ? xstrdup("present") : NULL;
	r->actual = xstrdup("absent");
	r->policy_revision = 3;
	r->mode = POLICY_ENFORCE;
	r->status = DRIFT_CORRECTED;
	r->detected_at = 1700000000 + i;
	r->resolved_at = 1700000000 + i;
	r->action = xasprintf("create key %d", i);
	r->error = NULL;
}

static journal *
s_open(const fixture *f)
{
	char *err = NULL;
	journal *j = journal_open(f->dir, &err);

	if (j == NULL)
		fail_msg("journal_open: %s", err);
	return j;
}

/* Appends records numbered from..from+n-1 in one append. */
static uint64_t
s_append(journal *j, int from, int n)
{
	drift_record *r = xcalloc((size_t)n, sizeof *r);
	char *err = NULL;
	uint64_t first = 0;

	for (int i = 0; i < n; i++)
		s_rec(&r[i], from + i);
	if (journal_append(j, r, (size_t)n, &first, &err) == -1)
		fail_msg("journal_append: %s", err);
	for (int i = 0; i < n; i++)
		drift_record_clear(&r[i]);
	free(r);
	return first;
}

/* Checks that the pending entries are exactly seqs[] with record ids. */
static void
s_expect(journal *j, const uint64_t *seqs, const int *ids, size_t n)
{
	const journal_entry *e = NULL;
	size_t k = journal_pending(j, 0, 0, SIZE_MAX, &e);

	assert_int_equal(journal_count(j), n);
	assert_int_equal(k, n);
	for (size_t i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof id, "id-%d", ids[i]);
		assert_int_equal(e[i].seq, seqs[i]);
		assert_string_equal(e[i].rec.id, id);
	}
}

static size_t
s_count_segments(const fixture *f)
{
	char **names = NULL, *err = NULL;
	size_t n = 0;

	if (platform_list_dir(f->dir, ".jnl", &names, &n, &err) == -1)
		fail_msg("%s", err);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return n;
}

static char *
s_segment(const fixture *f, uint64_t first, uint64_t last)
{
	return xasprintf("%s/drift-%020llu-%020llu.jnl", f->dir,
	    (unsigned long long)first, (unsigned long long)last);
}

static void
s_read(const char *path, char **data, size_t *len)
{
	char *err = NULL;

	if (platform_read_file(path, PLATFORM_MAX_FILE, data, len, &err) == -1)
		fail_msg("%s", err);
}

static void
s_write(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
test_append_and_pending(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	const journal_entry *e;
	drift_record want;

	assert_int_equal(journal_next_seq(j), 1);
	assert_int_equal(journal_count(j), 0);
	assert_int_equal(journal_pending(j, 0, 0, SIZE_MAX, &e), 0);
	assert_null(e);
	assert_int_equal(s_append(j, 1, 3), 1);
	assert_int_equal(s_append(j, 4, 1), 4);
	assert_int_equal(journal_next_seq(j), 5);
	s_expect(j, (uint64_t[]){ 1, 2, 3, 4 }, (int[]){ 1, 2, 3, 4 }, 4);
	/* Every field survives. */
	assert_int_equal(journal_pending(j, 1, 1, SIZE_MAX, &e), 1);
	s_rec(&want, 2);
	assert_int_equal(e->seq, 2);
	assert_string_equal(e->rec.resource, want.resource);
	assert_null(e->rec.expected);
	assert_string_equal(e->rec.actual, want.actual);
	assert_string_equal(e->rec.action, want.action);
	assert_int_equal(e->rec.detected_at, want.detected_at);
	assert_int_equal(e->rec.status, DRIFT_CORRECTED);
	assert_true(e->wire_size > 0);
	drift_record_clear(&want);
	/* After the last: nothing. */
	assert_int_equal(journal_pending(j, 4, 0, SIZE_MAX, &e), 0);
	journal_free(&j);
	assert_null(j);
	journal_free(&j);
}

static void
test_reopen(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);

	s_append(j, 1, 2);
	s_append(j, 3, 2);
	journal_free(&j);
	j = s_open(f);
	assert_int_equal(journal_next_seq(j), 5);
	assert_int_equal(journal_damaged(j), 0);
	s_expect(j, (uint64_t[]){ 1, 2, 3, 4 }, (int[]){ 1, 2, 3, 4 }, 4);
	assert_int_equal(s_append(j, 5, 1), 5);
	journal_free(&j);
}

static void
test_trim(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	char *err = NULL;

	s_append(j, 1, 2);
	s_append(j, 3, 2);
	assert_int_equal(s_count_segments(f), 2);
	assert_int_equal(journal_trim(j, 3, &err), 0);
	assert_int_equal(journal_acked(j), 3);
	s_expect(j, (uint64_t[]){ 4 }, (int[]){ 4 }, 1);
	/* The first segment is gone; the second still holds seq 4. */
	assert_int_equal(s_count_segments(f), 1);
	/* Trimming backwards does nothing. */
	assert_int_equal(journal_trim(j, 1, &err), 0);
	assert_int_equal(journal_acked(j), 3);
	journal_free(&j);
	j = s_open(f);
	assert_int_equal(journal_acked(j), 3);
	s_expect(j, (uint64_t[]){ 4 }, (int[]){ 4 }, 1);
	/* Beyond the last issued number: clamped. */
	assert_int_equal(journal_trim(j, 100, &err), 0);
	assert_int_equal(journal_acked(j), 4);
	assert_int_equal(journal_count(j), 0);
	assert_int_equal(journal_next_seq(j), 5);
	journal_free(&j);
}

static void
test_seq_never_reused(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	char *err = NULL;

	s_append(j, 1, 3);
	assert_int_equal(journal_trim(j, 3, &err), 0);
	assert_int_equal(journal_count(j), 0);
	assert_int_equal(s_count_segments(f), 0);
	journal_free(&j);
	j = s_open(f);
	assert_int_equal(journal_count(j), 0);
	assert_int_equal(journal_next_seq(j), 4);
	assert_int_equal(s_append(j, 9, 1), 4);
	journal_free(&j);
	j = s_open(f);
	s_expect(j, (uint64_t[]){ 4 }, (int[]){ 9 }, 1);
	journal_free(&j);
}

static void
test_torn_tail(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	char *path, *data;
	size_t len;

	s_append(j, 1, 2);
	s_append(j, 3, 1);
	journal_free(&j);
	/* The last record loses its end, as a crash mid-write would leave
	 * it without the atomic replace. */
	path = s_segment(f, 3, 3);
	s_read(path, &data, &len);
	s_write(path, data, len - 5);
	j = s_open(f);
	assert_int_equal(journal_damaged(j), 1);
	s_expect(j, (uint64_t[]){ 1, 2 }, (int[]){ 1, 2 }, 2);
	/* Seq 3 may have been sent before the crash: it is not issued again. */
	assert_int_equal(journal_next_seq(j), 4);
	assert_int_equal(s_append(j, 7, 1), 4);
	journal_free(&j);
	/* A record cut inside its header. */
	s_write(path, data, 7);
	j = s_open(f);
	assert_int_equal(journal_damaged(j), 1);
	s_expect(j, (uint64_t[]){ 1, 2, 4 }, (int[]){ 1, 2, 7 }, 3);
	journal_free(&j);
	free(data);
	free(path);
}

/* First occurrence of a 4-byte marker. */
static char *
s_find(char *data, size_t len, const char *marker)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(data + i, marker, 4) == 0)
			return data + i;
	return NULL;
}

static void
test_corrupt_middle(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	char *path, *data, *second;
	size_t len;

	s_append(j, 1, 3);
	journal_free(&j);
	path = s_segment(f, 1, 3);
	s_read(path, &data, &len);
	/* Flip a payload byte of the second record. */
	second = s_find(data + 4, len - 4, "HVJR");
	assert_non_null(second);
	second[20] ^= 0x55;
	s_write(path, data, len);
	j = s_open(f);
	assert_int_equal(journal_damaged(j), 1);
	s_expect(j, (uint64_t[]){ 1, 3 }, (int[]){ 1, 3 }, 2);
	assert_int_equal(journal_next_seq(j), 4);
	journal_free(&j);
	/* Garbage in the length field of the first record: the scan finds
	 * the next valid record. */
	second[20] ^= 0x55;
	data[5] = (char)0xff;
	data[6] = (char)0xff;
	s_write(path, data, len);
	j = s_open(f);
	assert_int_equal(journal_damaged(j), 1);
	s_expect(j, (uint64_t[]){ 2, 3 }, (int[]){ 2, 3 }, 2);
	journal_free(&j);
	/* A whole segment of garbage: nothing kept from it, no crash, its
	 * name still keeps the numbers it used. */
	memset(data, 'x', len);
	s_write(path, data, len);
	j = s_open(f);
	assert_int_equal(journal_count(j), 0);
	assert_int_equal(journal_damaged(j), 1);
	assert_int_equal(journal_next_seq(j), 4);
	journal_free(&j);
	free(data);
	free(path);
}

static void
test_damaged_meta(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	char *err = NULL, *meta;

	s_append(j, 1, 4);
	assert_int_equal(journal_trim(j, 2, &err), 0);
	journal_free(&j);
	meta = xasprintf("%s/journal.meta", f->dir);
	s_write(meta, "garbage\n", 8);
	j = s_open(f);
	/* acked is lost, so 1 and 2 come back (the controller ignores them);
	 * nothing is renumbered and nothing reused. */
	s_expect(j, (uint64_t[]){ 1, 2, 3, 4 }, (int[]){ 1, 2, 3, 4 }, 4);
	assert_int_equal(journal_next_seq(j), 5);
	journal_free(&j);
	free(meta);
}

static void
test_batch_limits(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	const journal_entry *e;
	size_t one;

	s_append(j, 1, 300);
	assert_int_equal(journal_pending(j, 0, 0, SIZE_MAX, &e), JOURNAL_BATCH_MAX);
	assert_int_equal(e->seq, 1);
	assert_int_equal(journal_pending(j, 0, 1000, SIZE_MAX, &e),
	    JOURNAL_BATCH_MAX);
	assert_int_equal(journal_pending(j, 256, 0, SIZE_MAX, &e), 44);
	assert_int_equal(e->seq, 257);
	assert_int_equal(journal_pending(j, 10, 5, SIZE_MAX, &e), 5);
	assert_int_equal(e[4].seq, 15);
	/* The byte limit: always at least one, then as many as fit. */
	assert_int_equal(journal_pending(j, 0, 0, 1, &e), 1);
	one = e[0].wire_size + 64;
	assert_true(journal_pending(j, 0, 0, 3 * one, &e) >= 3);
	assert_true(journal_pending(j, 0, 0, 3 * one, &e) < JOURNAL_BATCH_MAX);
	journal_free(&j);
}

static void
test_many_segments_merge(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	uint64_t seqs[100];
	int ids[100];
	char *err = NULL;

	for (int i = 0; i < 100; i++) {
		assert_int_equal(s_append(j, i + 1, 1), (uint64_t)i + 1);
		seqs[i] = (uint64_t)i + 1;
		ids[i] = i + 1;
	}
	assert_true(s_count_segments(f) <= JOURNAL_MAX_SEGMENTS);
	s_expect(j, seqs, ids, 100);
	journal_free(&j);
	j = s_open(f);
	assert_int_equal(journal_damaged(j), 0);
	s_expect(j, seqs, ids, 100);
	assert_int_equal(journal_trim(j, 50, &err), 0);
	journal_free(&j);
	j = s_open(f);
	s_expect(j, seqs + 50, ids + 50, 50);
	assert_int_equal(journal_next_seq(j), 101);
	journal_free(&j);
}

static void
test_rebase(void **state)
{
	fixture *f = *state;
	journal *j = s_open(f);
	char *err = NULL;

	s_append(j, 1, 2);
	/* Below the next number: nothing to do. */
	assert_int_equal(journal_rebase(j, 2, &err), 0);
	s_expect(j, (uint64_t[]){ 1, 2 }, (int[]){ 1, 2 }, 2);
	/* The controller stored up to 10 from an earlier life of this node. */
	assert_int_equal(journal_rebase(j, 10, &err), 0);
	assert_int_equal(journal_acked(j), 10);
	assert_int_equal(journal_next_seq(j), 13);
	s_expect(j, (uint64_t[]){ 11, 12 }, (int[]){ 1, 2 }, 2);
	journal_free(&j);
	j = s_open(f);
	s_expect(j, (uint64_t[]){ 11, 12 }, (int[]){ 1, 2 }, 2);
	assert_int_equal(s_append(j, 3, 1), 13);
	assert_int_equal(s_count_segments(f), 2);
	journal_free(&j);
	/* Empty journal: only the numbers move. */
	j = s_open(f);
	assert_int_equal(journal_trim(j, 13, &err), 0);
	assert_int_equal(journal_rebase(j, 40, &err), 0);
	assert_int_equal(journal_next_seq(j), 41);
	journal_free(&j);
	j = s_open(f);
	assert_int_equal(journal_next_seq(j), 41);
	assert_int_equal(journal_count(j), 0);
	journal_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_and_pending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_middle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_damaged_meta, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many_segments_merge, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rebase, setup, teardown),
	};

	log_init("test_journal", false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
