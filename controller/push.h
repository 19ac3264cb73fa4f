/*
 * push.h: what each node should hold and getting it there. Keeps each
 * cluster's current policy revision and serialization plan (clusters.h),
 * decides per node what it is behind on, sends Desired (state-based: re-sent until the node's
 * Ack or Heartbeat shows it holds it), and replans when inventories
 * change. Called by peer.c (node traffic), control.c (apply, rollback),
 * restore.c (start) and main.c (periodic tick).
 */
#ifndef HVP_PUSH_H
#define HVP_PUSH_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "server.h"

/* What node n should hold of cluster c: the revision and, for the DPM
 * server with perCsv, the plan generation (0 otherwise). */
void push_wanted(const server *s, const cluster_state *c,
    const node_session *n, int64_t *revision, uint64_t *generation);
/* Whether n holds cluster c's current revision (and plan) and has
 * finished applying it. */
bool push_node_converged(const server *s, const cluster_state *c,
    const node_session *n);
/* Converged in every cluster n belongs to. */
bool push_node_converged_all(const server *s, const node_session *n);
/* The revision of cluster c that node n acknowledged (0: none). */
int64_t push_acked_revision(const node_session *n, const cluster_state *c);
/* The plan generation of cluster c that the DPM server n acknowledged
 * (0: none). */
uint64_t push_acked_generation(const node_session *n, const cluster_state *c);
/* The DPM server named by cluster c's policy, if it has a session. */
node_session *push_dpm_server(const server *s, const cluster_state *c);
/* Why policy p's dpmServer cannot be served (it names no known node of
 * role dpm-server), naming the known ones; NULL when it can or p names
 * none. Owned. */
char *push_dpm_problem(const server *s, const policy *p);
/* Why policy p, for cluster c, cannot be applied beside the other
 * clusters' current policies: one of them names the same DPM server and
 * asks it for another MaxAllowedParallelBackups (perNode), or reaches a
 * DPM server p reaches too and asks its registry for something else
 * (policy_registry_clash). NULL when none does. Owned. */
char *push_dpm_conflict(const server *s, const cluster_state *c,
    const policy *p);
/* Why cluster c's policy leaves DataSourceGroups.xml unmanaged, or NULL
 * when it is managed. Owned. */
char *push_serialization_unmanaged(const server *s, const cluster_state *c);
/* Whether the DPM server reports holding cluster c's part of the file. */
bool push_plan_held(const server *s, const cluster_state *c);
/* Sends Desired when the node is behind and nothing is in flight (or the
 * in-flight one timed out); force sends regardless. */
void push_desired(server *s, node_session *n, bool force);
void push_all(server *s);
/* Recomputes the plan of every cluster whose inventories changed from
 * its nodes' last inventories; stores and pushes it when its content
 * changed. */
void push_replan(server *s);
/* Makes p (parsed from canonical_text, already stored as `revision` of
 * cluster c) its current policy; takes ownership of p and canonical_text. */
void push_set_policy(server *s, cluster_state *c, int64_t revision,
    policy *p, char *canonical_text);
/* Expected hash of the DPM server's part of the file for cluster c's
 * current plan ("" when the file is not managed). */
const char *push_expected_file_hash(const server *s, const cluster_state *c,
    char out[65]);

#endif
