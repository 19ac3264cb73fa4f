/*
 * engine.c: one reconcile pass over a host (engine.h): observe, compute
 * (reconcile.c), apply and commit through the backend, and one drift
 * record per difference.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "dsgroups.h"
#include "dsheld.h"
#include "dsmerge.h"
#include "platform.h"
#include "reconcile.h"
#include "xalloc.h"

#define RETRY_ERROR "the host kept changing during the pass"
#define FILE_SKIPPED_ERROR "not written: the host's other changes failed"

/* What happened to one finding. */
typedef struct s_outcome {
	drift_status status;
	char *error;		/* owned */
	bool applied;		/* the mutator succeeded; commit pending */
} s_outcome;

/* What the engine knows of the serialization file in one pass. */
typedef struct s_file {
	dsmerge_part one;	/* the plan's part */
	dsmerge_part *parts;	/* several clusters: owned array */
	dsmerge_spec spec;
	bool stale;		/* holds entries of guests no plan names */
	size_t foreign;		/* entries hvpolicy does not own */
	dsmerge_state st;	/* parts: what the file holds */
	bool have_st;
	dsheld *held;		/* the file's parse, borrowed */
} s_file;

static void
s_file_init(s_file *f, const plan *pl, const engine_options *o,
    dsheld *held)
{
	memset(f, 0, sizeof *f);
	f->held = held;
	f->spec.written = o->written;
	if (o->nparts > 0) {
		f->parts = xcalloc(o->nparts, sizeof *f->parts);
		parts_file(o->parts, o->nparts, f->parts);
		f->spec.parts = f->parts;
		f->spec.nparts = o->nparts;
		return;
	}
	f->one.plan = pl;
	f->spec.parts = &f->one;
	f->spec.nparts = 1;
}

static void
s_file_release(s_file *f)
{
	dsmerge_state_clear(&f->st);
	free(f->parts);
	memset(f, 0, sizeof *f);
}

/* Reads the held file and parses it (the parse kept when it holds the
 * same bytes as last time): *doc NULL when there is no file. */
static int
s_read_doc(host_backend *b, dsheld *held, const dsgroups_doc **doc,
    bool *invalid, char **err)
{
	char *data = NULL;
	size_t len = 0;

	*invalid = false;
	if (b->ops->read_dsgroups(b, &data, &len, err) != 0)
		return -1;
	if (dsheld_doc(held, data, len, doc, err) != 0) {
		*invalid = true;
		return -1;
	}
	return 0;
}

/* dpm-server: reads the held file and hashes hvpolicy's part of it.
 * *hash NULL and *problem set when it cannot be read or parsed; both
 * NULL when absent. */
static void
s_held_file(host_backend *b, s_file *f, char **hash, char **problem)
{
	const dsgroups_doc *doc;
	char *err = NULL;
	bool invalid;

	*hash = NULL;
	*problem = NULL;
	if (s_read_doc(b, f->held, &doc, &invalid, &err) != 0) {
		*problem = xasprintf(invalid ? "invalid (%s)" :
		    "unreadable (%s)", err ? err : "?");
		free(err);
		return;
	}
	dsmerge_inspect_doc(&f->spec, doc, &f->st);
	f->have_st = true;
	if (doc != NULL)
		*hash = xstrdup(f->st.held[0]);
	f->stale = f->st.stale > 0;
	f->foreign = f->st.foreign;
}

/* Reads the file again (it may have changed since the pass looked),
 * merges the plan into it (everything hvpolicy does not own stays) and
 * writes it; a file that cannot be parsed is left as it is. */
static int
s_write_file(host_backend *b, const s_file *f, engine_result *out,
    char **err)
{
	const dsgroups_doc *doc;
	char *merged = NULL, *why = NULL;
	size_t mlen = 0;
	dsmerge_result res;
	bool invalid;
	int rc;

	if (s_read_doc(b, f->held, &doc, &invalid, &why) != 0) {
		*err = invalid ? xasprintf("not overwritten: the file held is "
		    "not valid (%s); correct it or move it away", why) : why;
		if (invalid)
			free(why);
		return -1;
	}
	if (dsmerge_apply_doc(&f->spec, doc, &merged, &mlen, &res, err) != 0)
		return -1;
	rc = b->ops->write_dsgroups(b, merged, mlen, err);
	if (rc == 0) {
		dsheld_wrote(f->held, merged, mlen);
		dsmerge_record_clear(&out->written);
		out->written = res.record;
		memset(&res.record, 0, sizeof res.record);
		out->written_set = true;
	} else {
		free(merged);
	}
	dsmerge_result_clear(&res);
	return rc;
}

static int
s_apply(host_backend *b, const reconcile_finding *f, const s_file *file,
    engine_result *out, char **err)
{
	const host_ops *ops = b->ops;

	switch (f->op) {
	case RECONCILE_CREATE_KEY:
		return ops->create_key(b, f->key, err);
	case RECONCILE_DELETE_KEY:
		return ops->delete_key(b, f->key, err);
	case RECONCILE_SET_VALUE:
		return ops->set_value(b, f->key, f->value_name, &f->data, err);
	case RECONCILE_DELETE_VALUE:
		return ops->delete_value(b, f->key, f->value_name, err);
	case RECONCILE_SET_INTEGRATION:
		return ops->set_integration(b, f->guest_id, f->service,
		    f->enable, err);
	case RECONCILE_WRITE_DSGROUPS:
		return s_write_file(b, file, out, err);
	}
	*err = xstrdup("unknown action");
	return -1;
}

static bool
s_is_file(const reconcile_finding *f)
{
	return f->op == RECONCILE_WRITE_DSGROUPS;
}

static void
s_set_failed(s_outcome *oc, const char *error)
{
	oc->applied = false;
	oc->status = DRIFT_FAILED;
	free(oc->error);
	oc->error = xstrdup(error);
}

/* File findings left unhandled. */
static void
s_fail_pending(s_outcome *oc, const reconcile_list *l, const char *error)
{
	for (size_t i = 0; i < l->count; i++)
		if (s_is_file(&l->items[i]) && oc[i].status == DRIFT_OPEN)
			s_set_failed(&oc[i], error);
}

static void
s_fail_applied(s_outcome *oc, size_t n, const char *error)
{
	for (size_t i = 0; i < n; i++)
		if (oc[i].applied)
			s_set_failed(&oc[i], error);
}

/*
 * Applies the findings of one phase (the host's registry and guests, or
 * the serialization file) and commits them. Returns HOST_RETRY when the
 * host changed under the pass (the phase was rolled back), -1 when the
 * commit failed (every applied finding failed with its error), 0
 * otherwise; the outcomes of the phase are set except after HOST_RETRY.
 */
static int
s_enforce(host_backend *b, const reconcile_list *l, const s_file *file,
    bool file_phase, s_outcome *oc, engine_result *out, char **commit_err)
{
	size_t napplied = 0;
	char *err = NULL;
	int rc;

	for (size_t i = 0; i < l->count; i++) {
		if (s_is_file(&l->items[i]) != file_phase)
			continue;
		/* Several clusters: only audited, or asked differently. */
		if (l->items[i].conflict) {
			oc[i].status = DRIFT_FAILED;
			oc[i].error = xstrdup(l->items[i].conflict);
			continue;
		}
		if (l->items[i].audit)
			continue;
		err = NULL;
		if (s_apply(b, &l->items[i], file, out, &err) != 0) {
			oc[i].status = DRIFT_FAILED;
			oc[i].error = err ? err : xstrdup("failed");
			continue;
		}
		oc[i].applied = true;
		napplied++;
	}
	if (napplied == 0) {
		b->ops->rollback(b);
		return 0;
	}
	err = NULL;
	rc = b->ops->commit(b, &err);
	if (rc == HOST_RETRY) {
		free(err);
		b->ops->rollback(b);
		for (size_t i = 0; i < l->count; i++)
			oc[i].applied = false;
		return HOST_RETRY;
	}
	if (rc != 0) {
		b->ops->rollback(b);
		if (err == NULL)
			err = xstrdup("commit failed");
		s_fail_applied(oc, l->count, err);
		*commit_err = err;
		return -1;
	}
	for (size_t i = 0; i < l->count; i++) {
		if (oc[i].applied) {
			oc[i].applied = false;
			oc[i].status = DRIFT_CORRECTED;
		}
	}
	out->wrote = true;
	return 0;
}

static void
s_record(drift_record *r, const reconcile_finding *f, const s_outcome *oc,
    const host_state *h, host_role role, const engine_options *o,
    policy_mode mode, int64_t now)
{
	char *base;

	memset(r, 0, sizeof *r);
	r->cluster = xstrdup(f->clusters ? f->clusters : h->cluster);
	r->node = xstrdup(h->node);
	r->role = role;
	r->kind = f->kind;
	r->resource = xstrdup(f->resource);
	r->expected = xstrdup(f->expected);
	r->actual = xstrdup(f->actual);
	/* Parts: the one cluster's revision that asks (none: several). */
	r->policy_revision = o->nparts ? f->revision : o->revision;
	r->mode = f->audit ? POLICY_AUDIT : mode;
	r->status = oc->status;
	r->detected_at = now;
	r->resolved_at = oc->status == DRIFT_CORRECTED ? now : 0;
	r->id = drift_make_id(h->node ? h->node : "", f->resource,
	    o->id_stamp ? o->id_stamp : now);
	switch (oc->status) {
	case DRIFT_OPEN:
		base = reconcile_action_text(f, false);
		r->action = xasprintf("would %s", base);
		free(base);
		break;
	case DRIFT_CORRECTED:
		r->action = reconcile_action_text(f, true);
		break;
	default:
		r->action = reconcile_action_text(f, false);
		break;
	}
	r->error = xstrdup(oc->error);
}

static void
s_count(engine_result *out)
{
	for (size_t i = 0; i < out->nrecords; i++) {
		switch (out->records[i].status) {
		case DRIFT_OPEN:
			out->nopen++;
			break;
		case DRIFT_CORRECTED:
			out->ncorrected++;
			break;
		case DRIFT_FAILED:
			out->nfailed++;
			break;
		default:
			break;
		}
	}
}

/* Parts: each cluster's part of the file as held (after a write: what
 * was written, for the parts not kept). */
static void
s_held_parts(engine_result *out, const s_file *f, bool wrote)
{
	char h[DSGROUPS_HASH_HEX + 1];

	out->held_parts = xcalloc(f->spec.nparts + 1, sizeof *out->held_parts);
	out->nheld_parts = f->spec.nparts;
	for (size_t i = 0; i < f->spec.nparts; i++) {
		const dsmerge_part *p = &f->spec.parts[i];

		if (wrote && p->plan && !p->keep) {
			dsmerge_part_hash(p, h);
			out->held_parts[i] = xstrdup(h);
		} else {
			out->held_parts[i] = xstrdup(f->have_st ?
			    f->st.held[i] : "");
		}
	}
}

/* After a committed write of the file, the host holds the plan. */
static void
s_update_held(engine_result *out, const reconcile_list *l,
    const s_outcome *oc)
{
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i].op != RECONCILE_WRITE_DSGROUPS ||
		    oc[i].status != DRIFT_CORRECTED)
			continue;
		free(out->held_hash);
		free(out->held_problem);
		out->held_hash = xstrdup(l->items[i].expected);
		out->held_problem = NULL;
	}
}

int
engine_run(host_backend *b, const policy *p, host_role role,
    const plan *pl, const engine_options *o, engine_result *out,
    char **err)
{
	int max = o->max_attempts > 0 ? o->max_attempts : ENGINE_DEFAULT_ATTEMPTS;
	int64_t now = o->now ? o->now : platform_now_ms() / 1000;
	reconcile_list l;
	s_outcome *oc = NULL;
	char *cerr = NULL;
	s_file file;
	dsheld *own = o->held ? NULL : dsheld_new();
	dsheld *held = o->held ? o->held : own;

	memset(out, 0, sizeof *out);
	memset(&file, 0, sizeof file);
	out->mode = o->mode_set ? o->mode : o->nparts ?
	    parts_mode(o->parts, o->nparts) : p->mode;
	for (;;) {
		reconcile_input in;
		int rc = 0;

		memset(&l, 0, sizeof l);
		out->attempts++;
		host_state_free(&out->observed);
		free(out->held_hash);
		free(out->held_problem);
		out->held_hash = out->held_problem = NULL;
		s_file_release(&file);
		if (b->ops->observe(b, &out->observed, err) != 0) {
			engine_result_release(out);
			dsheld_free(own);
			return -1;
		}
		s_file_init(&file, pl, o, held);
		if (role == ROLE_DPM_SERVER)
			s_held_file(b, &file, &out->held_hash,
			    &out->held_problem);
		memset(&in, 0, sizeof in);
		in.policy = p;
		in.role = role;
		in.observed = out->observed;
		in.plan = pl;
		in.held_hash = out->held_hash ? out->held_hash :
		    out->held_problem;
		in.held_stale = file.stale;
		in.held_foreign = file.foreign;
		if (o->nparts > 0)
			parts_compute(o->parts, o->nparts, role, out->observed,
			    &file.spec, file.have_st ? &file.st : NULL,
			    out->held_problem, &l);
		else
			reconcile_compute(&in, &l);
		oc = xcalloc(l.count, sizeof *oc);
		if (l.count == 0 || out->mode == POLICY_AUDIT || o->dry_run)
			break;
		rc = s_enforce(b, &l, &file, false, oc, out, &cerr);
		if (rc == -1) {
			/* Nothing of the host's changes was written: the
			 * file is not written either. */
			char *why = xasprintf(FILE_SKIPPED_ERROR " (%s)", cerr);

			s_fail_pending(oc, &l, why);
			free(why);
			free(cerr);
			break;
		}
		if (rc == 0) {
			/* The file last, on its own: its failure fails only
			 * its own record. */
			rc = s_enforce(b, &l, &file, true, oc, out, &cerr);
			if (rc == HOST_RETRY)
				s_fail_pending(oc, &l, RETRY_ERROR);
			free(cerr);
			break;
		}
		if (out->attempts >= max) {
			for (size_t i = 0; i < l.count; i++)
				s_set_failed(&oc[i], RETRY_ERROR);
			break;
		}
		free(oc);
		oc = NULL;
		reconcile_list_release(&l);
	}
	if (out->wrote)
		s_update_held(out, &l, oc);
	if (o->nparts > 0 && role == ROLE_DPM_SERVER) {
		s_held_parts(out, &file, out->written_set);
		/* The file's hash is its first part's, written or found (the
		 * finding's expected value names every part). */
		if (out->held_hash != NULL) {
			free(out->held_hash);
			out->held_hash = xstrdup(out->held_parts[0]);
		}
	}
	s_file_release(&file);
	dsheld_free(own);
	out->records = xcalloc(l.count, sizeof *out->records);
	for (size_t i = 0; i < l.count; i++)
		s_record(&out->records[i], &l.items[i], &oc[i], out->observed,
		    role, o, out->mode, now);
	out->nrecords = l.count;
	s_count(out);
	for (size_t i = 0; i < l.count; i++)
		free(oc[i].error);
	free(oc);
	reconcile_list_release(&l);
	return 0;
}

void
engine_result_release(engine_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrecords; i++)
		drift_record_clear(&r->records[i]);
	free(r->records);
	host_state_free(&r->observed);
	free(r->held_hash);
	free(r->held_problem);
	dsmerge_record_clear(&r->written);
	for (size_t i = 0; i < r->nheld_parts; i++)
		free(r->held_parts[i]);
	free(r->held_parts);
	memset(r, 0, sizeof *r);
}
