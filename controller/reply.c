/*
 * reply.c: answering an admin client (reply.h). The answer is rendered
 * once by the caller; here it is cut into parts, each encoded into its
 * own buffer that ZeroMQ takes over without a copy (zmq_msg_init_data),
 * so the controller holds one copy of the text while ZeroMQ delivers it.
 * A ROUTER queues a multipart message whole or not at all, so the client
 * sees every part or none.
 */
#include "reply.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bounds.h"
#include "log.h"
#include "xalloc.h"

size_t
reply_cut(const char *text, size_t len, size_t max)
{
	size_t end;

	if (len <= max)
		return len;
	end = max;
	/* Back off continuation bytes (10xxxxxx) to a character start. */
	while (end > 0 && ((unsigned char)text[end] & 0xc0) == 0x80)
		end--;
	return end > 0 ? end : max;
}

static void
s_free_buf(void *data, void *hint)
{
	(void)hint;
	free(data);
}

/* Sends the routing id and the empty delimiter a REQ client expects. */
static int
s_send_envelope(const reply_to *c)
{
	if (zmq_send(c->socket, c->rid.data, c->rid.len,
	    ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1 ||
	    zmq_send(c->socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1)
		return -1;
	return 0;
}

/* Hands buf (owned, from malloc) to ZeroMQ as the next frame. */
static int
s_send_frame(const reply_to *c, uint8_t *buf, size_t len, bool more)
{
	zmq_msg_t m;

	if (zmq_msg_init_data(&m, buf, len, s_free_buf, NULL) == -1) {
		free(buf);
		return -1;
	}
	if (zmq_msg_send(&m, c->socket,
	    (more ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) == -1) {
		zmq_msg_close(&m);
		return -1;
	}
	return 0;
}

/* A client that takes one message only: the reply, or why it cannot
 * have it. */
static void
s_send_whole(const reply_to *c, const Hvp__AdminReply *r)
{
	Hvp__AdminReply e = HVP__ADMIN_REPLY__INIT;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *msg = NULL;

	if (wire_encode_admin_reply(r, &buf, &len) == -1) {
		len = protobuf_c_message_get_packed_size(&r->base);
		msg = xasprintf("the answer is %zu bytes, more than one message "
		    "holds (%u); use an hvpolicy CLI of this version, which "
		    "reassembles long answers, or ask for less (--limit)",
		    len, WIRE_MAX_MESSAGE);
		log_warnx("control: %s", msg);
		e.status = 1;
		e.body = (char *)"";
		e.error = msg;
		if (wire_encode_admin_reply(&e, &buf, &len) == -1) {
			free(msg);
			return;
		}
		free(msg);
	}
	if (s_send_envelope(c) == -1 || s_send_frame(c, buf, len, false) == -1)
		log_debug("control: reply not sent: %s",
		    zmq_strerror(zmq_errno()));
}

/* Every frame is under the message limit: at most LIMIT_REPLY_PART_BYTES
 * of body or data plus part 0's short fields. */
static void
s_send_parts(const reply_to *c, const Hvp__AdminReply *r)
{
	const char *body = r->body ? r->body : "";
	size_t blen = strlen(body), boff = 0, doff = 0;
	uint32_t part = 0;
	bool more;

	if (s_send_envelope(c) == -1)
		goto fail;
	do {
		Hvp__AdminReply p = HVP__ADMIN_REPLY__INIT;
		size_t room = LIMIT_REPLY_PART_BYTES, n, len = 0;
		uint8_t *buf = NULL;
		char *chunk;

		if (part == 0) {
			p = *r;
			p.data.len = 0;
			p.data.data = NULL;
		} else {
			p.error = (char *)"";
		}
		n = reply_cut(body + boff, blen - boff, room);
		chunk = xmalloc(n + 1);
		memcpy(chunk, body + boff, n);
		chunk[n] = '\0';
		p.body = chunk;
		boff += n;
		room -= n;
		if (boff == blen && room > 0 && doff < r->data.len) {
			n = r->data.len - doff < room ? r->data.len - doff : room;
			p.data.data = r->data.data + doff;
			p.data.len = n;
			doff += n;
		}
		more = boff < blen || doff < r->data.len;
		p.part = part++;
		p.more = more;
		if (wire_encode_admin_reply(&p, &buf, &len) == -1) {
			free(chunk);
			log_warnx("control: reply part cannot be encoded; "
			    "dropped");
			/* Close the multipart message the client waits for. */
			zmq_send(c->socket, "", 0, ZMQ_DONTWAIT);
			return;
		}
		free(chunk);
		if (s_send_frame(c, buf, len, more) == -1)
			goto fail;
	} while (more);
	if (part > 1)
		log_debug("control: reply of %zu bytes sent in %u parts",
		    blen + r->data.len, part);
	return;
fail:
	log_debug("control: reply not sent: %s", zmq_strerror(zmq_errno()));
}

void
reply_send(const reply_to *c, const Hvp__AdminReply *r)
{
	if (c->socket == NULL)
		return;
	if (c->parts)
		s_send_parts(c, r);
	else
		s_send_whole(c, r);
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
