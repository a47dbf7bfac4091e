/*
 * The PostgreSQL backend of the catalog, over libpq: one connection from a
 * postgresql:// URL, statements sent with PQexecParams (text parameters,
 * '?' rewritten to $n). Runs at READ COMMITTED: an UPDATE that waited for a
 * concurrent writer re-checks its WHERE on the new row, which is what makes
 * the metadata_location compare-and-swap safe.
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"

typedef struct {
	PGconn *pg;
	bool in_tx;
} pg_conn;

/* Notices ("relation already exists, skipping") are not errors and not the
 * user's business. */
static void ignore_notice(void *arg, const char *message)
{
	(void)arg; (void)message;
}

char *pond__catalog_pg_placeholders(const char *sql)
{
	pond_buf buf = POND_BUF_INIT;
	int n = 0;
	char quote = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0; /* a doubled quote reopens on the next char */
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '?') {
			pond_buf_printf(&buf, "$%d", ++n);
			continue;
		}
		pond_buf_putc(&buf, *p);
	}
	if (!pond_buf_ok(&buf)) {
		pond_buf_dispose(&buf);
		return NULL;
	}
	if (!buf.ptr)
		return pond_strdup("");
	return pond_buf_detach(&buf);
}

/* First line of libpq's message, without "ERROR:  " decorations. */
static int pg_fail(pg_conn *c, PGresult *res, const char *what, pond_error *err)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(c->pg);
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int code = POND_ESQL;
	if (state && strcmp(state, "23505") == 0)
		code = POND_EEXISTS;
	else if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		code = POND_ECONFLICT;
	else if (state && strncmp(state, "08", 2) == 0)
		code = POND_EIO;
	else if (PQstatus(c->pg) != CONNECTION_OK)
		code = POND_EIO;
	size_t len = strcspn(msg, "\n");
	return pond_error_set(err, code, "postgresql catalog %s@%s:%s: %s: %.*s", PQdb(c->pg),
	                      PQhost(c->pg), PQport(c->pg), what, (int)len, msg);
}

static PGresult *pg_run(pg_conn *c, const char *sql, const char *const *params, size_t nparams,
                        pond_error *err)
{
	char *text = pond__catalog_pg_placeholders(sql);
	if (!text) {
		pond_error_set(err, POND_ENOMEM, "out of memory preparing catalog statement");
		return NULL;
	}
	PGresult *res = PQexecParams(c->pg, text, (int)nparams, NULL, params, NULL, NULL, 0);
	pond_free(text);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_fail(c, res, "statement failed", err);
		PQclear(res);
		return NULL;
	}
	return res;
}

static int pg_exec(void *conn, const char *sql, const char *const *params, size_t nparams,
                   long *changes, pond_error *err)
{
	PGresult *res = pg_run(conn, sql, params, nparams, err);
	if (!res)
		return err ? err->code : POND_ESQL;
	if (changes)
		*changes = atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

static int pg_query(void *conn, const char *sql, const char *const *params, size_t nparams,
                    pond_catalog_row_fn fn, void *payload, pond_error *err)
{
	enum { MAX_COLS = 64 };
	PGresult *res = pg_run(conn, sql, params, nparams, err);
	if (!res)
		return err ? err->code : POND_ESQL;
	int ncols = PQnfields(res), nrows = PQntuples(res);
	if (ncols > MAX_COLS) {
		PQclear(res);
		return pond_error_set(err, POND_ELIMIT, "catalog query returns %d columns, at most %d",
		                      ncols, MAX_COLS);
	}
	const char *names[MAX_COLS], *values[MAX_COLS];
	for (int i = 0; i < ncols; i++)
		names[i] = PQfname(res, i);
	int rc = 0;
	for (int r = 0; r < nrows && fn && !rc; r++) {
		for (int i = 0; i < ncols; i++)
			values[i] = PQgetisnull(res, r, i) ? NULL : PQgetvalue(res, r, i);
		rc = fn(ncols, names, values, payload);
	}
	PQclear(res);
	return rc;
}

static int pg_begin(void *conn, pond_error *err)
{
	pg_conn *c = conn;
	int rc = pg_exec(conn, "BEGIN", NULL, 0, NULL, err);
	if (!rc)
		c->in_tx = true;
	return rc;
}

static int pg_commit(void *conn, pond_error *err)
{
	pg_conn *c = conn;
	c->in_tx = false;
	return pg_exec(conn, "COMMIT", NULL, 0, NULL, err);
}

static void pg_rollback(void *conn)
{
	pg_conn *c = conn;
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	c->in_tx = false;
}

static void pg_close(void *conn)
{
	pg_conn *c = conn;
	if (!c)
		return;
	PQfinish(c->pg);
	pond_free(c);
}

int pond__catalog_postgres_open(void **out, const char *url, pond_error *err)
{
	*out = NULL;
	pg_conn *c = pond_calloc(1, sizeof(*c));
	if (!c)
		return pond_error_set(err, POND_ENOMEM, "out of memory opening catalog");
	c->pg = PQconnectdb(url);
	if (!c->pg) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory connecting to postgresql catalog");
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(c->pg);
		/* libpq's message may hold a password only if the URL did; name
		 * the server by host and port, never by the URL. */
		int rc = pond_error_set(err, POND_EIO, "could not connect to postgresql catalog %s:%s: %.*s",
		                        PQhost(c->pg) ? PQhost(c->pg) : "?",
		                        PQport(c->pg) ? PQport(c->pg) : "?",
		                        (int)strcspn(msg, "\n"), msg);
		pg_close(c);
		return rc;
	}
	PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
	int rc = pg_exec(c, "SET client_min_messages = warning", NULL, 0, NULL, err);
	if (rc) {
		pg_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

const pond__catalog_backend pond__catalog_postgres = {
	.name = "postgresql",
	/* CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL (both
	 * sessions insert into pg_type); a transaction-scoped advisory lock
	 * makes concurrent openers take turns. */
	.ddl_lock_sql = "SELECT pg_advisory_xact_lock(7349012650091)",
	.table_exists_sql = "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = ? AND schemaname = current_schema()",
	.exec = pg_exec,
	.query = pg_query,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.close = pg_close,
	/* pond_catalog_snapshot reads every table as of one moment. */
	.snapshot_tx_sql = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
};
