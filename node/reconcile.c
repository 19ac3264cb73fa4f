/*
 * reconcile.c: desired state versus observed host state (reconcile.h).
 * Pure. Lookups go through a sorted index of the host's registry so a host
 * with thousands of values and a policy with hundreds of resources costs
 * O((k + v + r) log) per pass, never k * r.
 */
#include "reconcile.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsgroups.h"
#include "xalloc.h"

/* One held value, for the sorted value index. */
typedef struct s_valref {
	const char *key;
	const char *name;
	const reg_value *v;
} s_valref;

typedef struct s_index {
	const char **keys;	/* sorted case-insensitively */
	size_t nkeys;
	s_valref *vals;		/* sorted by key, then name */
	size_t nvals;
} s_index;

static int
s_cmp_str_ci(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static int
s_cmp_valref(const void *a, const void *b)
{
	const s_valref *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);

	return c ? c : strcasecmp(x->name, y->name);
}

static void
s_index_build(s_index *ix, const host_state *h)
{
	size_t nv = 0, vi = 0;

	memset(ix, 0, sizeof *ix);
	ix->keys = xcalloc(h->nkeys, sizeof *ix->keys);
	for (size_t i = 0; i < h->nkeys; i++) {
		ix->keys[i] = h->keys[i].path;
		nv += h->keys[i].nvalues;
	}
	ix->nkeys = h->nkeys;
	qsort(ix->keys, ix->nkeys, sizeof *ix->keys, s_cmp_str_ci);
	ix->vals = xcalloc(nv, sizeof *ix->vals);
	for (size_t i = 0; i < h->nkeys; i++) {
		for (size_t j = 0; j < h->keys[i].nvalues; j++) {
			ix->vals[vi].key = h->keys[i].path;
			ix->vals[vi].name = h->keys[i].values[j].name ?
			    h->keys[i].values[j].name : "";
			ix->vals[vi].v = &h->keys[i].values[j].v;
			vi++;
		}
	}
	ix->nvals = nv;
	qsort(ix->vals, ix->nvals, sizeof *ix->vals, s_cmp_valref);
}

static void
s_index_free(s_index *ix)
{
	free(ix->keys);
	free(ix->vals);
	memset(ix, 0, sizeof *ix);
}

/* First index whose key is not below text (case-insensitive). */
static size_t
s_lower_bound(const s_index *ix, const char *text)
{
	size_t lo = 0, hi = ix->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(ix->keys[mid], text) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A key exists when it or any key below it is held (as hoststate.h). */
static bool
s_key_exists(const s_index *ix, const char *key)
{
	size_t i = s_lower_bound(ix, key), klen = strlen(key);
	char *below;
	bool found;

	if (i < ix->nkeys && strcasecmp(ix->keys[i], key) == 0)
		return true;
	below = xasprintf("%s\\", key);
	i = s_lower_bound(ix, below);
	found = i < ix->nkeys && strncasecmp(ix->keys[i], below, klen + 1) == 0;
	free(below);
	return found;
}

static const reg_value *
s_value_get(const s_index *ix, const char *key, const char *name)
{
	s_valref probe = { key, name ? name : "", NULL };
	const s_valref *hit;

	if (ix->nvals == 0)
		return NULL;
	hit = bsearch(&probe, ix->vals, ix->nvals, sizeof *ix->vals,
	    s_cmp_valref);
	return hit ? hit->v : NULL;
}

static reconcile_finding *
s_add(reconcile_list *out, drift_kind kind, reconcile_op op, char *resource,
    char *expected, char *actual)
{
	reconcile_finding *f;

	xgrow(&out->items, &out->cap, out->count + 1, sizeof *out->items);
	f = &out->items[out->count++];
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->op = op;
	f->resource = resource;
	f->expected = expected;
	f->actual = actual;
	return f;
}

static char *
s_value_resource(const char *key, const char *name)
{
	return xasprintf("%s[%s]", key, name);
}

/* A key that must exist (present) or not. */
static void
s_check_key(const s_index *ix, const char *key, bool present,
    reconcile_list *out)
{
	reconcile_finding *f;
	bool have = s_key_exists(ix, key);

	if (have == present)
		return;
	f = s_add(out, DRIFT_REGISTRY,
	    present ? RECONCILE_CREATE_KEY : RECONCILE_DELETE_KEY,
	    xstrdup(key), present ? xstrdup("present") : NULL,
	    have ? xstrdup("present") : NULL);
	f->key = xstrdup(key);
}

/* A value that must hold want (want NULL: must be absent). */
static void
s_check_value(const s_index *ix, const char *key, const char *name,
    const reg_value *want, reconcile_list *out)
{
	const reg_value *have = s_value_get(ix, key, name);
	reconcile_finding *f;

	if (want == NULL && have == NULL)
		return;
	if (want != NULL && have != NULL && reg_value_equal(want, have))
		return;
	f = s_add(out, DRIFT_REGISTRY,
	    want ? RECONCILE_SET_VALUE : RECONCILE_DELETE_VALUE,
	    s_value_resource(key, name),
	    want ? reg_value_describe(want) : NULL,
	    have ? reg_value_describe(have) : NULL);
	f->key = xstrdup(key);
	f->value_name = xstrdup(name);
	if (want)
		reg_value_copy(&f->data, want);
}

static bool
s_same_resource(const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	if (strcasecmp(k1, k2) != 0)
		return false;
	if (v1 == NULL || v2 == NULL)
		return v1 == v2;
	return strcasecmp(v1, v2) == 0;
}

/* The built-in registry resources of a strategy and role. */
typedef struct s_builtin {
	const char *key;
	const char *value;	/* NULL: the key itself */
	bool present;
	reg_value data;
} s_builtin;

static size_t
s_builtins(const policy *p, host_role role, s_builtin *b)
{
	if (role == ROLE_HYPERV_NODE) {
		memset(&b[0], 0, sizeof b[0]);
		b[0].key = DPM_USE_SYSTEM_PROVIDER_KEY;
		b[0].present = p->strategy == STRATEGY_SYSTEM_SOFTWARE;
		return 1;
	}
	if (p->strategy == STRATEGY_SYSTEM_SOFTWARE) {
		memset(&b[0], 0, sizeof b[0]);
		b[0].key = DPM_PARALLEL_KEY;
		b[0].value = DPM_PARALLEL_VALUE;
		b[0].present = true;
		b[0].data.type = REG_T_DWORD;
		b[0].data.number = (uint64_t)p->per_node;
		return 1;
	}
	return 0;
}

static void
s_check_registry(const reconcile_input *in, const s_index *ix,
    reconcile_list *out)
{
	const policy *p = in->policy;
	s_builtin b[2];
	size_t nb = s_builtins(p, in->role, b);

	for (size_t i = 0; i < nb; i++) {
		if (b[i].value == NULL)
			s_check_key(ix, b[i].key, b[i].present, out);
		else
			s_check_value(ix, b[i].key, b[i].value,
			    b[i].present ? &b[i].data : NULL, out);
	}
	for (size_t i = 0; i < p->nregistry; i++) {
		const policy_registry *r = &p->registry[i];
		bool dup = false;

		if ((r->roles & ROLE_BIT(in->role)) == 0)
			continue;
		for (size_t j = 0; j < nb && !dup; j++)
			dup = s_same_resource(r->key, r->value, b[j].key,
			    b[j].value);
		if (dup)
			continue;
		if (r->value == NULL)
			s_check_key(ix, r->key, r->present, out);
		else
			s_check_value(ix, r->key, r->value,
			    r->present ? &r->data : NULL, out);
	}
}

static bool
s_service_enabled(const host_guest *g, const char *service)
{
	for (size_t i = 0; i < g->nservices; i++)
		if (g->services[i].name != NULL &&
		    strcasecmp(g->services[i].name, service) == 0)
			return g->services[i].enabled;
	return true;	/* Hyper-V's default */
}

static void
s_check_guests(const reconcile_input *in, reconcile_list *out)
{
	const host_state *h = in->observed;
	bool want = in->policy->strategy == STRATEGY_SYSTEM_SOFTWARE;

	if (in->role != ROLE_HYPERV_NODE)
		return;
	for (size_t i = 0; i < h->nguests; i++) {
		const host_guest *g = &h->guests[i];
		reconcile_finding *f;

		if (g->name == NULL || !policy_covers_guest(in->policy, g->name))
			continue;
		if (s_service_enabled(g, INTEGRATION_BACKUP) == want)
			continue;
		f = s_add(out, DRIFT_INTEGRATION_SERVICE,
		    RECONCILE_SET_INTEGRATION,
		    xasprintf("guest %s (%s)/%s", g->name, g->id ? g->id : "",
		    INTEGRATION_BACKUP),
		    xstrdup(want ? "enabled" : "disabled"),
		    xstrdup(want ? "disabled" : "enabled"));
		f->guest_id = xstrdup(g->id);
		f->guest_name = xstrdup(g->name);
		f->service = xstrdup(INTEGRATION_BACKUP);
		f->enable = want;
	}
}

static void
s_check_file(const reconcile_input *in, reconcile_list *out)
{
	const policy *p = in->policy;
	char want[DSGROUPS_HASH_HEX + 1];

	if (in->role != ROLE_DPM_SERVER || in->plan == NULL ||
	    p->strategy != STRATEGY_SYSTEM_SOFTWARE || !p->per_csv)
		return;
	dsgroups_plan_hash(in->plan, want);
	if (in->held_hash != NULL && strcmp(in->held_hash, want) == 0 &&
	    !in->held_stale)
		return;
	s_add(out, DRIFT_SERIALIZATION_FILE, RECONCILE_WRITE_DSGROUPS,
	    xstrdup(RECONCILE_FILE_RESOURCE), xstrdup(want),
	    xstrdup(in->held_hash))->keeps = in->held_foreign;
}

int
reconcile_compute(const reconcile_input *in, reconcile_list *out)
{
	size_t before = out->count;
	s_index ix;

	if (in == NULL || in->policy == NULL || in->observed == NULL)
		return -1;
	s_index_build(&ix, in->observed);
	s_check_registry(in, &ix, out);
	s_index_free(&ix);
	s_check_guests(in, out);
	s_check_file(in, out);
	return (int)(out->count - before);
}

static void
s_finding_clear(reconcile_finding *f)
{
	free(f->resource);
	free(f->expected);
	free(f->actual);
	free(f->key);
	free(f->value_name);
	reg_value_clear(&f->data);
	free(f->guest_id);
	free(f->guest_name);
	free(f->service);
	free(f->clusters);
	free(f->conflict);
	memset(f, 0, sizeof *f);
}

void
reconcile_list_release(reconcile_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		s_finding_clear(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

char *
reconcile_action_text(const reconcile_finding *f, bool past)
{
	switch (f->op) {
	case RECONCILE_CREATE_KEY:
		return xstrdup(past ? "created key" : "create key");
	case RECONCILE_DELETE_KEY:
		return xstrdup(past ? "deleted key" : "delete key");
	case RECONCILE_SET_VALUE:
		return xstrdup(past ? "set value" : "set value");
	case RECONCILE_DELETE_VALUE:
		return xstrdup(past ? "deleted value" : "delete value");
	case RECONCILE_SET_INTEGRATION:
		if (f->enable)
			return xasprintf("%s %s", past ? "enabled" : "enable",
			    f->service);
		return xasprintf("%s %s", past ? "disabled" : "disable",
		    f->service);
	case RECONCILE_WRITE_DSGROUPS:
		if (f->keeps > 0)
			return xasprintf("%s %s (keeping %zu %s hvpolicy does "
			    "not own)", past ? "wrote" : "write",
			    RECONCILE_FILE_RESOURCE, f->keeps,
			    f->keeps == 1 ? "entry" : "entries");
		return xasprintf("%s %s", past ? "wrote" : "write",
		    RECONCILE_FILE_RESOURCE);
	}
	return xstrdup("?");
}
