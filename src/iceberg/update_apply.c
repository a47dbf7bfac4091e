/*
 * Applying a commit: requirements checked against the base metadata, then
 * updates applied in order to a deep copy, then the result validated. This
 * is the only way pond changes table metadata (DESIGN.md). The rules are the
 * REST catalog's and Java's TableMetadata.Builder's: schemas, specs and sort
 * orders equal to an existing one are reused, "-1" means the last one added
 * in this commit, and the main branch decides current-snapshot-id.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <strings.h>
#include <string.h>

typedef struct apply_state {
	pond_iceberg_metadata *md;
	const pond_iceberg_metadata *base;
	int32_t last_added_schema, last_added_spec, last_added_order;
	int64_t now_ms;
	pond_error *err;
} apply_state;

static int conflict(pond_error *err, const char *name, const char *fmt_detail, long long want, long long have)
{
	return pond_error_set(err, POND_ECONFLICT, "requirement %s failed: %s %lld, table has %lld", name, fmt_detail,
	                      want, have);
}

static int check_requirement(const pond_iceberg_metadata *b, const pond_iceberg_requirement *r, pond_error *err)
{
	if (r->type == POND_ICEBERG_ASSERT_CREATE)
		return b ? pond_error_set(err, POND_ECONFLICT, "requirement assert-create failed: table already exists") : 0;
	if (!b)
		return pond_error_set(err, POND_ECONFLICT, "requirement failed: table does not exist");
	switch (r->type) {
	case POND_ICEBERG_ASSERT_TABLE_UUID:
		if (!r->uuid || strcasecmp(r->uuid, b->table_uuid) != 0)
			return pond_error_set(err, POND_ECONFLICT, "requirement assert-table-uuid failed: expected %s, table has %s",
			                      r->uuid ? r->uuid : "(none)", b->table_uuid);
		return 0;
	case POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID: {
		const pond_iceberg_ref *ref = pond_iceberg_metadata_ref(b, r->ref ? r->ref : "");
		if (!r->has_snapshot_id && ref)
			return pond_error_set(err, POND_ECONFLICT,
			                      "requirement assert-ref-snapshot-id failed: ref \"%s\" was created concurrently", r->ref);
		if (r->has_snapshot_id && !ref)
			return pond_error_set(err, POND_ECONFLICT,
			                      "requirement assert-ref-snapshot-id failed: ref \"%s\" is missing", r->ref);
		if (ref && ref->snapshot_id != r->snapshot_id)
			return pond_error_set(err, POND_ECONFLICT,
			                      "requirement assert-ref-snapshot-id failed: ref \"%s\" expected snapshot %lld, table has %lld",
			                      r->ref, (long long)r->snapshot_id, (long long)ref->snapshot_id);
		return 0;
	}
	case POND_ICEBERG_ASSERT_CURRENT_SCHEMA_ID:
		return r->id == b->current_schema_id ? 0 : conflict(err, "assert-current-schema-id", "expected", r->id, b->current_schema_id);
	case POND_ICEBERG_ASSERT_LAST_ASSIGNED_FIELD_ID:
		return r->id == b->last_column_id ? 0 : conflict(err, "assert-last-assigned-field-id", "expected", r->id, b->last_column_id);
	case POND_ICEBERG_ASSERT_LAST_ASSIGNED_PARTITION_ID:
		return r->id == b->last_partition_id ? 0 : conflict(err, "assert-last-assigned-partition-id", "expected", r->id, b->last_partition_id);
	case POND_ICEBERG_ASSERT_DEFAULT_SPEC_ID:
		return r->id == b->default_spec_id ? 0 : conflict(err, "assert-default-spec-id", "expected", r->id, b->default_spec_id);
	case POND_ICEBERG_ASSERT_DEFAULT_SORT_ORDER_ID:
		return r->id == b->default_sort_order_id ? 0 : conflict(err, "assert-default-sort-order-id", "expected", r->id, b->default_sort_order_id);
	default:
		return pond_error_set(err, POND_EINVAL, "unknown requirement type %d", (int)r->type);
	}
}

static int oom(apply_state *st)
{
	return pond_error_set(st->err, POND_ENOMEM, "out of memory applying metadata updates");
}

/* The first field (at any depth) with a default, or NULL. */
static const pond_iceberg_field *field_with_default(const pond_iceberg_type *t)
{
	if (!t)
		return NULL;
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++) {
			const pond_iceberg_field *f = &t->fields[i];
			if (f->initial_default || f->write_default)
				return f;
			const pond_iceberg_field *inner = field_with_default(f->type);
			if (inner)
				return inner;
		}
		return NULL;
	case POND_ICEBERG_LIST: return field_with_default(t->element);
	case POND_ICEBERG_MAP: {
		const pond_iceberg_field *k = field_with_default(t->key);
		return k ? k : field_with_default(t->value);
	}
	default: return NULL;
	}
}

static int add_schema(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	if (!u->schema)
		return pond_error_set(st->err, POND_EINVAL, "add-schema: missing schema");
	/* spec: initial-default and write-default are v3 fields; a v2 reader
	 * would ignore them and read NULL. */
	const pond_iceberg_field *with_default = md->format_version < 3 ? field_with_default(u->schema->root) : NULL;
	if (with_default)
		return pond_error_set(st->err, POND_EUNSUPPORTED,
		                      "add-schema: field \"%s\" has a default, which needs format v3 (the table is v%d)",
		                      with_default->name, md->format_version);
	int32_t highest = pond_iceberg_schema_highest_field_id(u->schema);
	if (u->last_column_id && u->last_column_id < highest)
		return pond_error_set(st->err, POND_EINVAL, "add-schema: last-column-id %d is below field id %d",
		                      (int)u->last_column_id, (int)highest);
	for (size_t i = 0; i < u->schema->nidentifier_field_ids; i++)
		if (!pond_iceberg_schema_find_field(u->schema, u->schema->identifier_field_ids[i]))
			return pond_error_set(st->err, POND_EINVAL, "add-schema: identifier field %d not found in schema",
			                      (int)u->schema->identifier_field_ids[i]);
	if (highest > md->last_column_id)
		md->last_column_id = highest;
	if (u->last_column_id > md->last_column_id)
		md->last_column_id = u->last_column_id;
	int32_t new_id = 0;
	for (size_t i = 0; i < md->nschemas; i++) {
		const pond_iceberg_schema *s = md->schemas[i];
		if (pond_iceberg_type_equal(s->root, u->schema->root) &&
		    s->nidentifier_field_ids == u->schema->nidentifier_field_ids &&
		    (!s->nidentifier_field_ids || !memcmp(s->identifier_field_ids, u->schema->identifier_field_ids,
		                                          s->nidentifier_field_ids * sizeof(int32_t)))) {
			st->last_added_schema = s->schema_id; /* reuse, as Java does */
			return 0;
		}
		if (s->schema_id >= new_id)
			new_id = s->schema_id + 1;
	}
	pond_iceberg_schema *copy = pond_iceberg_schema_copy(u->schema, md->arena);
	pond_iceberg_schema **slot = copy ? pond__ice_array_push(md->arena, (void **)&md->schemas, &md->nschemas, sizeof(*slot)) : NULL;
	if (!slot)
		return oom(st);
	copy->schema_id = new_id;
	*slot = copy;
	st->last_added_schema = new_id;
	return 0;
}

static bool spec_fields_equal(const pond_iceberg_partition_spec *a, const pond_iceberg_partition_spec *b)
{
	if (a->nfields != b->nfields)
		return false;
	for (size_t i = 0; i < a->nfields; i++)
		if (a->fields[i].source_id != b->fields[i].source_id || a->fields[i].field_id != b->fields[i].field_id ||
		    strcmp(a->fields[i].name, b->fields[i].name) || a->fields[i].transform.kind != b->fields[i].transform.kind ||
		    a->fields[i].transform.param != b->fields[i].transform.param)
			return false;
	return true;
}

static int add_spec(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(md);
	int rc;
	if (!u->spec || !schema)
		return pond_error_set(st->err, POND_EINVAL, "add-spec: %s", u->spec ? "the table has no schema yet" : "missing spec");
	if ((rc = pond_iceberg_partition_spec_check(u->spec, schema, st->err)))
		return pond_error_prefix(st->err, "add-spec");
	int32_t new_id = 0;
	for (size_t i = 0; i < md->nspecs; i++) {
		if (spec_fields_equal(md->specs[i], u->spec)) {
			st->last_added_spec = md->specs[i]->spec_id;
			return 0;
		}
		if (md->specs[i]->spec_id >= new_id)
			new_id = md->specs[i]->spec_id + 1;
	}
	pond_iceberg_partition_spec *copy = pond_arena_memdup(md->arena, u->spec, sizeof(*u->spec));
	if (!copy || (u->spec->nfields && !(copy->fields = pond_arena_memdup(md->arena, u->spec->fields,
	                                                                      u->spec->nfields * sizeof(*copy->fields)))))
		return oom(st);
	for (size_t i = 0; i < copy->nfields; i++)
		if (!(copy->fields[i].name = pond_arena_strdup(md->arena, copy->fields[i].name)))
			return oom(st);
	pond_iceberg_partition_spec **slot = pond__ice_array_push(md->arena, (void **)&md->specs, &md->nspecs, sizeof(*slot));
	if (!slot)
		return oom(st);
	copy->spec_id = new_id;
	*slot = copy;
	int32_t hi = pond_iceberg_partition_spec_highest_field_id(copy);
	if (hi > md->last_partition_id)
		md->last_partition_id = hi;
	st->last_added_spec = new_id;
	return 0;
}

static int add_sort_order(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(md);
	const pond_iceberg_sort_order *o = u->sort_order;
	if (!o || !schema)
		return pond_error_set(st->err, POND_EINVAL, "add-sort-order: %s", o ? "the table has no schema yet" : "missing sort order");
	for (size_t i = 0; i < o->nfields; i++) {
		const pond_iceberg_field *f = pond_iceberg_schema_find_field(schema, o->fields[i].source_id);
		if (!f || !pond_iceberg_transform_accepts(o->fields[i].transform, f->type))
			return pond_error_set(st->err, POND_EINVAL, "add-sort-order: source-id %d %s", (int)o->fields[i].source_id,
			                      f ? "cannot take its transform" : "not found in the current schema");
	}
	int32_t new_id = 1;
	for (size_t i = 0; i < md->nsort_orders; i++) {
		const pond_iceberg_sort_order *e = md->sort_orders[i];
		if (e->nfields == o->nfields && (!o->nfields || !memcmp(e->fields, o->fields, o->nfields * sizeof(*o->fields)))) {
			st->last_added_order = e->order_id;
			return 0;
		}
		if (e->order_id >= new_id)
			new_id = e->order_id + 1;
	}
	pond_iceberg_sort_order *copy = pond_arena_memdup(md->arena, o, sizeof(*o));
	if (!copy || (o->nfields && !(copy->fields = pond_arena_memdup(md->arena, o->fields, o->nfields * sizeof(*o->fields)))))
		return oom(st);
	pond_iceberg_sort_order **slot = pond__ice_array_push(md->arena, (void **)&md->sort_orders, &md->nsort_orders, sizeof(*slot));
	if (!slot)
		return oom(st);
	copy->order_id = o->nfields ? new_id : 0; /* spec: order 0 is the unsorted order */
	*slot = copy;
	st->last_added_order = copy->order_id;
	return 0;
}

static int set_default(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	int32_t id = u->id;
	switch (u->action) {
	case POND_ICEBERG_SET_CURRENT_SCHEMA:
		if (id == -1 && (id = st->last_added_schema) == -1)
			return pond_error_set(st->err, POND_EINVAL, "set-current-schema -1: no schema was added");
		if (!pond_iceberg_metadata_schema(md, id))
			return pond_error_set(st->err, POND_EINVAL, "set-current-schema: schema %d not found", (int)id);
		md->current_schema_id = id;
		return 0;
	case POND_ICEBERG_SET_DEFAULT_SPEC:
		if (id == -1 && (id = st->last_added_spec) == -1)
			return pond_error_set(st->err, POND_EINVAL, "set-default-spec -1: no spec was added");
		if (!pond_iceberg_metadata_spec(md, id))
			return pond_error_set(st->err, POND_EINVAL, "set-default-spec: spec %d not found", (int)id);
		md->default_spec_id = id;
		return 0;
	default:
		if (id == -1 && (id = st->last_added_order) == -1)
			return pond_error_set(st->err, POND_EINVAL, "set-default-sort-order -1: no sort order was added");
		if (!pond_iceberg_metadata_sort_order(md, id))
			return pond_error_set(st->err, POND_EINVAL, "set-default-sort-order: sort order %d not found", (int)id);
		md->default_sort_order_id = id;
		return 0;
	}
}

static const char *dup(pond_arena *arena, const char *s, bool *ok)
{
	const char *c = s ? pond_arena_strdup(arena, s) : NULL;
	if (s && !c)
		*ok = false;
	return c;
}

static int add_snapshot(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	const pond_iceberg_snapshot *s = u->snapshot;
	if (!s)
		return pond_error_set(st->err, POND_EINVAL, "add-snapshot: missing snapshot");
	if (pond_iceberg_metadata_snapshot(md, s->snapshot_id))
		return pond_error_set(st->err, POND_EINVAL, "add-snapshot: snapshot %lld already exists", (long long)s->snapshot_id);
	/* spec: sequence numbers only grow, so readers order changes by them */
	if (s->sequence_number <= md->last_sequence_number)
		return pond_error_set(st->err, POND_EINVAL, "add-snapshot: sequence-number %lld is not above last-sequence-number %lld",
		                      (long long)s->sequence_number, (long long)md->last_sequence_number);
	if (s->has_parent && !pond_iceberg_metadata_snapshot(md, s->parent_snapshot_id))
		return pond_error_set(st->err, POND_EINVAL, "add-snapshot: parent snapshot %lld not found", (long long)s->parent_snapshot_id);
	if (!s->manifest_list)
		return pond_error_set(st->err, POND_EINVAL, "add-snapshot: missing manifest-list");
	pond_iceberg_snapshot *c = pond__ice_array_push(md->arena, (void **)&md->snapshots, &md->nsnapshots, sizeof(*c));
	if (!c)
		return oom(st);
	bool ok = true;
	*c = *s;
	c->extra = NULL;
	c->nmanifests = 0;
	c->manifests = NULL;
	c->manifest_list = dup(md->arena, s->manifest_list, &ok);
	c->operation = dup(md->arena, s->operation, &ok);
	c->summary = s->nsummary ? pond_arena_memdup(md->arena, s->summary, s->nsummary * sizeof(*s->summary)) : NULL;
	if (s->nsummary && !c->summary)
		return oom(st);
	for (size_t i = 0; i < c->nsummary && ok; i++) {
		c->summary[i].key = dup(md->arena, s->summary[i].key, &ok);
		c->summary[i].value = dup(md->arena, s->summary[i].value, &ok);
	}
	if (!ok)
		return oom(st);
	c->extra = s->extra ? json_incref(s->extra) : NULL;
	md->last_sequence_number = s->sequence_number;
	return 0;
}

static int set_ref(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	const pond_iceberg_snapshot *snap = pond_iceberg_metadata_snapshot(md, u->ref.snapshot_id);
	if (!u->ref.name || !snap)
		return pond_error_set(st->err, POND_EINVAL, "set-snapshot-ref %s: snapshot %lld not found",
		                      u->ref.name ? u->ref.name : "(null)", (long long)u->ref.snapshot_id);
	bool is_main = strcmp(u->ref.name, "main") == 0;
	if (is_main && u->ref.is_tag)
		return pond_error_set(st->err, POND_EINVAL, "set-snapshot-ref: main must be a branch");
	pond_iceberg_ref *r = (pond_iceberg_ref *)pond_iceberg_metadata_ref(md, u->ref.name);
	if (!r && !(r = pond__ice_array_push(md->arena, (void **)&md->refs, &md->nrefs, sizeof(*r))))
		return oom(st);
	const char *name = r->name ? r->name : pond_arena_strdup(md->arena, u->ref.name);
	if (!name)
		return oom(st);
	*r = u->ref;
	r->name = name;
	if (is_main && md->current_snapshot_id != snap->snapshot_id) {
		pond_iceberg_snapshot_log_entry *e =
			pond__ice_array_push(md->arena, (void **)&md->snapshot_log, &md->nsnapshot_log, sizeof(*e));
		if (!e)
			return oom(st);
		/* as Java: a snapshot added in this commit logs its own time */
		bool added_now = !st->base || !pond_iceberg_metadata_snapshot(st->base, snap->snapshot_id);
		e->timestamp_ms = added_now ? snap->timestamp_ms : st->now_ms;
		e->snapshot_id = snap->snapshot_id;
		md->current_snapshot_id = snap->snapshot_id;
	}
	return 0;
}

static void remove_ref_at(pond_iceberg_metadata *md, size_t i)
{
	if (strcmp(md->refs[i].name, "main") == 0)
		md->current_snapshot_id = POND_ICEBERG_NO_SNAPSHOT;
	memmove(&md->refs[i], &md->refs[i + 1], (md->nrefs - i - 1) * sizeof(*md->refs));
	md->nrefs--;
}

static int remove_snapshots(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	size_t kept = 0;
	for (size_t i = 0; i < md->nsnapshots; i++) {
		bool drop = false;
		for (size_t k = 0; k < u->nsnapshot_ids; k++)
			drop |= md->snapshots[i].snapshot_id == u->snapshot_ids[k];
		if (drop)
			json_decref(md->snapshots[i].extra);
		else
			md->snapshots[kept++] = md->snapshots[i];
	}
	md->nsnapshots = kept;
	/* refs to removed snapshots go too, as do their snapshot-log entries */
	for (size_t i = md->nrefs; i-- > 0;)
		if (!pond_iceberg_metadata_snapshot(md, md->refs[i].snapshot_id))
			remove_ref_at(md, i);
	kept = 0;
	for (size_t i = 0; i < md->nsnapshot_log; i++)
		if (pond_iceberg_metadata_snapshot(md, md->snapshot_log[i].snapshot_id))
			md->snapshot_log[kept++] = md->snapshot_log[i];
	md->nsnapshot_log = kept;
	/* as Java: statistics of removed snapshots go with them */
	json_t **lists[] = {&md->statistics, &md->partition_statistics};
	for (size_t l = 0; l < 2; l++) {
		if (!*lists[l])
			continue;
		json_t *keep = json_array();
		size_t i;
		json_t *s;
		if (!keep)
			return oom(st);
		json_array_foreach(*lists[l], i, s) {
			json_int_t id = json_integer_value(json_object_get(s, "snapshot-id"));
			if (pond_iceberg_metadata_snapshot(md, (int64_t)id) && json_array_append(keep, s) != 0) {
				json_decref(keep);
				return oom(st);
			}
		}
		json_decref(*lists[l]);
		*lists[l] = keep;
	}
	return 0;
}

static int set_properties(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	for (size_t i = 0; i < u->nproperties; i++) {
		pond_iceberg_kv *kv = NULL;
		for (size_t k = 0; k < md->nproperties && !kv; k++)
			if (strcmp(md->properties[k].key, u->properties[i].key) == 0)
				kv = &md->properties[k];
		if (!kv && !(kv = pond__ice_array_push(md->arena, (void **)&md->properties, &md->nproperties, sizeof(*kv))))
			return oom(st);
		if (!kv->key && !(kv->key = pond_arena_strdup(md->arena, u->properties[i].key)))
			return oom(st);
		if (!(kv->value = pond_arena_strdup(md->arena, u->properties[i].value)))
			return oom(st);
	}
	return 0;
}

static int remove_properties(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	size_t kept = 0;
	for (size_t i = 0; i < md->nproperties; i++) {
		bool drop = false;
		for (size_t k = 0; k < u->nremovals; k++)
			drop |= strcmp(md->properties[i].key, u->removals[k]) == 0;
		if (!drop)
			md->properties[kept++] = md->properties[i];
	}
	md->nproperties = kept;
	return 0;
}

static int set_string(apply_state *st, const char **field, const char *value, const char *action)
{
	if (!value)
		return pond_error_set(st->err, POND_EINVAL, "%s: missing value", action);
	if (!(*field = pond_arena_strdup(st->md->arena, value)))
		return oom(st);
	return 0;
}

static int apply_one(apply_state *st, const pond_iceberg_update *u)
{
	pond_iceberg_metadata *md = st->md;
	switch (u->action) {
	case POND_ICEBERG_ASSIGN_UUID:
		if (st->base && u->uuid && strcasecmp(st->base->table_uuid, u->uuid) != 0)
			return pond_error_set(st->err, POND_EINVAL, "assign-uuid: cannot change the uuid of table %s", st->base->table_uuid);
		return set_string(st, &md->table_uuid, u->uuid, "assign-uuid");
	case POND_ICEBERG_UPGRADE_FORMAT_VERSION:
		if (u->format_version > 2)
			return pond_error_set(st->err, POND_EUNSUPPORTED, "upgrade-format-version: format v%d is not supported", u->format_version);
		if (u->format_version < md->format_version)
			return pond_error_set(st->err, POND_EINVAL, "upgrade-format-version: cannot downgrade from v%d to v%d",
			                      md->format_version, u->format_version);
		md->format_version = u->format_version;
		return 0;
	case POND_ICEBERG_ADD_SCHEMA: return add_schema(st, u);
	case POND_ICEBERG_ADD_SPEC: return add_spec(st, u);
	case POND_ICEBERG_ADD_SORT_ORDER: return add_sort_order(st, u);
	case POND_ICEBERG_SET_CURRENT_SCHEMA:
	case POND_ICEBERG_SET_DEFAULT_SPEC:
	case POND_ICEBERG_SET_DEFAULT_SORT_ORDER: return set_default(st, u);
	case POND_ICEBERG_ADD_SNAPSHOT: return add_snapshot(st, u);
	case POND_ICEBERG_SET_SNAPSHOT_REF: return set_ref(st, u);
	case POND_ICEBERG_REMOVE_SNAPSHOTS: return remove_snapshots(st, u);
	case POND_ICEBERG_REMOVE_SNAPSHOT_REF:
		for (size_t i = 0; u->ref.name && i < md->nrefs; i++)
			if (strcmp(md->refs[i].name, u->ref.name) == 0) {
				remove_ref_at(md, i);
				break;
			}
		return 0;
	case POND_ICEBERG_SET_LOCATION: return set_string(st, &md->location, u->location, "set-location");
	case POND_ICEBERG_SET_PROPERTIES: return set_properties(st, u);
	case POND_ICEBERG_REMOVE_PROPERTIES: return remove_properties(st, u);
	default:
		return pond_error_set(st->err, POND_EINVAL, "unknown update action %d", (int)u->action);
	}
}

/* An empty v2 table: no schema, spec or order yet (ids -1), as the REST
 * create flow starts. */
static int empty_metadata(pond_iceberg_metadata **out, pond_error *err)
{
	pond_iceberg_metadata *md = pond_calloc(1, sizeof(*md));
	if (!md || !(md->arena = pond_arena_new())) {
		pond_free(md);
		return pond_error_set(err, POND_ENOMEM, "out of memory creating table metadata");
	}
	md->format_version = 2;
	md->current_schema_id = md->default_spec_id = md->default_sort_order_id = -1;
	md->last_partition_id = POND_ICEBERG_PARTITION_FIELD_START - 1;
	md->current_snapshot_id = POND_ICEBERG_NO_SNAPSHOT;
	*out = md;
	return 0;
}

static int record_base(apply_state *st, const pond_iceberg_apply_options *opts)
{
	pond_iceberg_metadata *md = st->md;
	if (!st->base || !opts->base_metadata_location)
		return 0;
	pond_iceberg_metadata_log_entry *e =
		pond__ice_array_push(md->arena, (void **)&md->metadata_log, &md->nmetadata_log, sizeof(*e));
	if (!e || !(e->metadata_file = pond_arena_strdup(md->arena, opts->base_metadata_location)))
		return oom(st);
	e->timestamp_ms = st->base->last_updated_ms;
	return 0;
}

/* Keeps the newest metadata-log entries: write.metadata.previous-versions-max
 * of the result (as Java's TableMetadata.Builder reads it, at least 1),
 * else opts->max_metadata_log. On every commit, so lowering the property
 * trims the log at the next one. */
static void trim_metadata_log(pond_iceberg_metadata *md, const pond_iceberg_apply_options *opts)
{
	int64_t v = pond_iceberg_metadata_property_i64(md, "write.metadata.previous-versions-max",
	                                               opts->max_metadata_log ? (int64_t)opts->max_metadata_log : 1);
	size_t max = v < 1 ? 1 : (size_t)v;
	if (md->nmetadata_log > max) {
		size_t drop = md->nmetadata_log - max;
		md->metadata_log += drop; /* arena memory: the oldest entries just fall off */
		md->nmetadata_log = max;
	}
}

static int finish(apply_state *st, const pond_iceberg_apply_options *opts)
{
	pond_iceberg_metadata *md = st->md;
	int rc;
	if (!md->table_uuid) {
		char uuid[37];
		pond_uuid_v4_string(uuid);
		if ((rc = set_string(st, &md->table_uuid, uuid, "assign-uuid")))
			return rc;
	}
	if (!md->location)
		return pond_error_set(st->err, POND_EINVAL, "new table metadata: missing location (set-location)");
	if ((rc = record_base(st, opts)))
		return rc;
	trim_metadata_log(md, opts);
	/* pond writes v2; v1 metadata and manifests stay valid in v2 (spec) */
	md->format_version = 2;
	md->last_updated_ms = st->now_ms;
	const pond_iceberg_ref *main_ref = pond_iceberg_metadata_ref(md, "main");
	md->current_snapshot_id = main_ref ? main_ref->snapshot_id : POND_ICEBERG_NO_SNAPSHOT;
	return pond_iceberg_metadata_validate(md, "new table metadata", st->err);
}

int pond_iceberg_metadata_apply(pond_iceberg_metadata **out, const pond_iceberg_metadata *base,
                                const pond_iceberg_requirement *requirements, size_t nrequirements,
                                const pond_iceberg_update *updates, size_t nupdates,
                                const pond_iceberg_apply_options *opts, pond_error *err)
{
	static const pond_iceberg_apply_options defaults = POND_ICEBERG_APPLY_OPTIONS_INIT;
	apply_state st = {NULL, base, -1, -1, -1, 0, err};
	int rc = 0;
	if (!opts)
		opts = &defaults;
	for (size_t i = 0; i < nrequirements; i++)
		if ((rc = check_requirement(base, &requirements[i], err)))
			return rc;
	rc = base ? pond_iceberg_metadata_copy(&st.md, base, err) : empty_metadata(&st.md, err);
	if (rc)
		return rc;
	st.now_ms = opts->now_ms ? opts->now_ms : pond_time_now_ms();
	if (base && st.now_ms < base->last_updated_ms)
		st.now_ms = base->last_updated_ms; /* clocks may step back; time in metadata may not */
	for (size_t i = 0; i < nupdates && !rc; i++)
		rc = apply_one(&st, &updates[i]);
	if (!rc)
		rc = finish(&st, opts);
	if (rc) {
		pond_iceberg_metadata_free(&st.md);
		return rc;
	}
	*out = st.md;
	return 0;
}
