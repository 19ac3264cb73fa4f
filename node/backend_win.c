/*
 * backend_win.c: the `windows` host backend (host.h) on a real Windows
 * host; built only for WIN32. Called by the node daemon and --once
 * through host_ops. Glue between the parts:
 *
 * - the registry: winregistry.c (read, written at once, watched);
 * - Hyper-V, cluster and VSS facts: the commands of win_facts.h run in
 *   the long-lived PowerShell host (winrun.c), their output read by
 *   wininventory.c; `vssadmin list providers` once an hour (winrun.c);
 * - WMI events from the host (winevents.c): a pass within seconds of a
 *   guest created, deleted or migrated, a state change, a Backup service
 *   switched or a cluster group moved;
 * - DPM's files: the install folder by version (dpmpaths.c).
 */
#include "host.h"

#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpmpaths.h"
#include "log.h"
#include "platform.h"
#include "win_facts.h"
#include "winevents.h"
#include "wininventory.h"
#include "winregistry.h"
#include "winrun.h"
#include "wintext.h"
#include "xalloc.h"

typedef struct win {
	host_role role;
	char *cluster;		/* configured; NULL: ask the cluster */
	winregistry *reg;
	winps *ps;
	winev_sched events;
	char *dsgroups;		/* DataSourceGroups.xml */
	platform_watch *file_watch;	/* dpm-server: dsgroups */
	char *providers;	/* vssadmin's last output */
	size_t providers_len;
	int64_t providers_at;	/* monotonic ms; 0: never */
} win;

/* ---- facts ---- */

static char *
s_computer_name(void)
{
	wchar_t buf[256];
	DWORD n = sizeof buf / sizeof buf[0];

	if (!GetComputerNameExW(ComputerNameDnsHostname, buf, &n) &&
	    !GetComputerNameW(buf, &n))
		return xstrdup("localhost");
	return wintext_utf8(buf);
}

/* vssadmin's output, run again when older than the refresh interval. */
static int
s_providers(win *w, char **out, size_t *len, char **err)
{
	int64_t now = platform_mono_ms();

	if (w->providers == NULL || now - w->providers_at >=
	    WINF_VSSADMIN_REFRESH_MS) {
		char *text = NULL;
		size_t n = 0;

		if (winrun_once(WINF_VSSADMIN, "vssadmin list providers",
		    WINF_PS_TIMEOUT_MS, WINF_PS_MAX_OUTPUT, &text, &n,
		    err) == -1)
			return -1;
		free(w->providers);
		w->providers = text;
		w->providers_len = n;
		w->providers_at = now;
	}
	*out = xstrndup(w->providers, w->providers_len);
	*len = w->providers_len;
	return 0;
}

static int
s_observe_guests(win *w, host_state *h, char **err)
{
	static const struct {
		const char *what;
		const char *command;	/* NULL: vssadmin */
	} facts[] = {
		{ "Get-Cluster", WINF_PS_CLUSTER },
		{ "Get-VM", WINF_PS_VMS },
		{ "Get-VMIntegrationService", WINF_PS_SERVICES },
		{ "Get-VMHardDiskDrive", WINF_PS_DISKS },
		{ "Get-ClusterSharedVolume", WINF_PS_CSVS },
		{ "vssadmin", NULL },
	};
	char *text[6] = { NULL };
	size_t len[6] = { 0 };
	wininv_outputs o;
	int rc = 0;

	for (size_t i = 0; i < 6 && rc == 0; i++) {
		/* A configured cluster name is not asked for. */
		if (i == 0 && w->cluster != NULL)
			continue;
		if (facts[i].command == NULL)
			rc = s_providers(w, &text[i], &len[i], err);
		else
			rc = winps_call(w->ps, facts[i].command, facts[i].what,
			    &text[i], &len[i], err);
	}
	if (rc == 0) {
		memset(&o, 0, sizeof o);
		o.cluster.data = text[0];
		o.cluster.len = len[0];
		o.vms.data = text[1];
		o.vms.len = len[1];
		o.services.data = text[2];
		o.services.len = len[2];
		o.disks.data = text[3];
		o.disks.len = len[3];
		o.csvs.data = text[4];
		o.csvs.len = len[4];
		o.providers.data = text[5];
		o.providers.len = len[5];
		rc = wininv_build(h, &o, err);
	}
	for (size_t i = 0; i < 6; i++)
		free(text[i]);
	return rc;
}

/* ---- DPM ---- */

static bool
s_dir_exists(const char *path, void *ctx)
{
	(void)ctx;
	return platform_file_exists(path);
}

/* DPM's install folder now (InstallPath, else the defaults); owned. */
static char *
s_dpm_dir(bool *found)
{
	wchar_t pf[MAX_PATH];
	char *install, *base, *dir;

	if (GetEnvironmentVariableW(L"ProgramFiles", pf, MAX_PATH) == 0)
		pf[0] = L'\0';
	install = winregistry_hklm_string(WINF_DPM_SETUP_KEY,
	    WINF_DPM_INSTALL_VALUE);
	base = wintext_utf8(pf);
	dir = dpmpaths_install_dir(install, base, s_dir_exists, NULL, found);
	free(base);
	free(install);
	return dir;
}

/* ---- host_ops ---- */

static int
s_observe(host_backend *b, host_state **out, char **err)
{
	win *w = b->impl;
	host_state *h = host_state_new();

	h->node = s_computer_name();
	h->role = w->role;
	h->cluster = xstrdup(w->cluster);
	if (winregistry_read(w->reg, h, err) == -1)
		goto fail;
	if (w->role == ROLE_HYPERV_NODE && s_observe_guests(w, h, err) == -1)
		goto fail;
	h->data_source_groups = xstrdup(w->dsgroups);
	*out = h;
	return 0;
fail:
	host_state_free(&h);
	return -1;
}

static int
s_create_key(host_backend *b, const char *key, char **err)
{
	return winregistry_create_key(((win *)b->impl)->reg, key, err);
}

static int
s_delete_key(host_backend *b, const char *key, char **err)
{
	return winregistry_delete_key(((win *)b->impl)->reg, key, err);
}

static int
s_set_value(host_backend *b, const char *key, const char *name,
    const reg_value *v, char **err)
{
	return winregistry_set_value(((win *)b->impl)->reg, key, name, v, err);
}

static int
s_delete_value(host_backend *b, const char *key, const char *name,
    char **err)
{
	return winregistry_delete_value(((win *)b->impl)->reg, key, name, err);
}

static int
s_set_integration(host_backend *b, const char *guest_id, const char *service,
    bool enabled, char **err)
{
	win *w = b->impl;
	char *cmd, *out = NULL, *what;
	size_t len = 0;
	int rc;

	if ((cmd = wininv_service_command(guest_id, service, enabled,
	    err)) == NULL)
		return -1;
	what = xasprintf("%s-VMIntegrationService %s on guest %s",
	    enabled ? "Enable" : "Disable", service, guest_id);
	rc = winps_call(w->ps, cmd, what, &out, &len, err);
	free(what);
	free(out);
	free(cmd);
	return rc;
}

static int
s_read_dsgroups(host_backend *b, char **data, size_t *len, char **err)
{
	win *w = b->impl;

	*data = NULL;
	*len = 0;
	if (!platform_file_exists(w->dsgroups))
		return 0;
	return platform_read_file(w->dsgroups, PLATFORM_MAX_FILE, data, len,
	    err);
}

static int
s_write_dsgroups(host_backend *b, const void *data, size_t len, char **err)
{
	win *w = b->impl;

	if (platform_replace_file(w->dsgroups, data, len, false, err) == -1)
		return -1;
	if (w->file_watch != NULL)
		platform_watch_changed(w->file_watch);	/* our own write */
	return 0;
}

static int
s_read_agent_log(host_backend *b, size_t max, char **data, size_t *len,
    char **err)
{
	char *dir = s_dpm_dir(NULL), *path = dpmpaths_agent_log(dir);
	wchar_t *wpath;
	HANDLE h;
	LARGE_INTEGER size, at;
	DWORD got = 0;
	char *buf;

	(void)b;
	free(dir);
	*data = NULL;
	*len = 0;
	if (!platform_file_exists(path)) {
		free(path);
		return 0;
	}
	wpath = wintext_wide(path);
	h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
	    NULL);
	free(wpath);
	if (h == INVALID_HANDLE_VALUE) {
		char *why = wintext_syserr(GetLastError());

		*err = xasprintf("cannot open %s: %s", path, why);
		free(why);
		free(path);
		return -1;
	}
	free(path);
	if (!GetFileSizeEx(h, &size))
		size.QuadPart = 0;
	if (max > 0x40000000)
		max = 0x40000000;
	at.QuadPart = (uint64_t)size.QuadPart > max ?
	    size.QuadPart - (LONGLONG)max : 0;
	SetFilePointerEx(h, at, NULL, FILE_BEGIN);
	buf = xmalloc(max + 1);
	if (!ReadFile(h, buf, (DWORD)max, &got, NULL))
		got = 0;
	CloseHandle(h);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

static int
s_commit(host_backend *b, char **err)
{
	(void)b;
	(void)err;
	return 0;	/* every change was made at once */
}

static void
s_rollback(host_backend *b)
{
	(void)b;	/* nothing is held back */
}

static int
s_watch_fd(host_backend *b)
{
	(void)b;
	return -1;	/* changed() is polled */
}

static void
s_on_event(const char *kind, const char *subject, void *ctx)
{
	win *w = ctx;

	if (winev_note(&w->events, kind, subject, platform_mono_ms()))
		log_debug("WMI event %s %s", kind, subject);
}

static bool
s_changed(host_backend *b)
{
	win *w = b->impl;
	bool changed = winregistry_changed(w->reg);
	char what[160];

	if (w->file_watch != NULL && platform_watch_changed(w->file_watch))
		changed = true;
	if (w->role == ROLE_HYPERV_NODE) {
		winps_poll(w->ps);
		if (winev_due(&w->events, platform_mono_ms(), what,
		    sizeof what)) {
			log_info("event: %s; starting a pass", what);
			changed = true;
		}
	}
	return changed;
}

static void
s_destroy(host_backend *b)
{
	win *w = b->impl;

	winps_free(&w->ps);
	winregistry_free(&w->reg);
	free(w->cluster);
	free(w->dsgroups);
	free(w->providers);
	platform_watch_free(&w->file_watch);
	free(w);
}

static const host_ops S_OPS = {
	.name = "windows",
	.observe = s_observe,
	.create_key = s_create_key,
	.delete_key = s_delete_key,
	.set_value = s_set_value,
	.delete_value = s_delete_value,
	.set_integration = s_set_integration,
	.read_dsgroups = s_read_dsgroups,
	.write_dsgroups = s_write_dsgroups,
	.read_agent_log = s_read_agent_log,
	.commit = s_commit,
	.rollback = s_rollback,
	.watch_fd = s_watch_fd,
	.changed = s_changed,
	.destroy = s_destroy,
};

host_backend *
backend_windows_new(host_role role, const char *cluster, char **err)
{
	host_backend *b;
	win *w;
	char *dir;
	bool found = false;

	(void)err;
	w = xcalloc(1, sizeof *w);
	w->role = role;
	w->cluster = cluster && *cluster ? xstrdup(cluster) : NULL;
	dir = s_dpm_dir(&found);
	w->dsgroups = dpmpaths_dsgroups(dir);
	free(dir);
	if (role == ROLE_DPM_SERVER) {
		if (!found)
			log_warnx("DPM's install folder is neither in the "
			    "registry nor in a default place; using %s",
			    w->dsgroups);
		w->file_watch = platform_watch_new(w->dsgroups, NULL);
	}
	w->reg = winregistry_new(WINF_DPM_ROOT_KEY);
	w->ps = winps_new(s_on_event, w);
	b = xcalloc(1, sizeof *b);
	b->ops = &S_OPS;
	b->impl = w;
	return b;
}

void
backend_windows_track(host_backend *b, const policy *p)
{
	const char **keys;
	size_t n = p != NULL ? p->nregistry : 0;

	if (b == NULL || b->ops != &S_OPS)
		return;
	keys = xcalloc(n ? n : 1, sizeof *keys);
	for (size_t i = 0; i < n; i++)
		keys[i] = p->registry[i].key;
	winregistry_track(((win *)b->impl)->reg, keys, n);
	free(keys);
}

bool
backend_windows_available(void)
{
	return true;
}
