/*
 * fuzz_dsgroups.c: DataSourceGroups.xml parser (common/dsgroups.c) on
 * arbitrary bytes. Whatever it accepts must render again and parse back
 * to the same entries (the same hash), with the Hyper-V writer the
 * renderer always writes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsgroups.h"
#include "plan.h"
#include "textenc.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_values(const dsgroups_entries *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const char *f[] = { e->v[i].group, e->v[i].name, e->v[i].id,
		    e->v[i].writer };

		for (size_t k = 0; k < 4; k++)
			if (f[k] == NULL || f[k][0] == '\0' ||
			    !textenc_utf8_valid(f[k], strlen(f[k]), NULL))
				abort();
	}
}

/* One group per entry: rendering flattens them again anyway. */
static plan *
s_plan_of(const dsgroups_entries *e)
{
	plan *p = plan_new();

	p->groups = xcalloc(e->n ? e->n : 1, sizeof *p->groups);
	p->ngroups = e->n;
	for (size_t i = 0; i < e->n; i++) {
		plan_group *g = &p->groups[i];

		g->name = xstrdup(e->v[i].group);
		g->guests = xcalloc(1, sizeof *g->guests);
		g->nguests = 1;
		g->guests[0].name = xstrdup(e->v[i].name);
		g->guests[0].id = xstrdup(e->v[i].id);
		g->guests[0].node = xstrdup("node");
	}
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dsgroups_entries e = { 0 }, back = { 0 }, canon = { 0 };
	char *err = NULL, *out = NULL, h1[65], h2[65], h3[65];
	size_t len = 0;
	plan *p;

	if (dsgroups_parse(data, size, &e, &err) != 0) {
		if (err == NULL || e.n != 0 || e.v != NULL)
			abort();
		free(err);
		return 0;
	}
	if (err != NULL)
		abort();
	s_check_values(&e);
	p = s_plan_of(&e);
	if (dsgroups_render(p, &out, &len) != 0)
		abort();
	if (dsgroups_parse(out, len, &back, &err) != 0 || back.n != e.n)
		abort();
	/* The parsed entries with the writer the renderer writes. */
	dsgroups_from_plan(p, &canon);
	dsgroups_hash(&canon, h1);
	dsgroups_hash(&back, h2);
	dsgroups_plan_hash(p, h3);
	if (strcmp(h1, h2) != 0 || strcmp(h1, h3) != 0)
		abort();
	for (size_t i = 0; i < back.n; i++)
		if (strcmp(back.v[i].group, canon.v[i].group) != 0 ||
		    strcmp(back.v[i].name, canon.v[i].name) != 0 ||
		    strcmp(back.v[i].id, canon.v[i].id) != 0 ||
		    strcmp(back.v[i].writer, canon.v[i].writer) != 0)
			abort();
	free(out);
	plan_free(&p);
	dsgroups_entries_clear(&canon);
	dsgroups_entries_clear(&back);
	dsgroups_entries_clear(&e);
	return 0;
}
