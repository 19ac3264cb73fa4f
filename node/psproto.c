/*
 * psproto.c: -EncodedCommand and the PowerShell host's line protocol
 * (psproto.h). Base64 is libsodium's (original variant, with padding),
 * UTF-16LE is textenc.c's. Called by winrun.c, the stand-in
 * powershell.exe and the unit tests.
 */
#include "psproto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "strbuf.h"
#include "textenc.h"
#include "xalloc.h"

#define S_B64 sodium_base64_VARIANT_ORIGINAL

static char *
s_b64(const void *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, S_B64);
	char *out = xmalloc(n);

	sodium_bin2base64(out, n, data, len, S_B64);
	return out;
}

/* Decodes base64 (no whitespace) into an owned buffer with a NUL after
 * it; -1 when it is not base64. */
static int
s_unb64(const char *b64, size_t b64len, char **out, size_t *len)
{
	size_t max = b64len / 4 * 3 + 3, got = 0;
	const char *end = NULL;
	char *buf = xmalloc(max + 1);

	if (sodium_base642bin((unsigned char *)buf, max, b64, b64len, NULL,
	    &got, &end, S_B64) != 0 || end != b64 + b64len) {
		free(buf);
		return -1;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

char *
psproto_encode_command(const char *script, char **err)
{
	strbuf sb;
	size_t bad = 0;
	char *out;

	strbuf_init(&sb);
	if (textenc_utf8_to_utf16le(&sb, script, strlen(script), &bad) == -1) {
		strbuf_release(&sb);
		*err = xasprintf("command: invalid UTF-8 at byte %zu", bad);
		return NULL;
	}
	out = s_b64(sb.data ? sb.data : "", sb.len);
	strbuf_release(&sb);
	return out;
}

int
psproto_decode_command(const char *b64, char **script, char **err)
{
	char *raw;
	size_t len, outlen, bad = 0;

	if (s_unb64(b64, strlen(b64), &raw, &len) == -1) {
		*err = xstrdup("-EncodedCommand: the value is not base64");
		return -1;
	}
	if (len % 2 != 0 || textenc_decode(raw, len, TEXTENC_UTF16LE, true,
	    script, &outlen, &bad) == -1) {
		*err = xasprintf("-EncodedCommand: not UTF-16LE text "
		    "(byte %zu)", len % 2 ? len : bad);
		free(raw);
		return -1;
	}
	free(raw);
	return 0;
}

char *
psproto_request(unsigned long id, const char *command)
{
	char *b = s_b64(command, strlen(command));
	char *line = xasprintf("Q %lu %s\n", id, b);

	free(b);
	return line;
}

/* A decimal id at s up to a space; the position after it, or NULL. */
static const char *
s_id(const char *s, unsigned long *id)
{
	char *end;

	if (*s < '0' || *s > '9')
		return NULL;
	errno = 0;
	*id = strtoul(s, &end, 10);
	if (errno != 0 || *end != ' ')
		return NULL;
	return end + 1;
}

/* Decoded UTF-8 text of a base64 field; -1 when it is neither. */
static int
s_text(const char *b64, char **text, size_t *len)
{
	char *t;
	size_t n;

	if (s_unb64(b64, strlen(b64), &t, &n) == -1)
		return -1;
	if (!textenc_utf8_valid(t, n, NULL)) {
		free(t);
		return -1;
	}
	*text = t;
	*len = n;
	return 0;
}

int
psproto_parse_request(const char *line, unsigned long *id, char **command,
    char **err)
{
	const char *p;
	size_t len;

	*command = NULL;
	if (strncmp(line, "Q ", 2) != 0 || (p = s_id(line + 2, id)) == NULL) {
		*err = xstrdup("request: expected \"Q <id> <base64>\"");
		return -1;
	}
	if (s_text(p, command, &len) == 0 && strlen(*command) == len)
		return 0;
	free(*command);
	*command = NULL;
	*err = xasprintf("request %lu: the command is not base64 of UTF-8 "
	    "text", *id);
	return -1;
}

static int
s_bad(psproto_msg *m, char **err, const char *line, const char *why)
{
	psproto_msg_clear(m);
	*err = xasprintf("PowerShell host: %s: \"%.60s\"", why, line);
	return -1;
}

static bool
s_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s == ' ' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

int
psproto_parse(const char *line, psproto_msg *m, char **err)
{
	const char *p;

	memset(m, 0, sizeof *m);
	if (strncmp(line, "READY ", 6) == 0) {
		m->kind = PSPROTO_READY;
		m->text = xstrdup(line + 6);
		m->len = strlen(m->text);
		return 0;
	}
	if (strncmp(line, "R ", 2) == 0) {
		m->kind = PSPROTO_RESULT;
		if ((p = s_id(line + 2, &m->id)) == NULL)
			return s_bad(m, err, line, "a result without an id");
		if (strncmp(p, "OK ", 3) == 0)
			m->ok = true;
		else if (strncmp(p, "ERR ", 4) != 0)
			return s_bad(m, err, line, "a result neither OK nor ERR");
		if (s_text(p + (m->ok ? 3 : 4), &m->text, &m->len) == -1)
			return s_bad(m, err, line, "a result that is not base64 "
			    "of UTF-8 text");
		return 0;
	}
	if (strncmp(line, "E ", 2) == 0) {
		const char *sp = strchr(line + 2, ' ');

		m->kind = PSPROTO_EVENT;
		if (sp == NULL)
			return s_bad(m, err, line, "an event without a subject");
		m->event = xstrndup(line + 2, (size_t)(sp - line - 2));
		m->subject = xstrdup(sp + 1);
		if (!s_token(m->event) || !s_token(m->subject))
			return s_bad(m, err, line, "an event with an empty or "
			    "spaced field");
		return 0;
	}
	if (strncmp(line, "N ", 2) == 0) {
		m->kind = PSPROTO_NOTE;
		if (s_text(line + 2, &m->text, &m->len) == -1)
			return s_bad(m, err, line, "a note that is not base64 of "
			    "UTF-8 text");
		return 0;
	}
	return s_bad(m, err, line, "a line outside the protocol");
}

void
psproto_msg_clear(psproto_msg *m)
{
	if (m == NULL)
		return;
	free(m->text);
	free(m->event);
	free(m->subject);
	memset(m, 0, sizeof *m);
}

char *
psproto_result(unsigned long id, bool ok, const void *data, size_t len)
{
	char *b = s_b64(data ? data : "", data ? len : 0);
	char *line = xasprintf("R %lu %s %s\n", id, ok ? "OK" : "ERR", b);

	free(b);
	return line;
}

char *
psproto_event(const char *kind, const char *subject)
{
	return xasprintf("E %s %s\n", kind, subject && *subject ? subject :
	    "-");
}
