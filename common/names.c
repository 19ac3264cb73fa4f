/*
 * names.c: what guest names, GUIDs and paths may be carried, and how to
 * show text that may not (names.h).
 */
#include "names.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostfile.h"
#include "textenc.h"
#include "textsafe.h"
#include "xalloc.h"

static bool
s_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int
names_check_text(const char *what, const char *s, size_t max_units,
    char **why)
{
	size_t len, units = 0, chars = 0;

	if (s == NULL || *s == '\0') {
		*why = xasprintf("%s is empty", what);
		return -1;
	}
	len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = textenc_utf8_next(s + i, len - i, &cp);

		if (n == 0) {
			*why = xasprintf("%s is not valid UTF-8 (byte 0x%02X "
			    "at byte %zu)", what, (unsigned char)s[i], i + 1);
			return -1;
		}
		chars++;
		if (s_is_control(cp)) {
			*why = xasprintf("%s has control character U+%04X at "
			    "character %zu", what, (unsigned)cp, chars);
			return -1;
		}
		units += cp >= 0x10000 ? 2 : 1;
		if (units > max_units) {
			*why = xasprintf("%s is longer than %zu characters",
			    what, max_units);
			return -1;
		}
		i += n;
	}
	return 0;
}

int
names_check_guest(const char *name, char **why)
{
	return names_check_text("name", name, NAMES_GUEST_MAX, why);
}

int
names_check_guid(const char *id, char **why)
{
	char guid[37];
	char *shown;

	if (id == NULL || *id == '\0') {
		*why = xstrdup("no GUID reported");
		return -1;
	}
	if (hostfile_guid_parse(id, guid) == 0)
		return 0;
	shown = names_show(id);
	*why = xasprintf("GUID '%s' is not 8-4-4-4-12 hex digits", shown);
	free(shown);
	return -1;
}

int
names_check_path(const char *path, char **why)
{
	return names_check_text("path", path, NAMES_PATH_MAX, why);
}

char *
names_clip(const char *s, size_t max_units)
{
	/* A character is at most 4 bytes and 2 units, so more than
	 * 4 * (max + 1) bytes always hold more than max units. */
	size_t keep = 4 * (max_units + 1), len;
	char *out;

	if (s == NULL)
		return xstrdup("");
	len = strlen(s);
	if (len <= keep)
		return xstrdup(s);
	/* Back to the start of the character cut in two: at most 3 bytes,
	 * so what is kept is still over the bound (or still invalid). */
	for (int i = 0; i < 3 && ((unsigned char)s[keep] & 0xc0) == 0x80; i++)
		keep--;
	out = xmalloc(keep + 1);
	memcpy(out, s, keep);
	out[keep] = '\0';
	return out;
}

char *
names_show(const char *s)
{
	strbuf sb;
	size_t len, end = 0, chars = 0;

	if (s == NULL)
		return xstrdup("");
	len = strlen(s);
	while (end < len && chars < NAMES_SHOW_MAX) {
		uint32_t cp;
		size_t n = textenc_utf8_next(s + end, len - end, &cp);

		end += n ? n : 1;
		chars++;
	}
	strbuf_init(&sb);
	textsafe_add_n(&sb, s, end);
	if (end < len)
		strbuf_addf(&sb, "...(%zu bytes)", len);
	return strbuf_detach(&sb, NULL);
}
