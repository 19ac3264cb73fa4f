/*
 * evidence.c: parsers for VSS provider lists and the DPM agent log
 * (evidence.h). Called by the Windows backend and by diagnosis; tests
 * and fuzzers feed them captured and hostile text.
 *
 * Both provider lists are "Key: value" lines, one record per provider;
 * the log is searched from its end for the snapshot requestor's line.
 * Everything is decoded to UTF-8 first (invalid bytes become U+FFFD), so
 * what comes out is always valid UTF-8.
 */
#include "evidence.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "textenc.h"
#include "xalloc.h"

/* The words the tools print (English output). */
#define SNAP_MARK	"CVssSnapshotRequestor::"
#define SNAP_PROVIDER	"ProviderId:["
#define SNAP_HARDWARE	"h/w provider:["
#define SNAP_VOLUME	"volume:["

static const struct {
	const char *word;	/* vssadmin "Provider type:" or diskshadow */
	provider_type type;
} s_type_words[] = {
	{ "System", PROVIDER_SYSTEM },
	{ "Software", PROVIDER_SOFTWARE },
	{ "Hardware", PROVIDER_HARDWARE },
	{ "VSS_PROV_SYSTEM", PROVIDER_SYSTEM },
	{ "VSS_PROV_SOFTWARE", PROVIDER_SOFTWARE },
	{ "VSS_PROV_HARDWARE", PROVIDER_HARDWARE },
};

/* ---- lists and small helpers -------------------------------------- */

static void
s_provider_clear(evidence_provider *p)
{
	free(p->id);
	free(p->name);
	free(p->type_name);
	free(p->version);
	free(p->clsid);
	memset(p, 0, sizeof *p);
	p->type = EVIDENCE_TYPE_UNKNOWN;
}

void
evidence_providers_clear(evidence_providers *l)
{
	for (size_t i = 0; i < l->n; i++)
		s_provider_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void
evidence_snapshot_clear(evidence_snapshot *s)
{
	free(s->provider_id);
	free(s->volume);
	free(s->line);
	memset(s, 0, sizeof *s);
}

static int
s_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
evidence_guid(const char *id, size_t len, char out[39])
{
	if (len == 38 && id[0] == '{' && id[37] == '}') {
		id++;
		len -= 2;
	}
	if (len != 36)
		return false;
	out[0] = '{';
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? id[i] != '-' : s_hex(id[i]) < 0)
			return false;
		out[i + 1] = (char)tolower((unsigned char)id[i]);
	}
	out[37] = '}';
	out[38] = '\0';
	return true;
}

static bool
s_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

/* Trims [*s, *s + *n) in place. */
static void
s_trim(const char **s, size_t *n)
{
	while (*n && s_is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && s_is_space((*s)[*n - 1]))
		(*n)--;
}

/* Case-insensitive search for an ASCII needle. */
static const char *
s_find_ci(const char *h, size_t hlen, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= hlen && i <= hlen - n; i++)
		if (strncasecmp(h + i, needle, n) == 0)
			return h + i;
	return NULL;
}

/* Decodes the input to UTF-8, whatever it came in. */
static int
s_text(const void *data, size_t len, char **text, size_t *tlen, char **err)
{
	textenc_kind kind;
	size_t bom;

	*err = NULL;
	if (len > EVIDENCE_MAX_INPUT) {
		*err = xasprintf("input is %zu bytes, more than the %u allowed",
		    len, EVIDENCE_MAX_INPUT);
		return -1;
	}
	if (data == NULL)
		data = "", len = 0;
	if ((bom = textenc_bom(data, len, &kind)) == 0)
		kind = textenc_guess(data, len);
	textenc_decode((const char *)data + bom, len - bom, kind, false,
	    text, tlen, NULL);
	return 0;
}

/* ---- provider lists ----------------------------------------------- */

typedef enum field {
	FLD_NONE, FLD_ID, FLD_NAME, FLD_TYPE, FLD_VERSION, FLD_CLSID,
} field;

typedef struct keyword {
	const char *key;	/* before the ':', any case */
	field f;
	bool starts;		/* always starts a new record */
} keyword;

static const keyword s_vssadmin_keys[] = {
	{ "Provider name", FLD_NAME, true },
	{ "Provider type", FLD_TYPE, false },
	{ "Provider Id", FLD_ID, false },
	{ "Version", FLD_VERSION, false },
};

static const keyword s_diskshadow_keys[] = {
	{ "ProviderID", FLD_ID, true },
	{ "Type", FLD_TYPE, false },
	{ "Name", FLD_NAME, false },
	{ "Version", FLD_VERSION, false },
	{ "CLSID", FLD_CLSID, false },
};

typedef struct lister {
	const keyword *keys;
	size_t nkeys;
	evidence_providers *out;
	evidence_provider cur;
	bool open;		/* cur holds at least one field */
} lister;

static char **
s_slot(evidence_provider *p, field f)
{
	switch (f) {
	case FLD_ID: return &p->id;
	case FLD_NAME: return &p->name;
	case FLD_TYPE: return &p->type_name;
	case FLD_VERSION: return &p->version;
	case FLD_CLSID: return &p->clsid;
	default: return NULL;
	}
}

/* Ends the current record: kept if its id is a GUID. */
static void
s_flush(lister *ls)
{
	evidence_provider *p = &ls->cur;
	char guid[39];

	if (!ls->open)
		return;
	ls->open = false;
	if (p->id == NULL || !evidence_guid(p->id, strlen(p->id), guid) ||
	    ls->out->n >= EVIDENCE_MAX_PROVIDERS) {
		s_provider_clear(p);
		return;
	}
	free(p->id);
	p->id = xstrdup(guid);
	if (p->clsid) {
		bool ok = evidence_guid(p->clsid, strlen(p->clsid), guid);

		free(p->clsid);
		p->clsid = ok ? xstrdup(guid) : NULL;
	}
	xgrow(&ls->out->v, &ls->out->cap, ls->out->n + 1, sizeof *ls->out->v);
	ls->out->v[ls->out->n++] = *p;
	memset(p, 0, sizeof *p);
	p->type = EVIDENCE_TYPE_UNKNOWN;
}

/* "[3] VSS_PROV_HARDWARE", "Hardware", "3": the type and its name. */
static void
s_set_type(evidence_provider *p, const char *v, size_t n)
{
	long num = -1;

	if (n && v[0] == '[') {
		const char *close = memchr(v, ']', n);

		if (close && close - v > 1 && close - v < 4) {
			num = 0;
			for (const char *d = v + 1; d < close; d++)
				num = isdigit((unsigned char)*d) ?
				    num * 10 + (*d - '0') : -1000;
		}
		if (close) {
			n -= (size_t)(close + 1 - v);
			v = close + 1;
			s_trim(&v, &n);
		}
	}
	p->type_name = n ? xstrndup(v, n) : NULL;
	p->type = EVIDENCE_TYPE_UNKNOWN;
	for (size_t i = 0; i < sizeof s_type_words / sizeof s_type_words[0];
	    i++) {
		if (n == strlen(s_type_words[i].word) &&
		    strncasecmp(v, s_type_words[i].word, n) == 0) {
			p->type = s_type_words[i].type;
			return;
		}
	}
	/* VSS_PROVIDER_TYPE: 1 system, 2 software, 3 hardware. */
	if (num >= 1 && num <= 3)
		p->type = num == 1 ? PROVIDER_SYSTEM : num == 2 ?
		    PROVIDER_SOFTWARE : PROVIDER_HARDWARE;
}

static void
s_list_line(lister *ls, const char *line, size_t n)
{
	const char *colon, *v;
	const keyword *kw = NULL;
	size_t klen, vlen;
	char **slot;

	s_trim(&line, &n);
	if (n == 0) {
		s_flush(ls);
		return;
	}
	/* diskshadow marks each record's first line with "* ". */
	if (line[0] == '*') {
		line++;
		n--;
		s_trim(&line, &n);
	}
	if ((colon = memchr(line, ':', n)) == NULL)
		return;
	klen = (size_t)(colon - line);
	v = colon + 1;
	vlen = n - klen - 1;
	s_trim(&line, &klen);
	s_trim(&v, &vlen);
	for (size_t i = 0; i < ls->nkeys; i++)
		if (klen == strlen(ls->keys[i].key) &&
		    strncasecmp(line, ls->keys[i].key, klen) == 0)
			kw = &ls->keys[i];
	if (kw == NULL)
		return;
	slot = s_slot(&ls->cur, kw->f);
	if (kw->starts || *slot != NULL)
		s_flush(ls);
	slot = s_slot(&ls->cur, kw->f);
	ls->open = true;
	if (kw->f == FLD_NAME && vlen >= 2 && v[0] == '\'' &&
	    v[vlen - 1] == '\'') {
		v++;
		vlen -= 2;
	}
	if (kw->f == FLD_TYPE)
		s_set_type(&ls->cur, v, vlen);
	else
		*slot = xstrndup(v, vlen);
}

static int
s_parse_list(const void *data, size_t len, const keyword *keys, size_t nkeys,
    evidence_providers *out, char **err)
{
	lister ls = { keys, nkeys, out, { .type = EVIDENCE_TYPE_UNKNOWN },
	    false };
	char *text;
	size_t tlen, start = 0;

	if (s_text(data, len, &text, &tlen, err) == -1)
		return -1;
	for (size_t i = 0; i <= tlen; i++) {
		if (i < tlen && text[i] != '\n')
			continue;
		s_list_line(&ls, text + start, i - start);
		start = i + 1;
	}
	s_flush(&ls);
	s_provider_clear(&ls.cur);
	free(text);
	return (int)out->n;
}

int
evidence_parse_vssadmin(const void *data, size_t len, evidence_providers *out,
    char **err)
{
	return s_parse_list(data, len, s_vssadmin_keys,
	    sizeof s_vssadmin_keys / sizeof s_vssadmin_keys[0], out, err);
}

int
evidence_parse_diskshadow(const void *data, size_t len,
    evidence_providers *out, char **err)
{
	return s_parse_list(data, len, s_diskshadow_keys,
	    sizeof s_diskshadow_keys / sizeof s_diskshadow_keys[0], out, err);
}

const evidence_provider *
evidence_providers_find(const evidence_providers *l, const char *id)
{
	char want[39];

	if (id == NULL || !evidence_guid(id, strlen(id), want))
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, want) == 0)
			return &l->v[i];
	return NULL;
}

/* ---- the agent log ------------------------------------------------ */

/* "ProviderId:[{guid}]" in the line, after the requestor's mark. */
static bool
s_snapshot_provider(const char *line, size_t n, char guid[39])
{
	const char *m, *v, *close;
	size_t rest;

	if ((m = s_find_ci(line, n, SNAP_MARK)) == NULL)
		return false;
	rest = n - (size_t)(m - line);
	if ((m = s_find_ci(m, rest, SNAP_PROVIDER)) == NULL)
		return false;
	v = m + strlen(SNAP_PROVIDER);
	rest = n - (size_t)(v - line);
	if ((close = memchr(v, ']', rest)) == NULL)
		return false;
	return evidence_guid(v, (size_t)(close - v), guid);
}

/* "h/w provider:[N]": N decimal or 0x hex; true when not zero. */
static bool
s_snapshot_hardware(const char *line, size_t n)
{
	const char *m = s_find_ci(line, n, SNAP_HARDWARE), *end = line + n;
	bool hex = false;

	if (m == NULL)
		return false;
	m += strlen(SNAP_HARDWARE);
	if (end - m > 2 && m[0] == '0' && (m[1] == 'x' || m[1] == 'X')) {
		hex = true;
		m += 2;
	}
	for (; m < end && *m != ']'; m++) {
		if (hex ? s_hex(*m) < 0 : !isdigit((unsigned char)*m))
			return false;
		if (*m != '0')
			return true;
	}
	return false;
}

/* "volume:[...]": up to the line's last ']'. Owned or NULL. */
static char *
s_snapshot_volume(const char *line, size_t n)
{
	const char *m = s_find_ci(line, n, SNAP_VOLUME), *end;

	if (m == NULL)
		return NULL;
	m += strlen(SNAP_VOLUME);
	for (end = line + n; end > m && end[-1] != ']'; end--)
		;
	if (end == m)
		return NULL;
	return xstrndup(m, (size_t)(end - 1 - m));
}

int
evidence_last_snapshot(const void *data, size_t len, evidence_snapshot *out,
    char **err)
{
	char *text, guid[39];
	size_t tlen, end;

	if (s_text(data, len, &text, &tlen, err) == -1)
		return -1;
	for (end = tlen;;) {
		size_t start = end;
		const char *line;
		size_t n;

		while (start > 0 && text[start - 1] != '\n')
			start--;
		line = text + start;
		n = end - start;
		s_trim(&line, &n);
		if (n && s_snapshot_provider(line, n, guid)) {
			out->provider_id = xstrdup(guid);
			out->hardware = s_snapshot_hardware(line, n);
			out->volume = s_snapshot_volume(line, n);
			out->line = xstrndup(line, n);
			free(text);
			return 1;
		}
		if (start == 0)
			break;
		end = start - 1;
	}
	free(text);
	return 0;
}
