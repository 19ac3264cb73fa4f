/*
 * filelock.h: waiting for an advisory file lock (platform_lock_try) for a
 * bounded time. Writers that read, change and replace a simulated host
 * file hold HOSTFILE.lock across the whole read-modify-write, so an
 * administrator's edit (the lab) and the node daemon's correction never
 * overwrite each other. Called by node/backend_sim.c and lab/.
 */
#ifndef HVP_FILELOCK_H
#define HVP_FILELOCK_H

#include <stdint.h>

#include "platform.h"

/* Takes an exclusive lock on path (created if needed) for the life of the
 * process (a daemon's data directory); -1 with *err when another process
 * holds it. */
int filelock_hold(const char *path, char **err);
/* The lock file that guards a host file: "PATH.lock"; owned. */
char *filelock_path_for(const char *path);
/* Takes the lock on lock_path, retrying (5 ms, doubling to 50 ms) for up
 * to timeout_ms; NULL and *err (naming the file) when it stays held. */
platform_lock *filelock_acquire(const char *lock_path, int64_t timeout_ms,
    char **err);

#endif
