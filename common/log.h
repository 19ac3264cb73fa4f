/*
 * log.h: one line per event on standard error, level and time first.
 * Every program calls log_init() once at start; libraries only log, they
 * never exit on bad input. fatal()/fatalx() are for what cannot be
 * survived (no memory, startup failures), never for input.
 */
#ifndef HVP_LOG_H
#define HVP_LOG_H

#include <stdbool.h>

void log_init(const char *program, bool verbose);
void log_set_verbose(bool verbose);
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
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
