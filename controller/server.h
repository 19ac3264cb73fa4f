/*
 * server.h: the controller's state, passed explicitly to every controller
 * module (no globals): sockets, the store, the current policy revision and
 * serialization plan, and the table of node sessions. main.c owns it;
 * peer.c (node traffic), push.c (desired state and planning), control.c
 * (admin requests) and nodes.c (session table) act on it.
 */
#ifndef HVP_SERVER_H
#define HVP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "hvpolicy.pb-c.h"
#include "plan.h"
#include "platform.h"
#include "policy.h"

struct store;
struct zap;

typedef struct node_session {
	char *name;
	host_role role;
	char *cluster;
	char *version;		/* the node's software version (Hello) */
	bool online;
	int64_t last_seen;	/* wall clock, seconds */
	int64_t last_seen_mono;	/* ms */
	int64_t acked_revision;
	uint64_t acked_plan_generation;
	bool converged;
	uint32_t open_drift;
	bool ack_dirty;		/* acknowledgement not yet in the store */
	char *dsgroups_hash;	/* dpm-server: what it holds */
	Hvp__Inventory *inventory;	/* last reported, decoded, owned */
	char *inventory_hash;
	int64_t desired_sent_mono;	/* 0: nothing in flight */
	int64_t desired_sent_revision;
	uint64_t desired_sent_generation;
} node_session;

typedef struct node_table {
	node_session **items;	/* sorted by name */
	size_t count;
	size_t cap;
} node_table;

/* A `hvpolicy plan` waiting for nodes' dry-run answers. */
typedef struct dryrun_wait {
	bool active;
	uint64_t request;
	char *client;		/* control socket routing id (owned) */
	size_t client_len;
	void *socket;		/* which admin socket asked */
	char *format;
	uint32_t width;		/* table columns asked for (0: full) */
	char **waiting;		/* node names still to answer */
	size_t nwaiting;
	Hvp__DryRunResult **results;
	char **result_nodes;
	size_t nresults;
	int64_t deadline_mono;
} dryrun_wait;

typedef struct server {
	const config_values *cfg;
	const char *cluster;
	bool insecure;
	int heartbeat_seconds;
	void *zctx;
	void *router;		/* node traffic */
	void *control;		/* local admin socket */
	void *admin;		/* remote admin over CURVE, or NULL */
	struct zap *zap;
	struct store *store;
	/* Current policy: revision 0 means none applied yet. */
	int64_t revision;
	char *policy_text;
	char policy_hash[POLICY_HASH_HEX + 1];
	policy *policy;
	plan *plan;		/* NULL until a node reported guests */
	bool plan_dirty;	/* inventories changed: replan at next tick */
	node_table nodes;
	dryrun_wait dryrun;
	uint64_t next_request;
	platform_signal_flags signals;
} server;

/* nodes.c */
node_session *nodes_find(node_table *t, const char *name);
node_session *nodes_get_or_add(node_table *t, const char *name);
void nodes_release(node_table *t);
/* The DPM server named by the policy, if it has a session. */
node_session *nodes_dpm_server(server *s);

/* push.c */
/* What node n should hold: the revision and, for the DPM server with
 * perCsv, the plan generation (0 otherwise). */
void push_wanted(const server *s, const node_session *n, int64_t *revision,
    uint64_t *generation);
bool push_node_converged(const server *s, const node_session *n);
/* Sends Desired when the node is behind and nothing is in flight (or the
 * in-flight one timed out); force sends regardless. */
void push_desired(server *s, node_session *n, bool force);
void push_all(server *s);
/* Recomputes the plan from every node's last inventory; stores and pushes
 * it when its content changed. */
void push_replan(server *s);
/* Loads policy revision, plan and node records from the store. */
int push_restore(server *s, char **err);
/* Sets the current policy (after it was stored as `revision`). */
int push_set_policy(server *s, int64_t revision, const char *text, char **err);
/* Expected hash of the DPM server's file under the current plan ("" when
 * the file is not managed). */
const char *push_expected_file_hash(const server *s, char out[65]);

/* peer.c */
void peer_handle(server *s);		/* one message on the ROUTER */
/* Acts on one decoded message from node `name` (already authenticated). */
void peer_dispatch(server *s, const char *name, const Hvp__Envelope *e);
void peer_tick(server *s);		/* liveness, re-sends */
/* Stores every acknowledgement received since the last flush, in one
 * transaction. Called by peer_tick and at shutdown. */
void peer_flush_acks(server *s);
int peer_send(server *s, const node_session *n, const Hvp__Envelope *e);

/* control.c */
void control_handle(server *s, void *socket);	/* one admin request */
/* Acts on one request's payload; the reply goes to rid on socket. remote:
 * it came over the CURVE admin port from admin key `user`. */
void control_request(server *s, void *socket, const void *rid,
    size_t rid_len, const char *user, const void *data, size_t len);
void control_dryrun_result(server *s, const char *node,
    const Hvp__DryRunResult *r);
void control_tick(server *s);		/* dry-run deadlines */

#endif
