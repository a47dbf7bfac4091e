/*
 * Creating a table: the commit (requirement and updates) that makes new
 * table metadata, as a REST client would send it. Field ids are assigned
 * fresh, and the partition spec and sort order, which name columns by the
 * caller's ids, are rebound to the new ids by column name.
 */
#include "iceberg_internal.h"

#include <string.h>

/* The new id of the column that had old_id in the caller's schema. */
static int rebind(int32_t *out, int32_t old_id, const pond_iceberg_schema *old_schema,
                  const pond_iceberg_schema *fresh, pond_error *err)
{
	pond_buf name = POND_BUF_INIT;
	const pond_iceberg_field *f = NULL;
	if (pond_iceberg_schema_field_name(&name, old_schema, old_id) && pond_buf_ok(&name))
		f = pond_iceberg_schema_find_name(fresh, pond_buf_cstr(&name));
	pond_buf_dispose(&name);
	if (!f)
		return pond_error_set(err, POND_EINVAL, "create table: source-id %d not found in schema", (int)old_id);
	*out = f->id;
	return 0;
}

static int fresh_spec(pond_iceberg_partition_spec **out, const pond_iceberg_partition_spec *spec,
                      const pond_iceberg_schema *old_schema, const pond_iceberg_schema *fresh, pond_arena *arena,
                      pond_error *err)
{
	pond_iceberg_partition_spec *s = pond_arena_calloc(arena, 1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (spec && spec->nfields) {
		s->nfields = spec->nfields;
		if (!(s->fields = pond_arena_memdup(arena, spec->fields, spec->nfields * sizeof(*s->fields))))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t i = 0; i < s->nfields; i++) {
			int rc = rebind(&s->fields[i].source_id, spec->fields[i].source_id, old_schema, fresh, err);
			if (rc)
				return rc;
			s->fields[i].field_id = POND_ICEBERG_PARTITION_FIELD_START + (int32_t)i;
		}
	}
	*out = s;
	return 0;
}

static int fresh_order(pond_iceberg_sort_order **out, const pond_iceberg_sort_order *order,
                       const pond_iceberg_schema *old_schema, const pond_iceberg_schema *fresh, pond_arena *arena,
                       pond_error *err)
{
	pond_iceberg_sort_order *o = pond_arena_calloc(arena, 1, sizeof(*o));
	if (!o)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (order && order->nfields) {
		o->order_id = 1;
		o->nfields = order->nfields;
		if (!(o->fields = pond_arena_memdup(arena, order->fields, order->nfields * sizeof(*o->fields))))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t i = 0; i < o->nfields; i++) {
			int rc = rebind(&o->fields[i].source_id, order->fields[i].source_id, old_schema, fresh, err);
			if (rc)
				return rc;
		}
	}
	*out = o;
	return 0;
}

static int build(pond_iceberg_commit *c, const pond_iceberg_schema *schema, const pond_iceberg_partition_spec *spec,
                 const pond_iceberg_sort_order *order, const char *location, const pond_iceberg_kv *properties,
                 size_t nproperties, pond_error *err)
{
	pond_iceberg_schema *fresh = NULL;
	pond_iceberg_partition_spec *s = NULL;
	pond_iceberg_sort_order *o = NULL;
	pond_iceberg_kv *props = nproperties ? pond_arena_calloc(c->arena, nproperties, sizeof(*props)) : NULL;
	int32_t last_column_id;
	char uuid[37];
	int rc;
	if ((rc = pond_iceberg_schema_assign_fresh_ids(&fresh, schema, &last_column_id, c->arena, err)) ||
	    (rc = fresh_spec(&s, spec, schema, fresh, c->arena, err)) ||
	    (rc = fresh_order(&o, order, schema, fresh, c->arena, err)))
		return rc;
	pond_uuid_v4_string(uuid);
	c->requirements = pond_arena_calloc(c->arena, 1, sizeof(*c->requirements));
	c->updates = pond_arena_calloc(c->arena, 10, sizeof(*c->updates));
	const char *uuid_copy = pond_arena_strdup(c->arena, uuid), *loc = pond_arena_strdup(c->arena, location);
	if (!c->requirements || !c->updates || !uuid_copy || !loc || (nproperties && !props))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nproperties; i++)
		if (!(props[i].key = pond_arena_strdup(c->arena, properties[i].key)) ||
		    !(props[i].value = pond_arena_strdup(c->arena, properties[i].value)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	c->requirements[c->nrequirements++].type = POND_ICEBERG_ASSERT_CREATE;
	pond_iceberg_update *u = c->updates;
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ASSIGN_UUID, .uuid = uuid_copy};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_UPGRADE_FORMAT_VERSION, .format_version = 2};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SCHEMA, .schema = fresh,
	                                         .last_column_id = last_column_id};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_CURRENT_SCHEMA, .id = -1};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SPEC, .spec = s};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_DEFAULT_SPEC, .id = -1};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_ADD_SORT_ORDER, .sort_order = o};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_DEFAULT_SORT_ORDER, .id = -1};
	u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_LOCATION, .location = loc};
	if (nproperties)
		u[c->nupdates++] = (pond_iceberg_update){.action = POND_ICEBERG_SET_PROPERTIES, .properties = props,
		                                         .nproperties = nproperties};
	return 0;
}

int pond_iceberg_create_commit(pond_iceberg_commit **out, const pond_iceberg_schema *schema,
                               const pond_iceberg_partition_spec *spec, const pond_iceberg_sort_order *order,
                               const char *location, const pond_iceberg_kv *properties, size_t nproperties,
                               pond_error *err)
{
	pond_iceberg_commit *c = pond_calloc(1, sizeof(*c));
	if (!c || !(c->arena = pond_arena_new())) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	int rc = build(c, schema, spec, order, location, properties, nproperties, err);
	if (rc) {
		pond_iceberg_commit_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

int pond_iceberg_metadata_create(pond_iceberg_metadata **out, const pond_iceberg_schema *schema,
                                 const pond_iceberg_partition_spec *spec, const pond_iceberg_sort_order *order,
                                 const char *location, const pond_iceberg_kv *properties, size_t nproperties,
                                 pond_error *err)
{
	pond_iceberg_commit *c;
	int rc = pond_iceberg_create_commit(&c, schema, spec, order, location, properties, nproperties, err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_apply(out, NULL, c->requirements, c->nrequirements, c->updates, c->nupdates, NULL, err);
	pond_iceberg_commit_free(&c);
	return rc;
}
