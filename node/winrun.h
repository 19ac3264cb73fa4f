/*
 * winrun.h: programs the windows backend runs (winrun.c; Windows only).
 *
 * winrun_once() runs one program (vssadmin) with a time limit and an
 * output limit, in a job object so that it and its children are killed
 * when the limit is hit.
 *
 * winps is the long-lived PowerShell host: powershell.exe started once
 * with the host script (win_facts.h WINF_PS_HOST) as -EncodedCommand,
 * fed one command at a time on its standard input (psproto.h), started
 * again when it dies. Between commands it reports WMI events, handed to
 * the callback by winps_poll(). Called by backend_win.c.
 */
#ifndef HVP_NODE_WINRUN_H
#define HVP_NODE_WINRUN_H

#include <stddef.h>
#include <wchar.h>

/* Runs cmdline with no window and standard input from NUL for at most
 * timeout_ms; standard output into *out (NUL-terminated; more than max
 * bytes is an error). A non-zero exit is an error carrying the first line
 * of standard error. 0, or -1 with an owned *err that starts with what. */
int winrun_once(const wchar_t *cmdline, const char *what,
    unsigned long timeout_ms, size_t max, char **out, size_t *len,
    char **err);

typedef struct winps winps;
typedef void (*winps_event_fn)(const char *kind, const char *subject,
    void *ctx);

/* Nothing is started until the first call or poll. */
winps *winps_new(winps_event_fn on_event, void *ctx);
/* Closes the host's input (it exits) and stops it. */
void winps_free(winps **ps);

/* Runs one command (UTF-8) in the host, starting it when it is not
 * running; its output (text, NUL-terminated) in *out. A command that
 * fails, a host that dies, a time limit or output limit hit: -1 with an
 * owned *err starting with what; the host is stopped in the last three
 * cases and started again by the next call. */
int winps_call(winps *ps, const char *command, const char *what,
    char **out, size_t *len, char **err);
/* Reads what the host has printed without waiting and hands its events
 * to the callback. A host that died (once it had started) is started
 * again, at most once per WINF_PS_RESTART_MS. */
void winps_poll(winps *ps);
/* How many times powershell.exe was started. */
unsigned winps_starts(const winps *ps);

#endif
