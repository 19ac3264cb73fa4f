/*
 * textsafe.c: escaping data for display and CSV (textsafe.h). Called by
 * table.c for every table cell and by drift.c for every CSV cell.
 */
#include "textsafe.h"

#include <stdint.h>
#include <string.h>

#include "textenc.h"

/* Code points above U+007F shown escaped: C1 controls, the line and
 * paragraph separators, and the bidirectional controls that reorder what
 * follows them (Unicode TR9; the "Trojan Source" paper, CVE-2021-42574). */
static bool
s_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c || cp == 0xfeff;
}

/* Length of the safe run at s (bytes), or 0 when s starts with something
 * to escape. */
static size_t
s_safe_len(const char *s, size_t len)
{
	unsigned char c = (unsigned char)*s;
	uint32_t cp;
	size_t n;

	if (c < 0x20 || c == 0x7f)
		return 0;
	if (c < 0x80)
		return 1;
	n = textenc_utf8_next(s, len, &cp);
	return n == 0 || s_hidden(cp) ? 0 : n;
}

void
textsafe_add(strbuf *out, const char *s)
{
	textsafe_add_n(out, s, s ? strlen(s) : 0);
}

void
textsafe_add_n(strbuf *out, const char *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = s_safe_len(s + i, len - i);

		if (n) {
			strbuf_add(out, s + i, n);
			i += n;
			continue;
		}
		switch (s[i]) {
		case '\t': strbuf_addstr(out, "\\t"); i++; continue;
		case '\n': strbuf_addstr(out, "\\n"); i++; continue;
		case '\r': strbuf_addstr(out, "\\r"); i++; continue;
		}
		n = textenc_utf8_next(s + i, len - i, &cp);
		if (n > 1) {
			strbuf_addf(out, "\\u%04X", (unsigned)cp);
			i += n;
		} else {
			strbuf_addf(out, "\\x%02X", (unsigned char)s[i]);
			i++;
		}
	}
}

char *
textsafe_dup(const char *s)
{
	strbuf sb;

	strbuf_init(&sb);
	textsafe_add(&sb, s);
	return strbuf_detach(&sb, NULL);
}

bool
textsafe_clean(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0, n; i < len; i += n)
		if ((n = s_safe_len(s + i, len - i)) == 0)
			return false;
	return true;
}

size_t
textsafe_width(const char *s)
{
	return textenc_utf8_width(s);
}

void
textsafe_add_fit(strbuf *out, const char *s, size_t columns)
{
	size_t len = strlen(s), used = 0, i = 0;

	if (textsafe_width(s) <= columns) {
		strbuf_add(out, s, len);
		return;
	}
	if (columns == 0)
		return;
	while (i < len && used + 1 < columns) {
		uint32_t cp;
		size_t n = textenc_utf8_next(s + i, len - i, &cp);

		i += n ? n : 1;
		used++;
	}
	strbuf_add(out, s, i);
	strbuf_addstr(out, "\xe2\x80\xa6");	/* U+2026 */
}

void
textsafe_csv_cell(strbuf *out, const char *s)
{
	strbuf safe;
	bool formula, quote;

	if (s == NULL || *s == '\0')
		return;
	formula = strchr("=+-@\t\r", s[0]) != NULL;
	strbuf_init(&safe);
	if (formula)
		strbuf_addch(&safe, '\'');
	textsafe_add(&safe, s);
	quote = safe.data[strcspn(safe.data, ",\"")] != '\0' ||
	    safe.data[0] == ' ' || safe.data[safe.len - 1] == ' ';
	if (!quote) {
		strbuf_add(out, safe.data, safe.len);
	} else {
		strbuf_addch(out, '"');
		for (const char *p = safe.data; *p; p++) {
			if (*p == '"')
				strbuf_addch(out, '"');
			strbuf_addch(out, *p);
		}
		strbuf_addch(out, '"');
	}
	strbuf_release(&safe);
}
