/*
 * winevents.c: WMI events -> reconcile passes (winevents.h). Called by
 * backend_win.c's changed() and by the unit tests.
 */
#include "winevents.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "evidence.h"
#include "win_facts.h"

static bool
s_is_guid(const char *s, size_t n)
{
	char canon[39];

	return s != NULL && evidence_guid(s, n, canon);
}

/* "Microsoft:<guest>\<component>" naming the Backup service. */
static bool
s_is_backup_instance(const char *id)
{
	static const char prefix[] = "Microsoft:";
	const char *guest, *sep;
	char a[39], b[39];

	if (strncmp(id, prefix, sizeof prefix - 1) != 0)
		return false;
	guest = id + sizeof prefix - 1;
	if ((sep = strchr(guest, '\\')) == NULL)
		return false;
	return s_is_guid(guest, (size_t)(sep - guest)) &&
	    evidence_guid(sep + 1, strlen(sep + 1), a) &&
	    evidence_guid(WINF_SVC_VSS_GUID, strlen(WINF_SVC_VSS_GUID), b) &&
	    strcasecmp(a, b) == 0;
}

bool
winev_wants_pass(const char *kind, const char *subject, const char **why)
{
	static const struct {
		const char *kind;
		const char *why;
	} guest_kinds[] = {
		{ WINF_EV_VM_CREATED, "guest created or migrated in" },
		{ WINF_EV_VM_DELETED, "guest deleted or migrated out" },
		{ WINF_EV_VM_CHANGED, "guest state changed" },
	};
	const char *w = NULL;

	if (kind == NULL || subject == NULL)
		return false;
	for (size_t i = 0; i < sizeof guest_kinds / sizeof guest_kinds[0];
	    i++)
		if (strcmp(kind, guest_kinds[i].kind) == 0 &&
		    s_is_guid(subject, strlen(subject)))
			w = guest_kinds[i].why;
	if (strcmp(kind, WINF_EV_VSS_CHANGED) == 0 &&
	    s_is_backup_instance(subject))
		w = "Backup integration service switched";
	if (strcmp(kind, WINF_EV_GROUP_MOVED) == 0)
		w = "cluster group moved";
	if (w != NULL && why != NULL)
		*why = w;
	return w != NULL;
}

bool
winev_note(winev_sched *s, const char *kind, const char *subject,
    int64_t now_ms)
{
	const char *why = NULL;

	if (!winev_wants_pass(kind, subject, &why))
		return false;
	if (s->due == 0) {
		s->due = now_ms + WINEV_SETTLE_MS;
		s->pending = 0;
		snprintf(s->first, sizeof s->first, "%s %.80s", why, subject);
	}
	s->pending++;
	return true;
}

bool
winev_due(winev_sched *s, int64_t now_ms, char *what, size_t n)
{
	if (s->due == 0 || now_ms < s->due)
		return false;
	if (what != NULL && n > 0)
		snprintf(what, n, "%s%s", s->first, s->pending > 1 ?
		    " and more events" : "");
	s->due = 0;
	s->pending = 0;
	return true;
}
