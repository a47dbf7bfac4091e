/*
 * Tables as JSON, for `pond tables` / `pond history --json` and the
 * server's API: listings, snapshot histories and descriptions. Metadata
 * only (the catalog and metadata files, never the engine), so callers that
 * have no DuckDB open, like the server, pass a bare catalog.
 */
#include "table_internal.h"

#include <jansson.h>
#include <string.h>

int pond_table_load_catalog(pond_table **out, pond_catalog *catalog, const pond_project *project,
                            const pond_table_ident *id, pond_error *err)
{
	/* pond_table_load reads only the catalog, the project root and, for
	 * a table on S3, the storage it opens. */
	struct pond_lake lake = {.project = project, .catalog = catalog};
	int rc = pond_table_load(out, &lake, id, err);
	pond__lake_release(&lake);
	return rc;
}

static const char *summary_of(const pond_iceberg_snapshot *s, const char *key)
{
	for (size_t i = 0; s && i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, key) == 0)
			return s->summary[i].value;
	return NULL;
}

/* A count from a snapshot summary, or null when it is absent or not a number. */
static json_t *count_json(const char *v)
{
	int64_t n;
	return v && pond_str_to_i64(v, &n) ? json_integer(n) : json_null();
}

/* Appends the tables of ns (none at the root) and of every namespace below. */
static int list_into(json_t *out, pond_lake *lake, const pond_ns *ns, const pond__path_map *buffered, pond_arena *a,
                     pond_error *err)
{
	pond_catalog *cat = lake->catalog;
	const char **names = NULL;
	size_t n = 0;
	int rc = ns->nlevels ? pond_catalog_list_tables(cat, ns, a, &names, &n, err) : 0;
	for (size_t j = 0; j < n && rc == 0; j++) {
		pond_table_ident id = {*ns, names[j]};
		const char *name = pond_table_ident_format(a, &id);
		json_t *row = name ? json_pack("{s:s}", "table", name) : NULL;
		if (!row) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		pond_table *t;
		pond_error load_err = POND_ERROR_INIT;
		if (pond_table_load(&t, lake, &id, &load_err) == 0) {
			const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
			int64_t waiting = 0;
			pond__path_map_get(buffered, t->metadata->table_uuid ? t->metadata->table_uuid : "", &waiting);
			json_object_set_new(row, "records", count_json(s ? summary_of(s, "total-records") : "0"));
			if (json_is_integer(json_object_get(row, "records")))
				json_object_set_new(row, "records",
				                    json_integer(json_integer_value(json_object_get(row, "records")) + waiting));
			json_object_set_new(row, "buffered_records", json_integer(waiting));
			json_object_set_new(row, "data_files", count_json(s ? summary_of(s, "total-data-files") : "0"));
			json_object_set_new(row, "bytes", count_json(s ? summary_of(s, "total-files-size") : "0"));
			json_object_set_new(row, "snapshots", json_integer((json_int_t)t->metadata->nsnapshots));
			json_object_set_new(row, "last_updated_ms", json_integer(t->metadata->last_updated_ms));
			pond_table_free(&t);
		} else {
			json_object_set_new(row, "error", json_string(load_err.msg));
		}
		json_array_append_new(out, row);
	}
	pond_ns *children = NULL;
	size_t nchildren = 0;
	if (rc == 0)
		rc = pond_catalog_list_namespaces(cat, ns, a, &children, &nchildren, err);
	for (size_t i = 0; i < nchildren && rc == 0; i++)
		rc = list_into(out, lake, &children[i], buffered, a, err);
	return rc;
}

int pond_table_list_json(json_t **out, pond_catalog *catalog, const pond_project *project, const pond_ns *parent,
                         pond_error *err)
{
	pond_arena *a = pond_arena_new();
	json_t *rows = json_array();
	pond_ns root = {0};
	pond__path_map buffered = {0};
	/* One lake for every table: a warehouse on S3 opens its storage once. */
	struct pond_lake lake = {.project = project, .catalog = catalog};
	int rc = a && rows ? pond__buffer_records(catalog, &buffered, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = list_into(rows, &lake, parent ? parent : &root, &buffered, a, err);
	pond__lake_release(&lake);
	pond__path_map_dispose(&buffered);
	pond_arena_free(&a);
	if (rc) {
		json_decref(rows);
		return rc;
	}
	*out = rows;
	return 0;
}

static json_t *refs_at(const pond_iceberg_metadata *md, int64_t snapshot_id)
{
	json_t *refs = json_array();
	for (size_t r = 0; refs && r < md->nrefs; r++)
		if (md->refs[r].snapshot_id == snapshot_id)
			json_array_append_new(refs, json_string(md->refs[r].name));
	return refs;
}

json_t *pond_table_history_json(const pond_iceberg_metadata *md)
{
	json_t *rows = json_array();
	for (size_t i = 0; rows && i < md->nsnapshots; i++) {
		const pond_iceberg_snapshot *s = &md->snapshots[i];
		char when[40];
		pond_time_format_ms(when, s->timestamp_ms);
		json_t *row = json_pack(
			"{s:I,s:o,s:I,s:s,s:s,s:o,s:o,s:o,s:b,s:o}", "snapshot_id", (json_int_t)s->snapshot_id,
			"parent_snapshot_id", s->has_parent ? json_integer(s->parent_snapshot_id) : json_null(), "sequence_number",
			(json_int_t)s->sequence_number, "committed_at", when, "operation", s->operation ? s->operation : "",
			"added_records", count_json(summary_of(s, "added-records")), "deleted_records",
			count_json(summary_of(s, "deleted-records")), "total_records", count_json(summary_of(s, "total-records")),
			"current", s->snapshot_id == md->current_snapshot_id, "refs", refs_at(md, s->snapshot_id));
		if (!row || json_array_append_new(rows, row) != 0) {
			json_decref(rows);
			return NULL;
		}
	}
	return rows;
}

static json_t *snapshot_json(const pond_iceberg_metadata *md, const pond_iceberg_snapshot *s)
{
	if (!s)
		return json_null();
	char when[40];
	pond_time_format_ms(when, s->timestamp_ms);
	json_t *summary = json_object();
	for (size_t k = 0; summary && k < s->nsummary; k++)
		json_object_set_new(summary, s->summary[k].key, json_string(s->summary[k].value));
	return json_pack("{s:I,s:o,s:I,s:s,s:s,s:o,s:o}", "snapshot_id", (json_int_t)s->snapshot_id, "parent_snapshot_id",
	                 s->has_parent ? json_integer(s->parent_snapshot_id) : json_null(), "sequence_number",
	                 (json_int_t)s->sequence_number, "committed_at", when, "operation",
	                 s->operation ? s->operation : "", "summary", summary, "refs", refs_at(md, s->snapshot_id));
}

json_t *pond_table_describe_json(const pond_table *table)
{
	const pond_iceberg_metadata *md = table->metadata;
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(md);
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(md);
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(md);
	const pond_iceberg_sort_order *order = pond_iceberg_metadata_sort_order(md, md->default_sort_order_id);
	json_t *props = json_object();
	for (size_t i = 0; props && i < md->nproperties; i++)
		json_object_set_new(props, md->properties[i].key, json_string(md->properties[i].value));
	json_t *refs = json_object();
	for (size_t i = 0; refs && i < md->nrefs; i++)
		json_object_set_new(refs, md->refs[i].name,
		                    json_pack("{s:s,s:I}", "type", md->refs[i].is_tag ? "tag" : "branch", "snapshot_id",
		                              (json_int_t)md->refs[i].snapshot_id));
	pond_arena *a = pond_arena_new();
	const char *name = a ? pond_table_ident_format(a, &table->ident) : NULL;
	if (!name) {
		pond_arena_free(&a);
		json_decref(props);
		json_decref(refs);
		return NULL;
	}
	json_t *doc = json_pack(
		"{s:s,s:s,s:o,s:i,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:{s:o,s:o,s:o,s:o}}", "table", name,
		"metadata_location", table->metadata_location, "location", md->location ? json_string(md->location) : json_null(),
		"format_version", md->format_version, "table_uuid", md->table_uuid ? json_string(md->table_uuid) : json_null(),
		"last_updated_ms", (json_int_t)md->last_updated_ms, "schema",
		schema ? pond_iceberg_schema_to_json(schema) : json_null(), "partition_spec",
		spec ? pond_iceberg_partition_spec_to_json(spec) : json_null(), "sort_order",
		order ? pond_iceberg_sort_order_to_json(order) : json_null(), "properties", props, "refs", refs, "snapshots",
		(json_int_t)md->nsnapshots, "current_snapshot", snapshot_json(md, s), "totals", "records",
		count_json(s ? summary_of(s, "total-records") : "0"), "data_files",
		count_json(s ? summary_of(s, "total-data-files") : "0"), "delete_files",
		count_json(s ? summary_of(s, "total-delete-files") : "0"), "bytes",
		count_json(s ? summary_of(s, "total-files-size") : "0"));
	pond_arena_free(&a);
	return doc;  /* NULL when out of memory; json_pack's "o" took the references either way */
}
