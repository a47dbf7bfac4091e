/*
 * A SELECT's WHERE clause as a scan filter. DuckDB parses the statement
 * (json_serialize_sql); the conjuncts pond understands become Iceberg
 * predicates on the table's columns, with each constant converted to the
 * column's type exactly as DuckDB compares them. A conjunct or a constant
 * that pond cannot convert exactly is dropped: the filter only gets weaker,
 * never wrong, and DuckDB still applies the whole WHERE to the rows read.
 */
#include "session_internal.h"

#include <duckdb.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *str(const json_t *node, const char *key)
{
	return json_string_value(json_object_get(node, key));
}

static bool is(const json_t *node, const char *key, const char *value)
{
	const char *s = str(node, key);
	return s && strcmp(s, value) == 0;
}

/* DuckDB's name of a column type, as json_serialize_sql writes type ids. */
static const char *duckdb_type_id(const pond_iceberg_type *t)
{
	switch (t->id) {
	case POND_ICEBERG_BOOLEAN: return "BOOLEAN";
	case POND_ICEBERG_INT: return "INTEGER";
	case POND_ICEBERG_LONG: return "BIGINT";
	case POND_ICEBERG_FLOAT: return "FLOAT";
	case POND_ICEBERG_DOUBLE: return "DOUBLE";
	case POND_ICEBERG_DECIMAL: return "DECIMAL";
	case POND_ICEBERG_DATE: return "DATE";
	case POND_ICEBERG_TIME: return "TIME";
	case POND_ICEBERG_TIMESTAMP: return "TIMESTAMP";
	case POND_ICEBERG_TIMESTAMPTZ: return "TIMESTAMP WITH TIME ZONE";
	case POND_ICEBERG_STRING: return "VARCHAR";
	case POND_ICEBERG_UUID: return "UUID";
	default: return NULL;
	}
}

static bool is_integer_type(const char *id)
{
	static const char *const ids[] = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",
	                                  "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (strcmp(id, ids[i]) == 0)
			return true;
	return false;
}

static pond_int128 pow10_128(int n)
{
	pond_int128 v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

/* An exact number: unscaled / 10^scale. */
static bool number_literal(pond_iceberg_literal *out, const pond_iceberg_type *type, pond_int128 u, int scale)
{
	static const double pow10d[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	if (scale < 0 || scale > 38)
		return false;
	switch (type->id) {
	case POND_ICEBERG_INT:
	case POND_ICEBERG_LONG: {
		/* compared as a decimal: only a whole number equals a row's value */
		pond_int128 p = pow10_128(scale);
		if (u % p != 0)
			return false;
		pond_int128 v = u / p;
		if (type->id == POND_ICEBERG_INT ? (v < INT32_MIN || v > INT32_MAX) : (v < INT64_MIN || v > INT64_MAX))
			return false;
		*out = type->id == POND_ICEBERG_INT ? pond_iceberg_literal_int((int32_t)v) : pond_iceberg_literal_long((int64_t)v);
		return true;
	}
	case POND_ICEBERG_DECIMAL: {
		if (scale > type->scale) {
			pond_int128 p = pow10_128(scale - type->scale);
			if (u % p != 0)
				return false;
			u /= p;
		} else {
			int up = type->scale - scale;
			pond_int128 limit = pow10_128(38 - up);
			if (u >= limit || u <= -limit)
				return false;
			u *= pow10_128(up);
		}
		*out = pond_iceberg_literal_decimal(u, type->scale);
		return true;
	}
	case POND_ICEBERG_DOUBLE:
		/* DuckDB casts a decimal to double as (double)unscaled / 10^scale */
		if (u > ((pond_int128)1 << 53) || u < -((pond_int128)1 << 53) || scale > 22)
			return false;
		*out = pond_iceberg_literal_double((double)(int64_t)u / pow10d[scale]);
		return true;
	case POND_ICEBERG_FLOAT:
		/* and to float as (float)unscaled / (float)10^scale */
		if (u > ((pond_int128)1 << 24) || u < -((pond_int128)1 << 24) || scale > 10)
			return false;
		*out = pond_iceberg_literal_float((float)(int32_t)u / (float)pow10d[scale]);
		return true;
	default:
		return false;
	}
}

/* A double constant: DuckDB compares numbers with it as doubles. */
static bool double_literal(pond_iceberg_literal *out, const pond_iceberg_type *type, double v)
{
	switch (type->id) {
	case POND_ICEBERG_DOUBLE: *out = pond_iceberg_literal_double(v); return true;
	case POND_ICEBERG_FLOAT:
		if (!isnan(v) && (double)(float)v != v)
			return false;
		*out = pond_iceberg_literal_float((float)v);
		return true;
	case POND_ICEBERG_INT:
	case POND_ICEBERG_LONG:
		/* a long's cast to double rounds past 2^53 */
		if (!isfinite(v) || v != trunc(v) || fabs(v) > 9007199254740992.0)
			return false;
		return number_literal(out, type, (pond_int128)v, 0);
	default: return false;
	}
}

/* A VARCHAR constant, cast by DuckDB to the column's type. */
static bool text_literal(pond_iceberg_literal *out, const pond_iceberg_type *type, const char *text, pond_arena *a)
{
	if (type->id == POND_ICEBERG_BOOLEAN) {
		/* DuckDB writes TRUE as CAST('t' AS BOOLEAN) */
		bool t = strcasecmp(text, "t") == 0 || strcasecmp(text, "true") == 0;
		bool f = strcasecmp(text, "f") == 0 || strcasecmp(text, "false") == 0;
		if (!t && !f)
			return false;
		*out = pond_iceberg_literal_bool(t);
		return true;
	}
	/* blobs are cast from escaped text, not the base64 of literal text */
	if (type->id == POND_ICEBERG_BINARY || type->id == POND_ICEBERG_FIXED)
		return false;
	pond_error ignored = POND_ERROR_INIT;
	return pond_iceberg_literal_from_text(out, type, text, a, &ignored) == 0;
}

/* An integer, or a 128-bit one as DuckDB writes it: {upper, lower}
 * (lower read as the int64 of its bits, see load_wrapping_u64). */
static bool int128_value(const json_t *v, pond_int128 *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	const json_t *upper = json_object_get(v, "upper"), *lower = json_object_get(v, "lower");
	if (!json_is_integer(upper) || !json_is_integer(lower))
		return false;
	*out = (pond_int128)(((unsigned __int128)(uint64_t)json_integer_value(upper) << 64) |
	                     (uint64_t)json_integer_value(lower));
	return true;
}

bool pond__session_constant_literal(pond_iceberg_literal *out, const pond_iceberg_type *type, const json_t *node,
                                    pond_arena *a)
{
	if (!pond_iceberg_type_is_primitive(type))
		return false;
	if (is(node, "class", "CAST")) {
		/* Only a cast to the column's own type: the value is then the
		 * child's, converted exactly (a rounding cast such as 2.7::INT
		 * converts inexactly and is dropped). */
		const json_t *ct = json_object_get(node, "cast_type");
		const char *want = duckdb_type_id(type);
		if (!want || !is(ct, "id", want) || json_is_true(json_object_get(node, "try_cast")))
			return false;
		if (type->id == POND_ICEBERG_DECIMAL) {
			const json_t *info = json_object_get(ct, "type_info");
			if (json_integer_value(json_object_get(info, "width")) != type->precision ||
			    json_integer_value(json_object_get(info, "scale")) != type->scale)
				return false;
		}
		node = json_object_get(node, "child");
	}
	if (!is(node, "class", "CONSTANT"))
		return false;
	const json_t *value = json_object_get(node, "value");
	if (json_is_true(json_object_get(value, "is_null")))
		return false;
	const json_t *vt = json_object_get(value, "type");
	const char *id = str(vt, "id");
	const json_t *v = json_object_get(value, "value");
	if (!id)
		return false;
	if (strcmp(id, "VARCHAR") == 0)
		return json_is_string(v) && text_literal(out, type, json_string_value(v), a);
	if (strcmp(id, "BOOLEAN") == 0) {
		if (type->id != POND_ICEBERG_BOOLEAN || !json_is_boolean(v))
			return false;
		*out = pond_iceberg_literal_bool(json_is_true(v));
		return true;
	}
	pond_int128 whole;
	if (strcmp(id, "DECIMAL") == 0) {
		/* the unscaled value; wider decimals are {upper, lower} halves */
		const json_t *info = json_object_get(vt, "type_info");
		if (!int128_value(v, &whole) || !json_is_integer(json_object_get(info, "scale")))
			return false;
		return number_literal(out, type, whole, (int)json_integer_value(json_object_get(info, "scale")));
	}
	if (is_integer_type(id) || strcmp(id, "HUGEINT") == 0)
		return int128_value(v, &whole) && number_literal(out, type, whole, 0);
	if (strcmp(id, "DOUBLE") == 0 || strcmp(id, "FLOAT") == 0) {
		if (!json_is_number(v))
			return false;
		double d = json_number_value(v);
		/* a FLOAT constant is compared as a float */
		if (strcmp(id, "FLOAT") == 0 && type->id != POND_ICEBERG_FLOAT && type->id != POND_ICEBERG_DOUBLE)
			return false;
		return double_literal(out, type, d);
	}
	return false;
}

/* The top-level field a COLUMN_REF names, if it is one of the table's, as
 * DuckDB binds it: the first field whose name matches ignoring case (a
 * later field whose name differs from it only in case is renamed in the
 * table's view, as DuckDB renames duplicate names, and read by id). */
static const pond_iceberg_field *column_field(const json_t *node, const pond_iceberg_schema *schema,
                                              const char *alias)
{
	if (!is(node, "class", "COLUMN_REF"))
		return NULL;
	const json_t *names = json_object_get(node, "column_names");
	size_t n = json_array_size(names);
	if (n == 0 || n > 2)
		return NULL;
	if (n == 2 && (!alias || !json_string_value(json_array_get(names, 0)) ||
	               strcasecmp(json_string_value(json_array_get(names, 0)), alias) != 0))
		return NULL;
	const char *col = json_string_value(json_array_get(names, n - 1));
	const pond_iceberg_type *root = schema->root;
	for (size_t i = 0; col && i < root->nfields; i++)
		if (strcasecmp(root->fields[i].name, col) == 0)
			return &root->fields[i];
	return NULL;
}

/* A predicate's column: a primitive one (a filter on a list or a struct is
 * left to DuckDB). */
static const pond_iceberg_field *primitive_column(const json_t *node, const pond_iceberg_schema *schema,
                                                  const char *alias)
{
	const pond_iceberg_field *f = column_field(node, schema, alias);
	return f && pond_iceberg_type_is_primitive(f->type) ? f : NULL;
}

static pond_expr_op compare_op(const char *type, bool flipped)
{
	static const struct { const char *name; pond_expr_op op, flipped; } ops[] = {
		{"COMPARE_EQUAL", POND_EXPR_EQ, POND_EXPR_EQ},
		{"COMPARE_NOTEQUAL", POND_EXPR_NE, POND_EXPR_NE},
		{"COMPARE_LESSTHAN", POND_EXPR_LT, POND_EXPR_GT},
		{"COMPARE_LESSTHANOREQUALTO", POND_EXPR_LE, POND_EXPR_GE},
		{"COMPARE_GREATERTHAN", POND_EXPR_GT, POND_EXPR_LT},
		{"COMPARE_GREATERTHANOREQUALTO", POND_EXPR_GE, POND_EXPR_LE},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(type, ops[i].name) == 0)
			return flipped ? ops[i].flipped : ops[i].op;
	return 0;
}

pond_expr *pond__session_where_filter(const json_t *node, const pond_iceberg_schema *schema, const char *alias,
                                      pond_arena *a)
{
	const char *type = str(node, "type");
	if (!type)
		return NULL;
	if (strcmp(type, "CONJUNCTION_AND") == 0) {
		pond_expr *acc = NULL;
		const json_t *children = json_object_get(node, "children");
		for (size_t i = 0; i < json_array_size(children); i++) {
			pond_expr *e = pond__session_where_filter(json_array_get(children, i), schema, alias, a);
			if (e)
				acc = acc ? pond_expr_and(a, acc, e) : e;
		}
		return acc;
	}
	if (strcmp(type, "COMPARE_BETWEEN") == 0) {
		const pond_iceberg_field *f = primitive_column(json_object_get(node, "input"), schema, alias);
		pond_iceberg_literal lo, hi;
		if (!f || !pond__session_constant_literal(&lo, f->type, json_object_get(node, "lower"), a) ||
		    !pond__session_constant_literal(&hi, f->type, json_object_get(node, "upper"), a))
			return NULL;
		return pond_expr_and(a, pond_expr_compare(a, POND_EXPR_GE, f->name, lo),
		                     pond_expr_compare(a, POND_EXPR_LE, f->name, hi));
	}
	if (strcmp(type, "COMPARE_IN") == 0) {
		const json_t *children = json_object_get(node, "children");
		size_t n = json_array_size(children);
		const pond_iceberg_field *f = primitive_column(json_array_get(children, 0), schema, alias);
		if (!f || n < 2)
			return NULL;
		pond_iceberg_literal *values = pond_arena_calloc(a, n - 1, sizeof(*values));
		for (size_t i = 1; values && i < n; i++)
			if (!pond__session_constant_literal(&values[i - 1], f->type, json_array_get(children, i), a))
				return NULL;
		return values ? pond_expr_in(a, f->name, values, n - 1, false) : NULL;
	}
	bool is_null = strcmp(type, "OPERATOR_IS_NULL") == 0;
	if (is_null || strcmp(type, "OPERATOR_IS_NOT_NULL") == 0) {
		const pond_iceberg_field *f =
			primitive_column(json_array_get(json_object_get(node, "children"), 0), schema, alias);
		if (!f)
			return NULL;
		return is_null ? pond_expr_is_null(a, f->name) : pond_expr_not_null(a, f->name);
	}
	if (strncmp(type, "COMPARE_", 8) == 0) {
		const json_t *l = json_object_get(node, "left"), *r = json_object_get(node, "right");
		bool flipped = false;
		const pond_iceberg_field *f = primitive_column(l, schema, alias);
		if (!f) {
			f = primitive_column(r, schema, alias);
			const json_t *tmp = l;
			l = r;
			r = tmp;
			flipped = true;
		}
		pond_expr_op op = compare_op(type, flipped);
		pond_iceberg_literal v;
		if (!f || !op || !pond__session_constant_literal(&v, f->type, r, a))
			return NULL;
		return pond_expr_compare(a, op, f->name, v);
	}
	return NULL;
}

/* Parses DuckDB's JSON, whose unsigned 64-bit numbers (unknown positions
 * as 2^64-1, the low halves of 128-bit values) jansson refuses as out of
 * range: those are read as the int64 of the same bits. */
static json_t *load_wrapping_u64(const char *text)
{
	pond_buf b = POND_BUF_INIT;
	bool in_string = false;
	for (const char *p = text; *p;) {
		if (in_string) {
			if (*p == '\\' && p[1]) {
				pond_buf_put(&b, p, 2);
				p += 2;
				continue;
			}
			in_string = *p != '"';
			pond_buf_putc(&b, *p++);
			continue;
		}
		if (*p == '"') {
			in_string = true;
			pond_buf_putc(&b, *p++);
			continue;
		}
		if (*p >= '0' && *p <= '9' && (p == text || (p[-1] != '-' && p[-1] != '.'))) {
			const char *end = p;
			while (*end >= '0' && *end <= '9')
				end++;
			if (end - p >= 19 && *end != '.' && *end != 'e' && *end != 'E') {
				errno = 0;
				unsigned long long u = strtoull(p, NULL, 10);
				if (errno == 0 && u > (unsigned long long)INT64_MAX) {
					pond_buf_printf(&b, "%lld", (long long)(int64_t)u);
					p = end;
					continue;
				}
			}
			pond_buf_put(&b, p, (size_t)(end - p));
			p = end;
			continue;
		}
		pond_buf_putc(&b, *p++);
	}
	json_t *doc = pond_buf_ok(&b) ? json_loads(pond_buf_cstr(&b), 0, NULL) : NULL;
	pond_buf_dispose(&b);
	return doc;
}

pond_expr *pond__session_filter(pond_session *s, const char *statement, const char *schema_name, const char *view,
                                const pond_iceberg_schema *schema, pond_arena *a)
{
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "SELECT json_serialize_sql(");
	pond_sql_quote_literal(&q, statement);
	pond_buf_putc(&q, ')');
	char *json_text = NULL;
	pond_error ignored = POND_ERROR_INIT;
	int rc = pond_buf_ok(&q) ? pond_engine_query_string(s->lake->engine, pond_buf_cstr(&q), &json_text, &ignored) : -1;
	pond_buf_dispose(&q);
	if (rc || !json_text)
		return NULL;
	json_t *doc = load_wrapping_u64(json_text);
	pond_free(json_text);
	pond_expr *e = NULL;
	const json_t *stmts = json_object_get(doc, "statements");
	if (json_array_size(stmts) == 1) {
		const json_t *node = json_object_get(json_array_get(stmts, 0), "node");
		const json_t *from = json_object_get(node, "from_table");
		const char *fschema = str(from, "schema_name");
		const char *fname = str(from, "table_name");
		const char *alias = str(from, "alias");
		bool same_schema = fschema && (strcasecmp(fschema, schema_name) == 0 ||
		                               (fschema[0] == '\0' && strcmp(schema_name, POND_DEFAULT_NAMESPACE) == 0));
		if (is(from, "type", "BASE_TABLE") && same_schema && fname && strcasecmp(fname, view) == 0)
			e = pond__session_where_filter(json_object_get(node, "where_clause"), schema,
			                               alias && *alias ? alias : fname, a);
	}
	json_decref(doc);
	return e;
}
