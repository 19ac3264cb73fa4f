/*
 * tracker.h: turns successive reconcile passes into the drift transitions
 * the contract reports: a drift is reported once when it appears and again
 * when it is corrected, fails, or goes away, not at every scan. Holds the
 * drifts still open or failed, keyed by resource, with the id and
 * detection time they were first reported with; saved to a small file so
 * a restarted daemon does not report them again. Called by the daemon
 * after every complete pass (never after a dry run, never after a pass
 * that could not observe the host).
 *
 * Per resource, given what a pass found (status open, corrected or
 * failed, as engine.h makes them):
 *   not tracked, open        -> "open" (new id), tracked
 *   not tracked, corrected   -> "corrected" (new id)
 *   not tracked, failed      -> "failed" (new id), tracked
 *   tracked, same expected:
 *     open                   -> nothing
 *     corrected              -> "corrected" (tracked id), untracked
 *     failed, same error     -> nothing
 *     failed, other error    -> "failed" (tracked id)
 *   tracked, expected changed (policy changed)
 *                            -> "resolved" for the tracked one, then as
 *                               "not tracked" above
 *   tracked, not in the pass -> "resolved" (tracked id), untracked
 * A "resolved" record keeps the last expected/actual seen and says why
 * in its action ("no longer differs", "policy changed").
 */
#ifndef HVP_NODE_TRACKER_H
#define HVP_NODE_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "drift.h"

typedef struct tracker tracker;

/* A complete pass: the engine's records and the context of the pass. */
typedef struct tracker_pass {
	const drift_record *records;
	size_t count;
	int64_t revision;	/* for "resolved" records */
	policy_mode mode;
	int64_t now;		/* seconds */
} tracker_pass;

tracker *tracker_new(void);
void tracker_free(tracker **t);

/* Feeds one pass; appends the transitions to report to *out (owned
 * records, *nout updated; *out may be NULL with *nout 0 on entry).
 * Returns how many were appended. */
size_t tracker_update(tracker *t, const tracker_pass *pass,
    drift_record **out, size_t *nout);

/* Takes a transition already reported (a journal entry) into the tracked
 * set, as the update that produced it did: open or failed tracks it
 * (replacing what was tracked for its resource), corrected or resolved
 * drops the drift of that id. A daemon killed after journaling a pass's
 * transitions and before saving the tracker adopts them at start, so it
 * neither reports them again nor leaves a drift open for good. */
void tracker_adopt(tracker *t, const drift_record *r);

/* The next update is the first after the daemon started: a drift
 * tracked open in enforce mode (journaled as found, its correction next)
 * that is gone then was corrected before the daemon stopped, and is
 * reported "corrected", not "resolved". */
void tracker_resume(tracker *t);

/* Drifts tracked now (open or failed). */
size_t tracker_count(const tracker *t);
/* The tracked drift for a resource, or NULL; borrowed. */
const drift_record *tracker_find(const tracker *t, const char *resource);
/* Forgets everything (e.g. when the node's desired state is dropped). */
void tracker_clear(tracker *t);

/* Saves the tracked drifts to path atomically (private file). 0, or -1
 * with *err (owned). */
int tracker_save(const tracker *t, const char *path, char **err);
/* Loads a saved tracker; a missing file gives an empty tracker. NULL with
 * *err (owned, naming the file and line) when the file is damaged. */
tracker *tracker_load(const char *path, char **err);

#endif
