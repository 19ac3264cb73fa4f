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

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "strbuf.h"

#define DSGROUPS_HASH_HEX	64
#define DSGROUPS_MAX_INPUT	(16u * 1024 * 1024)	/* bytes */
#define DSGROUPS_MAX_ENTRIES	65536
/* How the renderer lays the file out. */
#define DSGROUPS_INDENT		"  "
#define DSGROUPS_EOL		"\r\n"

/* One Group element: a guest and the group it is serialized in. */
typedef struct dsgroups_entry {
	char *group;	/* GroupName */
	char *name;	/* DataSourceName: guest name */
	char *id;	/* ComponentName: guest GUID, as written */
	char *writer;	/* WriterId, as written */
	/* dsgroups_parse_doc: where the element lies in the decoded text,
	 * from its '<' to just after its end; 0 otherwise. */
	size_t start, end;
} dsgroups_entry;

typedef struct dsgroups_entries {
	dsgroups_entry *v;
	size_t n;
	size_t cap;
} dsgroups_entries;

/* Frees every entry and leaves the list empty (reusable). */
void dsgroups_entries_clear(dsgroups_entries *e);

/* Puts entries in file order: group, guest name, guest id (bytes). */
void dsgroups_sort(dsgroups_entries *e);

/* The entries a plan puts in the file, in file order. Appends to out. */
void dsgroups_from_plan(const plan *p, dsgroups_entries *out);
/*
 * The same with every group name qualified by its cluster, as
 * "CLUSTER/GROUP" (cluster NULL: bare names, as dsgroups_from_plan). A
 * DPM server that protects several clusters names its clusters in its
 * host file (clusters:) and writes each cluster's groups qualified, so
 * that two clusters' Volume1 never share a group, and a group's name does
 * not change when clusters are added or removed. Group names never hold
 * the separator (CSV names cannot), so the qualified name is unique.
 */
#define DSGROUPS_CLUSTER_SEP	'/'
void dsgroups_from_plan_as(const plan *p, const char *cluster,
    dsgroups_entries *out);

/*
 * The same entries for a caller that only reads them (render, hash,
 * merge): their strings are borrowed from the plans (which must outlive
 * the view) and from blocks the view owns, so a plan of thousands of
 * guests costs no allocation per guest. Never dsgroups_entries_clear
 * the view's entries; release it with dsgroups_view_clear.
 */
typedef struct dsgroups_view {
	dsgroups_entries entries;	/* read only */
	char **blocks;			/* owned */
	size_t nblocks, cap;
} dsgroups_view;

/* Appends what dsgroups_from_plan_as(p, cluster) would, in file order
 * among themselves (dsgroups_sort the whole after several plans). */
void dsgroups_view_add_plan(dsgroups_view *v, const plan *p,
    const char *cluster);
void dsgroups_view_clear(dsgroups_view *v);

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

/*
 * A parsed file with what a merge needs to rewrite part of it and keep
 * the rest byte for byte (dsmerge.h): the decoded text, its encoding, and
 * where each Group element and the root's end lie.
 */
typedef struct dsgroups_doc {
	char *text;		/* the file decoded to UTF-8, owned */
	size_t len;
	bool utf8;		/* the file was UTF-8 (else UTF-16) */
	bool bom;		/* it began with a byte-order mark */
	dsgroups_entries entries;	/* with start and end set; their
					 * strings are in strings: never
					 * dsgroups_entries_clear them */
	char *strings;		/* every attribute value, owned */
	size_t root_end;	/* offset of the root's end tag, or of the
				 * "/>" of an empty root element */
	bool root_empty;	/* <DatasourceGroup ... /> */
	char *root_name;	/* the root element's name as written, owned */
} dsgroups_doc;

/* As dsgroups_parse, keeping the text and positions in out (which is
 * overwritten: release what it held first; release the result with
 * dsgroups_doc_clear, also after an error). */
int dsgroups_parse_doc(const void *data, size_t len, dsgroups_doc *out,
    char **err);
void dsgroups_doc_clear(dsgroups_doc *d);

/* Appends one Group element as the renderer writes it: indent, the four
 * attributes escaped, " />" and eol. -1 (sb unchanged) when a value is
 * empty or holds a character XML cannot carry. */
int dsgroups_render_entry(strbuf *sb, const dsgroups_entry *e,
    const char *indent, const char *eol);
/* The entries of the file rendered as the whole file in the format
 * dsgroups_render writes (UTF-16LE with a mark, CRLF). Same result as
 * dsgroups_render for the entries of a plan. */
int dsgroups_render_entries(const dsgroups_entries *e, char **out,
    size_t *len);

/* A GUID as compared: one pair of braces dropped, ASCII lowercase.
 * Owned. */
char *dsgroups_norm_guid(const char *id);
/* The same appended to sb (no allocation per GUID for a caller that
 * normalizes thousands). */
void dsgroups_norm_guid_add(strbuf *sb, const char *id);

/* BLAKE2b-256 (lowercase hex) of the entries in canonical order: group,
 * guest name, guest id (lowercase, braces dropped), writer id (likewise).
 * Order in the file does not matter; every entry counts. */
void dsgroups_hash(const dsgroups_entries *e, char out[DSGROUPS_HASH_HEX + 1]);
/* The same hash for what dsgroups_render(p) writes. */
void dsgroups_plan_hash(const plan *p, char out[DSGROUPS_HASH_HEX + 1]);
/* The same for dsgroups_from_plan_as(p, cluster). */
void dsgroups_plan_hash_as(const plan *p, const char *cluster,
    char out[DSGROUPS_HASH_HEX + 1]);

#endif
