/*
 * nodemetrics.c: the node daemon's metrics (nodemetrics.h), in the text
 * format of common/promtext.h.
 */
#include "nodemetrics.h"

#include <stdlib.h>

#include "promserve.h"
#include "promtext.h"
#include "strbuf.h"
#include "xalloc.h"

#define S_NSTATUSES ((int)DRIFT_RESOLVED + 1)

struct nodemetrics {
	promserve *serve;
	uint64_t passes_ok;
	uint64_t passes_failed;
	double last_pass_s;		/* < 0: no pass yet */
	uint64_t transitions[S_NSTATUSES];
};

nodemetrics *
nodemetrics_start(const char *listen, char **err)
{
	nodemetrics *m = xcalloc(1, sizeof *m);

	m->last_pass_s = -1;
	if ((m->serve = promserve_start(listen, err)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
nodemetrics_stop(nodemetrics **mp)
{
	nodemetrics *m = mp ? *mp : NULL;

	if (m == NULL)
		return;
	promserve_stop(&m->serve);
	free(m);
	*mp = NULL;
}

void
nodemetrics_pass(nodemetrics *m, int64_t ms, bool ok)
{
	if (m == NULL)
		return;
	if (ok)
		m->passes_ok++;
	else
		m->passes_failed++;
	m->last_pass_s = (double)ms / 1000;
}

void
nodemetrics_journaled(nodemetrics *m, const drift_record *recs, size_t n)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if ((int)recs[i].status >= 0 && (int)recs[i].status < S_NSTATUSES)
			m->transitions[recs[i].status]++;
}

static void
s_info(strbuf *b, const nodemetrics_state *st)
{
	promtext_head(b, "hvpolicy_node_info", "gauge", "This node daemon "
	    "(always 1): its name, role and cluster.");
	strbuf_addstr(b, "hvpolicy_node_info{node=\"");
	promtext_label(b, st->node);
	strbuf_addstr(b, "\",role=\"");
	promtext_label(b, st->role);
	strbuf_addstr(b, "\",cluster=\"");
	promtext_label(b, st->cluster);
	strbuf_addstr(b, "\"} 1\n");
	promtext_head(b, "hvpolicy_node_connected", "gauge", "1 while the "
	    "controller has welcomed this node, else 0.");
	strbuf_addf(b, "hvpolicy_node_connected %d\n", st->connected);
	promtext_head(b, "hvpolicy_node_revision", "gauge", "Policy revision "
	    "held (0: none).");
	strbuf_addf(b, "hvpolicy_node_revision %lld\n",
	    (long long)st->revision);
	promtext_head(b, "hvpolicy_node_plan_generation", "gauge",
	    "Serialization plan generation held (0: none).");
	strbuf_addf(b, "hvpolicy_node_plan_generation %llu\n",
	    (unsigned long long)st->plan_generation);
	promtext_head(b, "hvpolicy_node_converged", "gauge", "1 when the last "
	    "pass finished applying the revision held, else 0.");
	strbuf_addf(b, "hvpolicy_node_converged %d\n", st->converged);
}

static void
s_passes(strbuf *b, const nodemetrics *m)
{
	promtext_head(b, "hvpolicy_node_passes_total", "counter", "Reconcile "
	    "passes since the daemon started, by result (error: the host "
	    "could not be observed or the journal could not take the "
	    "drift found).");
	strbuf_addf(b, "hvpolicy_node_passes_total{result=\"ok\"} %llu\n",
	    (unsigned long long)m->passes_ok);
	strbuf_addf(b, "hvpolicy_node_passes_total{result=\"error\"} %llu\n",
	    (unsigned long long)m->passes_failed);
	if (m->last_pass_s >= 0) {
		promtext_head(b, "hvpolicy_node_last_pass_seconds", "gauge",
		    "Duration of the last reconcile pass (millisecond clock).");
		strbuf_addf(b, "hvpolicy_node_last_pass_seconds %.3f\n",
		    m->last_pass_s);
	}
}

static void
s_drift(strbuf *b, const nodemetrics *m, const nodemetrics_state *st)
{
	promtext_head(b, "hvpolicy_node_drift_transitions_total", "counter",
	    "Drift transitions journaled since the daemon started, by "
	    "status.");
	for (int i = 0; i < S_NSTATUSES; i++)
		strbuf_addf(b, "hvpolicy_node_drift_transitions_total{status="
		    "\"%s\"} %llu\n", DRIFT_STATUS_NAMES[i],
		    (unsigned long long)m->transitions[i]);
	promtext_head(b, "hvpolicy_node_corrections_total", "counter",
	    "Drifts corrected since the daemon started (transitions to "
	    "corrected).");
	strbuf_addf(b, "hvpolicy_node_corrections_total %llu\n",
	    (unsigned long long)m->transitions[DRIFT_CORRECTED]);
	promtext_head(b, "hvpolicy_node_correction_failures_total", "counter",
	    "Corrections that failed since the daemon started (transitions "
	    "to failed).");
	strbuf_addf(b, "hvpolicy_node_correction_failures_total %llu\n",
	    (unsigned long long)m->transitions[DRIFT_FAILED]);
	promtext_head(b, "hvpolicy_node_open_drift", "gauge", "Drifts open or "
	    "failed now.");
	strbuf_addf(b, "hvpolicy_node_open_drift %zu\n", st->open_drift);
	promtext_head(b, "hvpolicy_node_journal_records", "gauge", "Drift "
	    "transitions in the journal that the controller has not "
	    "acknowledged yet.");
	strbuf_addf(b, "hvpolicy_node_journal_records %zu\n",
	    st->journal_records);
	promtext_head(b, "hvpolicy_node_journal_waiting", "gauge", "Drift "
	    "transitions held in memory because the journal could not take "
	    "them (a full or failing disk; retried every 5 s).");
	strbuf_addf(b, "hvpolicy_node_journal_waiting %zu\n",
	    st->journal_waiting);
}

void
nodemetrics_publish(nodemetrics *m, const nodemetrics_state *st)
{
	strbuf b;

	if (m == NULL)
		return;
	strbuf_init(&b);
	s_info(&b, st);
	s_passes(&b, m);
	s_drift(&b, m, st);
	promserve_publish(m->serve, &b);
}
