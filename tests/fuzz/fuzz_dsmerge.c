/*
 * fuzz_dsmerge.c: merging plans into an existing DataSourceGroups.xml
 * (common/dsmerge.c) on arbitrary bytes as the file held. A file the
 * parser refuses is refused by the merge too (never written over).
 * Otherwise the merged file parses; every entry nobody's plan or record
 * claims is still in it, in the same order and with the same values;
 * each part holds exactly its plan afterwards; and merging again gives
 * the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsgroups.h"
#include "dsmerge.h"
#include "plan.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two clusters' plans whose guests the corpus files also name. */
static plan *
s_plan(const char *group, const char *name, const char *id)
{
	plan *p = plan_new();

	p->groups = xcalloc(1, sizeof *p->groups);
	p->ngroups = 1;
	p->groups[0].name = xstrdup(group);
	p->groups[0].guests = xcalloc(1, sizeof *p->groups[0].guests);
	p->groups[0].nguests = 1;
	p->groups[0].guests[0].name = xstrdup(name);
	p->groups[0].guests[0].id = xstrdup(id);
	p->groups[0].guests[0].node = xstrdup("HV01");
	plan_compute_hash(p);
	return p;
}

static bool
s_same(const dsgroups_entry *a, const dsgroups_entry *b)
{
	return strcmp(a->group, b->group) == 0 &&
	    strcmp(a->name, b->name) == 0 && strcmp(a->id, b->id) == 0 &&
	    strcmp(a->writer, b->writer) == 0;
}

/* The entries of `in` nobody owns appear in `out`, in order. */
static void
s_check_kept(const dsmerge_spec *s, const dsgroups_entries *in,
    const dsgroups_entries *out)
{
	size_t k = 0;
	dsmerge_state st;
	char *err = NULL;

	for (size_t i = 0; i < in->n; i++) {
		dsgroups_entries one = { .v = &in->v[i], .n = 1 };
		char *xml = NULL;
		size_t len = 0;

		/* Is this entry foreign? Inspect a file of it alone. */
		if (dsgroups_render_entries(&one, &xml, &len) != 0)
			continue;	/* cannot be rendered: checked below */
		if (dsmerge_inspect(s, xml, len, &st, &err) != 0)
			abort();
		free(xml);
		if (st.foreign == 1) {
			while (k < out->n && !s_same(&out->v[k], &in->v[i]))
				k++;
			if (k == out->n)
				abort();
			k++;
		}
		dsmerge_state_clear(&st);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plan *a = s_plan("CSV-Volume1", "VM0001",
	    "1a000000-0000-0000-0000-000000000001");
	plan *b = s_plan("CSV-Volume1", "VM0002",
	    "2b000000-0000-0000-0000-000000000002");
	dsmerge_part parts[2] = { { "HV-A", a, false }, { "HV-B", b, false } };
	dsmerge_record rec = { 0 };
	dsmerge_spec spec = { parts, 2, &rec };
	dsmerge_result res, res2;
	dsmerge_state st;
	dsgroups_entries in = { 0 }, out = { 0 };
	char *merged = NULL, *again = NULL, *err = NULL, *perr = NULL;
	size_t mlen = 0, alen = 0;
	char want[65];
	int prc;

	dsmerge_record_add(&rec, "3c000000-0000-0000-0000-000000000003",
	    "HV-A");
	prc = size > 0 ? dsgroups_parse(data, size, &in, &perr) : 0;
	free(perr);
	if (dsmerge_apply(&spec, data, size, &merged, &mlen, &res, &err) != 0) {
		if (prc == 0 || merged != NULL || err == NULL)
			abort();
		free(err);
		goto done;
	}
	if (prc != 0 || dsgroups_parse(merged, mlen, &out, &err) != 0)
		abort();
	s_check_kept(&spec, &in, &out);
	if (dsmerge_inspect(&spec, merged, mlen, &st, &err) != 0 ||
	    st.stale != 0)
		abort();
	for (size_t i = 0; i < 2; i++) {
		dsmerge_part_hash(&parts[i], want);
		if (strcmp(want, st.held[i]) != 0)
			abort();
	}
	if (dsmerge_needed(&spec, &st))
		abort();
	dsmerge_state_clear(&st);
	spec.written = &res.record;
	if (dsmerge_apply(&spec, merged, mlen, &again, &alen, &res2,
	    &err) != 0 || alen != mlen || memcmp(again, merged, mlen) != 0)
		abort();
	dsmerge_result_clear(&res2);
	dsmerge_result_clear(&res);
done:
	free(merged);
	free(again);
	dsgroups_entries_clear(&in);
	dsgroups_entries_clear(&out);
	dsmerge_record_clear(&rec);
	plan_free(&a);
	plan_free(&b);
	return 0;
}
