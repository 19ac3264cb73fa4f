/*
 * platform_win.c: platform.h on Windows (Win32 API; built only when CMake
 * targets WIN32). Paths are UTF-8 in the program and UTF-16 at the API.
 * Atomic replace is a write-through MoveFileExW over the old file after
 * FlushFileBuffers. File watching has no descriptor to poll: the watch
 * compares size and modification time (with a change notification on
 * each directory to drain). Console control events and the service's
 * stop request (winsvc.c, through platform_win_request_terminate) set the
 * terminate flag.
 */
#include "platform.h"

#include <winsock2.h>	/* before windows.h */
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strsort.h"
#include "wintext.h"
#include "xalloc.h"

/* Called by node/winsvc.c when the service control manager asks the
 * service to stop or the system shuts down. */
void platform_win_request_terminate(void);

static int
s_fail_code(char **err, const char *what, const char *path, DWORD code)
{
	if (err) {
		char *m = wintext_syserr(code);

		*err = xasprintf("%s %s: %s", what, path, m);
		free(m);
	}
	return -1;
}

static int
s_fail(char **err, const char *what, const char *path)
{
	return s_fail_code(err, what, path, GetLastError());
}

/* ---- clocks ---- */

#define S_EPOCH_DIFF_100NS 116444736000000000LL	/* 1601 -> 1970 */

int64_t
platform_now_ms(void)
{
	FILETIME ft;
	ULARGE_INTEGER u;

	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	return ((int64_t)u.QuadPart - S_EPOCH_DIFF_100NS) / 10000;
}

int64_t
platform_mono_ms(void)
{
	return (int64_t)GetTickCount64();
}

void
platform_sleep_ms(int64_t ms)
{
	if (ms > 0)
		Sleep(ms > 0x7fffffff ? 0x7fffffff : (DWORD)ms);
}

long
platform_pid(void)
{
	return (long)GetCurrentProcessId();
}

/* ---- files ---- */

int
platform_read_file(const char *path, size_t max, char **data, size_t *len,
    char **err)
{
	wchar_t *w = wintext_wide(path);
	HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	LARGE_INTEGER size;
	size_t got = 0;
	char *buf;

	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return s_fail(err, "cannot open", path);
	if (GetFileType(h) != FILE_TYPE_DISK || !GetFileSizeEx(h, &size)) {
		if (err)
			*err = xasprintf("cannot read %s: not a regular file",
			    path);
		CloseHandle(h);
		return -1;
	}
	if ((uint64_t)size.QuadPart > max) {
		if (err)
			*err = xasprintf("cannot read %s: larger than %zu bytes",
			    path, max);
		CloseHandle(h);
		return -1;
	}
	buf = xmalloc((size_t)size.QuadPart + 1);
	while (got < (size_t)size.QuadPart) {
		DWORD n = 0, want = (DWORD)((size_t)size.QuadPart - got >
		    0x10000000 ? 0x10000000 : (size_t)size.QuadPart - got);

		if (!ReadFile(h, buf + got, want, &n, NULL) || n == 0)
			break;
		got += n;
	}
	CloseHandle(h);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

int
platform_replace_file(const char *path, const void *data, size_t len,
    bool private_mode, char **err)
{
	char *tmp = xasprintf("%s.tmp-%lu", path,
	    (unsigned long)GetCurrentProcessId());
	wchar_t *wtmp = wintext_wide(tmp), *wpath = wintext_wide(path);
	const char *p = data;
	size_t done = 0;
	HANDLE h;
	DWORD code;

	h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		s_fail(err, "cannot create", tmp);
		goto out;
	}
	while (done < len) {
		DWORD n = 0, want = (DWORD)(len - done > 0x10000000 ?
		    0x10000000 : len - done);

		if (!WriteFile(h, p + done, want, &n, NULL) || n == 0)
			goto fail;
		done += n;
	}
	if (!FlushFileBuffers(h))
		goto fail;
	CloseHandle(h);
	h = INVALID_HANDLE_VALUE;
	if (private_mode && platform_make_private(tmp, NULL) == -1)
		goto fail;
	if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING |
	    MOVEFILE_WRITE_THROUGH))
		goto fail;
	free(tmp);
	free(wtmp);
	free(wpath);
	return 0;
fail:
	code = GetLastError();
	s_fail_code(err, "cannot write", path, code);
	if (h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
	DeleteFileW(wtmp);
out:
	free(tmp);
	free(wtmp);
	free(wpath);
	return -1;
}

static bool
s_is_sep(char c)
{
	return c == '\\' || c == '/';
}

/* Length of the root of path ("C:\", "\\server\share\", "\"), 0 if none. */
static size_t
s_root_len(const char *path)
{
	size_t i, parts;

	if (((path[0] >= 'A' && path[0] <= 'Z') ||
	    (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':')
		return s_is_sep(path[2]) ? 3 : 2;
	if (s_is_sep(path[0]) && s_is_sep(path[1])) {
		/* \\server\share\ (or \\?\C:\) */
		for (i = 2, parts = 0; path[i] && parts < 2; i++)
			if (s_is_sep(path[i]))
				parts++;
		return i;
	}
	return s_is_sep(path[0]) ? 1 : 0;
}

static int
s_mkdir_one(const char *path, bool private_mode, char **err)
{
	wchar_t *w = wintext_wide(path);
	DWORD code, attr;
	BOOL ok = CreateDirectoryW(w, NULL);

	code = GetLastError();
	attr = GetFileAttributesW(w);
	free(w);
	if (ok) {
		if (private_mode)
			return platform_make_private(path, err);
		return 0;
	}
	if (code == ERROR_ALREADY_EXISTS && attr != INVALID_FILE_ATTRIBUTES &&
	    (attr & FILE_ATTRIBUTE_DIRECTORY))
		return 0;
	return s_fail_code(err, "cannot create directory", path, code);
}

int
platform_mkdir_p(const char *path, bool private_mode, char **err)
{
	char *copy = xstrdup(path);
	size_t root = s_root_len(copy);
	int rc = 0;

	for (char *p = copy + root; *p && rc == 0; p++) {
		char c = *p;

		if (!s_is_sep(c) || p == copy + root)
			continue;
		*p = '\0';
		rc = s_mkdir_one(copy, private_mode, err);
		*p = c;
	}
	if (rc == 0 && copy[root] != '\0')
		rc = s_mkdir_one(copy, private_mode, err);
	free(copy);
	return rc;
}

bool
platform_file_exists(const char *path)
{
	wchar_t *w = wintext_wide(path);
	DWORD attr = GetFileAttributesW(w);

	free(w);
	return attr != INVALID_FILE_ATTRIBUTES;
}

/* FILETIME (100 ns since 1601) -> ns since 1970. */
static int64_t
s_filetime_ns(const FILETIME *ft)
{
	int64_t t = (int64_t)(((uint64_t)ft->dwHighDateTime << 32) |
	    ft->dwLowDateTime);

	return (t - S_EPOCH_DIFF_100NS) * 100;
}

int
platform_file_stamp(const char *path, platform_stamp *out, char **err)
{
	wchar_t *w = wintext_wide(path);
	BY_HANDLE_FILE_INFORMATION fi;
	HANDLE h;
	DWORD code;

	memset(out, 0, sizeof *out);
	h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ |
	    FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
	    FILE_FLAG_BACKUP_SEMANTICS, NULL);
	code = GetLastError();
	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)
			return 0;
		return s_fail_code(err, "cannot examine", path, code);
	}
	if (!GetFileInformationByHandle(h, &fi)) {
		code = GetLastError();
		CloseHandle(h);
		return s_fail_code(err, "cannot examine", path, code);
	}
	CloseHandle(h);
	out->exists = true;
	out->dev = fi.dwVolumeSerialNumber;
	out->ino = ((uint64_t)fi.nFileIndexHigh << 32) | fi.nFileIndexLow;
	out->size = ((uint64_t)fi.nFileSizeHigh << 32) | fi.nFileSizeLow;
	out->mtime_ns = s_filetime_ns(&fi.ftLastWriteTime);
	/* Windows has no status-change time; creation time stands in. */
	out->ctime_ns = s_filetime_ns(&fi.ftCreationTime);
	return 0;
}

/* Well-known groups whose access makes a file not private. */
static const WELL_KNOWN_SID_TYPE S_WIDE_GROUPS[] = {
	WinWorldSid, WinAuthenticatedUserSid, WinBuiltinUsersSid,
	WinAnonymousSid,
};

int
platform_check_private(const char *path, char **err)
{
	wchar_t *w = wintext_wide(path);
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	DWORD rc;
	int result = 0;

	rc = GetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
	free(w);
	if (rc != ERROR_SUCCESS)
		return s_fail_code(err, "cannot read the permissions of", path,
		    rc);
	if (dacl == NULL) {
		if (err)
			*err = xasprintf("%s has no access control list: "
			    "everyone can read it", path);
		LocalFree(sd);
		return -1;
	}
	for (DWORD i = 0; i < dacl->AceCount && result == 0; i++) {
		ACCESS_ALLOWED_ACE *ace;

		if (!GetAce(dacl, i, (void **)&ace) ||
		    ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE)
			continue;
		for (size_t k = 0; k < sizeof S_WIDE_GROUPS /
		    sizeof S_WIDE_GROUPS[0]; k++) {
			if (IsWellKnownSid((PSID)&ace->SidStart,
			    S_WIDE_GROUPS[k])) {
				if (err)
					*err = xasprintf("%s is readable by a "
					    "group of users; remove their "
					    "access (icacls)", path);
				result = -1;
				break;
			}
		}
	}
	LocalFree(sd);
	return result;
}

int
platform_remove_file(const char *path, char **err)
{
	wchar_t *w = wintext_wide(path);
	BOOL ok = DeleteFileW(w);
	DWORD code = GetLastError();

	free(w);
	if (!ok && code != ERROR_FILE_NOT_FOUND && code != ERROR_PATH_NOT_FOUND)
		return s_fail_code(err, "cannot remove", path, code);
	return 0;
}

/* Full control for the owner, SYSTEM and Administrators; nothing
 * inherited from the folder. */
int
platform_make_private(const char *path, char **err)
{
	static const wchar_t sddl[] =
	    L"D:P(A;OICI;FA;;;OW)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
	PSECURITY_DESCRIPTOR sd = NULL;
	PACL dacl = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	wchar_t *w;
	DWORD rc;

	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
	    SDDL_REVISION_1, &sd, NULL))
		return s_fail(err, "cannot build permissions for", path);
	GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
	w = wintext_wide(path);
	rc = SetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
	    NULL, NULL, dacl, NULL);
	free(w);
	LocalFree(sd);
	if (rc != ERROR_SUCCESS)
		return s_fail_code(err, "cannot restrict permissions of", path,
		    rc);
	return 0;
}

struct platform_lock {
	HANDLE h;
};

platform_lock *
platform_lock_try(const char *path, char **err)
{
	wchar_t *w = wintext_wide(path);
	HANDLE h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
	    FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	OVERLAPPED ov;
	platform_lock *l;

	free(w);
	if (h == INVALID_HANDLE_VALUE) {
		s_fail(err, "cannot open lock file", path);
		return NULL;
	}
	memset(&ov, 0, sizeof ov);
	if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY,
	    0, 1, 0, &ov)) {
		if (err)
			*err = xasprintf("%s is locked by another process", path);
		CloseHandle(h);
		return NULL;
	}
	l = xmalloc(sizeof *l);
	l->h = h;
	return l;
}

void
platform_lock_release(platform_lock **l)
{
	if (l == NULL || *l == NULL)
		return;
	CloseHandle((*l)->h);	/* drops the lock */
	free(*l);
	*l = NULL;
}

int
platform_list_dir(const char *dir, const char *suffix, char ***names,
    size_t *count, char **err)
{
	char *pattern = platform_path_join(dir, "*");
	wchar_t *w = wintext_wide(pattern);
	WIN32_FIND_DATAW fd;
	HANDLE h = FindFirstFileW(w, &fd);
	size_t n = 0, cap = 0, slen = strlen(suffix);
	char **out = NULL;
	DWORD code = GetLastError();

	free(w);
	free(pattern);
	if (h == INVALID_HANDLE_VALUE) {
		if (code == ERROR_FILE_NOT_FOUND) {
			*names = NULL;
			*count = 0;
			return 0;
		}
		return s_fail_code(err, "cannot open directory", dir, code);
	}
	do {
		char *name = wintext_utf8(fd.cFileName);
		size_t len = strlen(name);

		if (name[0] == '.' || len <= slen ||
		    (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ||
		    strcmp(name + len - slen, suffix) != 0) {
			free(name);
			continue;
		}
		xgrow(&out, &cap, n + 1, sizeof *out);
		out[n++] = name;
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	if (n > 1)
		qsort(out, n, sizeof *out, strsort_cmp);
	*names = out;
	*count = n;
	return 0;
}

/* ---- paths ---- */

char *
platform_path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	if (len == 0)
		return xstrdup(name);
	if (s_is_sep(dir[len - 1]))
		return xasprintf("%s%s", dir, name);
	/* Keep the separator the directory already uses. */
	if (strchr(dir, '/') != NULL && strchr(dir, '\\') == NULL)
		return xasprintf("%s/%s", dir, name);
	return xasprintf("%s\\%s", dir, name);
}

char *
platform_dirname(const char *path)
{
	size_t root = s_root_len(path), end = strlen(path);

	while (end > root && s_is_sep(path[end - 1]))
		end--;
	while (end > root && !s_is_sep(path[end - 1]))
		end--;
	while (end > root && s_is_sep(path[end - 1]))
		end--;
	if (end == 0)
		return xstrdup(".");
	return xstrndup(path, end);
}

bool
platform_path_is_absolute(const char *path)
{
	return s_root_len(path) > 0 && (s_is_sep(path[0]) ||
	    s_is_sep(path[2]));
}

char *
platform_path_relative_to(const char *base_file, const char *path)
{
	char *dir, *out;

	if (platform_path_is_absolute(path))
		return xstrdup(path);
	dir = platform_dirname(base_file);
	out = platform_path_join(dir, path);
	free(dir);
	return out;
}

/* ---- watching files ---- */

typedef struct watched {
	char *path;
	bool exists;
	uint64_t size;
	uint64_t mtime;
} watched;

struct platform_watch {
	watched *files;
	size_t nfiles;
	HANDLE *notes;		/* one change notification per directory */
	char **dirs;
	size_t nnotes;
};

static void
s_watch_stat(const char *path, bool *exists, uint64_t *size,
    uint64_t *mtime)
{
	WIN32_FILE_ATTRIBUTE_DATA a;
	wchar_t *w = wintext_wide(path);

	*exists = GetFileAttributesExW(w, GetFileExInfoStandard, &a) != 0;
	free(w);
	if (!*exists) {
		*size = *mtime = 0;
		return;
	}
	*size = ((uint64_t)a.nFileSizeHigh << 32) | a.nFileSizeLow;
	*mtime = ((uint64_t)a.ftLastWriteTime.dwHighDateTime << 32) |
	    a.ftLastWriteTime.dwLowDateTime;
}

platform_watch *
platform_watch_new(const char *path, char **err)
{
	platform_watch *w = xcalloc(1, sizeof *w);

	if (platform_watch_add(w, path, err) == -1) {
		platform_watch_free(&w);
		return NULL;
	}
	return w;
}

int
platform_watch_add(platform_watch *w, const char *path, char **err)
{
	watched *f;
	char *dir = platform_dirname(path);
	wchar_t *wdir;
	HANDLE h;

	w->files = xrealloc(w->files, (w->nfiles + 1) * sizeof *w->files);
	f = &w->files[w->nfiles++];
	f->path = xstrdup(path);
	s_watch_stat(f->path, &f->exists, &f->size, &f->mtime);
	for (size_t i = 0; i < w->nnotes; i++) {
		if (_stricmp(w->dirs[i], dir) == 0) {
			free(dir);
			return 0;
		}
	}
	wdir = wintext_wide(dir);
	h = FindFirstChangeNotificationW(wdir, FALSE,
	    FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_SIZE |
	    FILE_NOTIFY_CHANGE_LAST_WRITE);
	free(wdir);
	if (h == INVALID_HANDLE_VALUE) {
		/* The size/mtime check still works without it. */
		free(dir);
		return 0;
	}
	w->notes = xrealloc(w->notes, (w->nnotes + 1) * sizeof *w->notes);
	w->dirs = xrealloc(w->dirs, (w->nnotes + 1) * sizeof *w->dirs);
	w->notes[w->nnotes] = h;
	w->dirs[w->nnotes++] = dir;
	(void)err;
	return 0;
}

void
platform_watch_free(platform_watch **w)
{
	if (*w == NULL)
		return;
	for (size_t i = 0; i < (*w)->nnotes; i++) {
		FindCloseChangeNotification((*w)->notes[i]);
		free((*w)->dirs[i]);
	}
	free((*w)->notes);
	free((*w)->dirs);
	for (size_t i = 0; i < (*w)->nfiles; i++)
		free((*w)->files[i].path);
	free((*w)->files);
	free(*w);
	*w = NULL;
}

int
platform_watch_fd(const platform_watch *w)
{
	(void)w;
	return -1;
}

bool
platform_watch_changed(platform_watch *w)
{
	bool changed = false;

	for (size_t i = 0; i < w->nnotes; i++)
		while (WaitForSingleObject(w->notes[i], 0) == WAIT_OBJECT_0 &&
		    FindNextChangeNotification(w->notes[i]))
			;
	for (size_t i = 0; i < w->nfiles; i++) {
		watched *f = &w->files[i];
		bool exists;
		uint64_t size, mtime;

		s_watch_stat(f->path, &exists, &size, &mtime);
		if (exists != f->exists || size != f->size || mtime != f->mtime)
			changed = true;
		f->exists = exists;
		f->size = size;
		f->mtime = mtime;
	}
	return changed;
}

/* ---- signals ---- */

static platform_signal_flags *s_flags;

void
platform_win_request_terminate(void)
{
	if (s_flags != NULL)
		s_flags->terminate = 1;
}

static BOOL WINAPI
s_on_console(DWORD type)
{
	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
	case CTRL_LOGOFF_EVENT:
	case CTRL_SHUTDOWN_EVENT:
		platform_win_request_terminate();
		return TRUE;
	default:
		return FALSE;
	}
}

void
platform_signals_install(platform_signal_flags *flags)
{
	s_flags = flags;
	SetConsoleCtrlHandler(s_on_console, TRUE);
}

bool
platform_stdout_is_tty(void)
{
	HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);

	return h != NULL && h != INVALID_HANDLE_VALUE &&
	    GetFileType(h) == FILE_TYPE_CHAR;
}

char *
platform_user_name(void)
{
	wchar_t user[256], host[MAX_COMPUTERNAME_LENGTH + 1];
	DWORD ulen = sizeof user / sizeof user[0];
	DWORD hlen = sizeof host / sizeof host[0];
	char *u, *h, *out;

	if (!GetUserNameW(user, &ulen))
		wcscpy(user, L"unknown");
	if (!GetComputerNameW(host, &hlen))
		wcscpy(host, L"localhost");
	u = wintext_utf8(user);
	h = wintext_utf8(host);
	out = xasprintf("%s@%s", u, h);
	free(u);
	free(h);
	return out;
}

/* The controller (its metrics endpoint) runs on POSIX systems only. */
int
platform_inet_addr(const char *host, unsigned port, void **addr, size_t *len,
    char **err)
{
	(void)addr;
	(void)len;
	if (err)
		*err = xasprintf("%s:%u: not supported on Windows", host, port);
	return -1;
}

/* Windows has no numeric user ids; the control socket's peer is named
 * by its Unix uid only on POSIX systems. */
char *
platform_uid_name(unsigned long uid)
{
	return xasprintf("uid %lu", uid);
}

/* ---- processes ---- */

/* Appends arg to the command line, quoted as CommandLineToArgvW reads it. */
static void
s_quote_arg(char **line, const char *arg)
{
	size_t n = strlen(*line), cap = n + 2 * strlen(arg) + 4;
	char *out = xmalloc(cap), *o = out;
	size_t bs = 0;

	memcpy(o, *line, n);
	o += n;
	if (n > 0)
		*o++ = ' ';
	*o++ = '"';
	for (const char *p = arg; *p; p++) {
		if (*p == '\\') {
			bs++;
		} else if (*p == '"') {
			for (size_t i = 0; i < bs + 1; i++)
				*o++ = '\\';
			bs = 0;
		} else {
			bs = 0;
		}
		*o++ = *p;
	}
	for (size_t i = 0; i < bs; i++)
		*o++ = '\\';
	*o++ = '"';
	*o = '\0';
	free(*line);
	*line = out;
}

long
platform_spawn_background(char *const argv[], const char *log_path, char **err)
{
	SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;
	char *line = xstrdup("");
	wchar_t *wline, *wlog = wintext_wide(log_path);
	HANDLE log, nul;
	BOOL ok;
	DWORD code;

	for (size_t i = 0; argv[i] != NULL; i++)
		s_quote_arg(&line, argv[i]);
	log = CreateFileW(wlog, FILE_APPEND_DATA, FILE_SHARE_READ |
	    FILE_SHARE_WRITE, &sa, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	free(wlog);
	nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ |
	    FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = nul;
	si.hStdOutput = log;
	si.hStdError = log;
	wline = wintext_wide(line);
	free(line);
	ok = CreateProcessW(NULL, wline, NULL, NULL, TRUE, CREATE_NO_WINDOW |
	    CREATE_NEW_PROCESS_GROUP, NULL, NULL, &si, &pi);
	code = GetLastError();
	free(wline);
	if (log != INVALID_HANDLE_VALUE)
		CloseHandle(log);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (!ok)
		return s_fail_code(err, "cannot start", argv[0], code);
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	return (long)pi.dwProcessId;
}

bool
platform_process_alive(long pid)
{
	HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
	    FALSE, (DWORD)pid);
	bool alive;

	if (h == NULL)
		return GetLastError() == ERROR_ACCESS_DENIED;
	alive = WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
	CloseHandle(h);
	return alive;
}

int
platform_process_terminate(long pid, bool force)
{
	HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);
	BOOL ok;

	(void)force;	/* Windows has no polite signal to another process */
	if (h == NULL) {
		errno = ESRCH;
		return -1;
	}
	ok = TerminateProcess(h, 1);
	CloseHandle(h);
	return ok ? 0 : -1;
}

/* The control socket is a POSIX concern: on Windows the CLI reaches the
 * controller over CURVE, and the controller runs on Linux. */
long
platform_uid(void)
{
	return -1;
}

long
platform_uid_of(const char *name)
{
	(void)name;
	return -1;
}

char *
platform_user_of(long uid)
{
	return xasprintf("uid %ld", uid);
}

int
platform_private_dir(const char *dir, char **err)
{
	return platform_mkdir_p(dir, true, err);
}

unsigned
platform_umask(unsigned mask)
{
	(void)mask;
	return 0;
}

platform_access
platform_socket_access(const char *path, const char *trusted, char **err)
{
	(void)trusted;
	*err = NULL;
	if (!platform_file_exists(path)) {
		*err = xasprintf("no control socket at %s", path);
		return PLATFORM_ACCESS_MISSING;
	}
	return PLATFORM_ACCESS_OK;
}

void
platform_tune_allocator(void)
{
}

void
platform_release_free_memory(void)
{
}

int
platform_raise_nofile(long *before, long *after, char **err)
{
	(void)err;
	*before = *after = -1;
	return 0;
}

bool
platform_fd_is_tcp(long fd)
{
	int type = 0, len = sizeof type;

	return fd >= 0 && getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE,
	    (char *)&type, &len) == 0 && type == SOCK_STREAM;
}

int
platform_shutdown_tcp(long fd)
{
	if (!platform_fd_is_tcp(fd))
		return -1;
	return shutdown((SOCKET)fd, SD_BOTH) == 0 ? 0 : -1;
}
