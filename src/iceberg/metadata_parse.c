/*
 * Reading table metadata JSON (spec "Table Metadata", Appendix C, and
 * Appendix E for v1 defaults). v1 and v2 are read into typed structs in the
 * metadata's arena; unknown keys and the statistics lists are kept as JSON
 * so that writing the metadata back loses nothing. v1 quirks handled: a
 * single "schema" / "partition-spec", missing ids, "manifests" instead of a
 * manifest list, and no refs (main is implied by current-snapshot-id).
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>
#include <zlib.h>

static const char *const known_keys[] = {
	"format-version", "table-uuid", "location", "last-sequence-number", "last-updated-ms",
	"last-column-id", "schema", "schemas", "current-schema-id", "partition-spec", "partition-specs",
	"default-spec-id", "last-partition-id", "properties", "current-snapshot-id", "snapshots",
	"snapshot-log", "metadata-log", "sort-orders", "default-sort-order-id", "refs", "statistics",
	"partition-statistics", NULL,
};

static const char *const snapshot_keys[] = {
	"snapshot-id", "parent-snapshot-id", "sequence-number", "timestamp-ms", "summary",
	"manifest-list", "manifests", "schema-id", NULL,
};

static bool is_known(const char *key, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* The object's keys not in `keys`, as a new object; *out NULL when none. */
static int unknown_keys(json_t **out, const json_t *obj, const char *const *keys, const char *what, pond_error *err)
{
	const char *key;
	json_t *value;
	*out = NULL;
	json_object_foreach((json_t *)obj, key, value) {
		if (is_known(key, keys))
			continue;
		if (!*out && !(*out = json_object()))
			return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
		if (json_object_set(*out, key, value))
			return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	}
	return 0;
}

static void *arena_array(pond_arena *arena, size_t n, size_t size)
{
	return n ? pond_arena_calloc(arena, n, size) : NULL;
}

static int oom(const char *what, pond_error *err)
{
	return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
}

/* v1's single "schema": it is the current schema; find its twin in
 * "schemas" when both are present, else it becomes the only schema. */
static int v1_schema(pond_iceberg_metadata *md, const json_t *json, const char *what, pond_error *err)
{
	pond_iceberg_schema *schema;
	int rc = pond_iceberg_schema_from_json(&schema, json, md->arena, what, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < md->nschemas; i++)
		if (pond_iceberg_type_equal(md->schemas[i]->root, schema->root)) {
			md->current_schema_id = md->schemas[i]->schema_id;
			return 0;
		}
	if (md->nschemas)
		return pond_error_set(err, POND_EINVAL, "%s: \"schema\" is not one of \"schemas\"", what);
	if (!(md->schemas = pond_arena_calloc(md->arena, 1, sizeof(*md->schemas))))
		return oom(what, err);
	md->schemas[0] = schema;
	md->nschemas = 1;
	md->current_schema_id = schema->schema_id;
	return 0;
}

static int parse_schemas(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	json_t *schemas, *single = json_object_get(j, "schema");
	bool v2 = md->format_version >= 2;
	int rc = pond__ice_get_array(j, "schemas", &schemas, v2, what, err);
	if (rc)
		return rc;
	md->nschemas = json_array_size(schemas);
	if (md->nschemas && !(md->schemas = arena_array(md->arena, md->nschemas, sizeof(*md->schemas))))
		return oom(what, err);
	for (size_t i = 0; i < md->nschemas; i++)
		if ((rc = pond_iceberg_schema_from_json(&md->schemas[i], json_array_get(schemas, i), md->arena, what, err)))
			return rc;
	if (schemas && (v2 || json_object_get(j, "current-schema-id") || !single))
		return pond__ice_get_i32(j, "current-schema-id", &md->current_schema_id, true, what, err);
	if (!single)
		return pond_error_set(err, POND_EINVAL, "%s: missing field \"schemas\"", what);
	return v1_schema(md, single, what, err);
}

static int parse_specs(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	json_t *specs, *single = json_object_get(j, "partition-spec");
	bool v2 = md->format_version >= 2;
	int32_t next_id = POND_ICEBERG_PARTITION_FIELD_START;
	int rc = pond__ice_get_array(j, "partition-specs", &specs, v2 || !single, what, err);
	if (rc)
		return rc;
	if (specs) {
		md->nspecs = json_array_size(specs);
		if (md->nspecs && !(md->specs = arena_array(md->arena, md->nspecs, sizeof(*md->specs))))
			return oom(what, err);
		for (size_t i = 0; i < md->nspecs; i++)
			if ((rc = pond_iceberg_partition_spec_from_json(&md->specs[i], json_array_get(specs, i),
			                                                v2 ? NULL : &next_id, md->arena, what, err)))
				return rc;
		if (v2 || json_object_get(j, "default-spec-id"))
			return pond__ice_get_i32(j, "default-spec-id", &md->default_spec_id, true, what, err);
		/* v1 without a default: the newest spec, as iceberg-rust reads it */
		md->default_spec_id = 0;
		for (size_t i = 0; i < md->nspecs; i++)
			if (i == 0 || md->specs[i]->spec_id > md->default_spec_id)
				md->default_spec_id = md->specs[i]->spec_id;
		return 0;
	}
	if (!json_is_array(single))
		return pond_error_set(err, POND_EINVAL, "%s: field \"partition-spec\" must be an array", what);
	if (!(md->specs = pond_arena_calloc(md->arena, 1, sizeof(*md->specs))))
		return oom(what, err);
	md->nspecs = 1;
	md->default_spec_id = 0;
	return pond_iceberg_partition_spec_from_json(&md->specs[0], single, &next_id, md->arena, what, err);
}

static int parse_sort_orders(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	json_t *orders;
	bool v2 = md->format_version >= 2;
	int rc = pond__ice_get_array(j, "sort-orders", &orders, v2, what, err);
	if (rc)
		return rc;
	if (!orders) {
		/* Appendix E: v1 tables without sort orders are unsorted (order 0) */
		md->sort_orders = pond_arena_calloc(md->arena, 1, sizeof(*md->sort_orders));
		if (!md->sort_orders || !(md->sort_orders[0] = pond_arena_calloc(md->arena, 1, sizeof(**md->sort_orders))))
			return oom(what, err);
		md->nsort_orders = 1;
		md->default_sort_order_id = 0;
		return 0;
	}
	md->nsort_orders = json_array_size(orders);
	if (md->nsort_orders && !(md->sort_orders = arena_array(md->arena, md->nsort_orders, sizeof(*md->sort_orders))))
		return oom(what, err);
	for (size_t i = 0; i < md->nsort_orders; i++) {
		json_t *o = json_array_get(orders, i);
		if (!json_is_object(o))
			return pond_error_set(err, POND_EINVAL, "%s: \"sort-orders\" must hold objects", what);
		if ((rc = pond_iceberg_sort_order_from_json(&md->sort_orders[i], o, md->arena, what, err)))
			return rc;
	}
	return pond__ice_get_i32(j, "default-sort-order-id", &md->default_sort_order_id, v2, what, err);
}

/* A string-to-string object into kv pairs ("properties", "summary"),
 * leaving out `skip`. */
static int parse_kv(pond_iceberg_kv **out, size_t *n, const json_t *obj, const char *skip, pond_arena *arena,
                    const char *field, const char *what, pond_error *err)
{
	const char *key;
	json_t *value;
	*out = NULL;
	*n = 0;
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be an object", what, field);
	if (json_object_size(obj) && !(*out = pond_arena_calloc(arena, json_object_size(obj), sizeof(**out))))
		return oom(what, err);
	json_object_foreach((json_t *)obj, key, value) {
		if (skip && strcmp(key, skip) == 0)
			continue;
		if (!json_is_string(value))
			return pond_error_set(err, POND_EINVAL, "%s: %s \"%.100s\" must be a string", what, field, key);
		pond_iceberg_kv *kv = &(*out)[(*n)++];
		kv->key = pond_arena_strdup(arena, key);
		kv->value = pond_arena_strndup(arena, json_string_value(value), json_string_length(value));
		if (!kv->key || !kv->value)
			return oom(what, err);
	}
	return 0;
}

static int parse_manifests(pond_iceberg_snapshot *s, const json_t *j, pond_arena *arena, const char *what,
                           pond_error *err)
{
	json_t *manifests;
	int rc = pond__ice_get_array(j, "manifests", &manifests, false, what, err);
	if (rc)
		return rc;
	if (!manifests)
		return pond_error_set(err, POND_EINVAL, "%s: snapshot %lld: missing field \"manifest-list\"", what,
		                      (long long)s->snapshot_id);
	s->nmanifests = json_array_size(manifests);
	if (s->nmanifests && !(s->manifests = pond_arena_calloc(arena, s->nmanifests, sizeof(char *))))
		return oom(what, err);
	for (size_t i = 0; i < s->nmanifests; i++) {
		json_t *m = json_array_get(manifests, i);
		if (!json_is_string(m))
			return pond_error_set(err, POND_EINVAL, "%s: \"manifests\" must hold strings", what);
		if (!(s->manifests[i] = pond_arena_strdup(arena, json_string_value(m))))
			return oom(what, err);
	}
	return 0;
}

int pond__ice_snapshot_from_json(pond_iceberg_snapshot *s, const json_t *j, int format_version, pond_arena *arena,
                                 const char *what, pond_error *err)
{
	int rc;
	if (!json_is_object(j))
		return pond_error_set(err, POND_EINVAL, "%s: \"snapshots\" must hold objects", what);
	s->parent_snapshot_id = -1;
	if ((rc = pond__ice_get_i64(j, "snapshot-id", &s->snapshot_id, true, what, err)) ||
	    (rc = pond__ice_get_i64(j, "parent-snapshot-id", &s->parent_snapshot_id, false, what, err)) ||
	    (rc = pond__ice_get_i64(j, "sequence-number", &s->sequence_number, format_version >= 2, what, err)) ||
	    (rc = pond__ice_get_i64(j, "timestamp-ms", &s->timestamp_ms, true, what, err)) ||
	    (rc = pond__ice_get_str(j, "manifest-list", &s->manifest_list, false, arena, what, err)))
		return rc;
	s->has_parent = json_is_integer(json_object_get(j, "parent-snapshot-id"));
	s->schema_id = -1;
	if ((rc = pond__ice_get_i32(j, "schema-id", &s->schema_id, false, what, err)))
		return rc;
	s->has_schema_id = json_is_integer(json_object_get(j, "schema-id"));
	if (!s->manifest_list && (rc = parse_manifests(s, j, arena, what, err)))
		return rc;
	json_t *summary = json_object_get(j, "summary");
	if (summary) {
		if ((rc = pond__ice_get_str(summary, "operation", &s->operation, format_version >= 2, arena, what, err)) ||
		    (rc = parse_kv(&s->summary, &s->nsummary, summary, "operation", arena, "summary", what, err)))
			return rc;
	}
	return unknown_keys(&s->extra, j, snapshot_keys, what, err);
}

static int parse_snapshots(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	json_t *snapshots;
	int rc = pond__ice_get_array(j, "snapshots", &snapshots, false, what, err);
	if (rc)
		return rc;
	md->nsnapshots = json_array_size(snapshots);
	if (md->nsnapshots && !(md->snapshots = arena_array(md->arena, md->nsnapshots, sizeof(*md->snapshots))))
		return oom(what, err);
	for (size_t i = 0; i < md->nsnapshots; i++)
		if ((rc = pond__ice_snapshot_from_json(&md->snapshots[i], json_array_get(snapshots, i), md->format_version, md->arena,
		                                       what, err)))
			return rc;
	return 0;
}

static int parse_logs(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	json_t *slog, *mlog;
	int rc;
	if ((rc = pond__ice_get_array(j, "snapshot-log", &slog, false, what, err)) ||
	    (rc = pond__ice_get_array(j, "metadata-log", &mlog, false, what, err)))
		return rc;
	md->nsnapshot_log = json_array_size(slog);
	md->nmetadata_log = json_array_size(mlog);
	if ((md->nsnapshot_log && !(md->snapshot_log = arena_array(md->arena, md->nsnapshot_log, sizeof(*md->snapshot_log)))) ||
	    (md->nmetadata_log && !(md->metadata_log = arena_array(md->arena, md->nmetadata_log, sizeof(*md->metadata_log)))))
		return oom(what, err);
	for (size_t i = 0; i < md->nsnapshot_log; i++) {
		json_t *e = json_array_get(slog, i);
		if ((rc = pond__ice_get_i64(e, "timestamp-ms", &md->snapshot_log[i].timestamp_ms, true, what, err)) ||
		    (rc = pond__ice_get_i64(e, "snapshot-id", &md->snapshot_log[i].snapshot_id, true, what, err)))
			return rc;
	}
	for (size_t i = 0; i < md->nmetadata_log; i++) {
		json_t *e = json_array_get(mlog, i);
		if ((rc = pond__ice_get_i64(e, "timestamp-ms", &md->metadata_log[i].timestamp_ms, true, what, err)) ||
		    (rc = pond__ice_get_str(e, "metadata-file", &md->metadata_log[i].metadata_file, true, md->arena, what, err)))
			return rc;
	}
	return 0;
}

static int parse_ref(pond_iceberg_ref *r, const char *name, const json_t *j, pond_arena *arena, const char *what,
                     pond_error *err)
{
	const char *type;
	int rc;
	r->max_ref_age_ms = r->max_snapshot_age_ms = -1;
	r->min_snapshots_to_keep = -1;
	if (!(r->name = pond_arena_strdup(arena, name)))
		return oom(what, err);
	if ((rc = pond__ice_get_i64(j, "snapshot-id", &r->snapshot_id, true, what, err)) ||
	    (rc = pond__ice_get_str(j, "type", &type, true, arena, what, err)) ||
	    (rc = pond__ice_get_i64(j, "max-ref-age-ms", &r->max_ref_age_ms, false, what, err)) ||
	    (rc = pond__ice_get_i64(j, "max-snapshot-age-ms", &r->max_snapshot_age_ms, false, what, err)) ||
	    (rc = pond__ice_get_i32(j, "min-snapshots-to-keep", &r->min_snapshots_to_keep, false, what, err)))
		return rc;
	if (strcmp(type, "branch") && strcmp(type, "tag"))
		return pond_error_set(err, POND_EINVAL, "%s: ref \"%s\": unknown type \"%.40s\"", what, name, type);
	r->is_tag = type[0] == 't';
	return 0;
}

static int parse_refs(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	json_t *refs = json_object_get(j, "refs"), *value;
	const char *name;
	int rc;
	if (!refs || json_is_null(refs)) {
		/* spec: without refs, main is the current snapshot */
		if (md->current_snapshot_id == POND_ICEBERG_NO_SNAPSHOT)
			return 0;
		if (!(md->refs = pond_arena_calloc(md->arena, 1, sizeof(*md->refs))))
			return oom(what, err);
		md->nrefs = 1;
		md->refs[0] = (pond_iceberg_ref){"main", false, md->current_snapshot_id, -1, -1, -1};
		return 0;
	}
	if (!json_is_object(refs))
		return pond_error_set(err, POND_EINVAL, "%s: field \"refs\" must be an object", what);
	if (json_object_size(refs) && !(md->refs = pond_arena_calloc(md->arena, json_object_size(refs), sizeof(*md->refs))))
		return oom(what, err);
	json_object_foreach(refs, name, value) {
		if (!json_is_object(value))
			return pond_error_set(err, POND_EINVAL, "%s: ref \"%s\" must be an object", what, name);
		if ((rc = parse_ref(&md->refs[md->nrefs++], name, value, md->arena, what, err)))
			return rc;
	}
	return 0;
}

static int keep_json(json_t **out, const json_t *j, const char *key, const char *what, pond_error *err)
{
	json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be an array", what, key);
	*out = json_incref(v);
	return 0;
}

static int parse_header(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	int32_t version = 0;
	bool v2;
	int rc = pond__ice_get_i32(j, "format-version", &version, true, what, err);
	if (rc)
		return rc;
	if (version == 3)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: format-version 3: format v3 is not supported", what);
	if (version != 1 && version != 2)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: unsupported format-version %d", what, (int)version);
	md->format_version = version;
	v2 = version >= 2;
	md->current_snapshot_id = POND_ICEBERG_NO_SNAPSHOT;
	md->last_partition_id = -1;
	if ((rc = pond__ice_get_str(j, "table-uuid", &md->table_uuid, v2, md->arena, what, err)) ||
	    (rc = pond__ice_get_str(j, "location", &md->location, true, md->arena, what, err)) ||
	    (rc = pond__ice_get_i64(j, "last-sequence-number", &md->last_sequence_number, v2, what, err)) ||
	    (rc = pond__ice_get_i64(j, "last-updated-ms", &md->last_updated_ms, true, what, err)) ||
	    (rc = pond__ice_get_i32(j, "last-column-id", &md->last_column_id, true, what, err)) ||
	    (rc = pond__ice_get_i64(j, "current-snapshot-id", &md->current_snapshot_id, false, what, err)))
		return rc;
	if (!md->table_uuid) {
		/* v1 may lack a uuid; give the table one, as Java does on read */
		char uuid[37];
		pond_uuid_v4_string(uuid);
		if (!(md->table_uuid = pond_arena_strdup(md->arena, uuid)))
			return oom(what, err);
	}
	if (md->current_snapshot_id < 0)
		md->current_snapshot_id = POND_ICEBERG_NO_SNAPSHOT;
	return 0;
}

static int parse_body(pond_iceberg_metadata *md, const json_t *j, const char *what, pond_error *err)
{
	int rc;
	if (!json_is_object(j))
		return pond_error_set(err, POND_ECORRUPT, "%s: table metadata must be a JSON object", what);
	if ((rc = parse_header(md, j, what, err)) || (rc = parse_schemas(md, j, what, err)) ||
	    (rc = parse_specs(md, j, what, err)) ||
	    (rc = pond__ice_get_i32(j, "last-partition-id", &md->last_partition_id, md->format_version >= 2, what,
	                            err)) ||
	    (rc = parse_sort_orders(md, j, what, err)) ||
	    (rc = parse_kv(&md->properties, &md->nproperties, json_object_get(j, "properties"), NULL, md->arena,
	                   "properties", what, err)) ||
	    (rc = parse_snapshots(md, j, what, err)) || (rc = parse_logs(md, j, what, err)) ||
	    (rc = parse_refs(md, j, what, err)) || (rc = keep_json(&md->statistics, j, "statistics", what, err)) ||
	    (rc = keep_json(&md->partition_statistics, j, "partition-statistics", what, err)) ||
	    (rc = unknown_keys(&md->extra, j, known_keys, what, err)))
		return rc;
	if (md->last_partition_id < 0) {
		/* v1: the highest partition field id so far */
		md->last_partition_id = POND_ICEBERG_PARTITION_FIELD_START - 1;
		for (size_t i = 0; i < md->nspecs; i++) {
			int32_t hi = pond_iceberg_partition_spec_highest_field_id(md->specs[i]);
			if (hi > md->last_partition_id)
				md->last_partition_id = hi;
		}
	}
	return pond_iceberg_metadata_validate(md, what, err);
}

int pond_iceberg_metadata_from_json(pond_iceberg_metadata **out, const json_t *json, const char *what,
                                    pond_error *err)
{
	pond_iceberg_metadata *md = pond_calloc(1, sizeof(*md));
	if (!md || !(md->arena = pond_arena_new())) {
		pond_free(md);
		return oom(what, err);
	}
	int rc = parse_body(md, json, what, err);
	if (rc) {
		pond_iceberg_metadata_free(&md);
		return rc;
	}
	*out = md;
	return 0;
}

void pond_iceberg_metadata_free(pond_iceberg_metadata **mdp)
{
	pond_iceberg_metadata *md = *mdp;
	if (!md)
		return;
	for (size_t i = 0; i < md->nsnapshots; i++)
		json_decref(md->snapshots[i].extra);
	json_decref(md->statistics);
	json_decref(md->partition_statistics);
	json_decref(md->extra);
	pond_arena_free(&md->arena);
	pond_free(md);
	*mdp = NULL;
}


/* Inflates gzip data into a new NUL-terminated buffer (pond_free). */
static int gunzip(char **out, size_t *out_len, const void *data, size_t len, const char *what, pond_error *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return oom(what, err);
	size_t cap = len * 4 + 1024, used = 0;
	char *buf = NULL;
	int zrc = Z_OK, rc = 0;
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	while (zrc != Z_STREAM_END) {
		if (!buf || used + 1 >= cap) {
			if (buf)
				cap *= 2;
			char *grown = cap > POND_ICEBERG_METADATA_MAX_BYTES ? NULL : pond_realloc(buf, cap);
			if (!grown) {
				rc = cap > POND_ICEBERG_METADATA_MAX_BYTES ? pond_error_set(err, POND_ELIMIT, "%s: inflated metadata too large", what)
				                              : oom(what, err);
				break;
			}
			buf = grown;
		}
		zs.next_out = (Bytef *)buf + used;
		zs.avail_out = (uInt)(cap - used - 1);
		zrc = inflate(&zs, Z_NO_FLUSH);
		used = cap - 1 - zs.avail_out;
		if (zrc != Z_OK && zrc != Z_STREAM_END) {
			rc = pond_error_set(err, POND_ECORRUPT, "%s: bad gzip data: %s", what, zs.msg ? zs.msg : "truncated");
			break;
		}
	}
	inflateEnd(&zs);
	if (rc) {
		pond_free(buf);
		return rc;
	}
	buf[used] = '\0';
	*out = buf;
	*out_len = used;
	return 0;
}

int pond_iceberg_metadata_json(json_t **out, const void *data, size_t len, const char *what, pond_error *err)
{
	const unsigned char *p = data;
	char *inflated = NULL;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		int rc = gunzip(&inflated, &len, data, len, what, err);
		if (rc)
			return rc;
		data = inflated;
	}
	int rc = pond_json_parse(out, data, len, what, err);
	pond_free(inflated);
	return rc;
}

int pond_iceberg_metadata_parse(pond_iceberg_metadata **out, const void *data, size_t len, const char *what,
                                pond_error *err)
{
	json_t *json;
	int rc = pond_iceberg_metadata_json(&json, data, len, what, err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_from_json(out, json, what, err);
	json_decref(json);
	return rc;
}

int pond_iceberg_metadata_load_file(pond_iceberg_metadata **out, const char *path, pond_error *err)
{
	char *text;
	size_t len;
	int rc = pond_file_read(&text, &len, path, POND_ICEBERG_METADATA_MAX_BYTES, err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_parse(out, text, len, path, err);
	pond_free(text);
	return rc;
}
