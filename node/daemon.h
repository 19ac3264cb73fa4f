/*
 * daemon.h: hvpolicy-node's daemon mode. Reads the node config, holds the
 * host to the last desired state kept in stateDir, speaks the node side of
 * the protocol (docs/protocol.md) over a ZeroMQ DEALER and queues drift in
 * the on-disk journal. Called by node/main.c for everything but --once.
 */
#ifndef HVP_NODE_DAEMON_H
#define HVP_NODE_DAEMON_H

/* Runs until SIGTERM/SIGINT; returns the process exit code (0 on a clean
 * stop, 1 on a bad config or a startup failure). */
int node_daemon_main(int argc, char **argv);

#endif
