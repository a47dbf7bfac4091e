/*
 * Nested input (JSON objects, Parquet structs) against a table: struct
 * columns flattened to a chosen depth (a.b becomes a__b), the source's
 * fields the table lacks, at any depth, handled by the schema policy
 * (new optional fields with fresh ids, a refusal, or dropped), and a cast
 * that fails inside a struct named by its dotted path. Relies on the
 * table layer's schema changes (evolve.c) and on DuckDB casting structs by
 * field name, which fills the fields a row lacks with NULL.
 */
#include "ingest_internal.h"

#include <string.h>
#include <strings.h>

/* ---- flattening ----------------------------------------------------------------- */

/* The columns a flatten makes: each output name and the field it comes
 * from, for the clash check. */
typedef struct {
	const char *name;
	const char *from;
} flat_column;

typedef struct {
	flat_column *columns;
	size_t n, cap;
} flat_names;

static int flat_push(flat_names *fn, const char *name, const char *from, pond_arena *a)
{
	if (!pond_arena_grow(a, (void **)&fn->columns, fn->n, &fn->cap, sizeof(*fn->columns)))
		return POND_ENOMEM;
	fn->columns[fn->n++] = (flat_column){name, from};
	return 0;
}

/* Appends the select list of st's fields: a struct field within depth
 * levels becomes its fields' columns, named parent__child. */
static int flatten_fields(pond_buf *sql, flat_names *fn, const pond_iceberg_type *st, const char *expr,
                          const char *name, const char *dotted, int depth, pond_arena *a)
{
	for (size_t i = 0; i < st->nfields; i++) {
		const pond_iceberg_field *f = &st->fields[i];
		pond_buf e = POND_BUF_INIT;
		pond_buf_puts(&e, expr);
		if (expr[0])
			pond_buf_putc(&e, '.');
		pond_sql_quote_ident(&e, f->name);
		const char *child_expr = pond_buf_ok(&e) ? pond_arena_strdup(a, pond_buf_cstr(&e)) : NULL;
		pond_buf_dispose(&e);
		const char *child_name = name[0] ? pond_arena_sprintf(a, "%s__%s", name, f->name) : f->name;
		const char *child_dotted = dotted[0] ? pond_arena_sprintf(a, "%s.%s", dotted, f->name) : f->name;
		if (!child_expr || !child_name || !child_dotted)
			return POND_ENOMEM;
		int rc;
		if (f->type->id == POND_ICEBERG_STRUCT && depth > 0) {
			rc = flatten_fields(sql, fn, f->type, child_expr, child_name, child_dotted, depth - 1, a);
			if (rc)
				return rc;
			continue;
		}
		if ((rc = flat_push(fn, child_name, child_dotted, a)) != 0)
			return rc;
		if (fn->n > 1)
			pond_buf_puts(sql, ", ");
		pond_buf_puts(sql, child_expr);
		pond_buf_puts(sql, " AS ");
		pond_sql_quote_ident(sql, child_name);
	}
	return 0;
}

int pond__ingest_flatten_select(pond_buf *sql, const pond_iceberg_type *root, int depth, const char *read_sql,
                                const char *what, pond_arena *arena, pond_error *err)
{
	flat_names fn = {NULL, 0, 0};
	pond_buf_puts(sql, "SELECT ");
	if (flatten_fields(sql, &fn, root, "", "", "", depth, arena) != 0)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* DuckDB's names ignore case: "a__B" and "A__b" are one column. */
	for (size_t i = 0; i < fn.n; i++)
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(fn.columns[i].name, fn.columns[k].name) == 0)
				return pond_error_set(err, POND_EINVAL,
				                      "%s: flattening makes two columns named \"%s\" (from \"%s\" and "
				                      "\"%s\")",
				                      what, fn.columns[i].name, fn.columns[k].from, fn.columns[i].from);
	pond_buf_printf(sql, " FROM (%s) AS src", read_sql);
	return pond_buf_ok(sql) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* ---- new fields, by the schema policy --------------------------------------------- */

const pond_iceberg_field *pond__ingest_find_field(const pond_iceberg_type *st, const char *name)
{
	for (size_t i = 0; i < st->nfields; i++)
		if (strcmp(st->fields[i].name, name) == 0)
			return &st->fields[i];
	for (size_t i = 0; i < st->nfields; i++)
		if (strcasecmp(st->fields[i].name, name) == 0)
			return &st->fields[i];
	return NULL;
}

typedef struct {
	const char *what;
	const pond_ingest_write *write;
	pond_ingest_result *res;
	pond_schema_change **change;
	pond_error *err;
} diff_ctx;

static const char *type_text(const pond_iceberg_type *t, pond_arena *a)
{
	char buf[40];
	pond_iceberg_type_format(buf, t);
	return pond_arena_strdup(a, buf);
}

static int diff_struct(diff_ctx *c, const pond_iceberg_type *src, const pond_iceberg_type *table, const char *parent);

/* Into the matching nested types of a field both sides have: a struct's
 * fields, a list's element, a map's value (Iceberg's names "element" and
 * "value" in the path). Other pairs are the cast's to settle. */
static int diff_type(diff_ctx *c, const pond_iceberg_type *src, const pond_iceberg_type *table, const char *path)
{
	if (src->id != table->id)
		return 0;
	const char *inner;
	switch (src->id) {
	case POND_ICEBERG_STRUCT: return diff_struct(c, src, table, path);
	case POND_ICEBERG_LIST:
		if (!(inner = pond_arena_sprintf(c->res->arena, "%s.element", path)))
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
		return diff_type(c, src->element, table->element, inner);
	case POND_ICEBERG_MAP:
		if (!(inner = pond_arena_sprintf(c->res->arena, "%s.value", path)))
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
		return diff_type(c, src->value, table->value, inner);
	default: return 0;
	}
}

/* src's fields against table's (both structs; parent: the dotted path of
 * the struct, NULL for the table itself). */
static int diff_struct(diff_ctx *c, const pond_iceberg_type *src, const pond_iceberg_type *table, const char *parent)
{
	pond_arena *a = c->res->arena;
	const pond_ingest_write *w = c->write;
	for (size_t i = 0; i < src->nfields; i++) {
		const pond_iceberg_field *f = &src->fields[i];
		const char *path = parent ? pond_arena_sprintf(a, "%s.%s", parent, f->name) : f->name;
		if (!path)
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
		const pond_iceberg_field *tf = pond__ingest_find_field(table, f->name);
		int rc = 0;
		if (tf) {
			rc = diff_type(c, f->type, tf->type, path);
		} else if (w->schema == POND_SCHEMA_FREEZE) {
			rc = pond_error_set(c->err, POND_EINVAL,
			                    "%s has field \"%s\" (%s) that table %s does not have (schema: freeze)",
			                    c->what, path, type_text(f->type, a), w->table);
		} else if (w->schema == POND_SCHEMA_DISCARD) {
			pond__ingest_change(c->res, "discard", path, type_text(f->type, a));
		} else {
			if (!*c->change && (rc = pond_schema_change_new(c->change, c->err)) != 0)
				return rc;
			/* New fields are optional: older rows read NULL. */
			rc = pond_schema_change_add_column(*c->change, parent, f->name, f->type, false, NULL, NULL);
			if (rc)
				rc = pond_error_set(c->err, rc, "could not add column \"%s\" to %s", path, w->table);
			else
				pond__ingest_change(c->res, "add", path, type_text(f->type, a));
		}
		if (rc)
			return rc;
	}
	return 0;
}

int pond__ingest_new_fields(const char *what, const pond_ingest_write *write, const pond_iceberg_type *src,
                            const pond_iceberg_type *table, pond_ingest_result *res, pond_schema_change **change,
                            pond_error *err)
{
	diff_ctx c = {what, write, res, change, err};
	return diff_struct(&c, src, table, NULL);
}

/* ---- casts that fail inside a struct ---------------------------------------------- */

typedef struct {
	pond_engine *engine;
	const char *read_sql;
	const char *column;           /* the top-level column being probed */
	const pond_iceberg_type *probe;  /* its source type, one nested part changed at a time */
	pond_arena *arena;
	pond_error *err;              /* set when a probe names the field */
} probe_ctx;

/* Whether casting the column to probe fails; if so, err says why with the
 * field's path. */
static bool probe_fails(probe_ctx *p, const char *path)
{
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT count(CAST(src.");
	pond_sql_quote_ident(&sql, p->column);
	pond_buf_puts(&sql, " AS ");
	pond_engine_iceberg_type_sql(&sql, p->probe);
	pond_buf_printf(&sql, ")) FROM (%s) AS src", p->read_sql);
	pond_error e = POND_ERROR_INIT;
	int64_t n;
	bool failed = pond_buf_ok(&sql) && pond_engine_query_int(p->engine, pond_buf_cstr(&sql), &n, &e) != 0;
	pond_buf_dispose(&sql);
	if (!failed)
		return false;
	/* The position is in the probe's SQL, not the input. */
	char *pos = strstr(e.msg, " (line ");
	if (pos)
		*pos = '\0';
	pond_error_set(p->err, e.code ? e.code : POND_EINVAL, "%s when casting from source column %s", e.msg, path);
	return true;
}

/* Walks src and table in step with at (the same place in p->probe): where
 * they differ below the column's top, at takes the table's type for one
 * probe. True when a probe failed. */
static bool find_failing_cast(probe_ctx *p, const pond_iceberg_type *src, const pond_iceberg_type *table,
                              pond_iceberg_type *at, const char *path, bool top)
{
	if (src->id == table->id && src->id == POND_ICEBERG_STRUCT) {
		for (size_t i = 0; i < src->nfields; i++) {
			const pond_iceberg_field *tf = pond__ingest_find_field(table, src->fields[i].name);
			const char *child = pond_arena_sprintf(p->arena, "%s.%s", path, src->fields[i].name);
			if (tf && child &&
			    find_failing_cast(p, src->fields[i].type, tf->type, at->fields[i].type, child, false))
				return true;
		}
		return false;
	}
	if (src->id == table->id && src->id == POND_ICEBERG_LIST) {
		const char *child = pond_arena_sprintf(p->arena, "%s.element", path);
		return child && find_failing_cast(p, src->element, table->element, at->element, child, false);
	}
	if (src->id == table->id && src->id == POND_ICEBERG_MAP) {
		const char *child = pond_arena_sprintf(p->arena, "%s.value", path);
		return child && find_failing_cast(p, src->value, table->value, at->value, child, false);
	}
	if (top || pond_iceberg_type_equal(src, table))
		return false;
	pond_iceberg_type saved = *at;
	*at = *table;
	bool failed = probe_fails(p, path);
	*at = saved;
	return failed;
}

bool pond__ingest_nested_cast_error(pond_engine *engine, const char *read_sql, const pond_iceberg_type *src,
                                    const pond_iceberg_type *table, pond_arena *arena, pond_error *err)
{
	if (!strstr(err->msg, "Conversion Error") || strstr(err->msg, "when casting from source column"))
		return false;
	for (size_t i = 0; i < src->nfields; i++) {
		const pond_iceberg_field *f = &src->fields[i];
		const pond_iceberg_field *tf = pond__ingest_find_field(table, f->name);
		if (!tf || pond_iceberg_type_is_primitive(f->type))
			continue;
		pond_iceberg_type *probe = pond_iceberg_type_copy(f->type, arena);
		if (!probe)
			return false;
		probe_ctx p = {engine, read_sql, f->name, probe, arena, err};
		if (find_failing_cast(&p, f->type, tf->type, probe, f->name, true))
			return true;
	}
	return false;
}
