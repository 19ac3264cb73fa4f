/*
 * drift.h: the drift record of the contract (product.md, "A drift record")
 * and its renderings: JSON object, JSON line, CSV row, table row. Nodes
 * create records (engine), the controller stores and serves them, the
 * CLI prints them. Field order here is the CSV column order.
 */
#ifndef HVP_DRIFT_H
#define HVP_DRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "policy.h"
#include "strbuf.h"

typedef enum drift_kind {
	DRIFT_REGISTRY = 0,
	DRIFT_INTEGRATION_SERVICE,
	DRIFT_SERIALIZATION_FILE,
	DRIFT_INVENTORY,
} drift_kind;

typedef enum drift_status {
	DRIFT_OPEN = 0,		/* audit mode, or not yet handled */
	DRIFT_CORRECTED,
	DRIFT_FAILED,
	DRIFT_RESOLVED,		/* went back by itself or policy changed */
} drift_status;

/* Why the host differed (contract: `cause`). */
typedef enum drift_cause {
	DRIFT_CAUSE_UNKNOWN = 0,	/* not said (older nodes): null */
	DRIFT_CAUSE_REVISION,		/* a revision asked for the change */
	DRIFT_CAUSE_OUT_OF_BAND,	/* found changed on the host */
} drift_cause;

extern const char *const DRIFT_KIND_NAMES[];	/* NULL-terminated */
extern const char *const DRIFT_STATUS_NAMES[];
/* Indexed by drift_cause; entry 0 is NULL (unknown). */
extern const char *const DRIFT_CAUSE_NAMES[];

typedef struct drift_record {
	char *id;		/* stable per drift: node + resource + detection */
	char *cluster;
	char *node;
	host_role role;
	drift_kind kind;
	char *resource;		/* e.g. HKLM\...\Key[Value], guest VM0001/VSS */
	char *expected;		/* NULL = absent */
	char *actual;		/* NULL = absent */
	int64_t policy_revision;	/* 0 = none (--once) */
	policy_mode mode;
	drift_status status;
	int64_t detected_at;	/* seconds since the epoch, UTC */
	int64_t resolved_at;	/* 0 = not resolved */
	char *action;		/* what was done or would be, NULL = none */
	char *error;		/* system error of a failed correction */
	int64_t received_at;	/* when the controller stored it (its clock);
				 * 0 = not stored */
	drift_cause cause;
} drift_record;

/* CSV header line (no newline): the contract's columns in order. */
#define DRIFT_CSV_HEADER "id,cluster,node,role,kind,resource,expected,actual," \
	"policyRevision,mode,status,detectedAt,resolvedAt,action,error,cause," \
	"receivedAt"

void drift_record_clear(drift_record *r);	/* frees fields, zeroes */
void drift_record_copy(drift_record *dst, const drift_record *src);
void drift_record_json(const drift_record *r, jsonw *j);
void drift_record_csv(const drift_record *r, strbuf *out);	/* + "\n" */
/* Makes the record's id from node, resource and detection time; owned. */
char *drift_make_id(const char *node, const char *resource, int64_t detected_at);
int drift_kind_from_name(const char *name);	/* -1 if unknown */
int drift_status_from_name(const char *name);
/* DRIFT_CAUSE_UNKNOWN for NULL, "" or a name it does not know. */
drift_cause drift_cause_from_name(const char *name);

#endif
