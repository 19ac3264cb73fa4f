/*
 * keys.h: CURVE key files (docs/security.md). NAME.key holds a public key,
 * NAME.key_secret the secret key with its public key and must be private
 * to its owner. A directory of NAME.key files is a table binding each
 * public key to one name (the controller's nodeKeys and adminKeys). Also
 * sets a ZeroMQ socket up as a CURVE server or client from key files.
 * Callers: `hvpolicy keygen`, the controller (its secret key, zap.c), the
 * node daemon and the CLI (their secret key, the controller's public key),
 * the lab. Key material is never logged; public keys may be, they are
 * not secret.
 *
 * Format (text, one setting a line, '#' comments and blank lines ignored,
 * every other line exactly `name = "value"`):
 *
 *     # hvpolicy CURVE public key for HV01
 *     public-key = "<40 Z85 characters>"
 *
 * and in NAME.key_secret both `public-key` and `secret-key`, which must
 * belong together. Unknown settings, repeated settings, a missing one, or
 * a key that is not 40 valid Z85 characters are errors naming FILE:LINE.
 */
#ifndef HVP_KEYS_H
#define HVP_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEYS_Z85_LEN 40			/* a CURVE key in Z85 */
#define KEYS_PUBLIC_SUFFIX ".key"
#define KEYS_SECRET_SUFFIX ".key_secret"
#define KEYS_NAME_MAX 63

/* Node and key names: 1 to KEYS_NAME_MAX of [A-Za-z0-9._-], not starting
 * with '.' (so a key file is never hidden, "." or ".."). */
bool keys_name_valid(const char *name);

/* Writes DIR/NAME.key (mode 0644) and DIR/NAME.key_secret (mode 0600)
 * with a new key pair, creating DIR if needed. Refuses to replace either
 * file. 0, or -1 with an owned *err. */
int keys_generate(const char *name, const char *dir, char **err);
/* Reads a public key file into out (NUL-terminated Z85). */
int keys_load_public(const char *path, char out[KEYS_Z85_LEN + 1],
    char **err);
/* Reads a secret key file after checking that only its owner can read it. */
int keys_load_secret(const char *path, char pub[KEYS_Z85_LEN + 1],
    char sec[KEYS_Z85_LEN + 1], char **err);

/* Public key <-> name table of one directory. */
typedef struct keys_table keys_table;

/* Loads every NAME.key in dir. A malformed file, or a file name that is
 * not a valid name, fails the whole load (-1, *err naming the file): keep
 * the table you have. One public key under two names is refused under
 * both (logged), the rest loads. */
int keys_dir_load(const char *dir, keys_table **out, char **err);
keys_table *keys_table_new(void);	/* empty */
void keys_table_free(keys_table **t);
size_t keys_table_count(const keys_table *t);
/* The name bound to a Z85 public key, or NULL. Borrowed. */
const char *keys_table_lookup(const keys_table *t, const char *public_z85);
/* The Z85 public key of name, or NULL. Borrowed. */
const char *keys_table_public(const keys_table *t, const char *name);

/* Makes socket a CURVE server with the secret key file's keys (set before
 * bind). */
int keys_curve_server(void *socket, const char *secret_path, char **err);
/* Makes socket a CURVE client: its own keys from secret_path, the
 * server's public key from server_public_path (set before connect). */
int keys_curve_client(void *socket, const char *secret_path,
    const char *server_public_path, char **err);

#endif
