/*
 * log.h: one line per event on standard error, level and time first.
 * Every program calls log_init() once at start; libraries only log, they
 * never exit on bad input. fatal()/fatalx() are for what cannot be
 * survived (no memory, startup failures), never for input.
 *
 * Lines cannot be forged or flooded by data: control characters in a
 * message are written as \xNN, and each message template (per source,
 * see log_*_from()) logs at most LOG_RATE_BURST lines per
 * LOG_RATE_WINDOW_MS; what is held back is counted and the count logged
 * ("N similar messages suppressed"). docs/security.md, "Logs".
 */
#ifndef HVP_LOG_H
#define HVP_LOG_H

#include <stdbool.h>

#include <stdint.h>

#define LOG_RATE_BURST		10
#define LOG_RATE_WINDOW_MS	10000

void log_init(const char *program, bool verbose);
void log_set_verbose(bool verbose);

/* Line format. text: "TIME LEVEL program[pid]: message". json: one
 * object a line, {"time","level","program","pid","message"} (level
 * lowercase: debug, info, warn, fatal). Either way, when standard error
 * goes to the systemd journal ($JOURNAL_STREAM is set), each line starts
 * with its syslog priority ("<3>" fatal, "<4>" warn, "<6>" info, "<7>"
 * debug), which journald reads and strips. */
typedef enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format;
void log_set_format(log_format f);
/* "text" or "json" to *out; -1 for anything else. */
int log_format_parse(const char *name, log_format *out);
/* Takes "--log-format VALUE" / "--log-format=VALUE" out of argv (the
 * contract's spelling of the logFormat option); *value is NULL when it is
 * absent. -1 when it has no value. */
int log_take_format_flag(int *argc, char **argv, const char **value);
/* A second destination for every line that is printed (level "DEBUG",
 * "INFO", "WARN" or "FATAL", the message without time or program); NULL
 * removes it. The Windows node sends lines to the Event Log with it. */
typedef void (*log_hook_fn)(const char *level, const char *message);
void log_set_hook(log_hook_fn fn);

/* log_warn appends strerror(errno); the others do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, limited per source (a node's name, a peer's address) rather
 * than per template alone, so one flooding source does not hide the
 * others' messages. Use a source an attacker cannot multiply (an
 * authenticated name), else NULL. */
void log_warnx_from(const char *source, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_info_from(const char *source, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Logs the counts of windows that are over (call from a periodic tick;
 * any log call does it too). */
void log_flush_suppressed(void);
/* burst 0 turns the limit off. Defaults: LOG_RATE_BURST, _WINDOW_MS.
 * Starts afresh: counts not yet logged are dropped. */
void log_set_rate_limit(unsigned burst, int64_t window_ms);
/* Messages held back since the start. */
unsigned long log_suppressed_total(void);
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
