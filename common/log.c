/*
 * log.c: the daemons' and tools' log lines. Format:
 *   2026-11-25T06:30:00.123Z INFO  hvpolicy-node[123]: message
 * Called from everywhere; holds only the program name and verbosity.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "timefmt.h"

static const char *s_program = "hvpolicy";
static bool s_verbose;
static log_hook_fn s_hook;

void
log_init(const char *program, bool verbose)
{
	s_program = program;
	s_verbose = verbose;
}

void
log_set_verbose(bool verbose)
{
	s_verbose = verbose;
}

void
log_set_hook(log_hook_fn fn)
{
	s_hook = fn;
}

static void
s_vlog(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	char when[40];
	char line[2048];

	timefmt_utc_ms(platform_now_ms(), when, sizeof when);
	vsnprintf(line, sizeof line, fmt, ap);
	/* One write per line so lines of concurrent processes do not mix. */
	if (suffix)
		fprintf(stderr, "%s %-5s %s[%ld]: %s: %s\n", when, level,
		    s_program, platform_pid(), line, suffix);
	else
		fprintf(stderr, "%s %-5s %s[%ld]: %s\n", when, level,
		    s_program, platform_pid(), line);
	if (s_hook != NULL) {
		char full[2304];

		snprintf(full, sizeof full, "%s%s%s", line, suffix ? ": " : "",
		    suffix ? suffix : "");
		s_hook(level, full);
	}
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	s_vlog("WARN", fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vlog("WARN", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vlog("INFO", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!s_verbose)
		return;
	va_start(ap, fmt);
	s_vlog("DEBUG", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	s_vlog("FATAL", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vlog("FATAL", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
