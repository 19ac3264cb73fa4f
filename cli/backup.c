/*
 * backup.c: `hvpolicy backup FILE`: fetches a consistent copy of the
 * controller's store in parts (the controller makes the copy with
 * SQLite's online backup API, controller/backup.c) and writes it to FILE
 * on this machine, so a remote administrator's backup lands on their own
 * side. While the copy is being made the controller answers "not yet"
 * (size 0) and the request is repeated. FILE must not exist; a failed
 * backup leaves no FILE behind. The copy is checked against the SHA-256
 * the controller sends with the last part.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "client.h"
#include "platform.h"
#include "wire.h"
#include "xalloc.h"

#define BACKUP_USAGE "backup FILE"
/* Pause between asking whether the copy is ready. */
#define BACKUP_POLL_MS 10

/* Asks for the part at offset; EXIT_OK with *r, or an exit code after
 * printing why. */
static int
s_part(const cli_ctx *ctx, client *c, const char *token, uint64_t offset,
    Hvp__AdminReply **r)
{
	Hvp__AdminRequest q = HVP__ADMIN_REQUEST__INIT;
	int rc;

	q.verb = (char *)"backup";
	q.token = (char *)token;
	q.offset = offset;
	if ((rc = client_call(c, &q, CLIENT_TIMEOUT_MS, r)) != EXIT_OK)
		return rc;
	if ((*r)->status != 0) {
		rc = cli_error(ctx, (*r)->status, "%s", (*r)->error &&
		    *(*r)->error ? (*r)->error : "the controller refused");
		wire_admin_reply_free(r);
		return rc;
	}
	if ((*r)->data.len == 0 && offset < (*r)->size) {
		wire_admin_reply_free(r);
		return cli_error(ctx, EXIT_FAIL, "the controller sent an empty "
		    "part at byte %llu", (unsigned long long)offset);
	}
	return EXIT_OK;
}

/* Fetches every part into f: while the controller is still making the
 * copy its replies have size 0, and the same request is sent again. */
static int
s_fetch(const cli_ctx *ctx, client *c, FILE *f, const char *path,
    uint64_t *size)
{
	Hvp__AdminReply *r = NULL;
	crypto_hash_sha256_state h;
	unsigned char sum[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], *token = NULL, *want = NULL;
	uint64_t off = 0;
	int rc;

	crypto_hash_sha256_init(&h);
	*size = 0;
	for (;;) {
		if ((rc = s_part(ctx, c, token ? token : "", off, &r)) != EXIT_OK)
			break;
		if (token == NULL)
			token = xstrdup(r->token ? r->token : "");
		if (r->size == 0) {		/* still copying */
			wire_admin_reply_free(&r);
			platform_sleep_ms(BACKUP_POLL_MS);
			continue;
		}
		*size = r->size;
		if (fwrite(r->data.data, 1, r->data.len, f) != r->data.len) {
			rc = cli_error(ctx, EXIT_FAIL, "cannot write %s", path);
			break;
		}
		crypto_hash_sha256_update(&h, r->data.data, r->data.len);
		off += r->data.len;
		if (off >= *size) {
			want = xstrdup(r->sha256 ? r->sha256 : "");
			break;
		}
		wire_admin_reply_free(&r);
	}
	wire_admin_reply_free(&r);
	if (rc == EXIT_OK) {
		crypto_hash_sha256_final(&h, sum);
		sodium_bin2hex(hex, sizeof hex, sum, sizeof sum);
		if (want == NULL || strcmp(hex, want) != 0)
			rc = cli_error(ctx, EXIT_FAIL, "the copy received does not "
			    "match the controller's checksum");
	}
	free(token);
	free(want);
	return rc;
}

/* Creates path for writing, never over an existing file: C11's "x" mode
 * (also no symbolic link followed to an existing file); a C library
 * without it (EINVAL: Windows' older msvcrt) gets a check first. */
static FILE *
s_create(const char *path)
{
	FILE *f;

	errno = 0;
	if ((f = fopen(path, "wbx")) != NULL || errno != EINVAL)
		return f;
	if (platform_file_exists(path))
		return NULL;
	return fopen(path, "wb");
}

int
cmd_backup(cli_ctx *ctx, int argc, char **argv)
{
	char **pos = NULL, *err = NULL;
	size_t npos = 0;
	uint64_t size = 0;
	client *c;
	FILE *f;
	int rc = cli_parse_opts(BACKUP_USAGE, argc, argv, NULL, 0, &pos, &npos);

	if (rc != 0)
		return rc;
	if (npos != 1) {
		free(pos);
		return cli_error(ctx, EXIT_USAGE, "usage: hvpolicy %s",
		    BACKUP_USAGE);
	}
	if ((c = client_open(ctx, &rc)) == NULL) {
		free(pos);
		return rc;
	}
	if ((f = s_create(pos[0])) == NULL) {
		rc = cli_error(ctx, EXIT_FAIL, "cannot create %s (it must not "
		    "exist yet)", pos[0]);
		goto out;
	}
	if (platform_make_private(pos[0], &err) == -1) {
		rc = cli_error(ctx, EXIT_FAIL, "%s", err);
		free(err);
		err = NULL;
	} else {
		rc = s_fetch(ctx, c, f, pos[0], &size);
	}
	if (fclose(f) != 0 && rc == EXIT_OK)
		rc = cli_error(ctx, EXIT_FAIL, "cannot write %s", pos[0]);
	if (rc != EXIT_OK) {
		if (platform_remove_file(pos[0], &err) == -1)
			free(err);
	} else {
		printf("wrote %s (%llu bytes)\n", pos[0],
		    (unsigned long long)size);
	}
out:
	client_free(&c);
	free(pos);
	return rc;
}
