/*
 * plan.h: the serialization plan (system-software, perCsv): groups of
 * guests that DPM backs up one at a time, one group per connected set of
 * CSVs; and the guests that could not be planned. The controller's
 * planner makes it, the wire carries it, the DPM server's node renders it
 * as DataSourceGroups.xml (dsgroups.h), the CLI prints it.
 */
#ifndef HVP_PLAN_H
#define HVP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "strbuf.h"

#define PLAN_HASH_HEX 64

typedef struct plan_guest {
	char *name;
	char *id;	/* GUID, lowercase */
	char *node;	/* owner node */
} plan_guest;

typedef struct plan_group {
	char *name;	/* deterministic: from its CSVs */
	char **csvs;	/* sorted */
	size_t ncsvs;
	plan_guest *guests;	/* sorted by name, then id */
	size_t nguests;
} plan_group;

typedef struct plan_unplanned {
	char *name;
	char *id;
	char *node;
	char *reason;
} plan_unplanned;

typedef struct plan {
	uint64_t generation;
	char hash[PLAN_HASH_HEX + 1];	/* content hash (groups + unplanned) */
	plan_group *groups;		/* sorted by name */
	size_t ngroups;
	plan_unplanned *unplanned;	/* sorted by name, then id */
	size_t nunplanned;
	/* When set, the name, id and node of every guest in groups point
	 * into this one block (the planner's plans: thousands of guests,
	 * one allocation) or into what `kept` holds, and plan_free() frees
	 * the block whole; NULL, each of those strings is its own
	 * allocation. */
	char *guest_text;
	/* What guests' strings borrow from (the planner's lasting guests:
	 * a controller's inventories), released by plan_free() with
	 * kept_free; NULL when nothing is borrowed. */
	void *kept;
	void (*kept_free)(void *kept);
} plan;

plan *plan_new(void);
void plan_free(plan **p);
plan *plan_dup(const plan *p);
/* Recomputes p->hash from the content (not the generation). */
void plan_compute_hash(plan *p);
/* Puts groups, their CSVs and guests, and the unplanned guests in the
 * order the fields above promise (byte order, ties broken by the other
 * fields). plan_compute_hash calls it first, so the hash does not depend
 * on the order a planner built the plan in. */
void plan_sort(plan *p);
/* The {"generation","hash","groups","unplanned"} object of the contract. */
void plan_render_json(const plan *p, jsonw *j);
/* The plan as text tables, fitted to columns (0: full width; table.h). */
void plan_render_table(const plan *p, strbuf *out, size_t columns);
/* What changes from before to after (either may be NULL: no plan), one
 * line each: groups added (+) and removed (-), guests added, removed and
 * moved (~) between groups, matched by GUID. Returns how many lines. */
size_t plan_diff(const plan *before, const plan *after, strbuf *out);

#endif
