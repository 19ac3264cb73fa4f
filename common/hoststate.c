/*
 * hoststate.c: the host-state model (hoststate.h): registry keys and
 * values with Windows' case-insensitive names, guests and their
 * integration services, deep copies, and the one function that knows
 * where Cluster Shared Volumes are mounted. Callers: the host-file parser
 * and renderer, both host backends, the node engine, the lab.
 */
#include "hoststate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define NOT_FOUND SIZE_MAX

const char *const GUEST_STATE_NAMES[] = {
	"running", "off", "saved", "paused", NULL,
};

const char *const PROVIDER_TYPE_NAMES[] = {
	"system", "software", "hardware", NULL,
};

host_state *
host_state_new(void)
{
	host_state *h = xcalloc(1, sizeof *h);

	h->role = ROLE_HYPERV_NODE;
	return h;
}

static void
s_regkey_clear(host_regkey *k)
{
	for (size_t i = 0; i < k->nvalues; i++) {
		free(k->values[i].name);
		reg_value_clear(&k->values[i].v);
	}
	free(k->values);
	free(k->path);
	memset(k, 0, sizeof *k);
}

static void
s_provider_clear(host_provider *p)
{
	free(p->id);
	free(p->name);
	free(p->version);
	memset(p, 0, sizeof *p);
}

static void
s_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
s_strv_dup(char *const *v, size_t n)
{
	char **out;

	if (n == 0)
		return NULL;
	out = xcalloc(n, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

void
host_state_free(host_state **hp)
{
	host_state *h;

	if (hp == NULL || *hp == NULL)
		return;
	h = *hp;
	free(h->node);
	free(h->cluster);
	s_strv_free(h->clusters, h->nclusters);
	for (size_t i = 0; i < h->nkeys; i++)
		s_regkey_clear(&h->keys[i]);
	free(h->keys);
	for (size_t i = 0; i < h->nproviders; i++)
		s_provider_clear(&h->providers[i]);
	free(h->providers);
	free(h->agent_log);
	s_strv_free(h->csvs, h->ncsvs);
	for (size_t i = 0; i < h->nguests; i++)
		host_guest_clear(&h->guests[i]);
	free(h->guests);
	free(h->data_source_groups);
	free(h);
	*hp = NULL;
}

static void
s_regkey_copy(host_regkey *dst, const host_regkey *src)
{
	memset(dst, 0, sizeof *dst);
	dst->path = xstrdup(src->path);
	if (src->nvalues == 0)
		return;
	dst->values = xcalloc(src->nvalues, sizeof *dst->values);
	dst->cap = src->nvalues;
	dst->nvalues = src->nvalues;
	for (size_t i = 0; i < src->nvalues; i++) {
		dst->values[i].name = xstrdup(src->values[i].name);
		reg_value_copy(&dst->values[i].v, &src->values[i].v);
	}
}

host_state *
host_state_dup(const host_state *h)
{
	host_state *c;

	if (h == NULL)
		return NULL;
	c = host_state_new();
	c->node = xstrdup(h->node);
	c->cluster = xstrdup(h->cluster);
	if (h->nclusters) {
		c->clusters = xcalloc(h->nclusters, sizeof *c->clusters);
		for (size_t i = 0; i < h->nclusters; i++)
			c->clusters[i] = xstrdup(h->clusters[i]);
		c->nclusters = h->nclusters;
	}
	c->role = h->role;
	if (h->nkeys) {
		c->keys = xcalloc(h->nkeys, sizeof *c->keys);
		c->keys_cap = c->nkeys = h->nkeys;
		for (size_t i = 0; i < h->nkeys; i++)
			s_regkey_copy(&c->keys[i], &h->keys[i]);
	}
	if (h->nproviders) {
		c->providers = xcalloc(h->nproviders, sizeof *c->providers);
		c->nproviders = h->nproviders;
		for (size_t i = 0; i < h->nproviders; i++) {
			const host_provider *s = &h->providers[i];
			host_provider *d = &c->providers[i];

			d->id = xstrdup(s->id);
			d->name = xstrdup(s->name);
			d->type = s->type;
			d->version = xstrdup(s->version);
			d->autorecovery = s->autorecovery;
		}
	}
	c->agent_log = xstrdup(h->agent_log);
	c->csvs = s_strv_dup(h->csvs, h->ncsvs);
	c->ncsvs = h->ncsvs;
	if (h->nguests) {
		c->guests = xcalloc(h->nguests, sizeof *c->guests);
		c->guests_cap = c->nguests = h->nguests;
		for (size_t i = 0; i < h->nguests; i++)
			host_guest_copy(&c->guests[i], &h->guests[i]);
	}
	c->data_source_groups = xstrdup(h->data_source_groups);
	return c;
}

/*
 * Registry.
 */

/* Canonical form of key, or NULL when it is not a key path. */
static char *
s_canon(const char *key)
{
	const char *why;

	if (key == NULL)
		return NULL;
	return reg_key_canonical(key, &why);
}

static size_t
s_key_index(const host_state *h, const char *canon)
{
	for (size_t i = 0; i < h->nkeys; i++)
		if (reg_key_compare(h->keys[i].path, canon) == 0)
			return i;
	return NOT_FOUND;
}

/* True when path is canon itself or a key below it. */
static bool
s_key_at_or_below(const char *path, const char *canon)
{
	size_t n = strlen(canon);

	return strncasecmp(path, canon, n) == 0 &&
	    (path[n] == '\0' || path[n] == '\\');
}

bool
host_key_exists(const host_state *h, const char *key)
{
	char *canon = s_canon(key);
	bool found = false;

	if (canon == NULL)
		return false;
	for (size_t i = 0; i < h->nkeys && !found; i++)
		found = s_key_at_or_below(h->keys[i].path, canon);
	free(canon);
	return found;
}

host_regkey *
host_key_find(host_state *h, const char *key)
{
	char *canon = s_canon(key);
	size_t i;

	if (canon == NULL)
		return NULL;
	i = s_key_index(h, canon);
	free(canon);
	return i == NOT_FOUND ? NULL : &h->keys[i];
}

host_regkey *
host_key_ensure(host_state *h, const char *key)
{
	char *canon = s_canon(key);
	host_regkey *k;
	size_t i;

	if (canon == NULL)
		return NULL;
	if ((i = s_key_index(h, canon)) != NOT_FOUND) {
		free(canon);
		return &h->keys[i];
	}
	xgrow(&h->keys, &h->keys_cap, h->nkeys + 1, sizeof *h->keys);
	k = &h->keys[h->nkeys++];
	memset(k, 0, sizeof *k);
	k->path = canon;
	return k;
}

size_t
host_key_delete(host_state *h, const char *key)
{
	char *canon = s_canon(key);
	size_t removed = 0, j = 0;

	if (canon == NULL)
		return 0;
	for (size_t i = 0; i < h->nkeys; i++) {
		if (s_key_at_or_below(h->keys[i].path, canon)) {
			s_regkey_clear(&h->keys[i]);
			removed++;
			continue;
		}
		if (j != i)
			h->keys[j] = h->keys[i];
		j++;
	}
	h->nkeys = j;
	free(canon);
	return removed;
}

static size_t
s_value_index(const host_regkey *k, const char *name)
{
	for (size_t i = 0; i < k->nvalues; i++)
		if (reg_name_equal(k->values[i].name, name))
			return i;
	return NOT_FOUND;
}

const reg_value *
host_value_get(const host_state *h, const char *key, const char *name)
{
	char *canon = s_canon(key);
	size_t ki, vi;

	if (canon == NULL)
		return NULL;
	ki = s_key_index(h, canon);
	free(canon);
	if (ki == NOT_FOUND)
		return NULL;
	vi = s_value_index(&h->keys[ki], name);
	return vi == NOT_FOUND ? NULL : &h->keys[ki].values[vi].v;
}

void
host_value_set(host_state *h, const char *key, const char *name,
    const reg_value *v)
{
	host_regkey *k = host_key_ensure(h, key);
	host_regval *rv;
	size_t vi;

	if (k == NULL)
		return;
	if ((vi = s_value_index(k, name)) != NOT_FOUND) {
		/* Windows keeps the name as first written. */
		rv = &k->values[vi];
		reg_value_clear(&rv->v);
	} else {
		xgrow(&k->values, &k->cap, k->nvalues + 1, sizeof *k->values);
		rv = &k->values[k->nvalues++];
		rv->name = xstrdup(name ? name : "");
	}
	reg_value_copy(&rv->v, v);
}

bool
host_value_delete(host_state *h, const char *key, const char *name)
{
	host_regkey *k = host_key_find(h, key);
	size_t vi;

	if (k == NULL || (vi = s_value_index(k, name)) == NOT_FOUND)
		return false;
	free(k->values[vi].name);
	reg_value_clear(&k->values[vi].v);
	memmove(&k->values[vi], &k->values[vi + 1],
	    (k->nvalues - vi - 1) * sizeof *k->values);
	k->nvalues--;
	return true;
}

/*
 * Guests.
 */

/* Compares two GUIDs ignoring case and surrounding braces. */
static bool
s_id_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	if (*a == '{')
		a++;
	if (*b == '{')
		b++;
	la = strcspn(a, "}");
	lb = strcspn(b, "}");
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

static size_t
s_guest_index(const host_state *h, const char *name_or_id)
{
	if (name_or_id == NULL)
		return -1;
	for (size_t i = 0; i < h->nguests; i++)
		if (s_id_equal(h->guests[i].id, name_or_id))
			return i;
	for (size_t i = 0; i < h->nguests; i++)
		if (h->guests[i].name &&
		    strcasecmp(h->guests[i].name, name_or_id) == 0)
			return i;
	return NOT_FOUND;
}

host_guest *
host_guest_find(host_state *h, const char *name_or_id)
{
	size_t i = s_guest_index(h, name_or_id);

	return i == NOT_FOUND ? NULL : &h->guests[i];
}

host_service *
host_guest_service(host_guest *g, const char *service)
{
	for (size_t i = 0; i < g->nservices; i++)
		if (strcasecmp(g->services[i].name, service) == 0)
			return &g->services[i];
	return NULL;
}

void
host_guest_set_service(host_guest *g, const char *service, bool on)
{
	host_service *s = host_guest_service(g, service);

	if (s == NULL) {
		g->services = xrealloc(g->services,
		    (g->nservices + 1) * sizeof *g->services);
		s = &g->services[g->nservices++];
		s->name = xstrdup(service);
	}
	s->enabled = on;
}

void
host_guest_clear(host_guest *g)
{
	if (g == NULL)
		return;
	free(g->name);
	free(g->id);
	for (size_t i = 0; i < g->nservices; i++)
		free(g->services[i].name);
	free(g->services);
	s_strv_free(g->paths, g->npaths);
	memset(g, 0, sizeof *g);
}

void
host_guest_copy(host_guest *dst, const host_guest *src)
{
	memset(dst, 0, sizeof *dst);
	dst->name = xstrdup(src->name);
	dst->id = xstrdup(src->id);
	dst->state = src->state;
	if (src->nservices) {
		dst->services = xcalloc(src->nservices, sizeof *dst->services);
		for (size_t i = 0; i < src->nservices; i++) {
			dst->services[i].name = xstrdup(src->services[i].name);
			dst->services[i].enabled = src->services[i].enabled;
		}
	}
	dst->nservices = src->nservices;
	dst->paths = s_strv_dup(src->paths, src->npaths);
	dst->npaths = src->npaths;
}

host_guest *
host_guest_add(host_state *h, const host_guest *g)
{
	host_guest copy;
	size_t i = NOT_FOUND;

	/* Copy first: g may point into h->guests. */
	host_guest_copy(&copy, g);
	for (size_t j = 0; j < h->nguests && i == NOT_FOUND; j++)
		if (s_id_equal(h->guests[j].id, g->id))
			i = j;
	if (i != NOT_FOUND) {
		/* The same guest again (by id): replace it in place. */
		host_guest_clear(&h->guests[i]);
		h->guests[i] = copy;
		return &h->guests[i];
	}
	xgrow(&h->guests, &h->guests_cap, h->nguests + 1, sizeof *h->guests);
	h->guests[h->nguests] = copy;
	return &h->guests[h->nguests++];
}

bool
host_guest_remove(host_state *h, const char *name_or_id)
{
	size_t i = s_guest_index(h, name_or_id);

	if (i == NOT_FOUND)
		return false;
	host_guest_clear(&h->guests[i]);
	memmove(&h->guests[i], &h->guests[i + 1],
	    (h->nguests - i - 1) * sizeof *h->guests);
	h->nguests--;
	return true;
}

/*
 * CSVs.
 */

static bool
s_is_sep(char c)
{
	return c == '\\' || c == '/';
}

char *
csv_volume_of_path(const char *path)
{
	const char *root = CSV_ROOT, *p = path, *vol;
	size_t n;

	if (path == NULL)
		return NULL;
	for (; *root; root++, p++) {
		if (s_is_sep(*root)) {
			if (!s_is_sep(*p))
				return NULL;
		} else if (*p == '\0' ||
		    strncasecmp(p, root, 1) != 0) {
			return NULL;
		}
	}
	vol = p;
	n = 0;
	while (vol[n] && !s_is_sep(vol[n]))
		n++;
	/* A volume name, a separator, and something on the volume. */
	if (n == 0 || vol[n] == '\0')
		return NULL;
	for (p = vol + n; s_is_sep(*p); p++)
		;
	if (*p == '\0')
		return NULL;
	return xstrndup(vol, n);
}
