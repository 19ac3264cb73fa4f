/*
 * progress.h: `apply --wait`. The CLI asks how many nodes hold a revision
 * and have finished applying it; with long_poll the controller holds the
 * answer until that number differs from the one the client last saw (or
 * up to PROGRESS_HOLD_MS), so the client learns of the last node's
 * convergence the moment it happens, with no polling interval added.
 * Online nodes of the revision's cluster are waited for; offline ones are
 * named and do not block, unless wait_all. Called by control.c (requests) and main.c's loop.
 */
#ifndef HVP_PROGRESS_H
#define HVP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "reply.h"

#define PROGRESS_HOLD_MS 1000

struct server;

typedef struct progress_wait {
	reply_to client;	/* user NULL */
	const struct cluster_state *cluster;	/* the revision's */
	int64_t revision;
	bool wait_all;
	uint32_t seen;
	int64_t deadline_mono;
} progress_wait;

typedef struct progress_table {
	progress_wait *items;
	size_t count, cap;
} progress_table;

/* Answers q now, or holds it (long_poll) until the count changes. */
void progress_request(struct server *s, const reply_to *c,
    const Hvp__AdminRequest *q);
/* Answers the held requests whose count changed or whose time is up. */
void progress_tick(struct server *s);
void progress_release(progress_table *t);

#endif
