/*
 * diag.h: diagnostics about input files (policies, host files, configs).
 * Parsers add every problem they find and go on; callers sort and print
 * them once, as FILE:LINE:COLUMN: error: MESSAGE or as JSON objects.
 */
#ifndef HVP_DIAG_H
#define HVP_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

typedef struct diag {
	char *file;
	int line;	/* 1-based; 0 when the problem has no position */
	int column;	/* 1-based */
	char *key;	/* dotted path of the key concerned, or NULL */
	char *message;
} diag;

typedef struct diag_list {
	diag *items;
	size_t count;
	size_t cap;
	size_t limit;	/* stop collecting past this many (default 1000) */
} diag_list;

void diag_list_init(diag_list *d);
void diag_list_release(diag_list *d);
void diag_add(diag_list *d, const char *file, int line, int column,
    const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Stable sort by file, line, column. */
void diag_sort(diag_list *d);
void diag_print(const diag_list *d, FILE *out);
/* Appends a JSON array of {file,line,column,key,message}. */
void diag_render_json(const diag_list *d, strbuf *out);
/* Joins every message into one owned "FILE:LINE:COL: MESSAGE; ..." string. */
char *diag_join(const diag_list *d);

#endif
