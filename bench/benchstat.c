/*
 * benchstat.c: clock, figures and result file of the micro-benchmarks
 * (benchstat.h). Called by bench_planner.c, bench_engine.c and
 * bench_dsmerge.c.
 */
#include "benchstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "platform.h"

double
benchstat_now_ms(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
s_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double
s_pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

void
benchstat_compute(benchstat *st, double *ms, size_t n)
{
	qsort(ms, n, sizeof *ms, s_cmp_double);
	st->runs = n;
	st->min_ms = ms[0];
	st->max_ms = ms[n - 1];
	st->median_ms = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
	st->p90_ms = s_pct(ms, n, 90);
}

int
benchstat_write_json(const char *program, const char *path,
    const strbuf *out)
{
	char *err = NULL;

	if (path == NULL)
		return 0;
	if (platform_replace_file(path, out->data, out->len, false,
	    &err) != 0) {
		fprintf(stderr, "%s: %s\n", program, err);
		free(err);
		return 1;
	}
	return 0;
}
