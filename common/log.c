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

#include "json.h"
#include "platform.h"
#include "strbuf.h"
#include "timefmt.h"

static const char *s_program = "hvpolicy";
static bool s_verbose;
static log_hook_fn s_hook;
static log_format s_format;
static bool s_journal;		/* standard error is the systemd journal */

void
log_set_format(log_format f)
{
	s_format = f;
}

int
log_format_parse(const char *name, log_format *out)
{
	if (name && strcmp(name, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (name && strcmp(name, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

int
log_take_format_flag(int *argc, char **argv, const char **value)
{
	int k = 1, rc = 0;

	*value = NULL;
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--log-format") == 0) {
			if (i + 1 >= *argc) {
				rc = -1;
				continue;
			}
			*value = argv[++i];
		} else if (strncmp(argv[i], "--log-format=", 13) == 0) {
			*value = argv[i] + 13;
		} else {
			argv[k++] = argv[i];
		}
	}
	*argc = k;
	argv[k] = NULL;
	return rc;
}

/* The syslog priority journald reads from a "<N>" line prefix
 * (sd-daemon(3)); "" when standard error is not the journal. */
static const char *
s_priority(const char *level)
{
	if (!s_journal)
		return "";
	switch (level[0]) {
	case 'F':
		return "<3>";
	case 'W':
		return "<4>";
	case 'I':
		return "<6>";
	default:
		return "<7>";
	}
}

/* One JSON object: fixed field names, the message escaped. */
static void
s_json_line(const char *when, const char *level, const char *line,
    const char *suffix)
{
	strbuf b;
	char lower[8];
	size_t i;

	for (i = 0; level[i] && i < sizeof lower - 1; i++)
		lower[i] = (char)(level[i] >= 'A' && level[i] <= 'Z' ?
		    level[i] - 'A' + 'a' : level[i]);
	lower[i] = '\0';
	strbuf_init(&b);
	strbuf_addf(&b, "%s{\"time\":\"%s\",\"level\":\"%s\",\"program\":",
	    s_priority(level), when, lower);
	json_escape(&b, s_program);
	strbuf_addf(&b, ",\"pid\":%ld,\"message\":", platform_pid());
	if (suffix) {
		strbuf m;

		strbuf_init(&m);
		strbuf_addf(&m, "%s: %s", line, suffix);
		json_escape(&b, m.data);
		strbuf_release(&m);
	} else {
		json_escape(&b, line);
	}
	strbuf_addstr(&b, "}\n");
	fputs(b.data, stderr);	/* one write per line */
	strbuf_release(&b);
}

void
log_init(const char *program, bool verbose)
{
	s_program = program;
	s_verbose = verbose;
	s_journal = getenv("JOURNAL_STREAM") != NULL;
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
	if (s_format == LOG_FORMAT_JSON)
		s_json_line(when, level, line, suffix);
	else if (suffix)
		fprintf(stderr, "%s%s %-5s %s[%ld]: %s: %s\n", s_priority(level),
		    when, level, s_program, platform_pid(), line, suffix);
	else
		fprintf(stderr, "%s%s %-5s %s[%ld]: %s\n", s_priority(level),
		    when, level, s_program, platform_pid(), line);
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
