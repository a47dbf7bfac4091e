/*
 * View metadata (format/view-spec.md, version 1): a file in the shape Java
 * and Spark write (the spec's example, written out here), exact round
 * trips, the spec's rules refused one by one, and the REST updates that
 * create and replace a view, with Java's id rules.
 */
#include "../test.h"

#include "pond/iceberg.h"

#include <jansson.h>
#include <string.h>

/* As Spark 3.5 with Iceberg's SparkCatalog writes a view (the spec's
 * example): a schema with a comment, one spark representation. */
static const char spark_view[] =
	"{\n"
	"  \"view-uuid\" : \"fa6506c3-7681-40c8-86dc-e36561f83385\",\n"
	"  \"format-version\" : 1,\n"
	"  \"location\" : \"s3://bucket/warehouse/default.db/event_agg\",\n"
	"  \"current-version-id\" : 1,\n"
	"  \"properties\" : {\"comment\" : \"Daily event counts\"},\n"
	"  \"versions\" : [ {\n"
	"    \"version-id\" : 1,\n"
	"    \"timestamp-ms\" : 1573518431292,\n"
	"    \"schema-id\" : 1,\n"
	"    \"default-catalog\" : \"prod\",\n"
	"    \"default-namespace\" : [ \"default\" ],\n"
	"    \"summary\" : {\"engine-name\" : \"Spark\", \"engine-version\" : \"3.3.2\"},\n"
	"    \"representations\" : [ {\n"
	"      \"type\" : \"sql\",\n"
	"      \"sql\" : \"SELECT\\n    COUNT(1), CAST(event_ts AS DATE)\\nFROM events\\nGROUP BY 2\",\n"
	"      \"dialect\" : \"spark\"\n"
	"    } ]\n"
	"  } ],\n"
	"  \"schemas\": [ {\n"
	"    \"schema-id\": 1,\n"
	"    \"type\" : \"struct\",\n"
	"    \"fields\" : [ {\n"
	"      \"id\" : 1, \"name\" : \"event_count\", \"required\" : false, \"type\" : \"int\",\n"
	"      \"doc\" : \"Count of events\"\n"
	"    }, {\n"
	"      \"id\" : 2, \"name\" : \"event_date\", \"required\" : false, \"type\" : \"date\"\n"
	"    } ]\n"
	"  } ],\n"
	"  \"version-log\" : [ {\"timestamp-ms\" : 1573518431292, \"version-id\" : 1} ]\n"
	"}\n";

TEST(view_reads_metadata_as_spark_writes_it)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_view *v = NULL;
	CHECK_OK(pond_iceberg_view_parse(&v, spark_view, strlen(spark_view), "event_agg", &err), &err);
	CHECK_STR(pond_iceberg_view_uuid(v), "fa6506c3-7681-40c8-86dc-e36561f83385");
	CHECK_STR(pond_iceberg_view_location(v), "s3://bucket/warehouse/default.db/event_agg");
	CHECK_INT(pond_iceberg_view_current_version_id(v), 1);
	CHECK_STR(pond_iceberg_view_property(v, "comment"), "Daily event counts");
	CHECK_STR(pond_iceberg_view_sql(v, "SPARK"), "SELECT\n    COUNT(1), CAST(event_ts AS DATE)\nFROM events\nGROUP BY 2");
	CHECK(pond_iceberg_view_sql(v, "duckdb") == NULL);
	pond_arena *arena = pond_arena_new();
	pond_iceberg_schema *schema;
	CHECK_OK(pond_iceberg_view_schema(&schema, v, arena, &err), &err);
	CHECK_INT(schema->schema_id, 1);
	const pond_iceberg_field *f = pond_iceberg_schema_find_name(schema, "event_count");
	CHECK(f && f->id == 1 && f->doc && !strcmp(f->doc, "Count of events"));
	CHECK(pond_iceberg_schema_find_name(schema, "event_date") != NULL);
	pond_arena_free(&arena);
	pond_iceberg_view_free(&v);
	CHECK(v == NULL);
}

TEST(view_round_trip_keeps_every_key)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_view *v = NULL, *again = NULL;
	/* an engine's own key, unknown to pond, survives too */
	json_t *doc = json_loads(spark_view, 0, NULL);
	CHECK(doc != NULL);
	json_object_set_new(doc, "x-engine-note", json_string("kept"));
	CHECK_OK(pond_iceberg_view_from_json(&v, doc, "view", &err), &err);
	char *text = NULL;
	CHECK_OK(pond_iceberg_view_serialize(&text, v, false, &err), &err);
	CHECK_OK(pond_iceberg_view_parse(&again, text, strlen(text), "written", &err), &err);
	json_t *back = json_loads(text, 0, NULL);
	CHECK(json_equal(doc, back));
	CHECK(json_equal((json_t *)pond_iceberg_view_json(v), (json_t *)pond_iceberg_view_json(again)));
	json_decref(back);
	json_decref(doc);
	pond_free(text);
	pond_iceberg_view_free(&v);
	pond_iceberg_view_free(&again);
}

/* spark_view with one change made by edit (a JSON path and a value). */
static int parse_edited(const char *key, const char *sub, json_t *value, pond_error *err)
{
	json_t *doc = json_loads(spark_view, 0, NULL);
	json_t *target = doc;
	if (sub)
		target = json_array_get(json_object_get(doc, key), 0), key = sub;
	if (value)
		json_object_set_new(target, key, value);
	else
		json_object_del(target, key);
	pond_iceberg_view *v = NULL;
	int rc = pond_iceberg_view_from_json(&v, doc, "view", err);
	pond_iceberg_view_free(&v);
	json_decref(doc);
	return rc;
}

TEST(view_refuses_what_the_spec_forbids)
{
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(parse_edited("view-uuid", NULL, NULL, &err), POND_EINVAL);
	CHECK_STR(err.msg, "view: field \"view-uuid\" must be a uuid string");
	CHECK_INT(parse_edited("format-version", NULL, json_integer(2), &err), POND_EUNSUPPORTED);
	CHECK_STR(err.msg, "view: view format-version 2 is not supported (1 is)");
	CHECK_INT(parse_edited("location", NULL, NULL, &err), POND_EINVAL);
	CHECK_INT(parse_edited("version-log", NULL, NULL, &err), POND_EINVAL);
	CHECK_STR(err.msg, "view: missing field \"version-log\"");
	CHECK_INT(parse_edited("current-version-id", NULL, json_integer(7), &err), POND_EINVAL);
	CHECK_STR(err.msg, "view: current-version-id 7 is not in versions");
	CHECK_INT(parse_edited("versions", "schema-id", json_integer(9), &err), POND_EINVAL);
	CHECK_STR(err.msg, "view: version 1 names schema 9, which is not in schemas");
	CHECK_INT(parse_edited("versions", "default-namespace", NULL, &err), POND_EINVAL);
	CHECK_INT(parse_edited("versions", "summary", NULL, &err), POND_EINVAL);
	CHECK_INT(parse_edited("versions", "representations",
	                       json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "type", "sql", "sql", "select 1", "dialect",
	                                 "spark", "type", "sql", "sql", "select 2", "dialect", "Spark"),
	                       &err),
	          POND_EINVAL);
	CHECK_STR(err.msg, "view: two sql representations of dialect \"Spark\"");
	CHECK_INT(parse_edited("properties", NULL, json_pack("{s:i}", "n", 1), &err), POND_EINVAL);
	CHECK_INT(parse_edited("schemas", NULL, json_array(), &err), POND_EINVAL);
	/* and the file as written is fine */
	CHECK_OK(parse_edited("x", NULL, json_string("y"), &err), &err);
}

static pond_iceberg_schema *one_column(pond_arena *a, const char *name, const char *type)
{
	json_t *j = json_pack("{s:s,s:i,s:[{s:i,s:s,s:b,s:s}]}", "type", "struct", "schema-id", 0, "fields", "id", 1,
	                      "name", name, "required", 0, "type", type);
	pond_iceberg_schema *s = NULL;
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema_from_json(&s, j, a, "schema", &err);
	json_decref(j);
	return s;
}

static int define(pond_iceberg_view **out, const pond_iceberg_view *base, const pond_iceberg_schema *schema,
                  const char *sql, const char *location, int64_t now, pond_error *err)
{
	static const char *const ns[] = {"main"};
	pond_iceberg_kv summary[] = {{"engine-name", "pond"}};
	pond_iceberg_view_definition def = {schema, "duckdb", sql, ns, 1, summary, 1, now};
	json_t *ups = pond_iceberg_view_define_updates(&def, location);
	int rc = pond_iceberg_view_apply(out, base, NULL, ups, now, err);
	json_decref(ups);
	return rc;
}

TEST(view_updates_create_and_replace_with_java_ids)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	pond_iceberg_view *v1 = NULL, *v2 = NULL, *v3 = NULL, *v4 = NULL;
	CHECK_OK(define(&v1, NULL, one_column(a, "n", "long"), "SELECT 1 AS n", "/w/main/v", 1000, &err), &err);
	const json_t *d = pond_iceberg_view_json(v1);
	CHECK_INT(json_integer_value(json_object_get(d, "format-version")), 1);
	CHECK_INT(pond_iceberg_view_current_version_id(v1), 1);
	CHECK_STR(pond_iceberg_view_location(v1), "/w/main/v");
	CHECK_STR(pond_iceberg_view_sql(v1, "duckdb"), "SELECT 1 AS n");
	CHECK_INT(json_array_size(json_object_get(d, "version-log")), 1);
	const json_t *ver = json_array_get(json_object_get(d, "versions"), 0);
	CHECK_INT(json_integer_value(json_object_get(ver, "schema-id")), 0);
	CHECK_INT(json_integer_value(json_object_get(ver, "timestamp-ms")), 1000);
	CHECK_STR(json_string_value(json_array_get(json_object_get(ver, "default-namespace"), 0)), "main");

	/* a new SQL with the same schema: version 2, schema 0 reused */
	CHECK_OK(define(&v2, v1, one_column(a, "n", "long"), "SELECT 2 AS n", NULL, 2000, &err), &err);
	d = pond_iceberg_view_json(v2);
	CHECK_STR(pond_iceberg_view_uuid(v2), pond_iceberg_view_uuid(v1));
	CHECK_INT(pond_iceberg_view_current_version_id(v2), 2);
	CHECK_INT(json_array_size(json_object_get(d, "schemas")), 1);
	CHECK_INT(json_array_size(json_object_get(d, "version-log")), 2);
	/* a new schema gets id 1; the same definition again changes nothing */
	CHECK_OK(define(&v3, v2, one_column(a, "s", "string"), "SELECT 'x' AS s", NULL, 3000, &err), &err);
	d = pond_iceberg_view_json(v3);
	CHECK_INT(json_array_size(json_object_get(d, "schemas")), 2);
	ver = json_array_get(json_object_get(d, "versions"), 2);
	CHECK_INT(json_integer_value(json_object_get(ver, "schema-id")), 1);
	CHECK_OK(define(&v4, v3, one_column(a, "s", "string"), "SELECT 'x' AS s", NULL, 4000, &err), &err);
	CHECK(json_equal((json_t *)pond_iceberg_view_json(v3), (json_t *)pond_iceberg_view_json(v4)));
	pond_iceberg_view_free(&v4);
	/* going back to version 1's definition reuses version 1: the log shows the rollback */
	CHECK_OK(define(&v4, v3, one_column(a, "n", "long"), "SELECT 1 AS n", NULL, 5000, &err), &err);
	CHECK_INT(pond_iceberg_view_current_version_id(v4), 1);
	d = pond_iceberg_view_json(v4);
	CHECK_INT(json_array_size(json_object_get(d, "versions")), 3);
	CHECK_INT(json_array_size(json_object_get(d, "version-log")), 4);
	pond_iceberg_view_free(&v1);
	pond_iceberg_view_free(&v2);
	pond_iceberg_view_free(&v3);
	pond_iceberg_view_free(&v4);
	pond_arena_free(&a);
}

TEST(view_requirements_properties_and_history)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_view *v = NULL, *next = NULL;
	CHECK_OK(pond_iceberg_view_parse(&v, spark_view, strlen(spark_view), "view", &err), &err);
	json_t *reqs = json_pack("[{s:s,s:s}]", "type", "assert-view-uuid", "uuid", "00000000-0000-4000-8000-000000000000");
	json_t *ups = json_pack("[{s:s,s:{s:s}}]", "action", "set-properties", "updates", "owner", "ana");
	CHECK_INT(pond_iceberg_view_apply(&next, v, reqs, ups, 1, &err), POND_ECONFLICT);
	CHECK(strstr(err.msg, "requirement failed: view uuid is fa6506c3") != NULL);
	json_decref(reqs);
	reqs = json_pack("[{s:s,s:s}]", "type", "assert-view-uuid", "uuid", "fa6506c3-7681-40c8-86dc-e36561f83385");
	CHECK_OK(pond_iceberg_view_apply(&next, v, reqs, ups, 1, &err), &err);
	CHECK_STR(pond_iceberg_view_property(next, "owner"), "ana");
	CHECK_STR(pond_iceberg_view_property(next, "comment"), "Daily event counts");
	pond_iceberg_view_free(&next);
	json_decref(ups);

	/* a uuid never changes; an unknown action is refused */
	ups = json_pack("[{s:s,s:s}]", "action", "assign-uuid", "uuid", "00000000-0000-4000-8000-000000000000");
	CHECK_INT(pond_iceberg_view_apply(&next, v, NULL, ups, 1, &err), POND_EINVAL);
	json_decref(ups);
	ups = json_pack("[{s:s}]", "action", "add-snapshot");
	CHECK_INT(pond_iceberg_view_apply(&next, v, NULL, ups, 1, &err), POND_EINVAL);
	CHECK_STR(err.msg, "unknown view update action \"add-snapshot\"");
	json_decref(ups);
	ups = json_pack("[{s:s,s:i}]", "action", "set-current-view-version", "view-version-id", -1);
	CHECK_INT(pond_iceberg_view_apply(&next, v, NULL, ups, 1, &err), POND_EINVAL);
	json_decref(ups);

	/* version.history.num-entries 2: three more versions leave two */
	ups = json_pack("[{s:s,s:{s:s}},{s:s,s:[s]}]", "action", "set-properties", "updates",
	                "version.history.num-entries", "2", "action", "remove-properties", "removals", "comment");
	CHECK_OK(pond_iceberg_view_apply(&next, v, reqs, ups, 1, &err), &err);
	CHECK(pond_iceberg_view_property(next, "comment") == NULL);
	json_decref(ups);
	for (int i = 0; i < 3; i++) {
		const json_t *cur = json_array_get(json_object_get(pond_iceberg_view_json(next), "versions"), 0);
		json_t *ver = json_deep_copy(cur);
		char sql[32];
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		json_object_set_new(json_array_get(json_object_get(ver, "representations"), 0), "sql", json_string(sql));
		ups = json_pack("[{s:s,s:o},{s:s,s:i}]", "action", "add-view-version", "view-version", ver, "action",
		                "set-current-view-version", "view-version-id", -1);
		pond_iceberg_view *after = NULL;
		CHECK_OK(pond_iceberg_view_apply(&after, next, NULL, ups, 10 + i, &err), &err);
		json_decref(ups);
		pond_iceberg_view_free(&next);
		next = after;
	}
	const json_t *d = pond_iceberg_view_json(next);
	CHECK_INT(json_array_size(json_object_get(d, "versions")), 2);
	CHECK_INT(json_array_size(json_object_get(d, "version-log")), 2);
	CHECK_INT(pond_iceberg_view_current_version_id(next), 4);
	CHECK_STR(pond_iceberg_view_sql(next, "spark"), "SELECT 2");
	json_decref(reqs);
	pond_iceberg_view_free(&next);
	pond_iceberg_view_free(&v);
}
