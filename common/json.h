/*
 * json.h: a small streaming JSON writer over a strbuf, used by every
 * --format json output, the drift records and the wire's JSON fields.
 * Commas and nesting are tracked; strings are escaped; NULL strings are
 * written as null.
 */
#ifndef HVP_JSON_H
#define HVP_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

#define JSONW_MAX_DEPTH 32

typedef struct jsonw {
	strbuf *out;
	bool pretty;
	int depth;
	bool first[JSONW_MAX_DEPTH];
	bool after_key;
} jsonw;

void jsonw_init(jsonw *j, strbuf *out, bool pretty);
void jsonw_begin_object(jsonw *j);
void jsonw_end_object(jsonw *j);
void jsonw_begin_array(jsonw *j);
void jsonw_end_array(jsonw *j);
void jsonw_key(jsonw *j, const char *key);
void jsonw_str(jsonw *j, const char *s);
void jsonw_int(jsonw *j, int64_t v);
void jsonw_bool(jsonw *j, bool v);
void jsonw_null(jsonw *j);
void jsonw_kv_str(jsonw *j, const char *key, const char *s);
void jsonw_kv_int(jsonw *j, const char *key, int64_t v);
void jsonw_kv_bool(jsonw *j, const char *key, bool v);
/* An RFC 3339 UTC time, or null when seconds is 0. */
void jsonw_kv_time(jsonw *j, const char *key, int64_t seconds);
/* Appends s as a quoted, escaped JSON string. */
void json_escape(strbuf *out, const char *s);

#endif
