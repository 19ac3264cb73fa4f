/*
 * strsort.h: the order of strings, in one place: the qsort and bsearch
 * comparator for arrays of strings, and the comparison that the
 * comparators of records with optional string fields are made of. Used
 * wherever names, CSVs, GUIDs or file names are sorted (plan, planner,
 * policy, wire, the platform layers, the controller's digests).
 */
#ifndef HVP_STRSORT_H
#define HVP_STRSORT_H

/* strcmp order, NULL before every string ("" included). */
int strsort_compare(const char *a, const char *b);

/* For qsort and bsearch over an array of char * (or const char *), in
 * strsort_compare's order. */
int strsort_cmp(const void *a, const void *b);

#endif
