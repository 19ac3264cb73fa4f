/*
 * frame.c: length and checksum of the node's on-disk records (frame.h).
 */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
frame_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

uint32_t
frame_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

void
frame_checksum(const unsigned char key[crypto_shorthash_KEYBYTES],
    const uint8_t *lenfield, const uint8_t *payload, size_t len,
    uint8_t out[FRAME_SUM_BYTES])
{
	uint8_t *buf = xmalloc(4 + len);

	memcpy(buf, lenfield, 4);
	if (len)
		memcpy(buf + 4, payload, len);
	crypto_shorthash(out, buf, 4 + len, key);
	free(buf);
}
