/*
 * Avro schema parsing: named types and namespaces, references, logical
 * types (valid and ignored), Iceberg attributes, and schemas the spec
 * refuses.
 */
#include "../test.h"

#include "pond/avro.h"

#include <jansson.h>

static pond_avro_schema *parse(const char *js, pond_error *err)
{
	pond_avro_schema *s = NULL;
	pond_avro_schema_parse(&s, js, strlen(js), "test.avsc", err);
	return s;
}

TEST(avro_schema_named_types_namespaces_and_references)
{
	pond_error err = POND_ERROR_INIT;
	pond_avro_schema *s = parse("{\"type\":\"record\",\"name\":\"a.b.outer\",\"fields\":["
	                            "{\"name\":\"x\",\"type\":{\"type\":\"fixed\",\"name\":\"f16\",\"size\":16,\"logicalType\":\"uuid\"}},"
	                            "{\"name\":\"y\",\"type\":\"f16\"},"
	                            "{\"name\":\"z\",\"type\":\"a.b.f16\"},"
	                            "{\"name\":\"next\",\"type\":[\"null\",\"outer\"]},"
	                            "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"c.kind\",\"symbols\":[\"A\",\"B\"]}},"
	                            "{\"name\":\"e2\",\"type\":\"c.kind\"}]}", &err);
	CHECK_MSG(s != NULL, "%s", err.msg);
	const pond_avro_node *root = pond_avro_schema_root(s);
	CHECK_STR(root->name, "a.b.outer");
	CHECK_STR(root->fields[0].type->name, "a.b.f16");
	CHECK(root->fields[0].type == root->fields[1].type && root->fields[1].type == root->fields[2].type);
	CHECK_INT(root->fields[0].type->logical, POND_AVRO_LOGICAL_UUID);
	CHECK(root->fields[3].type->branches[1] == root);   /* recursion */
	CHECK_STR(root->fields[4].type->name, "c.kind");
	CHECK(root->fields[5].type == root->fields[4].type);
	CHECK_INT(root->fields[5].type->nsymbols, 2);
	CHECK(strstr(pond_avro_schema_json(s), "a.b.outer") != NULL);
	pond_avro_schema_free(&s);
	CHECK(s == NULL);
}

TEST(avro_schema_logical_types_and_iceberg_attributes)
{
	pond_error err = POND_ERROR_INIT;
	pond_avro_schema *s = parse("{\"type\":\"record\",\"name\":\"r\",\"fields\":["
	                            "{\"name\":\"d\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":38,\"scale\":9},\"field-id\":1},"
	                            "{\"name\":\"dbad\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":2,\"scale\":3},\"field-id\":2},"
	                            "{\"name\":\"dfix\",\"type\":{\"type\":\"fixed\",\"name\":\"d2\",\"size\":2,\"logicalType\":\"decimal\",\"precision\":5},\"field-id\":3},"
	                            "{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"},\"field-id\":4},"
	                            "{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"},\"field-id\":5},"
	                            "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":false},\"field-id\":6},"
	                            "{\"name\":\"u\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"},\"field-id\":7},"
	                            "{\"name\":\"odd\",\"type\":{\"type\":\"int\",\"logicalType\":\"timestamp-micros\"},\"field-id\":8},"
	                            "{\"name\":\"l\",\"type\":{\"type\":\"array\",\"items\":\"int\",\"element-id\":10},\"field-id\":9},"
	                            "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\",\"key-id\":12,\"value-id\":13},\"field-id\":11},"
	                            "{\"name\":\"im\",\"type\":{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k15_v16\",\"fields\":["
	                            "{\"name\":\"key\",\"type\":\"int\",\"field-id\":15},{\"name\":\"value\",\"type\":[\"null\",\"long\"],\"field-id\":16}]}},\"field-id\":14}"
	                            "]}", &err);
	CHECK_MSG(s != NULL, "%s", err.msg);
	const pond_avro_node *r = pond_avro_schema_root(s);
	const pond_avro_node *d = pond_avro_node_field_by_id(r, 1, NULL)->type;
	CHECK_INT(d->logical, POND_AVRO_LOGICAL_DECIMAL);
	CHECK_INT(d->precision, 38);
	CHECK_INT(d->scale, 9);
	CHECK_INT(pond_avro_node_field_by_id(r, 2, NULL)->type->logical, POND_AVRO_LOGICAL_NONE);   /* scale > precision */
	CHECK_STR(pond_avro_node_field_by_id(r, 2, NULL)->type->logical_name, "decimal");
	/* fixed(2) holds at most 4 digits: precision 5 is ignored. */
	CHECK_INT(pond_avro_node_field_by_id(r, 3, NULL)->type->logical, POND_AVRO_LOGICAL_NONE);
	CHECK_INT(pond_avro_node_field_by_id(r, 4, NULL)->type->logical, POND_AVRO_LOGICAL_DATE);
	CHECK_INT(pond_avro_node_field_by_id(r, 5, NULL)->type->logical, POND_AVRO_LOGICAL_TIME_MICROS);
	const pond_avro_node *ts = pond_avro_node_field_by_id(r, 6, NULL)->type;
	CHECK_INT(ts->logical, POND_AVRO_LOGICAL_TIMESTAMP_MICROS);
	CHECK(json_is_false(json_object_get(ts->json, "adjust-to-utc")));
	CHECK_INT(pond_avro_node_field_by_id(r, 7, NULL)->type->logical, POND_AVRO_LOGICAL_UUID);
	CHECK_INT(pond_avro_node_field_by_id(r, 8, NULL)->type->logical, POND_AVRO_LOGICAL_NONE);
	const pond_avro_node *l = pond_avro_node_field_by_name(r, "l", NULL)->type;
	CHECK(l->has_element_id && l->element_id == 10);
	const pond_avro_node *m = pond_avro_node_field_by_id(r, 11, NULL)->type;
	CHECK(m->has_key_id && m->key_id == 12 && m->has_value_id && m->value_id == 13);
	const pond_avro_node *im = pond_avro_node_field_by_id(r, 14, NULL)->type;
	CHECK_INT(im->logical, POND_AVRO_LOGICAL_ICEBERG_MAP);
	CHECK(im->key_id == 15 && im->value_id == 16);
	CHECK_INT(im->keys->type, POND_AVRO_INT);
	CHECK_INT(im->values->type, POND_AVRO_UNION);
	size_t idx;
	CHECK(pond_avro_node_field_by_id(r, 99, &idx) == NULL);
	CHECK(pond_avro_node_field_by_name(r, "im", &idx) && idx == 10);
	pond_avro_schema_free(&s);
}

TEST(avro_schema_refuses_invalid_schemas)
{
	const char *bad[] = {
		"{\"type\":\"record\",\"name\":\"r\"}",
		"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"nope\"}]}",
		"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
		"{\"type\":\"record\",\"name\":\"1r\",\"fields\":[]}",
		"[\"int\",\"int\"]",
		"[\"null\",[\"int\"]]",
		"{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"a\",\"a\"]}",
		"{\"type\":\"fixed\",\"name\":\"f\",\"size\":-1}",
		"{\"type\":\"array\"}",
		"{\"type\":\"map\"}",
		"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"fixed\",\"name\":\"r\",\"size\":1}}]}",
		"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"field-id\":\"x\"}]}",
		"42",
		"{\"type\":",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pond_error err = POND_ERROR_INIT;
		pond_avro_schema *s = (pond_avro_schema *)1;
		int rc = pond_avro_schema_parse(&s, bad[i], strlen(bad[i]), "test.avsc", &err);
		CHECK_MSG(rc == POND_EINVAL && s == NULL, "accepted %s", bad[i]);
		CHECK_MSG(strstr(err.msg, "test.avsc") != NULL, "message: %s", err.msg);
	}
	/* Deep nesting is refused, not a stack overflow. */
	pond_buf deep = POND_BUF_INIT;
	for (int i = 0; i < 200; i++)
		pond_buf_puts(&deep, "{\"type\":\"array\",\"items\":");
	pond_buf_puts(&deep, "\"int\"");
	for (int i = 0; i < 200; i++)
		pond_buf_putc(&deep, '}');
	pond_error err = POND_ERROR_INIT;
	pond_avro_schema *s;
	CHECK(pond_avro_schema_parse(&s, deep.ptr, deep.len, NULL, &err) == POND_EINVAL);
	pond_buf_dispose(&deep);
}
