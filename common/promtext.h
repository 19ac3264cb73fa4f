/*
 * promtext.h: writing the Prometheus text exposition format (version
 * 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/):
 * a metric's HELP and TYPE lines and escaped label values. Pure string
 * building; the daemons' metrics renderers (controller/metrics.c,
 * node/nodemetrics.c) call it and hand the text to promserve.h.
 */
#ifndef HVP_PROMTEXT_H
#define HVP_PROMTEXT_H

#include "strbuf.h"

/* "# HELP name help\n# TYPE name type\n". */
void promtext_head(strbuf *b, const char *name, const char *type,
    const char *help);
/* A label value (between the quotes), with \ " and newline escaped;
 * NULL is "". */
void promtext_label(strbuf *b, const char *value);

#endif
