/*
 * Partition specs and sort orders read their field lists through one
 * helper: each element must be an object, the array keeps its order, and
 * an error names the file and the kind of field.
 */
#include "../test.h"

#include <jansson.h>
#include <string.h>

#include "pond/iceberg.h"

static json_t *parse(const char *text)
{
	json_error_t je;
	return json_loads(text, 0, &je);
}

TEST(field_lists_read_partition_and_sort_fields_in_order)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	json_t *spec_json = parse("{\"spec-id\": 3, \"fields\": [{\"source-id\": 1, \"field-id\": 1000, \"name\": \"d\","
	                          " \"transform\": \"day\"}, {\"source-id\": 2, \"field-id\": 1001, \"name\": \"b\","
	                          " \"transform\": \"bucket[4]\"}]}");
	pond_iceberg_partition_spec *spec = NULL;
	CHECK_INT(pond_iceberg_partition_spec_from_json(&spec, spec_json, NULL, a, "m.json", &err), 0);
	CHECK_INT(spec->spec_id, 3);
	CHECK_INT(spec->nfields, 2);
	CHECK_STR(spec->fields[1].name, "b");
	CHECK_INT(spec->fields[1].field_id, 1001);
	json_t *order_json = parse("{\"order-id\": 1, \"fields\": [{\"source-id\": 2, \"transform\": \"identity\","
	                           " \"direction\": \"desc\", \"null-order\": \"nulls-first\"}]}");
	pond_iceberg_sort_order *order = NULL;
	CHECK_INT(pond_iceberg_sort_order_from_json(&order, order_json, a, "m.json", &err), 0);
	CHECK_INT(order->nfields, 1);
	CHECK(order->fields[0].descending && order->fields[0].nulls_first);
	json_t *empty = parse("{\"order-id\": 0, \"fields\": []}");
	CHECK_INT(pond_iceberg_sort_order_from_json(&order, empty, a, "m.json", &err), 0);
	CHECK_INT(order->nfields, 0);
	CHECK(order->fields == NULL);
	json_decref(spec_json);
	json_decref(order_json);
	json_decref(empty);
	pond_arena_free(&a);
}

TEST(field_lists_name_the_kind_of_field_that_is_not_an_object)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	json_t *spec_json = parse("{\"spec-id\": 0, \"fields\": [7]}");
	pond_iceberg_partition_spec *spec = NULL;
	CHECK_INT(pond_iceberg_partition_spec_from_json(&spec, spec_json, NULL, a, "m.json", &err), POND_EINVAL);
	CHECK_STR(err.msg, "m.json: partition field must be an object");
	json_t *order_json = parse("{\"order-id\": 1, \"fields\": [\"x\"]}");
	pond_iceberg_sort_order *order = NULL;
	CHECK_INT(pond_iceberg_sort_order_from_json(&order, order_json, a, "m.json", &err), POND_EINVAL);
	CHECK_STR(err.msg, "m.json: sort field must be an object");
	json_decref(spec_json);
	json_decref(order_json);
	pond_arena_free(&a);
}
