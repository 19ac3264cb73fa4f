/*
 * wininventory.h: turns what PowerShell and vssadmin print on a Hyper-V
 * host (recorded or live) into a host_state: guests with their state,
 * integration services and paths, the cluster, its CSVs and the VSS
 * providers; and writes the PowerShell text that switches an integration
 * service. Portable C with no OS calls, so it is tested on every
 * platform; backend_win.c runs the commands (win_facts.h) and calls it.
 */
#ifndef HVP_NODE_WININVENTORY_H
#define HVP_NODE_WININVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "hoststate.h"

/* One command's output as bytes; data NULL when it was not run (a DPM
 * server has no guests; a host outside a cluster has no CSVs). */
typedef struct wininv_text {
	const char *data;
	size_t len;
} wininv_text;

typedef struct wininv_outputs {
	wininv_text cluster;	/* WINF_PS_CLUSTER */
	wininv_text vms;	/* WINF_PS_VMS */
	wininv_text services;	/* WINF_PS_SERVICES */
	wininv_text disks;	/* WINF_PS_DISKS */
	wininv_text csvs;	/* WINF_PS_CSVS */
	wininv_text providers;	/* vssadmin list providers */
} wininv_outputs;

/*
 * Fills h (cluster, guests, csvs, providers; node, role and registry are
 * the caller's) from the outputs. Records that cannot be used (a guest
 * without a GUID, a service without Enabled) make the whole call fail:
 * a half-read host would look compliant. Services and disks of guests
 * not in the VM list are skipped (the guest appeared between two
 * commands). Returns 0, or -1 with an owned *err naming the command and
 * the problem.
 */
int wininv_build(host_state *h, const wininv_outputs *o, char **err);

/* The canonical service name for an integration service record: "VSS"
 * when id ends with the Backup service's GUID (whatever name is, as it is
 * localized), the cmdlet name for the other known GUIDs, else name.
 * Borrowed (a constant or name itself); NULL when both are NULL. */
const char *wininv_service_name(const char *id, const char *name);
/* True when the Id names the Backup (volume shadow copy) service. */
bool wininv_is_backup_service(const char *id);

/* The PowerShell command that enables or disables service (a canonical
 * name, as wininv_service_name gives) on the guest with this GUID,
 * addressing the service by its GUID when it is known. NULL with an
 * owned *err when the guest id is not a GUID or the name has characters
 * a command could not carry safely. Owned. */
char *wininv_service_command(const char *guest_id, const char *service,
    bool enable, char **err);

#endif
