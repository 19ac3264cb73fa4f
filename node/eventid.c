/*
 * eventid.c: log lines -> Event Log IDs (eventid.h). The lines are the
 * daemon's own (daemon.c, backend_win.c); matching them here keeps the
 * Event Log out of the code that logs.
 */
#include "eventid.h"

#include <stdbool.h>
#include <string.h>

static bool
s_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "drift seq=N status=S ..." -> the status word's event. */
static unsigned
s_drift(const char *message, eventid_type *type)
{
	static const struct {
		const char *word;
		unsigned id;
		eventid_type type;
	} map[] = {
		{ " status=open ", EVENTID_DRIFT_OPEN, EVENTID_WARNING },
		{ " status=corrected ", EVENTID_DRIFT_CORRECTED,
		    EVENTID_INFORMATION },
		{ " status=resolved ", EVENTID_DRIFT_RESOLVED,
		    EVENTID_INFORMATION },
		{ " status=failed ", EVENTID_DRIFT_FAILED, EVENTID_ERROR },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strstr(message, map[i].word) != NULL) {
			*type = map[i].type;
			return map[i].id;
		}
	}
	return 0;
}

unsigned
eventid_of(const char *level, const char *message, eventid_type *type)
{
	*type = EVENTID_INFORMATION;
	if (level == NULL || message == NULL)
		return 0;
	if (strcmp(level, "FATAL") == 0) {
		*type = EVENTID_ERROR;
		return EVENTID_FATAL;
	}
	if (strcmp(level, "INFO") == 0) {
		if (s_starts(message, "drift seq="))
			return s_drift(message, type);
		if (s_starts(message, "starting: "))
			return EVENTID_STARTED;
		if (s_starts(message, "stopping"))
			return EVENTID_STOPPED;
		return 0;
	}
	if (strcmp(level, "WARN") != 0)
		return 0;
	*type = EVENTID_WARNING;
	if (s_starts(message, "pass (") &&
	    strstr(message, "cannot observe the host") != NULL) {
		*type = EVENTID_ERROR;
		return EVENTID_OBSERVE_FAILED;
	}
	if (s_starts(message, "PowerShell host"))
		return EVENTID_POWERSHELL;
	if (s_starts(message, "controller ") &&
	    strstr(message, "refused this node") != NULL) {
		*type = EVENTID_ERROR;
		return EVENTID_CONTROLLER;
	}
	return EVENTID_WARNING_OTHER;
}
