/*
 * table.c: padded plain-text tables (table.h).
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct table {
	size_t ncolumns;
	char **cells;		/* rows * ncolumns, row 0 = headers */
	size_t nrows;
	size_t cap;
};

table *
table_new(size_t ncolumns, const char *const *headers)
{
	table *t = xcalloc(1, sizeof *t);

	t->ncolumns = ncolumns;
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
	free(*t);
	*t = NULL;
}

void
table_add(table *t, const char *const *cells)
{
	size_t base = t->nrows * t->ncolumns;

	xgrow(&t->cells, &t->cap, base + t->ncolumns, sizeof *t->cells);
	for (size_t c = 0; c < t->ncolumns; c++)
		t->cells[base + c] = xstrdup(cells[c] ? cells[c] : "-");
	t->nrows++;
}

/* Display width: counts UTF-8 lead bytes only. */
static size_t
s_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
table_render(const table *t, strbuf *out)
{
	size_t *width = xcalloc(t->ncolumns, sizeof *width);

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncolumns; c++) {
			size_t w = s_width(t->cells[r * t->ncolumns + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncolumns; c++) {
			const char *cell = t->cells[r * t->ncolumns + c];

			strbuf_addstr(out, cell);
			if (c + 1 < t->ncolumns)
				for (size_t p = s_width(cell); p < width[c] + 2; p++)
					strbuf_addch(out, ' ');
		}
		strbuf_addch(out, '\n');
	}
	free(width);
}
