/*
 * nodestate.h: the desired state a node holds (policy revision, canonical
 * policy text, plan generation and hash, and on the DPM server the plan),
 * kept in stateDir so the daemon enforces it from the moment it starts,
 * with or without a controller. daemon.c saves it when a Desired arrives
 * and loads it at start; `hvpolicy-node --seed-desired` writes one.
 *
 * File: stateDir/desired.state, replaced atomically: a magic, the payload
 * length, a checksum and the packed Hvp__Desired message.
 */
#ifndef HVP_NODE_NODESTATE_H
#define HVP_NODE_NODESTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "plan.h"

#define NODESTATE_FILE "desired.state"

#define NODESTATE_MAX_PARTS 256	/* bounds.h LIMIT_CLUSTERS */

typedef struct nodestate {
	int64_t revision;	/* 0 = none */
	char *policy_text;	/* canonical policy text */
	char *policy_hash;	/* as sent by the controller, "" if none */
	uint64_t plan_generation;
	char *plan_hash;	/* "" if none */
	plan *plan;		/* dpm-server only; NULL otherwise */
	char *cluster;		/* the policy's cluster as sent, "" if not said */
	/* A DPM server of several clusters: one desired state per cluster
	 * (each without parts of its own); the fields above are then
	 * unused. */
	struct nodestate **parts;
	size_t nparts;
} nodestate;

nodestate *nodestate_new(void);
void nodestate_free(nodestate **s);
nodestate *nodestate_dup(const nodestate *s);

/* Checks and copies a received Desired: revision >= 0, hashes no longer
 * than their hex length, the plan (kept only when with_plan) well formed,
 * each part the same (parts of parts, or more than NODESTATE_MAX_PARTS,
 * refused).
 * The policy text is copied as is; parsing it is the caller's job. 0 with
 * *out (owned), or -1 with *err (owned) saying what is wrong. */
int nodestate_from_desired(const Hvp__Desired *m, bool with_plan,
    nodestate **out, char **err);

/* Writes s to dir/NODESTATE_FILE atomically (private). 0, or -1 with
 * *err (owned). */
int nodestate_save(const char *dir, const nodestate *s, char **err);
/* Loads dir/NODESTATE_FILE: 0 with *out set, 1 when there is none (*out
 * NULL), -1 with *err naming the file and what is wrong with it. */
int nodestate_load(const char *dir, nodestate **out, char **err);

#endif
