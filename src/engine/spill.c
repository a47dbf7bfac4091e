/*
 * Spill tables: rows held as data chunks turned into a DuckDB table that
 * SQL can read (a COPY to Parquet). A buffered append whose rows turn out
 * too many is still streaming its query on the engine's connection when
 * it knows: a statement there would close that result, so the table is
 * made and filled on a second connection of the same database (in the
 * default catalog, which both see; temporary tables are per connection).
 */
#include "engine_internal.h"

#include <duckdb.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct pond_spill {
	pond_engine *engine;
	char *table;              /* "db"."main"."pond_spill_..." */
	char name[40];            /* pond_spill_<hex> */
	duckdb_appender app;
	bool created;
};

static int side_exec(pond_engine *e, const char *sql, pond_error *err)
{
	duckdb_result res;
	int rc = 0;
	if (duckdb_query(e->side, sql, &res) == DuckDBError)
		rc = pond_engine_error(err, duckdb_result_error(&res));
	duckdb_destroy_result(&res);
	return rc;
}

static int side_connection(pond_engine *e, pond_error *err)
{
	if (e->side)
		return 0;
	if (duckdb_connect(e->db, &e->side) == DuckDBError) {
		e->side = NULL;
		return pond_error_set(err, POND_ESQL, "could not open a second connection to the SQL engine");
	}
	return 0;
}

int pond_spill_open(pond_spill **out, pond_engine *e, const pond_iceberg_schema *schema, pond_error *err)
{
	*out = NULL;
	int rc = side_connection(e, err);
	if (rc)
		return rc;
	pond_spill *s = pond_calloc(1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	s->engine = e;
	snprintf(s->name, sizeof(s->name), "pond_spill_%016" PRIx64, (uint64_t)pond_random_i63());
	pond_buf sql = POND_BUF_INIT;
	pond_buf_printf(&sql, "CREATE TABLE main.%s (", s->name);
	const pond_iceberg_type *root = schema->root;
	for (size_t i = 0; i < root->nfields; i++) {
		if (i)
			pond_buf_puts(&sql, ", ");
		pond_sql_quote_ident(&sql, root->fields[i].name);
		pond_buf_putc(&sql, ' ');
		pond_engine_iceberg_type_sql(&sql, root->fields[i].type);
	}
	pond_buf_putc(&sql, ')');
	duckdb_result res;
	char *db = NULL;
	if (!pond_buf_ok(&sql)) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	} else if (duckdb_query(e->side, "SELECT current_database()", &res) == DuckDBError) {
		rc = pond_engine_error(err, duckdb_result_error(&res));
		duckdb_destroy_result(&res);
	} else {
		db = duckdb_value_varchar(&res, 0, 0);
		duckdb_destroy_result(&res);
		if (!db)
			rc = pond_error_set(err, POND_ESQL, "the SQL engine has no current database");
	}
	if (rc == 0 && (rc = side_exec(e, pond_buf_cstr(&sql), err)) == 0) {
		s->created = true;
		pond_buf name = POND_BUF_INIT;
		pond_sql_quote_ident(&name, db);
		pond_buf_printf(&name, ".main.%s", s->name);
		if (!pond_buf_ok(&name) || !(s->table = pond_buf_detach(&name)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_buf_dispose(&name);
	}
	duckdb_free(db);
	pond_buf_dispose(&sql);
	if (rc == 0 && duckdb_appender_create_ext(e->side, NULL, "main", s->name, &s->app) == DuckDBError) {
		rc = pond_engine_error(err, duckdb_appender_error(s->app));
		duckdb_appender_destroy(&s->app);
		s->app = NULL;
	}
	if (rc) {
		pond_spill_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

int pond_spill_chunk(pond_spill *s, duckdb_data_chunk chunk, pond_error *err)
{
	if (!s->app)
		return pond_error_set(err, POND_EINVAL, "the spill table %s is closed", s->name);
	idx_t ncols = duckdb_appender_column_count(s->app);
	if (duckdb_data_chunk_get_column_count(chunk) < ncols)
		return pond_error_set(err, POND_EINVAL, "rows of %llu columns cannot go in a table of %llu",
		                      (unsigned long long)duckdb_data_chunk_get_column_count(chunk),
		                      (unsigned long long)ncols);
	duckdb_data_chunk head = chunk;
	if (duckdb_data_chunk_get_column_count(chunk) > ncols) {
		/* The table's columns come first (partition values may follow):
		 * a chunk of those, referencing the same vectors. */
		duckdb_logical_type *types = pond_calloc(ncols ? ncols : 1, sizeof(*types));
		if (!types)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (idx_t i = 0; i < ncols; i++)
			types[i] = duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(chunk, i));
		head = duckdb_create_data_chunk(types, ncols);
		for (idx_t i = 0; i < ncols; i++)
			duckdb_destroy_logical_type(&types[i]);
		pond_free(types);
		if (!head)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (idx_t i = 0; i < ncols; i++)
			duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(head, i),
			                               duckdb_data_chunk_get_vector(chunk, i));
		duckdb_data_chunk_set_size(head, duckdb_data_chunk_get_size(chunk));
	}
	int rc = duckdb_append_data_chunk(s->app, head) == DuckDBError
	                 ? pond_engine_error(err, duckdb_appender_error(s->app))
	                 : 0;
	if (head != chunk)
		duckdb_destroy_data_chunk(&head);
	return rc;
}

int pond_spill_close(pond_spill *s, pond_error *err)
{
	if (!s->app)
		return 0;
	int rc = duckdb_appender_close(s->app) == DuckDBError ? pond_engine_error(err, duckdb_appender_error(s->app)) : 0;
	duckdb_appender_destroy(&s->app);
	s->app = NULL;
	return rc;
}

const char *pond_spill_table(const pond_spill *s)
{
	return s->table;
}

void pond_spill_free(pond_spill **spill)
{
	if (!spill || !*spill)
		return;
	pond_spill *s = *spill;
	if (s->app)
		duckdb_appender_destroy(&s->app);
	if (s->created) {
		char sql[80];
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS main.%s", s->name);
		pond_error ignored = POND_ERROR_INIT;
		if (side_exec(s->engine, sql, &ignored) != 0)
			pond_warn("could not drop the SQL engine's table %s: %s", s->name, ignored.msg);
	}
	pond_free(s->table);
	pond_free(s);
	*spill = NULL;
}
