/*
 * store.c: the controller's SQLite store (store.h); the only file in the
 * project that speaks SQL. Called by the controller's main loop and the
 * modules it drives.
 *
 * DESIGN
 * - One file, hvpolicy.db, opened in WAL mode with synchronous=FULL: a
 *   transaction is on disk when COMMIT returns, and a crash at any point
 *   leaves the last committed state. Nothing else is attempted.
 * - Every write that touches more than one row is one BEGIN IMMEDIATE
 *   transaction; every statement is a constant string with bound
 *   parameters. The one exception is PRAGMA user_version, which takes no
 *   parameters: its value is a schema number from this file.
 * - Enumerations are stored by their contract names ("hyperv-node",
 *   "open", ...) so the database reads well with the sqlite3 shell and
 *   does not depend on enum order.
 * - The schema is s_migrations[]: entry i takes user_version i to i + 1,
 *   each in its own transaction at open. A database newer than the list
 *   is refused. See docs/store.md.
 */
#include "store.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"
#include "log.h"
#include "platform.h"
#include "policy.h"
#include "strbuf.h"
#include "wire.h"
#include "xalloc.h"

/* Opening (and migrating) may wait this long for another process. */
#define S_BUSY_TIMEOUT_MS 5000
#define S_MIN_SQLITE 3024000	/* UPSERT */
#define S_MAX_INTEGRITY_LINES 10
#define S_BACKUP_TRIES 20	/* 10 ms apart: a lock held longer fails it */

struct store {
	sqlite3 *db;
	char *path;
	int64_t last_event;	/* highest committed event seq (or floor) */
	int64_t events_pruned;	/* highest event seq pruned; 0: none */
	int64_t pending_event;	/* added by the open transaction */
	store_stats stats;
	/* Drift transitions of the open transaction, by kind and status. */
	uint64_t pending_transitions[STORE_NKINDS][STORE_NSTATUSES];
	/* Lock waits left to the event loop until the next store_tick(), ms
	 * (the busy handler spends it); see STORE_BUSY_BUDGET_MS. */
	int busy_budget_ms;
	int wal_pages;		/* frames in the WAL after the last commit */
	bool wal_dirty;		/* commits since the last checkpoint */
	int64_t checkpoint_at;	/* mono ms of the last checkpoint */
	bool wal_missing;	/* logged once: the -wal file was removed */
};

/* Version 1: the whole schema as first released. */
static const char s_schema_v1[] =
	"CREATE TABLE revisions ("
	"  revision INTEGER PRIMARY KEY CHECK (revision >= 1),"
	"  hash TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  applied_at INTEGER NOT NULL,"
	"  applied_by TEXT,"
	"  source TEXT"
	");"
	"CREATE TABLE nodes ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  role TEXT NOT NULL,"
	"  cluster TEXT NOT NULL,"
	"  last_seen INTEGER NOT NULL DEFAULT 0,"
	"  online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),"
	"  acked_revision INTEGER NOT NULL DEFAULT 0,"
	"  acked_plan_generation INTEGER NOT NULL DEFAULT 0,"
	"  converged INTEGER NOT NULL DEFAULT 0 CHECK (converged IN (0, 1)),"
	"  open_drift INTEGER NOT NULL DEFAULT 0,"
	"  dsgroups_hash TEXT,"
	"  inventory BLOB,"
	"  inventory_hash TEXT,"
	"  last_drift_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_drift_seq >= 0)"
	");"
	"CREATE TABLE drift ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  cluster TEXT,"
	"  node TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  resource TEXT NOT NULL,"
	"  expected TEXT,"
	"  actual TEXT,"
	"  policy_revision INTEGER,"
	"  mode TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  detected_at INTEGER NOT NULL,"
	"  resolved_at INTEGER,"
	"  action TEXT,"
	"  error TEXT"
	");"
	"CREATE INDEX drift_by_detected ON drift (detected_at, id);"
	"CREATE INDEX drift_by_resolved ON drift (resolved_at);"
	"CREATE INDEX drift_by_node ON drift (node, detected_at);"
	"CREATE TABLE drift_events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  drift_id TEXT NOT NULL REFERENCES drift (id),"
	"  node TEXT NOT NULL,"
	"  node_seq INTEGER,"
	"  status TEXT NOT NULL,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX drift_events_by_drift ON drift_events (drift_id);"
	"CREATE INDEX drift_events_by_at ON drift_events (at);"
	"CREATE TABLE plans ("
	"  generation INTEGER PRIMARY KEY CHECK (generation >= 1),"
	"  hash TEXT NOT NULL,"
	"  saved_at INTEGER NOT NULL"
	");"
	"CREATE TABLE plan_groups ("
	"  generation INTEGER NOT NULL"
	"    REFERENCES plans (generation) ON DELETE CASCADE,"
	"  ord INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (generation, ord)"
	") WITHOUT ROWID;"
	"CREATE TABLE plan_group_csvs ("
	"  generation INTEGER NOT NULL,"
	"  group_ord INTEGER NOT NULL,"
	"  ord INTEGER NOT NULL,"
	"  csv TEXT NOT NULL,"
	"  PRIMARY KEY (generation, group_ord, ord),"
	"  FOREIGN KEY (generation, group_ord)"
	"    REFERENCES plan_groups (generation, ord) ON DELETE CASCADE"
	") WITHOUT ROWID;"
	"CREATE TABLE plan_guests ("
	"  generation INTEGER NOT NULL,"
	"  group_ord INTEGER NOT NULL,"
	"  ord INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  guest_id TEXT NOT NULL,"
	"  node TEXT,"
	"  PRIMARY KEY (generation, group_ord, ord),"
	"  FOREIGN KEY (generation, group_ord)"
	"    REFERENCES plan_groups (generation, ord) ON DELETE CASCADE"
	") WITHOUT ROWID;"
	"CREATE TABLE plan_unplanned ("
	"  generation INTEGER NOT NULL"
	"    REFERENCES plans (generation) ON DELETE CASCADE,"
	"  ord INTEGER NOT NULL,"
	"  name TEXT,"
	"  guest_id TEXT,"
	"  node TEXT,"
	"  reason TEXT,"
	"  PRIMARY KEY (generation, ord)"
	") WITHOUT ROWID;";

/* Version 2: when the controller stored each drift record (its own
 * clock, for --since), and a floor under revision numbers learnt from
 * nodes (an older store file restored must not reuse numbers). */
static const char s_schema_v2[] =
	"ALTER TABLE drift ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;"
	"UPDATE drift SET received_at = COALESCE(resolved_at, detected_at);"
	"CREATE INDEX drift_by_received ON drift (received_at);"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value INTEGER NOT NULL"
	") WITHOUT ROWID;";

/* Version 3: the event stream (one sequence over drift transitions,
 * revisions, node liveness and plans; drift_events keeps each
 * transition's own fields so an event shows the record as it was then),
 * change records on revisions, and the cause of a drift record. Earlier
 * drift transitions become the first events, in their order. */
static const char s_schema_v3[] =
	"ALTER TABLE revisions ADD COLUMN change_id TEXT;"
	"ALTER TABLE revisions ADD COLUMN message TEXT;"
	"ALTER TABLE drift ADD COLUMN cause TEXT;"
	"ALTER TABLE drift_events ADD COLUMN resolved_at INTEGER;"
	"ALTER TABLE drift_events ADD COLUMN action TEXT;"
	"ALTER TABLE drift_events ADD COLUMN error TEXT;"
	"ALTER TABLE drift_events ADD COLUMN received_at INTEGER;"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  type TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  node TEXT,"
	"  drift_event INTEGER REFERENCES drift_events (seq),"
	"  data TEXT,"
	"  summary TEXT"
	");"
	"CREATE INDEX events_by_type ON events (type, seq);"
	"CREATE TABLE webhook_cursors ("
	"  endpoint TEXT PRIMARY KEY NOT NULL,"
	"  delivered INTEGER NOT NULL DEFAULT 0,"
	"  deliveries INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"INSERT INTO events (type, at, node, drift_event) "
	"  SELECT 'drift', at, node, seq FROM drift_events ORDER BY seq;";

/* Version 4: guests that left a node's inventory and that no node
 * reports, kept in the plan for a while (linger.h), so that a restarted
 * controller keeps them too. */
static const char s_schema_v4[] =
	"CREATE TABLE lingering ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  node TEXT NOT NULL,"
	"  guest BLOB NOT NULL,"
	"  left_at INTEGER NOT NULL"
	") WITHOUT ROWID;";

/* Version 5: one controller holds several clusters. Revisions are
 * numbered per cluster (their cluster read from each stored policy's
 * spec.cluster by hvp_policy_cluster(), registered at open); plans,
 * events and the revision floor name their cluster; a DPM server of
 * several clusters keeps its per-cluster acknowledgements in
 * nodes.parts. Rows of a single-cluster store take that cluster: the
 * newest revision's, else the cluster its nodes report. */
static const char s_schema_v5[] =
	"CREATE TEMP TABLE v5_legacy AS SELECT COALESCE("
	"  (SELECT NULLIF(hvp_policy_cluster(text), '') FROM revisions"
	"   ORDER BY revision DESC LIMIT 1),"
	"  (SELECT cluster FROM nodes ORDER BY role = 'hyperv-node' DESC, name"
	"   LIMIT 1), '') AS cluster;"
	"CREATE TABLE revisions_v5 ("
	"  cluster TEXT NOT NULL COLLATE NOCASE,"
	"  revision INTEGER NOT NULL CHECK (revision >= 1),"
	"  hash TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  applied_at INTEGER NOT NULL,"
	"  applied_by TEXT,"
	"  source TEXT,"
	"  change_id TEXT,"
	"  message TEXT,"
	"  PRIMARY KEY (cluster, revision)"
	") WITHOUT ROWID;"
	"INSERT INTO revisions_v5 SELECT COALESCE(NULLIF("
	"  hvp_policy_cluster(text), ''), (SELECT cluster FROM v5_legacy)),"
	"  revision, hash, text, applied_at, applied_by, source, change_id,"
	"  message FROM revisions;"
	"DROP TABLE revisions;"
	"ALTER TABLE revisions_v5 RENAME TO revisions;"
	"ALTER TABLE plans ADD COLUMN cluster TEXT NOT NULL DEFAULT '' "
	"  COLLATE NOCASE;"
	"UPDATE plans SET cluster = (SELECT cluster FROM v5_legacy);"
	"CREATE INDEX plans_by_cluster ON plans (cluster, generation);"
	"ALTER TABLE events ADD COLUMN cluster TEXT COLLATE NOCASE;"
	"UPDATE events SET cluster = (SELECT cluster FROM v5_legacy)"
	"  WHERE type <> 'drift';"
	"UPDATE meta SET key = 'revision_floor/' ||"
	"  lower((SELECT cluster FROM v5_legacy)) WHERE key = 'revision_floor';"
	"ALTER TABLE nodes ADD COLUMN parts TEXT;"
	"DROP TABLE v5_legacy;";

/* A plan is one row: its groups, CSVs and guests an encoded Plan message
 * (the protocol's) in plans.body. Plans stored before keep their rows in
 * plan_groups and the tables beside it, read as before. */
static const char s_schema_v6[] =
	"ALTER TABLE plans ADD COLUMN body BLOB;";

static const char *const s_migrations[] = {
	s_schema_v1,
	s_schema_v2,
	s_schema_v3,
	s_schema_v4,
	s_schema_v5,
	s_schema_v6,
};
#define S_SCHEMA_VERSION \
	((int)(sizeof(s_migrations) / sizeof(s_migrations[0])))

/* ---- errors, statements, transactions ---- */

/* SQLite's own words, or for a lock another process holds the one
 * message every caller passes on (a client sees it as is). */
static const char *
s_errmsg(const store *s)
{
	int code = sqlite3_errcode(s->db);

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return STORE_BUSY_MESSAGE;
	return sqlite3_errmsg(s->db);
}

static void
s_fail(const store *s, char **err, const char *what)
{
	if (err)
		*err = xasprintf("%s: %s: %s", s->path, what, s_errmsg(s));
}

static void
s_failx(const store *s, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_failx(const store *s, char **err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*err = xasprintf("%s: %s", s->path, buf);
}

static sqlite3_stmt *
s_prepare(store *s, const char *sql, char **err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		s_fail(s, err, "cannot prepare statement");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Binding helpers: each does nothing once *rc holds an error, so a run of
 * binds is checked once. */
static void
s_bind_text(sqlite3_stmt *st, int i, const char *v, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, i);
}

static void
s_bind_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(st, i, v);
}

/* 0 is stored as NULL (times and revisions that are absent). */
static void
s_bind_opt_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = v ? sqlite3_bind_int64(st, i, v) :
		    sqlite3_bind_null(st, i);
}

static void
s_bind_u64(sqlite3_stmt *st, int i, uint64_t v, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	*rc = v > (uint64_t)INT64_MAX ? SQLITE_RANGE :
	    sqlite3_bind_int64(st, i, (int64_t)v);
}

static void
s_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len, int *rc)
{
	if (*rc != SQLITE_OK)
		return;
	if (v == NULL)
		*rc = sqlite3_bind_null(st, i);
	else if (len == 0)
		*rc = sqlite3_bind_zeroblob(st, i, 0);
	else
		*rc = sqlite3_bind_blob64(st, i, v, len, SQLITE_STATIC);
}

/* Runs a statement that returns no rows; resets it for reuse. */
static int
s_run(store *s, sqlite3_stmt *st, int bind_rc, const char *what, char **err)
{
	int rc;

	if (bind_rc != SQLITE_OK) {
		s_failx(s, err, "%s: cannot bind a value: %s", what,
		    sqlite3_errstr(bind_rc));
		sqlite3_reset(st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		s_fail(s, err, what);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

/* Steps a query: 1 for a row, 0 when done, -1 on error. */
static int
s_step(store *s, sqlite3_stmt *st, int bind_rc, const char *what, char **err)
{
	int rc;

	if (bind_rc != SQLITE_OK) {
		s_failx(s, err, "%s: cannot bind a value: %s", what,
		    sqlite3_errstr(bind_rc));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	s_fail(s, err, what);
	return -1;
}

static int
s_exec(store *s, const char *sql, const char *what, char **err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err)
			*err = xasprintf("%s: %s: %s", s->path, what,
			    sqlite3_errcode(s->db) == SQLITE_BUSY ||
			    sqlite3_errcode(s->db) == SQLITE_LOCKED ||
			    msg == NULL ? s_errmsg(s) : msg);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void
s_rollback(store *s)
{
	s->pending_event = 0;
	memset(s->pending_transitions, 0, sizeof(s->pending_transitions));
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Writers take the write lock at once, so two writers never deadlock on
 * an upgrade from read to write. */
static int
s_begin_write(store *s, char **err)
{
	return s_exec(s, "BEGIN IMMEDIATE", "cannot begin a transaction", err);
}

/* Readers that issue several queries see one snapshot. */
static int
s_begin_read(store *s, char **err)
{
	return s_exec(s, "BEGIN", "cannot begin a transaction", err);
}

static int
s_commit(store *s, char **err)
{
	int64_t t0 = platform_mono_ms();

	if (s_exec(s, "COMMIT", "cannot commit", err) == -1) {
		s_rollback(s);
		return -1;
	}
	s->stats.commits++;
	s->stats.commit_seconds_last = (double)(platform_mono_ms() - t0) / 1000;
	s->stats.commit_seconds_sum += s->stats.commit_seconds_last;
	for (int k = 0; k < STORE_NKINDS; k++)
		for (int st = 0; st < STORE_NSTATUSES; st++) {
			s->stats.transitions[k][st] +=
			    s->pending_transitions[k][st];
			s->pending_transitions[k][st] = 0;
		}
	if (s->pending_event > s->last_event)
		s->last_event = s->pending_event;
	s->pending_event = 0;
	return 0;
}

static char *
s_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

/* An owned copy of a BLOB column (NUL after its end), NULL for NULL. */
static uint8_t *
s_col_blob(sqlite3_stmt *st, int i, size_t *len)
{
	const void *blob;
	int n;
	uint8_t *copy;

	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	blob = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	*len = n > 0 ? (size_t)n : 0;
	copy = xmalloc(*len + 1);
	if (*len)
		memcpy(copy, blob, *len);
	copy[*len] = 0;
	return copy;
}

static uint64_t
s_col_u64(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* ---- enumerations by name ---- */

static const char *
s_enum_name(const char *const names[], int count, int v)
{
	return v >= 0 && v < count ? names[v] : NULL;
}

static int
s_enum_value(const char *const names[], int count, const unsigned char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < count; i++)
		if (strcmp(names[i], (const char *)name) == 0)
			return i;
	return -1;
}

#define S_NROLES ((int)ROLE_DPM_SERVER + 1)
#define S_NMODES ((int)POLICY_AUDIT + 1)
#define S_NKINDS ((int)DRIFT_INVENTORY + 1)
#define S_NSTATUSES ((int)DRIFT_RESOLVED + 1)

/* Reads an enumeration column; -1 with *err when the name is unknown. */
static int
s_col_enum(store *s, sqlite3_stmt *st, int col, const char *const names[],
    int count, const char *what, char **err)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int v = s_enum_value(names, count, t);

	if (v == -1)
		s_failx(s, err, "unknown %s \"%s\" in the database", what,
		    t ? (const char *)t : "(null)");
	return v;
}

/* ---- opening and migrating ---- */

static int
s_pragma_text(store *s, const char *sql, const char *expect, char **err)
{
	sqlite3_stmt *st;
	const unsigned char *got;
	int rc;

	if ((st = s_prepare(s, sql, err)) == NULL)
		return -1;
	if ((rc = s_step(s, st, SQLITE_OK, sql, err)) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	got = rc == 1 ? sqlite3_column_text(st, 0) : NULL;
	if (got == NULL || strcmp((const char *)got, expect) != 0) {
		s_failx(s, err, "%s gave \"%s\", not \"%s\"", sql,
		    got ? (const char *)got : "(nothing)", expect);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* spec.cluster of a stored policy text; "" when it does not parse. */
static char *
s_text_cluster(const char *text)
{
	diag_list d;
	policy *p;
	char *cluster;

	diag_list_init(&d);
	p = policy_parse("<stored revision>", text ? text : "",
	    text ? strlen(text) : 0, &d);
	diag_list_release(&d);
	cluster = xstrdup(p && p->cluster ? p->cluster : "");
	policy_free(&p);
	return cluster;
}

/* SQL hvp_policy_cluster(text), for the migration to version 5. */
static void
s_fn_policy_cluster(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char *cluster;

	(void)argc;
	cluster = s_text_cluster((const char *)sqlite3_value_text(argv[0]));
	sqlite3_result_text(ctx, cluster, -1, free);
}

/* What the failure of the store's first read means for its owner: a
 * damaged file is moved away or restored from a backup; a full or
 * failing disk leaves the file as it is. */
static const char *
s_read_problem(const store *s)
{
	switch (sqlite3_errcode(s->db)) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return "cannot read the database: the file is not a database "
		    "or is damaged (move the file away to start empty, or "
		    "restore a backup)";
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return "cannot read the database: its file system is full or "
		    "failing, or its directory cannot be written (the file "
		    "itself is not known to be damaged: do not move it away; "
		    "free space or fix the disk, then start again)";
	default:
		return "cannot read the database";
	}
}

static int
s_connect(store *s, char **err)
{
	int rc;

	rc = sqlite3_open_v2(s->path, &s->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (err)
			*err = xasprintf("%s: cannot open: %s", s->path,
			    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		return -1;
	}
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		s_failx(s, err, "cannot open for writing (check its owner "
		    "and mode)");
		return -1;
	}
	sqlite3_busy_timeout(s->db, S_BUSY_TIMEOUT_MS);
	if (sqlite3_create_function(s->db, "hvp_policy_cluster", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, s_fn_policy_cluster, NULL,
	    NULL) != SQLITE_OK) {
		s_fail(s, err, "cannot register a function");
		return -1;
	}
	/* The first statement reads the file: one that is not a database
	 * fails here, and so does a full or failing disk (the WAL index is
	 * made now). Only the first is a reason to move the file away. */
	if (s_exec(s, "SELECT count(*) FROM sqlite_master", "first read",
	    NULL) == -1) {
		s_fail(s, err, s_read_problem(s));
		return -1;
	}
	if (s_pragma_text(s, "PRAGMA journal_mode = WAL", "wal", err) == -1)
		return -1;
	if (s_exec(s, "PRAGMA synchronous = FULL", "cannot set synchronous",
	    err) == -1)
		return -1;
	if (s_exec(s, "PRAGMA foreign_keys = ON", "cannot set foreign_keys",
	    err) == -1)
		return -1;
	if (s_pragma_text(s, "PRAGMA synchronous", "2", err) == -1 ||
	    s_pragma_text(s, "PRAGMA foreign_keys", "1", err) == -1)
		return -1;
	return 0;
}

static int
s_user_version(store *s, int *version, char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = s_prepare(s, "PRAGMA user_version", err)) == NULL)
		return -1;
	rc = s_step(s, st, SQLITE_OK, "cannot read the schema version", err);
	if (rc == 1)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc == 0) {
		s_failx(s, err, "cannot read the schema version");
		return -1;
	}
	return rc == 1 ? 0 : -1;
}

/* One migration per transaction; the version is read again inside each,
 * so two processes opening at once do not both migrate. */
static int
s_migrate(store *s, char **err)
{
	int version;
	char *sql;

	for (;;) {
		if (s_begin_write(s, err) == -1)
			return -1;
		if (s_user_version(s, &version, err) == -1)
			goto fail;
		if (version < 0 || version > S_SCHEMA_VERSION) {
			s_failx(s, err, "schema version %d is newer than this "
			    "program knows (%d); run a newer "
			    "hvpolicy-controller or restore a backup",
			    version, S_SCHEMA_VERSION);
			goto fail;
		}
		if (version == S_SCHEMA_VERSION)
			return s_commit(s, err);
		if (s_exec(s, s_migrations[version], "cannot migrate",
		    err) == -1)
			goto fail;
		/* PRAGMA takes no parameters; the number comes from here. */
		sql = xasprintf("PRAGMA user_version = %d", version + 1);
		if (s_exec(s, sql, "cannot set the version", err) == -1) {
			free(sql);
			goto fail;
		}
		free(sql);
		if (s_commit(s, err) == -1)
			return -1;
		log_info("store: %s: schema migrated to version %d", s->path,
		    version + 1);
	}
fail:
	s_rollback(s);
	return -1;
}

/* ---- the event loop's view: lock waits and checkpoints ---- */

/* SQLite calls this while another connection holds a lock; 0 gives up
 * (the statement fails with SQLITE_BUSY). It waits 1 ms at a time out of
 * the tick's budget, so all waits between two ticks add up to at most
 * STORE_BUSY_BUDGET_MS whatever the number of statements. */
static int
s_busy(void *arg, int count)
{
	store *s = arg;

	(void)count;
	if (s->busy_budget_ms <= 0)
		return 0;
	s->busy_budget_ms--;
	sqlite3_sleep(1);
	return 1;
}

/* After each commit (replaces SQLite's automatic checkpoint, which would
 * run inside a write and wait on readers). */
static int
s_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	store *s = arg;

	(void)db;
	(void)name;
	s->wal_pages = pages;
	s->wal_dirty = true;
	return SQLITE_OK;
}

/* From open to close, the event loop's rules. */
static void
s_loop_mode(store *s)
{
	s->busy_budget_ms = STORE_BUSY_BUDGET_MS;
	sqlite3_busy_handler(s->db, s_busy, s);
	sqlite3_wal_hook(s->db, s_wal_hook, s);
	s->checkpoint_at = platform_mono_ms();
	/* What opening wrote (a migration) goes to the main file now. */
	s->wal_dirty = true;
}

/* Copies the WAL into the main file without waiting for anyone (PASSIVE:
 * frames a reader still needs stay for the next one). */
static void
s_checkpoint(store *s, int mode)
{
	int log_frames = 0, done = 0, rc;

	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, mode, &log_frames, &done);
	s->checkpoint_at = platform_mono_ms();
	if (rc == SQLITE_OK && done == log_frames) {
		s->wal_dirty = false;
		return;
	}
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		log_warnx("store: %s: checkpoint failed: %s", s->path,
		    sqlite3_errmsg(s->db));
}

/* A WAL file removed under a running controller would take every write
 * since the last checkpoint with it at the next crash: copy it over now
 * (this connection still holds the removed file open) and say so. */
static void
s_check_wal_file(store *s)
{
	char *wal = xasprintf("%s-wal", s->path);
	bool present = platform_file_exists(wal);

	if (!present && !s->wal_missing)
		log_warnx("store: %s was removed while the controller runs; "
		    "checkpointing what it held into %s (do not remove "
		    "-wal or -shm files of a database in use)", wal, s->path);
	if (!present)
		s->wal_dirty = true;
	s->wal_missing = !present;
	free(wal);
}

static void
s_checkpoint_at_close(store *s)
{
	sqlite3_busy_handler(s->db, NULL, NULL);
	sqlite3_busy_timeout(s->db, S_BUSY_TIMEOUT_MS);
	s_checkpoint(s, SQLITE_CHECKPOINT_TRUNCATE);
}

void
store_tick(store *s)
{
	int64_t now = platform_mono_ms();

	s->busy_budget_ms = STORE_BUSY_BUDGET_MS;
	if (now - s->checkpoint_at < STORE_CHECKPOINT_MS &&
	    s->wal_pages < STORE_CHECKPOINT_PAGES)
		return;
	s_check_wal_file(s);
	if (!s->wal_dirty)
		return;
	s->wal_pages = 0;
	s_checkpoint(s, SQLITE_CHECKPOINT_PASSIVE);
}

static int s_load_event_top(store *s, char **err);

store *
store_open(const char *data_dir, char **err)
{
	store *s;
	char *why = NULL;

	if (data_dir == NULL || *data_dir == '\0') {
		if (err)
			*err = xstrdup("store: no data directory given");
		return NULL;
	}
	if (sqlite3_libversion_number() < S_MIN_SQLITE) {
		if (err)
			*err = xasprintf("store: SQLite %s is too old; 3.24 or "
			    "newer is needed", sqlite3_libversion());
		return NULL;
	}
	if (platform_mkdir_p(data_dir, true, err) == -1)
		return NULL;
	if (platform_check_private(data_dir, &why) == -1) {
		log_warnx("store: data directory %s should be private "
		    "(chmod 700 it)", data_dir);
		free(why);
	}
	s = xcalloc(1, sizeof(*s));
	s->path = platform_path_join(data_dir, STORE_FILE_NAME);
	if (s_connect(s, err) == -1 || s_migrate(s, err) == -1 ||
	    s_load_event_top(s, err) == -1) {
		store_free(&s);
		return NULL;
	}
	s_loop_mode(s);
	return s;
}

void
store_free(store **sp)
{
	store *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->db)
		s_checkpoint_at_close(s);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
	*sp = NULL;
}

const char *
store_path(const store *s)
{
	return s->path;
}

int
store_schema_version(void)
{
	return S_SCHEMA_VERSION;
}

/* Makes the copy a single self-contained file (rollback journal, not
 * WAL). No PRAGMA quick_check here: it would hold the controller's loop
 * for a pass over the whole file, and the backup API copies pages as
 * they are; the client checks the bytes it received (SHA-256). */
static int
s_backup_standalone(sqlite3 *db, const char *path, char **err)
{
	if (sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		*err = xasprintf("%s: cannot finish the copy: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * SQLite's online backup (https://www.sqlite.org/backup.html): each step
 * copies some pages under a short read transaction, which in WAL mode
 * blocks no writer. Pages this connection writes between steps are
 * carried into the copy by SQLite itself; a write by another process
 * restarts the copy (https://www.sqlite.org/c3ref/backup_finish.html).
 */
struct store_backup {
	sqlite3 *dst;
	sqlite3_backup *b;
	char *path;
	bool done;
};

store_backup *
store_backup_begin(store *s, const char *path, char **err)
{
	store_backup *bk;

	if (platform_file_exists(path) && platform_remove_file(path, err) == -1)
		return NULL;
	bk = xcalloc(1, sizeof *bk);
	bk->path = xstrdup(path);
	if (sqlite3_open_v2(path, &bk->dst, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*err = xasprintf("%s: cannot create the copy: %s", path,
		    bk->dst ? sqlite3_errmsg(bk->dst) : "out of memory");
		store_backup_end(&bk, NULL);
		return NULL;
	}
	/* The copy is read out and deleted again: no fsync of the whole
	 * file (which would hold the loop) is worth making here. */
	sqlite3_exec(bk->dst, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	if ((bk->b = sqlite3_backup_init(bk->dst, "main", s->db, "main")) ==
	    NULL) {
		*err = xasprintf("%s: cannot start the copy: %s", path,
		    sqlite3_errmsg(bk->dst));
		store_backup_end(&bk, NULL);
		return NULL;
	}
	return bk;
}

int
store_backup_step(store_backup *bk, int pages, char **err)
{
	int rc;

	if (bk->done)
		return 1;
	rc = sqlite3_backup_step(bk->b, pages);
	if (rc == SQLITE_DONE) {
		bk->done = true;
		return 1;
	}
	if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return 0;
	*err = xasprintf("%s: copy failed: %s", bk->path, sqlite3_errstr(rc));
	return -1;
}

int
store_backup_end(store_backup **bkp, char **err)
{
	store_backup *bk = *bkp;
	int rc = 0;
	char *why = NULL;

	if (bk == NULL)
		return 0;
	if (bk->b)
		sqlite3_backup_finish(bk->b);
	if (err && bk->done) {
		rc = s_backup_standalone(bk->dst, bk->path, &why);
	} else if (err) {
		why = xasprintf("%s: copy not finished", bk->path);
		rc = -1;
	}
	if (bk->dst && sqlite3_close(bk->dst) != SQLITE_OK && rc == 0) {
		why = xasprintf("%s: cannot close the copy", bk->path);
		rc = -1;
	}
	if (err)
		*err = why;
	else
		free(why);
	free(bk->path);
	free(bk);
	*bkp = NULL;
	return rc;
}

int
store_backup_to(store *s, const char *path, char **err)
{
	store_backup *bk = store_backup_begin(s, path, err);
	int rc = 0;

	for (int tries = 0; bk && tries < S_BACKUP_TRIES; tries++) {
		if ((rc = store_backup_step(bk, -1, err)) != 0)
			break;
		sqlite3_sleep(10);	/* busy: another process writes */
	}
	if (bk == NULL)
		return -1;
	if (rc == -1) {
		store_backup_end(&bk, NULL);
		return -1;
	}
	return store_backup_end(&bk, err);
}

int
store_check_integrity(store *s, char **err)
{
	sqlite3_stmt *st;
	strbuf problems;
	int rc, lines = 0;

	strbuf_init(&problems);
	if ((st = s_prepare(s, "PRAGMA integrity_check", err)) == NULL)
		goto fail;
	while ((rc = s_step(s, st, SQLITE_OK, "integrity check", err)) == 1) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		if (t == NULL || strcmp((const char *)t, "ok") == 0)
			continue;
		if (lines++ < S_MAX_INTEGRITY_LINES)
			strbuf_addf(&problems, "%s%s", problems.len ? "; " : "",
			    (const char *)t);
	}
	sqlite3_finalize(st);
	if (rc == -1)
		goto fail;
	if ((st = s_prepare(s, "PRAGMA foreign_key_check", err)) == NULL)
		goto fail;
	while ((rc = s_step(s, st, SQLITE_OK, "foreign key check", err)) == 1) {
		const unsigned char *table = sqlite3_column_text(st, 0);
		const unsigned char *parent = sqlite3_column_text(st, 2);

		if (lines++ < S_MAX_INTEGRITY_LINES)
			strbuf_addf(&problems, "%srow %lld of %s refers to a "
			    "missing row of %s", problems.len ? "; " : "",
			    (long long)sqlite3_column_int64(st, 1),
			    table ? (const char *)table : "?",
			    parent ? (const char *)parent : "?");
	}
	sqlite3_finalize(st);
	if (rc == -1)
		goto fail;
	if (lines > 0) {
		s_failx(s, err, "database damaged (%d problems): %s", lines,
		    problems.data);
		goto fail;
	}
	strbuf_release(&problems);
	return 0;
fail:
	strbuf_release(&problems);
	return -1;
}

/* ---- revisions ---- */

/* Runs a query giving one integer. */
/* The one integer sql gives, with ?1 bound to text when text is set. */
static int
s_query_int_text(store *s, const char *sql, const char *text, int64_t *v,
    char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if ((st = s_prepare(s, sql, err)) == NULL)
		return -1;
	if (text)
		s_bind_text(st, 1, text, &rc);
	rc = s_step(s, st, rc, "query failed", err);
	if (rc == 1)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == 0)
		s_failx(s, err, "query gave no row: %s", sql);
	return rc == 1 ? 0 : -1;
}

static int
s_query_int(store *s, const char *sql, int64_t *v, char **err)
{
	return s_query_int_text(s, sql, NULL, v, err);
}

/* The cluster a call without one is about: that of the newest revision
 * (a store of one cluster, as before version 5), or "". */
static int
s_default_cluster(store *s, char **out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	st = s_prepare(s, "SELECT cluster FROM revisions ORDER BY applied_at "
	    "DESC, revision DESC LIMIT 1", err);
	if (st == NULL)
		return -1;
	rc = s_step(s, st, SQLITE_OK, "cannot read a revision", err);
	if (rc == 1)
		*out = s_col_str(st, 0);
	sqlite3_finalize(st);
	if (rc == -1)
		return -1;
	if (*out == NULL)
		*out = xstrdup("");
	return 0;
}

/* cluster, or the default one when NULL: owned. */
static int
s_cluster(store *s, const char *cluster, char **out, char **err)
{
	if (cluster) {
		*out = xstrdup(cluster);
		return 0;
	}
	return s_default_cluster(s, out, err);
}

/* ---- events ---- */

#define S_EVENT_TOP \
	"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = " \
	"'events'), 0), COALESCE((SELECT value FROM meta WHERE key = " \
	"'event_floor'), 0))"

/* Appends one event inside the caller's transaction: numbered one above
 * both the highest ever used (AUTOINCREMENT's record, which survives
 * deletes) and the floor. data: a JSON object of the type's fields, or
 * NULL; drift_event: the transition's drift_events seq, or 0. cluster:
 * the cluster it concerns; NULL: the node's. */
static int
s_add_event(store *s, const char *type, int64_t at, const char *node,
    int64_t drift_event, const char *data, const char *summary,
    const char *cluster, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, "INSERT INTO events (seq, type, at, node, "
	    "drift_event, data, summary, cluster) VALUES ((" S_EVENT_TOP
	    ") + 1, ?1, ?2, ?3, ?4, ?5, ?6, COALESCE(?7, (SELECT cluster FROM "
	    "nodes WHERE name = ?3)))", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, type, &rc);
	s_bind_int(st, 2, at, &rc);
	s_bind_text(st, 3, node, &rc);
	s_bind_opt_int(st, 4, drift_event, &rc);
	s_bind_text(st, 5, data, &rc);
	s_bind_text(st, 6, summary, &rc);
	s_bind_text(st, 7, cluster, &rc);
	rc = s_run(s, st, rc, "cannot add an event", err);
	sqlite3_finalize(st);
	if (rc == 0)
		s->pending_event = sqlite3_last_insert_rowid(s->db);
	return rc;
}

#define S_EVENTS_PRUNED \
	"SELECT COALESCE((SELECT value FROM meta WHERE key = " \
	"'events_pruned'), 0)"

static int
s_load_event_top(store *s, char **err)
{
	if (s_query_int(s, S_EVENT_TOP, &s->last_event, err) == -1)
		return -1;
	return s_query_int(s, S_EVENTS_PRUNED, &s->events_pruned, err);
}

int64_t
store_last_event(const store *s)
{
	return s->last_event;
}

int
store_raise_event_floor(store *s, int64_t seq, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (seq <= s->last_event)
		return 0;
	if (s_begin_write(s, err) == -1)
		return -1;
	st = s_prepare(s, "INSERT INTO meta (key, value) VALUES "
	    "('event_floor', ?1) ON CONFLICT (key) DO UPDATE SET value = "
	    "MAX(value, excluded.value)", err);
	if (st == NULL)
		goto fail;
	s_bind_int(st, 1, seq, &rc);
	rc = s_run(s, st, rc, "cannot raise the event floor", err);
	sqlite3_finalize(st);
	if (rc == -1)
		goto fail;
	if (s_commit(s, err) == -1)
		return -1;
	if (seq > s->last_event)
		s->last_event = seq;
	return 0;
fail:
	s_rollback(s);
	return -1;
}

/* A JSON object of fields, written by fill. Owned. */
static char *
s_json_object(void (*fill)(jsonw *j, const void *arg), const void *arg)
{
	strbuf out;
	jsonw j;

	strbuf_init(&out);
	jsonw_init(&j, &out, false);
	jsonw_begin_object(&j);
	fill(&j, arg);
	jsonw_end_object(&j);
	return strbuf_detach(&out, NULL);
}

static int s_drift_row(store *s, sqlite3_stmt *st, drift_record *r,
    char **err);

/* Drift columns first (as s_drift_row reads them), then the event's. */
#define S_EVENT_COLUMNS \
	"SELECT d.id, d.cluster, d.node, d.role, d.kind, d.resource, " \
	"d.expected, d.actual, d.policy_revision, d.mode, de.status, " \
	"d.detected_at, de.resolved_at, de.action, de.error, " \
	"COALESCE(de.received_at, d.received_at), d.cause, " \
	"e.seq, e.type, e.at, e.node, e.data, e.drift_event, e.summary, " \
	"COALESCE(e.cluster, d.cluster) " \
	"FROM events e LEFT JOIN drift_events de ON de.seq = e.drift_event " \
	"LEFT JOIN drift d ON d.id = de.drift_id "

/* ?2 type, ?3 node, ?4 ",type,type,", ?5 ",status,status," (drift
 * events only), ?7 cluster (one of a node's clusters, "A,B", counts). */
#define S_EVENT_WHERE \
	"AND (?2 IS NULL OR e.type = ?2) AND (?3 IS NULL OR e.node = ?3) " \
	"AND (?4 IS NULL OR instr(?4, ',' || e.type || ',') > 0) " \
	"AND (?5 IS NULL OR e.type != 'drift' OR " \
	"instr(?5, ',' || de.status || ',') > 0) " \
	"AND (?7 IS NULL OR instr(',' || lower(COALESCE(e.cluster, " \
	"d.cluster, '')) || ',', ',' || lower(?7) || ',') > 0) "

static void
s_bind_event_filter(sqlite3_stmt *st, const store_event_filter *f, int *rc)
{
	s_bind_int(st, 1, f ? f->after : 0, rc);
	s_bind_text(st, 2, f ? f->type : NULL, rc);
	s_bind_text(st, 3, f ? f->node : NULL, rc);
	s_bind_text(st, 4, f ? f->types : NULL, rc);
	s_bind_text(st, 5, f ? f->statuses : NULL, rc);
	s_bind_text(st, 7, f ? f->cluster : NULL, rc);
}

int
store_count_events(store *s, const store_event_filter *f, int64_t *n,
    char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*n = 0;
	st = s_prepare(s, "SELECT COUNT(*) FROM events e LEFT JOIN "
	    "drift_events de ON de.seq = e.drift_event LEFT JOIN drift d ON "
	    "d.id = de.drift_id WHERE e.seq > ?1 " S_EVENT_WHERE, err);
	if (st == NULL)
		return -1;
	s_bind_event_filter(st, f, &rc);
	rc = s_step(s, st, rc, "cannot count events", err);
	if (rc == 1)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

int
store_get_webhook_cursor(store *s, const char *endpoint,
    store_webhook_cursor *out, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	memset(out, 0, sizeof(*out));
	st = s_prepare(s, "SELECT delivered, deliveries, failures FROM "
	    "webhook_cursors WHERE endpoint = ?1", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, endpoint, &rc);
	rc = s_step(s, st, rc, "cannot read a webhook cursor", err);
	if (rc == 1) {
		out->delivered = sqlite3_column_int64(st, 0);
		out->deliveries = sqlite3_column_int64(st, 1);
		out->failures = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

int
store_set_webhook_cursor(store *s, const char *endpoint,
    const store_webhook_cursor *c, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, "INSERT INTO webhook_cursors (endpoint, delivered, "
	    "deliveries, failures) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
	    "(endpoint) DO UPDATE SET delivered = MAX(delivered, "
	    "excluded.delivered), deliveries = excluded.deliveries, "
	    "failures = excluded.failures", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, endpoint, &rc);
	s_bind_int(st, 2, c->delivered, &rc);
	s_bind_int(st, 3, c->deliveries, &rc);
	s_bind_int(st, 4, c->failures, &rc);
	rc = s_run(s, st, rc, "cannot store a webhook cursor", err);
	sqlite3_finalize(st);
	return rc;
}

/* ---- event retention ---- */

int64_t
store_events_pruned(const store *s)
{
	return s->events_pruned;
}

/* The end of the prefix of events that may go: up to batch of the oldest,
 * stopping at the first one stored at or after before or numbered above
 * upto_max. *held: that stop was upto_max's, at an event old enough.
 * *last_drift: the highest drift transition the prefix shows (0: none). */
static int
s_prune_prefix(store *s, const store_prune *p, int64_t *end,
    int64_t *last_drift, bool *held, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*end = *last_drift = 0;
	*held = false;
	st = s_prepare(s, "SELECT seq, at, drift_event FROM events ORDER BY "
	    "seq LIMIT ?1", err);
	if (st == NULL)
		return -1;
	s_bind_int(st, 1, (int64_t)p->batch, &rc);
	while ((rc = s_step(s, st, rc, "cannot read the oldest events",
	    err)) == 1) {
		int64_t seq = sqlite3_column_int64(st, 0);
		int64_t at = sqlite3_column_int64(st, 1);

		rc = SQLITE_OK;
		if (at >= p->before)
			break;
		if (seq > p->upto_max) {
			*held = true;
			break;
		}
		*end = seq;
		if (sqlite3_column_int64(st, 2) > *last_drift)
			*last_drift = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

static int
s_exec_upto(store *s, const char *sql, int64_t v, const char *what,
    char **err)
{
	sqlite3_stmt *st = s_prepare(s, sql, err);
	int rc = SQLITE_OK;

	if (st == NULL)
		return -1;
	s_bind_int(st, 1, v, &rc);
	rc = s_run(s, st, rc, what, err);
	sqlite3_finalize(st);
	return rc;
}

int
store_prune_events(store *s, const store_prune *p, store_prune_result *out,
    char **err)
{
	int64_t end, last_drift;
	bool held;

	memset(out, 0, sizeof(*out));
	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_prune_prefix(s, p, &end, &last_drift, &held, err) == -1)
		goto fail;
	out->held = held;
	if (end == 0) {
		s_rollback(s);
		out->upto = s->events_pruned;
		return 0;
	}
	/* Events first: they point at the drift transitions they show.
	 * Transitions and events are numbered in the same order, so the
	 * transitions up to the prefix's last belong to it alone. */
	if (s_exec_upto(s, "DELETE FROM events WHERE seq <= ?1", end,
	    "cannot prune events", err) == -1)
		goto fail;
	out->pruned = (size_t)sqlite3_changes(s->db);
	if (last_drift > 0 && s_exec_upto(s, "DELETE FROM drift_events WHERE "
	    "seq <= ?1", last_drift, "cannot prune drift transitions",
	    err) == -1)
		goto fail;
	if (s_exec_upto(s, "INSERT INTO meta (key, value) VALUES "
	    "('events_pruned', ?1) ON CONFLICT (key) DO UPDATE SET value = "
	    "MAX(value, excluded.value)", end, "cannot record the pruning",
	    err) == -1)
		goto fail;
	if (s_commit(s, err) == -1)
		return -1;
	if (end > s->events_pruned)
		s->events_pruned = end;
	out->upto = s->events_pruned;
	return 0;
fail:
	s_rollback(s);
	return -1;
}

static int
s_event_row(store *s, sqlite3_stmt *st, store_event *e, char **err)
{
	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 17);
	e->type = s_col_str(st, 18);
	e->at = sqlite3_column_int64(st, 19);
	e->node = s_col_str(st, 20);
	e->data = s_col_str(st, 21);
	e->summary = s_col_str(st, 23);
	e->cluster = s_col_str(st, 24);
	if (sqlite3_column_type(st, 22) != SQLITE_NULL &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		if (s_drift_row(s, st, &e->drift, err) == -1)
			return -1;
		e->has_drift = true;
	}
	return 0;
}

int
store_list_events(store *s, const store_event_filter *f, store_event **out,
    size_t *n, int64_t *upto, char **err)
{
	sqlite3_stmt *st;
	store_event *list = NULL;
	size_t count = 0, cap = 0, limit = f && f->limit ? f->limit : 1000;
	int rc = SQLITE_OK;

	*out = NULL;
	*n = 0;
	st = s_prepare(s, S_EVENT_COLUMNS "WHERE e.seq > ?1 " S_EVENT_WHERE
	    "ORDER BY e.seq LIMIT ?6", err);
	if (st == NULL)
		return -1;
	s_bind_event_filter(st, f, &rc);
	s_bind_int(st, 6, (int64_t)limit, &rc);
	while ((rc = s_step(s, st, rc, "cannot list events", err)) == 1) {
		xgrow(&list, &cap, count + 1, sizeof(*list));
		if (s_event_row(s, st, &list[count], err) == -1) {
			store_event_clear(&list[count]);
			rc = -1;
			break;
		}
		count++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_event_list_free(&list, count);
		return -1;
	}
	/* Short of the limit, everything up to the newest was looked at. */
	if (upto)
		*upto = count == limit ? list[count - 1].seq :
		    (s->last_event > (f ? f->after : 0) ? s->last_event :
		    (f ? f->after : 0));
	*out = list;
	*n = count;
	return 0;
}

void
store_event_clear(store_event *e)
{
	free(e->cluster);
	free(e->type);
	free(e->node);
	free(e->data);
	free(e->summary);
	drift_record_clear(&e->drift);
	memset(e, 0, sizeof(*e));
}

void
store_event_list_free(store_event **list, size_t n)
{
	if (*list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_event_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

/* ---- revisions (continued) ---- */

static void
s_revision_fields(jsonw *j, const void *arg)
{
	const store_change *c = arg;

	jsonw_kv_int(j, "revision", c->revision);
	jsonw_kv_str(j, "action", c->rollback_of ? "rollback" : "apply");
	if (c->rollback_of)
		jsonw_kv_int(j, "rollbackOf", c->rollback_of);
	jsonw_kv_str(j, "hash", c->hash);
	jsonw_kv_str(j, "appliedBy", c->applied_by);
	jsonw_kv_str(j, "source", c->source);
	jsonw_kv_str(j, "changeId", c->change_id);
	jsonw_kv_str(j, "message", c->message);
}

/* The cluster a new revision belongs to: the caller's, else its text's
 * spec.cluster, else the store's default. Owned. */
static int
s_change_cluster(store *s, const store_change *c, char **out, char **err)
{
	if (c->cluster) {
		*out = xstrdup(c->cluster);
		return 0;
	}
	*out = s_text_cluster(c->text);
	if (**out != '\0')
		return 0;
	free(*out);
	return s_default_cluster(s, out, err);
}

#define S_NEXT_REVISION \
	"SELECT MAX(COALESCE((SELECT MAX(revision) FROM revisions WHERE " \
	"cluster = ?1), 0), COALESCE((SELECT value FROM meta WHERE key = " \
	"'revision_floor/' || lower(?1)), 0))"

int
store_add_change(store *s, const store_change *c, int64_t *revision_out,
    char **err)
{
	store_change ev = *c;
	sqlite3_stmt *st = NULL;
	int64_t next;
	char *data, *summary, *cluster = NULL;
	int rc = SQLITE_OK;

	if (c->text == NULL || c->hash == NULL) {
		s_failx(s, err, "a revision needs its text and hash");
		return -1;
	}
	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_change_cluster(s, c, &cluster, err) == -1 ||
	    s_query_int_text(s, S_NEXT_REVISION " + 1", cluster, &next,
	    err) == -1)
		goto fail;
	st = s_prepare(s, "INSERT INTO revisions (cluster, revision, hash, "
	    "text, applied_at, applied_by, source, change_id, message) VALUES "
	    "(?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
	if (st == NULL)
		goto fail;
	s_bind_int(st, 1, next, &rc);
	s_bind_text(st, 2, c->hash, &rc);
	s_bind_text(st, 3, c->text, &rc);
	s_bind_int(st, 4, c->applied_at, &rc);
	s_bind_text(st, 5, c->applied_by, &rc);
	s_bind_text(st, 6, c->source, &rc);
	s_bind_text(st, 7, c->change_id, &rc);
	s_bind_text(st, 8, c->message, &rc);
	s_bind_text(st, 9, cluster, &rc);
	if (s_run(s, st, rc, "cannot add the revision", err) == -1)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	ev.revision = next;
	data = s_json_object(s_revision_fields, &ev);
	summary = xasprintf("revision %lld %s by %s%s%s%s", (long long)next,
	    c->rollback_of ? "rolled back" : "applied",
	    c->applied_by ? c->applied_by : "-", c->change_id ? " (" : "",
	    c->change_id ? c->change_id : "", c->change_id ? ")" : "");
	rc = s_add_event(s, "revision", c->applied_at, NULL, 0, data, summary,
	    cluster, err);
	free(summary);
	free(data);
	if (rc == -1)
		goto fail;
	free(cluster);
	if (s_commit(s, err) == -1)
		return -1;
	if (revision_out)
		*revision_out = next;
	return 0;
fail:
	free(cluster);
	sqlite3_finalize(st);
	s_rollback(s);
	return -1;
}

int
store_add_revision(store *s, const char *canonical_text, const char *hash,
    const char *applied_by, const char *source, int64_t applied_at,
    int64_t *revision_out, char **err)
{
	store_change c = { .text = canonical_text, .hash = hash,
	    .applied_by = applied_by, .source = source,
	    .applied_at = applied_at };

	return store_add_change(s, &c, revision_out, err);
}

int
store_revision_floor_in(store *s, const char *cluster, int64_t *floor,
    char **err)
{
	char *cl = NULL;
	int rc;

	if (s_cluster(s, cluster, &cl, err) == -1)
		return -1;
	rc = s_query_int_text(s, S_NEXT_REVISION, cl, floor, err);
	free(cl);
	return rc;
}

int
store_revision_floor(store *s, int64_t *floor, char **err)
{
	return store_revision_floor_in(s, NULL, floor, err);
}

int
store_raise_revision_floor_in(store *s, const char *cluster, int64_t floor,
    char **err)
{
	sqlite3_stmt *st;
	char *cl = NULL;
	int rc = SQLITE_OK;

	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_cluster(s, cluster, &cl, err) == -1)
		goto fail;
	st = s_prepare(s, "INSERT INTO meta (key, value) VALUES "
	    "('revision_floor/' || lower(?2), ?1) ON CONFLICT (key) DO UPDATE "
	    "SET value = MAX(value, excluded.value)", err);
	if (st == NULL)
		goto fail;
	s_bind_int(st, 1, floor, &rc);
	s_bind_text(st, 2, cl, &rc);
	rc = s_run(s, st, rc, "cannot raise the revision floor", err);
	sqlite3_finalize(st);
	if (rc == -1)
		goto fail;
	free(cl);
	return s_commit(s, err);
fail:
	free(cl);
	s_rollback(s);
	return -1;
}

int
store_raise_revision_floor(store *s, int64_t floor, char **err)
{
	return store_raise_revision_floor_in(s, NULL, floor, err);
}

static store_revision *
s_revision_row(sqlite3_stmt *st, bool with_text, store_revision *r)
{
	r->revision = sqlite3_column_int64(st, 0);
	r->hash = s_col_str(st, 1);
	r->applied_at = sqlite3_column_int64(st, 2);
	r->applied_by = s_col_str(st, 3);
	r->source = s_col_str(st, 4);
	r->text = with_text ? s_col_str(st, 5) : NULL;
	r->change_id = s_col_str(st, 6);
	r->message = s_col_str(st, 7);
	r->cluster = s_col_str(st, 8);
	return r;
}

/* One revision of cluster (NULL: the default one); ?1 the cluster, ?2
 * the number. */
static int
s_one_revision(store *s, const char *sql, const char *cluster, int64_t n,
    store_revision **out, char **err)
{
	sqlite3_stmt *st;
	char *cl = NULL;
	int rc = SQLITE_OK;

	*out = NULL;
	if (s_cluster(s, cluster, &cl, err) == -1)
		return -1;
	if ((st = s_prepare(s, sql, err)) == NULL) {
		free(cl);
		return -1;
	}
	s_bind_text(st, 1, cl, &rc);
	if (sqlite3_bind_parameter_count(st) > 1)
		s_bind_int(st, 2, n, &rc);
	rc = s_step(s, st, rc, "cannot read a revision", err);
	if (rc == 1)
		*out = s_revision_row(st, true, xcalloc(1, sizeof(**out)));
	sqlite3_finalize(st);
	free(cl);
	return rc == -1 ? -1 : 0;
}

#define S_REVISION_COLUMNS \
	"SELECT revision, hash, applied_at, applied_by, source, text, " \
	"change_id, message, cluster FROM revisions "

int
store_latest_revision_in(store *s, const char *cluster, store_revision **out,
    char **err)
{
	return s_one_revision(s, S_REVISION_COLUMNS "WHERE cluster = ?1 "
	    "ORDER BY revision DESC LIMIT 1", cluster, 0, out, err);
}

int
store_latest_revision(store *s, store_revision **out, char **err)
{
	return store_latest_revision_in(s, NULL, out, err);
}

int
store_get_revision_in(store *s, const char *cluster, int64_t n,
    store_revision **out, char **err)
{
	return s_one_revision(s, S_REVISION_COLUMNS "WHERE cluster = ?1 AND "
	    "revision = ?2", cluster, n, out, err);
}

int
store_get_revision(store *s, int64_t n, store_revision **out, char **err)
{
	return store_get_revision_in(s, NULL, n, out, err);
}

int
store_list_revisions_in(store *s, const char *cluster, store_revision **out,
    size_t *n, char **err)
{
	sqlite3_stmt *st;
	store_revision *list = NULL;
	size_t count = 0, cap = 0;
	int rc = SQLITE_OK;

	*out = NULL;
	*n = 0;
	st = s_prepare(s, "SELECT revision, hash, applied_at, applied_by, "
	    "source, NULL, change_id, message, cluster FROM revisions WHERE "
	    "?1 IS NULL OR cluster = ?1 ORDER BY cluster, revision", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, cluster, &rc);
	while ((rc = s_step(s, st, rc, "cannot list revisions",
	    err)) == 1) {
		xgrow(&list, &cap, count + 1, sizeof(*list));
		memset(&list[count], 0, sizeof(*list));
		s_revision_row(st, false, &list[count++]);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_revision_list_free(&list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

int
store_list_revisions(store *s, store_revision **out, size_t *n, char **err)
{
	return store_list_revisions_in(s, NULL, out, n, err);
}

static void
s_revision_clear(store_revision *r)
{
	free(r->hash);
	free(r->text);
	free(r->applied_by);
	free(r->source);
	free(r->change_id);
	free(r->message);
	free(r->cluster);
	memset(r, 0, sizeof(*r));
}

void
store_revision_free(store_revision **r)
{
	if (r == NULL || *r == NULL)
		return;
	s_revision_clear(*r);
	free(*r);
	*r = NULL;
}

void
store_revision_list_free(store_revision **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		s_revision_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

/* ---- nodes ---- */

#define S_NODE_COLUMNS \
	"SELECT name, role, cluster, last_seen, online, acked_revision, " \
	"acked_plan_generation, converged, open_drift, dsgroups_hash, " \
	"inventory, inventory_hash, last_drift_seq, parts FROM nodes "

static int
s_node_row(store *s, sqlite3_stmt *st, store_node *n, char **err)
{
	int role;

	memset(n, 0, sizeof(*n));
	if ((role = s_col_enum(s, st, 1, HOST_ROLE_NAMES, S_NROLES, "role",
	    err)) == -1)
		return -1;
	n->name = s_col_str(st, 0);
	n->role = (host_role)role;
	n->cluster = s_col_str(st, 2);
	n->last_seen = sqlite3_column_int64(st, 3);
	n->online = sqlite3_column_int(st, 4) != 0;
	n->acked_revision = sqlite3_column_int64(st, 5);
	n->acked_plan_generation = s_col_u64(st, 6);
	n->converged = sqlite3_column_int(st, 7) != 0;
	n->open_drift = sqlite3_column_int64(st, 8);
	n->dsgroups_hash = s_col_str(st, 9);
	n->inventory = s_col_blob(st, 10, &n->inventory_len);
	n->inventory_hash = s_col_str(st, 11);
	n->last_drift_seq = s_col_u64(st, 12);
	n->parts = s_col_str(st, 13);
	return 0;
}

int
store_upsert_node(store *s, const store_node *n, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK, ret;
	const char *role = s_enum_name(HOST_ROLE_NAMES, S_NROLES, (int)n->role);

	if (n->name == NULL || n->cluster == NULL || role == NULL) {
		s_failx(s, err, "a node needs a name, a cluster and a role");
		return -1;
	}
	st = s_prepare(s, "INSERT INTO nodes (name, role, cluster, last_seen, "
	    "online, acked_revision, acked_plan_generation, converged, "
	    "open_drift, dsgroups_hash, inventory, inventory_hash, parts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
	    "ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
	    "cluster = excluded.cluster, last_seen = excluded.last_seen, "
	    "online = excluded.online, "
	    "acked_revision = excluded.acked_revision, "
	    "acked_plan_generation = excluded.acked_plan_generation, "
	    "converged = excluded.converged, "
	    "open_drift = excluded.open_drift, "
	    "dsgroups_hash = excluded.dsgroups_hash, "
	    "parts = excluded.parts, "
	    "inventory = COALESCE(excluded.inventory, inventory), "
	    "inventory_hash = CASE WHEN excluded.inventory IS NULL "
	    "THEN inventory_hash ELSE excluded.inventory_hash END", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, n->name, &rc);
	s_bind_text(st, 2, role, &rc);
	s_bind_text(st, 3, n->cluster, &rc);
	s_bind_int(st, 4, n->last_seen, &rc);
	s_bind_int(st, 5, n->online, &rc);
	s_bind_int(st, 6, n->acked_revision, &rc);
	s_bind_u64(st, 7, n->acked_plan_generation, &rc);
	s_bind_int(st, 8, n->converged, &rc);
	s_bind_int(st, 9, n->open_drift, &rc);
	s_bind_text(st, 10, n->dsgroups_hash, &rc);
	s_bind_blob(st, 11, n->inventory, n->inventory_len, &rc);
	s_bind_text(st, 12, n->inventory_hash, &rc);
	s_bind_text(st, 13, n->parts, &rc);
	ret = s_run(s, st, rc, "cannot store the node", err);
	sqlite3_finalize(st);
	return ret;
}

int
store_get_node(store *s, const char *name, store_node **out, char **err)
{
	sqlite3_stmt *st;
	store_node *n;
	int rc = SQLITE_OK;

	*out = NULL;
	if ((st = s_prepare(s, S_NODE_COLUMNS "WHERE name = ?1", err)) == NULL)
		return -1;
	s_bind_text(st, 1, name, &rc);
	rc = s_step(s, st, rc, "cannot read the node", err);
	if (rc == 1) {
		n = xcalloc(1, sizeof(*n));
		if (s_node_row(s, st, n, err) == -1) {
			free(n);
			rc = -1;
		} else
			*out = n;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

int
store_list_nodes(store *s, store_node **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	store_node *list = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = s_prepare(s, S_NODE_COLUMNS "ORDER BY name", err)) == NULL)
		return -1;
	while ((rc = s_step(s, st, SQLITE_OK, "cannot list nodes", err)) == 1) {
		xgrow(&list, &cap, count + 1, sizeof(*list));
		if (s_node_row(s, st, &list[count], err) == -1) {
			rc = -1;
			break;
		}
		count++;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_node_list_free(&list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

/* Runs an UPDATE of one node; an unknown node is an error. */
static int
s_update_node(store *s, sqlite3_stmt *st, int rc, const char *name,
    char **err)
{
	int ret = s_run(s, st, rc, "cannot update the node", err);

	if (ret == 0 && sqlite3_changes(s->db) == 0) {
		s_failx(s, err, "unknown node %s", name);
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

static void
s_node_fields(jsonw *j, const void *arg)
{
	const bool *online = arg;

	jsonw_kv_bool(j, "online", *online);
}

/* Callers call this when the node's liveness changes: each call is a
 * `node` event. */
int
store_set_node_online(store *s, const char *name, bool online,
    int64_t last_seen, char **err)
{
	sqlite3_stmt *st;
	char *data;
	int rc = SQLITE_OK;

	if (s_begin_write(s, err) == -1)
		return -1;
	st = s_prepare(s, "UPDATE nodes SET online = ?2, last_seen = ?3 "
	    "WHERE name = ?1", err);
	if (st == NULL)
		goto fail;
	s_bind_text(st, 1, name, &rc);
	s_bind_int(st, 2, online, &rc);
	s_bind_int(st, 3, last_seen, &rc);
	if (s_update_node(s, st, rc, name, err) == -1)
		goto fail;
	data = s_json_object(s_node_fields, &online);
	rc = s_add_event(s, "node", platform_now_ms() / 1000, name, 0, data,
	    online ? "online" : "offline", NULL, err);
	free(data);
	if (rc == -1)
		goto fail;
	return s_commit(s, err);
fail:
	s_rollback(s);
	return -1;
}

static int
s_set_node_ack(store *s, const char *name, const store_ack *ack,
    const char *parts, bool with_parts, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, with_parts ? "UPDATE nodes SET acked_revision = ?2, "
	    "acked_plan_generation = ?3, converged = ?4, open_drift = ?5, "
	    "dsgroups_hash = ?6, parts = ?7 WHERE name = ?1" :
	    "UPDATE nodes SET acked_revision = ?2, "
	    "acked_plan_generation = ?3, converged = ?4, open_drift = ?5, "
	    "dsgroups_hash = ?6 WHERE name = ?1", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, name, &rc);
	s_bind_int(st, 2, ack->revision, &rc);
	s_bind_u64(st, 3, ack->plan_generation, &rc);
	s_bind_int(st, 4, ack->converged, &rc);
	s_bind_int(st, 5, ack->open_drift, &rc);
	s_bind_text(st, 6, ack->dsgroups_hash, &rc);
	if (with_parts)
		s_bind_text(st, 7, parts, &rc);
	return s_update_node(s, st, rc, name, err);
}

int
store_set_node_ack(store *s, const char *name, const store_ack *ack,
    char **err)
{
	return s_set_node_ack(s, name, ack, NULL, false, err);
}

int
store_set_node_acks_parts(store *s, const char *const *names,
    const store_ack *acks, const char *const *parts, size_t n, char **err)
{
	if (n == 0)
		return 0;
	if (s_begin_write(s, err) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s_set_node_ack(s, names[i], &acks[i],
		    parts ? parts[i] : NULL, parts != NULL, err) == -1) {
			s_rollback(s);
			return -1;
		}
	}
	return s_commit(s, err);
}

int
store_set_node_acks(store *s, const char *const *names, const store_ack *acks,
    size_t n, char **err)
{
	return store_set_node_acks_parts(s, names, acks, NULL, n, err);
}

int
store_set_node_inventory(store *s, const char *name, const void *blob,
    size_t len, const char *hash, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, "UPDATE nodes SET inventory = ?2, "
	    "inventory_hash = ?3 WHERE name = ?1", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, name, &rc);
	s_bind_blob(st, 2, blob, len, &rc);
	s_bind_text(st, 3, hash, &rc);
	return s_update_node(s, st, rc, name, err);
}

int
store_set_all_offline(store *s, char **err)
{
	return s_exec(s, "UPDATE nodes SET online = 0 WHERE online <> 0",
	    "cannot mark nodes offline", err);
}

int
store_set_drift_seq(store *s, const char *node, uint64_t seq, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, "UPDATE nodes SET last_drift_seq = ?2 "
	    "WHERE name = ?1", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, node, &rc);
	s_bind_u64(st, 2, seq, &rc);
	return s_update_node(s, st, rc, node, err);
}

/* ---- lingering guests ---- */

int
store_replace_lingering(store *s, const store_lingering *rows, size_t n,
    char **err)
{
	sqlite3_stmt *st;

	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_exec(s, "DELETE FROM lingering", "cannot replace lingering "
	    "guests", err) == -1)
		goto fail;
	st = s_prepare(s, "INSERT OR REPLACE INTO lingering (id, node, guest, "
	    "left_at) VALUES (?1, ?2, ?3, ?4)", err);
	if (st == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		int rc = SQLITE_OK;

		s_bind_text(st, 1, rows[i].id, &rc);
		s_bind_text(st, 2, rows[i].node, &rc);
		s_bind_blob(st, 3, rows[i].guest, rows[i].guest_len, &rc);
		s_bind_int(st, 4, rows[i].left_at, &rc);
		if (s_run(s, st, rc, "cannot store a lingering guest", err) == -1) {
			sqlite3_finalize(st);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	return s_commit(s, err);
fail:
	s_rollback(s);
	return -1;
}

int
store_list_lingering(store *s, store_lingering **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	store_lingering *list = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((st = s_prepare(s, "SELECT id, node, guest, left_at FROM lingering "
	    "ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = s_step(s, st, SQLITE_OK, "cannot list lingering guests",
	    err)) == 1) {
		store_lingering *r;

		xgrow(&list, &cap, count + 1, sizeof(*list));
		r = &list[count++];
		r->id = s_col_str(st, 0);
		r->node = s_col_str(st, 1);
		r->guest = s_col_blob(st, 2, &r->guest_len);
		r->left_at = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_lingering_list_free(&list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

void
store_lingering_list_free(store_lingering **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*list)[i].id);
		free((*list)[i].node);
		free((*list)[i].guest);
	}
	free(*list);
	*list = NULL;
}

void
store_node_clear(store_node *n)
{
	if (n == NULL)
		return;
	free(n->name);
	free(n->cluster);
	free(n->parts);
	free(n->dsgroups_hash);
	free(n->inventory);
	free(n->inventory_hash);
	memset(n, 0, sizeof(*n));
}

void
store_node_free(store_node **n)
{
	if (n == NULL || *n == NULL)
		return;
	store_node_clear(*n);
	free(*n);
	*n = NULL;
}

void
store_node_list_free(store_node **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_node_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

/* ---- drift ---- */

/* The statements one drift record needs, prepared once per batch. */
typedef struct s_drift_stmts {
	sqlite3_stmt *upsert;
	sqlite3_stmt *event;
	sqlite3_stmt *owner;
} s_drift_stmts;

static void
s_drift_stmts_finalize(s_drift_stmts *d)
{
	sqlite3_finalize(d->upsert);
	sqlite3_finalize(d->event);
	sqlite3_finalize(d->owner);
	memset(d, 0, sizeof(*d));
}

static int
s_drift_stmts_prepare(store *s, s_drift_stmts *d, char **err)
{
	memset(d, 0, sizeof(*d));
	/* A later transition updates the row only when it changes it, and
	 * only for the node that owns the drift. */
	d->upsert = s_prepare(s, "INSERT INTO drift (id, cluster, node, role, "
	    "kind, resource, expected, actual, policy_revision, mode, status, "
	    "detected_at, resolved_at, action, error, received_at, cause) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17) "
	    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, "
	    "resolved_at = excluded.resolved_at, action = excluded.action, "
	    "error = excluded.error, received_at = excluded.received_at "
	    "WHERE drift.node = excluded.node AND ("
	    "drift.status IS NOT excluded.status OR "
	    "drift.resolved_at IS NOT excluded.resolved_at OR "
	    "drift.action IS NOT excluded.action OR "
	    "drift.error IS NOT excluded.error)", err);
	if (d->upsert == NULL)
		goto fail;
	d->event = s_prepare(s, "INSERT INTO drift_events (drift_id, node, "
	    "node_seq, status, at, resolved_at, action, error, received_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err);
	if (d->event == NULL)
		goto fail;
	d->owner = s_prepare(s, "SELECT node FROM drift WHERE id = ?1", err);
	if (d->owner == NULL)
		goto fail;
	return 0;
fail:
	s_drift_stmts_finalize(d);
	return -1;
}

/* What is wrong with a record the store cannot keep, or NULL. */
static const char *
s_drift_problem(const drift_record *r)
{
	if (r->id == NULL || *r->id == '\0')
		return "no id";
	if (r->resource == NULL)
		return "no resource";
	if (s_enum_name(HOST_ROLE_NAMES, S_NROLES, (int)r->role) == NULL)
		return "unknown role";
	if (s_enum_name(DRIFT_KIND_NAMES, S_NKINDS, (int)r->kind) == NULL)
		return "unknown kind";
	if (s_enum_name(POLICY_MODE_NAMES, S_NMODES, (int)r->mode) == NULL)
		return "unknown mode";
	if (s_enum_name(DRIFT_STATUS_NAMES, S_NSTATUSES, (int)r->status) ==
	    NULL)
		return "unknown status";
	return NULL;
}

/* Logs when a drift id belongs to another node (its row was kept). */
static int
s_drift_owner_check(store *s, s_drift_stmts *d, const char *node,
    const char *id, char **err)
{
	int rc = SQLITE_OK;

	s_bind_text(d->owner, 1, id, &rc);
	rc = s_step(s, d->owner, rc, "cannot read a drift record", err);
	if (rc == 1) {
		const unsigned char *owner = sqlite3_column_text(d->owner, 0);

		if (owner && strcmp((const char *)owner, node) != 0)
			log_warnx("store: node %s reported drift %s, which "
			    "belongs to node %s; ignored", node, id,
			    (const char *)owner);
	}
	sqlite3_reset(d->owner);
	return rc == -1 ? -1 : 0;
}

/* Stores one checked record (row and, when it changed, a log entry);
 * node_seq 0 = made by the controller. */
static int
s_put_drift(store *s, s_drift_stmts *d, const char *node,
    const drift_record *r, uint64_t node_seq, char **err)
{
	sqlite3_stmt *st = d->upsert;
	const char *status = DRIFT_STATUS_NAMES[r->status];
	int rc = SQLITE_OK;

	s_bind_text(st, 1, r->id, &rc);
	s_bind_text(st, 2, r->cluster, &rc);
	s_bind_text(st, 3, node, &rc);
	s_bind_text(st, 4, HOST_ROLE_NAMES[r->role], &rc);
	s_bind_text(st, 5, DRIFT_KIND_NAMES[r->kind], &rc);
	s_bind_text(st, 6, r->resource, &rc);
	s_bind_text(st, 7, r->expected, &rc);
	s_bind_text(st, 8, r->actual, &rc);
	s_bind_opt_int(st, 9, r->policy_revision, &rc);
	s_bind_text(st, 10, POLICY_MODE_NAMES[r->mode], &rc);
	s_bind_text(st, 11, status, &rc);
	s_bind_int(st, 12, r->detected_at, &rc);
	s_bind_opt_int(st, 13, r->resolved_at, &rc);
	s_bind_text(st, 14, r->action, &rc);
	s_bind_text(st, 15, r->error, &rc);
	s_bind_int(st, 16, r->received_at, &rc);
	s_bind_text(st, 17, r->cause > DRIFT_CAUSE_UNKNOWN &&
	    r->cause <= DRIFT_CAUSE_OUT_OF_BAND ? DRIFT_CAUSE_NAMES[r->cause] :
	    NULL, &rc);
	if (s_run(s, st, rc, "cannot store a drift record", err) == -1)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return s_drift_owner_check(s, d, node, r->id, err);
	st = d->event;
	rc = SQLITE_OK;
	s_bind_text(st, 1, r->id, &rc);
	s_bind_text(st, 2, node, &rc);
	s_bind_opt_int(st, 3, (int64_t)node_seq, &rc);	/* range checked */
	s_bind_text(st, 4, status, &rc);
	s_bind_int(st, 5, r->resolved_at ? r->resolved_at : r->detected_at,
	    &rc);
	s_bind_opt_int(st, 6, r->resolved_at, &rc);
	s_bind_text(st, 7, r->action, &rc);
	s_bind_text(st, 8, r->error, &rc);
	s_bind_int(st, 9, r->received_at, &rc);
	if (s_run(s, st, rc, "cannot log a drift transition", err) == -1)
		return -1;
	s->pending_transitions[r->kind][r->status]++;	/* checked enums */
	/* The transition is an event of the stream, in this transaction. */
	return s_add_event(s, "drift", r->received_at ? r->received_at :
	    platform_now_ms() / 1000, node, sqlite3_last_insert_rowid(s->db),
	    NULL, NULL, r->cluster, err);
}

/* Reads a node's last_drift_seq inside the caller's transaction. */
static int
s_drift_seq(store *s, const char *node, uint64_t *seq, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, "SELECT last_drift_seq FROM nodes WHERE name = ?1",
	    err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, node, &rc);
	rc = s_step(s, st, rc, "cannot read the node", err);
	if (rc == 1)
		*seq = s_col_u64(st, 0);
	sqlite3_finalize(st);
	if (rc == 0)
		s_failx(s, err, "unknown node %s", node);
	return rc == 1 ? 0 : -1;
}

int
store_add_drift_batch(store *s, const char *node, uint64_t after,
    uint64_t first_seq, const drift_record *records, size_t n,
    uint64_t *acked_upto, char **err)
{
	s_drift_stmts d = { 0 };
	uint64_t last, end;
	sqlite3_stmt *st;
	const char *why;
	int rc = SQLITE_OK;

	if (node == NULL || (n > 0 && records == NULL)) {
		s_failx(s, err, "a drift batch needs a node and its records");
		return -1;
	}
	if (n > 0 && (first_seq == 0 || n > (uint64_t)INT64_MAX ||
	    first_seq > (uint64_t)INT64_MAX - n + 1)) {
		s_failx(s, err, "node %s: drift batch numbers %" PRIu64
		    "+%zu out of range", node, first_seq, n);
		return -1;
	}
	end = n > 0 ? first_seq + n - 1 : 0;
	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_drift_seq(s, node, &last, err) == -1)
		goto fail;
	if (after > last) {
		/* Something between last and the batch never got here (a
		 * batch lost or not stored): the node sends it again. */
		s_rollback(s);
		if (acked_upto)
			*acked_upto = last;
		return STORE_DRIFT_GAP;
	}
	if (n > 0 && first_seq > last + 1)
		log_warnx("store: node %s: drift records %" PRIu64 " to %"
		    PRIu64 " were lost on the node (its journal skipped them)",
		    node, last + 1, first_seq - 1);
	if (end > last) {
		if (s_drift_stmts_prepare(s, &d, err) == -1)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			uint64_t seq = first_seq + i;

			if (seq <= last)
				continue;
			if ((why = s_drift_problem(&records[i])) != NULL) {
				log_warnx("store: node %s: drift record %"
				    PRIu64 " skipped: %s", node, seq, why);
				continue;
			}
			if (s_put_drift(s, &d, node, &records[i], seq,
			    err) == -1)
				goto fail;
		}
		st = s_prepare(s, "UPDATE nodes SET last_drift_seq = ?2 "
		    "WHERE name = ?1", err);
		if (st == NULL)
			goto fail;
		s_bind_text(st, 1, node, &rc);
		s_bind_u64(st, 2, end, &rc);
		rc = s_run(s, st, rc, "cannot advance the drift number", err);
		sqlite3_finalize(st);
		if (rc == -1)
			goto fail;
		last = end;
	}
	s_drift_stmts_finalize(&d);
	if (s_commit(s, err) == -1)
		return -1;
	if (acked_upto)
		*acked_upto = last;
	return 0;
fail:
	s_drift_stmts_finalize(&d);
	s_rollback(s);
	return -1;
}

int
store_put_drift(store *s, const drift_record *r, char **err)
{
	s_drift_stmts d;
	const char *why;

	if ((why = s_drift_problem(r)) != NULL || r->node == NULL) {
		s_failx(s, err, "cannot store drift record: %s",
		    why ? why : "no node");
		return -1;
	}
	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_drift_stmts_prepare(s, &d, err) == -1)
		goto fail;
	if (s_put_drift(s, &d, r->node, r, 0, err) == -1) {
		s_drift_stmts_finalize(&d);
		goto fail;
	}
	s_drift_stmts_finalize(&d);
	return s_commit(s, err);
fail:
	s_rollback(s);
	return -1;
}

static void
s_forgotten_fields(jsonw *j, const void *arg)
{
	(void)arg;
	jsonw_kv_bool(j, "online", false);
	jsonw_kv_bool(j, "forgotten", true);
}

int
store_forget_node(store *s, const char *name, const drift_record *resolved,
    size_t n, int64_t at, char **err)
{
	sqlite3_stmt *st;
	s_drift_stmts d;
	char *data;
	int rc = SQLITE_OK;

	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_drift_stmts_prepare(s, &d, err) == -1)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (s_put_drift(s, &d, name, &resolved[i], 0, err) == -1) {
			s_drift_stmts_finalize(&d);
			goto fail;
		}
	s_drift_stmts_finalize(&d);
	if ((st = s_prepare(s, "DELETE FROM nodes WHERE name = ?1", err)) == NULL)
		goto fail;
	s_bind_text(st, 1, name, &rc);
	if (s_update_node(s, st, rc, name, err) == -1)
		goto fail;
	data = s_json_object(s_forgotten_fields, NULL);
	rc = s_add_event(s, "node", at, name, 0, data, "forgotten", NULL,
	    err);
	free(data);
	if (rc == -1)
		goto fail;
	return s_commit(s, err);
fail:
	s_rollback(s);
	return -1;
}

/* Binds ?1 node, ?2 since, ?3 open_only, ?4 the name of status open,
 * ?5 cluster (when the statement has it). */
static int
s_bind_filter(sqlite3_stmt *st, const store_drift_filter *f)
{
	int rc = SQLITE_OK;

	if (sqlite3_bind_parameter_count(st) >= 5)
		s_bind_text(st, 5, f ? f->cluster : NULL, &rc);
	s_bind_text(st, 1, f ? f->node : NULL, &rc);
	s_bind_int(st, 2, f ? f->since : 0, &rc);
	s_bind_int(st, 3, f ? f->open_only : 0, &rc);
	s_bind_text(st, 4, DRIFT_STATUS_NAMES[DRIFT_OPEN], &rc);
	return rc;
}

static int
s_drift_row(store *s, sqlite3_stmt *st, drift_record *r, char **err)
{
	int role, kind, mode, status;

	memset(r, 0, sizeof(*r));
	if ((role = s_col_enum(s, st, 3, HOST_ROLE_NAMES, S_NROLES, "role",
	    err)) == -1 ||
	    (kind = s_col_enum(s, st, 4, DRIFT_KIND_NAMES, S_NKINDS,
	    "drift kind", err)) == -1 ||
	    (mode = s_col_enum(s, st, 9, POLICY_MODE_NAMES, S_NMODES, "mode",
	    err)) == -1 ||
	    (status = s_col_enum(s, st, 10, DRIFT_STATUS_NAMES, S_NSTATUSES,
	    "drift status", err)) == -1)
		return -1;
	r->id = s_col_str(st, 0);
	r->cluster = s_col_str(st, 1);
	r->node = s_col_str(st, 2);
	r->role = (host_role)role;
	r->kind = (drift_kind)kind;
	r->resource = s_col_str(st, 5);
	r->expected = s_col_str(st, 6);
	r->actual = s_col_str(st, 7);
	r->policy_revision = sqlite3_column_int64(st, 8);
	r->mode = (policy_mode)mode;
	r->status = (drift_status)status;
	r->detected_at = sqlite3_column_int64(st, 11);
	r->resolved_at = sqlite3_column_int64(st, 12);
	r->action = s_col_str(st, 13);
	r->error = s_col_str(st, 14);
	r->received_at = sqlite3_column_int64(st, 15);
	r->cause = drift_cause_from_name((const char *)sqlite3_column_text(st,
	    16));
	return 0;
}

int
store_query_drift(store *s, const store_drift_filter *f, drift_record **out,
    size_t *n, char **err)
{
	sqlite3_stmt *st;
	drift_record *list = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	st = s_prepare(s, "SELECT id, cluster, node, role, kind, resource, "
	    "expected, actual, policy_revision, mode, status, detected_at, "
	    "resolved_at, action, error, received_at, cause FROM drift "
	    "WHERE (?1 IS NULL OR node = ?1) "
	    "AND (?2 = 0 OR received_at >= ?2) "
	    "AND (?3 = 0 OR status = ?4) "
	    "AND (?5 IS NULL OR instr(',' || lower(COALESCE(cluster, '')) || "
	    "',', ',' || lower(?5) || ',') > 0) "
	    "ORDER BY detected_at, id", err);
	if (st == NULL)
		return -1;
	rc = s_bind_filter(st, f);
	while ((rc = s_step(s, st, rc, "cannot query drift", err)) == 1) {
		xgrow(&list, &cap, count + 1, sizeof(*list));
		if (s_drift_row(s, st, &list[count], err) == -1) {
			drift_record_clear(&list[count]);
			rc = -1;
			break;
		}
		count++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_drift_list_free(&list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

void
store_drift_list_free(drift_record **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		drift_record_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

int
store_open_drift_by_node(store *s, store_count **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	store_count *list = NULL;
	size_t count = 0, cap = 0;
	int rc = SQLITE_OK;

	*out = NULL;
	*n = 0;
	st = s_prepare(s, "SELECT node, COUNT(*) FROM drift WHERE status = ?1 "
	    "GROUP BY node ORDER BY node", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, DRIFT_STATUS_NAMES[DRIFT_OPEN], &rc);
	while ((rc = s_step(s, st, rc, "cannot count open drift", err)) == 1) {
		xgrow(&list, &cap, count + 1, sizeof(*list));
		list[count].name = s_col_str(st, 0);
		list[count].count = sqlite3_column_int64(st, 1);
		count++;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_count_list_free(&list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

int
store_open_drift_by_kind(store *s, int64_t out[STORE_NKINDS], char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK, k;

	memset(out, 0, sizeof(int64_t) * STORE_NKINDS);
	st = s_prepare(s, "SELECT kind, COUNT(*) FROM drift WHERE status = "
	    "'open' GROUP BY kind", err);
	if (st == NULL)
		return -1;
	while ((rc = s_step(s, st, rc, "cannot count drift", err)) == 1) {
		k = drift_kind_from_name((const char *)sqlite3_column_text(st,
		    0));
		if (k >= 0 && k < STORE_NKINDS)
			out[k] = sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

void
store_get_stats(const store *s, store_stats *out)
{
	*out = s->stats;
}

void
store_count_list_free(store_count **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free((*list)[i].name);
	free(*list);
	*list = NULL;
}

int
store_list_drift_events(store *s, const store_drift_filter *f,
    store_drift_event **out, size_t *n, char **err)
{
	sqlite3_stmt *st;
	store_drift_event *list = NULL, *e;
	size_t count = 0, cap = 0;
	int rc, status;

	*out = NULL;
	*n = 0;
	st = s_prepare(s, "SELECT seq, drift_id, node, node_seq, status, at "
	    "FROM drift_events WHERE (?1 IS NULL OR node = ?1) "
	    "AND (?2 = 0 OR at >= ?2) AND (?3 = 0 OR status = ?4) "
	    "ORDER BY seq", err);
	if (st == NULL)
		return -1;
	rc = s_bind_filter(st, f);
	while ((rc = s_step(s, st, rc, "cannot list drift transitions",
	    err)) == 1) {
		if ((status = s_col_enum(s, st, 4, DRIFT_STATUS_NAMES,
		    S_NSTATUSES, "drift status", err)) == -1) {
			rc = -1;
			break;
		}
		xgrow(&list, &cap, count + 1, sizeof(*list));
		e = &list[count++];
		e->seq = sqlite3_column_int64(st, 0);
		e->drift_id = s_col_str(st, 1);
		e->node = s_col_str(st, 2);
		e->node_seq = s_col_u64(st, 3);
		e->status = (drift_status)status;
		e->at = sqlite3_column_int64(st, 5);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		store_drift_event_list_free(&list, count);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}

void
store_drift_event_list_free(store_drift_event **list, size_t n)
{
	if (list == NULL || *list == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*list)[i].drift_id);
		free((*list)[i].node);
	}
	free(*list);
	*list = NULL;
}

/* ---- plans ---- */

/* Stored hash of generation, or NULL (owned). */
static int
s_plan_hash(store *s, uint64_t generation, char **hash, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*hash = NULL;
	st = s_prepare(s, "SELECT hash FROM plans WHERE generation = ?1", err);
	if (st == NULL)
		return -1;
	s_bind_u64(st, 1, generation, &rc);
	rc = s_step(s, st, rc, "cannot read a plan", err);
	if (rc == 1)
		*hash = s_col_str(st, 0);
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

/* The plan as one row, its content encoded in body (schema version 6). */
static int
s_save_plan_row(store *s, const char *cluster, const plan *p,
    int64_t saved_at, char **err)
{
	Hvp__Plan *m = wire_plan_borrowed_new(p);
	sqlite3_stmt *st;
	uint8_t *body = NULL;
	size_t len = 0;
	int rc = SQLITE_OK;

	if (wire_encode_message(&m->base, &body, &len) == -1) {
		wire_plan_borrowed_free(&m);
		s_failx(s, err, "cannot encode plan generation %" PRIu64,
		    p->generation);
		return -1;
	}
	wire_plan_borrowed_free(&m);
	st = s_prepare(s, "INSERT INTO plans (generation, hash, saved_at, "
	    "cluster, body) VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (st == NULL) {
		free(body);
		return -1;
	}
	s_bind_u64(st, 1, p->generation, &rc);
	s_bind_text(st, 2, p->hash, &rc);
	s_bind_int(st, 3, saved_at, &rc);
	s_bind_text(st, 4, cluster, &rc);
	s_bind_blob(st, 5, body, len, &rc);
	rc = s_run(s, st, rc, "cannot store the plan", err);
	sqlite3_finalize(st);
	free(body);
	return rc;
}

/* Keeps the newest STORE_PLAN_KEEP plans of the cluster. */
static int
s_prune_plans(store *s, const char *cluster, char **err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	st = s_prepare(s, "DELETE FROM plans WHERE cluster = ?2 AND "
	    "generation NOT IN (SELECT generation FROM plans WHERE cluster = "
	    "?2 ORDER BY generation DESC LIMIT ?1)", err);
	if (st == NULL)
		return -1;
	s_bind_int(st, 1, STORE_PLAN_KEEP, &rc);
	s_bind_text(st, 2, cluster, &rc);
	rc = s_run(s, st, rc, "cannot prune old plans", err);
	sqlite3_finalize(st);
	return rc;
}

static void
s_plan_fields(jsonw *j, const void *arg)
{
	const plan *p = arg;

	jsonw_kv_int(j, "generation", (int64_t)p->generation);
	jsonw_kv_str(j, "hash", p->hash);
	jsonw_kv_int(j, "groups", (int64_t)p->ngroups);
	jsonw_kv_int(j, "unplanned", (int64_t)p->nunplanned);
}

int
store_save_plan(store *s, const plan *p, int64_t saved_at, char **err)
{
	return store_save_plan_in(s, NULL, p, saved_at, err);
}

int
store_save_plan_in(store *s, const char *cluster, const plan *p,
    int64_t saved_at, char **err)
{
	char *stored = NULL, *data, *summary, *cl = NULL;
	int64_t newest;
	int rc;

	if (p->generation == 0 || p->generation > (uint64_t)INT64_MAX ||
	    p->hash[0] == '\0') {
		s_failx(s, err, "a plan needs a generation (1 or more) and a "
		    "hash");
		return -1;
	}
	if (s_begin_write(s, err) == -1)
		return -1;
	if (s_cluster(s, cluster, &cl, err) == -1 ||
	    s_plan_hash(s, p->generation, &stored, err) == -1)
		goto fail;
	if (stored) {
		if (strcmp(stored, p->hash) != 0) {
			s_failx(s, err, "plan generation %" PRIu64 " is stored "
			    "already with another hash", p->generation);
			goto fail;
		}
		free(stored);
		free(cl);
		s_rollback(s);
		return 0;
	}
	if (s_query_int(s, "SELECT COALESCE(MAX(generation), 0) FROM plans",
	    &newest, err) == -1)
		goto fail;
	if ((uint64_t)newest > p->generation) {
		s_failx(s, err, "plan generation %" PRIu64 " is older than the "
		    "stored generation %" PRId64, p->generation, newest);
		goto fail;
	}
	if (s_save_plan_row(s, cl, p, saved_at, err) == -1 ||
	    s_prune_plans(s, cl, err) == -1)
		goto fail;
	data = s_json_object(s_plan_fields, p);
	summary = xasprintf("plan generation %" PRIu64 ": %zu groups, %zu "
	    "unplanned", p->generation, p->ngroups, p->nunplanned);
	rc = s_add_event(s, "plan", saved_at, NULL, 0, data, summary, cl, err);
	free(summary);
	free(data);
	if (rc == -1)
		goto fail;
	free(cl);
	return s_commit(s, err);
fail:
	free(cl);
	free(stored);
	s_rollback(s);
	return -1;
}

int
store_newest_plan_generation(store *s, uint64_t *generation, char **err)
{
	int64_t g = 0;

	if (s_query_int(s, "SELECT COALESCE(MAX(generation), 0) FROM plans",
	    &g, err) == -1)
		return -1;
	*generation = (uint64_t)g;
	return 0;
}

/* The group a child row (group_ord, ord) belongs to, when the row comes
 * next in that group; NULL when the rows are out of order. *cur and *cap
 * follow the group being filled (rows arrive grouped). */
static plan_group *
s_child_group(plan *p, sqlite3_stmt *st, bool csvs, size_t *cur, size_t *cap)
{
	int64_t gi = sqlite3_column_int64(st, 0);
	int64_t ord = sqlite3_column_int64(st, 1);
	plan_group *g;

	if (gi < 0 || (uint64_t)gi >= p->ngroups)
		return NULL;
	g = &p->groups[gi];
	if ((size_t)gi != *cur) {
		*cur = (size_t)gi;
		*cap = csvs ? g->ncsvs : g->nguests;
	}
	if (ord != (int64_t)(csvs ? g->ncsvs : g->nguests))
		return NULL;
	return g;
}

static int
s_load_groups(store *s, plan *p, char **err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = SQLITE_OK;

	st = s_prepare(s, "SELECT ord, name FROM plan_groups "
	    "WHERE generation = ?1 ORDER BY ord", err);
	if (st == NULL)
		return -1;
	s_bind_u64(st, 1, p->generation, &rc);
	while ((rc = s_step(s, st, rc, "cannot read plan groups", err)) == 1) {
		if (sqlite3_column_int64(st, 0) != (int64_t)p->ngroups) {
			s_failx(s, err, "plan %" PRIu64 ": groups out of order",
			    p->generation);
			rc = -1;
			break;
		}
		xgrow(&p->groups, &cap, p->ngroups + 1, sizeof(*p->groups));
		memset(&p->groups[p->ngroups], 0, sizeof(*p->groups));
		p->groups[p->ngroups++].name = s_col_str(st, 1);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

static int
s_load_csvs(store *s, plan *p, char **err)
{
	sqlite3_stmt *st;
	plan_group *g;
	size_t cur = SIZE_MAX, cap = 0;
	int rc = SQLITE_OK;

	st = s_prepare(s, "SELECT group_ord, ord, csv FROM plan_group_csvs "
	    "WHERE generation = ?1 ORDER BY group_ord, ord", err);
	if (st == NULL)
		return -1;
	s_bind_u64(st, 1, p->generation, &rc);
	while ((rc = s_step(s, st, rc, "cannot read plan CSVs", err)) == 1) {
		if ((g = s_child_group(p, st, true, &cur, &cap)) == NULL) {
			s_failx(s, err, "plan %" PRIu64 ": CSV rows out of "
			    "order", p->generation);
			rc = -1;
			break;
		}
		xgrow(&g->csvs, &cap, g->ncsvs + 1, sizeof(*g->csvs));
		g->csvs[g->ncsvs++] = s_col_str(st, 2);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

static int
s_load_guests(store *s, plan *p, char **err)
{
	sqlite3_stmt *st;
	plan_group *g;
	plan_guest *gu;
	size_t cur = SIZE_MAX, cap = 0;
	int rc = SQLITE_OK;

	st = s_prepare(s, "SELECT group_ord, ord, name, guest_id, node "
	    "FROM plan_guests WHERE generation = ?1 ORDER BY group_ord, ord",
	    err);
	if (st == NULL)
		return -1;
	s_bind_u64(st, 1, p->generation, &rc);
	while ((rc = s_step(s, st, rc, "cannot read plan guests", err)) == 1) {
		if ((g = s_child_group(p, st, false, &cur, &cap)) == NULL) {
			s_failx(s, err, "plan %" PRIu64 ": guest rows out of "
			    "order", p->generation);
			rc = -1;
			break;
		}
		xgrow(&g->guests, &cap, g->nguests + 1, sizeof(*g->guests));
		gu = &g->guests[g->nguests++];
		gu->name = s_col_str(st, 2);
		gu->id = s_col_str(st, 3);
		gu->node = s_col_str(st, 4);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

static int
s_load_unplanned(store *s, plan *p, char **err)
{
	sqlite3_stmt *st;
	plan_unplanned *u;
	size_t cap = 0;
	int rc = SQLITE_OK;

	st = s_prepare(s, "SELECT ord, name, guest_id, node, reason "
	    "FROM plan_unplanned WHERE generation = ?1 ORDER BY ord", err);
	if (st == NULL)
		return -1;
	s_bind_u64(st, 1, p->generation, &rc);
	while ((rc = s_step(s, st, rc, "cannot read unplanned guests",
	    err)) == 1) {
		if (sqlite3_column_int64(st, 0) != (int64_t)p->nunplanned) {
			s_failx(s, err, "plan %" PRIu64 ": unplanned rows out "
			    "of order", p->generation);
			rc = -1;
			break;
		}
		xgrow(&p->unplanned, &cap, p->nunplanned + 1,
		    sizeof(*p->unplanned));
		u = &p->unplanned[p->nunplanned++];
		u->name = s_col_str(st, 1);
		u->id = s_col_str(st, 2);
		u->node = s_col_str(st, 3);
		u->reason = s_col_str(st, 4);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : 0;
}

/* A plan stored as one row (body): NULL with *err when the body is not
 * the plan its row names. */
static plan *
s_plan_from_body(store *s, uint64_t generation, const char *hash,
    const uint8_t *body, size_t len, char **err)
{
	Hvp__Plan *m = hvp__plan__unpack(NULL, len, body);
	char *why = NULL;
	plan *p = m ? wire_plan_to_plan(m, &why) : NULL;

	if (m)
		hvp__plan__free_unpacked(m, NULL);
	if (p && (p->generation != generation || strcmp(p->hash, hash) != 0))
		plan_free(&p);
	if (p == NULL)
		s_failx(s, err, "plan generation %" PRIu64 ": its stored body "
		    "does not decode to that plan%s%s", generation,
		    why ? ": " : "", why ? why : "");
	free(why);
	return p;
}

/* Loads generation inside the caller's read transaction. */
static int
s_load_plan(store *s, uint64_t generation, plan **out, char **err)
{
	sqlite3_stmt *st;
	char *hash = NULL;
	uint8_t *body = NULL;
	size_t len = 0;
	int rc = SQLITE_OK;
	plan *p;

	*out = NULL;
	st = s_prepare(s, "SELECT hash, body FROM plans WHERE generation = ?1",
	    err);
	if (st == NULL)
		return -1;
	s_bind_u64(st, 1, generation, &rc);
	rc = s_step(s, st, rc, "cannot read a plan", err);
	if (rc == 1) {
		hash = s_col_str(st, 0);
		body = s_col_blob(st, 1, &len);
	}
	sqlite3_finalize(st);
	if (rc == -1 || hash == NULL) {
		free(hash);
		return rc == -1 ? -1 : 0;
	}
	if (body) {
		p = s_plan_from_body(s, generation, hash, body, len, err);
		free(body);
		free(hash);
		if (p == NULL)
			return -1;
		*out = p;
		return 0;
	}
	p = plan_new();
	p->generation = generation;
	snprintf(p->hash, sizeof(p->hash), "%s", hash);
	free(hash);
	if (s_load_groups(s, p, err) == -1 || s_load_csvs(s, p, err) == -1 ||
	    s_load_guests(s, p, err) == -1 ||
	    s_load_unplanned(s, p, err) == -1) {
		plan_free(&p);
		return -1;
	}
	*out = p;
	return 0;
}

int
store_load_plan(store *s, uint64_t generation, plan **out, char **err)
{
	*out = NULL;
	if (s_begin_read(s, err) == -1)
		return -1;
	if (s_load_plan(s, generation, out, err) == -1) {
		s_rollback(s);
		return -1;
	}
	s_rollback(s);		/* read only: nothing to keep */
	return 0;
}

int
store_load_latest_plan(store *s, plan **out, char **err)
{
	return store_load_latest_plan_in(s, NULL, out, err);
}

int
store_load_latest_plan_in(store *s, const char *cluster, plan **out,
    char **err)
{
	int64_t newest;
	char *cl = NULL;
	int rc;

	*out = NULL;
	if (s_begin_read(s, err) == -1)
		return -1;
	if (s_cluster(s, cluster, &cl, err) == -1) {
		s_rollback(s);
		return -1;
	}
	rc = s_query_int_text(s, "SELECT COALESCE(MAX(generation), 0) FROM "
	    "plans WHERE cluster = ?1", cl, &newest, err);
	free(cl);
	if (rc == -1 ||
	    (newest > 0 && s_load_plan(s, (uint64_t)newest, out, err) == -1)) {
		s_rollback(s);
		return -1;
	}
	s_rollback(s);
	return 0;
}

int
store_list_plans(store *s, store_plan_info **out, size_t *n, char **err)
{
	return store_list_plans_in(s, NULL, out, n, err);
}

int
store_list_plans_in(store *s, const char *cluster, store_plan_info **out,
    size_t *n, char **err)
{
	sqlite3_stmt *st;
	store_plan_info *list = NULL, *e;
	size_t count = 0, cap = 0;
	int rc = SQLITE_OK;

	*out = NULL;
	*n = 0;
	st = s_prepare(s, "SELECT generation, hash, saved_at FROM plans "
	    "WHERE ?1 IS NULL OR cluster = ?1 ORDER BY generation", err);
	if (st == NULL)
		return -1;
	s_bind_text(st, 1, cluster, &rc);
	while ((rc = s_step(s, st, rc, "cannot list plans", err)) == 1) {
		const unsigned char *hash = sqlite3_column_text(st, 1);

		xgrow(&list, &cap, count + 1, sizeof(*list));
		e = &list[count++];
		e->generation = s_col_u64(st, 0);
		snprintf(e->hash, sizeof(e->hash), "%s",
		    hash ? (const char *)hash : "");
		e->saved_at = sqlite3_column_int64(st, 2);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == -1) {
		free(list);
		return -1;
	}
	*out = list;
	*n = count;
	return 0;
}
