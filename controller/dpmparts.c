/*
 * dpmparts.c: a DPM server of several clusters, as the controller knows
 * it (dpmparts.h).
 */
#include "dpmparts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "xalloc.h"

node_part *
dpmparts_find(const node_session *n, const char *cluster)
{
	for (size_t i = 0; cluster && i < n->nparts; i++)
		if (strcasecmp(n->parts[i].cluster, cluster) == 0)
			return &n->parts[i];
	return NULL;
}

static void
s_parts_free(node_session *n)
{
	for (size_t i = 0; i < n->nparts; i++) {
		free(n->parts[i].cluster);
		free(n->parts[i].dsgroups_hash);
	}
	free(n->parts);
	n->parts = NULL;
	n->nparts = 0;
}

void
dpmparts_clear(node_session *n)
{
	for (size_t i = 0; i < n->nclusters; i++)
		free(n->clusters[i]);
	free(n->clusters);
	n->clusters = NULL;
	n->nclusters = 0;
	s_parts_free(n);
}

void
dpmparts_set_clusters(node_session *n, char *const *clusters, size_t k)
{
	strbuf joined;

	for (size_t i = 0; i < n->nclusters; i++)
		free(n->clusters[i]);
	free(n->clusters);
	n->clusters = xcalloc(k + 1, sizeof *n->clusters);
	strbuf_init(&joined);
	for (size_t i = 0; i < k; i++) {
		n->clusters[i] = xstrdup(clusters[i]);
		strbuf_addf(&joined, "%s%s", i ? "," : "", clusters[i]);
	}
	n->nclusters = k;
	free(n->cluster);
	n->cluster = strbuf_detach(&joined, NULL);
}

static bool
s_same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

bool
dpmparts_take(node_session *n, Hvp__PartState *const *v, size_t k)
{
	node_part *parts = k ? xcalloc(k, sizeof *parts) : NULL;
	bool changed = k != n->nparts;

	for (size_t i = 0; i < k; i++) {
		const node_part *old = dpmparts_find(n, v[i]->cluster);
		const char *h = v[i]->dsgroups_hash && *v[i]->dsgroups_hash ?
		    v[i]->dsgroups_hash : NULL;

		parts[i].cluster = xstrdup(v[i]->cluster ? v[i]->cluster : "");
		parts[i].revision = v[i]->revision;
		parts[i].generation = v[i]->plan_generation;
		parts[i].dsgroups_hash = h ? xstrdup(h) : NULL;
		changed |= old == NULL || old->revision != parts[i].revision ||
		    old->generation != parts[i].generation ||
		    !s_same_str(old->dsgroups_hash, parts[i].dsgroups_hash);
	}
	s_parts_free(n);
	n->parts = parts;
	n->nparts = k;
	return changed;
}

char *
dpmparts_text(const node_session *n)
{
	strbuf sb;

	if (n->nclusters == 0)
		return NULL;
	strbuf_init(&sb);
	for (size_t i = 0; i < n->nparts; i++)
		strbuf_addf(&sb, "%s\t%" PRId64 "\t%" PRIu64 "\t%s\n",
		    n->parts[i].cluster, n->parts[i].revision,
		    n->parts[i].generation, n->parts[i].dsgroups_hash ?
		    n->parts[i].dsgroups_hash : "-");
	return strbuf_detach(&sb, NULL);
}

/* One stored line "cluster\trev\tgen\thash" into a part; -1 if bad. */
static int
s_line(node_part *p, char *line)
{
	char *f[4], *save = NULL, *end;
	int k = 0;

	for (char *t = strtok_r(line, "\t", &save); t && k < 4;
	    t = strtok_r(NULL, "\t", &save))
		f[k++] = t;
	if (k != 4)
		return -1;
	p->revision = strtoll(f[1], &end, 10);
	if (*end != '\0')
		return -1;
	p->generation = strtoull(f[2], &end, 10);
	if (*end != '\0')
		return -1;
	p->cluster = xstrdup(f[0]);
	p->dsgroups_hash = strcmp(f[3], "-") == 0 ? NULL : xstrdup(f[3]);
	return 0;
}

void
dpmparts_restore(node_session *n, const char *cluster, const char *text)
{
	char *copy, *save = NULL, **names = NULL;
	size_t k = 0, cap = 0, pcap = 0;

	dpmparts_clear(n);
	if (cluster == NULL || text == NULL)
		return;		/* a node of one cluster */
	copy = xstrdup(cluster);
	for (char *t = strtok_r(copy, ",", &save); t;
	    t = strtok_r(NULL, ",", &save)) {
		xgrow(&names, &cap, k + 1, sizeof *names);
		names[k++] = t;
	}
	if (k > 0)
		dpmparts_set_clusters(n, names, k);
	free(names);
	free(copy);
	copy = xstrdup(text);
	save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l;
	    l = strtok_r(NULL, "\n", &save)) {
		node_part p = { 0 };

		if (s_line(&p, l) == -1)
			continue;	/* soft state: the Hello repeats it */
		xgrow(&n->parts, &pcap, n->nparts + 1, sizeof *n->parts);
		n->parts[n->nparts++] = p;
	}
	free(copy);
}
