/*
 * dsrecord.h: the DPM server's node remembers which entries of
 * DataSourceGroups.xml hvpolicy wrote (dsmerge.h, the record), so that
 * an entry it wrote for a guest that has since left every plan is taken
 * out at the next write instead of being kept as someone else's. Kept in
 * stateDir/dsgroups.written, replaced atomically. daemon.c loads it at
 * start, adds the guests of every plan it installs before any pass may
 * write them (so a crash between a write and saving the record cannot
 * orphan an entry), and saves what each write leaves in the file.
 *
 * File: the line "hvpolicy-dsgroups-written 1", then one line per entry:
 * GUID, a tab, the cluster ("" for a DPM server of one cluster).
 */
#ifndef HVP_NODE_DSRECORD_H
#define HVP_NODE_DSRECORD_H

#include "dsmerge.h"

#define DSRECORD_FILE "dsgroups.written"

/* Loads dir/DSRECORD_FILE into r (cleared first): 0, 1 when there is
 * none (r empty), -1 with *err naming the file and the bad line. */
int dsrecord_load(const char *dir, dsmerge_record *r, char **err);
/* Writes r to dir/DSRECORD_FILE atomically. 0, or -1 with *err. */
int dsrecord_save(const char *dir, const dsmerge_record *r, char **err);

#endif
