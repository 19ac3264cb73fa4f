/*
 * fuzz_node.c: the node daemon's handlers for what the controller sends
 * (node/daemon.c, through node_daemon_fuzz_dispatch). Two daemons with no
 * socket, each over a sim host file in one scratch directory: the first
 * input byte picks one (even: HV01, a hyperv-node; odd: DPM01, the
 * dpm-server); the rest goes through wire_decode and, if it decodes, to
 * that daemon, which handles it as the running daemon would (a Desired
 * is saved, enforced on the host file and journalled). Before each input
 * the daemon's host file is put back as it was, so every Desired and
 * DryRun finds drift. The scratch directory (under TMPDIR, else /tmp) is
 * removed at exit. Seeds: corpus/node/, made by gen_node_corpus.c.
 */
#define _XOPEN_SOURCE 700	/* nftw() */

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "platform.h"
#include "wire.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* VM0002 has its backup service off and the provider key is missing: a
 * system-software policy corrects both. */
static const char s_hv_host[] =
    "node: HV01\n"
    "cluster: HV-CLUSTER-01\n"
    "role: hyperv-node\n"
    "registry:\n"
    "  'HKLM\\SOFTWARE\\Contoso\\Backup':\n"
    "    Window: {type: REG_SZ, data: '22:00-05:00'}\n"
    "vssProviders:\n"
    "  - id: '{b5946137-7b9f-4925-af80-51abd60b20d5}'\n"
    "    name: Microsoft Software Shadow Copy provider 1.0\n"
    "    type: system\n"
    "    version: 1.0.0.7\n"
    "    autorecovery: true\n"
    "dpmAgentLog: DPMRACurr.errlog\n"
    "csvs: [Volume1, Volume2]\n"
    "guests:\n"
    "  - name: VM0001\n"
    "    id: 6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11\n"
    "    integrationServices: {VSS: true, Heartbeat: true}\n"
    "    paths: ['C:\\ClusterStorage\\Volume1\\VM0001\\VM0001.vmcx']\n"
    "  - name: VM0002\n"
    "    id: 0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b\n"
    "    state: saved\n"
    "    integrationServices: {VSS: false}\n"
    "    paths: ['C:\\ClusterStorage\\Volume2\\VM0002\\VM0002.vmcx',\n"
    "            'C:\\ClusterStorage\\Volume1\\VM0002\\data.vhdx']\n"
    "  - name: TEMPLATE-01\n"
    "    id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d\n"
    "    state: off\n"
    "    integrationServices: {VSS: false}\n"
    "    paths: ['D:\\Templates\\TEMPLATE-01.vmcx']\n";

/* The per-node limit is wrong and there is no DataSourceGroups.xml yet. */
static const char s_dpm_host[] =
    "node: DPM01\n"
    "cluster: HV-CLUSTER-01\n"
    "role: dpm-server\n"
    "registry:\n"
    "  'HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\2.0"
    "\\Configuration\\MaxAllowedParallelBackups':\n"
    "    Microsoft Hyper-V: {type: REG_DWORD, data: 4}\n"
    "vssProviders: []\n"
    "csvs: []\n"
    "guests: []\n"
    "dataSourceGroups: DataSourceGroups.xml\n";

typedef struct s_fuzz_host {
	const char *text;
	char *host_file;
	node_daemon *d;
} s_fuzz_host;

static char s_root[512];
static s_fuzz_host s_hosts[2] = {
	{ .text = s_hv_host },
	{ .text = s_dpm_host },
};

/* Puts the host file back (in place: the backend notices by its stamp and
 * hash, as it would an administrator's edit). */
static void
s_restore(const s_fuzz_host *h)
{
	FILE *fp = fopen(h->host_file, "w");

	if (fp == NULL || fputs(h->text, fp) == EOF || fclose(fp) != 0)
		abort();
}

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
s_cleanup(void)
{
	for (size_t i = 0; i < 2; i++) {
		node_daemon_fuzz_free(&s_hosts[i].d);
		free(s_hosts[i].host_file);
		s_hosts[i].host_file = NULL;
	}
	if (s_root[0] != '\0')
		nftw(s_root, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void
s_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char *err = NULL;

	log_init("fuzz_node", false);
	snprintf(s_root, sizeof s_root, "%s/hvp-fuzz-node-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(s_root) == NULL)
		abort();
	atexit(s_cleanup);
	for (size_t i = 0; i < 2; i++) {
		s_fuzz_host *h = &s_hosts[i];
		char *dir = xasprintf("%s/%s", s_root, i ? "dpm01" : "hv01");
		char *state = platform_path_join(dir, "state");

		if (platform_mkdir_p(dir, true, &err) == -1) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
		h->host_file = platform_path_join(dir, "host.yaml");
		s_restore(h);
		h->d = node_daemon_fuzz_new(h->host_file, state, &err);
		if (h->d == NULL) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
		free(state);
		free(dir);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	s_fuzz_host *h;
	Hvp__Envelope *e;
	char *err = NULL;

	if (!ready) {
		s_setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	e = wire_decode(data + 1, size - 1, &err);
	free(err);
	if (e == NULL)
		return 0;
	h = &s_hosts[data[0] & 1];
	s_restore(h);
	node_daemon_fuzz_dispatch(h->d, e);
	wire_envelope_free(&e);
	return 0;
}
