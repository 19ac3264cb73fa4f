/*
 * engine.h: one reconcile pass over a host. Observes the host through its
 * backend (host.h), computes the differences (reconcile.h), and in enforce
 * mode applies the fixing actions and commits them; every difference
 * becomes one drift record (drift.h). Called by the daemon on every
 * re-check, by `hvpolicy-node --once` (once.c), and by dry runs for
 * `hvpolicy plan`.
 *
 * Statuses of the records a pass returns:
 *   open       audit mode or dry run: nothing was changed; action says
 *              what would be done ("would create key");
 *   corrected  applied and committed; resolvedAt is the pass time;
 *   failed     the action or the commit failed: error carries the
 *              system's message. A failed commit fails every record that
 *              the commit was to carry: a batching backend (sim) writes
 *              everything or nothing.
 * When commit() says the host changed underneath (HOST_RETRY) the pass
 * observes again and recomputes, up to max_attempts times.
 *
 * The records are the findings of this pass only; turning passes into
 * transitions (report once, then again when corrected/failed/gone) is the
 * tracker's job (tracker.h).
 */
#ifndef HVP_NODE_ENGINE_H
#define HVP_NODE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "dsheld.h"
#include "dsmerge.h"
#include "parts.h"
#include "host.h"
#include "hoststate.h"
#include "plan.h"
#include "policy.h"

#define ENGINE_DEFAULT_ATTEMPTS 3

typedef struct engine_options {
	bool mode_set;		/* false: the policy's own mode */
	policy_mode mode;
	bool dry_run;		/* compute and report, change nothing */
	int64_t revision;	/* policy revision for the records, 0 = none */
	int64_t now;		/* pass time, seconds; 0 = the wall clock */
	/* Makes new drift ids unique when one resource drifts twice within a
	 * second (the daemon passes the wall clock in ms); 0 = now. */
	int64_t id_stamp;
	int max_attempts;	/* 0 = ENGINE_DEFAULT_ATTEMPTS */
	/* dpm-server: what hvpolicy wrote into DataSourceGroups.xml before
	 * (dsmerge.h); NULL = nothing known. */
	const dsmerge_record *written;
	/* A DPM server of several clusters: its parts (parts.h); the policy
	 * and plan arguments of engine_run are then not used. */
	const engine_part *parts;
	size_t nparts;
	/* dpm-server: the held file's parse kept between passes (dsheld.h);
	 * NULL: parsed anew by every pass. */
	dsheld *held;
} engine_options;

typedef struct engine_result {
	drift_record *records;	/* one per difference, owned */
	size_t nrecords;
	size_t nopen, ncorrected, nfailed;
	bool wrote;		/* something was committed to the host */
	int attempts;		/* observations made (1 unless HOST_RETRY) */
	policy_mode mode;	/* the mode the pass ran in */
	/* The host as observed at the start of the last attempt, before any
	 * correction (guests, paths, providers: the node's inventory). */
	host_state *observed;
	/* dpm-server: hash of hvpolicy's part (dsmerge.h) of the file the host
	 * holds after the pass; NULL when absent, unreadable or invalid. */
	char *held_hash;
	/* dpm-server: why the held file has no hash (unreadable, invalid);
	 * NULL otherwise. */
	char *held_problem;
	/* dpm-server, written_set: the file was written and hvpolicy's
	 * entries in it are now these (the caller keeps the record). */
	bool written_set;
	dsmerge_record written;
	/* Parts: the hash of each cluster's part of the file after the pass
	 * (o->nparts strings, "" when unknown). */
	char **held_parts;
	size_t nheld_parts;
} engine_result;

/*
 * Runs one pass. plan is the serialization plan for a dpm-server (NULL:
 * the file is not managed). Returns 0 with *out filled (release it with
 * engine_result_release) whatever the records say, or -1 with *err
 * (owned) when the host could not be observed at all.
 */
int engine_run(host_backend *b, const policy *p, host_role role,
    const plan *plan, const engine_options *o, engine_result *out,
    char **err);
void engine_result_release(engine_result *r);

#endif
