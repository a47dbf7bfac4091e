/*
 * The generator: from a seed, a table schema over every type pond writes,
 * a partition spec with every transform, and a sequence of writes,
 * evolution and checks with random predicates. The model it keeps (columns,
 * partition fields, tags) is what the table would be if every statement
 * succeeded; a statement the shrinker later orphans simply fails on both
 * sides.
 */
#include "difftest.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const dt_feature_names[DT_NFEATURES] = {
	"fractional-filters", "is-not-null", "nested-filters", "partition-evolution", "replace-self",
	"not-null", "defaults", "concurrent-updates", "float-partitions", "nested-types",
	"merge", "rollback", "time-travel", "evolution", "truncate-decimal-binary", "wide-decimal-partitions",
	"binary-partitions", "null-identity-values", "truncate-int-extremes", "widen-partitioned", "hour-far-future", "nan-values", "nan-identity-values", "negative-zero",
	"nested-update-values",
};
bool dt_features[DT_NFEATURES];

uint64_t dt_rand(dt_rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int dt_below(dt_rng *r, int n)
{
	return n <= 1 ? 0 : (int)(dt_rand(r) % (uint64_t)n);
}

bool dt_chance(dt_rng *r, int pct)
{
	return dt_below(r, 100) < pct;
}

static char *xsprintf(const char *fmt, ...) POND_PRINTF(1, 2);
static char *xsprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* ---- types and values ----------------------------------------------------------- */

typedef enum {
	K_BOOL, K_INT, K_BIGINT, K_FLOAT, K_DOUBLE, K_DECIMAL, K_DATE, K_TIME, K_TS, K_TSTZ,
	K_VARCHAR, K_BLOB, K_UUID, K_LIST, K_STRUCT, K_MAP, K_NKINDS
} kind;

#define K_FIRST_NESTED K_LIST

typedef struct {
	kind k;
	int p, s;  /* decimal precision and scale */
} dtype;

typedef struct {
	char name[16];
	dtype t;
	bool alive;
	bool partitioned;  /* a partition source: pond refuses to drop it */
	bool identity;     /* an identity partition source */
	bool truncated;    /* a truncate partition source */
	bool hourly;       /* an hour partition source */
	bool required;     /* NOT NULL */
	bool may_be_extreme; /* an INT/BIGINT value written may be its type's min or max */
} column;

#define MAX_COLS 12
#define MAX_TAGS 8

typedef struct {
	dt_rng rng;
	dt_case *c;
	column cols[MAX_COLS];
	int ncols;
	int next_col;      /* for fresh names c<n> */
	long next_id;
	long rows;         /* rows inserted (a rough guide for choices) */
	bool has_u;        /* d.u exists (for joins) */
	bool has_snapshot; /* d.t has a snapshot (a tag needs one) */
	/* The schema changed since the last snapshot: a tag made now reads
	 * with the snapshot's older schema (Iceberg), so none is made. */
	bool schema_after_snapshot;
	int epoch;         /* bumped by schema changes: rollback stays within one */
	struct { int n; int epoch; } tags[MAX_TAGS];
	int ntags, next_tag;
	int npartition;
	bool no_extremes;    /* set while generating a value for a truncated column */
	bool no_nan;         /* set while generating a value for an identity column */
	bool no_far_future;  /* set while generating a value for an hour-partitioned column */
	bool null_in_required; /* a row written since this was cleared puts NULL in a NOT NULL column */
	char terms[16][64];  /* partition terms of the current spec */
	int nterms;
} gen;

static void type_sql(char *buf, size_t len, dtype t)
{
	static const char *const names[] = {
		"BOOLEAN", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "", "DATE", "TIME", "TIMESTAMP",
		"TIMESTAMPTZ", "VARCHAR", "BLOB", "UUID", "INTEGER[]", "STRUCT(a INTEGER, b VARCHAR)",
		"MAP(VARCHAR, INTEGER)",
	};
	if (t.k == K_DECIMAL)
		snprintf(buf, len, "DECIMAL(%d,%d)", t.p, t.s);
	else
		snprintf(buf, len, "%s", names[t.k]);
}

static dtype random_type(gen *g)
{
	dtype t = {0, 0, 0};
	int nk = dt_features[DT_F_NESTED_TYPES] ? K_NKINDS : K_FIRST_NESTED;
	t.k = (kind)dt_below(&g->rng, nk);
	if (t.k == K_DECIMAL) {
		/* Every width: 1-9 (int32), 10-18 (int64), 19-38 (int128). */
		static const int ps[] = {1, 4, 9, 10, 15, 18, 19, 27, 38};
		t.p = ps[dt_below(&g->rng, 9)];
		t.s = dt_below(&g->rng, t.p + 1);
		if (t.s > 6 && dt_chance(&g->rng, 70))
			t.s = dt_below(&g->rng, 4);
	}
	return t;
}

static const char *const strings[] = {
	"", "a", "abc", "Ab", "ab", "b", "x'y", "%_", "\xc3\xa9t\xc3\xa9", "stra\xc3\x9f" "e",
	"\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\xa6\x86", "zzzz", "A",
};
#define NSTRINGS ((int)(sizeof(strings) / sizeof(strings[0])))

static void quote(char *out, size_t len, const char *s)
{
	size_t j = 0;
	out[j++] = '\'';
	for (; *s && j + 3 < len; s++) {
		if (*s == '\'')
			out[j++] = '\'';
		out[j++] = *s;
	}
	out[j++] = '\'';
	out[j] = 0;
}

/* A decimal literal with at most p digits, s after the point. */
static void decimal_text(gen *g, char *buf, size_t len, int p, int s, bool fraction)
{
	int ip = p - s;
	char digits[80];
	int n = 0;
	bool extreme = dt_chance(&g->rng, 15);
	int ni = ip == 0 ? 0 : (extreme ? ip : 1 + dt_below(&g->rng, ip < 4 ? ip : 4));
	for (int i = 0; i < ni; i++)
		digits[n++] = (char)('0' + (extreme ? 9 : (i == 0 ? 1 + dt_below(&g->rng, 9) : dt_below(&g->rng, 10))));
	if (n == 0)
		digits[n++] = '0';
	if (s > 0 && fraction) {
		digits[n++] = '.';
		for (int i = 0; i < s; i++)
			digits[n++] = (char)('0' + (extreme ? 9 : (i < 3 ? dt_below(&g->rng, 10) : 0)));
	}
	digits[n] = 0;
	/* Negative values of a truncated column may truncate below the type's
	 * range, which pond refuses (found/014): none without the switch. */
	bool negative = dt_chance(&g->rng, 25) && !g->no_extremes;
	snprintf(buf, len, "%s%s", negative ? "-" : "", digits);
}

/* A literal of type t (never NULL). In a filter (filter=true), the
 * fractional-filters switch decides whether numbers may have a fraction. */
static void literal(gen *g, char *buf, size_t len, dtype t, bool filter)
{
	dt_rng *r = &g->rng;
	/* Without truncate-int-extremes, a truncated column gets no INT/BIGINT
	 * min or max (the first three values below are safe). */
	int nint = g->no_extremes ? 3 : 8;
	bool frac = !filter || dt_features[DT_F_FRACTIONAL_FILTERS];
	char q[64];
	switch (t.k) {
	case K_BOOL: snprintf(buf, len, "%s", dt_chance(r, 50) ? "true" : "false"); return;
	case K_INT: {
		static const char *const v[] = {"0", "1", "-1", "2147483647", "-2147483648", "7", "42", "-100"};
		if (g->no_extremes)
			nint = 3;
		if (dt_chance(r, 50))
			snprintf(buf, len, "%s", v[dt_below(r, nint)]);
		else
			snprintf(buf, len, "%d", dt_below(r, 21) - 10);
		return;
	}
	case K_BIGINT: {
		static const char *const v[] = {"0", "1", "-1", "9223372036854775807", "-9223372036854775808",
		                                "4294967296", "-3", "1000000000000"};
		if (dt_chance(r, 50))
			snprintf(buf, len, "%s", v[dt_below(r, nint)]);
		else
			snprintf(buf, len, "%d", dt_below(r, 21) - 10);
		return;
	}
	case K_FLOAT:
	case K_DOUBLE: {
		/* Exact in float, so float/double promotion cannot differ. */
		/* Any literal with a point is a DECIMAL to DuckDB ("225.0" too). */
		static const char *const fr[] = {"2.25", "-2.25", "0.5", "1.75", "-0.25", "225.0"};
		static const char *const whole[] = {"0", "1", "-1", "225", "3", "-7"};
		const char *special[4];
		int nspecial = 0;
		special[nspecial++] = "'inf'";
		special[nspecial++] = "'-inf'";
		if (dt_features[DT_F_NEGATIVE_ZERO])
			special[nspecial++] = "'-0.0'";
		if (!g->no_nan && dt_features[DT_F_NAN_VALUES])
			special[nspecial++] = "'nan'";
		const char *ty = t.k == K_FLOAT ? "FLOAT" : "DOUBLE";
		int pick = dt_below(r, 10);
		if (pick < 2)
			snprintf(buf, len, "%s::%s", special[dt_below(r, nspecial)], ty);
		else if (pick < 6 && frac)
			snprintf(buf, len, "%s", fr[dt_below(r, 6)]);
		else
			snprintf(buf, len, "%s", whole[dt_below(r, 6)]);
		return;
	}
	case K_DECIMAL: decimal_text(g, buf, len, t.p, t.s, frac); return;
	case K_DATE: {
		static const char *const v[] = {"0001-01-01", "9999-12-31", "1969-12-31", "1970-01-01", "2024-02-29",
		                                "2000-01-01", "1900-03-01", "2024-12-31"};
		snprintf(buf, len, "DATE '%s'", v[dt_below(r, 8)]);
		return;
	}
	case K_TIME: {
		static const char *const v[] = {"00:00:00", "23:59:59.999999", "12:34:56.5", "01:00:00"};
		snprintf(buf, len, "TIME '%s'", v[dt_below(r, 4)]);
		return;
	}
	case K_TS:
	case K_TSTZ: {
		static const char *const v[] = {"0001-01-01 00:00:00", "9999-12-31 23:59:59.999999",
		                                "1969-12-31 23:59:59.999999", "1970-01-01 00:00:00",
		                                "2024-02-29 12:00:00", "2024-03-10 02:30:00.123456",
		                                "1999-12-31 23:00:00", "2024-01-01 00:59:59"};
		int k = dt_below(r, 8);
		if (k == 1 && g->no_far_future)
			k = 0;
		if (t.k == K_TS)
			snprintf(buf, len, "TIMESTAMP '%s'", v[k]);
		else
			snprintf(buf, len, "TIMESTAMPTZ '%s+00'", v[k]);
		return;
	}
	case K_VARCHAR: quote(buf, len, strings[dt_below(r, NSTRINGS)]); return;
	case K_BLOB: {
		static const char *const v[] = {"''::BLOB", "'\\x00\\xFF'::BLOB", "'abc'::BLOB", "'\\x80'::BLOB"};
		snprintf(buf, len, "%s", v[dt_below(r, 4)]);
		return;
	}
	case K_UUID: {
		static const char *const v[] = {"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		                                "123e4567-e89b-12d3-a456-426614174000", "7fffffff-0000-0000-8000-000000000001"};
		snprintf(buf, len, "'%s'::UUID", v[dt_below(r, 4)]);
		return;
	}
	case K_LIST: {
		static const char *const v[] = {"[]::INTEGER[]", "[1, 2, 3]", "[NULL]::INTEGER[]", "[-1]", "[7, NULL]"};
		snprintf(buf, len, "%s", v[dt_below(r, 5)]);
		return;
	}
	case K_STRUCT:
		quote(q, sizeof(q), strings[dt_below(r, NSTRINGS)]);
		if (dt_chance(r, 20))
			snprintf(buf, len, "{'a': NULL, 'b': %s}", q);
		else
			snprintf(buf, len, "{'a': %d, 'b': %s}", dt_below(r, 5), q);
		return;
	case K_MAP:
		quote(q, sizeof(q), strings[dt_below(r, NSTRINGS)]);
		snprintf(buf, len, dt_chance(r, 20) ? "MAP {}::MAP(VARCHAR, INTEGER)" : "MAP {%s: %d}", q, dt_below(r, 5));
		return;
	default: abort();
	}
}

static void value(gen *g, char *buf, size_t len, column *c)
{
	dtype t = c->t;
	if (dt_chance(&g->rng, 20) && (!c->identity || dt_features[DT_F_NULL_IDENTITY_VALUES]) &&
	    (!c->required || dt_chance(&g->rng, 25))) {
		/* In a NOT NULL column, the statement fails (on both sides). */
		g->null_in_required |= c->required;
		snprintf(buf, len, "NULL");
		return;
	}
	g->no_extremes = c->truncated && !dt_features[DT_F_TRUNCATE_INT_EXTREMES];
	c->may_be_extreme |= !g->no_extremes && (t.k == K_INT || t.k == K_BIGINT || t.k == K_DECIMAL);
	g->no_nan = c->identity && !dt_features[DT_F_NAN_IDENTITY_VALUES];
	g->no_far_future = c->hourly && !dt_features[DT_F_HOUR_FAR_FUTURE];
	literal(g, buf, len, t, false);
	g->no_extremes = g->no_nan = g->no_far_future = false;
}

static bool is_nested(dtype t)
{
	return t.k >= K_FIRST_NESTED;
}

static bool is_inexact(dtype t)
{
	return t.k == K_FLOAT || t.k == K_DOUBLE;
}

/* ---- building steps ----------------------------------------------------------- */

static void push(gen *g, dt_step_kind k, char *pond, char *native, char *aux)
{
	dt_case *c = g->c;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->steps = realloc(c->steps, c->cap * sizeof(*c->steps));
		if (!c->steps)
			abort();
	}
	c->steps[c->n++] = (dt_step){k, pond, native, aux};
}

static void push_same(gen *g, dt_step_kind k, const char *sql)
{
	push(g, k, xsprintf("%s", sql), xsprintf("%s", sql), NULL);
}

static int alive_cols(gen *g, int *idx, bool primitive_only)
{
	int n = 0;
	for (int i = 0; i < g->ncols; i++)
		if (g->cols[i].alive && (!primitive_only || !is_nested(g->cols[i].t)))
			idx[n++] = i;
	return n;
}

static column *pick_col(gen *g, bool primitive_only)
{
	int idx[MAX_COLS];
	int n = alive_cols(g, idx, primitive_only);
	return n ? &g->cols[idx[dt_below(&g->rng, n)]] : NULL;
}

/* ---- predicates ----------------------------------------------------------------- */

static void append(char **s, const char *fmt, ...) POND_PRINTF(2, 3);
static void append(char **s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *more = NULL;
	if (vasprintf(&more, fmt, ap) < 0)
		abort();
	va_end(ap);
	char *joined = xsprintf("%s%s", *s ? *s : "", more);
	free(*s);
	free(more);
	*s = joined;
}

static char *atom_on(gen *g, const char *prefix, column *c);

static char *atom(gen *g, const char *prefix)
{
	column *c = pick_col(g, !dt_features[DT_F_NESTED_FILTERS]);
	if (!c)
		return xsprintf("true");
	g->no_far_future = c->hourly && !dt_features[DT_F_HOUR_FAR_FUTURE];
	char *s = atom_on(g, prefix, c);
	g->no_far_future = false;
	return s;
}

static char *atom_on(gen *g, const char *prefix, column *c)
{
	dt_rng *r = &g->rng;
	char col[40], a[160], b[160];
	snprintf(col, sizeof(col), "%s%s", prefix, c->name);
	if (is_nested(c->t)) {
		switch (dt_below(r, 4)) {
		case 0: return xsprintf("%s IS NULL", col);
		case 1: return xsprintf("%s IS NOT NULL", col);
		default:
			if (c->t.k == K_LIST)
				return xsprintf("len(%s) > %d", col, dt_below(r, 3));
			if (c->t.k == K_STRUCT)
				return xsprintf("%s.a = %d", col, dt_below(r, 5));
			return xsprintf("cardinality(%s) = %d", col, dt_below(r, 2));
		}
	}
	int pick = dt_below(r, 12);
	if (pick == 0)
		return xsprintf("%s IS NULL", col);
	if (pick == 1 && dt_features[DT_F_IS_NOT_NULL])
		return xsprintf("%s IS NOT NULL", col);
	if (pick == 2) {
		char l3[160];
		literal(g, a, sizeof(a), c->t, true);
		literal(g, b, sizeof(b), c->t, true);
		literal(g, l3, sizeof(l3), c->t, true);
		return xsprintf("%s %sIN (%s, %s, %s)", col, dt_chance(r, 30) ? "NOT " : "", a, b, l3);
	}
	if (pick == 3 && c->t.k != K_BOOL) {
		literal(g, a, sizeof(a), c->t, true);
		literal(g, b, sizeof(b), c->t, true);
		return xsprintf("%s BETWEEN %s AND %s", col, a, b);
	}
	if (pick == 4 && c->t.k == K_VARCHAR) {
		static const char *const pat[] = {"a%", "%b%", "_", "%", "\xe6\x97\xa5%", "A_"};
		return xsprintf("%s %sLIKE '%s'", col, dt_chance(r, 30) ? "NOT " : "", pat[dt_below(r, 6)]);
	}
	if (pick == 5 && (c->t.k == K_INT || c->t.k == K_BIGINT || c->t.k == K_VARCHAR || c->t.k == K_DATE)) {
		literal(g, a, sizeof(a), c->t, true);
		return xsprintf("CAST(%s AS VARCHAR) = CAST(%s AS VARCHAR)", col, a);
	}
	if (pick == 6 && (c->t.k == K_INT || c->t.k == K_BIGINT) && dt_features[DT_F_FRACTIONAL_FILTERS])
		return xsprintf("CAST(%s AS DOUBLE) > %s", col, dt_chance(r, 50) ? "1.5" : "-0.5");
	if (pick == 7 && (c->t.k == K_TS || c->t.k == K_TSTZ || c->t.k == K_DATE))
		return xsprintf("year(%s) %s %d", col, dt_chance(r, 50) ? "<" : "=",
		                (int[]){1, 1969, 1970, 2024, 9999}[dt_below(r, 5)]);
	static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
	literal(g, a, sizeof(a), c->t, true);
	if (dt_chance(r, 15))  /* literal on the left */
		return xsprintf("%s %s %s", a, ops[dt_below(r, 6)], col);
	return xsprintf("%s %s %s", col, ops[dt_below(r, 6)], a);
}

static char *predicate(gen *g, const char *prefix, int depth)
{
	dt_rng *r = &g->rng;
	int pick = depth > 1 ? 0 : dt_below(r, 10);
	if (pick < 5)
		return atom(g, prefix);
	char *a = predicate(g, prefix, depth + 1);
	char *out;
	if (pick == 5)
		out = xsprintf("NOT (%s)", a);
	else {
		char *b = predicate(g, prefix, depth + 1);
		out = xsprintf("(%s) %s (%s)", a, pick < 8 ? "AND" : "OR", b);
		free(b);
	}
	free(a);
	return out;
}

/* ---- statements ----------------------------------------------------------------- */

static void queries(gen *g, int n)
{
	dt_rng *r = &g->rng;
	push_same(g, DT_QUERY, "SELECT * FROM d.t");
	for (int i = 0; i < n; i++) {
		char *p = predicate(g, "", 0);
		int pick = dt_below(r, 10);
		if (pick < 4) {
			char *q = xsprintf("SELECT * FROM d.t WHERE %s", p);
			push(g, DT_QUERY, q, xsprintf("%s", q), NULL);
		} else if (pick < 6) {
			column *c = pick_col(g, true);
			char *q;
			if (c && !is_inexact(c->t) && c->t.k != K_BOOL && c->t.k != K_BLOB && c->t.k != K_UUID &&
			    c->t.k < K_DATE)
				/* sum() of DECIMAL(37..38) near its limits overflows or not
				 * depending on the order rows arrive in: no sum there. */
				q = xsprintf("SELECT count(*), count(%s), min(%s), max(%s), %s%s%s FROM d.t WHERE %s", c->name,
				             c->name, c->name, c->t.k == K_DECIMAL && c->t.p >= 37 ? "count(" : "sum(", c->name,
				             ")", p);
			else if (c)
				q = xsprintf("SELECT %s, count(*) FROM d.t WHERE %s GROUP BY ALL", c->name, p);
			else
				q = xsprintf("SELECT count(*) FROM d.t WHERE %s", p);
			push(g, DT_QUERY, q, xsprintf("%s", q), NULL);
		} else if (pick == 6 && g->has_u) {
			char *pa = predicate(g, "a.", 0);
			char *q = xsprintf("SELECT a.*, b.id AS bid FROM d.t a JOIN d.u b ON a.id = b.id WHERE %s", pa);
			push(g, DT_QUERY, q, xsprintf("%s", q), NULL);
			free(pa);
		} else if (pick < 9) {
			push(g, DT_TLP, NULL, NULL, xsprintf("%s", p));
		} else {
			push(g, DT_PRUNE, NULL, NULL, xsprintf("%s", p));
		}
		free(p);
	}
}

/* One row's values: every live column, or those in mask (not NULL). */
static char *row_values(gen *g, long id, const bool *mask)
{
	char *s = xsprintf("(%ld", id);
	char v[200];
	for (int i = 0; i < g->ncols; i++) {
		if (!g->cols[i].alive || (mask && !mask[i]))
			continue;
		value(g, v, sizeof(v), &g->cols[i]);
		append(&s, ", %s", v);
	}
	append(&s, ")");
	return s;
}

static void insert(gen *g)
{
	int n = 1 + dt_below(&g->rng, 6);
	char *s;
	/* A column list now and then: the others get their default or NULL. */
	bool mask[MAX_COLS], listed = dt_chance(&g->rng, 25);
	if (listed) {
		s = xsprintf("INSERT INTO d.t (id");
		for (int i = 0; i < g->ncols; i++) {
			mask[i] = dt_chance(&g->rng, 60) ||
			          (g->cols[i].identity && !dt_features[DT_F_NULL_IDENTITY_VALUES]) || g->cols[i].required;
			if (mask[i] && g->cols[i].alive)
				append(&s, ", %s", g->cols[i].name);
		}
		append(&s, ") VALUES ");
	} else {
		s = xsprintf("INSERT INTO d.t VALUES ");
	}
	g->null_in_required = false;
	for (int i = 0; i < n; i++) {
		/* Now and then an id again: merges and joins then meet duplicates. */
		long id = dt_chance(&g->rng, 10) && g->next_id > 1 ? 1 + dt_below(&g->rng, (int)g->next_id - 1)
		                                                    : g->next_id++;
		char *row = row_values(g, id, listed ? mask : NULL);
		append(&s, "%s%s", i ? ", " : "", row);
		free(row);
	}
	if (!g->null_in_required) {  /* otherwise it fails, committing nothing */
		g->rows += n;
		g->has_snapshot = true;
		g->schema_after_snapshot = false;
	}
	push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
}

static void merge(gen *g)
{
	/* Keys unique in the source (pond: last wins; native: delete + insert). */
	int n = 1 + dt_below(&g->rng, 4);
	char *src = xsprintf("SELECT * FROM (VALUES ");
	long base = dt_chance(&g->rng, 60) && g->next_id > 3 ? 1 + dt_below(&g->rng, (int)g->next_id - 2) : g->next_id;
	g->null_in_required = false;
	for (int i = 0; i < n; i++) {
		long id = base + i;
		if (id >= g->next_id)
			g->next_id = id + 1;
		char *row = row_values(g, id, NULL);
		append(&src, "%s%s", i ? ", " : "", row);
		free(row);
	}
	append(&src, ") v(id");
	for (int i = 0; i < g->ncols; i++)
		if (g->cols[i].alive)
			append(&src, ", %s", g->cols[i].name);
	append(&src, ")");
	if (!g->null_in_required) {  /* otherwise it fails, committing nothing */
		g->has_snapshot = true;
		g->schema_after_snapshot = false;
	}
	/* One transaction, as pond's merge is one commit: a failing INSERT
	 * undoes the DELETE. */
	char *native = xsprintf("BEGIN TRANSACTION; DELETE FROM d.t WHERE id IN (SELECT id FROM (%s)); "
	                        "INSERT INTO d.t %s; COMMIT",
	                        src, src);
	push(g, DT_MERGE, NULL, native, src);
}

static char *set_expr(gen *g, column *c)
{
	char v[200];
	if ((c->t.k == K_INT || c->t.k == K_BIGINT) && dt_chance(&g->rng, 50))
		return xsprintf("%s + %d", c->name, 1 + dt_below(&g->rng, 5));
	if (c->t.k == K_VARCHAR && dt_chance(&g->rng, 30))
		return xsprintf("%s || 'x'", c->name);
	if (is_nested(c->t) && !dt_features[DT_F_NESTED_UPDATE_VALUES])
		return xsprintf("NULL");
	value(g, v, sizeof(v), c);
	return xsprintf("%s", v);
}

static void update(gen *g)
{
	column *c = pick_col(g, false);
	if (!c)
		return;
	char *e = set_expr(g, c);
	char *p = predicate(g, "", 0);
	char *s = xsprintf("UPDATE d.t SET %s = %s WHERE %s", c->name, e, p);
	free(e);
	free(p);
	push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
}

static void delete(gen *g)
{
	char *p = predicate(g, "", 0);
	char *s = xsprintf("DELETE FROM d.t WHERE %s", p);
	free(p);
	push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
}

/* A partition field over a random column with a transform its type takes. */
static void add_partition(gen *g)
{
	dt_rng *r = &g->rng;
	column *c = pick_col(g, true);
	if (!c || c->t.k == K_BOOL || c->t.k == K_TIME || c->t.k == K_UUID)
		return;
	if (is_inexact(c->t) && !dt_features[DT_F_FLOAT_PARTITIONS])
		return;
	const char *terms[8];
	int n = 0;
	char t1[64], t2[64], t3[64], t4[64];
	/* Rows written before may hold NULLs in the column. */
	bool nulls_before = g->rows > 0 && !dt_features[DT_F_NULL_IDENTITY_VALUES];
	if ((c->t.k != K_DECIMAL || c->t.p <= 18 || dt_features[DT_F_WIDE_DECIMAL_PARTITIONS]) &&
	    (c->t.k != K_BLOB || dt_features[DT_F_BINARY_PARTITIONS]) && !nulls_before)
		terms[n++] = c->name;  /* identity */
	if (!is_inexact(c->t) && c->t.k != K_TSTZ) {
		snprintf(t1, sizeof(t1), "bucket(%d, %s)", 1 + dt_below(r, 8), c->name);
		terms[n++] = t1;
	}
	/* Without truncate-int-extremes, not over a column whose rows may
	 * already hold its type's min (pond refuses those; found/014). */
	bool extremes_ok = !c->may_be_extreme || dt_features[DT_F_TRUNCATE_INT_EXTREMES];
	if (((c->t.k == K_INT || c->t.k == K_BIGINT) && extremes_ok) || c->t.k == K_VARCHAR ||
	    (c->t.k == K_DECIMAL && extremes_ok && dt_features[DT_F_TRUNCATE_DECIMAL_BINARY]) ||
	    (c->t.k == K_BLOB && dt_features[DT_F_TRUNCATE_DECIMAL_BINARY])) {
		snprintf(t2, sizeof(t2), "truncate(%d, %s)", 1 + dt_below(r, 10), c->name);
		terms[n++] = t2;
	}
	if (c->t.k == K_DATE || c->t.k == K_TS || c->t.k == K_TSTZ) {
		static const char *const tr[] = {"year", "month", "day"};
		snprintf(t3, sizeof(t3), "%s(%s)", tr[dt_below(r, 3)], c->name);
		terms[n++] = t3;
		if (c->t.k != K_DATE) {
			snprintf(t4, sizeof(t4), "hour(%s)", c->name);
			terms[n++] = t4;
		}
	}
	if (n == 0)
		return;
	const char *term = terms[dt_below(r, n)];
	/* The same field twice is refused, rightly; so is a second bucket or
	 * truncate of one column in one spec. Compare "transform:column"
	 * (by the column's index: names change). */
	char key[64];
	const char *paren = strchr(term, '(');
	snprintf(key, sizeof(key), "%.*s:%d", paren ? (int)(paren - term) : 8, paren ? term : "identity",
	         (int)(c - g->cols));
	for (int i = 0; i < g->nterms; i++)
		if (strcmp(g->terms[i], key) == 0)
			return;
	if (g->nterms < 16)
		snprintf(g->terms[g->nterms++], sizeof(g->terms[0]), "%s", key);
	if (term == c->name)
		c->identity = true;
	if (term == t2)
		c->truncated = true;
	if (term == t4)
		c->hourly = true;
	char *s = xsprintf("ALTER TABLE d.t ADD PARTITION FIELD %s", term);
	c->partitioned = true;
	g->npartition++;
	push(g, DT_WRITE, s, NULL, NULL);
}

static void evolve(gen *g)
{
	dt_rng *r = &g->rng;
	column *c = pick_col(g, false);
	char ty[64], v[200];
	int pick = dt_below(r, 5);
	if (pick == 0 && g->ncols < MAX_COLS) {
		column *n = &g->cols[g->ncols++];
		snprintf(n->name, sizeof(n->name), "c%d", g->next_col++);
		n->t = random_type(g);
		n->alive = true;
		n->partitioned = n->identity = n->truncated = n->hourly = false;
		type_sql(ty, sizeof(ty), n->t);
		char *s;
		if (dt_features[DT_F_DEFAULTS] && !is_nested(n->t) && dt_chance(r, 40)) {
			literal(g, v, sizeof(v), n->t, false);
			s = xsprintf("ALTER TABLE d.t ADD COLUMN %s %s DEFAULT %s", n->name, ty, v);
		} else {
			s = xsprintf("ALTER TABLE d.t ADD COLUMN %s %s", n->name, ty);
		}
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	} else if (pick == 1 && c) {
		char old[16];
		snprintf(old, sizeof(old), "%s", c->name);
		snprintf(c->name, sizeof(c->name), "r%d", g->next_col++);
		char *s = xsprintf("ALTER TABLE d.t RENAME COLUMN %s TO %s", old, c->name);
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	} else if (pick == 2 && c && !c->partitioned) {
		c->alive = false;
		char *s = xsprintf("ALTER TABLE d.t DROP COLUMN %s", c->name);
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	} else if (c && (c->t.k == K_INT || c->t.k == K_FLOAT || (c->t.k == K_DECIMAL && c->t.p < 38)) &&
	           (!c->partitioned || dt_features[DT_F_WIDEN_PARTITIONED])) {
		if (c->t.k == K_INT)
			c->t.k = K_BIGINT;
		else if (c->t.k == K_FLOAT)
			c->t.k = K_DOUBLE;
		else
			c->t.p += 1 + dt_below(r, 38 - c->t.p);
		type_sql(ty, sizeof(ty), c->t);
		char *s = xsprintf("ALTER TABLE d.t ALTER COLUMN %s TYPE %s", c->name, ty);
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	} else {
		return;
	}
	g->epoch++;
	g->schema_after_snapshot = true;
}

static void reset_partitions(gen *g)
{
	for (int i = 0; i < g->ncols; i++)
		g->cols[i].partitioned = g->cols[i].identity = g->cols[i].truncated = g->cols[i].hourly = false;
	g->npartition = 0;
	g->nterms = 0;
	g->ntags = 0;  /* a new table: the tags are gone */
	g->has_snapshot = false;  /* CTAS of no rows commits nothing */
	for (int i = 0; i < g->ncols; i++)
		g->cols[i].required = false;  /* a table made by a query has no constraints */
	g->epoch++;
}

static void ctas(gen *g)
{
	char *p = predicate(g, "", 0);
	push_same(g, DT_WRITE, "DROP TABLE IF EXISTS d.u");
	char *s = xsprintf("CREATE TABLE d.u AS SELECT * FROM d.t WHERE %s", p);
	push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	push_same(g, DT_QUERY, "SELECT * FROM d.u");
	g->has_u = true;
	free(p);
}

static void replace(gen *g)
{
	char *p = predicate(g, "", 0);
	char *s;
	int alive = 0, drop = -1;
	for (int i = 0; i < g->ncols; i++)
		alive += g->cols[i].alive;
	if (dt_features[DT_F_REPLACE_SELF] && alive >= 2 && dt_chance(&g->rng, 30)) {
		/* Other columns: the query's schema becomes the table's in the
		 * same commit, unpartitioned (one column left out). */
		int k = dt_below(&g->rng, alive);
		for (int i = 0; i < g->ncols && drop < 0; i++)
			if (g->cols[i].alive && k-- == 0)
				drop = i;
		s = xsprintf("CREATE OR REPLACE TABLE d.t AS SELECT id");
		for (int i = 0; i < g->ncols; i++)
			if (g->cols[i].alive && i != drop)
				append(&s, ", %s", g->cols[i].name);
		append(&s, " FROM d.t WHERE %s", p);
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	} else if (dt_features[DT_F_REPLACE_SELF]) {
		s = xsprintf("CREATE OR REPLACE TABLE d.t AS SELECT * FROM d.t WHERE %s", p);
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
	} else {
		/* Through a copy in d.u, which is not the table being replaced. */
		push_same(g, DT_WRITE, "DROP TABLE IF EXISTS d.u");
		s = xsprintf("CREATE TABLE d.u AS SELECT * FROM d.t WHERE %s", p);
		push(g, DT_WRITE, s, xsprintf("%s", s), NULL);
		push_same(g, DT_WRITE, "CREATE OR REPLACE TABLE d.t AS SELECT * FROM d.u");
		g->has_u = true;
	}
	free(p);
	if (drop >= 0) {
		g->cols[drop].alive = false;
		for (int i = 0; i < g->ncols; i++)
			g->cols[i].required = false;
		reset_partitions(g);
	} else if (dt_features[DT_F_REPLACE_SELF]) {
		/* Same columns: one overwrite commit, which keeps the partition
		 * spec and the tags, but not NOT NULL (as DuckDB's CTAS). */
		for (int i = 0; i < g->ncols; i++)
			g->cols[i].required = false;
		g->ntags = 0;  /* tags stay in pond; the model just stops using them */
		g->has_snapshot = false;
		g->epoch++;
	} else {
		reset_partitions(g);
	}
}

static void tag(gen *g)
{
	if (g->ntags == MAX_TAGS || !g->has_snapshot || g->schema_after_snapshot)
		return;
	int n = g->next_tag++;
	g->tags[g->ntags].n = n;
	g->tags[g->ntags].epoch = g->epoch;
	g->ntags++;
	push(g, DT_WRITE, xsprintf("ALTER TABLE d.t CREATE TAG s%d", n),
	     xsprintf("CREATE OR REPLACE TABLE d.s%d AS SELECT * FROM d.t", n), NULL);
}

static void time_travel(gen *g)
{
	if (!g->ntags)
		return;
	int n = g->tags[dt_below(&g->rng, g->ntags)].n;
	push(g, DT_QUERY, xsprintf("SELECT * FROM d.t AT (VERSION => 's%d')", n), xsprintf("SELECT * FROM d.s%d", n),
	     NULL);
}

static void rollback(gen *g)
{
	int cand[MAX_TAGS], n = 0;
	for (int i = 0; i < g->ntags; i++)
		if (g->tags[i].epoch == g->epoch)
			cand[n++] = g->tags[i].n;
	if (!n)
		return;
	int t = cand[dt_below(&g->rng, n)];
	/* A rollback keeps the table's NOT NULL columns; native CTAS would not. */
	char *native = xsprintf("CREATE OR REPLACE TABLE d.t AS SELECT * FROM d.s%d", t);
	for (int i = 0; i < g->ncols; i++)
		if (g->cols[i].alive && g->cols[i].required)
			append(&native, "; ALTER TABLE d.t ALTER COLUMN %s SET NOT NULL", g->cols[i].name);
	push(g, DT_ROLLBACK, NULL, native, xsprintf("s%d", t));
}

void dt_generate(dt_case *out, uint64_t seed)
{
	memset(out, 0, sizeof(*out));
	out->seed = seed;
	gen g;
	memset(&g, 0, sizeof(g));
	g.rng.state = seed;
	g.c = out;
	g.next_id = 1;
	dt_rng *r = &g.rng;

	g.ncols = 1 + dt_below(r, 5);
	char *create = xsprintf("CREATE TABLE d.t (id BIGINT");
	for (int i = 0; i < g.ncols; i++) {
		column *c = &g.cols[i];
		snprintf(c->name, sizeof(c->name), "c%d", g.next_col++);
		c->t = random_type(&g);
		c->alive = true;
		c->required = dt_features[DT_F_NOT_NULL] && dt_chance(r, 10);
		char ty[64];
		type_sql(ty, sizeof(ty), c->t);
		append(&create, ", %s %s%s", c->name, ty, c->required ? " NOT NULL" : "");
	}
	append(&create, ")");
	push(&g, DT_WRITE, create, xsprintf("%s", create), NULL);
	int nparts = dt_below(r, 3);
	for (int i = 0; i < nparts; i++)
		add_partition(&g);

	int nsteps = 4 + dt_below(r, 10);
	for (int i = 0; i < nsteps; i++) {
		int pick = dt_below(r, 100);
		if (pick < 30 || g.rows == 0)
			insert(&g);
		else if (pick < 42)
			delete(&g);
		else if (pick < 54)
			update(&g);
		else if (pick < 60 && dt_features[DT_F_MERGE])
			merge(&g);
		else if (pick < 68 && dt_features[DT_F_EVOLUTION])
			evolve(&g);
		else if (pick < 73 && dt_features[DT_F_PARTITION_EVOLUTION])
			add_partition(&g);
		else if (pick < 77)
			ctas(&g);
		else if (pick < 80)
			replace(&g);
		else if (pick < 86 && (dt_features[DT_F_TIME_TRAVEL] || dt_features[DT_F_ROLLBACK]))
			tag(&g);
		else if (pick < 92 && dt_features[DT_F_TIME_TRAVEL])
			time_travel(&g);
		else if (pick < 96 && dt_features[DT_F_ROLLBACK])
			rollback(&g);
		else
			insert(&g);
		queries(&g, 1 + dt_below(r, 4));
	}
}

void dt_case_free(dt_case *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->steps[i].pond);
		free(c->steps[i].native);
		free(c->steps[i].aux);
	}
	free(c->steps);
	memset(c, 0, sizeof(*c));
}

void dt_case_print(FILE *f, const dt_case *c, const bool *keep)
{
	fprintf(f, "-- difftest --case %llu; in a new project: pond init r --bare && cd r && pond sql -F this.sql\n",
	        (unsigned long long)c->seed);
	for (size_t i = 0; i < c->n; i++) {
		const dt_step *s = &c->steps[i];
		if (keep && !keep[i])
			continue;
		switch (s->kind) {
		case DT_WRITE:
		case DT_QUERY:
			fprintf(f, "%s;\n", s->pond);
			if (s->native && strcmp(s->native, s->pond) != 0)
				fprintf(f, "--   native DuckDB: %s;\n", s->native);
			break;
		case DT_TLP:
			fprintf(f, "-- ternary logic: count(*) must equal the sum of the three below\n");
			fprintf(f, "SELECT count(*) FROM d.t;\n");
			fprintf(f, "SELECT count(*) FROM d.t WHERE %s;\n", s->aux);
			fprintf(f, "SELECT count(*) FROM d.t WHERE NOT (%s);\n", s->aux);
			fprintf(f, "SELECT count(*) FROM d.t WHERE (%s) IS NULL;\n", s->aux);
			break;
		case DT_PRUNE:
			fprintf(f, "-- pruning: the files the filter skips must hold no matching row\n");
			fprintf(f, "SELECT count(*) FROM d.t WHERE %s;\n", s->aux);
			break;
		case DT_MERGE:
			fprintf(f, "-- merge on id (pond_table_merge_query(lake, d.t, query, {\"id\"}))\n");
			fprintf(f, "--   query: %s\n", s->aux);
			fprintf(f, "--   native DuckDB: %s;\n", s->native);
			break;
		case DT_ROLLBACK:
			fprintf(f, "-- pond rollback d.t <snapshot of tag %s>\n", s->aux);
			fprintf(f, "--   native DuckDB: %s;\n", s->native);
			break;
		}
	}
}
