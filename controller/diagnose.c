/*
 * diagnose.c: 30112 findings (diagnose.h). The rules follow the support
 * article: a VSS hardware provider without autorecovery that takes the
 * host snapshots fails every online guest backup, unless guests are backed
 * up in saved state (Backup integration service off) or the DPM agent is
 * told to use the system provider and backups are serialized.
 */
#include "diagnose.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "xalloc.h"

#define DIAG_MAX_GUESTS_LISTED 10

typedef struct flist {
	finding *items;
	size_t n, cap;
} flist;

static void
s_add(flist *f, const char *node, const char *kind, char *evidence, char *fix)
{
	xgrow(&f->items, &f->cap, f->n + 1, sizeof *f->items);
	f->items[f->n].cluster = NULL;	/* set by diagnose_run */
	f->items[f->n].node = xstrdup(node);
	f->items[f->n].kind = xstrdup(kind);
	f->items[f->n].evidence = evidence;
	f->items[f->n].fix = fix;
	f->n++;
}

static void
s_snapshot(const policy *pol, const node_session *n, flist *f)
{
	const invdigest_snapshot *snap = &n->inventory->snapshot;
	bool saved_state;

	if (snap->provider_id == NULL)
		return;
	if (snap->provider_known ? (strcmp(snap->provider_type, "hardware") != 0 ||
	    snap->provider_autorecovery) : !snap->hardware)
		return;
	saved_state = pol &&
	    pol->strategy == STRATEGY_HARDWARE_SAVED_STATE;
	if (saved_state)
		return;
	s_add(f, n->name, "hardware-provider-snapshot",
	    xasprintf("the last snapshot was taken by %s %s, which does not "
	    "support autorecovery; DPM agent log: %s",
	    snap->provider_known ? snap->provider_name :
	    "hardware provider", snap->provider_id, snap->line),
	    pol ? xstrdup("the strategy is system-software: the DPM agent "
	    "must use the system provider; make sure the UseSystemSoftwareProvider "
	    "key is present on this node (mode enforce corrects it)") :
	    xstrdup("apply a policy: strategy system-software (system provider, "
	    "serialized backups) or hardware-saved-state (Backup integration "
	    "service off on every guest)"));
}

static void
s_settings(const policy *pol, const node_session *n, flist *f)
{
	bool key = n->inventory->has_system_provider_key;

	if (pol == NULL)
		return;
	if (pol->strategy == STRATEGY_HARDWARE_SAVED_STATE && key)
		s_add(f, n->name, "other-strategy-settings",
		    xstrdup("HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
		    "Manager\\Agent\\UseSystemSoftwareProvider is present, which "
		    "belongs to strategy system-software"),
		    xstrdup("delete the key (mode enforce does), or change the "
		    "policy's strategy"));
	if (pol->strategy == STRATEGY_SYSTEM_SOFTWARE && !key)
		s_add(f, n->name, "missing-strategy-settings",
		    xstrdup("HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection "
		    "Manager\\Agent\\UseSystemSoftwareProvider is absent: the DPM "
		    "agent uses the hardware provider"),
		    xstrdup("create the key (mode enforce does)"));
}

static void
s_guests(const policy *pol, const node_session *n, flist *f)
{
	bool want;
	size_t bad = 0;
	strbuf names;

	if (pol == NULL)
		return;
	want = pol->strategy == STRATEGY_SYSTEM_SOFTWARE;
	strbuf_init(&names);
	for (size_t i = 0; i < n->inventory->nguests; i++) {
		const invdigest_guest *g = &n->inventory->guests[i];

		const char *name = invdigest_name(n->inventory, g);

		if (!policy_covers_guest(pol, name) ||
		    (bool)g->backup_service == want)
			continue;
		if (bad < DIAG_MAX_GUESTS_LISTED)
			strbuf_addf(&names, "%s%s", bad ? ", " : "", name);
		bad++;
	}
	if (bad > DIAG_MAX_GUESTS_LISTED)
		strbuf_addf(&names, " and %zu more",
		    bad - DIAG_MAX_GUESTS_LISTED);
	if (bad)
		s_add(f, n->name, "backup-service-mismatch",
		    xasprintf("Backup (volume shadow copy) integration service is "
		    "%s on %zu guest%s: %s", want ? "disabled" : "enabled", bad,
		    bad == 1 ? "" : "s", names.data),
		    xasprintf("%s it on those guests (mode enforce does)",
		    want ? "enable" : "disable"));
	strbuf_release(&names);
}

size_t
diagnose_run(const server *s, const cluster_state *only, finding **out)
{
	flist f = { 0 };

	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];
		const cluster_state *c = clusters_of_node(s, n);
		size_t first = f.n;

		if (n->inventory == NULL || n->role != ROLE_HYPERV_NODE ||
		    c == NULL || (only && c != only))
			continue;
		s_snapshot(c->policy, n, &f);
		s_settings(c->policy, n, &f);
		s_guests(c->policy, n, &f);
		for (size_t k = first; k < f.n; k++)
			f.items[k].cluster = xstrdup(c->name);
	}
	*out = f.items;
	return f.n;
}

void
findings_free(finding **list, size_t n)
{
	if (*list == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*list)[i].cluster);
		free((*list)[i].node);
		free((*list)[i].kind);
		free((*list)[i].evidence);
		free((*list)[i].fix);
	}
	free(*list);
	*list = NULL;
}
