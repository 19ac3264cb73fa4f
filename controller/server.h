/*
 * server.h: the controller's context, passed explicitly to every
 * controller module (no globals): configuration, sockets, the store, the
 * current policy revision and serialization plan, the node sessions and a
 * pending dry run. main.c owns it; each module's own header says what it
 * does with it.
 */
#ifndef HVP_SERVER_H
#define HVP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "conflicts.h"
#include "dryrun.h"
#include "events.h"
#include "linger.h"
#include "plan.h"
#include "platform.h"
#include "policy.h"
#include "progress.h"
#include "sessions.h"

struct connguard;
struct metrics;
struct retention;
struct store;
struct webhooks;
struct zap;

typedef struct server {
	const config_values *cfg;
	const char *config_file;	/* --config, or NULL */
	int argc;		/* the flags, for SIGHUP's re-read */
	char **argv;
	const char *cluster;
	bool insecure;
	bool require_change_id;	/* apply, rollback need --change-id */
	int heartbeat_seconds;
	void *zctx;
	void *router;		/* node traffic */
	void *control;		/* local admin socket */
	void *admin;		/* remote admin over CURVE, or NULL */
	struct zap *zap;
	struct connguard *connguard;	/* descriptor limit, connection cap */
	struct store *store;
	/* Current policy: revision 0 means none applied yet. */
	int64_t revision;
	char *policy_text;
	char policy_hash[POLICY_HASH_HEX + 1];
	policy *policy;
	/* The highest revision number in use, at least `revision`: above it
	 * when nodes hold revisions an older store file never had. */
	int64_t revision_floor;
	plan *plan;		/* NULL until a node reported guests */
	bool plan_dirty;	/* inventories changed: replan at next tick */
	bool plan_retry;	/* the plan could not be stored: at next tick */
	int64_t started_mono;	/* when restore_state() ran */
	node_table nodes;
	conflict_table conflicts;
	linger_table linger;
	dryrun_wait dryrun;
	progress_table progress;
	events_table events;	/* held `events --follow` requests */
	struct webhooks *hooks;	/* delivery workers, or NULL */
	struct metrics *metrics;	/* metricsListen, or NULL */
	struct retention *retention;	/* eventRetentionDays, or NULL */
	uint64_t next_request;
	platform_signal_flags signals;
} server;

#endif
