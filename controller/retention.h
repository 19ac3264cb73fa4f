/*
 * retention.h: event retention (eventRetentionDays; docs/events.md,
 * "Retention"). Once a minute, and every second while there is more to
 * do, the loop's tick prunes one batch of events older than the
 * retention, oldest first, with the drift transitions they show
 * (store_prune_events), so the store stops growing without a pause in
 * the loop. An event some configured webhook endpoint has not taken yet
 * is never pruned, nor any after it. Called by main.c (new, tick, free).
 */
#ifndef HVP_RETENTION_H
#define HVP_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "webhooks.h"

#define RETENTION_BATCH 500
#define RETENTION_IDLE_MS 60000		/* between checks when done */
#define RETENTION_BUSY_MS 1000		/* between batches while behind */
#define RETENTION_RETRY_MS 5000		/* after a prune the store refused
					 * (busy, full) */
#define RETENTION_HELD_LOG_MS 3600000	/* "held by a webhook" at most */

struct server;
struct store;

typedef struct retention retention;

/* NULL for days 0 (keep every event). */
retention *retention_new(int days);
void retention_tick(retention *r, struct server *s);
/* Checks at the next tick (the webhooks changed). */
void retention_poke(retention *r);
void retention_free(retention **r);

/* The highest event number that may be pruned for the endpoints in
 * views: below the first matching event after each one's stored cursor
 * (INT64_MAX when none waits). who: the endpoint that holds it back most
 * (name copied, "" for none). -1 with *err when the store cannot say
 * (then nothing may go). */
int retention_hold(struct store *st, const webhook_view *views, size_t n,
    int64_t *hold, char *who, size_t wholen, char **err);

#endif
