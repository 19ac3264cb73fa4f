/*
 * hostfile.c: the simulated host file (hostfile.h, docs/host-file.md).
 * The parser walks the position-tagged tree from ydoc.c and reports every
 * problem it finds; the renderer drives libyaml's emitter so quoting is
 * always right, in a fixed order so the same state gives the same bytes.
 * Callers: backend_sim.c, the node's --once mode, the lab.
 */
#include "hostfile.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "names.h"
#include "platform.h"
#include "policy.h"
#include "xalloc.h"
#include "ydoc.h"

/*
 * Parsing.
 */

typedef struct hf_ctx {
	const ydoc *doc;
	diag_list *d;
	host_state *h;
	int rc;
} hf_ctx;

/* One name of a set that must not repeat (compared ignoring case). */
typedef struct hf_name {
	const char *name;
	const ynode *node;
	char *path;		/* owned */
} hf_name;

typedef struct hf_names {
	hf_name *items;
	size_t count;
	size_t cap;
} hf_names;

static void
s_names_add(hf_names *n, const char *name, const ynode *node, const char *path)
{
	xgrow(&n->items, &n->cap, n->count + 1, sizeof *n->items);
	n->items[n->count].name = name;
	n->items[n->count].node = node;
	n->items[n->count].path = xstrdup(path);
	n->count++;
}

static int
s_name_cmp(const void *pa, const void *pb)
{
	const hf_name *a = pa, *b = pb;
	int c = strcasecmp(a->name, b->name);

	if (c != 0)
		return c;
	if (a->node->line != b->node->line)
		return a->node->line < b->node->line ? -1 : 1;
	return (a->node->column > b->node->column) -
	    (a->node->column < b->node->column);
}

/* Reports every name equal to an earlier one, then empties the set. */
static void
s_names_check(hf_ctx *c, hf_names *n, const char *what)
{
	size_t first = 0;

	if (n->count > 1)
		qsort(n->items, n->count, sizeof *n->items, s_name_cmp);
	for (size_t i = 1; i < n->count; i++) {
		if (strcasecmp(n->items[first].name, n->items[i].name) != 0) {
			first = i;
			continue;
		}
		ydiag(c->doc, n->items[i].node, n->items[i].path, c->d,
		    "duplicate %s '%s' (first at line %d, column %d; names "
		    "are compared ignoring case)", what, n->items[i].name,
		    n->items[first].node->line, n->items[first].node->column);
		c->rc = -1;
	}
	for (size_t i = 0; i < n->count; i++)
		free(n->items[i].path);
	free(n->items);
	memset(n, 0, sizeof *n);
}

int
hostfile_guid_parse(const char *text, char out[37])
{
	size_t len = strlen(text);
	const char *p = text;

	if (len == 38 && p[0] == '{' && p[37] == '}') {
		p++;
		len = 36;
	}
	if (len != 36)
		return -1;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return -1;
			out[i] = '-';
		} else if (isxdigit((unsigned char)p[i])) {
			out[i] = (char)tolower((unsigned char)p[i]);
		} else {
			return -1;
		}
	}
	out[36] = '\0';
	return 0;
}

/* Cuts a guest's name or path that is far over its bound (names.h): the
 * guest stays, its text still breaks the rule (the controller leaves it
 * unplanned and says why), but a host cannot make the node carry and
 * report megabytes for one name. Names breaking the rule otherwise are
 * kept as they are: one bad name never makes the host file unreadable. */
static void
s_clip(char **text, size_t max_units)
{
	char *clipped;

	if (*text == NULL)
		return;
	clipped = names_clip(*text, max_units);
	free(*text);
	*text = clipped;
}

/* A string that must not be empty; NULL n leaves *out alone. */
static void
s_get_name(hf_ctx *c, const ynode *n, const char *path, char **out)
{
	if (n == NULL)
		return;
	if (yget_str(c->doc, n, path, out, c->d) == -1) {
		c->rc = -1;
		return;
	}
	if (**out == '\0') {
		ydiag(c->doc, n, path, c->d, "must not be empty");
		c->rc = -1;
	}
}

static void
s_get_str(hf_ctx *c, const ynode *n, const char *path, char **out)
{
	if (n != NULL && yget_str(c->doc, n, path, out, c->d) == -1)
		c->rc = -1;
}

static void
s_get_bool(hf_ctx *c, const ynode *n, const char *path, bool *out)
{
	if (n != NULL && yget_bool(c->doc, n, path, out, c->d) == -1)
		c->rc = -1;
}

static void
s_get_enum(hf_ctx *c, const ynode *n, const char *path,
    const char *const *allowed, int *out)
{
	if (n != NULL && yget_enum(c->doc, n, path, allowed, out, c->d) == -1)
		c->rc = -1;
}

/* Checks a mapping's keys; slots of keys present are filled even when
 * another key is wrong, so their values are checked too. */
static void
s_fields(hf_ctx *c, const ynode *map, const char *path, yfield *f, size_t n)
{
	if (ymap_check(c->doc, map, path, f, n, c->d) == -1)
		c->rc = -1;
}

/* A list or mapping that may be left empty (`key:` or `key: ~`). */
static bool
s_collection(hf_ctx *c, const ynode *n, const char *path, ynode_kind kind)
{
	int rc;

	if (n == NULL || ynode_is_null(n))
		return false;
	rc = kind == YNODE_MAP ? yget_map(c->doc, n, path, c->d) :
	    yget_seq(c->doc, n, path, c->d);
	if (rc == -1) {
		c->rc = -1;
		return false;
	}
	return true;
}

/* Value `name: {type: T, data: D}` of key k. */
static void
s_parse_value(hf_ctx *c, host_regkey *k, const ynode *name, const ynode *val,
    const char *path)
{
	ynode *type, *data;
	yfield f[] = {
		{ "type", &type, true },
		{ "data", &data, true },
	};
	char *tp, *dp;
	int ti = -1;
	reg_value v;

	s_fields(c, val, path, f, 2);
	if (val->kind != YNODE_MAP)
		return;
	tp = ypath_key(path, "type");
	dp = ypath_key(path, "data");
	s_get_enum(c, type, tp, REG_TYPE_NAMES, &ti);
	if (ti >= 0 && data != NULL) {
		if (reg_value_from_yaml(c->doc, data, dp, (reg_type)(REG_T_SZ + ti),
		    &v, c->d) == 0) {
			xgrow(&k->values, &k->cap, k->nvalues + 1,
			    sizeof *k->values);
			k->values[k->nvalues].name = xstrdup(name->text);
			k->values[k->nvalues].v = v;
			k->nvalues++;
		} else {
			reg_value_clear(&v);
			c->rc = -1;
		}
	}
	free(tp);
	free(dp);
}

static void
s_parse_key_values(hf_ctx *c, host_regkey *k, const ynode *vals,
    const char *path)
{
	hf_names names = { 0 };

	if (!s_collection(c, vals, path, YNODE_MAP))
		return;
	for (size_t i = 0; i < vals->count; i++) {
		char *vp = ypath_key(path, vals->keys[i]->text);

		s_names_add(&names, vals->keys[i]->text, vals->keys[i], vp);
		s_parse_value(c, k, vals->keys[i], vals->values[i], vp);
		free(vp);
	}
	s_names_check(c, &names, "value name");
}

static void
s_parse_registry(hf_ctx *c, const ynode *map)
{
	host_state *h = c->h;
	hf_names names = { 0 };

	if (!s_collection(c, map, "registry", YNODE_MAP))
		return;
	for (size_t i = 0; i < map->count; i++) {
		const ynode *kn = map->keys[i];
		char *kp = ypath_key("registry", kn->text);
		const char *why = NULL;
		char *canon = reg_key_canonical(kn->text, &why);
		host_regkey *k;

		if (canon == NULL) {
			ydiag(c->doc, kn, kp, c->d, "%s", why);
			c->rc = -1;
			free(kp);
			continue;
		}
		xgrow(&h->keys, &h->keys_cap, h->nkeys + 1, sizeof *h->keys);
		k = &h->keys[h->nkeys++];
		memset(k, 0, sizeof *k);
		k->path = canon;
		s_names_add(&names, canon, kn, kp);
		s_parse_key_values(c, k, map->values[i], kp);
		free(kp);
	}
	s_names_check(c, &names, "registry key");
}

static void
s_parse_provider(hf_ctx *c, const ynode *item, const char *path,
    host_provider *p, hf_names *ids)
{
	ynode *id, *name, *type, *version, *autorec;
	yfield f[] = {
		{ "id", &id, true },
		{ "name", &name, true },
		{ "type", &type, true },
		{ "version", &version, false },
		{ "autorecovery", &autorec, true },
	};
	char guid[37];
	char *kp;
	int t = 0;

	s_fields(c, item, path, f, sizeof f / sizeof f[0]);
	if (item->kind != YNODE_MAP)
		return;
	kp = ypath_key(path, "id");
	if (id != NULL && yget_str(c->doc, id, kp, &p->id, c->d) == 0) {
		if (hostfile_guid_parse(p->id, guid) == 0) {
			free(p->id);
			p->id = xasprintf("{%s}", guid);
			s_names_add(ids, p->id, id, kp);
		} else {
			ydiag(c->doc, id, kp, c->d, "expected a provider id "
			    "such as {2f900f90-00e9-440e-873a-96ca5eb079e5}, "
			    "got '%s'", p->id);
			c->rc = -1;
		}
	} else if (id != NULL) {
		c->rc = -1;
	}
	free(kp);
	kp = ypath_key(path, "name");
	s_get_name(c, name, kp, &p->name);
	free(kp);
	kp = ypath_key(path, "type");
	s_get_enum(c, type, kp, PROVIDER_TYPE_NAMES, &t);
	p->type = (provider_type)t;
	free(kp);
	kp = ypath_key(path, "version");
	s_get_str(c, version, kp, &p->version);
	free(kp);
	kp = ypath_key(path, "autorecovery");
	s_get_bool(c, autorec, kp, &p->autorecovery);
	free(kp);
}

static void
s_parse_providers(hf_ctx *c, const ynode *seq)
{
	host_state *h = c->h;
	hf_names ids = { 0 };

	if (!s_collection(c, seq, "vssProviders", YNODE_SEQ))
		return;
	h->providers = xcalloc(seq->count, sizeof *h->providers);
	for (size_t i = 0; i < seq->count; i++) {
		char *ip = ypath_index("vssProviders", i);

		s_parse_provider(c, seq->values[i], ip, &h->providers[i], &ids);
		h->nproviders++;
		free(ip);
	}
	s_names_check(c, &ids, "provider id");
}

static void
s_parse_services(hf_ctx *c, const ynode *map, const char *path, host_guest *g)
{
	hf_names names = { 0 };

	if (!s_collection(c, map, path, YNODE_MAP))
		return;
	g->services = xcalloc(map->count, sizeof *g->services);
	for (size_t i = 0; i < map->count; i++) {
		const ynode *kn = map->keys[i];
		char *sp = ypath_key(path, kn->text);
		host_service *s = &g->services[g->nservices];

		if (kn->text[0] == '\0') {
			ydiag(c->doc, kn, sp, c->d, "a service name must not "
			    "be empty");
			c->rc = -1;
		} else if (yget_bool(c->doc, map->values[i], sp, &s->enabled,
		    c->d) == 0) {
			s->name = xstrdup(kn->text);
			g->nservices++;
			s_names_add(&names, s->name, kn, sp);
		} else {
			c->rc = -1;
		}
		free(sp);
	}
	s_names_check(c, &names, "integration service");
}

static void
s_parse_guest(hf_ctx *c, const ynode *item, const char *path, host_guest *g,
    hf_names *names, hf_names *ids)
{
	ynode *name, *id, *state, *services, *paths;
	yfield f[] = {
		{ "name", &name, true },
		{ "id", &id, true },
		{ "state", &state, false },
		{ "integrationServices", &services, false },
		{ "paths", &paths, false },
	};
	char guid[37];
	char *kp;
	int st = GUEST_RUNNING;

	s_fields(c, item, path, f, sizeof f / sizeof f[0]);
	if (item->kind != YNODE_MAP)
		return;
	kp = ypath_key(path, "name");
	s_get_name(c, name, kp, &g->name);
	s_clip(&g->name, NAMES_GUEST_MAX);
	if (g->name != NULL && *g->name != '\0')
		s_names_add(names, g->name, name, kp);
	free(kp);
	kp = ypath_key(path, "id");
	if (id != NULL && yget_str(c->doc, id, kp, &g->id, c->d) == 0) {
		if (hostfile_guid_parse(g->id, guid) == 0) {
			memcpy(g->id, guid, 37);
			s_names_add(ids, g->id, id, kp);
		} else {
			ydiag(c->doc, id, kp, c->d, "expected a GUID such as "
			    "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11, got '%s'",
			    g->id);
			c->rc = -1;
		}
	} else if (id != NULL) {
		c->rc = -1;
	}
	free(kp);
	kp = ypath_key(path, "state");
	s_get_enum(c, state, kp, GUEST_STATE_NAMES, &st);
	g->state = (guest_state)st;
	free(kp);
	kp = ypath_key(path, "integrationServices");
	s_parse_services(c, services, kp, g);
	free(kp);
	kp = ypath_key(path, "paths");
	if (s_collection(c, paths, kp, YNODE_SEQ) &&
	    yget_str_list(c->doc, paths, kp, &g->paths, &g->npaths, c->d) == -1)
		c->rc = -1;
	for (size_t i = 0; i < g->npaths; i++)
		s_clip(&g->paths[i], NAMES_PATH_MAX);
	free(kp);
}

static void
s_parse_guests(hf_ctx *c, const ynode *seq)
{
	host_state *h = c->h;
	hf_names names = { 0 }, ids = { 0 };

	if (!s_collection(c, seq, "guests", YNODE_SEQ))
		return;
	h->guests = xcalloc(seq->count, sizeof *h->guests);
	h->guests_cap = seq->count;
	for (size_t i = 0; i < seq->count; i++) {
		char *ip = ypath_index("guests", i);

		s_parse_guest(c, seq->values[i], ip, &h->guests[i], &names,
		    &ids);
		h->nguests++;
		free(ip);
	}
	s_names_check(c, &names, "guest name");
	s_names_check(c, &ids, "guest id");
}

static void
s_parse_csvs(hf_ctx *c, const ynode *seq)
{
	host_state *h = c->h;
	hf_names names = { 0 };

	if (!s_collection(c, seq, "csvs", YNODE_SEQ))
		return;
	if (yget_str_list(c->doc, seq, "csvs", &h->csvs, &h->ncsvs,
	    c->d) == -1) {
		c->rc = -1;
		return;
	}
	for (size_t i = 0; i < h->ncsvs; i++) {
		char *ip = ypath_index("csvs", i);

		if (h->csvs[i][0] == '\0' || strpbrk(h->csvs[i], "\\/:")) {
			ydiag(c->doc, seq->values[i], ip, c->d, "expected a "
			    "volume name such as Volume1, got '%s'", h->csvs[i]);
			c->rc = -1;
		} else {
			s_names_add(&names, h->csvs[i], seq->values[i], ip);
		}
		free(ip);
	}
	s_names_check(c, &names, "CSV");
}

/* clusters: [A, B], in place of cluster: (one of them, not both). */
static void
s_parse_clusters(hf_ctx *c, const ydoc *doc, const ynode *one,
    const ynode *list)
{
	hf_names names = { 0 };

	if (one == NULL && list == NULL) {
		/* The wording ymap_check uses for a missing key. */
		ydiag(doc, doc->root, "cluster", c->d, "required key is "
		    "missing");
		c->rc = -1;
		return;
	}
	if (one != NULL && list != NULL) {
		ydiag(doc, list, "clusters", c->d, "give cluster or clusters, "
		    "not both (cluster: X means clusters: [X])");
		c->rc = -1;
		return;
	}
	if (list == NULL || !s_collection(c, list, "clusters", YNODE_SEQ))
		return;
	if (yget_str_list(doc, list, "clusters", &c->h->clusters,
	    &c->h->nclusters, c->d) == -1) {
		c->rc = -1;
		return;
	}
	if (c->h->nclusters == 0) {
		ydiag(doc, list, "clusters", c->d, "expected at least one "
		    "cluster name");
		c->rc = -1;
	}
	for (size_t i = 0; i < c->h->nclusters; i++) {
		char *ip = ypath_index("clusters", i);
		const char *n = c->h->clusters[i];

		if (*n == '\0' || strpbrk(n, ",/") != NULL) {
			ydiag(doc, list->values[i], ip, c->d, "expected a "
			    "cluster name without ',' or '/', got '%s'", n);
			c->rc = -1;
		} else {
			s_names_add(&names, n, list->values[i], ip);
		}
		free(ip);
	}
	s_names_check(c, &names, "cluster");
}

static host_state *
s_parse_doc(const ydoc *doc, diag_list *d)
{
	ynode *node, *cluster, *role, *registry, *providers, *agent, *csvs;
	ynode *guests, *dsg, *clusters;
	yfield f[] = {
		{ "node", &node, true },
		{ "cluster", &cluster, false },
		{ "clusters", &clusters, false },
		{ "role", &role, false },
		{ "registry", &registry, false },
		{ "vssProviders", &providers, false },
		{ "dpmAgentLog", &agent, false },
		{ "csvs", &csvs, false },
		{ "guests", &guests, false },
		{ "dataSourceGroups", &dsg, false },
	};
	hf_ctx c = { .doc = doc, .d = d, .h = host_state_new(), .rc = 0 };
	int r = ROLE_HYPERV_NODE;
	bool role_known = true;

	s_fields(&c, doc->root, "", f, sizeof f / sizeof f[0]);
	s_get_name(&c, node, "node", &c.h->node);
	s_get_name(&c, cluster, "cluster", &c.h->cluster);
	s_parse_clusters(&c, doc, cluster, clusters);
	if (role != NULL && yget_enum(doc, role, "role", HOST_ROLE_NAMES, &r,
	    d) == -1) {
		role_known = false;
		c.rc = -1;
	}
	c.h->role = (host_role)r;
	s_parse_registry(&c, registry);
	s_parse_providers(&c, providers);
	s_get_name(&c, agent, "dpmAgentLog", &c.h->agent_log);
	s_parse_csvs(&c, csvs);
	s_parse_guests(&c, guests);
	s_get_name(&c, dsg, "dataSourceGroups", &c.h->data_source_groups);
	if (clusters != NULL && role_known && c.h->role != ROLE_DPM_SERVER) {
		ydiag(doc, clusters, "clusters", d, "only a host with role "
		    "dpm-server protects several clusters (a Hyper-V node is a "
		    "member of one: cluster:)");
		c.rc = -1;
	}
	if (dsg != NULL && role_known && c.h->role != ROLE_DPM_SERVER) {
		ydiag(doc, dsg, "dataSourceGroups", d, "only a host with role "
		    "dpm-server holds DataSourceGroups.xml");
		c.rc = -1;
	}
	if (c.rc == -1)
		host_state_free(&c.h);
	return c.h;
}

host_state *
hostfile_parse(const char *file, const char *text, size_t len, diag_list *d)
{
	ydoc *doc = ydoc_parse(file, text, len, &YDOC_LIMITS_LARGE, d);
	host_state *h;

	if (doc == NULL)
		return NULL;
	h = s_parse_doc(doc, d);
	ydoc_free(&doc);
	return h;
}

host_state *
hostfile_load(const char *path, diag_list *d)
{
	ydoc *doc = ydoc_load(path, &YDOC_LIMITS_LARGE, d);
	host_state *h;

	if (doc == NULL)
		return NULL;
	h = s_parse_doc(doc, d);
	ydoc_free(&doc);
	return h;
}

/*
 * Rendering.
 */

typedef struct hf_emit {
	yaml_emitter_t em;
	bool failed;
} hf_emit;

static int
s_write(void *data, unsigned char *buf, size_t size)
{
	strbuf_add(data, buf, size);
	return 1;
}

/* Emits an event made by an initializer that returned ok. */
static void
s_ev(hf_emit *e, yaml_event_t *ev, int ok)
{
	if (!ok) {
		e->failed = true;
		return;
	}
	if (e->failed) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&e->em, ev))
		e->failed = true;
}

/* Strings another YAML reader (or ours, for null) would take for
 * something else if written plain: null, booleans of YAML 1.1, numbers. */
static bool
s_needs_quotes(const char *s)
{
	static const char *const words[] = {
		"", "~", "null", "true", "false", "yes", "no", "on", "off",
		"y", "n", NULL,
	};

	for (size_t i = 0; words[i]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	if (isdigit((unsigned char)s[0]) || s[0] == '.')
		return true;
	return (s[0] == '-' || s[0] == '+') &&
	    (isdigit((unsigned char)s[1]) || s[1] == '.');
}

static void
s_str(hf_emit *e, const char *s)
{
	yaml_event_t ev;
	size_t len;
	int ok;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (len > INT32_MAX) {
		e->failed = true;
		return;
	}
	ok = yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (const yaml_char_t *)s, (int)len, !s_needs_quotes(s), 1,
	    YAML_ANY_SCALAR_STYLE);
	s_ev(e, &ev, ok);
}

/* Always quoted: ids, versions and paths read better that way, and
 * single quotes show that backslashes are literal. */
static void
s_qstr(hf_emit *e, const char *s)
{
	yaml_event_t ev;
	size_t len;
	int ok;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (len > INT32_MAX) {
		e->failed = true;
		return;
	}
	ok = yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (const yaml_char_t *)s, (int)len, 0, 1,
	    YAML_SINGLE_QUOTED_SCALAR_STYLE);
	s_ev(e, &ev, ok);
}

/* A plain token: a number, a boolean or an enum value. */
static void
s_token(hf_emit *e, const char *s)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (const yaml_char_t *)s, (int)strlen(s), 1, 0,
	    YAML_PLAIN_SCALAR_STYLE);
	s_ev(e, &ev, ok);
}

static void
s_bool(hf_emit *e, bool b)
{
	s_token(e, b ? "true" : "false");
}

static void
s_map(hf_emit *e, bool flow)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	s_ev(e, &ev, ok);
}

static void
s_map_end(hf_emit *e)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_mapping_end_event_initialize(&ev);
	s_ev(e, &ev, ok);
}

static void
s_seq(hf_emit *e, bool flow)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	s_ev(e, &ev, ok);
}

static void
s_seq_end(hf_emit *e)
{
	yaml_event_t ev;
	int ok;

	ok = yaml_sequence_end_event_initialize(&ev);
	s_ev(e, &ev, ok);
}

/* names[i] of a NULL-terminated table, or fails for a value outside it. */
static const char *
s_enum_name(hf_emit *e, const char *const *names, int i)
{
	for (int j = 0; names[j]; j++)
		if (j == i)
			return names[j];
	e->failed = true;
	return "";
}

static void
s_kv(hf_emit *e, const char *key, const char *value)
{
	s_str(e, key);
	s_str(e, value);
}

static void
s_str_list(hf_emit *e, char *const *list, size_t n, bool flow, bool quoted)
{
	s_seq(e, flow);
	for (size_t i = 0; i < n; i++) {
		if (quoted)
			s_qstr(e, list[i]);
		else
			s_str(e, list[i]);
	}
	s_seq_end(e);
}

static void
s_render_value(hf_emit *e, const host_regval *rv)
{
	char num[32];

	s_str(e, rv->name);
	s_map(e, true);
	s_str(e, "type");
	s_token(e, reg_type_name(rv->v.type));
	s_str(e, "data");
	switch (rv->v.type) {
	case REG_T_DWORD:
	case REG_T_QWORD:
		snprintf(num, sizeof num, "%llu",
		    (unsigned long long)rv->v.number);
		s_token(e, num);
		break;
	case REG_T_MULTI_SZ:
		s_str_list(e, rv->v.list, rv->v.list_len, true, false);
		break;
	case REG_T_SZ:
	case REG_T_EXPAND_SZ:
	case REG_T_BINARY:
		s_str(e, rv->v.text);
		break;
	default:
		/* A value without a type cannot be read back. */
		e->failed = true;
		break;
	}
	s_map_end(e);
}

static int
s_key_cmp(const void *pa, const void *pb)
{
	const host_regkey *a = *(const host_regkey *const *)pa;
	const host_regkey *b = *(const host_regkey *const *)pb;
	int c = strcasecmp(a->path, b->path);

	return c != 0 ? c : strcmp(a->path, b->path);
}

static int
s_val_cmp(const void *pa, const void *pb)
{
	const host_regval *a = *(const host_regval *const *)pa;
	const host_regval *b = *(const host_regval *const *)pb;
	int c = strcasecmp(a->name, b->name);

	return c != 0 ? c : strcmp(a->name, b->name);
}

static void
s_render_key(hf_emit *e, const host_regkey *k)
{
	const host_regval **vals;

	s_qstr(e, k->path);
	if (k->nvalues == 0) {
		s_map(e, true);
		s_map_end(e);
		return;
	}
	vals = xcalloc(k->nvalues, sizeof *vals);
	for (size_t i = 0; i < k->nvalues; i++)
		vals[i] = &k->values[i];
	qsort(vals, k->nvalues, sizeof *vals, s_val_cmp);
	s_map(e, false);
	for (size_t i = 0; i < k->nvalues; i++)
		s_render_value(e, vals[i]);
	s_map_end(e);
	free(vals);
}

static void
s_render_registry(hf_emit *e, const host_state *h)
{
	const host_regkey **keys;

	s_str(e, "registry");
	if (h->nkeys == 0) {
		s_map(e, true);
		s_map_end(e);
		return;
	}
	keys = xcalloc(h->nkeys, sizeof *keys);
	for (size_t i = 0; i < h->nkeys; i++)
		keys[i] = &h->keys[i];
	qsort(keys, h->nkeys, sizeof *keys, s_key_cmp);
	s_map(e, false);
	for (size_t i = 0; i < h->nkeys; i++)
		s_render_key(e, keys[i]);
	s_map_end(e);
	free(keys);
}

static void
s_render_providers(hf_emit *e, const host_state *h)
{
	s_str(e, "vssProviders");
	s_seq(e, false);
	for (size_t i = 0; i < h->nproviders; i++) {
		const host_provider *p = &h->providers[i];

		s_map(e, false);
		s_str(e, "id");
		s_qstr(e, p->id);
		s_kv(e, "name", p->name);
		s_str(e, "type");
		s_token(e, s_enum_name(e, PROVIDER_TYPE_NAMES, (int)p->type));
		if (p->version != NULL) {
			s_str(e, "version");
			s_qstr(e, p->version);
		}
		s_str(e, "autorecovery");
		s_bool(e, p->autorecovery);
		s_map_end(e);
	}
	s_seq_end(e);
}

static void
s_render_guest(hf_emit *e, const host_guest *g)
{
	s_map(e, false);
	s_kv(e, "name", g->name);
	s_str(e, "id");
	s_qstr(e, g->id);
	s_str(e, "state");
	s_token(e, s_enum_name(e, GUEST_STATE_NAMES, (int)g->state));
	s_str(e, "integrationServices");
	s_map(e, true);
	for (size_t i = 0; i < g->nservices; i++) {
		s_str(e, g->services[i].name);
		s_bool(e, g->services[i].enabled);
	}
	s_map_end(e);
	s_str(e, "paths");
	s_str_list(e, g->paths, g->npaths, false, true);
	s_map_end(e);
}

static void
s_render_doc(hf_emit *e, const host_state *h)
{
	s_map(e, false);
	s_kv(e, "node", h->node);
	if (h->nclusters > 0) {
		s_str(e, "clusters");
		s_str_list(e, h->clusters, h->nclusters, true, false);
	} else {
		s_kv(e, "cluster", h->cluster);
	}
	s_str(e, "role");
	s_token(e, s_enum_name(e, HOST_ROLE_NAMES, (int)h->role));
	s_render_registry(e, h);
	s_render_providers(e, h);
	if (h->agent_log != NULL)
		s_kv(e, "dpmAgentLog", h->agent_log);
	s_str(e, "csvs");
	s_str_list(e, h->csvs, h->ncsvs, true, false);
	s_str(e, "guests");
	s_seq(e, false);
	for (size_t i = 0; i < h->nguests; i++)
		s_render_guest(e, &h->guests[i]);
	s_seq_end(e);
	if (h->data_source_groups != NULL)
		s_kv(e, "dataSourceGroups", h->data_source_groups);
	s_map_end(e);
}

int
hostfile_render(const host_state *h, strbuf *out)
{
	hf_emit e;
	yaml_event_t ev;
	int ok;

	memset(&e, 0, sizeof e);
	if (!yaml_emitter_initialize(&e.em))
		return -1;
	yaml_emitter_set_output(&e.em, s_write, out);
	yaml_emitter_set_unicode(&e.em, 1);
	yaml_emitter_set_indent(&e.em, 2);
	yaml_emitter_set_width(&e.em, -1);
	yaml_emitter_set_break(&e.em, YAML_LN_BREAK);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	s_ev(&e, &ev, ok);
	ok = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	s_ev(&e, &ev, ok);
	s_render_doc(&e, h);
	ok = yaml_document_end_event_initialize(&ev, 1);
	s_ev(&e, &ev, ok);
	ok = yaml_stream_end_event_initialize(&ev);
	s_ev(&e, &ev, ok);
	if (!e.failed && !yaml_emitter_flush(&e.em))
		e.failed = true;
	yaml_emitter_delete(&e.em);
	return e.failed ? -1 : 0;
}

int
hostfile_save(const host_state *h, const char *path, char **err)
{
	strbuf sb;
	int rc;

	strbuf_init(&sb);
	if (hostfile_render(h, &sb) == -1) {
		*err = xasprintf("cannot write %s: the host state holds text "
		    "that is not valid UTF-8 or a registry value without a "
		    "type", path);
		strbuf_release(&sb);
		return -1;
	}
	rc = platform_replace_file(path, sb.data, sb.len, false, err);
	strbuf_release(&sb);
	return rc;
}
