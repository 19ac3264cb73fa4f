/*
 * linger.c: guests that just left a node's inventory stay in the plan
 * for a moment (linger.h).
 */
#include "linger.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "server.h"
#include "wire.h"
#include "xalloc.h"

static void
s_entry_free(linger_guest *e)
{
	free(e->node);
	if (e->guest)
		hvp__guest__free_unpacked(e->guest, NULL);
	memset(e, 0, sizeof *e);
}

void
linger_release(linger_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_entry_free(&t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

static bool
s_has_guest(const Hvp__Inventory *inv, const char *id)
{
	for (size_t i = 0; inv && i < inv->n_guests; i++)
		if (inv->guests[i]->id && strcasecmp(inv->guests[i]->id, id) == 0)
			return true;
	return false;
}

static Hvp__Guest *
s_guest_dup(const Hvp__Guest *g)
{
	uint8_t *buf;
	size_t len;
	Hvp__Guest *copy;

	if (wire_encode_message(&g->base, &buf, &len) == -1)
		return NULL;
	copy = hvp__guest__unpack(NULL, len, buf);
	free(buf);
	return copy;
}

/* Ends an older lingering of the same guest (it left one node, then
 * another): one entry per GUID, the newest. */
static void
s_forget(linger_table *t, const char *id)
{
	for (size_t i = 0; i < t->count; i++)
		if (strcasecmp(t->items[i].guest->id, id) == 0) {
			s_entry_free(&t->items[i]);
			t->items[i] = t->items[--t->count];
			return;
		}
}

void
linger_note(server *s, const char *node, const Hvp__Inventory *before,
    const Hvp__Inventory *after)
{
	linger_table *t = &s->linger;
	int64_t until = platform_mono_ms() +
	    (int64_t)LINGER_HEARTBEATS * s->heartbeat_seconds * 1000;

	for (size_t i = 0; before && i < before->n_guests; i++) {
		const Hvp__Guest *g = before->guests[i];
		Hvp__Guest *copy;

		if (g->id == NULL || *g->id == '\0' || s_has_guest(after, g->id) ||
		    (copy = s_guest_dup(g)) == NULL)
			continue;
		s_forget(t, g->id);
		xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
		t->items[t->count++] = (linger_guest){ .node = xstrdup(node),
		    .guest = copy, .until_mono = until };
		log_debug("node=%s guest %s left; kept in the plan for %d "
		    "heartbeats unless another node reports it", node, g->name,
		    LINGER_HEARTBEATS);
	}
}

static int
s_id_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

void
linger_collect(server *s, planner_guest **g, size_t *n, size_t *cap)
{
	linger_table *t = &s->linger;
	const char **ids;
	size_t nreported = *n;

	if (t->count == 0)
		return;
	ids = xcalloc(nreported + 1, sizeof *ids);
	for (size_t i = 0; i < nreported; i++)
		ids[i] = (*g)[i].id ? (*g)[i].id : "";
	qsort(ids, nreported, sizeof *ids, s_id_cmp);
	for (size_t i = 0; i < t->count; i++) {
		const Hvp__Guest *lg = t->items[i].guest;

		if (bsearch(&lg->id, ids, nreported, sizeof *ids, s_id_cmp))
			continue;	/* reported again: the report wins */
		xgrow(g, cap, *n + 1, sizeof **g);
		(*g)[(*n)++] = (planner_guest){ .name = lg->name, .id = lg->id,
		    .node = t->items[i].node,
		    .paths = (const char *const *)lg->paths,
		    .npaths = lg->n_paths, .rank = 0 };
	}
	free(ids);
}

void
linger_tick(server *s)
{
	linger_table *t = &s->linger;
	int64_t now = platform_mono_ms();
	size_t kept = 0;

	for (size_t i = 0; i < t->count; i++) {
		if (t->items[i].until_mono > now) {
			t->items[kept++] = t->items[i];
			continue;
		}
		s_entry_free(&t->items[i]);
		s->plan_dirty = true;
	}
	t->count = kept;
}
