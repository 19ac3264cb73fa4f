/*
 * reply.c: answering an admin client (reply.h).
 */
#include "reply.h"

#include <stdlib.h>
#include <zmq.h>

#include "log.h"

void
reply_send(const reply_to *c, const Hvp__AdminReply *r)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (c->socket == NULL)
		return;
	if (wire_encode_admin_reply(r, &buf, &len) == -1) {
		log_warnx("control: reply cannot be encoded; dropped");
		return;
	}
	if (zmq_send(c->socket, c->rid.data, c->rid.len,
	    ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1 ||
	    zmq_send(c->socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1 ||
	    zmq_send(c->socket, buf, len, ZMQ_DONTWAIT) == -1)
		log_debug("control: reply not sent: %s", zmq_strerror(zmq_errno()));
	free(buf);
}

void
reply_text(const reply_to *c, int status, const char *body, const char *error)
{
	Hvp__AdminReply r = HVP__ADMIN_REPLY__INIT;

	r.status = status;
	r.body = (char *)(body ? body : "");
	r.error = (char *)(error ? error : "");
	reply_send(c, &r);
}
