/*
 * Values and lists as text in the read SQL (scan_sql.c). Partition
 * constants and initial-defaults go in as VARCHAR text: DuckDB's schema
 * map needs one type for every default_value, and casts the text to the
 * column's type. Relies on the iceberg layer's literals and the engine's
 * quoting and type names.
 */
#include "table_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

static void put_bytes_text(pond_buf *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pond_buf_printf(out, "\\x%02X", p[i]);
}

bool pond__scan_literal_text(pond_buf *out, const pond_iceberg_literal *lit)
{
	if (lit->is_null)
		return false;
	char ts[40];
	switch (lit->type) {
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED:
		put_bytes_text(out, lit->v.bytes.ptr, lit->v.bytes.len);
		return true;
	case POND_ICEBERG_TIMESTAMP:
	case POND_ICEBERG_TIMESTAMPTZ:
		pond_time_format_us(ts, lit->v.i64);
		if (lit->type == POND_ICEBERG_TIMESTAMP && ts[0] && ts[strlen(ts) - 1] == 'Z')
			ts[strlen(ts) - 1] = '\0';
		pond_buf_puts(out, ts);
		return true;
	case POND_ICEBERG_TIME: {
		int64_t us = lit->v.i64;
		pond_buf_printf(out, "%02d:%02d:%02d.%06d", (int)(us / 3600000000LL), (int)(us / 60000000 % 60),
		                (int)(us / 1000000 % 60), (int)(us % 1000000));
		return true;
	}
	default:
		pond_iceberg_literal_to_text(out, lit);
		return true;
	}
}

bool pond__scan_default_text(pond_buf *out, const pond_iceberg_field *f)
{
	if (!f->initial_default)
		return false;
	json_error_t je;
	json_t *j = json_loads(f->initial_default, JSON_DECODE_ANY, &je);
	if (!j)
		return false;
	bool ok = true;
	pond_iceberg_type_id t = f->type->id;
	if (json_is_string(j) && (t == POND_ICEBERG_BINARY || t == POND_ICEBERG_FIXED)) {
		const char *s = json_string_value(j);
		size_t n = strlen(s);
		for (size_t i = 0; i + 1 < n; i += 2) {
			int byte = pond_hex_byte(s + i);
			if (byte < 0)
				break;
			uint8_t b = (uint8_t)byte;
			put_bytes_text(out, &b, 1);
		}
	} else if (json_is_string(j)) {
		pond_buf_puts(out, json_string_value(j));
	} else if (json_is_integer(j)) {
		pond_buf_printf(out, "%" PRId64, (int64_t)json_integer_value(j));
	} else if (json_is_real(j)) {
		pond_buf_printf(out, "%.17g", json_real_value(j));
	} else if (json_is_boolean(j)) {
		pond_buf_puts(out, json_is_true(j) ? "true" : "false");
	} else {
		ok = false;  /* null, or a nested default pond does not fill */
	}
	json_decref(j);
	return ok;
}

void pond__scan_put_file_list(pond_buf *sql, const char *const *files, size_t n)
{
	pond_buf_putc(sql, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			pond_buf_puts(sql, ", ");
		pond_sql_quote_literal(sql, files[i]);
	}
	pond_buf_putc(sql, ']');
}

void pond__scan_put_type_literal(pond_buf *sql, const pond_iceberg_type *type)
{
	pond_buf t = POND_BUF_INIT;
	pond_engine_iceberg_type_sql(&t, type);
	if (!pond_buf_ok(&t))
		sql->oom = true;
	pond_sql_quote_literal(sql, pond_buf_cstr(&t));
	pond_buf_dispose(&t);
}
