/*
 * dsmerge.c: what hvpolicy owns in a shared DataSourceGroups.xml, and the
 * merge that rewrites only that (dsmerge.h). Called by the DPM server's
 * node (node/engine.c: inspect on every pass, apply when it writes) and
 * the controller (dsmerge_part_hash: what each cluster's part should
 * hash to).
 */
#include "dsmerge.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "textenc.h"
#include "xalloc.h"

/* Owners of an entry of the file besides a part's index. */
#define OWN_FOREIGN	(-1)
#define OWN_STALE	(-2)

/* ---- the record -------------------------------------------------- */

static int
s_written_cmp(const void *va, const void *vb)
{
	const dsmerge_written *a = va, *b = vb;
	int c = strcmp(a->id, b->id);

	return c ? c : strcmp(a->cluster, b->cluster);
}

void
dsmerge_record_clear(dsmerge_record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].cluster);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

static void
s_record_push(dsmerge_record *r, char *id, const char *cluster)
{
	xgrow(&r->v, &r->cap, r->n + 1, sizeof *r->v);
	r->v[r->n].id = id;
	r->v[r->n].cluster = xstrdup(cluster ? cluster : "");
	r->n++;
}

void
dsmerge_record_sort(dsmerge_record *r)
{
	size_t kept = 0;

	if (r->n > 1)
		qsort(r->v, r->n, sizeof *r->v, s_written_cmp);
	for (size_t i = 0; i < r->n; i++) {
		if (kept > 0 && s_written_cmp(&r->v[kept - 1], &r->v[i]) == 0) {
			free(r->v[i].id);
			free(r->v[i].cluster);
			continue;
		}
		r->v[kept++] = r->v[i];
	}
	r->n = kept;
}

void
dsmerge_record_add(dsmerge_record *r, const char *id, const char *cluster)
{
	s_record_push(r, dsgroups_norm_guid(id), cluster);
	dsmerge_record_sort(r);
}

/* Adds the part's guests, out of order. */
static void
s_record_add_part(dsmerge_record *r, const dsmerge_part *p)
{
	if (p->plan == NULL)
		return;
	for (size_t i = 0; i < p->plan->ngroups; i++) {
		const plan_group *g = &p->plan->groups[i];

		for (size_t k = 0; k < g->nguests; k++)
			s_record_push(r, dsgroups_norm_guid(g->guests[k].id),
			    p->cluster);
	}
}

void
dsmerge_record_add_part(dsmerge_record *r, const dsmerge_part *p)
{
	s_record_add_part(r, p);
	dsmerge_record_sort(r);
}

void
dsmerge_record_copy(dsmerge_record *dst, const dsmerge_record *src)
{
	dsmerge_record_clear(dst);
	for (size_t i = 0; src && i < src->n; i++)
		s_record_push(dst, xstrdup(src->v[i].id), src->v[i].cluster);
}

bool
dsmerge_record_equal(const dsmerge_record *a, const dsmerge_record *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (s_written_cmp(&a->v[i], &b->v[i]) != 0)
			return false;
	return true;
}

/* ---- who owns an entry ------------------------------------------- */

/*
 * Every GUID some part's plan names, with the first part naming it: a
 * hash table (open addressing, linear probing) over the GUIDs normalized
 * into one buffer, so that the owner of each of a file's thousands of
 * entries is one look-up, and building it costs no allocation per guest.
 */
typedef struct s_claim {
	size_t id;		/* offset in ids; SIZE_MAX: free slot */
	size_t part;
} s_claim;

typedef struct s_owners {
	s_claim *slot;
	size_t mask;		/* slots - 1 (a power of two) */
	strbuf ids;		/* the GUIDs, each NUL-terminated */
	strbuf key;		/* scratch: the GUID looked up */
} s_owners;

/* FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/). */
static size_t
s_hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding id, or the free one where it would go. */
static s_claim *
s_slot(const s_owners *o, const char *id)
{
	size_t i = s_hash_id(id) & o->mask;

	while (o->slot[i].id != SIZE_MAX &&
	    strcmp(o->ids.data + o->slot[i].id, id) != 0)
		i = (i + 1) & o->mask;
	return &o->slot[i];
}

static void
s_claim_add(s_owners *o, const char *id, size_t part)
{
	size_t at = o->ids.len;
	s_claim *c;

	if (id == NULL)
		return;
	dsgroups_norm_guid_add(&o->ids, id);
	strbuf_add(&o->ids, "", 1);
	c = s_slot(o, o->ids.data + at);
	if (c->id != SIZE_MAX) {
		o->ids.len = at;	/* a later part's claim: the first wins */
		o->ids.data[at] = '\0';
		return;
	}
	*c = (s_claim){ at, part };
}

/* Every guest a plan names (planned or not) belongs to its part: an
 * entry someone wrote for a guest a managed cluster reports is replaced
 * by what the plan says (removed, when the plan leaves it out). */
static void
s_owners_build(s_owners *o, const dsmerge_spec *s)
{
	size_t n = 0, slots = 16;

	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < s->nparts; i++) {
		const plan *p = s->parts[i].plan;

		for (size_t g = 0; p && g < p->ngroups; g++)
			n += p->groups[g].nguests;
		n += p ? p->nunplanned : 0;
	}
	while (slots < 2 * n)
		slots *= 2;
	o->slot = xcalloc(slots, sizeof *o->slot);
	for (size_t i = 0; i < slots; i++)
		o->slot[i].id = SIZE_MAX;
	o->mask = slots - 1;
	strbuf_init(&o->ids);
	strbuf_init(&o->key);
	for (size_t i = 0; i < s->nparts; i++) {
		const plan *p = s->parts[i].plan;

		for (size_t g = 0; p && g < p->ngroups; g++)
			for (size_t k = 0; k < p->groups[g].nguests; k++)
				s_claim_add(o, p->groups[g].guests[k].id, i);
		for (size_t k = 0; p && k < p->nunplanned; k++)
			s_claim_add(o, p->unplanned[k].id, i);
	}
}

static void
s_owners_free(s_owners *o)
{
	free(o->slot);
	strbuf_release(&o->ids);
	strbuf_release(&o->key);
	memset(o, 0, sizeof *o);
}

/* The GUID of a file's entry as compared: borrowed from o, valid until
 * the next call. */
static const char *
s_owners_key(s_owners *o, const char *id)
{
	strbuf_reset(&o->key);
	dsgroups_norm_guid_add(&o->key, id);
	return o->key.data;
}

/* The first element of the sorted record whose id is >= id. */
static size_t
s_find_id(const dsmerge_record *r, const char *id)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(r->v[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
s_part_of_cluster(const dsmerge_spec *s, const char *cluster)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (strcmp(s->parts[i].cluster ? s->parts[i].cluster : "",
		    cluster) == 0)
			return (int)i;
	return OWN_STALE;
}

/* Whose the entry with GUID id is: the first part whose plan names it;
 * else the part it was written for (the record), or stale when that part
 * is gone; else nobody's (foreign). *from_record tells the second case. */
static int
s_owner(const dsmerge_spec *s, const s_owners *o, const char *id,
    bool *from_record)
{
	const s_claim *c = s_slot(o, id);
	size_t at;

	*from_record = false;
	if (c->id != SIZE_MAX)
		return (int)c->part;
	if (s->written == NULL)
		return OWN_FOREIGN;
	at = s_find_id(s->written, id);
	if (at < s->written->n && strcmp(s->written->v[at].id, id) == 0) {
		*from_record = true;
		return s_part_of_cluster(s, s->written->v[at].cluster);
	}
	return OWN_FOREIGN;
}

/* Does the merge rewrite this part's entries? */
static bool
s_rewrites(const dsmerge_part *p)
{
	return p->plan != NULL && !p->keep;
}

/* ---- hashes ------------------------------------------------------ */

void
dsmerge_part_hash(const dsmerge_part *p, char out[DSGROUPS_HASH_HEX + 1])
{
	out[0] = '\0';
	if (p->plan)
		dsgroups_plan_hash_as(p->plan, p->cluster, out);
}

void
dsmerge_state_clear(dsmerge_state *st)
{
	for (size_t i = 0; i < st->nparts; i++)
		free(st->held[i]);
	free(st->held);
	memset(st, 0, sizeof *st);
}

/* Adds entry e to list, its strings borrowed (free list->v alone). */
static void
s_entry_borrow(dsgroups_entries *list, const dsgroups_entry *e)
{
	xgrow(&list->v, &list->cap, list->n + 1, sizeof *list->v);
	list->v[list->n++] = *e;
}

void
dsmerge_inspect_doc(const dsmerge_spec *s, const dsgroups_doc *d,
    dsmerge_state *st)
{
	static const dsgroups_entries none;
	const dsgroups_entries *all = d ? &d->entries : &none;
	dsgroups_entries *per;
	s_owners o;
	char hex[DSGROUPS_HASH_HEX + 1];

	memset(st, 0, sizeof *st);
	per = xcalloc(s->nparts + 1, sizeof *per);
	s_owners_build(&o, s);
	for (size_t i = 0; i < all->n; i++) {
		bool rec;
		int who = s_owner(s, &o, s_owners_key(&o, all->v[i].id), &rec);

		if (who == OWN_FOREIGN) {
			st->foreign++;
			continue;
		}
		if (who == OWN_STALE) {
			st->stale++;
			continue;
		}
		st->owned++;
		s_entry_borrow(&per[who], &all->v[i]);
	}
	st->nparts = s->nparts;
	st->held = xcalloc(s->nparts + 1, sizeof *st->held);
	for (size_t i = 0; i < s->nparts; i++) {
		dsgroups_hash(&per[i], hex);
		st->held[i] = xstrdup(hex);
		free(per[i].v);
	}
	free(per);
	s_owners_free(&o);
}

int
dsmerge_inspect(const dsmerge_spec *s, const void *data, size_t len,
    dsmerge_state *st, char **err)
{
	dsgroups_doc doc;
	bool file = data != NULL && len > 0;

	memset(st, 0, sizeof *st);
	memset(&doc, 0, sizeof doc);
	*err = NULL;
	if (file && dsgroups_parse_doc(data, len, &doc, err) == -1) {
		dsgroups_doc_clear(&doc);
		return -1;
	}
	dsmerge_inspect_doc(s, file ? &doc : NULL, st);
	dsgroups_doc_clear(&doc);
	return 0;
}

bool
dsmerge_needed(const dsmerge_spec *s, const dsmerge_state *st)
{
	char want[DSGROUPS_HASH_HEX + 1];

	if (st->stale > 0)
		return true;
	for (size_t i = 0; i < s->nparts && i < st->nparts; i++) {
		if (!s_rewrites(&s->parts[i]))
			continue;
		dsmerge_part_hash(&s->parts[i], want);
		if (strcmp(want, st->held[i]) != 0)
			return true;
	}
	return false;
}

/* ---- the merge --------------------------------------------------- */

void
dsmerge_result_clear(dsmerge_result *r)
{
	dsmerge_record_clear(&r->record);
	memset(r, 0, sizeof *r);
}

/* What the parts that are rewritten put in the file, in file order, and
 * their GUIDs in the record (sorted by the caller, once). */
static void
s_wanted(const dsmerge_spec *s, dsgroups_view *want, dsmerge_record *rec)
{
	for (size_t i = 0; i < s->nparts; i++) {
		if (!s_rewrites(&s->parts[i]))
			continue;
		dsgroups_view_add_plan(want, s->parts[i].plan,
		    s->parts[i].cluster);
		s_record_add_part(rec, &s->parts[i]);
	}
	dsgroups_sort(&want->entries);
}

static bool
s_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the line holding pos starts, when only blanks precede pos on it;
 * (size_t)-1 otherwise. */
static size_t
s_line_start(const char *t, size_t pos)
{
	size_t i = pos;

	while (i > 0 && s_blank(t[i - 1]))
		i--;
	if (i == 0 || t[i - 1] == '\n')
		return i;
	return (size_t)-1;
}

/* Just after the end of the line holding pos, when only blanks follow pos
 * on it (the end of the text counts as a line end); (size_t)-1
 * otherwise. */
static size_t
s_line_end(const char *t, size_t len, size_t pos)
{
	size_t i = pos;

	while (i < len && s_blank(t[i]))
		i++;
	if (i < len && t[i] == '\r')
		i++;
	if (i == len)
		return i;
	if (t[i] == '\n')
		return i + 1;
	return (size_t)-1;
}

/* The file's line end: that of its first line; CR LF when it has none. */
static const char *
s_eol(const dsgroups_doc *d)
{
	const char *nl = memchr(d->text, '\n', d->len);

	if (nl == NULL || (nl > d->text && nl[-1] == '\r'))
		return "\r\n";
	return "\n";
}

/* The indentation of the file's first Group standing at a line start. */
static char *
s_indent(const dsgroups_doc *d)
{
	for (size_t i = 0; i < d->entries.n; i++) {
		size_t ls = s_line_start(d->text, d->entries.v[i].start);

		if (ls != (size_t)-1)
			return xstrndup(d->text + ls, d->entries.v[i].start - ls);
	}
	return xstrdup(DSGROUPS_INDENT);
}

typedef struct s_out {
	strbuf text;
	const dsgroups_entries *want;
	char *indent;
	const char *eol;
	bool placed;
	int rc;
} s_out;

/* Puts hvpolicy's entries here: as whole lines at a line start, else as
 * elements one after the other. */
static void
s_place(s_out *o, bool at_line_start)
{
	if (o->placed)
		return;
	o->placed = true;
	for (size_t i = 0; i < o->want->n && o->rc == 0; i++)
		o->rc = dsgroups_render_entry(&o->text, &o->want->v[i],
		    at_line_start ? o->indent : "", at_line_start ? o->eol : "");
}

/* The rest of the text from pos, with the entries put before the root's
 * end when no owned entry gave them a place. */
static void
s_tail(s_out *o, const dsgroups_doc *d, size_t pos)
{
	size_t at = d->root_end, ls;

	if (o->placed || o->want->n == 0) {
		strbuf_add(&o->text, d->text + pos, d->len - pos);
		return;
	}
	if (d->root_empty) {
		/* <Root ... /> becomes <Root ...>, the entries, </Root>. */
		strbuf_add(&o->text, d->text + pos, at - pos);
		strbuf_addf(&o->text, ">%s", o->eol);
		s_place(o, true);
		strbuf_addf(&o->text, "</%s>", d->root_name);
		strbuf_add(&o->text, d->text + at + 2, d->len - at - 2);
		return;
	}
	ls = s_line_start(d->text, at);
	if (ls != (size_t)-1 && ls >= pos)
		at = ls;
	strbuf_add(&o->text, d->text + pos, at - pos);
	s_place(o, at == ls);
	strbuf_add(&o->text, d->text + at, d->len - at);
}

/* The new text in the file's own encoding. */
static void
s_encode(const dsgroups_doc *d, const strbuf *text, char **out, size_t *len)
{
	strbuf b;

	strbuf_init(&b);
	if (d->utf8) {
		if (d->bom)
			strbuf_add(&b, "\xEF\xBB\xBF", 3);
		strbuf_add(&b, text->data, text->len);
	} else {
		strbuf_add(&b, "\xFF\xFE", 2);
		/* The text came from a strict decode plus valid entries. */
		textenc_utf8_to_utf16le(&b, text->data, text->len, NULL);
	}
	*out = strbuf_detach(&b, len);
}

/* Keeps in res->record what the old record said of entries kept in the
 * file for a part (kept or without a plan): hvpolicy wrote those. */
static void
s_keep_record(dsmerge_result *res, const dsmerge_spec *s, const char *id,
    int who)
{
	const char *cluster = s->parts[who].cluster ? s->parts[who].cluster :
	    "";

	if (s->written == NULL)
		return;
	for (size_t i = s_find_id(s->written, id); i < s->written->n &&
	    strcmp(s->written->v[i].id, id) == 0; i++)
		if (strcmp(s->written->v[i].cluster, cluster) == 0)
			s_record_push(&res->record, xstrdup(id), cluster);
}

static int
s_merge(const dsmerge_spec *s, const dsgroups_doc *d,
    const dsgroups_entries *want, dsmerge_result *res, strbuf *text)
{
	s_owners own;
	s_out o = { .want = want, .eol = s_eol(d) };
	size_t pos = 0;

	o.text = *text;
	o.indent = s_indent(d);
	s_owners_build(&own, s);
	for (size_t i = 0; i < d->entries.n && o.rc == 0; i++) {
		const dsgroups_entry *e = &d->entries.v[i];
		const char *id = s_owners_key(&own, e->id);
		bool rec;
		int who = s_owner(s, &own, id, &rec);
		size_t from = e->start, to = e->end, ls, le;

		if (who == OWN_FOREIGN || (who >= 0 &&
		    !s_rewrites(&s->parts[who]))) {
			if (who >= 0)
				s_keep_record(res, s, id, who);
			res->kept++;
			continue;
		}
		res->removed++;
		ls = s_line_start(d->text, from);
		le = s_line_end(d->text, d->len, to);
		if (ls != (size_t)-1 && le != (size_t)-1 && ls >= pos) {
			from = ls;
			to = le;
		}
		strbuf_add(&o.text, d->text + pos, from - pos);
		s_place(&o, from == ls);
		pos = to;
	}
	if (o.rc == 0)
		s_tail(&o, d, pos);
	s_owners_free(&own);
	free(o.indent);
	*text = o.text;
	return o.rc;
}

int
dsmerge_apply_doc(const dsmerge_spec *s, const dsgroups_doc *d,
    char **out, size_t *outlen, dsmerge_result *res, char **err)
{
	dsgroups_view want = { 0 };
	strbuf text;
	int rc;

	*out = NULL;
	*outlen = 0;
	*err = NULL;
	memset(res, 0, sizeof *res);
	s_wanted(s, &want, &res->record);
	res->written = want.entries.n;
	if (d == NULL) {
		rc = dsgroups_render_entries(&want.entries, out, outlen);
	} else {
		strbuf_init(&text);
		/* The file's text and what is put in, as long as before. */
		strbuf_reserve(&text, d->len + d->len / 8);
		rc = s_merge(s, d, &want.entries, res, &text);
		if (rc == 0)
			s_encode(d, &text, out, outlen);
		strbuf_release(&text);
	}
	if (rc == -1)
		*err = xstrdup("the plan holds a name or GUID that "
		    "DataSourceGroups.xml cannot carry");
	dsgroups_view_clear(&want);
	if (rc == -1)
		dsmerge_result_clear(res);
	else
		dsmerge_record_sort(&res->record);
	return rc;
}

int
dsmerge_apply(const dsmerge_spec *s, const void *data, size_t len,
    char **out, size_t *outlen, dsmerge_result *res, char **err)
{
	dsgroups_doc doc;
	bool file = data != NULL && len > 0;
	int rc;

	memset(&doc, 0, sizeof doc);
	if (file && dsgroups_parse_doc(data, len, &doc, err) == -1) {
		*out = NULL;
		*outlen = 0;
		memset(res, 0, sizeof *res);
		dsgroups_doc_clear(&doc);
		return -1;
	}
	rc = dsmerge_apply_doc(s, file ? &doc : NULL, out, outlen, res, err);
	dsgroups_doc_clear(&doc);
	return rc;
}
