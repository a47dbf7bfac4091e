/*
 * The files a write adds (steps 2 and 3 of write.c): the rows written as
 * Parquet by the engine into a folder of their own, split by the default
 * partition spec; their statistics turned into Iceberg column bounds (read
 * back from the files where the engine leaves them out); NOT NULL checked
 * on what was written; and the one manifest that lists them. Also the
 * cast that gives a query's rows the table's columns (the rows to write).
 */
#include "table_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* truncate[W] of an integer or decimal column c (src), as SQL. In a wider
 * type (a decimal by its unscaled value, which the partition value then
 * is: see partition_value): within W of the type's minimum the result
 * leaves the type. Java wraps it around, which puts the row in a partition
 * that filters then skip; pond refuses it. NULL: out of memory. */
static const char *truncate_number_expr(const pond_iceberg_partition_field *pf, const pond_iceberg_field *src,
                                        const char *c, pond_arena *a)
{
	pond_iceberg_type_id t = src->type->id;
	int w = pf->transform.param;
	const char *wide, *min, *type, *range;
	if (t == POND_ICEBERG_DECIMAL) {
		wide = pond_arena_sprintf(a, "CAST(replace(CAST(%s AS VARCHAR), '.', '') AS HUGEINT)", c);
		char nines[40] = {0};
		memset(nines, '9', (size_t)src->type->precision);
		min = pond_arena_sprintf(a, "-%s", nines);
		type = "HUGEINT";
		range = "decimal";
	} else {
		bool is_int = t == POND_ICEBERG_INT;
		wide = pond_arena_sprintf(a, "CAST(%s AS %s)", c, is_int ? "BIGINT" : "HUGEINT");
		min = is_int ? "-2147483648" : "-9223372036854775808";
		type = is_int ? "INTEGER" : "BIGINT";
		range = is_int ? "int" : "long";
	}
	const char *v = pond_arena_sprintf(a, "(%s - (((%s %% %d) + %d) %% %d))", wide, wide, w, w, w);
	pond_buf why = POND_BUF_INIT;
	pond_buf_printf(&why, "%s %%s cannot go in partition field %s (truncate[%d]): truncated, it is below "
	                "the %s range", src->name, pf->name, w, range);
	pond_buf msg = POND_BUF_INIT;
	pond_sql_quote_literal(&msg, pond_buf_cstr(&why));
	const char *e = pond_arena_sprintf(a, "CASE WHEN %s < %s THEN error(printf(%s, CAST(%s AS VARCHAR))) "
	                                   "ELSE CAST(%s AS %s) END",
	                                   v, min, pond_buf_cstr(&msg), c, v, type);
	pond_buf_dispose(&why);
	pond_buf_dispose(&msg);
	return e;
}

/* The SQL expression computing a partition field's value from its source
 * column, as the transform's result (an integer for the time transforms),
 * or NULL for identity (the column itself is the partition column). */
static int partition_expr(const char **out, const pond_iceberg_partition_field *pf, const pond_iceberg_field *src,
                          pond_arena *a, pond_error *err)
{
	pond_buf col = POND_BUF_INIT;
	pond_sql_quote_ident(&col, src->name);
	const char *c = pond_arena_strdup(a, pond_buf_cstr(&col));
	pond_buf_dispose(&col);
	if (!c)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_iceberg_type_id t = src->type->id;
	bool is_date = t == POND_ICEBERG_DATE;
	const char *ts_us = t == POND_ICEBERG_TIMESTAMPTZ ? "epoch_us(%s)" : "epoch_us(CAST(%s AS TIMESTAMP))";
	switch (pf->transform.kind) {
	case POND_ICEBERG_IDENTITY:
		/* Binary goes as hex, the text partition values are read back in:
		 * DuckDB hands partition values over as VARCHAR, which bytes that
		 * are not UTF-8 cannot be. */
		*out = t == POND_ICEBERG_BINARY ? pond_arena_sprintf(a, "hex(%s)", c) : NULL;
		return 0;
	case POND_ICEBERG_VOID:
		*out = "CAST(NULL AS INTEGER)";
		return 0;
	case POND_ICEBERG_YEAR:
		*out = pond_arena_sprintf(a, "(year(CAST(%s AS DATE)) - 1970)", c);
		break;
	case POND_ICEBERG_MONTH:
		*out = pond_arena_sprintf(a, "((year(CAST(%s AS DATE)) - 1970) * 12 + month(CAST(%s AS DATE)) - 1)", c, c);
		break;
	case POND_ICEBERG_DAY:
		/* The day transform's result is a date (as Java writes it); the
		 * engine's session time zone is UTC, so timestamptz casts in UTC. */
		*out = is_date ? c : pond_arena_sprintf(a, "CAST(%s AS DATE)", c);
		break;
	case POND_ICEBERG_HOUR:
	{
		/* Floor division in integers: a double quotient rounds
		 * 9999-12-31 23:59:59.999999 up into the next hour. */
		const char *us = pond_arena_sprintf(a, ts_us, c);
		*out = pond_arena_sprintf(a,
		                          "CAST((%s - ((%s %% 3600000000) + 3600000000) %% 3600000000) // 3600000000 AS INTEGER)",
		                          us, us);
		break;
	}
	case POND_ICEBERG_BUCKET:
		/* pond_bucket is the engine's Murmur3 bucket function. A decimal is
		 * hashed by its unscaled value: DuckDB prints exactly `scale`
		 * fraction digits, so dropping the point gives it exactly. */
		if (t == POND_ICEBERG_DECIMAL)
			*out = pond_arena_sprintf(a, "pond_bucket(CAST(replace(CAST(%s AS VARCHAR), '.', '') AS HUGEINT), %d)", c,
			                          pf->transform.param);
		else if (t == POND_ICEBERG_TIMESTAMP_NS || t == POND_ICEBERG_TIMESTAMPTZ_NS)
			*out = NULL;  /* not supported: falls to the error below */
		else
			*out = pond_arena_sprintf(a, "pond_bucket(%s, %d)", c, pf->transform.param);
		if (*out)
			break;
		goto unsupported;
	case POND_ICEBERG_TRUNCATE:
		if (t == POND_ICEBERG_INT || t == POND_ICEBERG_LONG || t == POND_ICEBERG_DECIMAL) {
			*out = truncate_number_expr(pf, src, c, a);
			break;
		}
		if (t == POND_ICEBERG_BINARY) {  /* the first w bytes, as hex like identity */
			*out = pond_arena_sprintf(a, "left(hex(%s), %d)", c, 2 * pf->transform.param);
			break;
		}
		if (t == POND_ICEBERG_STRING) {
			*out = pond_arena_sprintf(a, "substring(%s, 1, %d)", c, pf->transform.param);
			break;
		}
		goto unsupported;
	default:
	unsupported: {
		char name[32];
		pond_iceberg_transform_format(name, pf->transform);
		return pond_error_set(err, POND_EUNSUPPORTED, "writing to partition field \"%s\" (%s) is not supported yet",
		                      pf->name, name);
	}
	}
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* Fills the write options' partition columns for spec. */
static int partition_columns(pond_parquet_write_options *o, const pond_iceberg_partition_spec *spec,
                             const pond_iceberg_schema *schema, pond_arena *a, pond_error *err)
{
	if (!spec || spec->nfields == 0)
		return 0;
	const char **names = pond_arena_calloc(a, spec->nfields, sizeof(char *));
	const char **exprs = pond_arena_calloc(a, spec->nfields, sizeof(char *));
	if (!names || !exprs)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < spec->nfields; i++) {
		const pond_iceberg_partition_field *pf = &spec->fields[i];
		const pond_iceberg_field *src = pond_iceberg_schema_find_field(schema, pf->source_id);
		if (!src)
			return pond_error_set(err, POND_ECORRUPT, "partition field \"%s\" refers to missing column id %d",
			                      pf->name, pf->source_id);
		int rc = partition_expr(&exprs[i], pf, src, a, err);
		if (rc)
			return rc;
		names[i] = exprs[i] ? pf->name : src->name;
	}
	o->npartitions = spec->nfields;
	o->partition_names = names;
	o->partition_exprs = exprs;
	return 0;
}

int pond__write_partitioned_select(pond__write *w, pond_buf *sql, const char *rows_sql, pond_error *err)
{
	pond_parquet_write_options wo = POND_PARQUET_WRITE_OPTIONS_INIT;
	int rc = partition_columns(&wo, w->spec, w->schema, w->arena, err);
	if (rc)
		return rc;
	bool computed = false;
	for (size_t p = 0; p < wo.npartitions; p++)
		computed |= wo.partition_exprs[p] != NULL;
	if (!computed) {
		pond_buf_puts(sql, rows_sql);
	} else {
		pond_buf_puts(sql, "SELECT *");
		for (size_t p = 0; p < wo.npartitions; p++)
			if (wo.partition_exprs[p])
				pond_buf_printf(sql, ", (%s)", wo.partition_exprs[p]);
		pond_buf_printf(sql, " FROM (%s) AS pond_source", rows_sql);
	}
	return pond_buf_ok(sql) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* What DuckDB says when the two sides of a UNION differ in their number of
 * columns: pond__write_cast_select's guard. */
#define COLUMN_COUNT_DIFFERS "Set operations can only apply to expressions with the same number of result columns"

int pond__write_cast_select(pond__write *w, pond_buf *sql, const char *select_sql, pond_error *err)
{
	/* The query's columns by position, cast to the table's. The query is
	 * not prepared once more to count its columns: a UNION ALL with an
	 * empty row of NULLs (which take the query's types) makes DuckDB refuse
	 * another number where it binds the write, and pond__write_cast_error
	 * then says it as pond does. */
	const pond_iceberg_type *root = w->schema->root;
	pond_buf_puts(sql, "SELECT ");
	for (size_t i = 0; i < root->nfields; i++) {
		if (i)
			pond_buf_puts(sql, ", ");
		pond_buf_printf(sql, "CAST(#%zu AS ", i + 1);
		pond_engine_iceberg_type_sql(sql, root->fields[i].type);
		pond_buf_puts(sql, ") AS ");
		pond_sql_quote_ident(sql, root->fields[i].name);
	}
	pond_buf_printf(sql, " FROM ((%s) UNION ALL SELECT ", select_sql);
	for (size_t i = 0; i < root->nfields; i++)
		pond_buf_puts(sql, i ? ", NULL" : "NULL");
	pond_buf_puts(sql, " WHERE false)");
	return pond_buf_ok(sql) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond__write_cast_error(pond__write *w, const char *select_sql, int rc, pond_error *err)
{
	if (!err || !strstr(err->msg, COLUMN_COUNT_DIFFERS))
		return rc;
	pond_iceberg_schema *qs;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_engine_query_schema(w->lake->engine, select_sql, w->arena, &qs, &ignored) != 0)
		return rc;
	return pond_error_set(err, POND_EINVAL, "table %s has %zu columns but the query returns %zu", w->name,
	                      w->schema->root->nfields, qs->root->nfields);
}

static int bound_from_text(pond_column_bound *out, int32_t field_id, const pond_iceberg_type *type, const char *text,
                           pond_arena *a)
{
	pond_iceberg_literal lit;
	pond_error ignored = POND_ERROR_INIT;
	/* Long strings are left without bounds: a bound must be exact. */
	if (!text || (type->id == POND_ICEBERG_STRING && strlen(text) > 64))
		return 0;
	if (type->id == POND_ICEBERG_BINARY || type->id == POND_ICEBERG_FIXED) {
		/* The engine gives binary statistics in hex. */
		size_t n = strlen(text);
		if (n % 2 || n > 128)
			return 0;
		unsigned char *bytes = pond_arena_alloc(a, n / 2 + 1);
		if (!bytes)
			return -1;
		for (size_t i = 0; i < n / 2; i++) {
			unsigned int v;
			if (sscanf(text + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", text[2 * i]) ||
			    !strchr("0123456789abcdefABCDEF", text[2 * i + 1]))
				return 0;
			bytes[i] = (unsigned char)v;
		}
		if (type->id == POND_ICEBERG_FIXED && (int64_t)(n / 2) != (int64_t)type->length)
			return 0;
		lit = type->id == POND_ICEBERG_FIXED ? pond_iceberg_literal_fixed(bytes, n / 2)
		                                      : pond_iceberg_literal_binary(bytes, n / 2);
	} else if (pond_iceberg_literal_from_text(&lit, type, text, a, &ignored) != 0) {
		return ignored.code == POND_ENOMEM ? -1 : 0;
	}
	if ((lit.type == POND_ICEBERG_DOUBLE && lit.v.f64 != lit.v.f64) ||
	    (lit.type == POND_ICEBERG_FLOAT && lit.v.f32 != lit.v.f32))
		return 0;
	pond_buf b = POND_BUF_INIT;
	pond_iceberg_bound_encode(&b, &lit);
	out->field_id = field_id;
	out->len = b.len;
	out->ptr = pond_buf_ok(&b) ? pond_arena_memdup(a, b.ptr ? b.ptr : "", b.len) : NULL;
	pond_buf_dispose(&b);
	return out->ptr ? 1 : -1;
}

/* A binary partition value as the write hands it over: hex (see
 * partition_expr). */
static int binary_from_hex(pond_iceberg_literal *out, const char *hex, pond_arena *a, pond_error *err)
{
	size_t n = strlen(hex) / 2;
	uint8_t *bytes = pond_arena_alloc(a, n ? n : 1);
	if (!bytes)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int b = pond_hex_byte(hex + 2 * i);
		if (b < 0)
			return pond_error_set(err, POND_ECORRUPT, "\"%.100s\" is not hex", hex);
		bytes[i] = (uint8_t)b;
	}
	if (strlen(hex) % 2)
		return pond_error_set(err, POND_ECORRUPT, "\"%.100s\" is not hex", hex);
	*out = pond_iceberg_literal_binary(bytes, n);
	return 0;
}

/* A partition value from the text the write hands over (partition_expr):
 * binary as hex, a truncated decimal as its unscaled integer, the rest in
 * Iceberg's text form. */
static int partition_value(pond_iceberg_literal *out, const pond_iceberg_partition_field *pf,
                           const pond_iceberg_type *type, const char *text, pond_arena *a, pond_error *err)
{
	if (type->id == POND_ICEBERG_BINARY)
		return binary_from_hex(out, text, a, err);
	if (type->id != POND_ICEBERG_DECIMAL || pf->transform.kind != POND_ICEBERG_TRUNCATE)
		return pond_iceberg_literal_from_text(out, type, text, a, err);
	/* The unscaled value reads as a decimal of scale 0, with the parser
	 * every decimal goes through; then it takes the column's scale. */
	pond_iceberg_type unscaled = *type;
	unscaled.scale = 0;
	unscaled.precision = 38;
	int rc = pond_iceberg_literal_from_text(out, &unscaled, text, a, err);
	out->scale = type->scale;
	return rc;
}

/* A written file as a manifest's data file. */
static int to_data_file(pond_data_file *df, const pond_written_file *wf, const pond_iceberg_schema *schema,
                        const pond_iceberg_partition_spec *spec, pond_iceberg_type *const *ptypes, pond_arena *a,
                        pond_error *err)
{
	memset(df, 0, sizeof(*df));
	df->content = POND_CONTENT_DATA;
	df->file_path = wf->path;
	df->file_format = "PARQUET";
	df->spec_id = spec ? spec->spec_id : 0;
	df->record_count = wf->record_count;
	df->file_size_in_bytes = wf->file_size;
	size_t n = wf->ncolumns;
	df->column_sizes = pond_arena_calloc(a, n + 1, sizeof(pond_column_count));
	df->value_counts = pond_arena_calloc(a, n + 1, sizeof(pond_column_count));
	df->null_value_counts = pond_arena_calloc(a, n + 1, sizeof(pond_column_count));
	df->lower_bounds = pond_arena_calloc(a, n + 1, sizeof(pond_column_bound));
	df->upper_bounds = pond_arena_calloc(a, n + 1, sizeof(pond_column_bound));
	if (!df->column_sizes || !df->value_counts || !df->null_value_counts || !df->lower_bounds || !df->upper_bounds)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const pond_written_column *c = &wf->columns[i];
		const pond_iceberg_field *f = pond_iceberg_schema_find_field(schema, c->field_id);
		if (!f)
			continue;
		if (c->column_size >= 0)
			df->column_sizes[df->ncolumn_sizes++] = (pond_column_count){c->field_id, c->column_size};
		bool top_level = false;
		for (size_t j = 0; j < schema->root->nfields; j++)
			top_level |= schema->root->fields[j].id == c->field_id;
		if (top_level) {
			/* Iceberg value counts include nulls: one value per row. */
			df->value_counts[df->nvalue_counts++] = (pond_column_count){c->field_id, wf->record_count};
			if (c->null_count >= 0)
				df->null_value_counts[df->nnull_value_counts++] = (pond_column_count){c->field_id, c->null_count};
		}
		int lo = bound_from_text(&df->lower_bounds[df->nlower_bounds], c->field_id, f->type, c->min, a);
		int hi = bound_from_text(&df->upper_bounds[df->nupper_bounds], c->field_id, f->type, c->max, a);
		if (lo < 0 || hi < 0)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		df->nlower_bounds += (size_t)lo;
		df->nupper_bounds += (size_t)hi;
	}
	if (spec && spec->nfields) {
		df->npartition = spec->nfields;
		df->partition = pond_arena_calloc(a, spec->nfields, sizeof(pond_iceberg_literal));
		if (!df->partition)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t p = 0; p < spec->nfields; p++) {
			const pond_iceberg_type *pt = ptypes[p];
			const char *text = wf->partition_values[p];
			if (!text) {
				df->partition[p] = pond_iceberg_literal_null(pt->id);
				continue;
			}
			int rc = partition_value(&df->partition[p], &spec->fields[p], pt, text, a, err);
			if (rc)
				return pond_error_prefix(err, "partition value of %s", wf->path);
		}
	}
	return 0;
}

int pond__write_partition_key(pond__path_map *set, int32_t spec_id, const pond_iceberg_literal *tuple, size_t n)
{
	pond_buf key = POND_BUF_INIT;
	pond_buf_printf(&key, "%" PRId32, spec_id);
	for (size_t i = 0; i < n; i++) {
		pond_buf_putc(&key, '\1');
		pond_iceberg_literal_to_text(&key, &tuple[i]);
	}
	int rc = pond_buf_ok(&key) ? pond__path_map_put(set, pond_buf_cstr(&key), 1) : POND_ENOMEM;
	pond_buf_dispose(&key);
	return rc;
}

/* Fills the bounds the engine's Parquet statistics leave out (booleans,
 * decimals wider than 18 digits) by reading the files back: one query per
 * such column, only for tables that have one. */
static int fill_missing_bounds(pond__write *w, pond_written_file *files, size_t nfiles, pond_error *err)
{
	const pond_iceberg_type *root = w->schema->root;
	int rc = 0;
	for (size_t f = 0; f < root->nfields && rc == 0 && nfiles; f++) {
		const pond_iceberg_field *field = &root->fields[f];
		if (field->type->id != POND_ICEBERG_BOOLEAN && field->type->id != POND_ICEBERG_DECIMAL)
			continue;
		bool missing = false;
		for (size_t i = 0; i < nfiles && !missing; i++)
			for (size_t k = 0; k < files[i].ncolumns; k++)
				if (files[i].columns[k].field_id == field->id && !files[i].columns[k].min &&
				    files[i].columns[k].null_count != files[i].record_count)
					missing = true;
		if (!missing)
			continue;
		pond_buf q = POND_BUF_INIT;
		pond_buf_puts(&q, "SELECT string_agg(filename || chr(2) || lo || chr(2) || hi, chr(1)) FROM (SELECT filename, "
		                  "min(");
		pond_sql_quote_ident(&q, field->name);
		pond_buf_puts(&q, ")::VARCHAR AS lo, max(");
		pond_sql_quote_ident(&q, field->name);
		pond_buf_puts(&q, ")::VARCHAR AS hi FROM read_parquet([");
		for (size_t i = 0; i < nfiles; i++) {
			pond_buf_puts(&q, i ? ", " : "");
			pond_sql_quote_literal(&q, files[i].path);
		}
		pond_buf_puts(&q, "], filename = true) GROUP BY filename) WHERE lo IS NOT NULL");
		char *list = NULL;
		rc = pond_buf_ok(&q) ? pond_engine_query_string(w->lake->engine, pond_buf_cstr(&q), &list, err)
		                     : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_buf_dispose(&q);
		for (char *p = list, *next; rc == 0 && p && *p; p = next) {
			next = strchr(p, '\1');
			if (next)
				*next++ = '\0';
			char *lo = strchr(p, '\2'), *hi = lo ? strchr(lo + 1, '\2') : NULL;
			if (!hi)
				continue;
			*lo++ = '\0';
			*hi++ = '\0';
			for (size_t i = 0; i < nfiles; i++) {
				if (strcmp(files[i].path, p) != 0)
					continue;
				for (size_t k = 0; k < files[i].ncolumns; k++) {
					pond_written_column *col = &files[i].columns[k];
					if (col->field_id != field->id || col->min)
						continue;
					col->min = pond_arena_strdup(w->arena, lo);
					col->max = pond_arena_strdup(w->arena, hi);
					if (!col->min || !col->max)
						rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				}
			}
		}
		pond_free(list);
	}
	return rc;
}

/* NOT NULL holds on every write: a required column with a null in any
 * written file fails the write (the caller removes the folder). The
 * files' statistics answer for most columns; a column they say nothing
 * of (nested types, wide decimals) is counted. */
static int check_required(pond__write *w, const pond_written_file *files, size_t nfiles, pond_error *err)
{
	const pond_iceberg_type *root = w->schema->root;
	for (size_t f = 0; f < root->nfields; f++) {
		if (!root->fields[f].required)
			continue;
		for (size_t i = 0; i < nfiles; i++) {
			const pond_written_file *wf = &files[i];
			int64_t nulls = -1;
			for (size_t k = 0; k < wf->ncolumns; k++)
				if (wf->columns[k].field_id == root->fields[f].id)
					nulls = wf->columns[k].null_count;
			if (nulls < 0 && wf->record_count > 0) {
				pond_buf q = POND_BUF_INIT;
				pond_buf_puts(&q, "SELECT count(*) FROM read_parquet(");
				pond_sql_quote_literal(&q, wf->path);
				pond_buf_puts(&q, ") WHERE ");
				pond_sql_quote_ident(&q, root->fields[f].name);
				pond_buf_puts(&q, " IS NULL");
				int rc = pond_buf_ok(&q) ? pond_engine_query_int(w->lake->engine, pond_buf_cstr(&q), &nulls, err)
				                         : pond_error_set(err, POND_ENOMEM, "out of memory");
				pond_buf_dispose(&q);
				if (rc)
					return rc;
			}
			if (nulls > 0)
				return pond_error_set(err, POND_EINVAL, "column \"%s\" of %s is NOT NULL, and a row holds NULL in it",
				                      root->fields[f].name, w->name);
		}
	}
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const pond_written_file *)a)->path, ((const pond_written_file *)b)->path);
}

int pond__write_rows(pond__write *w, const char *rows_sql, const char **dir, pond_written_file **files,
                     size_t *nfiles, pond_error *err)
{
	pond_parquet_write_options wo = POND_PARQUET_WRITE_OPTIONS_INIT;
	/* Each write gets a folder of its own: DuckDB writes into an empty
	 * folder, and a failed write is undone by removing the folder. */
	char write_id[37];
	pond_uuid_v4_string(write_id);
	write_id[13] = '\0';
	const char *recorded = pond_arena_sprintf(w->arena, "%s/data/%s", w->md->location, write_id);
	if (!recorded)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	wo.dir = *dir = recorded;
	if (w->stage) {
		/* On an object store: written locally first, at the same place
		 * under the staging folder (recorded_path maps it back). */
		wo.dir = *dir = pond_arena_sprintf(w->arena, "%s/data/%s", w->stage, write_id);
		if (!wo.dir)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	} else if (pond_fileio_remapped(w->io)) {
		/* The table moved: write where its files are now; the
		 * manifest records the paths under its location (recorded_path). */
		pond_buf real = POND_BUF_INIT;
		pond_fileio_resolve(w->io, recorded, &real);
		wo.dir = *dir = pond_buf_ok(&real) ? pond_arena_strdup(w->arena, pond_buf_cstr(&real)) : NULL;
		pond_buf_dispose(&real);
		if (!wo.dir)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	wo.target_file_size = w->target_file_size > 0
	                              ? w->target_file_size
	                              : pond_iceberg_metadata_property_i64(w->md, "write.target-file-size-bytes", 0);
	int rc = partition_columns(&wo, w->spec, w->schema, w->arena, err);
	if (rc == 0)
		rc = pond_engine_write_parquet(w->lake->engine, rows_sql, w->schema, &wo, w->arena, files, nfiles, err);
	if (rc)
		return rc;
	if ((rc = check_required(w, *files, *nfiles, err)) != 0)
		return rc;
	size_t n = 0;
	for (size_t i = 0; i < *nfiles; i++) {
		if ((*files)[i].record_count == 0)
			unlink((*files)[i].path);
		else
			(*files)[n++] = (*files)[i];
	}
	*nfiles = n;
	/* The engine's threads finish in any order: manifests list files in
	 * path order (partition folders first), the same every time. */
	if (n > 1)
		qsort(*files, n, sizeof(**files), by_path);
	return fill_missing_bounds(w, *files, n, err);
}

/* The path a manifest records for a file written at real_path: in a
 * table that moved, the same place under the table's recorded location,
 * so that every path of the table moves with it again (a restore of a
 * restored project). NULL on allocation failure. */
static const char *recorded_path(pond__write *w, const char *real_path)
{
	if (w->stage) {
		size_t n = strlen(w->stage);
		if (strncmp(real_path, w->stage, n) == 0 && real_path[n] == '/')
			return pond_arena_sprintf(w->arena, "%s%s", w->md->location, real_path + n);
		return real_path;
	}
	if (!pond_fileio_remapped(w->io))
		return real_path;
	pond_buf real_location = POND_BUF_INIT;
	pond_fileio_resolve(w->io, w->md->location, &real_location);
	const char *out = NULL;
	if (pond_buf_ok(&real_location)) {
		size_t n = real_location.len;
		const char *rl = pond_buf_cstr(&real_location);
		if (strncmp(real_path, rl, n) == 0 && real_path[n] == '/')
			out = pond_arena_sprintf(w->arena, "%s%s", w->md->location, real_path + n);
		else
			out = real_path;
	}
	pond_buf_dispose(&real_location);
	return out;
}

void pond__write_forget_uploads(pond__write *w, bool discard)
{
	if (discard && w->nuploaded) {
		pond_error err = POND_ERROR_INIT;
		if (pond_fileio_remove(w->io, (const char *const *)w->uploaded, w->nuploaded, &err) != 0)
			pond_warn("could not delete the files a failed write to %s uploaded: %s", w->name, err.msg);
	}
	for (size_t i = 0; i < w->nuploaded; i++)
		pond_free(w->uploaded[i]);
	w->nuploaded = 0;
}

int pond__write_upload(pond__write *w, pond_written_file *files, size_t nfiles, pond_error *err)
{
	for (size_t i = 0; w->stage && i < nfiles; i++) {
		const char *url = recorded_path(w, files[i].path);
		/* A table that moved (restored into another bucket) is written
		 * where its files are now, never at the place it records. */
		pond_buf real = POND_BUF_INIT;
		if (url)
			pond_fileio_resolve(w->io, url, &real);
		const char *real_url = pond_buf_ok(&real) ? pond_arena_strdup(w->arena, pond_buf_cstr(&real)) : NULL;
		pond_buf_dispose(&real);
		if (!url || !real_url)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		/* Remembered first: a failed upload may still have left it. */
		int rc = pond__strlist_add(&w->uploaded, &w->nuploaded, &w->capuploaded, real_url, err);
		if (rc)
			return rc;
		if (w->opts->cancel && *w->opts->cancel)
			return pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
		if ((rc = pond_fileio_upload(w->io, files[i].path, real_url, err)) != 0)
			return pond_error_prefix(err, "could not upload the data of %s", w->name);
		files[i].path = url;
	}
	return 0;
}

int pond__write_data_files(pond__write *w, const pond_written_file *files, size_t nfiles, pond_data_file **out,
                           pond_error *err)
{
	const pond_iceberg_partition_spec *spec = w->spec;
	pond_iceberg_type **ptypes = NULL;
	if (spec && spec->nfields) {
		pond_iceberg_type *spec_type;
		int rc = pond_iceberg_partition_spec_type(&spec_type, spec, w->schema, w->arena, err);
		if (rc)
			return rc;
		if (!(ptypes = pond_arena_calloc(w->arena, spec->nfields, sizeof(*ptypes))))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t p = 0; p < spec->nfields; p++)
			ptypes[p] = spec_type->fields[p].type;
	}
	if (!(*out = pond_arena_calloc(w->arena, nfiles ? nfiles : 1, sizeof(**out))))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nfiles; i++) {
		int rc = to_data_file(&(*out)[i], &files[i], w->schema, spec, ptypes, w->arena, err);
		if (rc)
			return rc;
	}
	return 0;
}

int pond__write_manifest(pond__write *w, const pond__change *change, int64_t snapshot_id,
                         const pond_written_file *files, size_t nfiles, pond__path_map *partitions,
                         pond_manifest_file *out, const char **path, pond_error *err)
{
	pond_data_file *dfs;
	int rc = pond__write_data_files(w, files, nfiles, &dfs, err);
	if (rc)
		return rc;
	char uuid[37];
	pond_uuid_v4_string(uuid);
	*path = pond_arena_sprintf(w->arena, "%s/metadata/%s-m0.avro", w->md->location, uuid);
	if (!*path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_manifest_writer_options mo = POND_MANIFEST_WRITER_OPTIONS_INIT;
	mo.schema = w->schema;
	mo.spec = w->spec;
	mo.snapshot_id = snapshot_id;
	pond_manifest_writer *mw;
	if ((rc = pond_manifest_writer_open(&mw, w->io, *path, &mo, err)) != 0)
		return rc;
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		pond_manifest_entry e;
		memset(&e, 0, sizeof(e));
		e.status = POND_MANIFEST_ADDED;
		e.has_snapshot_id = true;
		e.snapshot_id = snapshot_id;
		/* The file sequence number stays null: it is the commit's. */
		e.has_sequence_number = change->has_data_sequence_number;
		e.sequence_number = change->data_sequence_number;
		e.data_file = dfs[i];
		if (!(e.data_file.file_path = recorded_path(w, files[i].path)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		if (rc == 0 && pond__write_partition_key(partitions, e.data_file.spec_id, e.data_file.partition,
		                                         e.data_file.npartition) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		if (rc == 0)
			rc = pond_manifest_writer_add(mw, &e, err);
	}
	if (rc == 0)
		rc = pond_manifest_writer_finish(mw, out, w->arena, err);
	pond_manifest_writer_free(&mw);
	return rc;
}
