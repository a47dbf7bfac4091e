/*
 * Statement execution and streaming results. Execution goes through a
 * pending result, task by task, so progress is reported and an interrupt
 * lands between tasks; rows then stream out chunk by chunk.
 */
#include "engine_internal.h"

#include <duckdb.h>
#include <string.h>

struct pond_result {
	pond_engine *engine;
	duckdb_result res;
	idx_t ncols;
	duckdb_logical_type *types;
	bool is_changed_rows;
	bool has_rows;
	bool done;
};

struct pond_script {
	pond_engine *engine;
	duckdb_extracted_statements stmts;
	idx_t count;
	idx_t next;
};

static int cancel_error(pond_error *err)
{
	return pond_error_set(err, POND_ECANCELED, "query canceled");
}

static int wrap_result(pond_engine *e, duckdb_result *res, pond_result **out, pond_error *err);

int pond__engine_run_prepared(pond_engine *e, duckdb_prepared_statement stmt, pond_result **out,
                              pond_error *err)
{
	__atomic_store_n(&e->interrupted, 0, __ATOMIC_SEQ_CST);
	duckdb_pending_result pending;
	if (duckdb_pending_prepared_streaming(stmt, &pending) == DuckDBError) {
		int rc = pond_engine_error(err, duckdb_pending_error(pending));
		duckdb_destroy_pending(&pending);
		return rc;
	}
	int64_t start = pond_time_mono_ns();
	for (;;) {
		duckdb_pending_state st = duckdb_pending_execute_task(pending);
		if (st == DUCKDB_PENDING_RESULT_READY)
			break;
		if (st == DUCKDB_PENDING_ERROR) {
			int rc = __atomic_load_n(&e->interrupted, __ATOMIC_SEQ_CST)
			                 ? cancel_error(err)
			                 : pond_engine_error(err, duckdb_pending_error(pending));
			duckdb_destroy_pending(&pending);
			return rc;
		}
		if (__atomic_load_n(&e->interrupted, __ATOMIC_SEQ_CST)) {
			duckdb_destroy_pending(&pending);
			return cancel_error(err);
		}
		if (e->progress) {
			duckdb_query_progress_type qp = duckdb_query_progress(e->conn);
			e->progress(qp.percentage, pond_time_mono_ns() - start, e->progress_payload);
		}
	}
	duckdb_result res;
	if (duckdb_execute_pending(pending, &res) == DuckDBError) {
		int rc = __atomic_load_n(&e->interrupted, __ATOMIC_SEQ_CST)
		                 ? cancel_error(err)
		                 : pond_engine_error(err, duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		duckdb_destroy_pending(&pending);
		return rc;
	}
	duckdb_destroy_pending(&pending);
	return wrap_result(e, &res, out, err);
}

/* Wraps an executed result; takes res over. */
static int wrap_result(pond_engine *e, duckdb_result *res, pond_result **out, pond_error *err)
{
	pond_result *r = pond_calloc(1, sizeof(*r));
	if (!r) {
		duckdb_destroy_result(res);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	r->engine = e;
	r->res = *res;
	r->ncols = duckdb_column_count(&r->res);
	duckdb_result_type kind = duckdb_result_return_type(r->res);
	r->is_changed_rows = kind == DUCKDB_RESULT_TYPE_CHANGED_ROWS;
	r->has_rows = kind == DUCKDB_RESULT_TYPE_QUERY_RESULT;
	r->types = pond_calloc(r->ncols ? r->ncols : 1, sizeof(*r->types));
	if (!r->types) {
		duckdb_destroy_result(&r->res);
		pond_free(r);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	for (idx_t i = 0; i < r->ncols; i++)
		r->types[i] = duckdb_column_logical_type(&r->res, i);
	*out = r;
	return 0;
}

/* DuckDB expands some statements into several when it parses them (a
 * PIVOT without an IN list first creates an enum of the values it pivots
 * on); those cannot be prepared, only run whole. Their result is the last
 * statement's, materialized, without progress reports. */
static bool is_expanded_statement(const char *message)
{
	return message && strstr(message, "Cannot prepare multiple statements at once") != NULL;
}

static int run_expanded(pond_engine *e, const char *sql, pond_result **out, pond_error *err)
{
	__atomic_store_n(&e->interrupted, 0, __ATOMIC_SEQ_CST);
	duckdb_result res;
	if (duckdb_query(e->conn, sql, &res) == DuckDBError) {
		int rc = __atomic_load_n(&e->interrupted, __ATOMIC_SEQ_CST) ? cancel_error(err)
		                                                             : pond_engine_error(err, duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		return rc;
	}
	return wrap_result(e, &res, out, err);
}

int pond_engine_query(pond_engine *e, const char *sql, pond_result **out, pond_error *err)
{
	duckdb_prepared_statement stmt;
	if (duckdb_prepare(e->conn, sql, &stmt) == DuckDBError) {
		if (is_expanded_statement(duckdb_prepare_error(stmt))) {
			duckdb_destroy_prepare(&stmt);
			return run_expanded(e, sql, out, err);
		}
		int rc = pond_engine_error(err, duckdb_prepare_error(stmt));
		duckdb_destroy_prepare(&stmt);
		return rc;
	}
	int rc = pond__engine_run_prepared(e, stmt, out, err);
	duckdb_destroy_prepare(&stmt);
	return rc;
}

idx_t pond_result_column_count(const pond_result *r)
{
	return r->ncols;
}

const char *pond_result_column_name(const pond_result *r, idx_t col)
{
	duckdb_result *res = (duckdb_result *)&r->res;
	const char *name = duckdb_column_name(res, col);
	return name ? name : "";
}

duckdb_logical_type pond_result_column_type(const pond_result *r, idx_t col)
{
	return r->types[col];
}

int pond_result_next(pond_result *r, duckdb_data_chunk *chunk, pond_error *err)
{
	if (r->done)
		return 0;
	duckdb_data_chunk c = duckdb_fetch_chunk(r->res);
	if (!c) {
		r->done = true;
		const char *msg = duckdb_result_error(&r->res);
		if (msg && *msg) {
			if (__atomic_load_n(&r->engine->interrupted, __ATOMIC_SEQ_CST))
				return cancel_error(err);
			return pond_engine_error(err, msg);
		}
		return 0;
	}
	if (__atomic_load_n(&r->engine->interrupted, __ATOMIC_SEQ_CST)) {
		duckdb_destroy_data_chunk(&c);
		r->done = true;
		return cancel_error(err);
	}
	*chunk = c;
	return 1;
}

bool pond_result_has_rows(const pond_result *r)
{
	return r->has_rows;
}

int64_t pond_result_rows_changed(const pond_result *r)
{
	return r->is_changed_rows ? (int64_t)duckdb_rows_changed((duckdb_result *)&r->res) : 0;
}

void pond_result_free(pond_result **result)
{
	if (!result || !*result)
		return;
	pond_result *r = *result;
	for (idx_t i = 0; i < r->ncols; i++)
		duckdb_destroy_logical_type(&r->types[i]);
	pond_free(r->types);
	duckdb_destroy_result(&r->res);
	pond_free(r);
	*result = NULL;
}

/* ---- scripts ---------------------------------------------------------------- */

int pond_script_open(pond_engine *e, const char *sql, pond_script **out, pond_error *err)
{
	pond_script *s = pond_calloc(1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	s->engine = e;
	s->count = duckdb_extract_statements(e->conn, sql, &s->stmts);
	if (s->count == 0) {
		const char *msg = duckdb_extract_statements_error(s->stmts);
		int rc = msg && *msg ? pond_engine_error(err, msg) : 0;
		if (rc) {
			duckdb_destroy_extracted(&s->stmts);
			pond_free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

idx_t pond_script_count(const pond_script *s)
{
	return s->count;
}

int pond_script_next(pond_script *s, pond_result **out, pond_error *err)
{
	if (s->next >= s->count)
		return 0;
	duckdb_prepared_statement stmt;
	if (duckdb_prepare_extracted_statement(s->engine->conn, s->stmts, s->next++, &stmt) == DuckDBError) {
		int rc = pond_engine_error(err, duckdb_prepare_error(stmt));
		duckdb_destroy_prepare(&stmt);
		return rc;
	}
	int rc = pond__engine_run_prepared(s->engine, stmt, out, err);
	duckdb_destroy_prepare(&stmt);
	return rc ? rc : 1;
}

void pond_script_free(pond_script **script)
{
	if (!script || !*script)
		return;
	duckdb_destroy_extracted(&(*script)->stmts);
	pond_free(*script);
	*script = NULL;
}

/* ---- conveniences ----------------------------------------------------------- */

int pond_engine_exec(pond_engine *e, const char *sql, pond_error *err)
{
	pond_script *s;
	int rc = pond_script_open(e, sql, &s, err);
	if (rc)
		return rc;
	pond_result *r;
	while ((rc = pond_script_next(s, &r, err)) == 1) {
		/* Drain, so statements that stream (e.g. COPY) finish. */
		duckdb_data_chunk c;
		while ((rc = pond_result_next(r, &c, err)) == 1)
			duckdb_destroy_data_chunk(&c);
		pond_result_free(&r);
		if (rc < 0)
			break;
	}
	pond_script_free(&s);
	return rc < 0 ? rc : 0;
}

/* Runs sql and formats the first value of the first row as text into buf;
 * *is_null tells NULL or no rows. */
static int query_first(pond_engine *e, const char *sql, pond_buf *buf, bool *is_null, pond_error *err)
{
	pond_result *r;
	int rc = pond_engine_query(e, sql, &r, err);
	if (rc)
		return rc;
	*is_null = true;
	duckdb_data_chunk c;
	if (pond_result_column_count(r) > 0) {
		while ((rc = pond_result_next(r, &c, err)) == 1) {
			if (duckdb_data_chunk_get_size(c) > 0) {
				duckdb_vector v = duckdb_data_chunk_get_vector(c, 0);
				*is_null = !pond_value_format(buf, v, pond_result_column_type(r, 0), 0, POND_VALUE_TEXT);
				duckdb_destroy_data_chunk(&c);
				break;
			}
			duckdb_destroy_data_chunk(&c);
		}
	}
	pond_result_free(&r);
	if (rc < 0)
		return rc;
	if (!pond_buf_ok(buf))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return 0;
}

int pond_engine_query_string(pond_engine *e, const char *sql, char **out, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	bool is_null;
	int rc = query_first(e, sql, &b, &is_null, err);
	*out = NULL;
	if (rc == 0 && !is_null) {
		*out = pond_buf_detach(&b);
		if (!*out)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_buf_dispose(&b);
	return rc;
}

int pond_engine_query_int(pond_engine *e, const char *sql, int64_t *out, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	bool is_null;
	int rc = query_first(e, sql, &b, &is_null, err);
	if (rc == 0 && !is_null && !pond_str_to_i64(pond_buf_cstr(&b), out))
		rc = pond_error_set(err, POND_EINVAL, "expected an integer from \"%s\", got \"%s\"", sql,
		                    pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	return rc;
}
