/*
 * wintext.c: UTF-8/UTF-16 conversions and system error text for the
 * Windows-only files (wintext.h). Built only for WIN32.
 */
#include "wintext.h"

#include <windows.h>

#include <string.h>

#include "xalloc.h"

wchar_t *
wintext_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return xcalloc(1, sizeof *w);
	w = xcalloc((size_t)n, sizeof *w);
	MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
	return w;
}

char *
wintext_utf8n(const wchar_t *w, int n)
{
	int len = WideCharToMultiByte(CP_UTF8, 0, w, n, NULL, 0, NULL, NULL);
	char *s;

	if (len <= 0)
		return xstrdup("");
	s = xcalloc((size_t)len + 1, 1);
	WideCharToMultiByte(CP_UTF8, 0, w, n, s, len, NULL, NULL);
	return s;
}

char *
wintext_utf8(const wchar_t *w)
{
	return wintext_utf8n(w, -1);
}

char *
wintext_syserr(unsigned long code)
{
	wchar_t buf[512];
	DWORD n;
	char *s;
	size_t len;

	n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
	    FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)code, 0, buf,
	    sizeof buf / sizeof buf[0], NULL);
	if (n == 0)
		return xasprintf("error %lu", code);
	s = wintext_utf8(buf);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' ||
	    s[len - 1] == ' ' || s[len - 1] == '.'))
		s[--len] = '\0';
	return s;
}
