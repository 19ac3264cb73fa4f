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

typedef struct winregistry winregistry;

/* Tracks `always` (canonical "HKLM\..." path) from the start. */
winregistry *winregistry_new(const char *always);
void winregistry_free(winregistry **w);

/* Tracks `always` and these keys (a key below another is covered by
 * it), watches them and takes the fingerprint. */
void winregistry_track(winregistry *w, const char *const *keys, size_t n);
/* Reads every value below the tracked keys into h (at most 20000 keys,
 * 32 deep). 0, or -1 with an owned *err. */
int winregistry_read(winregistry *w, host_state *h, char **err);
/* True when a tracked key changed since the last read or own write. */
bool winregistry_changed(winregistry *w);

/* Writes, at once; each counts as the backend's own. 0, or -1 with an
 * owned *err naming the key and the system's reason. */
int winregistry_create_key(winregistry *w, const char *key, char **err);
int winregistry_delete_key(winregistry *w, const char *key, char **err);
int winregistry_set_value(winregistry *w, const char *key, const char *name,
    const reg_value *v, char **err);
int winregistry_delete_value(winregistry *w, const char *key, const char *name,
    char **err);

/* A REG_SZ / REG_EXPAND_SZ value under HKLM (64-bit view), owned; NULL
 * when it is not there. */
char *winregistry_hklm_string(const wchar_t *subkey, const wchar_t *value);

#endif
