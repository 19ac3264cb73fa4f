/*
 * clusters.h: the clusters one controller holds (`cluster:` or
 * `clusters:` in its configuration), each with what the controller keeps
 * per cluster: the current policy revision, the revision floor, the
 * serialization plan and the guests two nodes report at once. A node
 * belongs to the cluster its host reports; a DPM server may protect
 * several (docs/controller.md, "Several clusters"). Called by every
 * controller module that deals with policies or plans; restore.c fills
 * the table at start.
 */
#ifndef HVP_CLUSTERS_H
#define HVP_CLUSTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conflicts.h"
#include "plan.h"
#include "policy.h"

struct server;
struct node_session;

typedef struct cluster_state {
	char *name;		/* as configured */
	/* Current policy: revision 0 means none applied yet. */
	int64_t revision;
	char *policy_text;
	char policy_hash[POLICY_HASH_HEX + 1];
	policy *policy;
	/* The highest revision number in use, at least `revision`: above it
	 * when nodes hold revisions an older store file never had. */
	int64_t revision_floor;
	plan *plan;		/* NULL until a node reported guests */
	/* The hash the DPM server's part of the file has under plan, bare
	 * and with group names qualified (dsgroups.h), for plan generation
	 * file_hash_gen of file_hash_plan (push.c computes them once). */
	const plan *file_hash_plan;
	uint64_t file_hash_gen;
	char file_hash[2][65];
	bool plan_dirty;	/* inventories changed: replan */
	bool plan_retry;	/* the plan could not be stored: at next tick */
	conflict_table conflicts;
} cluster_state;

typedef struct cluster_table {
	cluster_state **items;	/* in configuration order */
	size_t count;
} cluster_table;

/* Builds the table from the configured names (s->cluster_names, else
 * s->cluster) and loads each cluster's newest revision, plan and
 * revision floor from the store. */
int clusters_restore(struct server *s, char **err);
void clusters_release(cluster_table *t);

/* The cluster called name (compared without case), or NULL. */
cluster_state *clusters_find(const struct server *s, const char *name);
/* "A, B": the clusters held, for messages. Owned. */
char *clusters_list(const struct server *s);
/* Whether node n belongs to cluster c (a Hyper-V node: its cluster; a
 * DPM server: one of the clusters it protects). */
bool clusters_node_in(const struct node_session *n, const cluster_state *c);
/* The one cluster a node of one cluster belongs to, or NULL. */
cluster_state *clusters_of_node(const struct server *s,
    const struct node_session *n);

/*
 * What a request's --cluster NAME selects. name set: that cluster, or
 * NULL with *err when this controller holds none of that name. name NULL
 * or empty: the only cluster when there is one; with several, NULL and
 * *err asking for --cluster when need_one, else NULL and no error (the
 * request is about every cluster).
 */
cluster_state *clusters_pick(const struct server *s, const char *name,
    bool need_one, char **err);

#endif
