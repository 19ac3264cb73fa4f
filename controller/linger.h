/*
 * linger.h: guests that left a node's inventory stay in the plan until
 * the cluster has had its say. During a live migration the source node
 * may report the guest gone before the target reports it arrived; after
 * a controller restart the source's fresh inventory may come long before
 * the target's (a node reconnects with back-off, up to 30 s); a guest may
 * move to a node whose daemon is down. Planning at once would rewrite
 * the DPM server's DataSourceGroups.xml without a guest some host still
 * runs. So a guest that leaves an inventory, and that no node reports
 * any more, is planned from its last report until both:
 * - LINGER_HEARTBEATS heartbeats have passed since it left, and
 * - every Hyper-V node of its cluster has been heard with its current
 *   inventory since it left (a Hello, an inventory, or a heartbeat naming
 *   the inventory held);
 * or at the latest LINGER_MAX_SECONDS after it left (a node whose daemon
 * stays down, or that was taken out of the cluster, holds nothing back
 * for longer). A report of it from any node plans it from that report
 * instead. A deleted guest therefore leaves the file a few seconds late
 * (up to LINGER_MAX_SECONDS while a node is offline), never a running
 * one early. The set is stored (store_replace_lingering) before the
 * inventory that made it, so that a restarted controller keeps it; a
 * restored guest waits for every Hyper-V node to be heard by the new
 * process. Called by peer.c (inventories, tick), push.c (planning) and
 * restore.c (start).
 */
#ifndef HVP_LINGER_H
#define HVP_LINGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "invdigest.h"
#include "planner.h"

#define LINGER_HEARTBEATS 3
#define LINGER_MAX_SECONDS (60 * 60)

struct server;

typedef struct linger_guest {
	char *node;
	char *name;		/* of its last report */
	char *id;
	planner_digest digest;	/* its CSVs, or why it cannot be planned */
	int64_t left_mono;	/* when it left (or this process started) */
	int64_t left_at;	/* when it left, wall clock, seconds */
} linger_guest;

typedef struct linger_table {
	linger_guest *items;
	size_t count, cap;
	bool unstored;		/* the store does not hold this set yet */
} linger_table;

/* Node's inventory changes from before to after (either may be NULL):
 * its guests that are gone linger. The set is stored at once; false
 * when the store could not take it (then the caller must not store the
 * inventory either: linger_tick stores the set again first). */
bool linger_note(struct server *s, const char *node,
    const invdigest *before, const invdigest *after);
/* Appends to g[0..*n) (growing it, *cap its capacity) the lingering
 * guests whose GUID no entry of g has; ranked below every report. */
void linger_collect(struct server *s, planner_guest **g, size_t *n,
    size_t *cap);
/* Drops those whose time is over (the plan is then recomputed) and
 * stores the set again when it changed or was not stored. */
void linger_tick(struct server *s);
/* Whether the store holds the set as it is in memory. */
bool linger_stored(const struct server *s);
/* Loads the stored set at start (after the nodes: it reads s->nodes). */
int linger_restore(struct server *s, char **err);
void linger_release(linger_table *t);

#endif
