/*
 * xalloc.h: allocation that cannot fail (out of memory is fatal), and
 * small string helpers every module uses.
 */
#ifndef HVP_XALLOC_H
#define HVP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *array (of elem_size items, *cap slots) to hold at least need. */
void xgrow(void *array_p, size_t *cap, size_t need, size_t elem_size);
char *xstrdup(const char *s);		/* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
