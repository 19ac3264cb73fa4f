/*
 * keys.c: CURVE key files and key directories (keys.h): generation for
 * `hvpolicy keygen` and the lab, the strict text format, the privacy check
 * on secret files, the public-key-to-name table the controller's ZAP
 * handler consults, and CURVE socket setup for the daemons and the CLI.
 * All file access goes through platform.h. Secret material is wiped after
 * use and never appears in a message or a log line.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "keys.h"
#include "log.h"
#include "platform.h"
#include "timefmt.h"
#include "xalloc.h"

#define KEYS_FILE_MAX (64u * 1024)
#define KEYS_BINARY_LEN 32

static const char s_z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

typedef struct s_keyfile {
	char pub[KEYS_Z85_LEN + 1];
	char sec[KEYS_Z85_LEN + 1];
	bool has_pub;
	bool has_sec;
} s_keyfile;

struct keys_entry {
	char pub[KEYS_Z85_LEN + 1];
	char *name;
};

struct keys_table {
	struct keys_entry *items;	/* sorted by pub */
	size_t count;
	size_t cap;
};

bool
keys_name_valid(const char *name)
{
	size_t n;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return false;
	n = strlen(name);
	if (n > KEYS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static bool
s_z85_valid(const char *s, size_t len)
{
	uint8_t bin[KEYS_BINARY_LEN];
	char copy[KEYS_Z85_LEN + 1];

	if (len != KEYS_Z85_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(s_z85_alphabet, s[i]) == NULL)
			return false;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return zmq_z85_decode(bin, copy) != NULL;
}

static bool
s_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses one `name = "value"` line into kf. 0, or -1 with *err. Values
 * never appear in messages. */
static int
s_parse_line(const char *path, int lineno, const char *p, const char *end,
    bool secret_file, s_keyfile *kf, char **err)
{
	const char *name = p, *value;
	size_t nlen, vlen;
	char *slot;
	bool *seen;

	while (p < end && ((*p >= 'a' && *p <= 'z') || *p == '-'))
		p++;
	nlen = (size_t)(p - name);
	while (p < end && s_is_space(*p))
		p++;
	if (nlen == 0 || p >= end || *p != '=')
		goto syntax;
	p++;
	while (p < end && s_is_space(*p))
		p++;
	if (p >= end || *p != '"')
		goto syntax;
	value = ++p;
	while (p < end && *p != '"')
		p++;
	if (p >= end)
		goto syntax;
	vlen = (size_t)(p - value);
	for (p++; p < end; p++)
		if (!s_is_space(*p))
			goto syntax;

	if (nlen == 10 && strncmp(name, "public-key", nlen) == 0) {
		slot = kf->pub;
		seen = &kf->has_pub;
	} else if (nlen == 10 && strncmp(name, "secret-key", nlen) == 0) {
		if (!secret_file) {
			*err = xasprintf("%s:%d: a secret key in a public key "
			    "file: public key files must hold only public-key; "
			    "treat this key as exposed and make a new one",
			    path, lineno);
			return -1;
		}
		slot = kf->sec;
		seen = &kf->has_sec;
	} else {
		*err = xasprintf("%s:%d: unknown setting '%.*s' (expected %s)",
		    path, lineno, (int)(nlen > 64 ? 64 : nlen), name,
		    secret_file ? "public-key and secret-key" : "public-key");
		return -1;
	}
	if (*seen) {
		*err = xasprintf("%s:%d: %.*s given twice", path, lineno,
		    (int)nlen, name);
		return -1;
	}
	if (!s_z85_valid(value, vlen)) {
		*err = xasprintf("%s:%d: %.*s is not a CURVE key (%d Z85 "
		    "characters expected)", path, lineno, (int)nlen, name,
		    KEYS_Z85_LEN);
		return -1;
	}
	memcpy(slot, value, vlen);
	slot[vlen] = '\0';
	*seen = true;
	return 0;
syntax:
	*err = xasprintf("%s:%d: expected 'NAME = \"VALUE\"', a comment "
	    "starting with '#', or a blank line", path, lineno);
	return -1;
}

static int
s_parse(const char *path, const char *text, size_t len, bool secret_file,
    s_keyfile *kf, char **err)
{
	const char *p = text, *end = text + len;
	int lineno = 0;

	memset(kf, 0, sizeof *kf);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		while (p < le && s_is_space(*p))
			p++;
		if (p < le && *p != '#' && s_parse_line(path, lineno, p, le,
		    secret_file, kf, err) == -1)
			return -1;
		p = eol ? eol + 1 : end;
	}
	if (!kf->has_pub || (secret_file && !kf->has_sec)) {
		*err = xasprintf("%s: no %s (is this a%s key file?)", path,
		    kf->has_pub ? "secret-key" : "public-key",
		    secret_file ? " secret" : " public");
		return -1;
	}
	return 0;
}

static int
s_read(const char *path, bool secret_file, s_keyfile *kf, char **err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*err = NULL;
	if (platform_read_file(path, KEYS_FILE_MAX, &text, &len, err) == -1)
		return -1;
	rc = s_parse(path, text, len, secret_file, kf, err);
	sodium_memzero(text, len);
	free(text);
	if (rc == -1)
		sodium_memzero(kf, sizeof *kf);
	return rc;
}

int
keys_load_public(const char *path, char out[KEYS_Z85_LEN + 1], char **err)
{
	s_keyfile kf;

	if (s_read(path, false, &kf, err) == -1)
		return -1;
	memcpy(out, kf.pub, sizeof kf.pub);
	return 0;
}

int
keys_load_secret(const char *path, char pub[KEYS_Z85_LEN + 1],
    char sec[KEYS_Z85_LEN + 1], char **err)
{
	char derived[KEYS_Z85_LEN + 1];
	s_keyfile kf;

	*err = NULL;
	if (platform_check_private(path, err) == -1)
		return -1;
	if (s_read(path, true, &kf, err) == -1)
		return -1;
	if (zmq_curve_public(derived, kf.sec) == -1 ||
	    strcmp(derived, kf.pub) != 0) {
		sodium_memzero(&kf, sizeof kf);
		*err = xasprintf("%s: secret-key and public-key do not belong "
		    "together", path);
		return -1;
	}
	memcpy(pub, kf.pub, sizeof kf.pub);
	memcpy(sec, kf.sec, sizeof kf.sec);
	sodium_memzero(&kf, sizeof kf);
	return 0;
}

/* ---- generation ---- */

static char *
s_key_text(const char *name, const char *pub, const char *sec)
{
	char when[32];

	timefmt_rfc3339(platform_now_ms() / 1000, when, sizeof when);
	if (sec == NULL)
		return xasprintf("# hvpolicy CURVE public key for %s\n"
		    "# Made %s. Public: copy it where peers must know %s.\n"
		    "public-key = \"%s\"\n", name, when, name, pub);
	return xasprintf("# hvpolicy CURVE secret key for %s\n"
	    "# Made %s. Secret: keep it on this host, mode 0600, never "
	    "copy it.\n"
	    "public-key = \"%s\"\n"
	    "secret-key = \"%s\"\n", name, when, pub, sec);
}

int
keys_generate(const char *name, const char *dir, char **err)
{
	char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
	char *pub_path = NULL, *sec_path = NULL, *text, *base;
	int rc = -1;

	*err = NULL;
	if (!keys_name_valid(name)) {
		*err = xasprintf("'%s' is not a valid name: 1 to %d of A-Z a-z "
		    "0-9 . _ -, not starting with '.'", name, KEYS_NAME_MAX);
		return -1;
	}
	if (!zmq_has("curve")) {
		*err = xstrdup("this libzmq was built without CURVE");
		return -1;
	}
	if (platform_mkdir_p(dir, false, err) == -1)
		return -1;
	base = platform_path_join(dir, name);
	pub_path = xasprintf("%s%s", base, KEYS_PUBLIC_SUFFIX);
	sec_path = xasprintf("%s%s", base, KEYS_SECRET_SUFFIX);
	free(base);
	if (platform_file_exists(pub_path) || platform_file_exists(sec_path)) {
		*err = xasprintf("%s already exists; remove %s and %s first to "
		    "make a new key for %s",
		    platform_file_exists(sec_path) ? sec_path : pub_path,
		    pub_path, sec_path, name);
		goto out;
	}
	if (zmq_curve_keypair(pub, sec) == -1) {
		*err = xasprintf("cannot make a CURVE key pair: %s",
		    zmq_strerror(zmq_errno()));
		goto out;
	}
	text = s_key_text(name, pub, sec);
	rc = platform_replace_file(sec_path, text, strlen(text), true, err);
	sodium_memzero(text, strlen(text));
	free(text);
	if (rc == -1)
		goto out;
	text = s_key_text(name, pub, NULL);
	rc = platform_replace_file(pub_path, text, strlen(text), false, err);
	free(text);
	if (rc == -1)
		(void)platform_remove_file(sec_path, NULL);
out:
	sodium_memzero(sec, sizeof sec);
	free(pub_path);
	free(sec_path);
	return rc;
}

/* ---- directories ---- */

keys_table *
keys_table_new(void)
{
	return xcalloc(1, sizeof(keys_table));
}

void
keys_table_free(keys_table **t)
{
	if (t == NULL || *t == NULL)
		return;
	for (size_t i = 0; i < (*t)->count; i++)
		free((*t)->items[i].name);
	free((*t)->items);
	free(*t);
	*t = NULL;
}

size_t
keys_table_count(const keys_table *t)
{
	return t ? t->count : 0;
}

static int
s_entry_cmp(const void *a, const void *b)
{
	const struct keys_entry *x = a, *y = b;
	int c = strcmp(x->pub, y->pub);

	return c ? c : strcmp(x->name, y->name);
}

static int
s_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keys_entry *)elem)->pub);
}

const char *
keys_table_lookup(const keys_table *t, const char *public_z85)
{
	const struct keys_entry *e;

	if (t == NULL || t->count == 0 || public_z85 == NULL)
		return NULL;
	e = bsearch(public_z85, t->items, t->count, sizeof *t->items,
	    s_key_cmp);
	return e ? e->name : NULL;
}

const char *
keys_table_public(const keys_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->count; i++)
		if (strcmp(t->items[i].name, name) == 0)
			return t->items[i].pub;
	return NULL;
}

/* Drops every entry whose public key appears more than once (the table is
 * sorted by key), logging each such key once with the names it had. */
static void
s_drop_duplicates(keys_table *t, const char *dir)
{
	size_t i = 0, out = 0;

	while (i < t->count) {
		size_t j = i + 1;

		while (j < t->count && strcmp(t->items[j].pub,
		    t->items[i].pub) == 0)
			j++;
		if (j - i == 1) {
			t->items[out++] = t->items[i];
		} else {
			log_warnx("keys: public key %s is in %zu files in %s "
			    "(%s.key, %s.key%s); refused under every name",
			    t->items[i].pub, j - i, dir, t->items[i].name,
			    t->items[i + 1].name, j - i > 2 ? ", ..." : "");
			for (size_t k = i; k < j; k++)
				free(t->items[k].name);
		}
		i = j;
	}
	t->count = out;
}

int
keys_dir_load(const char *dir, keys_table **out, char **err)
{
	char **names = NULL, *first = NULL;
	size_t n = 0, bad = 0, slen = strlen(KEYS_PUBLIC_SUFFIX);
	keys_table *t;

	*out = NULL;
	*err = NULL;
	if (platform_list_dir(dir, KEYS_PUBLIC_SUFFIX, &names, &n, err) == -1)
		return -1;
	t = keys_table_new();
	for (size_t i = 0; i < n; i++) {
		char *path = platform_path_join(dir, names[i]);
		char *name = xstrndup(names[i], strlen(names[i]) - slen);
		char *why = NULL;
		struct keys_entry e;

		if (!keys_name_valid(name))
			why = xasprintf("%s: '%s' is not a valid name: 1 to %d "
			    "of A-Z a-z 0-9 . _ -", path, name, KEYS_NAME_MAX);
		else if (keys_load_public(path, e.pub, &why) == 0) {
			e.name = name;
			name = NULL;
			xgrow(&t->items, &t->cap, t->count + 1, sizeof e);
			t->items[t->count++] = e;
		}
		if (why != NULL) {
			if (bad++ == 0)
				first = why;
			else
				free(why);
		}
		free(name);
		free(path);
		free(names[i]);
	}
	free(names);
	if (bad > 0) {
		if (bad > 1) {
			*err = xasprintf("%s (and %zu more bad key files "
			    "in %s)", first, bad - 1, dir);
			free(first);
		} else {
			*err = first;
		}
		keys_table_free(&t);
		return -1;
	}
	if (t->count > 1) {
		qsort(t->items, t->count, sizeof *t->items, s_entry_cmp);
		s_drop_duplicates(t, dir);
	}
	*out = t;
	return 0;
}

/* ---- sockets ---- */

static int
s_setopt(void *socket, int option, const void *value, size_t len,
    const char *what, char **err)
{
	if (zmq_setsockopt(socket, option, value, len) == 0)
		return 0;
	*err = xasprintf("cannot set %s: %s", what, zmq_strerror(zmq_errno()));
	return -1;
}

int
keys_curve_server(void *socket, const char *secret_path, char **err)
{
	char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
	int one = 1, rc;

	if (keys_load_secret(secret_path, pub, sec, err) == -1)
		return -1;
	rc = s_setopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one,
	    "CURVE server mode", err);
	if (rc == 0)
		rc = s_setopt(socket, ZMQ_CURVE_SECRETKEY, sec, KEYS_Z85_LEN,
		    "CURVE secret key", err);
	sodium_memzero(sec, sizeof sec);
	return rc;
}

int
keys_curve_client(void *socket, const char *secret_path,
    const char *server_public_path, char **err)
{
	char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
	char server[KEYS_Z85_LEN + 1];
	int rc;

	*err = NULL;
	if (keys_load_public(server_public_path, server, err) == -1)
		return -1;
	if (keys_load_secret(secret_path, pub, sec, err) == -1)
		return -1;
	rc = s_setopt(socket, ZMQ_CURVE_SERVERKEY, server, KEYS_Z85_LEN,
	    "CURVE server key", err);
	if (rc == 0)
		rc = s_setopt(socket, ZMQ_CURVE_PUBLICKEY, pub, KEYS_Z85_LEN,
		    "CURVE public key", err);
	if (rc == 0)
		rc = s_setopt(socket, ZMQ_CURVE_SECRETKEY, sec, KEYS_Z85_LEN,
		    "CURVE secret key", err);
	sodium_memzero(sec, sizeof sec);
	return rc;
}
