/*
 * tracker.c: drift transitions across passes (tracker.h). The tracked set
 * is an array sorted by resource; a pass is sorted the same way and merged
 * with it, so a pass costs O(n log n) however many drifts are open.
 *
 * Saved form: a header line, then one line per tracked drift with the
 * fields of the contract's record in CSV column order up to `cause`
 * (sixteen; receivedAt is the controller's), separated by tabs. In a
 * field, backslash, tab, newline and carriage return are written \\ \t
 * \n \r; an absent value is \N. Names (role, kind, mode, status, cause)
 * are the contract's; numbers are decimal. Version 1 files (daemons before
 * `cause`) have fifteen fields and load with the cause unknown.
 */
#include "tracker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

#define TRACKER_HEADER "hvpolicy-node drift tracker 2"
#define TRACKER_HEADER_V1 "hvpolicy-node drift tracker 1"
#define TRACKER_FIELDS 16
#define TRACKER_FIELDS_V1 15
#define TRACKER_MAX_FILE (16u * 1024 * 1024)
#define ACTION_GONE "no longer differs"
#define ACTION_POLICY "policy changed"
#define ACTION_BEFORE_STOP "corrected before the daemon stopped"

struct tracker {
	drift_record *items;	/* sorted by resource (strcmp), unique */
	size_t count;
	size_t cap;
	bool resuming;		/* the next update is the first after a start */
};

tracker *
tracker_new(void)
{
	return xcalloc(1, sizeof(tracker));
}

void
tracker_clear(tracker *t)
{
	for (size_t i = 0; i < t->count; i++)
		drift_record_clear(&t->items[i]);
	t->count = 0;
}

void
tracker_free(tracker **tp)
{
	if (tp == NULL || *tp == NULL)
		return;
	tracker_clear(*tp);
	free((*tp)->items);
	free(*tp);
	*tp = NULL;
}

size_t
tracker_count(const tracker *t)
{
	return t->count;
}

static int
s_cmp_record(const void *a, const void *b)
{
	return strcmp(((const drift_record *)a)->resource,
	    ((const drift_record *)b)->resource);
}

const drift_record *
tracker_find(const tracker *t, const char *resource)
{
	drift_record probe;

	if (t->count == 0)
		return NULL;
	memset(&probe, 0, sizeof probe);
	probe.resource = (char *)resource;
	return bsearch(&probe, t->items, t->count, sizeof *t->items,
	    s_cmp_record);
}

void
tracker_resume(tracker *t)
{
	t->resuming = true;
}

void
tracker_adopt(tracker *t, const drift_record *r)
{
	drift_record *old = (drift_record *)tracker_find(t, r->resource);
	bool keep = r->status == DRIFT_OPEN || r->status == DRIFT_FAILED;

	if (old != NULL) {
		if (!keep && strcmp(old->id, r->id) != 0)
			return;		/* another drift's end */
		drift_record_clear(old);
		if (keep) {
			drift_record_copy(old, r);
			return;
		}
		*old = t->items[--t->count];
		qsort(t->items, t->count, sizeof *t->items, s_cmp_record);
		return;
	}
	if (!keep)
		return;
	xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
	drift_record_copy(&t->items[t->count++], r);
	qsort(t->items, t->count, sizeof *t->items, s_cmp_record);
}

static bool
s_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
s_set(char **field, const char *value)
{
	char *copy = xstrdup(value);

	free(*field);
	*field = copy;
}

/* Output and the next tracked set, built while merging. */
typedef struct s_merge {
	drift_record *out;
	size_t nout;
	size_t capout;
	drift_record *next;
	size_t nnext;
	size_t capnext;
	const tracker_pass *pass;
} s_merge;

static drift_record *
s_emit(s_merge *m, const drift_record *r)
{
	drift_record *dst;

	xgrow(&m->out, &m->capout, m->nout + 1, sizeof *m->out);
	dst = &m->out[m->nout++];
	drift_record_copy(dst, r);
	return dst;
}

/* Moves r into the next tracked set. */
static void
s_keep(s_merge *m, drift_record *r)
{
	xgrow(&m->next, &m->capnext, m->nnext + 1, sizeof *m->next);
	m->next[m->nnext++] = *r;
	memset(r, 0, sizeof *r);
}

static void
s_keep_copy(s_merge *m, const drift_record *r)
{
	drift_record tmp;

	drift_record_copy(&tmp, r);
	s_keep(m, &tmp);
}

/* A tracked drift that is over without a correction: reported resolved,
 * then dropped. */
static void
s_resolve(s_merge *m, drift_record *old, const char *why)
{
	drift_record *r = s_emit(m, old);

	r->status = DRIFT_RESOLVED;
	r->resolved_at = m->pass->now;
	r->policy_revision = m->pass->revision;
	r->mode = m->pass->mode;
	s_set(&r->action, why);
	s_set(&r->error, NULL);
	drift_record_clear(old);
}

/* A drift journaled as found in enforce mode (its correction was next)
 * and gone at the first pass after the daemon started: the daemon was
 * stopped after correcting the host and before journaling it. */
static void
s_corrected_before_stop(s_merge *m, drift_record *old)
{
	s_resolve(m, old, ACTION_BEFORE_STOP);
	m->out[m->nout - 1].status = DRIFT_CORRECTED;
}

static void
s_new(s_merge *m, const drift_record *found)
{
	switch (found->status) {
	case DRIFT_OPEN:
	case DRIFT_FAILED:
		s_emit(m, found);
		s_keep_copy(m, found);
		break;
	case DRIFT_CORRECTED:
		s_emit(m, found);
		break;
	default:
		break;	/* a pass never holds resolved records */
	}
}

/* The found record reported under the tracked drift's identity. */
static drift_record *
s_emit_as(s_merge *m, const drift_record *found, const drift_record *old)
{
	drift_record *r = s_emit(m, found);

	s_set(&r->id, old->id);
	r->detected_at = old->detected_at;
	/* Why the drift began, not why this pass ran; unknown only for a
	 * drift loaded from a version 1 tracker file (the controller's
	 * record of it keeps the cause its first report carried). */
	r->cause = old->cause;
	return r;
}

static void
s_both(s_merge *m, drift_record *old, const drift_record *found)
{
	if (!s_str_eq(old->expected, found->expected)) {
		s_resolve(m, old, ACTION_POLICY);
		s_new(m, found);
		return;
	}
	switch (found->status) {
	case DRIFT_OPEN:
		/* Still there: not reported again. Keep what was seen. */
		s_set(&old->actual, found->actual);
		old->status = DRIFT_OPEN;
		s_set(&old->error, NULL);
		s_keep(m, old);
		break;
	case DRIFT_CORRECTED:
		s_emit_as(m, found, old);
		drift_record_clear(old);
		break;
	case DRIFT_FAILED:
		if (old->status != DRIFT_FAILED ||
		    !s_str_eq(old->error, found->error))
			s_emit_as(m, found, old);
		s_set(&old->actual, found->actual);
		s_set(&old->error, found->error);
		s_set(&old->action, found->action);
		old->status = DRIFT_FAILED;
		s_keep(m, old);
		break;
	default:
		s_keep(m, old);
		break;
	}
}

static int
s_cmp_ptr(const void *a, const void *b)
{
	const drift_record *x = *(const drift_record *const *)a;
	const drift_record *y = *(const drift_record *const *)b;
	int c = strcmp(x->resource, y->resource);

	/* Equal resources keep pass order: the first one wins. */
	if (c == 0)
		return x < y ? -1 : x > y;
	return c;
}

size_t
tracker_update(tracker *t, const tracker_pass *pass, drift_record **out,
    size_t *nout)
{
	const drift_record **found;
	size_t nf = 0, i = 0, j = 0;
	s_merge m;

	memset(&m, 0, sizeof m);
	m.pass = pass;
	m.out = *out;
	m.nout = m.capout = *nout;
	found = xcalloc(pass->count, sizeof *found);
	for (size_t k = 0; k < pass->count; k++)
		if (pass->records[k].resource != NULL)
			found[nf++] = &pass->records[k];
	qsort(found, nf, sizeof *found, s_cmp_ptr);
	while (i < t->count || j < nf) {
		int c;

		if (j > 0 && j < nf &&
		    strcmp(found[j]->resource, found[j - 1]->resource) == 0) {
			j++;	/* duplicate resource in one pass */
			continue;
		}
		if (i == t->count)
			c = 1;
		else if (j == nf)
			c = -1;
		else
			c = strcmp(t->items[i].resource, found[j]->resource);
		if (c < 0 && t->resuming && t->items[i].status == DRIFT_OPEN &&
		    t->items[i].mode == POLICY_ENFORCE)
			s_corrected_before_stop(&m, &t->items[i++]);
		else if (c < 0)
			s_resolve(&m, &t->items[i++], ACTION_GONE);
		else if (c > 0)
			s_new(&m, found[j++]);
		else
			s_both(&m, &t->items[i++], found[j++]);
	}
	free(found);
	free(t->items);
	t->items = m.next;
	t->count = m.nnext;
	t->resuming = false;
	t->cap = m.capnext;
	*out = m.out;
	{
		size_t added = m.nout - *nout;

		*nout = m.nout;
		return added;
	}
}

/* Saving and loading. */

static void
s_put_field(strbuf *sb, const char *s)
{
	if (s == NULL) {
		strbuf_addstr(sb, "\\N");
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			strbuf_addstr(sb, "\\\\");
			break;
		case '\t':
			strbuf_addstr(sb, "\\t");
			break;
		case '\n':
			strbuf_addstr(sb, "\\n");
			break;
		case '\r':
			strbuf_addstr(sb, "\\r");
			break;
		default:
			strbuf_addch(sb, *s);
			break;
		}
	}
}

static void
s_put_record(strbuf *sb, const drift_record *r)
{
	s_put_field(sb, r->id);
	strbuf_addch(sb, '\t');
	s_put_field(sb, r->cluster);
	strbuf_addch(sb, '\t');
	s_put_field(sb, r->node);
	strbuf_addf(sb, "\t%s\t%s\t", HOST_ROLE_NAMES[r->role],
	    DRIFT_KIND_NAMES[r->kind]);
	s_put_field(sb, r->resource);
	strbuf_addch(sb, '\t');
	s_put_field(sb, r->expected);
	strbuf_addch(sb, '\t');
	s_put_field(sb, r->actual);
	strbuf_addf(sb, "\t%" PRId64 "\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t",
	    r->policy_revision, POLICY_MODE_NAMES[r->mode],
	    DRIFT_STATUS_NAMES[r->status], r->detected_at, r->resolved_at);
	s_put_field(sb, r->action);
	strbuf_addch(sb, '\t');
	s_put_field(sb, r->error);
	strbuf_addch(sb, '\t');
	s_put_field(sb, r->cause > DRIFT_CAUSE_UNKNOWN &&
	    r->cause <= DRIFT_CAUSE_OUT_OF_BAND ? DRIFT_CAUSE_NAMES[r->cause] :
	    NULL);
	strbuf_addch(sb, '\n');
}

int
tracker_save(const tracker *t, const char *path, char **err)
{
	strbuf sb;
	int rc;

	strbuf_init(&sb);
	strbuf_addstr(&sb, TRACKER_HEADER "\n");
	for (size_t i = 0; i < t->count; i++)
		s_put_record(&sb, &t->items[i]);
	rc = platform_replace_file(path, sb.data, sb.len, true, err);
	strbuf_release(&sb);
	return rc;
}

/* Decodes one field in place semantics: returns owned text, or NULL for
 * \N; *bad set on a malformed escape. */
static char *
s_get_field(const char *s, size_t len, bool *bad)
{
	strbuf sb;

	if (len == 2 && s[0] == '\\' && s[1] == 'N')
		return NULL;
	strbuf_init(&sb);
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\\') {
			strbuf_addch(&sb, s[i]);
			continue;
		}
		if (++i == len) {
			*bad = true;
			break;
		}
		switch (s[i]) {
		case '\\':
			strbuf_addch(&sb, '\\');
			break;
		case 't':
			strbuf_addch(&sb, '\t');
			break;
		case 'n':
			strbuf_addch(&sb, '\n');
			break;
		case 'r':
			strbuf_addch(&sb, '\r');
			break;
		default:
			*bad = true;
			break;
		}
	}
	return strbuf_detach(&sb, NULL);
}

static int
s_name_index(const char *const *names, int n, const char *text)
{
	if (text == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], text) == 0)
			return i;
	return -1;
}

static int
s_parse_int(const char *text, int64_t *v)
{
	char *end;
	long long n;

	if (text == NULL || *text == '\0' ||
	    !(*text == '-' || (*text >= '0' && *text <= '9')))
		return -1;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = n;
	return 0;
}

/* Parses one line of nfields fields into r; returns NULL or a static
 * reason. */
static const char *
s_parse_line(const char *line, size_t len, size_t nfields, drift_record *r)
{
	char *f[TRACKER_FIELDS];
	size_t nf = 0, start = 0;
	bool bad = false;
	const char *why = NULL;
	int k;

	memset(f, 0, sizeof f);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (nf == nfields) {
			nf++;
			break;
		}
		f[nf++] = s_get_field(line + start, i - start, &bad);
		start = i + 1;
	}
	memset(r, 0, sizeof *r);
	if (nf != nfields) {
		why = nfields == TRACKER_FIELDS ? "expected 16 tab-separated "
		    "fields" : "expected 15 tab-separated fields";
		goto out;
	}
	if (bad) {
		why = "bad escape in a field";
		goto out;
	}
	if (f[0] == NULL || f[5] == NULL) {
		why = "a drift needs an id and a resource";
		goto out;
	}
	r->id = f[0];
	r->cluster = f[1];
	r->node = f[2];
	r->resource = f[5];
	r->expected = f[6];
	r->actual = f[7];
	r->action = f[13];
	r->error = f[14];
	f[0] = f[1] = f[2] = f[5] = f[6] = f[7] = f[13] = f[14] = NULL;
	if ((k = s_name_index(HOST_ROLE_NAMES, ROLE_DPM_SERVER + 1, f[3])) < 0)
		why = "unknown role";
	else
		r->role = (host_role)k;
	if (!why && (k = drift_kind_from_name(f[4] ? f[4] : "")) < 0)
		why = "unknown kind";
	else if (!why)
		r->kind = (drift_kind)k;
	if (!why && (k = s_name_index(POLICY_MODE_NAMES, POLICY_AUDIT + 1,
	    f[9])) < 0)
		why = "unknown mode";
	else if (!why)
		r->mode = (policy_mode)k;
	if (!why && ((k = drift_status_from_name(f[10] ? f[10] : "")) < 0 ||
	    (k != DRIFT_OPEN && k != DRIFT_FAILED)))
		why = "status must be open or failed";
	else if (!why)
		r->status = (drift_status)k;
	if (!why && (s_parse_int(f[8], &r->policy_revision) != 0 ||
	    s_parse_int(f[11], &r->detected_at) != 0 ||
	    s_parse_int(f[12], &r->resolved_at) != 0))
		why = "bad number";
	if (!why && nfields == TRACKER_FIELDS && f[15] != NULL &&
	    (r->cause = drift_cause_from_name(f[15])) == DRIFT_CAUSE_UNKNOWN)
		why = "unknown cause";
out:
	for (size_t i = 0; i < TRACKER_FIELDS; i++)
		free(f[i]);
	if (why)
		drift_record_clear(r);
	return why;
}

/* Whether the line from p to nl (NULL: none) is text. */
static bool
s_is_line(const char *p, const char *nl, const char *text)
{
	size_t len = strlen(text);

	return nl != NULL && (size_t)(nl - p) == len &&
	    memcmp(p, text, len) == 0;
}

static const char *
s_parse(tracker *t, const char *data, size_t len, size_t *lineno)
{
	const char *p = data, *end = data + len, *why;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	size_t nfields;
	drift_record r;

	*lineno = 1;
	if (s_is_line(p, eol, TRACKER_HEADER))
		nfields = TRACKER_FIELDS;
	else if (s_is_line(p, eol, TRACKER_HEADER_V1))
		nfields = TRACKER_FIELDS_V1;
	else
		return "not a drift tracker file (bad header)";
	p = eol + 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		(*lineno)++;
		if (nl == NULL)
			return "last line is not terminated";
		if ((why = s_parse_line(p, (size_t)(nl - p), nfields, &r)) !=
		    NULL)
			return why;
		xgrow(&t->items, &t->cap, t->count + 1, sizeof *t->items);
		t->items[t->count++] = r;
		p = nl + 1;
	}
	if (t->count > 1)
		qsort(t->items, t->count, sizeof *t->items, s_cmp_record);
	for (size_t i = 1; i < t->count; i++) {
		if (strcmp(t->items[i].resource, t->items[i - 1].resource) == 0) {
			*lineno = 0;
			return "the same resource is tracked twice";
		}
	}
	return NULL;
}

tracker *
tracker_load(const char *path, char **err)
{
	char *data = NULL;
	size_t len = 0, lineno = 0;
	const char *why;
	tracker *t;

	if (!platform_file_exists(path))
		return tracker_new();
	if (platform_read_file(path, TRACKER_MAX_FILE, &data, &len, err) != 0)
		return NULL;
	t = tracker_new();
	if (memchr(data, '\0', len) != NULL)
		why = "the file holds a NUL byte";
	else
		why = s_parse(t, data, len, &lineno);
	free(data);
	if (why != NULL) {
		if (lineno > 0)
			*err = xasprintf("%s:%zu: %s", path, lineno, why);
		else
			*err = xasprintf("%s: %s", path, why);
		tracker_free(&t);
		return NULL;
	}
	return t;
}
