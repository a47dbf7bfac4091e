/*
 * Values out of DuckDB vectors, as text (the way DuckDB's own shell shows
 * them) or as JSON. Used by every output path: the SQL shell, exports and
 * the JSON API. Reads the C API's documented vector layouts.
 */
#include "pond/engine.h"

#include <duckdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_i128(pond_buf *b, __int128 v)
{
	char tmp[48];
	int n = 0;
	bool neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (neg)
		pond_buf_putc(b, '-');
	while (n)
		pond_buf_putc(b, tmp[--n]);
}

static void put_u128(pond_buf *b, unsigned __int128 u)
{
	char tmp[48];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	while (n)
		pond_buf_putc(b, tmp[--n]);
}

/* Shortest text that reads back as the same double (or float). */
static void put_real(pond_buf *b, double v, bool is_float, pond_value_style style)
{
	if (isnan(v) || isinf(v)) {
		const char *s = isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
		if (style == POND_VALUE_JSON)
			pond_json_quote(b, s, strlen(s));
		else
			pond_buf_puts(b, s);
		return;
	}
	char tmp[64];
	double mag = fabs(v);
	/* Plain decimals for everyday magnitudes, exponents outside them. */
	bool fixed = mag == 0 || (mag >= 1e-4 && mag < 1e15);
	for (int prec = fixed ? 0 : 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), fixed ? "%.*f" : "%.*g", prec, v);
		if (is_float ? (float)strtod(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	pond_buf_puts(b, tmp);
	/* Keep a double looking like one: 100.0, not 100. */
	if (!strpbrk(tmp, ".eEn"))
		pond_buf_puts(b, ".0");
}

static void put_decimal(pond_buf *b, __int128 v, unsigned scale)
{
	if (scale == 0) {
		put_i128(b, v);
		return;
	}
	bool neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
	unsigned __int128 pow = 1;
	for (unsigned i = 0; i < scale; i++)
		pow *= 10;
	if (neg)
		pond_buf_putc(b, '-');
	put_u128(b, u / pow);
	pond_buf_putc(b, '.');
	char frac[48];
	unsigned __int128 f = u % pow;
	for (int i = (int)scale - 1; i >= 0; i--) {
		frac[i] = (char)('0' + (int)(f % 10));
		f /= 10;
	}
	pond_buf_put(b, frac, scale);
}

static void put_date(pond_buf *b, int32_t days)
{
	if (days == INT32_MAX || days == -INT32_MAX) {
		pond_buf_puts(b, days > 0 ? "infinity" : "-infinity");
		return;
	}
	int64_t y;
	unsigned m, d;
	pond_civil_from_days(days, &y, &m, &d);
	if (y <= 0)
		pond_buf_printf(b, "%04lld-%02u-%02u (BC)", (long long)(1 - y), m, d);
	else
		pond_buf_printf(b, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void put_time_of_day(pond_buf *b, int64_t micros, int64_t frac, int frac_digits)
{
	pond_buf_printf(b, "%02d:%02d:%02d", (int)(micros / 3600000000LL), (int)(micros / 60000000 % 60),
	                (int)(micros / 1000000 % 60));
	if (frac) {
		char f[32];
		snprintf(f, sizeof(f), ".%0*lld", frac_digits, (long long)frac);
		size_t n = strlen(f);
		while (n > 1 && f[n - 1] == '0')
			f[--n] = '\0';
		pond_buf_puts(b, f);
	}
}

/* A timestamp given as units since the epoch; units_per_sec is 1, 1e3,
 * 1e6 or 1e9. */
static void put_timestamp(pond_buf *b, int64_t v, int64_t units_per_sec, bool tz)
{
	if (v == INT64_MAX || v == -INT64_MAX) {
		pond_buf_puts(b, v > 0 ? "infinity" : "-infinity");
		return;
	}
	int64_t units_per_day = units_per_sec * 86400;
	int64_t days = v / units_per_day, rem = v % units_per_day;
	if (rem < 0) {
		rem += units_per_day;
		days--;
	}
	put_date(b, (int32_t)days);
	pond_buf_putc(b, ' ');
	int64_t secs = rem / units_per_sec, sub = rem % units_per_sec;
	int digits = units_per_sec == 1000000000 ? 9 : units_per_sec == 1000000 ? 6 : units_per_sec == 1000 ? 3 : 0;
	put_time_of_day(b, secs * 1000000, sub, digits);
	if (tz)
		pond_buf_puts(b, "+00");
}

static void put_interval(pond_buf *b, duckdb_interval iv)
{
	bool any = false;
	int32_t years = iv.months / 12, months = iv.months % 12;
	if (years) { pond_buf_printf(b, "%d year%s", years, years == 1 || years == -1 ? "" : "s"); any = true; }
	if (months) { pond_buf_printf(b, "%s%d month%s", any ? " " : "", months, months == 1 || months == -1 ? "" : "s"); any = true; }
	if (iv.days) { pond_buf_printf(b, "%s%d day%s", any ? " " : "", iv.days, iv.days == 1 || iv.days == -1 ? "" : "s"); any = true; }
	if (iv.micros || !any) {
		if (any)
			pond_buf_putc(b, ' ');
		int64_t m = iv.micros;
		if (m < 0) {
			pond_buf_putc(b, '-');
			m = -m;
		}
		put_time_of_day(b, m, m % 1000000, 6);
	}
}

static void put_uuid(pond_buf *b, duckdb_hugeint h)
{
	/* DuckDB stores uuids with the top bit flipped so they sort as signed. */
	uint64_t hi = (uint64_t)h.upper ^ ((uint64_t)1 << 63), lo = h.lower;
	uint8_t u[16];
	for (int i = 0; i < 8; i++) {
		u[i] = (uint8_t)(hi >> (56 - 8 * i));
		u[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	char s[37];
	pond_uuid_format(s, u);
	pond_buf_puts(b, s);
}

static void put_blob(pond_buf *b, const char *p, uint32_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (uint32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 32 && c < 127 && c != '\\' && c != '\'' && c != '"') {
			pond_buf_putc(b, (char)c);
		} else {
			char esc[5] = {'\\', 'x', hex[c >> 4], hex[c & 15], 0};
			pond_buf_puts(b, esc);
		}
	}
}

static bool is_valid(duckdb_vector v, idx_t row)
{
	uint64_t *validity = duckdb_vector_get_validity(v);
	return !validity || duckdb_validity_row_is_valid(validity, row);
}

/* Renders a value whose text form must be a JSON string in JSON style. */
static void put_quoted_if_json(pond_buf *b, pond_value_style style, size_t start)
{
	if (style != POND_VALUE_JSON)
		return;
	/* Re-encode the text appended since `start` as a JSON string. */
	size_t len = b->len - start;
	char *copy = pond_strndup(b->ptr + start, len);
	if (!copy) {
		b->oom = true;
		return;
	}
	b->len = start;
	pond_json_quote(b, copy, len);
	pond_free(copy);
}

static void format_nested(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row,
                          pond_value_style style, bool in_nested);

/* Formats an element inside a list, struct or map: NULL shows as NULL (text)
 * or null (JSON); strings are quoted in text mode as DuckDB does. */
static void format_child(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row, pond_value_style style)
{
	if (!is_valid(v, row)) {
		pond_buf_puts(b, style == POND_VALUE_JSON ? "null" : "NULL");
		return;
	}
	format_nested(b, v, t, row, style, true);
}

static void format_struct(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row, pond_value_style style)
{
	idx_t n = duckdb_struct_type_child_count(t);
	pond_buf_putc(b, '{');
	for (idx_t i = 0; i < n; i++) {
		char *name = duckdb_struct_type_child_name(t, i);
		duckdb_logical_type ct = duckdb_struct_type_child_type(t, i);
		if (i)
			pond_buf_puts(b, style == POND_VALUE_JSON ? "," : ", ");
		if (style == POND_VALUE_JSON) {
			pond_json_quote(b, name, strlen(name));
			pond_buf_putc(b, ':');
		} else {
			pond_buf_printf(b, "'%s': ", name);
		}
		format_child(b, duckdb_struct_vector_get_child(v, i), ct, row, style);
		duckdb_destroy_logical_type(&ct);
		duckdb_free(name);
	}
	pond_buf_putc(b, '}');
}

static void format_list(pond_buf *b, duckdb_vector child, duckdb_logical_type ct, idx_t offset, idx_t length,
                        pond_value_style style)
{
	pond_buf_putc(b, '[');
	for (idx_t i = 0; i < length; i++) {
		if (i)
			pond_buf_puts(b, style == POND_VALUE_JSON ? "," : ", ");
		format_child(b, child, ct, offset + i, style);
	}
	pond_buf_putc(b, ']');
}

static void format_map(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row, pond_value_style style)
{
	duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(v))[row];
	duckdb_vector entries = duckdb_list_vector_get_child(v);
	duckdb_vector keys = duckdb_struct_vector_get_child(entries, 0);
	duckdb_vector vals = duckdb_struct_vector_get_child(entries, 1);
	duckdb_logical_type kt = duckdb_map_type_key_type(t), vt = duckdb_map_type_value_type(t);
	pond_buf_putc(b, '{');
	for (idx_t i = 0; i < e.length; i++) {
		if (i)
			pond_buf_puts(b, style == POND_VALUE_JSON ? "," : ", ");
		if (style == POND_VALUE_JSON) {
			/* JSON keys are strings: render the key as text, then quote. */
			size_t start = b->len;
			pond_value_format(b, keys, kt, e.offset + i, POND_VALUE_TEXT);
			put_quoted_if_json(b, style, start);
			pond_buf_putc(b, ':');
		} else {
			format_child(b, keys, kt, e.offset + i, style);
			pond_buf_putc(b, '=');
		}
		format_child(b, vals, vt, e.offset + i, style);
	}
	pond_buf_putc(b, '}');
	duckdb_destroy_logical_type(&kt);
	duckdb_destroy_logical_type(&vt);
}

static void format_union(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row, pond_value_style style)
{
	duckdb_vector tags = duckdb_struct_vector_get_child(v, 0);
	uint8_t tag = ((uint8_t *)duckdb_vector_get_data(tags))[row];
	duckdb_logical_type mt = duckdb_union_type_member_type(t, tag);
	format_child(b, duckdb_struct_vector_get_child(v, (idx_t)tag + 1), mt, row, style);
	duckdb_destroy_logical_type(&mt);
}

static void format_enum(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row)
{
	void *data = duckdb_vector_get_data(v);
	uint64_t idx;
	switch (duckdb_enum_internal_type(t)) {
	case DUCKDB_TYPE_UTINYINT: idx = ((uint8_t *)data)[row]; break;
	case DUCKDB_TYPE_USMALLINT: idx = ((uint16_t *)data)[row]; break;
	default: idx = ((uint32_t *)data)[row]; break;
	}
	char *s = duckdb_enum_dictionary_value(t, idx);
	pond_buf_puts(b, s ? s : "");
	duckdb_free(s);
}

static __int128 decimal_value(duckdb_vector v, duckdb_logical_type t, idx_t row)
{
	void *data = duckdb_vector_get_data(v);
	switch (duckdb_decimal_internal_type(t)) {
	case DUCKDB_TYPE_SMALLINT: return ((int16_t *)data)[row];
	case DUCKDB_TYPE_INTEGER: return ((int32_t *)data)[row];
	case DUCKDB_TYPE_BIGINT: return ((int64_t *)data)[row];
	default: {
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		return (__int128)((unsigned __int128)(uint64_t)h.upper << 64 | h.lower);
	}
	}
}

/* The values JSON writes as strings (blobs, dates, times, timestamps,
 * intervals, uuids, enums) as their text, unquoted. */
static void format_text_value(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row, duckdb_type id)
{
	void *data = duckdb_vector_get_data(v);
	switch (id) {
	case DUCKDB_TYPE_BLOB:
	case DUCKDB_TYPE_BIT: {
		duckdb_string_t *s = &((duckdb_string_t *)data)[row];
		put_blob(b, duckdb_string_t_data(s), duckdb_string_t_length(*s));
		break;
	}
	case DUCKDB_TYPE_DATE: put_date(b, ((int32_t *)data)[row]); break;
	case DUCKDB_TYPE_TIME: {
		int64_t us = ((int64_t *)data)[row];
		put_time_of_day(b, us, us % 1000000, 6);
		break;
	}
	case DUCKDB_TYPE_TIME_NS: {
		int64_t ns = ((int64_t *)data)[row];
		put_time_of_day(b, ns / 1000, ns % 1000000000, 9);
		break;
	}
	case DUCKDB_TYPE_TIME_TZ: {
		duckdb_time_tz_struct tz = duckdb_from_time_tz(((duckdb_time_tz *)data)[row]);
		int64_t us = ((int64_t)tz.time.hour * 3600 + tz.time.min * 60 + tz.time.sec) * 1000000 + tz.time.micros;
		put_time_of_day(b, us, tz.time.micros, 6);
		int off = tz.offset;
		pond_buf_printf(b, "%c%02d", off < 0 ? '-' : '+', abs(off) / 3600);
		if (abs(off) % 3600)
			pond_buf_printf(b, ":%02d", abs(off) % 3600 / 60);
		break;
	}
	case DUCKDB_TYPE_TIMESTAMP: put_timestamp(b, ((int64_t *)data)[row], 1000000, false); break;
	case DUCKDB_TYPE_TIMESTAMP_TZ: put_timestamp(b, ((int64_t *)data)[row], 1000000, true); break;
	case DUCKDB_TYPE_TIMESTAMP_S: put_timestamp(b, ((int64_t *)data)[row], 1, false); break;
	case DUCKDB_TYPE_TIMESTAMP_MS: put_timestamp(b, ((int64_t *)data)[row], 1000, false); break;
	case DUCKDB_TYPE_TIMESTAMP_NS: put_timestamp(b, ((int64_t *)data)[row], 1000000000, false); break;
	case DUCKDB_TYPE_INTERVAL: put_interval(b, ((duckdb_interval *)data)[row]); break;
	case DUCKDB_TYPE_UUID: put_uuid(b, ((duckdb_hugeint *)data)[row]); break;
	case DUCKDB_TYPE_ENUM: format_enum(b, v, t, row); break;
	default: pond_buf_printf(b, "<%s>", "unsupported type"); break;
	}
}

static void format_nested(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row,
                          pond_value_style style, bool in_nested)
{
	void *data = duckdb_vector_get_data(v);
	size_t start = b->len;
	duckdb_type id = duckdb_get_type_id(t);
	switch (id) {
	case DUCKDB_TYPE_BOOLEAN: pond_buf_puts(b, ((bool *)data)[row] ? "true" : "false"); return;
	case DUCKDB_TYPE_TINYINT: pond_buf_printf(b, "%d", ((int8_t *)data)[row]); return;
	case DUCKDB_TYPE_SMALLINT: pond_buf_printf(b, "%d", ((int16_t *)data)[row]); return;
	case DUCKDB_TYPE_INTEGER: pond_buf_printf(b, "%d", ((int32_t *)data)[row]); return;
	case DUCKDB_TYPE_BIGINT: pond_buf_printf(b, "%lld", (long long)((int64_t *)data)[row]); return;
	case DUCKDB_TYPE_UTINYINT: pond_buf_printf(b, "%u", ((uint8_t *)data)[row]); return;
	case DUCKDB_TYPE_USMALLINT: pond_buf_printf(b, "%u", ((uint16_t *)data)[row]); return;
	case DUCKDB_TYPE_UINTEGER: pond_buf_printf(b, "%u", ((uint32_t *)data)[row]); return;
	case DUCKDB_TYPE_UBIGINT: pond_buf_printf(b, "%llu", (unsigned long long)((uint64_t *)data)[row]); return;
	case DUCKDB_TYPE_HUGEINT: {
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		put_i128(b, (__int128)((unsigned __int128)(uint64_t)h.upper << 64 | h.lower));
		return;
	}
	case DUCKDB_TYPE_UHUGEINT: {
		duckdb_uhugeint h = ((duckdb_uhugeint *)data)[row];
		put_u128(b, (unsigned __int128)h.upper << 64 | h.lower);
		return;
	}
	case DUCKDB_TYPE_FLOAT: put_real(b, ((float *)data)[row], true, style); return;
	case DUCKDB_TYPE_DOUBLE: put_real(b, ((double *)data)[row], false, style); return;
	case DUCKDB_TYPE_DECIMAL: put_decimal(b, decimal_value(v, t, row), duckdb_decimal_scale(t)); return;
	case DUCKDB_TYPE_LIST: {
		duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
		duckdb_logical_type ct = duckdb_list_type_child_type(t);
		format_list(b, duckdb_list_vector_get_child(v), ct, e.offset, e.length, style);
		duckdb_destroy_logical_type(&ct);
		return;
	}
	case DUCKDB_TYPE_ARRAY: {
		idx_t size = duckdb_array_type_array_size(t);
		duckdb_logical_type ct = duckdb_array_type_child_type(t);
		format_list(b, duckdb_array_vector_get_child(v), ct, row * size, size, style);
		duckdb_destroy_logical_type(&ct);
		return;
	}
	case DUCKDB_TYPE_STRUCT: format_struct(b, v, t, row, style); return;
	case DUCKDB_TYPE_MAP: format_map(b, v, t, row, style); return;
	case DUCKDB_TYPE_UNION: format_union(b, v, t, row, style); return;
	default: break;
	}
	/* Everything below is a string in JSON. */
	if (id == DUCKDB_TYPE_VARCHAR) {
		duckdb_string_t *s = &((duckdb_string_t *)data)[row];
		const char *p = duckdb_string_t_data(s);
		uint32_t len = duckdb_string_t_length(*s);
		if (style == POND_VALUE_JSON) {
			pond_json_quote(b, p, len);
			return;
		}
		if (in_nested)
			pond_buf_putc(b, '\'');
		pond_buf_put(b, p, len);
		if (in_nested)
			pond_buf_putc(b, '\'');
		return;
	}
	format_text_value(b, v, t, row, id);
	if (in_nested && style == POND_VALUE_TEXT && id != DUCKDB_TYPE_ENUM)
		return;
	put_quoted_if_json(b, style, start);
}

bool pond_value_format(pond_buf *b, duckdb_vector v, duckdb_logical_type t, idx_t row, pond_value_style style)
{
	if (!is_valid(v, row)) {
		if (style == POND_VALUE_JSON)
			pond_buf_puts(b, "null");
		return false;
	}
	format_nested(b, v, t, row, style, false);
	return true;
}

bool pond_type_is_numeric(duckdb_logical_type t)
{
	switch (duckdb_get_type_id(t)) {
	case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_BIGINT:
	case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT:
	case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE:
	case DUCKDB_TYPE_DECIMAL:
		return true;
	default:
		return false;
	}
}

void pond_type_name(pond_buf *b, duckdb_logical_type t)
{
	static const struct { duckdb_type id; const char *name; } names[] = {
		{DUCKDB_TYPE_BOOLEAN, "boolean"}, {DUCKDB_TYPE_TINYINT, "tinyint"},
		{DUCKDB_TYPE_SMALLINT, "smallint"}, {DUCKDB_TYPE_INTEGER, "integer"},
		{DUCKDB_TYPE_BIGINT, "bigint"}, {DUCKDB_TYPE_UTINYINT, "utinyint"},
		{DUCKDB_TYPE_USMALLINT, "usmallint"}, {DUCKDB_TYPE_UINTEGER, "uinteger"},
		{DUCKDB_TYPE_UBIGINT, "ubigint"}, {DUCKDB_TYPE_HUGEINT, "hugeint"},
		{DUCKDB_TYPE_UHUGEINT, "uhugeint"}, {DUCKDB_TYPE_FLOAT, "float"},
		{DUCKDB_TYPE_DOUBLE, "double"}, {DUCKDB_TYPE_VARCHAR, "varchar"},
		{DUCKDB_TYPE_BLOB, "blob"}, {DUCKDB_TYPE_DATE, "date"}, {DUCKDB_TYPE_TIME, "time"},
		{DUCKDB_TYPE_TIME_NS, "time_ns"}, {DUCKDB_TYPE_TIME_TZ, "time with time zone"},
		{DUCKDB_TYPE_TIMESTAMP, "timestamp"}, {DUCKDB_TYPE_TIMESTAMP_TZ, "timestamp with time zone"},
		{DUCKDB_TYPE_TIMESTAMP_S, "timestamp_s"}, {DUCKDB_TYPE_TIMESTAMP_MS, "timestamp_ms"},
		{DUCKDB_TYPE_TIMESTAMP_NS, "timestamp_ns"}, {DUCKDB_TYPE_INTERVAL, "interval"},
		{DUCKDB_TYPE_UUID, "uuid"}, {DUCKDB_TYPE_BIT, "bit"}, {DUCKDB_TYPE_ENUM, "enum"},
		{DUCKDB_TYPE_BIGNUM, "bignum"}, {DUCKDB_TYPE_SQLNULL, "null"},
	};
	duckdb_type id = duckdb_get_type_id(t);
	switch (id) {
	case DUCKDB_TYPE_DECIMAL:
		pond_buf_printf(b, "decimal(%u,%u)", duckdb_decimal_width(t), duckdb_decimal_scale(t));
		return;
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_ARRAY: {
		duckdb_logical_type ct = id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(t)
		                                                : duckdb_array_type_child_type(t);
		pond_type_name(b, ct);
		duckdb_destroy_logical_type(&ct);
		if (id == DUCKDB_TYPE_LIST)
			pond_buf_puts(b, "[]");
		else
			pond_buf_printf(b, "[%llu]", (unsigned long long)duckdb_array_type_array_size(t));
		return;
	}
	case DUCKDB_TYPE_STRUCT:
	case DUCKDB_TYPE_UNION: {
		bool is_struct = id == DUCKDB_TYPE_STRUCT;
		idx_t n = is_struct ? duckdb_struct_type_child_count(t) : duckdb_union_type_member_count(t);
		pond_buf_puts(b, is_struct ? "struct(" : "union(");
		for (idx_t i = 0; i < n; i++) {
			char *name = is_struct ? duckdb_struct_type_child_name(t, i) : duckdb_union_type_member_name(t, i);
			duckdb_logical_type ct = is_struct ? duckdb_struct_type_child_type(t, i)
			                                   : duckdb_union_type_member_type(t, i);
			pond_buf_printf(b, "%s%s ", i ? ", " : "", name);
			pond_type_name(b, ct);
			duckdb_destroy_logical_type(&ct);
			duckdb_free(name);
		}
		pond_buf_putc(b, ')');
		return;
	}
	case DUCKDB_TYPE_MAP: {
		duckdb_logical_type kt = duckdb_map_type_key_type(t), vt = duckdb_map_type_value_type(t);
		pond_buf_puts(b, "map(");
		pond_type_name(b, kt);
		pond_buf_puts(b, ", ");
		pond_type_name(b, vt);
		pond_buf_putc(b, ')');
		duckdb_destroy_logical_type(&kt);
		duckdb_destroy_logical_type(&vt);
		return;
	}
	default:
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (names[i].id == id) {
				pond_buf_puts(b, names[i].name);
				return;
			}
		}
		pond_buf_puts(b, "unknown");
	}
}
