/*
 * Evaluating bound filters for scan planning, all "inclusive" (false only
 * when nothing can match): the projection of a row filter through partition
 * transforms (spec "Scan Planning"; Java's InclusiveProjection), and its
 * evaluation against a manifest's partition summaries, a partition tuple,
 * and a data file's column statistics (Java's ManifestEvaluator,
 * Evaluator on partitions, InclusiveMetricsEvaluator).
 */
#include <math.h>
#include <string.h>

#include "manifest_internal.h"

/* ---- projection ---- */

static pond_expr *mk(pond_arena *arena, pond_expr_op op)
{
	pond_expr *e = pond_arena_calloc(arena, 1, sizeof *e);
	if (e) {
		e->op = op;
		e->field_id = -1;
	}
	return e;
}

/* Transform results are typed by the spec's result type (a day of a
 * timestamp is a date, a bucket an int). */
static void retype(pond_iceberg_literal *l, const pond_iceberg_type *result)
{
	pond_iceberg_type_id t = result->id;
	bool l32 = l->type == POND_ICEBERG_INT || l->type == POND_ICEBERG_DATE;
	bool t32 = t == POND_ICEBERG_INT || t == POND_ICEBERG_DATE;
	if (l32 && t32)
		l->type = t;
}

/* v - 1 or v + 1 for integer-like literals (dates, timestamps, decimals);
 * false when the type has no successor or it would overflow. */
static bool step(pond_iceberg_literal *l, int delta)
{
	switch (l->type) {
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE:
		if ((delta < 0 && l->v.i32 == INT32_MIN) || (delta > 0 && l->v.i32 == INT32_MAX))
			return false;
		l->v.i32 += delta;
		return true;
	case POND_ICEBERG_LONG:
	case POND_ICEBERG_TIME:
	case POND_ICEBERG_TIMESTAMP:
	case POND_ICEBERG_TIMESTAMPTZ:
	case POND_ICEBERG_TIMESTAMP_NS:
	case POND_ICEBERG_TIMESTAMPTZ_NS:
		if ((delta < 0 && l->v.i64 == INT64_MIN) || (delta > 0 && l->v.i64 == INT64_MAX))
			return false;
		l->v.i64 += delta;
		return true;
	case POND_ICEBERG_DECIMAL:
		l->v.dec += delta;
		return true;
	default:
		return false;
	}
}

static int project_pred(pond_expr **out, const pond_expr *p, const pond_iceberg_partition_field *pf,
                        const pond_iceberg_type *result, pond_arena *arena, pond_error *err)
{
	pond_iceberg_transform t = pf->transform;
	pond_expr_op op = p->op;
	*out = NULL;
	if (t.kind == POND_ICEBERG_VOID)
		goto always;
	if (op == POND_EXPR_IS_NULL || op == POND_EXPR_NOT_NULL) {
		/* every transform but void maps null to null and only null */
		pond_expr *e = mk(arena, op);
		if (!e)
			goto oom;
		e->field_id = pf->field_id;
		e->type = result;
		*out = e;
		return 0;
	}
	if (t.kind == POND_ICEBERG_IDENTITY) {
		pond_expr *e = mk(arena, op);
		if (!e)
			goto oom;
		*e = *p;
		e->column = NULL;
		e->field_id = pf->field_id;
		e->type = result;
		*out = e;
		return 0;
	}
	if (op == POND_EXPR_NE || op == POND_EXPR_NOT_IN)
		goto always;
	bool ordered = t.kind != POND_ICEBERG_BUCKET;
	if (!ordered && op != POND_EXPR_EQ && op != POND_EXPR_IN)
		goto always;
	bool string_like = p->type->id == POND_ICEBERG_STRING || p->type->id == POND_ICEBERG_BINARY;
	pond_expr_op pop = op;
	int delta = 0;
	switch (op) {
	case POND_EXPR_LT:
		pop = POND_EXPR_LE;
		delta = string_like ? 0 : -1;
		break;
	case POND_EXPR_GT:
		pop = POND_EXPR_GE;
		delta = string_like ? 0 : 1;
		break;
	default: break;
	}
	pond_expr *e = mk(arena, pop);
	if (!e)
		goto oom;
	e->field_id = pf->field_id;
	e->type = result;
	e->nliterals = p->nliterals;
	e->literals = pond_arena_alloc(arena, (p->nliterals ? p->nliterals : 1) * sizeof *e->literals);
	if (!e->literals)
		goto oom;
	for (size_t i = 0; i < p->nliterals; i++) {
		pond_iceberg_literal in = p->literals[i];
		if (delta && !step(&in, delta))
			goto always;
		pond_error e2 = POND_ERROR_INIT;
		if (pond_iceberg_transform_apply(&e->literals[i], t, &in, &e2) != 0)
			goto always; /* cannot project: keep everything */
		retype(&e->literals[i], result);
	}
	*out = e;
	return 0;
always:
	*out = mk(arena, POND_EXPR_TRUE);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory projecting a filter");
oom:
	return pond_error_set(err, POND_ENOMEM, "out of memory projecting a filter");
}

static pond_expr *and_simplify(pond_arena *arena, pond_expr *l, pond_expr *r)
{
	if (l->op == POND_EXPR_FALSE || r->op == POND_EXPR_TRUE)
		return l;
	if (r->op == POND_EXPR_FALSE || l->op == POND_EXPR_TRUE)
		return r;
	return pond_expr_and(arena, l, r);
}

static pond_expr *or_simplify(pond_arena *arena, pond_expr *l, pond_expr *r)
{
	if (l->op == POND_EXPR_TRUE || r->op == POND_EXPR_FALSE)
		return l;
	if (r->op == POND_EXPR_TRUE || l->op == POND_EXPR_FALSE)
		return r;
	return pond_expr_or(arena, l, r);
}

static int project_rec(pond_expr **out, const pond_expr *e, const pond_iceberg_partition_spec *spec,
                       const pond_iceberg_type *ptype, pond_arena *arena, pond_error *err)
{
	int rc;
	switch (e->op) {
	case POND_EXPR_TRUE:
	case POND_EXPR_FALSE:
		*out = mk(arena, e->op);
		break;
	case POND_EXPR_AND:
	case POND_EXPR_OR: {
		pond_expr *l, *r;
		if ((rc = project_rec(&l, e->left, spec, ptype, arena, err)) ||
		    (rc = project_rec(&r, e->right, spec, ptype, arena, err)))
			return rc;
		*out = e->op == POND_EXPR_AND ? and_simplify(arena, l, r) : or_simplify(arena, l, r);
		break;
	}
	case POND_EXPR_NOT:
		/* bound filters have NOT pushed down; be safe */
		*out = mk(arena, POND_EXPR_TRUE);
		break;
	default: {
		pond_expr *acc = mk(arena, POND_EXPR_TRUE);
		for (size_t i = 0; acc && i < spec->nfields; i++) {
			if (spec->fields[i].source_id != e->field_id)
				continue;
			pond_expr *p;
			if ((rc = project_pred(&p, e, &spec->fields[i], ptype->fields[i].type, arena, err)))
				return rc;
			acc = and_simplify(arena, acc, p);
		}
		*out = acc;
		break;
	}
	}
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory projecting a filter");
}

int pond_expr_project(pond_expr **out, const pond_expr *bound, const pond_iceberg_partition_spec *spec,
                      const pond_iceberg_schema *schema, pond_arena *arena, pond_error *err)
{
	pond_iceberg_type *ptype = NULL;
	*out = NULL;
	int rc = pond_iceberg_partition_spec_type(&ptype, spec, schema, arena, err);
	if (rc)
		return rc;
	return project_rec(out, bound, spec, ptype, arena, err);
}

/* ---- shared comparison helpers ---- */

static bool lit_is_nan(const pond_iceberg_literal *l)
{
	return (l->type == POND_ICEBERG_FLOAT && isnan(l->v.f32)) || (l->type == POND_ICEBERG_DOUBLE && isnan(l->v.f64));
}

static bool lit_is_zero(const pond_iceberg_literal *l)
{
	return (l->type == POND_ICEBERG_FLOAT && l->v.f32 == 0) || (l->type == POND_ICEBERG_DOUBLE && l->v.f64 == 0);
}

/* SQL's order, which the rows are filtered by: -0.0 equals 0.0 (the
 * literal order puts -0.0 first). NaN is handled by the callers. */
static int cmp(const pond_iceberg_literal *a, const pond_iceberg_literal *b)
{
	if (lit_is_zero(a) && lit_is_zero(b))
		return 0;
	return pond_iceberg_literal_compare(a, b);
}

static bool is_floating(const pond_iceberg_type *t)
{
	return t && (t->id == POND_ICEBERG_FLOAT || t->id == POND_ICEBERG_DOUBLE);
}

/* DuckDB orders NaN above every number (and NaN = NaN), so a NaN row
 * satisfies > and >= of any number: bounds, which leave NaN out, cannot
 * rule those out unless the statistics say there is no NaN. */
static bool nan_may_match(const pond_expr *p)
{
	return is_floating(p->type) && (p->op == POND_EXPR_GT || p->op == POND_EXPR_GE);
}

/* A value range [lower, upper] (either may be absent) against a predicate:
 * false when no value in the range can satisfy it. */
static bool range_may_match(const pond_expr *p, const pond_iceberg_literal *lower, const pond_iceberg_literal *upper)
{
	if ((lower && lit_is_nan(lower)) || (upper && lit_is_nan(upper)))
		return true;
	switch (p->op) {
	case POND_EXPR_LT:
		return !lower || lit_is_nan(&p->literals[0]) || cmp(lower, &p->literals[0]) < 0;
	case POND_EXPR_LE:
		return !lower || lit_is_nan(&p->literals[0]) || cmp(lower, &p->literals[0]) <= 0;
	case POND_EXPR_GT:
		return !upper || lit_is_nan(&p->literals[0]) || cmp(upper, &p->literals[0]) > 0;
	case POND_EXPR_GE:
		return !upper || lit_is_nan(&p->literals[0]) || cmp(upper, &p->literals[0]) >= 0;
	case POND_EXPR_EQ:
	case POND_EXPR_IN:
		for (size_t i = 0; i < p->nliterals; i++) {
			const pond_iceberg_literal *v = &p->literals[i];
			if (lit_is_nan(v))
				return true;
			if ((!lower || cmp(lower, v) <= 0) && (!upper || cmp(upper, v) >= 0))
				return true;
		}
		return false;
	default:
		return true;
	}
}

typedef bool (*pred_fn)(const pond_expr *p, const void *ctx);

static bool eval(const pond_expr *e, pred_fn fn, const void *ctx)
{
	switch (e->op) {
	case POND_EXPR_TRUE: return true;
	case POND_EXPR_FALSE: return false;
	case POND_EXPR_AND: return eval(e->left, fn, ctx) && eval(e->right, fn, ctx);
	case POND_EXPR_OR: return eval(e->left, fn, ctx) || eval(e->right, fn, ctx);
	case POND_EXPR_NOT: return true; /* not pushed down: cannot prune */
	default: return fn(e, ctx);
	}
}

static int spec_index(const pond_iceberg_partition_spec *spec, int32_t field_id)
{
	for (size_t i = 0; i < spec->nfields; i++)
		if (spec->fields[i].field_id == field_id)
			return (int)i;
	return -1;
}

/* ---- manifest summaries ---- */

typedef struct summary_ctx {
	const pond_iceberg_partition_spec *spec;
	const pond_iceberg_type *const *types;
	const pond_partition_summary *summaries;
	size_t n;
} summary_ctx;

static bool summary_pred(const pond_expr *p, const void *vctx)
{
	const summary_ctx *c = vctx;
	int i = spec_index(c->spec, p->field_id);
	if (i < 0 || (size_t)i >= c->n)
		return true;
	const pond_partition_summary *s = &c->summaries[i];
	const pond_iceberg_type *type = c->types && c->types[i] ? c->types[i] : p->type;
	/* Spec: the bounds leave out NaN, so without a lower bound the values
	 * are all null only when the summary says there is no NaN (or the
	 * type has none). */
	bool may_have_nan = is_floating(type) && !(s->has_contains_nan && !s->contains_nan);
	bool all_null = s->contains_null && !s->lower_bound && !may_have_nan;
	if (may_have_nan && nan_may_match(p))
		return true;
	switch (p->op) {
	case POND_EXPR_IS_NULL: return s->contains_null;
	case POND_EXPR_NOT_NULL: return !all_null;
	case POND_EXPR_NE:
	case POND_EXPR_NOT_IN: return true;
	default: break;
	}
	if (all_null)
		return false;
	pond_iceberg_literal lo, hi;
	pond_error e2 = POND_ERROR_INIT;
	bool has_lo = s->lower_bound && pond_iceberg_bound_decode(&lo, type, s->lower_bound, s->lower_bound_len, &e2) == 0;
	bool has_hi = s->upper_bound && pond_iceberg_bound_decode(&hi, type, s->upper_bound, s->upper_bound_len, &e2) == 0;
	if (has_lo)
		retype(&lo, p->type);
	if (has_hi)
		retype(&hi, p->type);
	if ((has_lo && lo.type != p->literals[0].type) || (has_hi && hi.type != p->literals[0].type))
		return true;
	return range_may_match(p, has_lo ? &lo : NULL, has_hi ? &hi : NULL);
}

bool pond_expr_summaries_may_match(const pond_expr *projected, const pond_iceberg_partition_spec *spec,
                                   const pond_iceberg_type *const *types, const pond_partition_summary *summaries,
                                   size_t nsummaries)
{
	if (!projected)
		return true;
	summary_ctx c = {spec, types, summaries, nsummaries};
	return eval(projected, summary_pred, &c);
}

/* ---- partition tuples ---- */

typedef struct tuple_ctx {
	const pond_iceberg_partition_spec *spec;
	const pond_iceberg_literal *tuple;
	size_t n;
} tuple_ctx;

static bool tuple_pred(const pond_expr *p, const void *vctx)
{
	const tuple_ctx *c = vctx;
	int i = spec_index(c->spec, p->field_id);
	if (i < 0 || (size_t)i >= c->n)
		return true;
	pond_iceberg_literal v = c->tuple[i];
	if (p->op == POND_EXPR_IS_NULL)
		return v.is_null;
	if (p->op == POND_EXPR_NOT_NULL)
		return !v.is_null;
	if (v.is_null)
		return false;
	retype(&v, p->type);
	for (size_t k = 0; k < p->nliterals; k++)
		if (p->literals[k].type != v.type || lit_is_nan(&p->literals[k]) || lit_is_nan(&v))
			return true;
	switch (p->op) {
	case POND_EXPR_EQ: return cmp(&v, &p->literals[0]) == 0;
	case POND_EXPR_NE: return cmp(&v, &p->literals[0]) != 0;
	case POND_EXPR_LT: return cmp(&v, &p->literals[0]) < 0;
	case POND_EXPR_LE: return cmp(&v, &p->literals[0]) <= 0;
	case POND_EXPR_GT: return cmp(&v, &p->literals[0]) > 0;
	case POND_EXPR_GE: return cmp(&v, &p->literals[0]) >= 0;
	case POND_EXPR_IN:
	case POND_EXPR_NOT_IN: {
		bool found = false;
		for (size_t k = 0; k < p->nliterals && !found; k++)
			found = cmp(&v, &p->literals[k]) == 0;
		return p->op == POND_EXPR_IN ? found : !found;
	}
	default: return true;
	}
}

bool pond_expr_partition_may_match(const pond_expr *projected, const pond_iceberg_partition_spec *spec,
                                   const pond_iceberg_literal *tuple, size_t n)
{
	if (!projected)
		return true;
	tuple_ctx c = {spec, tuple, n};
	return eval(projected, tuple_pred, &c);
}

/* ---- column statistics ---- */

static bool find_count(const pond_column_count *c, size_t n, int32_t id, int64_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].field_id == id) {
			*out = c[i].value;
			return true;
		}
	return false;
}

static const pond_column_bound *find_bound(const pond_column_bound *c, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].field_id == id)
			return &c[i];
	return NULL;
}

static bool metrics_pred(const pond_expr *p, const void *vctx)
{
	const pond_data_file *f = vctx;
	int64_t values = 0, nulls = 0, nans = 0;
	bool has_values = find_count(f->value_counts, f->nvalue_counts, p->field_id, &values);
	bool has_nulls = find_count(f->null_value_counts, f->nnull_value_counts, p->field_id, &nulls);
	bool has_nans = find_count(f->nan_value_counts, f->nnan_value_counts, p->field_id, &nans);
	bool all_null = has_values && has_nulls && nulls == values;
	if (f->record_count == 0)
		return false; /* an empty file holds no matching row */
	switch (p->op) {
	case POND_EXPR_IS_NULL: return !(has_nulls && nulls == 0);
	case POND_EXPR_NOT_NULL: return !all_null;
	case POND_EXPR_NE:
	case POND_EXPR_NOT_IN: return true;
	default: break;
	}
	if (all_null)
		return false;
	if (nan_may_match(p) && !(has_nans && nans == 0))
		return true;
	/* values that are all NaN: only > and >= (above) and NaN itself match */
	if (has_values && has_nans && has_nulls && nans + nulls == values && !lit_is_nan(&p->literals[0]))
		return false;
	const pond_column_bound *lb = find_bound(f->lower_bounds, f->nlower_bounds, p->field_id);
	const pond_column_bound *ub = find_bound(f->upper_bounds, f->nupper_bounds, p->field_id);
	if (!lb && !ub)
		return true;
	pond_iceberg_literal lo, hi;
	pond_error e2 = POND_ERROR_INIT;
	bool has_lo = lb && pond_iceberg_bound_decode(&lo, p->type, lb->ptr, lb->len, &e2) == 0;
	bool has_hi = ub && pond_iceberg_bound_decode(&hi, p->type, ub->ptr, ub->len, &e2) == 0;
	if ((has_lo && lo.type != p->literals[0].type) || (has_hi && hi.type != p->literals[0].type))
		return true;
	return range_may_match(p, has_lo ? &lo : NULL, has_hi ? &hi : NULL);
}

bool pond_expr_metrics_may_match(const pond_expr *bound, const pond_data_file *file)
{
	if (!bound)
		return true;
	return eval(bound, metrics_pred, file);
}
