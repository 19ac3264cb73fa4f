/*
 * textenc.h: the text encodings Windows files and tool output come in
 * (UTF-8, UTF-16LE, UTF-16BE, with or without a byte-order mark) and the
 * conversions between them and the UTF-8 every other module works in.
 * Used by dsgroups.c (DataSourceGroups.xml is UTF-16LE) and evidence.c
 * (tool output and the DPM agent log). Pure; never fails on input, only
 * reports where it stopped.
 */
#ifndef HVP_TEXTENC_H
#define HVP_TEXTENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef enum textenc_kind {
	TEXTENC_UTF8 = 0, TEXTENC_UTF16LE, TEXTENC_UTF16BE,
} textenc_kind;

#define TEXTENC_REPLACEMENT 0xFFFDu

/* Reads a byte-order mark: returns its length in bytes (0 when there is
 * none) and sets *kind (TEXTENC_UTF8 when there is none). */
size_t textenc_bom(const void *data, size_t len, textenc_kind *kind);

/* Guesses the encoding of text without a mark from where its NUL bytes
 * fall (ASCII-heavy UTF-16 has one NUL per character). A tail cut at an
 * odd offset out of UTF-16LE reads correctly as UTF-16BE, which is what
 * this then answers. */
textenc_kind textenc_guess(const void *data, size_t len);

/*
 * Decodes data (no mark) to an owned, NUL-terminated UTF-8 string.
 * strict: invalid sequences, unpaired surrogates and NUL characters make
 * it return -1 with *bad set to their byte offset in data (bad may be
 * NULL). Otherwise each of them becomes U+FFFD, and a trailing odd byte
 * of UTF-16 is dropped; it then always returns 0.
 */
int textenc_decode(const void *data, size_t len, textenc_kind kind,
    bool strict, char **out, size_t *outlen, size_t *bad);

/* One UTF-8 sequence at s (len bytes available): returns its length and
 * sets *cp, or 0 when it is invalid (overlong, surrogate, > U+10FFFF,
 * truncated). */
size_t textenc_utf8_next(const char *s, size_t len, uint32_t *cp);
bool textenc_utf8_valid(const char *s, size_t len, size_t *bad);
/* Appends the code point (must be a scalar value) as UTF-8. */
void textenc_put_utf8(strbuf *out, uint32_t cp);
/* Appends the code point (must be a scalar value) as UTF-16LE. */
void textenc_put_utf16le(strbuf *out, uint32_t cp);
/* Appends UTF-8 text as UTF-16LE; -1 (with *bad) on invalid UTF-8. */
int textenc_utf8_to_utf16le(strbuf *out, const char *s, size_t len,
    size_t *bad);
/* Number of code points in valid UTF-8 (invalid bytes count one each). */
size_t textenc_utf8_width(const char *s);

#endif
