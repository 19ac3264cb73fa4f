/*
 * registry.h: Windows registry vocabulary shared by policies, host files,
 * the engine and the backends: value types, typed data, and key paths
 * (HKLM\... or HKEY_LOCAL_MACHINE\..., compared case-insensitively as
 * Windows does, stored canonically as "HKLM\...").
 */
#ifndef HVP_REGISTRY_H
#define HVP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "ydoc.h"

typedef enum reg_type {
	REG_T_NONE = 0,
	REG_T_SZ,
	REG_T_EXPAND_SZ,
	REG_T_MULTI_SZ,
	REG_T_DWORD,
	REG_T_QWORD,
	REG_T_BINARY,
} reg_type;

/* NULL-terminated list of "REG_SZ", ... in enum order from REG_T_SZ. */
extern const char *const REG_TYPE_NAMES[];
const char *reg_type_name(reg_type t);
reg_type reg_type_from_name(const char *name);	/* REG_T_NONE if unknown */

typedef struct reg_value {
	reg_type type;
	uint64_t number;	/* DWORD, QWORD */
	char *text;		/* SZ, EXPAND_SZ; BINARY as lowercase hex */
	char **list;		/* MULTI_SZ */
	size_t list_len;
} reg_value;

void reg_value_clear(reg_value *v);
void reg_value_copy(reg_value *dst, const reg_value *src);
bool reg_value_equal(const reg_value *a, const reg_value *b);
/* Human form for drift records and messages, e.g. "REG_DWORD 1",
 * "REG_MULTI_SZ [a, b]"; owned. */
char *reg_value_describe(const reg_value *v);
/* Parses `data` (a YAML node) for type t into v; reports at the node. */
int reg_value_from_yaml(const ydoc *doc, const ynode *data, const char *path,
    reg_type t, reg_value *v, diag_list *d);

/* Canonicalizes a key path: "HKEY_LOCAL_MACHINE\\Software\\X\\" ->
 * "HKLM\\Software\\X". Returns an owned string, or NULL with *why set to
 * a static explanation. */
char *reg_key_canonical(const char *path, const char **why);
int reg_key_compare(const char *a, const char *b);	/* case-insensitive */
bool reg_name_equal(const char *a, const char *b);	/* value names */

#endif
