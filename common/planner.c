/*
 * planner.c: the serialization planner (planner.h). Pure: inventories in,
 * plan and conflicts out. The controller's push.c calls it when an
 * inventory changes; node/once.c for --once --inventory.
 *
 * How, in passes that each cost O(P) or O(P log P) for P reports and
 * paths (nothing quadratic):
 * 1. in input order (the caller's memory order), every report's volumes
 *    are interned in a case-insensitive hash table;
 * 2. a hash table on the GUID chains each guest's reports together; a
 *    chain from one node is one guest (duplicates merged), a chain from
 *    several nodes a conflict;
 * 3. a union-find over the volumes joins the CSVs each guest spans; its
 *    roots are the groups; the guests are sorted into plan order, so the
 *    plan's strings lie in the order they are later walked.
 * plan_compute_hash() then puts the plan in its canonical order
 * (plan_sort()), so neither the plan nor its hash depends on input order.
 */
#include "planner.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostfile.h"
#include "hoststate.h"
#include "names.h"
#include "strbuf.h"
#include "strsort.h"
#include "xalloc.h"

#define S_NONE	SIZE_MAX

/* One report with a GUID: its keys and its volumes. */
typedef struct s_rec {
	uint64_t idhash;	/* over the folded GUID */
	uint64_t namekey;	/* first bytes of name, in strcmp order */
	const char *id;		/* borrowed, braces skipped, idlen bytes */
	size_t idlen;
	const char *name;	/* never NULL */
	const char *node;	/* never NULL */
	uint64_t rank;		/* planner_guest.rank */
	size_t voff, nvol;	/* into s_ctx.rvols */
	size_t next;		/* next report of this GUID, or S_NONE */
	bool head;		/* first report of its GUID */
	bool lasting;		/* planner_guest.lasting */
} s_rec;

/* A guest to plan: one GUID, one node. */
typedef struct s_ent {
	const s_rec *rec;	/* the first of its reports */
	const s_rec *named;	/* the report with the smallest name */
	const size_t *vols;	/* into rvols or evols */
	size_t nvol;
	size_t group;
} s_ent;

typedef struct s_vol {
	char *canon;		/* owned: smallest spelling reported */
	uint64_t hash;
	size_t parent;
	size_t rank;
	size_t mark;		/* dedupe stamp */
	size_t group;		/* S_NONE: no planned guest uses it */
} s_vol;

typedef struct s_ctx {
	s_rec *recs;
	size_t nrecs;
	size_t *rvols;		/* every report's volumes, back to back */
	size_t nrvols;
	size_t *evols;		/* merged volumes of duplicated guests */
	size_t nevols;		/* never more than nrvols: never moves */
	s_ent *ents;
	size_t nents;
	s_vol *vols;
	size_t nvols, vols_cap;
	size_t *slots;		/* volume index + 1; 0 is empty */
	size_t nslots;
	size_t stamp;
	plan_unplanned *unpl;
	size_t nunpl, unpl_cap;
	planner_conflict *confl;
	size_t nconfl, confl_cap;
} s_ctx;

static int
s_fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static uint64_t
s_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint64_t)s_fold((unsigned char)s[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

/* Case-insensitive (ASCII) comparison of two counted strings. */
static int
s_casecmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++) {
		int x = s_fold((unsigned char)a[i]);
		int y = s_fold((unsigned char)b[i]);
		if (x != y)
			return x - y;
	}
	return (alen > blen) - (alen < blen);
}

/* The first 8 bytes of s as a number that sorts as strcmp() does. */
static uint64_t
s_prefix_key(const char *s)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8 && s[i] != '\0'; i++)
		k = k << 8 | (unsigned char)s[i];
	/* Shifting a 64-bit value by 64 is undefined: "" is simply 0. */
	return i == 0 ? 0 : k << (8 * (8 - i));
}

static char *
s_lower_dup(const char *s, size_t len)
{
	char *out = xstrndup(s, len);

	for (char *p = out; *p; p++)
		*p = (char)s_fold((unsigned char)*p);
	return out;
}

/* Volumes: a case-insensitive hash table, then union-find. */

static void
s_slots_grow(s_ctx *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 64;

	free(c->slots);
	c->slots = xcalloc(n, sizeof *c->slots);
	c->nslots = n;
	for (size_t v = 0; v < c->nvols; v++) {
		size_t i = (size_t)c->vols[v].hash & (n - 1);
		while (c->slots[i] != 0)
			i = (i + 1) & (n - 1);
		c->slots[i] = v + 1;
	}
}

/* Borrows spelling (copied when kept); returns the volume's index. */
static size_t
s_vol_intern(s_ctx *c, const char *spelling)
{
	size_t len = strlen(spelling);
	uint64_t h = s_hash(spelling, len);
	size_t i, v;

	if ((c->nvols + 1) * 2 > c->nslots)
		s_slots_grow(c);
	i = (size_t)h & (c->nslots - 1);
	while ((v = c->slots[i]) != 0) {
		s_vol *vol = &c->vols[v - 1];
		if (vol->hash == h && s_casecmp(vol->canon, strlen(vol->canon),
		    spelling, len) == 0) {
			if (strcmp(spelling, vol->canon) < 0) {
				free(vol->canon);
				vol->canon = xstrdup(spelling);
			}
			return v - 1;
		}
		i = (i + 1) & (c->nslots - 1);
	}
	xgrow(&c->vols, &c->vols_cap, c->nvols + 1, sizeof *c->vols);
	v = c->nvols++;
	c->vols[v] = (s_vol){ .canon = xstrdup(spelling), .hash = h, .parent = v,
	    .group = S_NONE };
	c->slots[i] = v + 1;
	return v;
}

static size_t
s_find(s_ctx *c, size_t v)
{
	size_t root = v;

	while (c->vols[root].parent != root)
		root = c->vols[root].parent;
	while (c->vols[v].parent != root) {
		size_t next = c->vols[v].parent;
		c->vols[v].parent = root;
		v = next;
	}
	return root;
}

static void
s_union(s_ctx *c, size_t a, size_t b)
{
	a = s_find(c, a);
	b = s_find(c, b);
	if (a == b)
		return;
	if (c->vols[a].rank < c->vols[b].rank) {
		size_t t = a;
		a = b;
		b = t;
	}
	c->vols[b].parent = a;
	if (c->vols[a].rank == c->vols[b].rank)
		c->vols[a].rank++;
}

/* Reports. */

/* The name as the unplanned list shows it: as reported when it may be
 * carried, else escaped and cut (names_show()). */
static char *
s_shown_name(const char *name)
{
	char *why = NULL;

	if (*name == '\0' || names_check_guest(name, &why) == 0)
		return xstrdup(name);
	free(why);
	return names_show(name);
}

static void
s_unplanned_add(s_ctx *c, const char *name, char *id, const char *node,
    char *reason)
{
	xgrow(&c->unpl, &c->unpl_cap, c->nunpl + 1, sizeof *c->unpl);
	c->unpl[c->nunpl++] = (plan_unplanned){ .name = s_shown_name(name),
	    .id = id, .node = xstrdup(node), .reason = reason };
}

/* The GUID as the unplanned list shows it: lowercase without braces, or
 * escaped and cut when it is no GUID. */
static char *
s_shown_id(const char *id)
{
	char guid[37];

	if (id != NULL && hostfile_guid_parse(id, guid) == 0)
		return xstrdup(guid);
	return names_show(id);
}

/* Why a guest cannot be written to DataSourceGroups.xml (names.h), as an
 * owned reason, or NULL when it can. */
static char *
s_unrepresentable(const char *name, const char *id, const char *const *paths,
    size_t npaths)
{
	char *why = NULL, what[32];

	if (names_check_guest(name, &why) == -1 ||
	    names_check_guid(id, &why) == -1)
		return why;
	for (size_t p = 0; paths != NULL && p < npaths; p++) {
		snprintf(what, sizeof what, "path %zu", p + 1);
		if (names_check_text(what, paths[p], NAMES_PATH_MAX, &why) == -1)
			return why;
	}
	return NULL;
}

void
planner_digest_paths(const char *name, const char *id,
    const char *const *paths, size_t npaths, planner_digest *out)
{
	memset(out, 0, sizeof *out);
	out->unplannable = s_unrepresentable(name ? name : "", id ? id : "",
	    paths, npaths);
	out->volumes = xcalloc(npaths ? npaths : 1, sizeof *out->volumes);
	for (size_t p = 0; paths != NULL && p < npaths; p++) {
		char *vname;
		size_t k;

		if (paths[p] == NULL ||
		    (vname = csv_volume_of_path(paths[p])) == NULL)
			continue;
		for (k = 0; k < out->nvolumes; k++)
			if (strcmp(out->volumes[k], vname) == 0)
				break;
		if (k < out->nvolumes)
			free(vname);
		else
			out->volumes[out->nvolumes++] = vname;
	}
}

void
planner_digest_clear(planner_digest *d)
{
	if (d == NULL)
		return;
	for (size_t k = 0; k < d->nvolumes; k++)
		free(d->volumes[k]);
	free(d->volumes);
	free(d->unplannable);
	memset(d, 0, sizeof *d);
}

/* The volumes and the reason of report g: its digest, or one made from
 * its paths into *tmp (cleared by the caller). */
static void
s_digest_of(const planner_guest *g, planner_digest *tmp,
    const char *const **volumes, size_t *nvolumes, const char **why)
{
	if (g->digested) {
		*volumes = g->volumes;
		*nvolumes = g->volumes ? g->nvolumes : 0;
		*why = g->unplannable;
		return;
	}
	planner_digest_paths(g->name, g->id, g->paths, g->npaths, tmp);
	*volumes = (const char *const *)tmp->volumes;
	*nvolumes = tmp->nvolumes;
	*why = tmp->unplannable;
}

/* Pass 1: keys and volumes of every report, in input order. */
static void
s_read(s_ctx *c, const planner_guest *guests, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += guests[i].digested ?
		    (guests[i].volumes ? guests[i].nvolumes : 0) :
		    (guests[i].paths ? guests[i].npaths : 0);
	c->recs = xcalloc(n ? n : 1, sizeof *c->recs);
	c->rvols = xcalloc(total ? total : 1, sizeof *c->rvols);
	for (size_t i = 0; i < n; i++) {
		const planner_guest *g = &guests[i];
		const char *id = g->id, *why;
		const char *const *vols;
		size_t idlen = id ? strlen(id) : 0, nvols;
		planner_digest tmp = { 0 };
		s_rec *r;

		if (idlen >= 2 && id[0] == '{' && id[idlen - 1] == '}') {
			id++;
			idlen -= 2;
		}
		if (idlen == 0) {
			s_unplanned_add(c, g->name ? g->name : "", xstrdup(""),
			    g->node ? g->node : "",
			    xstrdup(PLANNER_REASON_NO_ID));
			continue;
		}
		s_digest_of(g, &tmp, &vols, &nvols, &why);
		if (why != NULL) {
			s_unplanned_add(c, g->name ? g->name : "",
			    s_shown_id(g->id), g->node ? g->node : "",
			    xstrdup(why));
			planner_digest_clear(&tmp);
			continue;
		}
		r = &c->recs[c->nrecs++];
		*r = (s_rec){ .idhash = s_hash(id, idlen), .id = id,
		    .idlen = idlen, .name = g->name ? g->name : "",
		    .namekey = s_prefix_key(g->name ? g->name : ""),
		    .node = g->node ? g->node : "", .rank = g->rank,
		    .voff = c->nrvols, .lasting = g->lasting };
		c->stamp++;
		for (size_t k = 0; k < nvols; k++) {
			size_t v = s_vol_intern(c, vols[k]);

			if (c->vols[v].mark == c->stamp)
				continue;
			c->vols[v].mark = c->stamp;
			c->rvols[c->nrvols++] = v;
			r->nvol++;
		}
		planner_digest_clear(&tmp);
	}
}

/* Chains the reports of each GUID together (a hash table on the GUID). */
static void
s_index(s_ctx *c)
{
	size_t nslots = 16, *slots;

	while (nslots < c->nrecs * 2)
		nslots *= 2;
	slots = xcalloc(nslots, sizeof *slots);
	for (size_t i = 0; i < c->nrecs; i++) {
		s_rec *r = &c->recs[i];
		size_t k = (size_t)r->idhash & (nslots - 1), j;

		r->next = S_NONE;
		while ((j = slots[k]) != 0) {
			s_rec *h = &c->recs[j - 1];
			if (h->idhash == r->idhash && s_casecmp(h->id, h->idlen,
			    r->id, r->idlen) == 0)
				break;
			k = (k + 1) & (nslots - 1);
		}
		if (j == 0) {
			slots[k] = i + 1;
			r->head = true;
		} else {
			r->next = c->recs[j - 1].next;
			c->recs[j - 1].next = i;
		}
	}
	free(slots);
}

static int
s_size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static int
s_node_cmp(const void *a, const void *b)
{
	const s_rec *x = *(const s_rec *const *)a;
	const s_rec *y = *(const s_rec *const *)b;

	return strcmp(x->node, y->node);
}

/* The report with the smallest name. */
static const s_rec *
s_min_name(const s_rec *const *rs, size_t n)
{
	const s_rec *min = rs[0];

	for (size_t i = 1; i < n; i++)
		if (strcmp(rs[i]->name, min->name) < 0)
			min = rs[i];
	return min;
}

/* The distinct volumes of reports rs[0..n), sorted, into *out (owned). */
static size_t
s_vol_set(const s_ctx *c, const s_rec *const *rs, size_t n, size_t **out)
{
	size_t m = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		m += rs[i]->nvol;
	*out = xcalloc(m ? m : 1, sizeof **out);
	for (size_t i = 0; i < n; i++)
		for (size_t v = 0; v < rs[i]->nvol; v++)
			(*out)[k++] = c->rvols[rs[i]->voff + v];
	qsort(*out, k, sizeof **out, s_size_cmp);
	m = 0;
	for (size_t i = 0; i < k; i++)
		if (m == 0 || (*out)[m - 1] != (*out)[i])
			(*out)[m++] = (*out)[i];
	return m;
}

/* rs[0..n), sorted by node, share one GUID and come from nnodes nodes:
 * a live migration in flight, or two nodes that disagree. */
static void
s_conflict(s_ctx *c, const s_rec *const *rs, size_t n, size_t nnodes)
{
	planner_conflict *k;
	size_t i, e, *first = NULL, nfirst = 0;

	xgrow(&c->confl, &c->confl_cap, c->nconfl + 1, sizeof *c->confl);
	k = &c->confl[c->nconfl++];
	k->id = s_lower_dup(rs[0]->id, rs[0]->idlen);
	k->name = xstrdup(s_min_name(rs, n)->name);
	k->nodes = xcalloc(nnodes, sizeof *k->nodes);
	k->nnodes = 0;
	k->same_csvs = true;
	for (i = 0; i < n; i = e) {
		size_t *set, nset;

		for (e = i + 1; e < n && strcmp(rs[e]->node, rs[i]->node) == 0;
		    e++)
			;
		k->nodes[k->nnodes++] = xstrdup(rs[i]->node);
		nset = s_vol_set(c, rs + i, e - i, &set);
		if (i == 0) {
			first = set;
			nfirst = nset;
			continue;
		}
		if (nset != nfirst || memcmp(set, first, nset * sizeof *set) != 0)
			k->same_csvs = false;
		free(set);
	}
	free(first);
}

/* The report of the node that owns the guest now: the highest rank, the
 * first in node order among equals. */
static const s_rec *
s_owner(const s_rec *const *rs, size_t n)
{
	const s_rec *best = rs[0];

	for (size_t i = 1; i < n; i++)
		if (rs[i]->rank > best->rank)
			best = rs[i];
	return best;
}

/* One GUID from one node in several reports: the union of their CSVs. */
static void
s_merge(s_ctx *c, s_ent *ent, const s_rec *const *rs, size_t n)
{
	size_t off = c->nevols;

	c->stamp++;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < rs[i]->nvol; k++) {
			size_t v = c->rvols[rs[i]->voff + k];
			if (c->vols[v].mark == c->stamp)
				continue;
			c->vols[v].mark = c->stamp;
			c->evols[c->nevols++] = v;
		}
	ent->vols = c->evols + off;
	ent->nvol = c->nevols - off;
}

/* Pass 2: the reports of each GUID become a guest, a conflict or an
 * unplanned entry. */
static void
s_collect(s_ctx *c)
{
	const s_rec **chain = NULL;
	size_t chain_cap = 0;

	s_index(c);
	c->ents = xcalloc(c->nrecs ? c->nrecs : 1, sizeof *c->ents);
	c->evols = xcalloc(c->nrvols ? c->nrvols : 1, sizeof *c->evols);
	for (size_t i = 0; i < c->nrecs; i++) {
		const s_rec *r = &c->recs[i];
		const s_rec *const *rs = &r;
		size_t n = 1, nnodes = 1;
		s_ent ent;

		if (!r->head)
			continue;
		if (r->next != S_NONE) {
			n = 0;
			for (size_t j = i; j != S_NONE; j = c->recs[j].next) {
				xgrow(&chain, &chain_cap, n + 1, sizeof *chain);
				chain[n++] = &c->recs[j];
			}
			qsort(chain, n, sizeof *chain, s_node_cmp);
			for (size_t k = 1; k < n; k++)
				if (strcmp(chain[k]->node, chain[k - 1]->node))
					nnodes++;
			rs = chain;
		}
		if (nnodes > 1) {
			s_conflict(c, rs, n, nnodes);
			r = s_owner(rs, n);
		}
		ent = (s_ent){ .rec = r, .named = s_min_name(rs, n),
		    .vols = &c->rvols[r->voff], .nvol = r->nvol };
		if (n > 1)
			s_merge(c, &ent, rs, n);
		if (ent.nvol == 0) {
			s_unplanned_add(c, ent.named->name, s_lower_dup(r->id,
			    r->idlen), r->node, xstrdup(PLANNER_REASON_NO_CSV));
			continue;
		}
		c->ents[c->nents++] = ent;
	}
	free(chain);
}

/* Output. */

static int
s_strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
s_unpl_cmp(const void *a, const void *b)
{
	const plan_unplanned *x = a, *y = b;
	int c;

	if ((c = s_strcmp0(x->name, y->name)) != 0)
		return c;
	if ((c = s_strcmp0(x->id, y->id)) != 0)
		return c;
	if ((c = s_strcmp0(x->node, y->node)) != 0)
		return c;
	return s_strcmp0(x->reason, y->reason);
}

static int
s_confl_cmp(const void *a, const void *b)
{
	const planner_conflict *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static size_t
s_more_len(size_t left)
{
	size_t len = strlen("+-more");

	do {
		len++;
		left /= 10;
	} while (left > 0);
	return len;
}

/* "CSV-A+B+C", or "CSV-A+B+7-more" past PLANNER_GROUP_NAME_MAX. */
static char *
s_group_name(char *const *csvs, size_t n)
{
	strbuf sb;
	size_t i;

	strbuf_init(&sb);
	strbuf_addstr(&sb, "CSV-");
	strbuf_addstr(&sb, csvs[0]);
	for (i = 1; i < n; i++) {
		size_t need = sb.len + 1 + strlen(csvs[i]);
		if (i + 1 < n)
			need += s_more_len(n - i - 1);
		if (need > PLANNER_GROUP_NAME_MAX)
			break;
		strbuf_addch(&sb, '+');
		strbuf_addstr(&sb, csvs[i]);
	}
	if (i < n)
		strbuf_addf(&sb, "+%zu-more", n - i);
	return strbuf_detach(&sb, NULL);
}

/* Group, then name, then GUID: the order of plan_guest in a group. */
static int
s_ent_cmp(const void *a, const void *b)
{
	const s_ent *x = a, *y = b;
	int c;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->named->namekey != y->named->namekey)
		return x->named->namekey < y->named->namekey ? -1 : 1;
	if ((c = strcmp(x->named->name, y->named->name)) != 0)
		return c;
	return s_casecmp(x->rec->id, x->rec->idlen, y->rec->id,
	    y->rec->idlen);
}

/* Copies str with its NUL to at; returns the byte after. */
static char *
s_put(char *at, const char *str)
{
	size_t len = strlen(str) + 1;

	memcpy(at, str, len);
	return at + len;
}

/* Whether a report's GUID is spelt as the plan spells it (lowercase,
 * no braces) and ends there: a lasting one is then shared. */
static bool
s_id_shareable(const s_rec *r)
{
	if (!r->lasting || r->id[r->idlen] != '\0')
		return false;
	for (size_t i = 0; i < r->idlen; i++)
		if (s_fold((unsigned char)r->id[i]) != (unsigned char)r->id[i])
			return false;
	return true;
}

/* The bytes s_guests() copies for ent. */
static size_t
s_guest_bytes(const s_ent *ent)
{
	return (ent->named->lasting ? 0 : strlen(ent->named->name) + 1) +
	    (s_id_shareable(ent->rec) ? 0 : ent->rec->idlen + 1);
}

/* The plan's guests, in plan order, their strings in one block
 * (plan.guest_text): every node once, name and lowercase GUID each
 * unless a lasting report's can be shared. */
static void
s_guests(s_ctx *c, plan *p)
{
	const char **nodes = xcalloc(c->nents + 1, sizeof *nodes);
	char **node_at, *text;
	size_t nnodes = 0, bytes = 0;

	for (size_t e = 0; e < c->nents; e++) {
		nodes[e] = c->ents[e].rec->node;
		bytes += s_guest_bytes(&c->ents[e]);
	}
	if (c->nents > 1)
		qsort(nodes, c->nents, sizeof *nodes, strsort_cmp);
	for (size_t e = 0; e < c->nents; e++)
		if (nnodes == 0 || strcmp(nodes[nnodes - 1], nodes[e]) != 0) {
			nodes[nnodes++] = nodes[e];
			bytes += strlen(nodes[e]) + 1;
		}
	text = p->guest_text = xmalloc(bytes ? bytes : 1);
	node_at = xcalloc(nnodes + 1, sizeof *node_at);
	for (size_t k = 0; k < nnodes; k++) {
		node_at[k] = text;
		text = s_put(text, nodes[k]);
	}
	for (size_t e = 0; e < c->nents; e++) {
		const s_ent *ent = &c->ents[e];
		plan_group *grp = &p->groups[ent->group];
		const char **at = bsearch(&ent->rec->node, nodes, nnodes,
		    sizeof *nodes, strsort_cmp);
		plan_guest *g = &grp->guests[grp->nguests++];

		g->node = node_at[at - nodes];
		if (ent->named->lasting) {
			g->name = (char *)ent->named->name;
		} else {
			g->name = text;
			text = s_put(text, ent->named->name);
		}
		if (s_id_shareable(ent->rec)) {
			g->id = (char *)ent->rec->id;
			continue;
		}
		g->id = text;
		for (size_t i = 0; i < ent->rec->idlen; i++)
			*text++ = (char)s_fold((unsigned char)ent->rec->id[i]);
		*text++ = '\0';
	}
	free(node_at);
	free(nodes);
}

/* Pass 3: union-find over the planned guests' volumes, then groups. */
static void
s_groups(s_ctx *c, plan *p)
{
	size_t ng = 0;

	for (size_t e = 0; e < c->nents; e++) {
		const s_ent *ent = &c->ents[e];
		for (size_t k = 1; k < ent->nvol; k++)
			s_union(c, ent->vols[0], ent->vols[k]);
	}
	/* Only volumes some planned guest uses join a group. */
	c->stamp++;
	for (size_t e = 0; e < c->nents; e++)
		for (size_t k = 0; k < c->ents[e].nvol; k++)
			c->vols[c->ents[e].vols[k]].mark = c->stamp;
	for (size_t v = 0; v < c->nvols; v++) {
		size_t r;
		if (c->vols[v].mark != c->stamp)
			continue;
		r = s_find(c, v);
		if (c->vols[r].group == S_NONE)
			c->vols[r].group = ng++;
		c->vols[v].group = c->vols[r].group;
	}
	p->groups = xcalloc(ng ? ng : 1, sizeof *p->groups);
	p->ngroups = ng;
	for (size_t v = 0; v < c->nvols; v++)
		if (c->vols[v].mark == c->stamp)
			p->groups[c->vols[v].group].ncsvs++;
	for (size_t e = 0; e < c->nents; e++) {
		s_ent *ent = &c->ents[e];
		ent->group = c->vols[ent->vols[0]].group;
		p->groups[ent->group].nguests++;
	}
	/* Guests in plan order, so the plan's strings are laid out in the
	 * order plan_sort() and the hash will walk them. */
	qsort(c->ents, c->nents, sizeof *c->ents, s_ent_cmp);
	for (size_t g = 0; g < ng; g++) {
		plan_group *grp = &p->groups[g];
		grp->csvs = xcalloc(grp->ncsvs, sizeof *grp->csvs);
		grp->guests = xcalloc(grp->nguests, sizeof *grp->guests);
		grp->ncsvs = grp->nguests = 0;
	}
	for (size_t v = 0; v < c->nvols; v++) {
		plan_group *grp;
		if (c->vols[v].mark != c->stamp)
			continue;
		grp = &p->groups[c->vols[v].group];
		grp->csvs[grp->ncsvs++] = xstrdup(c->vols[v].canon);
	}
	s_guests(c, p);
	for (size_t g = 0; g < ng; g++) {
		plan_group *grp = &p->groups[g];
		qsort(grp->csvs, grp->ncsvs, sizeof *grp->csvs, strsort_cmp);
		grp->name = s_group_name(grp->csvs, grp->ncsvs);
	}
}

/* Sorts the unplanned list and drops exact repeats (same report twice). */
static void
s_unplanned(s_ctx *c, plan *p)
{
	size_t kept = 0;

	if (c->nunpl > 1)
		qsort(c->unpl, c->nunpl, sizeof *c->unpl, s_unpl_cmp);
	for (size_t i = 0; i < c->nunpl; i++) {
		if (kept > 0 && s_unpl_cmp(&c->unpl[kept - 1], &c->unpl[i]) == 0) {
			free(c->unpl[i].name);
			free(c->unpl[i].id);
			free(c->unpl[i].node);
			free(c->unpl[i].reason);
			continue;
		}
		c->unpl[kept++] = c->unpl[i];
	}
	p->unplanned = c->unpl;
	p->nunplanned = kept;
	c->unpl = NULL;
	c->nunpl = c->unpl_cap = 0;
}

static void
s_ctx_release(s_ctx *c)
{
	free(c->recs);
	free(c->rvols);
	free(c->evols);
	free(c->ents);
	for (size_t v = 0; v < c->nvols; v++)
		free(c->vols[v].canon);
	free(c->vols);
	free(c->slots);
}

int
planner_build(const planner_guest *guests, size_t n, const plan *previous,
    planner_result *out)
{
	s_ctx c;
	plan *p;

	if (out == NULL || (guests == NULL && n > 0))
		return -1;
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	p = plan_new();

	s_read(&c, guests, n);
	s_collect(&c);
	s_groups(&c, p);
	s_unplanned(&c, p);
	if (c.nconfl > 1)
		qsort(c.confl, c.nconfl, sizeof *c.confl, s_confl_cmp);
	out->conflicts = c.confl;
	out->nconflicts = c.nconfl;
	s_ctx_release(&c);

	plan_compute_hash(p);
	if (previous == NULL)
		p->generation = 1;
	else if (strcmp(previous->hash, p->hash) == 0)
		p->generation = previous->generation;
	else
		p->generation = previous->generation + 1;
	out->plan = p;
	return 0;
}

void
planner_result_clear(planner_result *r)
{
	if (r == NULL)
		return;
	plan_free(&r->plan);
	for (size_t i = 0; i < r->nconflicts; i++) {
		planner_conflict *k = &r->conflicts[i];
		free(k->id);
		free(k->name);
		for (size_t j = 0; j < k->nnodes; j++)
			free(k->nodes[j]);
		free(k->nodes);
	}
	free(r->conflicts);
	memset(r, 0, sizeof *r);
}
