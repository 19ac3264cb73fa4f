/*
 * control.h: admin requests from the CLI, over the local control socket
 * (a Unix socket only the controller's user can open) or the CURVE admin
 * port. Each request gets one AdminReply whose body is already rendered
 * in the requested format (render.c), so every client prints the same
 * text. apply and rollback answer only after the new revision is durable
 * in the store; plan hands over to dryrun.c. Called by main.c's loop.
 */
#ifndef HVP_CONTROL_H
#define HVP_CONTROL_H

#include <stddef.h>

#include "server.h"

void control_handle(server *s, void *socket);	/* one admin request */
/* Acts on one request's payload; the reply goes to rid on socket. user:
 * the admin key's name when it came over the CURVE admin port, else
 * NULL. */
void control_request(server *s, void *socket, const wire_rid *rid,
    const char *user, const void *data, size_t len);

#endif
