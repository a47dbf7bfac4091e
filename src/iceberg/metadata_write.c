/*
 * Writing table metadata JSON in the v2 layout (spec "Table Metadata",
 * Appendix C), keys in the order Java writes them, then the unknown keys
 * kept from reading. current-snapshot-id is -1 when there is none, as Java
 * writes it (pyiceberg reads both).
 */
#include "iceberg_internal.h"

#include <jansson.h>

static json_t *kv_object(const pond_iceberg_kv *kv, size_t n, const char *first_key, const char *first_value,
                         bool *ok)
{
	json_t *o = json_object();
	if (first_key && first_value)
		pond__ice_set(o, first_key, json_string(first_value), ok);
	for (size_t i = 0; i < n; i++)
		pond__ice_set(o, kv[i].key, json_string(kv[i].value), ok);
	return o;
}

static void merge_extra(json_t *o, const json_t *extra, bool *ok)
{
	const char *key;
	json_t *value;
	if (!extra || !o)
		return;
	json_object_foreach((json_t *)extra, key, value)
		if (!json_object_get(o, key))
			pond__ice_set(o, key, json_incref(value), ok);
}

json_t *pond__ice_snapshot_to_json(const pond_iceberg_snapshot *s)
{
	bool ok = true;
	json_t *o = json_object();
	pond__ice_set(o, "snapshot-id", json_integer(s->snapshot_id), &ok);
	if (s->has_parent)
		pond__ice_set(o, "parent-snapshot-id", json_integer(s->parent_snapshot_id), &ok);
	pond__ice_set(o, "sequence-number", json_integer(s->sequence_number), &ok);
	pond__ice_set(o, "timestamp-ms", json_integer(s->timestamp_ms), &ok);
	if (s->operation || s->nsummary)
		pond__ice_set(o, "summary", kv_object(s->summary, s->nsummary, "operation", s->operation, &ok), &ok);
	if (s->manifest_list) {
		pond__ice_set(o, "manifest-list", json_string(s->manifest_list), &ok);
	} else {
		json_t *list = json_array();
		for (size_t i = 0; i < s->nmanifests; i++)
			pond__ice_append(list, json_string(s->manifests[i]), &ok);
		pond__ice_set(o, "manifests", list, &ok);
	}
	if (s->has_schema_id)
		pond__ice_set(o, "schema-id", json_integer(s->schema_id), &ok);
	merge_extra(o, s->extra, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *pond__ice_ref_to_json(const pond_iceberg_ref *r)
{
	bool ok = true;
	json_t *o = json_object();
	pond__ice_set(o, "snapshot-id", json_integer(r->snapshot_id), &ok);
	pond__ice_set(o, "type", json_string(r->is_tag ? "tag" : "branch"), &ok);
	if (r->max_ref_age_ms >= 0)
		pond__ice_set(o, "max-ref-age-ms", json_integer(r->max_ref_age_ms), &ok);
	if (r->max_snapshot_age_ms >= 0)
		pond__ice_set(o, "max-snapshot-age-ms", json_integer(r->max_snapshot_age_ms), &ok);
	if (r->min_snapshots_to_keep >= 0)
		pond__ice_set(o, "min-snapshots-to-keep", json_integer(r->min_snapshots_to_keep), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static void put_lists(json_t *o, const pond_iceberg_metadata *md, bool *ok)
{
	json_t *schemas = json_array(), *specs = json_array(), *orders = json_array();
	for (size_t i = 0; i < md->nschemas; i++)
		pond__ice_append(schemas, pond_iceberg_schema_to_json(md->schemas[i]), ok);
	for (size_t i = 0; i < md->nspecs; i++)
		pond__ice_append(specs, pond_iceberg_partition_spec_to_json(md->specs[i]), ok);
	for (size_t i = 0; i < md->nsort_orders; i++)
		pond__ice_append(orders, pond_iceberg_sort_order_to_json(md->sort_orders[i]), ok);
	pond__ice_set(o, "current-schema-id", json_integer(md->current_schema_id), ok);
	pond__ice_set(o, "schemas", schemas, ok);
	pond__ice_set(o, "default-spec-id", json_integer(md->default_spec_id), ok);
	pond__ice_set(o, "partition-specs", specs, ok);
	pond__ice_set(o, "last-partition-id", json_integer(md->last_partition_id), ok);
	pond__ice_set(o, "default-sort-order-id", json_integer(md->default_sort_order_id), ok);
	pond__ice_set(o, "sort-orders", orders, ok);
}

static void put_history(json_t *o, const pond_iceberg_metadata *md, bool *ok)
{
	json_t *refs = json_object(), *snapshots = json_array(), *slog = json_array(), *mlog = json_array();
	for (size_t i = 0; i < md->nrefs; i++)
		pond__ice_set(refs, md->refs[i].name, pond__ice_ref_to_json(&md->refs[i]), ok);
	for (size_t i = 0; i < md->nsnapshots; i++)
		pond__ice_append(snapshots, pond__ice_snapshot_to_json(&md->snapshots[i]), ok);
	for (size_t i = 0; i < md->nsnapshot_log; i++) {
		json_t *e = json_object();
		pond__ice_set(e, "timestamp-ms", json_integer(md->snapshot_log[i].timestamp_ms), ok);
		pond__ice_set(e, "snapshot-id", json_integer(md->snapshot_log[i].snapshot_id), ok);
		pond__ice_append(slog, e, ok);
	}
	for (size_t i = 0; i < md->nmetadata_log; i++) {
		json_t *e = json_object();
		pond__ice_set(e, "timestamp-ms", json_integer(md->metadata_log[i].timestamp_ms), ok);
		pond__ice_set(e, "metadata-file", json_string(md->metadata_log[i].metadata_file), ok);
		pond__ice_append(mlog, e, ok);
	}
	pond__ice_set(o, "current-snapshot-id", json_integer(md->current_snapshot_id), ok);
	pond__ice_set(o, "refs", refs, ok);
	pond__ice_set(o, "snapshots", snapshots, ok);
	pond__ice_set(o, "statistics", md->statistics ? json_incref(md->statistics) : json_array(), ok);
	pond__ice_set(o, "partition-statistics",
	              md->partition_statistics ? json_incref(md->partition_statistics) : json_array(), ok);
	pond__ice_set(o, "snapshot-log", slog, ok);
	pond__ice_set(o, "metadata-log", mlog, ok);
}

int pond_iceberg_metadata_to_json(json_t **out, const pond_iceberg_metadata *md, pond_error *err)
{
	bool ok = true;
	json_t *o = json_object();
	/* pond writes v2 whatever it read: v1 files stay valid in v2 (spec) */
	pond__ice_set(o, "format-version", json_integer(2), &ok);
	pond__ice_set(o, "table-uuid", json_string(md->table_uuid), &ok);
	pond__ice_set(o, "location", json_string(md->location), &ok);
	pond__ice_set(o, "last-sequence-number", json_integer(md->last_sequence_number), &ok);
	pond__ice_set(o, "last-updated-ms", json_integer(md->last_updated_ms), &ok);
	pond__ice_set(o, "last-column-id", json_integer(md->last_column_id), &ok);
	put_lists(o, md, &ok);
	pond__ice_set(o, "properties", kv_object(md->properties, md->nproperties, NULL, NULL, &ok), &ok);
	put_history(o, md, &ok);
	merge_extra(o, md->extra, &ok);
	if (!ok) {
		json_decref(o);
		return pond_error_set(err, POND_ENOMEM, "out of memory writing table metadata");
	}
	*out = o;
	return 0;
}

int pond_iceberg_metadata_serialize(char **out, const pond_iceberg_metadata *md, bool pretty, pond_error *err)
{
	json_t *json;
	int rc = pond_iceberg_metadata_to_json(&json, md, err);
	if (rc)
		return rc;
	*out = pond_json_dumps(json, pretty);
	json_decref(json);
	if (!*out)
		return pond_error_set(err, POND_ENOMEM, "out of memory writing table metadata");
	return 0;
}
