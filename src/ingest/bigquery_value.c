/*
 * BigQuery result rows as NDJSON that DuckDB reads with exact types. The
 * REST API sends every cell as a JSON string (or null): numbers as decimal
 * text, FLOAT64 also as "NaN" and "Infinity", BYTES as base64, TIMESTAMP
 * as seconds since the epoch in float or exponent notation; RECORDs nest
 * as {"f": [...]} and REPEATED fields as [{"v": ...}, ...]. Each value is
 * checked here, so a bad one names its column, and turned into text
 * DuckDB casts exactly (a TIMESTAMP is read as a decimal, never through a
 * double, so its microseconds survive). The types come from the result's
 * schema, never from the values.
 */
#include "bigquery.h"

#include <stdlib.h>
#include <string.h>

/* ---- schema ---------------------------------------------------------------------------- */

static bq_kind kind_of(const char *type)
{
	static const struct {
		const char *name;
		bq_kind kind;
	} kinds[] = {
	        {"INTEGER", BQ_INT64},     {"INT64", BQ_INT64},         {"FLOAT", BQ_FLOAT64}, {"FLOAT64", BQ_FLOAT64},
	        {"NUMERIC", BQ_NUMERIC},   {"DECIMAL", BQ_NUMERIC},     {"BOOLEAN", BQ_BOOL},  {"BOOL", BQ_BOOL},
	        {"BYTES", BQ_BYTES},       {"TIMESTAMP", BQ_TIMESTAMP}, {"DATE", BQ_DATE},     {"TIME", BQ_TIME},
	        {"DATETIME", BQ_DATETIME}, {"RECORD", BQ_RECORD},       {"STRUCT", BQ_RECORD},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(type, kinds[i].name) == 0)
			return kinds[i].kind;
	/* STRING, JSON, GEOGRAPHY, INTERVAL, RANGE, BIGNUMERIC (76 digits,
	 * beyond Iceberg's decimal(38)) and types added later: text. */
	return BQ_STRING;
}

static int parse_fields(bq_field **out, size_t *n, const json_t *schema, int depth, pond_arena *a, pond_error *err)
{
	const json_t *list = json_object_get(schema, "fields");
	if (!json_is_array(list))
		return pond_error_set(err, POND_ECORRUPT, "the result's schema has no \"fields\" list");
	if (depth > BQ_MAX_DEPTH)
		return pond_error_set(err, POND_ELIMIT, "the result's schema nests RECORDs over %d deep", BQ_MAX_DEPTH);
	size_t count = json_array_size(list);
	bq_field *fields = pond_arena_calloc(a, count ? count : 1, sizeof(*fields));
	if (!fields)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const json_t *f = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *type = json_string_value(json_object_get(f, "type"));
		const char *mode = json_string_value(json_object_get(f, "mode"));
		if (!name || !*name || !type)
			return pond_error_set(err, POND_ECORRUPT,
			                      "field %zu of the result's schema has no name or type", i + 1);
		bq_field *bf = &fields[i];
		bf->name = pond_arena_strdup(a, name);
		bf->type = pond_arena_strdup(a, type);
		bf->kind = kind_of(type);
		bf->repeated = mode && strcmp(mode, "REPEATED") == 0;
		if (!bf->name || !bf->type)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		if (bf->kind == BQ_RECORD) {
			int rc = parse_fields(&bf->fields, &bf->nfields, f, depth + 1, a, err);
			if (rc)
				return pond_error_prefix(err, "field \"%s\"", name);
			if (bf->nfields == 0)
				return pond_error_set(err, POND_ECORRUPT, "RECORD field \"%s\" has no fields", name);
		}
	}
	*out = fields;
	*n = count;
	return 0;
}

int pond__bq_schema_parse(bq_field **out, size_t *n, const json_t *schema, pond_arena *arena, pond_error *err)
{
	*out = NULL;
	*n = 0;
	return parse_fields(out, n, schema, 1, arena, err);
}

void pond__bq_duck_type(pond_buf *out, const bq_field *f)
{
	switch (f->kind) {
	case BQ_INT64: pond_buf_puts(out, "BIGINT"); break;
	case BQ_FLOAT64: pond_buf_puts(out, "DOUBLE"); break;
	case BQ_NUMERIC: pond_buf_puts(out, "DECIMAL(38,9)"); break;
	case BQ_BOOL: pond_buf_puts(out, "BOOLEAN"); break;
	case BQ_TIMESTAMP: pond_buf_puts(out, "TIMESTAMPTZ"); break;
	case BQ_DATE: pond_buf_puts(out, "DATE"); break;
	case BQ_TIME: pond_buf_puts(out, "TIME"); break;
	case BQ_DATETIME: pond_buf_puts(out, "TIMESTAMP"); break;
	case BQ_RECORD:
		pond_buf_puts(out, "STRUCT(");
		for (size_t i = 0; i < f->nfields; i++) {
			pond_buf_puts(out, i ? ", " : "");
			pond_sql_quote_ident(out, f->fields[i].name);
			pond_buf_putc(out, ' ');
			pond__bq_duck_type(out, &f->fields[i]);
		}
		pond_buf_putc(out, ')');
		break;
	default: pond_buf_puts(out, "VARCHAR"); break; /* BYTES too: base64 until decoded */
	}
	if (f->repeated)
		pond_buf_puts(out, "[]");
}

static bool has_bytes(const bq_field *f)
{
	if (f->kind == BQ_BYTES)
		return true;
	for (size_t i = 0; i < f->nfields; i++)
		if (has_bytes(&f->fields[i]))
			return true;
	return false;
}

/* f's value at src with its BYTES decoded (depth names lambda variables). */
static void decode_expr(pond_buf *out, const bq_field *f, const char *src, bool element, int depth)
{
	if (f->repeated && !element) {
		char var[16];
		snprintf(var, sizeof(var), "x%d", depth);
		pond_buf_printf(out, "list_transform(%s, lambda %s: ", src, var);
		decode_expr(out, f, var, true, depth + 1);
		pond_buf_putc(out, ')');
		return;
	}
	if (f->kind == BQ_BYTES) {
		pond_buf_printf(out, "from_base64(%s)", src);
		return;
	}
	if (f->kind != BQ_RECORD || !has_bytes(f)) {
		pond_buf_puts(out, src);
		return;
	}
	pond_buf_printf(out, "CASE WHEN %s IS NULL THEN NULL ELSE struct_pack(", src);
	for (size_t i = 0; i < f->nfields; i++) {
		pond_buf child = POND_BUF_INIT;
		pond_buf_printf(&child, "struct_extract(%s, ", src);
		pond_sql_quote_literal(&child, f->fields[i].name);
		pond_buf_putc(&child, ')');
		pond_buf_puts(out, i ? ", " : "");
		pond_sql_quote_ident(out, f->fields[i].name);
		pond_buf_puts(out, " := ");
		decode_expr(out, &f->fields[i], pond_buf_ok(&child) ? pond_buf_cstr(&child) : "NULL", false, depth + 1);
		if (!pond_buf_ok(&child))
			out->oom = true;
		pond_buf_dispose(&child);
	}
	pond_buf_puts(out, ") END");
}

void pond__bq_select(pond_buf *out, const bq_field *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(out, i ? ", " : "");
		if (!has_bytes(&fields[i])) {
			pond_sql_quote_ident(out, fields[i].name);
			continue;
		}
		pond_buf col = POND_BUF_INIT;
		pond_sql_quote_ident(&col, fields[i].name);
		decode_expr(out, &fields[i], pond_buf_ok(&col) ? pond_buf_cstr(&col) : "NULL", false, 0);
		if (!pond_buf_ok(&col))
			out->oom = true;
		pond_buf_dispose(&col);
		pond_buf_puts(out, " AS ");
		pond_sql_quote_ident(out, fields[i].name);
	}
}

/* The years DuckDB's and Iceberg's timestamps hold: 0001-01-01 up to
 * 10000-01-01, in microseconds since the epoch. */
#define BQ_YEAR_1_US (-62135596800LL * 1000000)
#define BQ_YEAR_10000_US (253402300800LL * 1000000)

/* ---- values ------------------------------------------------------------------------------ */

bool pond__bq_timestamp_us(const char *text, int64_t *out)
{
	/* [-+]digits[.digits][(e|E)[-+]digits], the value times 10^6 read
	 * digit by digit; digits past the microsecond are floored away. */
	const char *p = text;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	char digits[64];
	int nd = 0, frac = 0;
	bool dot = false, any = false;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			any = true;
			if (nd == 0 && *p == '0') { /* a leading zero: only its place counts */
				frac += dot;
				continue;
			}
			if (nd == (int)sizeof(digits))
				return false;
			digits[nd++] = *p;
			frac += dot;
		} else if (*p == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (!any)
		return false;
	long exp = 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		bool eneg = *p == '-';
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++)
			if ((exp = exp * 10 + (*p - '0')) > 1000)
				return false;
		if (eneg)
			exp = -exp;
	}
	if (*p)
		return false;
	long shift = exp - frac + 6; /* the value in microseconds is digits * 10^shift */
	int keep = shift < 0 ? (int)(nd + shift > 0 ? nd + shift : 0) : nd;
	bool dropped = false;
	for (int i = keep; i < nd; i++)
		dropped |= digits[i] != '0';
	/* 10^18 us is 31,688 years: far past 9999-12-31. */
	const int64_t limit = 1000000000000000000LL;
	int64_t v = 0;
	for (int i = 0; i < keep; i++) {
		if (v > limit / 10)
			return false;
		v = v * 10 + (digits[i] - '0');
	}
	for (long i = 0; i < shift && v; i++) {
		if (v > limit / 10)
			return false;
		v *= 10;
	}
	if (neg)
		v = -v - (dropped ? 1 : 0);
	*out = v;
	return true;
}

/* Where a bad value is: "column \"a.b\"". */
typedef struct {
	const bq_field *stack[BQ_MAX_DEPTH + 2];
	int depth;
} bq_path;

static int bad_value(pond_error *err, const bq_path *path, const char *fmt, const char *a1, const char *a2)
{
	char name[512];
	size_t n = 0;
	name[0] = '\0';
	for (int i = 0; i < path->depth && n < sizeof(name); i++)
		n += (size_t)snprintf(name + n, sizeof(name) - n, "%s%s", i ? "." : "", path->stack[i]->name);
	char why[400];
	snprintf(why, sizeof(why), fmt, a1, a2 ? a2 : "");
	return pond_error_set(err, POND_ECORRUPT, "column \"%s\": %s", name, why);
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

static bool is_date(const char *s, size_t n)
{
	if (n != 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
	    !all_digits(s + 8, 2))
		return false;
	int m = atoi(s + 5), d = atoi(s + 8);
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* HH:MM:SS[.f{1,6}] */
static bool is_time(const char *s, size_t n)
{
	if (n < 8 || !all_digits(s, 2) || s[2] != ':' || !all_digits(s + 3, 2) || s[5] != ':' || !all_digits(s + 6, 2))
		return false;
	if (atoi(s) > 23 || atoi(s + 3) > 59 || atoi(s + 6) > 59)
		return false;
	return n == 8 || (s[8] == '.' && n <= 15 && all_digits(s + 9, n - 9));
}

/* [-]digits[.digits] within decimal(38, 9). */
static bool is_numeric(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	size_t i = strspn(s, "0123456789");
	if (i == 0 || i > 29)
		return false;
	if (!s[i])
		return true;
	size_t f = strspn(s + i + 1, "0123456789");
	return s[i] == '.' && f >= 1 && f <= 9 && !s[i + 1 + f];
}

static int write_value(pond_buf *out, const bq_field *f, const json_t *v, bool element, bq_path *path, pond_error *err);

/* A RECORD's {"f": [...]} as a JSON object. */
static int write_record(pond_buf *out, const bq_field *f, const json_t *v, bq_path *path, pond_error *err)
{
	const json_t *cells = json_object_get(v, "f");
	if (!json_is_array(cells) || json_array_size(cells) != f->nfields) {
		char count[32];
		snprintf(count, sizeof(count), "%zu", f->nfields);
		return bad_value(err, path, "expected a RECORD of %s fields ({\"f\": [...]})", count, NULL);
	}
	pond_buf_putc(out, '{');
	for (size_t i = 0; i < f->nfields; i++) {
		const bq_field *child = &f->fields[i];
		pond_buf_puts(out, i ? "," : "");
		pond_json_quote(out, child->name, strlen(child->name));
		pond_buf_putc(out, ':');
		path->stack[path->depth++] = child;
		int rc = write_value(out, child, json_object_get(json_array_get(cells, i), "v"), false, path, err);
		path->depth--;
		if (rc)
			return rc;
	}
	pond_buf_putc(out, '}');
	return 0;
}

static int write_scalar(pond_buf *out, const bq_field *f, const char *s, bq_path *path, pond_error *err)
{
	size_t n = strlen(s);
	switch (f->kind) {
	case BQ_INT64: {
		int64_t i;
		if (!pond_str_to_i64(s, &i))
			return bad_value(err, path, "\"%.60s\" is not an %s", s, f->type);
		pond_buf_printf(out, "%lld", (long long)i);
		return 0;
	}
	case BQ_FLOAT64: {
		char *end;
		if (strcmp(s, "NaN") != 0 && strcmp(s, "Infinity") != 0 && strcmp(s, "-Infinity") != 0) {
			double d = strtod(s, &end);
			if (!n || *end || d - d != 0)
				return bad_value(err, path, "\"%.60s\" is not a %s", s, f->type);
		}
		break; /* as text: DuckDB reads "NaN" and "-Infinity" too */
	}
	case BQ_NUMERIC:
		if (!is_numeric(s))
			return bad_value(err, path, "\"%.60s\" is not a %s within decimal(38, 9)", s, f->type);
		break;
	case BQ_BOOL:
		if (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
			return bad_value(err, path, "\"%.60s\" is not a %s", s, f->type);
		pond_buf_puts(out, s);
		return 0;
	case BQ_BYTES: {
		unsigned char *bytes;
		size_t len;
		pond_error e2 = POND_ERROR_INIT;
		if (pond_base64_decode(&bytes, &len, s, &e2) != 0)
			return bad_value(err, path, "\"%.60s\" is not base64 (%s)", s, e2.msg);
		pond_free(bytes);
		break;
	}
	case BQ_TIMESTAMP: {
		int64_t us;
		if (!pond__bq_timestamp_us(s, &us))
			return bad_value(err, path, "\"%.60s\" is not a %s (seconds since 1970)", s, f->type);
		if (us < BQ_YEAR_1_US || us >= BQ_YEAR_10000_US)
			return bad_value(err, path, "\"%.60s\" is outside the years 1 to 9999", s, NULL);
		char text[40];
		pond_time_format_us(text, us);
		pond_json_quote(out, text, strlen(text));
		return 0;
	}
	case BQ_DATE:
		if (!is_date(s, n))
			return bad_value(err, path, "\"%.60s\" is not a %s (YYYY-MM-DD)", s, f->type);
		break;
	case BQ_TIME:
		if (!is_time(s, n))
			return bad_value(err, path, "\"%.60s\" is not a %s (HH:MM:SS[.ffffff])", s, f->type);
		break;
	case BQ_DATETIME:
		if (n < 19 || !is_date(s, 10) || (s[10] != 'T' && s[10] != ' ') || !is_time(s + 11, n - 11))
			return bad_value(err, path, "\"%.60s\" is not a %s (YYYY-MM-DDTHH:MM:SS[.ffffff])", s,
			                 f->type);
		pond_buf_putc(out, '"');
		pond_buf_put(out, s, 10);
		pond_buf_putc(out, ' ');
		pond_buf_puts(out, s + 11);
		pond_buf_putc(out, '"');
		return 0;
	default: break;
	}
	pond_json_quote(out, s, n);
	return 0;
}

static int write_value(pond_buf *out, const bq_field *f, const json_t *v, bool element, bq_path *path, pond_error *err)
{
	if (!v || json_is_null(v)) {
		pond_buf_puts(out, "null");
		return 0;
	}
	if (f->repeated && !element) {
		if (!json_is_array(v))
			return bad_value(err, path, "expected a list (mode REPEATED)", NULL, NULL);
		pond_buf_putc(out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			pond_buf_puts(out, i ? "," : "");
			int rc = write_value(out, f, json_object_get(json_array_get(v, i), "v"), true, path, err);
			if (rc)
				return rc;
		}
		pond_buf_putc(out, ']');
		return 0;
	}
	if (f->kind == BQ_RECORD) {
		return write_record(out, f, v, path, err);
	}
	if (!json_is_string(v))
		return bad_value(err, path, "expected a string for a %s value", f->type, NULL);
	return write_scalar(out, f, json_string_value(v), path, err);
}

int pond__bq_row(pond_buf *out, const bq_field *fields, size_t n, const json_t *row, pond_error *err)
{
	const json_t *cells = json_object_get(row, "f");
	if (!json_is_array(cells) || json_array_size(cells) != n)
		return pond_error_set(err, POND_ECORRUPT, "expected %zu cells (\"f\": [...]), found %s", n,
		                      json_is_array(cells) ? "another number" : "none");
	bq_path path;
	path.depth = 0;
	pond_buf_putc(out, '{');
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(out, i ? "," : "");
		pond_json_quote(out, fields[i].name, strlen(fields[i].name));
		pond_buf_putc(out, ':');
		path.stack[0] = &fields[i];
		path.depth = 1;
		int rc =
		        write_value(out, &fields[i], json_object_get(json_array_get(cells, i), "v"), false, &path, err);
		if (rc)
			return rc;
	}
	pond_buf_putc(out, '}');
	return pond_buf_ok(out) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}
