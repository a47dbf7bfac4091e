/*
 * Iceberg view metadata (format/view-spec.md, format version 1): parsing
 * with the spec's rules checked, the accessors pond needs, and the JSON
 * text written as a metadata file. A view is kept as its JSON document,
 * so keys pond does not know (an engine's extra summary, future fields)
 * survive a read and a write. Changes are view_update.c's.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

/* A view metadata file bigger than this is refused (outside input). */
#define MAX_VIEW_BYTES ((size_t)64 << 20)

struct pond_iceberg_view {
	json_t *doc;
};

/* An object of strings, or absent when optional. */
static int check_string_map(const json_t *doc, const char *key, bool required, const char *what, pond_error *err)
{
	const json_t *o = json_object_get(doc, key);
	if (!o || json_is_null(o))
		return required ? pond_error_set(err, POND_EINVAL, "%s: missing field \"%s\"", what, key) : 0;
	if (!json_is_object(o))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be an object of strings", what, key);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v)
		if (!json_is_string(v))
			return pond_error_set(err, POND_EINVAL, "%s: %s \"%.100s\" must be a string", what, key, k);
	return 0;
}

static int check_representations(const json_t *version, const char *what, pond_error *err)
{
	json_t *reps;
	int rc = pond__ice_get_array(version, "representations", &reps, true, what, err);
	for (size_t i = 0; rc == 0 && i < json_array_size(reps); i++) {
		const json_t *r = json_array_get(reps, i);
		const char *type = json_string_value(json_object_get(r, "type"));
		if (!json_is_object(r) || !type)
			return pond_error_set(err, POND_EINVAL, "%s: a representation must be an object with a \"type\"", what);
		if (strcmp(type, "sql") != 0)
			continue; /* spec: engines pick the representations they know */
		const char *dialect = json_string_value(json_object_get(r, "dialect"));
		if (!json_is_string(json_object_get(r, "sql")) || !dialect)
			return pond_error_set(err, POND_EINVAL, "%s: a sql representation needs \"sql\" and \"dialect\" strings", what);
		/* spec: only one SQL representation per dialect */
		for (size_t j = 0; j < i; j++) {
			const json_t *o = json_array_get(reps, j);
			const char *od = json_string_value(json_object_get(o, "dialect"));
			const char *ot = json_string_value(json_object_get(o, "type"));
			if (ot && !strcmp(ot, "sql") && od && !strcasecmp(od, dialect))
				return pond_error_set(err, POND_EINVAL, "%s: two sql representations of dialect \"%.60s\"", what, dialect);
		}
	}
	return rc;
}

int pond__ice_check_view_version(const json_t *v, const char *what, pond_error *err)
{
	int32_t id, schema_id;
	int64_t ts;
	int rc;
	if (!json_is_object(v))
		return pond_error_set(err, POND_EINVAL, "%s: a version must be an object", what);
	if ((rc = pond__ice_get_i32(v, "version-id", &id, true, what, err)) ||
	    (rc = pond__ice_get_i32(v, "schema-id", &schema_id, true, what, err)) ||
	    (rc = pond__ice_get_i64(v, "timestamp-ms", &ts, true, what, err)) ||
	    (rc = check_string_map(v, "summary", true, what, err)) || (rc = check_representations(v, what, err)))
		return rc;
	const json_t *cat = json_object_get(v, "default-catalog");
	if (cat && !json_is_null(cat) && !json_is_string(cat))
		return pond_error_set(err, POND_EINVAL, "%s: field \"default-catalog\" must be a string", what);
	const json_t *ns = json_object_get(v, "default-namespace");
	if (!json_is_array(ns))
		return pond_error_set(err, POND_EINVAL, "%s: field \"default-namespace\" must be an array of strings", what);
	for (size_t i = 0; i < json_array_size(ns); i++)
		if (!json_is_string(json_array_get(ns, i)))
			return pond_error_set(err, POND_EINVAL, "%s: field \"default-namespace\" must be an array of strings", what);
	return 0;
}

/* An array of objects whose integer `key` is unique; *ids gets the ids. */
static int unique_ids(const json_t *list, const char *key, const char *noun, int32_t *ids, const char *what,
                      pond_error *err)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		int rc = pond__ice_get_i32(json_array_get(list, i), key, &ids[i], true, what, err);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return pond_error_set(err, POND_EINVAL, "%s: two %s with %s %d", what, noun, key, (int)ids[i]);
	}
	return 0;
}

static bool has_id(const int32_t *ids, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static int check_schemas(const json_t *schemas, int32_t *ids, const char *what, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < json_array_size(schemas); i++) {
		pond_iceberg_schema *s;
		rc = pond_iceberg_schema_from_json(&s, json_array_get(schemas, i), arena, what, err);
	}
	pond_arena_free(&arena);
	return rc ? rc : unique_ids(schemas, "schema-id", "schemas", ids, what, err);
}

static int check_versions(const json_t *doc, const json_t *versions, const int32_t *schema_ids, size_t nschemas,
                          int32_t *ids, const char *what, pond_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < json_array_size(versions); i++)
		rc = pond__ice_check_view_version(json_array_get(versions, i), what, err);
	if (rc || (rc = unique_ids(versions, "version-id", "versions", ids, what, err)))
		return rc;
	for (size_t i = 0; i < json_array_size(versions); i++) {
		int32_t sid = (int32_t)json_integer_value(json_object_get(json_array_get(versions, i), "schema-id"));
		if (!has_id(schema_ids, nschemas, sid))
			return pond_error_set(err, POND_EINVAL, "%s: version %d names schema %d, which is not in schemas", what,
			                      (int)ids[i], (int)sid);
	}
	int32_t current;
	if ((rc = pond__ice_get_i32(doc, "current-version-id", &current, true, what, err)))
		return rc;
	if (!has_id(ids, json_array_size(versions), current))
		return pond_error_set(err, POND_EINVAL, "%s: current-version-id %d is not in versions", what, (int)current);
	return 0;
}

static int check_log(const json_t *log, const char *what, pond_error *err)
{
	for (size_t i = 0; i < json_array_size(log); i++) {
		const json_t *e = json_array_get(log, i);
		int64_t ts;
		int32_t id;
		int rc;
		if ((rc = pond__ice_get_i64(e, "timestamp-ms", &ts, true, what, err)) ||
		    (rc = pond__ice_get_i32(e, "version-id", &id, true, what, err)))
			return rc;
	}
	return 0;
}

int pond__ice_view_validate(const json_t *doc, const char *what, pond_error *err)
{
	int32_t fv = 0;
	const char *uuid, *location;
	json_t *schemas, *versions, *log;
	int rc;
	if (!json_is_object(doc))
		return pond_error_set(err, POND_EINVAL, "%s: view metadata must be an object", what);
	if ((rc = pond__ice_get_i32(doc, "format-version", &fv, true, what, err)))
		return rc;
	if (fv != 1)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: view format-version %d is not supported (1 is)", what,
		                      (int)fv);
	uint8_t raw[16];
	uuid = json_string_value(json_object_get(doc, "view-uuid"));
	location = json_string_value(json_object_get(doc, "location"));
	if (!uuid || pond_uuid_parse(raw, uuid) != 0)
		return pond_error_set(err, POND_EINVAL, "%s: field \"view-uuid\" must be a uuid string", what);
	if (!location || !*location)
		return pond_error_set(err, POND_EINVAL, "%s: field \"location\" must be a non-empty string", what);
	if ((rc = pond__ice_get_array(doc, "schemas", &schemas, true, what, err)) ||
	    (rc = pond__ice_get_array(doc, "versions", &versions, true, what, err)) ||
	    (rc = pond__ice_get_array(doc, "version-log", &log, true, what, err)) ||
	    (rc = check_string_map(doc, "properties", false, what, err)) || (rc = check_log(log, what, err)))
		return rc;
	if (json_array_size(schemas) == 0 || json_array_size(versions) == 0)
		return pond_error_set(err, POND_EINVAL, "%s: a view needs at least one schema and one version", what);
	int32_t *schema_ids = pond_calloc(json_array_size(schemas), sizeof(int32_t));
	int32_t *version_ids = pond_calloc(json_array_size(versions), sizeof(int32_t));
	if (!schema_ids || !version_ids)
		rc = pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	if (rc == 0 && (rc = check_schemas(schemas, schema_ids, what, err)) == 0)
		rc = check_versions(doc, versions, schema_ids, json_array_size(schemas), version_ids, what, err);
	pond_free(schema_ids);
	pond_free(version_ids);
	return rc;
}

/* ---- reading and writing ---------------------------------------------------- */

int pond__ice_view_wrap(pond_iceberg_view **out, json_t *doc, const char *what, pond_error *err)
{
	*out = NULL;
	int rc = pond__ice_view_validate(doc, what, err);
	pond_iceberg_view *v = rc == 0 ? pond_calloc(1, sizeof(*v)) : NULL;
	if (rc == 0 && !v)
		rc = pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	v->doc = doc;
	*out = v;
	return 0;
}

int pond_iceberg_view_from_json(pond_iceberg_view **out, const json_t *json, const char *what, pond_error *err)
{
	json_t *copy = json_deep_copy(json);
	if (!copy) {
		*out = NULL;
		return pond_error_set(err, json ? POND_ENOMEM : POND_EINVAL, "%s: no view metadata", what);
	}
	return pond__ice_view_wrap(out, copy, what, err);
}

int pond_iceberg_view_parse(pond_iceberg_view **out, const void *data, size_t len, const char *what, pond_error *err)
{
	*out = NULL;
	if (len > MAX_VIEW_BYTES)
		return pond_error_set(err, POND_ELIMIT, "%s: view metadata of %zu bytes is over the limit", what, len);
	json_t *json;
	int rc = pond_json_parse(&json, data, len, what, err);
	return rc ? rc : pond__ice_view_wrap(out, json, what, err);
}

int pond_iceberg_view_serialize(char **out, const pond_iceberg_view *view, bool pretty, pond_error *err)
{
	*out = pond_json_dumps(view->doc, pretty);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory writing view metadata");
}

void pond_iceberg_view_free(pond_iceberg_view **view)
{
	if (!view || !*view)
		return;
	json_decref((*view)->doc);
	pond_free(*view);
	*view = NULL;
}

/* ---- accessors ------------------------------------------------------------------ */

const json_t *pond_iceberg_view_json(const pond_iceberg_view *view)
{
	return view->doc;
}

const char *pond_iceberg_view_uuid(const pond_iceberg_view *view)
{
	return json_string_value(json_object_get(view->doc, "view-uuid"));
}

const char *pond_iceberg_view_location(const pond_iceberg_view *view)
{
	return json_string_value(json_object_get(view->doc, "location"));
}

int32_t pond_iceberg_view_current_version_id(const pond_iceberg_view *view)
{
	return (int32_t)json_integer_value(json_object_get(view->doc, "current-version-id"));
}

const char *pond_iceberg_view_property(const pond_iceberg_view *view, const char *key)
{
	return json_string_value(json_object_get(json_object_get(view->doc, "properties"), key));
}

const json_t *pond__ice_view_find(const json_t *list, const char *key, int32_t id)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *item = json_array_get(list, i);
		if (json_integer_value(json_object_get(item, key)) == id)
			return item;
	}
	return NULL;
}

static const json_t *current_version(const pond_iceberg_view *view)
{
	return pond__ice_view_find(json_object_get(view->doc, "versions"), "version-id",
	                           pond_iceberg_view_current_version_id(view));
}

const char *pond_iceberg_view_sql(const pond_iceberg_view *view, const char *dialect)
{
	const json_t *reps = json_object_get(current_version(view), "representations");
	for (size_t i = 0; i < json_array_size(reps); i++) {
		const json_t *r = json_array_get(reps, i);
		const char *type = json_string_value(json_object_get(r, "type"));
		const char *d = json_string_value(json_object_get(r, "dialect"));
		if (type && !strcmp(type, "sql") && d && !strcasecmp(d, dialect))
			return json_string_value(json_object_get(r, "sql"));
	}
	return NULL;
}

int pond_iceberg_view_schema(pond_iceberg_schema **out, const pond_iceberg_view *view, pond_arena *arena,
                             pond_error *err)
{
	int32_t sid = (int32_t)json_integer_value(json_object_get(current_version(view), "schema-id"));
	const json_t *s = pond__ice_view_find(json_object_get(view->doc, "schemas"), "schema-id", sid);
	return pond_iceberg_schema_from_json(out, s, arena, "view schema", err);
}
