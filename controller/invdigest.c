/*
 * invdigest.c: the digest of a node's inventory (invdigest.h). Two
 * passes: the guests are digested and every string's size counted, then
 * one block takes the header, the guests, the volume lists and the
 * strings. A node's CSV volumes are shared by its guests: each distinct
 * spelling is copied once (up to S_SHARED_VOLUMES of them).
 */
#include "invdigest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner.h"
#include "policy.h"
#include "xalloc.h"

#define S_SHARED_VOLUMES 64

/* The block being filled: strings go after the fixed-size parts. */
typedef struct s_pack {
	char *text;		/* next free byte */
	const char *shared[S_SHARED_VOLUMES];	/* volumes copied so far */
	size_t nshared;
} s_pack;

static const char *
s_put(s_pack *pk, const char *str)
{
	size_t len = strlen(str) + 1;
	char *at = pk->text;

	memcpy(at, str, len);
	pk->text += len;
	return at;
}

static const char *
s_put_volume(s_pack *pk, const char *vol)
{
	const char *at;

	for (size_t i = 0; i < pk->nshared; i++)
		if (strcmp(pk->shared[i], vol) == 0)
			return pk->shared[i];
	at = s_put(pk, vol);
	if (pk->nshared < S_SHARED_VOLUMES)
		pk->shared[pk->nshared++] = at;
	return at;
}

/* Bytes s_put_volume() will take for vol, counted as it will share. */
static size_t
s_volume_bytes(const char **seen, size_t *nseen, const char *vol)
{
	for (size_t i = 0; i < *nseen; i++)
		if (strcmp(seen[i], vol) == 0)
			return 0;
	if (*nseen < S_SHARED_VOLUMES)
		seen[(*nseen)++] = vol;
	return strlen(vol) + 1;
}

static size_t
s_bytes(const char *str)
{
	return str ? strlen(str) + 1 : 0;
}

static bool
s_backup_service(const Hvp__Guest *g)
{
	for (size_t i = 0; i < g->n_services; i++)
		if (g->services[i]->name &&
		    strcmp(g->services[i]->name, INTEGRATION_BACKUP) == 0)
			return g->services[i]->enabled;
	return true;	/* Hyper-V's default for a new guest */
}

static const Hvp__Provider *
s_provider(const Hvp__Inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->n_providers; i++)
		if (inv->providers[i]->id &&
		    strcasecmp(inv->providers[i]->id, id) == 0)
			return inv->providers[i];
	return NULL;
}

static const char *
s_or_empty(const char *str)
{
	return str ? str : "";
}

/* The snapshot's strings: counted when pk is NULL, else copied. */
static size_t
s_snapshot(const Hvp__Inventory *inv, s_pack *pk, invdigest_snapshot *out)
{
	const Hvp__Snapshot *snap = inv->last_snapshot;
	const Hvp__Provider *prov;
	const char *text[3];
	size_t bytes = 0;

	if (snap == NULL || snap->provider_id == NULL || !*snap->provider_id)
		return 0;
	prov = s_provider(inv, snap->provider_id);
	text[0] = snap->provider_id;
	text[1] = s_or_empty(snap->line);
	text[2] = prov ? s_or_empty(prov->name) : NULL;
	if (pk == NULL) {
		for (size_t i = 0; i < 3; i++)
			bytes += s_bytes(text[i]);
		return bytes + (prov ? s_bytes(s_or_empty(prov->type)) : 0);
	}
	*out = (invdigest_snapshot){ .provider_id = s_put(pk, text[0]),
	    .line = s_put(pk, text[1]), .hardware = snap->hardware,
	    .provider_known = prov != NULL };
	if (prov) {
		out->provider_name = s_put(pk, text[2]);
		out->provider_type = s_put(pk, s_or_empty(prov->type));
		out->provider_autorecovery = prov->autorecovery;
	}
	return 0;
}

invdigest *
invdigest_new(const Hvp__Inventory *inv)
{
	size_t n = inv->n_guests, nvol = 0, text = 0, nseen = 0;
	planner_digest *dg = xcalloc(n ? n : 1, sizeof *dg);
	const char *seen[S_SHARED_VOLUMES];
	const char **vslot;
	invdigest *d;
	s_pack pk = { 0 };
	char *block;

	for (size_t i = 0; i < n; i++) {
		const Hvp__Guest *g = inv->guests[i];

		planner_digest_paths(g->name, g->id,
		    (const char *const *)g->paths, g->n_paths, &dg[i]);
		nvol += dg[i].nvolumes;
		text += s_bytes(s_or_empty(g->name)) +
		    s_bytes(s_or_empty(g->id)) + s_bytes(dg[i].unplannable);
		for (size_t k = 0; k < dg[i].nvolumes; k++)
			text += s_volume_bytes(seen, &nseen, dg[i].volumes[k]);
	}
	text += s_snapshot(inv, NULL, NULL);
	block = xmalloc(sizeof *d + n * sizeof *d->guests +
	    nvol * sizeof *vslot + text);
	d = (invdigest *)block;
	memset(d, 0, sizeof *d);
	d->guests = (invdigest_guest *)(block + sizeof *d);
	d->nguests = n;
	d->has_system_provider_key = inv->has_system_provider_key;
	vslot = (const char **)(d->guests + n);
	pk.text = (char *)(vslot + nvol);
	for (size_t i = 0; i < n; i++) {
		const Hvp__Guest *g = inv->guests[i];
		invdigest_guest *out = &d->guests[i];

		*out = (invdigest_guest){ .name = s_put(&pk, s_or_empty(g->name)),
		    .id = s_put(&pk, s_or_empty(g->id)), .volumes = vslot,
		    .nvolumes = dg[i].nvolumes,
		    .unplannable = dg[i].unplannable ?
		    s_put(&pk, dg[i].unplannable) : NULL,
		    .backup_service = s_backup_service(g) };
		for (size_t k = 0; k < dg[i].nvolumes; k++)
			*vslot++ = s_put_volume(&pk, dg[i].volumes[k]);
		planner_digest_clear(&dg[i]);
	}
	s_snapshot(inv, &pk, &d->snapshot);
	free(dg);
	return d;
}

invdigest *
invdigest_new_encoded(const uint8_t *buf, size_t len)
{
	Hvp__Inventory *inv = hvp__inventory__unpack(NULL, len, buf);
	invdigest *d;

	if (inv == NULL)
		return NULL;
	d = invdigest_new(inv);
	hvp__inventory__free_unpacked(inv, NULL);
	return d;
}

void
invdigest_free(invdigest **d)
{
	if (d == NULL)
		return;
	free(*d);
	*d = NULL;
}
