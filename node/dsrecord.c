/*
 * dsrecord.c: which entries of DataSourceGroups.xml hvpolicy wrote, kept
 * in the node's state directory (dsrecord.h).
 */
#include "dsrecord.h"

#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "strbuf.h"
#include "xalloc.h"

#define S_HEADER "hvpolicy-dsgroups-written 1"
#define S_MAX_BYTES (16u * 1024 * 1024)

static char *
s_path(const char *dir)
{
	return platform_path_join(dir, DSRECORD_FILE);
}

/* One "GUID\tCLUSTER" line (without its end) into r. */
static int
s_line(dsmerge_record *r, char *line, size_t len)
{
	char *tab = memchr(line, '\t', len);

	if (tab == NULL || tab == line)
		return -1;
	*tab = '\0';
	line[len] = '\0';
	if (strchr(tab + 1, '\t') != NULL)
		return -1;
	xgrow(&r->v, &r->cap, r->n + 1, sizeof *r->v);
	r->v[r->n].id = xstrdup(line);
	r->v[r->n].cluster = xstrdup(tab + 1);
	r->n++;
	return 0;
}

int
dsrecord_load(const char *dir, dsmerge_record *r, char **err)
{
	char *path = s_path(dir), *data = NULL, *p, *end;
	size_t len = 0, lineno = 1;
	int rc = 0;

	dsmerge_record_clear(r);
	if (!platform_file_exists(path)) {
		free(path);
		return 1;
	}
	if (platform_read_file(path, S_MAX_BYTES, &data, &len, err) == -1) {
		free(path);
		return -1;
	}
	end = data + len;
	p = memchr(data, '\n', len);
	if (p == NULL || (size_t)(p - data) != strlen(S_HEADER) ||
	    memcmp(data, S_HEADER, strlen(S_HEADER)) != 0) {
		*err = xasprintf("%s: line 1: expected '%s'", path, S_HEADER);
		rc = -1;
	}
	for (p = p ? p + 1 : end; rc == 0 && p < end; ) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		lineno++;
		if (nl == NULL || s_line(r, p, (size_t)(nl - p)) == -1) {
			*err = xasprintf("%s: line %zu: expected GUID, a tab "
			    "and a cluster name, ending in a line feed", path,
			    lineno);
			rc = -1;
			break;
		}
		p = nl + 1;
	}
	if (rc == -1)
		dsmerge_record_clear(r);
	else
		dsmerge_record_sort(r);
	free(data);
	free(path);
	return rc;
}

int
dsrecord_save(const char *dir, const dsmerge_record *r, char **err)
{
	char *path = s_path(dir);
	strbuf sb;
	int rc;

	strbuf_init(&sb);
	strbuf_addf(&sb, "%s\n", S_HEADER);
	for (size_t i = 0; i < r->n; i++) {
		/* GUIDs and cluster names hold no tab or line end; one that
		 * did could not be read back. */
		if (strpbrk(r->v[i].id, "\t\r\n") ||
		    strpbrk(r->v[i].cluster, "\t\r\n"))
			continue;
		strbuf_addf(&sb, "%s\t%s\n", r->v[i].id, r->v[i].cluster);
	}
	rc = platform_replace_file(path, sb.data, sb.len, true, err);
	strbuf_release(&sb);
	free(path);
	return rc;
}
