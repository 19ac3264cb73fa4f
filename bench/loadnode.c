/*
 * loadnode.c: hvpolicy-loadnode, the load driver of the system benchmark
 * (bench/bench-system, docs/performance.md). Simulates N nodes in one
 * process, each speaking the real node protocol (docs/protocol.md) over
 * its own DEALER socket with its own CURVE key pair: Hello with a small
 * generated inventory, Ack for every Desired (converged at once),
 * heartbeats at the period the controller's Welcome gives, an empty
 * DryRunResult for every DryRun. One loop serves every socket: it waits
 * on the sockets' ZMQ_FD descriptors with epoll(7) and looks only at the
 * sockets whose descriptor woke it or that it has just sent on (zmq_poll
 * over thousands of sockets at every message took most of a core, which
 * the controller under measurement shares). A Linux bench tool: epoll is
 * used directly, not through the platform layer. It never reconciles
 * anything: it measures the controller, not a host.
 *
 * Keys: --keys DIR holds NAME.key / NAME.key_secret per simulated node;
 * missing pairs are generated there (keys_generate). The controller's
 * nodeKeys directory must hold the public NAME.key files: point nodeKeys
 * at DIR, or copy them, before the controller starts (or SIGHUP it).
 * --keygen-only makes the keys and exits, so a script can do that first.
 *
 * --report FILE appends one JSON line per event: when every node has been
 * welcomed, and when every node has acknowledged a new revision (wall
 * clock ms of the first Desired of that revision and of the last Ack).
 * SIGTERM or SIGINT stops it cleanly (sockets closed, memory freed).
 *
 * Several clusters (--clusters C > 1): C clusters CLUSTER-01 ... of
 * --nodes nodes each (PREFIX01-0001 ...), and DPM servers DPM01 ... each
 * protecting --clusters-per-dpm of them as a real DPM server of several
 * clusters does (Hello.clusters, a part per cluster). With --dsgroups-dir
 * each DPM server merges every plan it gets into its DataSourceGroups.xml
 * there (dsmerge.h: the file read again, parsed unless it holds the
 * bytes last written, merged, replaced and fsynced, as the node daemon
 * writes it, dsheld.h) before acknowledging. A real DPM server does
 * that in its own daemon, so here a writer thread does it, not the loop
 * that serves every simulated node: the loop hands it the plans (a queue
 * over an inproc socket pair), goes on serving heartbeats, and sends the
 * Ack, with the part's new hash, when the writer says the file is
 * written. SIGHUP moves the storage of the first guest of the first node
 * of the first cluster to another CSV (a new inventory is sent); the
 * report says when ("moved") and when a DPM server had written a new plan
 * of that cluster ("written", on the same clock).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>
#include <zmq.h>

#include <sys/epoll.h>

#include "bounds.h"
#include "dsgroups.h"
#include "dsheld.h"
#include "dsmerge.h"
#include "hoststate.h"
#include "keys.h"
#include "log.h"
#include "plan.h"
#include "platform.h"
#include "version.h"
#include "wire.h"
#include "xalloc.h"

#define LOAD_PROGRAM		"hvpolicy-loadnode"
#define LOAD_VERSION		HVP_VERSION "-loadnode"
#define LOAD_MAX_NODES		20000
#define LOAD_MAX_GUESTS		LIMIT_GUESTS	/* bounds.h */
#define LOAD_MAX_CSVS		64
#define LOAD_MAX_CLUSTERS	LIMIT_CLUSTERS
#define LOAD_DEFAULT_HB_S	5	/* until a Welcome says otherwise */
#define LOAD_HELLO_RETRY_MS	5000	/* no Welcome yet: say Hello again */
#define LOAD_BACKOFF_MAX_MS	30000
#define LOAD_RECV_BURST		64
#define LOAD_POLL_MAX_MS	1000
/* Timers (Hello, heartbeats, reconnects) are looked at this often: a
 * scan of thousands of simulated nodes at every message would take the
 * CPU the controller under test needs. */
#define LOAD_TIMER_GRAIN_MS	10
#define LOAD_HWM		1000
#define LOAD_SYSTEM_PROVIDER_ID "{b5946137-7b9f-4925-af80-51abd60b20d5}"
#define LOAD_SYSTEM_PROVIDER_NAME "Microsoft Software Shadow Copy provider 1.0"

typedef struct s_opts {
	size_t nodes;
	const char *endpoint;
	const char *controller_key;
	const char *keys_dir;
	const char *cluster;
	const char *prefix;
	const char *dpm_server;
	const char *report;
	size_t guests;
	size_t csvs;
	size_t clusters;	/* 1: the single-cluster run of before */
	size_t per_dpm;		/* clusters each DPM server protects */
	const char *dsgroups_dir;
	int64_t ramp_ms;
	bool insecure;
	bool keygen_only;
	bool verbose;
} s_opts;

/* One simulated node. */
typedef struct s_sim {
	char *name;
	host_role role;
	char *secret_path;
	void *sock;
	bool check;		/* look at sock: its ZMQ_FD woke the loop, or
				 * something was sent on it */
	bool queued;		/* in s_load.marked */
	Hvp__Inventory *inventory;
	int64_t connect_at;	/* mono ms: when to open the socket */
	int64_t hello_at;	/* mono ms: next Hello due; 0 = none */
	int64_t backoff_ms;
	bool welcomed;
	bool refused;
	int heartbeat_s;
	int64_t next_heartbeat;
	int64_t last_heard;
	int64_t revision;	/* held (as acknowledged) */
	uint64_t plan_generation;
	char dsgroups_hash[DSGROUPS_HASH_HEX + 1];
	bool counted;		/* acknowledged the newest revision */
	size_t cluster;		/* index: its cluster, a DPM server's first */
	size_t ncl;		/* a DPM server of several: how many */
	Hvp__PartState *parts;	/* ... and what it holds of each */
	struct s_held **plans;	/* ... each cluster's plan held */
	char *file;		/* --dsgroups-dir: its DataSourceGroups.xml */
	dsmerge_record written;	/* what it wrote there: the writer's */
	dsheld *parsed;		/* the file's parse: the writer's */
} s_sim;

/* A plan a simulated DPM server holds, shared with the writer's jobs
 * that merge it: counted, and freed, by the loop's thread only. */
typedef struct s_held {
	plan *plan;
	unsigned refs;
} s_held;

/* One merge and write of a DPM server's file, done by the writer. */
typedef struct s_job {
	size_t sim;		/* index in sims */
	const char *name, *file;	/* the sim's, borrowed */
	dsmerge_record *written;	/* the sim's: the writer's alone */
	dsheld *parsed;		/* the sim's: the writer's alone */
	size_t n;		/* parts */
	s_held **held;		/* each part's plan (a count each) */
	const char **clusters;	/* each part's cluster; NULL: bare names */
	bool *fresh;		/* the part's plan is new: hash it */
	char (*hash)[DSGROUPS_HASH_HEX + 1];	/* its new hash */
	int64_t received;	/* wall ms: the Desired arrived */
	bool report;		/* a plan of the first cluster */
	int64_t started, merged, done;	/* wall ms, set by the writer */
	char *err;		/* set by the writer: why it did not write
				 * (logged by the loop: log.c is not for
				 * two threads) */
} s_job;

typedef struct s_load {
	s_opts o;
	void *zctx;
	s_sim *sims;
	size_t n;
	int epoll;		/* every socket's ZMQ_FD */
	size_t *marked;		/* sims to look at (check set), n at most */
	size_t nmarked;
	int64_t timers_due;	/* mono ms: the next scan of every timer */
	bool jobs_check;	/* look at jobs */
	void *jobs;		/* PAIR: jobs to the writer, done ones back */
	void *writer_sock;	/* the writer's end */
	thrd_t writer;
	bool writer_running;
	size_t jobs_out;	/* sent, not back yet */
	platform_signal_flags sig;
	uint64_t rng;
	size_t welcomed;
	bool all_welcomed_told;
	int64_t top_revision;
	int64_t top_first_ms;	/* wall ms of the first Desired of it */
	size_t top_acked;
	uint64_t desired_seen;
	uint64_t acks_sent;
	uint64_t heartbeats_sent;
	char **cluster_names;	/* o.clusters of them */
	int64_t moved_at;	/* wall ms of the last storage move; 0 none */
	size_t moved_from;	/* the CSV it moved away from */
} s_load;

/* ---- small helpers ---- */

static uint64_t
s_rand(s_load *l)
{
	uint64_t z = (l->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* base ± 50 %, as the node daemon jitters. */
static int64_t
s_jitter(s_load *l, int64_t base)
{
	if (base <= 1)
		return base;
	return base / 2 + (int64_t)(s_rand(l) % (uint64_t)base);
}

static uint64_t
s_fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
s_report(const s_load *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_report(const s_load *l, const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if (l->o.report == NULL)
		return;
	if ((f = fopen(l->o.report, "a")) == NULL) {
		log_warnx("cannot open report file %s", l->o.report);
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static s_held *
s_held_new(plan *p)
{
	s_held *h = xcalloc(1, sizeof *h);

	h->plan = p;
	h->refs = 1;
	return h;
}

static void
s_held_release(s_held **hp)
{
	s_held *h = *hp;

	*hp = NULL;
	if (h == NULL || --h->refs > 0)
		return;
	plan_free(&h->plan);
	free(h);
}

/* ---- the simulated hosts ---- */

/* Guest g of node i: its paths on one CSV, about one in ten on two. */
static void
s_add_guest(host_state *h, const s_opts *o, uint64_t tag, size_t i, size_t g)
{
	host_service svc[] = {
		{ (char *)"Heartbeat", true },
		{ (char *)"Shutdown", true },
		{ (char *)"VSS", true },
	};
	char name[128], id[48], *paths[2];
	size_t seq = i * o->guests + g, vol = seq % o->csvs + 1;
	host_guest hg;

	snprintf(name, sizeof name, "%s-VM%zu", h->node, g + 1);
	snprintf(id, sizeof id, "%08x-%04x-4000-8000-%012" PRIx64,
	    (unsigned)(i & 0xffffffffu), (unsigned)(g & 0xffffu),
	    (uint64_t)(tag & 0xffffffffffffULL));
	memset(&hg, 0, sizeof hg);
	hg.name = name;
	hg.id = id;
	hg.state = GUEST_RUNNING;
	hg.services = svc;
	hg.nservices = sizeof svc / sizeof svc[0];
	paths[0] = xasprintf("%sVolume%zu\\%s\\%s.vmcx", CSV_ROOT, vol, name,
	    name);
	hg.npaths = 1;
	if (o->csvs > 1 && seq % 10 == 9)
		paths[hg.npaths++] = xasprintf("%sVolume%zu\\%s\\data.vhdx",
		    CSV_ROOT, vol % o->csvs + 1, name);
	else
		paths[hg.npaths++] = xasprintf("%sVolume%zu\\%s\\%s.vhdx",
		    CSV_ROOT, vol, name, name);
	hg.paths = paths;
	host_guest_add(h, &hg);
	for (size_t k = 0; k < hg.npaths; k++)
		free(paths[k]);
}

/* The inventory node i reports: CSVs, one system provider, its guests. */
static Hvp__Inventory *
s_inventory(const s_opts *o, const char *name, const char *cluster,
    host_role role, size_t i)
{
	host_state *h = host_state_new();
	Hvp__Inventory *inv;
	uint64_t tag = s_fnv(o->prefix);

	h->node = xstrdup(name);
	h->cluster = xstrdup(cluster);
	h->role = role;
	h->providers = xcalloc(1, sizeof *h->providers);
	h->providers[0].id = xstrdup(LOAD_SYSTEM_PROVIDER_ID);
	h->providers[0].name = xstrdup(LOAD_SYSTEM_PROVIDER_NAME);
	h->providers[0].type = PROVIDER_SYSTEM;
	h->providers[0].version = xstrdup("1.0.0.7");
	h->nproviders = 1;
	if (role == ROLE_HYPERV_NODE) {
		h->csvs = xcalloc(o->csvs, sizeof *h->csvs);
		for (size_t k = 0; k < o->csvs; k++)
			h->csvs[k] = xasprintf("Volume%zu", k + 1);
		h->ncsvs = o->csvs;
		for (size_t g = 0; g < o->guests; g++)
			s_add_guest(h, o, tag, i, g);
	}
	inv = wire_inventory_new_from_host(h);
	if (role == ROLE_DPM_SERVER)
		wire_inventory_set_dsgroups(inv, NULL);
	host_state_free(&h);
	return inv;
}

/* Key pair of one node: kept when there, made when not. */
static int
s_node_keys(const s_opts *o, s_sim *s)
{
	char *base = platform_path_join(o->keys_dir, s->name);
	char *pub = xasprintf("%s%s", base, KEYS_PUBLIC_SUFFIX);
	char *err = NULL;
	int rc = 0;

	s->secret_path = xasprintf("%s%s", base, KEYS_SECRET_SUFFIX);
	if (!platform_file_exists(s->secret_path)) {
		if (platform_file_exists(pub)) {
			log_warnx("%s exists without %s: remove it to make a "
			    "new key pair", pub, s->secret_path);
			rc = -1;
		} else if (keys_generate(s->name, o->keys_dir, &err) == -1) {
			log_warnx("key for %s: %s", s->name, err);
			free(err);
			rc = -1;
		}
	} else if (!platform_file_exists(pub)) {
		log_warnx("%s exists without %s: the controller's nodeKeys "
		    "needs the public key", s->secret_path, pub);
		rc = -1;
	}
	free(base);
	free(pub);
	return rc;
}

/* Several clusters: CLUSTER-01 ...; nodes PREFIXcc-nnnn; DPM servers
 * DPMdd, each protecting per_dpm consecutive clusters. */
static void
s_names(s_load *l, size_t i, s_sim *s)
{
	const s_opts *o = &l->o;
	size_t hv = o->nodes * o->clusters;

	if (o->clusters == 1) {
		if (i < o->nodes) {
			s->name = xasprintf("%s%04zu", o->prefix, i + 1);
			s->role = ROLE_HYPERV_NODE;
		} else {
			s->name = xstrdup(o->dpm_server);
			s->role = ROLE_DPM_SERVER;
		}
		return;
	}
	if (i < hv) {
		s->cluster = i / o->nodes;
		s->name = xasprintf("%s%02zu-%04zu", o->prefix, s->cluster + 1,
		    i % o->nodes + 1);
		s->role = ROLE_HYPERV_NODE;
		return;
	}
	s->cluster = (i - hv) * o->per_dpm;
	s->ncl = o->clusters - s->cluster < o->per_dpm ?
	    o->clusters - s->cluster : o->per_dpm;
	s->name = xasprintf("%s%02zu", o->dpm_server, i - hv + 1);
	s->role = ROLE_DPM_SERVER;
	s->parts = xcalloc(s->ncl, sizeof *s->parts);
	s->plans = xcalloc(s->ncl, sizeof *s->plans);
	for (size_t k = 0; k < s->ncl; k++) {
		hvp__part_state__init(&s->parts[k]);
		s->parts[k].cluster = l->cluster_names[s->cluster + k];
		s->parts[k].dsgroups_hash = (char *)"";
	}
}

static int
s_sims_new(s_load *l)
{
	const s_opts *o = &l->o;
	int64_t now = platform_mono_ms();
	size_t ndpm = 0;

	l->cluster_names = xcalloc(o->clusters + 1, sizeof *l->cluster_names);
	for (size_t c = 0; c < o->clusters; c++)
		l->cluster_names[c] = o->clusters == 1 ? xstrdup(o->cluster) :
		    xasprintf("%s-%02zu", o->cluster, c + 1);
	if (o->dpm_server)
		ndpm = o->clusters == 1 ? 1 :
		    (o->clusters + o->per_dpm - 1) / o->per_dpm;
	l->n = o->nodes * o->clusters + ndpm;
	l->sims = xcalloc(l->n, sizeof *l->sims);
	l->marked = xcalloc(l->n, sizeof *l->marked);
	for (size_t i = 0; i < l->n; i++) {
		s_sim *s = &l->sims[i];

		s_names(l, i, s);
		if (s->role == ROLE_DPM_SERVER && o->dsgroups_dir) {
			s->file = xasprintf("%s/%s.xml", o->dsgroups_dir,
			    s->name);
			s->parsed = dsheld_new();
		}
		if (!keys_name_valid(s->name)) {
			log_warnx("'%s' is not a valid node name (1 to %d of "
			    "A-Z a-z 0-9 . _ -)", s->name, KEYS_NAME_MAX);
			return -1;
		}
		if (!o->insecure && s_node_keys(o, s) == -1)
			return -1;
		if (o->keygen_only)
			continue;
		s->inventory = s_inventory(o, s->name,
		    l->cluster_names[s->cluster], s->role, i);
		s->heartbeat_s = LOAD_DEFAULT_HB_S;
		s->backoff_ms = 1000;
		s->connect_at = now + (o->ramp_ms > 0 ?
		    o->ramp_ms * (int64_t)i / (int64_t)l->n : 0);
	}
	return 0;
}

static void
s_sims_free(s_load *l)
{
	for (size_t i = 0; i < l->n; i++) {
		s_sim *s = &l->sims[i];

		if (s->sock)
			zmq_close(s->sock);
		wire_inventory_free(&s->inventory);
		free(s->name);
		free(s->secret_path);
		for (size_t k = 0; k < s->ncl; k++) {
			s_held_release(&s->plans[k]);
			if (*s->parts[k].dsgroups_hash)
				free(s->parts[k].dsgroups_hash);
		}
		free(s->parts);
		free(s->plans);
		free(s->file);
		dsmerge_record_clear(&s->written);
		dsheld_free(s->parsed);
	}
	free(l->sims);
	l->sims = NULL;
	free(l->marked);
	l->marked = NULL;
	l->n = 0;
	for (size_t c = 0; l->cluster_names && c < l->o.clusters; c++)
		free(l->cluster_names[c]);
	free(l->cluster_names);
	l->cluster_names = NULL;
}

/* ---- sending ---- */

/* --protocol: the version the simulated nodes claim (compatibility tests
 * speak one older or newer than this build). */
static uint32_t s_protocol = WIRE_PROTOCOL_VERSION;

static bool
s_send(s_sim *s, Hvp__Envelope__BodyCase body_case, void *body)
{
	Hvp__Envelope e = HVP__ENVELOPE__INIT;

	if (s->sock == NULL)
		return false;
	e.protocol = s_protocol;
	e.body_case = body_case;
	e.hello = body;		/* the oneof's members share storage */
	s->check = true;	/* a send may take the descriptor's wake-up */
	if (wire_send(s->sock, &e, NULL) == -1) {
		log_debug("%s: send %s: %s", s->name, wire_body_name(body_case),
		    zmq_strerror(errno));
		return false;
	}
	return true;
}

/* A DPM server of several clusters: pointers to its parts (owned array). */
static Hvp__PartState **
s_part_ptrs(s_sim *s)
{
	Hvp__PartState **v = xcalloc(s->ncl + 1, sizeof *v);

	for (size_t k = 0; k < s->ncl; k++)
		v[k] = &s->parts[k];
	return v;
}

static void
s_send_hello(s_load *l, s_sim *s)
{
	Hvp__Hello h = HVP__HELLO__INIT;

	h.node = s->name;
	h.role = (char *)HOST_ROLE_NAMES[s->role];
	h.cluster = l->cluster_names[s->cluster];
	if (s->ncl > 0) {
		h.clusters = &l->cluster_names[s->cluster];
		h.n_clusters = s->ncl;
		h.parts = s_part_ptrs(s);
		h.n_parts = s->ncl;
	}
	h.version = (char *)LOAD_VERSION;
	h.inventory = s->inventory;
	h.revision = s->revision;
	h.plan_generation = s->plan_generation;
	h.converged = s->revision > 0;
	s_send(s, HVP__ENVELOPE__BODY_HELLO, &h);
	free(h.parts);
	s->hello_at = platform_mono_ms() + s_jitter(l, LOAD_HELLO_RETRY_MS);
}

static void
s_send_ack(s_load *l, s_sim *s)
{
	Hvp__Ack a = HVP__ACK__INIT;

	a.revision = s->revision;
	a.plan_generation = s->plan_generation;
	a.converged = true;
	a.dsgroups_hash = s->dsgroups_hash;
	a.parts = s->ncl ? s_part_ptrs(s) : NULL;
	a.n_parts = s->ncl;
	if (s_send(s, HVP__ENVELOPE__BODY_ACK, &a))
		l->acks_sent++;
	free(a.parts);
}

static void
s_send_heartbeat(s_load *l, s_sim *s)
{
	Hvp__Heartbeat h = HVP__HEARTBEAT__INIT;

	h.revision = s->revision;
	h.plan_generation = s->plan_generation;
	h.converged = s->revision > 0;
	h.inventory_hash = s->inventory->hash;
	h.dsgroups_hash = s->dsgroups_hash;
	h.parts = s->ncl ? s_part_ptrs(s) : NULL;
	h.n_parts = s->ncl;
	if (s_send(s, HVP__ENVELOPE__BODY_HEARTBEAT, &h))
		l->heartbeats_sent++;
	free(h.parts);
}

/* ---- the socket ---- */

static int
s_setopt_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof v);
}

/* The loop wakes when sock's ZMQ_FD does; tag names it (a sim's index,
 * or S_JOBS_TAG). */
#define S_JOBS_TAG UINT64_MAX

static int
s_watch(s_load *l, void *sock, uint64_t tag)
{
	int fd;
	size_t len = sizeof fd;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) == -1 ||
	    epoll_ctl(l->epoll, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warnx("cannot watch a socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
s_connect(s_load *l, s_sim *s)
{
	void *sock = zmq_socket(l->zctx, ZMQ_DEALER);
	char *err = NULL;

	s->connect_at = 0;
	if (sock == NULL) {
		log_warnx("%s: zmq_socket: %s%s", s->name, zmq_strerror(errno),
		    errno == EMFILE ? " (raise the open file limit: ulimit -n)"
		    : "");
		return -1;
	}
	if (s_setopt_int(sock, ZMQ_LINGER, 0) == -1 ||
	    s_setopt_int(sock, ZMQ_RECONNECT_IVL, (int)s_jitter(l, 1000)) == -1 ||
	    s_setopt_int(sock, ZMQ_RECONNECT_IVL_MAX, LOAD_BACKOFF_MAX_MS) == -1 ||
	    s_setopt_int(sock, ZMQ_SNDHWM, LOAD_HWM) == -1 ||
	    s_setopt_int(sock, ZMQ_RCVHWM, LOAD_HWM) == -1 ||
	    wire_socket_limit(sock) == -1) {
		log_warnx("%s: socket options: %s", s->name, zmq_strerror(errno));
		zmq_close(sock);
		return -1;
	}
	if (!l->o.insecure && keys_curve_client(sock, s->secret_path,
	    l->o.controller_key, &err) == -1) {
		log_warnx("%s: CURVE keys: %s", s->name, err);
		free(err);
		zmq_close(sock);
		return -1;
	}
	if (zmq_connect(sock, l->o.endpoint) == -1) {
		log_warnx("%s: connect %s: %s", s->name, l->o.endpoint,
		    zmq_strerror(errno));
		zmq_close(sock);
		return -1;
	}
	if (s_watch(l, sock, (uint64_t)(s - l->sims)) == -1) {
		zmq_close(sock);
		return -1;
	}
	s->sock = sock;
	s->last_heard = platform_mono_ms();
	s_send_hello(l, s);
	return 0;
}

/* ---- what the controller sends ---- */

static void
s_on_welcome(s_load *l, s_sim *s, const Hvp__Welcome *w)
{
	int64_t now = platform_mono_ms();

	if (w->heartbeat_seconds >= 1 && w->heartbeat_seconds <= 3600)
		s->heartbeat_s = (int)w->heartbeat_seconds;
	s->hello_at = 0;
	s->backoff_ms = 1000;
	/* Spread the first heartbeats over one period. */
	s->next_heartbeat = now + 1 +
	    (int64_t)(s_rand(l) % ((uint64_t)s->heartbeat_s * 1000));
	if (s->welcomed)
		return;
	s->welcomed = true;
	l->welcomed++;
	log_debug("%s: welcome (heartbeat %d s)", s->name, s->heartbeat_s);
	if (l->welcomed == l->n && !l->all_welcomed_told) {
		l->all_welcomed_told = true;
		log_info("all %zu nodes welcomed", l->n);
		s_report(l, "{\"event\":\"welcomed\",\"nodes\":%zu,\"at\":%" PRId64
		    "}", l->n, platform_now_ms());
	}
}

/* Counts acknowledgements of the newest revision seen. */
static void
s_count_ack(s_load *l, s_sim *s)
{
	int64_t now;

	/* Several clusters number revisions apart: the benchmark asks
	 * the controller instead. */
	if (l->o.clusters > 1 || s->revision != l->top_revision || s->counted)
		return;
	s->counted = true;
	if (++l->top_acked < l->n)
		return;
	now = platform_now_ms();
	log_info("revision %" PRId64 ": all %zu nodes acknowledged %" PRId64
	    " ms after the first Desired", l->top_revision, l->n,
	    now - l->top_first_ms);
	s_report(l, "{\"event\":\"acked\",\"revision\":%" PRId64 ",\"nodes\":%zu,"
	    "\"firstDesired\":%" PRId64 ",\"allAcked\":%" PRId64 ",\"ms\":%" PRId64
	    "}", l->top_revision, l->n, l->top_first_ms, now,
	    now - l->top_first_ms);
}

/* ---- the DPM servers' writer ---- */

/* The hash of each new plan, for the Ack: after the file is written
 * (what is timed ends there), by the writer when there is one. */
static void
s_job_hash(s_job *j)
{
	for (size_t k = 0; k < j->n; k++)
		if (j->fresh[k] && j->held[k])
			dsgroups_plan_hash_as(j->held[k]->plan, j->clusters[k],
			    j->hash[k]);
}

/* Merges the job's plans into the file as the node daemon does
 * (node/engine.c: read again, parsed unless it holds the bytes last
 * written, merge, replace with fsync), on the writer thread. */
static void
s_job_run(s_job *j)
{
	dsmerge_part *parts = xcalloc(j->n, sizeof *parts);
	dsmerge_spec spec = { parts, j->n, j->written };
	dsmerge_result res;
	const dsgroups_doc *doc;
	char *data = NULL, *out = NULL, *err = NULL;
	size_t len = 0, olen = 0;

	j->started = platform_now_ms();
	memset(&res, 0, sizeof res);
	for (size_t k = 0; k < j->n; k++)
		parts[k] = (dsmerge_part){ .cluster = j->clusters[k],
		    .plan = j->held[k] ? j->held[k]->plan : NULL };
	if (platform_file_exists(j->file) && platform_read_file(j->file,
	    PLATFORM_MAX_FILE, &data, &len, &err) == -1)
		goto fail;
	if (dsheld_doc(j->parsed, data, len, &doc, &err) == -1 ||
	    dsmerge_apply_doc(&spec, doc, &out, &olen, &res, &err) == -1)
		goto fail;
	j->merged = platform_now_ms();
	if (platform_replace_file(j->file, out, olen, false, &err) == -1)
		goto fail;
	dsheld_wrote(j->parsed, out, olen);
	out = NULL;
	dsmerge_record_clear(j->written);
	*j->written = res.record;
	memset(&res.record, 0, sizeof res.record);
	goto done;
fail:
	j->err = err ? err : xstrdup("?");
done:
	j->done = platform_now_ms();
	if (j->merged == 0)
		j->merged = j->done;
	s_job_hash(j);
	dsmerge_result_clear(&res);
	free(out);
	free(parts);
}

/* The files written and not yet parsed again: the writer parses them
 * when no job waits (the node daemon does it when idle, dsheld.h). */
typedef struct s_idle {
	dsheld **v;
	size_t n, cap;
} s_idle;

static void
s_idle_add(s_idle *w, dsheld *h)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i] == h)
			return;
	xgrow(&w->v, &w->cap, w->n + 1, sizeof *w->v);
	w->v[w->n++] = h;
}

/* Parses one written file if no job waits; false when none is left. */
static bool
s_idle_work(s_idle *w, void *sock)
{
	zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };

	if (w->n == 0 || zmq_poll(&it, 1, 0) != 0)
		return false;
	dsheld_prepare(w->v[--w->n]);
	return true;
}

/* The writer thread: jobs in order, each sent back when done; a NULL
 * job stops it. */
static int
s_writer_main(void *arg)
{
	void *sock = arg;
	s_idle idle = { NULL, 0, 0 };

	for (;;) {
		s_job *j = NULL;
		dsheld *h;
		int n;

		if (s_idle_work(&idle, sock))
			continue;
		n = zmq_recv(sock, &j, sizeof j, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (int)sizeof j || j == NULL)
			break;
		s_job_run(j);
		h = j->parsed;
		while (zmq_send(sock, &j, sizeof j, 0) == -1 && errno == EINTR)
			;
		s_idle_add(&idle, h);
	}
	free(idle.v);
	return 0;
}

static int
s_writer_start(s_load *l)
{
	const char *ep = "inproc://loadnode-writer";
	int hwm = 0;

	l->jobs = zmq_socket(l->zctx, ZMQ_PAIR);
	l->writer_sock = zmq_socket(l->zctx, ZMQ_PAIR);
	if (l->jobs == NULL || l->writer_sock == NULL ||
	    zmq_setsockopt(l->jobs, ZMQ_SNDHWM, &hwm, sizeof hwm) == -1 ||
	    zmq_setsockopt(l->writer_sock, ZMQ_SNDHWM, &hwm, sizeof hwm) == -1 ||
	    zmq_bind(l->jobs, ep) == -1 || zmq_connect(l->writer_sock, ep) == -1) {
		log_warnx("writer sockets: %s", zmq_strerror(errno));
		return -1;
	}
	/* The writer's socket is its own from here on (thrd_create is a
	 * full barrier, which moving a ZeroMQ socket needs). */
	if (thrd_create(&l->writer, s_writer_main, l->writer_sock) !=
	    thrd_success) {
		log_warnx("cannot start the writer thread");
		return -1;
	}
	l->writer_running = true;
	return 0;
}

static void
s_job_free(s_job *j)
{
	for (size_t k = 0; k < j->n; k++)
		s_held_release(&j->held[k]);
	free(j->held);
	free(j->clusters);
	free(j->fresh);
	free(j->hash);
	free(j->err);
	free(j);
}

static s_job *
s_job_new(s_load *l, s_sim *s, size_t n, int64_t received)
{
	s_job *j = xcalloc(1, sizeof *j);

	j->sim = (size_t)(s - l->sims);
	j->name = s->name;
	j->file = s->file;
	j->written = &s->written;
	j->parsed = s->parsed;
	j->n = n;
	j->held = xcalloc(n, sizeof *j->held);
	j->clusters = xcalloc(n, sizeof *j->clusters);
	j->fresh = xcalloc(n, sizeof *j->fresh);
	j->hash = xcalloc(n, sizeof *j->hash);
	j->received = received;
	return j;
}

static void
s_job_send(s_load *l, s_job *j)
{
	l->jobs_check = true;
	while (zmq_send(l->jobs, &j, sizeof j, 0) == -1) {
		if (errno == EINTR)
			continue;
		log_warnx("%s: job not queued: %s", j->name,
		    zmq_strerror(errno));
		s_job_free(j);
		return;
	}
	l->jobs_out++;
}

static void
s_report_written(s_load *l, const s_sim *s, const s_job *j)
{
	/* desiredMs: the controller's part (move to the Desired arriving);
	 * the rest is the DPM server's: decoding and handing the plans to
	 * its writer (queuedMs), and its read, merge, write and fsync
	 * (writeMs, of which mergeMs the read and merge). The plans' hashes
	 * for the Ack come after. */
	if (l->moved_at != 0)
		s_report(l, "{\"event\":\"written\",\"node\":\"%s\","
		    "\"cluster\":\"%s\",\"at\":%" PRId64 ",\"ms\":%" PRId64
		    ",\"desiredMs\":%" PRId64 ",\"queuedMs\":%" PRId64
		    ",\"writeMs\":%" PRId64 ",\"mergeMs\":%" PRId64 "}",
		    s->name, l->cluster_names[0], j->done, j->done - l->moved_at,
		    j->received - l->moved_at, j->started - j->received,
		    j->done - j->started, j->merged - j->started);
}

/* A job back from the writer: the DPM server now holds the plans it
 * wrote, says so (hashes), and acknowledges. */
static void
s_job_done(s_load *l, s_job *j)
{
	s_sim *s = &l->sims[j->sim];

	if (j->err)
		log_warnx("%s: %s", s->name, j->err);
	for (size_t k = 0; k < j->n; k++) {
		if (!j->fresh[k] || j->hash[k][0] == '\0')
			continue;
		if (s->ncl == 0) {
			memcpy(s->dsgroups_hash, j->hash[k],
			    sizeof s->dsgroups_hash);
			wire_inventory_set_dsgroups(s->inventory,
			    s->dsgroups_hash);
			continue;
		}
		if (*s->parts[k].dsgroups_hash)
			free(s->parts[k].dsgroups_hash);
		s->parts[k].dsgroups_hash = xstrdup(j->hash[k]);
	}
	if (j->report)
		s_report_written(l, s, j);
	s_send_ack(l, s);
	if (s->ncl == 0)
		s_count_ack(l, s);
	s_job_free(j);
}

/* Takes every job the writer has finished. */
static void
s_jobs_back(s_load *l)
{
	s_job *j;

	while (zmq_recv(l->jobs, &j, sizeof j, ZMQ_DONTWAIT) ==
	    (int)sizeof j) {
		l->jobs_out--;
		s_job_done(l, j);
	}
}

static void
s_writer_stop(s_load *l)
{
	s_job *stop = NULL, *j;

	if (l->writer_running) {
		while (zmq_send(l->jobs, &stop, sizeof stop, 0) == -1 &&
		    errno == EINTR)
			;
		thrd_join(l->writer, NULL);
		l->writer_running = false;
		while (l->jobs_out > 0 && zmq_recv(l->jobs, &j, sizeof j,
		    ZMQ_DONTWAIT) == (int)sizeof j) {
			l->jobs_out--;
			s_job_free(j);
		}
	}
	if (l->jobs)
		zmq_close(l->jobs);
	if (l->writer_sock)
		zmq_close(l->writer_sock);
	l->jobs = l->writer_sock = NULL;
}

/* ---- what the controller sends, continued ---- */

/* One cluster's part of a Desired to a DPM server of several: its plan
 * becomes the held one (*kp); false (nothing changed) when the part is
 * not its own or the plan is the same. */
static bool
s_take_part(s_sim *s, const Hvp__Desired *p, size_t *kp)
{
	char *err = NULL;
	size_t k;
	plan *pl;

	for (k = 0; k < s->ncl; k++)
		if (p->cluster && strcmp(p->cluster, s->parts[k].cluster) == 0)
			break;
	if (k == s->ncl)
		return false;
	s->parts[k].revision = p->revision;
	if (p->plan == NULL || p->plan_generation == s->parts[k].plan_generation)
		return false;
	if ((pl = wire_plan_to_plan(p->plan, &err)) == NULL) {
		log_warnx("%s: plan of %s dropped: %s", s->name, p->cluster, err);
		free(err);
		return false;
	}
	s_held_release(&s->plans[k]);
	s->plans[k] = s_held_new(pl);
	s->parts[k].plan_generation = p->plan_generation;
	*kp = k;
	return true;
}

static void
s_on_parts(s_load *l, s_sim *s, const Hvp__Desired *d)
{
	s_job *j = s_job_new(l, s, s->ncl, platform_now_ms());
	bool changed = false;

	for (size_t i = 0; i < d->n_parts; i++) {
		size_t k;

		if (!s_take_part(s, d->parts[i], &k))
			continue;
		changed = true;
		j->fresh[k] = true;
		j->report |= s->cluster == 0 && k == 0;
	}
	/* What it holds, for converged in Hello and Heartbeat. */
	for (size_t k = 0; k < s->ncl; k++)
		if (s->parts[k].revision > s->revision)
			s->revision = s->parts[k].revision;
	for (size_t k = 0; k < s->ncl; k++) {
		j->clusters[k] = s->parts[k].cluster;
		if ((j->held[k] = s->plans[k]) != NULL)
			j->held[k]->refs++;
	}
	if (changed && s->file) {
		s_job_send(l, j);
		return;
	}
	/* Nothing to write: it holds the plans at once. */
	j->report = false;
	s_job_hash(j);
	s_job_done(l, j);
}

static void
s_on_desired(s_load *l, s_sim *s, const Hvp__Desired *d)
{
	char *err = NULL;
	uint64_t had;
	plan *p;
	s_job *j;

	l->desired_seen++;
	if (s->ncl > 0) {
		s_on_parts(l, s, d);
		return;
	}
	if (d->revision > l->top_revision) {
		l->top_revision = d->revision;
		l->top_first_ms = platform_now_ms();
		l->top_acked = 0;
		for (size_t i = 0; i < l->n; i++)
			l->sims[i].counted = false;
	}
	had = s->plan_generation;
	s->revision = d->revision;
	s->plan_generation = d->plan_generation;
	j = s_job_new(l, s, 1, platform_now_ms());
	if (s->role != ROLE_DPM_SERVER || d->plan == NULL) {
		s_job_done(l, j);
		return;
	}
	if ((p = wire_plan_to_plan(d->plan, &err)) == NULL) {
		log_warnx("%s: desired plan dropped: %s", s->name, err);
		free(err);
		s_job_done(l, j);
		return;
	}
	j->held[0] = s_held_new(p);
	j->fresh[0] = true;
	if (s->file && d->plan_generation != had) {
		j->report = true;
		s_job_send(l, j);
		return;
	}
	s_job_hash(j);
	s_job_done(l, j);
}

static void
s_on_dry_run(s_sim *s, const Hvp__DryRun *m)
{
	Hvp__DryRunResult r = HVP__DRY_RUN_RESULT__INIT;

	r.request = m->request;
	r.error = (char *)"";
	s_send(s, HVP__ENVELOPE__BODY_DRY_RUN_RESULT, &r);
}

static void
s_dispatch(s_load *l, s_sim *s, const Hvp__Envelope *e)
{
	switch (e->body_case) {
	case HVP__ENVELOPE__BODY_WELCOME:
		s_on_welcome(l, s, e->welcome);
		break;
	case HVP__ENVELOPE__BODY_REFUSED:
		if (!s->refused)
			log_warnx("%s: refused: %s (Hello again in %" PRId64
			    " ms)", s->name, e->refused->reason, s->backoff_ms);
		s->refused = true;
		if (s->welcomed)
			l->welcomed--;
		s->welcomed = false;
		s->hello_at = platform_mono_ms() + s_jitter(l, s->backoff_ms);
		s->backoff_ms *= 2;
		if (s->backoff_ms > LOAD_BACKOFF_MAX_MS)
			s->backoff_ms = LOAD_BACKOFF_MAX_MS;
		break;
	case HVP__ENVELOPE__BODY_DESIRED:
		s_on_desired(l, s, e->desired);
		break;
	case HVP__ENVELOPE__BODY_DRY_RUN:
		s_on_dry_run(s, e->dry_run);
		break;
	case HVP__ENVELOPE__BODY_HEARTBEAT_REPLY:
	case HVP__ENVELOPE__BODY_DRIFT_ACK:
		break;
	default:
		log_warnx("%s: unexpected %s; dropped", s->name,
		    wire_body_name(e->body_case));
		break;
	}
}

static void
s_receive(s_load *l, s_sim *s)
{
	for (int k = 0; k < LOAD_RECV_BURST && s->sock; k++) {
		Hvp__Envelope *e = NULL;
		char *err = NULL;
		int rc = wire_recv(s->sock, &e, NULL, NULL, &err);

		if (rc == WIRE_NONE)
			break;
		s->last_heard = platform_mono_ms();
		if (rc == WIRE_MALFORMED) {
			log_warnx("%s: malformed message dropped: %s", s->name,
			    err ? err : "?");
			free(err);
			continue;
		}
		s_dispatch(l, s, e);
		wire_envelope_free(&e);
	}
}

/* ---- the loop ---- */

static void
s_timers(s_load *l, s_sim *s, int64_t now)
{
	if (s->sock == NULL) {
		if (s->connect_at != 0 && now >= s->connect_at &&
		    s_connect(l, s) == -1)
			s->connect_at = now + s_jitter(l, LOAD_BACKOFF_MAX_MS);
		return;
	}
	if (s->welcomed && now - s->last_heard >=
	    3 * (int64_t)s->heartbeat_s * 1000) {
		log_info("%s: nothing heard for 3 heartbeats; Hello again",
		    s->name);
		s->welcomed = false;
		l->welcomed--;
		s->last_heard = now;
		s->hello_at = now + s_jitter(l, s->backoff_ms);
	}
	if (s->hello_at != 0 && now >= s->hello_at)
		s_send_hello(l, s);
	if (s->welcomed && now >= s->next_heartbeat) {
		s_send_heartbeat(l, s);
		s->next_heartbeat = now + (int64_t)s->heartbeat_s * 1000;
	}
}

static int64_t
s_next_due(const s_sim *s, int64_t next)
{
	if (s->sock == NULL)
		return s->connect_at != 0 && s->connect_at < next ?
		    s->connect_at : next;
	if (s->hello_at != 0 && s->hello_at < next)
		next = s->hello_at;
	if (s->welcomed && s->next_heartbeat < next)
		next = s->next_heartbeat;
	return next;
}

/* SIGHUP: the first guest of the first node moves its storage to a CSV
 * no other guest uses, and back at the next one (as `hvpolicy-lab
 * move-storage` would): either way the plan changes. Its node reports at
 * once. */
static void
s_move_storage(s_load *l)
{
	s_sim *s = &l->sims[0];
	Hvp__Guest *g;
	Hvp__Envelope e = HVP__ENVELOPE__INIT;

	l->sig.reload = 0;
	if (s->role != ROLE_HYPERV_NODE || s->inventory->n_guests == 0)
		return;
	g = s->inventory->guests[0];
	for (size_t k = 0; k < g->n_paths; k++) {
		const char *vol = g->paths[k] + strlen(CSV_ROOT);
		const char *rest = strchr(vol, '\\');
		size_t v = strtoul(vol + 6, NULL, 10);
		char *moved;

		if (v == l->o.csvs + 1)
			v = l->moved_from;
		else {
			l->moved_from = v;
			v = l->o.csvs + 1;
		}
		moved = xasprintf("%sVolume%zu%s", CSV_ROOT, v, rest ? rest : "");
		free(g->paths[k]);
		g->paths[k] = moved;
	}
	wire_inventory_rehash(s->inventory);
	l->moved_at = platform_now_ms();
	e.protocol = s_protocol;
	e.body_case = HVP__ENVELOPE__BODY_INVENTORY;
	e.inventory = s->inventory;
	s->check = true;
	if (s->sock == NULL || wire_send(s->sock, &e, NULL) == -1)
		log_warnx("%s: inventory not sent", s->name);
	log_info("%s: moved %s to %s", s->name, g->name, g->paths[0]);
	s_report(l, "{\"event\":\"moved\",\"node\":\"%s\",\"guest\":\"%s\","
	    "\"at\":%" PRId64 "}", s->name, g->name, l->moved_at);
}

/* Whether sock has a message waiting (ZMQ_EVENTS also takes the
 * commands that woke its descriptor). */
static bool
s_readable(void *sock)
{
	int ev = 0;
	size_t len = sizeof ev;

	return zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &len) == 0 &&
	    (ev & ZMQ_POLLIN);
}

/* Serves the sockets marked: every message each has. */
/* Sim i is to be looked at: its descriptor woke the loop, or something
 * was sent on it (sends take the descriptor's wake-up). */
static void
s_mark(s_load *l, size_t i)
{
	s_sim *s = &l->sims[i];

	s->check = true;
	if (!s->queued) {
		s->queued = true;
		l->marked[l->nmarked++] = i;
	}
}

/* Marks every sim a send has flagged (after work that may send on any). */
static void
s_mark_flagged(s_load *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->sims[i].check)
			s_mark(l, i);
}

static void
s_serve_marked(s_load *l)
{
	size_t n;
	size_t *batch;

	if (l->jobs && l->jobs_check) {
		l->jobs_check = false;
		while (s_readable(l->jobs))
			s_jobs_back(l);
		s_mark_flagged(l);
	}
	if ((n = l->nmarked) == 0)
		return;
	batch = xmalloc(n * sizeof *batch);
	memcpy(batch, l->marked, n * sizeof *batch);
	l->nmarked = 0;
	for (size_t k = 0; k < n; k++) {
		s_sim *s = &l->sims[batch[k]];

		s->queued = false;
		if (!s->check)
			continue;
		s->check = false;
		while (s->sock && s_readable(s->sock))
			s_receive(l, s);
		if (s->check)
			s_mark(l, batch[k]);
		l->timers_due = s_next_due(s, l->timers_due);
	}
	free(batch);
}

/* Every sim's timers, at most once a LOAD_TIMER_GRAIN_MS. */
static void
s_run_timers(s_load *l, int64_t now)
{
	int64_t due = now + LOAD_POLL_MAX_MS;

	if (now < l->timers_due)
		return;
	for (size_t i = 0; i < l->n; i++) {
		s_timers(l, &l->sims[i], now);
		if (l->sims[i].check)
			s_mark(l, i);
		due = s_next_due(&l->sims[i], due);
	}
	l->timers_due = due > now + LOAD_TIMER_GRAIN_MS ? due :
	    now + LOAD_TIMER_GRAIN_MS;
}

static void
s_loop(s_load *l)
{
	struct epoll_event evs[256];

	while (!l->sig.terminate) {
		int64_t now = platform_mono_ms(), wait;
		int rc, err;

		wait = l->nmarked > 0 || l->jobs_check ? 0 :
		    l->timers_due > now ? l->timers_due - now : 0;
		rc = epoll_wait(l->epoll, evs, (int)(sizeof evs / sizeof evs[0]),
		    (int)(wait < LOAD_POLL_MAX_MS ? wait : LOAD_POLL_MAX_MS));
		err = errno;	/* before a signal's work changes it */
		if (l->sig.terminate)
			break;
		if (l->sig.reload) {
			s_move_storage(l);
			s_mark(l, 0);
		}
		if (rc == -1 && err != EINTR) {
			log_warnx("epoll_wait: %s", strerror(err));
			platform_sleep_ms(100);
		}
		for (int k = 0; k < rc; k++) {
			if (evs[k].data.u64 == S_JOBS_TAG)
				l->jobs_check = true;
			else if (evs[k].data.u64 < l->n)
				s_mark(l, (size_t)evs[k].data.u64);
		}
		s_serve_marked(l);
		s_run_timers(l, platform_mono_ms());
	}
}

/* ---- options ---- */

static void
s_usage(FILE *f)
{
	fprintf(f,
	    "usage: %s --keys DIR --controller-key FILE [options]\n"
	    "  --nodes N             simulated Hyper-V nodes (default 1000)\n"
	    "  --controller URL      node endpoint (default tcp://127.0.0.1:7600)\n"
	    "  --controller-key FILE the controller's public key\n"
	    "  --keys DIR            NAME.key / NAME.key_secret per node; made "
	    "when missing\n"
	    "  --cluster NAME        cluster in Hello (default LOAD-CLUSTER)\n"
	    "  --prefix NAME         node names PREFIX0001... (default LOAD)\n"
	    "  --dpm-server NAME     simulate a DPM server too (several "
	    "clusters: DPM servers NAME01 ...)\n"
	    "  --clusters C          C clusters of --nodes nodes each "
	    "(default 1)\n"
	    "  --clusters-per-dpm K  clusters each DPM server protects "
	    "(default 1)\n"
	    "  --dsgroups-dir DIR    DPM servers write their "
	    "DataSourceGroups.xml there\n"
	    "  --guests G            guests per node (default 3)\n"
	    "  --csvs K              CSVs (default 8)\n"
	    "  --ramp MS             spread the connects over MS ms (default 0)\n"
	    "  --report FILE         append JSON lines: all welcomed, all acked\n"
	    "  --keygen-only         make the keys and exit\n"
	    "  --insecure            plain text (controller with --insecure)\n"
	    "  --verbose             debug logging\n"
	    "  --protocol N          claim protocol version N (compatibility "
	    "tests)\n", LOAD_PROGRAM);
}

static int
s_number(const char *opt, const char *text, int64_t min, int64_t max,
    int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: --%s '%s': expected a whole number from "
		    "%" PRId64 " to %" PRId64 "\n", LOAD_PROGRAM, opt, text,
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Returns 0, 1 after --help, or 64 on a usage error. */
static int
s_parse(int argc, char **argv, s_opts *o)
{
	int64_t v;

	o->nodes = 1000;
	o->endpoint = "tcp://127.0.0.1:7600";
	o->cluster = "LOAD-CLUSTER";
	o->prefix = "LOAD";
	o->guests = 3;
	o->csvs = 8;
	o->clusters = 1;
	o->per_dpm = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		char name[32];
		size_t len;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			s_usage(stdout);
			return 1;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "%s: unexpected argument '%s'\n",
			    LOAD_PROGRAM, a);
			return 64;
		}
		a += 2;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if (len >= sizeof name)
			len = sizeof name - 1;
		memcpy(name, a, len);
		name[len] = '\0';
		if (strcmp(name, "insecure") == 0 || strcmp(name, "keygen-only") == 0 ||
		    strcmp(name, "verbose") == 0) {
			if (eq) {
				fprintf(stderr, "%s: --%s takes no value\n",
				    LOAD_PROGRAM, name);
				return 64;
			}
			if (name[0] == 'i')
				o->insecure = true;
			else if (name[0] == 'k')
				o->keygen_only = true;
			else
				o->verbose = true;
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			fprintf(stderr, "%s: --%s needs a value\n", LOAD_PROGRAM,
			    name);
			return 64;
		}
		if (strcmp(name, "nodes") == 0) {
			if (s_number(name, val, 1, LOAD_MAX_NODES, &v) == -1)
				return 64;
			o->nodes = (size_t)v;
		} else if (strcmp(name, "guests") == 0) {
			if (s_number(name, val, 0, LOAD_MAX_GUESTS, &v) == -1)
				return 64;
			o->guests = (size_t)v;
		} else if (strcmp(name, "csvs") == 0) {
			if (s_number(name, val, 1, LOAD_MAX_CSVS, &v) == -1)
				return 64;
			o->csvs = (size_t)v;
		} else if (strcmp(name, "clusters") == 0) {
			if (s_number(name, val, 1, LOAD_MAX_CLUSTERS, &v) == -1)
				return 64;
			o->clusters = (size_t)v;
		} else if (strcmp(name, "clusters-per-dpm") == 0) {
			if (s_number(name, val, 1, LOAD_MAX_CLUSTERS, &v) == -1)
				return 64;
			o->per_dpm = (size_t)v;
		} else if (strcmp(name, "ramp") == 0) {
			if (s_number(name, val, 0, 600000, &v) == -1)
				return 64;
			o->ramp_ms = v;
		} else if (strcmp(name, "protocol") == 0) {
			if (s_number(name, val, 0, 1000, &v) == -1)
				return 64;
			s_protocol = (uint32_t)v;
		} else if (strcmp(name, "controller") == 0)
			o->endpoint = val;
		else if (strcmp(name, "controller-key") == 0)
			o->controller_key = val;
		else if (strcmp(name, "keys") == 0)
			o->keys_dir = val;
		else if (strcmp(name, "cluster") == 0)
			o->cluster = val;
		else if (strcmp(name, "prefix") == 0)
			o->prefix = val;
		else if (strcmp(name, "dpm-server") == 0)
			o->dpm_server = val;
		else if (strcmp(name, "report") == 0)
			o->report = val;
		else if (strcmp(name, "dsgroups-dir") == 0)
			o->dsgroups_dir = val;
		else {
			fprintf(stderr, "%s: unknown option --%s (see --help)\n",
			    LOAD_PROGRAM, name);
			return 64;
		}
	}
	if (o->nodes * o->clusters > LOAD_MAX_NODES) {
		fprintf(stderr, "%s: --nodes x --clusters: at most %d nodes\n",
		    LOAD_PROGRAM, LOAD_MAX_NODES);
		return 64;
	}
	if (!o->insecure && o->keys_dir == NULL) {
		fprintf(stderr, "%s: --keys DIR is required (or --insecure)\n",
		    LOAD_PROGRAM);
		return 64;
	}
	if (!o->insecure && !o->keygen_only && o->controller_key == NULL) {
		fprintf(stderr, "%s: --controller-key FILE is required (or "
		    "--insecure)\n", LOAD_PROGRAM);
		return 64;
	}
	return 0;
}

/* ---- start and stop ---- */

static int
s_start(s_load *l)
{
	l->zctx = zmq_ctx_new();
	if (l->zctx == NULL) {
		log_warnx("zmq_ctx_new: %s", zmq_strerror(errno));
		return -1;
	}
	if (zmq_ctx_set(l->zctx, ZMQ_IO_THREADS, 1) == -1 ||
	    zmq_ctx_set(l->zctx, ZMQ_MAX_SOCKETS, (int)l->n + 64) == -1) {
		log_warnx("zmq_ctx_set: %s", zmq_strerror(errno));
		return -1;
	}
	/* Every sim's socket, and the writer's. */
	if ((l->epoll = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warnx("epoll_create1: %s", strerror(errno));
		return -1;
	}
	if (l->o.dsgroups_dir && l->o.dpm_server && (s_writer_start(l) == -1 ||
	    s_watch(l, l->jobs, S_JOBS_TAG) == -1))
		return -1;
	log_info("%zu simulated nodes (%zu cluster(s) of %zu%s%s) -> %s, %s",
	    l->n, l->o.clusters, l->o.nodes, l->o.dpm_server ? " and " : "",
	    l->o.dpm_server ? l->o.dpm_server : "", l->o.endpoint,
	    l->o.insecure ? "INSECURE: plain text, no authentication" : "CURVE");
	return 0;
}

static void
s_stop(s_load *l)
{
	log_info("stopping: %" PRIu64 " desired received, %" PRIu64 " acks and %"
	    PRIu64 " heartbeats sent, %zu/%zu nodes welcomed", l->desired_seen,
	    l->acks_sent, l->heartbeats_sent, l->welcomed, l->n);
	s_writer_stop(l);
	s_sims_free(l);
	if (l->epoll != -1)
		close(l->epoll);
	if (l->zctx)
		zmq_ctx_term(l->zctx);
}

int
main(int argc, char **argv)
{
	s_load l;
	int rc;

	if (version_option(LOAD_PROGRAM, argc, argv))
		return 0;
	memset(&l, 0, sizeof l);
	l.epoll = -1;
	if ((rc = s_parse(argc, argv, &l.o)) != 0)
		return rc == 1 ? 0 : rc;
	log_init(LOAD_PROGRAM, l.o.verbose);
	l.rng = (uint64_t)platform_now_ms() ^ ((uint64_t)platform_pid() << 32);
	platform_signals_install(&l.sig);
	if (s_sims_new(&l) == -1) {
		s_sims_free(&l);
		return 1;
	}
	if (l.o.keygen_only) {
		log_info("%zu key pairs in %s", l.n, l.o.keys_dir);
		s_sims_free(&l);
		return 0;
	}
	if (s_start(&l) == -1) {
		s_stop(&l);
		return 1;
	}
	s_loop(&l);
	s_stop(&l);
	return 0;
}
