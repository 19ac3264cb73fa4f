/*
 * test_psproto.c: -EncodedCommand and the PowerShell host protocol
 * (node/psproto.c): UTF-16LE base64 as about_PowerShell_exe's example
 * builds it, round trips, and every malformed line refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "psproto.h"
#include "win_facts.h"

static void
t_encoded_command(void **state)
{
	char *b64, *back = NULL, *err = NULL;

	(void)state;
	/* [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
	 * 'dir "c:\program files" ')), the document's example. */
	b64 = psproto_encode_command("dir \"c:\\program files\" ", &err);
	assert_string_equal(b64, "ZABpAHIAIAAiAGMAOgBcAHAAcgBvAGcAcgBhAG0AIA"
	    "BmAGkAbABlAHMAIgAgAA==");
	assert_int_equal(psproto_decode_command(b64, &back, &err), 0);
	assert_string_equal(back, "dir \"c:\\program files\" ");
	free(back);
	free(b64);
	/* Beyond ASCII: UTF-16 surrogates both ways. */
	b64 = psproto_encode_command("Prüf 😀", &err);
	assert_int_equal(psproto_decode_command(b64, &back, &err), 0);
	assert_string_equal(back, "Prüf 😀");
	free(back);
	free(b64);
	/* The host script itself is encodable. */
	b64 = psproto_encode_command(WINF_PS_HOST, &err);
	assert_non_null(b64);
	assert_int_equal(psproto_decode_command(b64, &back, &err), 0);
	assert_string_equal(back, WINF_PS_HOST);
	free(back);
	free(b64);
	assert_null(psproto_encode_command("\xff", &err));
	assert_string_equal(err, "command: invalid UTF-8 at byte 0");
	free(err);
	assert_int_equal(psproto_decode_command("not base64!", &back, &err), -1);
	assert_string_equal(err, "-EncodedCommand: the value is not base64");
	free(err);
	/* "YQ==" is one byte: not UTF-16. */
	assert_int_equal(psproto_decode_command("YQ==", &back, &err), -1);
	assert_string_equal(err, "-EncodedCommand: not UTF-16LE text (byte 1)");
	free(err);
}

static void
t_request(void **state)
{
	char *line, *cmd = NULL, *err = NULL;
	unsigned long id = 0;

	(void)state;
	line = psproto_request(7, "Get-VM | ConvertTo-Json");
	assert_string_equal(line, "Q 7 R2V0LVZNIHwgQ29udmVydFRvLUpzb24=\n");
	line[strlen(line) - 1] = '\0';
	assert_int_equal(psproto_parse_request(line, &id, &cmd, &err), 0);
	assert_int_equal(id, 7);
	assert_string_equal(cmd, "Get-VM | ConvertTo-Json");
	free(cmd);
	free(line);
	assert_int_equal(psproto_parse_request("Q x YQ==", &id, &cmd, &err),
	    -1);
	assert_string_equal(err, "request: expected \"Q <id> <base64>\"");
	free(err);
	/* "AGE=" decodes to a NUL then 'a'. */
	assert_int_equal(psproto_parse_request("Q 1 AGE=", &id, &cmd, &err),
	    -1);
	assert_string_equal(err, "request 1: the command is not base64 of "
	    "UTF-8 text");
	assert_null(cmd);
	free(err);
}

static void
s_bad(const char *line, const char *want)
{
	psproto_msg m;
	char *err = NULL;

	assert_int_equal(psproto_parse(line, &m, &err), -1);
	assert_string_equal(err, want);
	assert_null(m.text);
	free(err);
}

static void
t_parse(void **state)
{
	psproto_msg m;
	char *err = NULL, *line;

	(void)state;
	assert_int_equal(psproto_parse("READY hvpolicy-pshost 1", &m, &err), 0);
	assert_int_equal(m.kind, PSPROTO_READY);
	assert_string_equal(m.text, "hvpolicy-pshost 1");
	psproto_msg_clear(&m);

	line = psproto_result(42, true, "{\"Name\":\"C\"}\r\n", 14);
	line[strlen(line) - 1] = '\0';
	assert_int_equal(psproto_parse(line, &m, &err), 0);
	assert_int_equal(m.kind, PSPROTO_RESULT);
	assert_int_equal(m.id, 42);
	assert_true(m.ok);
	assert_int_equal(m.len, 14);
	assert_string_equal(m.text, "{\"Name\":\"C\"}\r\n");
	psproto_msg_clear(&m);
	free(line);

	line = psproto_result(3, false, "Get-VM: access denied", 21);
	line[strlen(line) - 1] = '\0';
	assert_int_equal(psproto_parse(line, &m, &err), 0);
	assert_false(m.ok);
	assert_string_equal(m.text, "Get-VM: access denied");
	psproto_msg_clear(&m);
	free(line);

	/* An empty output is an empty text, not an error. */
	line = psproto_result(4, true, "", 0);
	assert_string_equal(line, "R 4 OK \n");
	line[strlen(line) - 1] = '\0';
	assert_int_equal(psproto_parse(line, &m, &err), 0);
	assert_string_equal(m.text, "");
	psproto_msg_clear(&m);
	free(line);

	line = psproto_event("vm-created", "3F2504E0-4F89-11D3-9A0C-0305E82C3301");
	assert_string_equal(line, "E vm-created 3F2504E0-4F89-11D3-9A0C-"
	    "0305E82C3301\n");
	line[strlen(line) - 1] = '\0';
	assert_int_equal(psproto_parse(line, &m, &err), 0);
	assert_int_equal(m.kind, PSPROTO_EVENT);
	assert_string_equal(m.event, "vm-created");
	assert_string_equal(m.subject, "3F2504E0-4F89-11D3-9A0C-0305E82C3301");
	psproto_msg_clear(&m);
	free(line);

	assert_int_equal(psproto_parse("N bm8gZXZlbnRz", &m, &err), 0);
	assert_int_equal(m.kind, PSPROTO_NOTE);
	assert_string_equal(m.text, "no events");
	psproto_msg_clear(&m);

	s_bad("WARNING: something", "PowerShell host: a line outside the "
	    "protocol: \"WARNING: something\"");
	s_bad("R x OK YQ==", "PowerShell host: a result without an id: "
	    "\"R x OK YQ==\"");
	s_bad("R 1 MAYBE YQ==", "PowerShell host: a result neither OK nor "
	    "ERR: \"R 1 MAYBE YQ==\"");
	s_bad("R 1 OK ###", "PowerShell host: a result that is not base64 of "
	    "UTF-8 text: \"R 1 OK ###\"");
	s_bad("R 1 OK /w==", "PowerShell host: a result that is not base64 of "
	    "UTF-8 text: \"R 1 OK /w==\"");
	s_bad("E vm-created", "PowerShell host: an event without a subject: "
	    "\"E vm-created\"");
	s_bad("E vm-created a b", "PowerShell host: an event with an empty or "
	    "spaced field: \"E vm-created a b\"");
	s_bad("N %%", "PowerShell host: a note that is not base64 of UTF-8 "
	    "text: \"N %%\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_encoded_command),
		cmocka_unit_test(t_request),
		cmocka_unit_test(t_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
