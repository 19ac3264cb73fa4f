/*
 * eventid.h: which of hvpolicy-node's log lines go to the Windows Event
 * Log, under which stable event ID and type (the table in
 * docs/windows.md; monitors such as SCOM alert on these numbers, so they
 * never change meaning). Portable C, tested on every platform; the
 * Windows Event Log writer (winevlog.c) calls it for every line the log
 * module hands its hook.
 */
#ifndef HVP_NODE_EVENTID_H
#define HVP_NODE_EVENTID_H

typedef enum eventid_type {
	EVENTID_INFORMATION = 0, EVENTID_WARNING, EVENTID_ERROR,
} eventid_type;

#define EVENTID_STARTED		1000	/* the daemon started */
#define EVENTID_STOPPED		1001	/* the daemon is stopping */
#define EVENTID_DRIFT_OPEN	2000	/* drift found, not corrected */
#define EVENTID_DRIFT_CORRECTED	2001	/* drift corrected */
#define EVENTID_DRIFT_RESOLVED	2002	/* drift went away by itself */
#define EVENTID_DRIFT_FAILED	3000	/* a correction failed */
#define EVENTID_OBSERVE_FAILED	3001	/* a pass could not read the host */
#define EVENTID_POWERSHELL	3002	/* the PowerShell host failed */
#define EVENTID_CONTROLLER	3003	/* the controller refused this node */
#define EVENTID_WARNING_OTHER	3100	/* any other warning */
#define EVENTID_FATAL		3900	/* the daemon cannot go on */

/* The event ID for a log line at level ("INFO", "WARN", "FATAL",
 * "DEBUG"), with its type in *type; 0 when the line is not for the Event
 * Log (debug lines, ordinary information). */
unsigned eventid_of(const char *level, const char *message,
    eventid_type *type);

#endif
