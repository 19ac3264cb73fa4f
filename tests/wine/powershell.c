/*
 * powershell.c: a stand-in powershell.exe for the Wine test
 * (tests/integration/test_windows.sh), which puts it on the Wine
 * prefix's PATH so that the windows backend starts it as it would start
 * the real one. It takes the command line of Windows PowerShell 5.1 as
 * about_PowerShell_exe documents it, no more:
 *
 *   -NoLogo, -NoProfile, -NonInteractive, -ExecutionPolicy <policy>,
 *   -EncodedCommand <base64 of UTF-16LE text> (aliases -e, -ec),
 *   -Command <text...> (alias -c; must be last: the rest is the command).
 *
 * -NoProfile and -NonInteractive are required (without them a profile
 * could change what is printed and a prompt could hang the node); an
 * unknown parameter, an invalid -ExecutionPolicy, base64 after -Command
 * (PowerShell runs it as a command name and fails) and an -EncodedCommand
 * that is not base64 of UTF-16LE fail as PowerShell fails, exit code 1.
 *
 * The script must be one the node sends: the host script (win_facts.h
 * WINF_PS_HOST), then requests on standard input (psproto.h) answered
 * from the recorded outputs in HVP_STANDIN_DATA (cluster.json, vms.json,
 * services.json, disks.json, csvs.json); or one command (with the
 * prelude) answered the same way. Anything else fails loudly. In the
 * data directory, `event` (lines "<kind> <subject>") is sent as WMI
 * events and removed; `hang` makes Get-VM never answer; `crash` makes
 * the host exit with code 3 at its first request; `crash-on-start` before
 * it is ready. Every start and request is logged (HVP_STANDIN_LOG).
 */
#include <windows.h>
#include <shellapi.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "platform.h"
#include "psproto.h"
#include "standin.h"
#include "strbuf.h"
#include "win_facts.h"
#include "wintext.h"
#include "xalloc.h"

#define S_PRELUDE \
	"[Console]::OutputEncoding=[System.Text.Encoding]::UTF8;" \
	"$ErrorActionPreference='Stop';"

static const struct {
	const char *command;
	const char *file;
} S_FACTS[] = {
	{ WINF_PS_CLUSTER, "cluster.json" },
	{ WINF_PS_VMS, "vms.json" },
	{ WINF_PS_SERVICES, "services.json" },
	{ WINF_PS_DISKS, "disks.json" },
	{ WINF_PS_CSVS, "csvs.json" },
};

typedef struct s_args {
	bool nologo, noprofile, noninteractive;
	char *policy;
	char *encoded;
	char *command;
} s_args;

static bool
s_is(const char *arg, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(arg, *names) == 0)
			return true;
	return false;
}

static void
s_parse_args(int argc, char **argv, s_args *a)
{
	static const char *const nologo[] = { "-NoLogo", NULL };
	static const char *const noprofile[] = { "-NoProfile", "-nop", NULL };
	static const char *const nonint[] = { "-NonInteractive", "-noni",
	    NULL };
	static const char *const policy[] = { "-ExecutionPolicy", "-ex",
	    "-ep", NULL };
	static const char *const enc[] = { "-EncodedCommand", "-e", "-ec",
	    NULL };
	static const char *const cmd[] = { "-Command", "-c", NULL };
	static const char *const policies[] = { "Restricted", "AllSigned",
	    "RemoteSigned", "Unrestricted", "Bypass", "Undefined", "Default",
	    NULL };

	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		if (s_is(argv[i], nologo))
			a->nologo = true;
		else if (s_is(argv[i], noprofile))
			a->noprofile = true;
		else if (s_is(argv[i], nonint))
			a->noninteractive = true;
		else if (s_is(argv[i], policy)) {
			if (i + 1 >= argc || !s_is(argv[i + 1], policies))
				standin_die(1, "Invalid argument '%s' to the "
				    "-ExecutionPolicy parameter.",
				    i + 1 < argc ? argv[i + 1] : "");
			a->policy = argv[++i];
		} else if (s_is(argv[i], enc)) {
			if (i + 1 >= argc)
				standin_die(1, "Missing parameter argument for "
				    "-EncodedCommand.");
			a->encoded = argv[++i];
		} else if (s_is(argv[i], cmd)) {
			strbuf sb;

			/* -Command takes the rest of the line. */
			strbuf_init(&sb);
			for (int k = i + 1; k < argc; k++)
				strbuf_addf(&sb, "%s%s", k > i + 1 ? " " : "",
				    argv[k]);
			a->command = sb.data ? strbuf_detach(&sb, NULL) :
			    xstrdup("");
			break;
		} else {
			standin_die(1, "stand-in powershell.exe: unknown "
			    "parameter '%s' (about_PowerShell_exe lists the "
			    "ones PowerShell takes)", argv[i]);
		}
	}
	if (a->encoded != NULL && a->command != NULL)
		standin_die(1, "-Command and -EncodedCommand together");
}

/* The recorded answer to one command: 0 and the text, or -1 and why. */
static int
s_answer(const char *command, char **out, size_t *len, char **why)
{
	for (size_t i = 0; i < sizeof S_FACTS / sizeof S_FACTS[0]; i++) {
		char *text;

		if (strcmp(command, S_FACTS[i].command) != 0)
			continue;
		standin_log("request %s", S_FACTS[i].file);
		if (strcmp(S_FACTS[i].file, "vms.json") == 0 &&
		    standin_exists("hang")) {
			standin_log("hanging");
			Sleep(INFINITE);
		}
		if ((text = standin_read(S_FACTS[i].file, len)) == NULL) {
			*why = xasprintf("stand-in: no recorded %s",
			    S_FACTS[i].file);
			return -1;
		}
		*out = text;
		return 0;
	}
	if (strncmp(command, "Get-VM -Id '", 12) == 0 &&
	    strstr(command, "-VMIntegrationService") != NULL) {
		standin_log("request set-service %s", command + 12);
		*out = xstrdup("");
		*len = 0;
		return 0;
	}
	standin_log("request unrecognised");
	*why = xasprintf("stand-in powershell.exe: no recorded output for "
	    "this command: %.200s", command);
	fprintf(stderr, "%s\n", *why);
	return -1;
}

static void
s_put(const char *line)
{
	fputs(line, stdout);
	fflush(stdout);
}

/* Sends the lines of `event` as events and removes it. */
static void
s_events(void)
{
	char *text, *path, *err = NULL;
	size_t len = 0;

	if ((text = standin_read("event", &len)) == NULL)
		return;
	path = standin_data_path("event");
	platform_remove_file(path, &err);
	free(err);
	free(path);
	for (char *line = strtok(text, "\r\n"); line != NULL;
	    line = strtok(NULL, "\r\n")) {
		char *sp = strchr(line, ' '), *ev;

		if (sp == NULL)
			continue;
		*sp = '\0';
		ev = psproto_event(line, sp + 1);
		standin_log("event %s", line);
		s_put(ev);
		free(ev);
	}
	free(text);
}

static void
s_request(const char *line)
{
	unsigned long id = 0;
	char *command = NULL, *out = NULL, *why = NULL, *reply, *err = NULL;
	size_t len = 0;

	if (psproto_parse_request(line, &id, &command, &err) == -1)
		standin_die(1, "stand-in powershell.exe: %s", err);
	if (standin_exists("crash"))
		standin_die(3, "stand-in powershell.exe: crash requested");
	if (s_answer(command, &out, &len, &why) == 0) {
		/* Out-String ends the text with a line break. */
		char *text = xasprintf("%.*s\r\n", (int)len, out);

		reply = psproto_result(id, true, text, strlen(text));
		free(text);
	} else {
		reply = psproto_result(id, false, why, strlen(why));
	}
	s_put(reply);
	free(reply);
	free(out);
	free(why);
	free(command);
}

/* The host: requests on standard input until it ends. */
static int
s_run_host(void)
{
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	strbuf buf;

	standin_log("powershell start host");
	if (standin_exists("crash-on-start"))
		standin_die(4, "stand-in powershell.exe: crash on start "
		    "requested");
	s_put("READY hvpolicy-pshost stand-in\n");
	strbuf_init(&buf);
	for (;;) {
		DWORD avail = 0, got = 0;
		char chunk[4096], *nl;

		if (!PeekNamedPipe(in, NULL, 0, NULL, &avail, NULL))
			break;	/* the node closed our input: done */
		if (avail == 0) {
			s_events();
			Sleep(50);
			continue;
		}
		if (!ReadFile(in, chunk, avail < sizeof chunk ? avail :
		    (DWORD)sizeof chunk, &got, NULL) || got == 0)
			break;
		strbuf_add(&buf, chunk, got);
		while ((nl = memchr(buf.data, '\n', buf.len)) != NULL) {
			size_t n = (size_t)(nl - buf.data);
			char *line = xstrndup(buf.data, n && nl[-1] == '\r' ?
			    n - 1 : n);

			memmove(buf.data, nl + 1, buf.len - n - 1);
			buf.len -= n + 1;
			s_request(line);
			free(line);
		}
	}
	strbuf_release(&buf);
	standin_log("powershell exit host");
	return 0;
}

/* One command run by itself (with the prelude). */
static int
s_one(const char *script)
{
	size_t n = strlen(S_PRELUDE), len = 0;
	char *out = NULL, *why = NULL;

	standin_log("powershell start one");
	if (strncmp(script, S_PRELUDE, n) != 0)
		standin_die(1, "stand-in powershell.exe: unrecognised script: "
		    "%.200s", script);
	if (s_answer(script + n, &out, &len, &why) == -1)
		standin_die(1, "%s", why);
	fwrite(out, 1, len, stdout);
	fflush(stdout);
	free(out);
	return 0;
}

static bool
s_base64ish(const char *s)
{
	char *script = NULL, *err = NULL;
	bool yes = *s != '\0' && strchr(s, ' ') == NULL &&
	    psproto_decode_command(s, &script, &err) == 0;

	free(script);
	free(err);
	return yes;
}

int
main(void)
{
	int wargc = 0, argc;
	wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &wargc);
	char **argv, *script = NULL, *err = NULL;
	s_args a;

	if (wargv == NULL)
		standin_die(1, "stand-in powershell.exe: no command line");
	argc = wargc;
	argv = xcalloc((size_t)argc + 1, sizeof *argv);
	for (int i = 0; i < argc; i++)
		argv[i] = wintext_utf8(wargv[i]);
	LocalFree(wargv);
	s_parse_args(argc, argv, &a);
	if (!a.noprofile || !a.noninteractive)
		standin_die(1, "stand-in powershell.exe: hvpolicy must pass "
		    "-NoProfile and -NonInteractive");
	if (a.command != NULL) {
		if (strcmp(a.command, "-") == 0)
			standin_die(1, "stand-in powershell.exe: -Command - "
			    "(commands on standard input) is not what the node "
			    "uses; not answered");
		if (s_base64ish(a.command))
			standin_die(1, "%s : The term '%s' is not recognized as "
			    "the name of a cmdlet, function, script file, or "
			    "operable program.", a.command, a.command);
		return s_one(a.command);
	}
	if (a.encoded == NULL)
		standin_die(1, "stand-in powershell.exe: no -Command or "
		    "-EncodedCommand");
	if (psproto_decode_command(a.encoded, &script, &err) == -1)
		standin_die(1, "Cannot process the command because the value "
		    "specified with -EncodedCommand is not properly encoded. "
		    "The value must be Base64 encoded. (%s)", err);
	if (strcmp(script, WINF_PS_HOST) == 0)
		return s_run_host();
	return s_one(script);
}
