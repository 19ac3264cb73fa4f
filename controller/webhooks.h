/*
 * webhooks.h: delivering events to the endpoints of `webhooks:` (config
 * in hookconf.h). Each endpoint has its own worker thread with its own
 * store connection and libcurl handle, so a slow or dead endpoint never
 * holds up the controller's loop or another endpoint. Its outbox is the
 * durable event stream itself: every matching event after the endpoint's
 * cursor (store table webhook_cursors), which advances only after a 2xx
 * answer. Delivery is therefore at least once and in order per endpoint,
 * across controller crashes; a failure waits 1, 2, 4, ... seconds up to
 * the endpoint's cap before the same event is tried again. A reload
 * (SIGHUP) keeps the workers of unchanged endpoints running untouched,
 * stops those of removed ones, and replaces those of changed ones (a
 * new worker starts once the old one has ended, so one endpoint name
 * never has two). Called by main.c (start, reload, notify after each
 * loop pass, stop), control.c (status), metrics.c and retention.c.
 */
#ifndef HVP_WEBHOOKS_H
#define HVP_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "hookconf.h"

struct store;

typedef struct webhooks webhooks;

/* What status and metrics show of one endpoint. */
typedef struct webhook_view {
	const char *name;	/* borrowed from the config */
	const char *url;
	const char *types;	/* ",drift," or NULL */
	const char *statuses;
	int64_t delivered;	/* the cursor: last event delivered */
	int64_t deliveries;	/* successful requests, ever */
	int64_t failures;	/* failed attempts, ever */
	int attempt;		/* failed tries of the current event */
	char last_error[160];	/* of the newest failure, or "" */
} webhook_view;

/* Starts one worker per endpoint (takes ownership of list; n may be 0).
 * Each opens data_dir's store itself. NULL with *err when a worker cannot
 * start. */
webhooks *webhooks_start(const char *data_dir, const char *cluster,
    hook_endpoint *list, size_t n, char **err);

typedef struct webhooks_reload_counts {
	size_t kept, added, changed, removed;
} webhooks_reload_counts;

/* Makes list (taken) the configured endpoints, matched to the running
 * ones by name: unchanged (every key and the secret the same) go on as
 * they are; changed and removed ones are stopped without waiting (a
 * request in flight is abandoned within about a second: its event is
 * sent again, same id, by the replacement); new and changed ones start
 * at their stored cursors. Never blocks on a worker. */
void webhooks_reload(webhooks *w, hook_endpoint *list, size_t n,
    webhooks_reload_counts *c);
/* Wakes the workers (the stream has events up to top), logs what they
 * left to log, frees stopped workers and starts replacements. From the
 * loop, every pass. */
void webhooks_notify(webhooks *w, int64_t top);
size_t webhooks_count(const webhooks *w);
/* A consistent copy of endpoint i's state. */
void webhooks_view(webhooks *w, size_t i, webhook_view *out);
/* Stops the workers (an attempt in flight is abandoned within about a
 * second) and waits for them. */
void webhooks_stop(webhooks **w);

#endif
