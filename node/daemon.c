/*
 * daemon.c: hvpolicy-node's daemon mode (daemon.h). Called by node/main.c
 * for every invocation but --once.
 *
 * One process, one zmq_poll loop over three sources: the DEALER socket to
 * the controller, the host backend's change descriptor, and timers
 * (heartbeat, periodic re-check, controller liveness, reconnect). Signal
 * handlers only set flags. The node side of docs/protocol.md lives here:
 * Hello on (re)connect, Welcome/Refused, Desired -> persist -> pass ->
 * Ack, drift transitions -> journal -> DriftBatch until DriftAck,
 * Inventory when it changes, Heartbeat, DryRun -> DryRunResult.
 *
 * Owns: the node config table, the connection state, the current desired
 * state (nodestate.c keeps it on disk), the tracker (tracker.c) and the
 * journal (journal.c). Everything the controller sends is checked before
 * use; nothing it sends can stop the daemon.
 */
#include "daemon.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "config.h"
#include "diag.h"
#include "drift.h"
#include "dsgroups.h"
#include "dsheld.h"
#include "dsmerge.h"
#include "dsrecord.h"
#include "engine.h"
#include "evidence.h"
#include "host.h"
#include "journal.h"
#include "keys.h"
#include "filelock.h"
#include "log.h"
#include "nodemetrics.h"
#include "nodestate.h"
#include "platform.h"
#include "promserve.h"
#include "policy.h"
#include "tracker.h"
#include "version.h"
#include "wire.h"
#include "xalloc.h"
#include "ydoc.h"


#define S_PROGRAM "hvpolicy-node"
#define S_CMDLINE "<command line>"
#define S_TRACKER_FILE "tracker.state"
#define S_JOURNAL_DIR "journal"
#define S_LOCK_FILE "hvpolicy-node.lock"
#define S_WHY_NEW_DESIRED "new desired state"	/* a pass reason */
#define S_BACKOFF_MIN_MS 1000
#define S_BACKOFF_MAX_MS 30000
#define S_IDLE_INTERVAL_S 60	/* re-observe period without a policy */
#define S_WATCH_POLL_MS 1000	/* tick when the backend has no fd */
#define S_RETRY_MS 5000		/* journal write retry */
#define S_SNDHWM 1000
#define S_RECV_BURST 64		/* messages handled per wake-up */
#define S_BATCH_BYTES (WIRE_MAX_MESSAGE - 64u * 1024)
#define S_MAX_ENDPOINT 255
#define S_LOG_TEXT 200		/* longest received text put in a log line */
#define S_AGENT_LOG_TAIL (256u * 1024)	/* bytes of the DPM agent log read */
/* The controller stores drift sequence numbers up to INT64_MAX. A
 * Welcome saying it holds more than half of that is damaged or hostile:
 * renumbering the journal past it would leave no numbers the controller
 * can store, or wrap. */
#define S_MAX_SEQ ((uint64_t)INT64_MAX / 2)

/* ---- configuration ---- */

static const config_option S_OPTIONS[] = {
	{ "name", CONFIG_STRING, NULL, true, 0, 0,
	    "this node's name (as in the controller's nodeKeys)" },
	{ "role", CONFIG_STRING, NULL, true, 0, 0,
	    "hyperv-node | dpm-server" },
	{ "controller", CONFIG_STRING, NULL, true, 0, 0,
	    "the controller's node endpoint, tcp://HOST:PORT" },
	{ "controllerKey", CONFIG_STRING, NULL, false, 0, 0,
	    "the controller's public key file (unless insecure)" },
	{ "secretKey", CONFIG_STRING, NULL, false, 0, 0,
	    "this node's secret key file (unless insecure)" },
	{ "stateDir", CONFIG_STRING, NULL, true, 0, 0,
	    "desired state, drift journal and tracker" },
	{ "backend", CONFIG_STRING, "sim", false, 0, 0,
	    "sim | windows" },
	{ "hostFile", CONFIG_STRING, NULL, false, 0, 0,
	    "the simulated host's file (backend sim)" },
	{ "cluster", CONFIG_STRING, NULL, false, 0, 0,
	    "the cluster, when the host cannot tell (backend windows on a "
	    "dpm-server)" },
	{ "clusters", CONFIG_LIST, NULL, false, 0, 0,
	    "dpm-server: the clusters whose guests its DPM server protects, "
	    "in place of cluster (--clusters A,B)" },
	{ "insecure", CONFIG_BOOL, "false", false, 0, 0,
	    "plain text, no authentication (tests and labs only)" },
	{ "heartbeatSeconds", CONFIG_INT, "5", false, 1, 3600,
	    "heartbeat period until the controller's Welcome sets it" },
	{ "logFormat", CONFIG_STRING, "text", false, 0, 0,
	    "log lines as text or json (also --log-format)" },
	{ "metricsListen", CONFIG_STRING, NULL, false, 0, 0,
	    "Prometheus text format at /metrics (tcp://HOST:PORT); off "
	    "unless set" },
	{ "verbose", CONFIG_BOOL, "false", false, 0, 0, "debug logging" },
};
#define S_NOPTIONS (sizeof S_OPTIONS / sizeof S_OPTIONS[0])

/* ---- the daemon's state ---- */

typedef struct s_node {
	/* configuration (borrowed from the config values) */
	const char *name;
	host_role role;
	const char *endpoint;
	const char *controller_key;
	const char *secret_key;
	const char *state_dir;
	bool insecure;
	int heartbeat_s;

	host_backend *host;
	journal *journal;
	tracker *tracker;
	char *tracker_path;
	nodestate *desired;	/* NULL: no desired state held */
	dsmerge_record written;	/* dpm-server: dsrecord.h */
	dsheld *held;		/* dpm-server: the file's parse (s_held) */
	/* Parsed desired->policy_text; with parts, the first part's (owned
	 * by part_policies). */
	policy *policy;
	/* A DPM server of several clusters (desired->parts): each part's
	 * policy (owned), what the engine gets, and the hash of each
	 * cluster's part of the file held ("" if none). */
	policy **part_policies;
	engine_part *parts;
	char **part_held;
	size_t nparts;
	/* The clusters its host protects (host file clusters:, or the
	 * configuration's clusters), borrowed from cfg_clusters or owned
	 * in host_clusters. */
	const char *const *cfg_clusters;
	char **host_clusters;
	size_t nhost_clusters;
	platform_signal_flags sig;
	const char *metrics_listen;	/* NULL: no metrics endpoint */
	nodemetrics *metrics;
	bool pass_ok;		/* the last pass could run */

	/* what the host looks like and how it compares */
	char *cluster;		/* from the last observation */
	bool host_warned;	/* role or name mismatch logged once */
	Hvp__Inventory *inventory;	/* last computed; owned */
	char sent_inventory[65];	/* hash of the last one sent */
	bool converged;
	uint32_t open_drift;
	char *dsgroups_hash;	/* "" when none */
	drift_record *backlog;	/* transitions the journal could not take */
	size_t nbacklog, backlog_cap;

	/* the link */
	void *zctx;
	void *sock;		/* NULL while backing off */
	bool welcomed;
	int64_t last_heard;	/* mono ms */
	int64_t next_heartbeat;
	int64_t reconnect_at;
	int64_t backoff_ms;
	int64_t next_pass;
	int64_t next_retry;	/* backlog; 0 = none */
	uint64_t batch_sent_upto;
} s_node;

/* ---- small helpers ---- */

/* A received string made safe and short for a log line. */
static const char *
s_printable(const char *in, char *buf, size_t size)
{
	size_t o = 0;

	if (in == NULL)
		in = "";
	for (size_t i = 0; in[i] != '\0' && o + 1 < size; i++) {
		unsigned char c = (unsigned char)in[i];

		buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* base ms +-50%. */
static int64_t
s_jitter(int64_t base)
{
	uint32_t span = (uint32_t)(base > 0 ? base : 1);

	return base / 2 + (int64_t)randombytes_uniform(span + 1);
}

static int64_t
s_interval_ms(const s_node *n)
{
	int s = n->nparts ? parts_interval(n->parts, n->nparts) :
	    n->policy ? n->policy->interval_seconds : S_IDLE_INTERVAL_S;

	return (int64_t)(s > 0 ? s : S_IDLE_INTERVAL_S) * 1000;
}

/* The mode passes run in: the policy's; with parts, enforce when any
 * part enforces (parts.h says what an audit part keeps). */
static policy_mode
s_mode(const s_node *n)
{
	if (n->nparts > 0)
		return parts_mode(n->parts, n->nparts);
	return n->policy ? n->policy->mode : POLICY_AUDIT;
}

static int64_t
s_revision(const s_node *n)
{
	return n->desired ? n->desired->revision : 0;
}

static uint64_t
s_plan_generation(const s_node *n)
{
	return n->desired ? n->desired->plan_generation : 0;
}

static const plan *
s_plan(const s_node *n)
{
	return (n->desired && n->role == ROLE_DPM_SERVER) ? n->desired->plan :
	    NULL;
}

static bool
s_equal_ci(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

static void
s_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v ? v : "");
}

/* ---- configuration checks ---- */

typedef struct s_cfgctx {
	const char *file;
	int argc;
	char **argv;
	ydoc *doc;		/* for positions; NULL without a file */
	diag_list *d;
} s_cfgctx;

static bool
s_flag_given(const s_cfgctx *c, const char *name)
{
	size_t len = strlen(name);

	for (int i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, len) == 0 &&
		    (a[2 + len] == '\0' || a[2 + len] == '='))
			return true;
	}
	return false;
}

/* Reports a problem with option name where its value came from. */
static void __attribute__((format(printf, 3, 4)))
s_cfg_error(const s_cfgctx *c, const char *name, const char *fmt, ...)
{
	const ynode *v = NULL;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s_flag_given(c, name))
		diag_add(c->d, S_CMDLINE, 0, 0, name, "%s", msg);
	else if (c->doc && c->doc->root && (v = ymap_get(c->doc->root, name)))
		diag_add(c->d, c->file, v->line, v->column, name, "%s", msg);
	else
		diag_add(c->d, c->file ? c->file : S_CMDLINE, 0, 0, name, "%s",
		    msg);
}

static int
s_check_config(const config_values *v, s_cfgctx *c)
{
	const char *name = config_str(v, "name");
	const char *role = config_str(v, "role");
	const char *ctl = config_str(v, "controller");
	const char *backend = config_str(v, "backend");
	const char *dir = config_str(v, "stateDir");
	const char *host = config_str(v, "hostFile");
	size_t before = c->d->count;
	bool insecure = config_bool(v, "insecure");

	/* Unset values were reported by config_load() (if required). */
	if (name && !keys_name_valid(name))
		s_cfg_error(c, "name", "name: expected 1 to %d of [A-Za-z0-9._-], "
		    "not starting with '.', got '%s'", KEYS_NAME_MAX, name);
	if (role && strcmp(role, HOST_ROLE_NAMES[ROLE_HYPERV_NODE]) != 0 &&
	    strcmp(role, HOST_ROLE_NAMES[ROLE_DPM_SERVER]) != 0)
		s_cfg_error(c, "role", "role: expected one of hyperv-node, "
		    "dpm-server, got '%s'", role);
	if (ctl && (strncmp(ctl, "tcp://", 6) != 0 || ctl[6] == '\0' ||
	    strlen(ctl) > S_MAX_ENDPOINT))
		s_cfg_error(c, "controller", "controller: expected an endpoint "
		    "tcp://HOST:PORT, got '%s'", ctl);
	if (dir && dir[0] == '\0')
		s_cfg_error(c, "stateDir", "stateDir: expected a directory");
	if (backend && strcmp(backend, "windows") == 0) {
		if (!backend_windows_available())
			s_cfg_error(c, "backend", "backend: windows is only "
			    "available in the Windows build of hvpolicy-node; "
			    "use sim here");
	} else if (backend && strcmp(backend, "sim") != 0)
		s_cfg_error(c, "backend", "backend: expected one of sim, windows, "
		    "got '%s'", backend);
	else if (host == NULL || host[0] == '\0')
		s_cfg_error(c, "hostFile", "hostFile: required with backend sim");
	if (config_list(v, "clusters", NULL) && role &&
	    strcmp(role, HOST_ROLE_NAMES[ROLE_DPM_SERVER]) != 0)
		s_cfg_error(c, "clusters", "clusters: only a dpm-server "
		    "protects several clusters");
	if (config_list(v, "clusters", NULL) && config_str(v, "cluster"))
		s_cfg_error(c, "clusters", "cluster, clusters: give one of "
		    "them, not both");
	if (!insecure && config_str(v, "secretKey") == NULL)
		s_cfg_error(c, "secretKey", "secretKey: required unless insecure "
		    "is true");
	if (!insecure && config_str(v, "controllerKey") == NULL)
		s_cfg_error(c, "controllerKey", "controllerKey: required unless "
		    "insecure is true");
	if (config_str(v, "metricsListen") && !promserve_available())
		s_cfg_error(c, "metricsListen", "metricsListen: this build of "
		    "hvpolicy-node has no metrics endpoint (docs/metrics.md)");
	return c->d->count > before ? -1 : 0;
}

/* Takes --seed-desired and --help out of argv (into a new array). */
static char **
s_strip_args(int argc, char **argv, int *nargc, const char **seed,
    bool *help, bool *bad)
{
	char **out = xcalloc((size_t)argc + 1, sizeof *out);
	int k = 0;

	*seed = NULL;
	*help = *bad = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i > 0 && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			*help = true;
		} else if (i > 0 && strcmp(a, "--seed-desired") == 0) {
			if (i + 1 < argc)
				*seed = argv[++i];
			else
				*bad = true;
		} else if (i > 0 && strncmp(a, "--seed-desired=", 15) == 0) {
			*seed = a + 15;
		} else {
			out[k++] = argv[i];
		}
	}
	*nargc = k;
	return out;
}

/* ---- inventory and host facts ---- */

/* A part's hashes, "" each (nothing known yet). */
static void
s_part_held_reset(s_node *n)
{
	for (size_t i = 0; i < n->nparts; i++)
		s_set_str(&n->part_held[i], "");
}

/* The serialization file's parse kept between passes, made on first
 * use. */
static dsheld *
s_held(s_node *n)
{
	if (n->held == NULL)
		n->held = dsheld_new();
	return n->held;
}

/* The hash of hvpolicy's part of the serialization file the host holds
 * (dsmerge.h), "" if none; with parts, each cluster's. */
static void
s_read_held_hash(s_node *n)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;
	dsmerge_part one = { NULL, s_plan(n), false }, *fp = NULL;
	dsmerge_spec spec = { &one, 1, &n->written };
	const dsgroups_doc *doc;
	dsmerge_state st;

	s_set_str(&n->dsgroups_hash, "");
	s_part_held_reset(n);
	if (n->role != ROLE_DPM_SERVER)
		return;
	if (n->host->ops->read_dsgroups(n->host, &data, &len, &err) == -1) {
		log_debug("serialization file unreadable: %s", err);
		free(err);
		return;
	}
	if (dsheld_doc(s_held(n), data, len, &doc, &err) == -1) {
		log_debug("serialization file invalid: %s", err);
		free(err);
		return;
	}
	if (doc == NULL)
		return;
	if (n->nparts > 0) {
		fp = xcalloc(n->nparts, sizeof *fp);
		parts_file(n->parts, n->nparts, fp);
		spec.parts = fp;
		spec.nparts = n->nparts;
	}
	dsmerge_inspect_doc(&spec, doc, &st);
	s_set_str(&n->dsgroups_hash, st.held[0]);
	for (size_t i = 0; i < n->nparts; i++)
		s_set_str(&n->part_held[i], st.held[i]);
	dsmerge_state_clear(&st);
	free(fp);
}

/* Keeps the record of what hvpolicy wrote into the serialization file
 * (dsrecord.h) on disk; a failure is logged (the next write tries
 * again). */
static void
s_save_written(s_node *n, const dsmerge_record *r)
{
	char *err = NULL;

	if (dsmerge_record_equal(r, &n->written))
		return;
	if (r != &n->written)
		dsmerge_record_copy(&n->written, r);
	if (dsrecord_save(n->state_dir, &n->written, &err) == -1) {
		log_warnx("%s", err);
		free(err);
	}
}

/* Before any pass may write a new plan's guests into the file, the
 * record names them: a crash right after the write cannot leave entries
 * hvpolicy wrote but does not know it wrote. */
static void
s_note_plan_guests(s_node *n)
{
	dsmerge_part one = { NULL, s_plan(n), false };
	dsmerge_record grown = { 0 };
	char *err = NULL;

	dsmerge_record_copy(&grown, &n->written);
	for (size_t i = 0; i < n->nparts; i++) {
		dsmerge_part p = { n->parts[i].cluster, n->parts[i].plan,
		    false };

		dsmerge_record_add_part(&grown, &p);
	}
	if (n->nparts == 0)
		dsmerge_record_add_part(&grown, &one);
	if (!dsmerge_record_equal(&grown, &n->written)) {
		dsmerge_record_clear(&n->written);
		n->written = grown;
		if (dsrecord_save(n->state_dir, &n->written, &err) == -1) {
			log_warnx("%s", err);
			free(err);
		}
		return;
	}
	dsmerge_record_clear(&grown);
}

/* The clusters this host protects: the configuration's, else those its
 * host reports (none: a host of one cluster). */
static const char *const *
s_clusters(const s_node *n, size_t *count)
{
	size_t k = 0;

	if (n->cfg_clusters) {
		while (n->cfg_clusters[k])
			k++;
		*count = k;
		return n->cfg_clusters;
	}
	*count = n->nhost_clusters;
	return (const char *const *)n->host_clusters;
}

/* What the node holds of each part (Hello, Ack, Heartbeat): an owned
 * array of n->nparts messages, freed with s_part_states_free. */
static Hvp__PartState **
s_part_states(const s_node *n)
{
	Hvp__PartState **v = xcalloc(n->nparts + 1, sizeof *v);

	for (size_t i = 0; i < n->nparts; i++) {
		const nodestate *ps = n->desired->parts[i];

		v[i] = xmalloc(sizeof *v[i]);
		hvp__part_state__init(v[i]);
		v[i]->cluster = ps->cluster;
		v[i]->revision = ps->revision;
		v[i]->plan_generation = ps->plan_generation;
		v[i]->dsgroups_hash = n->part_held[i];
	}
	return v;
}

static void
s_part_states_free(Hvp__PartState **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The provider that took the last snapshot, from the DPM agent log's
 * tail, as evidence in the inventory. */
static void
s_add_snapshot(s_node *n)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;
	evidence_snapshot snap;

	memset(&snap, 0, sizeof snap);
	if (n->host->ops->read_agent_log(n->host, S_AGENT_LOG_TAIL, &data, &len,
	    &err) == -1) {
		log_debug("DPM agent log unreadable: %s", err);
		free(err);
		return;
	}
	if (data == NULL)
		return;
	if (evidence_last_snapshot(data, len, &snap, &err) == 1)
		wire_inventory_set_snapshot(n->inventory, snap.provider_id,
		    snap.hardware, snap.volume, snap.line);
	else if (err) {
		log_debug("DPM agent log: %s", err);
		free(err);
	}
	evidence_snapshot_clear(&snap);
	free(data);
}

/* Rebuilds the inventory from a host observation. */
static void
s_set_inventory(s_node *n, const host_state *h)
{
	size_t nc;
	const char *const *cl;

	if (h->nclusters > 0) {
		for (size_t i = 0; i < n->nhost_clusters; i++)
			free(n->host_clusters[i]);
		free(n->host_clusters);
		n->host_clusters = xcalloc(h->nclusters + 1,
		    sizeof *n->host_clusters);
		for (size_t i = 0; i < h->nclusters; i++)
			n->host_clusters[i] = xstrdup(h->clusters[i]);
		n->nhost_clusters = h->nclusters;
	}
	cl = s_clusters(n, &nc);
	if (nc > 0)
		s_set_str(&n->cluster, cl[0]);
	else if (h->cluster)
		s_set_str(&n->cluster, h->cluster);
	if (!n->host_warned && h->role != n->role) {
		log_warnx("host reports role %s but this node is configured as "
		    "%s; acting as %s", HOST_ROLE_NAMES[h->role],
		    HOST_ROLE_NAMES[n->role], HOST_ROLE_NAMES[n->role]);
		n->host_warned = true;
	}
	if (!n->host_warned && h->node && !s_equal_ci(h->node, n->name)) {
		log_warnx("host calls itself %s but this node is configured as "
		    "%s; drift records carry the host's name", h->node,
		    n->name);
		n->host_warned = true;
	}
	wire_inventory_free(&n->inventory);
	n->inventory = wire_inventory_new_from_host(h);
	s_add_snapshot(n);
	if (n->role == ROLE_DPM_SERVER)
		wire_inventory_set_dsgroups(n->inventory,
		    n->dsgroups_hash[0] ? n->dsgroups_hash : NULL);
}

/* Observes the host afresh for the inventory; -1 when it cannot. The
 * serialization file is read again unless file_known (a pass has just
 * read or written it and set the hashes). */
static int
s_observe(s_node *n, bool file_known)
{
	host_state *h = NULL;
	char *err = NULL;

	if (n->host->ops->observe(n->host, &h, &err) != 0) {
		log_warnx("cannot observe the host: %s", err ? err : "?");
		free(err);
		return -1;
	}
	if (!file_known)
		s_read_held_hash(n);
	s_set_inventory(n, h);
	host_state_free(&h);
	return 0;
}

/* ---- sending ---- */

static void
s_envelope(Hvp__Envelope *e, Hvp__Envelope__BodyCase body)
{
	hvp__envelope__init(e);
	e->protocol = WIRE_PROTOCOL_VERSION;
	e->body_case = body;
}

/* false when not sent; errno says why (EMSGSIZE: too big to ever go). */
static bool
s_send(s_node *n, const Hvp__Envelope *e)
{
	int saved;

	if (n->sock == NULL) {
		errno = ENOTCONN;
		return false;
	}
	if (wire_send(n->sock, e, NULL) == -1) {
		saved = errno;
		log_debug("send %s: %s (will be sent again)",
		    wire_body_name(e->body_case), zmq_strerror(saved));
		errno = saved;
		return false;
	}
	return true;
}

static void
s_send_hello(s_node *n)
{
	Hvp__Envelope e;
	Hvp__Hello h = HVP__HELLO__INIT;
	Hvp__PartState **ps;
	size_t nc;
	const char *const *cl;

	s_observe(n, false);
	cl = s_clusters(n, &nc);
	h.clusters = (char **)cl;
	h.n_clusters = nc;
	h.parts = ps = s_part_states(n);
	h.n_parts = n->nparts;
	h.node = (char *)n->name;
	h.role = (char *)HOST_ROLE_NAMES[n->role];
	h.cluster = n->cluster ? n->cluster : "";
	h.version = HVP_VERSION;
	h.inventory = n->inventory;
	h.revision = s_revision(n);
	h.plan_generation = s_plan_generation(n);
	h.converged = n->converged;
	h.open_drift = n->open_drift;
	h.clock_ms = platform_now_ms();
	h.drift_acked = journal_acked(n->journal);
	s_envelope(&e, HVP__ENVELOPE__BODY_HELLO);
	e.hello = &h;
	if (s_send(n, &e) && n->inventory)
		snprintf(n->sent_inventory, sizeof n->sent_inventory, "%s",
		    n->inventory->hash);
	s_part_states_free(ps, n->nparts);
	log_debug("hello sent: revision=%" PRId64 " generation=%" PRIu64,
	    h.revision, h.plan_generation);
}

static void
s_send_inventory(s_node *n)
{
	Hvp__Envelope e;

	if (!n->welcomed || n->inventory == NULL ||
	    strcmp(n->inventory->hash, n->sent_inventory) == 0)
		return;
	s_envelope(&e, HVP__ENVELOPE__BODY_INVENTORY);
	e.inventory = n->inventory;
	if (s_send(n, &e)) {
		snprintf(n->sent_inventory, sizeof n->sent_inventory, "%s",
		    n->inventory->hash);
		log_debug("inventory sent: hash=%s", n->inventory->hash);
	}
}

/* The controller lacks our inventory (it restarted, or an older store):
 * send it whether or not it was sent before. */
static void
s_inventory_wanted(s_node *n)
{
	n->sent_inventory[0] = '\0';
	s_send_inventory(n);
}

/* Sends one batch of journal entries with seq > after. */
static void
s_send_batch(s_node *n, uint64_t after)
{
	const journal_entry *first;
	size_t k;
	Hvp__DriftBatch b = HVP__DRIFT_BATCH__INIT;
	Hvp__Envelope e;
	Hvp__Drift **recs;

	if (!n->welcomed || n->sock == NULL)
		return;
	k = journal_pending(n->journal, after, JOURNAL_BATCH_MAX,
	    S_BATCH_BYTES, &first);
	if (k == 0)
		return;
	recs = xcalloc(k, sizeof *recs);
	for (size_t i = 0; i < k; i++)
		recs[i] = wire_drift_new(&first[i].rec, first[i].seq);
	b.n_records = k;
	b.records = recs;
	b.after = after;
	b.has_after = true;
	s_envelope(&e, HVP__ENVELOPE__BODY_DRIFT_BATCH);
	e.drift_batch = &b;
	if (s_send(n, &e)) {
		if (first[k - 1].seq > n->batch_sent_upto)
			n->batch_sent_upto = first[k - 1].seq;
		log_debug("drift batch sent: seq %" PRIu64 "..%" PRIu64,
		    first[0].seq, first[k - 1].seq);
	}
	for (size_t i = 0; i < k; i++)
		wire_drift_free(&recs[i]);
	free(recs);
}

/* Sends what has not been sent since the last acknowledgement. */
static void
s_send_new_drift(s_node *n)
{
	uint64_t after = n->batch_sent_upto;

	if (after < journal_acked(n->journal))
		after = journal_acked(n->journal);
	s_send_batch(n, after);
}

static void
s_send_ack(s_node *n)
{
	Hvp__Envelope e;
	Hvp__Ack a = HVP__ACK__INIT;
	Hvp__PartState **ps = s_part_states(n);

	a.parts = ps;
	a.n_parts = n->nparts;
	a.revision = s_revision(n);
	a.plan_generation = s_plan_generation(n);
	a.converged = n->converged;
	a.open_drift = n->open_drift;
	a.dsgroups_hash = n->dsgroups_hash;
	s_envelope(&e, HVP__ENVELOPE__BODY_ACK);
	e.ack = &a;
	if (s_send(n, &e))
		log_debug("ack sent: revision=%" PRId64 " generation=%" PRIu64
		    " converged=%s open=%u", a.revision, a.plan_generation,
		    a.converged ? "yes" : "no", a.open_drift);
	s_part_states_free(ps, n->nparts);
}

static void
s_send_heartbeat(s_node *n)
{
	Hvp__Envelope e;
	Hvp__Heartbeat h = HVP__HEARTBEAT__INIT;
	Hvp__PartState **ps = s_part_states(n);

	h.parts = ps;
	h.n_parts = n->nparts;
	h.revision = s_revision(n);
	h.plan_generation = s_plan_generation(n);
	h.converged = n->converged;
	h.open_drift = n->open_drift;
	h.inventory_hash = n->inventory ? n->inventory->hash : "";
	h.dsgroups_hash = n->dsgroups_hash;
	h.clock_ms = platform_now_ms();
	s_envelope(&e, HVP__ENVELOPE__BODY_HEARTBEAT);
	e.heartbeat = &h;
	s_send(n, &e);
	s_part_states_free(ps, n->nparts);
}

/* ---- journal ---- */

/* Saves the tracker, but only once every transition it produced is in
 * the journal: after a crash an older tracker reports again (a duplicate
 * with a new seq), a newer one would have lost the report. */
static void
s_save_tracker(s_node *n)
{
	char *err = NULL;

	if (n->nbacklog > 0)
		return;
	if (tracker_save(n->tracker, n->tracker_path, &err) == -1) {
		log_warnx("tracker: %s", err);
		free(err);
	}
}

/* Moves records (taking their strings) into the journal after any
 * backlog, then saves the tracker. */
static void
s_journal_add(s_node *n, drift_record *recs, size_t count)
{
	char *err = NULL;
	uint64_t first;

	if (count > 0) {
		xgrow(&n->backlog, &n->backlog_cap, n->nbacklog + count,
		    sizeof *n->backlog);
		memcpy(n->backlog + n->nbacklog, recs, count * sizeof *recs);
		n->nbacklog += count;
	}
	if (n->nbacklog == 0)
		return;	/* no transition: the tracker did not change */
	if (journal_append(n->journal, n->backlog, n->nbacklog, &first,
	    &err) == -1) {
		log_warnx("journal: cannot append %zu drift record(s), will "
		    "retry: %s", n->nbacklog, err);
		free(err);
		n->next_retry = platform_mono_ms() + S_RETRY_MS;
		return;
	}
	nodemetrics_journaled(n->metrics, n->backlog, n->nbacklog);
	for (size_t i = 0; i < n->nbacklog; i++) {
		const drift_record *r = &n->backlog[i];

		log_info("drift seq=%" PRIu64 " status=%s kind=%s resource=%s%s%s",
		    first + i, DRIFT_STATUS_NAMES[r->status],
		    DRIFT_KIND_NAMES[r->kind], r->resource,
		    r->error ? " error=" : "", r->error ? r->error : "");
		drift_record_clear(&n->backlog[i]);
	}
	n->nbacklog = 0;
	n->next_retry = 0;
	s_save_tracker(n);
}

/* ---- reconcile passes ---- */

/* The cause of what a pass finds: the first pass under a newly installed
 * desired state enforces what the revision asked for; any other pass
 * (interval, host change, start, SIGHUP) finds the host changed out of
 * band. A drift keeps the cause it began with (tracker.c). */
static drift_cause
s_cause(const char *why)
{
	return strcmp(why, S_WHY_NEW_DESIRED) == 0 ? DRIFT_CAUSE_REVISION :
	    DRIFT_CAUSE_OUT_OF_BAND;
}

/* Feeds one pass's records to the tracker and journals the transitions
 * it yields. */
static size_t
s_track(s_node *n, const engine_result *r, int64_t revision, int64_t now,
    drift_cause cause)
{
	tracker_pass tp;
	drift_record *out = NULL;
	size_t nout = 0;

	for (size_t i = 0; i < r->nrecords; i++)
		r->records[i].cause = cause;
	memset(&tp, 0, sizeof tp);
	tp.records = r->records;
	tp.count = r->nrecords;
	tp.revision = revision;
	tp.mode = r->mode;
	tp.now = now;
	tracker_update(n->tracker, &tp, &out, &nout);
	s_journal_add(n, out, nout);
	free(out);
	return nout;
}

/*
 * Enforce mode changes the host, and a daemon killed between a change and
 * its journal entry would lose the report (the next pass finds nothing
 * to report). So a pass first looks without changing anything (a dry
 * run) and journals what it found as open, durably; only then does it
 * correct. Returns 1 when the dry run found nothing (its result, in *r,
 * is the pass's), 0 when the correcting pass must run, -1 when the host
 * cannot be observed or the journal cannot take the intent (then nothing
 * is changed this pass).
 */
static int
s_journal_intent(s_node *n, const engine_options *o, drift_cause cause,
    engine_result *r, char **err)
{
	engine_options dry = *o;

	dry.dry_run = true;
	if (engine_run(n->host, n->policy, n->role, s_plan(n), &dry, r,
	    err) == -1)
		return -1;
	if (r->nrecords == 0) {
		r->mode = POLICY_ENFORCE;
		return 1;
	}
	s_track(n, r, o->revision, o->now, cause);
	engine_result_release(r);
	if (n->nbacklog > 0) {
		*err = xstrdup("the journal cannot take the drift found; "
		    "nothing is changed until it can");
		return -1;
	}
	return 0;
}

/* Open records a pass in enforce mode left: with parts, those of a
 * setting only audit parts ask for are what audit reports, not work left
 * undone. */
static size_t
s_open_enforced(const engine_result *r)
{
	size_t k = 0;

	for (size_t i = 0; i < r->nrecords; i++)
		k += r->records[i].status == DRIFT_OPEN &&
		    r->records[i].mode == POLICY_ENFORCE;
	return k;
}


static void s_pass_run(s_node *n, const char *why);

/* One reconcile pass, timed for the metrics. */
static void
s_pass(s_node *n, const char *why)
{
	int64_t start = platform_mono_ms();

	s_pass_run(n, why);
	nodemetrics_pass(n->metrics, platform_mono_ms() - start, n->pass_ok);
}

static void
s_pass_run(s_node *n, const char *why)
{
	engine_options o = { 0 };
	engine_result r;
	char *err = NULL;
	int64_t now = platform_now_ms() / 1000;
	size_t nout;
	int rc;

	n->next_pass = platform_mono_ms() + s_interval_ms(n);
	n->pass_ok = true;
	if (n->policy == NULL) {
		if (s_observe(n, false) == 0)
			s_send_inventory(n);
		else
			n->pass_ok = false;
		n->converged = true;
		n->open_drift = 0;
		return;
	}
	o.revision = s_revision(n);
	o.now = now;
	o.id_stamp = platform_now_ms();
	o.written = &n->written;
	if (n->role == ROLE_DPM_SERVER)
		o.held = s_held(n);
	o.parts = n->parts;
	o.nparts = n->nparts;
	rc = s_mode(n) == POLICY_ENFORCE ?
	    s_journal_intent(n, &o, s_cause(why), &r, &err) : 0;
	if (rc == 0 && engine_run(n->host, n->policy, n->role, s_plan(n), &o,
	    &r, &err) == -1)
		rc = -1;
	if (rc == -1) {
		log_warnx("pass (%s): %s", why, err ? err : "cannot observe "
		    "the host");
		free(err);
		n->converged = false;
		n->pass_ok = false;
		return;
	}
	nout = s_track(n, &r, o.revision, now, s_cause(why));
	/* Converged: finished applying the revision as its mode allows. In
	 * audit mode a whole pass is all there is to do (open drift is what
	 * audit reports); in enforce mode every correction must have been
	 * made. Compliance (no open drift) is counted apart. */
	n->converged = r.mode == POLICY_AUDIT ||
	    (s_open_enforced(&r) == 0 && r.nfailed == 0);
	n->open_drift = (uint32_t)tracker_count(n->tracker);
	if (n->role == ROLE_DPM_SERVER)
		s_set_str(&n->dsgroups_hash, r.held_hash ? r.held_hash : "");
	for (size_t i = 0; i < n->nparts && i < r.nheld_parts; i++)
		s_set_str(&n->part_held[i], r.held_parts[i]);
	if (r.written_set)
		s_save_written(n, &r.written);
	if (r.wrote || r.observed == NULL)
		s_observe(n, true);
	else
		s_set_inventory(n, r.observed);
	if (r.nrecords > 0 || nout > 0)
		log_info("pass (%s): revision=%" PRId64 " mode=%s found=%zu "
		    "corrected=%zu failed=%zu open=%zu transitions=%zu", why,
		    o.revision, POLICY_MODE_NAMES[r.mode], r.nrecords,
		    r.ncorrected, r.nfailed, r.nopen, nout);
	else
		log_debug("pass (%s): revision=%" PRId64 " complies", why,
		    o.revision);
	engine_result_release(&r);
	s_send_new_drift(n);
	s_send_inventory(n);
}

/* A policy text of the desired state, parsed; NULL after logging why. */
static policy *
s_parse_desired(const s_node *n, const char *label, const char *text)
{
	diag_list d;
	policy *p;

	diag_list_init(&d);
	p = policy_parse(label, text, strlen(text), &d);
	if (p == NULL) {
		char *why = diag_join(&d);

		log_warnx("%s: the policy does not parse, keeping the state "
		    "held (revision %" PRId64 "): %s", label, s_revision(n),
		    why);
		free(why);
	}
	diag_list_release(&d);
	return p;
}

/* Forgets the desired state held and what was parsed of it. */
static void
s_drop_desired(s_node *n)
{
	if (n->nparts == 0)
		policy_free(&n->policy);
	n->policy = NULL;
	for (size_t i = 0; i < n->nparts; i++) {
		policy_free(&n->part_policies[i]);
		free(n->part_held[i]);
	}
	free(n->part_policies);
	free(n->parts);
	free(n->part_held);
	n->part_policies = NULL;
	n->parts = NULL;
	n->part_held = NULL;
	n->nparts = 0;
	nodestate_free(&n->desired);
}

/* The parts of ns parsed (a DPM server of several clusters); -1 when one
 * does not parse. */
static int
s_parse_parts(s_node *n, const nodestate *ns, const char *label,
    policy ***out)
{
	policy **pp = xcalloc(ns->nparts + 1, sizeof *pp);

	for (size_t i = 0; i < ns->nparts; i++) {
		char *l = xasprintf("%s cluster %s", label, ns->parts[i]->cluster);

		pp[i] = s_parse_desired(n, l, ns->parts[i]->policy_text);
		free(l);
		if (pp[i] == NULL) {
			for (size_t k = 0; k < i; k++)
				policy_free(&pp[k]);
			free(pp);
			return -1;
		}
	}
	*out = pp;
	return 0;
}

/* Installs a desired state (taking ns) if its policies parse. */
static int
s_install(s_node *n, nodestate *ns, const char *label)
{
	policy *p = NULL, **pp = NULL;

	if (ns->nparts > 0 ? s_parse_parts(n, ns, label, &pp) == -1 :
	    (p = s_parse_desired(n, label, ns->policy_text)) == NULL) {
		nodestate_free(&ns);
		return -1;
	}
	if (p && n->cluster && !s_equal_ci(p->cluster, n->cluster))
		log_warnx("%s: policy for cluster %s, host is in %s", label,
		    p->cluster, n->cluster);
	s_drop_desired(n);
	n->desired = ns;
	n->policy = p ? p : pp[0];
	if (ns->nparts > 0) {
		n->nparts = ns->nparts;
		n->part_policies = pp;
		n->parts = xcalloc(ns->nparts, sizeof *n->parts);
		n->part_held = xcalloc(ns->nparts, sizeof *n->part_held);
		for (size_t i = 0; i < ns->nparts; i++) {
			n->parts[i] = (engine_part){ .cluster =
			    ns->parts[i]->cluster, .policy = pp[i],
			    .plan = ns->parts[i]->plan,
			    .revision = ns->parts[i]->revision };
			n->part_held[i] = xstrdup("");
		}
	}
	s_note_plan_guests(n);
	backend_windows_track(n->host, n->policy);
	return 0;
}

/* ---- handling what the controller sends ---- */

static void
s_close_socket(s_node *n)
{
	if (n->sock) {
		zmq_close(n->sock);
		n->sock = NULL;
	}
	n->welcomed = false;
}

/* Drops the link and schedules a reconnect after a jittered back-off. */
static void
s_back_off(s_node *n, const char *why)
{
	int64_t wait = s_jitter(n->backoff_ms);

	s_close_socket(n);
	n->reconnect_at = platform_mono_ms() + wait;
	log_info("controller %s: %s; reconnecting in %" PRId64 " ms",
	    n->endpoint, why, wait);
	n->backoff_ms *= 2;
	if (n->backoff_ms > S_BACKOFF_MAX_MS)
		n->backoff_ms = S_BACKOFF_MAX_MS;
}

static void
s_on_welcome(s_node *n, const Hvp__Welcome *w)
{
	char *err = NULL;
	uint64_t upto = w->drift_acked_upto;

	if (w->heartbeat_seconds >= 1 && w->heartbeat_seconds <= 3600)
		n->heartbeat_s = (int)w->heartbeat_seconds;
	else if (w->heartbeat_seconds != 0)
		log_warnx("welcome: heartbeat of %u s out of range 1..3600, "
		    "keeping %d s", w->heartbeat_seconds, n->heartbeat_s);
	n->welcomed = true;
	n->backoff_ms = S_BACKOFF_MIN_MS;
	log_info("controller %s: welcome (heartbeat %d s, drift stored up to "
	    "%" PRIu64 ")", n->endpoint, n->heartbeat_s, upto);
	if (upto > S_MAX_SEQ) {
		log_warnx("welcome: drift stored up to %" PRIu64 " is above "
		    "the highest sequence number accepted (%" PRIu64 "); "
		    "ignored", upto, S_MAX_SEQ);
		upto = journal_acked(n->journal);
	}
	if (upto >= journal_next_seq(n->journal)) {
		if (journal_rebase(n->journal, upto, &err) == -1) {
			log_warnx("journal: %s", err);
			free(err);
			err = NULL;
		}
	} else if (upto < journal_acked(n->journal)) {
		log_warnx("controller holds drift only up to %" PRIu64 "; records "
		    "up to %" PRIu64 " were acknowledged before and are gone "
		    "from the journal", upto, journal_acked(n->journal));
	} else if (journal_trim(n->journal, upto, &err) == -1) {
		log_warnx("journal: %s", err);
		free(err);
	}
	n->batch_sent_upto = journal_acked(n->journal);
	n->next_heartbeat = platform_mono_ms() + (int64_t)n->heartbeat_s * 1000;
	s_send_batch(n, journal_acked(n->journal));
	if (w->want_inventory)
		s_inventory_wanted(n);
	else
		s_send_inventory(n);
}

static bool
s_same_desired(const nodestate *a, const nodestate *b)
{
	if (a == NULL || a->revision != b->revision ||
	    a->plan_generation != b->plan_generation ||
	    strcmp(a->policy_text, b->policy_text) != 0 ||
	    strcmp(a->plan_hash, b->plan_hash) != 0 ||
	    strcmp(a->cluster, b->cluster) != 0 || a->nparts != b->nparts)
		return false;
	for (size_t i = 0; i < a->nparts; i++)
		if (!s_same_desired(a->parts[i], b->parts[i]))
			return false;
	return true;
}

/* One line for what is held: the revision, or each cluster's. */
static void
s_log_desired(const s_node *n, const char *what)
{
	if (n->nparts == 0) {
		log_info("%s revision=%" PRId64 " generation=%" PRIu64
		    " policy=%s mode=%s", what, n->desired->revision,
		    n->desired->plan_generation, n->policy->name,
		    POLICY_MODE_NAMES[n->policy->mode]);
		return;
	}
	for (size_t i = 0; i < n->nparts; i++)
		log_info("%s cluster %s revision=%" PRId64 " generation=%"
		    PRIu64 " policy=%s mode=%s", what, n->parts[i].cluster,
		    n->desired->parts[i]->revision,
		    n->desired->parts[i]->plan_generation,
		    n->part_policies[i]->name,
		    POLICY_MODE_NAMES[n->part_policies[i]->mode]);
}

static void
s_on_desired(s_node *n, const Hvp__Desired *m)
{
	nodestate *ns = NULL;
	char *err = NULL, label[64];
	bool same;

	if (m->plan != NULL && n->role != ROLE_DPM_SERVER)
		log_warnx("desired: a plan sent to a %s is ignored",
		    HOST_ROLE_NAMES[n->role]);
	if (nodestate_from_desired(m, n->role == ROLE_DPM_SERVER, &ns,
	    &err) == -1) {
		char buf[S_LOG_TEXT];

		log_warnx("desired: dropped: %s", s_printable(err, buf,
		    sizeof buf));
		free(err);
		return;
	}
	if (ns->nparts == 0 && ns->policy_text[0] == '\0') {
		log_warnx("desired: revision %" PRId64 " carries no policy; "
		    "dropped", ns->revision);
		nodestate_free(&ns);
		return;
	}
	same = s_same_desired(n->desired, ns);
	if (same) {
		nodestate_free(&ns);
	} else {
		snprintf(label, sizeof label, "<revision %" PRId64 ">",
		    ns->revision);
		if (s_install(n, ns, label) == -1)
			return;
		if (nodestate_save(n->state_dir, n->desired, &err) == -1) {
			log_warnx("desired state not saved (enforced anyway): %s",
			    err);
			free(err);
		}
		s_log_desired(n, "desired:");
	}
	s_pass(n, same ? "desired re-sent" : S_WHY_NEW_DESIRED);
	s_send_ack(n);
}

static void
s_on_drift_ack(s_node *n, const Hvp__DriftAck *a)
{
	char *err = NULL;

	if (a->upto >= journal_next_seq(n->journal))
		log_warnx("drift ack up to %" PRIu64 " beyond the last record "
		    "sent (%" PRIu64 "); clamped", a->upto,
		    journal_next_seq(n->journal) - 1);
	if (journal_trim(n->journal, a->upto, &err) == -1) {
		log_warnx("journal: %s", err);
		free(err);
	}
	if (a->resend) {
		/* The controller did not store what followed upto: send it
		 * again from there rather than after the last batch sent. */
		log_info("controller stored drift up to %" PRIu64 " only; "
		    "sending again from there", a->upto);
		n->batch_sent_upto = journal_acked(n->journal);
	}
	s_send_new_drift(n);
}

static void
s_on_dry_run(s_node *n, const Hvp__DryRun *m)
{
	Hvp__DryRunResult res = HVP__DRY_RUN_RESULT__INIT;
	Hvp__Envelope e;
	engine_options o = { 0 };
	engine_result r;
	diag_list d;
	policy *p;
	char *err = NULL, label[64];
	Hvp__Drift **recs = NULL;
	engine_part *cand = NULL;

	memset(&r, 0, sizeof r);
	res.request = m->request;
	snprintf(label, sizeof label, "<dry run %" PRIu64 ">", m->request);
	diag_list_init(&d);
	p = policy_parse(label, m->policy ? m->policy : "",
	    m->policy ? strlen(m->policy) : 0, &d);
	if (p == NULL) {
		err = diag_join(&d);
	} else {
		o.dry_run = true;
		o.written = &n->written;
		if (n->nparts > 0) {
			/* The candidate in place of its cluster's part. */
			cand = xcalloc(n->nparts, sizeof *cand);
			memcpy(cand, n->parts, n->nparts * sizeof *cand);
			for (size_t i = 0; i < n->nparts; i++)
				if (s_equal_ci(cand[i].cluster, p->cluster))
					cand[i].policy = p;
			o.parts = cand;
			o.nparts = n->nparts;
		}
		if (engine_run(n->host, p, n->role, s_plan(n), &o, &r,
		    &err) == 0) {
			recs = xcalloc(r.nrecords ? r.nrecords : 1,
			    sizeof *recs);
			for (size_t i = 0; i < r.nrecords; i++)
				recs[i] = wire_drift_new(&r.records[i], 0);
			res.findings = recs;
			res.n_findings = r.nrecords;
		}
	}
	diag_list_release(&d);
	res.error = err ? err : "";
	s_envelope(&e, HVP__ENVELOPE__BODY_DRY_RUN_RESULT);
	e.dry_run_result = &res;
	if (!s_send(n, &e) && errno == EMSGSIZE) {
		res.n_findings = 0;
		res.error = "too many findings for one message";
		s_send(n, &e);
	}
	log_info("dry run %" PRIu64 ": %zu finding(s)%s", m->request,
	    r.nrecords, err ? " (error)" : "");
	for (size_t i = 0; i < r.nrecords; i++)
		wire_drift_free(&recs[i]);
	free(recs);
	engine_result_release(&r);
	free(cand);
	policy_free(&p);
	free(err);
}

static void
s_dispatch(s_node *n, const Hvp__Envelope *e)
{
	char buf[S_LOG_TEXT];

	switch (e->body_case) {
	case HVP__ENVELOPE__BODY_WELCOME:
		s_on_welcome(n, e->welcome);
		break;
	case HVP__ENVELOPE__BODY_REFUSED:
		log_warnx("controller %s refused this node: %s", n->endpoint,
		    s_printable(e->refused->reason, buf, sizeof buf));
		s_back_off(n, "refused");
		break;
	case HVP__ENVELOPE__BODY_DESIRED:
		s_on_desired(n, e->desired);
		break;
	case HVP__ENVELOPE__BODY_DRIFT_ACK:
		s_on_drift_ack(n, e->drift_ack);
		break;
	case HVP__ENVELOPE__BODY_HEARTBEAT_REPLY:
		if (e->heartbeat_reply->want_inventory)
			s_inventory_wanted(n);
		if (e->heartbeat_reply->revision != s_revision(n) ||
		    e->heartbeat_reply->plan_generation != s_plan_generation(n))
			log_debug("controller wants revision %" PRId64
			    " generation %" PRIu64 "; holding %" PRId64 "/%"
			    PRIu64, e->heartbeat_reply->revision,
			    e->heartbeat_reply->plan_generation, s_revision(n),
			    s_plan_generation(n));
		break;
	case HVP__ENVELOPE__BODY_DRY_RUN:
		s_on_dry_run(n, e->dry_run);
		break;
	default:
		log_warnx("unexpected %s from the controller; dropped",
		    wire_body_name(e->body_case));
		break;
	}
}

static void
s_receive(s_node *n)
{
	for (int i = 0; i < S_RECV_BURST && n->sock != NULL; i++) {
		Hvp__Envelope *e = NULL;
		char *err = NULL;
		int rc = wire_recv(n->sock, &e, NULL, NULL, &err);

		if (rc == WIRE_NONE)
			break;
		n->last_heard = platform_mono_ms();
		if (rc == WIRE_MALFORMED) {
			char buf[S_LOG_TEXT];

			log_warnx("malformed message from the controller; "
			    "dropped: %s", s_printable(err, buf, sizeof buf));
			free(err);
			continue;
		}
		s_dispatch(n, e);
		wire_envelope_free(&e);
	}
}

/* ---- the link ---- */

static int
s_setsockopt_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof v);
}

/* Creates and connects the DEALER, then says Hello. */
static int
s_connect(s_node *n)
{
	char *err = NULL;
	void *s = zmq_socket(n->zctx, ZMQ_DEALER);

	n->reconnect_at = 0;
	if (s == NULL) {
		log_warnx("zmq_socket: %s", zmq_strerror(errno));
		return -1;
	}
	/* No routing id of our own: the controller knows us by our key and
	 * its ROUTER names the connection. */
	if (s_setsockopt_int(s, ZMQ_LINGER, 0) == -1 ||
	    s_setsockopt_int(s, ZMQ_RECONNECT_IVL, (int)s_jitter(1000)) == -1 ||
	    s_setsockopt_int(s, ZMQ_RECONNECT_IVL_MAX, S_BACKOFF_MAX_MS) == -1 ||
	    s_setsockopt_int(s, ZMQ_SNDHWM, S_SNDHWM) == -1 ||
	    s_setsockopt_int(s, ZMQ_RCVHWM, S_SNDHWM) == -1 ||
	    wire_socket_limit(s) == -1) {
		log_warnx("socket options: %s", zmq_strerror(errno));
		zmq_close(s);
		return -1;
	}
	if (!n->insecure && keys_curve_client(s, n->secret_key,
	    n->controller_key, &err) == -1) {
		log_warnx("CURVE keys: %s", err);
		free(err);
		zmq_close(s);
		return -1;
	}
	if (zmq_connect(s, n->endpoint) == -1) {
		log_warnx("connect %s: %s", n->endpoint, zmq_strerror(errno));
		zmq_close(s);
		return -1;
	}
	n->sock = s;
	n->welcomed = false;
	n->last_heard = platform_mono_ms();
	n->sent_inventory[0] = '\0';
	s_send_hello(n);
	return 0;
}

static void
s_timers(s_node *n)
{
	int64_t now = platform_mono_ms();

	if (n->sock && now - n->last_heard >= 3 * (int64_t)n->heartbeat_s * 1000)
		s_back_off(n, "no message for 3 heartbeats");
	if (n->sock == NULL && now >= n->reconnect_at && s_connect(n) == -1)
		s_back_off(n, "cannot set the socket up");
	if (n->sock && n->welcomed && now >= n->next_heartbeat) {
		s_send_heartbeat(n);
		/* The oldest unacknowledged batch, again. */
		s_send_batch(n, journal_acked(n->journal));
		n->next_heartbeat = now + (int64_t)n->heartbeat_s * 1000;
	}
	if (n->next_retry && now >= n->next_retry) {
		s_journal_add(n, NULL, 0);
		s_send_new_drift(n);
	}
	if (now >= n->next_pass)
		s_pass(n, "interval");
}

/* Milliseconds until the next timer is due. */
static long
s_timeout(const s_node *n, bool watch_polls)
{
	int64_t now = platform_mono_ms(), next = n->next_pass;

	if (n->sock) {
		int64_t dead = n->last_heard + 3 * (int64_t)n->heartbeat_s * 1000;

		if (dead < next)
			next = dead;
		if (n->welcomed && n->next_heartbeat < next)
			next = n->next_heartbeat;
	} else if (n->reconnect_at < next) {
		next = n->reconnect_at;
	}
	if (n->next_retry && n->next_retry < next)
		next = n->next_retry;
	if (watch_polls && now + S_WATCH_POLL_MS < next)
		next = now + S_WATCH_POLL_MS;
	return next <= now ? 0 : (long)(next - now);
}

static void
s_publish_metrics(const s_node *n)
{
	nodemetrics_state st;

	if (n->metrics == NULL)
		return;
	memset(&st, 0, sizeof st);
	st.node = n->name;
	st.role = HOST_ROLE_NAMES[n->role];
	st.cluster = n->cluster;
	st.revision = s_revision(n);
	st.plan_generation = s_plan_generation(n);
	st.converged = n->converged;
	st.connected = n->sock != NULL && n->welcomed;
	st.open_drift = tracker_count(n->tracker);
	st.journal_records = journal_count(n->journal);
	st.journal_waiting = n->nbacklog;
	nodemetrics_publish(n->metrics, &st);
}

static void
s_loop(s_node *n)
{
	while (!n->sig.terminate) {
		zmq_pollitem_t items[2];
		int fd = n->host->ops->watch_fd(n->host), k = 0, rc;
		int isock = -1, iwatch = -1;

		if (n->sock) {
			items[k].socket = n->sock;
			items[k].fd = 0;
			items[k].events = ZMQ_POLLIN;
			items[k].revents = 0;
			isock = k++;
		}
		if (fd >= 0) {
			items[k].socket = NULL;
			items[k].fd = fd;
			items[k].events = ZMQ_POLLIN;
			items[k].revents = 0;
			iwatch = k++;
		}
		rc = zmq_poll(items, k, s_timeout(n, fd < 0));
		if (n->sig.terminate)
			break;
		if (rc == -1 && errno != EINTR) {
			log_warnx("zmq_poll: %s", zmq_strerror(errno));
			platform_sleep_ms(100);
		}
		if (rc > 0 && isock >= 0 && (items[isock].revents & ZMQ_POLLIN))
			s_receive(n);
		if (fd < 0 || (rc > 0 && iwatch >= 0 &&
		    (items[iwatch].revents & ZMQ_POLLIN))) {
			if (n->host->ops->changed(n->host))
				s_pass(n, "host changed");
		}
		if (n->sig.reload) {
			n->sig.reload = 0;
			s_pass(n, "SIGHUP");
		}
		s_timers(n);
		s_publish_metrics(n);
		/* Idle: the file just written parsed before the next
		 * change needs it. */
		dsheld_prepare(n->held);
	}
}

/* ---- start and stop ---- */

static void
s_node_release(s_node *n)
{
	s_close_socket(n);
	if (n->zctx) {
		zmq_ctx_term(n->zctx);
		n->zctx = NULL;
	}
	nodemetrics_stop(&n->metrics);
	host_backend_free(&n->host);
	journal_free(&n->journal);
	tracker_free(&n->tracker);
	free(n->tracker_path);
	s_drop_desired(n);
	dsmerge_record_clear(&n->written);
	dsheld_free(n->held);
	n->held = NULL;
	wire_inventory_free(&n->inventory);
	for (size_t i = 0; i < n->nhost_clusters; i++)
		free(n->host_clusters[i]);
	free(n->host_clusters);
	free(n->cluster);
	free(n->dsgroups_hash);
	for (size_t i = 0; i < n->nbacklog; i++)
		drift_record_clear(&n->backlog[i]);
	free(n->backlog);
}

/* Loads the desired state held in stateDir, if any. */
static void
s_load_desired(s_node *n)
{
	nodestate *ns = NULL;
	char *err = NULL;
	int rc = nodestate_load(n->state_dir, &ns, &err);

	if (rc == 1) {
		log_info("no desired state held yet; waiting for the controller");
		return;
	}
	if (rc == -1) {
		log_warnx("%s", err);
		free(err);
		return;
	}
	if (s_install(n, ns, NODESTATE_FILE) == 0 && n->nparts == 0)
		log_info("holding revision %" PRId64 " (generation %" PRIu64
		    ", policy %s, mode %s) from %s", n->desired->revision,
		    n->desired->plan_generation, n->policy->name,
		    POLICY_MODE_NAMES[n->policy->mode], n->state_dir);
	else if (n->nparts > 0)
		s_log_desired(n, "holding from " NODESTATE_FILE ":");
}

/* Checks the key files once at start so a bad one stops the daemon. */
static int
s_check_keys(const s_node *n)
{
	char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1], srv[KEYS_Z85_LEN + 1];
	char *err = NULL;
	int rc = 0;

	if (n->insecure)
		return 0;
	if (keys_load_secret(n->secret_key, pub, sec, &err) == -1 ||
	    keys_load_public(n->controller_key, srv, &err) == -1) {
		log_warnx("%s", err);
		free(err);
		rc = -1;
	}
	sodium_memzero(sec, sizeof sec);
	return rc;
}

/* Creates stateDir (locked unless lock is false) and opens what it
 * holds: the journal, the tracker and the desired state. */
/* The tracker is saved after the journal: a daemon killed in between
 * left transitions in the journal that the saved tracker does not know.
 * Taking every pending entry into it keeps a drift it journaled as open
 * from being reported again under a new id, the old one open for good. */
static void
s_adopt_pending(s_node *n)
{
	const journal_entry *first;
	uint64_t after = journal_acked(n->journal);
	size_t k;

	while ((k = journal_pending(n->journal, after, SIZE_MAX, SIZE_MAX,
	    &first)) > 0) {
		for (size_t i = 0; i < k; i++)
			tracker_adopt(n->tracker, &first[i].rec);
		after = first[k - 1].seq;
	}
	tracker_resume(n->tracker);
}

static int
s_open_state(s_node *n, bool lock)
{
	char *err = NULL, *path;

	if (platform_mkdir_p(n->state_dir, true, &err) == -1) {
		log_warnx("stateDir: %s", err);
		free(err);
		return -1;
	}
	path = platform_path_join(n->state_dir, S_LOCK_FILE);
	if (lock && filelock_hold(path, &err) == -1) {
		log_warnx("stateDir %s is in use by another hvpolicy-node: %s",
		    n->state_dir, err);
		free(err);
		free(path);
		return -1;
	}
	free(path);
	path = platform_path_join(n->state_dir, S_JOURNAL_DIR);
	n->journal = journal_open(path, &err);
	free(path);
	if (n->journal == NULL) {
		log_warnx("%s", err);
		free(err);
		return -1;
	}
	n->tracker_path = platform_path_join(n->state_dir, S_TRACKER_FILE);
	n->tracker = tracker_load(n->tracker_path, &err);
	if (n->tracker == NULL) {
		log_warnx("%s; starting with no tracked drift", err);
		free(err);
		n->tracker = tracker_new();
	}
	s_adopt_pending(n);
	if (dsrecord_load(n->state_dir, &n->written, &err) == -1) {
		/* Only stale entries are at stake: they are kept as if
		 * someone else had written them until the file is fixed. */
		log_warnx("%s; entries written before are kept as found", err);
		free(err);
	}
	log_info("journal: %zu record(s) pending, next seq %" PRIu64,
	    journal_count(n->journal), journal_next_seq(n->journal));
	s_load_desired(n);
	return 0;
}

static int
s_start(s_node *n)
{
	char *err = NULL;

	log_info("starting: name=%s role=%s controller=%s backend=%s "
	    "version=%s", n->name, HOST_ROLE_NAMES[n->role], n->endpoint,
	    n->host->ops->name, HVP_VERSION);
	if (n->insecure)
		log_warnx("insecure: traffic to the controller is unencrypted "
		    "and unauthenticated");
	if (sodium_init() < 0) {
		log_warnx("libsodium cannot be initialised");
		return -1;
	}
	if (s_check_keys(n) == -1)
		return -1;
	if (s_open_state(n, true) == -1)
		return -1;
	if (n->metrics_listen && (n->metrics =
	    nodemetrics_start(n->metrics_listen, &err)) == NULL) {
		log_warnx("%s", err);
		free(err);
		return -1;
	}
	n->zctx = zmq_ctx_new();
	if (n->zctx == NULL) {
		log_warnx("zmq_ctx_new: %s", zmq_strerror(errno));
		return -1;
	}
	/* Enforce what is held before (and whether or not) the controller
	 * answers. */
	s_pass(n, "start");
	s_publish_metrics(n);
	if (s_connect(n) == -1)
		s_back_off(n, "cannot set the socket up");
	return 0;
}

/* --seed-desired POLICYFILE: stores a desired state (revision 0, which
 * the controller replaces with its own) and exits. */
static int
s_seed(const s_node *n, const char *file)
{
	diag_list d;
	policy *p;
	nodestate *ns;
	char hash[POLICY_HASH_HEX + 1], *err = NULL;
	int rc = 0;

	diag_list_init(&d);
	p = policy_load(file, &d);
	if (p == NULL) {
		diag_sort(&d);
		diag_print(&d, stderr);
		diag_list_release(&d);
		return 1;
	}
	diag_list_release(&d);
	ns = nodestate_new();
	free(ns->policy_text);
	ns->policy_text = policy_canonical(p);
	policy_hash(p, hash);
	free(ns->policy_hash);
	ns->policy_hash = xstrdup(hash);
	if (platform_mkdir_p(n->state_dir, true, &err) == -1 ||
	    nodestate_save(n->state_dir, ns, &err) == -1) {
		fprintf(stderr, "%s: %s\n", S_PROGRAM, err);
		free(err);
		rc = 1;
	} else {
		printf("seeded %s/%s with policy %s (revision 0)\n",
		    n->state_dir, NODESTATE_FILE, p->name);
	}
	nodestate_free(&ns);
	policy_free(&p);
	return rc;
}

static int
s_load_config(int argc, char **argv, config_values *v)
{
	const char *file = config_file_arg(argc, argv);
	diag_list d;
	s_cfgctx c;
	int rc;

	diag_list_init(&d);
	rc = config_load(S_OPTIONS, S_NOPTIONS, file, argc, argv, v, &d);
	/* The checks across options run even after errors, so every
	 * problem is reported at once. */
	if (v->count == S_NOPTIONS) {
		diag_list scratch;

		memset(&c, 0, sizeof c);
		c.file = file;
		c.argc = argc;
		c.argv = argv;
		c.d = &d;
		diag_list_init(&scratch);
		if (file)
			c.doc = ydoc_load(file, &YDOC_LIMITS_SMALL, &scratch);
		diag_list_release(&scratch);
		/* A file that does not load says so already. */
		if ((file == NULL || c.doc != NULL) &&
		    s_check_config(v, &c) == -1)
			rc = -1;
		ydoc_free(&c.doc);
	}
	if (rc == -1) {
		diag_sort(&d);
		diag_print(&d, stderr);
		fprintf(stderr, "%s: bad configuration; see --help\n", S_PROGRAM);
	}
	diag_list_release(&d);
	return rc;
}

int
node_daemon_main(int argc, char **argv)
{
	config_values v;
	s_node n;
	const char *seed, *log_flag = NULL;
	log_format lf;
	bool help, bad;
	int nargc, rc = 0;
	char **nargv = s_strip_args(argc, argv, &nargc, &seed, &help, &bad);

	log_init(S_PROGRAM, false);
	if (help) {
		config_print_help(S_OPTIONS, S_NOPTIONS, S_PROGRAM, NULL);
		printf("       %s --once --policy FILE --host-file FILE ... "
		    "(see --once --help)\n", S_PROGRAM);
		free(nargv);
		return 0;
	}
	if (bad) {
		fprintf(stderr, "%s: --seed-desired needs a policy file\n",
		    S_PROGRAM);
		free(nargv);
		return 1;
	}
	if (log_take_format_flag(&nargc, nargv, &log_flag) == -1) {
		fprintf(stderr, "%s: --log-format needs a value: text or json\n",
		    S_PROGRAM);
		free(nargv);
		return 1;
	}
	if (s_load_config(nargc, nargv, &v) == -1) {
		config_values_release(&v);
		free(nargv);
		return 1;
	}
	if (log_format_parse(log_flag ? log_flag : config_str(&v, "logFormat"),
	    &lf) == -1) {
		fprintf(stderr, "%s: logFormat: expected text or json\n",
		    S_PROGRAM);
		config_values_release(&v);
		free(nargv);
		return 1;
	}
	log_set_format(lf);
	memset(&n, 0, sizeof n);
	n.name = config_str(&v, "name");
	n.role = strcmp(config_str(&v, "role"), "dpm-server") == 0 ?
	    ROLE_DPM_SERVER : ROLE_HYPERV_NODE;
	n.endpoint = config_str(&v, "controller");
	n.controller_key = config_str(&v, "controllerKey");
	n.secret_key = config_str(&v, "secretKey");
	n.state_dir = config_str(&v, "stateDir");
	n.cfg_clusters = config_list(&v, "clusters", NULL);
	n.insecure = config_bool(&v, "insecure");
	n.heartbeat_s = (int)config_int(&v, "heartbeatSeconds");
	n.metrics_listen = config_str(&v, "metricsListen");
	n.backoff_ms = S_BACKOFF_MIN_MS;
	n.dsgroups_hash = xstrdup("");
	n.converged = true;
	log_set_verbose(config_bool(&v, "verbose"));
	if (seed) {
		rc = s_seed(&n, seed);
		free(n.dsgroups_hash);
		config_values_release(&v);
		free(nargv);
		return rc;
	}
	platform_signals_install(&n.sig);
	{
		char *err = NULL;

		if (strcmp(config_str(&v, "backend"), "windows") == 0)
			n.host = backend_windows_new(n.role,
			    config_str(&v, "cluster"), &err);
		else
			n.host = backend_sim_new(config_str(&v, "hostFile"),
			    &err);
		if (n.host == NULL) {
			fprintf(stderr, "%s\n", err ? err : "host file: cannot load");
			free(err);
			rc = 1;
		}
	}
	if (rc == 0 && s_start(&n) == -1)
		rc = 1;
	if (rc == 0) {
		s_loop(&n);
		log_info("stopping on signal");
	}
	s_node_release(&n);
	config_values_release(&v);
	free(nargv);
	return rc;
}

/* ---- fuzzing and tests: a daemon without a socket ---- */

struct node_daemon {
	s_node n;
	char *name;
	char *state_dir;
};

node_daemon *
node_daemon_fuzz_new(const char *host_file, const char *state_dir,
    char **err)
{
	node_daemon *d = xcalloc(1, sizeof *d);
	s_node *n = &d->n;
	host_state *h = NULL;

	n->host = backend_sim_new(host_file, err);
	if (n->host == NULL || n->host->ops->observe(n->host, &h, err) != 0) {
		host_backend_free(&n->host);
		free(d);
		return NULL;
	}
	d->name = xstrdup(h->node ? h->node : "");
	d->state_dir = xstrdup(state_dir);
	n->name = d->name;
	n->role = h->role;
	host_state_free(&h);
	n->endpoint = "(no controller)";
	n->state_dir = d->state_dir;
	n->insecure = true;
	n->heartbeat_s = 5;
	n->backoff_ms = S_BACKOFF_MIN_MS;
	n->dsgroups_hash = xstrdup("");
	n->converged = true;
	if (s_open_state(n, false) == -1) {
		*err = xasprintf("cannot open state directory %s", state_dir);
		node_daemon_fuzz_free(&d);
		return NULL;
	}
	s_pass(n, "start");
	return d;
}

void
node_daemon_fuzz_dispatch(node_daemon *d, const Hvp__Envelope *e)
{
	s_dispatch(&d->n, e);
}

void
node_daemon_fuzz_free(node_daemon **d)
{
	if (d == NULL || *d == NULL)
		return;
	s_node_release(&(*d)->n);
	free((*d)->name);
	free((*d)->state_dir);
	free(*d);
	*d = NULL;
}
