/*
 * psjson.h: a strict, bounded JSON reader for what PowerShell's
 * ConvertTo-Json prints. Used by wininventory.c (and through it by the
 * Windows backend) to read Hyper-V, cluster and VSS facts. Portable C: no
 * OS calls, tested on every platform.
 *
 * Strict: RFC 8259 only (no comments, no trailing commas, no NaN, no
 * single quotes, no duplicate keys, no control characters in strings, no
 * lone surrogates). A leading UTF-8 byte-order mark and surrounding white
 * space are accepted, as PowerShell may write them. Bounded: nesting,
 * value count and input size are capped; going over is an error.
 */
#ifndef HVP_NODE_PSJSON_H
#define HVP_NODE_PSJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PSJ_MAX_INPUT	(16u * 1024 * 1024)	/* bytes */
#define PSJ_MAX_DEPTH	64
#define PSJ_MAX_VALUES	(1u << 20)

typedef enum psj_type {
	PSJ_NULL = 0, PSJ_FALSE, PSJ_TRUE, PSJ_NUMBER, PSJ_STRING, PSJ_ARRAY,
	PSJ_OBJECT,
} psj_type;

typedef struct psj_value psj_value;
struct psj_value {
	psj_type type;
	char *text;		/* STRING: UTF-8, NUL-free; NUMBER: as written */
	psj_value *items;	/* ARRAY, OBJECT: members in input order */
	char **keys;		/* OBJECT: one key per item */
	size_t len;		/* ARRAY, OBJECT: number of items */
};

/* Parses len bytes. Empty input (only white space) gives a PSJ_NULL
 * value: PowerShell prints nothing for an empty pipeline. On an error
 * returns NULL with an owned "line L, column C: what" in *err. */
psj_value *psj_parse(const char *text, size_t len, char **err);
void psj_free(psj_value **v);

/* Member of an object: exact key first, else case-insensitive (ASCII),
 * as PowerShell property names are. NULL when absent or not an object. */
const psj_value *psj_get(const psj_value *obj, const char *key);
/* A string member, or NULL when absent or not a string. */
const char *psj_get_str(const psj_value *obj, const char *key);
/* A boolean member: 1 true, 0 false, -1 absent or not a boolean. */
int psj_get_bool(const psj_value *obj, const char *key);
/* An integer member that fits int64_t; -1 when absent or not one. */
int psj_get_int(const psj_value *obj, const char *key, int64_t *out);
/* A number value that is an integer fitting int64_t; -1 otherwise. */
int psj_int(const psj_value *v, int64_t *out);

/* ConvertTo-Json prints one object bare and several as an array: the
 * number of records v holds (0 for null) and the i-th of them. */
size_t psj_count(const psj_value *v);
const psj_value *psj_at(const psj_value *v, size_t i);

#endif
