/*
 * bench_dsmerge.c: what the DPM server's node spends on its
 * DataSourceGroups.xml after a storage move (common/dsmerge.c,
 * common/dsgroups.c, platform_replace_file): a DPM server protecting two
 * clusters of 64 nodes x 125 guests (8,000 guests each, the largest a
 * Hyper-V cluster runs; 16,000 entries in its file, as in
 * bench/bench-clusters), one guest of the first cluster moved to another
 * CSV. Times each step on its own:
 *
 *   part-hash  dsmerge_part_hash of one cluster's part (the controller
 *              and the DPM server both hash every part they get);
 *   fresh      dsmerge_apply with no file yet (every entry rendered);
 *   merge      dsmerge_apply of the new plans into the file that holds
 *              the old ones, with the record of what was written;
 *   merge-held the same with the file's parse kept from before (dsheld.h:
 *              the bytes read copied and compared, no parse), as the
 *              DPM server's node merges a file it wrote itself;
 *   parse      the parse alone, which the node does when idle after
 *              writing the file (dsheld_prepare);
 *   inspect    dsmerge_inspect of the merged file (every node pass);
 *   write      platform_replace_file of the merged bytes (temporary file,
 *              fsync, rename, fsync of the directory) under --dir.
 *
 * Prints the median, p90, fastest and slowest run per step (one call
 * each; --only STEP runs one, for a profiler); --json FILE also writes
 * the figures. --dump DIR writes the fresh and merged files instead and
 * prints the parts' hashes, to compare two builds byte for byte.
 * Figures, not assertions: it exits 0 whatever it measures (1 only when
 * a step fails).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchstat.h"
#include "dsgroups.h"
#include "dsheld.h"
#include "dsmerge.h"
#include "json.h"
#include "plan.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

#define BENCH_NODES		64
#define BENCH_GUESTS		125	/* per node */
#define BENCH_CSVS		8
#define BENCH_CLUSTERS		2	/* per DPM server */

/* Everything one step needs; each step reads it, none changes it. */
typedef struct bench {
	plan *before[BENCH_CLUSTERS];	/* what the file holds */
	plan *after[BENCH_CLUSTERS];	/* after the move */
	dsmerge_part parts[BENCH_CLUSTERS];
	dsmerge_spec spec;		/* the parts of after */
	dsmerge_record written;		/* what the fresh file holds */
	char *file;			/* the file holding before */
	size_t file_len;
	char *merged;			/* after merged into it */
	size_t merged_len;
	dsheld *held;			/* the parse of file, kept */
	const char *path;		/* write: the file replaced */
} bench;

typedef void (*step_fn)(const bench *b);

static void
s_fail(const char *what, const char *err)
{
	fprintf(stderr, "bench_dsmerge: %s: %s\n", what, err ? err : "failed");
	exit(1);
}

/* The cluster's guests as the load driver (bench/loadnode.c) names them:
 * node N0c-nnnn, guest N0c-nnnn-VMg, on CSV Volume((seq % 8) + 1); the
 * first guest of the first node on Volume9 when moved. */
static plan *
s_cluster_plan(size_t c, bool moved)
{
	plan *p = plan_new();

	p->ngroups = BENCH_CSVS + (moved ? 1 : 0);
	p->groups = xcalloc(p->ngroups, sizeof *p->groups);
	for (size_t k = 0; k < p->ngroups; k++) {
		p->groups[k].name = xasprintf("Volume%zu", k + 1);
		p->groups[k].csvs = xcalloc(1, sizeof *p->groups[k].csvs);
		p->groups[k].csvs[0] = xstrdup(p->groups[k].name);
		p->groups[k].ncsvs = 1;
		p->groups[k].guests = xcalloc(BENCH_NODES * BENCH_GUESTS,
		    sizeof *p->groups[k].guests);
	}
	for (size_t i = 0; i < BENCH_NODES; i++) {
		for (size_t g = 0; g < BENCH_GUESTS; g++) {
			size_t seq = i * BENCH_GUESTS + g;
			size_t vol = moved && seq == 0 ? BENCH_CSVS :
			    seq % BENCH_CSVS;
			plan_group *grp = &p->groups[vol];
			plan_guest *pg = &grp->guests[grp->nguests++];

			pg->node = xasprintf("N%02zu-%04zu", c + 1, i + 1);
			pg->name = xasprintf("%s-VM%zu", pg->node, g + 1);
			pg->id = xasprintf("%08x-%04x-4000-8000-%012zx",
			    (unsigned)i, (unsigned)g, c + 1);
		}
	}
	p->generation = moved ? 2 : 1;
	plan_compute_hash(p);
	return p;
}

static void
s_bench_init(bench *b, const char *dir)
{
	dsmerge_part old[BENCH_CLUSTERS];
	dsmerge_spec fresh;
	dsmerge_result res;
	char *err = NULL;
	static const char *const names[BENCH_CLUSTERS] = {
		"BENCH-01", "BENCH-02",
	};

	memset(b, 0, sizeof *b);
	for (size_t c = 0; c < BENCH_CLUSTERS; c++) {
		b->before[c] = s_cluster_plan(c, false);
		b->after[c] = s_cluster_plan(c, c == 0);
		old[c] = (dsmerge_part){ names[c], b->before[c], false };
		b->parts[c] = (dsmerge_part){ names[c], b->after[c], false };
	}
	fresh = (dsmerge_spec){ old, BENCH_CLUSTERS, NULL };
	if (dsmerge_apply(&fresh, NULL, 0, &b->file, &b->file_len, &res,
	    &err) == -1)
		s_fail("fresh file", err);
	b->written = res.record;
	memset(&res.record, 0, sizeof res.record);
	dsmerge_result_clear(&res);
	b->spec = (dsmerge_spec){ b->parts, BENCH_CLUSTERS, &b->written };
	if (dsmerge_apply(&b->spec, b->file, b->file_len, &b->merged,
	    &b->merged_len, &res, &err) == -1)
		s_fail("merge", err);
	if (res.written != BENCH_CLUSTERS * BENCH_NODES * BENCH_GUESTS ||
	    res.kept != 0)
		s_fail("merge", "unexpected counts");
	dsmerge_result_clear(&res);
	b->held = dsheld_new();
	dsheld_wrote(b->held, xstrndup(b->file, b->file_len), b->file_len);
	dsheld_prepare(b->held);
	b->path = platform_path_join(dir, "bench_dsmerge.xml");
}

static void
s_bench_free(bench *b)
{
	char *err = NULL;

	for (size_t c = 0; c < BENCH_CLUSTERS; c++) {
		plan_free(&b->before[c]);
		plan_free(&b->after[c]);
	}
	dsmerge_record_clear(&b->written);
	dsheld_free(b->held);
	free(b->file);
	free(b->merged);
	if (platform_file_exists(b->path) &&
	    platform_remove_file(b->path, &err) == -1) {
		fprintf(stderr, "bench_dsmerge: %s\n", err);
		free(err);
	}
	free((char *)b->path);
}

/* ---- the steps ---- */

static void
s_step_part_hash(const bench *b)
{
	char hex[DSGROUPS_HASH_HEX + 1];

	dsmerge_part_hash(&b->parts[0], hex);
}

static void
s_step_fresh(const bench *b)
{
	dsmerge_spec s = { b->parts, BENCH_CLUSTERS, NULL };
	dsmerge_result res;
	char *out = NULL, *err = NULL;
	size_t len;

	if (dsmerge_apply(&s, NULL, 0, &out, &len, &res, &err) == -1)
		s_fail("fresh", err);
	free(out);
	dsmerge_result_clear(&res);
}

static void
s_step_merge(const bench *b)
{
	dsmerge_result res;
	char *out = NULL, *err = NULL;
	size_t len;

	if (dsmerge_apply(&b->spec, b->file, b->file_len, &out, &len, &res,
	    &err) == -1)
		s_fail("merge", err);
	free(out);
	dsmerge_result_clear(&res);
}

static void
s_step_merge_held(const bench *b)
{
	const dsgroups_doc *doc;
	dsmerge_result res;
	char *out = NULL, *err = NULL;
	size_t len;

	if (dsheld_doc(b->held, xstrndup(b->file, b->file_len), b->file_len,
	    &doc, &err) == -1 || dsmerge_apply_doc(&b->spec, doc, &out, &len,
	    &res, &err) == -1)
		s_fail("merge-held", err);
	free(out);
	dsmerge_result_clear(&res);
}

static void
s_step_parse(const bench *b)
{
	dsgroups_doc doc;
	char *err = NULL;

	if (dsgroups_parse_doc(b->file, b->file_len, &doc, &err) == -1)
		s_fail("parse", err);
	dsgroups_doc_clear(&doc);
}

static void
s_step_inspect(const bench *b)
{
	dsmerge_state st;
	char *err = NULL;

	if (dsmerge_inspect(&b->spec, b->merged, b->merged_len, &st,
	    &err) == -1)
		s_fail("inspect", err);
	dsmerge_state_clear(&st);
}

static void
s_step_write(const bench *b)
{
	char *err = NULL;

	if (platform_replace_file(b->path, b->merged, b->merged_len, false,
	    &err) == -1)
		s_fail("write", err);
}

static const struct {
	const char *name;
	step_fn fn;
	const char *what;
} STEPS[] = {
	{ "part-hash", s_step_part_hash, "hash of one part (8,000 guests)" },
	{ "fresh", s_step_fresh, "apply, no file yet" },
	{ "merge", s_step_merge, "apply into the file holding them" },
	{ "merge-held", s_step_merge_held, "the same, its parse kept" },
	{ "parse", s_step_parse, "parse the file (idle work)" },
	{ "inspect", s_step_inspect, "inspect the merged file" },
	{ "write", s_step_write, "replace the file, fsynced" },
};

/* ---- timing ---- */

static void
s_measure(const bench *b, step_fn fn, size_t runs, benchstat *st)
{
	double *ms = xcalloc(runs, sizeof *ms);

	fn(b);		/* warm-up */
	for (size_t r = 0; r < runs; r++) {
		double t0 = benchstat_now_ms();

		fn(b);
		ms[r] = benchstat_now_ms() - t0;
	}
	benchstat_compute(st, ms, runs);
	free(ms);
}

static void
s_json(jsonw *j, const char *name, const benchstat *st)
{
	jsonw_begin_object(j);
	jsonw_kv_str(j, "name", name);
	jsonw_kv_int(j, "runs", (int64_t)st->runs);
	jsonw_kv_int(j, "medianUs", (int64_t)(st->median_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "p90Us", (int64_t)(st->p90_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "minUs", (int64_t)(st->min_ms * 1000.0 + 0.5));
	jsonw_kv_int(j, "maxUs", (int64_t)(st->max_ms * 1000.0 + 0.5));
	jsonw_end_object(j);
}

/* --dump DIR: the fresh and the merged file, to compare two builds'
 * output byte for byte. */
static int
s_dump(const bench *b, const char *dir)
{
	const struct { const char *name; const char *data; size_t len; } f[] = {
		{ "fresh.xml", b->file, b->file_len },
		{ "merged.xml", b->merged, b->merged_len },
	};
	dsmerge_state st;
	char *err = NULL;

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		char *path = platform_path_join(dir, f[i].name);
		int rc = platform_replace_file(path, f[i].data, f[i].len, false,
		    &err);

		free(path);
		if (rc == -1) {
			fprintf(stderr, "bench_dsmerge: %s\n", err);
			free(err);
			return 1;
		}
	}
	if (dsmerge_inspect(&b->spec, b->merged, b->merged_len, &st,
	    &err) == -1)
		s_fail("inspect", err);
	for (size_t i = 0; i < st.nparts; i++)
		printf("part %zu holds %s\n", i, st.held[i]);
	dsmerge_state_clear(&st);
	return 0;
}

static int
s_usage(void)
{
	fprintf(stderr, "usage: bench_dsmerge [--runs N] [--dir DIR] "
	    "[--only STEP] [--json FILE] [--dump DIR]\n");
	return 64;
}

int
main(int argc, char **argv)
{
	const char *json_path = NULL, *dir = getenv("TMPDIR"), *only = NULL;
	const char *dump = NULL;
	size_t runs = 15;
	strbuf out;
	jsonw j;
	bench b;
	int rc;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
			dump = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v < 1 || v > 1000)
				return s_usage();
			runs = (size_t)v;
		} else
			return s_usage();
	}

	s_bench_init(&b, dir);
	if (dump != NULL) {
		rc = s_dump(&b, dump);
		s_bench_free(&b);
		return rc;
	}
	strbuf_init(&out);
	jsonw_init(&j, &out, true);
	jsonw_begin_object(&j);
	jsonw_kv_str(&j, "benchmark", "dsmerge");
	jsonw_kv_int(&j, "clusters", BENCH_CLUSTERS);
	jsonw_kv_int(&j, "entries", BENCH_CLUSTERS * BENCH_NODES *
	    BENCH_GUESTS);
	jsonw_kv_int(&j, "fileBytes", (int64_t)b.file_len);
	jsonw_key(&j, "steps");
	jsonw_begin_array(&j);
	printf("%d clusters x %d guests in one DataSourceGroups.xml "
	    "(%zu bytes, UTF-16)\n", BENCH_CLUSTERS, BENCH_NODES * BENCH_GUESTS,
	    b.file_len);
	printf("%-10s %-34s %10s %8s %8s %8s\n", "step", "", "median ms",
	    "p90 ms", "min ms", "max ms");
	for (size_t s = 0; s < sizeof STEPS / sizeof STEPS[0]; s++) {
		benchstat st;

		if (only && strcmp(only, STEPS[s].name) != 0)
			continue;
		s_measure(&b, STEPS[s].fn, runs, &st);
		printf("%-10s %-34s %10.2f %8.2f %8.2f %8.2f\n", STEPS[s].name,
		    STEPS[s].what, st.median_ms, st.p90_ms, st.min_ms,
		    st.max_ms);
		s_json(&j, STEPS[s].name, &st);
	}
	printf("(%zu runs of each step, one call each)\n", runs);
	jsonw_end_array(&j);
	jsonw_end_object(&j);
	strbuf_addch(&out, '\n');
	s_bench_free(&b);

	rc = benchstat_write_json("bench_dsmerge", json_path, &out);
	strbuf_release(&out);
	return rc;
}
