/*
 * timefmt.h: times as text, the same on every platform: RFC 3339 UTC for
 * drift records, JSON and the CLI's --since, and the log's millisecond
 * stamps. Pure arithmetic (proleptic Gregorian calendar), no libc time
 * zone functions. Callers: log.c, json.c, drift.c, keys.c, the
 * controller's reports, the CLI.
 */
#ifndef HVP_TIMEFMT_H
#define HVP_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-25T06:30:00.123Z" */
void timefmt_utc_ms(int64_t ms, char *out, size_t outlen);
/* "2026-11-25T06:30:00Z" */
void timefmt_rfc3339(int64_t seconds, char *out, size_t outlen);
/* Accepts RFC 3339 with Z or an offset (fractions ignored), or a bare date
 * (midnight UTC). 0 with *seconds set, or -1. */
int timefmt_parse_rfc3339(const char *text, int64_t *seconds);

#endif
