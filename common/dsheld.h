/*
 * dsheld.h: the DataSourceGroups.xml a DPM server holds, kept parsed
 * between passes. Every pass reads the file's bytes again (someone may
 * have edited it since); parsing them is most of what a pass spends on
 * a file of thousands of entries, so the parse of the bytes last seen
 * is kept and used again for as long as the file holds the same bytes.
 * Used by the DPM server's node (node/engine.c on each pass,
 * node/daemon.c when idle) and the load driver's simulated DPM servers
 * (bench/loadnode.c).
 */
#ifndef HVP_DSHELD_H
#define HVP_DSHELD_H

#include <stddef.h>

#include "dsgroups.h"

typedef struct dsheld dsheld;

dsheld *dsheld_new(void);
void dsheld_free(dsheld *h);

/*
 * The parse of the file's bytes, which are taken (freed here or kept):
 * the parse kept when they are the bytes last seen, else a new one, kept
 * in its place. data NULL or len 0 is no file: *doc NULL. *doc is
 * borrowed, valid until the next call on h. -1 with *err (owned,
 * dsgroups_parse_doc's message) when they do not parse; nothing is kept
 * then.
 */
int dsheld_doc(dsheld *h, char *data, size_t len, const dsgroups_doc **doc,
    char **err);

/* The file now holds data (written here; taken): parsed at the next
 * dsheld_doc or dsheld_prepare, whichever comes first. */
void dsheld_wrote(dsheld *h, char *data, size_t len);

/* Parses the bytes last written if that is still to do: idle work, so
 * that the next change to the file does not wait for it. */
void dsheld_prepare(dsheld *h);

/* How many times the bytes were parsed (tests, benchmarks). */
size_t dsheld_parses(const dsheld *h);

#endif
