/*
 * winevlog.c: log lines -> the Application log under the `hvpolicy`
 * source (winevlog.h); built only for WIN32. ReportEventW with the ID and
 * type eventid.c gives and the line as the one insertion string: each
 * ID's message in node/hvpolicy-events.mc is "%1" (compiled into
 * hvpolicy-node.exe with windmc and windres), so Event Viewer shows the
 * line as it is.
 */
#include "winevlog.h"

#include <windows.h>

#include <stdlib.h>

#include "eventid.h"
#include "log.h"
#include "win_facts.h"
#include "wintext.h"
#include "xalloc.h"

static HANDLE s_source;

static void
s_hook(const char *level, const char *message)
{
	static const WORD types[] = {
		[EVENTID_INFORMATION] = EVENTLOG_INFORMATION_TYPE,
		[EVENTID_WARNING] = EVENTLOG_WARNING_TYPE,
		[EVENTID_ERROR] = EVENTLOG_ERROR_TYPE,
	};
	eventid_type type;
	unsigned id = eventid_of(level, message, &type);
	wchar_t *w;
	const wchar_t *strings[1];

	if (id == 0 || s_source == NULL)
		return;
	w = wintext_wide(message);
	strings[0] = w;
	ReportEventW(s_source, types[type], 0, id, NULL, 1, 0, strings, NULL);
	free(w);
}

void
winevlog_open(void)
{
	if (s_source != NULL)
		return;
	s_source = RegisterEventSourceW(NULL, WINF_EVENT_SOURCE);
	if (s_source != NULL)
		log_set_hook(s_hook);
}

void
winevlog_close(void)
{
	if (s_source == NULL)
		return;
	log_set_hook(NULL);
	DeregisterEventSource(s_source);
	s_source = NULL;
}

int
winevlog_register(const char *exe_path, char **err)
{
	HKEY k;
	wchar_t *w = wintext_wide(exe_path);
	DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE |
	    EVENTLOG_INFORMATION_TYPE;
	LONG r;

	r = RegCreateKeyExW(HKEY_LOCAL_MACHINE, WINF_EVENT_SOURCE_KEY, 0,
	    NULL, 0, KEY_WRITE | KEY_WOW64_64KEY, NULL, &k, NULL);
	if (r == ERROR_SUCCESS) {
		r = RegSetValueExW(k, L"EventMessageFile", 0, REG_EXPAND_SZ,
		    (const BYTE *)w, (DWORD)((wcslen(w) + 1) * sizeof *w));
		if (r == ERROR_SUCCESS)
			r = RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD,
			    (const BYTE *)&types, sizeof types);
		RegCloseKey(k);
	}
	free(w);
	if (r != ERROR_SUCCESS) {
		char *why = wintext_syserr((unsigned long)r);

		*err = xasprintf("cannot register event source hvpolicy: %s",
		    why);
		free(why);
		return -1;
	}
	return 0;
}
