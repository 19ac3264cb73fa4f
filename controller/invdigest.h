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

#include "hvpolicy.pb-c.h"

typedef struct invdigest_guest {
	const char *name;	/* never NULL */
	const char *id;		/* as reported; never NULL */
	const char *const *volumes;	/* planner_digest.volumes */
	size_t nvolumes;
	const char *unplannable;	/* planner_digest.unplannable */
	bool backup_service;	/* Backup integration service enabled */
} invdigest_guest;

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
	bool has_system_provider_key;
	invdigest_snapshot snapshot;
} invdigest;

/* The digest of inv: one allocation, freed by invdigest_free(). */
invdigest *invdigest_new(const Hvp__Inventory *inv);
/* Decodes an encoded Inventory and digests it; NULL when it does not
 * decode. */
invdigest *invdigest_new_encoded(const uint8_t *buf, size_t len);
void invdigest_free(invdigest **d);

#endif
