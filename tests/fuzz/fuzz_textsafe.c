/*
 * fuzz_textsafe.c: display and CSV escaping and table fitting
 * (common/textsafe.c, common/table.c) over arbitrary bytes: nothing a
 * terminal acts on may come out, no cell may hold a line break, and a
 * fitted table never has a line wider than asked when its floors allow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "textsafe.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	if (!textsafe_clean(s))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	static const char *const head[] = { "A", "B" };
	const char *row[2];
	strbuf sb;
	table *t;

	memcpy(text, data, size);
	text[size] = '\0';
	strbuf_init(&sb);
	textsafe_add(&sb, text);
	s_check_safe(sb.data, sb.len);
	strbuf_reset(&sb);
	textsafe_csv_cell(&sb, text);
	s_check_safe(sb.data, sb.len);
	if (strchr("=+-@", sb.data[0]) && sb.data[0] != '\0')
		abort();
	strbuf_reset(&sb);
	t = table_new(2, head);
	row[0] = text;
	row[1] = text;
	table_add(t, row);
	table_render_fit(t, &sb, 1 + size % 200);
	for (char *line = sb.data; *line; line++)
		if ((unsigned char)*line < 0x20 && *line != '\n')
			abort();
	table_free(&t);
	strbuf_release(&sb);
	free(text);
	return 0;
}
