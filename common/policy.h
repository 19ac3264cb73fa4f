/*
 * policy.h: the ClusterPolicy model (apiVersion hvpolicy/v1), its strict
 * parser, its canonical text and content hash. Callers: the CLI
 * (validate, plan, apply), the controller (revisions), the node (desired
 * state). The parser reports every problem as FILE:LINE:COLUMN through a
 * diag_list and never exits.
 */
#ifndef HVP_POLICY_H
#define HVP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "registry.h"

#define POLICY_API_VERSION "hvpolicy/v1"
#define POLICY_KIND "ClusterPolicy"
#define POLICY_HASH_HEX 64	/* BLAKE2b-256 in hex */

typedef enum policy_mode { POLICY_ENFORCE = 0, POLICY_AUDIT } policy_mode;
typedef enum policy_strategy {
	STRATEGY_SYSTEM_SOFTWARE = 0,
	STRATEGY_HARDWARE_SAVED_STATE,
} policy_strategy;
typedef enum host_role { ROLE_HYPERV_NODE = 0, ROLE_DPM_SERVER } host_role;

/* Bit set of roles. */
#define ROLE_BIT(r) (1u << (r))

typedef struct policy_registry {
	char *key;		/* canonical HKLM\... */
	char *value;		/* value name, or NULL: the key itself */
	bool present;		/* ensure: present | absent */
	reg_value data;		/* type REG_T_NONE when value is NULL or absent */
	unsigned roles;		/* ROLE_BIT set */
	int line, column;	/* where the resource starts */
} policy_registry;

typedef struct policy {
	char *name;
	char *description;	/* NULL when absent */
	char *cluster;
	policy_mode mode;
	policy_strategy strategy;
	/* serialization (system-software only) */
	int per_node;		/* 1..64, default 1 */
	bool per_csv;		/* default true */
	char *dpm_server;	/* required with system-software */
	char **include;		/* default ["*"] */
	size_t ninclude;
	char **exclude;
	size_t nexclude;
	policy_registry *registry;
	size_t nregistry;
	int interval_seconds;	/* 5..86400, default 60 */
} policy;

extern const char *const POLICY_MODE_NAMES[];		/* enforce, audit */
extern const char *const POLICY_STRATEGY_NAMES[];	/* system-software, ... */
extern const char *const HOST_ROLE_NAMES[];		/* hyperv-node, dpm-server */

/* Parses text; on any error returns NULL with every problem in d. */
policy *policy_parse(const char *file, const char *text, size_t len,
    diag_list *d);
policy *policy_load(const char *path, diag_list *d);	/* "-" is stdin */
void policy_free(policy **p);

/* Canonical YAML text: fixed key order, defaults explicit, registry
 * resources sorted, integers in decimal. Two files that mean the same
 * thing give the same text. Parsing it gives an equal policy. Owned. */
char *policy_canonical(const policy *p);
/* BLAKE2b-256 of the canonical text as lowercase hex (65 bytes with NUL). */
void policy_hash(const policy *p, char out[POLICY_HASH_HEX + 1]);

/*
 * Whether two policies that reach one host in role (two clusters' on
 * their shared DPM server) ask different things of its registry: one
 * location (key and value name, case-insensitive) with another ensure or
 * value, or a key one removes while the other keeps something inside it.
 * True with *ra (a's) and *rb (b's) the first such pair.
 */
bool policy_registry_clash(const policy *a, const policy *b, host_role role,
    const policy_registry **ra, const policy_registry **rb);
/* "spec.registry[I] (line L): key 'K' value 'V' present REG_DWORD 2", r
 * being one of p's resources. Owned. */
char *policy_registry_describe(const policy *p, const policy_registry *r);

/* True when guest name is covered by include/exclude (case-insensitive
 * globs: * ? and [...] classes). */
bool policy_covers_guest(const policy *p, const char *guest_name);
/* Case-insensitive glob match. */
bool glob_match_ci(const char *pattern, const char *text);

/* Names of the built-in DPM registry locations the strategies manage. */
#define DPM_AGENT_KEY "HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\Agent"
#define DPM_USE_SYSTEM_PROVIDER_KEY DPM_AGENT_KEY "\\UseSystemSoftwareProvider"
#define DPM_PARALLEL_KEY "HKLM\\SOFTWARE\\Microsoft\\Microsoft Data Protection Manager\\2.0\\Configuration\\MaxAllowedParallelBackups"
#define DPM_PARALLEL_VALUE "Microsoft Hyper-V"
/* The Backup (volume shadow copy) integration service, as Hyper-V's
 * cmdlets name it. */
#define INTEGRATION_BACKUP "VSS"

#endif
