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

/* ---- inventories, decoded into an arena ---- */

#define S_ARENA_MIN 1024u

/* Chunks of memory handed out in order and freed together. */
typedef struct s_chunk {
	struct s_chunk *next;
	size_t size, used;
	max_align_t data[];
} s_chunk;

struct sessions_arena {
	s_chunk *head;
	size_t hint;		/* size of the next chunk */
};

static void *
s_arena_alloc(void *data, size_t size)
{
	struct sessions_arena *a = data;
	s_chunk *c = a->head;
	size_t need = (size + sizeof(max_align_t) - 1) &
	    ~(sizeof(max_align_t) - 1);

	if (c == NULL || c->size - c->used < need) {
		size_t sz = need > a->hint ? need : a->hint;

		c = xmalloc(sizeof *c + sz);
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->hint = S_ARENA_MIN;
	}
	c->used += need;
	return (char *)c->data + c->used - need;
}

static void
s_arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;	/* freed with the whole arena */
}

void
sessions_clear_inventory(node_session *n)
{
	struct sessions_arena *a = n->inventory_arena;

	while (a && a->head) {
		s_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	free(a);
	n->inventory_arena = NULL;
	n->inventory = NULL;
}

int
sessions_set_inventory(node_session *n, const uint8_t *buf, size_t len)
{
	struct sessions_arena *a = xcalloc(1, sizeof *a);
	ProtobufCAllocator al = { s_arena_alloc, s_arena_free, a };

	sessions_clear_inventory(n);
	/* The decoded form takes about three times the encoded size: one
	 * chunk of that holds it, mostly. */
	a->hint = len * 3 + 256;
	n->inventory = hvp__inventory__unpack(&al, len, buf);
	n->inventory_arena = a;
	if (n->inventory == NULL) {
		sessions_clear_inventory(n);
		return -1;
	}
	return 0;
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
	sessions_clear_inventory(n);
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
