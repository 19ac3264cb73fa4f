/*
 * peer.h: node traffic on the controller's ROUTER socket. Who is speaking
 * is the ZAP-bound key name (the routing id says only which connection);
 * a node that claims another name or cluster is refused. Keeps each
 * node's session (acknowledgements, inventory, liveness) in memory and in
 * the store, stores drift batches exactly once, and marks nodes offline
 * after three missed heartbeats. Called by main.c's poll loop.
 */
#ifndef HVP_PEER_H
#define HVP_PEER_H

#include "server.h"

void peer_handle(server *s);		/* one message on the ROUTER */
/* Acts on one decoded message from node `name` (already authenticated),
 * which arrived on connection rid. */
void peer_dispatch(server *s, const char *name, const wire_rid *rid,
    const Hvp__Envelope *e);
void peer_tick(server *s);		/* liveness, re-sends */
/* Stores every acknowledgement received since the last flush, in one
 * transaction. Called by peer_tick and at shutdown. */
void peer_flush_acks(server *s);

#endif
