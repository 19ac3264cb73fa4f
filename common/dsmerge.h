/*
 * dsmerge.h: DataSourceGroups.xml is shared. hvpolicy owns the entries of
 * the guests its plans name (and those it wrote itself before); every
 * other entry (a standalone host's guests, DSConfig.ps1's output, another
 * team's hand-written groups) is kept as it was, byte for byte and in
 * its place. The DPM server's node merges its plans into the file it
 * holds with this module and reports, per cluster, the hash of the part
 * of the file that is that cluster's; the controller computes the hash
 * each part should have with dsmerge_part_hash(). The rules are written
 * down in docs/serialization-file.md, "What hvpolicy owns".
 */
#ifndef HVP_DSMERGE_H
#define HVP_DSMERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "dsgroups.h"
#include "plan.h"

/* One cluster's part of the file. */
typedef struct dsmerge_part {
	/* Group names are qualified "CLUSTER/GROUP" (dsgroups_from_plan_as)
	 * when set; NULL: bare names, a DPM server of one cluster. */
	const char *cluster;
	const plan *plan;	/* NULL: none held yet; nothing is written */
	bool keep;		/* audit: its entries are kept as found */
} dsmerge_part;

/* What hvpolicy wrote into the file before: guest GUIDs (as
 * dsgroups_norm_guid gives them) with the cluster of the part they were
 * written for ("" for a part without cluster). The node keeps it in its
 * state directory (node/dsrecord.c) so that an entry it wrote for a guest
 * that has since gone from every plan is removed, not left behind as if
 * someone else had written it. */
typedef struct dsmerge_written {
	char *id;
	char *cluster;
} dsmerge_written;

typedef struct dsmerge_record {
	dsmerge_written *v;	/* sorted by id, then cluster; no repeats */
	size_t n, cap;
} dsmerge_record;

void dsmerge_record_clear(dsmerge_record *r);
/* Adds (id, cluster) unless held; id is normalized here. */
void dsmerge_record_add(dsmerge_record *r, const char *id,
    const char *cluster);
/* Adds every guest the part's plan puts in the file. */
void dsmerge_record_add_part(dsmerge_record *r, const dsmerge_part *p);
void dsmerge_record_copy(dsmerge_record *dst, const dsmerge_record *src);
bool dsmerge_record_equal(const dsmerge_record *a, const dsmerge_record *b);
/* Sorts and drops repeats (after adding out of order by hand). */
void dsmerge_record_sort(dsmerge_record *r);

typedef struct dsmerge_spec {
	const dsmerge_part *parts;
	size_t nparts;
	const dsmerge_record *written;	/* NULL: nothing known */
} dsmerge_spec;

/* The hash part p's entries of the file must have (dsgroups_hash of
 * dsgroups_from_plan_as(plan, cluster)); "" when it has no plan. */
void dsmerge_part_hash(const dsmerge_part *p, char out[DSGROUPS_HASH_HEX + 1]);

/* What the file holds, as the spec sees it. */
typedef struct dsmerge_state {
	char **held;		/* per part: hash of its entries in the file */
	size_t nparts;
	size_t owned;		/* entries of some part */
	size_t stale;		/* written before for a guest no part names */
	size_t foreign;		/* entries hvpolicy does not own */
} dsmerge_state;

void dsmerge_state_clear(dsmerge_state *st);

/*
 * Reads the file's bytes (data NULL or len 0: no file; every part then
 * holds nothing) into *st. -1 with *err (owned, dsgroups_parse's message)
 * when the file cannot be parsed.
 */
int dsmerge_inspect(const dsmerge_spec *s, const void *data, size_t len,
    dsmerge_state *st, char **err);

/* The same over a parsed file (d NULL: no file); it cannot fail. */
void dsmerge_inspect_doc(const dsmerge_spec *s, const dsgroups_doc *d,
    dsmerge_state *st);

/* Whether the file needs writing: a part that is not kept holds
 * something else than its plan, or an entry is stale. */
bool dsmerge_needed(const dsmerge_spec *s, const dsmerge_state *st);

typedef struct dsmerge_result {
	size_t written;		/* hvpolicy's entries in the new file */
	size_t removed;		/* owned entries taken out (replaced or gone) */
	size_t kept;		/* entries kept as found (others', kept parts') */
	dsmerge_record record;	/* what hvpolicy now has in the file */
} dsmerge_result;

void dsmerge_result_clear(dsmerge_result *r);

/*
 * The file's new bytes (*out owned, *outlen its size) with every part that
 * is not kept holding exactly its plan, and everything else as it was:
 *
 * - no file (data NULL or len 0): the parts' entries as dsgroups_render
 *   writes them (the same bytes for one part without cluster);
 * - otherwise the file's text with every entry of a part that is not kept
 *   and every stale entry taken out (with its line, when it stood alone
 *   on it), and the parts' entries put in, in file order, where the first
 *   of those was (or before the root's end tag when there was none),
 *   with the file's indentation and line ends; the file keeps its
 *   encoding (UTF-8 stays UTF-8; UTF-16 is written little-endian with a
 *   byte-order mark).
 *
 * -1 with *err (owned) when the file cannot be parsed (nothing is to be
 * written over it) or a plan's entry cannot be written.
 */
int dsmerge_apply(const dsmerge_spec *s, const void *data, size_t len,
    char **out, size_t *outlen, dsmerge_result *res, char **err);

/* The same over a parsed file (d NULL: no file), which it leaves as it
 * is: -1 only when a plan's entry cannot be written. */
int dsmerge_apply_doc(const dsmerge_spec *s, const dsgroups_doc *d,
    char **out, size_t *outlen, dsmerge_result *res, char **err);

#endif
