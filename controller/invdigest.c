/*
 * invdigest.c: the digest of a node's inventory (invdigest.h). Two
 * passes: the guests are digested, the node's distinct volume spellings
 * sorted and every string's size counted; then one block takes the
 * header, the guests, their volume references, the volume table and the
 * text.
 */
#include "invdigest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner.h"
#include "policy.h"
#include "strsort.h"
#include "xalloc.h"

/* The block's text being filled. */
typedef struct s_pack {
	char *base;		/* invdigest.text */
	char *at;		/* next free byte */
} s_pack;

static const char *
s_put(s_pack *pk, const char *str)
{
	size_t len = strlen(str) + 1;
	char *at = pk->at;

	memcpy(at, str, len);
	pk->at += len;
	return at;
}

/* As s_put(), the offset in the text. */
static uint32_t
s_put_at(s_pack *pk, const char *str)
{
	return (uint32_t)(s_put(pk, str) - pk->base);
}

/* The distinct spellings among every guest's volumes, sorted; *n of
 * them. Borrowed from dg. */
static const char **
s_volume_table(const planner_digest *dg, size_t nguests, size_t nrefs,
    size_t *n)
{
	const char **v = xcalloc(nrefs ? nrefs : 1, sizeof *v);
	size_t k = 0, out = 0;

	for (size_t i = 0; i < nguests; i++)
		for (size_t j = 0; j < dg[i].nvolumes; j++)
			v[k++] = dg[i].volumes[j];
	if (k > 1)
		qsort(v, k, sizeof *v, strsort_cmp);
	for (size_t i = 0; i < k; i++)
		if (out == 0 || strcmp(v[out - 1], v[i]) != 0)
			v[out++] = v[i];
	*n = out;
	return v;
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

/* Pass 1: every guest's digest, how many volume references and text
 * bytes the block needs. */
static planner_digest *
s_digest_guests(const Hvp__Inventory *inv, size_t *nrefs, size_t *text)
{
	size_t n = inv->n_guests;
	planner_digest *dg = xcalloc(n ? n : 1, sizeof *dg);

	*nrefs = *text = 0;
	for (size_t i = 0; i < n; i++) {
		const Hvp__Guest *g = inv->guests[i];

		planner_digest_paths(g->name, g->id,
		    (const char *const *)g->paths, g->n_paths, &dg[i]);
		*nrefs += dg[i].nvolumes;
		*text += s_bytes(s_or_empty(g->name)) +
		    s_bytes(s_or_empty(g->id)) + s_bytes(dg[i].unplannable);
	}
	return dg;
}

invdigest *
invdigest_new(const Hvp__Inventory *inv)
{
	size_t n = inv->n_guests, nrefs, text, nvol;
	planner_digest *dg = s_digest_guests(inv, &nrefs, &text);
	const char **table = s_volume_table(dg, n, nrefs, &nvol);
	uint32_t *ref;
	invdigest *d;
	s_pack pk;
	char *block;

	for (size_t v = 0; v < nvol; v++)
		text += strlen(table[v]) + 1;
	text += s_snapshot(inv, NULL, NULL);
	/* Largest alignment first: header, pointers, guests, references. */
	block = xmalloc(sizeof *d + nvol * sizeof *d->volumes +
	    n * sizeof *d->guests + nrefs * sizeof *ref + text);
	d = (invdigest *)block;
	memset(d, 0, sizeof *d);
	d->volumes = (const char **)(block + sizeof *d);
	d->nvolumes = nvol;
	d->guests = (invdigest_guest *)(d->volumes + nvol);
	d->nguests = n;
	d->volume_refs = ref = (uint32_t *)(d->guests + n);
	d->nvolume_refs = nrefs;
	d->text = pk.base = pk.at = (char *)(ref + nrefs);
	d->has_system_provider_key = inv->has_system_provider_key;
	d->refs = 1;
	for (size_t v = 0; v < nvol; v++)
		d->volumes[v] = s_put(&pk, table[v]);
	for (size_t i = 0; i < n; i++) {
		const Hvp__Guest *g = inv->guests[i];
		invdigest_guest *out = &d->guests[i];

		*out = (invdigest_guest){ .name = s_put_at(&pk, s_or_empty(g->name)),
		    .id = s_put_at(&pk, s_or_empty(g->id)),
		    .unplannable = dg[i].unplannable ?
		    s_put_at(&pk, dg[i].unplannable) : INVDIGEST_NONE,
		    .volume_refs = (uint32_t)(ref - d->volume_refs),
		    .nvolumes = (uint32_t)dg[i].nvolumes & 0x7fffffffu,
		    .backup_service = s_backup_service(g) };
		for (size_t k = 0; k < dg[i].nvolumes; k++) {
			const char **at = bsearch(&dg[i].volumes[k], table,
			    nvol, sizeof *table, strsort_cmp);
			*ref++ = (uint32_t)(at - table);
		}
	}
	s_snapshot(inv, &pk, &d->snapshot);
	free(table);	/* borrowed dg's strings: they go after it */
	for (size_t i = 0; i < n; i++)
		planner_digest_clear(&dg[i]);
	free(dg);
	return d;
}

void
invdigest_volumes(const invdigest *d, const invdigest_guest *g,
    const char **out)
{
	const uint32_t *ref = d->volume_refs + g->volume_refs;

	for (size_t k = 0; k < g->nvolumes; k++)
		out[k] = d->volumes[ref[k]];
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

invdigest *
invdigest_ref(invdigest *d)
{
	d->refs++;
	return d;
}

void
invdigest_free(invdigest **d)
{
	if (d == NULL || *d == NULL)
		return;
	if (--(*d)->refs == 0)
		free(*d);
	*d = NULL;
}
