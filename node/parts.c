/*
 * parts.c: the findings of a DPM server of several clusters (parts.h).
 */
#include "parts.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

static bool
s_manages(const engine_part *p)
{
	return p->policy && p->plan &&
	    p->policy->strategy == STRATEGY_SYSTEM_SOFTWARE &&
	    p->policy->per_csv;
}

void
parts_file(const engine_part *parts, size_t n, dsmerge_part *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (dsmerge_part){ .cluster = parts[i].cluster,
		    .plan = s_manages(&parts[i]) ? parts[i].plan : NULL,
		    .keep = parts[i].policy &&
		    parts[i].policy->mode == POLICY_AUDIT };
}

bool
parts_manage_file(const engine_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s_manages(&parts[i]))
			return true;
	return false;
}

policy_mode
parts_mode(const engine_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (parts[i].policy && parts[i].policy->mode == POLICY_ENFORCE)
			return POLICY_ENFORCE;
	return POLICY_AUDIT;
}

int
parts_interval(const engine_part *parts, size_t n)
{
	int best = 0;

	for (size_t i = 0; i < n; i++)
		if (parts[i].policy && (best == 0 ||
		    parts[i].policy->interval_seconds < best))
			best = parts[i].policy->interval_seconds;
	return best;
}

static bool
s_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static reconcile_finding *
s_find(reconcile_list *l, size_t from, const char *resource)
{
	for (size_t i = from; i < l->count; i++)
		if (strcmp(l->items[i].resource, resource) == 0)
			return &l->items[i];
	return NULL;
}

/* Moves f (taking its strings) to the end of l. */
static reconcile_finding *
s_take(reconcile_list *l, reconcile_finding *f)
{
	xgrow(&l->items, &l->cap, l->count + 1, sizeof *l->items);
	l->items[l->count] = *f;
	memset(f, 0, sizeof *f);
	return &l->items[l->count++];
}

/* One part's finding f into out (from `first` on: this pass's). */
static void
s_merge(reconcile_list *out, size_t first, reconcile_finding *f,
    const engine_part *p)
{
	reconcile_finding *had = s_find(out, first, f->resource);
	bool audit = p->policy->mode == POLICY_AUDIT;
	char *cl;

	if (had == NULL) {
		had = s_take(out, f);
		had->clusters = xstrdup(p->cluster);
		had->audit = audit;
		had->revision = p->revision;
		return;
	}
	had->revision = 0;
	cl = xasprintf("%s,%s", had->clusters, p->cluster);
	free(had->clusters);
	had->clusters = cl;
	had->audit = had->audit && audit;
	if (had->conflict == NULL && !s_same(had->expected, f->expected))
		had->conflict = xasprintf("the policies of clusters %s ask "
		    "different values (%s, %s): nothing is changed until they "
		    "agree", had->clusters, had->expected ? had->expected :
		    "absent", f->expected ? f->expected : "absent");
}

/* "HV-A <hash>; HV-B <hash>": a per-cluster view of the file. */
static char *
s_hashes(const dsmerge_spec *spec, const dsmerge_state *st, bool want)
{
	strbuf sb;
	char h[DSGROUPS_HASH_HEX + 1];

	strbuf_init(&sb);
	for (size_t i = 0; i < spec->nparts; i++) {
		const char *v;

		if (want) {
			dsmerge_part_hash(&spec->parts[i], h);
			v = h;
		} else {
			v = st ? st->held[i] : "absent";
		}
		if (*v == '\0')
			continue;	/* no plan: nothing expected */
		strbuf_addf(&sb, "%s%s %s", sb.len ? "; " : "",
		    spec->parts[i].cluster, v);
	}
	return strbuf_detach(&sb, NULL);
}

static void
s_file(const dsmerge_spec *spec, const dsmerge_state *st,
    const char *problem, const engine_part *parts, size_t n,
    reconcile_list *out)
{
	reconcile_finding *f;
	strbuf cl;
	bool audit = true;

	if (st && !dsmerge_needed(spec, st))
		return;
	strbuf_init(&cl);
	for (size_t i = 0; i < n; i++) {
		if (!s_manages(&parts[i]))
			continue;
		strbuf_addf(&cl, "%s%s", cl.len ? "," : "", parts[i].cluster);
		audit = audit && spec->parts[i].keep;
	}
	xgrow(&out->items, &out->cap, out->count + 1, sizeof *out->items);
	f = &out->items[out->count++];
	memset(f, 0, sizeof *f);
	f->kind = DRIFT_SERIALIZATION_FILE;
	f->op = RECONCILE_WRITE_DSGROUPS;
	f->resource = xstrdup(RECONCILE_FILE_RESOURCE);
	f->expected = s_hashes(spec, st, true);
	f->actual = problem ? xstrdup(problem) : s_hashes(spec, st, false);
	f->keeps = st ? st->foreign : 0;
	f->clusters = strbuf_detach(&cl, NULL);
	f->audit = audit;
	for (size_t i = 0; i < n; i++)
		if (s_manages(&parts[i]))
			f->revision = f->revision ? 0 : parts[i].revision;
}

void
parts_compute(const engine_part *parts, size_t n, host_role role,
    const host_state *observed, const dsmerge_spec *spec,
    const dsmerge_state *st, const char *problem, reconcile_list *out)
{
	size_t first = out->count;

	for (size_t i = 0; i < n; i++) {
		reconcile_input in = { .policy = parts[i].policy, .role = role,
		    .observed = observed };
		reconcile_list one = { 0 };

		if (parts[i].policy == NULL)
			continue;
		reconcile_compute(&in, &one);
		for (size_t k = 0; k < one.count; k++)
			s_merge(out, first, &one.items[k], &parts[i]);
		reconcile_list_release(&one);
	}
	if (parts_manage_file(parts, n))
		s_file(spec, st, problem, parts, n, out);
}
