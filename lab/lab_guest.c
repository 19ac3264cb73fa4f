/*
 * lab_guest.c: guests as the lab makes and moves them (lab.h): a new
 * guest the way Hyper-V creates one, and a guest's configuration and
 * virtual-disk paths laid out on a list of CSVs. Called by init,
 * add-guest and move-storage.
 */
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "xalloc.h"

/* The file name at the end of a Windows path (either separator). */
static const char *
s_basename(const char *path)
{
	const char *b = path;

	for (const char *p = path; *p; p++)
		if (*p == '\\' || *p == '/')
			b = p + 1;
	return b;
}

static char *
s_csv_path(const char *vol, const char *guest, const char *file)
{
	return xasprintf("%s%s\\%s\\%s", CSV_ROOT, vol, guest, file);
}

void
lab_guest_paths(host_guest *g, const char *const *vols, size_t nvols,
    const host_guest *old)
{
	size_t old_disks = old && old->npaths > 1 ? old->npaths - 1 : 0;
	size_t ndisks = nvols > old_disks ? nvols : old_disks;
	char **paths = xcalloc(ndisks + 1, sizeof *paths);
	char *file;

	/* Configuration, then disk i on vols[i] (extra disks on vols[0]). */
	if (old && old->npaths > 0)
		file = xstrdup(s_basename(old->paths[0]));
	else
		file = xasprintf("%s.vmcx", g->name);
	paths[0] = s_csv_path(vols[0], g->name, file);
	free(file);
	for (size_t i = 0; i < ndisks; i++) {
		const char *vol = vols[i < nvols ? i : 0];

		if (i < old_disks)
			file = xstrdup(s_basename(old->paths[i + 1]));
		else if (i == 0)
			file = xasprintf("%s.vhdx", g->name);
		else
			file = xasprintf("%s-disk%zu.vhdx", g->name, i + 1);
		paths[i + 1] = s_csv_path(vol, g->name, file);
		free(file);
	}
	for (size_t i = 0; i < g->npaths; i++)
		free(g->paths[i]);
	free(g->paths);
	g->paths = paths;
	g->npaths = ndisks + 1;
}

void
lab_guest_make(host_guest *g, const char *name, const char *guid,
    const char *const *vols, size_t nvols)
{
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	g->id = xstrdup(guid);
	g->state = GUEST_RUNNING;
	host_guest_set_service(g, "VSS", true);
	host_guest_set_service(g, "Heartbeat", true);
	host_guest_set_service(g, "Shutdown", true);
	lab_guest_paths(g, vols, nvols, NULL);
}
