/*
 * fuzz_psproto.c: the PowerShell host protocol (node/psproto.c) on
 * arbitrary bytes: a line from the host either parses into a message
 * whose fields hold what the protocol allows (UTF-8 text, events without
 * spaces) or is refused with a reason; requests and -EncodedCommand
 * values the same; what parses round-trips through the writers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psproto.h"
#include "textenc.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_host_line(const char *line)
{
	psproto_msg m, back;
	char *err = NULL, *again;

	if (psproto_parse(line, &m, &err) == -1) {
		if (err == NULL || m.text != NULL || m.event != NULL)
			abort();
		free(err);
		return;
	}
	if (err != NULL)
		abort();
	switch (m.kind) {
	case PSPROTO_RESULT:
		if (!textenc_utf8_valid(m.text, m.len, NULL))
			abort();
		again = psproto_result(m.id, m.ok, m.text, m.len);
		again[strlen(again) - 1] = '\0';
		if (psproto_parse(again, &back, &err) != 0 || back.id != m.id ||
		    back.len != m.len || memcmp(back.text, m.text, m.len) != 0)
			abort();
		psproto_msg_clear(&back);
		free(again);
		break;
	case PSPROTO_EVENT:
		if (strchr(m.event, ' ') || strchr(m.subject, ' ') ||
		    !*m.event || !*m.subject)
			abort();
		break;
	case PSPROTO_NOTE:
	case PSPROTO_READY:
		if (m.text == NULL)
			abort();
		break;
	}
	psproto_msg_clear(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = xstrndup((const char *)data, size), *cmd = NULL;
	char *err = NULL, *script = NULL;
	unsigned long id;

	s_host_line(line);
	if (psproto_parse_request(line, &id, &cmd, &err) == 0) {
		char *again = psproto_request(id, cmd);

		if (strncmp(again, "Q ", 2) != 0)
			abort();
		free(again);
		free(cmd);
	} else {
		free(err);
		err = NULL;
	}
	if (psproto_decode_command(line, &script, &err) == 0) {
		char *b64 = psproto_encode_command(script, &err);

		if (b64 == NULL)
			abort();	/* decoded text is valid UTF-8 */
		free(b64);
		free(script);
	} else {
		free(err);
	}
	free(line);
	return 0;
}
