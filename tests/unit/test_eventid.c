/*
 * test_eventid.c: the daemon's log lines -> Event Log IDs and types
 * (node/eventid.c), against the lines daemon.c really prints. The IDs
 * are a contract with monitors (docs/windows.md); a change here is a
 * change users see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "eventid.h"

static void
s_is(const char *level, const char *msg, unsigned id, eventid_type type)
{
	eventid_type t = EVENTID_INFORMATION;
	unsigned got = eventid_of(level, msg, &t);

	if (got != id || (id != 0 && t != type))
		fail_msg("%s \"%s\": id %u type %d, want %u type %d", level,
		    msg, got, (int)t, id, (int)type);
}

static void
t_ids(void **state)
{
	(void)state;
	assert_int_equal(EVENTID_STARTED, 1000);
	assert_int_equal(EVENTID_STOPPED, 1001);
	assert_int_equal(EVENTID_DRIFT_OPEN, 2000);
	assert_int_equal(EVENTID_DRIFT_CORRECTED, 2001);
	assert_int_equal(EVENTID_DRIFT_RESOLVED, 2002);
	assert_int_equal(EVENTID_DRIFT_FAILED, 3000);
	assert_int_equal(EVENTID_OBSERVE_FAILED, 3001);
	assert_int_equal(EVENTID_POWERSHELL, 3002);
	assert_int_equal(EVENTID_CONTROLLER, 3003);
	assert_int_equal(EVENTID_WARNING_OTHER, 3100);
	assert_int_equal(EVENTID_FATAL, 3900);
}

static void
t_lines(void **state)
{
	(void)state;
	s_is("INFO", "starting: name=HV01 role=hyperv-node controller=tcp://"
	    "c:7600 backend=windows version=0.1.0", 1000, EVENTID_INFORMATION);
	s_is("INFO", "stopping on signal", 1001, EVENTID_INFORMATION);
	s_is("INFO", "drift seq=4 status=open kind=registry resource=HKLM\\A",
	    2000, EVENTID_WARNING);
	s_is("INFO", "drift seq=5 status=corrected kind=registry resource=x",
	    2001, EVENTID_INFORMATION);
	s_is("INFO", "drift seq=6 status=resolved kind=integration "
	    "resource=x", 2002, EVENTID_INFORMATION);
	s_is("INFO", "drift seq=7 status=failed kind=registry resource=x "
	    "error=access denied", 3000, EVENTID_ERROR);
	s_is("WARN", "pass (periodic): cannot observe the host: Get-VM: no "
	    "answer within 60 s", 3001, EVENTID_ERROR);
	s_is("WARN", "PowerShell host: the PowerShell host exited with code "
	    "1: x; events are not seen until it is started again", 3002,
	    EVENTID_WARNING);
	s_is("WARN", "controller tcp://c:7600 refused this node: unknown key",
	    3003, EVENTID_ERROR);
	s_is("WARN", "journal: cannot append 2 drift record(s), will retry: "
	    "disk full", 3100, EVENTID_WARNING);
	s_is("FATAL", "out of memory", 3900, EVENTID_ERROR);
	/* Not for the Event Log. */
	s_is("INFO", "pass (periodic): revision=3 mode=enforce found=1", 0,
	    EVENTID_INFORMATION);
	s_is("DEBUG", "drift seq=1 status=open kind=x", 0, EVENTID_INFORMATION);
	s_is("INFO", "drift seq=1 status=weird kind=x", 0, EVENTID_INFORMATION);
	s_is(NULL, "x", 0, EVENTID_INFORMATION);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ids),
		cmocka_unit_test(t_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
