/*
 * The commit that turns one metadata version into the next, as a REST
 * catalog client sends it: requirements that hold for the base (so a
 * server whose table moved answers 409) and updates that, applied to the
 * base, give the next version. pond builds and applies its changes
 * locally; this is how such a change travels to a catalog it does not
 * host. What metadata keeps on its own (sequence numbers, logs,
 * last-updated-ms) is the server's to recompute and is not sent.
 */
#include "iceberg_internal.h"

#include <string.h>

/* Room for every update and requirement a diff can make: a few per
 * schema, spec, order, snapshot and ref, and a fixed handful. */
static size_t capacity(const pond_iceberg_metadata *base, const pond_iceberg_metadata *next)
{
	size_t n = 16 + next->nschemas + next->nspecs + next->nsort_orders + next->nsnapshots + 2 * next->nrefs;
	return base ? n + 2 * base->nrefs : n;
}

static bool has_schema(const pond_iceberg_metadata *md, int32_t id)
{
	return md && pond_iceberg_metadata_schema(md, id) != NULL;
}

static bool has_spec(const pond_iceberg_metadata *md, int32_t id)
{
	return md && pond_iceberg_metadata_spec(md, id) != NULL;
}

static bool has_order(const pond_iceberg_metadata *md, int32_t id)
{
	return md && pond_iceberg_metadata_sort_order(md, id) != NULL;
}

static bool same_ref(const pond_iceberg_ref *a, const pond_iceberg_ref *b)
{
	return a && b && a->is_tag == b->is_tag && a->snapshot_id == b->snapshot_id &&
	       a->max_ref_age_ms == b->max_ref_age_ms && a->max_snapshot_age_ms == b->max_snapshot_age_ms &&
	       a->min_snapshots_to_keep == b->min_snapshots_to_keep;
}

/* Schemas, specs and sort orders next has and base lacks, and the
 * current/default ids that moved. */
static void diff_structure(pond_iceberg_commit *c, const pond_iceberg_metadata *base, const pond_iceberg_metadata *next)
{
	pond_iceberg_update *u = c->updates;
	if (base && base->format_version < 2)
		u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_UPGRADE_FORMAT_VERSION, .format_version = 2};
	for (size_t i = 0; i < next->nschemas; i++)
		if (!has_schema(base, next->schemas[i]->schema_id))
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SCHEMA, .schema = next->schemas[i],
			                                         .last_column_id = next->last_column_id};
	if (!base || base->current_schema_id != next->current_schema_id)
		u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_CURRENT_SCHEMA, .id = next->current_schema_id};
	for (size_t i = 0; i < next->nspecs; i++)
		if (!has_spec(base, next->specs[i]->spec_id))
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SPEC, .spec = next->specs[i]};
	if (!base || base->default_spec_id != next->default_spec_id)
		u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_DEFAULT_SPEC, .id = next->default_spec_id};
	for (size_t i = 0; i < next->nsort_orders; i++)
		if (!has_order(base, next->sort_orders[i]->order_id))
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SORT_ORDER,
			                                         .sort_order = next->sort_orders[i]};
	if (!base || base->default_sort_order_id != next->default_sort_order_id)
		u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_DEFAULT_SORT_ORDER,
		                                         .id = next->default_sort_order_id};
	if (!base || !base->location || !next->location || strcmp(base->location, next->location) != 0)
		if (next->location)
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_LOCATION, .location = next->location};
}

/* set-properties for keys new or changed, remove-properties for keys gone. */
static int diff_properties(pond_iceberg_commit *c, const pond_iceberg_metadata *base, const pond_iceberg_metadata *next,
                           pond_error *err)
{
	pond_iceberg_kv *set = pond_arena_calloc(c->arena, next->nproperties + 1, sizeof(*set));
	size_t nbase = base ? base->nproperties : 0, nset = 0, nremove = 0;
	const char **remove = pond_arena_calloc(c->arena, nbase + 1, sizeof(*remove));
	if (!set || !remove)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < next->nproperties; i++) {
		const char *was = base ? pond_iceberg_metadata_property(base, next->properties[i].key) : NULL;
		if (!was || strcmp(was, next->properties[i].value) != 0)
			set[nset++] = next->properties[i];
	}
	for (size_t i = 0; i < nbase; i++)
		if (!pond_iceberg_metadata_property(next, base->properties[i].key))
			remove[nremove++] = base->properties[i].key;
	if (nset)
		c->updates[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_PROPERTIES, .properties = set,
		                                                  .nproperties = nset};
	if (nremove)
		c->updates[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_REMOVE_PROPERTIES, .removals = remove,
		                                                  .nremovals = nremove};
	return 0;
}

/* New snapshots, refs removed, refs set, then snapshots removed: a
 * snapshot is added before a ref names it and dropped after the refs
 * that named it. */
static int diff_snapshots(pond_iceberg_commit *c, const pond_iceberg_metadata *base, const pond_iceberg_metadata *next,
                          pond_error *err)
{
	pond_iceberg_update *u = c->updates;
	for (size_t i = 0; i < next->nsnapshots; i++)
		if (!base || !pond_iceberg_metadata_snapshot(base, next->snapshots[i].snapshot_id))
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SNAPSHOT, .snapshot = &next->snapshots[i]};
	for (size_t i = 0; base && i < base->nrefs; i++)
		if (!pond_iceberg_metadata_ref(next, base->refs[i].name))
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_REMOVE_SNAPSHOT_REF, .ref = base->refs[i]};
	for (size_t i = 0; i < next->nrefs; i++)
		if (!same_ref(base ? pond_iceberg_metadata_ref(base, next->refs[i].name) : NULL, &next->refs[i]))
			u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_SNAPSHOT_REF, .ref = next->refs[i]};
	size_t nbase = base ? base->nsnapshots : 0, ngone = 0;
	int64_t *gone = pond_arena_calloc(c->arena, nbase + 1, sizeof(*gone));
	if (!gone)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nbase; i++)
		if (!pond_iceberg_metadata_snapshot(next, base->snapshots[i].snapshot_id))
			gone[ngone++] = base->snapshots[i].snapshot_id;
	if (ngone)
		u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_REMOVE_SNAPSHOTS, .snapshot_ids = gone,
		                                         .nsnapshot_ids = ngone};
	return 0;
}

static void require(pond_iceberg_commit *c, pond_iceberg_requirement r)
{
	c->requirements[c->nrequirements++] = r;
}

/* What must still hold of the base: the table is the same one, every ref
 * the change moves (and main, whatever moves) still points where it did,
 * and the ids the added structures were numbered after are still the
 * last. */
static void diff_requirements(pond_iceberg_commit *c, const pond_iceberg_metadata *base,
                              const pond_iceberg_metadata *next)
{
	if (!base) {
		require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_CREATE});
		return;
	}
	require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_TABLE_UUID, .uuid = base->table_uuid});
	const pond_iceberg_ref *main_ref = pond_iceberg_metadata_ref(base, "main");
	require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID, .ref = "main",
	                                      .has_snapshot_id = main_ref != NULL,
	                                      .snapshot_id = main_ref ? main_ref->snapshot_id : 0});
	for (size_t i = 0; i < next->nrefs; i++) {
		const pond_iceberg_ref *was = pond_iceberg_metadata_ref(base, next->refs[i].name);
		if (strcmp(next->refs[i].name, "main") != 0 && !same_ref(was, &next->refs[i]))
			require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID, .ref = next->refs[i].name,
			                                      .has_snapshot_id = was != NULL,
			                                      .snapshot_id = was ? was->snapshot_id : 0});
	}
	for (size_t i = 0; i < base->nrefs; i++)
		if (strcmp(base->refs[i].name, "main") != 0 && !pond_iceberg_metadata_ref(next, base->refs[i].name))
			require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID, .ref = base->refs[i].name,
			                                      .has_snapshot_id = true, .snapshot_id = base->refs[i].snapshot_id});
	if (base->current_schema_id != next->current_schema_id || base->nschemas != next->nschemas) {
		require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_CURRENT_SCHEMA_ID, .id = base->current_schema_id});
		require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_LAST_ASSIGNED_FIELD_ID,
		                                      .id = base->last_column_id});
	}
	if (base->default_spec_id != next->default_spec_id || base->nspecs != next->nspecs) {
		require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_DEFAULT_SPEC_ID, .id = base->default_spec_id});
		require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_LAST_ASSIGNED_PARTITION_ID,
		                                      .id = base->last_partition_id});
	}
	if (base->default_sort_order_id != next->default_sort_order_id)
		require(c, (pond_iceberg_requirement){.type = POND_ICEBERG_ASSERT_DEFAULT_SORT_ORDER_ID,
		                                      .id = base->default_sort_order_id});
}

int pond_iceberg_metadata_diff(pond_iceberg_commit **out, const pond_iceberg_metadata *base,
                               const pond_iceberg_metadata *next, pond_error *err)
{
	pond_iceberg_commit *c = pond_calloc(1, sizeof(*c));
	if (!c || !(c->arena = pond_arena_new())) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	size_t cap = capacity(base, next);
	c->updates = pond_arena_calloc(c->arena, cap, sizeof(*c->updates));
	c->requirements = pond_arena_calloc(c->arena, cap, sizeof(*c->requirements));
	int rc = c->updates && c->requirements ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0) {
		diff_requirements(c, base, next);
		if (!base)
			c->updates[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ASSIGN_UUID,
			                                                  .uuid = next->table_uuid};
		if (!base)
			c->updates[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_UPGRADE_FORMAT_VERSION,
			                                                  .format_version = 2};
		diff_structure(c, base, next);
		rc = diff_properties(c, base, next, err);
	}
	if (rc == 0)
		rc = diff_snapshots(c, base, next, err);
	if (rc) {
		pond_iceberg_commit_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

json_t *pond_iceberg_commit_to_json(const pond_iceberg_commit *c)
{
	json_t *doc = json_object(), *reqs = json_array(), *ups = json_array();
	bool ok = doc && reqs && ups;
	for (size_t i = 0; ok && i < c->nrequirements; i++)
		ok = json_array_append_new(reqs, pond_iceberg_requirement_to_json(&c->requirements[i])) == 0;
	for (size_t i = 0; ok && i < c->nupdates; i++)
		ok = json_array_append_new(ups, pond_iceberg_update_to_json(&c->updates[i])) == 0;
	ok = ok && json_object_set(doc, "requirements", reqs) == 0 && json_object_set(doc, "updates", ups) == 0;
	json_decref(reqs);
	json_decref(ups);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
