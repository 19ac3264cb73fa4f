/*
 * server.h: the controller's context, passed explicitly to every
 * controller module (no globals): configuration, sockets, the store, the
 * clusters held (each with its policy revision and serialization plan,
 * clusters.h), the node sessions and a pending dry run. main.c owns it; each module's own header says what it
 * does with it.
 */
#ifndef HVP_SERVER_H
#define HVP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "clusters.h"
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
	/* The clusters held: cluster_names (config `clusters`, NULL-
	 * terminated) or else the one `cluster`; clusters.c keeps each
	 * one's state in `clusters`. */
	const char *cluster;
	const char *const *cluster_names;
	cluster_table clusters;
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
	/* Every cluster must be replanned (a lingering guest expired, a
	 * start); each cluster also has its own plan_dirty. */
	bool plan_dirty;
	/* The highest plan generation stored: generations are numbered
	 * across clusters (docs/store.md). */
	uint64_t plan_generation_top;
	int64_t started_mono;	/* when restore_state() ran */
	node_table nodes;
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
