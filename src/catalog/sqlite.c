/*
 * The SQLite backend of the catalog: one database file in WAL mode, so
 * readers never wait for the writer, with a busy timeout so that writers in
 * other processes queue instead of failing. Write transactions start with
 * BEGIN IMMEDIATE: a deferred transaction that reads and then writes can
 * fail with SQLITE_BUSY without waiting, when another process committed in
 * between (WAL snapshot rule).
 */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"

/* Prepared statements kept for reuse, by SQL text: pond runs the same few
 * catalog statements over and over (a buffered insert runs four), and
 * preparing costs more than running them. */
enum { STMT_CACHE = 32 };

typedef struct {
	char *sql;
	sqlite3_stmt *stmt;
	bool busy;   /* handed out; a nested use of the same text prepares its own */
} cached_stmt;

typedef struct {
	sqlite3 *db;
	char *path;
	cached_stmt cache[STMT_CACHE];
	size_t next_evict;
} sqlite_conn;

static int sqlite_fail(sqlite_conn *c, int rc, const char *what, pond_error *err)
{
	int code = POND_ESQL;
	int primary = rc & 0xff;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
		code = POND_EEXISTS;
	else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return pond_error_set(err, POND_EIO, "could not %s in catalog %s: %s", what, c->path,
		                      sqlite3_errmsg(c->db));
	else if (primary == SQLITE_NOMEM)
		code = POND_ENOMEM;
	else if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL)
		code = POND_EIO;
	else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
		code = POND_ECORRUPT;
	return pond_error_set(err, code, "catalog %s: %s: %s", c->path, what, sqlite3_errmsg(c->db));
}

/* A statement for sql: the cached one (reset) when there is one free,
 * else a new one, cached when a slot can take it. */
static int statement(sqlite_conn *c, sqlite3_stmt **stmt, const char *sql, pond_error *err)
{
	cached_stmt *slot = NULL;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		cached_stmt *e = &c->cache[i];
		if (e->sql && !e->busy && strcmp(e->sql, sql) == 0) {
			e->busy = true;
			*stmt = e->stmt;
			return 0;
		}
		if (!slot && !e->sql)
			slot = e;
	}
	int rc = sqlite3_prepare_v2(c->db, sql, -1, stmt, NULL);
	if (rc != SQLITE_OK)
		return sqlite_fail(c, rc, "prepare statement", err);
	if (!slot) {  /* evict round-robin, never a statement in use */
		for (size_t k = 0; k < STMT_CACHE && !slot; k++) {
			cached_stmt *e = &c->cache[(c->next_evict + k) % STMT_CACHE];
			if (!e->busy)
				slot = e;
		}
		c->next_evict = (c->next_evict + 1) % STMT_CACHE;
		if (slot) {
			sqlite3_finalize(slot->stmt);
			pond_free(slot->sql);
			slot->sql = NULL;
		}
	}
	if (slot && (slot->sql = pond_strdup(sql)) != NULL) {
		slot->stmt = *stmt;
		slot->busy = true;
	}
	return 0;
}

/* Gives back a statement from statement(): a cached one is reset for the
 * next use (releasing its locks), any other is finalized. */
static void release(sqlite_conn *c, sqlite3_stmt *stmt)
{
	for (size_t i = 0; i < STMT_CACHE; i++) {
		cached_stmt *e = &c->cache[i];
		if (e->sql && e->stmt == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			e->busy = false;
			return;
		}
	}
	sqlite3_finalize(stmt);
}

static int prepare(sqlite_conn *c, sqlite3_stmt **stmt, const char *sql, const char *const *params,
                   size_t nparams, pond_error *err)
{
	int rc = statement(c, stmt, sql, err);
	if (rc)
		return rc;
	int want = sqlite3_bind_parameter_count(*stmt);
	if ((size_t)want != nparams) {
		release(c, *stmt);
		*stmt = NULL;
		return pond_error_set(err, POND_EINVAL, "catalog statement wants %d parameters, got %zu",
		                      want, nparams);
	}
	for (size_t i = 0; i < nparams; i++) {
		rc = params[i] ? sqlite3_bind_text(*stmt, (int)i + 1, params[i], -1, SQLITE_STATIC)
		               : sqlite3_bind_null(*stmt, (int)i + 1);
		if (rc != SQLITE_OK) {
			release(c, *stmt);
			*stmt = NULL;
			return sqlite_fail(c, rc, "bind parameter", err);
		}
	}
	return 0;
}

static int sqlite_exec(void *conn, const char *sql, const char *const *params, size_t nparams,
                       long *changes, pond_error *err)
{
	sqlite_conn *c = conn;
	sqlite3_stmt *stmt;
	int rc = prepare(c, &stmt, sql, params, nparams, err);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		rc = sqlite_fail(c, sqlite3_extended_errcode(c->db), "run statement", err);
		release(c, stmt);
		return rc;
	}
	if (changes)
		*changes = (long)sqlite3_changes(c->db);
	release(c, stmt);
	return 0;
}

static int sqlite_query(void *conn, const char *sql, const char *const *params, size_t nparams,
                        pond_catalog_row_fn fn, void *payload, pond_error *err)
{
	enum { MAX_COLS = 64 };
	sqlite_conn *c = conn;
	sqlite3_stmt *stmt;
	int rc = prepare(c, &stmt, sql, params, nparams, err);
	if (rc)
		return rc;
	int ncols = sqlite3_column_count(stmt);
	if (ncols > MAX_COLS) {
		release(c, stmt);
		return pond_error_set(err, POND_ELIMIT, "catalog query returns %d columns, at most %d",
		                      ncols, MAX_COLS);
	}
	const char *names[MAX_COLS], *values[MAX_COLS];
	for (int i = 0; i < ncols; i++)
		names[i] = sqlite3_column_name(stmt, i);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++) {
			values[i] = (const char *)sqlite3_column_text(stmt, i);
			if (!values[i] && sqlite3_column_type(stmt, i) != SQLITE_NULL) {
				release(c, stmt);
				return pond_error_set(err, POND_ENOMEM, "out of memory reading catalog %s",
				                      c->path);
			}
		}
		int stop = fn ? fn(ncols, names, values, payload) : 0;
		if (stop) {
			release(c, stmt);
			return stop;
		}
	}
	if (rc != SQLITE_DONE)
		rc = sqlite_fail(c, sqlite3_extended_errcode(c->db), "run query", err);
	else
		rc = 0;
	release(c, stmt);
	return rc;
}

static int sqlite_begin(void *conn, pond_error *err)
{
	return sqlite_exec(conn, "BEGIN IMMEDIATE", NULL, 0, NULL, err);
}

static int sqlite_commit(void *conn, pond_error *err)
{
	return sqlite_exec(conn, "COMMIT", NULL, 0, NULL, err);
}

static void sqlite_rollback(void *conn)
{
	sqlite_conn *c = conn;
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

int pond__catalog_sqlite_remove(const char *path, pond_error *err)
{
	return pond_catalog_sqlite_remove_files(path, true, err);
}

int pond_catalog_sqlite_remove_files(const char *path, bool database, pond_error *err)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = database ? 0 : 1; i < sizeof suffixes / sizeof *suffixes; i++) {
		pond_buf p = POND_BUF_INIT;
		pond_buf_printf(&p, "%s%s", path, suffixes[i]);
		int gone = pond_buf_ok(&p) && (unlink(pond_buf_cstr(&p)) == 0 || errno == ENOENT);
		if (!gone) {
			int rc = pond_error_set(err, POND_EIO, "could not remove %s: %s",
			                        pond_buf_ok(&p) ? pond_buf_cstr(&p) : path, strerror(errno));
			pond_buf_dispose(&p);
			return rc;
		}
		pond_buf_dispose(&p);
	}
	return 0;
}

/* The online backup API copies every page in one step, so the copy is the
 * database as one read transaction saw it (WAL: writers go on meanwhile).
 * The copy is switched out of WAL mode: it is one self-contained file. */
static int sqlite_snapshot(void *conn, const char *path, pond_error *err)
{
	sqlite_conn *c = conn;
	sqlite3 *dest = NULL;
	int rc = pond__catalog_sqlite_remove(path, err);
	if (rc)
		return rc;
	rc = sqlite3_open_v2(path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = pond_error_set(err, POND_EIO, "could not create %s: %s", path,
		                    dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
		sqlite3_close_v2(dest);
		return rc;
	}
	sqlite3_backup *b = sqlite3_backup_init(dest, "main", c->db, "main");
	if (!b) {
		rc = pond_error_set(err, POND_ESQL, "could not copy catalog %s to %s: %s", c->path, path,
		                    sqlite3_errmsg(dest));
		sqlite3_close_v2(dest);
		return rc;
	}
	/* A busy source (a writer checkpointing) is retried within the
	 * connection's busy timeout by SQLite itself; step -1 copies all. */
	int step = sqlite3_backup_step(b, -1);
	int fin = sqlite3_backup_finish(b);
	if (step != SQLITE_DONE || fin != SQLITE_OK) {
		rc = pond_error_set(err, POND_EIO, "could not copy catalog %s to %s: %s", c->path, path,
		                    sqlite3_errstr(step != SQLITE_DONE ? step : fin));
		sqlite3_close_v2(dest);
		return rc;
	}
	char *msg = NULL;
	rc = sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		rc = pond_error_set(err, POND_EIO, "could not finish %s: %s", path, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	if (sqlite3_close_v2(dest) != SQLITE_OK && rc == 0)
		rc = pond_error_set(err, POND_EIO, "could not close %s", path);
	return rc;
}

static void sqlite_close(void *conn)
{
	sqlite_conn *c = conn;
	if (!c)
		return;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(c->cache[i].stmt);
		pond_free(c->cache[i].sql);
	}
	sqlite3_close_v2(c->db);
	pond_free(c->path);
	pond_free(c);
}

int pond__catalog_sqlite_open(void **out, const char *path, int busy_timeout_ms, pond_error *err)
{
	*out = NULL;
	sqlite_conn *c = pond_calloc(1, sizeof(*c));
	if (!c || !(c->path = pond_strdup(path))) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening catalog %s", path);
	}
	int rc = sqlite3_open_v2(path, &c->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = pond_error_set(err, POND_EIO, "could not open catalog %s: %s", path,
		                    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite_close(c);
		return rc;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, busy_timeout_ms);
	/* WAL: readers and one writer at once, across processes. NORMAL sync
	 * is durable at checkpoints and never corrupts in WAL mode. */
	/* Switching a new file to WAL takes it alone for a moment: a connection
	 * doing the same at that moment is told "locked" at once instead of
	 * waiting, so that is retried within the busy timeout. */
	int64_t deadline = pond_time_mono_ns() + (int64_t)busy_timeout_ms * 1000000;
	while ((rc = sqlite_query(c, "PRAGMA journal_mode=WAL", NULL, 0, NULL, NULL, err)) != 0 &&
	       (sqlite3_errcode(c->db) & 0xff) == SQLITE_BUSY && pond_time_mono_ns() < deadline) {
		pond_error_clear(err);
		pond_time_sleep_ms(5);
	}
	if (rc == 0)
		rc = sqlite_exec(c, "PRAGMA synchronous=NORMAL", NULL, 0, NULL, err);
	if (rc == 0)
		rc = sqlite_exec(c, "PRAGMA foreign_keys=ON", NULL, 0, NULL, err);
	if (rc) {
		sqlite_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

const pond__catalog_backend pond__catalog_sqlite = {
	.name = "sqlite",
	.table_exists_sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
	.exec = sqlite_exec,
	.query = sqlite_query,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.close = sqlite_close,
	.snapshot = sqlite_snapshot,
};
