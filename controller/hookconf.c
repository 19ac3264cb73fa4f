/*
 * hookconf.c: the `webhooks:` section of the controller's config
 * (hookconf.h).
 */
#include "hookconf.h"

#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

static const char *const s_types[] = { "drift", "revision", "node", "plan",
    NULL };

static bool
s_name_ok(const char *name)
{
	if (*name == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return false;
	return true;
}

/* A list of names from allowed, as ",a,b,"; NULL node: NULL. */
static int
s_filter(const ydoc *doc, const ynode *n, const char *path,
    const char *const *allowed, char **out, diag_list *d)
{
	char **list = NULL;
	size_t count = 0;
	strbuf sb;
	int rc = 0, k;

	*out = NULL;
	if (n == NULL)
		return 0;
	if (yget_str_list(doc, n, path, &list, &count, d) == -1)
		return -1;
	strbuf_init(&sb);
	strbuf_addch(&sb, ',');
	for (size_t i = 0; i < count; i++) {
		for (k = 0; allowed[k] && strcmp(allowed[k], list[i]) != 0; k++)
			;
		if (allowed[k] == NULL) {
			ydiag(doc, n->values[i], path, d, "%s: unknown value "
			    "'%s'", path, list[i]);
			rc = -1;
		}
		strbuf_addf(&sb, "%s,", list[i]);
	}
	if (count == 0) {
		ydiag(doc, n, path, d, "%s: an empty list matches nothing; "
		    "leave the key out to match everything", path);
		rc = -1;
	}
	ystr_list_free(&list, &count);
	if (rc == 0)
		*out = strbuf_detach(&sb, NULL);
	else
		strbuf_release(&sb);
	return rc;
}

static int
s_secret(const ydoc *doc, const ynode *n, const char *path, const char *file,
    hook_endpoint *e, diag_list *d)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;

	if (platform_read_file(file, HOOKCONF_MAX_SECRET, &data, &len,
	    &err) == -1) {
		ydiag(doc, n, path, d, "%s: %s", path, err);
		free(err);
		return -1;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
	    data[len - 1] == ' ' || data[len - 1] == '\t'))
		len--;
	if (len == 0) {
		ydiag(doc, n, path, d, "%s: %s is empty (write a random "
		    "secret into it, e.g. openssl rand -hex 32)", path, file);
		free(data);
		return -1;
	}
	e->secret = (uint8_t *)data;
	e->secret_len = len;
	return 0;
}

static int
s_endpoint(const ydoc *doc, const ynode *n, const char *path,
    hook_endpoint *e, diag_list *d)
{
	ynode *name = NULL, *url = NULL, *secret = NULL, *types = NULL,
	    *status = NULL, *backoff = NULL, *timeout = NULL;
	yfield fields[] = {
		{ "name", &name, true },
		{ "url", &url, true },
		{ "secretFile", &secret, true },
		{ "types", &types, false },
		{ "status", &status, false },
		{ "maxBackoffSeconds", &backoff, false },
		{ "timeoutSeconds", &timeout, false },
	};
	char *p, *file = NULL;
	int64_t v;
	int rc;

	memset(e, 0, sizeof *e);
	e->max_backoff_s = HOOKCONF_DEFAULT_MAX_BACKOFF_S;
	e->timeout_s = 10;
	if (yget_map(doc, n, path, d) == -1)
		return -1;
	rc = ymap_check(doc, n, path, fields, sizeof fields / sizeof fields[0],
	    d);
	if (rc == -1)
		return -1;
	p = ypath_key(path, "name");
	if (yget_str(doc, name, p, &e->name, d) == -1)
		rc = -1;
	else if (!s_name_ok(e->name)) {
		ydiag(doc, name, p, d, "%s: use letters, digits, '.', '_' and "
		    "'-'", p);
		rc = -1;
	}
	free(p);
	p = ypath_key(path, "url");
	if (yget_str(doc, url, p, &e->url, d) == -1)
		rc = -1;
	else if (strncmp(e->url, "http://", 7) != 0 &&
	    strncmp(e->url, "https://", 8) != 0) {
		ydiag(doc, url, p, d, "%s: expected an http:// or https:// URL",
		    p);
		rc = -1;
	}
	free(p);
	p = ypath_key(path, "secretFile");
	if (yget_str(doc, secret, p, &file, d) == -1 ||
	    s_secret(doc, secret, p, file, e, d) == -1)
		rc = -1;
	free(file);
	free(p);
	p = ypath_key(path, "types");
	rc |= s_filter(doc, types, p, s_types, &e->types, d);
	free(p);
	p = ypath_key(path, "status");
	rc |= s_filter(doc, status, p, DRIFT_STATUS_NAMES, &e->statuses, d);
	free(p);
	p = ypath_key(path, "maxBackoffSeconds");
	if (backoff && yget_int(doc, backoff, p, 1, 86400, &v, d) == 0)
		e->max_backoff_s = (int)v;
	else if (backoff)
		rc = -1;
	free(p);
	p = ypath_key(path, "timeoutSeconds");
	if (timeout && yget_int(doc, timeout, p, 1, 300, &v, d) == 0)
		e->timeout_s = (int)v;
	else if (timeout)
		rc = -1;
	free(p);
	return rc ? -1 : 0;
}

int
hookconf_parse(const ydoc *doc, const ynode *list, hook_endpoint **out,
    size_t *n, diag_list *d)
{
	hook_endpoint *e;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (list == NULL || ynode_is_null(list))
		return 0;
	if (yget_seq(doc, list, "webhooks", d) == -1)
		return -1;
	if (list->count > HOOKCONF_MAX_ENDPOINTS) {
		ydiag(doc, list, "webhooks", d, "webhooks: at most %d endpoints",
		    HOOKCONF_MAX_ENDPOINTS);
		return -1;
	}
	e = xcalloc(list->count + 1, sizeof *e);
	for (size_t i = 0; i < list->count; i++) {
		char *path = ypath_index("webhooks", i);

		if (s_endpoint(doc, list->values[i], path, &e[i], d) == -1)
			rc = -1;
		for (size_t k = 0; rc == 0 && k < i; k++)
			if (strcmp(e[k].name, e[i].name) == 0) {
				ydiag(doc, list->values[i], path, d, "%s: "
				    "name %s is used twice", path, e[i].name);
				rc = -1;
			}
		free(path);
	}
	if (rc == -1) {
		hookconf_free(&e, list->count);
		return -1;
	}
	*out = e;
	*n = list->count;
	return 0;
}

int
hookconf_load(const char *file, hook_endpoint **out, size_t *n, diag_list *d)
{
	ydoc *doc;
	int rc;

	*out = NULL;
	*n = 0;
	if (file == NULL)
		return 0;
	if ((doc = ydoc_load(file, &YDOC_LIMITS_SMALL, d)) == NULL)
		return -1;
	rc = hookconf_parse(doc, ymap_get(doc->root, "webhooks"), out, n, d);
	ydoc_free(&doc);
	return rc;
}

void
hookconf_endpoint_clear(hook_endpoint *e)
{
	free(e->name);
	free(e->url);
	if (e->secret)
		memset(e->secret, 0, e->secret_len);
	free(e->secret);
	free(e->types);
	free(e->statuses);
	memset(e, 0, sizeof *e);
}

void
hookconf_free(hook_endpoint **list, size_t n)
{
	if (*list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		hookconf_endpoint_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}
