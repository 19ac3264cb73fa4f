/*
 * backup.c: store copies for `hvpolicy backup` (backup.h). The copy is
 * made next to the store (hvpolicy.db.backup, in the private data
 * directory) with store_backup_begin/step/end, a slice of at most
 * BACKUP_SLICE_MS per request, so the controller's loop is never held
 * for the whole copy; the client asks again until the copy is ready.
 * Then it is read out in parts of at most BACKUP_PART_BYTES, in order,
 * so a copy of any size travels within the 4 MiB message limit and lands
 * on the client's side, also over the remote admin port; the last part
 * carries the SHA-256 of the whole. The file is deleted after the last
 * part, or when left idle.
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
#define S_STEP_PAGES 64

static struct {
	char *path;		/* NULL: no copy */
	store_backup *job;	/* still copying */
	char token[33];
	uint64_t size;		/* 0 until the copy is ready */
	uint64_t sent;		/* bytes handed out, in order */
	crypto_hash_sha256_state hash;
	char sha256[2 * crypto_hash_sha256_BYTES + 1];
	int64_t started_mono, used_mono;
	bool finished;		/* last part sent: delete at the next tick */
} s_copy;

static void
s_drop(void)
{
	char *err = NULL;

	store_backup_end(&s_copy.job, NULL);
	if (s_copy.path && platform_remove_file(s_copy.path, &err) == -1) {
		log_warnx("backup: %s", err);
		free(err);
	}
	free(s_copy.path);
	memset(&s_copy, 0, sizeof s_copy);
}

/* The finished copy's size. */
static int
s_measure(char **err)
{
	FILE *f = fopen(s_copy.path, "rb");
	long end;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) <= 0) {
		if (f)
			fclose(f);
		*err = xasprintf("%s: cannot read the copy", s_copy.path);
		return -1;
	}
	fclose(f);
	s_copy.size = (uint64_t)end;
	crypto_hash_sha256_init(&s_copy.hash);
	log_info("backup: copy of %llu bytes made in %lld ms",
	    (unsigned long long)s_copy.size,
	    (long long)(platform_mono_ms() - s_copy.started_mono));
	return 0;
}

/* Copies for at most BACKUP_SLICE_MS; measures the copy once done. */
static int
s_advance(char **err)
{
	int64_t until = platform_mono_ms() + BACKUP_SLICE_MS;
	int rc;

	do
		rc = store_backup_step(s_copy.job, S_STEP_PAGES, err);
	while (rc == 0 && platform_mono_ms() < until);
	if (rc == -1)
		return -1;
	if (rc == 0)
		return 0;
	if (store_backup_end(&s_copy.job, err) == -1)
		return -1;
	return s_measure(err);
}

static int
s_start(store *st, char **err)
{
	unsigned char raw[16];

	if (s_copy.path && !s_copy.finished &&
	    platform_mono_ms() - s_copy.used_mono < BACKUP_IDLE_MS) {
		*err = xstrdup("another backup is in progress; try again when "
		    "it is done");
		return -1;
	}
	s_drop();
	s_copy.path = xasprintf("%s%s", store_path(st), S_SUFFIX);
	s_copy.started_mono = platform_mono_ms();
	if ((s_copy.job = store_backup_begin(st, s_copy.path, err)) == NULL) {
		s_drop();
		return -1;
	}
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(s_copy.token, sizeof s_copy.token, raw, sizeof raw);
	return 0;
}

/* Reads the next part into r->data and adds it to the checksum. */
static int
s_read(Hvp__AdminReply *r, char **err)
{
	uint64_t left = s_copy.size - s_copy.sent;
	size_t want = left < BACKUP_PART_BYTES ? (size_t)left : BACKUP_PART_BYTES;
	FILE *f = fopen(s_copy.path, "rb");
	uint8_t *buf = xmalloc(want + 1);

	if (f == NULL || fseek(f, (long)s_copy.sent, SEEK_SET) != 0 ||
	    fread(buf, 1, want, f) != want) {
		if (f)
			fclose(f);
		free(buf);
		*err = xasprintf("%s: cannot read the copy", s_copy.path);
		return -1;
	}
	fclose(f);
	crypto_hash_sha256_update(&s_copy.hash, buf, want);
	s_copy.sent += want;
	r->data.data = buf;
	r->data.len = want;
	return 0;
}

/* The reply's part, once the copy is ready. */
static int
s_part(uint64_t offset, Hvp__AdminReply *r, char **err)
{
	unsigned char sum[crypto_hash_sha256_BYTES];

	if (offset != s_copy.sent) {
		*err = xasprintf("parts are read in order: byte %llu was asked, "
		    "%llu is next", (unsigned long long)offset,
		    (unsigned long long)s_copy.sent);
		return -1;
	}
	if (s_read(r, err) == -1)
		return -1;
	if (s_copy.sent == s_copy.size) {
		crypto_hash_sha256_final(&s_copy.hash, sum);
		sodium_bin2hex(s_copy.sha256, sizeof s_copy.sha256, sum,
		    sizeof sum);
		r->sha256 = s_copy.sha256;
		/* The reply points at token and sha256: delete later. */
		s_copy.finished = true;
	}
	return 0;
}

int
backup_part(store *st, const char *token, uint64_t offset,
    Hvp__AdminReply *r, char **err)
{
	if (token == NULL || *token == '\0') {
		if (s_start(st, err) == -1)
			return -1;
	} else if (s_copy.path == NULL || s_copy.finished ||
	    strcmp(token, s_copy.token) != 0) {
		*err = xstrdup("this backup is no longer available (idle for "
		    "too long?); start it again");
		return -1;
	}
	s_copy.used_mono = platform_mono_ms();
	r->token = s_copy.token;
	if (s_copy.job && s_advance(err) == -1) {
		s_drop();
		return -1;
	}
	if (s_copy.job)
		return 0;	/* still copying: size 0, ask again */
	if (s_part(offset, r, err) == -1) {
		s_drop();
		return -1;
	}
	r->size = s_copy.size;
	return 0;
}

void
backup_tick(void)
{
	if (s_copy.path && s_copy.finished) {
		s_drop();
	} else if (s_copy.path &&
	    platform_mono_ms() - s_copy.used_mono >= BACKUP_IDLE_MS) {
		log_warnx("backup: copy not asked for in %d s; deleted",
		    BACKUP_IDLE_MS / 1000);
		s_drop();
	}
}
