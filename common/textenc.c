/*
 * textenc.c: UTF-8 / UTF-16 detection and conversion (textenc.h).
 */
#include "textenc.h"

#include <string.h>

#define GUESS_WINDOW	65536

size_t
textenc_bom(const void *data, size_t len, textenc_kind *kind)
{
	const unsigned char *b = data;

	*kind = TEXTENC_UTF8;
	if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		return 3;
	if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
		*kind = TEXTENC_UTF16LE;
		return 2;
	}
	if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
		*kind = TEXTENC_UTF16BE;
		return 2;
	}
	return 0;
}

textenc_kind
textenc_guess(const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t even = 0, odd = 0;

	if (len > GUESS_WINDOW)
		len = GUESS_WINDOW;
	for (size_t i = 0; i < len; i++) {
		if (b[i] != 0)
			continue;
		if (i % 2)
			odd++;
		else
			even++;
	}
	/* At least one character in eight must carry a NUL to call it
	 * UTF-16, and the NULs must sit mostly on one side. */
	if ((even + odd) * 8 < len / 2 || even + odd == 0)
		return TEXTENC_UTF8;
	if (odd > 4 * even)
		return TEXTENC_UTF16LE;
	if (even > 4 * odd)
		return TEXTENC_UTF16BE;
	return TEXTENC_UTF8;
}

size_t
textenc_utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *b = (const unsigned char *)s;
	uint32_t c, min;
	size_t n;

	if (len == 0)
		return 0;
	if (b[0] < 0x80) {
		*cp = b[0];
		return 1;
	}
	if ((b[0] & 0xE0) == 0xC0) {
		n = 2; c = b[0] & 0x1F; min = 0x80;
	} else if ((b[0] & 0xF0) == 0xE0) {
		n = 3; c = b[0] & 0x0F; min = 0x800;
	} else if ((b[0] & 0xF8) == 0xF0) {
		n = 4; c = b[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((b[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (b[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

bool
textenc_utf8_valid(const char *s, size_t len, size_t *bad)
{
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = textenc_utf8_next(s + i, len - i, &cp);

		if (n == 0) {
			if (bad)
				*bad = i;
			return false;
		}
		i += n;
	}
	return true;
}

void
textenc_put_utf8(strbuf *out, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		b[0] = (char)cp;
		strbuf_add(out, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		strbuf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		strbuf_add(out, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		strbuf_add(out, b, 4);
	}
}

static void
s_put_unit_le(strbuf *out, uint32_t u)
{
	char b[2] = { (char)(u & 0xFF), (char)(u >> 8) };

	strbuf_add(out, b, 2);
}

void
textenc_put_utf16le(strbuf *out, uint32_t cp)
{
	if (cp < 0x10000) {
		s_put_unit_le(out, cp);
		return;
	}
	cp -= 0x10000;
	s_put_unit_le(out, 0xD800 | (cp >> 10));
	s_put_unit_le(out, 0xDC00 | (cp & 0x3FF));
}

/* Appends the run of ASCII at s (at most n bytes) as UTF-16LE in one
 * step, returning its length: a file of megabytes is mostly ASCII, and
 * a call per unit costs more than the conversion. */
static size_t
s_ascii_to_utf16le(strbuf *out, const char *s, size_t n)
{
	char *dst;
	size_t k;

	strbuf_reserve(out, 2 * n);
	dst = out->data + out->len;
	for (k = 0; k < n && (unsigned char)s[k] < 0x80; k++) {
		dst[2 * k] = s[k];
		dst[2 * k + 1] = 0;
	}
	out->len += 2 * k;
	out->data[out->len] = '\0';
	return k;
}

int
textenc_utf8_to_utf16le(strbuf *out, const char *s, size_t len, size_t *bad)
{
	uint32_t cp;

	/* Each byte of UTF-8 makes at most two of UTF-16: one allocation. */
	strbuf_reserve(out, 2 * len);
	for (size_t i = 0; i < len;) {
		size_t n, run = s_ascii_to_utf16le(out, s + i, len - i);

		if (run > 0) {
			i += run;
			continue;
		}
		n = textenc_utf8_next(s + i, len - i, &cp);

		if (n == 0) {
			if (bad)
				*bad = i;
			return -1;
		}
		textenc_put_utf16le(out, cp);
		i += n;
	}
	return 0;
}

size_t
textenc_utf8_width(const char *s)
{
	size_t len = strlen(s), w = 0;
	uint32_t cp;

	for (size_t i = 0; i < len; w++) {
		size_t n = textenc_utf8_next(s + i, len - i, &cp);

		i += n ? n : 1;
	}
	return w;
}

static int
s_fail(size_t off, size_t *bad)
{
	if (bad)
		*bad = off;
	return -1;
}

static int
s_decode_utf8(const unsigned char *b, size_t len, bool strict, strbuf *sb,
    size_t *bad)
{
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n, run = 0;

		while (i + run < len && b[i + run] != 0 && b[i + run] < 0x80)
			run++;
		if (run > 0) {
			strbuf_add(sb, b + i, run);
			i += run;
			continue;
		}
		n = textenc_utf8_next((const char *)b + i, len - i, &cp);
		if (n == 0 || cp == 0) {
			if (strict)
				return s_fail(i, bad);
			textenc_put_utf8(sb, TEXTENC_REPLACEMENT);
			i += n ? n : 1;
			continue;
		}
		strbuf_add(sb, b + i, n);
		i += n;
	}
	return 0;
}

static uint32_t
s_unit(const unsigned char *b, bool be)
{
	return be ? (uint32_t)b[0] << 8 | b[1] : (uint32_t)b[1] << 8 | b[0];
}

/* The run of ASCII units (not NUL) at b, appended to sb as UTF-8 in one
 * step; returns its length in bytes. */
static size_t
s_utf16_ascii_run(const unsigned char *b, size_t len, bool be, strbuf *sb)
{
	/* The byte that holds the character, and the one that is 0. */
	size_t lo = be ? 1 : 0, hi = be ? 0 : 1, k = 0;
	char *dst;

	strbuf_reserve(sb, len / 2);
	dst = sb->data + sb->len;
	for (; 2 * k + 1 < len; k++) {
		unsigned char c = b[2 * k + lo];

		if (b[2 * k + hi] != 0 || c == 0 || c >= 0x80)
			break;
		dst[k] = (char)c;
	}
	sb->len += k;
	sb->data[sb->len] = '\0';
	return 2 * k;
}

static int
s_decode_utf16(const unsigned char *b, size_t len, bool be, bool strict,
    strbuf *sb, size_t *bad)
{
	size_t i = 0;

	for (; i + 1 < len; i += 2) {
		uint32_t u, lo;
		size_t run = s_utf16_ascii_run(b + i, len - i, be, sb);

		if (run > 0) {
			i += run - 2;	/* the loop adds 2 */
			continue;
		}
		u = s_unit(b + i, be);

		if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len &&
		    (lo = s_unit(b + i + 2, be)) >= 0xDC00 && lo <= 0xDFFF) {
			textenc_put_utf8(sb, 0x10000 +
			    ((u - 0xD800) << 10) + (lo - 0xDC00));
			i += 2;
			continue;
		}
		if (u == 0 || (u >= 0xD800 && u <= 0xDFFF)) {
			if (strict)
				return s_fail(i, bad);
			u = TEXTENC_REPLACEMENT;
		}
		textenc_put_utf8(sb, u);
	}
	if (i < len && strict)
		return s_fail(i, bad);
	return 0;
}

int
textenc_decode(const void *data, size_t len, textenc_kind kind, bool strict,
    char **out, size_t *outlen, size_t *bad)
{
	strbuf sb;
	int rc;

	strbuf_init(&sb);
	/* Mostly ASCII: as many bytes as it has characters. */
	strbuf_reserve(&sb, kind == TEXTENC_UTF8 ? len : len / 2);
	if (kind == TEXTENC_UTF8)
		rc = s_decode_utf8(data, len, strict, &sb, bad);
	else
		rc = s_decode_utf16(data, len, kind == TEXTENC_UTF16BE,
		    strict, &sb, bad);
	if (rc == -1) {
		strbuf_release(&sb);
		*out = NULL;
		if (outlen)
			*outlen = 0;
		return -1;
	}
	*out = strbuf_detach(&sb, outlen);
	return 0;
}
