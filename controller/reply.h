/*
 * reply.h: answering an admin client. A request arrives on the local
 * control socket or the CURVE admin port (both ROUTER); its answer goes
 * back to the connection that asked as one ZeroMQ message. A client that
 * reassembles (AdminRequest.parts) gets an answer of any size as several
 * AdminReply frames of at most LIMIT_REPLY_PART_BYTES of text each; any
 * other client gets one AdminReply, or an error naming the answer's size
 * when it would not fit in one message. Called by control.c and dryrun.c.
 */
#ifndef HVP_REPLY_H
#define HVP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "hvpolicy.pb-c.h"
#include "wire.h"

typedef struct reply_to {
	void *socket;		/* which admin socket asked */
	wire_rid rid;		/* which connection */
	bool remote;		/* the CURVE admin port */
	bool parts;		/* the client reassembles parts */
	const char *user;	/* admin key name on the remote port, or the
				 * local peer's user name (borrowed) */
	bool read_only;		/* a key of adminReadKeys: read verbs only */
} reply_to;

/* Sends r (borrowed; body and data may be of any size). */
void reply_send(const reply_to *c, const Hvp__AdminReply *r);
/* A reply with only an exit status, a body and an error message (NULL:
 * empty). */
void reply_text(const reply_to *c, int status, const char *body,
    const char *error);
/* Where the next part of text[0, len) may end at most max bytes on: never
 * inside a UTF-8 sequence, so every part is valid text on its own.
 * Exposed for the unit tests. */
size_t reply_cut(const char *text, size_t len, size_t max);

#endif
