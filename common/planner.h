/*
 * planner.h: the serialization planner (system-software, perCsv). Pure:
 * the inventories the nodes reported go in, the plan (plan.h) and the
 * inventory conflicts come out; no I/O, no clock, no globals. The
 * controller (push.c) calls it whenever an inventory changes, a DPM
 * server's node calls it for --once --inventory; tests and the benchmark
 * call it directly.
 *
 * Rules:
 * - A guest lies on the CSVs named by its paths (csv_volume_of_path());
 *   volume names compare case-insensitively (ASCII). A volume's
 *   canonical spelling is the smallest (strcmp) of the spellings the
 *   reports used for it, so the result does not depend on input order.
 * - Groups are the connected components of the guest-CSV graph: a guest
 *   on two CSVs joins them, chains join transitively. Only planned guests
 *   make edges; a CSV no planned guest uses is in no group.
 * - A group is named "CSV-" followed by its CSV names in the plan's byte
 *   order joined with "+", e.g. "CSV-Volume1+Volume2". When that
 *   would exceed PLANNER_GROUP_NAME_MAX bytes, the leading names that fit
 *   are kept and "+N-more" says how many were left out; the first name is
 *   always kept whole, so names stay unique (groups share no CSV).
 * - GUIDs compare case-insensitively, one pair of enclosing braces is
 *   ignored; the plan holds them lowercase without braces. Node names
 *   compare exactly (they are the controller's session names).
 * - The same GUID reported more than once is one guest: its paths are
 *   merged (the union of its CSVs), its name is the smallest reported.
 *   Reported by two or more nodes (a live migration in flight, or nodes
 *   that disagree) it is still planned once, in the group its CSVs give,
 *   under the node of the highest rank (ties: the first in byte order),
 *   and it is also returned in conflicts so the caller can tell a
 *   moment's overlap from a lasting inconsistency.
 * - Unplanned reasons: PLANNER_REASON_NO_CSV, PLANNER_REASON_NO_ID, or
 *   why a name, GUID or path cannot be written to DataSourceGroups.xml
 *   (names.h: control characters, invalid UTF-8, over the length bound);
 *   such a guest makes no edge and its name is listed escaped and cut
 *   (names_show()).
 * - Order: the plan's canonical order (plan_sort(): byte order; groups
 *   by name, CSVs, guests by name then id, unplanned by name, id, node);
 *   conflicts by id. Input order never matters.
 * - Offline nodes need nothing special: the caller passes their last
 *   inventory like any other.
 * - generation: previous->generation when the new content hash equals
 *   previous->hash, previous->generation + 1 otherwise, 1 with no
 *   previous plan.
 */
#ifndef HVP_PLANNER_H
#define HVP_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#define PLANNER_GROUP_NAME_MAX	96
#define PLANNER_REASON_NO_CSV	"no path on a Cluster Shared Volume"
#define PLANNER_REASON_NO_ID	"no GUID reported"

/*
 * What the planner reads of a guest's paths: the CSV volumes they lie on
 * and whether DataSourceGroups.xml can carry the guest. A caller that
 * keeps guests for many plans (the controller) digests each report once
 * with planner_digest_paths() and keeps only this.
 */
typedef struct planner_digest {
	char **volumes;		/* distinct spellings, in path order */
	size_t nvolumes;
	char *unplannable;	/* why the file cannot carry it, or NULL */
} planner_digest;

/* One guest as a node reported it; all borrowed. Either its paths, or
 * (digested set) the digest of its name, GUID and paths. */
typedef struct planner_guest {
	const char *name;
	const char *id;		/* GUID, any case, braces allowed */
	const char *node;	/* reporting (owner) node */
	const char *const *paths;	/* configuration and virtual disks */
	size_t npaths;
	bool digested;		/* volumes and unplannable replace paths */
	const char *const *volumes;
	size_t nvolumes;
	const char *unplannable;
	uint64_t rank;		/* among nodes reporting one GUID, the highest
				 * owns it (the controller: the newest report) */
	/* name and id outlive the plan (the caller sets plan.kept to what
	 * keeps them): the plan points at them, where they are spelt as it
	 * spells them, instead of copying. */
	bool lasting;
} planner_guest;

/* The same GUID reported by several nodes. */
typedef struct planner_conflict {
	char *id;		/* lowercase */
	char *name;		/* smallest reported name */
	char **nodes;		/* distinct, sorted */
	size_t nnodes;
	bool same_csvs;		/* every node's reports name the same CSVs */
} planner_conflict;

typedef struct planner_result {
	plan *plan;			/* owned */
	planner_conflict *conflicts;	/* owned, sorted by id */
	size_t nconflicts;
} planner_result;

/*
 * Builds the plan for guests[0..n) into *out (which is overwritten, not
 * cleared: clear it first if it held a result). previous may be NULL.
 * Returns 0, or -1 when out is NULL or guests is NULL with n > 0.
 */
int planner_build(const planner_guest *guests, size_t n, const plan *previous,
    planner_result *out);
/* Frees everything r holds and zeroes it; accepts NULL. */
void planner_result_clear(planner_result *r);

/* Digests one report (planner_digest): out is overwritten. Planning the
 * digest gives the same plan as planning the paths. */
void planner_digest_paths(const char *name, const char *id,
    const char *const *paths, size_t npaths, planner_digest *out);
/* Frees what d holds and zeroes it; accepts NULL. */
void planner_digest_clear(planner_digest *d);

#endif
