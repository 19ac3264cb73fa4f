/*
 * reconcile.h: what a policy asks of one host, compared with what the host
 * holds. Pure: a policy, the role the host plays, the serialization plan
 * (dpm-server, perCsv) with the hash of the file the host holds, and an
 * observed host_state go in; the list of differences comes out, each with
 * the one action that removes it. No I/O, no clock. The engine (engine.c)
 * calls it on every pass; tests call it directly.
 *
 * What is checked, per the contract's table (docs/node.md):
 *
 *   system-software, hyperv-node: key DPM_USE_SYSTEM_PROVIDER_KEY present;
 *       VSS enabled on every covered guest.
 *   hardware-saved-state, hyperv-node: that key absent; VSS disabled on
 *       every covered guest.
 *   system-software, dpm-server: value DPM_PARALLEL_VALUE of
 *       DPM_PARALLEL_KEY is REG_DWORD perNode; with perCsv and a plan,
 *       DataSourceGroups.xml holds that plan (the hash of hvpolicy's part
 *       of it, dsmerge.h, equals dsgroups_plan_hash(plan)). Without a
 *       plan the file is not managed.
 *   hardware-saved-state, dpm-server: nothing built in.
 *
 * plus the policy's extra registry resources whose roles include the
 * role. An extra resource naming the same key and value as a built-in
 * one is skipped: the strategy's setting wins.
 *
 * A guest without a VSS entry counts as enabled (Hyper-V's default for a
 * new guest). Guests the policy does not cover are never looked at.
 *
 * Resource names (shown to users and used as the drift identity):
 *   registry key            HKLM\SOFTWARE\Contoso\Backup
 *   registry value          HKLM\SOFTWARE\Contoso\Backup[Window]
 *   integration service     guest VM0001 (6c1f0d5e-...-2b9a0f3c8e11)/VSS
 *   serialization file      DataSourceGroups.xml
 * expected/actual: NULL means absent; "present" for a key;
 * reg_value_describe() for a value; "enabled"/"disabled" for a service;
 * a plan or file content hash for the serialization file.
 */
#ifndef HVP_NODE_RECONCILE_H
#define HVP_NODE_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "drift.h"
#include "hoststate.h"
#include "plan.h"
#include "policy.h"
#include "registry.h"

#define RECONCILE_FILE_RESOURCE "DataSourceGroups.xml"

typedef enum reconcile_op {
	RECONCILE_CREATE_KEY = 0,
	RECONCILE_DELETE_KEY,
	RECONCILE_SET_VALUE,
	RECONCILE_DELETE_VALUE,
	RECONCILE_SET_INTEGRATION,
	RECONCILE_WRITE_DSGROUPS,
} reconcile_op;

/* One difference and the action that removes it. All strings owned. */
typedef struct reconcile_finding {
	drift_kind kind;
	char *resource;
	char *expected;		/* NULL = absent */
	char *actual;		/* NULL = absent */
	reconcile_op op;
	char *key;		/* registry ops: canonical key path */
	char *value_name;	/* SET_VALUE, DELETE_VALUE */
	reg_value data;		/* SET_VALUE */
	char *guest_id;		/* SET_INTEGRATION */
	char *guest_name;
	char *service;
	bool enable;
	size_t keeps;		/* WRITE_DSGROUPS: entries others own, kept */
	/* Set by the engine for a DPM server of several clusters: the
	 * clusters whose policies ask for it ("A,B"), whether all of them
	 * only audit, and why it cannot be done (they ask different
	 * values). */
	char *clusters;
	bool audit;
	char *conflict;
	int64_t revision;	/* of the one cluster asking; 0: several */
} reconcile_finding;

typedef struct reconcile_input {
	const policy *policy;
	host_role role;
	const host_state *observed;
	const plan *plan;	/* dpm-server: NULL = file not managed */
	/* Hash of hvpolicy's part of the file held (dsmerge.h); NULL =
	 * absent. */
	const char *held_hash;
	/* The file holds entries hvpolicy wrote for guests no plan names
	 * any more: it is rewritten even when the hashes agree. */
	bool held_stale;
	/* Entries of the file hvpolicy does not own (kept as they are);
	 * the action says so. */
	size_t held_foreign;
} reconcile_input;

typedef struct reconcile_list {
	reconcile_finding *items;
	size_t count;
	size_t cap;
} reconcile_list;

/* Appends every difference to out (initialize it zeroed) in a fixed
 * order: built-in registry, extra registry, guests in host order, the
 * serialization file. Returns the number appended, -1 when in lacks a
 * policy or an observed state. */
int reconcile_compute(const reconcile_input *in, reconcile_list *out);
void reconcile_list_release(reconcile_list *l);

/* What the action does: "create key", "enable VSS", ... (owned). With
 * past true: "created key", "enabled VSS", ... */
char *reconcile_action_text(const reconcile_finding *f, bool past);

#endif
