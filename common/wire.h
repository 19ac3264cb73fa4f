/*
 * wire.h: the node and admin protocols on the wire (proto/hvpolicy.proto,
 * docs/protocol.md): decoding with the size limit checked first, encoding,
 * converters between the model (drift records, plans, host state) and
 * messages, and sending/receiving one envelope over ZeroMQ. Callers: the
 * controller (node and admin traffic), the node daemon, the CLI, the lab.
 *
 * Ownership. Every message tree returned by a function here is owned by
 * the caller and is a plain heap tree: every message, string and array
 * comes from malloc (strings may also be protobuf_c_empty_string), exactly
 * what protobuf-c's own unpacker builds. So one rule frees them all:
 * decoded or built here, free with the matching wire_*_free() (or
 * wire_message_free() for any of them). Messages a caller builds by hand,
 * e.g. on the stack with HVP__ENVELOPE__INIT around borrowed strings, stay
 * the caller's business: encode or send them, never pass them to a
 * wire_*_free(). Functions taking a body "take ownership" only where the
 * comment says so.
 */
#ifndef HVP_WIRE_H
#define HVP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "hoststate.h"
#include "hvpolicy.pb-c.h"
#include "bounds.h"
#include "plan.h"

/* The node protocol version this program speaks, and the oldest a
 * controller still accepts from nodes (docs/protocol.md, "Versions"). */
#define WIRE_PROTOCOL_VERSION 1
#define WIRE_PROTOCOL_MIN 1
#define WIRE_PROTOCOL_RANGE "1"	/* as text: "MIN" or "MIN to VERSION" */
/* The one limit on a message, checked before any byte is decoded. */
#define WIRE_MAX_MESSAGE LIMIT_MESSAGE_BYTES
/* Longest routing id wire_recv() accepts (ZeroMQ's own limit). */
#define WIRE_MAX_ROUTING_ID 255

/* wire_recv() results. */
#define WIRE_OK 0
#define WIRE_MALFORMED (-1)	/* a message came, was dropped; *err says why */
#define WIRE_NONE (-2)		/* nothing to read (or interrupted); errno */
#define WIRE_REFUSED (-3)	/* a message came over a bound (bounds.h) and
				 * was dropped undecoded; *err says which */

/* Envelopes. wire_decode() refuses, with an owned message in *err: more
 * than WIRE_MAX_MESSAGE bytes, bytes protobuf-c cannot decode, a protocol
 * outside WIRE_PROTOCOL_MIN..WIRE_PROTOCOL_VERSION (but for a Refused,
 * read from any version), no body. */
Hvp__Envelope *wire_decode(const void *data, size_t len, char **err);
/* Encodes into an owned buffer (*out, free()). -1 when the encoding would
 * exceed WIRE_MAX_MESSAGE (nothing is allocated then). */
int wire_encode(const Hvp__Envelope *e, uint8_t **out, size_t *len);
/* Frees a decoded envelope or one from wire_envelope_new(); NULL is fine. */
void wire_envelope_free(Hvp__Envelope **e);
/* A heap envelope of the current protocol holding body (a heap message of
 * the type body_case names, e.g. an Hvp__Hello * for
 * HVP__ENVELOPE__BODY_HELLO). Takes ownership of body. */
Hvp__Envelope *wire_envelope_new(Hvp__Envelope__BodyCase body_case,
    void *body);
/* "hello", "drift_batch", ...; "none" when unset, "unknown" otherwise. */
const char *wire_body_name(Hvp__Envelope__BodyCase body_case);

/* Admin messages. A request must carry WIRE_PROTOCOL_VERSION and a verb
 * and is checked against bounds.h before it is decoded;
 * a reply (which has no protocol field) only has to decode. */
Hvp__AdminRequest *wire_decode_admin_request(const void *data, size_t len,
    char **err);
Hvp__AdminReply *wire_decode_admin_reply(const void *data, size_t len,
    char **err);
int wire_encode_admin_request(const Hvp__AdminRequest *r, uint8_t **out,
    size_t *len);
int wire_encode_admin_reply(const Hvp__AdminReply *r, uint8_t **out,
    size_t *len);
void wire_admin_request_free(Hvp__AdminRequest **r);
void wire_admin_reply_free(Hvp__AdminReply **r);

/* Any message: encode within the limit; free a heap tree. */
int wire_encode_message(const ProtobufCMessage *m, uint8_t **out,
    size_t *len);
void wire_message_free(void *message);

/* Drift records. Enums travel as their contract names (DRIFT_KIND_NAMES,
 * DRIFT_STATUS_NAMES, HOST_ROLE_NAMES, POLICY_MODE_NAMES); absent
 * expected/actual as has_expected/has_actual = false; action and error
 * NULL travel as "" and come back as NULL. */
Hvp__Drift *wire_drift_new(const drift_record *r, uint64_t seq);
/* Fills *out (owned strings; drift_record_clear() releases them). -1 with
 * *err on an unknown enum name; *out is then left zeroed. */
int wire_drift_to_record(const Hvp__Drift *m, drift_record *out, char **err);
void wire_drift_free(Hvp__Drift **m);

/* Plans, generation and hash included. wire_plan_to_plan() refuses a hash
 * longer than PLAN_HASH_HEX; it does not recompute it. */
Hvp__Plan *wire_plan_new(const plan *p);
plan *wire_plan_to_plan(const Hvp__Plan *m, char **err);
void wire_plan_free(Hvp__Plan **m);
/* The same message as wire_plan_new() in one allocation, its strings
 * borrowed from p (which must outlive it): what a controller sends its
 * DPM servers, thousands of guests at a time, costs no copy of them.
 * Freed by wire_plan_borrowed_free() only, never by protobuf-c. */
Hvp__Plan *wire_plan_borrowed_new(const plan *p);
void wire_plan_borrowed_free(Hvp__Plan **m);

/* Inventories. From a host: guests (sorted by name, then id; services
 * sorted by name; paths as held), CSVs (sorted), providers (sorted by id),
 * has_system_provider_key; no snapshot, no serialization file. The hash
 * field is set by wire_inventory_rehash(): BLAKE2b-256 in hex over the
 * encoded inventory with hash empty, so equal content gives an equal hash.
 * The setters below rehash. */
Hvp__Inventory *wire_inventory_new_from_host(const host_state *h);
/* Sets (copies) the last-snapshot evidence; provider_id NULL removes it. */
void wire_inventory_set_snapshot(Hvp__Inventory *inv, const char *provider_id,
    bool hardware, const char *volume, const char *line);
/* dpm-server: the hash of the serialization file held, NULL = no file. */
void wire_inventory_set_dsgroups(Hvp__Inventory *inv, const char *hash);
void wire_inventory_rehash(Hvp__Inventory *inv);
void wire_inventory_free(Hvp__Inventory **inv);

/* A ROUTER's routing id: opaque bytes the ROUTER gave the peer's
 * connection. It says nothing about who the peer is (the ZAP User-Id
 * does); a value type, nothing to free. */
typedef struct wire_rid {
	size_t len;		/* 0: none */
	unsigned char data[WIRE_MAX_ROUTING_ID];
} wire_rid;

bool wire_rid_equal(const wire_rid *a, const wire_rid *b);
/* Printable form for logs ("0x00a1b2c3d4"), in buf of at least
 * WIRE_RID_TEXT bytes. */
#define WIRE_RID_TEXT (2 * WIRE_MAX_ROUTING_ID + 3)
const char *wire_rid_text(const wire_rid *r, char *buf);

/* ZeroMQ. Sockets must be DEALER (rid NULL) or ROUTER (rid says which
 * connection). Sends without blocking:
 * -1 with errno (EAGAIN at the high-water mark, EHOSTUNREACH for an
 * unknown peer with ZMQ_ROUTER_MANDATORY, ...) and nothing queued; the
 * state-based protocol sends again later. */
int wire_send(void *socket, const Hvp__Envelope *e, const wire_rid *rid);
/* The same for bytes already encoded; rid may hold any bytes. */
int wire_send_raw(void *socket, const void *rid, size_t rid_len,
    const void *data, size_t len);
/* Receives one message without blocking. ROUTER: two frames (routing id,
 * envelope), the envelope checked against bounds.h before it is decoded
 * (wirecheck.c); DEALER: one. WIRE_OK: *e (owned), *rid (len 0 for DEALER),
 * *user_id (owned; the ZAP User-Id, "" without one, NULL when the
 * transport has none). WIRE_MALFORMED: every frame of the message has been
 * read and dropped, *err (owned) says why, *rid and *user_id are set when
 * known so the caller can log them. WIRE_REFUSED: the same, for a
 * message over a bound, so the caller can tell the sender why. WIRE_NONE:
 * nothing pending. Any out pointer but e may be NULL. On a ROUTER, a
 * Hello in a protocol version outside WIRE_PROTOCOL_MIN..
 * WIRE_PROTOCOL_VERSION is also answered with a Refused that names both
 * versions and what to upgrade (then WIRE_MALFORMED as above). */
int wire_recv(void *socket, Hvp__Envelope **e, wire_rid *rid,
    char **user_id, char **err);
/* Sets ZMQ_MAXMSGSIZE to WIRE_MAX_MESSAGE: ZeroMQ then drops a peer that
 * sends a bigger frame before anything is allocated for it. */
int wire_socket_limit(void *socket);

#endif
