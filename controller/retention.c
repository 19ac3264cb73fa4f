/*
 * retention.c: pruning old events (retention.h).
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "platform.h"
#include "server.h"
#include "store.h"
#include "xalloc.h"

#define S_DAY 86400

struct retention {
	int days;
	int64_t next_mono;
	size_t run_pruned;	/* events pruned since the run began */
	int64_t held_logged;	/* mono ms; 0: never */
};

retention *
retention_new(int days)
{
	retention *r;

	if (days <= 0)
		return NULL;
	r = xcalloc(1, sizeof *r);
	r->days = days;
	return r;
}

void
retention_poke(retention *r)
{
	if (r)
		r->next_mono = 0;
}

void
retention_free(retention **r)
{
	if (r == NULL || *r == NULL)
		return;
	free(*r);
	*r = NULL;
}

int
retention_hold(store *st, const webhook_view *views, size_t n,
    int64_t *hold, char *who, size_t wholen, char **err)
{
	*hold = INT64_MAX;
	if (wholen > 0)
		who[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		store_webhook_cursor c;
		store_event_filter f = { 0 };
		store_event *list = NULL;
		size_t k = 0;

		if (store_get_webhook_cursor(st, views[i].name, &c, err) == -1)
			return -1;
		f.after = c.delivered;
		f.types = views[i].types;
		f.statuses = views[i].statuses;
		f.limit = 1;
		if (store_list_events(st, &f, &list, &k, NULL, err) == -1)
			return -1;
		if (k == 1 && list[0].seq - 1 < *hold) {
			*hold = list[0].seq - 1;
			snprintf(who, wholen, "%s", views[i].name);
		}
		store_event_list_free(&list, k);
	}
	return 0;
}

/* The hold of the endpoints configured now. */
static int
s_hold(server *s, int64_t *hold, char *who, size_t wholen, char **err)
{
	size_t n = webhooks_count(s->hooks);
	webhook_view *v = xcalloc(n + 1, sizeof *v);
	int rc;

	for (size_t i = 0; i < n; i++)
		webhooks_view(s->hooks, i, &v[i]);
	rc = retention_hold(s->store, v, n, hold, who, wholen, err);
	free(v);
	return rc;
}

static void
s_held(retention *r, int64_t now, int64_t hold, const char *who)
{
	if (r->held_logged != 0 && now - r->held_logged < RETENTION_HELD_LOG_MS)
		return;
	r->held_logged = now;
	log_warnx("events: event %lld is older than %d day(s) but webhook %s "
	    "has not taken it; it and every later event are kept until it "
	    "does (or the endpoint leaves the config)", (long long)hold + 1,
	    r->days, who);
}

void
retention_tick(retention *r, server *s)
{
	store_prune p = { 0 };
	store_prune_result res;
	int64_t now;
	char who[128], *err = NULL;

	if (r == NULL || (now = platform_mono_ms()) < r->next_mono)
		return;
	r->next_mono = now + RETENTION_IDLE_MS;
	p.before = platform_now_ms() / 1000 - (int64_t)r->days * S_DAY;
	p.batch = RETENTION_BATCH;
	if (s_hold(s, &p.upto_max, who, sizeof who, &err) == -1 ||
	    store_prune_events(s->store, &p, &res, &err) == -1) {
		log_warnx("events: pruning: %s; trying again in %d s", err,
		    RETENTION_RETRY_MS / 1000);
		free(err);
		r->next_mono = now + RETENTION_RETRY_MS;
		return;
	}
	r->run_pruned += res.pruned;
	if (res.pruned == RETENTION_BATCH) {
		r->next_mono = now + RETENTION_BUSY_MS;
		return;
	}
	if (r->run_pruned > 0)
		log_info("events: pruned %zu event(s) older than %d day(s); the "
		    "oldest kept is numbered above %lld", r->run_pruned, r->days,
		    (long long)res.upto);
	r->run_pruned = 0;
	if (res.held)
		s_held(r, now, p.upto_max, who);
}
