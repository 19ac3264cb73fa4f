/*
 * restore.c: the controller's state at start (restore.h).
 */
#include "restore.h"

#include <stdlib.h>
#include <string.h>

#include "conflicts.h"
#include "dpmparts.h"
#include "linger.h"
#include "log.h"
#include "push.h"
#include "store.h"
#include "xalloc.h"

static int
s_restore_nodes(server *s, char **err)
{
	store_node *list = NULL;
	size_t n = 0;
	char *why = NULL;

	if (store_list_nodes(s->store, &list, &n, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		node_session *ns = sessions_get_or_add(&s->nodes, list[i].name);

		ns->role = list[i].role;
		ns->cluster = xstrdup(list[i].cluster);
		dpmparts_restore(ns, list[i].cluster, list[i].parts);
		ns->last_seen = list[i].last_seen;
		/* Nobody is online until it speaks to this process. */
		ns->online = false;
		ns->acked_revision = list[i].acked_revision;
		ns->acked_plan_generation = list[i].acked_plan_generation;
		ns->converged = list[i].converged;
		ns->open_drift = (uint32_t)list[i].open_drift;
		ns->dsgroups_hash = xstrdup(list[i].dsgroups_hash);
		ns->inventory_hash = xstrdup(list[i].inventory_hash);
		if (list[i].inventory)
			sessions_set_inventory(ns, invdigest_new_encoded(
			    list[i].inventory, list[i].inventory_len));
	}
	store_node_list_free(&list, n);
	/* Soft state (every session starts offline in memory anyway): a
	 * store that cannot take it now (disk full) must not keep the
	 * controller from starting. */
	if (store_set_all_offline(s->store, &why) == -1) {
		log_warnx("cannot mark nodes offline in the store (starting "
		    "anyway): %s", why);
		free(why);
	}
	return 0;
}

int
restore_state(server *s, char **err)
{
	s->started_mono = platform_mono_ms();
	/* Each cluster's revision, plan and floor (clusters.c). */
	if (clusters_restore(s, err) == -1)
		return -1;
	if (s_restore_nodes(s, err) == -1)
		return -1;
	if (conflicts_restore(s, err) == -1 || linger_restore(s, err) == -1)
		return -1;
	s->plan_dirty = true;
	return 0;
}
