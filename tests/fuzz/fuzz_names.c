/*
 * fuzz_names.c: libFuzzer target for the name rule (common/names.c). For
 * any bytes: the check never crashes; a clipped copy is accepted exactly
 * when the original is, unless the original is over its bound (then
 * both are refused); what names_show() and textsafe_add_n() produce is
 * valid UTF-8 without a control character.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "textsafe.h"
#include "textenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_shown(const char *s, size_t len)
{
	size_t bad;

	if (!textenc_utf8_valid(s, len, &bad))
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	/* C1 controls are two bytes in UTF-8: 0xC2 0x80..0x9F. */
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)s[i] == 0xc2 &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *why = NULL, *why2 = NULL, *c, *shown;
	size_t max = size > 0 ? data[0] % 8 : 4;
	int rc, rc2;
	strbuf sb;

	memcpy(s, data, size);
	s[size] = '\0';
	rc = names_check_text("name", s, max, &why);
	c = names_clip(s, max);
	rc2 = names_check_text("name", c, max, &why2);
	if (rc != rc2)
		abort();
	if (rc == 0 && strcmp(c, s) != 0)
		abort();
	free(why);
	free(why2);
	free(c);
	shown = names_show(s);
	s_check_shown(shown, strlen(shown));
	free(shown);
	strbuf_init(&sb);
	textsafe_add_n(&sb, (const char *)data, size);
	s_check_shown(sb.data, sb.len);
	strbuf_release(&sb);
	free(s);
	return 0;
}
