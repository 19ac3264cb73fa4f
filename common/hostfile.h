/*
 * hostfile.h: the simulated host file (docs/host-file.md): a strict YAML
 * parser into a host_state, a stable renderer back to YAML, and atomic
 * saving. Callers: the sim backend, the node's --once mode, the lab, the
 * DPM-side planner fed with --inventory host files.
 */
#ifndef HVP_HOSTFILE_H
#define HVP_HOSTFILE_H

#include <stddef.h>

#include "diag.h"
#include "hoststate.h"
#include "strbuf.h"

/* Parses text (file is the label used in diagnostics). On any problem
 * returns NULL with every problem in d as FILE:LINE:COLUMN. */
host_state *hostfile_parse(const char *file, const char *text, size_t len,
    diag_list *d);
/* Reads and parses the file at path. */
host_state *hostfile_load(const char *path, diag_list *d);

/* Appends h as YAML to out: fixed key order, registry keys and values
 * sorted case-insensitively, guests, providers and lists in stored order.
 * Parsing the text gives an equal state, and rendering that state gives
 * the same bytes. Returns -1 (out then holds partial text) only for a
 * state no file could hold: a string that is not valid UTF-8, an enum
 * out of range, a registry value without a type. */
int hostfile_render(const host_state *h, strbuf *out);
/* Renders h and replaces the file at path atomically (temporary file,
 * fsync, rename). 0, or -1 with *err owned. */
int hostfile_save(const host_state *h, const char *path, char **err);

/* Validates a GUID (8-4-4-4-12 hex digits, with or without braces) and
 * writes it lowercase without braces into out; -1 when text is not one. */
int hostfile_guid_parse(const char *text, char out[37]);

#endif
