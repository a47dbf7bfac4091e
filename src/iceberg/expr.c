/*
 * Filter expressions: building them from C, parsing a small SQL-like text
 * form, binding column names to field ids of a schema (with literals
 * converted to the column's type and NOT pushed down to the predicates, as
 * Iceberg's Binder and RewriteNot do), and printing them. Evaluation
 * against partitions and statistics is in expr_eval.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_internal.h"

static pond_expr *node(pond_arena *arena, pond_expr_op op)
{
	pond_expr *e = pond_arena_calloc(arena, 1, sizeof *e);
	if (e) {
		e->op = op;
		e->field_id = -1;
	}
	return e;
}

pond_expr *pond_expr_true(pond_arena *arena) { return node(arena, POND_EXPR_TRUE); }
pond_expr *pond_expr_false(pond_arena *arena) { return node(arena, POND_EXPR_FALSE); }

pond_expr *pond_expr_and(pond_arena *arena, pond_expr *left, pond_expr *right)
{
	if (!left || !right)
		return NULL;
	pond_expr *e = node(arena, POND_EXPR_AND);
	if (e) {
		e->left = left;
		e->right = right;
	}
	return e;
}

pond_expr *pond_expr_or(pond_arena *arena, pond_expr *left, pond_expr *right)
{
	if (!left || !right)
		return NULL;
	pond_expr *e = node(arena, POND_EXPR_OR);
	if (e) {
		e->left = left;
		e->right = right;
	}
	return e;
}

pond_expr *pond_expr_not(pond_arena *arena, pond_expr *child)
{
	if (!child)
		return NULL;
	pond_expr *e = node(arena, POND_EXPR_NOT);
	if (e)
		e->left = child;
	return e;
}

/* Copies a literal's bytes into arena. */
static bool own_literal(pond_iceberg_literal *dst, const pond_iceberg_literal *src, pond_arena *arena)
{
	*dst = *src;
	if (!src->is_null && (src->type == POND_ICEBERG_STRING || src->type == POND_ICEBERG_BINARY ||
	                      src->type == POND_ICEBERG_FIXED)) {
		uint8_t *p = pond_arena_alloc(arena, src->v.bytes.len + 1);
		if (!p)
			return false;
		if (src->v.bytes.len)
			memcpy(p, src->v.bytes.ptr, src->v.bytes.len);
		p[src->v.bytes.len] = 0;
		dst->v.bytes.ptr = p;
	}
	return true;
}

static pond_expr *predicate(pond_arena *arena, pond_expr_op op, const char *column, const pond_iceberg_literal *values,
                            size_t n)
{
	pond_expr *e = node(arena, op);
	if (!e || !column || !(e->column = pond_arena_strdup(arena, column)))
		return NULL;
	if (n) {
		e->literals = pond_arena_alloc(arena, n * sizeof *e->literals);
		if (!e->literals)
			return NULL;
		for (size_t i = 0; i < n; i++)
			if (!own_literal(&e->literals[i], &values[i], arena))
				return NULL;
	}
	e->nliterals = n;
	return e;
}

pond_expr *pond_expr_compare(pond_arena *arena, pond_expr_op op, const char *column, pond_iceberg_literal value)
{
	if (op < POND_EXPR_EQ || op > POND_EXPR_GE)
		return NULL;
	return predicate(arena, op, column, &value, 1);
}

pond_expr *pond_expr_in(pond_arena *arena, const char *column, const pond_iceberg_literal *values, size_t n,
                        bool negate)
{
	return predicate(arena, negate ? POND_EXPR_NOT_IN : POND_EXPR_IN, column, values, n);
}

pond_expr *pond_expr_is_null(pond_arena *arena, const char *column)
{
	return predicate(arena, POND_EXPR_IS_NULL, column, NULL, 0);
}

pond_expr *pond_expr_not_null(pond_arena *arena, const char *column)
{
	return predicate(arena, POND_EXPR_NOT_NULL, column, NULL, 0);
}

/* ---- parsing ---- */

typedef struct parser {
	const char *text;
	const char *p;
	pond_arena *arena;
	pond_error *err;
	int depth;
} parser;

static void skip_ws(parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static int perr(parser *ps, const char *what)
{
	return pond_error_set(ps->err, POND_EINVAL, "filter: %s at position %d", what, (int)(ps->p - ps->text) + 1);
}

/* Matches a keyword (case-insensitive, whole word). */
static bool keyword(parser *ps, const char *kw)
{
	skip_ws(ps);
	size_t n = strlen(kw);
	if (strncasecmp(ps->p, kw, n) != 0)
		return false;
	char c = ps->p[n];
	if (isalnum((unsigned char)c) || c == '_' || c == '.')
		return false;
	ps->p += n;
	return true;
}

static bool punct(parser *ps, const char *s)
{
	skip_ws(ps);
	size_t n = strlen(s);
	if (strncmp(ps->p, s, n) != 0)
		return false;
	ps->p += n;
	return true;
}

/* Reads the text quoted by the quote at ps->p into b (the caller disposes
 * of it), a doubled quote standing for one; what names the text in the
 * error when it has no closing quote. */
static int read_quoted(parser *ps, pond_buf *b, const char *what)
{
	char quote = *ps->p;
	const char *s = ps->p + 1;
	for (;;) {
		if (!*s)
			return perr(ps, what);
		if (*s == quote) {
			if (s[1] == quote) {
				pond_buf_putc(b, quote);
				s += 2;
				continue;
			}
			break;
		}
		pond_buf_putc(b, *s++);
	}
	ps->p = s + 1;
	return 0;
}

static int parse_ident(parser *ps, char **out)
{
	skip_ws(ps);
	const char *s = ps->p;
	if (*s == '"') {
		pond_buf b = POND_BUF_INIT;
		int rc = read_quoted(ps, &b, "unterminated quoted name");
		*out = rc == 0 && pond_buf_ok(&b) ? pond_arena_strdup(ps->arena, pond_buf_cstr(&b)) : NULL;
		pond_buf_dispose(&b);
		if (rc)
			return rc;
		return *out ? 0 : pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
	}
	if (!isalpha((unsigned char)*s) && *s != '_')
		return perr(ps, "expected a column name");
	while (isalnum((unsigned char)*s) || *s == '_' || *s == '.')
		s++;
	*out = pond_arena_strndup(ps->arena, ps->p, (size_t)(s - ps->p));
	ps->p = s;
	return *out ? 0 : pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
}

/* A 'quoted' string, '' standing for one quote. */
static int parse_string_literal(parser *ps, pond_iceberg_literal *out)
{
	pond_buf b = POND_BUF_INIT;
	int rc = read_quoted(ps, &b, "unterminated string");
	if (rc) {
		pond_buf_dispose(&b);
		return rc;
	}
	size_t len = b.len;
	char *copy = pond_buf_ok(&b) ? pond_arena_memdup(ps->arena, b.ptr ? b.ptr : "", len + 1) : NULL;
	pond_buf_dispose(&b);
	if (!copy)
		return pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
	*out = pond_iceberg_literal_string(copy, len);
	return 0;
}

/* A number: a long when it is a whole one, a decimal when its digits fit
 * exactly, else a double. */
static int parse_number(parser *ps, pond_iceberg_literal *out)
{
	const char *s = ps->p;
	const char *start = s;
	if (*s == '-' || *s == '+')
		s++;
	bool digits = false, frac = false;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits = true;
	}
	if (*s == '.') {
		frac = true;
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits = true;
		}
	}
	if (digits && (*s == 'e' || *s == 'E')) {
		frac = true;
		s++;
		if (*s == '-' || *s == '+')
			s++;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (!digits)
		return perr(ps, "expected a value");
	char buf[64];
	size_t n = (size_t)(s - start);
	if (n >= sizeof buf)
		return perr(ps, "number too long");
	memcpy(buf, start, n);
	buf[n] = 0;
	ps->p = s;
	int64_t v;
	if (!frac && pond_str_to_i64(buf, &v)) {
		*out = pond_iceberg_literal_long(v);
		return 0;
	}
	/* 1.50 is a decimal, as in SQL: its digits are exact, and binding
	 * converts them to the column's type as the SQL engine compares. */
	pond_int128 unscaled = 0;
	int scale = -1, ndigits = 0;
	bool exact = true;
	for (const char *q = buf; *q && exact; q++) {
		if (*q == '-' || *q == '+')
			continue;
		if (*q == '.') {
			scale = 0;
			continue;
		}
		if (!isdigit((unsigned char)*q) || ++ndigits > 38) {
			exact = false;
			break;
		}
		unscaled = unscaled * 10 + (*q - '0');
		if (scale >= 0)
			scale++;
	}
	if (exact && scale >= 0) {
		*out = pond_iceberg_literal_decimal(buf[0] == '-' ? -unscaled : unscaled, scale);
		return 0;
	}
	*out = pond_iceberg_literal_double(strtod(buf, NULL));
	return 0;
}

static int parse_literal(parser *ps, pond_iceberg_literal *out)
{
	skip_ws(ps);
	if (*ps->p == '\'')
		return parse_string_literal(ps, out);
	if (keyword(ps, "true")) {
		*out = pond_iceberg_literal_bool(true);
		return 0;
	}
	if (keyword(ps, "false")) {
		*out = pond_iceberg_literal_bool(false);
		return 0;
	}
	return parse_number(ps, out);
}

static int parse_or(parser *ps, pond_expr **out);

static pond_expr_op flip(pond_expr_op op)
{
	switch (op) {
	case POND_EXPR_LT: return POND_EXPR_GT;
	case POND_EXPR_LE: return POND_EXPR_GE;
	case POND_EXPR_GT: return POND_EXPR_LT;
	case POND_EXPR_GE: return POND_EXPR_LE;
	default: return op;
	}
}

static bool parse_op(parser *ps, pond_expr_op *op)
{
	static const struct {
		const char *s;
		pond_expr_op op;
	} ops[] = {{"==", POND_EXPR_EQ}, {"!=", POND_EXPR_NE}, {"<>", POND_EXPR_NE}, {"<=", POND_EXPR_LE},
	           {">=", POND_EXPR_GE}, {"=", POND_EXPR_EQ},  {"<", POND_EXPR_LT},  {">", POND_EXPR_GT}};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (punct(ps, ops[i].s)) {
			*op = ops[i].op;
			return true;
		}
	return false;
}

static int parse_predicate(parser *ps, pond_expr **out)
{
	skip_ws(ps);
	char c = *ps->p;
	/* a literal on the left: 5 < a */
	if (c == '\'' || c == '-' || isdigit((unsigned char)c)) {
		pond_iceberg_literal lit;
		pond_expr_op op;
		char *col;
		int rc = parse_literal(ps, &lit);
		if (rc)
			return rc;
		if (!parse_op(ps, &op))
			return perr(ps, "expected a comparison");
		if ((rc = parse_ident(ps, &col)))
			return rc;
		*out = pond_expr_compare(ps->arena, flip(op), col, lit);
		return *out ? 0 : pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
	}
	char *col;
	int rc = parse_ident(ps, &col);
	if (rc)
		return rc;
	pond_expr_op op;
	if (keyword(ps, "is")) {
		bool negate = keyword(ps, "not");
		if (!keyword(ps, "null"))
			return perr(ps, "expected null");
		*out = negate ? pond_expr_not_null(ps->arena, col) : pond_expr_is_null(ps->arena, col);
	} else if (keyword(ps, "not") || keyword(ps, "in")) {
		bool negate = strncasecmp(ps->p - 3, "not", 3) == 0;
		if (negate && !keyword(ps, "in"))
			return perr(ps, "expected in");
		if (!punct(ps, "("))
			return perr(ps, "expected (");
		pond_iceberg_literal vals[256];
		size_t n = 0;
		do {
			if (n == sizeof vals / sizeof vals[0])
				return perr(ps, "too many values in a list");
			if ((rc = parse_literal(ps, &vals[n++])))
				return rc;
		} while (punct(ps, ","));
		if (!punct(ps, ")"))
			return perr(ps, "expected )");
		*out = pond_expr_in(ps->arena, col, vals, n, negate);
	} else if (parse_op(ps, &op)) {
		pond_iceberg_literal lit;
		if ((rc = parse_literal(ps, &lit)))
			return rc;
		*out = pond_expr_compare(ps->arena, op, col, lit);
	} else {
		return perr(ps, "expected a comparison, in, or is null");
	}
	return *out ? 0 : pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
}

static int parse_unary(parser *ps, pond_expr **out)
{
	if (++ps->depth > 64)
		return perr(ps, "filter nested too deeply");
	int rc;
	if (keyword(ps, "not")) {
		pond_expr *child;
		if ((rc = parse_unary(ps, &child)))
			return rc;
		*out = pond_expr_not(ps->arena, child);
	} else if (punct(ps, "(")) {
		if ((rc = parse_or(ps, out)))
			return rc;
		if (!punct(ps, ")"))
			return perr(ps, "expected )");
	} else if (keyword(ps, "true")) {
		*out = pond_expr_true(ps->arena);
	} else if (keyword(ps, "false")) {
		*out = pond_expr_false(ps->arena);
	} else {
		if ((rc = parse_predicate(ps, out)))
			return rc;
	}
	ps->depth--;
	return *out ? 0 : pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
}

static int parse_and(parser *ps, pond_expr **out)
{
	int rc = parse_unary(ps, out);
	while (!rc && keyword(ps, "and")) {
		pond_expr *right;
		if ((rc = parse_unary(ps, &right)))
			break;
		if (!(*out = pond_expr_and(ps->arena, *out, right)))
			rc = pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
	}
	return rc;
}

static int parse_or(parser *ps, pond_expr **out)
{
	int rc = parse_and(ps, out);
	while (!rc && keyword(ps, "or")) {
		pond_expr *right;
		if ((rc = parse_and(ps, &right)))
			break;
		if (!(*out = pond_expr_or(ps->arena, *out, right)))
			rc = pond_error_set(ps->err, POND_ENOMEM, "out of memory parsing a filter");
	}
	return rc;
}

int pond_expr_parse(pond_expr **out, const char *text, pond_arena *arena, pond_error *err)
{
	parser ps = {text, text, arena, err, 0};
	*out = NULL;
	int rc = parse_or(&ps, out);
	if (rc)
		return rc;
	skip_ws(&ps);
	if (*ps.p)
		return perr(&ps, "unexpected text");
	return 0;
}

/* ---- binding ---- */

static bool is_int_family(pond_iceberg_type_id t)
{
	return t == POND_ICEBERG_INT || t == POND_ICEBERG_LONG;
}

static pond_int128 pow10_128(int n)
{
	pond_int128 v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

/* Converts a builder's literal to the column type. */
static int convert_literal(pond_iceberg_literal *out, const pond_iceberg_literal *in, const pond_iceberg_type *type,
                           const char *column, pond_arena *arena, pond_error *err)
{
	pond_iceberg_type_id t = type->id;
	char tname[40];
	if (in->type == t && t != POND_ICEBERG_DECIMAL) {
		*out = *in;
		return 0;
	}
	if (in->type == POND_ICEBERG_STRING) {
		char *text = pond_arena_strndup(arena, (const char *)in->v.bytes.ptr, in->v.bytes.len);
		if (!text)
			return pond_error_set(err, POND_ENOMEM, "out of memory binding a filter");
		pond_error e2 = POND_ERROR_INIT;
		if (pond_iceberg_literal_from_text(out, type, text, arena, &e2) == 0)
			return 0;
		if (e2.code == POND_ENOMEM)
			return pond_error_set(err, POND_ENOMEM, "%s", e2.msg);
		pond_iceberg_type_format(tname, type);
		return pond_error_set(err, POND_EINVAL, "filter: '%s' is not a valid %s for column %s", text, tname, column);
	}
	if (is_int_family(in->type) || in->type == POND_ICEBERG_DATE) {
		int64_t v = in->type == POND_ICEBERG_LONG ? in->v.i64 : in->v.i32;
		switch (t) {
		case POND_ICEBERG_INT:
		case POND_ICEBERG_DATE:
			if (v < INT32_MIN || v > INT32_MAX)
				break;
			*out = pond_iceberg_literal_int((int32_t)v);
			out->type = t;
			return 0;
		case POND_ICEBERG_LONG:
		case POND_ICEBERG_TIME:
		case POND_ICEBERG_TIMESTAMP:
		case POND_ICEBERG_TIMESTAMPTZ:
		case POND_ICEBERG_TIMESTAMP_NS:
		case POND_ICEBERG_TIMESTAMPTZ_NS:
			*out = pond_iceberg_literal_long(v);
			out->type = t;
			return 0;
		case POND_ICEBERG_FLOAT: *out = pond_iceberg_literal_float((float)v); return 0;
		case POND_ICEBERG_DOUBLE: *out = pond_iceberg_literal_double((double)v); return 0;
		case POND_ICEBERG_DECIMAL:
			*out = pond_iceberg_literal_decimal((pond_int128)v * pow10_128(type->scale), type->scale);
			return 0;
		default: break;
		}
	} else if (in->type == POND_ICEBERG_DOUBLE || in->type == POND_ICEBERG_FLOAT) {
		double v = in->type == POND_ICEBERG_DOUBLE ? in->v.f64 : in->v.f32;
		switch (t) {
		case POND_ICEBERG_FLOAT: *out = pond_iceberg_literal_float((float)v); return 0;
		case POND_ICEBERG_DOUBLE: *out = pond_iceberg_literal_double(v); return 0;
		case POND_ICEBERG_DECIMAL: {
			/* only a value the column's scale holds exactly: a rounded one
			 * would move a range's edge past rows that match */
			double scaled = v * pow(10.0, type->scale);
			if (!isfinite(scaled) || fabs(scaled) > 1e15 || scaled != trunc(scaled))
				break;
			*out = pond_iceberg_literal_decimal((pond_int128)scaled, type->scale);
			return 0;
		}
		default: break;
		}
	} else if (in->type == POND_ICEBERG_DECIMAL && t != POND_ICEBERG_DECIMAL) {
		/* as SQL compares a decimal with the column: exactly for whole
		 * numbers, as (double)unscaled / 10^scale for floating point */
		pond_int128 p = pow10_128(in->scale);
		switch (t) {
		case POND_ICEBERG_INT:
		case POND_ICEBERG_LONG:
			if (in->v.dec % p != 0 || in->v.dec / p < INT64_MIN || in->v.dec / p > INT64_MAX ||
			    (t == POND_ICEBERG_INT && (in->v.dec / p < INT32_MIN || in->v.dec / p > INT32_MAX)))
				break;
			*out = t == POND_ICEBERG_INT ? pond_iceberg_literal_int((int32_t)(in->v.dec / p))
			                             : pond_iceberg_literal_long((int64_t)(in->v.dec / p));
			return 0;
		case POND_ICEBERG_DOUBLE:
			if (in->v.dec > ((pond_int128)1 << 53) || in->v.dec < -((pond_int128)1 << 53) || in->scale > 22)
				break;
			*out = pond_iceberg_literal_double((double)(int64_t)in->v.dec / (double)(int64_t)p);
			return 0;
		case POND_ICEBERG_FLOAT:
			if (in->v.dec > ((pond_int128)1 << 24) || in->v.dec < -((pond_int128)1 << 24) || in->scale > 10)
				break;
			*out = pond_iceberg_literal_float((float)(int32_t)in->v.dec / (float)(int64_t)p);
			return 0;
		default: break;
		}
	} else if (in->type == POND_ICEBERG_DECIMAL && t == POND_ICEBERG_DECIMAL) {
		if (in->scale > type->scale)
			return pond_error_set(err, POND_EINVAL, "filter: value for column %s has more digits than its scale",
			                      column);
		*out = *in;
		out->v.dec = in->v.dec * pow10_128(type->scale - in->scale);
		out->scale = type->scale;
		return 0;
	}
	pond_iceberg_type_format(tname, type);
	return pond_error_set(err, POND_EINVAL, "filter: value does not fit column %s of type %s", column, tname);
}

static pond_expr_op negate_op(pond_expr_op op)
{
	switch (op) {
	case POND_EXPR_TRUE: return POND_EXPR_FALSE;
	case POND_EXPR_FALSE: return POND_EXPR_TRUE;
	case POND_EXPR_AND: return POND_EXPR_OR;
	case POND_EXPR_OR: return POND_EXPR_AND;
	case POND_EXPR_EQ: return POND_EXPR_NE;
	case POND_EXPR_NE: return POND_EXPR_EQ;
	case POND_EXPR_LT: return POND_EXPR_GE;
	case POND_EXPR_LE: return POND_EXPR_GT;
	case POND_EXPR_GT: return POND_EXPR_LE;
	case POND_EXPR_GE: return POND_EXPR_LT;
	case POND_EXPR_IN: return POND_EXPR_NOT_IN;
	case POND_EXPR_NOT_IN: return POND_EXPR_IN;
	case POND_EXPR_IS_NULL: return POND_EXPR_NOT_NULL;
	case POND_EXPR_NOT_NULL: return POND_EXPR_IS_NULL;
	default: return op;
	}
}

static int bind_rec(pond_expr **out, const pond_expr *e, bool negate, const pond_iceberg_schema *schema,
                    pond_arena *arena, int depth, pond_error *err)
{
	if (depth > 128)
		return pond_error_set(err, POND_EINVAL, "filter nested too deeply");
	pond_expr_op op = negate ? negate_op(e->op) : e->op;
	int rc;
	switch (e->op) {
	case POND_EXPR_TRUE:
	case POND_EXPR_FALSE:
		*out = node(arena, op);
		break;
	case POND_EXPR_NOT:
		return bind_rec(out, e->left, !negate, schema, arena, depth + 1, err);
	case POND_EXPR_AND:
	case POND_EXPR_OR: {
		pond_expr *l, *r;
		if ((rc = bind_rec(&l, e->left, negate, schema, arena, depth + 1, err)) ||
		    (rc = bind_rec(&r, e->right, negate, schema, arena, depth + 1, err)))
			return rc;
		/* simplify constants */
		bool is_and = op == POND_EXPR_AND;
		pond_expr_op absorb = is_and ? POND_EXPR_FALSE : POND_EXPR_TRUE;
		pond_expr_op unit = is_and ? POND_EXPR_TRUE : POND_EXPR_FALSE;
		if (l->op == absorb || r->op == absorb)
			*out = l->op == absorb ? l : r;
		else if (l->op == unit)
			*out = r;
		else if (r->op == unit)
			*out = l;
		else
			*out = is_and ? pond_expr_and(arena, l, r) : pond_expr_or(arena, l, r);
		break;
	}
	default: {
		const pond_iceberg_field *f = pond_iceberg_schema_find_name(schema, e->column);
		if (!f)
			return pond_error_set(err, POND_EINVAL, "filter: unknown column %s", e->column);
		if (!pond_iceberg_type_is_primitive(f->type)) {
			/* Nested columns have no statistics to prune by: a null check
			 * on one keeps every file. */
			if (op == POND_EXPR_IS_NULL || op == POND_EXPR_NOT_NULL) {
				*out = node(arena, POND_EXPR_TRUE);
				break;
			}
			return pond_error_set(err, POND_EINVAL, "filter: column %s is not of a primitive type", e->column);
		}
		pond_expr *b = node(arena, op);
		if (!b)
			break;
		b->column = e->column;
		b->field_id = f->id;
		b->type = f->type;
		b->nliterals = e->nliterals;
		if (e->nliterals) {
			b->literals = pond_arena_alloc(arena, e->nliterals * sizeof *b->literals);
			if (!b->literals)
				return pond_error_set(err, POND_ENOMEM, "out of memory binding a filter");
			for (size_t i = 0; i < e->nliterals; i++)
				if ((rc = convert_literal(&b->literals[i], &e->literals[i], f->type, e->column, arena, err)))
					return rc;
		}
		/* Spec: a required column is never null. */
		if (f->required && (op == POND_EXPR_IS_NULL || op == POND_EXPR_NOT_NULL))
			b = node(arena, op == POND_EXPR_IS_NULL ? POND_EXPR_FALSE : POND_EXPR_TRUE);
		*out = b;
		break;
	}
	}
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory binding a filter");
}

int pond_expr_bind(pond_expr **out, const pond_expr *expr, const pond_iceberg_schema *schema, pond_arena *arena,
                   pond_error *err)
{
	*out = NULL;
	return bind_rec(out, expr, false, schema, arena, 0, err);
}

/* ---- printing ---- */

static const char *op_text(pond_expr_op op)
{
	switch (op) {
	case POND_EXPR_EQ: return "=";
	case POND_EXPR_NE: return "!=";
	case POND_EXPR_LT: return "<";
	case POND_EXPR_LE: return "<=";
	case POND_EXPR_GT: return ">";
	case POND_EXPR_GE: return ">=";
	case POND_EXPR_IN: return "in";
	case POND_EXPR_NOT_IN: return "not in";
	default: return "?";
	}
}

static void put_literal(pond_buf *out, const pond_iceberg_literal *l)
{
	if (l->type == POND_ICEBERG_STRING) {
		pond_buf_putc(out, '\'');
		for (size_t i = 0; i < l->v.bytes.len; i++) {
			char c = (char)l->v.bytes.ptr[i];
			if (c == '\'')
				pond_buf_putc(out, '\'');
			pond_buf_putc(out, c);
		}
		pond_buf_putc(out, '\'');
		return;
	}
	bool quote = l->type == POND_ICEBERG_DATE || l->type == POND_ICEBERG_TIME || l->type == POND_ICEBERG_TIMESTAMP ||
	             l->type == POND_ICEBERG_TIMESTAMPTZ || l->type == POND_ICEBERG_UUID;
	if (quote)
		pond_buf_putc(out, '\'');
	pond_iceberg_literal_to_text(out, l);
	if (quote)
		pond_buf_putc(out, '\'');
}

void pond_expr_format(pond_buf *out, const pond_expr *e)
{
	char name[24];
	const char *col = e->column;
	if (!col) {
		snprintf(name, sizeof name, "#%d", (int)e->field_id);
		col = name;
	}
	switch (e->op) {
	case POND_EXPR_TRUE: pond_buf_puts(out, "true"); return;
	case POND_EXPR_FALSE: pond_buf_puts(out, "false"); return;
	case POND_EXPR_AND:
	case POND_EXPR_OR:
		pond_buf_putc(out, '(');
		pond_expr_format(out, e->left);
		pond_buf_puts(out, e->op == POND_EXPR_AND ? " and " : " or ");
		pond_expr_format(out, e->right);
		pond_buf_putc(out, ')');
		return;
	case POND_EXPR_NOT:
		pond_buf_puts(out, "not ");
		pond_expr_format(out, e->left);
		return;
	case POND_EXPR_IS_NULL: pond_buf_printf(out, "%s is null", col); return;
	case POND_EXPR_NOT_NULL: pond_buf_printf(out, "%s is not null", col); return;
	case POND_EXPR_IN:
	case POND_EXPR_NOT_IN:
		pond_buf_printf(out, "%s %s (", col, op_text(e->op));
		for (size_t i = 0; i < e->nliterals; i++) {
			if (i)
				pond_buf_puts(out, ", ");
			put_literal(out, &e->literals[i]);
		}
		pond_buf_putc(out, ')');
		return;
	default:
		pond_buf_printf(out, "%s %s ", col, op_text(e->op));
		if (e->nliterals)
			put_literal(out, &e->literals[0]);
		return;
	}
}
