/*
 * timefmt.c: times as text (timefmt.h).
 */
#include "timefmt.h"

#include <stdio.h>

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
static int64_t
s_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
s_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
s_split(int64_t secs, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int64_t rem = secs - days * 86400;

	s_civil_from_days(days, y, mo, d);
	*h = (int)(rem / 3600);
	*mi = (int)(rem % 3600 / 60);
	*s = (int)(rem % 60);
}

void
timefmt_utc_ms(int64_t ms, char *out, size_t outlen)
{
	int y, mo, d, h, mi, s;

	s_split(ms / 1000, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d,
	    h, mi, s, (int)(ms % 1000));
}

void
timefmt_rfc3339(int64_t seconds, char *out, size_t outlen)
{
	int y, mo, d, h, mi, s;

	s_split(seconds, &y, &mo, &d, &h, &mi, &s);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h,
	    mi, s);
}

int
timefmt_parse_rfc3339(const char *text, int64_t *seconds)
{
	int y, mo, d, h = 0, mi = 0, s = 0, n = 0, oh = 0, om = 0;
	const char *rest;
	char sign;

	if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	rest = text + n;
	if (*rest == 'T' || *rest == 't' || *rest == ' ') {
		if (sscanf(rest + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3)
			return -1;
		rest += 1 + n;
		if (*rest == '.') {
			rest++;
			while (*rest >= '0' && *rest <= '9')
				rest++;
		}
		if (*rest == 'Z' || *rest == 'z') {
			rest++;
		} else if (*rest == '+' || *rest == '-') {
			sign = *rest;
			if (sscanf(rest + 1, "%2d:%2d%n", &oh, &om, &n) != 2)
				return -1;
			rest += 1 + n;
			if (sign == '-') {
				oh = -oh;
				om = -om;
			}
		} else {
			return -1;
		}
	}
	if (*rest != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || s > 60)
		return -1;
	*seconds = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    s - (oh * 3600 + om * 60);
	return 0;
}
