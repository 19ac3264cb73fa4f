/*
 * dsgroups.h: DataSourceGroups.xml, the file on the DPM server that puts
 * guests in groups DPM backs up one at a time. The DPM server's node
 * renders the controller's plan into it and parses what it holds to
 * report that file's hash; the controller hashes its plan the same way,
 * so equal hashes mean the DPM server holds the plan. The format and
 * the hash are written down in docs/serialization-file.md.
 */
#ifndef HVP_DSGROUPS_H
#define HVP_DSGROUPS_H

#include <stddef.h>

#include "plan.h"

#define DSGROUPS_HASH_HEX	64
#define DSGROUPS_MAX_INPUT	(16u * 1024 * 1024)	/* bytes */
#define DSGROUPS_MAX_ENTRIES	65536

/* One Group element: a guest and the group it is serialized in. */
typedef struct dsgroups_entry {
	char *group;	/* GroupName */
	char *name;	/* DataSourceName: guest name */
	char *id;	/* ComponentName: guest GUID, as written */
	char *writer;	/* WriterId, as written */
} dsgroups_entry;

typedef struct dsgroups_entries {
	dsgroups_entry *v;
	size_t n;
	size_t cap;
} dsgroups_entries;

/* Frees every entry and leaves the list empty (reusable). */
void dsgroups_entries_clear(dsgroups_entries *e);

/* The entries a plan puts in the file, in file order. Appends to out. */
void dsgroups_from_plan(const plan *p, dsgroups_entries *out);

/*
 * Renders the plan as the file's bytes (UTF-16LE with a byte-order mark,
 * CRLF lines): *out is owned by the caller, *len its size. Returns -1
 * (nothing allocated) when a group, guest name or id is empty or holds a
 * character XML cannot carry.
 */
int dsgroups_render(const plan *p, char **out, size_t *len);

/*
 * Parses a file's bytes into out (which must be empty or cleared):
 * UTF-16LE/BE by byte-order mark, else UTF-8; comments, either quote,
 * any attribute order, self-closing or open/close Group elements, the
 * five standard entities and character references. Returns 0, or -1
 * with an owned message in *err ("line L, column C: ...", or "byte N:
 * ..." for an encoding error) and out left empty.
 */
int dsgroups_parse(const void *data, size_t len, dsgroups_entries *out,
    char **err);

/* BLAKE2b-256 (lowercase hex) of the entries in canonical order: group,
 * guest name, guest id (lowercase, braces dropped), writer id (likewise).
 * Order in the file does not matter; every entry counts. */
void dsgroups_hash(const dsgroups_entries *e, char out[DSGROUPS_HASH_HEX + 1]);
/* The same hash for what dsgroups_render(p) writes. */
void dsgroups_plan_hash(const plan *p, char out[DSGROUPS_HASH_HEX + 1]);

#endif
