/*
 * dsheld.c: the DPM server's DataSourceGroups.xml kept parsed between
 * passes (dsheld.h).
 */
#include "dsheld.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct dsheld {
	char *data;		/* the bytes last seen; NULL: none */
	size_t len;
	dsgroups_doc doc;	/* their parse, when parsed */
	bool parsed;
	size_t parses;
};

dsheld *
dsheld_new(void)
{
	return xcalloc(1, sizeof(dsheld));
}

static void
s_forget(dsheld *h)
{
	free(h->data);
	h->data = NULL;
	h->len = 0;
	if (h->parsed)
		dsgroups_doc_clear(&h->doc);
	h->parsed = false;
}

void
dsheld_free(dsheld *h)
{
	if (h == NULL)
		return;
	s_forget(h);
	free(h);
}

static bool
s_same(const dsheld *h, const char *data, size_t len)
{
	return h->data != NULL && h->len == len &&
	    memcmp(h->data, data, len) == 0;
}

/* Parses the bytes held; -1 (and nothing held) when they do not parse. */
static int
s_parse(dsheld *h, char **err)
{
	memset(&h->doc, 0, sizeof h->doc);
	h->parses++;
	if (dsgroups_parse_doc(h->data, h->len, &h->doc, err) == -1) {
		dsgroups_doc_clear(&h->doc);
		free(h->data);
		h->data = NULL;
		h->len = 0;
		return -1;
	}
	h->parsed = true;
	return 0;
}

int
dsheld_doc(dsheld *h, char *data, size_t len, const dsgroups_doc **doc,
    char **err)
{
	*doc = NULL;
	*err = NULL;
	if (data == NULL || len == 0) {
		free(data);
		s_forget(h);
		return 0;
	}
	if (s_same(h, data, len)) {
		free(data);
	} else {
		s_forget(h);
		h->data = data;
		h->len = len;
	}
	if (!h->parsed && s_parse(h, err) == -1)
		return -1;
	*doc = &h->doc;
	return 0;
}

void
dsheld_wrote(dsheld *h, char *data, size_t len)
{
	s_forget(h);
	if (data == NULL || len == 0) {
		free(data);
		return;
	}
	h->data = data;
	h->len = len;
}

void
dsheld_prepare(dsheld *h)
{
	char *err = NULL;

	if (h == NULL || h->data == NULL || h->parsed)
		return;
	/* Bytes written here parse; if not, the next pass says why. */
	if (s_parse(h, &err) == -1)
		free(err);
}

size_t
dsheld_parses(const dsheld *h)
{
	return h->parses;
}
