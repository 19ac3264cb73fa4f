/*
 * zap.c: the controller's ZAP handler (zap.h). Parses RFC 27 requests
 * from libzmq, looks CURVE keys up in the node and admin key tables
 * (keys.h) and answers with the bound name as User-Id. Refusals are
 * logged with the key and the peer address, rate-limited per key so a
 * peer retrying every 100 ms cannot flood the log.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "keys.h"
#include "log.h"
#include "platform.h"
#include "xalloc.h"
#include "zap.h"

#define ZAP_VERSION "1.0"
#define ZAP_MAX_FRAMES 8	/* version..mechanism + 2 credentials */
#define ZAP_BATCH 256		/* requests answered per zap_handle() */
#define ZAP_RECENT 32		/* refused keys remembered for rate limits */
#define ZAP_LOG_EVERY_MS 60000

enum { F_VERSION, F_REQUEST_ID, F_DOMAIN, F_ADDRESS, F_IDENTITY,
    F_MECHANISM, F_CREDENTIALS };

typedef struct s_refusal {
	char key[KEYS_Z85_LEN + 1];
	int64_t logged_ms;	/* 0: slot free */
	unsigned quiet;		/* refusals not logged since */
} s_refusal;

struct zap {
	void *socket;
	char *node_dir;
	char *admin_dir;
	keys_table *nodes;
	keys_table *admins;	/* NULL without an admin directory */
	char *reader_dir;
	keys_table *readers;	/* read-only admins; NULL without */
	s_refusal recent[ZAP_RECENT];
};

/* One parsed request; frames stay owned by the msg array. */
typedef struct s_request {
	zmq_msg_t frames[ZAP_MAX_FRAMES];
	size_t nframes;		/* kept */
	size_t total;		/* received */
} s_request;

static int
s_load(const char *dir, keys_table **out, char **err)
{
	if (dir == NULL) {
		*out = NULL;
		*err = NULL;
		return 0;
	}
	return keys_dir_load(dir, out, err);
}

zap *
zap_new(void *zmq_ctx, const char *node_keys_dir, const char *admin_keys_dir,
    char **err)
{
	zap *z = xcalloc(1, sizeof *z);
	int linger = 0;

	*err = NULL;
	z->node_dir = xstrdup(node_keys_dir);
	z->admin_dir = xstrdup(admin_keys_dir);
	if (s_load(node_keys_dir, &z->nodes, err) == -1 ||
	    s_load(admin_keys_dir, &z->admins, err) == -1)
		goto fail;
	if (z->nodes == NULL)
		z->nodes = keys_table_new();
	z->socket = zmq_socket(zmq_ctx, ZMQ_REP);
	if (z->socket == NULL) {
		*err = xasprintf("cannot make the ZAP socket: %s",
		    zmq_strerror(zmq_errno()));
		goto fail;
	}
	zmq_setsockopt(z->socket, ZMQ_LINGER, &linger, sizeof linger);
	if (zmq_bind(z->socket, ZAP_ENDPOINT) == -1) {
		*err = xasprintf("cannot bind the ZAP handler at %s: %s",
		    ZAP_ENDPOINT, zmq_strerror(zmq_errno()));
		goto fail;
	}
	log_info("zap: %zu node keys%s%s, %zu admin keys%s%s",
	    keys_table_count(z->nodes), node_keys_dir ? " from " : "",
	    node_keys_dir ? node_keys_dir : "", keys_table_count(z->admins),
	    admin_keys_dir ? " from " : "",
	    admin_keys_dir ? admin_keys_dir : "");
	return z;
fail:
	zap_free(&z);
	return NULL;
}

void
zap_free(zap **z)
{
	if (z == NULL || *z == NULL)
		return;
	if ((*z)->socket != NULL)
		zmq_close((*z)->socket);
	keys_table_free(&(*z)->nodes);
	keys_table_free(&(*z)->admins);
	keys_table_free(&(*z)->readers);
	free((*z)->reader_dir);
	free((*z)->node_dir);
	free((*z)->admin_dir);
	free(*z);
	*z = NULL;
}

void *
zap_socket(zap *z)
{
	return z->socket;
}

size_t
zap_node_key_count(const zap *z)
{
	return keys_table_count(z->nodes);
}

int
zap_set_read_keys(zap *z, const char *dir, char **err)
{
	keys_table *t = NULL;

	if (s_load(dir, &t, err) == -1)
		return -1;
	keys_table_free(&z->readers);
	free(z->reader_dir);
	z->readers = t;
	z->reader_dir = xstrdup(dir);
	if (dir)
		log_info("zap: %zu read-only admin keys from %s",
		    keys_table_count(t), dir);
	return 0;
}

size_t
zap_admin_key_count(const zap *z)
{
	return keys_table_count(z->admins);
}

int
zap_reload(zap *z, char **err)
{
	keys_table *nodes = NULL, *admins = NULL, *readers = NULL;

	*err = NULL;
	if (s_load(z->node_dir, &nodes, err) == -1)
		return -1;
	if (s_load(z->admin_dir, &admins, err) == -1 ||
	    s_load(z->reader_dir, &readers, err) == -1) {
		keys_table_free(&nodes);
		keys_table_free(&admins);
		return -1;
	}
	if (nodes == NULL)
		nodes = keys_table_new();
	log_info("zap: reloaded: %zu node keys (was %zu), %zu admin keys "
	    "(was %zu)", keys_table_count(nodes), keys_table_count(z->nodes),
	    keys_table_count(admins), keys_table_count(z->admins));
	keys_table_free(&z->nodes);
	keys_table_free(&z->admins);
	keys_table_free(&z->readers);
	z->nodes = nodes;
	z->admins = admins;
	z->readers = readers;
	memset(z->recent, 0, sizeof z->recent);
	return 0;
}

/* ---- requests ---- */

static bool
s_frame_is(zmq_msg_t *f, const char *text)
{
	size_t n = strlen(text);

	return zmq_msg_size(f) == n && memcmp(zmq_msg_data(f), text, n) == 0;
}

/* A frame as printable text for logs (at most 64 bytes; others as '?'). */
static char *
s_frame_text(zmq_msg_t *f)
{
	const unsigned char *p = zmq_msg_data(f);
	size_t n = zmq_msg_size(f);
	char *s;

	if (n > 64)
		n = 64;
	s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	s[n] = '\0';
	return s;
}

/* Reads one request without blocking. -1 when none is pending. */
static int
s_request_read(zap *z, s_request *r)
{
	int more;

	r->nframes = r->total = 0;
	do {
		zmq_msg_t scratch, *f = r->nframes < ZAP_MAX_FRAMES ?
		    &r->frames[r->nframes] : &scratch;

		zmq_msg_init(f);
		if (zmq_msg_recv(f, z->socket, r->total ? 0 : ZMQ_DONTWAIT)
		    == -1) {
			zmq_msg_close(f);
			return r->total ? 0 : -1;
		}
		r->total++;
		more = zmq_msg_more(f);
		if (f == &scratch)
			zmq_msg_close(f);
		else
			r->nframes++;
	} while (more);
	return 0;
}

static void
s_request_close(s_request *r)
{
	for (size_t i = 0; i < r->nframes; i++)
		zmq_msg_close(&r->frames[i]);
	r->nframes = 0;
}

static void
s_reply(zap *z, s_request *r, const char *code, const char *text,
    const char *user_id)
{
	const void *rid = "";
	size_t rid_len = 0;

	if (r->nframes > F_REQUEST_ID) {
		rid = zmq_msg_data(&r->frames[F_REQUEST_ID]);
		rid_len = zmq_msg_size(&r->frames[F_REQUEST_ID]);
	}
	zmq_send(z->socket, ZAP_VERSION, strlen(ZAP_VERSION), ZMQ_SNDMORE);
	zmq_send(z->socket, rid, rid_len, ZMQ_SNDMORE);
	zmq_send(z->socket, code, strlen(code), ZMQ_SNDMORE);
	zmq_send(z->socket, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(z->socket, user_id, strlen(user_id), ZMQ_SNDMORE);
	zmq_send(z->socket, "", 0, 0);
}

/* Logs a refused key unless it was logged within the last minute. */
static void
s_log_refusal(zap *z, const char *key, const char *address,
    const char *domain, const char *why)
{
	int64_t now = platform_mono_ms();
	s_refusal *slot = NULL, *oldest = &z->recent[0];

	for (size_t i = 0; i < ZAP_RECENT; i++) {
		if (z->recent[i].logged_ms != 0 &&
		    strcmp(z->recent[i].key, key) == 0) {
			slot = &z->recent[i];
			break;
		}
		if (z->recent[i].logged_ms < oldest->logged_ms)
			oldest = &z->recent[i];
	}
	if (slot != NULL && now - slot->logged_ms < ZAP_LOG_EVERY_MS) {
		slot->quiet++;
		return;
	}
	if (slot == NULL) {
		slot = oldest;
		slot->quiet = 0;
		memcpy(slot->key, key, sizeof slot->key);
	}
	if (slot->quiet)
		log_warnx("zap: refused %s key=%s address=%s domain=%s "
		    "(and %u times since the last report)", why, key, address,
		    domain, slot->quiet);
	else
		log_warnx("zap: refused %s key=%s address=%s domain=%s", why,
		    key, address, domain);
	slot->logged_ms = now ? now : 1;
	slot->quiet = 0;
}

static void
s_curve(zap *z, s_request *r, const char *address, const char *domain)
{
	char key[KEYS_Z85_LEN + 1];
	const char *name = NULL;
	bool admin = false, reader = false;
	zmq_msg_t *cred;

	if (r->nframes != F_CREDENTIALS + 1 ||
	    zmq_msg_size(&r->frames[F_CREDENTIALS]) != 32) {
		s_reply(z, r, "400", "bad CURVE credentials", "");
		log_warnx("zap: refused malformed CURVE credentials address=%s",
		    address);
		return;
	}
	cred = &r->frames[F_CREDENTIALS];
	zmq_z85_encode(key, zmq_msg_data(cred), 32);
	if (strcmp(domain, ZAP_DOMAIN_ADMIN) != 0)
		name = keys_table_lookup(z->nodes, key);
	if (name == NULL && strcmp(domain, ZAP_DOMAIN_NODES) != 0) {
		name = keys_table_lookup(z->admins, key);
		if (name == NULL && z->readers != NULL &&
		    (name = keys_table_lookup(z->readers, key)) != NULL)
			reader = true;
		admin = name != NULL;
	}
	if (name == NULL) {
		s_reply(z, r, "400", "unknown key", "");
		s_log_refusal(z, key, address, domain[0] ? domain : "-",
		    "unknown");
		return;
	}
	if (admin) {
		char *uid = xasprintf("%s%s", reader ? ZAP_READER_PREFIX :
		    ZAP_ADMIN_PREFIX, name);

		s_reply(z, r, "200", "OK", uid);
		log_debug("zap: admitted admin=%s%s address=%s", name,
		    reader ? " (read-only)" : "", address);
		free(uid);
	} else {
		s_reply(z, r, "200", "OK", name);
		log_debug("zap: admitted node=%s address=%s", name, address);
	}
}

static void
s_answer(zap *z, s_request *r)
{
	char *address, *domain;

	if (r->total < F_CREDENTIALS || r->nframes < F_CREDENTIALS ||
	    !s_frame_is(&r->frames[F_VERSION], ZAP_VERSION)) {
		s_reply(z, r, "500", "malformed ZAP request", "");
		log_warnx("zap: malformed request (%zu frames)", r->total);
		return;
	}
	address = s_frame_text(&r->frames[F_ADDRESS]);
	domain = s_frame_text(&r->frames[F_DOMAIN]);
	if (s_frame_is(&r->frames[F_MECHANISM], "CURVE")) {
		s_curve(z, r, address, domain);
	} else if (s_frame_is(&r->frames[F_MECHANISM], "NULL")) {
		s_reply(z, r, "200", "OK", "");
		log_debug("zap: admitted unauthenticated peer address=%s "
		    "(insecure mode)", address);
	} else {
		char *mech = s_frame_text(&r->frames[F_MECHANISM]);

		s_reply(z, r, "400", "mechanism not allowed", "");
		log_warnx("zap: refused mechanism %s address=%s", mech,
		    address);
		free(mech);
	}
	free(address);
	free(domain);
}

void
zap_handle(zap *z)
{
	s_request r;

	for (int i = 0; i < ZAP_BATCH; i++) {
		if (s_request_read(z, &r) == -1)
			return;
		s_answer(z, &r);
		s_request_close(&r);
	}
}
