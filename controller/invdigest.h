/*
 * invdigest.h: what the controller keeps of a node's last inventory. A
 * controller of thousands of nodes holds every node's guests for as long
 * as it runs (the plan is made from them); the decoded message is about
 * three times its encoded size and mostly paths the controller reads only
 * to find the CSVs they lie on. So each inventory is digested once, when
 * it arrives, into one block: per guest its name, GUID, CSV volumes
 * (planner_digest), whether the file can carry it and whether its Backup
 * integration service is on; per node the facts diagnose reads. The
 * encoded inventory itself lives in the store. Made by sessions.c,
 * read by push.c (planning), linger.c and diagnose.c.
 */
#ifndef HVP_INVDIGEST_H
#define HVP_INVDIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvpolicy.pb-c.h"

/* One guest. Its strings are offsets into the digest's text (read them
 * with the accessors below): a controller of 400,000 guests holds
 * 400,000 of these, so every byte counts. */
typedef struct invdigest_guest {
	uint32_t name;		/* never empty of meaning: "" when unnamed */
	uint32_t id;		/* as reported; "" when none */
	uint32_t unplannable;	/* INVDIGEST_NONE: the file can carry it */
	uint32_t volume_refs;	/* first of nvolumes in invdigest.volume_refs */
	uint32_t nvolumes : 31;
	uint32_t backup_service : 1;	/* Backup integration service on */
} invdigest_guest;

#define INVDIGEST_NONE UINT32_MAX

/* The last snapshot the DPM agent log names, with what the inventory
 * says of its provider. */
typedef struct invdigest_snapshot {
	const char *provider_id;	/* NULL: the log shows none */
	const char *line;		/* the log line; never NULL */
	bool hardware;			/* the log says a hardware provider */
	bool provider_known;		/* provider_id is among the providers */
	const char *provider_name;	/* never NULL when provider_known */
	const char *provider_type;	/* never NULL when provider_known */
	bool provider_autorecovery;
} invdigest_snapshot;

typedef struct invdigest {
	invdigest_guest *guests;	/* in report order */
	size_t nguests;
	/* The node's CSV volumes, each distinct spelling once; a guest's
	 * are volumes[volume_refs[g.volume_refs + k]], k < g.nvolumes. */
	const char **volumes;
	size_t nvolumes;
	uint32_t *volume_refs;
	size_t nvolume_refs;
	const char *text;
	bool has_system_provider_key;
	invdigest_snapshot snapshot;
	/* Its session holds one reference; a plan made from it another
	 * (the plan's guests point at its names and GUIDs). */
	size_t refs;
} invdigest;

static inline const char *
invdigest_name(const invdigest *d, const invdigest_guest *g)
{
	return d->text + g->name;
}

static inline const char *
invdigest_id(const invdigest *d, const invdigest_guest *g)
{
	return d->text + g->id;
}

/* Why the file cannot carry g, or NULL. */
static inline const char *
invdigest_unplannable(const invdigest *d, const invdigest_guest *g)
{
	return g->unplannable == INVDIGEST_NONE ? NULL :
	    d->text + g->unplannable;
}

/* g's volumes into out[0 .. g->nvolumes - 1] (planner_digest.volumes). */
void invdigest_volumes(const invdigest *d, const invdigest_guest *g,
    const char **out);

/* The digest of inv: one allocation holding one reference. */
invdigest *invdigest_new(const Hvp__Inventory *inv);
/* Decodes an encoded Inventory and digests it; NULL when it does not
 * decode. */
invdigest *invdigest_new_encoded(const uint8_t *buf, size_t len);
/* Another reference to d; returns d. */
invdigest *invdigest_ref(invdigest *d);
/* Drops the reference *d (the last frees it) and sets *d to NULL. */
void invdigest_free(invdigest **d);

#endif
