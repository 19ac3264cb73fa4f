/*
 * sessions.c: the controller's table of node sessions (sessions.h).
 */
#include "sessions.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dpmparts.h"
#include "log.h"
#include "wire.h"
#include "xalloc.h"

static size_t
s_lower_bound(const node_table *t, const char *name)
{
	size_t lo = 0, hi = t->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->items[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

node_session *
sessions_find(const node_table *t, const char *name)
{
	size_t i = s_lower_bound(t, name);

	if (i < t->count && strcmp(t->items[i]->name, name) == 0)
		return t->items[i];
	return NULL;
}

node_session *
sessions_get_or_add(node_table *t, const char *name)
{
	size_t i = s_lower_bound(t, name);
	node_session *n;

	if (i < t->count && strcmp(t->items[i]->name, name) == 0)
		return t->items[i];
	xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
	memmove(&t->items[i + 1], &t->items[i],
	    (t->count - i) * sizeof *t->items);
	n = xcalloc(1, sizeof *n);
	n->name = xstrdup(name);
	t->items[i] = n;
	t->count++;
	return n;
}

void
sessions_set_inventory(node_session *n, invdigest *d)
{
	invdigest_free(&n->inventory);
	n->inventory = d;
}

void
sessions_set_unstored(node_session *n, const uint8_t *buf, size_t len)
{
	free(n->inventory_unstored);
	n->inventory_unstored = NULL;
	n->inventory_unstored_len = 0;
	if (buf == NULL)
		return;
	n->inventory_unstored = xmalloc(len ? len : 1);
	memcpy(n->inventory_unstored, buf, len);
	n->inventory_unstored_len = len;
}

static void
s_session_free(node_session *n)
{
	free(n->name);
	free(n->cluster);
	dpmparts_clear(n);
	free(n->version);
	free(n->dsgroups_hash);
	free(n->inventory_hash);
	invdigest_free(&n->inventory);
	free(n->inventory_unstored);
	free(n);
}

void
sessions_remove(node_table *t, const char *name)
{
	size_t i = s_lower_bound(t, name);

	if (i >= t->count || strcmp(t->items[i]->name, name) != 0)
		return;
	s_session_free(t->items[i]);
	memmove(&t->items[i], &t->items[i + 1],
	    (t->count - i - 1) * sizeof *t->items);
	t->count--;
}

void
sessions_release(node_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_session_free(t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

bool
sessions_clock_off(const node_session *n)
{
	return n->has_clock &&
	    llabs(n->clock_skew_ms) > SESSIONS_MAX_CLOCK_SKEW_MS;
}

int
sessions_send(void *router, const node_session *n, const Hvp__Envelope *e)
{
	if (n->rid.len == 0 || wire_send(router, e, &n->rid) == -1) {
		log_debug("node=%s send failed (will retry)", n->name);
		return -1;
	}
	return 0;
}

void
sessions_send_body(void *router, const wire_rid *rid,
    Hvp__Envelope__BodyCase body_case, void *body)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;

	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = body_case;
	/* All bodies share the oneof's storage. */
	e.hello = body;
	wire_send(router, &e, rid);
}
