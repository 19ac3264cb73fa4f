/*
 * hold_lock.c: another process holding hvpolicy.db's lock, for the store
 * tests (tests/integration/test_load.sh): what a backup tool, an
 * operator's sqlite3 shell or a stuck script does to a running
 * controller: BEGIN EXCLUSIVE and a write, so no other connection can
 * write (in WAL mode readers go on; a lock that stops readers too cannot
 * be taken while the controller has the database open).
 *
 * usage: hvp-hold-lock DB SECONDS
 * Prints "locked" once it holds the lock, releases it after SECONDS.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int
s_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "hold-lock: %s: %s\n", sql,
		    msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	int rc = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: hvp-hold-lock DB SECONDS\n");
		return 64;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "hold-lock: %s: %s\n", argv[1],
		    sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	if (s_exec(db, "BEGIN EXCLUSIVE") == -1 ||
	    s_exec(db, "UPDATE nodes SET last_seen = last_seen") == -1)
		goto out;
	printf("locked\n");
	fflush(stdout);
	sqlite3_sleep(atoi(argv[2]) * 1000);
	if (s_exec(db, "COMMIT") == -1)
		goto out;
	rc = 0;
out:
	sqlite3_close(db);
	return rc;
}
