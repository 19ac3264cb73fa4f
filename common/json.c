/*
 * json.c: streaming JSON writer (json.h).
 */
#include "json.h"

#include <stdio.h>

#include "timefmt.h"

void
jsonw_init(jsonw *j, strbuf *out, bool pretty)
{
	j->out = out;
	j->pretty = pretty;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

static void
s_indent(jsonw *j)
{
	if (!j->pretty)
		return;
	strbuf_addch(j->out, '\n');
	for (int i = 0; i < j->depth; i++)
		strbuf_addstr(j->out, "  ");
}

/* Called before any value or key: writes the separator. */
static void
s_before(jsonw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (!j->first[j->depth])
		strbuf_addch(j->out, ',');
	j->first[j->depth] = false;
	s_indent(j);
}

static void
s_open(jsonw *j, char c)
{
	s_before(j);
	strbuf_addch(j->out, c);
	if (j->depth + 1 < JSONW_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
s_close(jsonw *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		s_indent(j);
	strbuf_addch(j->out, c);
}

void jsonw_begin_object(jsonw *j) { s_open(j, '{'); }
void jsonw_end_object(jsonw *j) { s_close(j, '}'); }
void jsonw_begin_array(jsonw *j) { s_open(j, '['); }
void jsonw_end_array(jsonw *j) { s_close(j, ']'); }

void
jsonw_key(jsonw *j, const char *key)
{
	s_before(j);
	json_escape(j->out, key);
	strbuf_addstr(j->out, j->pretty ? ": " : ":");
	j->after_key = true;
}

void
jsonw_str(jsonw *j, const char *s)
{
	s_before(j);
	if (s == NULL)
		strbuf_addstr(j->out, "null");
	else
		json_escape(j->out, s);
}

void
jsonw_int(jsonw *j, int64_t v)
{
	s_before(j);
	strbuf_addf(j->out, "%lld", (long long)v);
}

void
jsonw_bool(jsonw *j, bool v)
{
	s_before(j);
	strbuf_addstr(j->out, v ? "true" : "false");
}

void
jsonw_null(jsonw *j)
{
	s_before(j);
	strbuf_addstr(j->out, "null");
}

void
jsonw_kv_str(jsonw *j, const char *key, const char *s)
{
	jsonw_key(j, key);
	jsonw_str(j, s);
}

void
jsonw_kv_int(jsonw *j, const char *key, int64_t v)
{
	jsonw_key(j, key);
	jsonw_int(j, v);
}

void
jsonw_kv_bool(jsonw *j, const char *key, bool v)
{
	jsonw_key(j, key);
	jsonw_bool(j, v);
}

void
jsonw_kv_time(jsonw *j, const char *key, int64_t seconds)
{
	char buf[40];

	jsonw_key(j, key);
	if (seconds == 0) {
		jsonw_null(j);
		return;
	}
	timefmt_rfc3339(seconds, buf, sizeof buf);
	jsonw_str(j, buf);
}

void
json_escape(strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': strbuf_addstr(out, "\\\""); break;
		case '\\': strbuf_addstr(out, "\\\\"); break;
		case '\n': strbuf_addstr(out, "\\n"); break;
		case '\r': strbuf_addstr(out, "\\r"); break;
		case '\t': strbuf_addstr(out, "\\t"); break;
		default:
			if (*p < 0x20)
				strbuf_addf(out, "\\u%04x", *p);
			else
				strbuf_addch(out, (char)*p);
		}
	}
	strbuf_addch(out, '"');
}
