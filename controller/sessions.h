/*
 * sessions.h: the controller's table of node sessions, what it knows of
 * each node (role, acknowledgements, last inventory, liveness), kept
 * sorted by name so a lookup among thousands of nodes is a binary search.
 * The table also owns the send to a node: every module that talks to a
 * node goes through sessions_send(). Called by peer.c, push.c, dryrun.c,
 * restore.c, control.c and diagnose.c.
 */
#ifndef HVP_SESSIONS_H
#define HVP_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "invdigest.h"
#include "policy.h"
#include "wire.h"

/* A DPM server of several clusters: what it holds of one (dpmparts.h). */
typedef struct node_part {
	char *cluster;
	int64_t revision;
	uint64_t generation;
	char *dsgroups_hash;	/* its part of the file, or NULL */
} node_part;

typedef struct node_session {
	char *name;
	wire_rid rid;		/* the connection it last spoke on (len 0: none) */
	host_role role;
	char *cluster;		/* a DPM server of several: "A,B" */
	/* A DPM server of several clusters (its host file's clusters:):
	 * those it protects; none (0) for a node of one cluster. */
	char **clusters;
	size_t nclusters;
	node_part *parts;	/* what it acknowledged of each */
	size_t nparts;
	char *version;		/* the node's software version (Hello) */
	bool online;
	int64_t last_seen;	/* wall clock, seconds */
	int64_t last_seen_mono;	/* ms */
	int64_t acked_revision;
	uint64_t acked_plan_generation;
	bool converged;
	uint32_t open_drift;
	bool ack_dirty;		/* acknowledgement not yet in the store */
	bool store_pending;	/* record or inventory not yet in the store */
	bool liveness_unstored;	/* online/offline and its event not yet
				 * in the store (peer.c stores it later) */
	char *dsgroups_hash;	/* dpm-server: what it holds */
	/* Last reported, digested (invdigest.h); read only. */
	invdigest *inventory;
	/* The encoded inventory while the store has not taken it (then
	 * store_pending is set too). */
	uint8_t *inventory_unstored;
	size_t inventory_unstored_len;
	char *inventory_hash;
	uint64_t inventory_rank;	/* when taken (ms): newest owns a guest */
	int64_t current_mono;	/* when this process last heard it with its
				 * current inventory (0: not yet) */
	bool has_clock;		/* the node reported its clock */
	int64_t clock_skew_ms;	/* node's clock minus ours */
	int64_t desired_sent_mono;	/* 0: nothing in flight */
	int64_t desired_sent_revision;
	uint64_t desired_sent_generation;
} node_session;

typedef struct node_table {
	node_session **items;	/* sorted by name */
	size_t count;
	size_t cap;
} node_table;

/* A node whose clock is further off ours than this is flagged (status). */
#define SESSIONS_MAX_CLOCK_SKEW_MS (120 * 1000)

/* n's inventory becomes d (owned; the old one is freed; NULL: none). */
void sessions_set_inventory(node_session *n, invdigest *d);
/* The inventory the store could not take (a copy of buf; NULL: the store
 * holds n's inventory). */
void sessions_set_unstored(node_session *n, const uint8_t *buf, size_t len);

/* Whether n reported a clock off by more than SESSIONS_MAX_CLOCK_SKEW_MS. */
bool sessions_clock_off(const node_session *n);
node_session *sessions_find(const node_table *t, const char *name);
node_session *sessions_get_or_add(node_table *t, const char *name);
/* Frees name's session (nothing when there is none): pointers to it end. */
void sessions_remove(node_table *t, const char *name);
void sessions_release(node_table *t);
/* Sends e to node n over the node socket (ROUTER, routing id = name).
 * -1 when it cannot be sent now (the node is not connected); the caller's
 * state-based retry sends it again. */
int sessions_send(void *router, const node_session *n, const Hvp__Envelope *e);
/* Sends a body to a connection that may have no session (refusals). */
void sessions_send_body(void *router, const wire_rid *rid,
    Hvp__Envelope__BodyCase body_case, void *body);

#endif
