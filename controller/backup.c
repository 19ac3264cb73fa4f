/*
 * backup.c: store copies for `hvpolicy backup` (backup.h). The copy is
 * made next to the store (hvpolicy.db.backup, in the private data
 * directory) by store_backup_to(), then read out in parts of at most
 * BACKUP_PART_BYTES, so a copy of any size travels over the 4 MiB
 * message limit and lands on the client's side, also over the remote
 * admin port. The file is deleted after its last part, or when left idle.
 */
#include "backup.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "platform.h"
#include "xalloc.h"

#define S_SUFFIX ".backup"

static struct {
	char *path;		/* NULL: no copy */
	char token[33];
	char sha256[2 * crypto_hash_sha256_BYTES + 1];
	uint64_t size;
	int64_t used_mono;
	bool finished;		/* last part sent: delete at the next tick */
} s_copy;

static void
s_drop(void)
{
	char *err = NULL;

	if (s_copy.path && platform_remove_file(s_copy.path, &err) == -1) {
		log_warnx("backup: %s", err);
		free(err);
	}
	free(s_copy.path);
	memset(&s_copy, 0, sizeof s_copy);
}

/* Size and SHA-256 of the copy. */
static int
s_measure(char **err)
{
	crypto_hash_sha256_state h;
	unsigned char buf[65536], sum[crypto_hash_sha256_BYTES];
	FILE *f = fopen(s_copy.path, "rb");
	size_t n;

	if (f == NULL) {
		*err = xasprintf("%s: cannot read the copy", s_copy.path);
		return -1;
	}
	crypto_hash_sha256_init(&h);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		crypto_hash_sha256_update(&h, buf, n);
		s_copy.size += n;
	}
	if (ferror(f)) {
		fclose(f);
		*err = xasprintf("%s: cannot read the copy", s_copy.path);
		return -1;
	}
	fclose(f);
	crypto_hash_sha256_final(&h, sum);
	sodium_bin2hex(s_copy.sha256, sizeof s_copy.sha256, sum, sizeof sum);
	return 0;
}

static int
s_start(store *st, char **err)
{
	unsigned char raw[16];
	int64_t t0 = platform_mono_ms();

	if (s_copy.path && !s_copy.finished &&
	    t0 - s_copy.used_mono < BACKUP_IDLE_MS) {
		*err = xstrdup("another backup is being read; try again when "
		    "it is done");
		return -1;
	}
	s_drop();
	s_copy.path = xasprintf("%s%s", store_path(st), S_SUFFIX);
	if (store_backup_to(st, s_copy.path, err) == -1 || s_measure(err) == -1) {
		s_drop();
		return -1;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(s_copy.token, sizeof s_copy.token, raw, sizeof raw);
	log_info("backup: copy of %llu bytes made in %lld ms",
	    (unsigned long long)s_copy.size,
	    (long long)(platform_mono_ms() - t0));
	return 0;
}

/* Reads the part at offset into r->data. */
static int
s_read(uint64_t offset, Hvp__AdminReply *r, char **err)
{
	uint64_t left = offset < s_copy.size ? s_copy.size - offset : 0;
	size_t want = left < BACKUP_PART_BYTES ? (size_t)left : BACKUP_PART_BYTES;
	FILE *f = fopen(s_copy.path, "rb");
	uint8_t *buf = xmalloc(want + 1);

	if (f == NULL || fseek(f, (long)offset, SEEK_SET) != 0 ||
	    fread(buf, 1, want, f) != want) {
		if (f)
			fclose(f);
		free(buf);
		*err = xasprintf("%s: cannot read the copy", s_copy.path);
		return -1;
	}
	fclose(f);
	r->data.data = buf;
	r->data.len = want;
	return 0;
}

int
backup_part(store *st, const char *token, uint64_t offset,
    Hvp__AdminReply *r, char **err)
{
	if (token == NULL || *token == '\0') {
		if (s_start(st, err) == -1)
			return -1;
		offset = 0;
	} else if (s_copy.path == NULL || s_copy.finished ||
	    strcmp(token, s_copy.token) != 0) {
		*err = xstrdup("this backup is no longer available (idle for "
		    "too long?); start it again");
		return -1;
	}
	if (offset > s_copy.size) {
		*err = xasprintf("offset %llu is past the copy's end",
		    (unsigned long long)offset);
		return -1;
	}
	if (s_read(offset, r, err) == -1) {
		s_drop();
		return -1;
	}
	r->size = s_copy.size;
	r->token = s_copy.token;
	r->sha256 = s_copy.sha256;
	s_copy.used_mono = platform_mono_ms();
	/* The reply points at token and sha256: delete later, not now. */
	s_copy.finished = offset + r->data.len >= s_copy.size;
	return 0;
}

void
backup_tick(void)
{
	if (s_copy.path && s_copy.finished) {
		s_drop();
	} else if (s_copy.path &&
	    platform_mono_ms() - s_copy.used_mono >= BACKUP_IDLE_MS) {
		log_warnx("backup: copy not read for %d s; deleted",
		    BACKUP_IDLE_MS / 1000);
		s_drop();
	}
}
