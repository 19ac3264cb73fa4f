/*
 * dryrun.h: `hvpolicy plan` waiting for the nodes' answers. The candidate
 * policy goes to every online node of its cluster as a DryRun; the client is answered
 * when every online node has sent its DryRunResult, or at a deadline,
 * with what each node would change. One plan at a time. Called by
 * control.c (start), peer.c (results) and main.c's loop (deadlines).
 */
#ifndef HVP_DRYRUN_H
#define HVP_DRYRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "reply.h"

struct server;

typedef struct dryrun_wait {
	bool active;
	uint64_t request;
	reply_to client;	/* user is NULL here */
	char *format;
	uint32_t width;		/* table columns asked for (0: full) */
	char *preface;		/* printed before the nodes' answers (owned) */
	char *warning;		/* to standard error (owned), or NULL */
	char **waiting;		/* node names still to answer */
	size_t nwaiting;
	Hvp__DryRunResult **results;
	char **result_nodes;
	size_t nresults;
	int64_t deadline_mono;
} dryrun_wait;

/* Sends canonical_text to every online node of cluster cl and remembers
 * the client;
 * preface (may be NULL) is text the table answer starts with, warning
 * (may be NULL) goes to the client's standard error in every format.
 * Answers the client itself when another plan is pending. */
struct cluster_state;
void dryrun_start(struct server *s, const reply_to *c,
    const struct cluster_state *cl, const char *format, uint32_t width,
    const char *canonical_text, const char *preface, const char *warning);
void dryrun_result(struct server *s, const char *node,
    const Hvp__DryRunResult *r);
/* Answers the client once nobody online is left to answer, or at the
 * deadline. */
void dryrun_tick(struct server *s);
void dryrun_release(dryrun_wait *w);

#endif
