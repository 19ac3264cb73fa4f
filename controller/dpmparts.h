/*
 * dpmparts.h: a DPM server that protects several clusters (its host
 * file's clusters:) holds one desired state per cluster; the controller
 * keeps, per such node, the clusters it protects and what it acknowledged
 * of each (revision, plan generation, the hash of that cluster's part of
 * DataSourceGroups.xml), in memory and in the store's nodes.parts. A node
 * of one cluster has none. Called by peer.c (Hello, Ack, Heartbeat),
 * push.c (what it holds), restore.c (start).
 */
#ifndef HVP_DPMPARTS_H
#define HVP_DPMPARTS_H

#include <stdbool.h>
#include <stddef.h>

#include "hvpolicy.pb-c.h"
#include "sessions.h"

/* What n acknowledged of cluster (compared without case), or NULL. */
node_part *dpmparts_find(const node_session *n, const char *cluster);
/* n protects these clusters (k > 0); n->cluster becomes them joined by
 * commas, as the store records it. */
void dpmparts_set_clusters(node_session *n, char *const *clusters,
    size_t k);
/* Forgets n's clusters and parts (a node of one cluster). */
void dpmparts_clear(node_session *n);
/* Takes what the node says it holds; true when that changed. */
bool dpmparts_take(node_session *n, Hvp__PartState *const *v, size_t k);
/* The parts as the store keeps them (one line per part: cluster,
 * revision, generation and hash, tab-separated, "-" for no hash); NULL
 * for a node without. Owned. */
char *dpmparts_text(const node_session *n);
/* A stored node record back: cluster "A,B" gives the clusters, text the
 * parts. */
void dpmparts_restore(node_session *n, const char *cluster,
    const char *text);

#endif
