/*
 * control.c: admin requests from the CLI, over the local control socket
 * (a Unix socket only the controller's user can open) or the CURVE admin
 * port. Each request gets one AdminReply whose body is already rendered
 * in the requested format, so every client prints the same text. apply
 * and rollback answer only after the new revision is durable in the
 * store. plan asks the online nodes for a dry run and answers when all
 * have, or at a deadline. Called by main.c's poll loop.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zmq.h>

#include "backup.h"
#include "diagnose.h"
#include "dsgroups.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "table.h"
#include "textsafe.h"
#include "timefmt.h"
#include "wire.h"
#include "xalloc.h"
#include "zap.h"

#define CONTROL_DRYRUN_MS 5000
#define CONTROL_MAX_FRAMES 3

/* One request's client address: the frames before the payload. */
typedef struct client {
	void *socket;
	zmq_msg_t rid;
	bool remote;
	const char *user;	/* admin key name on the remote port */
} client;

static void
s_reply(client *c, const Hvp__AdminReply *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (wire_encode_admin_reply(r, &buf, &len) == -1)
		return;
	zmq_send(c->socket, zmq_msg_data(&c->rid), zmq_msg_size(&c->rid),
	    ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(c->socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(c->socket, buf, len, ZMQ_DONTWAIT);
	free(buf);
}

static void
s_reply_text(client *c, int status, const char *body, const char *error)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;

	r.status = status;
	r.body = (char *)(body ? body : "");
	r.error = (char *)(error ? error : "");
	s_reply(c, &r);
}

static bool
s_json(const char *format)
{
	return format && strcmp(format, "json") == 0;
}

/* ---- status ---- */

static bool
s_plan_held(const server *s)
{
	node_session *dpm = nodes_dpm_server((server *)s);
	char want[65];

	push_expected_file_hash(s, want);
	if (want[0] == '\0' || dpm == NULL || dpm->dsgroups_hash == NULL)
		return false;
	return strcmp(dpm->dsgroups_hash, want) == 0;
}

static void
s_status_json(const server *s, size_t nfindings, strbuf *out)
{
	jsonw j;

	jsonw_init(&j, out, true);
	jsonw_begin_object(&j);
	jsonw_kv_str(&j, "cluster", s->cluster);
	jsonw_kv_int(&j, "revision", s->revision);
	jsonw_key(&j, "nodes");
	jsonw_begin_array(&j);
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];

		jsonw_begin_object(&j);
		jsonw_kv_str(&j, "name", n->name);
		jsonw_kv_str(&j, "role", HOST_ROLE_NAMES[n->role]);
		jsonw_kv_bool(&j, "online", n->online);
		jsonw_kv_time(&j, "lastSeen", n->last_seen);
		jsonw_kv_int(&j, "revision", n->acked_revision);
		jsonw_kv_bool(&j, "converged", push_node_converged(s, n));
		jsonw_kv_int(&j, "openDrift", n->open_drift);
		jsonw_kv_str(&j, "version", n->version);
		jsonw_end_object(&j);
	}
	jsonw_end_array(&j);
	jsonw_key(&j, "plan");
	if (s->plan) {
		jsonw_begin_object(&j);
		jsonw_kv_int(&j, "generation", (int64_t)s->plan->generation);
		jsonw_kv_str(&j, "hash", s->plan->hash);
		jsonw_kv_bool(&j, "heldByDpmServer", s_plan_held(s));
		jsonw_end_object(&j);
	} else {
		jsonw_null(&j);
	}
	jsonw_kv_int(&j, "findings", (int64_t)nfindings);
	jsonw_end_object(&j);
	strbuf_addch(out, '\n');
}

static void
s_status_table(const server *s, size_t nfindings, size_t width,
    strbuf *out)
{
	static const char *const head[] = { "NODE", "ROLE", "ONLINE",
	    "LAST SEEN", "REVISION", "CONVERGED", "OPEN DRIFT" };
	table *t = table_new(7, head);
	size_t converged = 0;

	for (size_t c = 1; c < 7; c++)
		table_keep(t, c);

	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];
		char seen[40] = "never", rev[24], drift[24];
		bool conv = push_node_converged(s, n);
		const char *row[7];

		if (n->last_seen)
			timefmt_rfc3339(n->last_seen, seen, sizeof seen);
		snprintf(rev, sizeof rev, "%lld", (long long)n->acked_revision);
		snprintf(drift, sizeof drift, "%u", n->open_drift);
		converged += conv;
		row[0] = n->name;
		row[1] = HOST_ROLE_NAMES[n->role];
		row[2] = n->online ? "yes" : "no";
		row[3] = seen;
		row[4] = rev;
		row[5] = conv ? "yes" : "no";
		row[6] = drift;
		table_add(t, row);
	}
	strbuf_addf(out, "cluster %s  revision %lld  %zu/%zu nodes converged\n\n",
	    s->cluster, (long long)s->revision, converged, s->nodes.count);
	table_render_fit(t, out, width);
	table_free(&t);
	if (s->plan)
		strbuf_addf(out, "\nserialization plan generation %llu (%.12s)  "
		    "held by DPM server: %s\n",
		    (unsigned long long)s->plan->generation, s->plan->hash,
		    s_plan_held(s) ? "yes" : "no");
	else
		strbuf_addstr(out, "\nserialization plan: none yet\n");
	strbuf_addf(out, "30112 findings: %zu%s\n", nfindings,
	    nfindings ? " (see hvpolicy diagnose)" : "");
}

static void
s_status(server *s, client *c, const Hvp__AdminRequest *q)
{
	finding *f = NULL;
	size_t nf = diagnose_run(s, &f);
	strbuf out;

	strbuf_init(&out);
	if (s_json(q->format))
		s_status_json(s, nf, &out);
	else
		s_status_table(s, nf, q->width, &out);
	findings_free(&f, nf);
	s_reply_text(c, 0, out.data, NULL);
	strbuf_release(&out);
}

/* ---- diagnose ---- */

static void
s_diagnose(server *s, client *c, const Hvp__AdminRequest *q)
{
	static const char *const head[] = { "NODE", "KIND", "EVIDENCE", "FIX" };
	finding *f = NULL;
	size_t nf = diagnose_run(s, &f);
	strbuf out;

	strbuf_init(&out);
	if (s_json(q->format)) {
		jsonw j;

		jsonw_init(&j, &out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < nf; i++) {
			jsonw_begin_object(&j);
			jsonw_kv_str(&j, "node", f[i].node);
			jsonw_kv_str(&j, "kind", f[i].kind);
			jsonw_kv_str(&j, "evidence", f[i].evidence);
			jsonw_kv_str(&j, "fix", f[i].fix);
			jsonw_end_object(&j);
		}
		jsonw_end_array(&j);
		strbuf_addch(&out, '\n');
	} else if (nf == 0) {
		strbuf_addstr(&out, "no 30112 findings\n");
	} else {
		table *t = table_new(4, head);

		table_keep(t, 0);
		table_keep(t, 1);
		table_shrink_first(t, 3);
		for (size_t i = 0; i < nf; i++) {
			const char *row[4] = { f[i].node, f[i].kind,
			    f[i].evidence, f[i].fix };

			table_add(t, row);
		}
		table_render_fit(t, &out, q->width);
		table_free(&t);
	}
	findings_free(&f, nf);
	s_reply_text(c, nf ? 2 : 0, out.data, NULL);
	strbuf_release(&out);
}

/* ---- history, get ---- */

static void
s_history(server *s, client *c, const Hvp__AdminRequest *q)
{
	static const char *const head[] = { "REVISION", "HASH", "APPLIED AT",
	    "APPLIED BY", "SOURCE" };
	store_revision *list = NULL;
	size_t n = 0;
	char *err = NULL;
	strbuf out;

	if (store_list_revisions(s->store, &list, &n, &err) == -1) {
		s_reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	strbuf_init(&out);
	if (s_json(q->format)) {
		jsonw j;

		jsonw_init(&j, &out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < n; i++) {
			jsonw_begin_object(&j);
			jsonw_kv_int(&j, "revision", list[i].revision);
			jsonw_kv_str(&j, "hash", list[i].hash);
			jsonw_kv_time(&j, "appliedAt", list[i].applied_at);
			jsonw_kv_str(&j, "appliedBy", list[i].applied_by);
			jsonw_kv_str(&j, "source", list[i].source);
			jsonw_end_object(&j);
		}
		jsonw_end_array(&j);
		strbuf_addch(&out, '\n');
	} else {
		table *t = table_new(5, head);

		for (size_t k = 0; k < 4; k++)
			table_keep(t, k);
		for (size_t i = 0; i < n; i++) {
			char rev[24], at[40];
			const char *row[5];

			snprintf(rev, sizeof rev, "%lld", (long long)list[i].revision);
			timefmt_rfc3339(list[i].applied_at, at, sizeof at);
			row[0] = rev;
			row[1] = list[i].hash;
			row[2] = at;
			row[3] = list[i].applied_by;
			row[4] = list[i].source;
			table_add(t, row);
		}
		table_render_fit(t, &out, q->width);
		table_free(&t);
	}
	store_revision_list_free(&list, n);
	s_reply_text(c, 0, out.data, NULL);
	strbuf_release(&out);
}

static void
s_get(server *s, client *c, const Hvp__AdminRequest *q)
{
	store_revision *r = NULL;
	char *err = NULL, *msg;
	int rc;

	if (q->revision > 0)
		rc = store_get_revision(s->store, q->revision, &r, &err);
	else
		rc = store_latest_revision(s->store, &r, &err);
	if (rc == -1) {
		s_reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	if (r == NULL) {
		msg = q->revision > 0 ?
		    xasprintf("no revision %lld (see hvpolicy history)",
		    (long long)q->revision) :
		    xstrdup("no policy applied yet (hvpolicy apply -f FILE)");
		s_reply_text(c, 1, NULL, msg);
		free(msg);
		return;
	}
	if (s_json(q->format)) {
		strbuf out;
		jsonw j;

		strbuf_init(&out);
		jsonw_init(&j, &out, true);
		jsonw_begin_object(&j);
		jsonw_kv_int(&j, "revision", r->revision);
		jsonw_kv_str(&j, "hash", r->hash);
		jsonw_kv_str(&j, "policy", r->text);
		jsonw_end_object(&j);
		strbuf_addch(&out, '\n');
		s_reply_text(c, 0, out.data, NULL);
		strbuf_release(&out);
	} else {
		msg = xasprintf("# revision %lld, hash %s\n%s", (long long)r->revision,
		    r->hash, r->text);
		s_reply_text(c, 0, msg, NULL);
		free(msg);
	}
	store_revision_free(&r);
}

/* ---- drift ---- */

static void
s_drift_table(const drift_record *list, size_t n, size_t width, strbuf *out)
{
	static const char *const head[] = { "ID", "NODE", "KIND", "RESOURCE",
	    "EXPECTED", "ACTUAL", "STATUS", "DETECTED", "ACTION" };
	table *t = table_new(9, head);
	static const size_t keep[] = { 0, 1, 2, 6, 7 };

	for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
		table_keep(t, keep[k]);
	table_shrink_first(t, 8);
	for (size_t i = 0; i < n; i++) {
		const drift_record *r = &list[i];
		char at[40];
		const char *row[9];

		timefmt_rfc3339(r->detected_at, at, sizeof at);
		row[0] = r->id;
		row[1] = r->node;
		row[2] = DRIFT_KIND_NAMES[r->kind];
		row[3] = r->resource;
		row[4] = r->expected ? r->expected : "(absent)";
		row[5] = r->actual ? r->actual : "(absent)";
		row[6] = DRIFT_STATUS_NAMES[r->status];
		row[7] = at;
		row[8] = r->action;
		table_add(t, row);
	}
	table_render_fit(t, out, width);
	table_free(&t);
}

static void
s_drift(server *s, client *c, const Hvp__AdminRequest *q)
{
	store_drift_filter f = { 0 };
	drift_record *list = NULL;
	size_t n = 0, open = 0;
	char *err = NULL;
	const char *fmt = q->format && *q->format ? q->format : "table";
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	strbuf out;
	jsonw j;

	f.node = q->node && *q->node ? q->node : NULL;
	f.since = q->since;
	f.open_only = q->open_only;
	if (store_query_drift(s->store, &f, &list, &n, &err) == -1) {
		s_reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	strbuf_init(&out);
	for (size_t i = 0; i < n; i++)
		open += list[i].status == DRIFT_OPEN;
	if (strcmp(fmt, "json") == 0) {
		jsonw_init(&j, &out, true);
		jsonw_begin_array(&j);
		for (size_t i = 0; i < n; i++)
			drift_record_json(&list[i], &j);
		jsonw_end_array(&j);
		strbuf_addch(&out, '\n');
	} else if (strcmp(fmt, "jsonl") == 0) {
		for (size_t i = 0; i < n; i++) {
			jsonw_init(&j, &out, false);
			drift_record_json(&list[i], &j);
			strbuf_addch(&out, '\n');
		}
	} else if (strcmp(fmt, "csv") == 0) {
		strbuf_addstr(&out, DRIFT_CSV_HEADER "\n");
		for (size_t i = 0; i < n; i++)
			drift_record_csv(&list[i], &out);
	} else if (n == 0) {
		strbuf_addstr(&out, "no drift\n");
	} else {
		s_drift_table(list, n, q->width, &out);
	}
	store_drift_list_free(&list, n);
	r.status = 0;
	r.body = out.data;
	r.error = (char *)"";
	r.total = (uint32_t)open;
	s_reply(c, &r);
	strbuf_release(&out);
}

/* ---- backup (controller/backup.c makes and reads the copy) ---- */

static void
s_backup(server *s, client *c, const Hvp__AdminRequest *q)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	char *err = NULL;

	if (backup_part(s->store, q->token, q->offset, &r, &err) == -1) {
		log_warnx("backup: %s", err);
		s_reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	r.body = (char *)"";
	r.error = (char *)"";
	s_reply(c, &r);
	free(r.data.data);
}

/* ---- serialization ---- */

static void
s_serialization(server *s, client *c, const Hvp__AdminRequest *q)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	const char *fmt = q->format && *q->format ? q->format : "table";
	char *xml = NULL;
	size_t len = 0;
	strbuf out;
	jsonw j;

	if (s->plan == NULL) {
		s_reply_text(c, 1, NULL, "no serialization plan yet: no node has "
		    "reported its guests");
		return;
	}
	strbuf_init(&out);
	r.error = (char *)"";
	if (strcmp(fmt, "dpm-xml") == 0) {
		if (dsgroups_render(s->plan, &xml, &len) == -1) {
			s_reply_text(c, 1, NULL, "cannot render the plan");
			strbuf_release(&out);
			return;
		}
		r.data.data = (uint8_t *)xml;
		r.data.len = len;
	} else if (strcmp(fmt, "json") == 0) {
		jsonw_init(&j, &out, true);
		plan_render_json(s->plan, &j);
		strbuf_addch(&out, '\n');
	} else {
		plan_render_table(s->plan, &out, q->width);
	}
	r.body = out.data;
	s_reply(c, &r);
	free(xml);
	strbuf_release(&out);
}

/* ---- apply, rollback, progress ---- */

static char *
s_who(const client *c, const Hvp__AdminRequest *q)
{
	if (c->remote)
		return xstrdup(c->user ? c->user : "admin");
	return xstrdup(q->applied_by && *q->applied_by ? q->applied_by : "local");
}

/* A policy text sent by a client, parsed again (a client cannot smuggle
 * an invalid policy in) and checked against this controller's cluster.
 * Returns the canonical text (owned) and its hash, or NULL after replying
 * with the errors. */
static char *
s_candidate(server *s, client *c, const char *label, const char *text,
    size_t len, char hash[POLICY_HASH_HEX + 1])
{
	diag_list d;
	policy *p;
	char *err, *canon;

	diag_list_init(&d);
	p = policy_parse(label, text ? text : "", len, &d);
	if (p == NULL) {
		diag_sort(&d);
		err = diag_join(&d);
		s_reply_text(c, 1, NULL, err);
		free(err);
		diag_list_release(&d);
		return NULL;
	}
	diag_list_release(&d);
	if (strcasecmp(p->cluster, s->cluster) != 0) {
		err = xasprintf("%s: spec.cluster is %s but this controller holds "
		    "cluster %s", label, p->cluster, s->cluster);
		s_reply_text(c, 1, NULL, err);
		free(err);
		policy_free(&p);
		return NULL;
	}
	canon = policy_canonical(p);
	policy_hash(p, hash);
	policy_free(&p);
	return canon;
}

/* Parses, checks the cluster, stores as a new revision (unless it equals
 * the current one) and pushes. Replies itself. */
static void
s_store_and_push(server *s, client *c, const char *label, const char *text,
    size_t len, const char *who, const char *source)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	char *canon, hash[POLICY_HASH_HEX + 1], *err = NULL, *body;
	int64_t rev = 0;

	if ((canon = s_candidate(s, c, label, text, len, hash)) == NULL)
		return;
	if (s->revision > 0 && strcmp(hash, s->policy_hash) == 0) {
		body = xasprintf("revision %lld\nunchanged: the policy equals the "
		    "current revision\n", (long long)s->revision);
		r.body = body;
		r.error = (char *)"";
		r.revision = s->revision;
		s_reply(c, &r);
		free(body);
		free(canon);
		return;
	}
	if (store_add_revision(s->store, canon, hash, who, source,
	    platform_now_ms() / 1000, &rev, &err) == -1 ||
	    push_set_policy(s, rev, canon, &err) == -1) {
		s_reply_text(c, 1, NULL, err);
		free(err);
		free(canon);
		return;
	}
	free(canon);
	log_info("revision %lld applied by %s (%s)", (long long)rev, who, source);
	push_replan(s);
	push_all(s);
	body = xasprintf("revision %lld\n", (long long)rev);
	r.body = body;
	r.error = (char *)"";
	r.revision = rev;
	s_reply(c, &r);
	free(body);
}

static void
s_apply(server *s, client *c, const Hvp__AdminRequest *q)
{
	char *who = s_who(c, q), *source;
	const char *label = q->source && *q->source ? q->source : "<policy>";

	source = xasprintf("apply -f %s", label);
	s_store_and_push(s, c, label, q->policy.len ? (const char *)q->policy.data : "",
	    q->policy.len, who, source);
	free(source);
	free(who);
}

static void
s_rollback(server *s, client *c, const Hvp__AdminRequest *q)
{
	store_revision *r = NULL;
	char *err = NULL, *who, *source, *label;

	if (store_get_revision(s->store, q->revision, &r, &err) == -1 || r == NULL) {
		if (err == NULL)
			err = xasprintf("no revision %lld (see hvpolicy history)",
			    (long long)q->revision);
		s_reply_text(c, 1, NULL, err);
		free(err);
		return;
	}
	who = s_who(c, q);
	source = xasprintf("rollback %lld", (long long)q->revision);
	label = xasprintf("<revision %lld>", (long long)q->revision);
	s_store_and_push(s, c, label, r->text, strlen(r->text), who, source);
	free(label);
	free(source);
	free(who);
	store_revision_free(&r);
}

static void
s_progress(server *s, client *c, const Hvp__AdminRequest *q)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;
	strbuf out;
	uint32_t converged = 0;

	strbuf_init(&out);
	for (size_t i = 0; i < s->nodes.count; i++) {
		const node_session *n = s->nodes.items[i];
		bool ok = s->revision == q->revision && push_node_converged(s, n);

		converged += ok;
		if (!ok)
			strbuf_addf(&out, "%s%s%s", out.len ? ", " : "", n->name,
			    n->online ? "" : " (offline)");
	}
	r.revision = s->revision;
	r.converged = converged;
	r.total = (uint32_t)s->nodes.count;
	r.body = out.data;
	r.error = (char *)"";
	s_reply(c, &r);
	strbuf_release(&out);
}

/* ---- plan (dry run on every online node) ---- */

static void
s_dryrun_clear(dryrun_wait *w)
{
	for (size_t i = 0; i < w->nwaiting; i++)
		free(w->waiting[i]);
	for (size_t i = 0; i < w->nresults; i++) {
		hvp__dry_run_result__free_unpacked(w->results[i], NULL);
		free(w->result_nodes[i]);
	}
	free(w->waiting);
	free(w->results);
	free(w->result_nodes);
	free(w->client);
	free(w->format);
	memset(w, 0, sizeof *w);
}

/* Orders the answers by node name, so output does not depend on who
 * answered first. */
static void
s_dryrun_sort(dryrun_wait *w)
{
	for (size_t i = 1; i < w->nresults; i++) {
		for (size_t j = i; j > 0 && strcmp(w->result_nodes[j - 1],
		    w->result_nodes[j]) > 0; j--) {
			Hvp__DryRunResult *r = w->results[j];
			char *n = w->result_nodes[j];

			w->results[j] = w->results[j - 1];
			w->result_nodes[j] = w->result_nodes[j - 1];
			w->results[j - 1] = r;
			w->result_nodes[j - 1] = n;
		}
	}
}

static void
s_dryrun_finish(server *s)
{
	static const char *const head[] = { "NODE", "RESOURCE", "NOW", "AFTER",
	    "ACTION" };
	dryrun_wait *w = &s->dryrun;
	table *t = table_new(5, head);
	strbuf out, missing;
	size_t changes = 0;
	client c = { 0 };
	jsonw j;
	bool json = s_json(w->format);
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;

	table_keep(t, 0);
	table_shrink_first(t, 4);
	s_dryrun_sort(w);
	strbuf_init(&out);
	strbuf_init(&missing);
	if (json) {
		jsonw_init(&j, &out, true);
		jsonw_begin_array(&j);
	}
	for (size_t i = 0; i < w->nresults; i++) {
		const Hvp__DryRunResult *res = w->results[i];

		if (res->error && *res->error) {
			/* A node's words reach the admin's terminal: escaped. */
			strbuf_addf(&missing, "%s%s: ", missing.len ? "; " : "",
			    w->result_nodes[i]);
			textsafe_add(&missing, res->error);
		}
		for (size_t k = 0; k < res->n_findings; k++) {
			const Hvp__Drift *f = res->findings[k];
			const char *row[5] = { w->result_nodes[i], f->resource,
			    f->has_actual ? f->actual : "(absent)",
			    f->has_expected ? f->expected : "(absent)", f->action };

			changes++;
			if (json) {
				jsonw_begin_object(&j);
				jsonw_kv_str(&j, "node", w->result_nodes[i]);
				jsonw_kv_str(&j, "kind", f->kind);
				jsonw_kv_str(&j, "resource", f->resource);
				jsonw_kv_str(&j, "actual", f->has_actual ? f->actual : NULL);
				jsonw_kv_str(&j, "expected", f->has_expected ? f->expected : NULL);
				jsonw_kv_str(&j, "action", f->action);
				jsonw_end_object(&j);
			} else {
				table_add(t, row);
			}
		}
	}
	for (size_t i = 0; i < w->nwaiting; i++)
		strbuf_addf(&missing, "%s%s did not answer", missing.len ? "; " : "",
		    w->waiting[i]);
	if (json) {
		jsonw_end_array(&j);
		strbuf_addch(&out, '\n');
	} else if (changes) {
		table_render_fit(t, &out, w->width);
	} else {
		strbuf_addstr(&out, "no changes: every node answering already "
		    "complies\n");
	}
	table_free(&t);
	c.socket = w->socket;
	zmq_msg_init_size(&c.rid, w->client_len);
	memcpy(zmq_msg_data(&c.rid), w->client, w->client_len);
	r.status = changes ? 2 : (missing.len ? 1 : 0);
	r.body = out.data;
	r.error = missing.data;
	s_reply(&c, &r);
	zmq_msg_close(&c.rid);
	strbuf_release(&out);
	strbuf_release(&missing);
	s_dryrun_clear(w);
}

static void
s_plan(server *s, client *c, const Hvp__AdminRequest *q)
{
	Hvp__DryRun dr = HVP__DRY_RUN__INIT;
	Hvp__Envelope e = HVP__ENVELOPE__INIT;
	dryrun_wait *w = &s->dryrun;
	const char *label = q->source && *q->source ? q->source : "<policy>";
	char *canon, hash[POLICY_HASH_HEX + 1];
	size_t cap = 0;

	if (w->active) {
		s_reply_text(c, 1, NULL, "another plan is being computed; try again");
		return;
	}
	if ((canon = s_candidate(s, c, label, (const char *)q->policy.data,
	    q->policy.len, hash)) == NULL)
		return;
	memset(w, 0, sizeof *w);
	w->active = true;
	w->request = ++s->next_request;
	w->socket = c->socket;
	w->client_len = zmq_msg_size(&c->rid);
	w->client = xmalloc(w->client_len + 1);
	memcpy(w->client, zmq_msg_data(&c->rid), w->client_len);
	w->format = xstrdup(q->format);
	w->width = q->width;
	w->deadline_mono = platform_mono_ms() + CONTROL_DRYRUN_MS;
	dr.request = w->request;
	dr.policy = canon;
	e.protocol = WIRE_PROTOCOL_VERSION;
	e.body_case = HVP__ENVELOPE__BODY_DRY_RUN;
	e.dry_run = &dr;
	for (size_t i = 0; i < s->nodes.count; i++) {
		node_session *n = s->nodes.items[i];

		if (!n->online) {
			xgrow(&w->waiting, &cap, w->nwaiting + 1, sizeof *w->waiting);
			w->waiting[w->nwaiting++] = xasprintf("%s (offline)", n->name);
			continue;
		}
		if (peer_send(s, n, &e) == 0) {
			xgrow(&w->waiting, &cap, w->nwaiting + 1, sizeof *w->waiting);
			w->waiting[w->nwaiting++] = xstrdup(n->name);
		}
	}
	free(canon);
	control_tick(s);
}

void
control_dryrun_result(server *s, const char *node, const Hvp__DryRunResult *r)
{
	dryrun_wait *w = &s->dryrun;
	uint8_t *buf;
	size_t len;

	if (!w->active || r->request != w->request)
		return;
	for (size_t i = 0; i < w->nwaiting; i++) {
		if (strcmp(w->waiting[i], node) != 0)
			continue;
		free(w->waiting[i]);
		w->waiting[i] = w->waiting[--w->nwaiting];
		if (wire_encode_message(&r->base, &buf, &len) == 0) {
			w->results = xrealloc(w->results,
			    (w->nresults + 1) * sizeof *w->results);
			w->result_nodes = xrealloc(w->result_nodes,
			    (w->nresults + 1) * sizeof *w->result_nodes);
			w->results[w->nresults] =
			    hvp__dry_run_result__unpack(NULL, len, buf);
			w->result_nodes[w->nresults] = xstrdup(node);
			if (w->results[w->nresults])
				w->nresults++;
			free(buf);
		}
		break;
	}
	control_tick(s);
}

void
control_tick(server *s)
{
	dryrun_wait *w = &s->dryrun;
	bool online_waiting = false;

	backup_tick();
	if (!w->active)
		return;
	for (size_t i = 0; i < w->nwaiting; i++)
		if (strstr(w->waiting[i], " (offline)") == NULL)
			online_waiting = true;
	if (!online_waiting || platform_mono_ms() >= w->deadline_mono)
		s_dryrun_finish(s);
}

/* ---- dispatch ---- */

typedef struct control_verb {
	const char *name;
	void (*fn)(server *s, client *c, const Hvp__AdminRequest *q);
} control_verb;

static const control_verb s_verbs[] = {
	{ "apply", s_apply },
	{ "backup", s_backup },
	{ "diagnose", s_diagnose },
	{ "drift", s_drift },
	{ "get", s_get },
	{ "history", s_history },
	{ "plan", s_plan },
	{ "progress", s_progress },
	{ "rollback", s_rollback },
	{ "serialization", s_serialization },
	{ "status", s_status },
};

static void
s_dispatch(server *s, client *c, const Hvp__AdminRequest *q)
{
	for (size_t i = 0; i < sizeof s_verbs / sizeof s_verbs[0]; i++) {
		if (q->verb && strcmp(q->verb, s_verbs[i].name) == 0) {
			s_verbs[i].fn(s, c, q);
			return;
		}
	}
	s_reply_text(c, 64, NULL, "unknown request");
}

void
control_request(server *s, void *socket, const void *rid, size_t rid_len,
    const char *user, const void *data, size_t len)
{
	client c = { 0 };
	Hvp__AdminRequest *q;
	char *err = NULL;

	c.socket = socket;
	c.remote = user != NULL;
	c.user = (char *)user;
	zmq_msg_init_size(&c.rid, rid_len);
	memcpy(zmq_msg_data(&c.rid), rid, rid_len);
	q = wire_decode_admin_request(data, len, &err);
	if (q == NULL) {
		log_warnx("control: %s", err);
		s_reply_text(&c, 1, NULL, err);
	} else {
		log_debug("control: %s", q->verb);
		s_dispatch(s, &c, q);
	}
	wire_admin_request_free(&q);
	free(err);
	zmq_msg_close(&c.rid);
}

void
control_handle(server *s, void *socket)
{
	zmq_msg_t frames[CONTROL_MAX_FRAMES];
	size_t n = 0;
	int more = 1;
	const char *uid = NULL;

	/* Read every frame of the message, keeping the first three. */
	while (more) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, socket, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&m);
			break;
		}
		more = zmq_msg_more(&m);
		if (n < CONTROL_MAX_FRAMES)
			frames[n++] = m;
		else
			zmq_msg_close(&m);
	}
	if (n != 3 || zmq_msg_size(&frames[1]) != 0) {
		log_warnx("control: malformed request (%zu frames); dropped", n);
		goto out;
	}
	if (socket == s->admin) {
		uid = zmq_msg_gets(&frames[2], "User-Id");
		if (uid == NULL || strncmp(uid, ZAP_ADMIN_PREFIX,
		    strlen(ZAP_ADMIN_PREFIX)) != 0) {
			log_warnx("control: remote request without an admin key; "
			    "dropped");
			goto out;
		}
		uid += strlen(ZAP_ADMIN_PREFIX);
	}
	control_request(s, socket, zmq_msg_data(&frames[0]),
	    zmq_msg_size(&frames[0]), uid, zmq_msg_data(&frames[2]),
	    zmq_msg_size(&frames[2]));
out:
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&frames[i]);
}
