/*
 * once.c: `hvpolicy-node --once` (once.h). Loads the policy and the host
 * file, picks the role (the host file's, or --role), on a dpm-server with
 * --inventory builds the serialization plan from the nodes' host files,
 * runs one engine pass over the sim backend and prints the records as
 * text lines or a JSON array.
 */
#include "once.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner.h"
#include "diag.h"
#include "drift.h"
#include "engine.h"
#include "evidence.h"
#include "host.h"
#include "hostfile.h"
#include "json.h"
#include "policy.h"
#include "reconcile.h"
#include "strbuf.h"
#include "textsafe.h"
#include "xalloc.h"

#define AGENT_LOG_TAIL (256u * 1024)

typedef struct once_args {
	const char *policy;
	const char *host_file;
	const char *role;
	const char *format;
	const char *backend;	/* sim (default) | windows */
	bool dry_run;
	const char **inventory;
	size_t ninventory;
} once_args;

/* What --once works on, freed in one place. */
typedef struct once_ctx {
	once_args a;
	policy *pol;
	host_state *host;	/* as loaded, for role and cluster */
	host_role role;
	bool json;
	plan *plan;
	planner_result pr;
	host_state **inv;
	size_t ninv;
	host_backend *b;
	FILE *out;
	FILE *err;
} once_ctx;

void
once_usage(FILE *f)
{
	fprintf(f,
	    "usage: hvpolicy-node --once --policy FILE --host-file FILE\n"
	    "                     [--role hyperv-node|dpm-server] [--dry-run]\n"
	    "                     [--format text|json] [--inventory FILE...]\n"
	    "       hvpolicy-node --once --policy FILE --backend windows\n"
	    "                     --role hyperv-node|dpm-server [--dry-run]\n"
	    "                     [--format text|json]\n"
	    "Applies the policy to the host once (a simulated host file, or\n"
	    "with --backend windows the real Windows host) and prints\n"
	    "what changed. Exit: 0 complied, 2 changed (or would), 1 failure,\n"
	    "64 usage error.\n");
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL when the
 * argument is not --name. *missing set when the value is missing. */
static const char *
s_opt(int argc, char **argv, int *i, const char *name, bool *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static void
s_add_inventory(once_args *a, const char *file)
{
	a->inventory = xrealloc(a->inventory,
	    (a->ninventory + 1) * sizeof *a->inventory);
	a->inventory[a->ninventory++] = file;
}

static bool
s_windows(const once_args *a)
{
	return a->backend != NULL && strcmp(a->backend, "windows") == 0;
}

/* Returns -1 on a usage error (reported), 1 for --help, 0 otherwise. */
static int
s_parse_args(int argc, char **argv, once_args *a, FILE *out, FILE *err)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;
		bool missing = false;

		if (strcmp(arg, "--once") == 0)
			continue;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			once_usage(out);
			return 1;
		}
		if (strcmp(arg, "--dry-run") == 0) {
			a->dry_run = true;
			continue;
		}
		if (strncmp(arg, "--inventory=", 12) == 0) {
			s_add_inventory(a, arg + 12);
			continue;
		}
		if (strcmp(arg, "--inventory") == 0) {
			size_t before = a->ninventory;

			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0)
				s_add_inventory(a, argv[++i]);
			if (a->ninventory == before) {
				fprintf(err, "hvpolicy-node: --inventory needs "
				    "at least one host file\n");
				return -1;
			}
			continue;
		}
		if ((v = s_opt(argc, argv, &i, "--policy", &missing)) != NULL)
			a->policy = v;
		else if ((v = s_opt(argc, argv, &i, "--host-file", &missing)))
			a->host_file = v;
		else if ((v = s_opt(argc, argv, &i, "--role", &missing)))
			a->role = v;
		else if ((v = s_opt(argc, argv, &i, "--format", &missing)))
			a->format = v;
		else if ((v = s_opt(argc, argv, &i, "--backend", &missing)))
			a->backend = v;
		else if (missing) {
			fprintf(err, "hvpolicy-node: %s needs a value\n", arg);
			return -1;
		} else {
			fprintf(err, "hvpolicy-node: unknown argument '%s'\n",
			    arg);
			return -1;
		}
	}
	if (a->backend != NULL && strcmp(a->backend, "sim") != 0 &&
	    strcmp(a->backend, "windows") != 0) {
		fprintf(err, "hvpolicy-node: --backend must be sim or windows, "
		    "not '%s'\n", a->backend);
		return -1;
	}
	if (s_windows(a)) {
		if (a->policy == NULL || a->role == NULL || a->host_file != NULL) {
			fprintf(err, "hvpolicy-node: --once --backend windows needs "
			    "--policy FILE and --role ROLE (and no --host-file)\n");
			return -1;
		}
	} else if (a->policy == NULL || a->host_file == NULL) {
		fprintf(err, "hvpolicy-node: --once needs --policy FILE and "
		    "--host-file FILE\n");
		return -1;
	}
	if (a->format != NULL && strcmp(a->format, "text") != 0 &&
	    strcmp(a->format, "json") != 0) {
		fprintf(err, "hvpolicy-node: --format must be text or json, "
		    "not '%s'\n", a->format);
		return -1;
	}
	return 0;
}

static int
s_role_from_name(const char *name)
{
	for (int i = 0; i <= ROLE_DPM_SERVER; i++)
		if (strcmp(HOST_ROLE_NAMES[i], name) == 0)
			return i;
	return -1;
}

static void
s_ctx_release(once_ctx *c)
{
	free(c->a.inventory);
	policy_free(&c->pol);
	host_state_free(&c->host);
	plan_free(&c->plan);
	planner_result_clear(&c->pr);
	for (size_t i = 0; i < c->ninv; i++)
		host_state_free(&c->inv[i]);
	free(c->inv);
	host_backend_free(&c->b);
}

static host_state *
s_load_host(once_ctx *c, const char *path)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_load(path, &d);
	if (h == NULL) {
		diag_sort(&d);
		diag_print(&d, c->err);
	}
	diag_list_release(&d);
	return h;
}

/* The real host: its backend, and one observation for node and cluster
 * (a host that reports no cluster, such as a DPM server, is not checked). */
static int
s_open_windows(once_ctx *c)
{
	host_role role = (host_role)s_role_from_name(c->a.role);
	char *err = NULL;

	if ((c->b = backend_windows_new(role, c->pol->cluster, &err)) == NULL) {
		fprintf(c->err, "hvpolicy-node: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	backend_windows_track(c->b, c->pol);
	if (c->b->ops->observe(c->b, &c->host, &err) == -1) {
		fprintf(c->err, "hvpolicy-node: %s\n", err ? err : "?");
		free(err);
		return -1;
	}
	if (c->host->cluster && c->pol->cluster &&
	    strcasecmp(c->host->cluster, c->pol->cluster) != 0) {
		fprintf(c->err, "hvpolicy-node: host %s is in cluster %s, the "
		    "policy is for cluster %s\n", c->host->node ? c->host->node :
		    "?", c->host->cluster, c->pol->cluster);
		return -1;
	}
	return 0;
}

static int
s_load_inputs(once_ctx *c)
{
	diag_list d;

	diag_list_init(&d);
	c->pol = policy_load(c->a.policy, &d);
	if (c->pol == NULL) {
		diag_sort(&d);
		diag_print(&d, c->err);
		diag_list_release(&d);
		return -1;
	}
	diag_list_release(&d);
	if (s_windows(&c->a))
		return s_open_windows(c);
	if ((c->host = s_load_host(c, c->a.host_file)) == NULL)
		return -1;
	if (c->host->cluster == NULL || c->pol->cluster == NULL ||
	    strcasecmp(c->host->cluster, c->pol->cluster) != 0) {
		fprintf(c->err, "hvpolicy-node: %s: host %s is in cluster %s, "
		    "the policy is for cluster %s\n", c->a.host_file,
		    c->host->node ? c->host->node : "?",
		    c->host->cluster ? c->host->cluster : "?",
		    c->pol->cluster ? c->pol->cluster : "?");
		return -1;
	}
	return 0;
}

/* Writes data made safe to show (common/textsafe.h): names and values
 * from a host file never reach the terminal raw. */
static void
s_put(once_ctx *c, const char *data)
{
	strbuf sb;

	strbuf_init(&sb);
	textsafe_add(&sb, data);
	fputs(sb.data, c->out);
	strbuf_release(&sb);
}

/* Prints a line that is information, not a change (text mode only). */
static void
s_note(once_ctx *c, const char *line)
{
	if (c->json)
		return;
	fputs("note: ", c->out);
	s_put(c, line);
	fputc('\n', c->out);
}

static void
s_note_plan(once_ctx *c, size_t nguests)
{
	size_t planned = 0;
	char *line;

	for (size_t i = 0; i < c->plan->ngroups; i++)
		planned += c->plan->groups[i].nguests;
	line = xasprintf("serialization plan from %zu host file%s: %zu "
	    "guest%s, %zu planned in %zu group%s, %zu not planned",
	    c->ninv, c->ninv == 1 ? "" : "s", nguests,
	    nguests == 1 ? "" : "s", planned, c->plan->ngroups,
	    c->plan->ngroups == 1 ? "" : "s", c->plan->nunplanned);
	s_note(c, line);
	free(line);
}

/* Feeds the guests of every --inventory host file to the planner. */
static int
s_build_plan(once_ctx *c)
{
	planner_guest *g = NULL;
	size_t ng = 0, cap = 0;

	c->inv = xcalloc(c->a.ninventory, sizeof *c->inv);
	for (size_t i = 0; i < c->a.ninventory; i++) {
		host_state *h = s_load_host(c, c->a.inventory[i]);

		if (h == NULL)
			goto fail;
		c->inv[c->ninv++] = h;
		if (h->cluster == NULL ||
		    strcasecmp(h->cluster, c->pol->cluster) != 0) {
			fprintf(c->err, "hvpolicy-node: %s: host %s is in "
			    "cluster %s, the policy is for cluster %s\n",
			    c->a.inventory[i], h->node ? h->node : "?",
			    h->cluster ? h->cluster : "?", c->pol->cluster);
			goto fail;
		}
		for (size_t j = 0; j < h->nguests; j++) {
			const host_guest *hg = &h->guests[j];

			xgrow(&g, &cap, ng + 1, sizeof *g);
			g[ng].name = hg->name;
			g[ng].id = hg->id;
			g[ng].node = h->node;
			g[ng].paths = (const char *const *)hg->paths;
			g[ng].npaths = hg->npaths;
			ng++;
		}
	}
	memset(&c->pr, 0, sizeof c->pr);
	if (planner_build(g, ng, NULL, &c->pr) != 0) {
		fprintf(c->err, "hvpolicy-node: cannot build the serialization "
		    "plan\n");
		goto fail;
	}
	free(g);
	c->plan = c->pr.plan;
	c->pr.plan = NULL;
	s_note_plan(c, ng);
	for (size_t i = 0; i < c->plan->nunplanned; i++) {
		const plan_unplanned *u = &c->plan->unplanned[i];
		char *line = xasprintf("guest %s (%s) on %s is not in the "
		    "serialization plan: %s", u->name ? u->name : "?",
		    u->id ? u->id : "?", u->node ? u->node : "?",
		    u->reason ? u->reason : "?");

		s_note(c, line);
		free(line);
	}
	return 0;
fail:
	free(g);
	return -1;
}

/* Decides what the serialization plan is; -1 on an error (reported),
 * 1 on a usage error (reported). */
static int
s_plan(once_ctx *c)
{
	if (c->a.ninventory == 0) {
		if (c->role == ROLE_DPM_SERVER &&
		    c->pol->strategy == STRATEGY_SYSTEM_SOFTWARE &&
		    c->pol->per_csv)
			s_note(c, RECONCILE_FILE_RESOURCE " is not managed "
			    "without --inventory (the nodes' host files)");
		return 0;
	}
	if (c->role != ROLE_DPM_SERVER) {
		fprintf(c->err, "hvpolicy-node: --inventory is for a dpm-server "
		    "host; %s is a %s\n", c->a.host_file,
		    HOST_ROLE_NAMES[c->role]);
		return 1;
	}
	if (c->pol->strategy != STRATEGY_SYSTEM_SOFTWARE || !c->pol->per_csv) {
		fprintf(c->err, "hvpolicy-node: the policy does not serialize "
		    "per CSV (system-software with perCsv); --inventory "
		    "ignored\n");
		return 0;
	}
	return s_build_plan(c);
}

/* Which provider took the last snapshot, from the DPM agent log. */
static void
s_print_evidence(once_ctx *c)
{
	char *data = NULL, *err = NULL, *line;
	size_t len = 0;
	evidence_snapshot snap;

	if (c->json || c->b->ops->read_agent_log(c->b, AGENT_LOG_TAIL, &data,
	    &len, &err) != 0) {
		free(err);
		return;
	}
	if (data == NULL)
		return;
	memset(&snap, 0, sizeof snap);
	if (evidence_last_snapshot(data, len, &snap, &err) == 1) {
		const host_provider *p = NULL;

		for (size_t i = 0; i < c->host->nproviders && p == NULL; i++)
			if (c->host->providers[i].id &&
			    strcasecmp(c->host->providers[i].id,
			    snap.provider_id) == 0)
				p = &c->host->providers[i];
		if (p != NULL)
			line = xasprintf("last snapshot on %s was taken by %s "
			    "%s (%s provider, %s)", c->host->node,
			    p->name ? p->name : "provider", p->id,
			    PROVIDER_TYPE_NAMES[p->type], p->autorecovery ?
			    "supports autorecovery" : "no autorecovery");
		else
			line = xasprintf("last snapshot on %s was taken by "
			    "provider %s (%s provider, not in the host's "
			    "provider list)", c->host->node, snap.provider_id,
			    snap.hardware ? "hardware" : "system or software");
		s_note(c, line);
		free(line);
	}
	evidence_snapshot_clear(&snap);
	free(err);
	free(data);
}

static const char *
s_or_absent(const char *s)
{
	return s ? s : "absent";
}

static void
s_print_text(once_ctx *c, const engine_result *r)
{
	if (r->nrecords == 0) {
		fputs("host ", c->out);
		s_put(c, c->host->node);
		fputs(" complies with policy ", c->out);
		s_put(c, c->pol->name);
		fputc('\n', c->out);
		return;
	}
	for (size_t i = 0; i < r->nrecords; i++) {
		const drift_record *d = &r->records[i];

		s_put(c, d->resource);
		fputs(": ", c->out);
		s_put(c, s_or_absent(d->actual));
		fputs(" -> ", c->out);
		s_put(c, s_or_absent(d->expected));
		fputc(' ', c->out);
		switch (d->status) {
		case DRIFT_CORRECTED:
			fprintf(c->out, "(corrected)\n");
			break;
		case DRIFT_FAILED:
			fputs("(failed: ", c->out);
			s_put(c, d->error ? d->error : "?");
			fputs(")\n", c->out);
			break;
		default:
			if (r->mode == POLICY_AUDIT)
				fprintf(c->out, "(open: audit mode)\n");
			else
				fprintf(c->out, "(would change)\n");
			break;
		}
	}
}

static void
s_print_json(once_ctx *c, const engine_result *r)
{
	strbuf sb;
	jsonw j;

	strbuf_init(&sb);
	jsonw_init(&j, &sb, true);
	jsonw_begin_array(&j);
	for (size_t i = 0; i < r->nrecords; i++)
		drift_record_json(&r->records[i], &j);
	jsonw_end_array(&j);
	fprintf(c->out, "%s\n", sb.data);
	strbuf_release(&sb);
}

static int
s_run(once_ctx *c)
{
	engine_options o;
	engine_part part;
	engine_result r;
	char *err = NULL;
	int rc;

	if (c->b == NULL && (c->b = backend_sim_new(c->a.host_file, &err)) == NULL) {
		fprintf(c->err, "hvpolicy-node: %s\n", err ? err : "?");
		free(err);
		return ONCE_EXIT_FAILURE;
	}
	memset(&o, 0, sizeof o);
	o.dry_run = c->a.dry_run;
	/* A DPM server of several clusters: the policy's cluster is one
	 * part, its groups named as the daemon names them (parts.h). */
	if (c->host && c->host->nclusters > 0) {
		part = (engine_part){ .cluster = c->pol->cluster,
		    .policy = c->pol, .plan = c->plan };
		o.parts = &part;
		o.nparts = 1;
	}
	if (engine_run(c->b, c->pol, c->role, c->plan, &o, &r, &err) != 0) {
		fprintf(c->err, "hvpolicy-node: %s\n", err ? err : "?");
		free(err);
		return ONCE_EXIT_FAILURE;
	}
	s_print_evidence(c);
	if (c->json)
		s_print_json(c, &r);
	else
		s_print_text(c, &r);
	if (r.nfailed > 0)
		rc = ONCE_EXIT_FAILURE;
	else if (r.nrecords > 0)
		rc = ONCE_EXIT_CHANGED;
	else
		rc = ONCE_EXIT_COMPLIED;
	engine_result_release(&r);
	return rc;
}

int
once_main(int argc, char **argv, FILE *out, FILE *errout)
{
	once_ctx c;
	int rc, k;

	memset(&c, 0, sizeof c);
	c.out = out;
	c.err = errout;
	if ((k = s_parse_args(argc, argv, &c.a, out, errout)) != 0) {
		free(c.a.inventory);
		return k > 0 ? ONCE_EXIT_COMPLIED : ONCE_EXIT_USAGE;
	}
	c.json = c.a.format != NULL && strcmp(c.a.format, "json") == 0;
	if (c.a.role != NULL && s_role_from_name(c.a.role) < 0) {
		fprintf(errout, "hvpolicy-node: --role must be hyperv-node or "
		    "dpm-server, not '%s'\n", c.a.role);
		free(c.a.inventory);
		return ONCE_EXIT_USAGE;
	}
	if (s_load_inputs(&c) != 0) {
		s_ctx_release(&c);
		return ONCE_EXIT_FAILURE;
	}
	c.role = c.a.role ? (host_role)s_role_from_name(c.a.role) :
	    c.host->role;
	if (c.role == ROLE_DPM_SERVER && c.pol->dpm_server != NULL &&
	    strcasecmp(c.pol->dpm_server, c.host->node) != 0)
		fprintf(errout, "hvpolicy-node: warning: the policy names %s as "
		    "its dpm-server, this host is %s\n", c.pol->dpm_server,
		    c.host->node);
	k = s_plan(&c);
	if (k != 0) {
		s_ctx_release(&c);
		return k > 0 ? ONCE_EXIT_USAGE : ONCE_EXIT_FAILURE;
	}
	rc = s_run(&c);
	s_ctx_release(&c);
	return rc;
}
