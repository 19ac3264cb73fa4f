/*
 * hoststate.h: what one host is, as the node sees it: its registry, VSS
 * providers, CSVs, the guests it owns now (integration services, paths),
 * and on a DPM server the serialization file. The sim backend keeps one
 * in a YAML file (hostfile.h); the Windows backend fills one from the real
 * host; the lab edits host files through it. Plain data plus small
 * lookup/edit helpers; all strings owned by the struct.
 */
#ifndef HVP_HOSTSTATE_H
#define HVP_HOSTSTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "registry.h"

typedef struct host_regval {
	char *name;
	reg_value v;
} host_regval;

typedef struct host_regkey {
	char *path;		/* canonical HKLM\... */
	host_regval *values;
	size_t nvalues;
	size_t cap;
} host_regkey;

typedef struct host_service {
	char *name;		/* VSS, Heartbeat, Shutdown, ... */
	bool enabled;
} host_service;

typedef enum guest_state {
	GUEST_RUNNING = 0, GUEST_OFF, GUEST_SAVED, GUEST_PAUSED,
} guest_state;
extern const char *const GUEST_STATE_NAMES[];

typedef struct host_guest {
	char *name;
	char *id;		/* GUID, lowercase */
	guest_state state;
	host_service *services;
	size_t nservices;
	char **paths;		/* configuration and virtual disks */
	size_t npaths;
} host_guest;

typedef enum provider_type {
	PROVIDER_SYSTEM = 0, PROVIDER_SOFTWARE, PROVIDER_HARDWARE,
} provider_type;
extern const char *const PROVIDER_TYPE_NAMES[];

typedef struct host_provider {
	char *id;		/* {guid}, lowercase */
	char *name;
	provider_type type;
	char *version;
	bool autorecovery;
} host_provider;

typedef struct host_state {
	char *node;
	char *cluster;		/* NULL when clusters is given */
	/* dpm-server: the clusters whose guests its DPM server protects
	 * (host file `clusters:`, in place of `cluster:`); none (0) for a
	 * host of one cluster. */
	char **clusters;
	size_t nclusters;
	host_role role;
	host_regkey *keys;
	size_t nkeys;
	size_t keys_cap;
	host_provider *providers;
	size_t nproviders;
	char *agent_log;	/* as written in the file (relative or not) */
	char **csvs;
	size_t ncsvs;
	host_guest *guests;
	size_t nguests;
	size_t guests_cap;
	char *data_source_groups;	/* dpm-server: file name as written */
} host_state;

host_state *host_state_new(void);
void host_state_free(host_state **h);
host_state *host_state_dup(const host_state *h);

/* Registry. A key exists when it or any key below it is held. */
bool host_key_exists(const host_state *h, const char *key);
host_regkey *host_key_find(host_state *h, const char *key);
host_regkey *host_key_ensure(host_state *h, const char *key);
/* Deletes key and every key below it; returns how many were removed. */
size_t host_key_delete(host_state *h, const char *key);
const reg_value *host_value_get(const host_state *h, const char *key,
    const char *name);
void host_value_set(host_state *h, const char *key, const char *name,
    const reg_value *v);
bool host_value_delete(host_state *h, const char *key, const char *name);

/* Guests. */
host_guest *host_guest_find(host_state *h, const char *name_or_id);
/* Returns the service or NULL when the guest does not have it. */
host_service *host_guest_service(host_guest *g, const char *service);
void host_guest_set_service(host_guest *g, const char *service, bool on);
/* Moves a copy of g into h (for migration); returns the new guest. */
host_guest *host_guest_add(host_state *h, const host_guest *g);
bool host_guest_remove(host_state *h, const char *name_or_id);
void host_guest_clear(host_guest *g);
void host_guest_copy(host_guest *dst, const host_guest *src);

/* The CSV volume a path lies on: "C:\ClusterStorage\Volume1\x" ->
 * "Volume1" (case-insensitive prefix, volume as written); NULL if not on
 * a CSV. Owned. This is the one place that knows the CSV mount root. */
char *csv_volume_of_path(const char *path);
#define CSV_ROOT "C:\\ClusterStorage\\"

#endif
