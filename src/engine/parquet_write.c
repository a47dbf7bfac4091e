/*
 * Writing Parquet for Iceberg tables through DuckDB's COPY: field ids from
 * the table schema, zstd, unique file names, partition folders, and the
 * per-file statistics (row counts, sizes, null counts, min/max) that
 * manifests need, taken from COPY's RETURN_STATS instead of re-reading
 * footers.
 */
#include "engine_internal.h"

#include <duckdb.h>
#include <string.h>
#include <strings.h>

/* FIELD_IDS {'a': 1, 's': {__duckdb_field_id: 2, 'x': 3}, ...} for a type's
 * children. */
static void field_ids_for(pond_buf *b, const pond_iceberg_type *t);

static void field_id_entry(pond_buf *b, const char *name, int32_t id, const pond_iceberg_type *t)
{
	pond_sql_quote_literal(b, name);
	pond_buf_puts(b, ": ");
	if (pond_iceberg_type_is_primitive(t)) {
		pond_buf_printf(b, "%d", id);
		return;
	}
	pond_buf_printf(b, "{__duckdb_field_id: %d", id);
	field_ids_for(b, t);
	pond_buf_putc(b, '}');
}

static void field_ids_for(pond_buf *b, const pond_iceberg_type *t)
{
	if (t->id == POND_ICEBERG_STRUCT) {
		for (size_t i = 0; i < t->nfields; i++) {
			pond_buf_puts(b, ", ");
			field_id_entry(b, t->fields[i].name, t->fields[i].id, t->fields[i].type);
		}
	} else if (t->id == POND_ICEBERG_LIST) {
		pond_buf_puts(b, ", ");
		field_id_entry(b, "element", t->element_id, t->element);
	} else if (t->id == POND_ICEBERG_MAP) {
		pond_buf_puts(b, ", ");
		field_id_entry(b, "key", t->key_id, t->key);
		pond_buf_puts(b, ", ");
		field_id_entry(b, "value", t->value_id, t->value);
	}
}

static void field_ids_clause(pond_buf *b, const pond_iceberg_schema *schema)
{
	const pond_iceberg_type *root = schema->root;
	pond_buf_puts(b, "FIELD_IDS {");
	for (size_t i = 0; i < root->nfields; i++) {
		if (i)
			pond_buf_puts(b, ", ");
		field_id_entry(b, root->fields[i].name, root->fields[i].id, root->fields[i].type);
	}
	pond_buf_putc(b, '}');
}

/* Splits a RETURN_STATS column path ("s"."x") into names and finds the
 * primitive field it denotes; 0 when it is not one of the schema's. */
static int32_t field_id_for_path(const pond_iceberg_schema *schema, const char *path)
{
	const pond_iceberg_type *t = schema->root;
	int32_t id = 0;
	const char *p = path;
	char name[512];
	while (*p) {
		size_t n = 0;
		if (*p == '"') {
			p++;
			while (*p && n + 1 < sizeof(name)) {
				if (*p == '"' && p[1] == '"') {
					name[n++] = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					name[n++] = *p++;
				}
			}
		} else {
			while (*p && *p != '.' && n + 1 < sizeof(name))
				name[n++] = *p++;
		}
		name[n] = '\0';
		if (*p == '.')
			p++;
		if (!t)
			return 0;
		const pond_iceberg_type *next = NULL;
		if (t->id == POND_ICEBERG_STRUCT) {
			for (size_t i = 0; i < t->nfields && !next; i++) {
				if (strcmp(t->fields[i].name, name) == 0) {
					next = t->fields[i].type;
					id = t->fields[i].id;
				}
			}
		} else if (t->id == POND_ICEBERG_LIST && strcmp(name, "element") == 0) {
			next = t->element;
			id = t->element_id;
		} else if (t->id == POND_ICEBERG_MAP && strcmp(name, "key") == 0) {
			next = t->key;
			id = t->key_id;
		} else if (t->id == POND_ICEBERG_MAP && strcmp(name, "value") == 0) {
			next = t->value;
			id = t->value_id;
		}
		if (!next)
			return 0;
		t = next;
	}
	return t && pond_iceberg_type_is_primitive(t) ? id : 0;
}

static const char *string_at(duckdb_vector v, idx_t row, pond_arena *arena)
{
	uint64_t *validity = duckdb_vector_get_validity(v);
	if (validity && !duckdb_validity_row_is_valid(validity, row))
		return NULL;
	duckdb_string_t *s = &((duckdb_string_t *)duckdb_vector_get_data(v))[row];
	return pond_arena_strndup(arena, duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

static int64_t int_at(duckdb_vector v, idx_t row)
{
	uint64_t *validity = duckdb_vector_get_validity(v);
	if (validity && !duckdb_validity_row_is_valid(validity, row))
		return -1;
	return ((int64_t *)duckdb_vector_get_data(v))[row];
}

static bool parse_count(const char *s, int64_t *out)
{
	return s && pond_str_to_i64(s, out);
}

/* One file's column_statistics: MAP(VARCHAR, MAP(VARCHAR, VARCHAR)). The
 * statistics of partition columns (by name) are also returned, for their
 * values. */
static int read_column_stats(pond_written_file *f, duckdb_vector stats, idx_t row, const pond_iceberg_schema *schema,
                             const pond_parquet_write_options *opts, pond_arena *arena, pond_error *err)
{
	duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(stats))[row];
	duckdb_vector entries = duckdb_list_vector_get_child(stats);
	duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
	duckdb_vector inner = duckdb_struct_vector_get_child(entries, 1);
	duckdb_vector inner_entries = duckdb_list_vector_get_child(inner);
	duckdb_vector inner_keys = duckdb_struct_vector_get_child(inner_entries, 0);
	duckdb_vector inner_values = duckdb_struct_vector_get_child(inner_entries, 1);
	f->columns = pond_arena_calloc(arena, e.length ? e.length : 1, sizeof(*f->columns));
	f->partition_values = pond_arena_calloc(arena, opts->npartitions ? opts->npartitions : 1, sizeof(char *));
	if (!f->columns || !f->partition_values)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (idx_t i = 0; i < e.length; i++) {
		const char *path = string_at(keys, e.offset + i, arena);
		if (!path)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_written_column col = {0, -1, -1, NULL, NULL};
		duckdb_list_entry ie = ((duckdb_list_entry *)duckdb_vector_get_data(inner))[e.offset + i];
		for (idx_t j = 0; j < ie.length; j++) {
			const char *k = string_at(inner_keys, ie.offset + j, arena);
			const char *v = string_at(inner_values, ie.offset + j, arena);
			if (!k)
				continue;
			if (strcmp(k, "null_count") == 0)
				parse_count(v, &col.null_count);
			else if (strcmp(k, "column_size_bytes") == 0)
				parse_count(v, &col.column_size);
			else if (strcmp(k, "min") == 0)
				col.min = v;
			else if (strcmp(k, "max") == 0)
				col.max = v;
		}
		col.field_id = field_id_for_path(schema, path);
		if (col.field_id > 0)
			f->columns[f->ncolumns++] = col;
	}
	return 0;
}

/* The partition values of one file from partition_keys, MAP(VARCHAR,
 * VARCHAR) from partition column alias to the value's text (NULL for a
 * null). aliases[p] is the alias of partition p. */
static int read_partition_keys(pond_written_file *f, duckdb_vector keys_map, idx_t row, const char *const *aliases,
                               size_t npartitions, pond_arena *arena, pond_error *err)
{
	if (npartitions == 0)
		return 0;
	duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(keys_map))[row];
	duckdb_vector entries = duckdb_list_vector_get_child(keys_map);
	duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
	duckdb_vector values = duckdb_struct_vector_get_child(entries, 1);
	size_t found = 0;
	for (idx_t i = 0; i < e.length; i++) {
		const char *k = string_at(keys, e.offset + i, arena);
		if (!k)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t p = 0; p < npartitions; p++) {
			if (strcmp(aliases[p], k) != 0)
				continue;
			uint64_t *validity = duckdb_vector_get_validity(values);
			bool null = validity && !duckdb_validity_row_is_valid(validity, e.offset + i);
			f->partition_values[p] = null ? NULL : string_at(values, e.offset + i, arena);
			if (!null && !f->partition_values[p])
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			found++;
		}
	}
	if (found != npartitions)
		return pond_error_set(err, POND_ESQL, "the SQL engine returned no partition values for %s", f->path);
	return 0;
}

static int read_stats(pond_result *r, const pond_iceberg_schema *schema, const pond_parquet_write_options *opts,
                      const char *const *aliases, pond_arena *arena, pond_written_file **files, size_t *nfiles,
                      pond_error *err)
{
	size_t cap = 0, n = 0;
	pond_written_file *out = NULL;
	if (pond_result_column_count(r) < 6)
		return pond_error_set(err, POND_ESQL, "the SQL engine returned no file statistics for a write");
	duckdb_data_chunk c;
	int rc;
	while ((rc = pond_result_next(r, &c, err)) == 1) {
		idx_t rows = duckdb_data_chunk_get_size(c);
		for (idx_t i = 0; i < rows && rc == 1; i++) {
			if (!pond_arena_grow(arena, (void **)&out, n, &cap, sizeof(*out))) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
			pond_written_file *f = &out[n++];
			memset(f, 0, sizeof(*f));
			f->path = string_at(duckdb_data_chunk_get_vector(c, 0), i, arena);
			f->record_count = int_at(duckdb_data_chunk_get_vector(c, 1), i);
			f->file_size = int_at(duckdb_data_chunk_get_vector(c, 2), i);
			if (!f->path)
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			else if (read_column_stats(f, duckdb_data_chunk_get_vector(c, 4), i, schema, opts, arena, err) != 0 ||
			         read_partition_keys(f, duckdb_data_chunk_get_vector(c, 5), i, aliases, opts->npartitions, arena,
			                             err) != 0)
				rc = err->code;
		}
		duckdb_destroy_data_chunk(&c);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	*files = out;
	*nfiles = n;
	return 0;
}

int pond_engine_write_parquet(pond_engine *e, const char *select_sql, const pond_iceberg_schema *schema,
                              const pond_parquet_write_options *opts, pond_arena *arena,
                              pond_written_file **files, size_t *nfiles, pond_error *err)
{
	int rc = pond_mkdirs(opts->dir, err);
	if (rc)
		return rc;
	const pond_iceberg_type *root = schema->root;
	/* Every partition value is a column of its own, named apart from the
	 * table's columns (its folder name), which DuckDB splits by and does not
	 * write: a data file holds the table's columns and nothing else
	 * (Iceberg readers refuse columns without field ids). */
	const char **aliases = pond_arena_calloc(arena, opts->npartitions + 1, sizeof(char *));
	if (!aliases)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t p = 0; p < opts->npartitions; p++) {
		const char *alias = opts->partition_names[p];
		for (bool clash = true; clash && alias;) {
			clash = false;
			for (size_t i = 0; i < root->nfields && !clash; i++)
				clash = strcasecmp(root->fields[i].name, alias) == 0;
			for (size_t q = 0; q < p && !clash; q++)
				clash = strcasecmp(aliases[q], alias) == 0;
			if (clash)
				alias = pond_arena_sprintf(arena, "%s_", alias);
		}
		if (!(aliases[p] = alias))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "COPY (SELECT ");
	for (size_t i = 0; i < root->nfields; i++) {
		if (i)
			pond_buf_puts(&sql, ", ");
		pond_sql_quote_ident(&sql, root->fields[i].name);
	}
	for (size_t p = 0; p < opts->npartitions; p++) {
		pond_buf_puts(&sql, ", (");
		if (opts->partition_exprs[p])
			pond_buf_puts(&sql, opts->partition_exprs[p]);
		else  /* an identity partition of the column of that name */
			pond_sql_quote_ident(&sql, opts->partition_names[p]);
		pond_buf_puts(&sql, ") AS ");
		pond_sql_quote_ident(&sql, aliases[p]);
	}
	pond_buf_printf(&sql, " FROM (%s) AS pond_source) TO ", select_sql);
	pond_sql_quote_literal(&sql, opts->dir);
	pond_buf_printf(&sql, " (FORMAT parquet, COMPRESSION %s, RETURN_STATS true, FILENAME_PATTERN 'data-{uuid}', ",
	                opts->compression ? opts->compression : "zstd");
	field_ids_clause(&sql, schema);
	if (opts->npartitions > 0) {
		/* DuckDB cannot split partitioned output by size; each partition
		 * gets its own file. */
		pond_buf_puts(&sql, ", WRITE_PARTITION_COLUMNS false, APPEND true, PARTITION_BY (");
		for (size_t p = 0; p < opts->npartitions; p++) {
			if (p)
				pond_buf_puts(&sql, ", ");
			pond_sql_quote_ident(&sql, aliases[p]);
		}
		pond_buf_putc(&sql, ')');
	} else {
		pond_buf_printf(&sql, ", FILE_SIZE_BYTES %lld",
		                (long long)(opts->target_file_size > 0 ? opts->target_file_size : (int64_t)128 << 20));
	}
	pond_buf_putc(&sql, ')');
	if (!pond_buf_ok(&sql)) {
		pond_buf_dispose(&sql);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_debug("write: %s", pond_buf_cstr(&sql));
	pond_result *r;
	rc = pond_engine_query(e, pond_buf_cstr(&sql), &r, err);
	pond_buf_dispose(&sql);
	if (rc)
		return rc;
	rc = read_stats(r, schema, opts, aliases, arena, files, nfiles, err);
	pond_result_free(&r);
	return rc;
}
