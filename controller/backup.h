/*
 * backup.h: the controller's side of `hvpolicy backup` (backup.c): one
 * consistent copy of the store at a time, made on request and handed to
 * the client in parts. Called by control.c's "backup" request handler.
 */
#ifndef HVP_BACKUP_H
#define HVP_BACKUP_H

#include <stdint.h>

#include "hvpolicy.pb-c.h"
#include "store.h"

/* Largest part sent in one reply (well under WIRE_MAX_MESSAGE). */
#define BACKUP_PART_BYTES (1024u * 1024)
/* Longest the copy holds one request (and the controller's loop). */
#define BACKUP_SLICE_MS 20
/* A copy nobody asked about for this long is deleted. */
#define BACKUP_IDLE_MS 60000

/* Answers one request. Token "" starts a new copy (refused while another
 * client's is in progress); a token continues that copy. While the copy
 * is being made the reply has r->size 0: ask again with the token. Then
 * each reply carries the part at offset (in order from 0) in r->data
 * (owned: free r->data.data) and the copy's r->size; the last part also
 * r->sha256, the copy's SHA-256. r->token and r->sha256 are static.
 * -1 with *err (owned) on failure; the copy is then gone. */
int backup_part(store *st, const char *token, uint64_t offset,
    Hvp__AdminReply *r, char **err);
/* Deletes a copy that was read to its end, or left idle for
 * BACKUP_IDLE_MS. */
void backup_tick(void);

#endif
