/*
 * A `materialized: view` model as an Iceberg view, so that other engines
 * listing the catalog see it: one version whose SQL representation (dialect
 * "duckdb") is the model's compiled SQL with every table it reads written
 * with its namespace, and whose schema is what DuckDB says the query
 * returns, in Iceberg types. pond itself keeps binding the pond view
 * (table layer, views.c); this is what the world sees.
 */
#include "transform_internal.h"

#include "pond/engine.h"

#include <string.h>

/* sql past the comment block that opens a model file (its settings,
 * pond's business, not the view's). */
static const char *skip_settings(const char *sql)
{
	for (;;) {
		while (*sql == ' ' || *sql == '\t' || *sql == '\r' || *sql == '\n')
			sql++;
		if (sql[0] != '-' || sql[1] != '-')
			return sql;
		while (*sql && *sql != '\n')
			sql++;
	}
}

/* The model's SQL with each bare table name given pond's default
 * namespace, as pond reads it, and without the settings block. Names are
 * otherwise kept as written: quoting them ("raw"."t") would make them
 * string literals to Spark, which runs another dialect's SQL when a view
 * has none of its own. */
static int qualified_sql(tf_worker *w, const tf_node *n, pond_arena *a, const char **out, pond_error *err)
{
	tf_ref *refs;
	size_t nrefs;
	int rc = pond__transform_sql_refs(pond_lake_engine(w->lake), n->expanded, n->path, a, &refs, &nrefs, err);
	if (rc)
		return rc;
	pond_buf sql = POND_BUF_INIT;
	size_t at = 0;
	/* refs come in tree order, not text order: take them by offset */
	for (;;) {
		const tf_ref *next = NULL;
		for (size_t i = 0; i < nrefs; i++)
			if (refs[i].offset != SIZE_MAX && refs[i].offset >= at && (!next || refs[i].offset < next->offset))
				next = &refs[i];
		if (!next)
			break;
		pond_buf_put(&sql, n->expanded + at, next->offset - at);
		if (!memchr(n->expanded + next->offset, '.', next->len))
			pond_buf_puts(&sql, POND_DEFAULT_NAMESPACE ".");
		pond_buf_put(&sql, n->expanded + next->offset, next->len);
		at = next->offset + next->len;
	}
	pond_buf_puts(&sql, n->expanded + at);
	*out = pond_buf_ok(&sql) ? pond_arena_strdup(a, skip_settings(pond_buf_cstr(&sql))) : NULL;
	pond_buf_dispose(&sql);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond__transform_publish_view(tf_worker *w, const tf_node *n, pond_arena *a, pond_error *err)
{
	const char *bound, *sql;
	size_t files;
	pond_iceberg_schema *schema;
	int rc = pond_session_prepare(w->session, n->expanded, a, &bound, &files, err);
	if (rc == 0)
		rc = pond_engine_query_schema(pond_lake_engine(w->lake), bound, a, &schema, err);
	if (rc == 0)
		rc = qualified_sql(w, n, a, &sql, err);
	if (rc)
		return rc;
	/* Bare names in the SQL are pond's default namespace, as pond reads them. */
	static const char *const default_ns[] = {POND_DEFAULT_NAMESPACE};
	pond_iceberg_kv summary[] = {
		{"engine-name", "duckdb"},
		{"engine-version", pond_engine_duckdb_version()},
		{"pond.model", n->path},
	};
	pond_iceberg_view_definition def = {schema, "duckdb", sql, default_ns, 1, summary, n->path ? 3 : 2,
	                                    pond_time_now_ms()};
	rc = pond_view_iceberg_publish(w->lake, &n->id, &def, err);
	if (rc == POND_EUNSUPPORTED) {
		/* a pyiceberg catalog: pond's own binding still works */
		pond_warn("%s: %s; the model stays a pond view only", n->name, err->msg);
		return 0;
	}
	return rc ? pond_error_prefix(err, "%s: Iceberg view", n->name) : 0;
}

int pond__transform_unpublish_view(tf_worker *w, const tf_node *n, pond_error *err)
{
	pond_error missing = POND_ERROR_INIT;
	int rc = pond_view_iceberg_drop(w->lake, &n->id, true, &missing);
	if (rc == 0 || rc == POND_ENOTFOUND || rc == POND_EUNSUPPORTED)  /* none, or a catalog without views */
		return 0;
	return pond_error_set(err, rc, "%s", missing.msg);
}
