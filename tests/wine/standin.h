/*
 * standin.h: what the stand-in powershell.exe and vssadmin.exe share
 * (standin.c): where the recorded outputs are (HVP_STANDIN_DATA) and the
 * log of every start and request (HVP_STANDIN_LOG) the Wine test counts.
 * Built only for WIN32, for tests/integration/test_windows.sh.
 */
#ifndef HVP_STANDIN_H
#define HVP_STANDIN_H

#include <stdbool.h>
#include <stddef.h>

/* <HVP_STANDIN_DATA>\name, owned; exits 70 when the variable is unset. */
char *standin_data_path(const char *name);
/* The file's bytes (NUL-terminated), owned; NULL when it is not there. */
char *standin_read(const char *name, size_t *len);
bool standin_exists(const char *name);
/* Appends one line to HVP_STANDIN_LOG (when set). */
void standin_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints to standard error and exits with code. */
_Noreturn void standin_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
