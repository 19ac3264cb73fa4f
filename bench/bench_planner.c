/*
 * bench_planner.c: how long planner_build() (common/planner.c) takes
 * on random clusters the size of real ones: 8,000 guests over 64 CSVs and
 * 50,000 guests over 500 CSVs, about one guest in ten spanning two CSVs.
 * Prints the median, fastest and slowest run per scenario beside its goal;
 * --json FILE also writes the figures. Figures, not assertions: it exits
 * 0 whatever it measures.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchstat.h"
#include "json.h"
#include "plan.h"
#include "planner.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

#define BENCH_MIN_WINDOW_MS	50	/* each sample times at least this */
#define BENCH_MAX_BATCH		4096

typedef struct scenario {
	const char *name;
	size_t guests;
	size_t csvs;
	size_t nodes;
	int64_t goal_ms;
} scenario;

static const scenario SCENARIOS[] = {
	{ "8k-guests-64-csvs", 8000, 64, 16, 10 },
	{ "50k-guests-500-csvs", 50000, 500, 64, 100 },
};

typedef struct inventory {
	planner_guest *guests;
	size_t n;
	size_t spanning;
	char **strs;
	size_t nstrs, strs_cap;
	const char ***pathv;
} inventory;

typedef struct figures {
	size_t runs;		/* samples */
	size_t batch;		/* planner_build calls per sample */
	double median_ms, min_ms, max_ms;
	size_t groups, unplanned;
} figures;

static uint64_t
s_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static char *
s_keep(inventory *inv, char *s)
{
	xgrow(&inv->strs, &inv->strs_cap, inv->nstrs + 1, sizeof *inv->strs);
	inv->strs[inv->nstrs++] = s;
	return s;
}

static void
s_inventory_make(inventory *inv, const scenario *sc, uint64_t seed)
{
	uint64_t s = seed;

	memset(inv, 0, sizeof *inv);
	inv->n = sc->guests;
	inv->guests = xcalloc(sc->guests, sizeof *inv->guests);
	inv->pathv = xcalloc(sc->guests, sizeof *inv->pathv);
	for (size_t i = 0; i < sc->guests; i++) {
		const char **paths = xcalloc(3, sizeof *paths);
		size_t a = (size_t)(s_rnd(&s) % sc->csvs), np = 0;
		char *name = s_keep(inv, xasprintf("VM%05zu", i + 1));

		paths[np++] = s_keep(inv, xasprintf("C:\\ClusterStorage\\"
		    "Volume%zu\\%s\\%s.vmcx", a + 1, name, name));
		paths[np++] = s_keep(inv, xasprintf("C:\\ClusterStorage\\"
		    "Volume%zu\\%s\\disk0.vhdx", a + 1, name));
		if (sc->csvs > 1 && s_rnd(&s) % 10 == 0) {
			size_t b = (a + 1 + (size_t)(s_rnd(&s) %
			    (sc->csvs - 1))) % sc->csvs;
			paths[np++] = s_keep(inv, xasprintf("C:\\ClusterStorage"
			    "\\Volume%zu\\%s\\disk1.vhdx", b + 1, name));
			inv->spanning++;
		}
		inv->pathv[i] = paths;
		inv->guests[i] = (planner_guest){
			.name = name,
			.id = s_keep(inv, xasprintf("%08x-%04x-4%03x-8%03x-%012zx",
			    (unsigned)(s_rnd(&s) & 0xffffffffu),
			    (unsigned)(s_rnd(&s) & 0xffff),
			    (unsigned)(s_rnd(&s) & 0xfff),
			    (unsigned)(s_rnd(&s) & 0xfff), i)),
			.node = s_keep(inv, xasprintf("HV%02zu",
			    (size_t)(s_rnd(&s) % sc->nodes) + 1)),
			.paths = paths,
			.npaths = np,
		};
	}
}

static void
s_inventory_free(inventory *inv)
{
	for (size_t i = 0; i < inv->nstrs; i++)
		free(inv->strs[i]);
	free(inv->strs);
	for (size_t i = 0; i < inv->n; i++)
		free(inv->pathv[i]);
	free(inv->pathv);
	free(inv->guests);
	memset(inv, 0, sizeof *inv);
}

/* Times batch builds; results are freed after the clock stops. */
static int64_t
s_time_batch(const inventory *inv, planner_result *res, size_t batch)
{
	int64_t t0, t1;

	t0 = platform_mono_ms();
	for (size_t k = 0; k < batch; k++)
		if (planner_build(inv->guests, inv->n, NULL, &res[k]) != 0) {
			fprintf(stderr, "bench_planner: planner_build failed\n");
			exit(1);
		}
	t1 = platform_mono_ms();
	for (size_t k = 0; k < batch; k++)
		planner_result_clear(&res[k]);
	return t1 - t0;
}

static void
s_measure(const inventory *inv, size_t runs, figures *f)
{
	planner_result *res = xcalloc(BENCH_MAX_BATCH, sizeof *res);
	double *ms = xcalloc(runs, sizeof *ms);
	planner_result once;
	size_t batch = 1;
	benchstat st;

	/* Shape of the result, and a warm-up. */
	if (planner_build(inv->guests, inv->n, NULL, &once) != 0) {
		fprintf(stderr, "bench_planner: planner_build failed\n");
		exit(1);
	}
	f->groups = once.plan->ngroups;
	f->unplanned = once.plan->nunplanned;
	planner_result_clear(&once);

	/* The clock counts milliseconds: batch runs until a sample is long
	 * enough to read. */
	while (batch < BENCH_MAX_BATCH &&
	    s_time_batch(inv, res, batch) < BENCH_MIN_WINDOW_MS)
		batch *= 2;
	for (size_t r = 0; r < runs; r++)
		ms[r] = (double)s_time_batch(inv, res, batch) / (double)batch;
	benchstat_compute(&st, ms, runs);
	f->runs = runs;
	f->batch = batch;
	f->min_ms = st.min_ms;
	f->max_ms = st.max_ms;
	f->median_ms = st.median_ms;
	free(ms);
	free(res);
}

static void
s_json(jsonw *j, const scenario *sc, const inventory *inv, const figures *f)
{
	jsonw_begin_object(j);
	jsonw_kv_str(j, "name", sc->name);
	jsonw_kv_int(j, "guests", (int64_t)sc->guests);
	jsonw_kv_int(j, "csvs", (int64_t)sc->csvs);
	jsonw_kv_int(j, "nodes", (int64_t)sc->nodes);
	jsonw_kv_int(j, "spanning", (int64_t)inv->spanning);
	jsonw_kv_int(j, "groups", (int64_t)f->groups);
	jsonw_kv_int(j, "unplanned", (int64_t)f->unplanned);
	jsonw_kv_int(j, "runs", (int64_t)f->runs);
	jsonw_kv_int(j, "buildsPerRun", (int64_t)f->batch);
	jsonw_kv_int(j, "medianUs", (int64_t)(f->median_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "minUs", (int64_t)(f->min_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "maxUs", (int64_t)(f->max_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "goalMs", sc->goal_ms);
	jsonw_kv_bool(j, "withinGoal", f->median_ms <= (double)sc->goal_ms);
	jsonw_end_object(j);
}

static int
s_usage(void)
{
	fprintf(stderr, "usage: bench_planner [--runs N] [--json FILE]\n");
	return 64;
}

int
main(int argc, char **argv)
{
	const char *json_path = NULL;
	size_t runs = 9;
	strbuf out;
	jsonw j;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > 1000)
				return s_usage();
			runs = (size_t)v;
		} else
			return s_usage();
	}

	strbuf_init(&out);
	jsonw_init(&j, &out, true);
	jsonw_begin_object(&j);
	jsonw_kv_str(&j, "benchmark", "planner_build");
	jsonw_key(&j, "scenarios");
	jsonw_begin_array(&j);
	printf("%-20s %7s %5s %6s %9s %6s %10s %8s %8s %8s  %s\n",
	    "scenario", "guests", "csvs", "nodes", "spanning", "groups",
	    "median ms", "min ms", "max ms", "goal ms", "within goal");
	for (size_t s = 0; s < sizeof SCENARIOS / sizeof SCENARIOS[0]; s++) {
		const scenario *sc = &SCENARIOS[s];
		inventory inv;
		figures f;

		s_inventory_make(&inv, sc, 0x9a11e7 + s);
		s_measure(&inv, runs, &f);
		printf("%-20s %7zu %5zu %6zu %9zu %6zu %10.2f %8.2f %8.2f "
		    "%8lld  %s\n", sc->name, sc->guests, sc->csvs, sc->nodes,
		    inv.spanning, f.groups, f.median_ms, f.min_ms, f.max_ms,
		    (long long)sc->goal_ms,
		    f.median_ms <= (double)sc->goal_ms ? "yes" : "NO");
		s_json(&j, sc, &inv, &f);
		s_inventory_free(&inv);
	}
	printf("(median of %zu runs; each run averages a batch of builds "
	    "lasting at least %d ms)\n", runs, BENCH_MIN_WINDOW_MS);
	jsonw_end_array(&j);
	jsonw_end_object(&j);
	strbuf_addch(&out, '\n');

	rc = benchstat_write_json("bench_planner", json_path, &out);
	strbuf_release(&out);
	return rc;
}
