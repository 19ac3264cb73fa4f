/*
 * lab_rand.c: the lab's deterministic generator (splitmix64), so that
 * `init` with one seed always writes the same lab, and the GUIDs it
 * gives guests. Guests added later get a generator seeded from the
 * system's random source. Called by lab_init.c and lab_edit.c.
 */
#include <sodium.h>
#include <stdio.h>

#include "lab.h"

void
lab_rand_init(lab_rand *r, uint64_t seed)
{
	r->state = seed;
}

void
lab_rand_init_fresh(lab_rand *r)
{
	uint64_t seed;

	if (sodium_init() < 0)
		seed = 0x9e3779b97f4a7c15ULL;
	else
		randombytes_buf(&seed, sizeof seed);
	lab_rand_init(r, seed);
}

uint64_t
lab_rand_next(lab_rand *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t
lab_rand_below(lab_rand *r, size_t n)
{
	uint64_t limit, v;

	if (n <= 1)
		return 0;
	/* Rejects the top remainder so every result is equally likely. */
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		v = lab_rand_next(r);
	while (v >= limit);
	return (size_t)(v % n);
}

void
lab_rand_shuffle(lab_rand *r, size_t *idx, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = lab_rand_below(r, i), t = idx[i - 1];

		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

void
lab_rand_guid(lab_rand *r, char out[37])
{
	uint8_t b[16];
	uint64_t hi = lab_rand_next(r), lo = lab_rand_next(r);

	for (int i = 0; i < 8; i++) {
		b[i] = (uint8_t)(hi >> (8 * i));
		b[8 + i] = (uint8_t)(lo >> (8 * i));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
