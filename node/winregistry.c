/*
 * winregistry.c: the Windows registry for the windows backend (winregistry.h);
 * built only for WIN32. The Win32 API in the 64-bit view
 * (KEY_WOW64_64KEY), acting at once. Reads the subtrees of the tracked
 * keys; watches each with RegNotifyChangeKeyValue (or its nearest
 * existing parent) and reports a change only when a fingerprint of the
 * tracked registry differs from the one taken after the last read or the
 * backend's own write, so its own writes are never reported. Called by
 * backend_win.c.
 */
#include "winregistry.h"

#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wintext.h"
#include "xalloc.h"

#ifndef RRF_SUBKEY_WOW6464KEY
#define RRF_SUBKEY_WOW6464KEY 0x00010000	/* newer SDKs only */
#endif

#define WIN_MAX_KEYS	20000	/* keys read in one observation */
#define WIN_MAX_DEPTH	32
#define WIN_MAX_NAME	16384	/* registry names are at most 16383 */

typedef struct s_watch {
	HKEY key;
	HANDLE event;
} s_watch;

struct winregistry {
	char *always;		/* tracked whatever the policy says */
	char **roots;		/* tracked keys, canonical HKLM\... */
	size_t nroots;
	s_watch *watches;
	size_t nwatches;
	uint64_t fingerprint;	/* of the tracked registry */
	bool have_fingerprint;
};

static int
s_fail(char **err, DWORD code, const char *fmt, const char *a,
    const char *b)
{
	char *why = wintext_syserr(code), *what;

	what = xasprintf(fmt, a, b ? b : "");
	*err = xasprintf("%s: %s", what, why);
	free(what);
	free(why);
	return -1;
}

/* ---- paths ---- */

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
		*sub = wintext_wide(key[n] == '\\' ? key + n + 1 : "");
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
		v->text = nw > 0 ? wintext_utf8n(w, nw) : xstrdup("");
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
			    wintext_utf8n(w + start, i - start) : xstrdup("");
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
		uname = wintext_utf8n(name, (int)nlen);
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
		uname = wintext_utf8n(name, (int)nlen);
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
s_read_registry(winregistry *w, host_state *h, char **err)
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
s_fingerprint(winregistry *w, uint64_t *out)
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
s_refresh_fingerprint(winregistry *w)
{
	w->have_fingerprint = s_fingerprint(w, &w->fingerprint) == 0;
}

/* ---- registry change notification ---- */

static void
s_unwatch(winregistry *w)
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
s_arm(winregistry *w)
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
s_track(winregistry *w, const char *key)
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
s_track_reset(winregistry *w)
{
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i]);
	w->nroots = 0;
	s_track(w, w->always);
}

/* ---- writing ---- */

int
winregistry_create_key(winregistry *w, const char *key, char **err)
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
	s_refresh_fingerprint(w);
	return 0;
}

int
winregistry_delete_key(winregistry *w, const char *key, char **err)
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
	wleaf = wintext_wide(leaf);
	r = RegDeleteTreeW(k, wleaf);
	if (r == ERROR_SUCCESS)
		r = RegDeleteKeyExW(k, wleaf, KEY_WOW64_64KEY, 0);
	free(wleaf);
	free(parent);
	RegCloseKey(k);
	if (r != ERROR_SUCCESS && r != ERROR_FILE_NOT_FOUND)
		return s_fail(err, (DWORD)r, "cannot delete %s%s", key, NULL);
	s_refresh_fingerprint(w);
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
		w = wintext_wide(v->text ? v->text : "");
		*size = (DWORD)((wcslen(w) + 1) * sizeof *w);
		return (unsigned char *)w;
	case REG_T_MULTI_SZ: {
		size_t total = 1, at = 0;

		*type = REG_MULTI_SZ;
		for (size_t i = 0; i < v->list_len; i++) {
			wchar_t *x = wintext_wide(v->list[i]);

			total += wcslen(x) + 1;
			free(x);
		}
		w = xcalloc(total, sizeof *w);
		for (size_t i = 0; i < v->list_len; i++) {
			wchar_t *x = wintext_wide(v->list[i]);

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

int
winregistry_set_value(winregistry *w, const char *key, const char *name,
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
	wname = wintext_wide(name ? name : "");
	r = RegSetValueExW(k, wname, 0, type, data, size);
	free(wname);
	free(data);
	RegCloseKey(k);
	if (r != ERROR_SUCCESS)
		return s_fail(err, (DWORD)r, "cannot set %s\\%s", key,
		    name ? name : "");
	s_refresh_fingerprint(w);
	return 0;
}

int
winregistry_delete_value(winregistry *w, const char *key, const char *name,
    char **err)
{
	HKEY k;
	wchar_t *wname;
	LONG r = s_open(key, KEY_SET_VALUE, &k);

	if (r == ERROR_FILE_NOT_FOUND)
		return 0;
	if (r != ERROR_SUCCESS)
		return s_fail(err, (DWORD)r, "cannot open %s%s", key, NULL);
	wname = wintext_wide(name ? name : "");
	r = RegDeleteValueW(k, wname);
	free(wname);
	RegCloseKey(k);
	if (r != ERROR_SUCCESS && r != ERROR_FILE_NOT_FOUND)
		return s_fail(err, (DWORD)r, "cannot delete %s\\%s", key,
		    name ? name : "");
	s_refresh_fingerprint(w);
	return 0;
}


/* ---- the module's interface ---- */

winregistry *
winregistry_new(const char *always)
{
	winregistry *w = xcalloc(1, sizeof *w);

	w->always = xstrdup(always);
	s_track_reset(w);
	s_arm(w);
	s_refresh_fingerprint(w);
	return w;
}

void
winregistry_free(winregistry **wp)
{
	winregistry *w;

	if (wp == NULL || (w = *wp) == NULL)
		return;
	s_unwatch(w);
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i]);
	free(w->roots);
	free(w->always);
	free(w);
	*wp = NULL;
}

void
winregistry_track(winregistry *w, const char *const *keys, size_t n)
{
	s_track_reset(w);
	for (size_t i = 0; i < n; i++)
		s_track(w, keys[i]);
	s_arm(w);
	s_refresh_fingerprint(w);
}

int
winregistry_read(winregistry *w, host_state *h, char **err)
{
	if (s_read_registry(w, h, err) == -1)
		return -1;
	w->fingerprint = s_fingerprint_of(h);
	w->have_fingerprint = true;
	return 0;
}

bool
winregistry_changed(winregistry *w)
{
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
	return changed;
}

char *
winregistry_hklm_string(const wchar_t *subkey, const wchar_t *value)
{
	wchar_t buf[MAX_PATH + 1];
	DWORD size = sizeof buf;

	if (RegGetValueW(HKEY_LOCAL_MACHINE, subkey, value, RRF_RT_REG_SZ |
	    RRF_RT_REG_EXPAND_SZ | RRF_SUBKEY_WOW6464KEY, NULL, buf,
	    &size) != ERROR_SUCCESS)
		return NULL;
	return wintext_utf8(buf);
}
