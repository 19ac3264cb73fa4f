/*
 * standin.c: files and the log for the stand-in programs (standin.h).
 */
#include "standin.h"

#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "wintext.h"
#include "xalloc.h"

static char *
s_env(const wchar_t *name)
{
	wchar_t buf[MAX_PATH];

	if (GetEnvironmentVariableW(name, buf, MAX_PATH) == 0)
		return NULL;
	return wintext_utf8(buf);
}

char *
standin_data_path(const char *name)
{
	char *dir = s_env(L"HVP_STANDIN_DATA"), *path;

	if (dir == NULL)
		standin_die(70, "HVP_STANDIN_DATA is not set: the stand-in has "
		    "no recorded outputs to answer from");
	path = platform_path_join(dir, name);
	free(dir);
	return path;
}

bool
standin_exists(const char *name)
{
	char *path = standin_data_path(name);
	bool yes = platform_file_exists(path);

	free(path);
	return yes;
}

char *
standin_read(const char *name, size_t *len)
{
	char *path = standin_data_path(name), *data = NULL, *err = NULL;

	if (!platform_file_exists(path) ||
	    platform_read_file(path, 64u * 1024 * 1024, &data, len, &err) == -1)
		data = NULL;
	free(err);
	free(path);
	return data;
}

void
standin_log(const char *fmt, ...)
{
	char *path = s_env(L"HVP_STANDIN_LOG"), line[512];
	wchar_t *w;
	FILE *f;
	va_list ap;

	if (path == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	w = wintext_wide(path);
	if ((f = _wfopen(w, L"a")) != NULL) {
		fprintf(f, "%s\n", line);
		fclose(f);
	}
	free(w);
	free(path);
}

void
standin_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	exit(code);
}
