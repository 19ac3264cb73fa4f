/*
 * diagnose.h: findings about DPM error 30112 from what nodes report (VSS
 * providers, the provider that took the last snapshot, the strategy's
 * settings, guests' Backup integration service), each naming the node,
 * the evidence and the fix. Pure: called by control.c for `diagnose` and
 * the findings count of `status`.
 */
#ifndef HVP_DIAGNOSE_H
#define HVP_DIAGNOSE_H

#include <stddef.h>

#include "server.h"

typedef struct finding {
	char *cluster;		/* the node's */
	char *node;
	char *kind;
	char *evidence;
	char *fix;
} finding;

/* Findings of the nodes of cluster only (NULL: every cluster), sorted by
 * node, then kind; owned array. Each node is judged by its own cluster's
 * policy. */
size_t diagnose_run(const server *s, const cluster_state *only,
    finding **out);
void findings_free(finding **list, size_t n);

#endif
