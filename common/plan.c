/*
 * plan.c: the serialization plan's memory, canonical order, content hash
 * and its JSON and text renderings (plan.h). The controller's planner
 * fills plans, the wire and the store carry them, the CLI prints them,
 * dsgroups.c turns them into DataSourceGroups.xml.
 *
 * The hash is BLAKE2b-256 over a tagged, length-prefixed serialization of
 * the content (never the generation), so two different plans cannot feed
 * the hash the same bytes; docs/serialization-file.md writes it down.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "strsort.h"
#include "table.h"
#include "textenc.h"
#include "xalloc.h"

#define PLAN_HASH_TAG	"hvpolicy-plan-v1"

plan *
plan_new(void)
{
	plan *p = xcalloc(1, sizeof *p);

	plan_compute_hash(p);
	return p;
}

static void
s_guest_clear(plan_guest *g)
{
	free(g->name);
	free(g->id);
	free(g->node);
}

static void
s_group_clear(plan_group *g, bool guest_text)
{
	free(g->name);
	for (size_t i = 0; i < g->ncsvs; i++)
		free(g->csvs[i]);
	free(g->csvs);
	for (size_t i = 0; !guest_text && i < g->nguests; i++)
		s_guest_clear(&g->guests[i]);
	free(g->guests);
}

static void
s_unplanned_clear(plan_unplanned *u)
{
	free(u->name);
	free(u->id);
	free(u->node);
	free(u->reason);
}

void
plan_free(plan **pp)
{
	plan *p;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	for (size_t i = 0; i < p->ngroups; i++)
		s_group_clear(&p->groups[i], p->guest_text != NULL);
	free(p->groups);
	free(p->guest_text);
	if (p->kept)
		p->kept_free(p->kept);
	for (size_t i = 0; i < p->nunplanned; i++)
		s_unplanned_clear(&p->unplanned[i]);
	free(p->unplanned);
	free(p);
	*pp = NULL;
}

static void
s_group_copy(plan_group *dst, const plan_group *src)
{
	dst->name = xstrdup(src->name);
	dst->ncsvs = src->ncsvs;
	dst->csvs = src->ncsvs ? xcalloc(src->ncsvs, sizeof *dst->csvs) : NULL;
	for (size_t i = 0; i < src->ncsvs; i++)
		dst->csvs[i] = xstrdup(src->csvs[i]);
	dst->nguests = src->nguests;
	dst->guests = src->nguests ?
	    xcalloc(src->nguests, sizeof *dst->guests) : NULL;
	for (size_t i = 0; i < src->nguests; i++) {
		dst->guests[i].name = xstrdup(src->guests[i].name);
		dst->guests[i].id = xstrdup(src->guests[i].id);
		dst->guests[i].node = xstrdup(src->guests[i].node);
	}
}

plan *
plan_dup(const plan *p)
{
	plan *d;

	if (p == NULL)
		return NULL;
	d = xcalloc(1, sizeof *d);
	d->generation = p->generation;
	memcpy(d->hash, p->hash, sizeof d->hash);
	d->ngroups = p->ngroups;
	d->groups = p->ngroups ? xcalloc(p->ngroups, sizeof *d->groups) : NULL;
	for (size_t i = 0; i < p->ngroups; i++)
		s_group_copy(&d->groups[i], &p->groups[i]);
	d->nunplanned = p->nunplanned;
	d->unplanned = p->nunplanned ?
	    xcalloc(p->nunplanned, sizeof *d->unplanned) : NULL;
	for (size_t i = 0; i < p->nunplanned; i++) {
		const plan_unplanned *s = &p->unplanned[i];

		d->unplanned[i].name = xstrdup(s->name);
		d->unplanned[i].id = xstrdup(s->id);
		d->unplanned[i].node = xstrdup(s->node);
		d->unplanned[i].reason = xstrdup(s->reason);
	}
	return d;
}

/* ---- canonical order ---------------------------------------------- */

static int
s_cmp_guest(const void *va, const void *vb)
{
	const plan_guest *a = va, *b = vb;
	int c;

	if ((c = strsort_compare(a->name, b->name)) != 0 ||
	    (c = strsort_compare(a->id, b->id)) != 0)
		return c;
	return strsort_compare(a->node, b->node);
}

static int
s_cmp_group(const void *va, const void *vb)
{
	const plan_group *a = va, *b = vb;
	int c;

	if ((c = strsort_compare(a->name, b->name)) != 0)
		return c;
	for (size_t i = 0; i < a->ncsvs && i < b->ncsvs; i++)
		if ((c = strsort_compare(a->csvs[i], b->csvs[i])) != 0)
			return c;
	if (a->ncsvs != b->ncsvs)
		return a->ncsvs < b->ncsvs ? -1 : 1;
	for (size_t i = 0; i < a->nguests && i < b->nguests; i++)
		if ((c = s_cmp_guest(&a->guests[i], &b->guests[i])) != 0)
			return c;
	if (a->nguests != b->nguests)
		return a->nguests < b->nguests ? -1 : 1;
	return 0;
}

static int
s_cmp_unplanned(const void *va, const void *vb)
{
	const plan_unplanned *a = va, *b = vb;
	int c;

	if ((c = strsort_compare(a->name, b->name)) != 0 ||
	    (c = strsort_compare(a->id, b->id)) != 0 ||
	    (c = strsort_compare(a->node, b->node)) != 0)
		return c;
	return strsort_compare(a->reason, b->reason);
}

void
plan_sort(plan *p)
{
	for (size_t i = 0; i < p->ngroups; i++) {
		plan_group *g = &p->groups[i];

		if (g->ncsvs > 1)
			qsort(g->csvs, g->ncsvs, sizeof *g->csvs, strsort_cmp);
		if (g->nguests > 1)
			qsort(g->guests, g->nguests, sizeof *g->guests,
			    s_cmp_guest);
	}
	if (p->ngroups > 1)
		qsort(p->groups, p->ngroups, sizeof *p->groups, s_cmp_group);
	if (p->nunplanned > 1)
		qsort(p->unplanned, p->nunplanned, sizeof *p->unplanned,
		    s_cmp_unplanned);
}

/* ---- content hash ------------------------------------------------- */

static void
s_hash_count(crypto_generichash_state *st, size_t n)
{
	unsigned char b[8];
	uint64_t v = n;

	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xFF);
		v >>= 8;
	}
	crypto_generichash_update(st, b, sizeof b);
}

/* 'N' for NULL; 'S', 8-byte big-endian length, bytes for a string. */
static void
s_hash_str(crypto_generichash_state *st, const char *s)
{
	unsigned char tag = s ? 'S' : 'N';

	crypto_generichash_update(st, &tag, 1);
	if (s == NULL)
		return;
	s_hash_count(st, strlen(s));
	crypto_generichash_update(st, (const unsigned char *)s, strlen(s));
}

void
plan_compute_hash(plan *p)
{
	crypto_generichash_state st;
	unsigned char digest[32];

	if (sodium_init() < 0)
		fatalx("libsodium cannot be initialised");
	plan_sort(p);
	crypto_generichash_init(&st, NULL, 0, sizeof digest);
	s_hash_str(&st, PLAN_HASH_TAG);
	s_hash_count(&st, p->ngroups);
	for (size_t i = 0; i < p->ngroups; i++) {
		const plan_group *g = &p->groups[i];

		s_hash_str(&st, g->name);
		s_hash_count(&st, g->ncsvs);
		for (size_t k = 0; k < g->ncsvs; k++)
			s_hash_str(&st, g->csvs[k]);
		s_hash_count(&st, g->nguests);
		for (size_t k = 0; k < g->nguests; k++) {
			s_hash_str(&st, g->guests[k].name);
			s_hash_str(&st, g->guests[k].id);
			s_hash_str(&st, g->guests[k].node);
		}
	}
	s_hash_count(&st, p->nunplanned);
	for (size_t i = 0; i < p->nunplanned; i++) {
		const plan_unplanned *u = &p->unplanned[i];

		s_hash_str(&st, u->name);
		s_hash_str(&st, u->id);
		s_hash_str(&st, u->node);
		s_hash_str(&st, u->reason);
	}
	crypto_generichash_final(&st, digest, sizeof digest);
	sodium_bin2hex(p->hash, sizeof p->hash, digest, sizeof digest);
}

/* ---- JSON --------------------------------------------------------- */

void
plan_render_json(const plan *p, jsonw *j)
{
	jsonw_begin_object(j);
	jsonw_kv_int(j, "generation", (int64_t)p->generation);
	jsonw_kv_str(j, "hash", p->hash);
	jsonw_key(j, "groups");
	jsonw_begin_array(j);
	for (size_t i = 0; i < p->ngroups; i++) {
		const plan_group *g = &p->groups[i];

		jsonw_begin_object(j);
		jsonw_kv_str(j, "name", g->name);
		jsonw_key(j, "csvs");
		jsonw_begin_array(j);
		for (size_t k = 0; k < g->ncsvs; k++)
			jsonw_str(j, g->csvs[k]);
		jsonw_end_array(j);
		jsonw_key(j, "guests");
		jsonw_begin_array(j);
		for (size_t k = 0; k < g->nguests; k++) {
			jsonw_begin_object(j);
			jsonw_kv_str(j, "name", g->guests[k].name);
			jsonw_kv_str(j, "id", g->guests[k].id);
			jsonw_kv_str(j, "node", g->guests[k].node);
			jsonw_end_object(j);
		}
		jsonw_end_array(j);
		jsonw_end_object(j);
	}
	jsonw_end_array(j);
	jsonw_key(j, "unplanned");
	jsonw_begin_array(j);
	for (size_t i = 0; i < p->nunplanned; i++) {
		const plan_unplanned *u = &p->unplanned[i];

		jsonw_begin_object(j);
		jsonw_kv_str(j, "name", u->name);
		jsonw_kv_str(j, "id", u->id);
		jsonw_kv_str(j, "node", u->node);
		jsonw_kv_str(j, "reason", u->reason);
		jsonw_end_object(j);
	}
	jsonw_end_array(j);
	jsonw_end_object(j);
}

/* ---- text table --------------------------------------------------- */

static char *
s_join_csvs(const plan_group *g)
{
	strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < g->ncsvs; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		strbuf_addstr(&sb, g->csvs[i] ? g->csvs[i] : "");
	}
	return strbuf_detach(&sb, NULL);
}

static void
s_table_groups(const plan *p, strbuf *out, size_t columns)
{
	static const char *const head[] = { "GROUP", "CSVS", "GUEST", "NODE" };
	table *t = table_new(4, head);

	table_keep(t, 0);
	for (size_t i = 0; i < p->ngroups; i++) {
		const plan_group *g = &p->groups[i];
		char *csvs = s_join_csvs(g);
		const char *row[] = { g->name, csvs, "-", "" };

		if (g->nguests == 0)
			table_add(t, row);
		for (size_t k = 0; k < g->nguests; k++) {
			row[2] = g->guests[k].name ? g->guests[k].name : "";
			row[3] = g->guests[k].node ? g->guests[k].node : "";
			table_add(t, row);
			row[0] = row[1] = "";
		}
		free(csvs);
	}
	table_render_fit(t, out, columns);
	table_free(&t);
}

static void
s_table_unplanned(const plan *p, strbuf *out, size_t columns)
{
	static const char *const head[] = { "GUEST", "ID", "NODE", "REASON" };
	table *t = table_new(4, head);

	table_keep(t, 1);
	for (size_t i = 0; i < p->nunplanned; i++) {
		const plan_unplanned *u = &p->unplanned[i];
		const char *row[] = { u->name ? u->name : "", u->id ? u->id : "",
		    u->node ? u->node : "", u->reason ? u->reason : "" };

		table_add(t, row);
	}
	table_render_fit(t, out, columns);
	table_free(&t);
}

void
plan_render_table(const plan *p, strbuf *out, size_t columns)
{
	strbuf_addf(out, "serialization plan: generation %llu, hash %s\n",
	    (unsigned long long)p->generation, p->hash);
	strbuf_addf(out, "%zu group%s\n", p->ngroups,
	    p->ngroups == 1 ? "" : "s");
	if (p->ngroups) {
		strbuf_addch(out, '\n');
		s_table_groups(p, out, columns);
	}
	strbuf_addf(out, "\n%zu unplanned guest%s\n", p->nunplanned,
	    p->nunplanned == 1 ? "" : "s");
	if (p->nunplanned) {
		strbuf_addch(out, '\n');
		s_table_unplanned(p, out, columns);
	}
}

/* ---- differences, for `hvpolicy plan` ---- */

typedef struct s_where {
	const plan_guest *guest;
	const char *group;
} s_where;

static int
s_where_cmp(const void *a, const void *b)
{
	return strcmp(((const s_where *)a)->guest->id,
	    ((const s_where *)b)->guest->id);
}

/* Every planned guest of p with its group, sorted by GUID. */
static s_where *
s_guests_by_id(const plan *p, size_t *n)
{
	s_where *w;
	size_t k = 0;

	*n = 0;
	for (size_t g = 0; p && g < p->ngroups; g++)
		*n += p->groups[g].nguests;
	w = xcalloc(*n ? *n : 1, sizeof *w);
	for (size_t g = 0; p && g < p->ngroups; g++)
		for (size_t i = 0; i < p->groups[g].nguests; i++)
			w[k++] = (s_where){ &p->groups[g].guests[i],
			    p->groups[g].name };
	qsort(w, k, sizeof *w, s_where_cmp);
	return w;
}

static bool
s_has_group(const plan *p, const char *name)
{
	for (size_t g = 0; p && g < p->ngroups; g++)
		if (strcmp(p->groups[g].name, name) == 0)
			return true;
	return false;
}

size_t
plan_diff(const plan *before, const plan *after, strbuf *out)
{
	size_t na, nb, i = 0, k = 0, changes = 0;
	s_where *a = s_guests_by_id(before, &na), *b = s_guests_by_id(after, &nb);

	for (size_t g = 0; before && g < before->ngroups; g++)
		if (!s_has_group(after, before->groups[g].name)) {
			strbuf_addf(out, "  - group %s\n", before->groups[g].name);
			changes++;
		}
	for (size_t g = 0; after && g < after->ngroups; g++)
		if (!s_has_group(before, after->groups[g].name)) {
			strbuf_addf(out, "  + group %s\n", after->groups[g].name);
			changes++;
		}
	while (i < na || k < nb) {
		int cmp = i == na ? 1 : k == nb ? -1 :
		    strcmp(a[i].guest->id, b[k].guest->id);

		if (cmp < 0) {
			strbuf_addf(out, "  - %s (%s) from %s\n", a[i].guest->name,
			    a[i].guest->id, a[i].group);
			i++;
		} else if (cmp > 0) {
			strbuf_addf(out, "  + %s (%s) in %s\n", b[k].guest->name,
			    b[k].guest->id, b[k].group);
			k++;
		} else {
			if (strcmp(a[i].group, b[k].group) != 0)
				strbuf_addf(out, "  ~ %s (%s) %s -> %s\n",
				    b[k].guest->name, b[k].guest->id, a[i].group,
				    b[k].group);
			else
				changes--;
			i++;
			k++;
		}
		changes++;
	}
	free(a);
	free(b);
	return changes;
}
