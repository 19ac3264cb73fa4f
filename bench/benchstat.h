/*
 * benchstat.h: what the micro-benchmarks (bench_planner, bench_engine,
 * bench_dsmerge) share: a clock fine enough for one call, the figures of
 * a set of samples, and the --json result file.
 */
#ifndef HVP_BENCHSTAT_H
#define HVP_BENCHSTAT_H

#include <stddef.h>

#include "strbuf.h"

typedef struct benchstat {
	size_t runs;
	double median_ms, p90_ms, min_ms, max_ms;
} benchstat;

/* Wall clock in ms with sub-microsecond resolution (C11 timespec_get);
 * the samples are short enough that clock adjustments do not matter. */
double benchstat_now_ms(void);

/* Sorts the n (>= 1) samples in ms and fills st from them (p90: the
 * nearest rank). */
void benchstat_compute(benchstat *st, double *ms, size_t n);

/* Writes out to path (nothing when path is NULL): 0, or 1 after saying
 * why on stderr, as program. */
int benchstat_write_json(const char *program, const char *path,
    const strbuf *out);

#endif
