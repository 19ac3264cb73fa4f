/*
 * test_winevents.c: which WMI events start a pass, and when
 * (node/winevents.c): guest events need a guest GUID (the host's own
 * Msvm_ComputerSystem is named after the computer), Backup service
 * events need the VSS component's InstanceID, group moves always count;
 * a burst of events gives one pass when the settle window ends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "win_facts.h"
#include "winevents.h"

#define GUEST "3F2504E0-4F89-11D3-9A0C-0305E82C3301"

static void
t_wants_pass(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(winev_wants_pass("vm-created", GUEST, &why));
	assert_string_equal(why, "guest created or migrated in");
	assert_true(winev_wants_pass("vm-deleted", GUEST, &why));
	assert_string_equal(why, "guest deleted or migrated out");
	assert_true(winev_wants_pass("vm-changed", "{" GUEST "}", &why));
	assert_string_equal(why, "guest state changed");
	/* The host itself is an Msvm_ComputerSystem too. */
	assert_false(winev_wants_pass("vm-changed", "HV01", NULL));
	assert_true(winev_wants_pass("vss-changed", "Microsoft:" GUEST "\\"
	    WINF_SVC_VSS_GUID, &why));
	assert_string_equal(why, "Backup integration service switched");
	assert_true(winev_wants_pass("vss-changed", "Microsoft:" GUEST
	    "\\5ced1297-4598-4915-a5fc-ad21bb4d02a4", NULL));
	assert_false(winev_wants_pass("vss-changed", "Microsoft:" GUEST "\\"
	    WINF_SVC_HEARTBEAT_GUID, NULL));
	assert_false(winev_wants_pass("vss-changed", GUEST, NULL));
	assert_false(winev_wants_pass("vss-changed", "Microsoft:HV01\\"
	    WINF_SVC_VSS_GUID, NULL));
	assert_true(winev_wants_pass("group-moved", "SQL_Group", &why));
	assert_string_equal(why, "cluster group moved");
	assert_false(winev_wants_pass("disk-added", GUEST, NULL));
	assert_false(winev_wants_pass(NULL, GUEST, NULL));
	assert_false(winev_wants_pass("vm-created", NULL, NULL));
}

static void
t_settle(void **state)
{
	winev_sched s;
	char what[160];

	(void)state;
	memset(&s, 0, sizeof s);
	assert_false(winev_due(&s, 1000, what, sizeof what));
	/* Ignored events start nothing. */
	assert_false(winev_note(&s, "vm-changed", "HV01", 1000));
	assert_false(winev_due(&s, 1000 + WINEV_SETTLE_MS, what, sizeof what));

	assert_true(winev_note(&s, "vm-created", GUEST, 1000));
	assert_false(winev_due(&s, 1000 + WINEV_SETTLE_MS - 1, what,
	    sizeof what));
	/* Joining the window does not move its end. */
	assert_true(winev_note(&s, "vm-changed", GUEST, 2500));
	assert_true(winev_due(&s, 1000 + WINEV_SETTLE_MS, what, sizeof what));
	assert_string_equal(what, "guest created or migrated in " GUEST
	    " and more events");
	/* Once. */
	assert_false(winev_due(&s, 99999, what, sizeof what));

	assert_true(winev_note(&s, "group-moved", "Cluster Group", 50000));
	assert_true(winev_due(&s, 50000 + WINEV_SETTLE_MS, what, sizeof what));
	assert_string_equal(what, "cluster group moved Cluster Group");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_wants_pass),
		cmocka_unit_test(t_settle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
