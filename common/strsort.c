/*
 * strsort.c: the order of strings (strsort.h).
 */
#include "strsort.h"

#include <string.h>

int
strsort_compare(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int
strsort_cmp(const void *a, const void *b)
{
	return strsort_compare(*(const char *const *)a,
	    *(const char *const *)b);
}
