/*
 * config.c: table-driven daemon configuration (config.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"
#include "ydoc.h"

#define CMDLINE "<command line>"

static int
s_index(const config_option *o, size_t count, const char *name, size_t len)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(o[i].name) == len && strncmp(o[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static void
s_list_free(char ***list)
{
	for (size_t i = 0; *list && (*list)[i]; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
}

/* "A,B" into a NULL-terminated list (empty items kept: checked by the
 * program). */
static char **
s_list_split(const char *text)
{
	size_t n = 1, k = 0;
	char **out;
	const char *p = text;

	for (const char *c = text; *c; c++)
		n += *c == ',';
	out = xcalloc(n + 1, sizeof *out);
	for (const char *c = text;; c++) {
		if (*c == ',' || *c == '\0') {
			out[k++] = xstrndup(p, (size_t)(c - p));
			p = c + 1;
		}
		if (*c == '\0')
			break;
	}
	return out;
}

/* Sets option i from text (flags and defaults). */
static int
s_set_text(config_values *v, size_t i, const char *text, const char *where,
    diag_list *d)
{
	const config_option *o = &v->options[i];
	uint64_t u;
	bool neg = text[0] == '-';

	switch (o->type) {
	case CONFIG_STRING:
		free(v->strings[i]);
		v->strings[i] = xstrdup(text);
		break;
	case CONFIG_BOOL:
		if (strcmp(text, "true") == 0)
			v->bools[i] = true;
		else if (strcmp(text, "false") == 0)
			v->bools[i] = false;
		else {
			diag_add(d, where, 0, 0, o->name, "%s: expected true or "
			    "false, got '%s'", o->name, text);
			return -1;
		}
		break;
	case CONFIG_INT:
		if (yparse_uint64(text + (neg ? 1 : 0), INT64_MAX, &u) == -1 ||
		    (neg ? -(int64_t)u : (int64_t)u) < o->min ||
		    (neg ? -(int64_t)u : (int64_t)u) > o->max) {
			diag_add(d, where, 0, 0, o->name, "%s: expected an integer "
			    "from %lld to %lld, got '%s'", o->name,
			    (long long)o->min, (long long)o->max, text);
			return -1;
		}
		v->ints[i] = neg ? -(int64_t)u : (int64_t)u;
		break;
	case CONFIG_SECTION:
		diag_add(d, where, 0, 0, o->name, "%s: can only be given in the "
		    "config file", o->name);
		return -1;
	case CONFIG_LIST:
		s_list_free(&v->lists[i]);
		v->lists[i] = s_list_split(text);
		break;
	}
	v->set[i] = true;
	return 0;
}

static int
s_load_file(config_values *v, const char *file, diag_list *d)
{
	ydoc *doc = ydoc_load(file, &YDOC_LIMITS_SMALL, d);
	yfield *fields;
	ynode **slots;
	int rc;

	if (doc == NULL)
		return -1;
	fields = xcalloc(v->count, sizeof *fields);
	slots = xcalloc(v->count, sizeof *slots);
	for (size_t i = 0; i < v->count; i++) {
		fields[i].name = v->options[i].name;
		fields[i].slot = &slots[i];
	}
	rc = ymap_check(doc, doc->root, "", fields, v->count, d);
	for (size_t i = 0; i < v->count; i++) {
		const config_option *o = &v->options[i];
		int64_t n;
		int r = 0;

		if (slots[i] == NULL)
			continue;
		switch (o->type) {
		case CONFIG_STRING:
			free(v->strings[i]);
			v->strings[i] = NULL;
			r = yget_str(doc, slots[i], o->name, &v->strings[i], d);
			break;
		case CONFIG_BOOL:
			r = yget_bool(doc, slots[i], o->name, &v->bools[i], d);
			break;
		case CONFIG_INT:
			r = yget_int(doc, slots[i], o->name, o->min, o->max, &n, d);
			if (r == 0)
				v->ints[i] = n;
			break;
		case CONFIG_SECTION:
			break;	/* the program reads it */
		case CONFIG_LIST: {
			char **items = NULL;
			size_t k = 0;

			/* The list comes NULL-terminated. */
			r = yget_str_list(doc, slots[i], o->name, &items, &k, d);
			if (r == 0) {
				s_list_free(&v->lists[i]);
				v->lists[i] = items;
			}
			break;
		}
		}
		if (r == 0)
			v->set[i] = true;
		else
			rc = -1;
	}
	free(fields);
	free(slots);
	ydoc_free(&doc);
	return rc;
}

static int
s_load_flags(config_values *v, int argc, char **argv, diag_list *d)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		int idx;

		if (strncmp(a, "--", 2) != 0) {
			diag_add(d, CMDLINE, 0, 0, NULL, "unexpected argument '%s'", a);
			rc = -1;
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		if (strncmp(a, "config", 6) == 0 && (a[6] == '\0' || a[6] == '=')) {
			if (eq == NULL)
				i++;
			continue;
		}
		idx = s_index(v->options, v->count, a, eq ? (size_t)(eq - a) : strlen(a));
		if (idx < 0) {
			diag_add(d, CMDLINE, 0, 0, NULL, "unknown option '%s'", argv[i]);
			rc = -1;
			continue;
		}
		if (eq) {
			rc |= s_set_text(v, (size_t)idx, eq + 1, CMDLINE, d);
		} else if (v->options[idx].type == CONFIG_BOOL) {
			v->bools[idx] = true;
			v->set[idx] = true;
		} else if (i + 1 < argc) {
			rc |= s_set_text(v, (size_t)idx, argv[++i], CMDLINE, d);
		} else {
			diag_add(d, CMDLINE, 0, 0, NULL, "option '%s' needs a value",
			    argv[i]);
			rc = -1;
		}
	}
	return rc ? -1 : 0;
}

int
config_load(const config_option *options, size_t count, const char *file,
    int argc, char **argv, config_values *out, diag_list *d)
{
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->options = options;
	out->count = count;
	out->strings = xcalloc(count, sizeof *out->strings);
	out->ints = xcalloc(count, sizeof *out->ints);
	out->bools = xcalloc(count, sizeof *out->bools);
	out->lists = xcalloc(count, sizeof *out->lists);
	out->set = xcalloc(count, sizeof *out->set);
	for (size_t i = 0; i < count; i++)
		if (options[i].default_value)
			s_set_text(out, i, options[i].default_value, "<default>", d);
	if (file && s_load_file(out, file, d) == -1)
		rc = -1;
	if (s_load_flags(out, argc, argv, d) == -1)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (options[i].required && !out->set[i]) {
			diag_add(d, file ? file : CMDLINE, 0, 0, options[i].name,
			    "%s: required (in the config file or as --%s)",
			    options[i].name, options[i].name);
			rc = -1;
		}
	}
	return rc;
}

void
config_values_release(config_values *v)
{
	for (size_t i = 0; i < v->count; i++) {
		free(v->strings ? v->strings[i] : NULL);
		if (v->lists)
			s_list_free(&v->lists[i]);
	}
	free(v->lists);
	free(v->strings);
	free(v->ints);
	free(v->bools);
	free(v->set);
	memset(v, 0, sizeof *v);
}

static size_t
s_must_index(const config_values *v, const char *name)
{
	int i = s_index(v->options, v->count, name, strlen(name));

	if (i < 0)
		fatalx("config: no option '%s'", name);
	return (size_t)i;
}

const char *
config_str(const config_values *v, const char *name)
{
	return v->strings[s_must_index(v, name)];
}

int64_t
config_int(const config_values *v, const char *name)
{
	return v->ints[s_must_index(v, name)];
}

bool
config_bool(const config_values *v, const char *name)
{
	return v->bools[s_must_index(v, name)];
}

const char *const *
config_list(const config_values *v, const char *name, size_t *n)
{
	char **l = v->lists[s_must_index(v, name)];
	size_t k = 0;

	while (l && l[k])
		k++;
	if (n)
		*n = k;
	return (const char *const *)l;
}

const char *
config_file_arg(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

void
config_print_help(const config_option *options, size_t count,
    const char *program, const char *extra)
{
	printf("usage: %s [--config FILE] [--OPTION VALUE ...]%s%s\noptions "
	    "(config keys and flags):\n", program, extra ? " " : "",
	    extra ? extra : "");
	for (size_t i = 0; i < count; i++)
		printf("  --%-18s %s%s%s%s\n", options[i].name, options[i].help,
		    options[i].default_value ? " (default " : "",
		    options[i].default_value ? options[i].default_value : "",
		    options[i].default_value ? ")" : "");
}
