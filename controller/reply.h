/*
 * reply.h: answering an admin client. A request arrives on the local
 * control socket or the CURVE admin port (both ROUTER); its answer is one
 * AdminReply sent back to the connection that asked. Called by control.c
 * and dryrun.c.
 */
#ifndef HVP_REPLY_H
#define HVP_REPLY_H

#include <stdbool.h>

#include "hvpolicy.pb-c.h"
#include "wire.h"

typedef struct reply_to {
	void *socket;		/* which admin socket asked */
	wire_rid rid;		/* which connection */
	bool remote;		/* the CURVE admin port */
	const char *user;	/* admin key name on the remote port, or the
				 * local peer's user name (borrowed) */
	bool read_only;		/* a key of adminReadKeys: read verbs only */
} reply_to;

void reply_send(const reply_to *c, const Hvp__AdminReply *r);
/* A reply with only an exit status, a body and an error message (NULL:
 * empty). */
void reply_text(const reply_to *c, int status, const char *body,
    const char *error);

#endif
