/*
 * test_backend_sim.c: the simulated host backend (node/backend_sim.c)
 * over real files in a scratch directory: observe, batched mutations
 * written once by commit, HOST_RETRY when the file changed underneath,
 * a failed write that leaves the file intact, change notification that
 * ignores the backend's own commits, DataSourceGroups.xml and the DPM
 * agent log beside the host file, and the parsed-state cache: every edit
 * made after a cached observe is seen, in place or by replacement, with
 * or without the modification time kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "host.h"
#include "hostfile.h"
#include "platform.h"
#include "slurp.h"
#include "xalloc.h"

#define HOSTS HVP_TEST_DATA "/hosts/"
#define BACKUP_KEY "HKLM\\SOFTWARE\\Contoso\\Backup"
#define VM1_ID "6c1f0d5e-2f0b-4a53-9d0e-2b9a0f3c8e11"

typedef struct fx {
	char dir[64];
	char *path;		/* DIR/host.yaml */
	char *original;		/* its bytes as written by setup */
	host_backend *b;
} fx;

static void
s_put(const char *path, const char *text)
{
	char *err = NULL;

	if (platform_replace_file(path, text, strlen(text), false, &err) == -1)
		fail_msg("%s", err);
}

static void
s_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = platform_path_join(dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			s_rmtree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Sets up DIR/host.yaml as a copy of a test host file and a backend. */
static int
s_setup_with(void **state, const char *file)
{
	fx *f = xcalloc(1, sizeof *f);
	char *src = xasprintf("%s%s", HOSTS, file), *err = NULL;

	snprintf(f->dir, sizeof f->dir, "/tmp/hvp-sim-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->path = platform_path_join(f->dir, "host.yaml");
	f->original = slurp(src, NULL);
	free(src);
	s_put(f->path, f->original);
	f->b = backend_sim_new(f->path, &err);
	if (f->b == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
s_setup(void **state)
{
	return s_setup_with(state, "hv01.yaml");
}

static int
s_setup_dpm(void **state)
{
	return s_setup_with(state, "dpm01.yaml");
}

static int
s_teardown(void **state)
{
	fx *f = *state;

	host_backend_free(&f->b);
	assert_null(f->b);
	chmod(f->dir, 0700);
	s_rmtree(f->dir);
	free(f->path);
	free(f->original);
	free(f);
	return 0;
}

static host_state *
s_observe(fx *f)
{
	host_state *h = NULL;
	char *err = NULL;

	if (f->b->ops->observe(f->b, &h, &err) != 0)
		fail_msg("observe: %s", err);
	assert_non_null(h);
	return h;
}

static host_state *
s_on_disk(fx *f)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_load(f->path, &d);
	if (h == NULL) {
		diag_print(&d, stderr);
		fail_msg("the host file no longer loads");
	}
	diag_list_release(&d);
	return h;
}

static void
s_ok(int rc, char *err)
{
	if (rc != 0)
		fail_msg("expected success, got %d: %s", rc, err ? err : "");
}

/* text with the first `from` replaced by `to`; owned. */
static char *
s_replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - text), text, to,
	    at + strlen(from));
}

static void
s_assert_file_is(fx *f, const char *text)
{
	char *now = slurp(f->path, NULL);

	assert_string_equal(now, text);
	free(now);
}

/*
 * Tests.
 */

static void
test_new_errors(void **state)
{
	char dir[] = "/tmp/hvp-sim-XXXXXX";
	char *path, *err = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = platform_path_join(dir, "host.yaml");
	assert_null(backend_sim_new(path, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, path));
	free(err);
	err = NULL;
	/* A file with errors: every diagnostic, with its position. */
	s_put(path, "node: HV01\ncluster: C\nrole: nope\ncolour: red\n");
	assert_null(backend_sim_new(path, &err));
	assert_non_null(err);
	assert_non_null(strstr(err, "host.yaml:3:7: role: expected one of"));
	assert_non_null(strstr(err, "host.yaml:4:1: colour: unknown key"));
	free(err);
	free(path);
	s_rmtree(dir);
	host_backend_free(NULL);
}

static void
test_observe_snapshot(void **state)
{
	fx *f = *state;
	host_state *a, *b;

	assert_string_equal(f->b->ops->name, "sim");
	a = s_observe(f);
	assert_string_equal(a->node, "HV01");
	assert_int_equal(a->nguests, 2);
	/* The snapshot is the caller's: editing it changes nothing. */
	host_key_delete(a, "HKLM\\SOFTWARE");
	host_guest_remove(a, "VM0001");
	b = s_observe(f);
	assert_int_equal(b->nkeys, 2);
	assert_int_equal(b->nguests, 2);
	host_state_free(&a);
	host_state_free(&b);
	s_ok(f->b->ops->commit(f->b, NULL), NULL);
	s_assert_file_is(f, f->original);
}

static void
test_mutate_and_commit(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value v = { .type = REG_T_DWORD, .number = 7 };
	host_state *h, *snap;
	char *err = NULL;

	snap = s_observe(f);
	s_ok(o->create_key(f->b, "HKEY_LOCAL_MACHINE\\SOFTWARE\\New\\Key", &err),
	    err);
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	s_ok(o->set_value(f->b, "HKLM\\SOFTWARE\\Other", "Limit", &v, &err), err);
	s_ok(o->delete_value(f->b, BACKUP_KEY, "WINDOW", &err), err);
	s_ok(o->delete_key(f->b, DPM_USE_SYSTEM_PROVIDER_KEY, &err), err);
	s_ok(o->set_integration(f->b, "6C1F0D5E-2F0B-4A53-9D0E-2B9A0F3C8E11",
	    "vss", false, &err), err);
	s_ok(o->set_integration(f->b, VM1_ID, "TimeSync", true, &err), err);
	/* Nothing reaches the file before commit. */
	s_assert_file_is(f, f->original);
	s_ok(o->commit(f->b, &err), err);

	h = s_on_disk(f);
	assert_true(host_key_exists(h, "HKLM\\SOFTWARE\\New\\Key"));
	assert_int_equal(host_value_get(h, BACKUP_KEY, "Retries")->number, 7);
	assert_int_equal(host_value_get(h, "HKLM\\SOFTWARE\\Other",
	    "Limit")->number, 7);
	assert_null(host_value_get(h, BACKUP_KEY, "Window"));
	assert_false(host_key_exists(h, DPM_USE_SYSTEM_PROVIDER_KEY));
	assert_false(host_guest_service(host_guest_find(h, "VM0001"),
	    "VSS")->enabled);
	assert_true(host_guest_service(host_guest_find(h, "VM0001"),
	    "TimeSync")->enabled);
	/* Everything else came through unchanged. */
	assert_string_equal(h->node, snap->node);
	assert_int_equal(h->nproviders, snap->nproviders);
	assert_string_equal(h->agent_log, "DPMRACurr.errlog");
	assert_int_equal(h->guests[1].state, GUEST_SAVED);
	host_state_free(&h);

	/* The next observe sees the committed state; a commit with
	 * nothing to do leaves the file alone. */
	h = s_observe(f);
	assert_false(host_key_exists(h, DPM_USE_SYSTEM_PROVIDER_KEY));
	host_state_free(&h);
	h = s_on_disk(f);
	{
		char *before = slurp(f->path, NULL);

		s_ok(o->commit(f->b, &err), err);
		s_assert_file_is(f, before);
		free(before);
	}
	host_state_free(&h);
	host_state_free(&snap);
}

static void
test_noop_changes_do_not_write(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value three = { .type = REG_T_DWORD, .number = 3 };
	char *err = NULL;

	/* Mutators before any observe load the file first. */
	s_ok(o->create_key(f->b, DPM_USE_SYSTEM_PROVIDER_KEY, &err), err);
	/* A parent of a held key already exists. */
	s_ok(o->create_key(f->b, "HKLM\\SOFTWARE\\Contoso", &err), err);
	s_ok(o->delete_key(f->b, "HKLM\\SOFTWARE\\Absent", &err), err);
	s_ok(o->delete_value(f->b, BACKUP_KEY, "Absent", &err), err);
	s_ok(o->set_integration(f->b, VM1_ID, "VSS", true, &err), err);
	/* The value it already has. */
	s_ok(o->set_value(f->b, "hklm\\software\\contoso\\backup", "retries",
	    &three, &err), err);
	s_ok(o->commit(f->b, &err), err);
	/* The hand-written file, comments and all, is untouched. */
	s_assert_file_is(f, f->original);
}

static void
test_rollback(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value v = { .type = REG_T_DWORD, .number = 1 };
	host_state *h;
	char *err = NULL;

	s_ok(o->set_value(f->b, BACKUP_KEY, "Dropped", &v, &err), err);
	o->rollback(f->b);
	s_ok(o->commit(f->b, &err), err);
	s_assert_file_is(f, f->original);
	h = s_observe(f);
	assert_null(host_value_get(h, BACKUP_KEY, "Dropped"));
	host_state_free(&h);
	/* Observe also drops what was not committed. */
	s_ok(o->set_value(f->b, BACKUP_KEY, "Dropped", &v, &err), err);
	h = s_observe(f);
	host_state_free(&h);
	s_ok(o->commit(f->b, &err), err);
	s_assert_file_is(f, f->original);
}

static void
test_retry_after_external_edit(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value v = { .type = REG_T_DWORD, .number = 5 };
	host_state *h;
	char *edited, *err = NULL;

	h = s_observe(f);
	host_state_free(&h);
	/* An administrator replaces the file between observe and commit. */
	edited = xasprintf("%s  - name: VM0009\n"
	    "    id: 11111111-2222-3333-4444-555555555555\n", f->original);
	s_put(f->path, edited);
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	assert_int_equal(o->commit(f->b, &err), HOST_RETRY);
	assert_null(err);
	/* Their edit stands; ours was dropped. */
	s_assert_file_is(f, edited);
	assert_int_equal(o->commit(f->b, &err), 0);
	s_assert_file_is(f, edited);

	/* Observe again and redo: both changes are kept. */
	h = s_observe(f);
	assert_int_equal(h->nguests, 3);
	host_state_free(&h);
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	s_ok(o->commit(f->b, &err), err);
	h = s_on_disk(f);
	assert_non_null(host_guest_find(h, "VM0009"));
	assert_int_equal(host_value_get(h, BACKUP_KEY, "Retries")->number, 5);
	host_state_free(&h);

	/* The file removed under the engine is a change too. */
	h = s_observe(f);
	host_state_free(&h);
	v.number = 6;
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(o->commit(f->b, &err), HOST_RETRY);
	assert_false(platform_file_exists(f->path));
	free(edited);
}

static void
test_bad_requests(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value none = { .type = REG_T_NONE };
	char *err = NULL;

	assert_int_equal(o->set_integration(f->b,
	    "99999999-2222-3333-4444-555555555555", "VSS", false, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "99999999-2222-3333-4444-555555555555"));
	free(err);
	err = NULL;
	assert_int_equal(o->set_integration(f->b, "VM0001", "VSS", false,
	    &err), -1);
	assert_non_null(strstr(err, "not a GUID"));
	free(err);
	err = NULL;
	assert_int_equal(o->set_integration(f->b, VM1_ID, "", false, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(o->create_key(f->b, "HKCU\\Software\\X", &err), -1);
	assert_non_null(strstr(err, "HKCU\\Software\\X"));
	free(err);
	err = NULL;
	assert_int_equal(o->set_value(f->b, BACKUP_KEY, "V", &none, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(o->delete_key(f->b, "HKLM", &err), -1);
	free(err);
	err = NULL;
	s_ok(o->commit(f->b, &err), err);
	s_assert_file_is(f, f->original);
}

/* True when this process can create files in dir (root can despite the
 * mode bits). */
static bool
s_can_create_in(const char *dir)
{
	char *p = platform_path_join(dir, ".probe");
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd >= 0) {
		close(fd);
		unlink(p);
	}
	free(p);
	return fd >= 0;
}

static void
test_failed_write_keeps_file(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value v = { .type = REG_T_DWORD, .number = 9 };
	host_state *h;
	char *err = NULL, *obstacle = NULL;

	h = s_observe(f);
	host_state_free(&h);
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	assert_int_equal(chmod(f->dir, 0500), 0);
	if (s_can_create_in(f->dir)) {
		/* Running as root: occupy the name the temporary file
		 * would take (platform_replace_file writes PATH.tmp-PID). */
		assert_int_equal(chmod(f->dir, 0700), 0);
		obstacle = xasprintf("%s.tmp-%ld", f->path, platform_pid());
		assert_int_equal(mkdir(obstacle, 0700), 0);
	}
	assert_int_equal(o->commit(f->b, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, f->path));
	free(err);
	err = NULL;
	chmod(f->dir, 0700);
	s_assert_file_is(f, f->original);
	if (obstacle != NULL) {
		assert_int_equal(rmdir(obstacle), 0);
		free(obstacle);
	}
	/* The change is still pending: once writing works, it lands. */
	s_ok(o->commit(f->b, &err), err);
	h = s_on_disk(f);
	assert_int_equal(host_value_get(h, BACKUP_KEY, "Retries")->number, 9);
	host_state_free(&h);
}

static bool
s_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 2000) == 1 && (p.revents & POLLIN);
}

static void
test_watch_ignores_own_commits(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value v = { .type = REG_T_DWORD, .number = 2 };
	host_state *h;
	char *now, *edited, *err = NULL;
	int fd = o->watch_fd(f->b);

#ifdef __linux__
	assert_true(fd >= 0);
#endif
	assert_false(o->changed(f->b));
	/* Our own commit is not a change. */
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	s_ok(o->commit(f->b, &err), err);
	assert_false(o->changed(f->b));
	assert_false(o->changed(f->b));

	/* Someone else's atomic replace is. */
	now = slurp(f->path, NULL);
	edited = s_replace(now, "DPMRACurr.errlog", "other.log");
	free(now);
	s_put(f->path, edited);
	if (fd >= 0)
		assert_true(s_readable(fd));
	assert_true(o->changed(f->b));
	assert_false(o->changed(f->b));
	h = s_observe(f);
	assert_string_equal(h->agent_log, "other.log");
	host_state_free(&h);

	/* So is an edit in place (not atomic), once it is done. */
	{
		FILE *fp = fopen(f->path, "w");

		assert_non_null(fp);
		fputs(f->original, fp);
		fclose(fp);
	}
	assert_true(o->changed(f->b));
	assert_false(o->changed(f->b));
	/* Observing first and then asking reports nothing new. */
	s_put(f->path, edited);
	h = s_observe(f);
	host_state_free(&h);
	assert_false(o->changed(f->b));
	free(edited);
}

static void
test_dsgroups_needs_key(void **state)
{
	fx *f = *state;
	char *data = NULL, *err = NULL;
	size_t len = 0;

	assert_int_equal(f->b->ops->read_dsgroups(f->b, &data, &len, &err), -1);
	assert_null(data);
	assert_non_null(strstr(err, "dataSourceGroups"));
	free(err);
	err = NULL;
	assert_int_equal(f->b->ops->write_dsgroups(f->b, "x", 1, &err), -1);
	assert_non_null(strstr(err, "dataSourceGroups"));
	free(err);
}

static void
test_dsgroups(void **state)
{
	fx *f = *state;
	/* UTF-16LE with a BOM: NUL bytes must survive. */
	static const char xml[] = "\xff\xfe<\0?\0x\0m\0l\0 \0?\0>\0\r\0\n\0";
	char *data = (char *)"junk", *err = NULL, *path;
	size_t len = 99;

	assert_int_equal(f->b->ops->read_dsgroups(f->b, &data, &len, &err), 0);
	assert_null(data);
	assert_int_equal(len, 0);
	s_ok(f->b->ops->write_dsgroups(f->b, xml, sizeof xml - 1, &err), err);
	/* Beside the host file, under the name it gives. */
	path = platform_path_join(f->dir, "DataSourceGroups.xml");
	assert_true(platform_file_exists(path));
	free(path);
	s_ok(f->b->ops->read_dsgroups(f->b, &data, &len, &err), err);
	assert_int_equal(len, sizeof xml - 1);
	assert_memory_equal(data, xml, len);
	free(data);
	/* The host file itself is not touched. */
	s_assert_file_is(f, f->original);
}

static void
test_agent_log(void **state)
{
	fx *f = *state;
	static const char log[] =
	    "0A4C\t0B10\t11/20\t08:15:02.123\t18\tvsssnapshotrequestor.cpp(585)"
	    "\t[0000000001]\t\tNORMAL\tCVssSnapshotRequestor::ProviderId:"
	    "[{2F900F90-00E9-440E-873A-96CA5EB079E5}], h/w provider:[65536]\n";
	char *data = (char *)"junk", *err = NULL, *path;
	size_t len = 99;

	/* Named but not written yet: nothing to read. */
	s_ok(f->b->ops->read_agent_log(f->b, 1024, &data, &len, &err), err);
	assert_null(data);
	assert_int_equal(len, 0);
	path = platform_path_join(f->dir, "DPMRACurr.errlog");
	s_put(path, log);
	free(path);
	s_ok(f->b->ops->read_agent_log(f->b, 1 << 20, &data, &len, &err), err);
	assert_int_equal(len, strlen(log));
	assert_memory_equal(data, log, len);
	free(data);
	/* Only the last max bytes. */
	s_ok(f->b->ops->read_agent_log(f->b, 20, &data, &len, &err), err);
	assert_int_equal(len, 20);
	assert_memory_equal(data, log + strlen(log) - 20, 20);
	assert_int_equal(data[20], '\0');
	free(data);
}

static void
test_agent_log_absent(void **state)
{
	fx *f = *state;
	char *data = (char *)"junk", *err = NULL;
	size_t len = 99;

	/* dpm01.yaml has no dpmAgentLog. */
	s_ok(f->b->ops->read_agent_log(f->b, 1024, &data, &len, &err), err);
	assert_null(data);
	assert_int_equal(len, 0);
}

/* Overwrites the file in place (same inode) with text of the same size;
 * with keep_mtime, puts its modification time back as it was. */
static void
s_edit_in_place(fx *f, const char *text, bool keep_mtime)
{
	struct stat before, after;
	struct timespec times[2];
	int fd;

	assert_int_equal(stat(f->path, &before), 0);
	assert_int_equal((size_t)before.st_size, strlen(text));
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	if (keep_mtime) {
		times[0] = before.st_atim;
		times[1] = before.st_mtim;
		assert_int_equal(utimensat(AT_FDCWD, f->path, times, 0), 0);
	}
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_size, before.st_size);
	if (keep_mtime) {
		assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
		assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	}
}

static void
s_assert_guest_names(fx *f, const char *first, const char *second)
{
	host_state *h = s_observe(f);

	assert_int_equal(h->nguests, 2);
	assert_string_equal(h->guests[0].name, first);
	assert_string_equal(h->guests[1].name, second);
	host_state_free(&h);
}

static void
test_cached_observe_sees_edits(void **state)
{
	fx *f = *state;
	const host_ops *o = f->b->ops;
	reg_value v = { .type = REG_T_DWORD, .number = 4 };
	char *v3 = s_replace(f->original, "VM0002", "VM0003");
	char *v4 = s_replace(f->original, "VM0002", "VM0004");
	char *v5 = s_replace(f->original, "VM0002", "VM0005");
	char *longer = s_replace(f->original, "VM0002", "VM0002-B");
	char *err = NULL;
	host_state *h;

	/* Observed twice: the second comes from the cache, still a copy
	 * the caller owns. */
	h = s_observe(f);
	host_guest_remove(h, "VM0001");
	host_state_free(&h);
	s_assert_guest_names(f, "VM0001", "VM0002");

	/* Edits right after a read, as a coarse clock could hide them: in
	 * place, same size, even with the modification time put back. */
	s_edit_in_place(f, v3, false);
	s_assert_guest_names(f, "VM0001", "VM0003");
	s_edit_in_place(f, v4, true);
	s_assert_guest_names(f, "VM0001", "VM0004");
	/* Replaced atomically. */
	s_put(f->path, longer);
	s_assert_guest_names(f, "VM0001", "VM0002-B");
	s_put(f->path, f->original);

	/* Once the file is old enough for its stamp to be trusted, observe
	 * skips the read; an edit still changes the stamp (the change time
	 * moves even when the modification time is put back). */
	sleep(3);
	s_assert_guest_names(f, "VM0001", "VM0002");
	s_assert_guest_names(f, "VM0001", "VM0002");
	s_edit_in_place(f, v5, true);
	s_assert_guest_names(f, "VM0001", "VM0005");
	s_edit_in_place(f, f->original, false);
	s_assert_guest_names(f, "VM0001", "VM0002");

	/* A cached observe, then a change committed: the next observe shows
	 * it, and the file holds it. */
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	s_ok(o->commit(f->b, &err), err);
	h = s_observe(f);
	assert_int_equal(host_value_get(h, BACKUP_KEY, "Retries")->number, 4);
	host_state_free(&h);
	/* A change made, then dropped by observe: the cache is not the
	 * dropped working copy. */
	v.number = 8;
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	h = s_observe(f);
	assert_int_equal(host_value_get(h, BACKUP_KEY, "Retries")->number, 4);
	host_state_free(&h);
	/* Mutators that change nothing leave the cache as it was. */
	v.number = 4;
	s_ok(o->set_value(f->b, BACKUP_KEY, "Retries", &v, &err), err);
	o->rollback(f->b);
	h = s_observe(f);
	assert_int_equal(host_value_get(h, BACKUP_KEY, "Retries")->number, 4);
	host_state_free(&h);
	free(v3);
	free(v4);
	free(v5);
	free(longer);
}

static void
test_observe_bad_edit(void **state)
{
	fx *f = *state;
	host_state *h = (host_state *)1;
	char *err = NULL;

	s_put(f->path, "node: HV01\ncluster: C\nguests: [x]\n");
	assert_int_equal(f->b->ops->observe(f->b, &h, &err), -1);
	assert_null(h);
	assert_non_null(err);
	assert_non_null(strstr(err, "host.yaml:3:10: guests[0]: expected a "
	    "mapping"));
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test_setup_teardown(test_observe_snapshot, s_setup,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_mutate_and_commit, s_setup,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_noop_changes_do_not_write,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_rollback, s_setup,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_external_edit,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, s_setup,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_keeps_file,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_watch_ignores_own_commits,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dsgroups_needs_key,
		    s_setup, s_teardown),
		cmocka_unit_test_setup_teardown(test_dsgroups, s_setup_dpm,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_agent_log, s_setup,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_agent_log_absent,
		    s_setup_dpm, s_teardown),
		cmocka_unit_test_setup_teardown(test_observe_bad_edit, s_setup,
		    s_teardown),
		cmocka_unit_test_setup_teardown(test_cached_observe_sees_edits,
		    s_setup, s_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
