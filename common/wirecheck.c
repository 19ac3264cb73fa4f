/*
 * wirecheck.c: bounds checked on encoded messages (wirecheck.h).
 *
 * The walk follows the protobuf encoding (protobuf.dev, "Encoding"):
 * each field is a varint key (number << 3 | wire type) followed by a
 * varint (type 0), 8 bytes (1), a varint length and that many bytes (2)
 * or 4 bytes (5); groups (3, 4) are not used by this schema and refused.
 * A length-delimited field whose descriptor says message is walked in
 * turn. Nothing is allocated: the counters of one message level live on
 * the stack, and the depth is bounded.
 */
#include "wirecheck.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "hvpolicy.pb-c.h"
#include "xalloc.h"

/* Field counters of one message level; the schema's largest message has
 * 18 fields. */
#define S_MAX_COUNTED 32

typedef struct s_rule {
	const ProtobufCMessageDescriptor *msg;
	const char *field;
	uint32_t max;
} s_rule;

static const s_rule s_rules[] = {
	{ &hvp__inventory__descriptor, "guests", LIMIT_GUESTS },
	{ &hvp__inventory__descriptor, "csvs", LIMIT_CSVS },
	{ &hvp__inventory__descriptor, "providers", LIMIT_PROVIDERS },
	{ &hvp__guest__descriptor, "paths", LIMIT_PATHS_PER_GUEST },
	{ &hvp__guest__descriptor, "services", LIMIT_SERVICES_PER_GUEST },
	{ &hvp__drift_batch__descriptor, "records", LIMIT_DRIFT_BATCH },
	{ &hvp__dry_run_result__descriptor, "findings",
	    LIMIT_DRYRUN_FINDINGS },
	{ &hvp__hello__descriptor, "clusters", LIMIT_CLUSTERS },
	{ &hvp__hello__descriptor, "parts", LIMIT_CLUSTERS },
	{ &hvp__ack__descriptor, "parts", LIMIT_CLUSTERS },
	{ &hvp__heartbeat__descriptor, "parts", LIMIT_CLUSTERS },
};

typedef struct s_walk {
	uint32_t fields;	/* every field occurrence so far */
	int result;		/* WIRECHECK_OVER or WIRECHECK_MALFORMED */
	char err[256];
} s_walk;

static int
s_fail(s_walk *w, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first failure; returns -1 so callers can return it. */
static int
s_fail(s_walk *w, int result, const char *fmt, ...)
{
	va_list ap;

	if (w->result == 0) {
		w->result = result;
		va_start(ap, fmt);
		vsnprintf(w->err, sizeof w->err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Reads a varint at *p (below end); -1 when it is cut short or longer
 * than ten bytes. */
static int
s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (*p >= end)
			return -1;
		*v |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0)
			return 0;
	}
	return -1;
}

/* The bounds of message d's repeated fields, by field index (0: none). */
static void
s_bounds_of(const ProtobufCMessageDescriptor *d, uint32_t *max)
{
	for (size_t i = 0; i < sizeof s_rules / sizeof s_rules[0]; i++) {
		const ProtobufCFieldDescriptor *f;

		if (s_rules[i].msg != d)
			continue;
		f = protobuf_c_message_descriptor_get_field_by_name(d,
		    s_rules[i].field);
		if (f != NULL && (size_t)(f - d->fields) < S_MAX_COUNTED)
			max[f - d->fields] = s_rules[i].max;
	}
}

static int s_walk_message(s_walk *w, const ProtobufCMessageDescriptor *d,
    const uint8_t *p, const uint8_t *end, unsigned depth);

/* One length-delimited field of message d: walked when it is a message. */
static int
s_delimited(s_walk *w, const ProtobufCMessageDescriptor *d,
    const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len,
    unsigned depth)
{
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return 0;
	if (f->descriptor == &hvp__inventory__descriptor &&
	    len > LIMIT_INVENTORY_BYTES)
		return s_fail(w, WIRECHECK_OVER, "%s: inventory of %zu bytes, at most %u",
		    d->short_name, len, LIMIT_INVENTORY_BYTES);
	return s_walk_message(w, f->descriptor, p, p + len, depth + 1);
}

static int
s_walk_message(s_walk *w, const ProtobufCMessageDescriptor *d,
    const uint8_t *p, const uint8_t *end, unsigned depth)
{
	uint32_t count[S_MAX_COUNTED] = { 0 }, max[S_MAX_COUNTED] = { 0 };

	s_bounds_of(d, max);
	if (depth > LIMIT_MESSAGE_DEPTH)
		return s_fail(w, WIRECHECK_OVER, "messages nested deeper than %u",
		    LIMIT_MESSAGE_DEPTH);
	while (p < end) {
		const ProtobufCFieldDescriptor *f;
		uint64_t key, v;

		if (s_varint(&p, end, &key) == -1 || (key >> 3) == 0 ||
		    (key >> 3) > UINT32_MAX)
			return s_fail(w, WIRECHECK_MALFORMED, "%s: bad field key", d->short_name);
		if (++w->fields > LIMIT_MESSAGE_FIELDS)
			return s_fail(w, WIRECHECK_OVER, "more than %u fields in one message",
			    LIMIT_MESSAGE_FIELDS);
		f = protobuf_c_message_descriptor_get_field(d,
		    (unsigned)(key >> 3));
		if (f && (size_t)(f - d->fields) < S_MAX_COUNTED) {
			size_t k = (size_t)(f - d->fields);

			if (++count[k] > max[k] && max[k] != 0)
				return s_fail(w, WIRECHECK_OVER,
				    "%s: more than %u %s", d->short_name,
				    max[k], f->name);
		}
		switch (key & 7) {
		case 0:
			if (s_varint(&p, end, &v) == -1)
				return s_fail(w, WIRECHECK_MALFORMED, "%s: bad varint",
				    d->short_name);
			break;
		case 1:
		case 5:
			if ((size_t)(end - p) < ((key & 7) == 1 ? 8u : 4u))
				return s_fail(w, WIRECHECK_MALFORMED, "%s: field cut short",
				    d->short_name);
			p += (key & 7) == 1 ? 8 : 4;
			break;
		case 2:
			if (s_varint(&p, end, &v) == -1 ||
			    v > (uint64_t)(end - p))
				return s_fail(w, WIRECHECK_MALFORMED, "%s: field cut short",
				    d->short_name);
			if (s_delimited(w, d, f, p, (size_t)v, depth) == -1)
				return -1;
			p += v;
			break;
		default:
			return s_fail(w, WIRECHECK_MALFORMED, "%s: unsupported wire type %u",
			    d->short_name, (unsigned)(key & 7));
		}
	}
	return 0;
}

int
wirecheck_message(const ProtobufCMessageDescriptor *d, const void *data,
    size_t len, char **err)
{
	s_walk w = { 0 };
	const uint8_t *p = data;

	*err = NULL;
	if (len > LIMIT_MESSAGE_BYTES) {
		*err = xasprintf("message of %zu bytes is over the limit of %u "
		    "bytes", len, LIMIT_MESSAGE_BYTES);
		return WIRECHECK_OVER;
	}
	if (len == 0)
		return 0;
	if (p == NULL) {
		*err = xstrdup("no message data");
		return WIRECHECK_MALFORMED;
	}
	if (s_walk_message(&w, d, p, p + len, 0) == -1) {
		*err = xstrdup(w.err);
		return w.result;
	}
	return 0;
}

int
wirecheck_envelope(const void *data, size_t len, char **err)
{
	return wirecheck_message(&hvp__envelope__descriptor, data, len, err);
}
