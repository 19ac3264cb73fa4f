/*
 * journal.h: the node's durable queue of drift transitions, in
 * stateDir/journal/. Every transition gets a sequence number (1, 2, ...,
 * never reused, also across restarts and after the queue empties); the
 * daemon (daemon.c) appends after each reconcile pass, sends what is
 * pending as DriftBatch messages and trims when a DriftAck or Welcome says
 * the controller stored them.
 *
 * On disk (see docs/node-daemon.md): one segment file per append,
 * "drift-<first seq>-<last seq>.jnl", written and fsync'd with platform_replace_file
 * (so a segment is whole or absent); records are length-prefixed packed
 * Hvp__Drift messages, each with a magic and a checksum, so a torn or
 * corrupt record is found, logged and skipped while the valid ones are
 * kept. "journal.meta" holds the next sequence number and the highest
 * acknowledged one, so neither goes backwards when segments are deleted.
 */
#ifndef HVP_NODE_JOURNAL_H
#define HVP_NODE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "drift.h"

/* Batches: at most this many records (the protocol's limit). */
#define JOURNAL_BATCH_MAX LIMIT_DRIFT_BATCH	/* bounds.h */
/* Segments kept before an append merges them into one. */
#define JOURNAL_MAX_SEGMENTS 64

typedef struct journal journal;

typedef struct journal_entry {
	uint64_t seq;
	drift_record rec;
	size_t wire_size;	/* packed Hvp__Drift size, for batch limits */
} journal_entry;

/* Opens the journal in dir (created, private, if missing) and loads what
 * is pending. Damaged records are logged and skipped. NULL with *err
 * (owned) when the directory or a file cannot be read or written. */
journal *journal_open(const char *dir, char **err);
void journal_free(journal **j);

/* Appends n records with the next consecutive sequence numbers, durably
 * (written and fsync'd before it returns). *first_seq (may be NULL) gets
 * the first number used. Returns 0, or -1 with *err; on failure nothing
 * was appended and no number was used. */
int journal_append(journal *j, const drift_record *recs, size_t n,
    uint64_t *first_seq, char **err);

/* Pending entries with seq > after, in order: a borrowed pointer to the
 * first (valid until the next append, trim or rebase) and how many may go
 * in one batch: at most max (capped at JOURNAL_BATCH_MAX) and, beyond
 * the first, no more than max_bytes of packed records. 0 when none. */
size_t journal_pending(const journal *j, uint64_t after, size_t max,
    size_t max_bytes, const journal_entry **first);

/* Drops entries with seq <= upto (the controller stored them) and
 * records upto durably. upto beyond the last number issued is clamped.
 * Returns 0, or -1 with *err (the in-memory queue is trimmed anyway). */
int journal_trim(journal *j, uint64_t upto, char **err);

/* The controller reports having stored up to `upto` although this
 * journal never issued that number (stateDir was lost or replaced):
 * renumbers the pending entries after upto so the controller does not
 * take them for duplicates, and moves the next number past it. No-op
 * (returns 0) when upto < next sequence number. */
int journal_rebase(journal *j, uint64_t upto, char **err);

uint64_t journal_next_seq(const journal *j);	/* the number the next gets */
uint64_t journal_acked(const journal *j);	/* highest trimmed */
size_t journal_count(const journal *j);		/* pending entries */
/* Damaged records skipped while loading (for tests and the log). */
size_t journal_damaged(const journal *j);

#endif
