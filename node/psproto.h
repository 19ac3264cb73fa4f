/*
 * psproto.h: how hvpolicy-node talks to PowerShell. Two parts, both
 * portable C with no OS calls so they are tested on every platform:
 *
 * - -EncodedCommand: a script as base64 of its UTF-16LE text, the only
 *   form powershell.exe decodes (about_PowerShell_exe); and back.
 * - The host protocol: one long-lived powershell.exe runs the host script
 *   (win_facts.h WINF_PS_HOST) and reads requests on standard input, one
 *   line each; it answers on standard output, one line each:
 *
 *     to the host    Q <id> <base64 of the command, UTF-8>
 *     from the host  READY <banner>                 started, subscribed
 *                    R <id> OK <base64 of the output, UTF-8>
 *                    R <id> ERR <base64 of the error text, UTF-8>
 *                    E <kind> <subject>             a WMI event
 *                    N <base64 of a note, UTF-8>    e.g. a subscription
 *                                                   that could not be made
 *
 * Used by node/winrun.c (the Windows side) and by the stand-in
 * powershell.exe the Wine test runs (tests/wine/powershell.c).
 */
#ifndef HVP_NODE_PSPROTO_H
#define HVP_NODE_PSPROTO_H

#include <stdbool.h>
#include <stddef.h>

/* The longest line either side accepts (an output of WINF_PS_MAX_OUTPUT
 * bytes in base64 plus the frame). */
#define PSPROTO_MAX_LINE	(12u * 1024 * 1024)

typedef enum psproto_kind {
	PSPROTO_READY = 0, PSPROTO_RESULT, PSPROTO_EVENT, PSPROTO_NOTE,
} psproto_kind;

typedef struct psproto_msg {
	psproto_kind kind;
	unsigned long id;	/* RESULT */
	bool ok;		/* RESULT: OK, not ERR */
	char *text;		/* RESULT, NOTE: decoded; READY: the banner */
	size_t len;		/* of text */
	char *event;		/* EVENT: the kind ("vm-created", ...) */
	char *subject;		/* EVENT: what it is about ("-" for nothing) */
} psproto_msg;

/* Base64 of the UTF-16LE form of script (valid UTF-8); NULL with an owned
 * *err when it is not valid UTF-8. Owned. */
char *psproto_encode_command(const char *script, char **err);
/* The script an -EncodedCommand argument carries: 0 and an owned *script,
 * or -1 with an owned *err (not base64, odd length, invalid UTF-16). */
int psproto_decode_command(const char *b64, char **script, char **err);

/* "Q <id> <base64>\n" for a command (UTF-8 text). Owned. */
char *psproto_request(unsigned long id, const char *command);
/* Reads a request line (without its newline). 0, or -1 with *err. */
int psproto_parse_request(const char *line, unsigned long *id,
    char **command, char **err);

/* One line from the host (without its newline) -> *m. 0, or -1 with an
 * owned *err naming what is wrong; *m is then empty. */
int psproto_parse(const char *line, psproto_msg *m, char **err);
void psproto_msg_clear(psproto_msg *m);

/* The lines the host writes, for the stand-in and the tests. Owned,
 * ending in "\n". */
char *psproto_result(unsigned long id, bool ok, const void *data,
    size_t len);
char *psproto_event(const char *kind, const char *subject);

#endif
