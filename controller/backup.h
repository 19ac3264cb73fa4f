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
/* A copy nobody asked a part of for this long is deleted. */
#define BACKUP_IDLE_MS 60000

/* Answers one request: token "" makes a new copy (refused while another
 * client's copy is being read) and returns its first part; a token asks
 * for the part at offset. Fills r->data (owned: free r->data.data), size,
 * token and sha256 (static strings). -1 with *err (owned) on failure. */
int backup_part(store *st, const char *token, uint64_t offset,
    Hvp__AdminReply *r, char **err);
/* Deletes a copy left idle for BACKUP_IDLE_MS. */
void backup_tick(void);

#endif
