/*
 * conflicts.h: guests that two nodes report at once. For a moment that is
 * a live migration in flight, a normal state: the planner keeps such a
 * guest in the plan once, in the group its CSVs give. When it lasts past
 * CONFLICTS_GRACE_HEARTBEATS heartbeats, or the two reports disagree on
 * the guest's CSVs, it becomes an `inventory` drift record (made by the
 * controller, under the first reporting node), which goes to `resolved`
 * when only one node reports the guest again. One table per cluster
 * (clusters.h). Called by push.c after every replan, by peer.c's tick,
 * and by restore.c at start.
 */
#ifndef HVP_CONFLICTS_H
#define HVP_CONFLICTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "planner.h"

#define CONFLICTS_GRACE_HEARTBEATS 2

struct server;
struct cluster_state;

typedef struct conflict_entry {
	char *id;		/* guest GUID, lowercase */
	char *resource;		/* "guest NAME (GUID)" */
	char *nodes;		/* "HV01, HV02" */
	char *first_node;
	bool same_csvs;
	bool present;		/* in the newest plan's conflicts */
	int64_t since_mono;	/* first seen by this process */
	char *drift_id;		/* NULL until reported as drift */
	int64_t detected_at;
} conflict_entry;

typedef struct conflict_table {
	conflict_entry *items;
	size_t count, cap;
} conflict_table;

/* The conflicts of cluster cl's newest plan: new ones are remembered,
 * gone ones resolved. */
void conflicts_update(struct server *s, struct cluster_state *cl,
    const planner_conflict *c, size_t n);
/* Reports those that lasted past the grace period, in every cluster. */
void conflicts_tick(struct server *s);
/* Takes the open inventory drift records of an earlier run back. */
int conflicts_restore(struct server *s, char **err);
void conflicts_release(conflict_table *t);

#endif
