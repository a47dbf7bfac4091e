/*
 * The options that read messy CSV: lines to skip before the header, null
 * strings, per-column types with date and timestamp formats (DuckDB's
 * strptime), and numbers written with a decimal comma or thousands
 * separators. Everything DuckDB's CSV reader can do goes into the reader
 * call, so that its errors keep naming the file's own line; the one thing
 * it cannot, thousands separators, is a pass here over the text columns
 * that turns a column into numbers only when every value in it is one.
 */
#include "ingest_internal.h"

#include <string.h>

bool pond_ingest_number_format_parse(const char *decimal, const char *thousands, char *out_decimal,
                                     char *out_thousands, const char **why)
{
	if (decimal && strcmp(decimal, ".") != 0 && strcmp(decimal, ",") != 0) {
		*why = "\"decimal_mark\" is \".\" or \",\"";
		return false;
	}
	char d = decimal ? decimal[0] : '.';
	char t = d == ',' ? '.' : ',';
	if (thousands) {
		if (strlen(thousands) > 1 || (thousands[0] && strchr(",. '", thousands[0]) == NULL) || thousands[0] == d) {
			*why = "\"thousands\" is one of , . ' or a space (or \"\" for none), other than the decimal mark";
			return false;
		}
		t = thousands[0];
	}
	*out_decimal = d;
	*out_thousands = t;
	return true;
}

const char *pond_ingest_column_sql_type(const char *type)
{
	static const struct { const char *name, *sql; } types[] = {
		{"text", "VARCHAR"}, {"string", "VARCHAR"},  {"long", "BIGINT"}, {"double", "DOUBLE"},
		{"boolean", "BOOLEAN"}, {"date", "DATE"}, {"timestamp", "TIMESTAMP"},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			return types[i].sql;
	return NULL;
}

int pond__ingest_csv_check(const pond_ingest_read *read, const char **why, pond_arena *a)
{
	const char *dates = NULL, *stamps = NULL;
	*why = NULL;
	for (size_t i = 0; i < read->ncolumns; i++) {
		const pond_ingest_column *c = &read->columns[i];
		const char *sql = pond_ingest_column_sql_type(c->type);
		if (!sql) {
			*why = pond_arena_sprintf(a, "column \"%s\": unknown type \"%s\" (expected text, long, double, boolean, "
			                             "date or timestamp)", c->name, c->type);
			return POND_EINVAL;
		}
		bool dated = strcmp(sql, "DATE") == 0 || strcmp(sql, "TIMESTAMP") == 0;
		if (dated && !c->format) {
			*why = pond_arena_sprintf(a, "column \"%s\" needs \"format\" (e.g. \"%%d.%%m.%%Y\")", c->name);
			return POND_EINVAL;
		}
		if (!dated && c->format) {
			*why = pond_arena_sprintf(a, "column \"%s\": \"format\" is for date and timestamp columns", c->name);
			return POND_EINVAL;
		}
		/* DuckDB's reader takes one date format and one timestamp
		 * format per read. */
		const char **seen = strcmp(sql, "DATE") == 0 ? &dates : &stamps;
		if (dated && *seen && strcmp(*seen, c->format) != 0) {
			*why = pond_arena_sprintf(a, "column \"%s\": the %ss of one CSV file share one format (\"%s\", not "
			                             "\"%s\")", c->name, c->type, *seen, c->format);
			return POND_EUNSUPPORTED;
		}
		if (dated)
			*seen = c->format;
	}
	if (read->thousands && !read->decimal_mark) {
		*why = "\"thousands\" needs \"decimal_mark\"";
		return POND_EINVAL;
	}
	return 0;
}

int pond__ingest_csv_reader_options(pond_buf *sql, const pond_ingest_read *read, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *why;
	int rc = pond__ingest_csv_check(read, &why, a);
	if (rc) {
		pond_error_set(err, rc, "%s", why ? why : "out of memory");
		pond_arena_free(&a);
		return rc;
	}
	pond_arena_free(&a);
	pond_buf_printf(sql, ", skip = %lld", (long long)read->skip);
	if (read->header >= 0)
		pond_buf_printf(sql, ", header = %s", read->header ? "true" : "false");
	if (read->nnulls) {
		pond_buf_puts(sql, ", nullstr = [");
		for (size_t i = 0; i < read->nnulls; i++) {
			pond_buf_puts(sql, i ? ", " : "");
			pond_sql_quote_literal(sql, read->nulls[i]);
		}
		pond_buf_putc(sql, ']');
	}
	if (read->decimal_mark == ',')
		pond_buf_puts(sql, ", decimal_separator = ','");
	if (read->ncolumns == 0)
		return 0;
	for (size_t i = 0; i < read->ncolumns; i++) {
		const pond_ingest_column *c = &read->columns[i];
		const char *type = pond_ingest_column_sql_type(c->type);
		if (c->format) {
			pond_buf_puts(sql, strcmp(type, "DATE") == 0 ? ", dateformat = " : ", timestampformat = ");
			pond_sql_quote_literal(sql, c->format);
		}
	}
	/* Last: pin_csv_types adds the table's types to this map. */
	pond_buf_puts(sql, ", types = {");
	for (size_t i = 0; i < read->ncolumns; i++) {
		pond_buf_puts(sql, i ? ", " : "");
		pond_sql_quote_literal(sql, read->columns[i].name);
		pond_buf_puts(sql, ": ");
		pond_sql_quote_literal(sql, pond_ingest_column_sql_type(read->columns[i].type));
	}
	pond_buf_putc(sql, '}');
	return 0;
}

bool pond__ingest_csv_typed_column(const pond_ingest_read *read, const char *name)
{
	for (size_t i = 0; read && i < read->ncolumns; i++)
		if (strcmp(read->columns[i].name, name) == 0)
			return true;
	return false;
}

/* The regular expression of a number as read writes it. */
static void number_pattern(pond_buf *re, const pond_ingest_read *read)
{
	char d = read->decimal_mark == '.' ? 0 : read->decimal_mark;
	pond_buf_puts(re, "[+-]?(");
	if (read->thousands)
		pond_buf_printf(re, "[0-9]{1,3}(%s%c[0-9]{3})+|", read->thousands == '.' ? "\\" : "", read->thousands);
	pond_buf_printf(re, "[0-9]+)(%s%c[0-9]+)?", d ? "" : "\\", d ? d : '.');
}

/* The SQL of a text column's value as a number of the given type. */
static void number_expr(pond_buf *sql, const pond_ingest_read *read, const char *column, const char *type)
{
	char t[2] = {read->thousands, '\0'}, d[2] = {read->decimal_mark, '\0'};
	pond_buf_puts(sql, "CAST(replace(");
	if (read->thousands)
		pond_buf_puts(sql, "replace(");
	pond_buf_puts(sql, "csv.");
	pond_sql_quote_ident(sql, column);
	if (read->thousands) {
		pond_buf_puts(sql, ", ");
		pond_sql_quote_literal(sql, t);
		pond_buf_puts(sql, ", '')");
	}
	pond_buf_puts(sql, ", ");
	pond_sql_quote_literal(sql, d);
	pond_buf_printf(sql, ", '.') AS %s)", type);
}

int pond__ingest_csv_numbers(ingest_csv_numbers *out, pond_engine *engine, const ingest_load *l,
                             pond_iceberg_schema **src, pond_arena *a, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	const pond_iceberg_type *root = (*src)->root;
	const pond_ingest_read *read = l->read;
	pond_buf re = POND_BUF_INIT, q = POND_BUF_INIT;
	number_pattern(&re, read);
	/* One pass: per text column, 't' (stays text), 'd' (numbers with a
	 * fraction) or 'l' (whole numbers). Lines the reader cannot read are
	 * the load's to report, not this pass's. */
	size_t ntext = 0;
	pond_buf_puts(&q, "SELECT ''");
	for (size_t i = 0; i < root->nfields; i++) {
		const pond_iceberg_field *f = &root->fields[i];
		if (f->type->id != POND_ICEBERG_STRING || pond__ingest_csv_typed_column(read, f->name))
			continue;
		pond_buf col = POND_BUF_INIT;
		pond_sql_quote_ident(&col, f->name);
		const char *c = pond_buf_cstr(&col);
		char d[2] = {read->decimal_mark, '\0'};
		pond_buf_printf(&q, " || CASE WHEN count(%s) = 0 OR count(%s) FILTER (WHERE NOT regexp_full_match(%s, ", c, c,
		                c);
		pond_sql_quote_literal(&q, pond_buf_cstr(&re));
		pond_buf_printf(&q, ")) > 0 THEN 't' WHEN count(%s) FILTER (WHERE contains(%s, ", c, c);
		pond_sql_quote_literal(&q, d);
		pond_buf_puts(&q, ")) > 0 THEN 'd' ELSE 'l' END");
		pond_buf_dispose(&col);
		ntext++;
	}
	size_t rl = strlen(l->read_sql);
	pond_buf_printf(&q, " FROM (%.*s, ignore_errors = true))", (int)(rl - 1), l->read_sql);
	pond_buf_dispose(&re);
	if (ntext == 0) {
		pond_buf_dispose(&q);
		return 0;
	}
	char *kinds = NULL;
	int rc = pond_buf_ok(&q) ? pond_engine_query_string(engine, pond_buf_cstr(&q), &kinds, err)
	                         : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&q);
	if (rc) {
		pond__ingest_reader_error(err, l->what, l->tmp_path);
		return rc;
	}
	out->read = read;
	out->names = pond_arena_calloc(a, ntext, sizeof(char *));
	out->types = pond_arena_calloc(a, ntext, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; out->names && out->types && i < root->nfields && kinds; i++) {
		const pond_iceberg_field *f = &root->fields[i];
		if (f->type->id != POND_ICEBERG_STRING || pond__ingest_csv_typed_column(read, f->name))
			continue;
		char kind = kinds[k++];
		if (kind != 'd' && kind != 'l')
			continue;
		out->names[out->n] = f->name;
		out->types[out->n++] = kind == 'd' ? "DOUBLE" : "BIGINT";
	}
	pond_free(kinds);
	if (!out->names || !out->types)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (out->n == 0)
		return 0;
	const char *sql = pond__ingest_csv_numbers_wrap(out, l->read_sql, NULL, a);
	if (!sql)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return pond_engine_query_schema(engine, sql, a, src, err);
}

int pond__ingest_csv_numbers_fit(const ingest_csv_numbers *numbers, const pond_iceberg_type *table, const char *what,
                                 const char *table_name, pond_error *err)
{
	for (size_t i = 0; numbers && i < numbers->n; i++) {
		const pond_iceberg_field *f = pond__ingest_find_field(table, numbers->names[i]);
		if (f && strcmp(numbers->types[i], "DOUBLE") == 0 &&
		    (f->type->id == POND_ICEBERG_INT || f->type->id == POND_ICEBERG_LONG))
			return pond_error_set(err, POND_EINVAL, "%s: column \"%s\" has numbers with a fraction, but it is a "
			                      "whole-number column of table %s", what, numbers->names[i], table_name);
	}
	return 0;
}

const char *pond__ingest_csv_numbers_wrap(const ingest_csv_numbers *numbers, const char *read_sql,
                                          const pond_iceberg_type *table, pond_arena *a)
{
	if (!numbers || numbers->n == 0)
		return read_sql;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT * REPLACE (");
	for (size_t i = 0; i < numbers->n; i++) {
		/* Into a table's number column the text converts to its type:
		 * "1,5" into a long column fails rather than rounds. */
		const pond_iceberg_field *f = table ? pond__ingest_find_field(table, numbers->names[i]) : NULL;
		pond_buf type = POND_BUF_INIT;
		if (f && pond_iceberg_type_is_primitive(f->type))
			pond_engine_iceberg_type_sql(&type, f->type);
		else
			pond_buf_puts(&type, numbers->types[i]);
		pond_buf_puts(&sql, i ? ", " : "");
		number_expr(&sql, numbers->read, numbers->names[i], pond_buf_cstr(&type));
		pond_buf_dispose(&type);
		pond_buf_puts(&sql, " AS ");
		pond_sql_quote_ident(&sql, numbers->names[i]);
	}
	pond_buf_printf(&sql, ") FROM (%s) AS csv", read_sql);
	const char *out = pond_buf_ok(&sql) ? pond_arena_strdup(a, pond_buf_cstr(&sql)) : NULL;
	pond_buf_dispose(&sql);
	return out;
}

bool pond__ingest_csv_numbers_has(const ingest_csv_numbers *numbers, const char *name)
{
	for (size_t i = 0; numbers && i < numbers->n; i++)
		if (strcmp(numbers->names[i], name) == 0)
			return true;
	return false;
}
