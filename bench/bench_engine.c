/*
 * bench_engine.c: how long one reconcile pass (node/engine.c) takes over
 * the simulated host (node/backend_sim.c) for a host with 1,000 guests and
 * 500 registry values, under a system-software policy that also manages
 * 100 of those values (plus one absent value and one key). The host file
 * is written with hostfile_save in a scratch directory.
 *
 * Scenarios (each run is one engine_run, enforce mode, result released
 * inside the timed region):
 *   noop-untouched  nothing to do, the file left alone since the last pass
 *                   (the daemon's periodic re-check); the file is first
 *                   left alone for --settle-ms, longer than the window in
 *                   which backend_sim distrusts a fresh file stamp;
 *   noop-rewritten  nothing to do, the file replaced by identical bytes
 *                   before each run (a touch that changes nothing);
 *   noop-edited     nothing to do, but an unmanaged value was edited
 *                   before each run, so the file must be parsed again;
 *   correct         100 guests' VSS switched off and 50 managed values
 *                   wrong (random each run), written before each run:
 *                   the timed pass observes (stat, read, hash, parse,
 *                   copy), diffs, applies 150 corrections, commits
 *                   (re-read and hash check, render, temporary file,
 *                   fsync, rename, fsync dir) and makes the records.
 * Drift and rewrites are made before the clock starts. A component table
 * (read, hash, parse, dup, render, save) explains the figures.
 *
 * Prints median and p90 per scenario beside its goal; --json FILE also
 * writes them. Figures, not assertions: it exits 0 whatever it measures
 * (1 only when the setup itself fails).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "benchstat.h"
#include "diag.h"
#include "engine.h"
#include "host.h"
#include "hostfile.h"
#include "hoststate.h"
#include "json.h"
#include "log.h"
#include "platform.h"
#include "policy.h"
#include "strbuf.h"
#include "xalloc.h"

#define B_GUESTS	1000
#define B_KEYS		50
#define B_VALUES_PER_KEY 10	/* 500 values */
#define B_MANAGED	100	/* values the policy manages */
#define B_CSVS		8
#define B_DRIFT_GUESTS	100
#define B_DRIFT_VALUES	50
#define B_SETTLE_MS	3000	/* file left alone before noop-untouched */
#define B_KEY_FMT	"HKLM\\SOFTWARE\\Contoso\\App%02zu"

static const char *const SERVICES[] = {
	"VSS", "Heartbeat", "Shutdown", "TimeSync", "KvpExchange",
};
#define B_NSERVICES (sizeof SERVICES / sizeof SERVICES[0])

typedef struct bench {
	char dir[256];
	char *path;		/* DIR/host.yaml */
	host_state *good;	/* the compliant host */
	char *good_text;	/* it, rendered */
	size_t good_len;
	policy *policy;
	host_backend *b;
	uint64_t rnd;
} bench;

typedef struct figures {
	const char *name;
	const char *what;
	size_t runs;
	double median_ms, p90_ms, min_ms, max_ms;
	double goal_ms;		/* 0: no goal */
	size_t findings;	/* of the last run */
	size_t corrected;
} figures;

/* ---- statistics ---- */

static void
s_stats(figures *f, double *ms, size_t n)
{
	benchstat st;

	benchstat_compute(&st, ms, n);
	f->runs = st.runs;
	f->min_ms = st.min_ms;
	f->max_ms = st.max_ms;
	f->median_ms = st.median_ms;
	f->p90_ms = st.p90_ms;
}

/* ---- the host and the policy ---- */

static uint64_t
s_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
s_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_engine: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Value i (0..499): its key, name and data; `salt` != 0 gives other
 * data of the same type (drift). */
static void
s_value(size_t i, unsigned salt, char **key, char **name, reg_value *v)
{
	memset(v, 0, sizeof *v);
	*key = xasprintf(B_KEY_FMT, i / B_VALUES_PER_KEY);
	*name = xasprintf("Setting%03zu", i);
	switch (i % 6) {
	case 0:
		v->type = REG_T_DWORD;
		v->number = (i * 7 + salt) % 100000;
		break;
	case 1:
		v->type = REG_T_SZ;
		v->text = xasprintf("value-%zu-%u", i, salt);
		break;
	case 2:
		v->type = REG_T_QWORD;
		v->number = 0x100000000ULL + i * 13 + salt;
		break;
	case 3:
		v->type = REG_T_EXPAND_SZ;
		v->text = xasprintf("%%ProgramFiles%%\\Contoso\\%zu\\%u", i,
		    salt);
		break;
	case 4:
		v->type = REG_T_MULTI_SZ;
		v->list_len = 2;
		v->list = xcalloc(2, sizeof *v->list);
		v->list[0] = xasprintf("first-%zu", i);
		v->list[1] = xasprintf("second-%u", salt);
		break;
	default:
		v->type = REG_T_BINARY;
		v->text = xasprintf("%08zx%04x", i, salt & 0xffffu);
		break;
	}
}

static void
s_guest_id(uint64_t *rnd, size_t i, char out[37])
{
	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012zx",
	    (unsigned)(s_rnd(rnd) & 0xffffffffu),
	    (unsigned)(s_rnd(rnd) & 0xffff), (unsigned)(s_rnd(rnd) & 0xfff),
	    (unsigned)(s_rnd(rnd) & 0xfff), i);
}

static host_state *
s_host_make(uint64_t *rnd)
{
	host_state *h = host_state_new();
	host_service svc[B_NSERVICES];
	host_provider *p;

	h->node = xstrdup("HV01");
	h->cluster = xstrdup("HV-CLUSTER-01");
	h->role = ROLE_HYPERV_NODE;
	host_key_ensure(h, DPM_USE_SYSTEM_PROVIDER_KEY);
	host_key_ensure(h, "HKLM\\SOFTWARE\\Contoso\\Backup");
	for (size_t i = 0; i < B_KEYS * B_VALUES_PER_KEY; i++) {
		char *key, *name;
		reg_value v;

		s_value(i, 0, &key, &name, &v);
		host_value_set(h, key, name, &v);
		reg_value_clear(&v);
		free(key);
		free(name);
	}
	h->nproviders = 2;
	h->providers = xcalloc(2, sizeof *h->providers);
	p = &h->providers[0];
	p->id = xstrdup("{b5946137-7b9f-4925-af80-51abd60b20d5}");
	p->name = xstrdup("Microsoft Software Shadow Copy provider 1.0");
	p->type = PROVIDER_SYSTEM;
	p->version = xstrdup("1.0.0.7");
	p->autorecovery = true;
	p = &h->providers[1];
	p->id = xstrdup("{2f900f90-00e9-440e-873a-96ca5eb079e5}");
	p->name = xstrdup("Microsoft iSCSI Target VSS Hardware Provider");
	p->type = PROVIDER_HARDWARE;
	p->version = xstrdup("3.3.16544");
	p->autorecovery = false;
	h->ncsvs = B_CSVS;
	h->csvs = xcalloc(B_CSVS, sizeof *h->csvs);
	for (size_t i = 0; i < B_CSVS; i++)
		h->csvs[i] = xasprintf("Volume%zu", i + 1);
	for (size_t i = 0; i < B_NSERVICES; i++) {
		svc[i].name = (char *)SERVICES[i];
		svc[i].enabled = true;
	}
	for (size_t i = 0; i < B_GUESTS; i++) {
		host_guest g;
		char id[37], *name = xasprintf("VM%04zu", i + 1);
		size_t csv = (size_t)(s_rnd(rnd) % B_CSVS) + 1;
		char *paths[2];

		s_guest_id(rnd, i, id);
		paths[0] = xasprintf("C:\\ClusterStorage\\Volume%zu\\%s\\%s.vmcx",
		    csv, name, name);
		paths[1] = xasprintf("C:\\ClusterStorage\\Volume%zu\\%s\\"
		    "disk0.vhdx", csv, name);
		memset(&g, 0, sizeof g);
		g.name = name;
		g.id = id;
		g.state = GUEST_RUNNING;
		g.services = svc;
		g.nservices = B_NSERVICES;
		g.paths = paths;
		g.npaths = 2;
		host_guest_add(h, &g);
		free(paths[0]);
		free(paths[1]);
		free(name);
	}
	return h;
}

static void
s_yaml_value(strbuf *sb, const reg_value *v)
{
	switch (v->type) {
	case REG_T_DWORD:
	case REG_T_QWORD:
		strbuf_addf(sb, "%llu", (unsigned long long)v->number);
		break;
	case REG_T_MULTI_SZ:
		strbuf_addstr(sb, "[");
		for (size_t k = 0; k < v->list_len; k++)
			strbuf_addf(sb, "%s'%s'", k ? ", " : "", v->list[k]);
		strbuf_addstr(sb, "]");
		break;
	default:
		strbuf_addf(sb, "'%s'", v->text);
		break;
	}
}

/* Values 0, 5, 10, ... are managed: every type, every key. */
static size_t
s_managed(size_t k)
{
	return k * (B_KEYS * B_VALUES_PER_KEY / B_MANAGED);
}

static char *
s_policy_text(void)
{
	strbuf sb;

	strbuf_init(&sb);
	strbuf_addstr(&sb,
	    "apiVersion: hvpolicy/v1\n"
	    "kind: ClusterPolicy\n"
	    "metadata:\n"
	    "  name: bench-engine\n"
	    "spec:\n"
	    "  cluster: HV-CLUSTER-01\n"
	    "  mode: enforce\n"
	    "  strategy: system-software\n"
	    "  serialization:\n"
	    "    dpmServer: DPM01\n"
	    "  guests:\n"
	    "    include: ['*']\n"
	    "    exclude: ['TEMPLATE-*']\n"
	    "  registry:\n"
	    "    - key: 'HKLM\\SOFTWARE\\Contoso\\Backup'\n"
	    "    - key: 'HKLM\\SOFTWARE\\Contoso\\App00'\n"
	    "      value: Obsolete\n"
	    "      ensure: absent\n");
	for (size_t k = 0; k < B_MANAGED; k++) {
		char *key, *name;
		reg_value v;

		s_value(s_managed(k), 0, &key, &name, &v);
		strbuf_addf(&sb, "    - key: '%s'\n      value: %s\n"
		    "      type: %s\n      data: ", key, name,
		    reg_type_name(v.type));
		s_yaml_value(&sb, &v);
		strbuf_addch(&sb, '\n');
		reg_value_clear(&v);
		free(key);
		free(name);
	}
	return strbuf_detach(&sb, NULL);
}

static void
s_replace(const char *path, const char *data, size_t len)
{
	char *err = NULL;

	if (platform_replace_file(path, data, len, false, &err) != 0)
		s_die("%s", err);
}

/* Writes the host with one unmanaged value changed (salt). */
static void
s_write_edited(bench *be, unsigned salt)
{
	host_state *h = host_state_dup(be->good);
	char *err = NULL, *key, *name;
	reg_value v;

	/* Value 1 is not managed (managed ones are multiples of 5). */
	s_value(1, salt, &key, &name, &v);
	host_value_set(h, key, name, &v);
	if (hostfile_save(h, be->path, &err) != 0)
		s_die("%s", err);
	reg_value_clear(&v);
	free(key);
	free(name);
	host_state_free(&h);
}

/* Writes the host with 100 random guests' VSS off and 50 random managed
 * values wrong. */
static void
s_write_drift(bench *be, unsigned salt)
{
	host_state *h = host_state_dup(be->good);
	bool guest_hit[B_GUESTS] = { false }, value_hit[B_MANAGED] = { false };
	char *err = NULL;

	for (size_t n = 0; n < B_DRIFT_GUESTS;) {
		size_t i = (size_t)(s_rnd(&be->rnd) % B_GUESTS);

		if (guest_hit[i])
			continue;
		guest_hit[i] = true;
		host_guest_set_service(&h->guests[i], "VSS", false);
		n++;
	}
	for (size_t n = 0; n < B_DRIFT_VALUES;) {
		size_t k = (size_t)(s_rnd(&be->rnd) % B_MANAGED);
		char *key, *name;
		reg_value v;

		if (value_hit[k])
			continue;
		value_hit[k] = true;
		s_value(s_managed(k), salt, &key, &name, &v);
		host_value_set(h, key, name, &v);
		reg_value_clear(&v);
		free(key);
		free(name);
		n++;
	}
	if (hostfile_save(h, be->path, &err) != 0)
		s_die("%s", err);
	host_state_free(&h);
}

/* ---- one pass ---- */

/* One enforce pass, timed with its result released; fills f's counts. */
static double
s_pass(bench *be, figures *f)
{
	engine_options o;
	engine_result r;
	char *err = NULL;
	double t0, t1;

	memset(&o, 0, sizeof o);
	o.now = 1800000000;
	t0 = benchstat_now_ms();
	if (engine_run(be->b, be->policy, ROLE_HYPERV_NODE, NULL, &o, &r,
	    &err) != 0)
		s_die("engine_run: %s", err);
	f->findings = r.nrecords;
	f->corrected = r.ncorrected;
	if (r.nfailed > 0)
		s_die("pass failed: %s", r.records[0].error ?
		    r.records[0].error : "?");
	engine_result_release(&r);
	t1 = benchstat_now_ms();
	return t1 - t0;
}

typedef enum prep { PREP_NONE, PREP_REWRITE, PREP_EDIT, PREP_DRIFT } prep;

static void
s_prepare(bench *be, prep p, unsigned salt)
{
	switch (p) {
	case PREP_NONE:
		break;
	case PREP_REWRITE:
		s_replace(be->path, be->good_text, be->good_len);
		break;
	case PREP_EDIT:
		s_write_edited(be, salt);
		break;
	case PREP_DRIFT:
		s_write_drift(be, salt);
		break;
	}
}

static void
s_scenario(bench *be, figures *f, prep p, size_t runs, size_t expect)
{
	double *ms = xcalloc(runs, sizeof *ms);

	/* Warm-up: one untimed pass in the same conditions. */
	s_prepare(be, p, 1);
	(void)s_pass(be, f);
	for (size_t r = 0; r < runs; r++) {
		s_prepare(be, p, (unsigned)r + 2);
		ms[r] = s_pass(be, f);
		if (f->findings != expect)
			s_die("%s: %zu findings, expected %zu", f->name,
			    f->findings, expect);
	}
	s_stats(f, ms, runs);
	free(ms);
}

/* ---- components ---- */

typedef struct component {
	const char *name;
	double median_ms;
} component;

static void
s_components(bench *be, component *c, size_t *nc, size_t runs)
{
	double *ms[6];
	diag_list d;

	for (size_t k = 0; k < 6; k++)
		ms[k] = xcalloc(runs, sizeof *ms[k]);
	s_replace(be->path, be->good_text, be->good_len);
	for (size_t r = 0; r < runs; r++) {
		unsigned char hash[crypto_generichash_BYTES];
		char *data = NULL, *err = NULL;
		size_t len = 0;
		host_state *h, *dup;
		strbuf sb;
		double t[7];

		t[0] = benchstat_now_ms();
		if (platform_read_file(be->path, PLATFORM_MAX_FILE, &data, &len,
		    &err) != 0)
			s_die("%s", err);
		t[1] = benchstat_now_ms();
		crypto_generichash(hash, sizeof hash,
		    (const unsigned char *)data, len, NULL, 0);
		t[2] = benchstat_now_ms();
		diag_list_init(&d);
		h = hostfile_parse(be->path, data, len, &d);
		t[3] = benchstat_now_ms();
		if (h == NULL)
			s_die("the host file does not parse");
		diag_list_release(&d);
		dup = host_state_dup(h);
		t[4] = benchstat_now_ms();
		strbuf_init(&sb);
		if (hostfile_render(dup, &sb) != 0)
			s_die("render failed");
		t[5] = benchstat_now_ms();
		s_replace(be->path, sb.data, sb.len);
		t[6] = benchstat_now_ms();
		for (size_t k = 0; k < 6; k++)
			ms[k][r] = t[k + 1] - t[k];
		strbuf_release(&sb);
		host_state_free(&dup);
		host_state_free(&h);
		free(data);
	}
	{
		static const char *const names[6] = {
			"read file", "BLAKE2b hash", "parse", "host_state_dup",
			"render", "save (tmp+fsync+rename)",
		};

		for (size_t k = 0; k < 6; k++) {
			figures f;

			s_stats(&f, ms[k], runs);
			c[k].name = names[k];
			c[k].median_ms = f.median_ms;
			free(ms[k]);
		}
		*nc = 6;
	}
}

/* ---- setup and output ---- */

static void
s_setup(bench *be)
{
	char *err = NULL, *text;
	const char *tmp = getenv("TMPDIR");
	diag_list d;
	strbuf sb;

	memset(be, 0, sizeof *be);
	be->rnd = 0xbe7c4e1;
	snprintf(be->dir, sizeof be->dir, "%s/hvp-bench-engine-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(be->dir) == NULL)
		s_die("cannot create a directory under %s", tmp ? tmp : "/tmp");
	be->path = platform_path_join(be->dir, "host.yaml");
	be->good = s_host_make(&be->rnd);
	if (hostfile_save(be->good, be->path, &err) != 0)
		s_die("%s", err);
	strbuf_init(&sb);
	if (hostfile_render(be->good, &sb) != 0)
		s_die("render failed");
	be->good_len = sb.len;
	be->good_text = strbuf_detach(&sb, NULL);
	text = s_policy_text();
	diag_list_init(&d);
	be->policy = policy_parse("bench-policy.yaml", text, strlen(text), &d);
	if (be->policy == NULL) {
		diag_sort(&d);
		diag_print(&d, stderr);
		s_die("the benchmark's policy does not parse");
	}
	diag_list_release(&d);
	free(text);
	be->b = backend_sim_new(be->path, &err);
	if (be->b == NULL)
		s_die("%s", err);
}

static void
s_teardown(bench *be)
{
	char *err = NULL;

	host_backend_free(&be->b);
	policy_free(&be->policy);
	host_state_free(&be->good);
	free(be->good_text);
	if (platform_remove_file(be->path, &err) != 0) {
		fprintf(stderr, "bench_engine: %s\n", err);
		free(err);
	}
	/* The directory is empty now (replace leaves no temporary file). */
	if (remove(be->dir) != 0)
		fprintf(stderr, "bench_engine: cannot remove %s\n", be->dir);
	free(be->path);
}

static void
s_json_figures(jsonw *j, const figures *f)
{
	jsonw_begin_object(j);
	jsonw_kv_str(j, "name", f->name);
	jsonw_kv_str(j, "what", f->what);
	jsonw_kv_int(j, "runs", (int64_t)f->runs);
	jsonw_kv_int(j, "findings", (int64_t)f->findings);
	jsonw_kv_int(j, "corrected", (int64_t)f->corrected);
	jsonw_kv_int(j, "medianUs", (int64_t)(f->median_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "p90Us", (int64_t)(f->p90_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "minUs", (int64_t)(f->min_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "maxUs", (int64_t)(f->max_ms * 1000.0 + 0.5));
	if (f->goal_ms > 0) {
		jsonw_kv_int(j, "goalMs", (int64_t)f->goal_ms);
		jsonw_kv_bool(j, "withinGoal", f->p90_ms <= f->goal_ms);
	} else {
		jsonw_key(j, "goalMs");
		jsonw_null(j);
	}
	jsonw_end_object(j);
}

static int
s_usage(void)
{
	fprintf(stderr, "usage: bench_engine [--runs N] [--settle-ms MS] "
	    "[--json FILE]\n");
	return 64;
}

static int
s_num_arg(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *json_path = NULL;
	long runs = 31, settle = B_SETTLE_MS;
	figures f[4];
	component comp[6];
	size_t ncomp = 0;
	bench be;
	int rc;
	strbuf out;
	jsonw j;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			if (s_num_arg(argv[++i], 1, 10000, &runs) == -1)
				return s_usage();
		} else if (strcmp(argv[i], "--settle-ms") == 0 && i + 1 < argc) {
			if (s_num_arg(argv[++i], 0, 60000, &settle) == -1)
				return s_usage();
		} else
			return s_usage();
	}
	if (sodium_init() < 0)
		s_die("cannot initialise libsodium");
	log_init("bench_engine", false);
	s_setup(&be);
	memset(f, 0, sizeof f);
	f[0] = (figures){ .name = "noop-untouched", .goal_ms = 5,
	    .what = "nothing to do; file unchanged since the last pass" };
	f[1] = (figures){ .name = "noop-rewritten", .goal_ms = 5,
	    .what = "nothing to do; file replaced by identical bytes" };
	f[2] = (figures){ .name = "noop-edited", .goal_ms = 0,
	    .what = "nothing to do; an unmanaged value edited (parse needed)" };
	f[3] = (figures){ .name = "correct", .goal_ms = 50,
	    .what = "parse + diff + correct 150 findings + write" };

	s_scenario(&be, &f[1], PREP_REWRITE, (size_t)runs, 0);
	s_scenario(&be, &f[2], PREP_EDIT, (size_t)runs, 0);
	s_scenario(&be, &f[3], PREP_DRIFT, (size_t)runs,
	    B_DRIFT_GUESTS + B_DRIFT_VALUES);
	/* Leave the file alone, then re-check it as the daemon does. */
	s_replace(be.path, be.good_text, be.good_len);
	platform_sleep_ms(settle);
	s_scenario(&be, &f[0], PREP_NONE, (size_t)runs, 0);
	s_components(&be, comp, &ncomp, (size_t)runs);

	printf("host: %d guests, %d registry values in %d keys, %zu-byte "
	    "host file; policy manages %d values + 1 absent value + 1 key\n",
	    B_GUESTS, B_KEYS * B_VALUES_PER_KEY, B_KEYS, be.good_len,
	    B_MANAGED);
	printf("%-15s %10s %8s %8s %8s %8s  %-11s %s\n", "scenario",
	    "median ms", "p90 ms", "min ms", "max ms", "goal ms", "within goal",
	    "what");
	for (size_t k = 0; k < 4; k++) {
		char goal[16];

		if (f[k].goal_ms > 0)
			snprintf(goal, sizeof goal, "< %.0f", f[k].goal_ms);
		else
			snprintf(goal, sizeof goal, "-");
		printf("%-15s %10.3f %8.3f %8.3f %8.3f %8s  %-11s %s\n",
		    f[k].name, f[k].median_ms, f[k].p90_ms, f[k].min_ms,
		    f[k].max_ms, goal, f[k].goal_ms <= 0 ? "-" :
		    f[k].p90_ms <= f[k].goal_ms ? "yes" : "NO", f[k].what);
	}
	printf("(%ld runs per scenario after one warm-up; 'within goal' "
	    "judges p90; drift and rewrites are made before the clock "
	    "starts)\n\ncomponents (median of %ld):\n", runs, runs);
	for (size_t k = 0; k < ncomp; k++)
		printf("  %-25s %8.3f ms\n", comp[k].name, comp[k].median_ms);

	strbuf_init(&out);
	jsonw_init(&j, &out, true);
	jsonw_begin_object(&j);
	jsonw_kv_str(&j, "benchmark", "engine_run over the sim backend");
	jsonw_kv_int(&j, "guests", B_GUESTS);
	jsonw_kv_int(&j, "registryValues", B_KEYS * B_VALUES_PER_KEY);
	jsonw_kv_int(&j, "managedValues", B_MANAGED);
	jsonw_kv_int(&j, "hostFileBytes", (int64_t)be.good_len);
	jsonw_key(&j, "scenarios");
	jsonw_begin_array(&j);
	for (size_t k = 0; k < 4; k++)
		s_json_figures(&j, &f[k]);
	jsonw_end_array(&j);
	jsonw_key(&j, "componentsMedianUs");
	jsonw_begin_object(&j);
	for (size_t k = 0; k < ncomp; k++)
		jsonw_kv_int(&j, comp[k].name,
		    (int64_t)(comp[k].median_ms * 1000.0 + 0.5));
	jsonw_end_object(&j);
	jsonw_end_object(&j);
	strbuf_addch(&out, '\n');
	s_teardown(&be);
	rc = benchstat_write_json("bench_engine", json_path, &out);
	strbuf_release(&out);
	return rc;
}
