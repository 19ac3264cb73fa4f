/*
 * ydoc.c: strict YAML to a position-tagged tree (ydoc.h). Callers: the
 * policy parser, the host-file parser, the daemons' config loaders.
 */
#include "ydoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "log.h"
#include "platform.h"
#include "xalloc.h"

const ydoc_limits YDOC_LIMITS_SMALL = {
	.max_bytes = 1024 * 1024,
	.max_depth = 16,
	.max_scalar = 16 * 1024,
	.max_nodes = 100000,
};

const ydoc_limits YDOC_LIMITS_LARGE = {
	.max_bytes = 64 * 1024 * 1024,
	.max_depth = 16,
	.max_scalar = 64 * 1024,
	.max_nodes = 4000000,
};

static void
s_node_free(ynode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->count; i++) {
		if (n->keys)
			s_node_free(n->keys[i]);
		s_node_free(n->values[i]);
	}
	/* A mapping cut short may hold a key still waiting for its value. */
	if (n->keys && n->count < n->cap)
		s_node_free(n->keys[n->count]);
	free(n->keys);
	free(n->values);
	free(n->text);
	free(n);
}

void
ydoc_free(ydoc **doc)
{
	if (*doc == NULL)
		return;
	s_node_free((*doc)->root);
	free((*doc)->file);
	free(*doc);
	*doc = NULL;
}

/* Builder state while events arrive. */
typedef struct builder {
	const ydoc_limits *lim;
	const char *file;
	diag_list *d;
	ynode *stack[64];
	size_t depth;
	size_t nodes;
	ynode *root;
	bool failed;
} builder;

static ynode *
s_node_new(ynode_kind kind, const yaml_mark_t *mark)
{
	ynode *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->column = (int)mark->column + 1;
	return n;
}

/* Attaches a finished node to the collection on top of the stack. */
static void
s_attach(builder *b, ynode *n)
{
	ynode *parent;

	if (b->depth == 0) {
		if (b->root == NULL)
			b->root = n;
		else
			s_node_free(n);
		return;
	}
	parent = b->stack[b->depth - 1];
	if (parent->kind == YNODE_SEQ) {
		xgrow(&parent->values, &parent->cap, parent->count + 1,
		    sizeof *parent->values);
		parent->values[parent->count++] = n;
		return;
	}
	/* Mapping: keys and values alternate. A pending key sits in
	 * keys[count] with values[count] still NULL. */
	if (parent->cap <= parent->count) {
		size_t cap = parent->cap;

		xgrow(&parent->keys, &cap, parent->count + 1, sizeof *parent->keys);
		xgrow(&parent->values, &parent->cap, parent->count + 1,
		    sizeof *parent->values);
	}
	if (parent->keys[parent->count] == NULL) {
		if (n->kind != YNODE_SCALAR) {
			diag_add(b->d, b->file, n->line, n->column, NULL,
			    "mapping keys must be plain strings");
			b->failed = true;
			s_node_free(n);
			/* Keep structure: a placeholder key. */
			n = xcalloc(1, sizeof *n);
			n->kind = YNODE_SCALAR;
			n->text = xstrdup("");
		}
		parent->keys[parent->count] = n;
	} else {
		parent->values[parent->count++] = n;
	}
}

static bool
s_check_props(builder *b, const yaml_mark_t *m, const yaml_char_t *anchor,
    const yaml_char_t *tag, bool implicit)
{
	if (anchor) {
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "anchors (&%s) are not allowed", (const char *)anchor);
		b->failed = true;
		return false;
	}
	if (tag && !implicit) {
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "tags (%s) are not allowed", (const char *)tag);
		b->failed = true;
		return false;
	}
	return true;
}

static bool
s_count_node(builder *b, const yaml_mark_t *m)
{
	if (++b->nodes > b->lim->max_nodes) {
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "too many YAML nodes (more than %zu)", b->lim->max_nodes);
		b->failed = true;
		return false;
	}
	return true;
}

static bool
s_push(builder *b, ynode_kind kind, const yaml_event_t *ev)
{
	ynode *n;

	if (b->depth >= b->lim->max_depth ||
	    b->depth >= sizeof b->stack / sizeof b->stack[0]) {
		diag_add(b->d, b->file, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1, NULL,
		    "nesting deeper than %zu levels", b->lim->max_depth);
		b->failed = true;
		return false;
	}
	if (!s_count_node(b, &ev->start_mark))
		return false;
	n = s_node_new(kind, &ev->start_mark);
	b->stack[b->depth++] = n;
	return true;
}

static void
s_pop(builder *b)
{
	ynode *n = b->stack[--b->depth];

	s_attach(b, n);
}

static bool
s_scalar(builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	ynode *n;

	if (!s_check_props(b, m, ev->data.scalar.anchor, ev->data.scalar.tag,
	    ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit))
		return false;
	if (ev->data.scalar.length > b->lim->max_scalar) {
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "value longer than %zu bytes", b->lim->max_scalar);
		b->failed = true;
		return false;
	}
	if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "value contains a NUL character");
		b->failed = true;
		return false;
	}
	if (!s_count_node(b, m))
		return false;
	n = s_node_new(YNODE_SCALAR, m);
	n->text = xstrndup((const char *)ev->data.scalar.value,
	    ev->data.scalar.length);
	n->text_len = ev->data.scalar.length;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	s_attach(b, n);
	return true;
}

/* Handles one event; false stops parsing. */
static bool
s_event(builder *b, const yaml_event_t *ev, int *documents)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
	case YAML_NO_EVENT:
		return true;
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents > 1) {
			diag_add(b->d, b->file, (int)m->line + 1,
			    (int)m->column + 1, NULL,
			    "only one YAML document is allowed");
			b->failed = true;
			return false;
		}
		return true;
	case YAML_ALIAS_EVENT:
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "aliases (*%s) are not allowed",
		    (const char *)ev->data.alias.anchor);
		b->failed = true;
		return false;
	case YAML_SCALAR_EVENT:
		return s_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		if (!s_check_props(b, m, ev->data.sequence_start.anchor,
		    ev->data.sequence_start.tag, ev->data.sequence_start.implicit))
			return false;
		return s_push(b, YNODE_SEQ, ev);
	case YAML_MAPPING_START_EVENT:
		if (!s_check_props(b, m, ev->data.mapping_start.anchor,
		    ev->data.mapping_start.tag, ev->data.mapping_start.implicit))
			return false;
		return s_push(b, YNODE_MAP, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			s_pop(b);
		return true;
	}
	return true;
}

static void
s_syntax_error(builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_READER_ERROR) {
		diag_add(b->d, b->file, 1, 1, NULL,
		    "not a UTF-8 text file (%s at byte %zu)", problem,
		    p->problem_offset);
		return;
	}
	if (p->context)
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "%s %s (line %d)", problem, p->context,
		    (int)p->context_mark.line + 1);
	else
		diag_add(b->d, b->file, (int)m->line + 1, (int)m->column + 1,
		    NULL, "%s", problem);
}

ydoc *
ydoc_parse(const char *file, const char *data, size_t len,
    const ydoc_limits *limits, diag_list *d)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	builder b;
	int documents = 0;
	bool done = false;
	ydoc *doc;

	memset(&b, 0, sizeof b);
	b.lim = limits;
	b.file = file;
	b.d = d;
	if (len > limits->max_bytes) {
		diag_add(d, file, 1, 1, NULL, "file is larger than %zu bytes",
		    limits->max_bytes);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			s_syntax_error(&b, &parser);
			b.failed = true;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		if (!s_event(&b, &ev, &documents))
			done = true;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	while (b.depth > 0)
		s_pop(&b);
	if (!b.failed && b.root == NULL) {
		/* At its first line, like every other finding in a file. */
		diag_add(d, file, 1, 1, NULL, len == 0 ? "file is empty: "
		    "expected a YAML mapping" : "no document: the file holds "
		    "only comments and blank lines");
		b.failed = true;
	} else if (!b.failed && b.root->kind != YNODE_MAP) {
		diag_add(d, file, b.root->line, b.root->column, NULL,
		    "the top level must be a mapping of keys to values");
		b.failed = true;
	}
	if (b.failed) {
		s_node_free(b.root);
		return NULL;
	}
	doc = xcalloc(1, sizeof *doc);
	doc->file = xstrdup(file);
	doc->root = b.root;
	return doc;
}

ydoc *
ydoc_load(const char *path, const ydoc_limits *limits, diag_list *d)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;
	ydoc *doc;

	if (platform_read_file(path, limits->max_bytes, &data, &len, &err) == -1) {
		diag_add(d, path, 0, 0, NULL, "%s", err);
		free(err);
		return NULL;
	}
	doc = ydoc_parse(path, data, len, limits, d);
	free(data);
	return doc;
}

bool
ynode_is_null(const ynode *n)
{
	if (n == NULL)
		return true;
	if (n->kind != YNODE_SCALAR || !n->plain)
		return false;
	return n->text_len == 0 || strcmp(n->text, "~") == 0 ||
	    strcmp(n->text, "null") == 0 || strcmp(n->text, "Null") == 0 ||
	    strcmp(n->text, "NULL") == 0;
}

ynode *
ymap_get(const ynode *map, const char *key)
{
	if (map == NULL || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->count; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
			return map->values[i];
	return NULL;
}

void
ydiag(const ydoc *doc, const ynode *n, const char *path, diag_list *d,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (path && *path)
		diag_add(d, doc->file, n ? n->line : 0, n ? n->column : 0, path,
		    "%s: %s", path, msg);
	else
		diag_add(d, doc->file, n ? n->line : 0, n ? n->column : 0, NULL,
		    "%s", msg);
}

char *
ypath_key(const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		return xstrdup(key);
	return xasprintf("%s.%s", path, key);
}

char *
ypath_index(const char *path, size_t index)
{
	return xasprintf("%s[%zu]", path ? path : "", index);
}

int
ymap_check(const ydoc *doc, const ynode *map, const char *path,
    yfield *fields, size_t nfields, diag_list *d)
{
	int rc = 0;
	strbuf allowed;

	for (size_t f = 0; f < nfields; f++)
		*fields[f].slot = NULL;
	if (yget_map(doc, map, path, d) == -1)
		return -1;
	for (size_t i = 0; i < map->count; i++) {
		const ynode *k = map->keys[i];
		size_t f;
		char *kp;

		for (f = 0; f < nfields; f++)
			if (strcmp(fields[f].name, k->text) == 0)
				break;
		kp = ypath_key(path, k->text);
		if (f == nfields) {
			strbuf_init(&allowed);
			for (size_t a = 0; a < nfields; a++)
				strbuf_addf(&allowed, "%s%s", a ? ", " : "",
				    fields[a].name);
			ydiag(doc, k, kp, d, "unknown key; expected one of: %s",
			    allowed.data);
			strbuf_release(&allowed);
			rc = -1;
		} else if (*fields[f].slot != NULL) {
			ydiag(doc, k, kp, d, "duplicate key (first at line %d)",
			    (*fields[f].slot)->line);
			rc = -1;
		} else {
			*fields[f].slot = map->values[i];
		}
		free(kp);
	}
	for (size_t f = 0; f < nfields; f++) {
		if (fields[f].required && *fields[f].slot == NULL) {
			char *kp = ypath_key(path, fields[f].name);

			ydiag(doc, map, kp, d, "required key is missing");
			free(kp);
			rc = -1;
		}
	}
	return rc;
}

static const char *
s_kind_name(const ynode *n)
{
	switch (n->kind) {
	case YNODE_MAP: return "a mapping";
	case YNODE_SEQ: return "a list";
	default: return "a scalar";
	}
}

int
yget_map(const ydoc *doc, const ynode *n, const char *path, diag_list *d)
{
	if (n->kind == YNODE_MAP)
		return 0;
	ydiag(doc, n, path, d, "expected a mapping, got %s", s_kind_name(n));
	return -1;
}

int
yget_seq(const ydoc *doc, const ynode *n, const char *path, diag_list *d)
{
	if (n->kind == YNODE_SEQ)
		return 0;
	ydiag(doc, n, path, d, "expected a list, got %s", s_kind_name(n));
	return -1;
}

int
yget_str(const ydoc *doc, const ynode *n, const char *path, char **out,
    diag_list *d)
{
	if (n->kind != YNODE_SCALAR || ynode_is_null(n)) {
		ydiag(doc, n, path, d, "expected a string, got %s",
		    n->kind == YNODE_SCALAR ? "nothing" : s_kind_name(n));
		return -1;
	}
	*out = xstrdup(n->text);
	return 0;
}

int
yget_bool(const ydoc *doc, const ynode *n, const char *path, bool *out,
    diag_list *d)
{
	if (n->kind == YNODE_SCALAR && n->plain) {
		if (strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0) {
			*out = false;
			return 0;
		}
	}
	ydiag(doc, n, path, d, "expected true or false, got %s%s%s",
	    n->kind == YNODE_SCALAR ? "'" : "",
	    n->kind == YNODE_SCALAR ? n->text : s_kind_name(n),
	    n->kind == YNODE_SCALAR ? "'" : "");
	return -1;
}

int
yparse_uint64(const char *text, uint64_t max, uint64_t *out)
{
	const char *p = text;
	uint64_t v = 0;
	int base = 10, digit;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digit = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			digit = *p - 'A' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - (uint64_t)digit) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)digit;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
yget_uint64(const ydoc *doc, const ynode *n, const char *path, uint64_t max,
    uint64_t *out, diag_list *d)
{
	if (n->kind == YNODE_SCALAR && n->plain &&
	    yparse_uint64(n->text, max, out) == 0)
		return 0;
	ydiag(doc, n, path, d, "expected an integer from 0 to %llu "
	    "(decimal or 0x hex), got %s%s%s", (unsigned long long)max,
	    n->kind == YNODE_SCALAR ? "'" : "",
	    n->kind == YNODE_SCALAR ? n->text : s_kind_name(n),
	    n->kind == YNODE_SCALAR ? "'" : "");
	return -1;
}

int
yget_int(const ydoc *doc, const ynode *n, const char *path, int64_t min,
    int64_t max, int64_t *out, diag_list *d)
{
	uint64_t u;
	bool neg;

	if (n->kind == YNODE_SCALAR && n->plain) {
		neg = n->text[0] == '-';
		if (yparse_uint64(n->text + (neg ? 1 : 0), (uint64_t)INT64_MAX,
		    &u) == 0) {
			int64_t v = neg ? -(int64_t)u : (int64_t)u;

			if (v >= min && v <= max) {
				*out = v;
				return 0;
			}
		}
	}
	ydiag(doc, n, path, d, "expected an integer from %lld to %lld, got %s%s%s",
	    (long long)min, (long long)max,
	    n->kind == YNODE_SCALAR ? "'" : "",
	    n->kind == YNODE_SCALAR ? n->text : s_kind_name(n),
	    n->kind == YNODE_SCALAR ? "'" : "");
	return -1;
}

int
yget_enum(const ydoc *doc, const ynode *n, const char *path,
    const char *const *allowed, int *out, diag_list *d)
{
	strbuf sb;

	if (n->kind == YNODE_SCALAR) {
		for (int i = 0; allowed[i]; i++) {
			if (strcmp(allowed[i], n->text) == 0) {
				*out = i;
				return 0;
			}
		}
	}
	strbuf_init(&sb);
	for (int i = 0; allowed[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", allowed[i]);
	ydiag(doc, n, path, d, "expected one of %s, got %s%s%s", sb.data,
	    n->kind == YNODE_SCALAR ? "'" : "",
	    n->kind == YNODE_SCALAR ? n->text : s_kind_name(n),
	    n->kind == YNODE_SCALAR ? "'" : "");
	strbuf_release(&sb);
	return -1;
}

int
yget_str_list(const ydoc *doc, const ynode *n, const char *path, char ***out,
    size_t *count, diag_list *d)
{
	char **list;
	int rc = 0;

	*out = NULL;
	*count = 0;
	if (yget_seq(doc, n, path, d) == -1)
		return -1;
	list = xcalloc(n->count + 1, sizeof *list);
	for (size_t i = 0; i < n->count; i++) {
		char *ip = ypath_index(path, i);

		if (yget_str(doc, n->values[i], ip, &list[i], d) == -1) {
			list[i] = xstrdup("");
			rc = -1;
		}
		free(ip);
	}
	*out = list;
	*count = n->count;
	if (rc == -1)
		ystr_list_free(out, count);
	return rc;
}

void
ystr_list_free(char ***list, size_t *count)
{
	if (*list == NULL)
		return;
	for (size_t i = 0; i < *count; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*count = 0;
}
