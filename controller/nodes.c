/*
 * nodes.c: the controller's table of node sessions, sorted by name so a
 * lookup among a thousand nodes is a binary search. Called by peer.c,
 * push.c and control.c.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"
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
nodes_find(node_table *t, const char *name)
{
	size_t i = s_lower_bound(t, name);

	if (i < t->count && strcmp(t->items[i]->name, name) == 0)
		return t->items[i];
	return NULL;
}

node_session *
nodes_get_or_add(node_table *t, const char *name)
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

static void
s_session_free(node_session *n)
{
	free(n->name);
	free(n->cluster);
	free(n->version);
	free(n->dsgroups_hash);
	free(n->inventory_hash);
	if (n->inventory)
		hvp__inventory__free_unpacked(n->inventory, NULL);
	free(n);
}

void
nodes_release(node_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_session_free(t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

node_session *
nodes_dpm_server(server *s)
{
	if (s->policy == NULL || s->policy->dpm_server == NULL)
		return NULL;
	return nodes_find(&s->nodes, s->policy->dpm_server);
}
