/*
 * test_keys.c: CURVE key files (common/keys.c): names, generation (files,
 * modes, no overwrite), the strict format with FILE:LINE errors, the
 * privacy check on secret files, key directories (duplicates refused,
 * bad files fail the load), and CURVE socket setup from files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "keys.h"
#include "platform.h"
#include "xalloc.h"

typedef struct s_dir {
	char path[64];
} s_dir;

static int
s_setup(void **state)
{
	s_dir *d = xcalloc(1, sizeof *d);

	strcpy(d->path, "/tmp/hvp-test-keys-XXXXXX");
	if (mkdtemp(d->path) == NULL)
		return -1;
	umask(022);
	*state = d;
	return 0;
}

static int
s_teardown(void **state)
{
	s_dir *d = *state;
	char **names;
	size_t n;

	if (platform_list_dir(d->path, "", &names, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++) {
			char *p = platform_path_join(d->path, names[i]);

			platform_remove_file(p, NULL);
			free(p);
			free(names[i]);
		}
		free(names);
	}
	rmdir(d->path);
	free(d);
	return 0;
}

static char *
s_write(const s_dir *d, const char *name, const char *text, bool private_mode)
{
	char *path = platform_path_join(d->path, name);
	char *err = NULL;

	if (platform_replace_file(path, text, strlen(text), private_mode, &err)
	    == -1)
		fail_msg("%s", err);
	return path;
}

static unsigned
s_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 0777);
}

static void
test_names(void **state)
{
	char long_name[KEYS_NAME_MAX + 2];

	(void)state;
	assert_true(keys_name_valid("HV01"));
	assert_true(keys_name_valid("dpm-server_2.contoso"));
	assert_true(keys_name_valid("a"));
	assert_false(keys_name_valid(""));
	assert_false(keys_name_valid(NULL));
	assert_false(keys_name_valid(".hidden"));
	assert_false(keys_name_valid(".."));
	assert_false(keys_name_valid("HV 01"));
	assert_false(keys_name_valid("HV01/../x"));
	assert_false(keys_name_valid("HV01\\x"));
	assert_false(keys_name_valid("h\xc3\xa9"));
	memset(long_name, 'a', sizeof long_name);
	long_name[KEYS_NAME_MAX] = '\0';
	assert_true(keys_name_valid(long_name));
	long_name[KEYS_NAME_MAX] = 'a';
	long_name[KEYS_NAME_MAX + 1] = '\0';
	assert_false(keys_name_valid(long_name));
}

static void
test_generate_and_load(void **state)
{
	s_dir *d = *state;
	char *sub = platform_path_join(d->path, "keys");
	char *pub_path = xasprintf("%s/HV01.key", sub);
	char *sec_path = xasprintf("%s/HV01.key_secret", sub);
	char pub[KEYS_Z85_LEN + 1], pub2[KEYS_Z85_LEN + 1];
	char sec[KEYS_Z85_LEN + 1], derived[KEYS_Z85_LEN + 1];
	char *err = NULL, *text;
	size_t len;

	/* The directory is made when missing. */
	assert_int_equal(keys_generate("HV01", sub, &err), 0);
	assert_null(err);
	assert_int_equal(s_mode(sec_path), 0600);
	assert_int_equal(s_mode(pub_path), 0644);
	assert_int_equal(platform_check_private(sec_path, NULL), 0);

	assert_int_equal(keys_load_public(pub_path, pub, &err), 0);
	assert_int_equal(strlen(pub), KEYS_Z85_LEN);
	assert_int_equal(keys_load_secret(sec_path, pub2, sec, &err), 0);
	assert_string_equal(pub, pub2);
	assert_int_equal(zmq_curve_public(derived, sec), 0);
	assert_string_equal(derived, pub);

	/* The public file says what it is and holds no secret. */
	assert_int_equal(platform_read_file(pub_path, 4096, &text, &len, &err),
	    0);
	assert_true(strncmp(text, "# hvpolicy CURVE public key for HV01\n",
	    37) == 0);
	assert_null(strstr(text, sec));
	assert_null(strstr(text, "secret-key"));
	free(text);
	assert_int_equal(platform_read_file(sec_path, 4096, &text, &len, &err),
	    0);
	assert_true(strncmp(text, "# hvpolicy CURVE secret key for HV01\n",
	    37) == 0);
	free(text);

	/* Never replaced. */
	assert_int_equal(keys_generate("HV01", sub, &err), -1);
	assert_non_null(strstr(err, "already exists"));
	free(err);
	assert_int_equal(keys_load_public(pub_path, pub2, &err), 0);
	assert_string_equal(pub, pub2);

	/* Invalid names make no files. */
	assert_int_equal(keys_generate("../HV02", sub, &err), -1);
	assert_string_equal(err, "'../HV02' is not a valid name: 1 to 63 of "
	    "A-Z a-z 0-9 . _ -, not starting with '.'");
	free(err);

	/* A second key differs. */
	assert_int_equal(keys_generate("HV02", sub, &err), 0);
	free(pub_path);
	pub_path = xasprintf("%s/HV02.key", sub);
	assert_int_equal(keys_load_public(pub_path, pub2, &err), 0);
	assert_string_not_equal(pub, pub2);

	platform_remove_file(pub_path, NULL);
	free(pub_path);
	pub_path = xasprintf("%s/HV02.key_secret", sub);
	platform_remove_file(pub_path, NULL);
	free(pub_path);
	pub_path = xasprintf("%s/HV01.key", sub);
	platform_remove_file(pub_path, NULL);
	platform_remove_file(sec_path, NULL);
	rmdir(sub);
	free(pub_path);
	free(sec_path);
	free(sub);
}

static void
test_secret_must_be_private(void **state)
{
	s_dir *d = *state;
	char *sec_path = xasprintf("%s/HV03.key_secret", d->path);
	char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
	char *err = NULL, *text;
	size_t len;

	assert_int_equal(keys_generate("HV03", d->path, &err), 0);
	assert_int_equal(chmod(sec_path, 0640), 0);
	assert_int_equal(keys_load_secret(sec_path, pub, sec, &err), -1);
	assert_non_null(strstr(err, "readable by others (mode 640)"));
	free(err);
	assert_int_equal(chmod(sec_path, 0604), 0);
	assert_int_equal(keys_load_secret(sec_path, pub, sec, &err), -1);
	free(err);
	assert_int_equal(chmod(sec_path, 0600), 0);
	assert_int_equal(keys_load_secret(sec_path, pub, sec, &err), 0);

	/* A secret file is not a public key file. */
	assert_int_equal(keys_load_public(sec_path, pub, &err), -1);
	assert_string_equal(strstr(err, ":4: "), ":4: a secret key in a public "
	    "key file: public key files must hold only public-key; treat this "
	    "key as exposed and make a new one");
	assert_null(strstr(err, sec));
	free(err);

	/* A secret that does not belong to the public key beside it. */
	assert_int_equal(platform_read_file(sec_path, 4096, &text, &len, &err),
	    0);
	{
		char *p = strstr(text, "public-key = \"") + 14;

		p[0] = p[0] == 'a' ? 'b' : 'a';
	}
	free(s_write(d, "HV03.key_secret", text, true));
	free(text);
	assert_int_equal(keys_load_secret(sec_path, pub, sec, &err), -1);
	assert_string_equal(strstr(err, ": secret"), ": secret-key and "
	    "public-key do not belong together");
	free(err);
	free(sec_path);
}

typedef struct s_bad {
	const char *text;
	bool secret;
	const char *error;	/* after "PATH" */
} s_bad;

static void
test_strict_format(void **state)
{
	s_dir *d = *state;
	char pub[KEYS_Z85_LEN + 1], sec[KEYS_Z85_LEN + 1];
	char *err = NULL, *path;
	char k[KEYS_Z85_LEN + 1], k2[KEYS_Z85_LEN + 1];
	char scratch[KEYS_Z85_LEN + 1];
	char good[256];
	s_bad bad[] = {
		{ "public-key = \"%s\"\npublic-key = \"%s\"\n", false,
		    ":2: public-key given twice" },
		{ "# c\n\ncolour = \"blue\"\n", false,
		    ":3: unknown setting 'colour' (expected public-key)" },
		{ "public-key = \"abc\"\n", false,
		    ":1: public-key is not a CURVE key (40 Z85 characters "
		    "expected)" },
		{ "public-key = \"%.39s~\"\n", false,
		    ":1: public-key is not a CURVE key (40 Z85 characters "
		    "expected)" },
		{ "public-key = %s\n", false,
		    ":1: expected 'NAME = \"VALUE\"', a comment starting with "
		    "'#', or a blank line" },
		{ "public-key = \"%s\" trailing\n", false,
		    ":1: expected 'NAME = \"VALUE\"', a comment starting with "
		    "'#', or a blank line" },
		{ "# only a comment\n", false, ": no public-key (is this a "
		    "public key file?)" },
		{ "public-key = \"%s\"\n", true, ": no secret-key (is this a "
		    "secret key file?)" },
		{ "public-key = \"%s\"\nsecret-key = \"short\"\n", true,
		    ":2: secret-key is not a CURVE key (40 Z85 characters "
		    "expected)" },
	};

	assert_int_equal(zmq_curve_keypair(k, scratch), 0);
	assert_int_equal(zmq_curve_keypair(k2, scratch), 0);

	/* Accepted: comments, blank lines, spaces, CRLF. */
	snprintf(good, sizeof good, "# hvpolicy CURVE public key for X\r\n"
	    "\r\n  public-key\t=  \"%s\"  \r\n# end\n", k);
	path = s_write(d, "good.key", good, false);
	assert_int_equal(keys_load_public(path, pub, &err), 0);
	assert_string_equal(pub, k);
	free(path);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[512], *name = xasprintf("bad%zu.key", i);

		snprintf(text, sizeof text, bad[i].text, k, k2);
		path = s_write(d, name, text, true);
		if (bad[i].secret)
			assert_int_equal(keys_load_secret(path, pub, sec, &err),
			    -1);
		else
			assert_int_equal(keys_load_public(path, pub, &err), -1);
		assert_true(strncmp(err, path, strlen(path)) == 0);
		assert_string_equal(err + strlen(path), bad[i].error);
		free(err);
		platform_remove_file(path, NULL);
		free(path);
		free(name);
	}

	/* Missing and oversized files. */
	path = xasprintf("%s/none.key", d->path);
	assert_int_equal(keys_load_public(path, pub, &err), -1);
	assert_non_null(strstr(err, path));
	free(err);
	free(path);
	{
		size_t big = 70 * 1024;
		char *text = xmalloc(big + 1);

		memset(text, '#', big);
		text[big] = '\0';
		path = s_write(d, "big.key", text, false);
		free(text);
		assert_int_equal(keys_load_public(path, pub, &err), -1);
		assert_non_null(strstr(err, path));
		free(err);
		free(path);
	}
}

static void
test_dir_load(void **state)
{
	s_dir *d = *state;
	char *sub = platform_path_join(d->path, "nodes");
	char *err = NULL, *path, *text;
	char pub1[KEYS_Z85_LEN + 1], pub2[KEYS_Z85_LEN + 1];
	keys_table *t = NULL;
	size_t len;

	assert_int_equal(keys_generate("HV01", sub, &err), 0);
	assert_int_equal(keys_generate("HV02", sub, &err), 0);
	assert_int_equal(keys_generate("HV03", sub, &err), 0);
	path = xasprintf("%s/HV01.key", sub);
	assert_int_equal(keys_load_public(path, pub1, &err), 0);
	free(path);
	path = xasprintf("%s/HV02.key", sub);
	assert_int_equal(keys_load_public(path, pub2, &err), 0);
	free(path);

	assert_int_equal(keys_dir_load(sub, &t, &err), 0);
	assert_null(err);
	assert_int_equal(keys_table_count(t), 3);
	assert_string_equal(keys_table_lookup(t, pub1), "HV01");
	assert_string_equal(keys_table_lookup(t, pub2), "HV02");
	assert_string_equal(keys_table_public(t, "HV02"), pub2);
	assert_null(keys_table_public(t, "HV09"));
	assert_null(keys_table_lookup(t,
	    "0000000000000000000000000000000000000000"));
	keys_table_free(&t);
	assert_null(t);

	/* HV01's key copied under another name: refused under both. */
	path = xasprintf("%s/HV01.key", sub);
	assert_int_equal(platform_read_file(path, 4096, &text, &len, &err), 0);
	free(path);
	path = xasprintf("%s/HV01-copy.key", sub);
	assert_int_equal(platform_replace_file(path, text, len, false, &err),
	    0);
	free(text);
	assert_int_equal(keys_dir_load(sub, &t, &err), 0);
	assert_int_equal(keys_table_count(t), 2);
	assert_null(keys_table_lookup(t, pub1));
	assert_null(keys_table_public(t, "HV01"));
	assert_null(keys_table_public(t, "HV01-copy"));
	assert_string_equal(keys_table_lookup(t, pub2), "HV02");
	keys_table_free(&t);
	platform_remove_file(path, NULL);
	free(path);

	/* A malformed file fails the whole load, naming the file. */
	path = xasprintf("%s/HV04.key", sub);
	assert_int_equal(platform_replace_file(path, "junk\n", 5, false, &err),
	    0);
	assert_int_equal(keys_dir_load(sub, &t, &err), -1);
	assert_null(t);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	free(err);
	platform_remove_file(path, NULL);
	free(path);

	/* So does a file whose name is not a node name. */
	path = xasprintf("%s/bad name.key", sub);
	assert_int_equal(platform_replace_file(path, "junk\n", 5, false, &err),
	    0);
	assert_int_equal(keys_dir_load(sub, &t, &err), -1);
	assert_non_null(strstr(err, "'bad name' is not a valid name"));
	free(err);
	platform_remove_file(path, NULL);
	free(path);

	/* A missing directory. */
	path = xasprintf("%s/absent", d->path);
	assert_int_equal(keys_dir_load(path, &t, &err), -1);
	assert_non_null(strstr(err, path));
	free(err);
	free(path);

	/* Cleanup. */
	for (int i = 1; i <= 3; i++) {
		path = xasprintf("%s/HV0%d.key", sub, i);
		platform_remove_file(path, NULL);
		free(path);
		path = xasprintf("%s/HV0%d.key_secret", sub, i);
		platform_remove_file(path, NULL);
		free(path);
	}
	rmdir(sub);
	free(sub);
}

static void
test_curve_sockets(void **state)
{
	s_dir *d = *state;
	char *srv = xasprintf("%s/controller.key_secret", d->path);
	char *srv_pub = xasprintf("%s/controller.key", d->path);
	char *cli = xasprintf("%s/HV01.key_secret", d->path);
	char *err = NULL;
	void *ctx = zmq_ctx_new(), *a, *b;
	int linger = 0;
	char endpoint[256], buf[8];
	size_t elen = sizeof endpoint;
	zmq_pollitem_t it;

	assert_int_equal(keys_generate("controller", d->path, &err), 0);
	assert_int_equal(keys_generate("HV01", d->path, &err), 0);
	a = zmq_socket(ctx, ZMQ_ROUTER);
	b = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(a, ZMQ_LINGER, &linger, sizeof linger);
	zmq_setsockopt(b, ZMQ_LINGER, &linger, sizeof linger);
	/* Wrong file kinds are refused. */
	assert_int_equal(keys_curve_server(a, srv_pub, &err), -1);
	free(err);
	assert_int_equal(keys_curve_client(b, cli, srv, &err), -1);
	free(err);

	assert_int_equal(keys_curve_server(a, srv, &err), 0);
	assert_int_equal(keys_curve_client(b, cli, srv_pub, &err), 0);
	assert_int_equal(zmq_bind(a, "tcp://127.0.0.1:*"), 0);
	zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, endpoint, &elen);
	assert_int_equal(zmq_connect(b, endpoint), 0);
	assert_int_equal(zmq_send(b, "ping", 4, 0), 4);
	it = (zmq_pollitem_t){ a, 0, ZMQ_POLLIN, 0 };
	assert_int_equal(zmq_poll(&it, 1, 5000), 1);
	assert_true(zmq_recv(a, buf, sizeof buf, 0) > 0);	/* routing id */
	assert_int_equal(zmq_recv(a, buf, sizeof buf, 0), 4);
	assert_memory_equal(buf, "ping", 4);
	zmq_close(a);
	zmq_close(b);
	zmq_ctx_term(ctx);
	free(srv);
	free(srv_pub);
	free(cli);
}

static int
s_keygen(const char *a1, const char *a2, const char *a3)
{
	cli_ctx ctx = { .verb = "keygen" };
	char *argv[] = { (char *)"keygen", (char *)a1, (char *)a2, (char *)a3,
	    NULL };
	int argc = 1 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);

	return cmd_keygen(&ctx, argc, argv);
}

static void
test_keygen_verb(void **state)
{
	s_dir *d = *state;
	char *pub = xasprintf("%s/DPM01.key", d->path);
	char *sec = xasprintf("%s/DPM01.key_secret", d->path);
	char key[KEYS_Z85_LEN + 1], s[KEYS_Z85_LEN + 1], *err = NULL;

	assert_int_equal(s_keygen("DPM01", NULL, NULL), 64);
	assert_int_equal(s_keygen("--out", d->path, NULL), 64);
	assert_int_equal(s_keygen("bad/name", "--out", d->path), 64);
	assert_int_equal(s_keygen("DPM01", "--bogus", d->path), 64);
	assert_false(platform_file_exists(pub));
	assert_int_equal(s_keygen("DPM01", "--out", d->path), 0);
	assert_int_equal(keys_load_public(pub, key, &err), 0);
	assert_int_equal(keys_load_secret(sec, key, s, &err), 0);
	assert_int_equal(s_mode(sec), 0600);
	/* Existing keys are never replaced. */
	assert_int_equal(s_keygen("DPM01", "--out", d->path), 1);
	free(pub);
	free(sec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_generate_and_load,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_secret_must_be_private,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_strict_format,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dir_load,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_curve_sockets,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_keygen_verb,
		    s_setup, s_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
