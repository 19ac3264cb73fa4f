/*
 * wintext.h: the text functions every Windows-only file shares (built only
 * when CMake targets WIN32): UTF-8 <-> UTF-16 for the W functions of the
 * Win32 API, and the system's message for an error code. Used by
 * platform_win.c, the Windows backend (node/backend_win.c, winreg.c,
 * winrun.c), the service (node/winsvc.c) and the Event Log (winevlog.c).
 */
#ifndef HVP_WINTEXT_H
#define HVP_WINTEXT_H

#include <wchar.h>

/* UTF-8 -> UTF-16, NUL-terminated; owned (empty on invalid input). */
wchar_t *wintext_wide(const char *s);
/* UTF-16 up to NUL -> UTF-8; owned. */
char *wintext_utf8(const wchar_t *w);
/* n UTF-16 units (or up to NUL when n is -1) -> UTF-8; owned. */
char *wintext_utf8n(const wchar_t *w, int n);
/* The system's message for a GetLastError()/LSTATUS code, without the
 * trailing newline and full stop ("error N" when there is none); owned. */
char *wintext_syserr(unsigned long code);

#endif
