/*
 * textsafe.h: data shown as text to a person or a spreadsheet, made safe
 * to show. Every text output of the CLI (tables through table.c, CSV
 * cells through drift.c) passes data through here, so a name, path or
 * log line from a node can neither drive the terminal (escape sequences,
 * carriage returns), nor start a line of its own, nor be evaluated as a
 * formula. docs/cli.md ("Output safety") describes the rules.
 */
#ifndef HVP_TEXTSAFE_H
#define HVP_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Appends s with every character that is not plain printable text shown
 * escaped: \t, \n, \r; other C0 controls, DEL and bytes that are not
 * UTF-8 as \xHH; C1 controls, line and paragraph separators and the
 * bidirectional overrides and isolates as \uHHHH. Backslashes are kept
 * as they are (Windows paths stay readable). */
void textsafe_add(strbuf *out, const char *s);
/* The same for s[0..len), which may hold NUL bytes (escaped). */
void textsafe_add_n(strbuf *out, const char *s, size_t len);
/* An owned copy of s made safe as textsafe_add() does. */
char *textsafe_dup(const char *s);
/* True when textsafe_add() would append s unchanged. */
bool textsafe_clean(const char *s);
/* Columns s takes on a terminal: one per code point. */
size_t textsafe_width(const char *s);
/* Appends the first columns of a safe string s: all of it when it fits,
 * else what fits in columns - 1 followed by an ellipsis (U+2026). */
void textsafe_add_fit(strbuf *out, const char *s, size_t columns);
/* Appends s as one CSV cell (RFC 4180): made safe as above (so no cell
 * holds a line break), quoted when it holds a comma, quote or leading or
 * trailing space, and prefixed with an apostrophe when a spreadsheet
 * would evaluate it: it starts with =, +, -, @, a tab or a carriage
 * return (OWASP "CSV Injection"). NULL is an empty cell. */
void textsafe_csv_cell(strbuf *out, const char *s);

#endif
