/*
 * wirecheck.h: the bounds of common/bounds.h checked on a message's
 * encoded bytes, before protobuf-c allocates anything for it. A walk of
 * the protobuf wire format guided by the schema's descriptors counts
 * every field occurrence (at any depth, unknown fields included) and the
 * entries of each bounded repeated field, so a 4 MiB message of millions
 * of two-byte entries is refused at the cost of reading it once. Called
 * by wire.c's receive path for messages a ROUTER gets (node traffic at
 * the controller) and by the fuzzers.
 */
#ifndef HVP_WIRECHECK_H
#define HVP_WIRECHECK_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define WIRECHECK_OVER 1		/* within the encoding, over a bound */
#define WIRECHECK_MALFORMED (-1)	/* not a protobuf message */

/* 0 when an Envelope of len bytes is within every bound; else
 * WIRECHECK_OVER with an owned *err naming the first bound exceeded
 * ("Inventory: 2000000 guests, at most 4096"), or WIRECHECK_MALFORMED
 * with what is wrong with the bytes. */
int wirecheck_envelope(const void *data, size_t len, char **err);
/* The same for any message type. */
int wirecheck_message(const ProtobufCMessageDescriptor *d, const void *data,
    size_t len, char **err);

#endif
