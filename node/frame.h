/*
 * frame.h: the framing of the node's on-disk records (journal.c's drift
 * records, nodestate.c's desired state): a little-endian 32-bit length
 * and a keyed checksum over length and payload, so a torn or damaged
 * record is recognised. Each file format passes its own key, so a record
 * of one can never pass for the other.
 */
#ifndef HVP_FRAME_H
#define HVP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define FRAME_SUM_BYTES crypto_shorthash_BYTES

void frame_put_le32(uint8_t *p, uint32_t v);
uint32_t frame_get_le32(const uint8_t *p);
/* Checksum of the 4-byte length field and the payload under key. */
void frame_checksum(const unsigned char key[crypto_shorthash_KEYBYTES],
    const uint8_t *lenfield, const uint8_t *payload, size_t len,
    uint8_t out[FRAME_SUM_BYTES]);

#endif
