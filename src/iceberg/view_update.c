/*
 * Changing a view: the requirements and updates of the REST catalog's
 * CommitViewRequest (assert-view-uuid; assign-uuid, upgrade-format-version,
 * add-schema, set-location, set-properties, remove-properties,
 * add-view-version, set-current-view-version) applied to a view's JSON,
 * with the id rules Java's ViewMetadata builder follows: an added schema
 * or version equal to a known one reuses its id, else takes the highest
 * plus one; -1 names the one last added. Creating a view is the same
 * updates applied to nothing. The result is checked against the spec's
 * rules (view.c) before it is returned.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>

/* Java's view property and default: how many versions a view keeps. */
#define HISTORY_KEY "version.history.num-entries"
#define HISTORY_DEFAULT 10

typedef struct view_change {
	json_t *doc;
	int32_t last_schema;  /* id of the schema last added; -1: none */
	int32_t last_version; /* id of the version last added; -1: none */
	int64_t now_ms;
	pond_error *err;
} view_change;

static int invalid(view_change *c, const char *action, const char *msg)
{
	return pond_error_set(c->err, POND_EINVAL, "view update %s: %s", action, msg);
}

static int32_t highest_id(const json_t *list, const char *key)
{
	int32_t best = -1;
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_int_t id = json_integer_value(json_object_get(json_array_get(list, i), key));
		if (id > best)
			best = (int32_t)id;
	}
	return best;
}

static json_t *array_field(json_t *doc, const char *key)
{
	json_t *a = json_object_get(doc, key);
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(doc, key, a);
	}
	return a;
}

static int add_schema(view_change *c, const json_t *u)
{
	const json_t *schema = json_object_get(u, "schema");
	pond_arena *arena = pond_arena_new();
	pond_iceberg_schema *parsed, *known;
	int rc = arena ? pond_iceberg_schema_from_json(&parsed, schema, arena, "view update add-schema", c->err)
	               : pond_error_set(c->err, POND_ENOMEM, "out of memory");
	json_t *schemas = array_field(c->doc, "schemas");
	int32_t id = -1;
	for (size_t i = 0; rc == 0 && id < 0 && i < json_array_size(schemas); i++) {
		const json_t *s = json_array_get(schemas, i);
		if (pond_iceberg_schema_from_json(&known, s, arena, "view schema", c->err) == 0 &&
		    pond_iceberg_type_equal(known->root, parsed->root))
			id = known->schema_id;
	}
	pond_arena_free(&arena);
	if (rc)
		return rc;
	if (id < 0) {
		id = highest_id(schemas, "schema-id") + 1;
		json_t *copy = json_deep_copy(schema);
		if (!copy || json_object_set_new(copy, "schema-id", json_integer(id)) != 0 ||
		    json_array_append_new(schemas, copy) != 0)
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	}
	c->last_schema = id;
	return 0;
}

/* Two versions define the same view when all but their ids and times match. */
static bool same_version(const json_t *a, const json_t *b)
{
	static const char *const keys[] = {"schema-id", "representations", "default-catalog", "default-namespace", NULL};
	for (size_t i = 0; keys[i]; i++) {
		const json_t *x = json_object_get(a, keys[i]), *y = json_object_get(b, keys[i]);
		if (x && json_is_null(x))
			x = NULL;
		if (y && json_is_null(y))
			y = NULL;
		if ((x || y) && (!x || !y || !json_equal((json_t *)x, (json_t *)y)))
			return false;
	}
	return true;
}

static int add_version(view_change *c, const json_t *u)
{
	const json_t *v = json_object_get(u, "view-version");
	if (!json_is_object(v))
		return invalid(c, "add-view-version", "missing view-version");
	json_t *copy = json_deep_copy(v);
	if (!copy)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	if (json_integer_value(json_object_get(copy, "schema-id")) == -1) {
		if (c->last_schema < 0) {
			json_decref(copy);
			return invalid(c, "add-view-version", "schema-id -1 names the last added schema, but none was added");
		}
		json_object_set_new(copy, "schema-id", json_integer(c->last_schema));
	}
	if (!json_object_get(copy, "version-id"))
		json_object_set_new(copy, "version-id", json_integer(0));
	int rc = pond__ice_check_view_version(copy, "view update add-view-version", c->err);
	json_t *versions = array_field(c->doc, "versions");
	for (size_t i = 0; rc == 0 && i < json_array_size(versions); i++) {
		const json_t *old = json_array_get(versions, i);
		if (same_version(old, copy)) {
			json_decref(copy);
			c->last_version = (int32_t)json_integer_value(json_object_get(old, "version-id"));
			return 0;
		}
	}
	int32_t id = highest_id(versions, "version-id") + 1;
	if (id < 1)
		id = 1; /* Java's first view version is 1 */
	if (rc == 0 && (json_object_set_new(copy, "version-id", json_integer(id)) != 0 ||
	                json_array_append_new(versions, copy) != 0))
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	if (rc) {
		json_decref(copy);
		return rc;
	}
	c->last_version = id;
	return 0;
}

static int set_current(view_change *c, const json_t *u)
{
	const json_t *j = json_object_get(u, "view-version-id");
	if (!json_is_integer(j))
		return invalid(c, "set-current-view-version", "missing view-version-id");
	int32_t id = (int32_t)json_integer_value(j);
	if (id == -1 && (id = c->last_version) < 0)
		return invalid(c, "set-current-view-version", "view-version-id -1 names the last added version, but none was added");
	if (!pond__ice_view_find(json_object_get(c->doc, "versions"), "version-id", id))
		return pond_error_set(c->err, POND_EINVAL, "view update set-current-view-version: no version %d", (int)id);
	const json_t *cur = json_object_get(c->doc, "current-version-id");
	if (cur && json_integer_value(cur) == id)
		return 0;
	json_object_set_new(c->doc, "current-version-id", json_integer(id));
	json_t *entry = json_pack("{s:I,s:i}", "timestamp-ms", (json_int_t)c->now_ms, "version-id", (int)id);
	if (!entry || json_array_append_new(array_field(c->doc, "version-log"), entry) != 0)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	return 0;
}

static int set_properties(view_change *c, const json_t *u, bool remove)
{
	json_t *props = json_object_get(c->doc, "properties");
	if (!json_is_object(props)) {
		props = json_object();
		json_object_set_new(c->doc, "properties", props);
	}
	if (remove) {
		const json_t *keys = json_object_get(u, "removals");
		if (!json_is_array(keys))
			return invalid(c, "remove-properties", "removals must be an array of strings");
		for (size_t i = 0; i < json_array_size(keys); i++) {
			const char *k = json_string_value(json_array_get(keys, i));
			if (!k)
				return invalid(c, "remove-properties", "removals must be an array of strings");
			json_object_del(props, k);
		}
		return 0;
	}
	const json_t *updates = json_object_get(u, "updates");
	const char *k;
	const json_t *v;
	if (!json_is_object(updates))
		return invalid(c, "set-properties", "updates must be an object of strings");
	json_object_foreach((json_t *)updates, k, v) {
		if (!json_is_string(v))
			return invalid(c, "set-properties", "updates must be an object of strings");
		json_object_set_new(props, k, json_string(json_string_value(v)));
	}
	return 0;
}

static int set_string(view_change *c, const json_t *u, const char *action, const char *from, const char *to)
{
	const char *value = json_string_value(json_object_get(u, from));
	if (!value || !*value)
		return pond_error_set(c->err, POND_EINVAL, "view update %s: missing %s", action, from);
	const char *old = json_string_value(json_object_get(c->doc, to));
	if (!strcmp(to, "view-uuid") && old && strcmp(old, value) != 0)
		return invalid(c, action, "a view's uuid cannot change");
	json_object_set_new(c->doc, to, json_string(value));
	return 0;
}

static int apply_one(view_change *c, const json_t *u)
{
	const char *action = json_string_value(json_object_get(u, "action"));
	if (!action)
		return pond_error_set(c->err, POND_EINVAL, "a view update needs an action");
	if (!strcmp(action, "assign-uuid"))
		return set_string(c, u, action, "uuid", "view-uuid");
	if (!strcmp(action, "set-location"))
		return set_string(c, u, action, "location", "location");
	if (!strcmp(action, "upgrade-format-version")) {
		json_int_t fv = json_integer_value(json_object_get(u, "format-version"));
		return fv == 1 ? 0 : pond_error_set(c->err, POND_EUNSUPPORTED, "view format-version %lld is not supported (1 is)",
		                                    (long long)fv);
	}
	if (!strcmp(action, "add-schema"))
		return add_schema(c, u);
	if (!strcmp(action, "set-properties") || !strcmp(action, "remove-properties"))
		return set_properties(c, u, action[0] == 'r');
	if (!strcmp(action, "add-view-version"))
		return add_version(c, u);
	if (!strcmp(action, "set-current-view-version"))
		return set_current(c, u);
	return pond_error_set(c->err, POND_EINVAL, "unknown view update action \"%.60s\"", action);
}

static int check_requirements(const json_t *doc, const json_t *reqs, pond_error *err)
{
	if (reqs && !json_is_array(reqs))
		return pond_error_set(err, POND_EINVAL, "view requirements must be an array");
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		const json_t *r = json_array_get(reqs, i);
		const char *type = json_string_value(json_object_get(r, "type"));
		if (!type || strcmp(type, "assert-view-uuid") != 0)
			return pond_error_set(err, POND_EINVAL, "unknown view requirement \"%.60s\"", type ? type : "(none)");
		const char *want = json_string_value(json_object_get(r, "uuid"));
		const char *have = doc ? json_string_value(json_object_get(doc, "view-uuid")) : NULL;
		if (!want)
			return pond_error_set(err, POND_EINVAL, "requirement assert-view-uuid: missing uuid");
		if (!have || strcmp(want, have) != 0)
			return pond_error_set(err, POND_ECONFLICT, "requirement failed: view uuid is %s, not %s",
			                      have ? have : "(no view)", want);
	}
	return 0;
}

/* Keeps the newest versions the view's history property allows (Java's
 * rule), never the current one's; the log keeps the same number of entries. */
static void trim_history(json_t *doc)
{
	const char *text = json_string_value(json_object_get(json_object_get(doc, "properties"), HISTORY_KEY));
	int64_t keep = HISTORY_DEFAULT;
	if (text && (!pond_str_to_i64(text, &keep) || keep < 1))
		keep = HISTORY_DEFAULT;
	json_t *versions = json_object_get(doc, "versions"), *log = json_object_get(doc, "version-log");
	json_int_t current = json_integer_value(json_object_get(doc, "current-version-id"));
	for (size_t i = 0; json_array_size(versions) > (size_t)keep && i < json_array_size(versions);) {
		if (json_integer_value(json_object_get(json_array_get(versions, i), "version-id")) == current)
			i++;
		else
			json_array_remove(versions, i);
	}
	while (json_array_size(log) > (size_t)keep)
		json_array_remove(log, 0);
}

int pond_iceberg_view_apply(pond_iceberg_view **out, const pond_iceberg_view *base, const json_t *requirements,
                            const json_t *updates, int64_t now_ms, pond_error *err)
{
	*out = NULL;
	const json_t *old = base ? pond_iceberg_view_json(base) : NULL;
	int rc = check_requirements(old, requirements, err);
	if (rc)
		return rc;
	if (!json_is_array(updates))
		return pond_error_set(err, POND_EINVAL, "view updates must be an array");
	view_change c = {old ? json_deep_copy(old) : json_pack("{s:i}", "format-version", 1), -1, -1, now_ms, err};
	if (!c.doc)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_array_size(updates); i++)
		rc = apply_one(&c, json_array_get(updates, i));
	if (rc == 0 && !json_object_get(c.doc, "view-uuid")) {
		char uuid[37];
		pond_uuid_v4_string(uuid);
		json_object_set_new(c.doc, "view-uuid", json_string(uuid));
	}
	if (rc) {
		json_decref(c.doc);
		return rc;
	}
	trim_history(c.doc);
	return pond__ice_view_wrap(out, c.doc, "view metadata", err);
}

/* ---- building the updates pond sends ------------------------------------------------ */

json_t *pond_iceberg_view_version_json(const pond_iceberg_view_definition *def)
{
	json_t *ns = json_array(), *summary = json_object();
	bool ok = ns && summary;
	for (size_t i = 0; ok && i < def->ndefault_namespace; i++)
		pond__ice_append(ns, json_string(def->default_namespace[i]), &ok);
	for (size_t i = 0; ok && i < def->nsummary; i++)
		pond__ice_set(summary, def->summary[i].key, json_string(def->summary[i].value), &ok);
	json_t *v = ok ? json_pack("{s:i,s:I,s:i,s:O,s:[{s:s,s:s,s:s}],s:O}", "version-id", 0, "timestamp-ms",
	                           (json_int_t)def->timestamp_ms, "schema-id", -1, "summary", summary, "representations",
	                           "type", "sql", "sql", def->sql, "dialect", def->dialect, "default-namespace", ns)
	               : NULL;
	json_decref(ns);
	json_decref(summary);
	return v;
}

json_t *pond_iceberg_view_define_updates(const pond_iceberg_view_definition *def, const char *location)
{
	json_t *schema = pond_iceberg_schema_to_json(def->schema);
	json_t *version = pond_iceberg_view_version_json(def);
	json_t *ups = schema && version ? json_pack("[{s:s,s:o},{s:s,s:o},{s:s,s:i}]", "action", "add-schema", "schema",
	                                            schema, "action", "add-view-version", "view-version", version,
	                                            "action", "set-current-view-version", "view-version-id", -1)
	                                : NULL;
	if (!ups)
		return NULL; /* json_pack released schema and version ("o") */
	if (location && json_array_insert_new(ups, 0, json_pack("{s:s,s:s}", "action", "set-location", "location",
	                                                        location)) != 0) {
		json_decref(ups);
		return NULL;
	}
	return ups;
}
