/*
 * client.h: the CLI's connection to the controller: the local control
 * socket (--socket, $HVPOLICY_SOCKET) or the remote admin port over CURVE
 * (--controller, --admin-key, --controller-key). One request, one reply,
 * bounded in time. Called by every verb that talks to the controller.
 */
#ifndef HVP_CLIENT_H
#define HVP_CLIENT_H

#include "cli.h"
#include "hvpolicy.pb-c.h"

#define CLIENT_TIMEOUT_MS 10000
/* Narrower terminals get full-width tables (and wrap them). */
#define CLIENT_MIN_COLUMNS 20

typedef struct client client;

/* NULL after printing why (exit code in *code: EXIT_UNREACHABLE or
 * EXIT_USAGE). */
client *client_open(const cli_ctx *ctx, int *code);
void client_free(client **c);
/* Sends q and waits up to timeout_ms. EXIT_OK with *reply (owned), or
 * EXIT_UNREACHABLE after printing why. */
int client_call(client *c, Hvp__AdminRequest *q, int timeout_ms,
    Hvp__AdminReply **reply);
/* Prints the reply's body on stdout and error on stderr; returns its
 * status. The common end of every read verb. */
int client_print(const cli_ctx *ctx, const Hvp__AdminReply *r);
/* Opens, calls once, prints, frees: a whole read verb. */
int client_simple(const cli_ctx *ctx, Hvp__AdminRequest *q);

#endif
