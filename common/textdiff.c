/*
 * textdiff.c: a line diff of two short texts (textdiff.h). The longest
 * common subsequence of lines by dynamic programming: O(n * m) time and
 * space, fine for policies (tens of lines) and bounded by
 * TEXTDIFF_MAX_LINES.
 */
#include "textdiff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

typedef struct s_lines {
	const char **at;	/* start of each line */
	size_t *len;		/* without the newline */
	size_t n;
} s_lines;

static void
s_split(const char *text, s_lines *l)
{
	size_t cap = 0;
	const char *p = text ? text : "";

	memset(l, 0, sizeof *l);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		xgrow(&l->at, &cap, l->n + 1, sizeof *l->at);
		l->len = xrealloc(l->len, cap * sizeof *l->len);
		l->at[l->n] = p;
		l->len[l->n++] = len;
		p += len + (nl != NULL);
	}
}

static bool
s_same(const s_lines *a, size_t i, const s_lines *b, size_t k)
{
	return a->len[i] == b->len[k] &&
	    memcmp(a->at[i], b->at[k], a->len[i]) == 0;
}

typedef enum { S_KEEP, S_DEL, S_ADD } s_op;

/* The edit script from a to b, as ops (owned), by LCS. */
static s_op *
s_script(const s_lines *a, const s_lines *b, size_t *nops)
{
	size_t w = b->n + 1, i = 0, k = 0, n = 0;
	uint32_t *lcs = xcalloc((a->n + 1) * w, sizeof *lcs);
	s_op *ops = xcalloc(a->n + b->n + 1, sizeof *ops);

	for (size_t x = a->n; x-- > 0;)
		for (size_t y = b->n; y-- > 0;)
			lcs[x * w + y] = s_same(a, x, b, y) ?
			    lcs[(x + 1) * w + y + 1] + 1 :
			    (lcs[(x + 1) * w + y] > lcs[x * w + y + 1] ?
			    lcs[(x + 1) * w + y] : lcs[x * w + y + 1]);
	while (i < a->n || k < b->n) {
		if (i < a->n && k < b->n && s_same(a, i, b, k)) {
			ops[n++] = S_KEEP;
			i++;
			k++;
		} else if (i < a->n && (k == b->n ||
		    lcs[(i + 1) * w + k] >= lcs[i * w + k + 1])) {
			ops[n++] = S_DEL;	/* removals first, as diff(1) */
			i++;
		} else {
			ops[n++] = S_ADD;
			k++;
		}
	}
	free(lcs);
	*nops = n;
	return ops;
}

/* Whether op j is within TEXTDIFF_CONTEXT of a change. */
static bool
s_near_change(const s_op *ops, size_t n, size_t j)
{
	size_t lo = j > TEXTDIFF_CONTEXT ? j - TEXTDIFF_CONTEXT : 0;

	for (size_t x = lo; x < n && x <= j + TEXTDIFF_CONTEXT; x++)
		if (ops[x] != S_KEEP)
			return true;
	return false;
}

static void
s_line(strbuf *out, const char *mark, const char *at, size_t len)
{
	strbuf_addf(out, "%s%.*s\n", mark, (int)len, at);
}

size_t
textdiff_lines(const char *a, const char *b, strbuf *out)
{
	s_lines la, lb;
	s_op *ops;
	size_t nops, i = 0, k = 0, changes = 0;
	bool gap = false, shown = false;

	s_split(a, &la);
	s_split(b, &lb);
	if (la.n > TEXTDIFF_MAX_LINES || lb.n > TEXTDIFF_MAX_LINES) {
		changes = strcmp(a ? a : "", b ? b : "") != 0;
		if (changes)
			strbuf_addstr(out, "  (the texts differ; too long to "
			    "compare line by line)\n");
		goto out;
	}
	ops = s_script(&la, &lb, &nops);
	for (size_t j = 0; j < nops; j++) {
		if (ops[j] != S_KEEP)
			changes++;
		if (!s_near_change(ops, nops, j)) {
			gap = shown;
		} else {
			if (gap)
				strbuf_addstr(out, "  ...\n");
			gap = false;
			shown = true;
			if (ops[j] == S_KEEP)
				s_line(out, "  ", la.at[i], la.len[i]);
			else if (ops[j] == S_DEL)
				s_line(out, "- ", la.at[i], la.len[i]);
			else
				s_line(out, "+ ", lb.at[k], lb.len[k]);
		}
		i += ops[j] != S_ADD;
		k += ops[j] != S_DEL;
	}
	free(ops);
out:
	free(la.at);
	free(la.len);
	free(lb.at);
	free(lb.len);
	return changes;
}
