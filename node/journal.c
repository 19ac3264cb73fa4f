/*
 * journal.c: the node's durable drift queue (journal.h). Called by
 * daemon.c only.
 *
 * Layout of the journal directory:
 *
 *   journal.meta            "hvpolicy-journal 1\nnext N\nacked M\n"
 *   drift-<first>-<last>.jnl  one segment per append (20-digit seqs)
 *
 * A segment is a run of records:
 *
 *   "HVJR" | payload length (u32 LE) | checksum (8 bytes) | payload
 *
 * where the payload is a packed Hvp__Drift (its seq field is the record's
 * sequence number) and the checksum is SipHash-2-4 (libsodium
 * crypto_shorthash, fixed key) over the length and the payload. Segments
 * are written with platform_replace_file(): temporary file, fsync, rename,
 * fsync of the directory, so an append is durable when it returns and a
 * segment is never half there. Damage that gets in anyway (a truncated or
 * scribbled file) is found by the checksum: the damaged bytes are logged
 * and skipped, the scan resumes at the next record magic, and every valid
 * record is kept.
 *
 * Sequence numbers: the next number is max(meta next, highest seq in a
 * record or a segment name + 1), so a number is never issued twice, also
 * when every segment has been trimmed away or a segment is unreadable. Trimming writes the meta file first
 * (acked = upto), then deletes the segments it covers: a crash between
 * the two leaves segments whose records load as acked and are dropped.
 * Loading keeps only records above acked and above the last one kept, so
 * overlaps left by an interrupted merge load once.
 */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "frame.h"
#include "log.h"
#include "platform.h"
#include "strbuf.h"
#include "wire.h"
#include "xalloc.h"

#define S_META "journal.meta"
#define S_META_HEAD "hvpolicy-journal 1\n"
#define S_SEG_PREFIX "drift-"
#define S_SEG_SUFFIX ".jnl"
#define S_MAGIC "HVJR"
#define S_HDR (4 + 4 + crypto_shorthash_BYTES)
/* No single drift record comes near this; a larger length is damage. */
#define S_MAX_RECORD (1024u * 1024)
/* Segments are merged only while the result stays well below what a
 * file read accepts (PLATFORM_MAX_FILE); past it they just accumulate. */
#define S_MERGE_MAX (16u * 1024 * 1024)
/* protobuf overhead of one repeated message field in a DriftBatch. */
#define S_FIELD_OVERHEAD 6

static const unsigned char S_KEY[crypto_shorthash_KEYBYTES] = {
	'h', 'v', 'p', 'o', 'l', 'i', 'c', 'y',
	'j', 'o', 'u', 'r', 'n', 'a', 'l', '1',
};

typedef struct s_segment {
	uint64_t first, last;	/* from the file name */
} s_segment;

struct journal {
	char *dir;
	uint64_t next_seq;
	uint64_t acked;
	journal_entry *entries;	/* pending, sorted by seq */
	size_t count, cap;
	s_segment *segs;	/* sorted by first */
	size_t nsegs, segs_cap;
	size_t damaged;
};

/* ---- helpers ---- */

static char *
s_seg_path(const journal *j, uint64_t first, uint64_t last)
{
	char name[80];

	snprintf(name, sizeof name, S_SEG_PREFIX "%020" PRIu64 "-%020" PRIu64
	    S_SEG_SUFFIX, first, last);
	return platform_path_join(j->dir, name);
}

/* Appends one framed record for (seq, rec) to sb; returns the payload
 * size. */
static size_t
s_frame(strbuf *sb, uint64_t seq, const drift_record *rec)
{
	Hvp__Drift *m = wire_drift_new(rec, seq);
	size_t size = hvp__drift__get_packed_size(m);
	uint8_t hdr[S_HDR];
	uint8_t *payload = xmalloc(size ? size : 1);

	hvp__drift__pack(m, payload);
	memcpy(hdr, S_MAGIC, 4);
	frame_put_le32(hdr + 4, (uint32_t)size);
	frame_checksum(S_KEY, hdr + 4, payload, size, hdr + 8);
	strbuf_add(sb, hdr, sizeof hdr);
	strbuf_add(sb, payload, size);
	free(payload);
	wire_drift_free(&m);
	return size;
}

static void
s_entries_push(journal *j, uint64_t seq, drift_record *rec, size_t size)
{
	journal_entry *e;

	xgrow(&j->entries, &j->cap, j->count + 1, sizeof *j->entries);
	e = &j->entries[j->count++];
	e->seq = seq;
	e->rec = *rec;	/* takes the strings */
	e->wire_size = size;
	memset(rec, 0, sizeof *rec);
}

static void
s_segs_push(journal *j, uint64_t first, uint64_t last)
{
	xgrow(&j->segs, &j->segs_cap, j->nsegs + 1, sizeof *j->segs);
	j->segs[j->nsegs].first = first;
	j->segs[j->nsegs].last = last;
	j->nsegs++;
}

static int
s_seg_cmp(const void *a, const void *b)
{
	const s_segment *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

/* ---- meta file ---- */

static int
s_write_meta(const journal *j, char **err)
{
	char text[128];
	char *path = platform_path_join(j->dir, S_META);
	int n, rc;

	n = snprintf(text, sizeof text, S_META_HEAD "next %" PRIu64 "\nacked %"
	    PRIu64 "\n", j->next_seq, j->acked);
	rc = platform_replace_file(path, text, (size_t)n, true, err);
	free(path);
	return rc;
}

/* Parses the meta file; false when it is damaged. */
static bool
s_parse_meta(const char *text, size_t len, uint64_t *next, uint64_t *acked)
{
	char buf[160];
	unsigned long long n, a;
	int used = 0;

	if (len >= sizeof buf || memchr(text, '\0', len) != NULL)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strncmp(buf, S_META_HEAD, strlen(S_META_HEAD)) != 0)
		return false;
	if (sscanf(buf + strlen(S_META_HEAD), "next %llu\nacked %llu\n%n", &n,
	    &a, &used) != 2 || used == 0 ||
	    strlen(S_META_HEAD) + (size_t)used != len || n == 0 || a >= n)
		return false;
	*next = n;
	*acked = a;
	return true;
}

static int
s_load_meta(journal *j, char **err)
{
	char *path = platform_path_join(j->dir, S_META);
	char *data = NULL;
	size_t len = 0;

	j->next_seq = 1;
	j->acked = 0;
	if (!platform_file_exists(path)) {
		free(path);
		return 0;
	}
	if (platform_read_file(path, 4096, &data, &len, err) == -1) {
		free(path);
		return -1;
	}
	if (!s_parse_meta(data, len, &j->next_seq, &j->acked)) {
		log_warnx("journal: %s is damaged; sequence numbers are taken "
		    "from the segments and the controller's Welcome", path);
		j->next_seq = 1;
		j->acked = 0;
	}
	free(data);
	free(path);
	return 0;
}

/* ---- loading segments ---- */

/* Is there a valid record at buf[pos]? Sets *plen. */
static bool
s_record_at(const uint8_t *buf, size_t len, size_t pos, uint32_t *plen)
{
	uint8_t sum[crypto_shorthash_BYTES];
	uint32_t n;

	if (len - pos < S_HDR || memcmp(buf + pos, S_MAGIC, 4) != 0)
		return false;
	n = frame_get_le32(buf + pos + 4);
	if (n > S_MAX_RECORD || n > len - pos - S_HDR)
		return false;
	frame_checksum(S_KEY, buf + pos + 4, buf + pos + S_HDR, n, sum);
	if (sodium_memcmp(sum, buf + pos + 8, sizeof sum) != 0)
		return false;
	*plen = n;
	return true;
}

/* The next offset after pos where a valid record starts, or len. */
static size_t
s_resync(const uint8_t *buf, size_t len, size_t pos)
{
	uint32_t n;

	for (size_t p = pos + 1; p + S_HDR <= len; p++)
		if (buf[p] == (uint8_t)S_MAGIC[0] && s_record_at(buf, len, p, &n))
			return p;
	return len;
}

/* Takes one decoded record if it is new; returns its seq (0 if refused). */
static uint64_t
s_take(journal *j, const char *path, const uint8_t *payload, uint32_t n,
    uint64_t *last_kept)
{
	Hvp__Drift *m = hvp__drift__unpack(NULL, n, payload);
	drift_record rec;
	uint64_t seq;
	char *err = NULL;

	if (m == NULL || m->seq == 0) {
		log_warnx("journal: %s: a record with a valid checksum does not "
		    "decode; skipped", path);
		j->damaged++;
		if (m)
			hvp__drift__free_unpacked(m, NULL);
		return 0;
	}
	seq = m->seq;
	if (seq <= j->acked || seq <= *last_kept) {
		hvp__drift__free_unpacked(m, NULL);
		return seq;	/* acknowledged already, or a merge overlap */
	}
	if (wire_drift_to_record(m, &rec, &err) == -1) {
		log_warnx("journal: %s: %s; skipped", path, err);
		free(err);
		j->damaged++;
		hvp__drift__free_unpacked(m, NULL);
		return seq;
	}
	s_entries_push(j, seq, &rec, n);
	*last_kept = seq;
	hvp__drift__free_unpacked(m, NULL);
	return seq;
}

/* Reads one segment; returns the highest seq seen in it (0 if none). */
static int
s_load_segment(journal *j, const char *path, uint64_t *last_kept,
    uint64_t *highest, char **err)
{
	char *data = NULL;
	size_t len = 0, pos = 0;
	const uint8_t *buf;

	*highest = 0;
	if (platform_read_file(path, PLATFORM_MAX_FILE, &data, &len, err) == -1)
		return -1;
	buf = (const uint8_t *)data;
	while (pos < len) {
		uint32_t n;
		uint64_t seq;
		size_t next;

		if (!s_record_at(buf, len, pos, &n)) {
			next = s_resync(buf, len, pos);
			if (next == len)
				log_warnx("journal: %s: damaged or torn record at "
				    "offset %zu (%zu bytes to the end), dropped",
				    path, pos, len - pos);
			else
				log_warnx("journal: %s: damaged bytes at offset "
				    "%zu (%zu bytes), skipped", path, pos,
				    next - pos);
			j->damaged++;
			pos = next;
			continue;
		}
		seq = s_take(j, path, buf + pos + S_HDR, n, last_kept);
		if (seq > *highest)
			*highest = seq;
		pos += S_HDR + n;
	}
	free(data);
	return 0;
}

/* 20 decimal digits at p. */
static bool
s_digits20(const char *p, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 20; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

/* Parses "drift-<20 digits>-<20 digits>.jnl"; false for other names. */
static bool
s_seg_name(const char *name, uint64_t *first, uint64_t *last)
{
	size_t plen = strlen(S_SEG_PREFIX), slen = strlen(S_SEG_SUFFIX);

	if (strlen(name) != plen + 41 + slen ||
	    strncmp(name, S_SEG_PREFIX, plen) != 0 || name[plen + 20] != '-' ||
	    !s_digits20(name + plen, first) ||
	    !s_digits20(name + plen + 21, last))
		return false;
	return *first > 0 && *last >= *first;
}

static int
s_load_segments(journal *j, char **err)
{
	char **names = NULL;
	size_t n = 0;
	uint64_t last_kept = 0;
	int rc = 0;

	if (platform_list_dir(j->dir, S_SEG_SUFFIX, &names, &n, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t first, last;

		if (s_seg_name(names[i], &first, &last))
			s_segs_push(j, first, last);
		else
			log_warnx("journal: %s/%s: not a journal segment name; "
			    "ignored", j->dir, names[i]);
	}
	if (j->nsegs > 1)
		qsort(j->segs, j->nsegs, sizeof *j->segs, s_seg_cmp);
	for (size_t i = 0; rc == 0 && i < j->nsegs; i++) {
		char *path = s_seg_path(j, j->segs[i].first, j->segs[i].last);
		uint64_t highest;

		rc = s_load_segment(j, path, &last_kept, &highest, err);
		if (highest > j->segs[i].last)
			log_warnx("journal: %s holds seq %" PRIu64 ", beyond its "
			    "name", path, highest);
		if (highest >= j->next_seq)
			j->next_seq = highest + 1;
		if (j->segs[i].last >= j->next_seq)
			j->next_seq = j->segs[i].last + 1;
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Deletes segments whose records are all at or below upto. */
static void
s_drop_segments(journal *j, uint64_t upto)
{
	size_t keep = 0;

	for (size_t i = 0; i < j->nsegs; i++) {
		char *path, *err = NULL;

		if (j->segs[i].last > upto) {
			j->segs[keep++] = j->segs[i];
			continue;
		}
		path = s_seg_path(j, j->segs[i].first, j->segs[i].last);
		if (platform_remove_file(path, &err) == -1) {
			log_warnx("journal: %s", err);
			free(err);
		}
		free(path);
	}
	j->nsegs = keep;
}

/* ---- public ---- */

journal *
journal_open(const char *dir, char **err)
{
	journal *j;

	if (sodium_init() < 0) {
		*err = xstrdup("journal: libsodium cannot be initialised");
		return NULL;
	}
	if (platform_mkdir_p(dir, true, err) == -1)
		return NULL;
	j = xcalloc(1, sizeof *j);
	j->dir = xstrdup(dir);
	if (s_load_meta(j, err) == -1 || s_load_segments(j, err) == -1) {
		journal_free(&j);
		return NULL;
	}
	if (j->acked >= j->next_seq)
		j->next_seq = j->acked + 1;
	s_drop_segments(j, j->acked);
	if (j->damaged)
		log_warnx("journal: %s: %zu damaged region(s) skipped, %zu "
		    "record(s) kept", dir, j->damaged, j->count);
	return j;
}

void
journal_free(journal **jp)
{
	journal *j;

	if (jp == NULL || *jp == NULL)
		return;
	j = *jp;
	for (size_t i = 0; i < j->count; i++)
		drift_record_clear(&j->entries[i].rec);
	free(j->entries);
	free(j->segs);
	free(j->dir);
	free(j);
	*jp = NULL;
}

/* Writes entries[from..] plus recs as one segment named by its first and
 * last seq; new records are numbered from next_seq. */
static int
s_write_segment(journal *j, size_t from, const drift_record *recs, size_t n,
    uint64_t first, uint64_t last, char **err)
{
	strbuf sb;
	char *path = s_seg_path(j, first, last);
	int rc;

	strbuf_init(&sb);
	for (size_t i = from; i < j->count; i++)
		s_frame(&sb, j->entries[i].seq, &j->entries[i].rec);
	for (size_t i = 0; i < n; i++)
		s_frame(&sb, j->next_seq + i, &recs[i]);
	rc = platform_replace_file(path, sb.data, sb.len, true, err);
	strbuf_release(&sb);
	free(path);
	return rc;
}

/* Drops every segment but first..last, and records that one. */
static void
s_segments_become(journal *j, uint64_t first, uint64_t last)
{
	for (size_t i = 0; i < j->nsegs; i++) {
		char *path, *err = NULL;

		if (j->segs[i].first == first && j->segs[i].last == last)
			continue;
		path = s_seg_path(j, j->segs[i].first, j->segs[i].last);
		if (platform_remove_file(path, &err) == -1) {
			log_warnx("journal: %s", err);
			free(err);
		}
		free(path);
	}
	j->nsegs = 0;
	s_segs_push(j, first, last);
}

/* Framed size of what is pending. */
static size_t
s_pending_bytes(const journal *j)
{
	size_t sum = 0;

	for (size_t i = 0; i < j->count; i++)
		sum += j->entries[i].wire_size + S_HDR;
	return sum;
}

int
journal_append(journal *j, const drift_record *recs, size_t n,
    uint64_t *first_seq, char **err)
{
	bool merge = j->nsegs + 1 > JOURNAL_MAX_SEGMENTS && j->count > 0 &&
	    s_pending_bytes(j) < S_MERGE_MAX;
	uint64_t first = merge ? j->entries[0].seq : j->next_seq;
	uint64_t last = j->next_seq + n - 1;

	if (first_seq)
		*first_seq = j->next_seq;
	if (n == 0)
		return 0;
	if (s_write_segment(j, merge ? 0 : j->count, recs, n, first, last,
	    err) == -1)
		return -1;
	if (merge)
		s_segments_become(j, first, last);
	else
		s_segs_push(j, first, last);
	for (size_t i = 0; i < n; i++) {
		drift_record copy;
		Hvp__Drift *m = wire_drift_new(&recs[i], j->next_seq);
		size_t size = hvp__drift__get_packed_size(m);

		wire_drift_free(&m);
		drift_record_copy(&copy, &recs[i]);
		s_entries_push(j, j->next_seq++, &copy, size);
	}
	return 0;
}

/* Index of the first entry with seq > after. */
static size_t
s_first_after(const journal *j, uint64_t after)
{
	size_t lo = 0, hi = j->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->entries[mid].seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t
journal_pending(const journal *j, uint64_t after, size_t max,
    size_t max_bytes, const journal_entry **first)
{
	size_t i = s_first_after(j, after), n = 0, bytes = 0;

	*first = NULL;
	if (max == 0 || max > JOURNAL_BATCH_MAX)
		max = JOURNAL_BATCH_MAX;
	if (i >= j->count)
		return 0;
	*first = &j->entries[i];
	while (i + n < j->count && n < max) {
		size_t sz = j->entries[i + n].wire_size + S_FIELD_OVERHEAD;

		if (n > 0 && bytes + sz > max_bytes)
			break;
		bytes += sz;
		n++;
	}
	return n;
}

int
journal_trim(journal *j, uint64_t upto, char **err)
{
	size_t drop;
	int rc;

	if (upto >= j->next_seq)
		upto = j->next_seq - 1;
	if (upto <= j->acked)
		return 0;
	j->acked = upto;
	drop = s_first_after(j, upto);
	for (size_t i = 0; i < drop; i++)
		drift_record_clear(&j->entries[i].rec);
	if (drop > 0) {
		memmove(j->entries, j->entries + drop,
		    (j->count - drop) * sizeof *j->entries);
		j->count -= drop;
	}
	rc = s_write_meta(j, err);
	if (rc == 0)
		s_drop_segments(j, upto);
	return rc;
}

int
journal_rebase(journal *j, uint64_t upto, char **err)
{
	uint64_t old_next = j->next_seq;

	if (upto < j->next_seq)
		return 0;
	log_warnx("journal: the controller holds drift up to %" PRIu64 " but "
	    "this journal only issued up to %" PRIu64 " (state directory "
	    "replaced?): renumbering %zu pending record(s) from %" PRIu64,
	    upto, old_next - 1, j->count, upto + 1);
	for (size_t i = 0; i < j->count; i++) {
		Hvp__Drift *m;

		j->entries[i].seq = upto + 1 + i;
		m = wire_drift_new(&j->entries[i].rec, j->entries[i].seq);
		j->entries[i].wire_size = hvp__drift__get_packed_size(m);
		wire_drift_free(&m);
	}
	j->next_seq = upto + 1 + j->count;
	j->acked = upto;
	if (j->count > 0) {
		if (s_write_segment(j, 0, NULL, 0, upto + 1, j->next_seq - 1,
		    err) == -1)
			return -1;
	}
	if (s_write_meta(j, err) == -1)
		return -1;
	if (j->count > 0)
		s_segments_become(j, upto + 1, j->next_seq - 1);
	else
		s_drop_segments(j, UINT64_MAX);
	return 0;
}

uint64_t
journal_next_seq(const journal *j)
{
	return j->next_seq;
}

uint64_t
journal_acked(const journal *j)
{
	return j->acked;
}

size_t
journal_count(const journal *j)
{
	return j->count;
}

size_t
journal_damaged(const journal *j)
{
	return j->damaged;
}
