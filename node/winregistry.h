/*
 * winregistry.h: the Windows registry as the windows backend sees it
 * (winregistry.c; Windows only): read the tracked keys' subtrees into a
 * host_state, write keys and values at once, and tell when a tracked key
 * changed by someone else's hand. Called by backend_win.c.
 */
#ifndef HVP_NODE_WINREGISTRY_H
#define HVP_NODE_WINREGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "hoststate.h"

typedef struct winreg winreg;

/* Tracks `always` (canonical "HKLM\..." path) from the start. */
winreg *winreg_new(const char *always);
void winreg_free(winreg **w);

/* Tracks `always` and these keys (a key below another is covered by
 * it), watches them and takes the fingerprint. */
void winreg_track(winreg *w, const char *const *keys, size_t n);
/* Reads every value below the tracked keys into h (at most 20000 keys,
 * 32 deep). 0, or -1 with an owned *err. */
int winreg_read(winreg *w, host_state *h, char **err);
/* True when a tracked key changed since the last read or own write. */
bool winreg_changed(winreg *w);

/* Writes, at once; each counts as the backend's own. 0, or -1 with an
 * owned *err naming the key and the system's reason. */
int winreg_create_key(winreg *w, const char *key, char **err);
int winreg_delete_key(winreg *w, const char *key, char **err);
int winreg_set_value(winreg *w, const char *key, const char *name,
    const reg_value *v, char **err);
int winreg_delete_value(winreg *w, const char *key, const char *name,
    char **err);

/* A REG_SZ / REG_EXPAND_SZ value under HKLM (64-bit view), owned; NULL
 * when it is not there. */
char *winreg_hklm_string(const wchar_t *subkey, const wchar_t *value);

#endif
