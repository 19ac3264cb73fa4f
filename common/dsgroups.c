/*
 * dsgroups.c: DataSourceGroups.xml: render a plan into it, parse what a
 * DPM server holds, hash both the same way (dsgroups.h). Called by the
 * DPM server's node (render, parse, hash of the file) and the controller
 * (hash of the plan, to tell whether the DPM server holds it).
 *
 * The parser is a small scanner for this one shape, not an XML parser:
 * a prolog of declarations, comments and processing instructions, one
 * root element, Group elements in it, nothing else. It expands only the
 * five predefined entities and character references, so hostile input
 * costs at most its (bounded) size.
 */
#include "dsgroups.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "log.h"
#include "strbuf.h"
#include "textenc.h"
#include "xalloc.h"

/*
 * The file's vocabulary. Reconstructed from DSConfig.ps1 and the
 * documents around it, NOT verified against a DPM server: every fact
 * about the format lives in this block so it can be corrected in one
 * place (docs/serialization-file.md says the same).
 */
static const char DSG_DECLARATION[] =
    "<?xml version=\"1.0\" encoding=\"utf-16\"?>";
static const char DSG_ROOT[] = "DatasourceGroup";
static const char DSG_NAMESPACE[] =
    "http://schemas.microsoft.com/2003/dls/GroupDatasourceByDisk.xsd";
static const char DSG_NS_XSI[] = "http://www.w3.org/2001/XMLSchema-instance";
static const char DSG_NS_XSD[] = "http://www.w3.org/2001/XMLSchema";
static const char DSG_GROUP[] = "Group";
static const char DSG_ATTR_GROUP[] = "GroupName";
static const char DSG_ATTR_NAME[] = "DataSourceName";
static const char DSG_ATTR_WRITER[] = "WriterId";
static const char DSG_ATTR_COMPONENT[] = "ComponentName";
/* The Hyper-V VSS writer. */
static const char DSG_HYPERV_WRITER[] = "66841cd4-6ded-4f4b-8f17-fd23f8ddc3de";
static const char DSG_INDENT[] = DSGROUPS_INDENT;
static const char DSG_EOL[] = DSGROUPS_EOL;

#define DSG_HASH_TAG	"hvpolicy-dsgroups-v1"

/* ---- entries ------------------------------------------------------ */

static void
s_entry_clear(dsgroups_entry *e)
{
	free(e->group);
	free(e->name);
	free(e->id);
	free(e->writer);
	memset(e, 0, sizeof *e);
}

void
dsgroups_entries_clear(dsgroups_entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		s_entry_clear(&e->v[i]);
	free(e->v);
	memset(e, 0, sizeof *e);
}

static dsgroups_entry *
s_entry_add(dsgroups_entries *e)
{
	xgrow(&e->v, &e->cap, e->n + 1, sizeof *e->v);
	return &e->v[e->n++];
}

/* Appends owned copies of borrowed entries (a view's, a doc's). */
static void
s_entries_copy(dsgroups_entries *out, const dsgroups_entries *from)
{
	xgrow(&out->v, &out->cap, out->n + from->n, sizeof *out->v);
	for (size_t i = 0; i < from->n; i++) {
		dsgroups_entry *e = s_entry_add(out);

		*e = from->v[i];
		e->group = xstrdup(from->v[i].group);
		e->name = xstrdup(from->v[i].name);
		e->id = xstrdup(from->v[i].id);
		e->writer = xstrdup(from->v[i].writer);
	}
}

static int
s_cmp_nullable(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
s_cmp_file_order(const void *va, const void *vb)
{
	const dsgroups_entry *a = va, *b = vb;
	int c;

	if ((c = s_cmp_nullable(a->group, b->group)) != 0 ||
	    (c = s_cmp_nullable(a->name, b->name)) != 0)
		return c;
	return s_cmp_nullable(a->id, b->id);
}

/* Copies a guest's GUID as the Hyper-V VSS writer names its component:
 * upper case (node/win_facts.h); returns the end of the copy's NUL. */
static char *
s_writer_guid_to(char *dst, const char *id)
{
	for (const char *p = id ? id : ""; *p; p++)
		*dst++ = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
	*dst++ = '\0';
	return dst;
}

/* Sorts n entries in file order. Plans come sorted, and so do the parts
 * of several clusters one after the other: one look at each neighbour
 * is then all it costs. */
static void
s_sort_file_order(dsgroups_entry *v, size_t n)
{
	size_t i = 1;

	while (i < n && s_cmp_file_order(&v[i - 1], &v[i]) <= 0)
		i++;
	if (i < n)
		qsort(v, n, sizeof *v, s_cmp_file_order);
}

void
dsgroups_sort(dsgroups_entries *e)
{
	s_sort_file_order(e->v, e->n);
}

void
dsgroups_view_add_plan(dsgroups_view *v, const plan *p, const char *cluster)
{
	size_t first = v->entries.n, total = first, size = 1;
	size_t clen = cluster ? strlen(cluster) : 0;
	char *at;

	/* One block for the qualified group names and upper-case GUIDs,
	 * sized first: the entries point into it. */
	for (size_t i = 0; i < p->ngroups; i++) {
		const plan_group *g = &p->groups[i];

		total += g->nguests;
		size += (cluster ? clen + 1 : 0) + strlen(g->name) + 1;
		for (size_t k = 0; k < g->nguests; k++)
			size += (g->guests[k].id ? strlen(g->guests[k].id) : 0) +
			    1;
	}
	xgrow(&v->entries.v, &v->entries.cap, total, sizeof *v->entries.v);
	xgrow(&v->blocks, &v->cap, v->nblocks + 1, sizeof *v->blocks);
	at = v->blocks[v->nblocks++] = xmalloc(size);
	for (size_t i = 0; i < p->ngroups; i++) {
		const plan_group *g = &p->groups[i];
		char *group = at;
		size_t glen = strlen(g->name);

		if (cluster) {
			memcpy(at, cluster, clen);
			at += clen;
			*at++ = DSGROUPS_CLUSTER_SEP;
		}
		memcpy(at, g->name, glen + 1);
		at += glen + 1;
		for (size_t k = 0; k < g->nguests; k++) {
			dsgroups_entry *e = s_entry_add(&v->entries);

			e->group = group;
			e->name = g->guests[k].name;
			e->id = at;
			at = s_writer_guid_to(at, g->guests[k].id);
			/* Read only, as every string of a view. */
			e->writer = (char *)DSG_HYPERV_WRITER;
		}
	}
	if (v->entries.n - first > 1)
		s_sort_file_order(v->entries.v + first, v->entries.n - first);
}

void
dsgroups_view_clear(dsgroups_view *v)
{
	for (size_t i = 0; i < v->nblocks; i++)
		free(v->blocks[i]);
	free(v->blocks);
	free(v->entries.v);
	memset(v, 0, sizeof *v);
}

void
dsgroups_from_plan_as(const plan *p, const char *cluster,
    dsgroups_entries *out)
{
	dsgroups_view v = { 0 };

	dsgroups_view_add_plan(&v, p, cluster);
	s_entries_copy(out, &v.entries);
	dsgroups_view_clear(&v);
}

void
dsgroups_from_plan(const plan *p, dsgroups_entries *out)
{
	dsgroups_from_plan_as(p, NULL, out);
}

/* ---- characters --------------------------------------------------- */

/* The Char production of XML 1.0. */
static bool
s_xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD ||
	    (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	    (c >= 0x10000 && c <= 0x10FFFF);
}

static bool
s_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The bytes an attribute value holds as they are, written or read:
 * printable ASCII but & < > " and ' (those, control characters and
 * everything past ASCII take the slow way, one character at a time).
 * Thousands of entries per file: one look-up per byte.
 */
static const unsigned char s_plain[256] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1,
	/* 0x40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x60 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	/* 0x80 - 0xFF: 0 */
};

/* ---- render ------------------------------------------------------- */

/* Appends v escaped for a double-quoted attribute; -1 if it cannot be. */
static int
s_escape_attr(strbuf *sb, const char *v)
{
	size_t len;
	uint32_t c;

	if (v == NULL || *v == '\0')
		return -1;
	len = strlen(v);
	for (size_t i = 0; i < len;) {
		size_t n, run = 0;

		/* Plain printable ASCII, in one step. */
		while (i + run < len && s_plain[(unsigned char)v[i + run]])
			run++;
		if (run > 0) {
			strbuf_add(sb, v + i, run);
			i += run;
			continue;
		}
		n = textenc_utf8_next(v + i, len - i, &c);
		if (n == 0 || !s_xml_char(c))
			return -1;
		switch (c) {
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		case '\t': case '\n': case '\r':
			strbuf_addf(sb, "&#%u;", (unsigned)c);
			break;
		default:
			strbuf_add(sb, v + i, n);
		}
		i += n;
	}
	return 0;
}

int
dsgroups_render_entry(strbuf *sb, const dsgroups_entry *e, const char *indent,
    const char *eol)
{
	const struct { const char *attr, *value; } a[] = {
		{ DSG_ATTR_GROUP, e->group },
		{ DSG_ATTR_NAME, e->name },
		{ DSG_ATTR_WRITER, e->writer },
		{ DSG_ATTR_COMPONENT, e->id },
	};
	size_t before = sb->len;

	/* Thousands of entries per file: pieces, not a format string. */
	strbuf_addstr(sb, indent);
	strbuf_add(sb, "<", 1);
	strbuf_add(sb, DSG_GROUP, sizeof DSG_GROUP - 1);
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
		strbuf_add(sb, " ", 1);
		strbuf_addstr(sb, a[i].attr);
		strbuf_add(sb, "=\"", 2);
		if (s_escape_attr(sb, a[i].value) == -1) {
			sb->len = before;
			sb->data[before] = '\0';
			return -1;
		}
		strbuf_add(sb, "\"", 1);
	}
	strbuf_add(sb, " />", 3);
	strbuf_addstr(sb, eol);
	return 0;
}

int
dsgroups_render_entries(const dsgroups_entries *e, char **out, size_t *len)
{
	strbuf text, bytes;
	int rc = 0;

	*out = NULL;
	*len = 0;
	strbuf_init(&text);
	strbuf_addf(&text, "%s%s", DSG_DECLARATION, DSG_EOL);
	strbuf_addf(&text, "<%s xmlns:xsi=\"%s\" xmlns:xsd=\"%s\" xmlns=\"%s\">%s",
	    DSG_ROOT, DSG_NS_XSI, DSG_NS_XSD, DSG_NAMESPACE, DSG_EOL);
	for (size_t i = 0; i < e->n && rc == 0; i++)
		rc = dsgroups_render_entry(&text, &e->v[i], DSG_INDENT, DSG_EOL);
	strbuf_addf(&text, "</%s>%s", DSG_ROOT, DSG_EOL);
	if (rc == -1) {
		strbuf_release(&text);
		return -1;
	}
	strbuf_init(&bytes);
	strbuf_add(&bytes, "\xFF\xFE", 2);
	/* Cannot fail: every value was checked above. */
	textenc_utf8_to_utf16le(&bytes, text.data, text.len, NULL);
	strbuf_release(&text);
	*out = strbuf_detach(&bytes, len);
	return 0;
}

int
dsgroups_render(const plan *p, char **out, size_t *len)
{
	dsgroups_view v = { 0 };
	int rc;

	dsgroups_view_add_plan(&v, p, NULL);
	rc = dsgroups_render_entries(&v.entries, out, len);
	dsgroups_view_clear(&v);
	return rc;
}

/* ---- parse -------------------------------------------------------- */

typedef struct scan {
	const char *s;		/* decoded UTF-8 text */
	size_t len;
	size_t pos;
	char *err;		/* first error, owned */
	size_t root_end;	/* where the root's end lies */
	bool root_empty;
	/* The attribute values, decoded, one after the other: no value is
	 * longer than its text between the quotes, so len + 1 bytes hold
	 * them all and the block never moves. */
	char *strings;
	size_t used;
} scan;

/* The fields of one Group element. */
enum { F_GROUP, F_NAME, F_WRITER, F_COMPONENT, F_COUNT };

static const char *const s_field_attr[F_COUNT] = {
	DSG_ATTR_GROUP, DSG_ATTR_NAME, DSG_ATTR_WRITER, DSG_ATTR_COMPONENT,
};

/* Line and column (1-based, in characters) of a byte offset. */
static void
s_where(const scan *sc, size_t at, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at && i < sc->len; i++) {
		unsigned char c = (unsigned char)sc->s[i];

		if (c == '\n' || (c == '\r' &&
		    (i + 1 >= sc->len || sc->s[i + 1] != '\n'))) {
			(*line)++;
			*col = 1;
		} else if (c != '\r' && (c & 0xC0) != 0x80)
			(*col)++;
	}
}

static int
s_error(scan *sc, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_error(scan *sc, size_t at, const char *fmt, ...)
{
	va_list ap;
	size_t line, col;
	char *msg;
	int n;

	if (sc->err)
		return -1;
	s_where(sc, at, &line, &col);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	msg[0] = '\0';
	va_start(ap, fmt);
	if (n > 0)
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sc->err = xasprintf("line %zu, column %zu: %s", line, col, msg);
	free(msg);
	return -1;
}

/* A name's length for a message: at most 64 bytes, whole characters. */
static int
s_clip(const char *s, size_t n)
{
	if (n <= 64)
		return (int)n;
	n = 64;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static bool
s_at(const scan *sc, const char *lit)
{
	size_t n = strlen(lit);

	return sc->len - sc->pos >= n && memcmp(sc->s + sc->pos, lit, n) == 0;
}

static void
s_skip_space(scan *sc)
{
	while (sc->pos < sc->len && s_space(sc->s[sc->pos]))
		sc->pos++;
}

/* Skips "<!-- ... -->" or "<? ... ?>" at pos. */
static int
s_skip_until(scan *sc, const char *open, const char *close, const char *what)
{
	size_t start = sc->pos;

	for (sc->pos += strlen(open); sc->pos < sc->len; sc->pos++) {
		if (s_at(sc, close)) {
			sc->pos += strlen(close);
			return 0;
		}
	}
	return s_error(sc, start, "unterminated %s", what);
}

/*
 * Skips whitespace, comments and processing instructions. Stops at the
 * next other markup or text; refuses what this file never holds.
 */
static int
s_skip_misc(scan *sc)
{
	for (;;) {
		s_skip_space(sc);
		if (s_at(sc, "<!--")) {
			if (s_skip_until(sc, "<!--", "-->", "comment") == -1)
				return -1;
		} else if (s_at(sc, "<?")) {
			if (s_skip_until(sc, "<?", "?>",
			    "processing instruction") == -1)
				return -1;
		} else if (s_at(sc, "<!DOCTYPE"))
			return s_error(sc, sc->pos,
			    "a document type declaration is not allowed");
		else if (s_at(sc, "<![CDATA["))
			return s_error(sc, sc->pos,
			    "CDATA is not allowed here");
		else
			return 0;
	}
}

static bool
s_name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    c == ':' || c >= 0x80;
}

static bool
s_name_char(unsigned char c)
{
	return s_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.';
}

/* Reads a Name at pos: sets *name and *nlen (borrowed). */
static int
s_name(scan *sc, const char **name, size_t *nlen, const char *what)
{
	size_t start = sc->pos;

	if (sc->pos >= sc->len ||
	    !s_name_start((unsigned char)sc->s[sc->pos]))
		return s_error(sc, sc->pos, "expected %s", what);
	while (sc->pos < sc->len && s_name_char((unsigned char)sc->s[sc->pos]))
		sc->pos++;
	*name = sc->s + start;
	*nlen = sc->pos - start;
	return 0;
}

/* Does the name, without any namespace prefix, equal want (any case)? */
static bool
s_local_is(const char *name, size_t nlen, const char *want)
{
	size_t wlen = strlen(want);
	const char *local = name + nlen - wlen;

	/* want holds no ':': the name is want, or a prefix, its first
	 * ':' and want. Lengths first: most names are none of the four. */
	if (nlen < wlen || (nlen > wlen && (local[-1] != ':' ||
	    memchr(name, ':', nlen) != local - 1)))
		return false;
	return strncasecmp(local, want, wlen) == 0;
}

/* Which Group field the attribute name is (s_local_is one of
 * s_field_attr), or F_COUNT: the four names differ in length, so one
 * comparison, not four. */
static int
s_field_of(const char *name, size_t nlen)
{
	const char *colon = memchr(name, ':', nlen);
	size_t llen = colon ? nlen - (size_t)(colon - name) - 1 : nlen;

	for (int k = 0; k < F_COUNT; k++)
		if (llen == strlen(s_field_attr[k]))
			return s_local_is(name, nlen, s_field_attr[k]) ? k :
			    F_COUNT;
	return F_COUNT;
}

/* Decodes "&...;" at pos into sb. */
static int
s_reference(scan *sc, strbuf *sb)
{
	static const struct { const char *name; char c; } ent[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' },
		{ "quot", '"' }, { "apos", '\'' },
	};
	size_t start = sc->pos, end = sc->pos + 1, rlen, i;
	const char *r;
	uint32_t cp = 0;
	bool hex;

	while (end < sc->len && end - start < 16 && sc->s[end] != ';')
		end++;
	if (end >= sc->len || sc->s[end] != ';')
		return s_error(sc, start, "'&' that starts no reference "
		    "(write &amp;)");
	r = sc->s + start + 1;
	rlen = end - start - 1;

	for (i = 0; i < sizeof ent / sizeof ent[0]; i++) {
		if (rlen == strlen(ent[i].name) &&
		    memcmp(r, ent[i].name, rlen) == 0) {
			strbuf_addch(sb, ent[i].c);
			sc->pos = end + 1;
			return 0;
		}
	}
	if (rlen < 2 || r[0] != '#')
		return s_error(sc, start, "unknown entity '&%.*s;'",
		    (int)rlen, r);
	hex = r[1] == 'x';
	if ((i = hex ? 2 : 1) >= rlen)
		return s_error(sc, start, "empty character reference");
	for (; i < rlen; i++) {
		int d;
		char c = r[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (hex && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return s_error(sc, start, "bad character reference "
			    "'&%.*s;'", (int)rlen, r);
		cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		if (cp > 0x10FFFF)
			break;
	}
	if (!s_xml_char(cp))
		return s_error(sc, start, "character reference '&%.*s;' is "
		    "not an XML character", (int)rlen, r);
	textenc_put_utf8(sb, cp);
	sc->pos = end + 1;
	return 0;
}

/* Checks the character at pos is one XML allows; returns its length. */
static size_t
s_char(scan *sc)
{
	uint32_t c;
	size_t n = textenc_utf8_next(sc->s + sc->pos, sc->len - sc->pos, &c);

	if (n == 0 || !s_xml_char(c)) {
		s_error(sc, sc->pos, "character U+%04X is not allowed in XML",
		    n ? (unsigned)c : (unsigned char)sc->s[sc->pos]);
		return 0;
	}
	return n;
}

/* The length of the run at pos of bytes an attribute value holds as
 * they are (s_plain: no reference, no quote, no '<'). */
static size_t
s_plain_run(const scan *sc)
{
	const unsigned char *p = (const unsigned char *)sc->s + sc->pos;
	size_t n = 0, max = sc->len - sc->pos;

	while (n < max && s_plain[p[n]])
		n++;
	return n;
}

/* Keeps n bytes at v and a NUL in sc->strings: the copy. */
static char *
s_keep(scan *sc, const char *v, size_t n)
{
	char *at = sc->strings + sc->used;

	if (n + 1 > sc->len + 1 - sc->used) {
		/* Cannot happen (see scan.strings); refused, not overrun. */
		s_error(sc, sc->pos, "attribute values longer than the file");
		return NULL;
	}
	memcpy(at, v, n);
	at[n] = '\0';
	sc->used += n + 1;
	return at;
}

/* A quoted attribute value at pos, decoded and normalized: kept in
 * sc->strings. */
static char *
s_attr_value(scan *sc)
{
	char quote, *v;
	size_t start = sc->pos, n;
	strbuf sb;

	if (sc->pos >= sc->len ||
	    (sc->s[sc->pos] != '"' && sc->s[sc->pos] != '\'')) {
		s_error(sc, sc->pos, "expected a quoted attribute value");
		return NULL;
	}
	quote = sc->s[sc->pos++];
	/* Most values are plain printable ASCII: copied in one step. */
	n = s_plain_run(sc);
	if (sc->pos + n < sc->len && sc->s[sc->pos + n] == quote) {
		v = s_keep(sc, sc->s + sc->pos, n);
		sc->pos += n + 1;
		return v;
	}
	strbuf_init(&sb);
	while (sc->pos < sc->len && sc->s[sc->pos] != quote) {
		char c = sc->s[sc->pos];

		if ((n = s_plain_run(sc)) > 0) {
			strbuf_add(&sb, sc->s + sc->pos, n);
			sc->pos += n;
			continue;
		}
		if (c == '<') {
			s_error(sc, sc->pos, "'<' in an attribute value "
			    "(write &lt;)");
			goto fail;
		}
		if (c == '&') {
			if (s_reference(sc, &sb) == -1)
				goto fail;
			continue;
		}
		if (c == '\r' && sc->pos + 1 < sc->len &&
		    sc->s[sc->pos + 1] == '\n')
			sc->pos++;
		if (c == '\r' || c == '\n' || c == '\t') {
			strbuf_addch(&sb, ' ');
			sc->pos++;
			continue;
		}
		if ((n = s_char(sc)) == 0)
			goto fail;
		strbuf_add(&sb, sc->s + sc->pos, n);
		sc->pos += n;
	}
	if (sc->pos >= sc->len) {
		s_error(sc, start, "unterminated attribute value");
		goto fail;
	}
	sc->pos++;
	v = s_keep(sc, sb.data, sb.len);
	strbuf_release(&sb);
	return v;
fail:
	strbuf_release(&sb);
	return NULL;
}

typedef struct attr {
	const char *name;
	size_t nlen;
} attr;

#define MAX_ATTRS	64

/*
 * Reads the attributes of a start tag up to '>' or '/>'. Keeps the value
 * of the Group fields in f (when f is not NULL); others are checked and
 * dropped. *empty tells which end it found.
 */
static int
s_attributes(scan *sc, char *f[F_COUNT], size_t fpos[F_COUNT], bool *empty)
{
	attr seen[MAX_ATTRS];
	size_t nseen = 0;

	for (;;) {
		size_t before = sc->pos, at;
		const char *name;
		size_t nlen;
		char *v;
		int k;

		s_skip_space(sc);
		if (s_at(sc, "/>") || s_at(sc, ">")) {
			*empty = s_at(sc, "/>");
			sc->pos += *empty ? 2 : 1;
			return 0;
		}
		if (sc->pos >= sc->len)
			return s_error(sc, sc->pos, "unterminated start tag");
		if (sc->pos == before)
			return s_error(sc, sc->pos, "expected whitespace, "
			    "'>' or '/>'");
		at = sc->pos;
		if (s_name(sc, &name, &nlen, "an attribute name") == -1)
			return -1;
		for (size_t i = 0; i < nseen; i++)
			if (seen[i].nlen == nlen &&
			    memcmp(seen[i].name, name, nlen) == 0)
				return s_error(sc, at, "duplicate attribute "
				    "'%.*s'", s_clip(name, nlen), name);
		if (nseen == MAX_ATTRS)
			return s_error(sc, at, "more than %d attributes",
			    MAX_ATTRS);
		seen[nseen++] = (attr){ name, nlen };
		s_skip_space(sc);
		if (!s_at(sc, "="))
			return s_error(sc, sc->pos, "expected '=' after "
			    "attribute '%.*s'", s_clip(name, nlen), name);
		sc->pos++;
		s_skip_space(sc);
		if ((v = s_attr_value(sc)) == NULL)
			return -1;
		k = f ? s_field_of(name, nlen) : F_COUNT;
		if (k < F_COUNT && f[k])
			return s_error(sc, at, "attribute '%.*s' given twice",
			    s_clip(name, nlen), name);
		if (k < F_COUNT) {
			f[k] = v;
			fpos[k] = at;
		}
	}
}

/* Expects "</name>" at pos, the same name the start tag had. */
static int
s_end_tag(scan *sc, const char *name, size_t nlen)
{
	size_t at = sc->pos;
	const char *got;
	size_t glen;

	if (!s_at(sc, "</"))
		return s_error(sc, at, "expected '</%.*s>'", s_clip(name, nlen), name);
	sc->pos += 2;
	if (s_name(sc, &got, &glen, "an element name") == -1)
		return -1;
	if (glen != nlen || memcmp(got, name, nlen) != 0)
		return s_error(sc, at, "'</%.*s>' does not close <%.*s>",
		    s_clip(got, glen), got, s_clip(name, nlen), name);
	s_skip_space(sc);
	if (!s_at(sc, ">"))
		return s_error(sc, sc->pos, "expected '>'");
	sc->pos++;
	return 0;
}

/* One Group element; pos is just after its name. */
static int
s_group(scan *sc, size_t at, const char *name, size_t nlen,
    dsgroups_entries *out)
{
	char *f[F_COUNT] = { 0 };
	size_t fpos[F_COUNT] = { 0 };
	dsgroups_entry *e;
	bool empty;

	/* The values are in sc->strings: nothing to free on the way out. */
	if (s_attributes(sc, f, fpos, &empty) == -1)
		return -1;
	if (!empty && (s_skip_misc(sc) == -1 || s_end_tag(sc, name, nlen) == -1))
		return -1;
	for (int k = 0; k < F_COUNT; k++) {
		if (f[k] == NULL) {
			s_error(sc, at, "<%.*s> has no %s attribute",
			    s_clip(name, nlen), name, s_field_attr[k]);
			return -1;
		}
		if (f[k][0] == '\0') {
			s_error(sc, fpos[k], "%s is empty", s_field_attr[k]);
			return -1;
		}
	}
	if (out->n >= DSGROUPS_MAX_ENTRIES) {
		s_error(sc, at, "more than %d Group elements",
		    DSGROUPS_MAX_ENTRIES);
		return -1;
	}
	e = s_entry_add(out);
	e->group = f[F_GROUP];
	e->name = f[F_NAME];
	e->writer = f[F_WRITER];
	e->id = f[F_COMPONENT];
	e->start = at;
	e->end = sc->pos;
	return 0;
}

/* The root element's content, up to and including its end tag. */
static int
s_root_content(scan *sc, const char *root, size_t rlen, dsgroups_entries *out)
{
	for (;;) {
		size_t at;
		const char *name;
		size_t nlen;

		if (s_skip_misc(sc) == -1)
			return -1;
		at = sc->pos;
		if (sc->pos >= sc->len)
			return s_error(sc, at, "unterminated <%.*s> element",
			    s_clip(root, rlen), root);
		if (s_at(sc, "</")) {
			sc->root_end = at;
			return s_end_tag(sc, root, rlen);
		}
		if (sc->s[sc->pos] != '<')
			return s_error(sc, at, "unexpected text");
		sc->pos++;
		if (s_name(sc, &name, &nlen, "an element name") == -1)
			return -1;
		if (!s_local_is(name, nlen, DSG_GROUP))
			return s_error(sc, at, "unexpected element <%.*s> "
			    "(expected <%s>)", s_clip(name, nlen), name, DSG_GROUP);
		if (s_group(sc, at, name, nlen, out) == -1)
			return -1;
	}
}

static int
s_document(scan *sc, dsgroups_entries *out, char **root_name)
{
	const char *root;
	size_t rlen, at;
	bool empty;

	if (s_skip_misc(sc) == -1)
		return -1;
	at = sc->pos;
	if (sc->pos >= sc->len)
		return s_error(sc, at, "no root element");
	if (sc->s[sc->pos] != '<')
		return s_error(sc, at, "unexpected text before the root element");
	sc->pos++;
	if (s_name(sc, &root, &rlen, "an element name") == -1)
		return -1;
	if (!s_local_is(root, rlen, DSG_ROOT))
		return s_error(sc, at, "root element is <%.*s>, expected <%s>",
		    s_clip(root, rlen), root, DSG_ROOT);
	*root_name = xstrndup(root, rlen);
	if (s_attributes(sc, NULL, NULL, &empty) == -1)
		return -1;
	sc->root_empty = empty;
	sc->root_end = sc->pos - 2;	/* the "/>" when empty */
	if (!empty && s_root_content(sc, root, rlen, out) == -1)
		return -1;
	if (s_skip_misc(sc) == -1)
		return -1;
	if (sc->pos < sc->len)
		return s_error(sc, sc->pos, "content after the root element");
	return 0;
}

/* Finds the encoding and decodes to UTF-8; the error names a byte. */
static int
s_decode(const void *data, size_t len, char **text, size_t *tlen,
    textenc_kind *kindp, bool *has_bom, char **err)
{
	textenc_kind kind;
	size_t bom = textenc_bom(data, len, &kind), bad = 0;

	if (bom == 0)
		kind = textenc_guess(data, len);
	*kindp = kind;
	*has_bom = bom > 0;
	if (textenc_decode((const char *)data + bom, len - bom, kind, true,
	    text, tlen, &bad) == -1) {
		*err = xasprintf("byte %zu: invalid %s", bom + bad,
		    kind == TEXTENC_UTF8 ? "UTF-8 (or a NUL character)" :
		    "UTF-16 (unpaired surrogate, odd length or NUL)");
		return -1;
	}
	return 0;
}

int
dsgroups_parse_doc(const void *data, size_t len, dsgroups_doc *out,
    char **err)
{
	scan sc = { 0 };
	textenc_kind kind;

	*err = NULL;
	memset(out, 0, sizeof *out);
	if (data == NULL)
		data = "", len = 0;
	if (len > DSGROUPS_MAX_INPUT) {
		*err = xasprintf("file is %zu bytes, more than the %u allowed",
		    len, DSGROUPS_MAX_INPUT);
		return -1;
	}
	if (s_decode(data, len, &out->text, &out->len, &kind, &out->bom,
	    err) == -1)
		return -1;
	out->utf8 = kind == TEXTENC_UTF8;
	sc.s = out->text;
	sc.len = out->len;
	sc.strings = out->strings = xmalloc(out->len + 1);
	if (s_document(&sc, &out->entries, &out->root_name) == -1) {
		free(out->entries.v);
		memset(&out->entries, 0, sizeof out->entries);
		*err = sc.err ? sc.err : xstrdup("malformed file");
		return -1;
	}
	out->root_end = sc.root_end;
	out->root_empty = sc.root_empty;
	return 0;
}

void
dsgroups_doc_clear(dsgroups_doc *d)
{
	free(d->text);
	free(d->root_name);
	free(d->entries.v);	/* the strings are in d->strings */
	free(d->strings);
	memset(d, 0, sizeof *d);
}

int
dsgroups_parse(const void *data, size_t len, dsgroups_entries *out,
    char **err)
{
	dsgroups_doc doc = { 0 };

	if (dsgroups_parse_doc(data, len, &doc, err) == -1) {
		dsgroups_doc_clear(&doc);
		dsgroups_entries_clear(out);
		return -1;
	}
	s_entries_copy(out, &doc.entries);
	dsgroups_doc_clear(&doc);
	return 0;
}

/* ---- hash --------------------------------------------------------- */

/* An entry's hash form: ids lowercase without braces, kept in one
 * buffer (offsets: the buffer moves while it grows). */
typedef struct hkey {
	const char *group, *name;
	size_t id, writer;	/* offsets in the buffer */
	const char *buf;
} hkey;

void
dsgroups_norm_guid_add(strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0, at = sb->len;
	char *dst;

	if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
		s++;
		n -= 2;
	}
	strbuf_reserve(sb, n);
	dst = sb->data + at;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		dst[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	sb->len = at + n;
	sb->data[sb->len] = '\0';
}

char *
dsgroups_norm_guid(const char *s)
{
	strbuf sb;

	strbuf_init(&sb);
	dsgroups_norm_guid_add(&sb, s);
	return strbuf_detach(&sb, NULL);
}

static int
s_cmp_hkey(const void *va, const void *vb)
{
	const hkey *a = va, *b = vb;
	int c;

	if ((c = s_cmp_nullable(a->group, b->group)) != 0 ||
	    (c = s_cmp_nullable(a->name, b->name)) != 0 ||
	    (c = strcmp(a->buf + a->id, b->buf + b->id)) != 0)
		return c;
	return strcmp(a->buf + a->writer, b->buf + b->writer);
}

static void
s_hash_u64(crypto_generichash_state *st, uint64_t v)
{
	unsigned char b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (unsigned char)(v & 0xFF);
		v >>= 8;
	}
	crypto_generichash_update(st, b, sizeof b);
}

static void
s_hash_str(crypto_generichash_state *st, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	s_hash_u64(st, n);
	crypto_generichash_update(st, (const unsigned char *)(s ? s : ""), n);
}

/* The offset in sb of s normalized, NUL-terminated. */
static size_t
s_norm_at(strbuf *sb, const char *s)
{
	size_t at = sb->len;

	dsgroups_norm_guid_add(sb, s);
	strbuf_add(sb, "", 1);
	return at;
}

void
dsgroups_hash(const dsgroups_entries *e, char out[DSGROUPS_HASH_HEX + 1])
{
	crypto_generichash_state st;
	unsigned char digest[32];
	hkey *k = e->n ? xcalloc(e->n, sizeof *k) : NULL;
	strbuf ids;
	size_t sorted = 1;

	if (sodium_init() < 0)
		fatalx("libsodium cannot be initialised");
	strbuf_init(&ids);
	for (size_t i = 0; i < e->n; i++) {
		k[i].group = e->v[i].group;
		k[i].name = e->v[i].name;
		k[i].id = s_norm_at(&ids, e->v[i].id);
		k[i].writer = s_norm_at(&ids, e->v[i].writer);
	}
	for (size_t i = 0; i < e->n; i++)
		k[i].buf = ids.data;
	/* Entries in file order are mostly in this order already. */
	while (sorted < e->n && s_cmp_hkey(&k[sorted - 1], &k[sorted]) <= 0)
		sorted++;
	if (sorted < e->n)
		qsort(k, e->n, sizeof *k, s_cmp_hkey);
	crypto_generichash_init(&st, NULL, 0, sizeof digest);
	s_hash_str(&st, DSG_HASH_TAG);
	s_hash_u64(&st, e->n);
	for (size_t i = 0; i < e->n; i++) {
		s_hash_str(&st, k[i].group);
		s_hash_str(&st, k[i].name);
		s_hash_str(&st, ids.data + k[i].id);
		s_hash_str(&st, ids.data + k[i].writer);
	}
	free(k);
	strbuf_release(&ids);
	crypto_generichash_final(&st, digest, sizeof digest);
	sodium_bin2hex(out, DSGROUPS_HASH_HEX + 1, digest, sizeof digest);
}

void
dsgroups_plan_hash(const plan *p, char out[DSGROUPS_HASH_HEX + 1])
{
	dsgroups_plan_hash_as(p, NULL, out);
}

void
dsgroups_plan_hash_as(const plan *p, const char *cluster,
    char out[DSGROUPS_HASH_HEX + 1])
{
	dsgroups_view v = { 0 };

	dsgroups_view_add_plan(&v, p, cluster);
	dsgroups_hash(&v.entries, out);
	dsgroups_view_clear(&v);
}
