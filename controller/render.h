/*
 * render.h: the text of admin replies. The controller renders every read
 * verb's answer in the format the client asked for (table, json, jsonl,
 * csv), so every client prints the same text. Pure: data in, text out.
 * Called by control.c and dryrun.c.
 */
#ifndef HVP_RENDER_H
#define HVP_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "diagnose.h"
#include "drift.h"
#include "dryrun.h"
#include "plan.h"
#include "strbuf.h"

struct server;
struct store_revision;

/* True when format names json. */
bool render_is_json(const char *format);

/* What status shows beside the sessions themselves. */
struct webhook_view;

typedef struct status_view {
	/* The cluster asked for (--cluster, or the only one); NULL: every
	 * cluster of a controller holding several. */
	const struct cluster_state *only;
	size_t nfindings;		/* 30112 findings */
	const int64_t *open_drift;	/* per session: open drift records */
	/* Per cluster (the server's order): why serialization is unmanaged,
	 * or NULL. */
	char *const *unmanaged;
	const struct webhook_view *hooks;	/* webhook endpoints */
	const int64_t *backlog;		/* per endpoint: events to deliver */
	size_t nhooks;
} status_view;

/* width: the columns a table must fit (0: full width; table.h). */
void render_status(const struct server *s, const status_view *v, bool json,
    size_t width, strbuf *out);
/* with_cluster: the table has a CLUSTER column (a controller of several
 * clusters, none asked for); JSON always names each record's cluster. */
void render_findings(const finding *f, size_t n, bool json, size_t width,
    bool with_cluster, strbuf *out);
void render_history(const struct store_revision *list, size_t n, bool json,
    size_t width, bool with_cluster, strbuf *out);
void render_revision(const struct store_revision *r, bool json, strbuf *out);
/* format: table (default), json, jsonl or csv. */
void render_drift(const drift_record *list, size_t n, const char *format,
    size_t width, bool with_cluster, strbuf *out);
/* The serialization plan; format: table (default) or json. */
void render_plan(const plan *p, const char *format, size_t width,
    strbuf *out);
/* The answers of a finished dry run (sorted by node); returns how many
 * changes they name. */
size_t render_dryrun(const dryrun_wait *w, strbuf *out);

#endif
