/*
 * table.h: plain-text tables for the `--format table` outputs: rows of
 * cells, columns padded to their widest cell, two spaces apart, no
 * trailing blanks. Every cell is made safe to show (textsafe.h) when it
 * is added. Rendered at full width, or fitted to a terminal's width by
 * shortening the widest shrinkable columns with an ellipsis. Used by the
 * controller's report renderers (control.c, plan.c).
 */
#ifndef HVP_TABLE_H
#define HVP_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* The narrowest a shrinkable column is made (or its widest cell, or its
 * header, when wider). */
#define TABLE_MIN_COLUMN 8

typedef struct table table;

table *table_new(size_t ncolumns, const char *const *headers);
void table_free(table **t);
/* Adds a row of ncolumns cells (copied, made safe); NULL cells print as
 * "-". */
void table_add(table *t, const char *const *cells);
/* Marks a column as never shortened (identifiers, times, states). */
void table_keep(table *t, size_t column);
/* Marks a column as shortened before the others (long prose: actions,
 * fixes), so that names and paths keep more of their width. */
void table_shrink_first(table *t, size_t column);
/* Renders at full width. */
void table_render(const table *t, strbuf *out);
/* Renders within columns terminal columns where the kept columns and
 * TABLE_MIN_COLUMN allow; 0 means full width. */
void table_render_fit(const table *t, strbuf *out, size_t columns);

#endif
