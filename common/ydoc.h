/*
 * ydoc.h: strict YAML loading for every file hvpolicy reads (policies,
 * host files, daemon configs). libyaml's event API builds a small tree in
 * which every node keeps its 1-based line and column, so schema errors
 * found later still point into the file.
 *
 * Hostile input is bounded here, once: file size, nesting depth, scalar
 * length and node count; anchors, aliases, tags other than the core ones,
 * multiple documents, an empty file and a non-mapping root are errors.
 *
 * The y*_get helpers below check one value against its schema and add a
 * diagnostic naming the key path and what was expected; they return -1 on
 * a problem (already reported) and 0 on success.
 */
#ifndef HVP_YDOC_H
#define HVP_YDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ } ynode_kind;

typedef struct ynode ynode;
struct ynode {
	ynode_kind kind;
	int line, column;	/* 1-based */
	char *text;		/* scalar text (owned) */
	size_t text_len;
	bool plain;		/* scalar written without quotes */
	/* Mappings: keys[i] -> values[i] (keys are scalars). Sequences use
	 * values only. */
	ynode **keys;
	ynode **values;
	size_t count;
	size_t cap;
};

typedef struct ydoc_limits {
	size_t max_bytes;	/* whole file */
	size_t max_depth;	/* nested collections */
	size_t max_scalar;	/* one scalar's length */
	size_t max_nodes;	/* all nodes */
} ydoc_limits;

/* Limits for small hand-written files (policies, configs). */
extern const ydoc_limits YDOC_LIMITS_SMALL;
/* Limits for host files (thousands of guests and registry values). */
extern const ydoc_limits YDOC_LIMITS_LARGE;

typedef struct ydoc {
	char *file;	/* label used in diagnostics */
	ynode *root;	/* a mapping, when parsing succeeded */
} ydoc;

/* Returns NULL (with diagnostics) when the text is not a single YAML
 * mapping within the limits. */
ydoc *ydoc_parse(const char *file, const char *data, size_t len,
    const ydoc_limits *limits, diag_list *d);
ydoc *ydoc_load(const char *path, const ydoc_limits *limits, diag_list *d);
void ydoc_free(ydoc **doc);

/* Plain null, ~ or empty plain scalar. */
bool ynode_is_null(const ynode *n);
/* Value for key in a mapping (exact match), or NULL. */
ynode *ymap_get(const ynode *map, const char *key);

/* A table of the keys a mapping may hold; ymap_check reports unknown and
 * duplicate keys (naming the allowed ones) and fills each slot with the
 * value node (or NULL when the key is absent). */
typedef struct yfield {
	const char *name;
	ynode **slot;
	bool required;
} yfield;
int ymap_check(const ydoc *doc, const ynode *map, const char *path,
    yfield *fields, size_t nfields, diag_list *d);

/* Each reports "PATH: expected ..." at the node on mismatch. */
int yget_map(const ydoc *doc, const ynode *n, const char *path, diag_list *d);
int yget_seq(const ydoc *doc, const ynode *n, const char *path, diag_list *d);
int yget_str(const ydoc *doc, const ynode *n, const char *path, char **out,
    diag_list *d);
int yget_bool(const ydoc *doc, const ynode *n, const char *path, bool *out,
    diag_list *d);
/* Decimal or 0x hex integer in [min, max]. */
int yget_int(const ydoc *doc, const ynode *n, const char *path, int64_t min,
    int64_t max, int64_t *out, diag_list *d);
int yget_uint64(const ydoc *doc, const ynode *n, const char *path,
    uint64_t max, uint64_t *out, diag_list *d);
/* Index of the scalar in a NULL-terminated list of allowed values. */
int yget_enum(const ydoc *doc, const ynode *n, const char *path,
    const char *const *allowed, int *out, diag_list *d);
/* A sequence of strings (owned array of owned strings). */
int yget_str_list(const ydoc *doc, const ynode *n, const char *path,
    char ***out, size_t *count, diag_list *d);
void ystr_list_free(char ***list, size_t *count);

/* Adds a diagnostic at node n. */
void ydiag(const ydoc *doc, const ynode *n, const char *path, diag_list *d,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "a.b" + "c" -> "a.b.c"; "a" + index 3 -> "a[3]"; owned. */
char *ypath_key(const char *path, const char *key);
char *ypath_index(const char *path, size_t index);

/* Parses a whole decimal or 0x hex unsigned integer; -1 when it is not one
 * or exceeds max. */
int yparse_uint64(const char *text, uint64_t max, uint64_t *out);

#endif
