/*
 * names.h: the one rule for what guest names, GUIDs and paths may be
 * carried into the serialization plan and DataSourceGroups.xml, and how
 * text from hosts is shown where it is not (logs, reasons). Called by the
 * planner (a guest breaking the rule is unplanned with the reason), the
 * host-file parser and the lab (warnings), the node (clips what it
 * reports) and log.c (escapes control characters in every line).
 *
 * The rule (docs/serialization-file.md, "Names"): valid UTF-8, no control
 * characters (U+0000-U+001F, U+007F-U+009F), not empty, and no longer
 * than a bound counted in UTF-16 code units, as Windows counts:
 * NAMES_GUEST_MAX for guest names, NAMES_PATH_MAX for paths. GUIDs are
 * 8-4-4-4-12 hex digits, braces allowed.
 */
#ifndef HVP_NAMES_H
#define HVP_NAMES_H

#include <stddef.h>

#include "strbuf.h"

#define NAMES_GUEST_MAX		100	/* Hyper-V Manager's limit */
#define NAMES_PATH_MAX		32767	/* Windows long paths (\\?\) */
#define NAMES_SHOW_MAX		100	/* characters names_show() keeps */

/* 0 when s may be carried; -1 with *why (owned) saying what breaks the
 * rule and where, e.g. "name has control character U+001B at character
 * 4". what names the field ("name", "path 2"). */
int names_check_text(const char *what, const char *s, size_t max_units,
    char **why);
int names_check_guest(const char *name, char **why);
int names_check_guid(const char *id, char **why);
int names_check_path(const char *path, char **why);

/* An owned copy of s of at most what max_units allows plus a few
 * characters: a longer s is cut (at a character boundary when it is
 * valid UTF-8 there) so that names_check_text() still refuses the copy,
 * while the node never sends megabytes for one name. */
char *names_clip(const char *s, size_t max_units);

/* An owned, escaped copy of s for messages, cut after NAMES_SHOW_MAX
 * characters with "...(N bytes)" saying how long it was. NULL gives "". */
char *names_show(const char *s);

#endif
