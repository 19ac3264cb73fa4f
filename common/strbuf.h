/*
 * strbuf.h: a growable, always NUL-terminated byte buffer. Used by every
 * renderer (JSON, YAML, canonical policy text, XML). Running out of memory
 * is fatal; nothing else is.
 */
#ifndef HVP_STRBUF_H
#define HVP_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
	char *data;	/* owned; NUL-terminated; never NULL after init */
	size_t len;
	size_t cap;
} strbuf;

void strbuf_init(strbuf *sb);
void strbuf_release(strbuf *sb);	/* frees data, leaves sb empty */
void strbuf_reset(strbuf *sb);		/* len = 0, keeps memory */
/* Makes room for extra more bytes at once (a caller that knows how much
 * it will add spares the copies of growing step by step). */
void strbuf_reserve(strbuf *sb, size_t extra);
void strbuf_add(strbuf *sb, const void *data, size_t len);
void strbuf_addstr(strbuf *sb, const char *s);
void strbuf_addch(strbuf *sb, char c);
void strbuf_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (free() it) and leaves sb empty. */
char *strbuf_detach(strbuf *sb, size_t *len);

#endif
