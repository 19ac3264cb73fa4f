/*
 * test_textenc.c: the conversions between UTF-8 and UTF-16 that every
 * DataSourceGroups.xml goes through (common/textenc.c), and the buffer
 * reservation they use (common/strbuf.c): runs of ASCII longer than any
 * buffer step, characters outside ASCII and outside the BMP between
 * them, both byte orders, and the offsets of what a strict decode
 * refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "textenc.h"
#include "xalloc.h"

/* "A", U+00E9, "B", U+1F600. */
static const char MIXED[] = "A\xC3\xA9" "B\xF0\x9F\x98\x80";
static const unsigned char MIXED_LE[] = {
	0x41, 0x00, 0xE9, 0x00, 0x42, 0x00, 0x3D, 0xD8, 0x00, 0xDE,
};

static void
test_to_utf16le(void **state)
{
	strbuf sb;
	size_t bad = 99;

	(void)state;
	strbuf_init(&sb);
	strbuf_add(&sb, "\xFF\xFE", 2);		/* appends after this */
	assert_int_equal(textenc_utf8_to_utf16le(&sb, MIXED, strlen(MIXED),
	    &bad), 0);
	assert_int_equal(sb.len, 2 + sizeof MIXED_LE);
	assert_memory_equal(sb.data, "\xFF\xFE", 2);
	assert_memory_equal(sb.data + 2, MIXED_LE, sizeof MIXED_LE);
	assert_int_equal(sb.data[sb.len], '\0');
	strbuf_release(&sb);
}

static void
test_decode_both_orders(void **state)
{
	unsigned char be[sizeof MIXED_LE];
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(textenc_decode(MIXED_LE, sizeof MIXED_LE,
	    TEXTENC_UTF16LE, true, &out, &len, NULL), 0);
	assert_int_equal(len, strlen(MIXED));
	assert_string_equal(out, MIXED);
	free(out);
	for (size_t i = 0; i < sizeof be; i += 2) {
		be[i] = MIXED_LE[i + 1];
		be[i + 1] = MIXED_LE[i];
	}
	assert_int_equal(textenc_decode(be, sizeof be, TEXTENC_UTF16BE, true,
	    &out, &len, NULL), 0);
	assert_string_equal(out, MIXED);
	free(out);
}

/* Long ASCII runs with other characters between them survive the round
 * trip, whatever the buffers' steps. */
static void
test_long_runs_round_trip(void **state)
{
	strbuf text, bytes;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	strbuf_init(&text);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 10000 + k * 77; i++)
			strbuf_addch(&text, (char)('a' + (i + k) % 26));
		strbuf_addstr(&text, MIXED);
	}
	strbuf_init(&bytes);
	assert_int_equal(textenc_utf8_to_utf16le(&bytes, text.data, text.len,
	    NULL), 0);
	assert_int_equal(textenc_decode(bytes.data, bytes.len,
	    TEXTENC_UTF16LE, true, &out, &len, NULL), 0);
	assert_int_equal(len, text.len);
	assert_memory_equal(out, text.data, len);
	free(out);
	/* UTF-8 to UTF-8 keeps it as it is. */
	assert_int_equal(textenc_decode(text.data, text.len, TEXTENC_UTF8,
	    true, &out, &len, NULL), 0);
	assert_int_equal(len, text.len);
	assert_memory_equal(out, text.data, len);
	free(out);
	strbuf_release(&bytes);
	strbuf_release(&text);
}

static void
test_strict_offsets(void **state)
{
	static const unsigned char nul[] = { 'a', 0, 'b', 0, 0, 0, 'c', 0 };
	static const unsigned char lone[] = { 'a', 0, 0x00, 0xD8, 'b', 0 };
	static const unsigned char odd[] = { 'a', 0, 'b', 0, 'c' };
	strbuf sb;
	char *out = NULL;
	size_t bad = 0;

	(void)state;
	assert_int_equal(textenc_decode(nul, sizeof nul, TEXTENC_UTF16LE,
	    true, &out, NULL, &bad), -1);
	assert_int_equal(bad, 4);
	assert_null(out);
	assert_int_equal(textenc_decode(lone, sizeof lone, TEXTENC_UTF16LE,
	    true, &out, NULL, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(textenc_decode(odd, sizeof odd, TEXTENC_UTF16LE,
	    true, &out, NULL, &bad), -1);
	assert_int_equal(bad, 4);
	/* Not strict: the same become U+FFFD, the odd byte is dropped. */
	assert_int_equal(textenc_decode(lone, sizeof lone, TEXTENC_UTF16LE,
	    false, &out, NULL, NULL), 0);
	assert_string_equal(out, "a\xEF\xBF\xBD" "b");
	free(out);
	assert_int_equal(textenc_decode(odd, sizeof odd, TEXTENC_UTF16LE,
	    false, &out, NULL, NULL), 0);
	assert_string_equal(out, "ab");
	free(out);
	strbuf_init(&sb);
	assert_int_equal(textenc_utf8_to_utf16le(&sb, "abc\xFF", 4, &bad), -1);
	assert_int_equal(bad, 3);
	strbuf_release(&sb);
}

/* What is reserved is there: adding that much moves nothing. */
static void
test_strbuf_reserve(void **state)
{
	strbuf sb;
	const char *at;

	(void)state;
	strbuf_init(&sb);
	strbuf_addstr(&sb, "head");
	strbuf_reserve(&sb, 5000);
	assert_true(sb.cap >= 4 + 5000 + 1);
	assert_string_equal(sb.data, "head");
	at = sb.data;
	for (int i = 0; i < 500; i++)
		strbuf_add(&sb, "0123456789", 10);
	assert_ptr_equal(sb.data, at);
	assert_int_equal(sb.len, 5004);
	assert_memory_equal(sb.data + 4994, "0123456789", 10);
	assert_int_equal(sb.data[sb.len], '\0');
	strbuf_reserve(&sb, 0);
	assert_ptr_equal(sb.data, at);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_to_utf16le),
		cmocka_unit_test(test_decode_both_orders),
		cmocka_unit_test(test_long_runs_round_trip),
		cmocka_unit_test(test_strict_offsets),
		cmocka_unit_test(test_strbuf_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
