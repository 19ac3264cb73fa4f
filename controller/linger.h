/*
 * linger.h: guests that just left a node's inventory stay in the plan for
 * a moment. During a live migration the source node may report the guest
 * gone before the target reports it arrived; after a controller restart
 * the source's fresh inventory may come before the target's. Planning at
 * once would rewrite the DPM server's DataSourceGroups.xml without a
 * guest some host still runs. So a guest that leaves an inventory, and
 * that no node reports any more, is planned from its last report for
 * LINGER_HEARTBEATS heartbeats; a report of it from any node ends that at
 * once. A deleted guest therefore leaves the file a few seconds late,
 * never a running one early. Called by peer.c (inventories), push.c
 * (planning) and peer.c's tick.
 */
#ifndef HVP_LINGER_H
#define HVP_LINGER_H

#include <stddef.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "planner.h"

#define LINGER_HEARTBEATS 3

struct server;

typedef struct linger_guest {
	char *node;
	Hvp__Guest *guest;	/* owned copy of its last report */
	int64_t until_mono;
} linger_guest;

typedef struct linger_table {
	linger_guest *items;
	size_t count, cap;
} linger_table;

/* Node's inventory changes from before to after (either may be NULL):
 * its guests that are gone linger. */
void linger_note(struct server *s, const char *node,
    const Hvp__Inventory *before, const Hvp__Inventory *after);
/* Appends to g[0..*n) (growing it, *cap its capacity) the lingering
 * guests whose GUID no entry of g has; ranked below every report. */
void linger_collect(struct server *s, planner_guest **g, size_t *n,
    size_t *cap);
/* Drops those past their time (the plan is then recomputed). */
void linger_tick(struct server *s);
void linger_release(linger_table *t);

#endif
