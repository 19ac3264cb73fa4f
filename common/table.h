/*
 * table.h: plain-text tables for the `--format table` outputs: rows of
 * cells, columns padded to their widest cell (UTF-8 aware), two spaces
 * apart. Used by the controller's report renderers and the CLI.
 */
#ifndef HVP_TABLE_H
#define HVP_TABLE_H

#include <stddef.h>

#include "strbuf.h"

typedef struct table table;

table *table_new(size_t ncolumns, const char *const *headers);
void table_free(table **t);
/* Adds a row of ncolumns cells (copied); NULL cells print as "-". */
void table_add(table *t, const char *const *cells);
void table_render(const table *t, strbuf *out);

#endif
