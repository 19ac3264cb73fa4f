/*
 * test_hookconf.c: the `webhooks:` config section (controller/hookconf.c):
 * a valid list with filters and defaults, and the errors operators make
 * (bad URL, unknown type, empty filter, missing or empty secret, a name
 * used twice, unknown keys), each reported with its path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "diag.h"
#include "hookconf.h"
#include "xalloc.h"
#include "ydoc.h"

static char s_secret[64];
static char s_empty[64];

static int
setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(s_secret, sizeof s_secret, "/tmp/hvp-hook-secret-%ld",
	    (long)getpid());
	snprintf(s_empty, sizeof s_empty, "/tmp/hvp-hook-empty-%ld",
	    (long)getpid());
	f = fopen(s_secret, "w");
	fputs("s3cret\n", f);
	fclose(f);
	f = fopen(s_empty, "w");
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(s_secret);
	unlink(s_empty);
	return 0;
}

/* Parses text (%1$s: the secret file, %2$s: an empty one). */
static int
s_parse(const char *fmt, hook_endpoint **list, size_t *n, diag_list *d)
{
	char *text = xasprintf(fmt, s_secret, s_empty);
	ydoc *doc = ydoc_parse("c.yaml", text, strlen(text),
	    &YDOC_LIMITS_SMALL, d);
	int rc = -1;

	if (doc)
		rc = hookconf_parse(doc, ymap_get(doc->root, "webhooks"), list,
		    n, d);
	ydoc_free(&doc);
	free(text);
	return rc;
}

static bool
s_has(const diag_list *d, const char *text)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->items[i].message, text))
			return true;
	return false;
}

static void
test_valid(void **state)
{
	hook_endpoint *l = NULL;
	size_t n = 0;
	diag_list d;

	(void)state;
	diag_list_init(&d);
	assert_int_equal(s_parse("webhooks:\n"
	    "  - {name: sn, url: 'https://x/y', secretFile: '%1$s',\n"
	    "     types: [drift, plan], status: [open, failed]}\n"
	    "  - {name: chat, url: 'http://127.0.0.1:1/', secretFile: '%1$s',\n"
	    "     maxBackoffSeconds: 9, timeoutSeconds: 3}\n"
	    "other: kept for the main config\n", &l, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].name, "sn");
	assert_int_equal(l[0].secret_len, 6);	/* newline dropped */
	assert_memory_equal(l[0].secret, "s3cret", 6);
	assert_string_equal(l[0].types, ",drift,plan,");
	assert_string_equal(l[0].statuses, ",open,failed,");
	assert_int_equal(l[0].max_backoff_s, HOOKCONF_DEFAULT_MAX_BACKOFF_S);
	assert_null(l[1].types);
	assert_int_equal(l[1].max_backoff_s, 9);
	assert_int_equal(l[1].timeout_s, 3);
	hookconf_free(&l, n);
	assert_null(l);
	diag_list_release(&d);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "webhooks:\n  - {name: a, url: 'ftp://x', secretFile: '%1$s'}\n",
		    "http:// or https://" },
		{ "webhooks:\n  - {name: a, url: 'http://x', secretFile: '%1$s', "
		    "types: [bogus]}\n", "unknown value 'bogus'" },
		{ "webhooks:\n  - {name: a, url: 'http://x', secretFile: '%1$s', "
		    "status: []}\n", "empty list" },
		{ "webhooks:\n  - {name: a, url: 'http://x', secretFile: "
		    "'%2$s'}\n", "is empty" },
		{ "webhooks:\n  - {name: a, url: 'http://x', secretFile: "
		    "/nonexistent/s}\n", "webhooks[0].secretFile" },
		{ "webhooks:\n  - {name: a, url: 'http://x', secretFile: '%1$s'}\n"
		    "  - {name: a, url: 'http://y', secretFile: '%1$s'}\n",
		    "used twice" },
		{ "webhooks:\n  - {name: 'a b', url: 'http://x', secretFile: "
		    "'%1$s'}\n", "letters, digits" },
		{ "webhooks:\n  - {name: a, url: 'http://x', secretFile: '%1$s', "
		    "color: red}\n", "color" },
		{ "webhooks: 3\n", "webhooks" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hook_endpoint *l = NULL;
		size_t n = 0;
		diag_list d;

		diag_list_init(&d);
		assert_int_equal(s_parse(cases[i].text, &l, &n, &d), -1);
		assert_null(l);
		if (!s_has(&d, cases[i].want))
			fail_msg("case %zu: no diagnostic with '%s' (%zu "
			    "diagnostics, first: %s)", i, cases[i].want,
			    d.count, d.count ? d.items[0].message : "-");
		diag_list_release(&d);
	}
}

static void
test_absent(void **state)
{
	hook_endpoint *l = NULL;
	size_t n = 7;
	diag_list d;

	(void)state;
	diag_list_init(&d);
	assert_int_equal(s_parse("cluster: x\n", &l, &n, &d), 0);
	assert_int_equal(n, 0);
	assert_null(l);
	diag_list_release(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_absent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
