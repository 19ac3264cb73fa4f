/*
 * test_wininventory.c: PowerShell and vssadmin output -> host_state
 * (node/wininventory.c) on the recorded outputs in tests/data/windows:
 * guests, states, paths (a guest on two CSVs), the Backup service found
 * by its Id under a localized name, CSVs, providers and the cluster; a
 * bare single object with a numeric state; every VMState family; broken
 * records failing the whole observation; the PowerShell text that
 * switches a service.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hoststate.h"
#include "platform.h"
#include "win_facts.h"
#include "wininventory.h"
#include "xalloc.h"

#define WIN HVP_TEST_DATA "/windows/"

typedef struct s_files {
	char *text[6];
	wininv_outputs o;
} s_files;

static void
s_load(const char *dir, s_files *f)
{
	static const char *const names[] = { "cluster.json", "vms.json",
	    "services.json", "disks.json", "csvs.json", "providers.txt" };
	wininv_text *slots[] = { &f->o.cluster, &f->o.vms, &f->o.services,
	    &f->o.disks, &f->o.csvs, &f->o.providers };

	memset(f, 0, sizeof *f);
	for (size_t i = 0; i < 6; i++) {
		char *path = xasprintf("%s%s/%s", WIN, dir, names[i]);
		char *err = NULL;
		size_t len = 0;

		if (platform_file_exists(path)) {
			if (platform_read_file(path, 1 << 20, &f->text[i], &len,
			    &err) == -1)
				fail_msg("%s: %s", path, err);
			slots[i]->data = f->text[i];
			slots[i]->len = len;
		}
		free(path);
	}
}

static void
s_release(s_files *f)
{
	for (size_t i = 0; i < 6; i++)
		free(f->text[i]);
}

static host_guest *
s_guest(host_state *h, const char *id)
{
	host_guest *g = host_guest_find(h, id);

	if (g == NULL)
		fail_msg("guest %s not found", id);
	return g;
}

static void
t_node(void **state)
{
	s_files f;
	host_state *h = host_state_new();
	host_guest *g;
	host_service *s;
	char *err = NULL;

	(void)state;
	s_load("hv01", &f);
	assert_int_equal(wininv_build(h, &f.o, &err), 0);
	assert_null(err);
	assert_string_equal(h->cluster, "HV-CLUSTER-01");
	assert_int_equal(h->nguests, 3);

	g = s_guest(h, "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11");
	assert_string_equal(g->name, "VM0001");
	assert_int_equal(g->state, GUEST_RUNNING);
	assert_int_equal(g->npaths, 3);
	assert_string_equal(g->paths[0], "C:\\ClusterStorage\\Volume1\\VM0001");
	assert_string_equal(g->paths[2],
	    "C:\\ClusterStorage\\Volume2\\VM0001\\data.vhdx");
	assert_int_equal(g->nservices, 6);
	assert_non_null(s = host_guest_service(g, "VSS"));
	assert_true(s->enabled);
	assert_non_null(s = host_guest_service(g, "Guest Service Interface"));
	assert_false(s->enabled);
	assert_non_null(host_guest_service(g, "Time Synchronization"));

	/* Upper-case GUID in, lowercase id out; the localized services are
	 * known by their Id. */
	g = s_guest(h, "0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b");
	assert_string_equal(g->id, "0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b");
	assert_int_equal(g->state, GUEST_SAVED);
	assert_int_equal(g->nservices, 3);
	/* Key-Value Pair Exchange under its German name, known by the GUID
	 * Vagrant and Packer use (2A34B1C2-...-DD2159BC743F). */
	assert_non_null(s = host_guest_service(g, "Key-Value Pair Exchange"));
	assert_true(s->enabled);
	assert_non_null(s = host_guest_service(g, "VSS"));
	assert_false(s->enabled);
	assert_non_null(s = host_guest_service(g, "Heartbeat"));
	assert_true(s->enabled);
	assert_null(host_guest_service(g, "Sicherung (Volumeschattenkopie)"));
	assert_null(host_guest_service(g, "Takt"));

	/* Off the CSVs; a pass-through disk has no path. */
	g = s_guest(h, "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d");
	assert_int_equal(g->state, GUEST_OFF);
	assert_int_equal(g->npaths, 1);
	assert_null(csv_volume_of_path(g->paths[0]));

	assert_int_equal(h->ncsvs, 2);
	assert_string_equal(h->csvs[0], "Volume1");
	assert_string_equal(h->csvs[1], "Volume2");

	/* The file share provider (type 4) is not taken as hardware: it is
	 * left out, so it cannot raise a 30112 finding. */
	assert_int_equal(h->nproviders, 2);
	for (size_t i = 0; i < h->nproviders; i++)
		assert_string_not_equal(h->providers[i].id,
		    WINF_FILESHARE_PROVIDER_ID);
	assert_string_equal(h->providers[0].id,
	    "{b5946137-7b9f-4925-af80-51abd60b20d5}");
	assert_int_equal(h->providers[0].type, PROVIDER_SYSTEM);
	assert_true(h->providers[0].autorecovery);
	assert_string_equal(h->providers[1].name,
	    "Microsoft iSCSI Target VSS Hardware Provider");
	assert_int_equal(h->providers[1].type, PROVIDER_HARDWARE);
	assert_false(h->providers[1].autorecovery);
	assert_string_equal(h->providers[1].version, "3.3.16544");

	/* The guests' CSVs follow from their paths: VM0001 is on two. */
	{
		char *v1 = csv_volume_of_path(
		    s_guest(h, "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11")->paths[0]);
		char *v2 = csv_volume_of_path(
		    s_guest(h, "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11")->paths[2]);

		assert_string_equal(v1, "Volume1");
		assert_string_equal(v2, "Volume2");
		free(v1);
		free(v2);
	}
	host_state_free(&h);
	s_release(&f);
}

static void
t_single(void **state)
{
	s_files f;
	host_state *h = host_state_new();
	host_guest *g;
	char *err = NULL;

	(void)state;
	s_load("single", &f);
	assert_null(f.o.cluster.data);
	assert_int_equal(wininv_build(h, &f.o, &err), 0);
	assert_null(h->cluster);
	assert_int_equal(h->nguests, 1);
	g = &h->guests[0];
	assert_string_equal(g->name, "SQL01");
	assert_int_equal(g->state, GUEST_OFF);	/* State 3 */
	assert_int_equal(g->nservices, 1);
	assert_string_equal(g->services[0].name, "VSS");
	assert_true(g->services[0].enabled);
	assert_int_equal(h->nproviders, 0);
	host_state_free(&h);
	s_release(&f);
}

/* VMState names beyond the four belong to their families; numbers up
 * to 32781 are read, larger ones (which differ between Windows
 * versions) are refused. */
static void
t_states(void **state)
{
	static const struct {
		const char *name;
		guest_state want;
	} cases[] = {
		{ "OFFCRIT", GUEST_OFF }, { "SAVEDCRIT", GUEST_SAVED },
		{ "FASTSAVED", GUEST_SAVED }, { "PAUSEDCRIT", GUEST_PAUSED },
		{ "RUNCRIT", GUEST_RUNNING }, { "FASTSAVEDCRIT", GUEST_SAVED },
		{ "HIBERNATED", GUEST_OFF }, { "SAVING", GUEST_RUNNING },
		{ "STARTCRIT", GUEST_RUNNING }, { "NUMFASTSAVED", GUEST_SAVED },
	};
	s_files f;
	host_state *h = host_state_new();
	char *err = NULL;

	(void)state;
	s_load("states", &f);
	assert_int_equal(wininv_build(h, &f.o, &err), 0);
	assert_int_equal(h->nguests, sizeof cases / sizeof cases[0]);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t k;

		for (k = 0; k < h->nguests; k++)
			if (strcmp(h->guests[k].name, cases[i].name) == 0)
				break;
		assert_true(k < h->nguests);
		if (h->guests[k].state != cases[i].want)
			fail_msg("%s: state %d, want %d", cases[i].name,
			    (int)h->guests[k].state, (int)cases[i].want);
	}
	host_state_free(&h);
	s_release(&f);
}

/* One output given as text, the rest not run. */
static int
s_build_one(int which, const char *text, char **err)
{
	host_state *h = host_state_new();
	const char *vms = "[{\"Id\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"Name\":\"A\",\"State\":\"Running\"}]";
	wininv_outputs o;
	int rc;

	memset(&o, 0, sizeof o);
	if (which != 1) {
		o.vms.data = vms;
		o.vms.len = strlen(vms);
	}
	switch (which) {
	case 0: o.cluster.data = text; o.cluster.len = strlen(text); break;
	case 1: o.vms.data = text; o.vms.len = strlen(text); break;
	case 2: o.services.data = text; o.services.len = strlen(text); break;
	case 3: o.disks.data = text; o.disks.len = strlen(text); break;
	case 4: o.csvs.data = text; o.csvs.len = strlen(text); break;
	default: break;
	}
	rc = wininv_build(h, &o, err);
	host_state_free(&h);
	return rc;
}

static void
s_expect_fail(int which, const char *text, const char *want)
{
	char *err = NULL;

	assert_int_equal(s_build_one(which, text, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
}

static void
t_broken(void **state)
{
	char *err = NULL;

	(void)state;
	s_expect_fail(1, "[{\"Id\":\"nope\",\"Name\":\"A\",\"State\":2}]",
	    "Get-VM: record 1: Id is not a GUID");
	s_expect_fail(1, "{\"Id\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"State\":2}", "Get-VM: record 1: no Name");
	s_expect_fail(1, "{\"Id\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"Name\":\"A\"}", "Get-VM: record 1: no State");
	s_expect_fail(1, "[{\"Id\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"Name\":\"A\",\"State\":2},{\"Id\":\"{3F2504E0-4F89-11D3-9A0C-"
	    "0305E82C3301}\",\"Name\":\"B\",\"State\":2}]",
	    "Get-VM: record 2: the same Id twice");
	s_expect_fail(1, "[1]", "Get-VM: record 1: not an object");
	s_expect_fail(1, "{\"Id\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"Name\":\"A\",\"State\":32785}", "Get-VM: record 1: State is "
	    "a number above 32781, which differs between Windows versions "
	    "(ask for the name)");
	/* No guests: ConvertTo-Json prints nothing. */
	assert_int_equal(s_build_one(1, "\r\n", &err), 0);
	s_expect_fail(1, "\"text\"", "Get-VM: expected an object or an array "
	    "of them");
	s_expect_fail(1, "Get-VM : The term 'Get-VM' is not recognized",
	    "Get-VM: output is not JSON: line 1, column 1: expected a JSON "
	    "value");
	s_expect_fail(2, "{\"VMId\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"Name\":\"VSS\",\"Enabled\":\"yes\"}",
	    "Get-VMIntegrationService: record 1: Enabled is not true or false");
	s_expect_fail(2, "{\"VMId\":\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\","
	    "\"Enabled\":true}", "Get-VMIntegrationService: record 1: neither "
	    "a known Id nor a Name");
	s_expect_fail(3, "[{\"VMId\":null,\"Path\":\"x\"}]",
	    "Get-VMHardDiskDrive: record 1: VMId is not a GUID");
	s_expect_fail(4, "{\"Name\":\"Cluster Disk 1\","
	    "\"FriendlyVolumeName\":7}", "Get-ClusterSharedVolume: record 1: "
	    "FriendlyVolumeName is not text");
	s_expect_fail(0, "[]", "Get-Cluster: expected one record with a Name");

	/* A service of a guest not in the VM list is skipped. */
	assert_int_equal(s_build_one(2, "{\"VMId\":\"00000000-0000-0000-0000-"
	    "000000000001\",\"Name\":\"VSS\",\"Enabled\":true}", &err), 0);
	assert_null(err);
}

static void
t_service_identity(void **state)
{
	(void)state;
	assert_true(wininv_is_backup_service("Microsoft:3F2504E0-4F89-11D3-"
	    "9A0C-0305E82C3301\\5ced1297-4598-4915-a5fc-ad21bb4d02a4"));
	assert_true(wininv_is_backup_service(WINF_SVC_VSS_GUID));
	assert_false(wininv_is_backup_service("Microsoft:x\\"
	    WINF_SVC_HEARTBEAT_GUID));
	assert_false(wininv_is_backup_service("X" WINF_SVC_VSS_GUID));
	assert_false(wininv_is_backup_service(NULL));
	assert_string_equal(wininv_service_name("Microsoft:x\\"
	    WINF_SVC_VSS_GUID, "Sauvegarde"), "VSS");
	assert_string_equal(wininv_service_name("Microsoft:x\\2a34b1c2-fd73-"
	    "4043-8a5b-dd2159bc743f", "Austausch"), "Key-Value Pair Exchange");
	/* The GUID this file held before: not the KVP service. */
	assert_string_equal(wininv_service_name("Microsoft:x\\2A34B1C2-FD73-"
	    "4043-8A5B-8C2F9D1AAB52", "Other"), "Other");
	assert_string_equal(wininv_service_name(NULL, "Custom"), "Custom");
	assert_null(wininv_service_name(NULL, NULL));
}

static void
t_service_command(void **state)
{
	char *err = NULL, *cmd;

	(void)state;
	cmd = wininv_service_command("{0B3E9C2A-5D41-4F0E-8A77-1C2D3E4F5A6B}",
	    "VSS", false, &err);
	assert_string_equal(cmd, "Get-VM -Id '0b3e9c2a-5d41-4f0e-8a77-"
	    "1c2d3e4f5a6b' | Get-VMIntegrationService | Where-Object { $_.Id "
	    "-like '*\\" WINF_SVC_VSS_GUID "' } | Disable-VMIntegrationService");
	free(cmd);
	cmd = wininv_service_command("0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b",
	    "vss", true, &err);
	assert_non_null(strstr(cmd, "| Enable-VMIntegrationService"));
	free(cmd);
	/* WINF_PS_SET_SERVICE_BY_NAME: guest, verb, then name. */
	cmd = wininv_service_command("0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b",
	    "Custom Service", true, &err);
	assert_string_equal(cmd, "Get-VM -Id '0b3e9c2a-5d41-4f0e-8a77-"
	    "1c2d3e4f5a6b' | Enable-VMIntegrationService -Name "
	    "'Custom Service'");
	free(cmd);
	assert_null(wininv_service_command("x'; Remove-Item C:\\ -Recurse; '",
	    "VSS", true, &err));
	assert_string_equal(err, "guest id 'x'; Remove-Item C:\\ -Recurse; '' "
	    "is not a GUID");
	free(err);
	assert_null(wininv_service_command("0b3e9c2a-5d41-4f0e-8a77-"
	    "1c2d3e4f5a6b", "a'b", true, &err));
	assert_string_equal(err, "guest 0b3e9c2a-5d41-4f0e-8a77-1c2d3e4f5a6b: "
	    "integration service name 'a'b' cannot be passed to PowerShell");
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_node),
		cmocka_unit_test(t_single),
		cmocka_unit_test(t_states),
		cmocka_unit_test(t_broken),
		cmocka_unit_test(t_service_identity),
		cmocka_unit_test(t_service_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
