/*
 * parts.h: a DPM server that protects several clusters holds one desired
 * state per cluster (a part), each with its own policy and plan. One
 * pass over the host finds what each part asks for and merges it: a
 * setting two parts ask for alike is one finding (applied unless every
 * part asking for it is in audit mode); a setting they ask for
 * differently (another MaxAllowedParallelBackups, another value of one
 * of their registry resources) is not changed at all and fails, naming
 * the clusters; DataSourceGroups.xml is one finding for the union of
 * the parts' plans (dsmerge.h), each cluster's groups qualified by its
 * name, an audit part's entries kept as found. Called by engine.c when
 * engine_options names parts; pure.
 */
#ifndef HVP_NODE_PARTS_H
#define HVP_NODE_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsmerge.h"
#include "hoststate.h"
#include "plan.h"
#include "policy.h"
#include "reconcile.h"

/* One cluster's part of a DPM server's desired state. */
typedef struct engine_part {
	const char *cluster;
	const policy *policy;
	const plan *plan;	/* NULL: none held yet */
	int64_t revision;	/* the cluster's revision held */
} engine_part;

/* The file's parts for dsmerge (out has n entries): each cluster's plan
 * when its policy manages the file (system-software, perCsv), kept as
 * found when its policy only audits. */
void parts_file(const engine_part *parts, size_t n, dsmerge_part *out);
/* Whether some part's policy manages the file. */
bool parts_manage_file(const engine_part *parts, size_t n);
/* The mode of a pass over the parts: enforce when any part enforces. */
policy_mode parts_mode(const engine_part *parts, size_t n);
/* The shortest interval any part asks for (seconds). */
int parts_interval(const engine_part *parts, size_t n);

/*
 * Appends to out the findings of every part for the observed host
 * (clusters, audit and conflict set on each), then the file's when spec
 * (the file's parts, parts_file) needs writing: st is what the file
 * holds, or NULL with problem saying why it cannot be read.
 */
void parts_compute(const engine_part *parts, size_t n, host_role role,
    const host_state *observed, const dsmerge_spec *spec,
    const dsmerge_state *st, const char *problem, reconcile_list *out);

#endif
