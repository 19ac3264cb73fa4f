/*
 * backend_sim.c: the simulated host (host.h) over one host file
 * (hostfile.h). observe() hands out a copy of the parsed file; the
 * mutators edit a working copy; commit() writes it back once,
 * atomically, after checking that nobody replaced the file in between
 * (else HOST_RETRY). Change notification watches the file and ignores
 * the backend's own commits by remembering the hash of what it wrote.
 * Callers: the node daemon and --once, through host_ops.
 *
 * Parsing a large host file is most of a pass that finds nothing to do,
 * so the parsed state is cached. The cache always equals what parsing
 * the file's current content would give, and the content's BLAKE2b hash
 * is the authority for that: observe() parses again only when the hash
 * changed. Before even reading, it compares the file's stamp (inode,
 * size, times: platform_file_stamp) with the one taken when the cached
 * content was read, and trusts an equal stamp only when its times were
 * older than that read by more than SIM_STAMP_SLACK_MS (timestamps come
 * from a coarse clock: an edit just after a read could keep the times).
 *
 * Ownership: cache and work are never both held. The first mutator takes
 * the cached state over as the working copy (no copy made); a working
 * copy nothing changed goes back to being the cache; a changed one is
 * written by commit() or dropped, and the next observe() parses the file.
 */
#include "host.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "filelock.h"
#include "hostfile.h"
#include "platform.h"
#include "xalloc.h"

#define SIM_HASH_BYTES crypto_generichash_BYTES
/* Above any file system's timestamp granularity plus the kernel's
 * coarse clock (FAT keeps 2 s). */
#define SIM_STAMP_SLACK_MS 2500
/* How long a commit waits for another writer's lock on the host file. */
#define SIM_LOCK_WAIT_MS 2000

/* What the host file held at some moment. */
typedef struct sim_seen {
	bool exists;
	size_t len;
	unsigned char hash[SIM_HASH_BYTES];
} sim_seen;

typedef struct sim {
	char *path;
	char *lock_path;	/* path.lock: held while committing */
	host_state *cache;	/* the file parsed; NULL: parse at next need */
	host_state *work;	/* working copy (the cache taken over) or NULL */
	bool dirty;		/* work differs from the file it came from */
	sim_seen loaded;	/* the file cache or work came from */
	platform_stamp stamp;	/* the file's stamp when `loaded` was read */
	bool stamp_trusted;	/* an equal stamp means the same content */
	sim_seen seen;		/* the file as changed() last knew it */
	char *dsg_path;		/* dpm-server: DataSourceGroups.xml, or NULL */
	sim_seen dsg_seen;	/* it, as we last wrote or saw it */
	platform_watch *watch;
} sim;

static void
s_hash(const char *data, size_t len, sim_seen *out)
{
	out->exists = true;
	out->len = len;
	crypto_generichash(out->hash, sizeof out->hash,
	    (const unsigned char *)data, len, NULL, 0);
}

static bool
s_same(const sim_seen *a, const sim_seen *b)
{
	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	return a->len == b->len &&
	    sodium_memcmp(a->hash, b->hash, sizeof a->hash) == 0;
}

/* Reads a file as it is now; a missing file is seen as absent. */
static int
s_read_path(const char *path, char **data, size_t *len, sim_seen *seen,
    char **err)
{
	*data = NULL;
	*len = 0;
	memset(seen, 0, sizeof *seen);
	if (!platform_file_exists(path))
		return 0;
	if (platform_read_file(path, PLATFORM_MAX_FILE, data, len, err) == -1)
		return -1;
	s_hash(*data, *len, seen);
	return 0;
}

/* Reads the host file as it is now. */
static int
s_read(sim *s, char **data, size_t *len, sim_seen *seen, char **err)
{
	return s_read_path(s->path, data, len, seen, err);
}

/* True when DataSourceGroups.xml differs from what we last wrote or saw. */
static bool
s_dsgroups_changed(sim *s)
{
	char *data = NULL, *err = NULL;
	size_t len = 0;
	sim_seen now;
	bool changed;

	if (s->dsg_path == NULL)
		return false;
	if (s_read_path(s->dsg_path, &data, &len, &now, &err) == -1) {
		free(err);
		return true;
	}
	free(data);
	changed = !s_same(&now, &s->dsg_seen);
	s->dsg_seen = now;
	return changed;
}

/* Parses the file freshly read into a state. */
static host_state *
s_parse(sim *s, const char *data, size_t len, char **err)
{
	diag_list d;
	host_state *h;

	diag_list_init(&d);
	h = hostfile_parse(s->path, data, len, &d);
	if (h == NULL) {
		diag_sort(&d);
		*err = diag_join(&d);
	}
	diag_list_release(&d);
	return h;
}

static void
s_forget_stamp(sim *s)
{
	memset(&s->stamp, 0, sizeof s->stamp);
	s->stamp_trusted = false;
}

static bool
s_stamp_equal(const platform_stamp *a, const platform_stamp *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime_ns == b->mtime_ns &&
	    a->ctime_ns == b->ctime_ns;
}

/* Remembers the stamp of the content just read: before is the stamp taken
 * before reading at read_ms (wall clock). */
static void
s_keep_stamp(sim *s, const platform_stamp *before, int64_t read_ms)
{
	platform_stamp after;
	int64_t limit = (read_ms - SIM_STAMP_SLACK_MS) * 1000000;
	char *err = NULL;

	s_forget_stamp(s);
	if (platform_file_stamp(s->path, &after, &err) == -1) {
		free(err);
		return;
	}
	if (!before->exists || !s_stamp_equal(before, &after))
		return;		/* changed while being read */
	s->stamp = after;
	s->stamp_trusted = after.mtime_ns < limit && after.ctime_ns < limit;
}

/* True when the file still holds the content the cache came from,
 * judged by its stamp alone. */
static bool
s_stamp_unchanged(sim *s, platform_stamp *now, int64_t *now_ms)
{
	char *err = NULL;

	*now_ms = platform_now_ms();
	if (platform_file_stamp(s->path, now, &err) == -1) {
		free(err);
		memset(now, 0, sizeof *now);
		return false;
	}
	return s->cache != NULL && s->stamp_trusted &&
	    s_stamp_equal(now, &s->stamp);
}

/* Makes the cache hold the file's current content, parsing only when the
 * content changed since it was cached. NULL with *err when the file is
 * missing, unreadable or invalid (the cache is then dropped). */
static host_state *
s_refresh(sim *s, char **err)
{
	char *data = NULL;
	size_t len = 0;
	sim_seen seen;
	platform_stamp before;
	int64_t read_ms;
	host_state *h;

	if (s_stamp_unchanged(s, &before, &read_ms)) {
		s->seen = s->loaded;
		return s->cache;
	}
	if (s_read(s, &data, &len, &seen, err) == -1)
		goto fail;
	if (!seen.exists) {
		*err = xasprintf("host file %s does not exist", s->path);
		goto fail;
	}
	if (s->cache != NULL && s_same(&seen, &s->loaded)) {
		free(data);
		s->seen = seen;
		s_keep_stamp(s, &before, read_ms);
		return s->cache;
	}
	h = s_parse(s, data, len, err);
	free(data);
	if (h == NULL)
		goto fail;
	host_state_free(&s->cache);
	s->cache = h;
	s->loaded = seen;
	s->seen = seen;
	s_keep_stamp(s, &before, read_ms);
	return h;
fail:
	host_state_free(&s->cache);
	s_forget_stamp(s);
	return NULL;
}

/* A working copy nothing changed is the file as cached: keep it as the
 * cache; a changed one is dropped. */
static void
s_drop_work(sim *s)
{
	if (s->work != NULL && !s->dirty && s->cache == NULL)
		s->cache = s->work;
	else
		host_state_free(&s->work);
	s->work = NULL;
	s->dirty = false;
}

/* The host as the backend holds it now, read-only: the working copy, or
 * else the cache (parsed if there is none). */
static const host_state *
s_view(sim *s, char **err)
{
	if (s->work != NULL)
		return s->work;
	if (s->cache != NULL)
		return s->cache;
	return s_refresh(s, err);
}

/* The working copy, taking the cache over (parsed if there is none). */
static host_state *
s_work(sim *s, char **err)
{
	if (s->work != NULL)
		return s->work;
	if (s->cache == NULL && s_refresh(s, err) == NULL)
		return NULL;
	s->work = s->cache;
	s->cache = NULL;
	s->dirty = false;
	return s->work;
}

static sim *
s_impl(host_backend *b)
{
	return b->impl;
}

static int
s_observe(host_backend *b, host_state **out, char **err)
{
	sim *s = s_impl(b);

	*out = NULL;
	/* What was not committed is dropped. */
	s_drop_work(s);
	if (s_refresh(s, err) == NULL)
		return -1;
	*out = host_state_dup(s->cache);
	return 0;
}

/* The canonical key path, or -1 with *err naming the problem. */
static int
s_check_key(const char *key, char **canon, char **err)
{
	const char *why = NULL;

	*canon = reg_key_canonical(key ? key : "", &why);
	if (*canon == NULL) {
		*err = xasprintf("registry key '%s': %s", key ? key : "", why);
		return -1;
	}
	return 0;
}

static int
s_create_key(host_backend *b, const char *key, char **err)
{
	sim *s = s_impl(b);
	host_state *h;
	char *canon;

	if (s_check_key(key, &canon, err) == -1)
		return -1;
	if ((h = s_work(s, err)) == NULL) {
		free(canon);
		return -1;
	}
	/* A key exists when it or a key below it is held. */
	if (!host_key_exists(h, canon)) {
		host_key_ensure(h, canon);
		s->dirty = true;
	}
	free(canon);
	return 0;
}

static int
s_delete_key(host_backend *b, const char *key, char **err)
{
	sim *s = s_impl(b);
	host_state *h;
	char *canon;

	if (s_check_key(key, &canon, err) == -1)
		return -1;
	if ((h = s_work(s, err)) == NULL) {
		free(canon);
		return -1;
	}
	if (host_key_delete(h, canon) > 0)
		s->dirty = true;
	free(canon);
	return 0;
}

static int
s_set_value(host_backend *b, const char *key, const char *name,
    const reg_value *v, char **err)
{
	sim *s = s_impl(b);
	const reg_value *cur;
	host_state *h;
	char *canon;

	if (v == NULL || v->type < REG_T_SZ || v->type > REG_T_BINARY) {
		*err = xasprintf("registry value '%s' in %s: no valid type",
		    name ? name : "", key ? key : "");
		return -1;
	}
	if (s_check_key(key, &canon, err) == -1)
		return -1;
	if ((h = s_work(s, err)) == NULL) {
		free(canon);
		return -1;
	}
	cur = host_value_get(h, canon, name ? name : "");
	if (cur == NULL || !reg_value_equal(cur, v)) {
		host_value_set(h, canon, name ? name : "", v);
		s->dirty = true;
	}
	free(canon);
	return 0;
}

static int
s_delete_value(host_backend *b, const char *key, const char *name,
    char **err)
{
	sim *s = s_impl(b);
	host_state *h;
	char *canon;

	if (s_check_key(key, &canon, err) == -1)
		return -1;
	if ((h = s_work(s, err)) == NULL) {
		free(canon);
		return -1;
	}
	if (host_value_delete(h, canon, name ? name : ""))
		s->dirty = true;
	free(canon);
	return 0;
}

static int
s_set_integration(host_backend *b, const char *guest_id, const char *service,
    bool enabled, char **err)
{
	sim *s = s_impl(b);
	host_state *h;
	host_guest *g = NULL;
	host_service *svc;
	char guid[37];

	if (service == NULL || *service == '\0') {
		*err = xasprintf("guest %s: no integration service named",
		    guest_id ? guest_id : "");
		return -1;
	}
	if (guest_id == NULL || hostfile_guid_parse(guest_id, guid) == -1) {
		*err = xasprintf("guest id '%s' is not a GUID",
		    guest_id ? guest_id : "");
		return -1;
	}
	if ((h = s_work(s, err)) == NULL)
		return -1;
	for (size_t i = 0; i < h->nguests && g == NULL; i++)
		if (h->guests[i].id && strcasecmp(h->guests[i].id, guid) == 0)
			g = &h->guests[i];
	if (g == NULL) {
		*err = xasprintf("guest %s: not on host %s (host file %s)",
		    guid, h->node ? h->node : "?", s->path);
		return -1;
	}
	svc = host_guest_service(g, service);
	if (svc == NULL || svc->enabled != enabled) {
		host_guest_set_service(g, service, enabled);
		s->dirty = true;
	}
	return 0;
}

/* The DataSourceGroups.xml path named by the host file; owned. */
static char *
s_dsgroups_path(sim *s, char **err)
{
	const host_state *h = s_view(s, err);

	if (h == NULL)
		return NULL;
	if (h->data_source_groups == NULL) {
		*err = xasprintf("host file %s has no dataSourceGroups key "
		    "(only a dpm-server holds DataSourceGroups.xml)", s->path);
		return NULL;
	}
	return platform_path_relative_to(s->path, h->data_source_groups);
}

static int
s_read_dsgroups(host_backend *b, char **data, size_t *len, char **err)
{
	char *path = s_dsgroups_path(s_impl(b), err);
	int rc = 0;

	*data = NULL;
	*len = 0;
	if (path == NULL)
		return -1;
	if (platform_file_exists(path))
		rc = platform_read_file(path, PLATFORM_MAX_FILE, data, len, err);
	free(path);
	return rc;
}

static int
s_write_dsgroups(host_backend *b, const void *data, size_t len, char **err)
{
	char *path = s_dsgroups_path(s_impl(b), err);
	int rc;

	if (path == NULL)
		return -1;
	rc = platform_replace_file(path, data, len, false, err);
	free(path);
	if (rc == 0)
		s_hash(data, len, &s_impl(b)->dsg_seen);
	return rc;
}

static int
s_read_agent_log(host_backend *b, size_t max, char **data, size_t *len,
    char **err)
{
	sim *s = s_impl(b);
	const host_state *h;
	char *path, *all = NULL;
	size_t n = 0;
	int rc;

	*data = NULL;
	*len = 0;
	if ((h = s_view(s, err)) == NULL)
		return -1;
	if (h->agent_log == NULL)
		return 0;
	path = platform_path_relative_to(s->path, h->agent_log);
	if (!platform_file_exists(path)) {
		/* The agent has not logged anything yet. */
		free(path);
		return 0;
	}
	rc = platform_read_file(path, PLATFORM_MAX_FILE, &all, &n, err);
	free(path);
	if (rc == -1)
		return -1;
	if (n > max) {
		memmove(all, all + (n - max), max);
		all[max] = '\0';
		n = max;
	}
	*data = all;
	*len = n;
	return 0;
}

static int
s_commit(host_backend *b, char **err)
{
	sim *s = s_impl(b);
	char *data = NULL;
	size_t len = 0;
	sim_seen now;
	platform_lock *lock;
	strbuf sb;

	if (s->work == NULL || !s->dirty) {
		s_drop_work(s);
		return 0;
	}
	/* Check and replace under the host file's lock: an edit (the lab,
	 * an administrator's tool) that lands between the two would be
	 * overwritten otherwise. Held by another writer too long: retry. */
	if ((lock = filelock_acquire(s->lock_path, SIM_LOCK_WAIT_MS,
	    NULL)) == NULL) {
		s_drop_work(s);
		return HOST_RETRY;
	}
	if (s_read(s, &data, &len, &now, err) == -1) {
		platform_lock_release(&lock);
		return -1;
	}
	free(data);
	if (!s_same(&now, &s->loaded)) {
		/* Someone else changed the host: start again from it. */
		platform_lock_release(&lock);
		s_drop_work(s);
		return HOST_RETRY;
	}
	strbuf_init(&sb);
	if (hostfile_render(s->work, &sb) == -1) {
		*err = xasprintf("cannot write %s: the host state holds text "
		    "that is not valid UTF-8", s->path);
		strbuf_release(&sb);
		return -1;
	}
	if (platform_replace_file(s->path, sb.data, sb.len, false, err) == -1) {
		platform_lock_release(&lock);
		strbuf_release(&sb);
		return -1;
	}
	platform_lock_release(&lock);
	s_hash(sb.data, sb.len, &s->loaded);
	s->seen = s->loaded;
	/* The written state is not kept as the cache: its keys are in the
	 * order they were added, not the file's; the next observe parses. */
	s_drop_work(s);
	s_forget_stamp(s);
	strbuf_release(&sb);
	return 0;
}

static void
s_rollback(host_backend *b)
{
	s_drop_work(s_impl(b));
}

static int
s_watch_fd(host_backend *b)
{
	sim *s = s_impl(b);

	return s->watch ? platform_watch_fd(s->watch) : -1;
}

static bool
s_changed(host_backend *b)
{
	sim *s = s_impl(b);
	char *data = NULL, *err = NULL;
	size_t len = 0;
	sim_seen now;
	bool changed;

	if (s->watch == NULL || !platform_watch_changed(s->watch))
		return false;
	changed = s_dsgroups_changed(s);
	if (s_read(s, &data, &len, &now, &err) == -1) {
		/* Unreadable now: let the engine observe and report it. */
		free(err);
		return true;
	}
	free(data);
	changed |= !s_same(&now, &s->seen);
	s->seen = now;
	return changed;
}

static void
s_destroy(host_backend *b)
{
	sim *s;

	if (b == NULL)
		return;
	s = s_impl(b);
	if (s != NULL) {
		host_state_free(&s->work);
		host_state_free(&s->cache);
		platform_watch_free(&s->watch);
		free(s->dsg_path);
		free(s->lock_path);
		free(s->path);
		free(s);
	}
	free(b);
}

static const host_ops SIM_OPS = {
	.name = "sim",
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
backend_sim_new(const char *path, char **err)
{
	host_backend *b;
	sim *s;
	char *werr = NULL;

	if (sodium_init() < 0) {
		*err = xstrdup("cannot initialize libsodium");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	if (s_refresh(s, err) == NULL) {
		free(s->path);
		free(s);
		return NULL;
	}
	s->lock_path = filelock_path_for(path);
	s->watch = platform_watch_new(path, &werr);
	free(werr);
	werr = NULL;
	if (s->cache->data_source_groups) {
		char *data = NULL;
		size_t len = 0;

		s->dsg_path = platform_path_relative_to(path,
		    s->cache->data_source_groups);
		if (s->watch)
			platform_watch_add(s->watch, s->dsg_path, &werr);
		if (s_read_path(s->dsg_path, &data, &len, &s->dsg_seen, &werr) == -1)
			memset(&s->dsg_seen, 0, sizeof s->dsg_seen);
		free(data);
		free(werr);
	}
	b = xcalloc(1, sizeof *b);
	b->ops = &SIM_OPS;
	b->impl = s;
	return b;
}

void
host_backend_free(host_backend **b)
{
	if (b == NULL || *b == NULL)
		return;
	(*b)->ops->destroy(*b);
	*b = NULL;
}
