/*
 * wire.c: protocol messages on the wire (wire.h). Owns the size limit
 * (checked before decoding), the protocol version check, the model <->
 * message converters, and one-envelope-per-message sending and receiving
 * over ZeroMQ. Every tree built here is a malloc tree shaped like what
 * protobuf-c's unpacker returns, so protobuf_c_message_free_unpacked()
 * frees built and decoded messages alike.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "log.h"
#include "names.h"
#include "strbuf.h"
#include "strsort.h"
#include "wire.h"
#include "wirecheck.h"
#include "xalloc.h"

#define WIRE_HASH_BYTES 32	/* BLAKE2b-256 */

/* ---- strings and enums ---- */

/* An owned copy for a singular string field; "" and NULL become the
 * shared empty string, which protobuf-c's free routine leaves alone for
 * singular fields only: elements of repeated fields are always freed, so
 * they are always heap copies (s_dup). */
static char *
s_str(const char *s)
{
	if (s == NULL || *s == '\0')
		return (char *)protobuf_c_empty_string;
	return xstrdup(s);
}

/* A field's text as an owned C string ("" for a NULL field). */
static char *
s_dup(const char *s)
{
	return xstrdup(s ? s : "");
}

/* An owned C string, NULL for an empty field. */
static char *
s_dup_or_null(const char *s)
{
	return (s == NULL || *s == '\0') ? NULL : xstrdup(s);
}

static const char *
s_enum_name(const char *const *names, int count, int v)
{
	return (v >= 0 && v < count) ? names[v] : "";
}

static int
s_enum_value(const char *const *names, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (name != NULL && strcmp(names[i], name) == 0)
			return i;
	return -1;
}

#define N_ROLES ((int)ROLE_DPM_SERVER + 1)
#define N_MODES ((int)POLICY_AUDIT + 1)
#define N_GUEST_STATES ((int)GUEST_PAUSED + 1)
#define N_PROVIDER_TYPES ((int)PROVIDER_HARDWARE + 1)
#define N_DRIFT_KINDS ((int)DRIFT_INVENTORY + 1)
#define N_DRIFT_STATUSES ((int)DRIFT_RESOLVED + 1)

/* ---- encoding and decoding ---- */

int
wire_encode_message(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t size = protobuf_c_message_get_packed_size(m);

	*out = NULL;
	*len = 0;
	if (size > WIRE_MAX_MESSAGE)
		return -1;
	*out = xmalloc(size ? size : 1);
	*len = protobuf_c_message_pack(m, *out);
	return 0;
}

void
wire_message_free(void *message)
{
	if (message != NULL)
		protobuf_c_message_free_unpacked(message, NULL);
}

/* Size check first, then protobuf-c; NULL with *err when either fails. */
static ProtobufCMessage *
s_unpack(const ProtobufCMessageDescriptor *d, const void *data, size_t len,
    char **err)
{
	ProtobufCMessage *m;

	if (len > WIRE_MAX_MESSAGE) {
		*err = xasprintf("message of %zu bytes is over the limit of %u "
		    "bytes", len, WIRE_MAX_MESSAGE);
		return NULL;
	}
	if (data == NULL && len > 0) {
		*err = xstrdup("no message data");
		return NULL;
	}
	m = protobuf_c_message_unpack(d, NULL, len, data);
	if (m == NULL)
		*err = xasprintf("undecodable %s (%zu bytes)", d->short_name,
		    len);
	return m;
}

Hvp__Envelope *
wire_decode(const void *data, size_t len, char **err)
{
	Hvp__Envelope *e;

	*err = NULL;
	e = (Hvp__Envelope *)s_unpack(&hvp__envelope__descriptor, data, len,
	    err);
	if (e == NULL)
		return NULL;
	/* A refusal is read whatever version sent it, so that a refusal of
	 * this program's version is understood (docs/protocol.md). */
	if ((e->protocol < WIRE_PROTOCOL_MIN ||
	    e->protocol > WIRE_PROTOCOL_VERSION) &&
	    e->body_case != HVP__ENVELOPE__BODY_REFUSED) {
		*err = xasprintf("protocol version %u, this program speaks %s",
		    e->protocol, WIRE_PROTOCOL_RANGE);
		wire_envelope_free(&e);
		return NULL;
	}
	if (e->body_case == HVP__ENVELOPE__BODY__NOT_SET) {
		*err = xstrdup("envelope without a body (or with one this "
		    "version does not know)");
		wire_envelope_free(&e);
		return NULL;
	}
	return e;
}

int
wire_encode(const Hvp__Envelope *e, uint8_t **out, size_t *len)
{
	return wire_encode_message(&e->base, out, len);
}

void
wire_envelope_free(Hvp__Envelope **e)
{
	if (e == NULL || *e == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*e)->base, NULL);
	*e = NULL;
}

Hvp__Envelope *
wire_envelope_new(Hvp__Envelope__BodyCase body_case, void *body)
{
	Hvp__Envelope *e = xmalloc(sizeof *e);

	hvp__envelope__init(e);
	e->protocol = WIRE_PROTOCOL_VERSION;
	e->body_case = body_case;
	switch (body_case) {
	case HVP__ENVELOPE__BODY_HELLO: e->hello = body; break;
	case HVP__ENVELOPE__BODY_WELCOME: e->welcome = body; break;
	case HVP__ENVELOPE__BODY_REFUSED: e->refused = body; break;
	case HVP__ENVELOPE__BODY_DESIRED: e->desired = body; break;
	case HVP__ENVELOPE__BODY_ACK: e->ack = body; break;
	case HVP__ENVELOPE__BODY_DRIFT_BATCH: e->drift_batch = body; break;
	case HVP__ENVELOPE__BODY_DRIFT_ACK: e->drift_ack = body; break;
	case HVP__ENVELOPE__BODY_HEARTBEAT: e->heartbeat = body; break;
	case HVP__ENVELOPE__BODY_HEARTBEAT_REPLY:
		e->heartbeat_reply = body;
		break;
	case HVP__ENVELOPE__BODY_INVENTORY: e->inventory = body; break;
	case HVP__ENVELOPE__BODY_DRY_RUN: e->dry_run = body; break;
	case HVP__ENVELOPE__BODY_DRY_RUN_RESULT:
		e->dry_run_result = body;
		break;
	default:
		fatalx("wire_envelope_new: no body type %d", (int)body_case);
	}
	if (body == NULL)
		fatalx("wire_envelope_new: NULL %s", wire_body_name(body_case));
	return e;
}

const char *
wire_body_name(Hvp__Envelope__BodyCase body_case)
{
	switch (body_case) {
	case HVP__ENVELOPE__BODY__NOT_SET: return "none";
	case HVP__ENVELOPE__BODY_HELLO: return "hello";
	case HVP__ENVELOPE__BODY_WELCOME: return "welcome";
	case HVP__ENVELOPE__BODY_REFUSED: return "refused";
	case HVP__ENVELOPE__BODY_DESIRED: return "desired";
	case HVP__ENVELOPE__BODY_ACK: return "ack";
	case HVP__ENVELOPE__BODY_DRIFT_BATCH: return "drift_batch";
	case HVP__ENVELOPE__BODY_DRIFT_ACK: return "drift_ack";
	case HVP__ENVELOPE__BODY_HEARTBEAT: return "heartbeat";
	case HVP__ENVELOPE__BODY_HEARTBEAT_REPLY: return "heartbeat_reply";
	case HVP__ENVELOPE__BODY_INVENTORY: return "inventory";
	case HVP__ENVELOPE__BODY_DRY_RUN: return "dry_run";
	case HVP__ENVELOPE__BODY_DRY_RUN_RESULT: return "dry_run_result";
	default: return "unknown";
	}
}

/* ---- admin messages ---- */

Hvp__AdminRequest *
wire_decode_admin_request(const void *data, size_t len, char **err)
{
	Hvp__AdminRequest *r;

	*err = NULL;
	if (wirecheck_message(&hvp__admin_request__descriptor, data, len,
	    err) == WIRECHECK_OVER)
		return NULL;
	free(*err);
	*err = NULL;
	r = (Hvp__AdminRequest *)s_unpack(&hvp__admin_request__descriptor,
	    data, len, err);
	if (r == NULL)
		return NULL;
	if (r->protocol != WIRE_PROTOCOL_VERSION) {
		*err = xasprintf("protocol version %u, this program speaks %u",
		    r->protocol, WIRE_PROTOCOL_VERSION);
		wire_admin_request_free(&r);
		return NULL;
	}
	if (r->verb == NULL || r->verb[0] == '\0') {
		*err = xstrdup("admin request without a verb");
		wire_admin_request_free(&r);
		return NULL;
	}
	return r;
}

Hvp__AdminReply *
wire_decode_admin_reply(const void *data, size_t len, char **err)
{
	*err = NULL;
	return (Hvp__AdminReply *)s_unpack(&hvp__admin_reply__descriptor,
	    data, len, err);
}

int
wire_encode_admin_request(const Hvp__AdminRequest *r, uint8_t **out,
    size_t *len)
{
	return wire_encode_message(&r->base, out, len);
}

int
wire_encode_admin_reply(const Hvp__AdminReply *r, uint8_t **out, size_t *len)
{
	return wire_encode_message(&r->base, out, len);
}

void
wire_admin_request_free(Hvp__AdminRequest **r)
{
	if (r == NULL || *r == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*r)->base, NULL);
	*r = NULL;
}

void
wire_admin_reply_free(Hvp__AdminReply **r)
{
	if (r == NULL || *r == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*r)->base, NULL);
	*r = NULL;
}

/* ---- drift records ---- */

Hvp__Drift *
wire_drift_new(const drift_record *r, uint64_t seq)
{
	Hvp__Drift *m = xmalloc(sizeof *m);

	hvp__drift__init(m);
	m->seq = seq;
	m->id = s_str(r->id);
	m->cluster = s_str(r->cluster);
	m->node = s_str(r->node);
	m->role = s_str(s_enum_name(HOST_ROLE_NAMES, N_ROLES, (int)r->role));
	m->kind = s_str(s_enum_name(DRIFT_KIND_NAMES, N_DRIFT_KINDS,
	    (int)r->kind));
	m->resource = s_str(r->resource);
	m->has_expected = r->expected != NULL;
	m->expected = s_str(r->expected);
	m->has_actual = r->actual != NULL;
	m->actual = s_str(r->actual);
	m->policy_revision = r->policy_revision;
	m->mode = s_str(s_enum_name(POLICY_MODE_NAMES, N_MODES, (int)r->mode));
	m->status = s_str(s_enum_name(DRIFT_STATUS_NAMES, N_DRIFT_STATUSES,
	    (int)r->status));
	m->detected_at = r->detected_at;
	m->resolved_at = r->resolved_at;
	m->action = s_str(r->action);
	m->error = s_str(r->error);
	m->cause = s_str(r->cause > DRIFT_CAUSE_UNKNOWN &&
	    r->cause <= DRIFT_CAUSE_OUT_OF_BAND ? DRIFT_CAUSE_NAMES[r->cause] :
	    NULL);
	return m;
}

int
wire_drift_to_record(const Hvp__Drift *m, drift_record *out, char **err)
{
	int role, kind, mode, status;

	*err = NULL;
	memset(out, 0, sizeof *out);
	role = s_enum_value(HOST_ROLE_NAMES, N_ROLES, m->role);
	kind = s_enum_value(DRIFT_KIND_NAMES, N_DRIFT_KINDS, m->kind);
	mode = s_enum_value(POLICY_MODE_NAMES, N_MODES, m->mode);
	status = s_enum_value(DRIFT_STATUS_NAMES, N_DRIFT_STATUSES, m->status);
	if (role < 0 || kind < 0 || mode < 0 || status < 0) {
		const char *what = role < 0 ? "role" : kind < 0 ? "kind" :
		    mode < 0 ? "mode" : "status";
		const char *val = role < 0 ? m->role : kind < 0 ? m->kind :
		    mode < 0 ? m->mode : m->status;

		*err = xasprintf("drift record %llu: unknown %s '%.64s'",
		    (unsigned long long)m->seq, what, val ? val : "");
		return -1;
	}
	out->id = s_dup(m->id);
	out->cluster = s_dup(m->cluster);
	out->node = s_dup(m->node);
	out->role = (host_role)role;
	out->kind = (drift_kind)kind;
	out->resource = s_dup(m->resource);
	out->expected = m->has_expected ? s_dup(m->expected) : NULL;
	out->actual = m->has_actual ? s_dup(m->actual) : NULL;
	out->policy_revision = m->policy_revision;
	out->mode = (policy_mode)mode;
	out->status = (drift_status)status;
	out->detected_at = m->detected_at;
	out->resolved_at = m->resolved_at;
	out->action = s_dup_or_null(m->action);
	out->error = s_dup_or_null(m->error);
	out->cause = drift_cause_from_name(m->cause);
	return 0;
}

void
wire_drift_free(Hvp__Drift **m)
{
	if (m == NULL || *m == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*m)->base, NULL);
	*m = NULL;
}

/* ---- plans ---- */

/* A repeated string field: every element a heap copy. */
static char **
s_strv_new(char *const *v, size_t n)
{
	char **out;

	if (n == 0)
		return NULL;
	out = xcalloc(n, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = s_dup(v[i]);
	return out;
}

static Hvp__PlanGroup *
s_plan_group_new(const plan_group *g)
{
	Hvp__PlanGroup *m = xmalloc(sizeof *m);

	hvp__plan_group__init(m);
	m->name = s_str(g->name);
	m->n_csvs = g->ncsvs;
	m->csvs = s_strv_new(g->csvs, g->ncsvs);
	m->n_guests = g->nguests;
	if (g->nguests)
		m->guests = xcalloc(g->nguests, sizeof *m->guests);
	for (size_t i = 0; i < g->nguests; i++) {
		Hvp__PlanGuest *pg = xmalloc(sizeof *pg);

		hvp__plan_guest__init(pg);
		pg->name = s_str(g->guests[i].name);
		pg->id = s_str(g->guests[i].id);
		pg->node = s_str(g->guests[i].node);
		m->guests[i] = pg;
	}
	return m;
}

Hvp__Plan *
wire_plan_new(const plan *p)
{
	Hvp__Plan *m = xmalloc(sizeof *m);

	hvp__plan__init(m);
	m->generation = p->generation;
	m->hash = s_str(p->hash);
	m->n_groups = p->ngroups;
	if (p->ngroups)
		m->groups = xcalloc(p->ngroups, sizeof *m->groups);
	for (size_t i = 0; i < p->ngroups; i++)
		m->groups[i] = s_plan_group_new(&p->groups[i]);
	m->n_unplanned = p->nunplanned;
	if (p->nunplanned)
		m->unplanned = xcalloc(p->nunplanned, sizeof *m->unplanned);
	for (size_t i = 0; i < p->nunplanned; i++) {
		const plan_unplanned *u = &p->unplanned[i];
		Hvp__PlanUnplanned *mu = xmalloc(sizeof *mu);

		hvp__plan_unplanned__init(mu);
		mu->name = s_str(u->name);
		mu->id = s_str(u->id);
		mu->node = s_str(u->node);
		mu->reason = s_str(u->reason);
		m->unplanned[i] = mu;
	}
	return m;
}

/* The block wire_plan_borrowed_new() carves, in alignment order. */
typedef struct s_carve {
	char *at;
} s_carve;

static void *
s_carve_take(s_carve *c, size_t bytes)
{
	void *at = c->at;

	c->at += bytes;
	return at;
}

/* A borrowed string field: NULL and "" as s_str() gives them. */
static char *
s_borrow(const char *s)
{
	return (char *)(s && *s ? s : protobuf_c_empty_string);
}

Hvp__Plan *
wire_plan_borrowed_new(const plan *p)
{
	size_t nguests = 0, bytes;
	Hvp__Plan *m;
	Hvp__PlanGroup *groups;
	Hvp__PlanGuest *guests;
	Hvp__PlanUnplanned *unpl;
	s_carve c;

	for (size_t i = 0; i < p->ngroups; i++)
		nguests += p->groups[i].nguests;
	/* Every part is pointers or holds them: one alignment for all. */
	bytes = sizeof *m + p->ngroups * (sizeof *m->groups + sizeof *groups) +
	    nguests * (sizeof(Hvp__PlanGuest *) + sizeof *guests) +
	    p->nunplanned * (sizeof *m->unplanned + sizeof *unpl);
	c.at = xmalloc(bytes);
	m = s_carve_take(&c, sizeof *m);
	hvp__plan__init(m);
	m->generation = p->generation;
	m->hash = s_borrow(p->hash);
	m->n_groups = p->ngroups;
	m->groups = s_carve_take(&c, p->ngroups * sizeof *m->groups);
	groups = s_carve_take(&c, p->ngroups * sizeof *groups);
	for (size_t i = 0; i < p->ngroups; i++) {
		const plan_group *g = &p->groups[i];
		Hvp__PlanGroup *mg = m->groups[i] = &groups[i];

		hvp__plan_group__init(mg);
		mg->name = s_borrow(g->name);
		mg->n_csvs = g->ncsvs;
		mg->csvs = g->csvs;
		mg->n_guests = g->nguests;
		mg->guests = s_carve_take(&c, g->nguests * sizeof *mg->guests);
		guests = s_carve_take(&c, g->nguests * sizeof *guests);
		for (size_t k = 0; k < g->nguests; k++) {
			Hvp__PlanGuest *pg = mg->guests[k] = &guests[k];

			hvp__plan_guest__init(pg);
			pg->name = s_borrow(g->guests[k].name);
			pg->id = s_borrow(g->guests[k].id);
			pg->node = s_borrow(g->guests[k].node);
		}
	}
	m->n_unplanned = p->nunplanned;
	m->unplanned = s_carve_take(&c, p->nunplanned * sizeof *m->unplanned);
	unpl = s_carve_take(&c, p->nunplanned * sizeof *unpl);
	for (size_t i = 0; i < p->nunplanned; i++) {
		const plan_unplanned *u = &p->unplanned[i];
		Hvp__PlanUnplanned *mu = m->unplanned[i] = &unpl[i];

		hvp__plan_unplanned__init(mu);
		mu->name = s_borrow(u->name);
		mu->id = s_borrow(u->id);
		mu->node = s_borrow(u->node);
		mu->reason = s_borrow(u->reason);
	}
	return m;
}

void
wire_plan_borrowed_free(Hvp__Plan **m)
{
	if (m == NULL)
		return;
	free(*m);
	*m = NULL;
}

plan *
wire_plan_to_plan(const Hvp__Plan *m, char **err)
{
	plan *p;
	size_t hlen = m->hash ? strlen(m->hash) : 0;

	*err = NULL;
	if (hlen > PLAN_HASH_HEX) {
		*err = xasprintf("plan hash of %zu characters, at most %d "
		    "expected", hlen, PLAN_HASH_HEX);
		return NULL;
	}
	p = plan_new();
	p->generation = m->generation;
	memcpy(p->hash, m->hash ? m->hash : "", hlen + 1);
	if (m->n_groups)
		p->groups = xcalloc(m->n_groups, sizeof *p->groups);
	p->ngroups = m->n_groups;
	for (size_t i = 0; i < m->n_groups; i++) {
		const Hvp__PlanGroup *mg = m->groups[i];
		plan_group *g = &p->groups[i];

		g->name = s_dup(mg->name);
		if (mg->n_csvs)
			g->csvs = xcalloc(mg->n_csvs, sizeof *g->csvs);
		g->ncsvs = mg->n_csvs;
		for (size_t c = 0; c < mg->n_csvs; c++)
			g->csvs[c] = s_dup(mg->csvs[c]);
		if (mg->n_guests)
			g->guests = xcalloc(mg->n_guests, sizeof *g->guests);
		g->nguests = mg->n_guests;
		for (size_t k = 0; k < mg->n_guests; k++) {
			g->guests[k].name = s_dup(mg->guests[k]->name);
			g->guests[k].id = s_dup(mg->guests[k]->id);
			g->guests[k].node = s_dup(mg->guests[k]->node);
		}
	}
	if (m->n_unplanned)
		p->unplanned = xcalloc(m->n_unplanned, sizeof *p->unplanned);
	p->nunplanned = m->n_unplanned;
	for (size_t i = 0; i < m->n_unplanned; i++) {
		const Hvp__PlanUnplanned *mu = m->unplanned[i];

		p->unplanned[i].name = s_dup(mu->name);
		p->unplanned[i].id = s_dup(mu->id);
		p->unplanned[i].node = s_dup(mu->node);
		p->unplanned[i].reason = s_dup(mu->reason);
	}
	return p;
}

void
wire_plan_free(Hvp__Plan **m)
{
	if (m == NULL || *m == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*m)->base, NULL);
	*m = NULL;
}

/* ---- inventories ---- */

static int
s_cmp_service(const void *a, const void *b)
{
	const Hvp__Service *x = *(Hvp__Service *const *)a;
	const Hvp__Service *y = *(Hvp__Service *const *)b;

	return strcmp(x->name, y->name);
}

static int
s_cmp_guest(const void *a, const void *b)
{
	const Hvp__Guest *x = *(Hvp__Guest *const *)a;
	const Hvp__Guest *y = *(Hvp__Guest *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->id, y->id);
}

static int
s_cmp_provider(const void *a, const void *b)
{
	const Hvp__Provider *x = *(Hvp__Provider *const *)a;
	const Hvp__Provider *y = *(Hvp__Provider *const *)b;

	return strcmp(x->id, y->id);
}

static Hvp__Guest *
s_guest_new(const host_guest *g)
{
	Hvp__Guest *m = xmalloc(sizeof *m);

	hvp__guest__init(m);
	/* Far over its bound, a name or path is cut (still over it, so the
	 * controller reports the guest unplanned and why): names.h. */
	m->name = names_clip(g->name, NAMES_GUEST_MAX);
	m->id = s_str(g->id);
	m->state = s_str(s_enum_name(GUEST_STATE_NAMES, N_GUEST_STATES,
	    (int)g->state));
	m->n_services = g->nservices;
	if (g->nservices)
		m->services = xcalloc(g->nservices, sizeof *m->services);
	for (size_t i = 0; i < g->nservices; i++) {
		Hvp__Service *s = xmalloc(sizeof *s);

		hvp__service__init(s);
		s->name = s_str(g->services[i].name);
		s->enabled = g->services[i].enabled;
		m->services[i] = s;
	}
	if (m->n_services > 1)
		qsort(m->services, m->n_services, sizeof *m->services,
		    s_cmp_service);
	m->n_paths = g->npaths;
	m->paths = s_strv_new(g->paths, g->npaths);
	for (size_t i = 0; i < m->n_paths; i++) {
		char *clipped = names_clip(m->paths[i], NAMES_PATH_MAX);

		free(m->paths[i]);
		m->paths[i] = clipped;
	}
	return m;
}

static Hvp__Provider *
s_provider_new(const host_provider *p)
{
	Hvp__Provider *m = xmalloc(sizeof *m);

	hvp__provider__init(m);
	m->id = s_str(p->id);
	m->name = s_str(p->name);
	m->type = s_str(s_enum_name(PROVIDER_TYPE_NAMES, N_PROVIDER_TYPES,
	    (int)p->type));
	m->version = s_str(p->version);
	m->autorecovery = p->autorecovery;
	return m;
}

Hvp__Inventory *
wire_inventory_new_from_host(const host_state *h)
{
	Hvp__Inventory *m = xmalloc(sizeof *m);

	hvp__inventory__init(m);
	m->n_guests = h->nguests;
	if (h->nguests)
		m->guests = xcalloc(h->nguests, sizeof *m->guests);
	for (size_t i = 0; i < h->nguests; i++)
		m->guests[i] = s_guest_new(&h->guests[i]);
	if (m->n_guests > 1)
		qsort(m->guests, m->n_guests, sizeof *m->guests, s_cmp_guest);
	m->n_csvs = h->ncsvs;
	m->csvs = s_strv_new(h->csvs, h->ncsvs);
	if (m->n_csvs > 1)
		qsort(m->csvs, m->n_csvs, sizeof *m->csvs, strsort_cmp);
	m->n_providers = h->nproviders;
	if (h->nproviders)
		m->providers = xcalloc(h->nproviders, sizeof *m->providers);
	for (size_t i = 0; i < h->nproviders; i++)
		m->providers[i] = s_provider_new(&h->providers[i]);
	if (m->n_providers > 1)
		qsort(m->providers, m->n_providers, sizeof *m->providers,
		    s_cmp_provider);
	m->has_system_provider_key = host_key_exists(h,
	    DPM_USE_SYSTEM_PROVIDER_KEY);
	wire_inventory_rehash(m);
	return m;
}

/* Frees a string field of a built or decoded message and sets a new one. */
static void
s_set_str(char **field, const char *value)
{
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = s_str(value);
}

void
wire_inventory_set_snapshot(Hvp__Inventory *inv, const char *provider_id,
    bool hardware, const char *volume, const char *line)
{
	wire_message_free(inv->last_snapshot);
	inv->last_snapshot = NULL;
	if (provider_id != NULL) {
		Hvp__Snapshot *s = xmalloc(sizeof *s);

		hvp__snapshot__init(s);
		s->provider_id = s_str(provider_id);
		s->hardware = hardware;
		s->volume = s_str(volume);
		s->line = s_str(line);
		inv->last_snapshot = s;
	}
	wire_inventory_rehash(inv);
}

void
wire_inventory_set_dsgroups(Hvp__Inventory *inv, const char *hash)
{
	inv->dsgroups_present = hash != NULL;
	s_set_str(&inv->dsgroups_hash, hash);
	wire_inventory_rehash(inv);
}

void
wire_inventory_rehash(Hvp__Inventory *inv)
{
	unsigned char digest[WIRE_HASH_BYTES];
	char hex[WIRE_HASH_BYTES * 2 + 1];
	size_t size;
	uint8_t *buf;

	s_set_str(&inv->hash, NULL);
	size = protobuf_c_message_get_packed_size(&inv->base);
	buf = xmalloc(size ? size : 1);
	protobuf_c_message_pack(&inv->base, buf);
	if (sodium_init() < 0)
		fatalx("libsodium cannot be initialised");
	crypto_generichash(digest, sizeof digest, buf, size, NULL, 0);
	free(buf);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	s_set_str(&inv->hash, hex);
}

void
wire_inventory_free(Hvp__Inventory **inv)
{
	if (inv == NULL || *inv == NULL)
		return;
	protobuf_c_message_free_unpacked(&(*inv)->base, NULL);
	*inv = NULL;
}

/* ---- ZeroMQ ---- */

int
wire_send_raw(void *socket, const void *rid, size_t rid_len, const void *data,
    size_t len)
{
	if (rid != NULL &&
	    zmq_send(socket, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
		return -1;
	if (zmq_send(socket, data, len, ZMQ_DONTWAIT) == -1)
		return -1;
	return 0;
}

int
wire_send(void *socket, const Hvp__Envelope *e, const wire_rid *rid)
{
	uint8_t *buf;
	size_t len;
	int rc, saved;

	if (wire_encode(e, &buf, &len) == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	rc = wire_send_raw(socket, rid ? rid->data : NULL, rid ? rid->len : 0,
	    buf, len);
	saved = errno;
	free(buf);
	errno = saved;
	return rc;
}

bool
wire_rid_equal(const wire_rid *a, const wire_rid *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

const char *
wire_rid_text(const wire_rid *r, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	buf[k++] = '0';
	buf[k++] = 'x';
	for (size_t i = 0; i < r->len; i++) {
		buf[k++] = hex[r->data[i] >> 4];
		buf[k++] = hex[r->data[i] & 15];
	}
	buf[k] = '\0';
	return buf;
}

/* Copies a routing id frame; -1 (and *err) when it is empty or too long. */
static int
s_routing_id(zmq_msg_t *frame, wire_rid *out, char **err)
{
	size_t n = zmq_msg_size(frame);

	if (n < 1 || n > WIRE_MAX_ROUTING_ID) {
		*err = xasprintf("routing id of %zu bytes", n);
		return -1;
	}
	out->len = n;
	memcpy(out->data, zmq_msg_data(frame), n);
	return 0;
}

/* Over a bound: WIRE_REFUSED with *why. Bytes that do not decode are left
 * for wire_decode() to name. */
static int
s_bounds(zmq_msg_t *payload, char **why)
{
	char *err = NULL;

	if (wirecheck_envelope(zmq_msg_data(payload), zmq_msg_size(payload),
	    &err) == WIRECHECK_OVER) {
		*why = err;
		return WIRE_REFUSED;
	}
	free(err);
	return WIRE_MALFORMED;
}

/* A Hello in a protocol version this program does not speak is answered
 * with a Refused naming both versions and what to upgrade, so the node
 * says why in its log (and keeps retrying with back-off until one side
 * is upgraded). Here, not in each caller, so every receiver of Hellos
 * (ROUTER sockets) answers alike. */
static void
s_refuse_version(void *socket, const wire_rid *rid, const void *data,
    size_t len)
{
	Hvp__Envelope *e, out = HVP__ENVELOPE__INIT;
	Hvp__Refused r = HVP__REFUSED__INIT;
	char *unused = NULL;

	if (rid == NULL || rid->len == 0 || (e = (Hvp__Envelope *)s_unpack(
	    &hvp__envelope__descriptor, data, len, &unused)) == NULL) {
		free(unused);
		return;
	}
	if (e->body_case == HVP__ENVELOPE__BODY_HELLO &&
	    (e->protocol < WIRE_PROTOCOL_MIN ||
	    e->protocol > WIRE_PROTOCOL_VERSION)) {
		r.reason = xasprintf("protocol version %u is not spoken here "
		    "(this controller speaks %s): %s", e->protocol,
		    WIRE_PROTOCOL_RANGE, e->protocol > WIRE_PROTOCOL_VERSION ?
		    "upgrade the controller first, then the nodes" :
		    "upgrade this node");
		out.protocol = WIRE_PROTOCOL_VERSION;
		out.body_case = HVP__ENVELOPE__BODY_REFUSED;
		out.refused = &r;
		wire_send(socket, &out, rid);
		free(r.reason);
	}
	wire_envelope_free(&e);
}

int
wire_recv(void *socket, Hvp__Envelope **e, wire_rid *rid, char **user_id,
    char **err)
{
	zmq_msg_t frames[2], extra;
	size_t nframes = 0, want, nkept = 0;
	int type = 0, more, rc = WIRE_MALFORMED;
	size_t tlen = sizeof type;
	char *uid = NULL, *why = NULL;
	const char *prop;

	*e = NULL;
	if (rid)
		rid->len = 0;
	if (user_id)
		*user_id = NULL;
	if (err)
		*err = NULL;
	if (zmq_getsockopt(socket, ZMQ_TYPE, &type, &tlen) == -1)
		return WIRE_NONE;
	want = type == ZMQ_ROUTER ? 2 : 1;

	/* Read every frame of one message; keep the first `want`. */
	do {
		zmq_msg_t *f = nkept < want ? &frames[nkept] : &extra;

		zmq_msg_init(f);
		if (zmq_msg_recv(f, socket, nframes == 0 ? ZMQ_DONTWAIT : 0)
		    == -1) {
			int saved = errno;

			zmq_msg_close(f);
			if (nframes == 0) {
				errno = saved;
				return WIRE_NONE;
			}
			why = xasprintf("message cut short after %zu "
			    "frames: %s", nframes, zmq_strerror(saved));
			break;
		}
		nframes++;
		more = zmq_msg_more(f);
		if (uid == NULL && (prop = zmq_msg_gets(f, "User-Id")) != NULL)
			uid = xstrdup(prop);
		if (f == &extra)
			zmq_msg_close(f);
		else
			nkept++;
	} while (more);

	if (why == NULL && nframes != want)
		why = xasprintf("message of %zu frames, %zu expected", nframes,
		    want);
	if (want == 2 && nkept >= 1) {
		wire_rid scratch;
		char *rid_err = NULL;

		if (s_routing_id(&frames[0], rid ? rid : &scratch, &rid_err) == -1) {
			if (why == NULL)
				why = rid_err;
			else
				free(rid_err);
		}
	}
	if (why == NULL && want == 2)
		rc = s_bounds(&frames[1], &why);
	if (why == NULL) {
		zmq_msg_t *payload = &frames[want - 1];

		*e = wire_decode(zmq_msg_data(payload), zmq_msg_size(payload),
		    &why);
		if (*e != NULL)
			rc = WIRE_OK;
		else if (want == 2)
			s_refuse_version(socket, rid, zmq_msg_data(payload),
			    zmq_msg_size(payload));
	}
	for (size_t i = 0; i < nkept; i++)
		zmq_msg_close(&frames[i]);
	if (user_id)
		*user_id = uid;
	else
		free(uid);
	if (err)
		*err = why;
	else
		free(why);
	return rc;
}

int
wire_socket_limit(void *socket)
{
	int64_t max = WIRE_MAX_MESSAGE;

	return zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max, sizeof max);
}
