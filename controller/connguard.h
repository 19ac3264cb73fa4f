/*
 * connguard.h: the controller never runs out of descriptors. At start it
 * raises its own limit on open descriptors to the hard limit and logs
 * both; then it counts the TCP connections libzmq accepts on the node
 * (and admin) port and shuts down, at once, every new one past a cap
 * that keeps a reserve of descriptors for the store, the control socket
 * and the CLI. Why it is needed and how it works: docs/security.md,
 * "Descriptors". Called by main.c: new, watch (before each bind), start,
 * tick (from the periodic tick), free.
 */
#ifndef HVP_CONNGUARD_H
#define HVP_CONNGUARD_H

#include <stddef.h>

#define CONNGUARD_RESERVE_MIN	64	/* descriptors kept back, at least */
#define CONNGUARD_RESERVE_DIV	8	/* ... and one in this many */

typedef struct connguard connguard;

/* Raises the descriptor limit (logging it) and sizes the cap from it. */
connguard *connguard_new(void *zctx, char **err);
/* Counts sock's accepted TCP connections; call before sock is bound. */
int connguard_watch(connguard *g, void *sock, char **err);
/* Starts the thread that counts and refuses (after every watch). */
int connguard_start(connguard *g, char **err);
/* Logs refusals since the last call. */
void connguard_tick(connguard *g);
/* Stops the thread and closes its sockets (before zmq_ctx_term). */
void connguard_free(connguard **g);

/* For tests and the log: the cap, and connections open now. */
long connguard_cap(const connguard *g);
long connguard_open(const connguard *g);
/* The cap for a descriptor limit (pure). */
long connguard_cap_for(long limit);

#endif
