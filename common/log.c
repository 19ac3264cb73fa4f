/*
 * log.c: the daemons' and tools' log lines. Format:
 *   2026-11-25T06:30:00.123Z INFO  hvpolicy-node[123]: message
 * Called from everywhere; holds the program name, verbosity and the
 * rate limiter's table.
 *
 * Data cannot forge lines: every control character and every byte of
 * invalid UTF-8 in a message is written escaped (textsafe_add()).
 * Repeated messages cannot flood: a message is keyed by its format
 * string (its template) and its source (log_*_from(), "" otherwise);
 * each key may log LOG_RATE_BURST lines per LOG_RATE_WINDOW_MS, later
 * ones in the window are counted, and the count is logged when the key
 * logs again ("... (N similar messages suppressed)") or, failing that,
 * by the next log call after its window ended.
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
#include "textsafe.h"
#include "timefmt.h"

#define LOG_LINE_MAX	2048	/* bytes of one message before escaping */
#define LOG_KEYS	256	/* keys the rate limiter tracks */
#define LOG_SOURCE_MAX	64
#define LOG_LAST_MAX	200	/* bytes of the last suppressed message kept */

/* One template from one source, in the current window. */
typedef struct log_key {
	const char *fmt;		/* NULL: free slot */
	char source[LOG_SOURCE_MAX];
	const char *level;
	int64_t window_start;		/* monotonic ms */
	int64_t last_used;
	unsigned lines;			/* logged in this window */
	unsigned long suppressed;	/* not logged since the last line */
	char last[LOG_LAST_MAX];	/* the last suppressed message */
} log_key;

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

/* One JSON object a line: fixed field names; msg (already made
 * printable) escaped as a JSON string. */
static void
s_json_line(const char *when, const char *level, const char *msg)
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
	json_escape(&b, msg);
	strbuf_addstr(&b, "}\n");
	fputs(b.data, stderr);	/* one write per line */
	strbuf_release(&b);
}
static unsigned s_burst = LOG_RATE_BURST;
static int64_t s_window_ms = LOG_RATE_WINDOW_MS;
static log_key s_keys[LOG_KEYS];
static unsigned long s_total_suppressed;

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

void
log_set_rate_limit(unsigned burst, int64_t window_ms)
{
	s_burst = burst;
	s_window_ms = window_ms;
	memset(s_keys, 0, sizeof s_keys);
}

unsigned long
log_suppressed_total(void)
{
	return s_total_suppressed;
}

/* Writes one line: the message escaped, one fprintf so lines of
 * concurrent processes do not mix. */
static void
s_write(const char *level, const char *msg, const char *suffix,
    const char *note)
{
	char when[40];
	strbuf esc;

	timefmt_utc_ms(platform_now_ms(), when, sizeof when);
	strbuf_init(&esc);
	textsafe_add(&esc, msg);
	if (suffix) {
		strbuf_addstr(&esc, ": ");
		textsafe_add(&esc, suffix);
	}
	if (s_format == LOG_FORMAT_JSON) {
		if (note)
			strbuf_addstr(&esc, note);
		s_json_line(when, level, esc.data);
		note = NULL;	/* in esc now */
	} else {
		fprintf(stderr, "%s%s %-5s %s[%ld]: %s%s\n", s_priority(level),
		    when, level, s_program, platform_pid(), esc.data,
		    note ? note : "");
	}
	if (s_hook != NULL) {
		if (note)
			strbuf_addstr(&esc, note);
		s_hook(level, esc.data);
	}
	strbuf_release(&esc);
}

/* Logs what a key suppressed in a window that is over. */
static void
s_flush_key(log_key *k)
{
	char note[96];

	if (k->suppressed == 0)
		return;
	snprintf(note, sizeof note, " (last of %lu similar messages "
	    "suppressed)", k->suppressed);
	s_write(k->level, k->last, NULL, note);
	k->suppressed = 0;
}

/* Logs the counts of every key but skip whose window is over. */
static void
s_flush_over(const log_key *skip)
{
	int64_t now = platform_mono_ms();

	for (size_t i = 0; i < LOG_KEYS; i++)
		if (&s_keys[i] != skip && s_keys[i].fmt != NULL &&
		    s_keys[i].suppressed > 0 &&
		    now - s_keys[i].window_start >= s_window_ms)
			s_flush_key(&s_keys[i]);
}

void
log_flush_suppressed(void)
{
	s_flush_over(NULL);
}

/* The key of (fmt, source): found, or a free or the least recently used
 * slot (whose count is logged first). */
static log_key *
s_key(const char *fmt, const char *source, int64_t now)
{
	log_key *lru = &s_keys[0];

	for (size_t i = 0; i < LOG_KEYS; i++) {
		log_key *k = &s_keys[i];

		if (k->fmt == fmt && strncmp(k->source, source,
		    LOG_SOURCE_MAX - 1) == 0)
			return k;
		if (k->fmt == NULL || (lru->fmt != NULL &&
		    k->last_used < lru->last_used))
			lru = k;
	}
	if (lru->fmt != NULL)
		s_flush_key(lru);
	memset(lru, 0, sizeof *lru);
	lru->fmt = fmt;
	snprintf(lru->source, sizeof lru->source, "%s", source);
	lru->window_start = now;
	return lru;
}

/* Keeps the start of the last suppressed message. */
static void
s_keep_last(log_key *k, const char *line)
{
	size_t n = strlen(line);

	if (n >= sizeof k->last)
		n = sizeof k->last - 1;
	memcpy(k->last, line, n);
	k->last[n] = '\0';
}

static void
s_vlog_from(const char *level, const char *source, const char *fmt,
    va_list ap, const char *suffix)
{
	char line[LOG_LINE_MAX], note[64];
	int64_t now;
	log_key *k;

	vsnprintf(line, sizeof line, fmt, ap);
	if (s_burst == 0) {
		s_write(level, line, suffix, NULL);
		return;
	}
	now = platform_mono_ms();
	k = s_key(fmt, source ? source : "", now);
	s_flush_over(k);
	k->last_used = now;
	k->level = level;
	if (now - k->window_start >= s_window_ms) {
		k->window_start = now;
		k->lines = 0;
	}
	if (k->lines >= s_burst) {
		k->suppressed++;
		s_total_suppressed++;
		s_keep_last(k, line);
		return;
	}
	k->lines++;
	note[0] = '\0';
	if (k->suppressed > 0)
		snprintf(note, sizeof note, " (%lu similar messages "
		    "suppressed)", k->suppressed);
	k->suppressed = 0;
	s_write(level, line, suffix, note);
}

static void
s_vlog(const char *level, const char *fmt, va_list ap, const char *suffix)
{
	s_vlog_from(level, NULL, fmt, ap, suffix);
}

void
log_warnx_from(const char *source, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vlog_from("WARN", source, fmt, ap, NULL);
	va_end(ap);
}

void
log_info_from(const char *source, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vlog_from("INFO", source, fmt, ap, NULL);
	va_end(ap);
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

/* Fatal lines are never held back; what was suppressed goes first. */
static void
s_vfatal(const char *fmt, va_list ap, const char *suffix)
{
	char line[LOG_LINE_MAX];

	for (size_t i = 0; i < LOG_KEYS; i++)
		if (s_keys[i].fmt != NULL)
			s_flush_key(&s_keys[i]);
	vsnprintf(line, sizeof line, fmt, ap);
	s_write("FATAL", line, suffix, NULL);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	s_vfatal(fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s_vfatal(fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
