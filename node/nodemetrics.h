/*
 * nodemetrics.h: what hvpolicy-node serves at its own `metricsListen`
 * (off by default): its reconcile passes (count, result, duration of the
 * last), the drift transitions it journaled (corrections and failed
 * corrections among them), open drift, the journal's depth and the link
 * to the controller. The daemon counts as it goes and publishes a fresh
 * text after every pass of its loop; the HTTP server (common/promserve.h)
 * answers scrapes from its own thread. docs/metrics.md lists every
 * metric. Called by node/daemon.c only; every function takes a NULL
 * nodemetrics (no endpoint) and does nothing.
 */
#ifndef HVP_NODE_NODEMETRICS_H
#define HVP_NODE_NODEMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"

typedef struct nodemetrics nodemetrics;

/* The daemon's state at publishing time (strings borrowed). */
typedef struct nodemetrics_state {
	const char *node;
	const char *role;
	const char *cluster;		/* NULL: not known yet */
	int64_t revision;		/* held; 0: none */
	uint64_t plan_generation;
	bool converged;
	bool connected;			/* welcomed by the controller */
	size_t open_drift;		/* tracked open or failed */
	size_t journal_records;		/* journaled, not yet acknowledged */
	size_t journal_waiting;		/* transitions the journal could not
					 * take yet */
} nodemetrics_state;

/* Serves on listen (tcp://HOST:PORT); NULL with *err (owned). */
nodemetrics *nodemetrics_start(const char *listen, char **err);
/* A pass ended after ms milliseconds; ok false when it could not run. */
void nodemetrics_pass(nodemetrics *m, int64_t ms, bool ok);
/* Transitions now durably in the journal (what the controller will
 * store). */
void nodemetrics_journaled(nodemetrics *m, const drift_record *recs,
    size_t n);
/* Renders and publishes the text. */
void nodemetrics_publish(nodemetrics *m, const nodemetrics_state *st);
void nodemetrics_stop(nodemetrics **m);

#endif
