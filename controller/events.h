/*
 * events.h: the event stream served to admin clients: `hvpolicy events`
 * and `hvpolicy drift --follow`. Renders the store's events as JSON
 * ({"seq", "time", "type", "cluster", ...}), JSON lines or table lines.
 * With long_poll (--follow) the controller holds the request until an
 * event after the client's number exists, or EVENTS_HOLD_MS passes (the
 * model of progress.c); every answer says up to which number the client
 * has seen the stream, so the next request resumes exactly there. Called
 * by control.c (requests) and main.c's loop (events_tick).
 */
#ifndef HVP_EVENTS_H
#define HVP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "json.h"
#include "reply.h"

#define EVENTS_HOLD_MS 5000
#define EVENTS_BATCH 500		/* per answer to a follower */
#define EVENTS_MAX_REPLY 10000	/* per answer to `events` */

struct server;
struct store_event;

typedef struct events_wait {
	reply_to client;	/* user NULL */
	int64_t after;
	char *type;		/* NULL: every type */
	char *node;		/* NULL: every node */
	char *cluster;		/* NULL: every cluster */
	char *format;
	bool drift_records;
	bool continued;
	bool follow;		/* long poll: answers in batches */
	int64_t deadline_mono;
} events_wait;

typedef struct events_table {
	events_wait *items;
	size_t count, cap;
} events_table;

/* Writes one event as a JSON object. */
void events_json(const char *cluster, const struct store_event *e,
    jsonw *j);
/* Answers q now, or holds it (long_poll) until an event after q->after
 * (-1: after the newest now) matches. */
void events_request(struct server *s, const reply_to *c,
    const Hvp__AdminRequest *q);
/* Answers the held requests that have news or whose time is up. */
void events_tick(struct server *s);
void events_release(events_table *t);

#endif
