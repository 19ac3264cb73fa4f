/*
 * winrun.c: the one-shot runner and the long-lived PowerShell host
 * (winrun.h); built only for WIN32. Both start the program suspended in
 * a job object that kills everything in it when its handle closes
 * (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), then read its pipes without
 * blocking (PeekNamedPipe) so that a time limit holds whatever the
 * program does.
 */
#include "winrun.h"

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "platform.h"
#include "psproto.h"
#include "strbuf.h"
#include "win_facts.h"
#include "wintext.h"
#include "xalloc.h"

#define S_ERR_TEXT	400		/* bytes of error text kept in messages */
#define S_ERR_KEEP	(64 * 1024)	/* bytes of standard error kept */

/* ---- processes ---- */

typedef struct s_proc {
	HANDLE process;
	HANDLE job;
	HANDLE in_w;		/* NULL: standard input is NUL */
	HANDLE out_r;
	HANDLE err_r;
	DWORD pid;
} s_proc;

static void
s_syserr(char **err, DWORD code, const char *what, const char *doing)
{
	char *why = wintext_syserr(code);

	*err = xasprintf("%s: %s: %s", what, doing, why);
	free(why);
}

static void
s_close(HANDLE *h)
{
	if (*h != NULL && *h != INVALID_HANDLE_VALUE)
		CloseHandle(*h);
	*h = NULL;
}

/* Stops the process and everything it started; closes every handle. */
static void
s_proc_stop(s_proc *p)
{
	if (p->job != NULL)
		TerminateJobObject(p->job, 1);
	else if (p->process != NULL)
		TerminateProcess(p->process, 1);
	s_close(&p->in_w);
	s_close(&p->out_r);
	s_close(&p->err_r);
	s_close(&p->process);
	s_close(&p->job);
	p->pid = 0;
}

static HANDLE
s_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
	HANDLE job = CreateJobObjectW(NULL, NULL);

	if (job == NULL)
		return NULL;
	memset(&li, 0, sizeof li);
	li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li,
	    sizeof li);
	return job;
}

/* CreateProcessW, tried again after a failure (WINF_SPAWN_TRIES). */
static bool
s_create(wchar_t *line, STARTUPINFOW *si, PROCESS_INFORMATION *pi,
    const char *what, char **err)
{
	DWORD code = 0;

	for (unsigned attempt = 1; attempt <= WINF_SPAWN_TRIES; attempt++) {
		if (CreateProcessW(NULL, line, NULL, NULL, TRUE,
		    CREATE_NO_WINDOW | CREATE_SUSPENDED, NULL, NULL, si, pi))
			return true;
		code = GetLastError();
		if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)
			break;	/* not there: trying again changes nothing */
		if (attempt < WINF_SPAWN_TRIES) {
			char *why = wintext_syserr(code);

			log_warnx("%s: cannot start it (%s); trying again",
			    what, why);
			free(why);
			Sleep(WINF_SPAWN_RETRY_MS * attempt);
		}
	}
	s_syserr(err, code, what, "cannot start it");
	return false;
}

static int
s_spawn(const wchar_t *cmdline, bool with_input, const char *what,
    s_proc *p, char **err)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	HANDLE out_w = NULL, err_w = NULL, in_r = NULL;
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	wchar_t *line = _wcsdup(cmdline);
	int rc = -1;

	memset(p, 0, sizeof *p);
	memset(&pi, 0, sizeof pi);
	if (!CreatePipe(&p->out_r, &out_w, &sa, 0) ||
	    !CreatePipe(&p->err_r, &err_w, &sa, 0) ||
	    (with_input && !CreatePipe(&in_r, &p->in_w, &sa, 0))) {
		s_syserr(err, GetLastError(), what, "cannot create a pipe");
		goto out;
	}
	SetHandleInformation(p->out_r, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(p->err_r, HANDLE_FLAG_INHERIT, 0);
	if (with_input)
		SetHandleInformation(p->in_w, HANDLE_FLAG_INHERIT, 0);
	else
		in_r = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ |
		    FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = in_r;
	si.hStdOutput = out_w;
	si.hStdError = err_w;
	p->job = s_job();
	if (!s_create(line, &si, &pi, what, err))
		goto out;
	if (p->job != NULL)
		AssignProcessToJobObject(p->job, pi.hProcess);
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	p->process = pi.hProcess;
	p->pid = pi.dwProcessId;
	rc = 0;
out:
	s_close(&out_w);
	s_close(&err_w);
	s_close(&in_r);
	free(line);
	if (rc != 0)
		s_proc_stop(p);
	return rc;
}

/* Moves what the pipe holds now into sb; once sb holds max bytes, the
 * rest is read and dropped and *over set. False on end of file. */
static bool
s_drain(HANDLE pipe, strbuf *sb, size_t max, bool *over)
{
	char buf[8192];
	DWORD avail = 0, got = 0;

	for (;;) {
		if (!PeekNamedPipe(pipe, NULL, 0, NULL, &avail, NULL))
			return false;
		if (avail == 0)
			return true;
		if (!ReadFile(pipe, buf, avail < sizeof buf ? avail :
		    (DWORD)sizeof buf, &got, NULL) || got == 0)
			return false;
		if (sb->len + got > max) {
			if (over != NULL)
				*over = true;
			if (sb->len < max)
				strbuf_add(sb, buf, max - sb->len);
		} else {
			strbuf_add(sb, buf, got);
		}
	}
}

/* Keeps the last S_ERR_KEEP bytes of standard error. */
static bool
s_drain_err(HANDLE pipe, strbuf *sb)
{
	bool over = false, more = s_drain(pipe, sb, 2 * S_ERR_KEEP, &over);

	if (sb->len > S_ERR_KEEP) {
		memmove(sb->data, sb->data + sb->len - S_ERR_KEEP, S_ERR_KEEP);
		sb->len = S_ERR_KEEP;
		sb->data[sb->len] = '\0';
	}
	return more;
}

/* The first non-empty line of s, short; owned. */
static char *
s_first_line(const char *s)
{
	size_t n;

	if (s == NULL)
		return xstrdup("no error text");
	while (*s == '\r' || *s == '\n' || *s == ' ')
		s++;
	n = strcspn(s, "\r\n");
	if (n > S_ERR_TEXT)
		n = S_ERR_TEXT;
	return n ? xstrndup(s, n) : xstrdup("no error text");
}

int
winrun_once(const wchar_t *cmdline, const char *what,
    unsigned long timeout_ms, size_t max, char **out, size_t *len,
    char **err)
{
	s_proc p;
	strbuf o, e;
	DWORD code = 0;
	int64_t start = platform_mono_ms();
	bool over = false, done = false;
	int rc = -1;

	if (s_spawn(cmdline, false, what, &p, err) == -1)
		return -1;
	strbuf_init(&o);
	strbuf_init(&e);
	while (!done) {
		bool more = s_drain(p.out_r, &o, max, &over);

		more = s_drain_err(p.err_r, &e) && more;
		if (over) {
			*err = xasprintf("%s: printed more than %zu bytes; "
			    "stopped", what, max);
			goto out;
		}
		if (WaitForSingleObject(p.process, 20) == WAIT_OBJECT_0 &&
		    !more)
			done = true;
		else if (platform_mono_ms() - start > (int64_t)timeout_ms) {
			*err = xasprintf("%s: no answer within %lu s; stopped",
			    what, timeout_ms / 1000);
			goto out;
		}
	}
	GetExitCodeProcess(p.process, &code);
	if (code != 0) {
		char *first = s_first_line(e.len ? e.data : o.data);

		*err = xasprintf("%s: exit code %lu: %s", what,
		    (unsigned long)code, first);
		free(first);
		goto out;
	}
	*len = o.len;
	*out = o.data ? strbuf_detach(&o, NULL) : xstrdup("");
	rc = 0;
out:
	s_proc_stop(&p);
	strbuf_release(&o);
	strbuf_release(&e);
	return rc;
}

/* ---- the PowerShell host ---- */

struct winps {
	s_proc p;
	bool running;
	bool ever_ready;	/* started once: restart it when it dies */
	strbuf out;		/* standard output not yet read as lines */
	strbuf err;		/* the end of standard error */
	unsigned long next_id;
	int64_t last_start;
	unsigned starts;
	unsigned long timeout_ms;
	unsigned long start_ms;
	winps_event_fn on_event;
	void *ctx;
};

static unsigned long
s_env_ms(const wchar_t *name, unsigned long def)
{
	wchar_t buf[32];
	unsigned long v;

	if (GetEnvironmentVariableW(name, buf, 32) == 0)
		return def;
	v = wcstoul(buf, NULL, 10);
	return v > 0 ? v : def;
}

winps *
winps_new(winps_event_fn on_event, void *ctx)
{
	winps *ps = xcalloc(1, sizeof *ps);

	strbuf_init(&ps->out);
	strbuf_init(&ps->err);
	ps->on_event = on_event;
	ps->ctx = ctx;
	/* Shorter limits for the Wine test (docs/windows.md). */
	ps->timeout_ms = s_env_ms(L"HVP_WIN_PS_TIMEOUT_MS",
	    WINF_PS_TIMEOUT_MS);
	ps->start_ms = s_env_ms(L"HVP_WIN_PS_START_MS", WINF_PS_START_MS);
	return ps;
}

static void
s_host_stop(winps *ps)
{
	if (!ps->running)
		return;
	/* End of input ends the host's loop; the job takes the rest. */
	s_close(&ps->p.in_w);
	WaitForSingleObject(ps->p.process, 2000);
	s_proc_stop(&ps->p);
	ps->running = false;
	strbuf_reset(&ps->out);
}

void
winps_free(winps **psp)
{
	winps *ps;

	if (psp == NULL || (ps = *psp) == NULL)
		return;
	s_host_stop(ps);
	strbuf_release(&ps->out);
	strbuf_release(&ps->err);
	free(ps);
	*psp = NULL;
}

unsigned
winps_starts(const winps *ps)
{
	return ps->starts;
}

/* The next complete line of standard output (without "\r\n"), owned;
 * NULL when there is none yet. */
static char *
s_take_line(winps *ps)
{
	char *nl, *line;
	size_t n;

	if (ps->out.len == 0 ||
	    (nl = memchr(ps->out.data, '\n', ps->out.len)) == NULL)
		return NULL;
	n = (size_t)(nl - ps->out.data);
	line = xstrndup(ps->out.data, n > 0 && nl[-1] == '\r' ? n - 1 : n);
	memmove(ps->out.data, nl + 1, ps->out.len - n - 1);
	ps->out.len -= n + 1;
	ps->out.data[ps->out.len] = '\0';
	return line;
}

typedef enum s_wait {
	S_WAIT_READY, S_WAIT_RESULT, S_WAIT_NOTHING,
} s_wait;

/* Handles one line; true when it is what the caller waits for (then *m
 * holds it). */
static bool
s_line(winps *ps, const char *line, s_wait wait, unsigned long id,
    psproto_msg *m)
{
	char *err = NULL;

	if (psproto_parse(line, m, &err) == -1) {
		log_warnx("%s", err);
		free(err);
		return false;
	}
	switch (m->kind) {
	case PSPROTO_EVENT:
		if (ps->on_event != NULL)
			ps->on_event(m->event, m->subject, ps->ctx);
		break;
	case PSPROTO_NOTE:
		log_info("PowerShell host: %s", m->text);
		break;
	case PSPROTO_READY:
		if (wait == S_WAIT_READY)
			return true;
		break;
	case PSPROTO_RESULT:
		if (wait == S_WAIT_RESULT && m->id == id)
			return true;
		break;
	}
	psproto_msg_clear(m);
	return false;
}

/* Why the host is gone, from its exit code and standard error; owned. */
static char *
s_exit_text(winps *ps)
{
	DWORD code = 0;
	char *first = s_first_line(ps->err.len ? ps->err.data : NULL);
	char *s;

	/* Its output ends a moment before it does. */
	WaitForSingleObject(ps->p.process, 1000);
	GetExitCodeProcess(ps->p.process, &code);
	s = xasprintf("the PowerShell host exited with code %lu: %s",
	    (unsigned long)code, first);
	free(first);
	return s;
}

/*
 * Reads the host's output until the line waited for (in *m), handling
 * events and notes on the way. wait S_WAIT_NOTHING: only what is there
 * now. -1 with *err (and the host stopped) when it exits, prints a line
 * longer than the protocol allows, or the deadline passes; 1 when
 * nothing waited for came (S_WAIT_NOTHING); 0 when it came.
 */
static int
s_pump(winps *ps, s_wait wait, unsigned long id, unsigned long limit_ms,
    psproto_msg *m, char **err)
{
	int64_t deadline = platform_mono_ms() + (int64_t)limit_ms;

	memset(m, 0, sizeof *m);
	for (;;) {
		bool over = false, more;
		char *line;

		more = s_drain(ps->p.out_r, &ps->out, PSPROTO_MAX_LINE, &over);
		more = s_drain_err(ps->p.err_r, &ps->err) && more;
		while ((line = s_take_line(ps)) != NULL) {
			bool hit = s_line(ps, line, wait, id, m);

			free(line);
			if (hit)
				return 0;
		}
		if (over) {
			*err = xasprintf("printed more than %u bytes in one "
			    "answer; the PowerShell host was stopped",
			    PSPROTO_MAX_LINE);
			s_host_stop(ps);
			return -1;
		}
		if (!more || WaitForSingleObject(ps->p.process, 0) ==
		    WAIT_OBJECT_0) {
			/* Whatever it printed last was read above. */
			s_drain_err(ps->p.err_r, &ps->err);
			*err = s_exit_text(ps);
			s_host_stop(ps);
			return -1;
		}
		if (wait == S_WAIT_NOTHING)
			return 1;
		if (platform_mono_ms() > deadline) {
			*err = xasprintf("no answer within %lu s; the "
			    "PowerShell host was stopped", limit_ms / 1000);
			s_host_stop(ps);
			return -1;
		}
		WaitForSingleObject(ps->p.process, 10);
	}
}

/* powershell.exe <args> -EncodedCommand <host script>, until READY. */
static int
s_host_start(winps *ps, char **err)
{
	char *b64 = psproto_encode_command(WINF_PS_HOST, err);
	wchar_t *wb64, *line;
	psproto_msg m;
	size_t n;
	int rc;

	if (b64 == NULL)
		return -1;
	wb64 = wintext_wide(b64);
	n = wcslen(WINF_POWERSHELL) + wcslen(WINF_POWERSHELL_ARGS) +
	    wcslen(wb64) + 2;
	line = xcalloc(n, sizeof *line);
	_snwprintf(line, n, L"%ls %ls%ls", WINF_POWERSHELL,
	    WINF_POWERSHELL_ARGS, wb64);
	ps->last_start = platform_mono_ms();
	strbuf_reset(&ps->out);
	strbuf_reset(&ps->err);
	rc = s_spawn(line, true, "PowerShell host", &ps->p, err);
	free(line);
	free(wb64);
	free(b64);
	if (rc == -1)
		return -1;
	ps->running = true;
	ps->starts++;
	if (s_pump(ps, S_WAIT_READY, 0, ps->start_ms, &m, err) == -1)
		return -1;
	log_info("PowerShell host started (pid %lu, %s)",
	    (unsigned long)ps->p.pid, m.text);
	psproto_msg_clear(&m);
	ps->ever_ready = true;
	return 0;
}

static int
s_send(winps *ps, const char *line, char **err)
{
	size_t n = strlen(line), done = 0;

	while (done < n) {
		DWORD put = 0;

		if (!WriteFile(ps->p.in_w, line + done, (DWORD)(n - done), &put,
		    NULL) || put == 0) {
			*err = s_exit_text(ps);
			s_host_stop(ps);
			return -1;
		}
		done += put;
	}
	return 0;
}

int
winps_call(winps *ps, const char *command, const char *what, char **out,
    size_t *len, char **err)
{
	char *req, *why = NULL;
	psproto_msg m;
	unsigned long id;
	int rc;

	*out = NULL;
	*len = 0;
	if (!ps->running && s_host_start(ps, &why) == -1)
		goto fail;
	id = ++ps->next_id;
	req = psproto_request(id, command);
	rc = s_send(ps, req, &why);
	free(req);
	if (rc == -1 || s_pump(ps, S_WAIT_RESULT, id, ps->timeout_ms, &m,
	    &why) == -1)
		goto fail;
	if (!m.ok) {
		char *first = s_first_line(m.text);

		*err = xasprintf("%s: %s", what, first);
		free(first);
		psproto_msg_clear(&m);
		return -1;
	}
	if (m.len > WINF_PS_MAX_OUTPUT) {
		*err = xasprintf("%s: printed more than %u bytes", what,
		    WINF_PS_MAX_OUTPUT);
		psproto_msg_clear(&m);
		return -1;
	}
	*out = m.text;
	*len = m.len;
	m.text = NULL;
	psproto_msg_clear(&m);
	return 0;
fail:
	*err = xasprintf("%s: %s", what, why);
	free(why);
	return -1;
}

void
winps_poll(winps *ps)
{
	psproto_msg m;
	char *err = NULL;

	if (!ps->running) {
		if (!ps->ever_ready || platform_mono_ms() - ps->last_start <
		    WINF_PS_RESTART_MS)
			return;
		if (s_host_start(ps, &err) == -1) {
			log_warnx("PowerShell host: %s; trying again in %d s",
			    err, WINF_PS_RESTART_MS / 1000);
			free(err);
		}
		return;
	}
	if (s_pump(ps, S_WAIT_NOTHING, 0, 0, &m, &err) == -1) {
		log_warnx("PowerShell host: %s; events are not seen until it "
		    "is started again", err);
		free(err);
	}
	psproto_msg_clear(&m);
}
