/*
 * Metadata updates and requirements in the REST catalog's JSON form
 * (rest-catalog-open-api.yaml: TableUpdate, TableRequirement,
 * CommitTableRequest), both ways. Parsed values live in the commit's arena.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>

static const char *const update_names[] = {
	NULL, "assign-uuid", "upgrade-format-version", "add-schema", "set-current-schema", "add-spec",
	"set-default-spec", "add-sort-order", "set-default-sort-order", "add-snapshot", "set-snapshot-ref",
	"remove-snapshots", "remove-snapshot-ref", "set-location", "set-properties", "remove-properties",
};

static const char *const requirement_names[] = {
	NULL, "assert-create", "assert-table-uuid", "assert-ref-snapshot-id", "assert-current-schema-id",
	"assert-last-assigned-field-id", "assert-last-assigned-partition-id", "assert-default-spec-id",
	"assert-default-sort-order-id",
};

/* The JSON key holding the expected id of each id-asserting requirement. */
static const char *const requirement_keys[] = {
	NULL, NULL, NULL, NULL, "current-schema-id", "last-assigned-field-id", "last-assigned-partition-id",
	"default-spec-id", "default-sort-order-id",
};

static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return 0;
}

static int parse_ref(pond_iceberg_update *u, const json_t *j, pond_arena *arena, const char *what, pond_error *err)
{
	const char *type;
	int rc;
	u->ref.max_ref_age_ms = u->ref.max_snapshot_age_ms = -1;
	u->ref.min_snapshots_to_keep = -1;
	if ((rc = pond__ice_get_str(j, "ref-name", &u->ref.name, true, arena, what, err)) ||
	    (rc = pond__ice_get_str(j, "type", &type, true, arena, what, err)) ||
	    (rc = pond__ice_get_i64(j, "snapshot-id", &u->ref.snapshot_id, true, what, err)) ||
	    (rc = pond__ice_get_i64(j, "max-ref-age-ms", &u->ref.max_ref_age_ms, false, what, err)) ||
	    (rc = pond__ice_get_i64(j, "max-snapshot-age-ms", &u->ref.max_snapshot_age_ms, false, what, err)) ||
	    (rc = pond__ice_get_i32(j, "min-snapshots-to-keep", &u->ref.min_snapshots_to_keep, false, what, err)))
		return rc;
	if (strcmp(type, "branch") && strcmp(type, "tag"))
		return pond_error_set(err, POND_EINVAL, "%s: unknown ref type \"%.40s\"", what, type);
	u->ref.is_tag = type[0] == 't';
	return 0;
}

static int parse_ids(pond_iceberg_update *u, const json_t *j, pond_arena *arena, const char *what, pond_error *err)
{
	json_t *ids;
	int rc = pond__ice_get_array(j, "snapshot-ids", &ids, true, what, err);
	if (rc)
		return rc;
	int64_t *out = pond_arena_calloc(arena, json_array_size(ids) + 1, sizeof(int64_t));
	if (!out)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	for (size_t i = 0; i < json_array_size(ids); i++) {
		if (!json_is_integer(json_array_get(ids, i)))
			return pond_error_set(err, POND_EINVAL, "%s: \"snapshot-ids\" must hold integers", what);
		out[i] = json_integer_value(json_array_get(ids, i));
	}
	u->snapshot_ids = out;
	u->nsnapshot_ids = json_array_size(ids);
	return 0;
}

static int parse_properties(pond_iceberg_update *u, const json_t *j, pond_arena *arena, const char *what,
                            pond_error *err)
{
	json_t *updates = json_object_get(j, "updates"), *value;
	const char *key;
	if (!json_is_object(updates))
		return pond_error_set(err, POND_EINVAL, "%s: field \"updates\" must be an object", what);
	pond_iceberg_kv *kv = pond_arena_calloc(arena, json_object_size(updates) + 1, sizeof(*kv));
	if (!kv)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	json_object_foreach(updates, key, value) {
		if (!json_is_string(value))
			return pond_error_set(err, POND_EINVAL, "%s: property \"%.100s\" must be a string", what, key);
		kv[u->nproperties].key = pond_arena_strdup(arena, key);
		kv[u->nproperties].value = pond_arena_strdup(arena, json_string_value(value));
		if (!kv[u->nproperties].key || !kv[u->nproperties++].value)
			return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	}
	u->properties = kv;
	return 0;
}

static int parse_removals(pond_iceberg_update *u, const json_t *j, pond_arena *arena, const char *what,
                          pond_error *err)
{
	json_t *removals;
	int rc = pond__ice_get_array(j, "removals", &removals, true, what, err);
	if (rc)
		return rc;
	const char **keys = pond_arena_calloc(arena, json_array_size(removals) + 1, sizeof(char *));
	if (!keys)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	for (size_t i = 0; i < json_array_size(removals); i++) {
		json_t *k = json_array_get(removals, i);
		if (!json_is_string(k))
			return pond_error_set(err, POND_EINVAL, "%s: \"removals\" must hold strings", what);
		if (!(keys[i] = pond_arena_strdup(arena, json_string_value(k))))
			return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	}
	u->removals = keys;
	u->nremovals = json_array_size(removals);
	return 0;
}

static int parse_nested(pond_iceberg_update *u, const json_t *j, const char *key, pond_arena *arena,
                        const char *what, pond_error *err)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_object(v))
		return pond_error_set(err, POND_EINVAL, "%s: missing field \"%s\"", what, key);
	switch (u->action) {
	case POND_ICEBERG_ADD_SCHEMA:
		return pond_iceberg_schema_from_json((pond_iceberg_schema **)&u->schema, v, arena, what, err);
	case POND_ICEBERG_ADD_SPEC:
		return pond_iceberg_partition_spec_from_json((pond_iceberg_partition_spec **)&u->spec, v, NULL, arena,
		                                             what, err);
	case POND_ICEBERG_ADD_SORT_ORDER:
		return pond_iceberg_sort_order_from_json((pond_iceberg_sort_order **)&u->sort_order, v, arena, what, err);
	default: {
		pond_iceberg_snapshot *s = pond_arena_calloc(arena, 1, sizeof(*s));
		if (!s)
			return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
		u->snapshot = s;
		return pond__ice_snapshot_from_json(s, v, 2, arena, what, err);
	}
	}
}

int pond_iceberg_update_from_json(pond_iceberg_update *u, const json_t *j, pond_arena *arena, const char *what,
                                  pond_error *err)
{
	const char *action = json_string_value(json_object_get(j, "action"));
	memset(u, 0, sizeof(*u));
	if (!action)
		return pond_error_set(err, POND_EINVAL, "%s: update: missing field \"action\"", what);
	u->action = (pond_iceberg_update_action)name_index(update_names, sizeof(update_names) / sizeof(update_names[0]), action);
	int32_t version = 0;
	int rc;
	switch (u->action) {
	case POND_ICEBERG_ASSIGN_UUID: return pond__ice_get_str(j, "uuid", &u->uuid, true, arena, what, err);
	case POND_ICEBERG_UPGRADE_FORMAT_VERSION:
		rc = pond__ice_get_i32(j, "format-version", &version, true, what, err);
		u->format_version = version;
		return rc;
	case POND_ICEBERG_ADD_SCHEMA:
		if ((rc = pond__ice_get_i32(j, "last-column-id", &u->last_column_id, false, what, err)))
			return rc;
		return parse_nested(u, j, "schema", arena, what, err);
	case POND_ICEBERG_SET_CURRENT_SCHEMA: return pond__ice_get_i32(j, "schema-id", &u->id, true, what, err);
	case POND_ICEBERG_ADD_SPEC: return parse_nested(u, j, "spec", arena, what, err);
	case POND_ICEBERG_SET_DEFAULT_SPEC: return pond__ice_get_i32(j, "spec-id", &u->id, true, what, err);
	case POND_ICEBERG_ADD_SORT_ORDER: return parse_nested(u, j, "sort-order", arena, what, err);
	case POND_ICEBERG_SET_DEFAULT_SORT_ORDER: return pond__ice_get_i32(j, "sort-order-id", &u->id, true, what, err);
	case POND_ICEBERG_ADD_SNAPSHOT: return parse_nested(u, j, "snapshot", arena, what, err);
	case POND_ICEBERG_SET_SNAPSHOT_REF: return parse_ref(u, j, arena, what, err);
	case POND_ICEBERG_REMOVE_SNAPSHOTS: return parse_ids(u, j, arena, what, err);
	case POND_ICEBERG_REMOVE_SNAPSHOT_REF: return pond__ice_get_str(j, "ref-name", &u->ref.name, true, arena, what, err);
	case POND_ICEBERG_SET_LOCATION: return pond__ice_get_str(j, "location", &u->location, true, arena, what, err);
	case POND_ICEBERG_SET_PROPERTIES: return parse_properties(u, j, arena, what, err);
	case POND_ICEBERG_REMOVE_PROPERTIES: return parse_removals(u, j, arena, what, err);
	default:
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: unknown update action \"%.60s\"", what, action);
	}
}

int pond_iceberg_requirement_from_json(pond_iceberg_requirement *r, const json_t *j, pond_arena *arena,
                                       const char *what, pond_error *err)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	memset(r, 0, sizeof(*r));
	if (!type)
		return pond_error_set(err, POND_EINVAL, "%s: requirement: missing field \"type\"", what);
	r->type = (pond_iceberg_requirement_type)name_index(requirement_names, sizeof(requirement_names) / sizeof(requirement_names[0]), type);
	int rc;
	switch (r->type) {
	case POND_ICEBERG_ASSERT_CREATE: return 0;
	case POND_ICEBERG_ASSERT_TABLE_UUID: return pond__ice_get_str(j, "uuid", &r->uuid, true, arena, what, err);
	case POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID:
		if ((rc = pond__ice_get_str(j, "ref", &r->ref, true, arena, what, err)) ||
		    (rc = pond__ice_get_i64(j, "snapshot-id", &r->snapshot_id, false, what, err)))
			return rc;
		/* spec: a null snapshot-id means the ref must not exist */
		r->has_snapshot_id = json_is_integer(json_object_get(j, "snapshot-id"));
		return 0;
	default:
		if (!r->type)
			return pond_error_set(err, POND_EUNSUPPORTED, "%s: unknown requirement \"%.60s\"", what, type);
		return pond__ice_get_i64(j, requirement_keys[r->type], &r->id, true, what, err);
	}
}

void pond_iceberg_commit_free(pond_iceberg_commit **commitp)
{
	pond_iceberg_commit *c = *commitp;
	if (!c)
		return;
	for (size_t i = 0; i < c->nupdates; i++)
		if (c->updates[i].snapshot)
			json_decref(((pond_iceberg_snapshot *)c->updates[i].snapshot)->extra);
	pond_arena_free(&c->arena);
	pond_free(c);
	*commitp = NULL;
}

static int parse_lists(pond_iceberg_commit *c, const json_t *json, pond_error *err)
{
	json_t *reqs, *ups;
	int rc;
	if (!json_is_object(json))
		return pond_error_set(err, POND_EINVAL, "commit request must be a JSON object");
	if ((rc = pond__ice_get_array(json, "requirements", &reqs, false, "commit request", err)) ||
	    (rc = pond__ice_get_array(json, "updates", &ups, true, "commit request", err)))
		return rc;
	c->requirements = pond_arena_calloc(c->arena, json_array_size(reqs) + 1, sizeof(*c->requirements));
	c->updates = pond_arena_calloc(c->arena, json_array_size(ups) + 1, sizeof(*c->updates));
	if (!c->requirements || !c->updates)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading commit request");
	for (size_t i = 0; i < json_array_size(reqs); i++, c->nrequirements++)
		if ((rc = pond_iceberg_requirement_from_json(&c->requirements[i], json_array_get(reqs, i), c->arena,
		                                             "commit request", err)))
			return rc;
	for (size_t i = 0; i < json_array_size(ups); i++) {
		/* counted first so that free releases a half-read snapshot */
		c->nupdates++;
		if ((rc = pond_iceberg_update_from_json(&c->updates[i], json_array_get(ups, i), c->arena,
		                                        "commit request", err)))
			return rc;
	}
	return 0;
}

int pond_iceberg_commit_from_json(pond_iceberg_commit **out, const json_t *json, pond_error *err)
{
	pond_iceberg_commit *c = pond_calloc(1, sizeof(*c));
	if (!c || !(c->arena = pond_arena_new())) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory reading commit request");
	}
	int rc = parse_lists(c, json, err);
	if (rc) {
		pond_iceberg_commit_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

int pond_iceberg_commit_parse(pond_iceberg_commit **out, const char *text, size_t len, pond_error *err)
{
	json_t *json;
	int rc = pond_json_parse(&json, text, len, "commit request", err);
	if (rc)
		return rc;
	rc = pond_iceberg_commit_from_json(out, json, err);
	json_decref(json);
	return rc;
}

static void put_update_body(json_t *o, const pond_iceberg_update *u, bool *ok)
{
	json_t *a;
	switch (u->action) {
	case POND_ICEBERG_ASSIGN_UUID: pond__ice_set(o, "uuid", json_string(u->uuid), ok); break;
	case POND_ICEBERG_UPGRADE_FORMAT_VERSION: pond__ice_set(o, "format-version", json_integer(u->format_version), ok); break;
	case POND_ICEBERG_ADD_SCHEMA:
		pond__ice_set(o, "schema", pond_iceberg_schema_to_json(u->schema), ok);
		if (u->last_column_id)
			pond__ice_set(o, "last-column-id", json_integer(u->last_column_id), ok);
		break;
	case POND_ICEBERG_SET_CURRENT_SCHEMA: pond__ice_set(o, "schema-id", json_integer(u->id), ok); break;
	case POND_ICEBERG_ADD_SPEC: pond__ice_set(o, "spec", pond_iceberg_partition_spec_to_json(u->spec), ok); break;
	case POND_ICEBERG_SET_DEFAULT_SPEC: pond__ice_set(o, "spec-id", json_integer(u->id), ok); break;
	case POND_ICEBERG_ADD_SORT_ORDER: pond__ice_set(o, "sort-order", pond_iceberg_sort_order_to_json(u->sort_order), ok); break;
	case POND_ICEBERG_SET_DEFAULT_SORT_ORDER: pond__ice_set(o, "sort-order-id", json_integer(u->id), ok); break;
	case POND_ICEBERG_ADD_SNAPSHOT: pond__ice_set(o, "snapshot", pond__ice_snapshot_to_json(u->snapshot), ok); break;
	case POND_ICEBERG_SET_SNAPSHOT_REF:
		pond__ice_set(o, "ref-name", json_string(u->ref.name), ok);
		a = pond__ice_ref_to_json(&u->ref);
		if (a && json_object_update(o, a))
			*ok = false;
		json_decref(a);
		break;
	case POND_ICEBERG_REMOVE_SNAPSHOTS:
		a = json_array();
		for (size_t i = 0; i < u->nsnapshot_ids; i++)
			pond__ice_append(a, json_integer(u->snapshot_ids[i]), ok);
		pond__ice_set(o, "snapshot-ids", a, ok);
		break;
	case POND_ICEBERG_REMOVE_SNAPSHOT_REF: pond__ice_set(o, "ref-name", json_string(u->ref.name), ok); break;
	case POND_ICEBERG_SET_LOCATION: pond__ice_set(o, "location", json_string(u->location), ok); break;
	case POND_ICEBERG_SET_PROPERTIES:
		a = json_object();
		for (size_t i = 0; i < u->nproperties; i++)
			pond__ice_set(a, u->properties[i].key, json_string(u->properties[i].value), ok);
		pond__ice_set(o, "updates", a, ok);
		break;
	case POND_ICEBERG_REMOVE_PROPERTIES:
		a = json_array();
		for (size_t i = 0; i < u->nremovals; i++)
			pond__ice_append(a, json_string(u->removals[i]), ok);
		pond__ice_set(o, "removals", a, ok);
		break;
	}
}

json_t *pond_iceberg_update_to_json(const pond_iceberg_update *u)
{
	bool ok = u->action >= POND_ICEBERG_ASSIGN_UUID && u->action <= POND_ICEBERG_REMOVE_PROPERTIES;
	json_t *o = json_object();
	if (ok) {
		pond__ice_set(o, "action", json_string(update_names[u->action]), &ok);
		put_update_body(o, u, &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *pond_iceberg_requirement_to_json(const pond_iceberg_requirement *r)
{
	bool ok = r->type >= POND_ICEBERG_ASSERT_CREATE && r->type <= POND_ICEBERG_ASSERT_DEFAULT_SORT_ORDER_ID;
	json_t *o = json_object();
	if (ok)
		pond__ice_set(o, "type", json_string(requirement_names[r->type]), &ok);
	if (ok && r->type == POND_ICEBERG_ASSERT_TABLE_UUID) {
		pond__ice_set(o, "uuid", json_string(r->uuid), &ok);
	} else if (ok && r->type == POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID) {
		pond__ice_set(o, "ref", json_string(r->ref), &ok);
		pond__ice_set(o, "snapshot-id", r->has_snapshot_id ? json_integer(r->snapshot_id) : json_null(), &ok);
	} else if (ok && r->type != POND_ICEBERG_ASSERT_CREATE) {
		pond__ice_set(o, requirement_keys[r->type], json_integer(r->id), &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}
