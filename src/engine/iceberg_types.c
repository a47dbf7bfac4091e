/*
 * Iceberg types in DuckDB terms and back: the SQL type DuckDB reads and
 * writes for each Iceberg type, and the Iceberg type of a query's columns
 * (for CREATE TABLE AS and schema inference).
 */
#include "engine_internal.h"

#include <duckdb.h>
#include <string.h>

void pond_engine_iceberg_type_sql(pond_buf *b, const pond_iceberg_type *t)
{
	switch (t->id) {
	case POND_ICEBERG_BOOLEAN: pond_buf_puts(b, "BOOLEAN"); return;
	case POND_ICEBERG_INT: pond_buf_puts(b, "INTEGER"); return;
	case POND_ICEBERG_LONG: pond_buf_puts(b, "BIGINT"); return;
	case POND_ICEBERG_FLOAT: pond_buf_puts(b, "FLOAT"); return;
	case POND_ICEBERG_DOUBLE: pond_buf_puts(b, "DOUBLE"); return;
	case POND_ICEBERG_DECIMAL: pond_buf_printf(b, "DECIMAL(%d,%d)", t->precision, t->scale); return;
	case POND_ICEBERG_DATE: pond_buf_puts(b, "DATE"); return;
	case POND_ICEBERG_TIME: pond_buf_puts(b, "TIME"); return;
	case POND_ICEBERG_TIMESTAMP: pond_buf_puts(b, "TIMESTAMP"); return;
	case POND_ICEBERG_TIMESTAMPTZ: pond_buf_puts(b, "TIMESTAMPTZ"); return;
	case POND_ICEBERG_TIMESTAMP_NS: pond_buf_puts(b, "TIMESTAMP_NS"); return;
	case POND_ICEBERG_TIMESTAMPTZ_NS: pond_buf_puts(b, "TIMESTAMPTZ"); return;
	case POND_ICEBERG_STRING: pond_buf_puts(b, "VARCHAR"); return;
	case POND_ICEBERG_UUID: pond_buf_puts(b, "UUID"); return;
	case POND_ICEBERG_FIXED:
	case POND_ICEBERG_BINARY: pond_buf_puts(b, "BLOB"); return;
	case POND_ICEBERG_STRUCT:
		pond_buf_puts(b, "STRUCT(");
		for (size_t i = 0; i < t->nfields; i++) {
			if (i)
				pond_buf_puts(b, ", ");
			pond_sql_quote_ident(b, t->fields[i].name);
			pond_buf_putc(b, ' ');
			pond_engine_iceberg_type_sql(b, t->fields[i].type);
		}
		pond_buf_putc(b, ')');
		return;
	case POND_ICEBERG_LIST:
		pond_engine_iceberg_type_sql(b, t->element);
		pond_buf_puts(b, "[]");
		return;
	case POND_ICEBERG_MAP:
		pond_buf_puts(b, "MAP(");
		pond_engine_iceberg_type_sql(b, t->key);
		pond_buf_puts(b, ", ");
		pond_engine_iceberg_type_sql(b, t->value);
		pond_buf_putc(b, ')');
		return;
	}
}

static pond_iceberg_type *new_type(pond_arena *arena, pond_iceberg_type_id id)
{
	pond_iceberg_type *t = pond_arena_calloc(arena, 1, sizeof(*t));
	if (t)
		t->id = id;
	return t;
}

static int no_iceberg_type(const char *column, const char *what, pond_error *err)
{
	return pond_error_set(err, POND_EUNSUPPORTED, "column \"%s\": %s has no Iceberg type", column, what);
}

static int map_nested(pond_iceberg_type *t, duckdb_logical_type type, int32_t *next_id, const char *column,
                      pond_arena *arena, pond_error *err);

int pond_engine_type_to_iceberg(pond_iceberg_type **out, duckdb_logical_type type, int32_t *next_id,
                                const char *column, pond_arena *arena, pond_error *err)
{
	pond_iceberg_type_id id;
	duckdb_type dt = duckdb_get_type_id(type);
	switch (dt) {
	case DUCKDB_TYPE_BOOLEAN: id = POND_ICEBERG_BOOLEAN; break;
	case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
	case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT:
		id = POND_ICEBERG_INT; break;
	case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UINTEGER: id = POND_ICEBERG_LONG; break;
	case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT:
	case DUCKDB_TYPE_DECIMAL:
		id = POND_ICEBERG_DECIMAL; break;
	case DUCKDB_TYPE_FLOAT: id = POND_ICEBERG_FLOAT; break;
	case DUCKDB_TYPE_DOUBLE: id = POND_ICEBERG_DOUBLE; break;
	case DUCKDB_TYPE_VARCHAR: case DUCKDB_TYPE_ENUM: id = POND_ICEBERG_STRING; break;
	case DUCKDB_TYPE_BLOB: id = POND_ICEBERG_BINARY; break;
	case DUCKDB_TYPE_DATE: id = POND_ICEBERG_DATE; break;
	case DUCKDB_TYPE_TIME: id = POND_ICEBERG_TIME; break;
	case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_TIMESTAMP_S: case DUCKDB_TYPE_TIMESTAMP_MS:
	case DUCKDB_TYPE_TIMESTAMP_NS:
		id = POND_ICEBERG_TIMESTAMP; break;
	case DUCKDB_TYPE_TIMESTAMP_TZ: id = POND_ICEBERG_TIMESTAMPTZ; break;
	case DUCKDB_TYPE_UUID: id = POND_ICEBERG_UUID; break;
	case DUCKDB_TYPE_STRUCT: id = POND_ICEBERG_STRUCT; break;
	case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_ARRAY: id = POND_ICEBERG_LIST; break;
	case DUCKDB_TYPE_MAP: id = POND_ICEBERG_MAP; break;
	case DUCKDB_TYPE_SQLNULL: id = POND_ICEBERG_STRING; break;  /* an untyped NULL column */
	default: {
		pond_buf name = POND_BUF_INIT;
		pond_type_name(&name, type);
		int rc = no_iceberg_type(column, pond_buf_cstr(&name), err);
		pond_buf_dispose(&name);
		return rc;
	}
	}
	pond_iceberg_type *t = new_type(arena, id);
	if (!t)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (id == POND_ICEBERG_DECIMAL) {
		/* Unsigned and huge integers become decimals wide enough to hold them. */
		t->precision = dt == DUCKDB_TYPE_DECIMAL ? duckdb_decimal_width(type) : dt == DUCKDB_TYPE_UBIGINT ? 20 : 38;
		t->scale = dt == DUCKDB_TYPE_DECIMAL ? duckdb_decimal_scale(type) : 0;
	}
	*out = t;
	if (id == POND_ICEBERG_STRUCT || id == POND_ICEBERG_LIST || id == POND_ICEBERG_MAP)
		return map_nested(t, type, next_id, column, arena, err);
	return 0;
}

/* Children get their ids before grandchildren, level by level, as Iceberg
 * assigns fresh ids. */
static int map_nested(pond_iceberg_type *t, duckdb_logical_type type, int32_t *next_id, const char *column,
                      pond_arena *arena, pond_error *err)
{
	int rc = 0;
	if (t->id == POND_ICEBERG_STRUCT) {
		t->nfields = duckdb_struct_type_child_count(type);
		t->fields = pond_arena_calloc(arena, t->nfields ? t->nfields : 1, sizeof(*t->fields));
		if (!t->fields)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t i = 0; i < t->nfields; i++) {
			char *name = duckdb_struct_type_child_name(type, i);
			t->fields[i].name = pond_arena_strdup(arena, name);
			t->fields[i].id = (*next_id)++;
			duckdb_free(name);
		}
		for (size_t i = 0; i < t->nfields && rc == 0; i++) {
			duckdb_logical_type ct = duckdb_struct_type_child_type(type, i);
			rc = pond_engine_type_to_iceberg(&t->fields[i].type, ct, next_id, column, arena, err);
			duckdb_destroy_logical_type(&ct);
		}
		return rc;
	}
	if (t->id == POND_ICEBERG_LIST) {
		duckdb_logical_type ct = duckdb_get_type_id(type) == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(type)
		                                                                      : duckdb_array_type_child_type(type);
		t->element_id = (*next_id)++;
		rc = pond_engine_type_to_iceberg(&t->element, ct, next_id, column, arena, err);
		duckdb_destroy_logical_type(&ct);
		return rc;
	}
	duckdb_logical_type kt = duckdb_map_type_key_type(type), vt = duckdb_map_type_value_type(type);
	t->key_id = (*next_id)++;
	t->value_id = (*next_id)++;
	rc = pond_engine_type_to_iceberg(&t->key, kt, next_id, column, arena, err);
	if (rc == 0)
		rc = pond_engine_type_to_iceberg(&t->value, vt, next_id, column, arena, err);
	duckdb_destroy_logical_type(&kt);
	duckdb_destroy_logical_type(&vt);
	return rc;
}

/* A schema of n columns with those names and DuckDB types. */
static int schema_of(pond_iceberg_schema **out, idx_t n, const char *const *names, const duckdb_logical_type *types,
                     pond_arena *arena, pond_error *err)
{
	pond_iceberg_schema *schema = pond_arena_calloc(arena, 1, sizeof(*schema));
	pond_iceberg_type *root = new_type(arena, POND_ICEBERG_STRUCT);
	pond_iceberg_field *fields = pond_arena_calloc(arena, n ? n : 1, sizeof(*fields));
	if (!schema || !root || !fields)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (n == 0)
		return pond_error_set(err, POND_EINVAL, "the query returns no columns");
	int32_t next_id = (int32_t)n + 1;
	int rc = 0;
	for (idx_t i = 0; i < n && rc == 0; i++) {
		const char *name = names[i] ? names[i] : "";
		fields[i].id = (int32_t)i + 1;
		if (!(fields[i].name = pond_arena_strdup(arena, name)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (idx_t j = 0; j < i; j++)
			if (strcmp(fields[j].name, name) == 0)
				rc = pond_error_set(err, POND_EINVAL, "the query returns column \"%s\" twice; name each column once",
				                    name);
		if (rc == 0)
			rc = pond_engine_type_to_iceberg(&fields[i].type, types[i], &next_id, name, arena, err);
	}
	root->nfields = n;
	root->fields = fields;
	schema->root = root;
	if (rc == 0)
		*out = schema;
	return rc;
}

/* The schema of a statement DuckDB cannot prepare (one it expands into
 * several, such as a PIVOT without an IN list): from running it for no
 * rows. */
static int query_schema_by_running(pond_engine *e, const char *select_sql, pond_arena *arena,
                                   pond_iceberg_schema **out, pond_error *err)
{
	const char *sql = pond_arena_sprintf(arena, "SELECT * FROM (%s) LIMIT 0", select_sql);
	if (!sql)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_result *r;
	int rc = pond_engine_query(e, sql, &r, err);
	if (rc)
		return rc;
	idx_t n = pond_result_column_count(r);
	const char **names = pond_arena_calloc(arena, n ? n : 1, sizeof(char *));
	duckdb_logical_type *types = pond_arena_calloc(arena, n ? n : 1, sizeof(*types));
	if (!names || !types) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	} else {
		for (idx_t i = 0; i < n; i++) {
			names[i] = pond_result_column_name(r, i);
			types[i] = pond_result_column_type(r, i);
		}
		rc = schema_of(out, n, names, types, arena, err);
	}
	pond_result_free(&r);
	return rc;
}

int pond_engine_query_schema(pond_engine *e, const char *select_sql, pond_arena *arena, pond_iceberg_schema **out,
                             pond_error *err)
{
	duckdb_prepared_statement stmt;
	if (duckdb_prepare(e->conn, select_sql, &stmt) == DuckDBError) {
		const char *msg = duckdb_prepare_error(stmt);
		bool expanded = msg && strstr(msg, "Cannot prepare multiple statements at once") != NULL;
		int rc = expanded ? 0 : pond_engine_error(err, msg);
		duckdb_destroy_prepare(&stmt);
		return expanded ? query_schema_by_running(e, select_sql, arena, out, err) : rc;
	}
	idx_t n = duckdb_prepared_statement_column_count(stmt);
	const char **names = pond_arena_calloc(arena, n ? n : 1, sizeof(char *));
	duckdb_logical_type *types = pond_arena_calloc(arena, n ? n : 1, sizeof(*types));
	int rc = 0;
	if (!names || !types) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	} else {
		for (idx_t i = 0; i < n; i++) {
			const char *name = duckdb_prepared_statement_column_name(stmt, i);
			names[i] = pond_arena_strdup(arena, name ? name : "");
			duckdb_free((void *)name);
			types[i] = duckdb_prepared_statement_column_logical_type(stmt, i);
		}
		rc = schema_of(out, n, names, types, arena, err);
		for (idx_t i = 0; i < n; i++)
			duckdb_destroy_logical_type(&types[i]);
	}
	duckdb_destroy_prepare(&stmt);
	return rc;
}
