/*
 * policy.c: the ClusterPolicy language (policy.h). Walks the position-tagged
 * YAML tree of ydoc.c against the schema of the contract, reports every
 * problem it finds (it never stops at the first), builds the typed model,
 * renders the canonical text and its BLAKE2b hash, and decides which guests
 * a policy covers. Callers: cli/validate.c, the controller (revisions, the
 * canonical text it pushes), the node (desired state, guest coverage).
 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "platform.h"
#include "strbuf.h"
#include "strsort.h"
#include "xalloc.h"
#include "ydoc.h"

const char *const POLICY_MODE_NAMES[] = { "enforce", "audit", NULL };
const char *const POLICY_STRATEGY_NAMES[] = {
	"system-software", "hardware-saved-state", NULL,
};
const char *const HOST_ROLE_NAMES[] = { "hyperv-node", "dpm-server", NULL };
static const char *const s_ensure_names[] = { "present", "absent", NULL };

#define NAME_MAX_LEN 63
#define PER_NODE_MAX 64
#define INTERVAL_MIN 5
#define INTERVAL_MAX 86400
#define STDIN_LABEL "<stdin>"
#define PATH_LEN 128

/* ------------------------------------------------------------------ */
/* Globs                                                                */

/* Decodes one UTF-8 character at *sp and advances past it. A byte that
 * does not start a well-formed sequence stands for itself. */
static uint32_t
s_utf8_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	uint32_t c = s[0];
	size_t n;

	if (c < 0x80) {
		*sp += 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
	} else {
		*sp += 1;
		return c;
	}
	for (size_t i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp += 1;
			return s[0];
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*sp += n + 1;
	return c;
}

static uint32_t
s_fold(uint32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Matches folded character c against the class that starts at p ('[').
 * Returns 1 or 0 and sets *end past the closing ']'; -1 when the class is
 * not closed. A ']' right after '[' or '[!' is a member. *reversed (when
 * given) is set for a range whose start is after its end. */
static int
s_class(const char *p, uint32_t c, const char **end, bool *reversed)
{
	const char *q = p + 1;
	bool neg = false, hit = false, first = true;

	if (*q == '!' || *q == '^') {
		neg = true;
		q++;
	}
	while (*q != '\0' && (*q != ']' || first)) {
		uint32_t lo, hi;

		first = false;
		lo = s_fold(s_utf8_next(&q));
		hi = lo;
		if (q[0] == '-' && q[1] != '\0' && q[1] != ']') {
			q++;
			hi = s_fold(s_utf8_next(&q));
		}
		if (lo > hi && reversed != NULL)
			*reversed = true;
		if (lo <= c && c <= hi)
			hit = true;
	}
	if (*q != ']')
		return -1;
	*end = q + 1;
	return hit != neg;
}

/*
 * One pass with a single remembered star: on a mismatch, the last '*'
 * takes one more character and matching resumes after it. Later stars
 * supersede earlier ones, so the cost is O(len(pattern) * len(text)) and
 * patterns such as *a*a*a*a*b cannot blow up.
 */
bool
glob_match_ci(const char *pattern, const char *text)
{
	const char *p = pattern, *t = text;
	const char *star_p = NULL, *star_t = NULL;

	while (*t != '\0') {
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return true;
			star_p = p;
			star_t = t;
			continue;
		}
		if (*p != '\0') {
			const char *tn = t, *pn = p;
			uint32_t tc = s_fold(s_utf8_next(&tn));
			int ok = -1;

			if (*p == '?') {
				ok = 1;
				pn = p + 1;
			} else if (*p == '[') {
				ok = s_class(p, tc, &pn, NULL);
			}
			if (ok == -1) {	/* a literal, or an unclosed '[' */
				pn = p;
				ok = s_fold(s_utf8_next(&pn)) == tc;
			}
			if (ok) {
				p = pn;
				t = tn;
				continue;
			}
		}
		if (star_p == NULL)
			return false;
		p = star_p;
		(void)s_utf8_next(&star_t);
		t = star_t;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Why a glob is malformed, or NULL. */
static const char *
s_glob_problem(const char *g)
{
	for (const char *p = g; *p != '\0';) {
		const char *end;
		bool reversed = false;

		if (*p != '[') {
			p++;
			continue;
		}
		if (s_class(p, 0, &end, &reversed) == -1)
			return "'[' without a closing ']'";
		if (reversed)
			return "a range in [...] whose start comes after its end";
		p = end;
	}
	return NULL;
}

bool
policy_covers_guest(const policy *p, const char *guest_name)
{
	bool in = false;

	for (size_t i = 0; i < p->ninclude && !in; i++)
		in = glob_match_ci(p->include[i], guest_name);
	if (!in)
		return false;
	for (size_t i = 0; i < p->nexclude; i++)
		if (glob_match_ci(p->exclude[i], guest_name))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The model                                                            */

void
policy_free(policy **pp)
{
	policy *p = *pp;

	if (p == NULL)
		return;
	free(p->name);
	free(p->description);
	free(p->cluster);
	free(p->dpm_server);
	ystr_list_free(&p->include, &p->ninclude);
	ystr_list_free(&p->exclude, &p->nexclude);
	for (size_t i = 0; i < p->nregistry; i++) {
		free(p->registry[i].key);
		free(p->registry[i].value);
		reg_value_clear(&p->registry[i].data);
	}
	free(p->registry);
	free(p);
	*pp = NULL;
}

static const char *
s_name_of(const char *const *table, int index)
{
	for (int i = 0; table[i] != NULL; i++)
		if (i == index)
			return table[i];
	return "?";
}

/* Registry paths compared case-insensitively, with '\' ordered before
 * every other character so that a key and everything below it sort
 * together: K, K\A, K\B, K-other. */
static int
s_key_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (;; x++, y++) {
		unsigned cx = *x == '\\' ? 1u : *x == 0 ? 0u : s_fold(*x) + 1u;
		unsigned cy = *y == '\\' ? 1u : *y == 0 ? 0u : s_fold(*y) + 1u;

		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx == 0)
			return 0;
	}
}

/* True when key equals base or lies below it (case-insensitive). */
static bool
s_key_within(const char *key, const char *base)
{
	size_t n = strlen(base);

	return strncasecmp(key, base, n) == 0 &&
	    (key[n] == '\0' || key[n] == '\\');
}

/* Value names: NULL (the key itself) first, then case-insensitive. */
static int
s_value_cmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcasecmp(a, b);
}

/* Same registry location: key and value name, case-insensitive. */
static int
s_res_cmp_ci(const policy_registry *a, const policy_registry *b)
{
	int c = s_key_cmp(a->key, b->key);

	return c != 0 ? c : s_value_cmp(a->value, b->value);
}

/* Total order used by the canonical form: location, then exact case. */
static int
s_res_cmp(const void *pa, const void *pb)
{
	const policy_registry *a = *(const policy_registry *const *)pa;
	const policy_registry *b = *(const policy_registry *const *)pb;
	int c = s_res_cmp_ci(a, b);

	if (c == 0)
		c = strcmp(a->key, b->key);
	if (c == 0)
		c = strsort_compare(a->value, b->value);
	return c;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

typedef struct pctx {
	const ydoc *doc;
	diag_list *d;
	policy *p;
	bool failed;
	bool strategy_known;
} pctx;

static void
s_err(pctx *c, const ynode *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
s_err(pctx *c, const ynode *n, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ydiag(c->doc, n, path, c->d, "%s", msg);
	c->failed = true;
}

/* Formats a key path into buf (paths are short; a long one is cut). */
static const char *
s_pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *
s_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

/* Marks the parse failed when a ydoc helper reported a problem. */
static int
s_chk(pctx *c, int rc)
{
	if (rc == -1)
		c->failed = true;
	return rc;
}

/* A short, printable rendering of user text for messages. */
static const char *
s_show(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (o + 8 >= size) {
			/* Do not cut a UTF-8 sequence in half. */
			while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0xc0)
				o--;
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
	return buf;
}

static bool
s_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* The key node whose value is `value` in map (for errors about a key). */
static const ynode *
s_key_node(const ynode *map, const ynode *value)
{
	for (size_t i = 0; i < map->count; i++)
		if (map->values[i] == value)
			return map->keys[i];
	return value;
}

/* A string that must be given exactly as `want`. */
static void
s_literal(pctx *c, const ynode *n, const char *path, const char *want)
{
	char *s = NULL;
	char show[80];

	if (n == NULL || s_chk(c, yget_str(c->doc, n, path, &s, c->d)) == -1)
		return;
	if (strcmp(s, want) != 0)
		s_err(c, n, path, "expected %s, got '%s'", want,
		    s_show(s, show, sizeof show));
	free(s);
}

/* A non-empty name without control characters (cluster, node names). */
static int
s_name(pctx *c, const ynode *n, const char *path, const char *what,
    char **out)
{
	if (s_chk(c, yget_str(c->doc, n, path, out, c->d)) == -1)
		return -1;
	if (**out == '\0')
		s_err(c, n, path, "expected %s, got an empty string", what);
	else if (s_has_control(*out))
		s_err(c, n, path, "expected %s without control characters",
		    what);
	else
		return 0;
	free(*out);
	*out = NULL;
	return -1;
}

static bool
s_policy_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void
s_parse_metadata(pctx *c, const ynode *m)
{
	ynode *name, *desc;
	yfield f[] = {
		{ "name", &name, true },
		{ "description", &desc, false },
	};
	char show[80];

	s_chk(c, ymap_check(c->doc, m, "metadata", f, 2, c->d));
	if (name != NULL && s_chk(c, yget_str(c->doc, name, "metadata.name",
	    &c->p->name, c->d)) == 0 && !s_policy_name_ok(c->p->name))
		s_err(c, name, "metadata.name", "expected 1 to %d characters, "
		    "each a-z, 0-9 or '-', got '%s'", NAME_MAX_LEN,
		    s_show(c->p->name, show, sizeof show));
	if (desc != NULL)
		s_chk(c, yget_str(c->doc, desc, "metadata.description",
		    &c->p->description, c->d));
}

static void
s_parse_serialization(pctx *c, const ynode *spec, const ynode *ser)
{
	ynode *per_node, *per_csv, *dpm;
	yfield f[] = {
		{ "perNode", &per_node, false },
		{ "perCsv", &per_csv, false },
		{ "dpmServer", &dpm, false },
	};
	policy *p = c->p;
	bool sw = c->strategy_known && p->strategy == STRATEGY_SYSTEM_SOFTWARE;
	int64_t v;

	if (ser == NULL) {
		if (sw)
			s_err(c, spec, "spec.serialization.dpmServer",
			    "required with strategy system-software: add a "
			    "serialization block naming the dpm-server node "
			    "(dpmServer: NAME)");
		return;
	}
	if (c->strategy_known && p->strategy == STRATEGY_HARDWARE_SAVED_STATE) {
		s_err(c, s_key_node(spec, ser), "spec.serialization",
		    "only allowed with strategy system-software; "
		    "hardware-saved-state serializes nothing, remove this block");
		return;
	}
	if (s_chk(c, yget_map(c->doc, ser, "spec.serialization", c->d)) == -1)
		return;
	s_chk(c, ymap_check(c->doc, ser, "spec.serialization", f, 3, c->d));
	if (per_node != NULL && s_chk(c, yget_int(c->doc, per_node,
	    "spec.serialization.perNode", 1, PER_NODE_MAX, &v, c->d)) == 0)
		p->per_node = (int)v;
	if (per_csv != NULL)
		s_chk(c, yget_bool(c->doc, per_csv, "spec.serialization.perCsv",
		    &p->per_csv, c->d));
	if (dpm != NULL)
		s_name(c, dpm, "spec.serialization.dpmServer",
		    "the name of the dpm-server node", &p->dpm_server);
	else if (sw)
		s_err(c, ser, "spec.serialization.dpmServer",
		    "required with strategy system-software: the name of the "
		    "dpm-server node that keeps the serialization settings");
}

static void
s_parse_globs(pctx *c, const ynode *n, const char *path, char ***out,
    size_t *count)
{
	char ip[PATH_LEN];
	char show[80];
	const char *why;

	if (s_chk(c, yget_str_list(c->doc, n, path, out, count, c->d)) == -1)
		return;
	for (size_t i = 0; i < *count; i++) {
		const char *g = (*out)[i];

		s_pathf(ip, sizeof ip, "%s[%zu]", path, i);
		if (*g == '\0')
			s_err(c, n->values[i], ip, "expected a non-empty glob "
			    "(* matches any guest name)");
		else if (s_has_control(g))
			s_err(c, n->values[i], ip, "expected a glob without "
			    "control characters");
		else if ((why = s_glob_problem(g)) != NULL)
			s_err(c, n->values[i], ip, "invalid glob '%s': %s",
			    s_show(g, show, sizeof show), why);
	}
}

static void
s_parse_guests(pctx *c, const ynode *g, bool *have_include)
{
	ynode *inc, *exc;
	yfield f[] = {
		{ "include", &inc, false },
		{ "exclude", &exc, false },
	};

	s_chk(c, ymap_check(c->doc, g, "spec.guests", f, 2, c->d));
	if (inc != NULL) {
		*have_include = true;
		s_parse_globs(c, inc, "spec.guests.include", &c->p->include,
		    &c->p->ninclude);
	}
	if (exc != NULL)
		s_parse_globs(c, exc, "spec.guests.exclude", &c->p->exclude,
		    &c->p->nexclude);
}

static int
s_parse_roles(pctx *c, const ynode *n, const char *path, unsigned *out)
{
	char ip[PATH_LEN];
	unsigned set = 0;
	int rc = 0, role;

	if (s_chk(c, yget_seq(c->doc, n, path, c->d)) == -1)
		return -1;
	if (n->count == 0) {
		s_err(c, n, path, "expected at least one of hyperv-node, "
		    "dpm-server");
		return -1;
	}
	for (size_t i = 0; i < n->count; i++) {
		s_pathf(ip, sizeof ip, "%s[%zu]", path, i);
		if (s_chk(c, yget_enum(c->doc, n->values[i], ip, HOST_ROLE_NAMES,
		    &role, c->d)) == -1) {
			rc = -1;
		} else if (set & ROLE_BIT(role)) {
			s_err(c, n->values[i], ip, "duplicate role '%s'",
			    HOST_ROLE_NAMES[role]);
			rc = -1;
		} else {
			set |= ROLE_BIT(role);
		}
	}
	if (rc == 0)
		*out = set;
	return rc;
}

static const char *
s_data_expected(reg_type t)
{
	switch (t) {
	case REG_T_DWORD:
		return "an integer from 0 to 4294967295 (decimal or 0x hex)";
	case REG_T_QWORD:
		return "an integer from 0 to 18446744073709551615 "
		    "(decimal or 0x hex)";
	case REG_T_MULTI_SZ:
		return "a list of strings";
	case REG_T_BINARY:
		return "an even-length hex string";
	default:
		return "a string";
	}
}

static int
s_parse_data(pctx *c, const ynode *data, const char *path, reg_type t,
    reg_value *v)
{
	char show[80];

	if (ynode_is_null(data)) {
		s_err(c, data, path, "expected %s for %s, got nothing",
		    s_data_expected(t), reg_type_name(t));
		return -1;
	}
	if ((t == REG_T_DWORD || t == REG_T_QWORD) &&
	    data->kind == YNODE_SCALAR && !data->plain) {
		s_err(c, data, path, "expected %s for %s, got the quoted string "
		    "'%s'; write the number without quotes", s_data_expected(t),
		    reg_type_name(t), s_show(data->text, show, sizeof show));
		return -1;
	}
	if (reg_value_from_yaml(c->doc, data, path, t, v, c->d) == -1) {
		reg_value_clear(v);
		c->failed = true;
		return -1;
	}
	return 0;
}

/* The type/data rules, which depend on ensure and on value. */
static int
s_parse_typed(pctx *c, const ynode *item, const char *path, bool has_value,
    const ynode *type, const ynode *data, policy_registry *r)
{
	char kp[PATH_LEN];
	const ynode *extra[2] = { type, data };
	const char *extra_name[2] = { "type", "data" };
	strbuf types;
	int rc = 0, idx;

	if (!r->present || !has_value) {
		for (size_t i = 0; i < 2; i++) {
			if (extra[i] == NULL)
				continue;
			s_pathf(kp, sizeof kp, "%s.%s", path, extra_name[i]);
			if (!r->present)
				s_err(c, s_key_node(item, extra[i]), kp,
				    "not allowed with ensure: absent (what is "
				    "removed has no type or data)");
			else
				s_err(c, s_key_node(item, extra[i]), kp,
				    "not allowed without value: this resource "
				    "manages the key itself; add value: NAME to "
				    "manage a value of the key");
			rc = -1;
		}
		return rc;
	}
	s_pathf(kp, sizeof kp, "%s.type", path);
	if (type == NULL) {
		strbuf_init(&types);
		for (int i = 0; REG_TYPE_NAMES[i] != NULL; i++)
			strbuf_addf(&types, "%s%s", i ? ", " : "",
			    REG_TYPE_NAMES[i]);
		s_err(c, item, kp, "required with value and ensure: present; "
		    "expected one of %s", types.data);
		strbuf_release(&types);
		return -1;
	}
	if (s_chk(c, yget_enum(c->doc, type, kp, REG_TYPE_NAMES, &idx,
	    c->d)) == -1)
		return -1;
	s_pathf(kp, sizeof kp, "%s.data", path);
	if (data == NULL) {
		s_err(c, item, kp, "required with type %s; expected %s",
		    REG_TYPE_NAMES[idx], s_data_expected(REG_T_SZ + idx));
		return -1;
	}
	return s_parse_data(c, data, kp, (reg_type)(REG_T_SZ + idx), &r->data);
}

/* Returns 0 when the resource is valid; *located tells whether its key
 * and value name are known, so duplicates are found even among resources
 * with other errors. */
static int
s_parse_resource(pctx *c, const ynode *item, size_t index, policy_registry *r,
    bool *located)
{
	ynode *key, *value, *type, *data, *ensure, *roles;
	yfield f[] = {
		{ "key", &key, true },
		{ "value", &value, false },
		{ "type", &type, false },
		{ "data", &data, false },
		{ "ensure", &ensure, false },
		{ "roles", &roles, false },
	};
	char path[PATH_LEN], kp[PATH_LEN];
	char show[80];
	bool bad = false, ensure_ok = true;
	int e;

	s_pathf(path, sizeof path, "spec.registry[%zu]", index);
	r->line = item->line;
	r->column = item->column;
	r->present = true;
	r->roles = ROLE_BIT(ROLE_HYPERV_NODE);
	if (ymap_check(c->doc, item, path, f, 6, c->d) == -1)
		bad = true;
	*located = false;
	if (item->kind != YNODE_MAP) {
		c->failed = true;
		return -1;
	}
	if (key != NULL) {
		char *raw = NULL;
		const char *why = NULL;

		s_pathf(kp, sizeof kp, "%s.key", path);
		if (yget_str(c->doc, key, kp, &raw, c->d) == -1) {
			bad = true;
		} else if ((r->key = reg_key_canonical(raw, &why)) == NULL) {
			s_err(c, key, kp, "%s, got '%s'", why,
			    s_show(raw, show, sizeof show));
			bad = true;
		}
		free(raw);
	}
	s_pathf(kp, sizeof kp, "%s.value", path);
	if (value != NULL && yget_str(c->doc, value, kp, &r->value, c->d) == -1)
		bad = true;
	*located = r->key != NULL && (value == NULL || r->value != NULL);
	s_pathf(kp, sizeof kp, "%s.ensure", path);
	if (ensure != NULL) {
		if (yget_enum(c->doc, ensure, kp, s_ensure_names, &e,
		    c->d) == -1) {
			bad = true;
			ensure_ok = false;
		} else {
			r->present = e == 0;
		}
	}
	s_pathf(kp, sizeof kp, "%s.roles", path);
	if (roles != NULL && s_parse_roles(c, roles, kp, &r->roles) == -1)
		bad = true;
	/* With ensure unknown the type/data rules cannot be chosen. */
	if (ensure_ok && s_parse_typed(c, item, path, value != NULL, type, data,
	    r) == -1)
		bad = true;
	if (bad)
		c->failed = true;
	return bad ? -1 : 0;
}

/* Where the strategy itself keeps a registry setting. */
typedef struct builtin {
	const char *key;
	const char *value;
	bool present;
	host_role role;
} builtin;

static size_t
s_builtins(policy_strategy s, builtin out[2])
{
	if (s == STRATEGY_SYSTEM_SOFTWARE) {
		out[0] = (builtin){ DPM_USE_SYSTEM_PROVIDER_KEY, NULL, true,
		    ROLE_HYPERV_NODE };
		out[1] = (builtin){ DPM_PARALLEL_KEY, DPM_PARALLEL_VALUE, true,
		    ROLE_DPM_SERVER };
		return 2;
	}
	out[0] = (builtin){ DPM_USE_SYSTEM_PROVIDER_KEY, NULL, false,
	    ROLE_HYPERV_NODE };
	return 1;
}

static void
s_describe_location(const policy_registry *r, char *buf, size_t size)
{
	char k[80], v[80];

	if (r->value != NULL)
		snprintf(buf, size, "key '%s' value '%s'",
		    s_show(r->key, k, sizeof k), s_show(r->value, v, sizeof v));
	else
		snprintf(buf, size, "key '%s'", s_show(r->key, k, sizeof k));
}

/* A resource that fights the strategy's own settings. */
static void
s_check_builtins(pctx *c, const policy_registry *r, size_t index)
{
	builtin b[2];
	size_t n;
	char path[PATH_LEN];
	const char *strategy = POLICY_STRATEGY_NAMES[c->p->strategy];

	if (!c->strategy_known)
		return;
	n = s_builtins(c->p->strategy, b);
	s_pathf(path, sizeof path, "spec.registry[%zu]", index);
	for (size_t i = 0; i < n; i++) {
		const ynode pos = { .line = r->line, .column = r->column };
		const char *role = HOST_ROLE_NAMES[b[i].role];

		if (!(r->roles & ROLE_BIT(b[i].role)))
			continue;
		if (s_key_cmp(r->key, b[i].key) == 0 &&
		    s_value_cmp(r->value, b[i].value) == 0)
			s_err(c, &pos, path, "strategy %s already manages this "
			    "location on %s; remove this resource", strategy,
			    role);
		else if (b[i].present && !r->present && r->value == NULL &&
		    s_key_within(b[i].key, r->key))
			s_err(c, &pos, path, "removing this key on %s would "
			    "remove %s, which strategy %s keeps present",
			    role, b[i].key, strategy);
		else if (!b[i].present && r->present &&
		    s_key_within(r->key, b[i].key))
			s_err(c, &pos, path, "this would create %s on %s, "
			    "which strategy %s keeps absent", b[i].key, role,
			    strategy);
	}
}

/*
 * Checks across resources, on the resources that parsed: the same
 * location twice, a key removed while something inside it is kept
 * present, and resources that fight the strategy. Sorting by location
 * keeps this O(n log n) for any number of resources: equal locations are
 * adjacent, and everything below a key follows the key.
 */
static void
s_check_resources(pctx *c, const bool *ok, const bool *located)
{
	policy *p = c->p;
	const policy_registry **v = xcalloc(p->nregistry + 1, sizeof *v);
	size_t n = 0, m = 0;
	char path[PATH_LEN], where[400];

	for (size_t i = 0; i < p->nregistry; i++) {
		if (ok[i])
			s_check_builtins(c, &p->registry[i], i);
		if (located[i])
			v[n++] = &p->registry[i];
	}
	qsort(v, n, sizeof *v, s_res_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1, first = i;

		while (j < n && s_res_cmp_ci(v[i], v[j]) == 0) {
			if (v[j]->line < v[first]->line ||
			    (v[j]->line == v[first]->line &&
			    v[j]->column < v[first]->column))
				first = j;
			j++;
		}
		for (size_t k = i; k < j; k++) {
			const ynode pos = { .line = v[k]->line,
			    .column = v[k]->column };

			if (k == first)
				continue;
			s_pathf(path, sizeof path, "spec.registry[%zu]",
			    (size_t)(v[k] - p->registry));
			s_describe_location(v[k], where, sizeof where);
			s_err(c, &pos, path, "duplicate resource: %s%s is "
			    "already declared at line %d", where,
			    v[k]->value ? "" : " (the key itself)",
			    v[first]->line);
		}
		i = j;
	}
	/* Conflicts need ensure and roles: only valid resources from here. */
	for (size_t i = 0; i < n; i++)
		if (ok[v[i] - p->registry])
			v[m++] = v[i];
	n = m;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->present || v[i]->value != NULL)
			continue;
		/* Only the first of equal locations scans: the others are
		 * duplicates, already reported, and scanning again would make
		 * this quadratic. */
		if (i > 0 && s_res_cmp_ci(v[i - 1], v[i]) == 0)
			continue;
		for (size_t j = i + 1; j < n && s_key_within(v[j]->key,
		    v[i]->key); j++) {
			const policy_registry *a = v[i], *b = v[j], *later;
			const policy_registry *earlier;

			if (!b->present || !(a->roles & b->roles) ||
			    s_res_cmp_ci(a, b) == 0)
				continue;
			later = a->line > b->line ? a : b;
			earlier = later == a ? b : a;
			{
				const ynode pos = { .line = later->line,
				    .column = later->column };

				s_pathf(path, sizeof path, "spec.registry[%zu]",
				    (size_t)(later - p->registry));
				s_err(c, &pos, path, "conflicts with the resource "
				    "at line %d: key '%s' is removed (ensure: "
				    "absent) while something inside it is kept "
				    "present", earlier->line, a->key);
			}
		}
	}
	free(v);
}

static void
s_parse_registry(pctx *c, const ynode *reg)
{
	policy *p = c->p;
	bool *ok, *located;

	if (s_chk(c, yget_seq(c->doc, reg, "spec.registry", c->d)) == -1)
		return;
	p->registry = xcalloc(reg->count + 1, sizeof *p->registry);
	p->nregistry = reg->count;
	ok = xcalloc(reg->count + 1, sizeof *ok);
	located = xcalloc(reg->count + 1, sizeof *located);
	for (size_t i = 0; i < reg->count; i++)
		ok[i] = s_parse_resource(c, reg->values[i], i,
		    &p->registry[i], &located[i]) == 0;
	s_check_resources(c, ok, located);
	free(ok);
	free(located);
}

static void
s_parse_reconcile(pctx *c, const ynode *rec)
{
	ynode *interval;
	yfield f[] = { { "intervalSeconds", &interval, false } };
	int64_t v;

	s_chk(c, ymap_check(c->doc, rec, "spec.reconcile", f, 1, c->d));
	if (interval != NULL && s_chk(c, yget_int(c->doc, interval,
	    "spec.reconcile.intervalSeconds", INTERVAL_MIN, INTERVAL_MAX, &v,
	    c->d)) == 0)
		c->p->interval_seconds = (int)v;
}

static void
s_parse_spec(pctx *c, const ynode *spec)
{
	ynode *cluster, *mode, *strategy, *ser, *guests, *registry, *reconcile;
	yfield f[] = {
		{ "cluster", &cluster, true },
		{ "mode", &mode, false },
		{ "strategy", &strategy, false },
		{ "serialization", &ser, false },
		{ "guests", &guests, false },
		{ "registry", &registry, false },
		{ "reconcile", &reconcile, false },
	};
	policy *p = c->p;
	bool have_include = false;
	int v;

	s_chk(c, ymap_check(c->doc, spec, "spec", f, 7, c->d));
	if (spec->kind != YNODE_MAP)
		return;
	if (cluster != NULL)
		s_name(c, cluster, "spec.cluster", "a cluster name", &p->cluster);
	if (mode != NULL && s_chk(c, yget_enum(c->doc, mode, "spec.mode",
	    POLICY_MODE_NAMES, &v, c->d)) == 0)
		p->mode = (policy_mode)v;
	if (strategy == NULL) {
		s_err(c, spec, "spec.strategy", "required key is missing; "
		    "expected one of system-software, hardware-saved-state");
	} else if (s_chk(c, yget_enum(c->doc, strategy, "spec.strategy",
	    POLICY_STRATEGY_NAMES, &v, c->d)) == 0) {
		p->strategy = (policy_strategy)v;
		c->strategy_known = true;
	}
	s_parse_serialization(c, spec, ser);
	if (guests != NULL)
		s_parse_guests(c, guests, &have_include);
	if (!have_include) {
		p->include = xcalloc(2, sizeof *p->include);
		p->include[0] = xstrdup("*");
		p->ninclude = 1;
	}
	if (registry != NULL)
		s_parse_registry(c, registry);
	if (reconcile != NULL)
		s_parse_reconcile(c, reconcile);
}

static size_t s_render(const policy *p, strbuf *out);

policy *
policy_parse(const char *file, const char *text, size_t len, diag_list *d)
{
	ynode *api, *kind, *meta, *spec;
	yfield f[] = {
		{ "apiVersion", &api, true },
		{ "kind", &kind, true },
		{ "metadata", &meta, true },
		{ "spec", &spec, true },
	};
	pctx c;
	ydoc *doc;
	strbuf sb;
	size_t nodes;

	doc = ydoc_parse(file, text, len, &YDOC_LIMITS_SMALL, d);
	if (doc == NULL)
		return NULL;
	memset(&c, 0, sizeof c);
	c.doc = doc;
	c.d = d;
	c.p = xcalloc(1, sizeof *c.p);
	c.p->mode = POLICY_ENFORCE;
	c.p->per_node = 1;
	c.p->per_csv = true;
	c.p->interval_seconds = 60;
	s_chk(&c, ymap_check(doc, doc->root, "", f, 4, d));
	s_literal(&c, api, "apiVersion", POLICY_API_VERSION);
	s_literal(&c, kind, "kind", POLICY_KIND);
	if (meta != NULL)
		s_parse_metadata(&c, meta);
	if (spec != NULL)
		s_parse_spec(&c, spec);
	ydoc_free(&doc);
	if (c.failed) {
		policy_free(&c.p);
		return NULL;
	}
	/* Whatever is accepted must have a canonical form that this parser
	 * accepts again, within the same limits. */
	strbuf_init(&sb);
	nodes = s_render(c.p, &sb);
	if (sb.len > YDOC_LIMITS_SMALL.max_bytes ||
	    nodes > YDOC_LIMITS_SMALL.max_nodes) {
		diag_add(d, file, 1, 1, NULL, "the policy is too large: its "
		    "canonical form has %zu bytes and %zu YAML nodes (at most "
		    "%zu and %zu)", sb.len, nodes, YDOC_LIMITS_SMALL.max_bytes,
		    YDOC_LIMITS_SMALL.max_nodes);
		policy_free(&c.p);
	}
	strbuf_release(&sb);
	return c.p;
}

/* Reads standard input up to max bytes; -1 when it is longer or fails. */
static int
s_read_stdin(size_t max, char **data, size_t *len, const char **why)
{
	size_t cap = 8192, n = 0, got;
	char *buf = xmalloc(cap + 1);

	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				*why = "larger than the limit";
				return -1;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (n > max) {
			free(buf);
			*why = "larger than the limit";
			return -1;
		}
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		*why = "read error";
		return -1;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

policy *
policy_load(const char *path, diag_list *d)
{
	size_t max = YDOC_LIMITS_SMALL.max_bytes, len = 0;
	char *data = NULL, *err = NULL;
	const char *why = NULL;
	policy *p;

	if (strcmp(path, "-") == 0) {
		if (s_read_stdin(max, &data, &len, &why) == -1) {
			diag_add(d, STDIN_LABEL, 0, 0, NULL, "cannot read "
			    "standard input: %s (at most %zu bytes)", why, max);
			return NULL;
		}
		path = STDIN_LABEL;
	} else if (platform_read_file(path, max, &data, &len, &err) == -1) {
		diag_add(d, path, 0, 0, NULL, "%s", err);
		free(err);
		return NULL;
	}
	p = policy_parse(path, data, len, d);
	free(data);
	return p;
}

/* ------------------------------------------------------------------ */
/* Canonical form                                                       */

typedef struct emitter {
	strbuf *sb;
	size_t nodes;		/* YAML nodes, counted as ydoc counts them */
	bool dash;		/* next key opens a list item */
} emitter;

/* A YAML double-quoted scalar that reads back to exactly s. */
static void
s_quote(strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (const char *p = s; *p != '\0';) {
		const char *start = p;
		uint32_t cp = s_utf8_next(&p);

		switch (cp) {
		case '"': strbuf_addstr(sb, "\\\""); continue;
		case '\\': strbuf_addstr(sb, "\\\\"); continue;
		case '\n': strbuf_addstr(sb, "\\n"); continue;
		case '\r': strbuf_addstr(sb, "\\r"); continue;
		case '\t': strbuf_addstr(sb, "\\t"); continue;
		case 0x85: strbuf_addstr(sb, "\\N"); continue;
		case 0x2028: strbuf_addstr(sb, "\\L"); continue;
		case 0x2029: strbuf_addstr(sb, "\\P"); continue;
		default: break;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			strbuf_addf(sb, "\\x%02x", (unsigned)cp);
		else if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			strbuf_addf(sb, "\\u%04x", (unsigned)cp);
		else if (p - start == 1 && cp >= 0x80)	/* stray byte */
			strbuf_addf(sb, "\\x%02x", (unsigned)cp);
		else
			strbuf_add(sb, start, (size_t)(p - start));
	}
	strbuf_addch(sb, '"');
}

static void
e_key(emitter *e, int level, const char *key)
{
	for (int i = 0; i < 2 * (level - (e->dash ? 1 : 0)); i++)
		strbuf_addch(e->sb, ' ');
	if (e->dash)
		strbuf_addstr(e->sb, "- ");
	e->dash = false;
	strbuf_addf(e->sb, "%s:", key);
	e->nodes++;
}

static void
e_str(emitter *e, int level, const char *key, const char *value)
{
	e_key(e, level, key);
	strbuf_addch(e->sb, ' ');
	s_quote(e->sb, value ? value : "");
	strbuf_addch(e->sb, '\n');
	e->nodes++;
}

static void
e_raw(emitter *e, int level, const char *key, const char *text)
{
	e_key(e, level, key);
	strbuf_addf(e->sb, " %s\n", text);
	e->nodes++;
}

static void
e_map(emitter *e, int level, const char *key)
{
	e_key(e, level, key);
	strbuf_addch(e->sb, '\n');
	e->nodes++;
}

static void
e_list(emitter *e, int level, const char *key, char *const *items, size_t n)
{
	e_key(e, level, key);
	e->nodes++;
	if (n == 0) {
		strbuf_addstr(e->sb, " []\n");
		return;
	}
	strbuf_addch(e->sb, '\n');
	for (size_t i = 0; i < n; i++) {
		for (int s = 0; s < 2 * (level + 1); s++)
			strbuf_addch(e->sb, ' ');
		strbuf_addstr(e->sb, "- ");
		s_quote(e->sb, items[i]);
		strbuf_addch(e->sb, '\n');
		e->nodes++;
	}
}

/* Globs are a set and match case-insensitively: lowercase, sort, dedupe.
 * The array and its strings are owned. */
static char **
s_glob_set(char *const *in, size_t n, size_t *out_n)
{
	char **v = xcalloc(n + 1, sizeof *v);
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		v[i] = xstrdup(in[i]);
		for (char *s = v[i]; *s; s++)
			*s = (char)s_fold((unsigned char)*s);
	}
	qsort(v, n, sizeof *v, strsort_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && strcmp(v[m - 1], v[i]) == 0)
			free(v[i]);
		else
			v[m++] = v[i];
	}
	*out_n = m;
	return v;
}

static void
e_globs(emitter *e, int level, const char *key, char *const *in, size_t n)
{
	size_t m;
	char **set = s_glob_set(in, n, &m);

	e_list(e, level, key, set, m);
	ystr_list_free(&set, &m);
}

static void
e_resource(emitter *e, int level, const policy_registry *r)
{
	char num[32];
	char *roles[2];
	size_t nroles = 0;

	e->dash = true;
	e_str(e, level, "key", r->key);
	if (r->value != NULL)
		e_str(e, level, "value", r->value);
	e_str(e, level, "ensure", r->present ? "present" : "absent");
	if (r->present && r->value != NULL && r->data.type != REG_T_NONE) {
		e_str(e, level, "type", reg_type_name(r->data.type));
		switch (r->data.type) {
		case REG_T_DWORD:
		case REG_T_QWORD:
			snprintf(num, sizeof num, "%llu",
			    (unsigned long long)r->data.number);
			e_raw(e, level, "data", num);
			break;
		case REG_T_MULTI_SZ:
			e_list(e, level, "data", r->data.list, r->data.list_len);
			break;
		default:
			e_str(e, level, "data", r->data.text);
			break;
		}
	}
	for (int i = 0; HOST_ROLE_NAMES[i] != NULL; i++)
		if (r->roles & ROLE_BIT(i))
			roles[nroles++] = (char *)HOST_ROLE_NAMES[i];
	e_list(e, level, "roles", roles, nroles);
}

/* Renders the canonical text into out; returns its number of nodes. */
static size_t
s_render(const policy *p, strbuf *out)
{
	emitter e = { .sb = out, .nodes = 1 };	/* the root mapping */
	const policy_registry **regs;
	char num[32];

	e_str(&e, 0, "apiVersion", POLICY_API_VERSION);
	e_str(&e, 0, "kind", POLICY_KIND);
	e_map(&e, 0, "metadata");
	e_str(&e, 1, "name", p->name);
	if (p->description != NULL)
		e_str(&e, 1, "description", p->description);
	e_map(&e, 0, "spec");
	e_str(&e, 1, "cluster", p->cluster);
	e_str(&e, 1, "mode", s_name_of(POLICY_MODE_NAMES, (int)p->mode));
	e_str(&e, 1, "strategy", s_name_of(POLICY_STRATEGY_NAMES,
	    (int)p->strategy));
	if (p->strategy == STRATEGY_SYSTEM_SOFTWARE) {
		e_map(&e, 1, "serialization");
		snprintf(num, sizeof num, "%d", p->per_node);
		e_raw(&e, 2, "perNode", num);
		e_raw(&e, 2, "perCsv", p->per_csv ? "true" : "false");
		e_str(&e, 2, "dpmServer", p->dpm_server);
	}
	e_map(&e, 1, "guests");
	e_globs(&e, 2, "include", p->include, p->ninclude);
	e_globs(&e, 2, "exclude", p->exclude, p->nexclude);
	regs = xcalloc(p->nregistry + 1, sizeof *regs);
	for (size_t i = 0; i < p->nregistry; i++)
		regs[i] = &p->registry[i];
	qsort(regs, p->nregistry, sizeof *regs, s_res_cmp);
	e_key(&e, 1, "registry");
	e.nodes++;
	if (p->nregistry == 0)
		strbuf_addstr(out, " []\n");
	else
		strbuf_addch(out, '\n');
	for (size_t i = 0; i < p->nregistry; i++) {
		e.nodes++;	/* the item's mapping */
		e_resource(&e, 3, regs[i]);
	}
	free(regs);
	e_map(&e, 1, "reconcile");
	snprintf(num, sizeof num, "%d", p->interval_seconds);
	e_raw(&e, 2, "intervalSeconds", num);
	return e.nodes;
}

char *
policy_canonical(const policy *p)
{
	strbuf sb;

	strbuf_init(&sb);
	(void)s_render(p, &sb);
	return strbuf_detach(&sb, NULL);
}

void
policy_hash(const policy *p, char out[POLICY_HASH_HEX + 1])
{
	unsigned char bin[POLICY_HASH_HEX / 2];
	char *text = policy_canonical(p);

	/* BLAKE2b needs no sodium_init(): its portable code is the default. */
	crypto_generichash(bin, sizeof bin, (const unsigned char *)text,
	    strlen(text), NULL, 0);
	sodium_bin2hex(out, POLICY_HASH_HEX + 1, bin, sizeof bin);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Two policies on one host                                             */

/* Does r ask the same of its location as o? */
static bool
s_same_ask(const policy_registry *r, const policy_registry *o)
{
	if (r->present != o->present)
		return false;
	return !r->present || r->value == NULL ||
	    reg_value_equal(&r->data, &o->data);
}

/* p's resources reaching role, sorted by location. */
static const policy_registry **
s_on_role(const policy *p, host_role role, size_t *n)
{
	const policy_registry **v = xcalloc(p->nregistry + 1, sizeof *v);

	*n = 0;
	for (size_t i = 0; i < p->nregistry; i++)
		if (p->registry[i].roles & ROLE_BIT(role))
			v[(*n)++] = &p->registry[i];
	qsort(v, *n, sizeof *v, s_res_cmp);
	return v;
}

/* The first of w (sorted) at or after r's location. */
static size_t
s_lower_bound(const policy_registry **w, size_t n, const policy_registry *r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s_res_cmp_ci(w[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A resource of w the key-only absent resource r removes while it asks
 * for something present below r's key; NULL if none. */
static const policy_registry *
s_kept_inside(const policy_registry *r, const policy_registry **w, size_t n)
{
	if (r->present || r->value != NULL)
		return NULL;
	for (size_t j = s_lower_bound(w, n, r); j < n &&
	    s_key_within(w[j]->key, r->key); j++)
		if (w[j]->present)
			return w[j];
	return NULL;
}

bool
policy_registry_clash(const policy *a, const policy *b, host_role role,
    const policy_registry **ra, const policy_registry **rb)
{
	size_t na, nb;
	const policy_registry **va = s_on_role(a, role, &na);
	const policy_registry **vb = s_on_role(b, role, &nb);
	const policy_registry *hit;

	*ra = *rb = NULL;
	/* The same location asked for differently. */
	for (size_t i = 0; i < na && *ra == NULL; i++) {
		size_t j = s_lower_bound(vb, nb, va[i]);

		for (; j < nb && s_res_cmp_ci(vb[j], va[i]) == 0; j++)
			if (!s_same_ask(va[i], vb[j])) {
				*ra = va[i];
				*rb = vb[j];
				break;
			}
	}
	/* A key one removes while the other keeps something inside. */
	for (size_t i = 0; i < na && *ra == NULL; i++)
		if ((hit = s_kept_inside(va[i], vb, nb)) != NULL) {
			*ra = va[i];
			*rb = hit;
		}
	for (size_t j = 0; j < nb && *ra == NULL; j++)
		if ((hit = s_kept_inside(vb[j], va, na)) != NULL) {
			*ra = hit;
			*rb = vb[j];
		}
	free(va);
	free(vb);
	return *ra != NULL;
}

char *
policy_registry_describe(const policy *p, const policy_registry *r)
{
	char *data = r->present && r->value ? reg_value_describe(&r->data) :
	    NULL, *out;
	char loc[400];

	s_describe_location(r, loc, sizeof loc);
	out = xasprintf("spec.registry[%zu] (line %d): %s %s%s%s",
	    (size_t)(r - p->registry), r->line, loc,
	    r->present ? "present" : "absent", data ? " " : "",
	    data ? data : "");
	free(data);
	return out;
}
