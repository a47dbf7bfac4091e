/*
 * Database sources. PostgreSQL through libpq: the query's column types come
 * from describing it, the rows stream out with COPY ... TO STDOUT as CSV
 * into a temporary file (memory holds one copy buffer, never the result),
 * read back by DuckDB with those types. SQLite through sqlite3: rows step
 * into NDJSON. Both can be incremental on a column: rows above the last
 * committed value only, the new maximum committed with the rows.
 */
#include "ingest_internal.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

/* ---- shared ----------------------------------------------------------------------- */

int pond__ingest_column_cursor(json_t **out, pond_lake *lake, const pond_source *s, pond_arena *a, pond_error *err)
{
	*out = NULL;
	const char *text;
	int rc = pond_ingest_state(&text, lake, s->write.table, s->name, a, err);
	if (rc)
		return rc;
	json_error_t je;
	json_t *state = text ? json_loads(text, 0, &je) : NULL;
	json_t *cur = state ? json_object_get(state, "cursor") : NULL;
	if (cur && !json_is_null(cur))
		*out = json_incref(cur);
	else if (s->cursor_initial) {
		int64_t n;
		*out = pond_str_to_i64(s->cursor_initial, &n) ? json_integer(n) : json_string(s->cursor_initial);
	}
	json_decref(state);
	return 0;
}

/* The new state after a load: {"cursor": max(field)} over what was read. */
static int new_state(const char **out, pond_lake *lake, const pond_source *s, const char *read_sql, pond_arena *a,
                     pond_error *err)
{
	*out = NULL;
	if (!s->cursor_field)
		return 0;
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "SELECT json_object('cursor', max(");
	pond_sql_quote_ident(&q, s->cursor_field);
	pond_buf_printf(&q, "))::VARCHAR FROM (%s)", read_sql);
	char *text = NULL;
	int rc = pond_buf_ok(&q) ? pond_engine_query_string(pond_lake_engine(lake), pond_buf_cstr(&q), &text, err)
	                         : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&q);
	if (rc)
		return pond_error_prefix(err, "could not read the incremental field \"%s\"", s->cursor_field);
	*out = text ? pond_arena_strdup(a, text) : NULL;
	pond_free(text);
	return 0;
}

int pond__ingest_load_tmp(pond_lake *lake, const pond_source *s, const char *read_sql, const char *what,
                          const char *tmp, const pond_ingest_options *opts, pond_ingest_result *result, pond_error *err)
{
	const char *state = NULL;
	int rc = new_state(&state, lake, s, read_sql, result->arena, err);
	if (rc)
		return rc;
	ingest_load l = {.read_sql = read_sql, .what = what, .tmp_path = tmp, .write = &s->write,
	                 .state_key = pond__ingest_state_key(result->arena, s->name), .state = state,
	                 .cancel = opts->cancel};
	return pond__ingest_load(lake, &l, result, err);
}

/* ---- PostgreSQL ------------------------------------------------------------------ */

/* The DuckDB type a PostgreSQL column's text reads as. */
static const char *pg_duck_type(Oid oid, int typmod, pond_arena *a)
{
	switch (oid) {
	case 16: return "BOOLEAN";
	case 20: return "BIGINT";
	case 21: return "SMALLINT";
	case 23: return "INTEGER";
	case 26: return "BIGINT";  /* oid */
	case 700: return "FLOAT";
	case 701: return "DOUBLE";
	case 1700: {
		/* numeric(p,s) keeps its scale; unconstrained numeric has no
		 * fixed scale and becomes a double. */
		if (typmod >= 4) {
			int p = ((typmod - 4) >> 16) & 0xffff, sc = (typmod - 4) & 0xffff;
			if (p <= 38)
				return pond_arena_sprintf(a, "DECIMAL(%d,%d)", p, sc);
		}
		return "DOUBLE";
	}
	case 1082: return "DATE";
	case 1083: return "TIME";
	case 1114: return "TIMESTAMP";
	case 1184: return "TIMESTAMPTZ";
	case 2950: return "UUID";
	default: return "VARCHAR";
	}
}

/* A connection string without its password, for errors. */
static const char *pg_display(const char *conn, pond_arena *a)
{
	const char *at = strchr(conn, '@');
	const char *scheme = strstr(conn, "://");
	if (!at || !scheme || at < scheme)
		return conn;
	const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (!colon)
		return conn;
	return pond_arena_sprintf(a, "%.*s:***%s", (int)(colon - conn), conn, at);
}

static int pg_fail(pond_error *err, PGconn *c, const char *what, const char *db)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	return pond_error_set(err, POND_EIO, "could not %s %s: %s", what, db, msg);
}

/* Sets the session up so that its text is what DuckDB reads back exactly:
 * ISO dates in UTC, floats with all their digits. */
static int pg_setup(PGconn *conn, const char *db, pond_error *err)
{
	PGresult *res = PQexec(conn, "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET extra_float_digits = 3; "
	                             "SET IntervalStyle = iso_8601");
	int rc = PQresultStatus(res) != PGRES_COMMAND_OK ? pg_fail(err, conn, "set up a session on", db) : 0;
	PQclear(res);
	return rc;
}

/* The source's query into q: its own query or its table, with rows above
 * the cursor only when it has one. */
static int pg_query(pond_buf *q, PGconn *conn, const pond_source *s, json_t *cursor, const char *db, pond_arena *a,
                    pond_error *err)
{
	if (s->query) {
		pond_buf_printf(q, "SELECT * FROM (%s) AS q", s->query);
	} else {
		/* "schema.table" names each part as an identifier. */
		pond_buf_puts(q, "SELECT * FROM ");
		char *copy = pond_arena_strdup(a, s->source_table), *save = NULL;
		bool first = true;
		for (char *part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
			char *id = PQescapeIdentifier(conn, part, strlen(part));
			if (!id)
				return pg_fail(err, conn, "quote a table name for", db);
			pond_buf_printf(q, "%s%s", first ? "" : ".", id);
			PQfreemem(id);
			first = false;
		}
		pond_buf_puts(q, " AS q");
	}
	if (s->cursor_field) {
		char *col = PQescapeIdentifier(conn, s->cursor_field, strlen(s->cursor_field));
		if (!col)
			return pg_fail(err, conn, "quote a column name for", db);
		if (cursor) {
			const char *v = pond__ingest_json_scalar_text(cursor, a);
			char *lit = v ? PQescapeLiteral(conn, v, strlen(v)) : NULL;
			if (!lit) {
				PQfreemem(col);
				return pg_fail(err, conn, "quote the cursor for", db);
			}
			pond_buf_printf(q, " WHERE %s > %s", col, lit);
			PQfreemem(lit);
		}
		PQfreemem(col);
	}
	return pond_buf_ok(q) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* The query's column names and types, without running it, as DuckDB's
 * columns = {'name': 'TYPE', ...}. */
static int pg_columns(pond_buf *cols, PGconn *conn, const char *query, const char *db, pond_arena *a,
                      pond_error *err)
{
	PGresult *res = PQprepare(conn, "", query, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = pg_fail(err, conn, "prepare the query on", db);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	res = PQdescribePrepared(conn, "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = pg_fail(err, conn, "describe the query on", db);
		PQclear(res);
		return rc;
	}
	int ncols = PQnfields(res);
	pond_buf_puts(cols, "{");
	for (int i = 0; i < ncols; i++) {
		if (i)
			pond_buf_puts(cols, ", ");
		pond_sql_quote_literal(cols, PQfname(res, i));
		pond_buf_puts(cols, ": ");
		pond_sql_quote_literal(cols, pg_duck_type(PQftype(res, i), PQfmod(res, i), a));
	}
	pond_buf_puts(cols, "}");
	PQclear(res);
	return 0;
}

/* Streams the query's rows as CSV, with a header line, into f (at tmp);
 * result gets the rows and bytes read. */
static int pg_copy(PGconn *conn, const char *query, FILE *f, const char *tmp, const char *db,
                   const pond_ingest_options *opts, pond_ingest_result *result, pond_error *err)
{
	pond_buf copy = POND_BUF_INIT;
	pond_buf_printf(&copy, "COPY (%s) TO STDOUT WITH (FORMAT csv, HEADER true)", query);
	PGresult *res = PQexec(conn, pond_buf_cstr(&copy));
	pond_buf_dispose(&copy);
	int rc = PQresultStatus(res) != PGRES_COPY_OUT ? pg_fail(err, conn, "read from", db) : 0;
	PQclear(res);
	if (rc)
		return rc;
	ingest_progress prog = {opts, pond_time_mono_ns(), 0};
	int64_t lines = -1;  /* the header line */
	for (;;) {
		char *buf = NULL;
		if ((rc = pond__ingest_check_cancel(opts, err)) != 0)
			return rc;
		int n = PQgetCopyData(conn, &buf, 0);
		if (n == -1)
			break;
		if (n < 0)
			return pg_fail(err, conn, "read from", db);
		/* COPY sends one row per message. */
		lines++;
		result->bytes += n;
		size_t w = fwrite(buf, 1, (size_t)n, f);
		PQfreemem(buf);
		if (w != (size_t)n)
			return pond_error_set(err, POND_EIO, "could not write %s: %m", tmp);
		pond__ingest_progress(&prog, lines, result->bytes, false);
	}
	res = PQgetResult(conn);
	rc = PQresultStatus(res) != PGRES_COMMAND_OK ? pg_fail(err, conn, "read from", db) : 0;
	PQclear(res);
	if (rc)
		return rc;
	if (fflush(f) != 0)
		return pond_error_set(err, POND_EIO, "could not write %s: %m", tmp);
	result->rows = lines > 0 ? lines : 0;
	pond__ingest_progress(&prog, result->rows, result->bytes, true);
	return 0;
}

int pond__ingest_run_postgres(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                              pond_ingest_result *result, pond_error *err)
{
	pond_arena *a = result->arena;
	const char *db = pg_display(s->connection, a);
	json_t *cursor = NULL;
	int rc = pond__ingest_column_cursor(&cursor, lake, s, a, err);
	if (rc)
		return rc;
	PGconn *conn = PQconnectdb(s->connection);
	FILE *f = NULL;
	const char *tmp = NULL;
	pond_buf q = POND_BUF_INIT, cols = POND_BUF_INIT, sql = POND_BUF_INIT;
	if (PQstatus(conn) != CONNECTION_OK) {
		rc = pg_fail(err, conn, "connect to", db);
		goto done;
	}
	if ((rc = pg_setup(conn, db, err)) != 0 || (rc = pg_query(&q, conn, s, cursor, db, a, err)) != 0 ||
	    (rc = pg_columns(&cols, conn, pond_buf_cstr(&q), db, a, err)) != 0 ||
	    (rc = pond__ingest_tmpfile(&f, &tmp, opts->tmpdir, ".csv", a, err)) != 0 ||
	    (rc = pg_copy(conn, pond_buf_cstr(&q), f, tmp, db, opts, result, err)) != 0)
		goto done;
	pond_buf_puts(&sql, "SELECT * FROM read_csv(");
	pond_sql_quote_literal(&sql, tmp);
	pond_buf_printf(&sql, ", header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
	                      "columns = %s)",
	                pond_buf_cstr(&cols));
	if (result->rows > 0)
		rc = pond_buf_ok(&sql) ? pond__ingest_load_tmp(lake, s, pond_buf_cstr(&sql), db, tmp, opts, result, err)
		                       : pond_error_set(err, POND_ENOMEM, "out of memory");
done:
	PQfinish(conn);
	if (f)
		fclose(f);
	if (tmp)
		unlink(tmp);
	json_decref(cursor);
	pond_buf_dispose(&q);
	pond_buf_dispose(&cols);
	pond_buf_dispose(&sql);
	return rc;
}

/* ---- SQLite ------------------------------------------------------------------------ */

static void sqlite_value_json(pond_buf *b, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER: pond_buf_printf(b, "%lld", (long long)sqlite3_column_int64(st, i)); break;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, i);
		if (d != d || d - d != 0)
			pond_buf_puts(b, "null");  /* JSON has no NaN or infinity */
		else
			pond_buf_printf(b, "%.17g", d);
		break;
	}
	case SQLITE_TEXT:
		pond_json_quote(b, (const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
		break;
	case SQLITE_BLOB: {
		/* Blobs as hex text. */
		const unsigned char *p = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);
		pond_buf_putc(b, '"');
		for (int k = 0; k < n; k++)
			pond_buf_printf(b, "%02x", p[k]);
		pond_buf_putc(b, '"');
		break;
	}
	default: pond_buf_puts(b, "null"); break;
	}
}

int pond__ingest_run_sqlite(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                            pond_ingest_result *result, pond_error *err)
{
	pond_arena *a = result->arena;
	json_t *cursor = NULL;
	int rc = pond__ingest_column_cursor(&cursor, lake, s, a, err);
	if (rc)
		return rc;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	FILE *f = NULL;
	const char *tmp = NULL;
	pond_buf q = POND_BUF_INIT, row = POND_BUF_INIT, sql = POND_BUF_INIT;
	if (sqlite3_open_v2(s->connection, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = pond_error_set(err, POND_EIO, "could not open %s: %s", s->connection, db ? sqlite3_errmsg(db) : "");
		goto done;
	}
	if (s->query) {
		pond_buf_printf(&q, "SELECT * FROM (%s) AS q", s->query);
	} else {
		pond_buf_puts(&q, "SELECT * FROM ");
		pond_sql_quote_ident(&q, s->source_table);
	}
	if (s->cursor_field && cursor) {
		pond_buf_puts(&q, " WHERE ");
		pond_sql_quote_ident(&q, s->cursor_field);
		pond_buf_puts(&q, " > ?1");
	}
	if (!pond_buf_ok(&q) || sqlite3_prepare_v2(db, pond_buf_cstr(&q), -1, &st, NULL) != SQLITE_OK) {
		rc = pond_error_set(err, POND_EINVAL, "could not query %s: %s", s->connection, sqlite3_errmsg(db));
		goto done;
	}
	if (s->cursor_field && cursor) {
		if (json_is_integer(cursor))
			sqlite3_bind_int64(st, 1, json_integer_value(cursor));
		else if (json_is_real(cursor))
			sqlite3_bind_double(st, 1, json_real_value(cursor));
		else
			sqlite3_bind_text(st, 1, pond__ingest_json_scalar_text(cursor, a), -1, SQLITE_TRANSIENT);
	}
	if ((rc = pond__ingest_tmpfile(&f, &tmp, opts->tmpdir, ".ndjson", a, err)) != 0)
		goto done;
	int ncols = sqlite3_column_count(st);
	ingest_progress prog = {opts, pond_time_mono_ns(), 0};
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = pond__ingest_check_cancel(opts, err)) != 0)
			goto done;
		pond_buf_clear(&row);
		pond_buf_putc(&row, '{');
		for (int i = 0; i < ncols; i++) {
			const char *name = sqlite3_column_name(st, i);
			if (i)
				pond_buf_putc(&row, ',');
			pond_json_quote(&row, name, strlen(name));
			pond_buf_putc(&row, ':');
			sqlite_value_json(&row, st, i);
		}
		pond_buf_puts(&row, "}\n");
		if (!pond_buf_ok(&row) || fwrite(row.ptr, 1, row.len, f) != row.len) {
			rc = pond_error_set(err, POND_EIO, "could not write %s: %m", tmp);
			goto done;
		}
		result->rows++;
		result->bytes += (int64_t)row.len;
		pond__ingest_progress(&prog, result->rows, result->bytes, false);
	}
	if (step != SQLITE_DONE) {
		rc = pond_error_set(err, POND_EIO, "could not read %s: %s", s->connection, sqlite3_errmsg(db));
		goto done;
	}
	if (fflush(f) != 0) {
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", tmp);
		goto done;
	}
	pond__ingest_progress(&prog, result->rows, result->bytes, true);
	if (result->rows == 0)
		goto done;
	pond_buf_puts(&sql, "SELECT * FROM read_json(");
	pond_sql_quote_literal(&sql, tmp);
	pond_buf_puts(&sql, ", format = 'newline_delimited', sample_size = -1)");
	rc = pond_buf_ok(&sql)
	             ? pond__ingest_load_tmp(lake, s, pond_buf_cstr(&sql), s->connection, tmp, opts, result, err)
	             : pond_error_set(err, POND_ENOMEM, "out of memory");
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (f)
		fclose(f);
	if (tmp)
		unlink(tmp);
	json_decref(cursor);
	pond_buf_dispose(&q);
	pond_buf_dispose(&row);
	pond_buf_dispose(&sql);
	return rc;
}
