/*
 * store.h: the controller's persistence, one SQLite file (hvpolicy.db) in
 * its data directory: policy revisions, node records (with their last
 * inventory and acknowledgements), drift records with their transition
 * log, and serialization plans. Every write is one durable transaction
 * (WAL, synchronous=FULL): when a function returns 0 the change survives
 * kill -9 and power loss. Callers: controller/main.c and the modules it
 * drives (nodes, control, planner). store.c is the only file that speaks
 * SQL; docs/store.md describes the schema and its migrations.
 *
 * Conventions: functions return 0 on success and -1 with *err set to an
 * owned message (free() it) on failure; they never exit. Lookups that find
 * nothing return 0 and set *out to NULL. Arrays returned through out
 * parameters are owned by the caller and freed with the matching _free.
 * Times are seconds since the epoch (UTC), chosen by the caller.
 */
#ifndef HVP_STORE_H
#define HVP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "plan.h"
#include "policy.h"

#define STORE_FILE_NAME "hvpolicy.db"
/* Plans older than the newest STORE_PLAN_KEEP generations are pruned. */
#define STORE_PLAN_KEEP 100

typedef struct store store;

/*
 * The event loop never waits long on another process's lock: after
 * store_open() (which waits up to 5 s), all lock waits between two calls
 * of store_tick() add up to at most STORE_BUSY_BUDGET_MS; a statement
 * that cannot get its lock then fails at once with an error ending in
 * STORE_BUSY_MESSAGE, and the caller keeps what it meant to write for
 * the next tick (or, for a read, tells the client). store_tick(), once a
 * second from the loop, also copies the write-ahead log into the main
 * file (a PASSIVE checkpoint, which waits for nobody) when anything was
 * committed, at most every STORE_CHECKPOINT_MS or when the log reaches
 * STORE_CHECKPOINT_PAGES pages; store_free() truncates the log.
 */
#define STORE_BUSY_BUDGET_MS 20
#define STORE_CHECKPOINT_MS 1000
#define STORE_CHECKPOINT_PAGES 1000
#define STORE_BUSY_MESSAGE "store busy: another process holds " \
	STORE_FILE_NAME "'s lock; try again"

#define STORE_NKINDS ((int)DRIFT_INVENTORY + 1)
#define STORE_NSTATUSES ((int)DRIFT_RESOLVED + 1)

/* What this process's store connection did (metrics). */
typedef struct store_stats {
	uint64_t commits;
	double commit_seconds_sum;	/* time spent in COMMIT (ms clock) */
	double commit_seconds_last;
	/* Drift transitions stored, by kind and status. */
	uint64_t transitions[STORE_NKINDS][STORE_NSTATUSES];
} store_stats;

void store_get_stats(const store *s, store_stats *out);

/* Opens (creating it and data_dir, mode 0700, when missing) data_dir's
 * hvpolicy.db and brings its schema up to date. Refuses a database whose
 * schema is newer than this code knows. */
store *store_open(const char *data_dir, char **err);
/* Checkpoints the log into the main file (TRUNCATE) and closes. */
void store_free(store **s);
/* Refills the lock-wait budget and checkpoints when due (see above). */
void store_tick(store *s);
const char *store_path(const store *s);		/* the database file */
/* A consistent copy of the whole store at path (a new file; an existing
 * one is replaced), made with SQLite's online backup API while the store
 * stays in use, a few pages at a time: _begin, then _step until it
 * returns 1 (0: more to copy; -1 with *err), then _end, which leaves a
 * plain (rollback-journal) database, or -1 with *err. _end with err NULL abandons the copy (the file stays:
 * remove it). */
typedef struct store_backup store_backup;
store_backup *store_backup_begin(store *s, const char *path, char **err);
int store_backup_step(store_backup *b, int pages, char **err);
int store_backup_end(store_backup **b, char **err);
/* The whole copy in one go (the four calls above). */
int store_backup_to(store *s, const char *path, char **err);
/* The schema version this program writes (docs/store.md). */
int store_schema_version(void);
/* Full integrity and foreign key check; -1 with the problems in *err. */
int store_check_integrity(store *s, char **err);

/*
 * Policy revisions, numbered 1, 2, 3, ... per cluster. Functions taking
 * a cluster (compared without case) act on that cluster's revisions; the
 * older names without one act on the default cluster: that of the newest
 * revision, which is the only one in a store of one cluster.
 */

typedef struct store_revision {
	char *cluster;		/* the cluster it is a revision of */
	int64_t revision;
	char *hash;		/* policy_hash() of the text */
	char *text;		/* canonical policy text; NULL in lists */
	int64_t applied_at;
	char *applied_by;	/* who (user or admin key name); may be NULL */
	char *source;		/* how: "apply -f x.yaml", "rollback 3"; or NULL */
	char *change_id;	/* --change-id, or NULL */
	char *message;		/* --message, or NULL */
} store_revision;

/* A new revision with its change record (strings borrowed, NULL = none).
 * Stored with its `revision` event in one transaction. */
typedef struct store_change {
	const char *cluster;	/* NULL: the text's spec.cluster */
	const char *text;	/* canonical policy text */
	const char *hash;
	const char *applied_by;
	const char *source;
	const char *change_id;
	const char *message;
	int64_t rollback_of;	/* rollback: the revision taken back; else 0 */
	int64_t applied_at;
	int64_t revision;	/* unused on input */
} store_change;

int store_add_change(store *s, const store_change *c, int64_t *revision_out,
    char **err);

/* The new revision is numbered one above both the newest stored and the
 * revision floor. */
int store_add_revision(store *s, const char *canonical_text, const char *hash,
    const char *applied_by, const char *source, int64_t applied_at,
    int64_t *revision_out, char **err);
/* The highest revision number in use: the newest stored, or above it the
 * floor learnt from nodes that hold a revision this store has not (an
 * older store file restored). */
int store_revision_floor(store *s, int64_t *floor, char **err);
int store_revision_floor_in(store *s, const char *cluster, int64_t *floor,
    char **err);
/* Raises the floor to at least `floor` (never lowers it). */
int store_raise_revision_floor(store *s, int64_t floor, char **err);
int store_raise_revision_floor_in(store *s, const char *cluster,
    int64_t floor, char **err);
/* The newest revision, or *out NULL when none was ever added. */
int store_latest_revision(store *s, store_revision **out, char **err);
int store_latest_revision_in(store *s, const char *cluster,
    store_revision **out, char **err);
/* Revision n, or *out NULL when there is none. */
int store_get_revision(store *s, int64_t n, store_revision **out, char **err);
int store_get_revision_in(store *s, const char *cluster, int64_t n,
    store_revision **out, char **err);
/* Every revision, without text, by cluster, oldest first (the _in form:
 * one cluster's; cluster NULL: every cluster's). */
int store_list_revisions(store *s, store_revision **out, size_t *n,
    char **err);
int store_list_revisions_in(store *s, const char *cluster,
    store_revision **out, size_t *n, char **err);
void store_revision_free(store_revision **r);
void store_revision_list_free(store_revision **list, size_t n);

/* Nodes: one record per node name. */
typedef struct store_node {
	char *name;
	host_role role;
	char *cluster;		/* a DPM server of several: "A,B" */
	int64_t last_seen;		/* 0 = never */
	bool online;
	int64_t acked_revision;		/* 0 = none */
	uint64_t acked_plan_generation;	/* 0 = none */
	bool converged;
	int64_t open_drift;		/* as the node last reported */
	char *dsgroups_hash;		/* dpm-server: plan hash held, or NULL */
	uint8_t *inventory;		/* serialized wire inventory, or NULL */
	size_t inventory_len;
	char *inventory_hash;		/* NULL = none */
	uint64_t last_drift_seq;	/* read only: store_add_drift_batch */
	/* A DPM server of several clusters: its acknowledgement per cluster
	 * (controller/sessions.c writes and reads the text), or NULL. */
	char *parts;
} store_node;

typedef struct store_ack {
	int64_t revision;
	uint64_t plan_generation;
	bool converged;
	int64_t open_drift;
	const char *dsgroups_hash;	/* NULL = none */
} store_ack;

/* Inserts or replaces every field of n->name's record but last_drift_seq
 * (a new node starts at 0) and, when n carries no inventory (NULL), the
 * stored inventory and its hash: a record without one never erases what
 * the store holds. */
int store_upsert_node(store *s, const store_node *n, char **err);
int store_get_node(store *s, const char *name, store_node **out, char **err);
/* Every node, sorted by name. */
int store_list_nodes(store *s, store_node **out, size_t *n, char **err);
/* These fail for a node the store does not know. store_set_node_online
 * is called when a node's liveness changes and adds a `node` event. */
int store_set_node_online(store *s, const char *name, bool online,
    int64_t last_seen, char **err);
int store_set_node_ack(store *s, const char *name, const store_ack *ack,
    char **err);
/* The same for many nodes in one transaction (one fsync): the controller
 * flushes the acknowledgements of a whole tick at once. */
int store_set_node_acks(store *s, const char *const *names,
    const store_ack *acks, size_t n, char **err);
/* The same with each node's parts (store_node.parts; parts[i] NULL:
 * none). */
int store_set_node_acks_parts(store *s, const char *const *names,
    const store_ack *acks, const char *const *parts, size_t n, char **err);
int store_set_node_inventory(store *s, const char *name, const void *blob,
    size_t len, const char *hash, char **err);
/* At controller start nothing is connected yet. */
int store_set_all_offline(store *s, char **err);
void store_node_clear(store_node *n);
void store_node_free(store_node **n);
void store_node_list_free(store_node **list, size_t n);

/*
 * Drift. A node numbers the drift records it reports 1, 2, 3, ...; a batch
 * holds records[i] with number first_seq + i, and `after`: the number the
 * node sent just before it (0: no claim, from nodes older than this
 * rule). A batch whose `after` lies above the node's last_drift_seq
 * follows something that was never stored: nothing is stored, the result
 * is STORE_DRIFT_GAP and *acked_upto says where the node must resend
 * from. Otherwise only records numbered above last_drift_seq are stored,
 * and last_drift_seq advances in the same transaction, so a batch sent
 * again (the node did not see the acknowledgement) stores nothing twice.
 * *acked_upto is the node's last_drift_seq afterwards: everything up to
 * it may leave the node's queue. Records are stored under the batch's
 * node name (the authenticated one), whatever their node field says. One
 * row per drift id holds the latest transition (status, resolvedAt,
 * action, error, receivedAt); every change of it is also appended to the
 * transition log. A record missing its id or resource is logged and
 * skipped; a gap inside a batch (records the node's journal lost) is
 * logged and accepted.
 */
#define STORE_DRIFT_GAP 1
int store_add_drift_batch(store *s, const char *node, uint64_t after,
    uint64_t first_seq, const drift_record *records, size_t n,
    uint64_t *acked_upto, char **err);
/* A record the controller makes itself (kind inventory: a guest reported
 * by two nodes); r->node names the node it concerns. Same row and log
 * rules as a node's records. */
int store_put_drift(store *s, const drift_record *r, char **err);
/* Sets node's last_drift_seq, for a node whose report queue started over
 * (rebuilt, state directory lost); fails for an unknown node. */
int store_set_drift_seq(store *s, const char *node, uint64_t seq, char **err);

typedef struct store_drift_filter {
	const char *node;	/* NULL = every node */
	/* NULL = every cluster; a record of several clusters ("A,B", a DPM
	 * server's) matches each of them */
	const char *cluster;
	int64_t since;		/* 0 = any; else stored (receivedAt) >= since */
	bool open_only;		/* status open only */
} store_drift_filter;

/* Matching drift records, ordered by detectedAt, then id; filter NULL
 * matches everything. Free with store_drift_list_free. */
int store_query_drift(store *s, const store_drift_filter *f,
    drift_record **out, size_t *n, char **err);
void store_drift_list_free(drift_record **list, size_t n);

/* Open drift records per node (nodes with none are left out), sorted by
 * node. Free with store_count_list_free. */
typedef struct store_count {
	char *name;
	int64_t count;
} store_count;

int store_open_drift_by_node(store *s, store_count **out, size_t *n,
    char **err);
void store_count_list_free(store_count **list, size_t n);
/* Open drift records by kind (indexed by drift_kind). */
int store_open_drift_by_kind(store *s, int64_t out[STORE_NKINDS],
    char **err);

/* One entry of the append-only transition log. */
typedef struct store_drift_event {
	int64_t seq;		/* controller-wide order of arrival */
	char *drift_id;
	char *node;
	uint64_t node_seq;	/* the node's number; 0 = the controller's */
	drift_status status;
	int64_t at;		/* resolvedAt, or detectedAt if not resolved */
} store_drift_event;

/* Log entries in arrival order; the filter's since applies to at and
 * open_only to status. */
int store_list_drift_events(store *s, const store_drift_filter *f,
    store_drift_event **out, size_t *n, char **err);
void store_drift_event_list_free(store_drift_event **list, size_t n);

/*
 * The event stream: every drift transition, revision, node going online
 * or offline and new serialization plan, numbered by one sequence that
 * only grows: AUTOINCREMENT never reuses a number, and a floor in `meta`
 * (raised by store_raise_event_floor from numbers clients have seen) keeps
 * an older store file restored from reusing them. Each event is written in
 * the transaction of what it records: store_add_drift_batch,
 * store_put_drift, store_add_change, store_set_node_online (when the state
 * changes) and store_save_plan (a new generation).
 */
typedef struct store_event {
	int64_t seq;
	char *cluster;		/* the cluster it concerns ("A,B": a DPM
				 * server's clusters), or NULL */
	char *type;		/* drift, revision, node, plan */
	int64_t at;		/* seconds, the controller's clock */
	char *node;		/* the node it concerns, or NULL */
	char *data;		/* JSON object of the type's fields, or NULL */
	char *summary;		/* one line for tables (not drift), or NULL */
	bool has_drift;		/* type drift: the record at this transition */
	drift_record drift;
} store_event;

typedef struct store_event_filter {
	int64_t after;		/* events numbered above this */
	const char *type;	/* NULL = every type */
	const char *node;	/* NULL = every node */
	const char *types;	/* ",drift,plan,": one of these; NULL = any */
	const char *statuses;	/* ",open,failed,": drift events with one of
				 * these statuses (others pass); NULL = any */
	const char *cluster;	/* NULL = every cluster */
	size_t limit;		/* 0 = 1000 */
} store_event_filter;

/* Matching events in order. *upto: the number up to which the stream was
 * looked at (the last one returned when the limit was reached, else the
 * newest committed): a follower asks next for events after it. */
int store_list_events(store *s, const store_event_filter *f,
    store_event **out, size_t *n, int64_t *upto, char **err);
/* The highest event number committed (or the floor); no SQL. */
int64_t store_last_event(const store *s);
/* Raises the floor so the next event is numbered above seq (a client saw
 * seq: this store may be older than the one that numbered it). */
int store_raise_event_floor(store *s, int64_t seq, char **err);
/* How many events match (limit ignored). */
int store_count_events(store *s, const store_event_filter *f, int64_t *n,
    char **err);
void store_event_clear(store_event *e);

/* Webhook delivery: per endpoint name, the last event delivered (the
 * outbox of an endpoint is every matching event after it) and counters.
 * An endpoint never seen reads as all zero. The cursor never goes back. */
typedef struct store_webhook_cursor {
	int64_t delivered;
	int64_t deliveries;
	int64_t failures;
} store_webhook_cursor;

int store_get_webhook_cursor(store *s, const char *endpoint,
    store_webhook_cursor *out, char **err);
int store_set_webhook_cursor(store *s, const char *endpoint,
    const store_webhook_cursor *c, char **err);
void store_event_list_free(store_event **list, size_t n);

/* Takes a node out of the store (hvpolicy forget): its record and
 * inventory go, resolved[0..n) (its open drift records, now resolved)
 * are stored, and a `node` event says it was forgotten, in one
 * transaction. Its drift history stays. An unknown node is an error. */
int store_forget_node(store *s, const char *name, const drift_record *resolved,
    size_t n, int64_t at, char **err);

/*
 * Lingering guests (linger.h): guests that left a node's inventory and
 * that no node reports yet, kept in the plan for a while; stored so that
 * a restarted controller keeps them too. The controller writes the whole
 * set (a few rows) each time it changes, in one transaction.
 */
typedef struct store_lingering {
	char *id;		/* GUID as reported (one row each) */
	char *node;		/* the node it left */
	uint8_t *guest;		/* its last report: a serialized wire Guest */
	size_t guest_len;
	int64_t left_at;	/* wall clock, seconds */
} store_lingering;

int store_replace_lingering(store *s, const store_lingering *rows, size_t n,
    char **err);
/* Every stored row, by id; free with store_lingering_list_free. */
int store_list_lingering(store *s, store_lingering **out, size_t *n,
    char **err);
void store_lingering_list_free(store_lingering **list, size_t n);

/*
 * Event retention (docs/events.md, "Retention"). store_prune_events
 * deletes, in one transaction, a prefix of the oldest events: at most
 * `batch` of them, each stored (its `at`) before `before` and numbered at
 * most `upto_max` (the caller's hold: events a webhook endpoint has not
 * taken yet), stopping at the first event that is not; the drift
 * transitions those events show go with them. Drift records (the drift
 * report) and webhook cursors stay. Numbers are never reused: the
 * sequence's record survives the deletes, and `meta.events_pruned` keeps
 * the highest number pruned (store_events_pruned, 0: none), so a reader
 * asking for events after an older number can be told they are gone.
 */
typedef struct store_prune {
	int64_t before;		/* seconds: events stored earlier may go */
	int64_t upto_max;	/* none numbered above this goes */
	size_t batch;		/* at most this many in one call (>= 1) */
} store_prune;

typedef struct store_prune_result {
	size_t pruned;		/* events deleted by this call */
	int64_t upto;		/* store_events_pruned() afterwards */
	bool held;		/* upto_max stopped it at an event old enough
				 * to go */
} store_prune_result;

int store_prune_events(store *s, const store_prune *p,
    store_prune_result *out, char **err);
int64_t store_events_pruned(const store *s);

/*
 * Serialization plans, one per generation, stored as rows (groups, their
 * CSVs and guests, unplanned guests) so they load back without a parser.
 * Saving a generation already stored with the same hash does nothing;
 * with another hash, or a generation older than the newest, fails.
 */
typedef struct store_plan_info {
	uint64_t generation;
	char hash[PLAN_HASH_HEX + 1];
	int64_t saved_at;
} store_plan_info;

/* Generations are numbered across every cluster of the store (a new
 * plan of any cluster is numbered above every stored one), so one
 * number names one plan; each cluster keeps its newest STORE_PLAN_KEEP.
 * The forms without a cluster act on the default cluster (above). */
int store_save_plan(store *s, const plan *p, int64_t saved_at, char **err);
int store_save_plan_in(store *s, const char *cluster, const plan *p,
    int64_t saved_at, char **err);
/* The newest plan, or *out NULL when none was saved. Free with plan_free. */
int store_load_latest_plan(store *s, plan **out, char **err);
int store_load_latest_plan_in(store *s, const char *cluster, plan **out,
    char **err);
/* The highest generation stored (0: none). */
int store_newest_plan_generation(store *s, uint64_t *generation,
    char **err);
/* That generation, or *out NULL when it is not (or no longer) stored. */
int store_load_plan(store *s, uint64_t generation, plan **out, char **err);
/* Stored generations, oldest first; free(*out). */
int store_list_plans(store *s, store_plan_info **out, size_t *n, char **err);
int store_list_plans_in(store *s, const char *cluster, store_plan_info **out,
    size_t *n, char **err);

#endif
