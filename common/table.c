/*
 * table.c: padded plain-text tables (table.h), fitted to a width.
 *
 * Fitting: the columns marked to shrink first are capped at one width,
 * the largest that makes the table fit; when even their floors are too
 * wide, the other shrinkable columns are capped the same way. No column
 * goes below its floor (header width, TABLE_MIN_COLUMN, or its widest
 * cell when narrower); cells over their column's width end in an
 * ellipsis. When even the floors do not fit, the table is as narrow as
 * they allow and the terminal wraps it.
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "textsafe.h"
#include "xalloc.h"

struct table {
	size_t ncolumns;
	char **cells;		/* rows * ncolumns, row 0 = headers; safe */
	size_t nrows;
	size_t cap;
	int *shrink;		/* per column: S_KEEP, S_LAST, S_FIRST */
};

enum { S_LAST = 0, S_KEEP, S_FIRST };

table *
table_new(size_t ncolumns, const char *const *headers)
{
	table *t = xcalloc(1, sizeof *t);

	t->ncolumns = ncolumns;
	t->shrink = xcalloc(ncolumns, sizeof *t->shrink);
	table_add(t, headers);
	return t;
}

void
table_free(table **t)
{
	if (*t == NULL)
		return;
	for (size_t i = 0; i < (*t)->nrows * (*t)->ncolumns; i++)
		free((*t)->cells[i]);
	free((*t)->cells);
	free((*t)->shrink);
	free(*t);
	*t = NULL;
}

void
table_add(table *t, const char *const *cells)
{
	size_t base = t->nrows * t->ncolumns;

	xgrow(&t->cells, &t->cap, base + t->ncolumns, sizeof *t->cells);
	for (size_t c = 0; c < t->ncolumns; c++)
		t->cells[base + c] = textsafe_dup(cells[c] ? cells[c] : "-");
	t->nrows++;
}

void
table_keep(table *t, size_t column)
{
	if (column < t->ncolumns)
		t->shrink[column] = S_KEEP;
}

void
table_shrink_first(table *t, size_t column)
{
	if (column < t->ncolumns)
		t->shrink[column] = S_FIRST;
}

/* Total width of the table with the shrink-first columns capped at
 * cap[1] and the others that may shrink at cap[0]. */
static size_t
s_total(const table *t, const size_t *natural, const size_t *floor,
    const size_t cap[2], size_t *width)
{
	size_t total = 2 * (t->ncolumns - 1);

	for (size_t c = 0; c < t->ncolumns; c++) {
		size_t w = natural[c];
		size_t limit = t->shrink[c] == S_FIRST ? cap[1] : cap[0];

		if (t->shrink[c] != S_KEEP && w > limit)
			w = limit > floor[c] ? limit : floor[c];
		if (width)
			width[c] = w;
		total += w;
	}
	return total;
}

/* Lowers cap[which] to the largest value that fits (s_total grows with
 * it), or to 1 when none does. */
static void
s_fit(const table *t, const size_t *natural, const size_t *floor,
    size_t columns, size_t cap[2], int which)
{
	size_t lo = 1, hi = cap[which];

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		cap[which] = mid;
		if (s_total(t, natural, floor, cap, NULL) <= columns)
			lo = mid;
		else
			hi = mid - 1;
	}
	cap[which] = lo;
}

/* Column widths for the given terminal width (0: natural). */
static void
s_widths(const table *t, size_t columns, size_t *width)
{
	size_t *natural = xcalloc(t->ncolumns, sizeof *natural);
	size_t *floor = xcalloc(t->ncolumns, sizeof *floor);
	size_t hi = 1, cap[2];

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncolumns; c++) {
			size_t w = textsafe_width(t->cells[r * t->ncolumns + c]);

			if (w > natural[c])
				natural[c] = w;
			if (r == 0)
				floor[c] = w > TABLE_MIN_COLUMN ? w :
				    TABLE_MIN_COLUMN;
		}
	for (size_t c = 0; c < t->ncolumns; c++) {
		if (floor[c] > natural[c])
			floor[c] = natural[c];
		if (natural[c] > hi)
			hi = natural[c];
	}
	cap[0] = cap[1] = hi;
	if (columns > 0 && s_total(t, natural, floor, cap, NULL) > columns) {
		s_fit(t, natural, floor, columns, cap, 1);
		if (s_total(t, natural, floor, cap, NULL) > columns)
			s_fit(t, natural, floor, columns, cap, 0);
	}
	s_total(t, natural, floor, cap, width);
	free(natural);
	free(floor);
}

void
table_render_fit(const table *t, strbuf *out, size_t columns)
{
	size_t *width = xcalloc(t->ncolumns, sizeof *width);

	s_widths(t, columns, width);
	for (size_t r = 0; r < t->nrows; r++) {
		size_t line = out->len;

		for (size_t c = 0; c < t->ncolumns; c++) {
			const char *cell = t->cells[r * t->ncolumns + c];
			size_t w = textsafe_width(cell);

			textsafe_add_fit(out, cell, width[c]);
			if (c + 1 < t->ncolumns)
				for (size_t p = w < width[c] ? w : width[c];
				    p < width[c] + 2; p++)
					strbuf_addch(out, ' ');
		}
		while (out->len > line && out->data[out->len - 1] == ' ')
			out->data[--out->len] = '\0';
		strbuf_addch(out, '\n');
	}
	free(width);
}

void
table_render(const table *t, strbuf *out)
{
	table_render_fit(t, out, 0);
}
