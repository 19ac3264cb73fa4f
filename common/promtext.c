/*
 * promtext.c: Prometheus text format helpers (promtext.h).
 */
#include "promtext.h"

void
promtext_head(strbuf *b, const char *name, const char *type,
    const char *help)
{
	strbuf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
promtext_label(strbuf *b, const char *value)
{
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			strbuf_addch(b, '\\');
		if (*p == '\n')
			strbuf_addstr(b, "\\n");
		else
			strbuf_addch(b, *p);
	}
}
