/*
 * test_textsafe.c: escaping of data for display and CSV (common/textsafe.c)
 * and table fitting (common/table.c), which every table cell goes through.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "table.h"
#include "textsafe.h"

static char *
s_safe(const char *in)
{
	return textsafe_dup(in);
}

static void
test_controls_escaped(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "a\tb", "a\\tb" },
		{ "line\nforged", "line\\nforged" },
		{ "cr\rover", "cr\\rover" },
		{ "\x1b]0;title\x07", "\\x1B]0;title\\x07" },
		{ "\x1b[2J", "\\x1B[2J" },
		{ "del\x7f", "del\\x7F" },
		{ "C1 \xc2\x9b" "31m", "C1 \\u009B31m" },
		{ "bidi \xe2\x80\xae" "txt", "bidi \\u202Etxt" },
		{ "sep \xe2\x80\xa8" "x", "sep \\u2028x" },
		{ "bad \xff\xfe utf8", "bad \\xFF\\xFE utf8" },
		{ "C:\\VMs\\Prüf", "C:\\VMs\\Prüf" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = s_safe(cases[i].in);

		assert_string_equal(got, cases[i].out);
		assert_int_equal(textsafe_clean(cases[i].in),
		    strcmp(cases[i].in, cases[i].out) == 0);
		/* Nothing that reaches a terminal stays. */
		for (const char *p = got; *p; p++)
			assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
		free(got);
	}
}

static char *
s_cell(const char *in)
{
	strbuf sb;

	strbuf_init(&sb);
	textsafe_csv_cell(&sb, in);
	return strbuf_detach(&sb, NULL);
}

static void
test_csv_cells(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"" },
		{ "+1+1", "'+1+1" },
		{ "-2+3", "'-2+3" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "\t=1", "'\\t=1" },
		{ "\r=1", "'\\r=1" },
		{ "a,b", "\"a,b\"" },
		{ "two\nlines", "two\\nlines" },
		{ " padded", "\" padded\"" },
		{ "x=1", "x=1" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = s_cell(cases[i].in);

		assert_string_equal(got, cases[i].out);
		assert_null(strchr(got, '\n'));
		free(got);
	}
	{
		char *none = s_cell(NULL);

		assert_string_equal(none, "");
		free(none);
	}
}

static char *
s_render(table *t, size_t columns)
{
	strbuf sb;

	strbuf_init(&sb);
	table_render_fit(t, &sb, columns);
	return strbuf_detach(&sb, NULL);
}

static size_t
s_widest_line(const char *text)
{
	size_t widest = 0;

	while (*text) {
		size_t n = strcspn(text, "\n");
		char *line = strndup(text, n);
		size_t w = textsafe_width(line);

		free(line);
		if (w > widest)
			widest = w;
		text += n + (text[n] == '\n');
	}
	return widest;
}

static void
test_table_fits(void **state)
{
	static const char *const head[] = { "ID", "RESOURCE", "DETECTED" };
	const char *row[3] = { "d-1", NULL, "2026-01-02T03:04:05Z" };
	char longer[400];
	table *t = table_new(3, head);
	char *full, *fit;

	(void)state;
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	row[1] = longer;
	table_add(t, row);
	row[1] = "short\tone";
	table_add(t, row);
	table_keep(t, 2);
	full = s_render(t, 0);
	assert_true(s_widest_line(full) > 400);
	fit = s_render(t, 80);
	assert_true(s_widest_line(fit) <= 80);
	assert_non_null(strstr(fit, "\xe2\x80\xa6"));		/* ellipsis */
	assert_non_null(strstr(fit, "2026-01-02T03:04:05Z"));	/* kept */
	assert_non_null(strstr(fit, "short\\tone"));
	assert_null(strchr(fit, '\t'));
	/* A table that fits is not changed by a width. */
	free(full);
	free(fit);
	table_free(&t);
	t = table_new(3, head);
	row[1] = "r";
	table_add(t, row);
	full = s_render(t, 0);
	fit = s_render(t, 80);
	assert_string_equal(full, fit);
	assert_string_equal(full, "ID   RESOURCE  DETECTED\n"
	    "d-1  r         2026-01-02T03:04:05Z\n");
	free(full);
	free(fit);
	table_free(&t);
	table_free(&t);	/* NULL is fine */
}

static void
test_table_narrow_floor(void **state)
{
	static const char *const head[] = { "A", "B" };
	const char *row[2] = { "0123456789abcdef", "0123456789abcdef" };
	table *t = table_new(2, head);
	char *fit;

	(void)state;
	table_add(t, row);
	/* Floors (TABLE_MIN_COLUMN each) win over a too narrow terminal. */
	fit = s_render(t, 10);
	assert_string_equal(fit, "A         B\n"
	    "0123456\xe2\x80\xa6  0123456\xe2\x80\xa6\n");
	free(fit);
	table_free(&t);
}

static void
test_table_shrink_first(void **state)
{
	static const char *const head[] = { "RESOURCE", "ACTION" };
	const char *row[2] = { "guest VM0001 (c15c0289)/VSS",
	    "would disable it on the guest (mode audit changes nothing)" };
	table *t = table_new(2, head);
	char *fit;

	(void)state;
	table_add(t, row);
	table_shrink_first(t, 1);
	/* The resource keeps its width while the action can give way. */
	fit = s_render(t, 50);
	assert_non_null(strstr(fit, "guest VM0001 (c15c0289)/VSS  would"));
	assert_true(s_widest_line(fit) == 50);
	free(fit);
	table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_csv_cells),
		cmocka_unit_test(test_table_fits),
		cmocka_unit_test(test_table_narrow_floor),
		cmocka_unit_test(test_table_shrink_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
