/*
 * clusters.c: the clusters one controller holds (clusters.h).
 */
#include "clusters.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "push.h"
#include "server.h"
#include "store.h"
#include "strbuf.h"
#include "xalloc.h"

static cluster_state *
s_add(cluster_table *t, const char *name)
{
	cluster_state *c = xcalloc(1, sizeof *c);

	c->name = xstrdup(name);
	t->items = xrealloc(t->items, (t->count + 1) * sizeof *t->items);
	t->items[t->count++] = c;
	return c;
}

/* The newest revision of c becomes its current policy. */
static int
s_restore_policy(server *s, cluster_state *c, char **err)
{
	store_revision *rev = NULL;
	diag_list d;
	policy *p;

	if (store_latest_revision_in(s->store, c->name, &rev, err) == -1)
		return -1;
	if (rev == NULL)
		return 0;
	diag_list_init(&d);
	p = policy_parse("<stored revision>", rev->text, strlen(rev->text), &d);
	if (p == NULL) {
		char *why = diag_join(&d);

		*err = xasprintf("cluster %s revision %lld: %s", c->name,
		    (long long)rev->revision, why);
		free(why);
		diag_list_release(&d);
		store_revision_free(&rev);
		return -1;
	}
	diag_list_release(&d);
	push_set_policy(s, c, rev->revision, p, rev->text);
	rev->text = NULL;
	store_revision_free(&rev);
	return 0;
}

int
clusters_restore(server *s, char **err)
{
	clusters_release(&s->clusters);
	if (s->cluster_names)
		for (size_t i = 0; s->cluster_names[i]; i++)
			s_add(&s->clusters, s->cluster_names[i]);
	else if (s->cluster)
		s_add(&s->clusters, s->cluster);
	for (size_t i = 0; i < s->clusters.count; i++) {
		cluster_state *c = s->clusters.items[i];

		if (s_restore_policy(s, c, err) == -1 ||
		    store_load_latest_plan_in(s->store, c->name, &c->plan,
		    err) == -1 ||
		    store_revision_floor_in(s->store, c->name,
		    &c->revision_floor, err) == -1)
			return -1;
		c->plan_dirty = true;
	}
	return store_newest_plan_generation(s->store, &s->plan_generation_top,
	    err);
}

static void
s_free(cluster_state *c)
{
	free(c->name);
	free(c->policy_text);
	policy_free(&c->policy);
	plan_free(&c->plan);
	conflicts_release(&c->conflicts);
	free(c);
}

void
clusters_release(cluster_table *t)
{
	for (size_t i = 0; i < t->count; i++)
		s_free(t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

cluster_state *
clusters_find(const server *s, const char *name)
{
	for (size_t i = 0; name && i < s->clusters.count; i++)
		if (strcasecmp(s->clusters.items[i]->name, name) == 0)
			return s->clusters.items[i];
	return NULL;
}

char *
clusters_list(const server *s)
{
	strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < s->clusters.count; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "",
		    s->clusters.items[i]->name);
	return strbuf_detach(&sb, NULL);
}

bool
clusters_node_in(const node_session *n, const cluster_state *c)
{
	if (n->nclusters == 0)
		return n->cluster && strcasecmp(n->cluster, c->name) == 0;
	for (size_t i = 0; i < n->nclusters; i++)
		if (strcasecmp(n->clusters[i], c->name) == 0)
			return true;
	return false;
}

cluster_state *
clusters_of_node(const server *s, const node_session *n)
{
	if (n->nclusters > 0)
		return NULL;
	return clusters_find(s, n->cluster);
}

cluster_state *
clusters_pick(const server *s, const char *name, bool need_one, char **err)
{
	cluster_state *c;
	char *list;

	*err = NULL;
	if (name && *name) {
		if ((c = clusters_find(s, name)) != NULL)
			return c;
		list = clusters_list(s);
		*err = xasprintf("--cluster %s: this controller holds no such "
		    "cluster (it holds %s)", name, list);
		free(list);
		return NULL;
	}
	if (s->clusters.count == 1)
		return s->clusters.items[0];
	if (need_one) {
		list = clusters_list(s);
		*err = xasprintf("this controller holds several clusters (%s): "
		    "say which with --cluster NAME", list);
		free(list);
	}
	return NULL;
}
