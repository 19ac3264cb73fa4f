/*
 * textdiff.h: a line diff of two short texts (policies), for `hvpolicy
 * plan`: which lines the candidate removes and adds against the current
 * revision, with a little context. Pure. Called by the controller's
 * control.c.
 */
#ifndef HVP_TEXTDIFF_H
#define HVP_TEXTDIFF_H

#include <stddef.h>

#include "strbuf.h"

/* Longest texts compared line by line; longer ones are only said to
 * differ. */
#define TEXTDIFF_MAX_LINES 4000

/* Appends to out the lines of a and b that differ ("- " removed, "+ "
 * added), each change with up to TEXTDIFF_CONTEXT unchanged lines around
 * it ("  "), hunks apart separated by "  ...". Returns the number of
 * lines removed plus added (0: same text). */
#define TEXTDIFF_CONTEXT 2
size_t textdiff_lines(const char *a, const char *b, strbuf *out);

#endif
