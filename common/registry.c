/*
 * registry.c: registry types, typed values and key paths (registry.h).
 */
#include "registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

const char *const REG_TYPE_NAMES[] = {
	"REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD",
	"REG_BINARY", NULL,
};

const char *
reg_type_name(reg_type t)
{
	if (t < REG_T_SZ || t > REG_T_BINARY)
		return "REG_NONE";
	return REG_TYPE_NAMES[t - REG_T_SZ];
}

reg_type
reg_type_from_name(const char *name)
{
	for (int i = 0; REG_TYPE_NAMES[i]; i++)
		if (strcmp(REG_TYPE_NAMES[i], name) == 0)
			return (reg_type)(REG_T_SZ + i);
	return REG_T_NONE;
}

void
reg_value_clear(reg_value *v)
{
	free(v->text);
	for (size_t i = 0; i < v->list_len; i++)
		free(v->list[i]);
	free(v->list);
	memset(v, 0, sizeof *v);
}

void
reg_value_copy(reg_value *dst, const reg_value *src)
{
	memset(dst, 0, sizeof *dst);
	dst->type = src->type;
	dst->number = src->number;
	dst->text = xstrdup(src->text);
	if (src->list_len) {
		dst->list = xcalloc(src->list_len, sizeof *dst->list);
		for (size_t i = 0; i < src->list_len; i++)
			dst->list[i] = xstrdup(src->list[i]);
	}
	dst->list_len = src->list_len;
}

static bool
s_str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool
reg_value_equal(const reg_value *a, const reg_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case REG_T_DWORD:
	case REG_T_QWORD:
		return a->number == b->number;
	case REG_T_MULTI_SZ:
		if (a->list_len != b->list_len)
			return false;
		for (size_t i = 0; i < a->list_len; i++)
			if (!s_str_eq(a->list[i], b->list[i]))
				return false;
		return true;
	default:
		return s_str_eq(a->text, b->text);
	}
}

char *
reg_value_describe(const reg_value *v)
{
	strbuf sb;

	strbuf_init(&sb);
	strbuf_addf(&sb, "%s ", reg_type_name(v->type));
	switch (v->type) {
	case REG_T_DWORD:
	case REG_T_QWORD:
		strbuf_addf(&sb, "%llu", (unsigned long long)v->number);
		break;
	case REG_T_MULTI_SZ:
		strbuf_addch(&sb, '[');
		for (size_t i = 0; i < v->list_len; i++)
			strbuf_addf(&sb, "%s\"%s\"", i ? ", " : "", v->list[i]);
		strbuf_addch(&sb, ']');
		break;
	case REG_T_BINARY:
		strbuf_addf(&sb, "%s", v->text ? v->text : "");
		break;
	default:
		strbuf_addf(&sb, "\"%s\"", v->text ? v->text : "");
		break;
	}
	return strbuf_detach(&sb, NULL);
}

static int
s_hex_from_yaml(const ydoc *doc, const ynode *n, const char *path,
    reg_value *v, diag_list *d)
{
	size_t len = n->text_len;
	char *out;

	if (len % 2 != 0) {
		ydiag(doc, n, path, d, "REG_BINARY data must be an even-length "
		    "hex string, got %zu characters", len);
		return -1;
	}
	out = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)n->text[i])) {
			ydiag(doc, n, path, d, "REG_BINARY data must be hex digits "
			    "(0-9, a-f), got '%c' at offset %zu", n->text[i], i);
			free(out);
			return -1;
		}
		out[i] = (char)tolower((unsigned char)n->text[i]);
	}
	out[len] = '\0';
	v->text = out;
	return 0;
}

int
reg_value_from_yaml(const ydoc *doc, const ynode *data, const char *path,
    reg_type t, reg_value *v, diag_list *d)
{
	memset(v, 0, sizeof *v);
	v->type = t;
	switch (t) {
	case REG_T_DWORD:
		return yget_uint64(doc, data, path, UINT32_MAX, &v->number, d);
	case REG_T_QWORD:
		return yget_uint64(doc, data, path, UINT64_MAX, &v->number, d);
	case REG_T_MULTI_SZ:
		return yget_str_list(doc, data, path, &v->list, &v->list_len, d);
	case REG_T_BINARY:
		if (data->kind != YNODE_SCALAR) {
			ydiag(doc, data, path, d, "REG_BINARY data must be an "
			    "even-length hex string");
			return -1;
		}
		return s_hex_from_yaml(doc, data, path, v, d);
	case REG_T_SZ:
	case REG_T_EXPAND_SZ:
		if (data->kind != YNODE_SCALAR) {
			ydiag(doc, data, path, d, "%s data must be a string",
			    reg_type_name(t));
			return -1;
		}
		v->text = xstrdup(data->text);
		return 0;
	default:
		ydiag(doc, data, path, d, "no type to check data against");
		return -1;
	}
}

char *
reg_key_canonical(const char *path, const char **why)
{
	static const char *const prefixes[] = { "HKLM\\", "HKEY_LOCAL_MACHINE\\" };
	const char *rest = NULL;
	strbuf sb;

	for (size_t i = 0; i < 2; i++) {
		size_t plen = strlen(prefixes[i]);

		if (strncasecmp(path, prefixes[i], plen) == 0) {
			rest = path + plen;
			break;
		}
	}
	if (rest == NULL) {
		*why = "a key must be a path under HKLM\\ or HKEY_LOCAL_MACHINE\\";
		return NULL;
	}
	strbuf_init(&sb);
	strbuf_addstr(&sb, "HKLM");
	for (const char *p = rest; *p;) {
		size_t seg;

		while (*p == '\\')
			p++;
		seg = strcspn(p, "\\");
		if (seg == 0)
			break;
		strbuf_addch(&sb, '\\');
		strbuf_add(&sb, p, seg);
		p += seg;
	}
	if (sb.len == 4) {
		strbuf_release(&sb);
		*why = "a key must name a key below HKLM\\, not the hive itself";
		return NULL;
	}
	for (size_t i = 0; i < sb.len; i++) {
		if ((unsigned char)sb.data[i] < 0x20) {
			strbuf_release(&sb);
			*why = "a key must not contain control characters";
			return NULL;
		}
	}
	return strbuf_detach(&sb, NULL);
}

int
reg_key_compare(const char *a, const char *b)
{
	return strcasecmp(a, b);
}

bool
reg_name_equal(const char *a, const char *b)
{
	return strcasecmp(a ? a : "", b ? b : "") == 0;
}
