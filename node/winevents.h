/*
 * winevents.h: which WMI events from the PowerShell host (psproto.h "E"
 * lines) start a reconcile pass, and when. Portable C with no OS calls,
 * tested on every platform; backend_win.c feeds it the events it reads
 * and asks it whether a pass is due each time the daemon polls.
 *
 * Events come in bursts (a live migration creates the guest, then
 * changes its state; a group move fires for each group): the first event
 * that asks for a pass starts a settle window of WINEV_SETTLE_MS, later
 * ones join it, and one pass runs when it ends. The periodic pass stays
 * as a backstop for whatever no event reports.
 */
#ifndef HVP_NODE_WINEVENTS_H
#define HVP_NODE_WINEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WINEV_SETTLE_MS	2000

typedef struct winev_sched {
	int64_t due;		/* monotonic ms; 0: nothing pending */
	unsigned pending;	/* events in the window */
	char first[120];	/* the first one, for the log */
} winev_sched;

/* True when an event of this kind about this subject asks for a pass;
 * *why (when not NULL) then names it ("guest created", ...).
 *   vm-created, vm-deleted, vm-changed: the subject is the guest's GUID
 *     (Msvm_ComputerSystem.Name); the host's own instance, named after
 *     the computer, is not a guest and is ignored.
 *   vss-changed: the subject is an InstanceID "Microsoft:<guest GUID>\
 *     <component GUID>" naming the Backup (volume shadow copy) service.
 *   group-moved: a cluster group changed owner; any subject.
 * Anything else is ignored. */
bool winev_wants_pass(const char *kind, const char *subject,
    const char **why);

/* Notes an event at now_ms; true when it asked for a pass. */
bool winev_note(winev_sched *s, const char *kind, const char *subject,
    int64_t now_ms);
/* True (once) when the settle window is over; *what (size n) then says
 * what started it and how many events joined. */
bool winev_due(winev_sched *s, int64_t now_ms, char *what, size_t n);

#endif
