/*
 * nodestate.c: the node's desired state on disk (nodestate.h). Called by
 * daemon.c (load at start, save on every new Desired, --seed-desired).
 *
 * File layout: "HVPNODE1" | payload length (u32 LE) | checksum (8 bytes,
 * libsodium crypto_shorthash over length and payload, fixed key) |
 * payload, a packed Hvp__Desired: the message the controller sent, so the
 * file holds exactly what was received. Written with
 * platform_replace_file(), so a reader sees the old or the new state.
 */
#include "nodestate.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "platform.h"
#include "policy.h"
#include "wire.h"
#include "xalloc.h"

#define S_MAGIC "HVPNODE1"
#define S_MAGIC_LEN 8
#define S_HDR (S_MAGIC_LEN + 4 + crypto_shorthash_BYTES)
#define S_MAX_FILE (WIRE_MAX_MESSAGE + S_HDR)

static const unsigned char S_KEY[crypto_shorthash_KEYBYTES] = {
	'h', 'v', 'p', 'o', 'l', 'i', 'c', 'y',
	'n', 'o', 'd', 'e', 's', 't', 'a', '1',
};

nodestate *
nodestate_new(void)
{
	nodestate *s = xcalloc(1, sizeof *s);

	s->policy_text = xstrdup("");
	s->policy_hash = xstrdup("");
	s->plan_hash = xstrdup("");
	s->cluster = xstrdup("");
	return s;
}

void
nodestate_free(nodestate **sp)
{
	nodestate *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	free(s->policy_text);
	free(s->policy_hash);
	free(s->plan_hash);
	free(s->cluster);
	plan_free(&s->plan);
	for (size_t i = 0; i < s->nparts; i++)
		nodestate_free(&s->parts[i]);
	free(s->parts);
	free(s);
	*sp = NULL;
}

nodestate *
nodestate_dup(const nodestate *s)
{
	nodestate *d;

	if (s == NULL)
		return NULL;
	d = xcalloc(1, sizeof *d);
	d->revision = s->revision;
	d->policy_text = xstrdup(s->policy_text ? s->policy_text : "");
	d->policy_hash = xstrdup(s->policy_hash ? s->policy_hash : "");
	d->plan_generation = s->plan_generation;
	d->plan_hash = xstrdup(s->plan_hash ? s->plan_hash : "");
	d->plan = plan_dup(s->plan);
	d->cluster = xstrdup(s->cluster ? s->cluster : "");
	if (s->nparts) {
		d->parts = xcalloc(s->nparts, sizeof *d->parts);
		for (size_t i = 0; i < s->nparts; i++)
			d->parts[i] = nodestate_dup(s->parts[i]);
		d->nparts = s->nparts;
	}
	return d;
}

static char *
s_path(const char *dir)
{
	return platform_path_join(dir, NODESTATE_FILE);
}

/* The message of s (and its parts); release with s_message_release. */
static void
s_message(const nodestate *s, Hvp__Desired *m)
{
	hvp__desired__init(m);
	m->revision = s->revision;
	m->policy = s->policy_text ? s->policy_text : (char *)"";
	m->policy_hash = s->policy_hash ? s->policy_hash : (char *)"";
	m->plan_generation = s->plan_generation;
	m->plan_hash = s->plan_hash ? s->plan_hash : (char *)"";
	m->cluster = s->cluster ? s->cluster : (char *)"";
	if (s->plan)
		m->plan = wire_plan_new(s->plan);
	if (s->nparts == 0)
		return;
	m->parts = xcalloc(s->nparts, sizeof *m->parts);
	m->n_parts = s->nparts;
	for (size_t i = 0; i < s->nparts; i++) {
		m->parts[i] = xmalloc(sizeof *m->parts[i]);
		s_message(s->parts[i], m->parts[i]);
	}
}

static void
s_message_release(Hvp__Desired *m)
{
	wire_plan_free(&m->plan);
	for (size_t i = 0; i < m->n_parts; i++) {
		s_message_release(m->parts[i]);
		free(m->parts[i]);
	}
	free(m->parts);
}

int
nodestate_save(const char *dir, const nodestate *s, char **err)
{
	Hvp__Desired m;
	uint8_t *payload = NULL, *file;
	size_t len = 0;
	char *path;
	int rc;

	if (sodium_init() < 0) {
		*err = xstrdup("libsodium cannot be initialised");
		return -1;
	}
	s_message(s, &m);
	rc = wire_encode_message(&m.base, &payload, &len);
	s_message_release(&m);
	path = s_path(dir);
	if (rc == -1) {
		*err = xasprintf("%s: desired state over %u bytes, not saved",
		    path, WIRE_MAX_MESSAGE);
		free(path);
		return -1;
	}
	file = xmalloc(S_HDR + len);
	memcpy(file, S_MAGIC, S_MAGIC_LEN);
	frame_put_le32(file + S_MAGIC_LEN, (uint32_t)len);
	if (len)
		memcpy(file + S_HDR, payload, len);
	frame_checksum(S_KEY, file + S_MAGIC_LEN, file + S_HDR, len,
	    file + S_MAGIC_LEN + 4);
	rc = platform_replace_file(path, file, S_HDR + len, true, err);
	free(file);
	free(payload);
	free(path);
	return rc;
}

/* Length-checks a string received or read back. */
static int
s_check_str(const char *s, size_t max, const char *what, char **err)
{
	size_t n = s ? strlen(s) : 0;

	if (n > max) {
		*err = xasprintf("%s of %zu characters, at most %zu expected",
		    what, n, max);
		return -1;
	}
	return 0;
}

static int s_from_desired(const Hvp__Desired *m, bool with_plan, int depth,
    nodestate **out, char **err);

int
nodestate_from_desired(const Hvp__Desired *m, bool with_plan,
    nodestate **out, char **err)
{
	return s_from_desired(m, with_plan, 0, out, err);
}

/* The parts of m into s. */
static int
s_parts(const Hvp__Desired *m, bool with_plan, int depth, nodestate *s,
    char **err)
{
	if (m->n_parts == 0)
		return 0;
	if (depth > 0) {
		*err = xstrdup("a part of a desired state has parts of its own");
		return -1;
	}
	if (m->n_parts > NODESTATE_MAX_PARTS) {
		*err = xasprintf("%zu parts, at most %d expected", m->n_parts,
		    NODESTATE_MAX_PARTS);
		return -1;
	}
	s->parts = xcalloc(m->n_parts, sizeof *s->parts);
	for (size_t i = 0; i < m->n_parts; i++) {
		if (s_from_desired(m->parts[i], with_plan, depth + 1,
		    &s->parts[i], err) == -1)
			return -1;
		s->nparts++;
	}
	return 0;
}

static int
s_from_desired(const Hvp__Desired *m, bool with_plan, int depth,
    nodestate **out, char **err)
{
	nodestate *s;

	*out = NULL;
	*err = NULL;
	if (m->revision < 0) {
		*err = xasprintf("negative revision %lld",
		    (long long)m->revision);
		return -1;
	}
	if (s_check_str(m->policy_hash, POLICY_HASH_HEX, "policy hash",
	    err) == -1 ||
	    s_check_str(m->plan_hash, PLAN_HASH_HEX, "plan hash", err) == -1)
		return -1;
	s = nodestate_new();
	s->revision = m->revision;
	free(s->policy_text);
	s->policy_text = xstrdup(m->policy ? m->policy : "");
	free(s->policy_hash);
	s->policy_hash = xstrdup(m->policy_hash ? m->policy_hash : "");
	s->plan_generation = m->plan_generation;
	free(s->plan_hash);
	s->plan_hash = xstrdup(m->plan_hash ? m->plan_hash : "");
	free(s->cluster);
	s->cluster = xstrdup(m->cluster ? m->cluster : "");
	if (s_check_str(m->cluster, 255, "cluster name", err) == -1 ||
	    (with_plan && m->plan != NULL &&
	    (s->plan = wire_plan_to_plan(m->plan, err)) == NULL) ||
	    s_parts(m, with_plan, depth, s, err) == -1) {
		nodestate_free(&s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Checks the frame of a state file; the payload on success. */
static int
s_unframe(const uint8_t *buf, size_t len, const uint8_t **payload,
    uint32_t *plen, char **why)
{
	uint8_t sum[crypto_shorthash_BYTES];
	uint32_t n;

	if (len < S_HDR || memcmp(buf, S_MAGIC, S_MAGIC_LEN) != 0) {
		*why = xstrdup("not a node state file (bad magic or too short)");
		return -1;
	}
	n = frame_get_le32(buf + S_MAGIC_LEN);
	if (n != len - S_HDR) {
		*why = xasprintf("truncated or extended: header says %u bytes, "
		    "the file holds %zu", n, len - S_HDR);
		return -1;
	}
	frame_checksum(S_KEY, buf + S_MAGIC_LEN, buf + S_HDR, n, sum);
	if (sodium_memcmp(sum, buf + S_MAGIC_LEN + 4, sizeof sum) != 0) {
		*why = xstrdup("checksum mismatch (the file is damaged)");
		return -1;
	}
	*payload = buf + S_HDR;
	*plen = n;
	return 0;
}

int
nodestate_load(const char *dir, nodestate **out, char **err)
{
	char *path = s_path(dir), *data = NULL, *why = NULL;
	const uint8_t *payload;
	size_t len = 0;
	uint32_t plen;
	Hvp__Desired *m = NULL;
	int rc = -1;

	*out = NULL;
	if (sodium_init() < 0) {
		*err = xstrdup("libsodium cannot be initialised");
		free(path);
		return -1;
	}
	if (!platform_file_exists(path)) {
		free(path);
		return 1;
	}
	if (platform_read_file(path, S_MAX_FILE, &data, &len, err) == -1) {
		free(path);
		return -1;
	}
	if (s_unframe((const uint8_t *)data, len, &payload, &plen, &why) == 0) {
		m = hvp__desired__unpack(NULL, plen, payload);
		if (m == NULL)
			why = xstrdup("the desired state does not decode");
		else if (nodestate_from_desired(m, true, out, &why) == 0)
			rc = 0;
	}
	if (rc == -1)
		*err = xasprintf("%s: %s; delete it or seed a new one with "
		    "--seed-desired (the controller re-sends it on connect)",
		    path, why ? why : "damaged");
	if (m)
		hvp__desired__free_unpacked(m, NULL);
	free(why);
	free(data);
	free(path);
	return rc;
}
