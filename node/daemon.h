/*
 * daemon.h: hvpolicy-node's daemon mode. Reads the node config, holds the
 * host to the last desired state kept in stateDir, speaks the node side of
 * the protocol (docs/protocol.md) over a ZeroMQ DEALER and queues drift in
 * the on-disk journal. Called by node/main.c for everything but --once.
 */
#ifndef HVP_NODE_DAEMON_H
#define HVP_NODE_DAEMON_H

#include "wire.h"

/* Runs until SIGTERM/SIGINT; returns the process exit code (0 on a clean
 * stop, 1 on a bad config or a startup failure). */
int node_daemon_main(int argc, char **argv);

/*
 * For fuzzing and tests only: a daemon instance with no socket and no
 * controller (what it would send is dropped), over the sim backend on
 * host_file (its node name and role are the file's), holding its state
 * in state_dir (created if needed; not locked, so an instance can be
 * made again in the same process). new() runs the start pass, as the
 * daemon does; dispatch() handles one decoded message from the
 * controller exactly as the running daemon would (e stays the caller's).
 * new() returns NULL with *err (owned) when the host file or the state
 * directory cannot be used.
 */
typedef struct node_daemon node_daemon;
node_daemon *node_daemon_fuzz_new(const char *host_file,
    const char *state_dir, char **err);
void node_daemon_fuzz_dispatch(node_daemon *d, const Hvp__Envelope *e);
void node_daemon_fuzz_free(node_daemon **d);

#endif
