/*
 * Sort orders (spec "Sort Orders"): order-id 0 is the unsorted order; each
 * field has a transform, a source column, a direction and a null order.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>

typedef struct {
	pond_arena *arena;
	const char *what;
} field_ctx;

static int field_from_json(void *item, const json_t *json, void *payload, pond_error *err)
{
	pond_iceberg_sort_field *f = item;
	pond_arena *arena = ((field_ctx *)payload)->arena;
	const char *what = ((field_ctx *)payload)->what;
	int rc;
	const char *transform, *direction, *null_order;
	if ((rc = pond__ice_get_i32(json, "source-id", &f->source_id, true, what, err)) ||
	    (rc = pond__ice_get_str(json, "transform", &transform, true, arena, what, err)) ||
	    (rc = pond__ice_get_str(json, "direction", &direction, true, arena, what, err)) ||
	    (rc = pond__ice_get_str(json, "null-order", &null_order, true, arena, what, err)))
		return rc;
	if ((rc = pond_iceberg_transform_parse(&f->transform, transform, err)))
		return pond_error_prefix(err, "%s: sort field", what);
	if (strcmp(direction, "asc") && strcmp(direction, "desc"))
		return pond_error_set(err, POND_EINVAL, "%s: sort field: unknown direction \"%.40s\"", what, direction);
	if (strcmp(null_order, "nulls-first") && strcmp(null_order, "nulls-last"))
		return pond_error_set(err, POND_EINVAL, "%s: sort field: unknown null-order \"%.40s\"", what,
		                      null_order);
	f->descending = direction[0] == 'd';
	f->nulls_first = strcmp(null_order, "nulls-first") == 0;
	return 0;
}

int pond_iceberg_sort_order_from_json(pond_iceberg_sort_order **out, const json_t *json, pond_arena *arena,
                                      const char *what, pond_error *err)
{
	int rc;
	json_t *fields;
	pond_iceberg_sort_order *o = pond_arena_calloc(arena, 1, sizeof(*o));
	if (!o)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	if ((rc = pond__ice_get_i32(json, "order-id", &o->order_id, true, what, err)) ||
	    (rc = pond__ice_get_array(json, "fields", &fields, true, what, err)))
		return rc;
	field_ctx ctx = {arena, what};
	void *items;
	if ((rc = pond__ice_read_objects(&items, &o->nfields, fields, sizeof(*o->fields), field_from_json, &ctx, arena,
	                                 what, "sort field", err)))
		return rc;
	o->fields = items;
	*out = o;
	return 0;
}

json_t *pond_iceberg_sort_order_to_json(const pond_iceberg_sort_order *order)
{
	bool ok = true;
	json_t *o = json_object(), *fields = json_array();
	pond__ice_set(o, "order-id", json_integer(order->order_id), &ok);
	for (size_t i = 0; i < order->nfields; i++) {
		const pond_iceberg_sort_field *f = &order->fields[i];
		char transform[32];
		json_t *fo = json_object();
		pond_iceberg_transform_format(transform, f->transform);
		pond__ice_set(fo, "transform", json_string(transform), &ok);
		pond__ice_set(fo, "source-id", json_integer(f->source_id), &ok);
		pond__ice_set(fo, "direction", json_string(f->descending ? "desc" : "asc"), &ok);
		pond__ice_set(fo, "null-order", json_string(f->nulls_first ? "nulls-first" : "nulls-last"), &ok);
		pond__ice_append(fields, fo, &ok);
	}
	pond__ice_set(o, "fields", fields, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}
