/*
 * diag.c: collecting, sorting and printing input diagnostics (diag.h).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

void
diag_list_init(diag_list *d)
{
	memset(d, 0, sizeof *d);
	d->limit = 1000;
}

void
diag_list_release(diag_list *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].key);
		free(d->items[i].message);
	}
	free(d->items);
	memset(d, 0, sizeof *d);
	d->limit = 1000;
}

void
diag_add(diag_list *d, const char *file, int line, int column,
    const char *key, const char *fmt, ...)
{
	va_list ap;
	diag *g;
	int n;

	if (d->limit && d->count >= d->limit)
		return;
	xgrow(&d->items, &d->cap, d->count + 1, sizeof *d->items);
	g = &d->items[d->count++];
	g->file = xstrdup(file ? file : "-");
	g->line = line;
	g->column = column;
	g->key = xstrdup(key);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	g->message = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(g->message, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
}

static int
s_diag_cmp(const void *pa, const void *pb)
{
	const diag *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return 0;
}

void
diag_sort(diag_list *d)
{
	/* Insertion sort: stable, and lists are short. */
	for (size_t i = 1; i < d->count; i++) {
		diag tmp = d->items[i];
		size_t j = i;

		while (j > 0 && s_diag_cmp(&d->items[j - 1], &tmp) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = tmp;
	}
}

void
diag_print(const diag_list *d, FILE *out)
{
	for (size_t i = 0; i < d->count; i++) {
		const diag *g = &d->items[i];

		if (g->line > 0)
			fprintf(out, "%s:%d:%d: error: %s\n", g->file, g->line,
			    g->column, g->message);
		else
			fprintf(out, "%s: error: %s\n", g->file, g->message);
	}
}

void
diag_render_json(const diag_list *d, strbuf *out)
{
	jsonw j;

	jsonw_init(&j, out, true);
	jsonw_begin_array(&j);
	for (size_t i = 0; i < d->count; i++) {
		const diag *g = &d->items[i];

		jsonw_begin_object(&j);
		jsonw_kv_str(&j, "file", g->file);
		jsonw_kv_int(&j, "line", g->line);
		jsonw_kv_int(&j, "column", g->column);
		jsonw_kv_str(&j, "key", g->key);
		jsonw_kv_str(&j, "message", g->message);
		jsonw_end_object(&j);
	}
	jsonw_end_array(&j);
}

char *
diag_join(const diag_list *d)
{
	strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < d->count; i++) {
		const diag *g = &d->items[i];

		if (i)
			strbuf_addstr(&sb, "; ");
		if (g->line > 0)
			strbuf_addf(&sb, "%s:%d:%d: %s", g->file, g->line,
			    g->column, g->message);
		else
			strbuf_addf(&sb, "%s: %s", g->file, g->message);
	}
	return strbuf_detach(&sb, NULL);
}
