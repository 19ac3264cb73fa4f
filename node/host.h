/*
 * host.h: the interface between the node engine and a host. Every backend
 * (backend_sim.c: a YAML host file; backend_win.c: the real Windows host)
 * implements these operations with the same meaning. The engine calls
 * observe(), decides, calls the mutators, then commit(): a backend that
 * batches (sim) writes everything at once or nothing; one that acts at
 * once (windows) makes commit() a no-op.
 *
 * Every operation returns 0 on success or -1 with *err set to an owned
 * message naming the resource and the system's reason. commit() returns
 * HOST_RETRY when the host changed under the engine since observe(): the
 * engine observes again and recomputes.
 */
#ifndef HVP_HOST_H
#define HVP_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "hoststate.h"
#include "registry.h"

#define HOST_RETRY 1

typedef struct host_backend host_backend;

typedef struct host_ops {
	const char *name;	/* "sim", "windows" */
	/* A fresh snapshot of the host, owned by the caller. */
	int (*observe)(host_backend *b, host_state **out, char **err);
	int (*create_key)(host_backend *b, const char *key, char **err);
	int (*delete_key)(host_backend *b, const char *key, char **err);
	int (*set_value)(host_backend *b, const char *key, const char *name,
	    const reg_value *v, char **err);
	int (*delete_value)(host_backend *b, const char *key, const char *name,
	    char **err);
	int (*set_integration)(host_backend *b, const char *guest_id,
	    const char *service, bool enabled, char **err);
	/* DataSourceGroups.xml (dpm-server). read: *data NULL when absent. */
	int (*read_dsgroups)(host_backend *b, char **data, size_t *len,
	    char **err);
	int (*write_dsgroups)(host_backend *b, const void *data, size_t len,
	    char **err);
	/* The last max bytes of the DPM agent log; *data NULL when none. */
	int (*read_agent_log)(host_backend *b, size_t max, char **data,
	    size_t *len, char **err);
	int (*commit)(host_backend *b, char **err);
	/* Drops uncommitted changes. */
	void (*rollback)(host_backend *b);
	/* Change notification: a descriptor to poll (or -1) and a check
	 * that drains it. changed() must not report the backend's own
	 * commits as changes. */
	int (*watch_fd)(host_backend *b);
	bool (*changed)(host_backend *b);
	void (*destroy)(host_backend *b);
} host_ops;

struct host_backend {
	const host_ops *ops;
	void *impl;
};

/* The sim backend over the host file at path. NULL with *err when the
 * file cannot be loaded (the message carries every diagnostic). */
host_backend *backend_sim_new(const char *path, char **err);
/* The windows backend (backend_win.c) over this Windows host, for role;
 * cluster names the cluster when the host cannot (a DPM server), NULL to
 * ask the failover cluster. Only in the Windows build: elsewhere (winstub.c)
 * it returns NULL with *err and backend_windows_available() is false. */
host_backend *backend_windows_new(host_role role, const char *cluster,
    char **err);
/* Tells the windows backend which registry keys the policy names, so
 * observe() reads and watches them too; no-op for other backends. */
void backend_windows_track(host_backend *b, const policy *p);
bool backend_windows_available(void);
void host_backend_free(host_backend **b);

#endif
