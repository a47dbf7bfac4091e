/*
 * Building one model on a worker (its own lake, engine and session):
 *
 *   table        overwrite when the query's schema and partitioning match
 *                the table's (one snapshot, history kept), else drop and
 *                create; a new table that fails to fill is dropped again
 *   view         the SELECT checked to bind, then kept in pond_views and
 *                published as an Iceberg view (publish.c)
 *   incremental  rows past the watermark (kept in the snapshot summary as
 *                pond.model.watermark, committed with the rows) staged in
 *                a DuckDB temp table, then merged on unique_key or
 *                appended; the first run and --full-refresh build it all
 *
 * Every commit carries pond.model and pond.model.hash in its summary.
 */
#include "transform_internal.h"

#include <string.h>
#include <strings.h>

#define WATERMARK_KEY "pond.model.watermark"
#define STAGE "temp.main.pond_model_increment"

int pond__transform_query(tf_worker *w, const char *sql, pond_arena *a, pond_result **out, pond_error *err)
{
	const char *bound;
	size_t files;
	int rc = pond_session_prepare(w->session, sql, a, &bound, &files, err);
	return rc ? rc : pond_engine_query(pond_lake_engine(w->lake), bound, out, err);
}

int pond__transform_query_int(tf_worker *w, const char *sql, pond_arena *a, int64_t *out, pond_error *err)
{
	const char *bound;
	size_t files;
	int rc = pond_session_prepare(w->session, sql, a, &bound, &files, err);
	return rc ? rc : pond_engine_query_int(pond_lake_engine(w->lake), bound, out, err);
}

/* ---- inputs ---------------------------------------------------------------------- */

static int fingerprint(tf_worker *w, const tf_node *n, pond_buf *out, pond_arena *a, int depth, pond_error *err)
{
	const pond_transform_graph *g = w->graph;
	for (size_t i = 0; i < n->ndeps; i++) {
		const tf_node *d = &g->nodes[n->deps[i]];
		if (pond__transform_is_model(d) && (d->mat == TF_VIEW || d->mat == TF_EPHEMERAL)) {
			pond_buf_printf(out, "%s#%s;", d->name, d->hash_hex);
			if (depth < 64) {
				int rc = fingerprint(w, d, out, a, depth + 1, err);
				if (rc)
					return rc;
			}
			continue;
		}
		pond_table *t = NULL;
		pond_error missing = POND_ERROR_INIT;
		int rc = pond_table_load(&t, w->lake, &d->id, &missing);
		if (rc && rc != POND_ENOTFOUND)
			return pond_error_set(err, rc, "%s", missing.msg);
		/* Buffered rows are input too: they change no snapshot id. */
		pond_buffer_stats waiting = {0};
		if (t && (rc = pond_table_buffer_stats(w->lake, t, &waiting, err)) != 0) {
			pond_table_free(&t);
			return rc;
		}
		if (t && t->metadata->current_snapshot_id != POND_ICEBERG_NO_SNAPSHOT)
			pond_buf_printf(out, "%s@%lld", d->name, (long long)t->metadata->current_snapshot_id);
		else
			pond_buf_printf(out, "%s@none", d->name);
		if (waiting.batches)
			pond_buf_printf(out, "+%lld:%016llx", (long long)waiting.batches, (unsigned long long)waiting.checksum);
		pond_buf_putc(out, ';');
		pond_table_free(&t);
	}
	return 0;
}

int pond__transform_inputs(tf_worker *w, const tf_node *node, pond_arena *a, const char **out, pond_error *err)
{
	pond_buf buf = POND_BUF_INIT;
	int rc = fingerprint(w, node, &buf, a, 0, err);
	if (rc == 0)
		*out = pond_buf_ok(&buf) ? pond_arena_strdup(a, pond_buf_cstr(&buf)) : NULL;
	if (rc == 0 && !*out)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&buf);
	return rc;
}

/* ---- helpers --------------------------------------------------------------------------- */

/* Same column names and types, in order (field ids aside). */
static bool same_schema(const pond_iceberg_schema *a, const pond_iceberg_schema *b, pond_arena *arena)
{
	pond_iceberg_schema *fa, *fb;
	int32_t last;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_iceberg_schema_assign_fresh_ids(&fa, a, &last, arena, &ignored) != 0 ||
	    pond_iceberg_schema_assign_fresh_ids(&fb, b, &last, arena, &ignored) != 0)
		return false;
	if (fa->root->nfields != fb->root->nfields)
		return false;
	for (size_t i = 0; i < fa->root->nfields; i++) {
		pond_iceberg_field *x = &fa->root->fields[i], *y = &fb->root->fields[i];
		if (strcasecmp(x->name, y->name) != 0 || !pond_iceberg_type_equal(x->type, y->type))
			return false;
	}
	return true;
}

static bool same_partitioning(const tf_node *n, const pond_iceberg_metadata *md)
{
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(md);
	return (spec ? spec->nfields : 0) == n->npartition_by;
}

static const pond_iceberg_snapshot *current_snapshot(const pond_table *t)
{
	return t ? pond_iceberg_metadata_current_snapshot(t->metadata) : NULL;
}

/* A summary entry of the current snapshot or, when a later write (not the
 * model's) left it out, of the nearest ancestor that has it. */
static const char *summary_value(const pond_table *t, const char *key)
{
	const pond_iceberg_snapshot *s = current_snapshot(t);
	for (int hops = 0; s && hops < 10000; hops++) {
		for (size_t i = 0; i < s->nsummary; i++)
			if (strcmp(s->summary[i].key, key) == 0)
				return s->summary[i].value;
		s = s->has_parent ? pond_iceberg_metadata_snapshot(t->metadata, s->parent_snapshot_id) : NULL;
	}
	return NULL;
}

static int current_snapshot_id(tf_worker *w, const tf_node *n, int64_t *out, pond_error *err)
{
	pond_table *t;
	int rc = pond_table_load(&t, w->lake, &n->id, err);
	if (rc)
		return rc;
	*out = t->metadata->current_snapshot_id == POND_ICEBERG_NO_SNAPSHOT ? 0 : t->metadata->current_snapshot_id;
	pond_table_free(&t);
	return 0;
}

/* Loads the table; *t NULL when it does not exist. */
static int load_if_exists(tf_worker *w, const tf_node *n, pond_table **t, pond_error *err)
{
	*t = NULL;
	bool exists = false;
	int rc = pond_catalog_table_exists(pond_lake_catalog(w->lake), &n->id.ns, n->id.name, &exists, err);
	if (rc == 0 && exists)
		rc = pond_table_load(t, w->lake, &n->id, err);
	return rc;
}

/* Creates the table for schema with the model's partitioning, then fills
 * it with select_sql; on a failure the new table is dropped again. */
static int create_and_fill(tf_worker *w, const tf_node *n, const pond_iceberg_schema *schema, const char *select_sql,
                           const pond_write_options *wo, pond_arena *a, pond_write_result *r, pond_error *err)
{
	int rc = pond_table_create(w->lake, &n->id, schema, NULL, NULL, 0, NULL, err);
	if (rc)
		return rc;
	for (size_t i = 0; rc == 0 && i < n->npartition_by; i++) {
		pond_partition_field_def def;
		if ((rc = pond_partition_field_parse(&def, n->partition_by[i], a, err)) == 0)
			rc = pond_table_add_partition_field(w->lake, &n->id, &def, err);
		if (rc)
			pond_error_prefix(err, "partition_by %s", n->partition_by[i]);
	}
	if (rc == 0)
		rc = pond_table_append_query(w->lake, &n->id, select_sql, wo, r, err);
	if (rc) {
		pond_error ignored = POND_ERROR_INIT;
		pond_table_drop(w->lake, &n->id, true, &ignored);
	}
	return rc;
}

/* Replaces the table's rows with select_sql: an overwrite snapshot when
 * the table can take them, else a new table. */
static int replace_rows(tf_worker *w, const tf_node *n, pond_table *existing, const char *select_sql,
                        const pond_write_options *wo, pond_arena *a, pond_write_result *r, pond_error *err)
{
	pond_iceberg_schema *schema;
	int rc = pond_engine_query_schema(pond_lake_engine(w->lake), select_sql, a, &schema, err);
	if (rc)
		return rc;
	if (existing) {
		const pond_iceberg_schema *now = pond_iceberg_metadata_current_schema(existing->metadata);
		if (now && same_schema(now, schema, a) && same_partitioning(n, existing->metadata))
			return pond_table_overwrite_query(w->lake, &n->id, select_sql, NULL, wo, r, err);
		pond_info("%s: schema or partitioning changed: recreating the table", n->name);
		if ((rc = pond_table_drop(w->lake, &n->id, true, err)) != 0)
			return rc;
	}
	return create_and_fill(w, n, schema, select_sql, wo, a, r, err);
}

/* A model's table must not be shadowed by its own old view, nor a view by
 * a table pond did not build. */
static int clear_view(tf_worker *w, const tf_node *n, pond_error *err)
{
	int rc = pond_view_drop(pond_lake_catalog(w->lake), &n->id, NULL, err);
	return rc ? rc : pond__transform_unpublish_view(w, n, err);
}

/* ---- the materializations ---------------------------------------------------------------- */

static int build_view(tf_worker *w, const tf_node *n, pond_arena *a, pond_model_outcome *m, pond_error *err)
{
	pond_catalog *cat = pond_lake_catalog(w->lake);
	bool exists = false;
	int rc = pond_catalog_table_exists(cat, &n->id.ns, n->id.name, &exists, err);
	if (rc)
		return rc;
	if (exists) {
		if (!pond__transform_state_has_runs(cat, n->name))
			return pond_error_set(err, POND_EEXISTS,
			                      "%s is a table pond did not build; drop it first to make it a view", n->name);
		if ((rc = pond_table_drop(w->lake, &n->id, true, err)) != 0)
			return rc;
	}
	pond_result *res = NULL;
	rc = pond__transform_query(w, pond_arena_sprintf(a, "SELECT * FROM (%s\n) AS pond_view LIMIT 0", n->expanded),
	                           a, &res, err);
	pond_result_free(&res);
	if (rc == 0)
		rc = pond_view_put(cat, &n->id, n->expanded, n->path, err);
	if (rc == 0)
		rc = pond__transform_publish_view(w, n, a, err);
	m->rows = 0;
	m->snapshot_id = 0;
	return rc;
}

static int build_table(tf_worker *w, const tf_node *n, pond_arena *a, pond_model_outcome *m, pond_error *err)
{
	pond_iceberg_kv summary[] = {{"pond.model", n->name}, {"pond.model.hash", n->hash_hex}};
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.summary = summary;
	wo.nsummary = 2;
	const char *bound;
	size_t files;
	pond_table *t = NULL;
	pond_write_result r = {0};
	int rc = clear_view(w, n, err);
	if (rc == 0)
		rc = pond_session_prepare(w->session, n->expanded, a, &bound, &files, err);
	if (rc == 0)
		rc = load_if_exists(w, n, &t, err);
	if (rc == 0)
		rc = replace_rows(w, n, t, bound, &wo, a, &r, err);
	pond_table_free(&t);
	m->rows = r.added_records;
	return rc ? rc : current_snapshot_id(w, n, &m->snapshot_id, err);
}

static int build_incremental(tf_worker *w, const tf_node *n, bool full_refresh, pond_arena *a,
                             pond_model_outcome *m, pond_error *err)
{
	pond_engine *engine = pond_lake_engine(w->lake);
	pond_table *t = NULL;
	int rc = clear_view(w, n, err);
	if (rc == 0)
		rc = load_if_exists(w, n, &t, err);
	if (rc)
		return rc;
	bool full = full_refresh || !t;
	/* The watermark, typed as the table's column, for the filter and for
	 * models that read getvariable('pond_watermark') themselves. */
	const char *old_wm = !full && n->watermark ? summary_value(t, WATERMARK_KEY) : NULL;
	pond_buf typed = POND_BUF_INIT;
	if (old_wm) {
		const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(t->metadata);
		const pond_iceberg_field *f = schema ? pond_iceberg_schema_find_name(schema, n->watermark) : NULL;
		if (!f) {
			pond_table_free(&t);
			return pond_error_set(err, POND_EINVAL, "%s: watermark column \"%s\" is not in table %s", n->path,
			                      n->watermark, n->name);
		}
		pond_buf_puts(&typed, "CAST(");
		pond_sql_quote_literal(&typed, old_wm);
		pond_buf_puts(&typed, " AS ");
		pond_engine_iceberg_type_sql(&typed, f->type);
		pond_buf_putc(&typed, ')');
	}
	const char *wm_sql = old_wm ? pond_arena_strdup(a, pond_buf_cstr(&typed)) : "NULL";
	pond_buf_dispose(&typed);
	const char *bound;
	size_t files;
	rc = pond_engine_exec(engine, pond_arena_sprintf(a, "SET VARIABLE pond_watermark = %s", wm_sql), err);
	if (rc == 0)
		rc = pond_session_prepare(w->session, n->expanded, a, &bound, &files, err);
	pond_buf stage = POND_BUF_INIT;
	pond_buf_printf(&stage, "CREATE OR REPLACE TEMP TABLE pond_model_increment AS SELECT * FROM (%s\n) AS pond_model",
	                rc == 0 ? bound : "");
	if (old_wm) {
		pond_buf_puts(&stage, " WHERE ");
		pond_sql_quote_ident(&stage, n->watermark);
		pond_buf_printf(&stage, " > %s", wm_sql);
	}
	if (rc == 0)
		rc = pond_buf_ok(&stage) ? pond_engine_exec(engine, pond_buf_cstr(&stage), err)
		                         : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&stage);
	int64_t rows = 0;
	char *new_wm = NULL;
	if (rc == 0)
		rc = pond_engine_query_int(engine, "SELECT count(*) FROM " STAGE, &rows, err);
	if (rc == 0 && n->watermark) {
		pond_buf q = POND_BUF_INIT;
		pond_buf_puts(&q, "SELECT CAST(max(");
		pond_sql_quote_ident(&q, n->watermark);
		pond_buf_puts(&q, ") AS VARCHAR) FROM " STAGE);
		rc = pond_engine_query_string(engine, pond_buf_cstr(&q), &new_wm, err);
		pond_buf_dispose(&q);
	}
	pond_iceberg_kv summary[] = {{"pond.model", n->name},
	                             {"pond.model.hash", n->hash_hex},
	                             {WATERMARK_KEY, new_wm ? new_wm : old_wm}};
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.summary = summary;
	wo.nsummary = summary[2].value ? 3 : 2;
	pond_write_result r = {0};
	const char *staged = "SELECT * FROM " STAGE;
	if (rc == 0 && full) {
		rc = replace_rows(w, n, t, staged, &wo, a, &r, err);
	} else if (rc == 0 && rows > 0) {
		if (n->strategy == TF_MERGE)
			rc = pond_table_merge_query(w->lake, &n->id, staged, n->keys, n->nkeys, &wo, &r, err);
		else
			rc = pond_table_append_query(w->lake, &n->id, staged, &wo, &r, err);
		if (rc == POND_ESQL)
			pond_error_prefix(err, "%s (if the model's columns changed, run with --full-refresh)", n->name);
	}
	pond_error ignored = POND_ERROR_INIT;
	pond_engine_exec(engine, "DROP TABLE IF EXISTS " STAGE, &ignored);
	pond_free(new_wm);
	pond_table_free(&t);
	m->rows = rows;
	return rc ? rc : current_snapshot_id(w, n, &m->snapshot_id, err);
}

int pond__transform_build(tf_worker *w, const tf_node *node, bool full_refresh, pond_arena *a, pond_model_outcome *m,
             pond_error *err)
{
	switch (node->mat) {
	case TF_VIEW: return build_view(w, node, a, m, err);
	case TF_INCREMENTAL: return build_incremental(w, node, full_refresh, a, m, err);
	case TF_EPHEMERAL: return 0;
	default: return build_table(w, node, a, m, err);
	}
}
