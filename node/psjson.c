/*
 * psjson.c: the strict, bounded JSON reader of psjson.h. Called by
 * wininventory.c on PowerShell's ConvertTo-Json output. Recursive descent
 * with an explicit depth limit; strings are decoded to UTF-8.
 */
#include "psjson.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

typedef struct s_parser {
	const char *p;
	const char *end;
	const char *start;
	size_t nvalues;
	char *err;
} s_parser;

static void
s_where(const s_parser *ps, const char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *q = ps->start; q < at && q < ps->end; q++) {
		if (*q == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int __attribute__((format(printf, 3, 4)))
s_error(s_parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	int line, col;
	va_list ap;

	if (ps->err != NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s_where(ps, at, &line, &col);
	ps->err = xasprintf("line %d, column %d: %s", line, col, msg);
	return -1;
}

static void
s_skip_ws(s_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void
s_value_clear(psj_value *v)
{
	free(v->text);
	for (size_t i = 0; i < v->len; i++) {
		s_value_clear(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof *v);
}

static int s_value(s_parser *ps, psj_value *v, int depth);

static int
s_literal(s_parser *ps, const char *word, psj_type t, psj_value *v)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return s_error(ps, ps->p, "expected a JSON value");
	ps->p += n;
	v->type = t;
	return 0;
}

static bool
s_digit(const s_parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static int
s_number(s_parser *ps, psj_value *v)
{
	const char *b = ps->p;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (!s_digit(ps))
		return s_error(ps, ps->p, "expected a digit");
	if (*ps->p == '0') {
		ps->p++;
		if (s_digit(ps))
			return s_error(ps, ps->p, "leading zero in a number");
	} else {
		while (s_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!s_digit(ps))
			return s_error(ps, ps->p, "expected a digit after '.'");
		while (s_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!s_digit(ps))
			return s_error(ps, ps->p, "expected a digit in the "
			    "exponent");
		while (s_digit(ps))
			ps->p++;
	}
	if (ps->p - b > 64)
		return s_error(ps, b, "number longer than 64 characters");
	v->type = PSJ_NUMBER;
	v->text = xmalloc((size_t)(ps->p - b) + 1);
	memcpy(v->text, b, (size_t)(ps->p - b));
	v->text[ps->p - b] = '\0';
	return 0;
}

static int
s_hex4(s_parser *ps, unsigned *out)
{
	unsigned u = 0;

	if (ps->end - ps->p < 4)
		return s_error(ps, ps->p, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = ps->p[i];

		u <<= 4;
		if (c >= '0' && c <= '9')
			u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			u |= (unsigned)(c - 'A' + 10);
		else
			return s_error(ps, ps->p + i, "bad hex digit in a \\u "
			    "escape");
	}
	ps->p += 4;
	*out = u;
	return 0;
}

static void
s_put_utf8(strbuf *sb, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

static int
s_escape(s_parser *ps, strbuf *sb)
{
	const char *at = ps->p - 1;
	unsigned cp, lo;
	char c;

	if (ps->p >= ps->end)
		return s_error(ps, at, "unterminated string");
	c = *ps->p++;
	switch (c) {
	case '"': strbuf_add(sb, "\"", 1); return 0;
	case '\\': strbuf_add(sb, "\\", 1); return 0;
	case '/': strbuf_add(sb, "/", 1); return 0;
	case 'b': strbuf_add(sb, "\b", 1); return 0;
	case 'f': strbuf_add(sb, "\f", 1); return 0;
	case 'n': strbuf_add(sb, "\n", 1); return 0;
	case 'r': strbuf_add(sb, "\r", 1); return 0;
	case 't': strbuf_add(sb, "\t", 1); return 0;
	case 'u':
		break;
	default:
		return s_error(ps, at, "unknown escape '\\%c'", c);
	}
	if (s_hex4(ps, &cp) == -1)
		return -1;
	if (cp == 0)
		return s_error(ps, at, "\\u0000 in a string");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return s_error(ps, at, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u')
			return s_error(ps, at, "high surrogate without a low "
			    "one");
		ps->p += 2;
		if (s_hex4(ps, &lo) == -1)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return s_error(ps, at, "high surrogate without a low "
			    "one");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	s_put_utf8(sb, cp);
	return 0;
}

/* Length of a valid UTF-8 sequence at p (>= 2 bytes), or 0. */
static size_t
s_utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	unsigned cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int
s_string_raw(s_parser *ps, char **out)
{
	const char *open = ps->p;
	strbuf sb;

	ps->p++;	/* the opening quote */
	strbuf_init(&sb);
	for (;;) {
		unsigned char c;

		if (ps->p >= ps->end) {
			strbuf_release(&sb);
			return s_error(ps, open, "unterminated string");
		}
		c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			strbuf_release(&sb);
			return s_error(ps, ps->p, "control character in a "
			    "string");
		}
		if (c == '\\') {
			ps->p++;
			if (s_escape(ps, &sb) == -1) {
				strbuf_release(&sb);
				return -1;
			}
			continue;
		}
		if (c >= 0x80) {
			size_t n = s_utf8_len((const unsigned char *)ps->p,
			    (const unsigned char *)ps->end);

			if (n == 0) {
				strbuf_release(&sb);
				return s_error(ps, ps->p, "invalid UTF-8 in a "
				    "string");
			}
			strbuf_add(&sb, ps->p, n);
			ps->p += n;
			continue;
		}
		strbuf_add(&sb, ps->p, 1);
		ps->p++;
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int
s_array(s_parser *ps, psj_value *v, int depth)
{
	size_t cap = 0;

	v->type = PSJ_ARRAY;
	ps->p++;
	s_skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		xgrow(&v->items, &cap, v->len + 1, sizeof *v->items);
		memset(&v->items[v->len], 0, sizeof *v->items);
		v->len++;
		if (s_value(ps, &v->items[v->len - 1], depth + 1) == -1)
			return -1;
		s_skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		return s_error(ps, ps->p, "expected ',' or ']'");
	}
}

static int
s_object(s_parser *ps, psj_value *v, int depth)
{
	size_t cap = 0, kcap = 0;

	v->type = PSJ_OBJECT;
	ps->p++;
	s_skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *kat;
		char *key = NULL;

		s_skip_ws(ps);
		kat = ps->p;
		if (ps->p >= ps->end || *ps->p != '"')
			return s_error(ps, ps->p, "expected a string key");
		if (s_string_raw(ps, &key) == -1)
			return -1;
		for (size_t i = 0; i < v->len; i++) {
			if (strcmp(v->keys[i], key) == 0) {
				s_error(ps, kat, "duplicate key \"%.64s\"", key);
				free(key);
				return -1;
			}
		}
		xgrow(&v->items, &cap, v->len + 1, sizeof *v->items);
		xgrow(&v->keys, &kcap, v->len + 1, sizeof *v->keys);
		memset(&v->items[v->len], 0, sizeof *v->items);
		v->keys[v->len] = key;
		v->len++;
		s_skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return s_error(ps, ps->p, "expected ':'");
		ps->p++;
		if (s_value(ps, &v->items[v->len - 1], depth + 1) == -1)
			return -1;
		s_skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return 0;
		}
		return s_error(ps, ps->p, "expected ',' or '}'");
	}
}

static int
s_value(s_parser *ps, psj_value *v, int depth)
{
	s_skip_ws(ps);
	if (depth > PSJ_MAX_DEPTH)
		return s_error(ps, ps->p, "nested deeper than %d",
		    PSJ_MAX_DEPTH);
	if (++ps->nvalues > PSJ_MAX_VALUES)
		return s_error(ps, ps->p, "more than %u values",
		    PSJ_MAX_VALUES);
	if (ps->p >= ps->end)
		return s_error(ps, ps->p, "expected a JSON value, got the end");
	switch (*ps->p) {
	case '{':
		return s_object(ps, v, depth);
	case '[':
		return s_array(ps, v, depth);
	case '"':
		v->type = PSJ_STRING;
		return s_string_raw(ps, &v->text);
	case 't':
		return s_literal(ps, "true", PSJ_TRUE, v);
	case 'f':
		return s_literal(ps, "false", PSJ_FALSE, v);
	case 'n':
		return s_literal(ps, "null", PSJ_NULL, v);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return s_number(ps, v);
		return s_error(ps, ps->p, "expected a JSON value");
	}
}

psj_value *
psj_parse(const char *text, size_t len, char **err)
{
	s_parser ps;
	psj_value *v;

	if (len > PSJ_MAX_INPUT) {
		*err = xasprintf("JSON input of %zu bytes is over the limit of "
		    "%u", len, PSJ_MAX_INPUT);
		return NULL;
	}
	memset(&ps, 0, sizeof ps);
	ps.start = ps.p = text;
	ps.end = text + len;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		ps.start = ps.p = text + 3;
	v = xcalloc(1, sizeof *v);
	s_skip_ws(&ps);
	if (ps.p == ps.end)
		return v;	/* empty: null */
	if (s_value(&ps, v, 0) == 0) {
		s_skip_ws(&ps);
		if (ps.p != ps.end)
			s_error(&ps, ps.p, "text after the JSON value");
	}
	if (ps.err != NULL) {
		psj_free(&v);
		*err = ps.err;
		return NULL;
	}
	return v;
}

void
psj_free(psj_value **v)
{
	if (*v == NULL)
		return;
	s_value_clear(*v);
	free(*v);
	*v = NULL;
}

static bool
s_equal_ci(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == *b;
}

const psj_value *
psj_get(const psj_value *obj, const char *key)
{
	if (obj == NULL || obj->type != PSJ_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->len; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	for (size_t i = 0; i < obj->len; i++)
		if (s_equal_ci(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

const char *
psj_get_str(const psj_value *obj, const char *key)
{
	const psj_value *v = psj_get(obj, key);

	return v && v->type == PSJ_STRING ? v->text : NULL;
}

int
psj_get_bool(const psj_value *obj, const char *key)
{
	const psj_value *v = psj_get(obj, key);

	if (v == NULL)
		return -1;
	if (v->type == PSJ_TRUE)
		return 1;
	if (v->type == PSJ_FALSE)
		return 0;
	return -1;
}

int
psj_int(const psj_value *v, int64_t *out)
{
	long long n;
	char *end;

	if (v == NULL || v->type != PSJ_NUMBER)
		return -1;
	errno = 0;
	n = strtoll(v->text, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (int64_t)n;
	return 0;
}

int
psj_get_int(const psj_value *obj, const char *key, int64_t *out)
{
	return psj_int(psj_get(obj, key), out);
}

size_t
psj_count(const psj_value *v)
{
	if (v == NULL || v->type == PSJ_NULL)
		return 0;
	if (v->type == PSJ_ARRAY)
		return v->len;
	return 1;
}

const psj_value *
psj_at(const psj_value *v, size_t i)
{
	if (v == NULL || i >= psj_count(v))
		return NULL;
	if (v->type == PSJ_ARRAY)
		return &v->items[i];
	return v;
}
