/*
 * backend_win.c: the `windows` host backend (host.h) on a real Windows
 * host; built only for WIN32. Called by the node daemon and --once
 * through host_ops.
 *
 * Registry: the Win32 API in the 64-bit view, acting at once (commit() is
 * a no-op). observe() reads the subtrees of the tracked keys: the DPM root
 * key and every key the policy names (backend_windows_track). Change
 * notification: RegNotifyChangeKeyValue on each tracked key (or its
 * nearest existing parent) with one event each; changed() re-arms, reads
 * the tracked registry again and reports a change only when its
 * fingerprint differs from the one taken after the last observe() or the
 * backend's own write, so its own writes are never reported.
 *
 * Hyper-V, cluster and VSS facts: PowerShell and vssadmin, each run with a
 * time limit in a job object (killed with its children when it is over),
 * their output read by wininventory.c. Every command, path and identifier
 * comes from win_facts.h. HVP_WIN_FACTS_DIR, when set, names a directory
 * of recorded outputs (cluster.json, vms.json, services.json, disks.json,
 * csvs.json, providers.txt) read instead of running anything: for tests
 * on hosts without Hyper-V (Wine).
 */
#include "host.h"

#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform.h"
#include "strbuf.h"
#include "win_facts.h"
#include "wininventory.h"
#include "xalloc.h"

#ifndef RRF_SUBKEY_WOW6464KEY
#define RRF_SUBKEY_WOW6464KEY 0x00010000	/* newer SDKs only */
#endif

#define WIN_MAX_KEYS	20000	/* keys read in one observation */
#define WIN_MAX_DEPTH	32
#define WIN_MAX_NAME	16384	/* registry names are at most 16383 */
#define WIN_ERR_TEXT	400	/* bytes of a command's error text kept */

typedef struct win_watch {
	HKEY key;
	HANDLE event;
} win_watch;

typedef struct win {
	host_role role;
	char *cluster;		/* configured; NULL: ask the cluster */
	char **roots;		/* tracked keys, canonical HKLM\... */
	size_t nroots;
	win_watch *watches;
	size_t nwatches;
	uint64_t fingerprint;	/* of the tracked registry */
	bool have_fingerprint;
	char *dsgroups;		/* DataSourceGroups.xml */
	platform_watch *file_watch;	/* dpm-server: dsgroups */
	char *facts_dir;	/* recorded outputs instead of commands */
} win;

/* ---- text ---- */

static wchar_t *
s_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return xcalloc(1, sizeof *w);
	w = xcalloc((size_t)n, sizeof *w);
	MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

/* n wide characters (or up to NUL when n is -1) as UTF-8. */
static char *
s_utf8n(const wchar_t *w, int n)
{
	int len = WideCharToMultiByte(CP_UTF8, 0, w, n, NULL, 0, NULL, NULL);
	char *s;

	if (len <= 0)
		return xstrdup("");
	s = xcalloc((size_t)len + 1, 1);
	WideCharToMultiByte(CP_UTF8, 0, w, n, s, len, NULL, NULL);
	return s;
}

static char *
s_syserr(DWORD code)
{
	wchar_t buf[512];
	DWORD n;
	char *s;
	size_t len;

	n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, buf,
	    sizeof buf / sizeof buf[0], NULL);
	if (n == 0)
		return xasprintf("error %lu", (unsigned long)code);
	s = s_utf8n(buf, -1);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
	    s[len - 1] == ' ' || s[len - 1] == '.'))
		s[--len] = '\0';
	return s;
}

static int
s_fail(char **err, DWORD code, const char *fmt, const char *a,
    const char *b)
{
	char *why = s_syserr(code), *what;

	what = xasprintf(fmt, a, b ? b : "");
	*err = xasprintf("%s: %s", what, why);
	free(what);
	free(why);
	return -1;
}

/* ---- registry paths ---- */

typedef struct s_hive {
	const char *name;
	HKEY key;
} s_hive;

static const s_hive S_HIVES[] = {
	{ "HKLM", HKEY_LOCAL_MACHINE },
	{ "HKEY_LOCAL_MACHINE", HKEY_LOCAL_MACHINE },
	{ "HKU", HKEY_USERS },
	{ "HKEY_USERS", HKEY_USERS },
	{ "HKCU", HKEY_CURRENT_USER },
	{ "HKEY_CURRENT_USER", HKEY_CURRENT_USER },
	{ "HKCR", HKEY_CLASSES_ROOT },
	{ "HKEY_CLASSES_ROOT", HKEY_CLASSES_ROOT },
};

/* "HKLM\A\B" -> HKEY_LOCAL_MACHINE and L"A\B"; -1 for an unknown hive. */
static int
s_split_key(const char *key, HKEY *hive, wchar_t **sub)
{
	for (size_t i = 0; i < sizeof S_HIVES / sizeof S_HIVES[0]; i++) {
		size_t n = strlen(S_HIVES[i].name);

		if (strncasecmp(key, S_HIVES[i].name, n) != 0 ||
		    (key[n] != '\\' && key[n] != '\0'))
			continue;
		*hive = S_HIVES[i].key;
		*sub = s_wide(key[n] == '\\' ? key + n + 1 : "");
		return 0;
	}
	return -1;
}

static LONG
s_open(const char *key, REGSAM access, HKEY *out)
{
	HKEY hive;
	wchar_t *sub;
	LONG rc;

	if (s_split_key(key, &hive, &sub) == -1)
		return ERROR_BAD_PATHNAME;
	rc = RegOpenKeyExW(hive, sub, 0, access | KEY_WOW64_64KEY, out);
	free(sub);
	return rc;
}

/* ---- reading the registry ---- */

static void
s_hex(const unsigned char *p, size_t n, reg_value *v)
{
	static const char digits[] = "0123456789abcdef";

	v->type = REG_T_BINARY;
	v->text = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		v->text[2 * i] = digits[p[i] >> 4];
		v->text[2 * i + 1] = digits[p[i] & 15];
	}
	v->text[2 * n] = '\0';
}

/* Registry data -> reg_value; false for types hvpolicy does not hold. */
static bool
s_decode(DWORD type, const unsigned char *data, DWORD size, reg_value *v)
{
	const wchar_t *w = (const wchar_t *)(const void *)data;
	int nw = (int)(size / sizeof(wchar_t));

	memset(v, 0, sizeof *v);
	switch (type) {
	case REG_SZ:
	case REG_EXPAND_SZ:
		while (nw > 0 && w[nw - 1] == L'\0')
			nw--;
		v->type = type == REG_SZ ? REG_T_SZ : REG_T_EXPAND_SZ;
		v->text = nw > 0 ? s_utf8n(w, nw) : xstrdup("");
		return true;
	case REG_MULTI_SZ: {
		int start = 0;

		v->type = REG_T_MULTI_SZ;
		while (nw > 0 && w[nw - 1] == L'\0')
			nw--;
		for (int i = 0; i <= nw && nw > 0; i++) {
			if (i < nw && w[i] != L'\0')
				continue;
			v->list = xrealloc(v->list, (v->list_len + 1) *
			    sizeof *v->list);
			v->list[v->list_len++] = i > start ?
			    s_utf8n(w + start, i - start) : xstrdup("");
			start = i + 1;
		}
		return true;
	}
	case REG_DWORD:
		if (size != 4)
			break;
		v->type = REG_T_DWORD;
		v->number = (uint64_t)data[0] | (uint64_t)data[1] << 8 |
		    (uint64_t)data[2] << 16 | (uint64_t)data[3] << 24;
		return true;
	case REG_QWORD:
		if (size != 8)
			break;
		v->type = REG_T_QWORD;
		for (int i = 7; i >= 0; i--)
			v->number = v->number << 8 | data[i];
		return true;
	case REG_BINARY:
		s_hex(data, size, v);
		return true;
	default:
		break;
	}
	return false;
}

static int s_read_tree(host_state *h, HKEY k, const char *path, int depth,
    size_t *nkeys, char **err);

static int
s_read_values(host_state *h, HKEY k, const char *path, char **err)
{
	wchar_t *name = xmalloc(WIN_MAX_NAME * sizeof *name);
	DWORD cap = 256, maxdata = 0;
	unsigned char *data;
	int rc = 0;

	/* With no buffer RegEnumValue reports success, not ERROR_MORE_DATA:
	 * start with one as large as the largest value. */
	if (RegQueryInfoKeyW(k, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    &maxdata, NULL, NULL) == ERROR_SUCCESS && maxdata + 2 > cap)
		cap = maxdata + 2;
	data = xmalloc(cap);

	host_key_ensure(h, path);
	for (DWORD i = 0;; i++) {
		DWORD nlen = WIN_MAX_NAME, type = 0, size = cap;
		LONG r = RegEnumValueW(k, i, name, &nlen, NULL, &type, data,
		    &size);
		reg_value v;
		char *uname;

		if (r == ERROR_MORE_DATA) {
			cap = size + 2;
			data = xrealloc(data, cap);
			i--;
			continue;
		}
		if (r == ERROR_NO_MORE_ITEMS)
			break;
		if (r != ERROR_SUCCESS) {
			rc = s_fail(err, (DWORD)r, "cannot read values of %s%s",
			    path, NULL);
			break;
		}
		if (!s_decode(type, data, size, &v))
			continue;
		uname = s_utf8n(name, (int)nlen);
		host_value_set(h, path, uname, &v);
		free(uname);
		reg_value_clear(&v);
	}
	free(name);
	free(data);
	return rc;
}

static int
s_read_tree(host_state *h, HKEY k, const char *path, int depth,
    size_t *nkeys, char **err)
{
	wchar_t *name;
	int rc;

	if (++*nkeys > WIN_MAX_KEYS || depth > WIN_MAX_DEPTH) {
		*err = xasprintf("%s: more than %d keys or deeper than %d "
		    "below a tracked key", path, WIN_MAX_KEYS, WIN_MAX_DEPTH);
		return -1;
	}
	if ((rc = s_read_values(h, k, path, err)) != 0)
		return rc;
	name = xmalloc(256 * sizeof *name);
	for (DWORD i = 0; rc == 0; i++) {
		DWORD nlen = 256;
		LONG r = RegEnumKeyExW(k, i, name, &nlen, NULL, NULL, NULL,
		    NULL);
		HKEY sub;
		char *uname, *child;

		if (r == ERROR_NO_MORE_ITEMS)
			break;
		if (r != ERROR_SUCCESS) {
			rc = s_fail(err, (DWORD)r, "cannot list keys of %s%s",
			    path, NULL);
			break;
		}
		uname = s_utf8n(name, (int)nlen);
		child = xasprintf("%s\\%s", path, uname);
		free(uname);
		r = RegOpenKeyExW(k, name, 0, KEY_READ | KEY_WOW64_64KEY, &sub);
		if (r == ERROR_SUCCESS) {
			rc = s_read_tree(h, sub, child, depth + 1, nkeys, err);
			RegCloseKey(sub);
		} else if (r != ERROR_FILE_NOT_FOUND) {
			/* Keys this account cannot read are left out. */
			host_key_ensure(h, child);
		}
		free(child);
	}
	free(name);
	return rc;
}

static int
s_read_registry(win *w, host_state *h, char **err)
{
	size_t nkeys = 0;

	for (size_t i = 0; i < w->nroots; i++) {
		HKEY k;
		LONG r = s_open(w->roots[i], KEY_READ, &k);
		int rc;

		if (r == ERROR_FILE_NOT_FOUND)
			continue;
		if (r != ERROR_SUCCESS)
			return s_fail(err, (DWORD)r, "cannot open %s%s",
			    w->roots[i], NULL);
		rc = s_read_tree(h, k, w->roots[i], 0, &nkeys, err);
		RegCloseKey(k);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* FNV-1a over every key and value, in the order read. */
static uint64_t
s_fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= 0xff;
	return h * 1099511628211ULL;
}

static uint64_t
s_fingerprint_of(const host_state *h)
{
	uint64_t f = 14695981039346656037ULL;

	for (size_t i = 0; i < h->nkeys; i++) {
		f = s_fnv(f, h->keys[i].path);
		for (size_t j = 0; j < h->keys[i].nvalues; j++) {
			char *d = reg_value_describe(&h->keys[i].values[j].v);

			f = s_fnv(f, h->keys[i].values[j].name ?
			    h->keys[i].values[j].name : "");
			f = s_fnv(f, d);
			free(d);
		}
	}
	return f;
}

static int
s_fingerprint(win *w, uint64_t *out)
{
	host_state *h = host_state_new();
	char *err = NULL;
	int rc = s_read_registry(w, h, &err);

	free(err);
	if (rc == 0)
		*out = s_fingerprint_of(h);
	host_state_free(&h);
	return rc;
}

/* After the backend's own write: what it wrote is not a change. */
static void
s_refresh_fingerprint(win *w)
{
	w->have_fingerprint = s_fingerprint(w, &w->fingerprint) == 0;
}

/* ---- registry change notification ---- */

static void
s_unwatch(win *w)
{
	for (size_t i = 0; i < w->nwatches; i++) {
		RegCloseKey(w->watches[i].key);
		CloseHandle(w->watches[i].event);
	}
	free(w->watches);
	w->watches = NULL;
	w->nwatches = 0;
}

/* Watches each tracked key, or its nearest existing parent. */
static void
s_arm(win *w)
{
	s_unwatch(w);
	w->watches = xcalloc(w->nroots ? w->nroots : 1, sizeof *w->watches);
	for (size_t i = 0; i < w->nroots; i++) {
		char *path = xstrdup(w->roots[i]);
		HKEY k = NULL;
		HANDLE ev;

		for (;;) {
			char *cut;

			if (s_open(path, KEY_NOTIFY | KEY_READ, &k) ==
			    ERROR_SUCCESS)
				break;
			k = NULL;
			if ((cut = strrchr(path, '\\')) == NULL)
				break;
			*cut = '\0';
		}
		free(path);
		if (k == NULL)
			continue;
		ev = CreateEventW(NULL, TRUE, FALSE, NULL);
		if (ev == NULL || RegNotifyChangeKeyValue(k, TRUE,
		    REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET, ev,
		    TRUE) != ERROR_SUCCESS) {
			if (ev != NULL)
				CloseHandle(ev);
			RegCloseKey(k);
			continue;
		}
		w->watches[w->nwatches].key = k;
		w->watches[w->nwatches++].event = ev;
	}
}

/* ---- tracked keys ---- */

static bool
s_under(const char *key, const char *root)
{
	size_t n = strlen(root);

	return strncasecmp(key, root, n) == 0 &&
	    (key[n] == '\0' || key[n] == '\\');
}

static void
s_track(win *w, const char *key)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nroots; i++)
		if (s_under(key, w->roots[i]))
			return;
	/* Roots below the new one are covered by it. */
	for (size_t i = 0; i < w->nroots; i++) {
		if (s_under(w->roots[i], key))
			free(w->roots[i]);
		else
			w->roots[k++] = w->roots[i];
	}
	w->nroots = k;
	w->roots = xrealloc(w->roots, (w->nroots + 1) * sizeof *w->roots);
	w->roots[w->nroots++] = xstrdup(key);
}

static void
s_track_reset(win *w)
{
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i]);
	w->nroots = 0;
	s_track(w, WINF_DPM_ROOT_KEY);
}

/* ---- running commands ---- */

static char *
s_base64(const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = tab[(v >> 18) & 63];
		*o++ = tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Moves what the pipe holds now into sb (up to max); false on EOF. */
static bool
s_drain(HANDLE pipe, strbuf *sb, size_t max)
{
	char buf[4096];
	DWORD avail = 0, got = 0;

	if (!PeekNamedPipe(pipe, NULL, 0, NULL, &avail, NULL))
		return false;
	while (avail > 0) {
		if (!ReadFile(pipe, buf, avail < sizeof buf ? avail :
		    (DWORD)sizeof buf, &got, NULL) || got == 0)
			return false;
		if (sb->len < max)
			strbuf_add(sb, buf, sb->len + got > max ?
			    max - sb->len : got);
		if (!PeekNamedPipe(pipe, NULL, 0, NULL, &avail, NULL))
			return false;
	}
	return true;
}

/* The first line of a command's error output, short. */
static char *
s_first_line(const char *s)
{
	size_t n;

	while (*s == '\r' || *s == '\n' || *s == ' ')
		s++;
	n = strcspn(s, "\r\n");
	if (n > WIN_ERR_TEXT)
		n = WIN_ERR_TEXT;
	return n ? xstrndup(s, n) : xstrdup("no error text");
}

/*
 * Runs cmdline (UTF-16) with no window, stdin from NUL, for at most
 * timeout_ms; stdout into *out (NUL-terminated, at most max bytes kept).
 * A non-zero exit is an error carrying the first line of stderr.
 */
static int
s_run(const wchar_t *cmdline, const char *what, DWORD timeout_ms,
    size_t max, char **out, size_t *outlen, char **err)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	HANDLE out_r = NULL, out_w = NULL, err_r = NULL, err_w = NULL;
	HANDLE nul = INVALID_HANDLE_VALUE, job = NULL;
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	wchar_t *line = _wcsdup(cmdline);
	strbuf o, e;
	DWORD code = 0, start = GetTickCount();
	bool done = false, timed_out = false;
	int rc = -1;

	strbuf_init(&o);
	strbuf_init(&e);
	memset(&pi, 0, sizeof pi);
	if (!CreatePipe(&out_r, &out_w, &sa, 0) ||
	    !CreatePipe(&err_r, &err_w, &sa, 0)) {
		s_fail(err, GetLastError(), "%s: cannot create a pipe%s",
		    what, NULL);
		goto out;
	}
	SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation(err_r, HANDLE_FLAG_INHERIT, 0);
	nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ |
	    FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = nul;
	si.hStdOutput = out_w;
	si.hStdError = err_w;
	job = CreateJobObjectW(NULL, NULL);
	if (!CreateProcessW(NULL, line, NULL, NULL, TRUE, CREATE_NO_WINDOW |
	    CREATE_SUSPENDED, NULL, NULL, &si, &pi)) {
		s_fail(err, GetLastError(), "%s: cannot start it%s", what,
		    NULL);
		goto out;
	}
	if (job != NULL)
		AssignProcessToJobObject(job, pi.hProcess);
	ResumeThread(pi.hThread);
	CloseHandle(out_w);
	CloseHandle(err_w);
	out_w = err_w = NULL;
	while (!done) {
		bool more = s_drain(out_r, &o, max);

		more = s_drain(err_r, &e, 64 * 1024) && more;
		if (WaitForSingleObject(pi.hProcess, 20) == WAIT_OBJECT_0 &&
		    !more)
			done = true;
		else if (GetTickCount() - start > timeout_ms) {
			timed_out = true;
			break;
		}
	}
	if (timed_out) {
		if (job != NULL)
			TerminateJobObject(job, 1);
		else
			TerminateProcess(pi.hProcess, 1);
		*err = xasprintf("%s: no answer within %lu s; stopped", what,
		    (unsigned long)(timeout_ms / 1000));
		goto out;
	}
	GetExitCodeProcess(pi.hProcess, &code);
	if (code != 0) {
		char *first = s_first_line(e.len ? e.data : o.data);

		*err = xasprintf("%s: exit code %lu: %s", what,
		    (unsigned long)code, first);
		free(first);
		goto out;
	}
	*outlen = o.len;
	*out = strbuf_detach(&o, NULL);
	rc = 0;
out:
	if (pi.hProcess)
		CloseHandle(pi.hProcess);
	if (pi.hThread)
		CloseHandle(pi.hThread);
	if (job != NULL)
		CloseHandle(job);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (out_r)
		CloseHandle(out_r);
	if (out_w)
		CloseHandle(out_w);
	if (err_r)
		CloseHandle(err_r);
	if (err_w)
		CloseHandle(err_w);
	strbuf_release(&o);
	strbuf_release(&e);
	free(line);
	return rc;
}

/* Runs one PowerShell command (UTF-8 text) through -EncodedCommand. */
static int
s_powershell(const char *command, const char *what, char **out,
    size_t *len, char **err)
{
	char *full = xasprintf("%s%s", WINF_PS_PRELUDE, command);
	wchar_t *w = s_wide(full), *line;
	char *b64 = s_base64((const unsigned char *)w, wcslen(w) *
	    sizeof *w);
	wchar_t *wb64 = s_wide(b64);
	size_t n = wcslen(WINF_POWERSHELL) + wcslen(WINF_POWERSHELL_ARGS) +
	    wcslen(wb64) + 2;
	int rc;

	line = xcalloc(n, sizeof *line);
	_snwprintf(line, n, L"%ls %ls%ls", WINF_POWERSHELL,
	    WINF_POWERSHELL_ARGS, wb64);
	rc = s_run(line, what, WINF_PS_TIMEOUT_MS, WINF_PS_MAX_OUTPUT, out,
	    len, err);
	free(line);
	free(wb64);
	free(b64);
	free(w);
	free(full);
	return rc;
}

/* One fact: from the recorded directory, or by running the command.
 * *out NULL (and 0) when a recorded file is not there. */
static int
s_fact(win *w, const char *file, const char *command, char **out,
    size_t *len, char **err)
{
	char *path;
	int rc;

	*out = NULL;
	*len = 0;
	if (w->facts_dir == NULL) {
		if (command == NULL) {
			wchar_t *line = _wcsdup(WINF_VSSADMIN);

			rc = s_run(line, "vssadmin list providers",
			    WINF_PS_TIMEOUT_MS, WINF_PS_MAX_OUTPUT, out, len,
			    err);
			free(line);
			return rc;
		}
		return s_powershell(command, file, out, len, err);
	}
	path = platform_path_join(w->facts_dir, file);
	if (!platform_file_exists(path)) {
		free(path);
		return 0;
	}
	rc = platform_read_file(path, WINF_PS_MAX_OUTPUT, out, len, err);
	free(path);
	return rc;
}

/* ---- host_ops ---- */

static char *
s_computer_name(void)
{
	wchar_t buf[256];
	DWORD n = sizeof buf / sizeof buf[0];

	if (!GetComputerNameExW(ComputerNameDnsHostname, buf, &n) &&
	    !GetComputerNameW(buf, &n))
		return xstrdup("localhost");
	return s_utf8n(buf, -1);
}

static int
s_observe_guests(win *w, host_state *h, char **err)
{
	static const struct {
		const char *file;
		const char *command;	/* NULL: vssadmin */
	} facts[] = {
		{ "cluster.json", WINF_PS_CLUSTER },
		{ "vms.json", WINF_PS_VMS },
		{ "services.json", WINF_PS_SERVICES },
		{ "disks.json", WINF_PS_DISKS },
		{ "csvs.json", WINF_PS_CSVS },
		{ "providers.txt", NULL },
	};
	char *text[6] = { NULL };
	size_t len[6] = { 0 };
	wininv_outputs o;
	int rc = 0;

	for (size_t i = 0; i < 6 && rc == 0; i++) {
		/* A configured cluster name is not asked for. */
		if (i == 0 && w->cluster != NULL)
			continue;
		rc = s_fact(w, facts[i].file, facts[i].command, &text[i],
		    &len[i], err);
	}
	if (rc == 0) {
		memset(&o, 0, sizeof o);
		o.cluster.data = text[0];
		o.cluster.len = len[0];
		o.vms.data = text[1];
		o.vms.len = len[1];
		o.services.data = text[2];
		o.services.len = len[2];
		o.disks.data = text[3];
		o.disks.len = len[3];
		o.csvs.data = text[4];
		o.csvs.len = len[4];
		o.providers.data = text[5];
		o.providers.len = len[5];
		rc = wininv_build(h, &o, err);
	}
	for (size_t i = 0; i < 6; i++)
		free(text[i]);
	return rc;
}

static int
s_observe(host_backend *b, host_state **out, char **err)
{
	win *w = b->impl;
	host_state *h = host_state_new();

	h->node = s_computer_name();
	h->role = w->role;
	h->cluster = xstrdup(w->cluster);
	if (s_read_registry(w, h, err) == -1)
		goto fail;
	w->fingerprint = s_fingerprint_of(h);
	w->have_fingerprint = true;
	if (w->role == ROLE_HYPERV_NODE && s_observe_guests(w, h, err) == -1)
		goto fail;
	if (w->role == ROLE_DPM_SERVER && w->facts_dir != NULL) {
		char *path = platform_path_join(w->facts_dir, "cluster.json");
		char *text = NULL;
		size_t len = 0;
		wininv_outputs o;

		/* Recorded facts may name the cluster a DPM server serves. */
		if (w->cluster == NULL && platform_file_exists(path) &&
		    platform_read_file(path, WINF_PS_MAX_OUTPUT, &text, &len,
		    err) == 0) {
			memset(&o, 0, sizeof o);
			o.cluster.data = text;
			o.cluster.len = len;
			if (wininv_build(h, &o, err) == -1) {
				free(text);
				free(path);
				goto fail;
			}
		}
		free(text);
		free(path);
	}
	h->data_source_groups = xstrdup(w->dsgroups);
	*out = h;
	return 0;
fail:
	host_state_free(&h);
	return -1;
}

static int
s_create_key(host_backend *b, const char *key, char **err)
{
	HKEY hive, k;
	wchar_t *sub;
	LONG r;

	if (s_split_key(key, &hive, &sub) == -1) {
		*err = xasprintf("%s: not a registry key path", key);
		return -1;
	}
	r = RegCreateKeyExW(hive, sub, 0, NULL, 0, KEY_WRITE |
	    KEY_WOW64_64KEY, NULL, &k, NULL);
	free(sub);
	if (r != ERROR_SUCCESS)
		return s_fail(err, (DWORD)r, "cannot create %s%s", key, NULL);
	RegCloseKey(k);
	s_refresh_fingerprint(b->impl);
	return 0;
}

static int
s_delete_key(host_backend *b, const char *key, char **err)
{
	char *parent = xstrdup(key), *leaf = strrchr(parent, '\\');
	wchar_t *wleaf;
	HKEY k;
	LONG r;

	if (leaf == NULL) {
		free(parent);
		*err = xasprintf("%s: a hive cannot be deleted", key);
		return -1;
	}
	*leaf++ = '\0';
	r = s_open(parent, KEY_ALL_ACCESS, &k);
	if (r == ERROR_FILE_NOT_FOUND) {
		free(parent);
		return 0;
	}
	if (r != ERROR_SUCCESS) {
		free(parent);
		return s_fail(err, (DWORD)r, "cannot delete %s%s", key, NULL);
	}
	wleaf = s_wide(leaf);
	r = RegDeleteTreeW(k, wleaf);
	if (r == ERROR_SUCCESS)
		r = RegDeleteKeyExW(k, wleaf, KEY_WOW64_64KEY, 0);
	free(wleaf);
	free(parent);
	RegCloseKey(k);
	if (r != ERROR_SUCCESS && r != ERROR_FILE_NOT_FOUND)
		return s_fail(err, (DWORD)r, "cannot delete %s%s", key, NULL);
	s_refresh_fingerprint(b->impl);
	return 0;
}

/* reg_value -> registry bytes (owned) and type. */
static unsigned char *
s_encode(const reg_value *v, DWORD *type, DWORD *size)
{
	unsigned char *p;
	wchar_t *w;
	size_t n;

	switch (v->type) {
	case REG_T_SZ:
	case REG_T_EXPAND_SZ:
		*type = v->type == REG_T_SZ ? REG_SZ : REG_EXPAND_SZ;
		w = s_wide(v->text ? v->text : "");
		*size = (DWORD)((wcslen(w) + 1) * sizeof *w);
		return (unsigned char *)w;
	case REG_T_MULTI_SZ: {
		size_t total = 1, at = 0;

		*type = REG_MULTI_SZ;
		for (size_t i = 0; i < v->list_len; i++) {
			wchar_t *x = s_wide(v->list[i]);

			total += wcslen(x) + 1;
			free(x);
		}
		w = xcalloc(total, sizeof *w);
		for (size_t i = 0; i < v->list_len; i++) {
			wchar_t *x = s_wide(v->list[i]);

			n = wcslen(x);
			memcpy(w + at, x, n * sizeof *w);
			at += n + 1;
			free(x);
		}
		*size = (DWORD)(total * sizeof *w);
		return (unsigned char *)w;
	}
	case REG_T_DWORD:
		*type = REG_DWORD;
		*size = 4;
		p = xmalloc(4);
		for (int i = 0; i < 4; i++)
			p[i] = (unsigned char)(v->number >> (8 * i));
		return p;
	case REG_T_QWORD:
		*type = REG_QWORD;
		*size = 8;
		p = xmalloc(8);
		for (int i = 0; i < 8; i++)
			p[i] = (unsigned char)(v->number >> (8 * i));
		return p;
	case REG_T_BINARY:
		*type = REG_BINARY;
		n = v->text ? strlen(v->text) / 2 : 0;
		p = xmalloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			unsigned hi = 0, lo = 0;

			sscanf(v->text + 2 * i, "%1x%1x", &hi, &lo);
			p[i] = (unsigned char)(hi << 4 | lo);
		}
		*size = (DWORD)n;
		return p;
	default:
		return NULL;
	}
}

static int
s_set_value(host_backend *b, const char *key, const char *name,
    const reg_value *v, char **err)
{
	HKEY hive, k;
	wchar_t *sub, *wname;
	unsigned char *data;
	DWORD type = 0, size = 0;
	LONG r;

	if ((data = s_encode(v, &type, &size)) == NULL) {
		*err = xasprintf("%s\\%s: no registry type to write", key,
		    name ? name : "");
		return -1;
	}
	if (s_split_key(key, &hive, &sub) == -1) {
		free(data);
		*err = xasprintf("%s: not a registry key path", key);
		return -1;
	}
	r = RegCreateKeyExW(hive, sub, 0, NULL, 0, KEY_WRITE |
	    KEY_WOW64_64KEY, NULL, &k, NULL);
	free(sub);
	if (r != ERROR_SUCCESS) {
		free(data);
		return s_fail(err, (DWORD)r, "cannot create %s%s", key, NULL);
	}
	wname = s_wide(name ? name : "");
	r = RegSetValueExW(k, wname, 0, type, data, size);
	free(wname);
	free(data);
	RegCloseKey(k);
	if (r != ERROR_SUCCESS)
		return s_fail(err, (DWORD)r, "cannot set %s\\%s", key,
		    name ? name : "");
	s_refresh_fingerprint(b->impl);
	return 0;
}

static int
s_delete_value(host_backend *b, const char *key, const char *name,
    char **err)
{
	HKEY k;
	wchar_t *wname;
	LONG r = s_open(key, KEY_SET_VALUE, &k);

	if (r == ERROR_FILE_NOT_FOUND)
		return 0;
	if (r != ERROR_SUCCESS)
		return s_fail(err, (DWORD)r, "cannot open %s%s", key, NULL);
	wname = s_wide(name ? name : "");
	r = RegDeleteValueW(k, wname);
	free(wname);
	RegCloseKey(k);
	if (r != ERROR_SUCCESS && r != ERROR_FILE_NOT_FOUND)
		return s_fail(err, (DWORD)r, "cannot delete %s\\%s", key,
		    name ? name : "");
	s_refresh_fingerprint(b->impl);
	return 0;
}

static int
s_set_integration(host_backend *b, const char *guest_id, const char *service,
    bool enabled, char **err)
{
	win *w = b->impl;
	char *cmd, *out = NULL, *what;
	size_t len = 0;
	int rc;

	if (w->facts_dir != NULL) {
		*err = xasprintf("guest %s: integration services come from "
		    "recorded outputs (HVP_WIN_FACTS_DIR); %s not changed",
		    guest_id, service);
		return -1;
	}
	if ((cmd = wininv_service_command(guest_id, service, enabled,
	    err)) == NULL)
		return -1;
	what = xasprintf("%s-VMIntegrationService %s on guest %s",
	    enabled ? "Enable" : "Disable", service, guest_id);
	rc = s_powershell(cmd, what, &out, &len, err);
	free(what);
	free(out);
	free(cmd);
	return rc;
}

static int
s_read_dsgroups(host_backend *b, char **data, size_t *len, char **err)
{
	win *w = b->impl;

	*data = NULL;
	*len = 0;
	if (!platform_file_exists(w->dsgroups))
		return 0;
	return platform_read_file(w->dsgroups, PLATFORM_MAX_FILE, data, len,
	    err);
}

static int
s_write_dsgroups(host_backend *b, const void *data, size_t len, char **err)
{
	win *w = b->impl;

	if (platform_replace_file(w->dsgroups, data, len, false, err) == -1)
		return -1;
	if (w->file_watch != NULL)
		platform_watch_changed(w->file_watch);	/* our own write */
	return 0;
}

/* The agent log: <InstallPath>\Temp\ from the registry, else the
 * documented folders under %ProgramFiles%. Owned, or NULL. */
static char *
s_agent_log_path(void)
{
	static const char *const dirs[] = WINF_AGENT_LOG_DIRS;
	wchar_t buf[MAX_PATH], pf[MAX_PATH];
	DWORD size = sizeof buf;
	char *dir, *path;

	if (RegGetValueW(HKEY_LOCAL_MACHINE, WINF_DPM_SETUP_KEY,
	    WINF_DPM_INSTALL_VALUE, RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY,
	    NULL, buf, &size) == ERROR_SUCCESS) {
		char *base = s_utf8n(buf, -1);

		dir = platform_path_join(base, WINF_AGENT_LOG_SUBDIR);
		path = platform_path_join(dir, WINF_AGENT_LOG_NAME);
		free(base);
		free(dir);
		if (platform_file_exists(path))
			return path;
		free(path);
	}
	if (GetEnvironmentVariableW(L"ProgramFiles", pf, MAX_PATH) == 0)
		return NULL;
	for (size_t i = 0; dirs[i] != NULL; i++) {
		char *base = s_utf8n(pf, -1);

		dir = platform_path_join(base, dirs[i]);
		path = platform_path_join(dir, WINF_AGENT_LOG_NAME);
		free(base);
		free(dir);
		if (platform_file_exists(path))
			return path;
		free(path);
	}
	return NULL;
}

static int
s_read_agent_log(host_backend *b, size_t max, char **data, size_t *len,
    char **err)
{
	char *path = s_agent_log_path();
	wchar_t *wpath;
	HANDLE h;
	LARGE_INTEGER size, at;
	DWORD got = 0;
	char *buf;

	*data = NULL;
	*len = 0;
	if (path == NULL)
		return 0;
	wpath = s_wide(path);
	h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL,
	    NULL);
	free(wpath);
	if (h == INVALID_HANDLE_VALUE) {
		s_fail(err, GetLastError(), "cannot open %s%s", path, NULL);
		free(path);
		return -1;
	}
	free(path);
	if (!GetFileSizeEx(h, &size))
		size.QuadPart = 0;
	if (max > 0x40000000)
		max = 0x40000000;
	at.QuadPart = (uint64_t)size.QuadPart > max ?
	    size.QuadPart - (LONGLONG)max : 0;
	SetFilePointerEx(h, at, NULL, FILE_BEGIN);
	buf = xmalloc(max + 1);
	if (!ReadFile(h, buf, (DWORD)max, &got, NULL))
		got = 0;
	CloseHandle(h);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

static int
s_commit(host_backend *b, char **err)
{
	(void)b;
	(void)err;
	return 0;	/* every change was made at once */
}

static void
s_rollback(host_backend *b)
{
	(void)b;	/* nothing is held back */
}

static int
s_watch_fd(host_backend *b)
{
	(void)b;
	return -1;	/* changed() is polled */
}

static bool
s_changed(host_backend *b)
{
	win *w = b->impl;
	bool signalled = false, changed = false;
	uint64_t f;

	for (size_t i = 0; i < w->nwatches; i++)
		if (WaitForSingleObject(w->watches[i].event, 0) ==
		    WAIT_OBJECT_0)
			signalled = true;
	/* Without any watch (no tracked key or parent could be opened),
	 * every poll compares. */
	if (signalled || w->nwatches == 0) {
		s_arm(w);
		if (s_fingerprint(w, &f) == 0) {
			changed = w->have_fingerprint && f != w->fingerprint;
			w->fingerprint = f;
			w->have_fingerprint = true;
		}
	}
	if (w->file_watch != NULL && platform_watch_changed(w->file_watch))
		changed = true;
	return changed;
}

static void
s_destroy(host_backend *b)
{
	win *w = b->impl;

	s_unwatch(w);
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i]);
	free(w->roots);
	free(w->cluster);
	free(w->dsgroups);
	free(w->facts_dir);
	platform_watch_free(&w->file_watch);
	free(w);
}

static const host_ops S_OPS = {
	.name = "windows",
	.observe = s_observe,
	.create_key = s_create_key,
	.delete_key = s_delete_key,
	.set_value = s_set_value,
	.delete_value = s_delete_value,
	.set_integration = s_set_integration,
	.read_dsgroups = s_read_dsgroups,
	.write_dsgroups = s_write_dsgroups,
	.read_agent_log = s_read_agent_log,
	.commit = s_commit,
	.rollback = s_rollback,
	.watch_fd = s_watch_fd,
	.changed = s_changed,
	.destroy = s_destroy,
};

host_backend *
backend_windows_new(host_role role, const char *cluster, char **err)
{
	host_backend *b;
	win *w;
	wchar_t pf[MAX_PATH];
	wchar_t facts[MAX_PATH];
	char *base;

	if (GetEnvironmentVariableW(L"ProgramFiles", pf, MAX_PATH) == 0) {
		*err = xstrdup("windows backend: %ProgramFiles% is not set");
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->role = role;
	w->cluster = cluster && *cluster ? xstrdup(cluster) : NULL;
	base = s_utf8n(pf, -1);
	w->dsgroups = platform_path_join(base, WINF_DSGROUPS_REL);
	free(base);
	if (GetEnvironmentVariableW(L"HVP_WIN_FACTS_DIR", facts, MAX_PATH) >
	    0)
		w->facts_dir = s_utf8n(facts, -1);
	s_track_reset(w);
	if (role == ROLE_DPM_SERVER)
		w->file_watch = platform_watch_new(w->dsgroups, NULL);
	s_arm(w);
	s_refresh_fingerprint(w);
	b = xcalloc(1, sizeof *b);
	b->ops = &S_OPS;
	b->impl = w;
	return b;
}

void
backend_windows_track(host_backend *b, const policy *p)
{
	win *w;

	if (b == NULL || b->ops != &S_OPS)
		return;
	w = b->impl;
	s_track_reset(w);
	for (size_t i = 0; p != NULL && i < p->nregistry; i++)
		s_track(w, p->registry[i].key);
	s_arm(w);
	s_refresh_fingerprint(w);
}

bool
backend_windows_available(void)
{
	return true;
}
