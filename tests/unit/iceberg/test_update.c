/*
 * Metadata updates and requirements: creating a table from nothing, each
 * update, each requirement (and a conflict), REST JSON parsing, and the
 * bookkeeping apply promises (sequence numbers, logs, main branch).
 */
#include "../test.h"

#include "pond/iceberg.h"

#include <jansson.h>

static pond_iceberg_metadata *create_table(pond_error *err)
{
	const char *schema_json = "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[7],\"fields\":["
		"{\"id\":7,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
		"{\"id\":8,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
		"{\"id\":9,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":10,"
		"\"element\":\"string\",\"element-required\":false}}]}";
	json_t *j = json_loads(schema_json, 0, NULL);
	pond_arena *arena = pond_arena_new();
	pond_iceberg_schema *schema;
	pond_iceberg_metadata *md = NULL;
	pond_iceberg_partition_field pf = {8, 5000, "ts_day", {POND_ICEBERG_DAY, 0}};
	pond_iceberg_partition_spec spec = {3, 1, &pf};
	pond_iceberg_sort_field sf = {{POND_ICEBERG_IDENTITY, 0}, 7, false, true};
	pond_iceberg_sort_order order = {9, 1, &sf};
	pond_iceberg_kv props[] = {{"owner", "pond"}};
	if (!pond_iceberg_schema_from_json(&schema, j, arena, "test", err))
		pond_iceberg_metadata_create(&md, schema, &spec, &order, "/warehouse/t", props, 1, err);
	json_decref(j);
	pond_arena_free(&arena);
	return md;
}

TEST(update_create_from_nothing_assigns_fresh_ids)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err);
	CHECK_MSG(md != NULL, "%s", err.msg);
	CHECK_INT(md->format_version, 2);
	CHECK_INT(md->last_column_id, 4);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(md);
	CHECK_INT(s->schema_id, 0);
	CHECK_INT(pond_iceberg_schema_find_name(s, "ts")->id, 2);
	CHECK_INT(s->identifier_field_ids[0], 1);
	CHECK_INT(s->root->fields[2].type->element_id, 4);
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(md);
	CHECK_INT(spec->spec_id, 0);
	CHECK_INT(spec->fields[0].source_id, 2);
	CHECK_INT(spec->fields[0].field_id, 1000);
	CHECK_INT(md->last_partition_id, 1000);
	CHECK_INT(md->default_sort_order_id, 1);
	CHECK_INT(pond_iceberg_metadata_sort_order(md, 1)->fields[0].source_id, 1);
	CHECK_STR(pond_iceberg_metadata_property(md, "owner"), "pond");
	CHECK_STR(md->location, "/warehouse/t");
	CHECK(md->table_uuid && strlen(md->table_uuid) == 36);
	CHECK_INT(md->current_snapshot_id, POND_ICEBERG_NO_SNAPSHOT);
	/* and it reads back */
	char *text;
	pond_iceberg_metadata *back;
	CHECK_OK(pond_iceberg_metadata_serialize(&text, md, true, &err), &err);
	CHECK_OK(pond_iceberg_metadata_parse(&back, text, strlen(text), "created", &err), &err);
	pond_free(text);
	pond_iceberg_metadata_free(&back);
	pond_iceberg_metadata_free(&md);
}

static int commit_json(pond_iceberg_metadata **out, const pond_iceberg_metadata *base, const char *json,
                       const char *base_location, pond_error *err)
{
	pond_iceberg_commit *c;
	pond_iceberg_apply_options opts = POND_ICEBERG_APPLY_OPTIONS_INIT;
	opts.base_metadata_location = base_location;
	opts.now_ms = 1700000000000LL;
	int rc = pond_iceberg_commit_parse(&c, json, strlen(json), err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_apply(out, base, c->requirements, c->nrequirements, c->updates, c->nupdates, &opts, err);
	pond_iceberg_commit_free(&c);
	return rc;
}

#define SNAP(id, parent, seq) \
	"{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":" #id parent ",\"sequence-number\":" #seq \
	",\"timestamp-ms\":1600000000000,\"manifest-list\":\"/m/" #id ".avro\",\"summary\":{\"operation\":\"append\",\"added-records\":\"3\"},\"schema-id\":0}}"
#define MAIN(id) "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"type\":\"branch\",\"snapshot-id\":" #id "}"

TEST(update_add_snapshot_moves_main_and_keeps_logs)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err), *v1 = NULL, *v2 = NULL, *bad = NULL;
	CHECK_MSG(md != NULL, "%s", err.msg);
	CHECK_OK(commit_json(&v1, md, "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null}],"
	                              "\"updates\":[" SNAP(11, "", 1) "," MAIN(11) "]}", "/warehouse/t/metadata/00000-a.metadata.json", &err), &err);
	CHECK_INT(v1->current_snapshot_id, 11);
	CHECK_INT(v1->last_sequence_number, 1);
	CHECK(v1->last_updated_ms >= md->last_updated_ms); /* never behind the base */
	CHECK_INT(v1->nsnapshot_log, 1);
	CHECK_INT(v1->snapshot_log[0].timestamp_ms, 1600000000000LL);
	CHECK_INT(v1->nmetadata_log, 1);
	CHECK_STR(v1->metadata_log[0].metadata_file, "/warehouse/t/metadata/00000-a.metadata.json");
	CHECK_INT(v1->metadata_log[0].timestamp_ms, md->last_updated_ms);
	CHECK_STR(pond_iceberg_metadata_current_snapshot(v1)->summary[0].key, "added-records");

	/* the same commit again: main is no longer absent */
	int rc = commit_json(&bad, v1, "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null}],"
	                               "\"updates\":[" SNAP(12, ",\"parent-snapshot-id\":11", 2) "," MAIN(12) "]}", NULL, &err);
	CHECK_INT(rc, POND_ECONFLICT);
	CHECK(strstr(err.msg, "assert-ref-snapshot-id") && strstr(err.msg, "main"));
	CHECK(bad == NULL);
	/* sequence numbers must grow; parents must exist */
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[" SNAP(12, ",\"parent-snapshot-id\":11", 1) "]}", NULL, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "sequence-number"));
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[" SNAP(12, ",\"parent-snapshot-id\":99", 2) "]}", NULL, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "parent"));

	CHECK_OK(commit_json(&v2, v1, "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":11}],"
	                              "\"updates\":[" SNAP(12, ",\"parent-snapshot-id\":11", 2) "," MAIN(12) ","
	                              "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"v1\",\"type\":\"tag\",\"snapshot-id\":11,\"max-ref-age-ms\":5}]}",
	                              "/warehouse/t/metadata/00001-b.metadata.json", &err), &err);
	CHECK_INT(v2->current_snapshot_id, 12);
	CHECK_INT(v2->nsnapshot_log, 2);
	CHECK_INT(v2->nmetadata_log, 2);
	const pond_iceberg_ref *tag = pond_iceberg_metadata_ref(v2, "v1");
	CHECK(tag && tag->is_tag && tag->max_ref_age_ms == 5);
	pond_iceberg_metadata *v3 = NULL;
	CHECK_OK(commit_json(&v3, v2, "{\"updates\":[{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"v1\"},"
	                              "{\"action\":\"remove-snapshots\",\"snapshot-ids\":[11]}]}", NULL, &err), &err);
	CHECK_INT(v3->nsnapshots, 1);
	CHECK_INT(v3->nsnapshot_log, 1);
	CHECK(pond_iceberg_metadata_ref(v3, "v1") == NULL);
	pond_iceberg_metadata *v4 = NULL;
	CHECK_OK(commit_json(&v4, v3, "{\"updates\":[{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"main\"}]}", NULL, &err), &err);
	CHECK_INT(v4->current_snapshot_id, POND_ICEBERG_NO_SNAPSHOT);
	pond_iceberg_metadata_free(&v4);
	pond_iceberg_metadata_free(&v3);
	pond_iceberg_metadata_free(&v2);
	pond_iceberg_metadata_free(&v1);
	pond_iceberg_metadata_free(&md);
}

TEST(update_schema_spec_order_location_and_properties)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err), *v1 = NULL, *bad = NULL;
	CHECK_MSG(md != NULL, "%s", err.msg);
	CHECK_OK(commit_json(&v1, md,
		"{\"requirements\":[{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0},"
		"{\"type\":\"assert-last-assigned-field-id\",\"last-assigned-field-id\":4},"
		"{\"type\":\"assert-last-assigned-partition-id\",\"last-assigned-partition-id\":1000},"
		"{\"type\":\"assert-default-spec-id\",\"default-spec-id\":0},"
		"{\"type\":\"assert-default-sort-order-id\",\"default-sort-order-id\":1}],"
		"\"updates\":[{\"action\":\"add-schema\",\"last-column-id\":5,\"schema\":{\"type\":\"struct\",\"schema-id\":7,\"fields\":["
		"{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
		"{\"id\":5,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9,2)\"}]}},"
		"{\"action\":\"set-current-schema\",\"schema-id\":-1},"
		"{\"action\":\"add-spec\",\"spec\":{\"spec-id\":9,\"fields\":[{\"name\":\"p\",\"transform\":\"bucket[8]\",\"source-id\":5,\"field-id\":1001}]}},"
		"{\"action\":\"set-default-spec\",\"spec-id\":-1},"
		"{\"action\":\"add-sort-order\",\"sort-order\":{\"order-id\":4,\"fields\":[{\"transform\":\"identity\",\"source-id\":5,\"direction\":\"desc\",\"null-order\":\"nulls-last\"}]}},"
		"{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1},"
		"{\"action\":\"set-location\",\"location\":\"/elsewhere\"},"
		"{\"action\":\"set-properties\",\"updates\":{\"a\":\"1\",\"owner\":\"me\"}},"
		"{\"action\":\"remove-properties\",\"removals\":[\"a\"]},"
		"{\"action\":\"upgrade-format-version\",\"format-version\":2}]}", NULL, &err), &err);
	CHECK_INT(v1->current_schema_id, 1);
	CHECK_INT(v1->last_column_id, 5);
	CHECK_INT(v1->default_spec_id, 1);
	CHECK_INT(v1->last_partition_id, 1001);
	CHECK_INT(v1->default_sort_order_id, 2);
	CHECK_STR(v1->location, "/elsewhere");
	CHECK_STR(pond_iceberg_metadata_property(v1, "owner"), "me");
	CHECK(pond_iceberg_metadata_property(v1, "a") == NULL);
	/* each requirement fails against changed metadata */
	const char *stale[] = {
		"{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0}",
		"{\"type\":\"assert-last-assigned-field-id\",\"last-assigned-field-id\":4}",
		"{\"type\":\"assert-last-assigned-partition-id\",\"last-assigned-partition-id\":1000}",
		"{\"type\":\"assert-default-spec-id\",\"default-spec-id\":0}",
		"{\"type\":\"assert-default-sort-order-id\",\"default-sort-order-id\":1}",
		"{\"type\":\"assert-table-uuid\",\"uuid\":\"00000000-0000-0000-0000-000000000000\"}",
		"{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":5}",
		"{\"type\":\"assert-create\"}",
	};
	for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		char json[512];
		snprintf(json, sizeof(json), "{\"requirements\":[%s],\"updates\":[]}", stale[i]);
		int rc = commit_json(&bad, v1, json, NULL, &err);
		CHECK_MSG(rc == POND_ECONFLICT, "%s: %d %s", stale[i], rc, err.msg);
		CHECK_MSG(strstr(err.msg, strstr(stale[i], "assert-")) != NULL || strstr(err.msg, "assert-"), "%s", err.msg);
	}
	char json[512];
	snprintf(json, sizeof(json), "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"}],\"updates\":[]}", v1->table_uuid);
	pond_iceberg_metadata *same = NULL;
	CHECK_OK(commit_json(&same, v1, json, NULL, &err), &err);
	pond_iceberg_metadata_free(&same);
	/* invalid updates */
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[{\"action\":\"set-current-schema\",\"schema-id\":42}]}", NULL, &err), POND_EINVAL);
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[{\"action\":\"add-spec\",\"spec\":{\"spec-id\":0,\"fields\":[{\"name\":\"q\",\"transform\":\"hour\",\"source-id\":1,\"field-id\":1002}]}}]}", NULL, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "hour") && strstr(err.msg, "long"));
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[{\"action\":\"assign-uuid\",\"uuid\":\"00000000-0000-0000-0000-000000000000\"}]}", NULL, &err), POND_EINVAL);
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[{\"action\":\"upgrade-format-version\",\"format-version\":3}]}", NULL, &err), POND_EUNSUPPORTED);
	CHECK_INT(commit_json(&bad, v1, "{\"updates\":[{\"action\":\"fly\"}]}", NULL, &err), POND_EUNSUPPORTED);
	CHECK_INT(commit_json(&bad, NULL, "{\"requirements\":[{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0}],\"updates\":[]}", NULL, &err), POND_ECONFLICT);
	CHECK(bad == NULL);
	pond_iceberg_metadata_free(&v1);
	pond_iceberg_metadata_free(&md);
}

TEST(update_json_round_trips_through_rest_shapes)
{
	const char *text = "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null}],"
		"\"updates\":[" SNAP(11, "", 1) "," MAIN(11) ",{\"action\":\"remove-properties\",\"removals\":[\"x\"]}]}";
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_commit *c;
	CHECK_OK(pond_iceberg_commit_parse(&c, text, strlen(text), &err), &err);
	CHECK_INT(c->nupdates, 3);
	json_t *r = pond_iceberg_requirement_to_json(&c->requirements[0]);
	CHECK(r && json_is_null(json_object_get(r, "snapshot-id")));
	json_decref(r);
	json_t *u = pond_iceberg_update_to_json(&c->updates[1]);
	CHECK(u && json_integer_value(json_object_get(u, "snapshot-id")) == 11);
	CHECK_STR(json_string_value(json_object_get(u, "ref-name")), "main");
	json_decref(u);
	u = pond_iceberg_update_to_json(&c->updates[0]);
	CHECK_STR(json_string_value(json_object_get(json_object_get(u, "snapshot"), "manifest-list")), "/m/11.avro");
	json_decref(u);
	pond_iceberg_commit_free(&c);
	CHECK(c == NULL);
}

TEST(update_parse_survives_every_allocation_failure)
{
	const char *text = "{\"requirements\":[{\"type\":\"assert-create\"}],\"updates\":[" SNAP(11, "", 1) "," MAIN(11) "]}";
	pond_error err = POND_ERROR_INIT;
	for (long n = 1; n < 1000; n++) {
		pond_iceberg_commit *c = NULL;
		pond_alloc_fail_at(n);
		int rc = pond_iceberg_commit_parse(&c, text, strlen(text), &err);
		pond_alloc_fail_at(0);
		pond_iceberg_commit_free(&c);
		if (!rc)
			break;
		CHECK_INT(rc, POND_ENOMEM);
	}
}

TEST(update_refuses_defaults_in_a_v2_table)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err), *next = NULL;
	CHECK_MSG(md != NULL, "%s", err.msg);
	/* initial-default and write-default are format v3 fields: other v2
	 * readers ignore them, so a v2 table never gets them, nested or not. */
	const char *top = "{\"updates\":[{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":1,"
	                  "\"fields\":[{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
	                  "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"string\",\"initial-default\":\"x\","
	                  "\"write-default\":\"x\"}]}}]}";
	CHECK_INT(commit_json(&next, md, top, "/warehouse/t/metadata/00000-a.metadata.json", &err), POND_EUNSUPPORTED);
	CHECK(strstr(err.msg, "field \"d\" has a default, which needs format v3") != NULL);
	const char *nested = "{\"updates\":[{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":1,"
	                     "\"fields\":[{\"id\":5,\"name\":\"s\",\"required\":false,\"type\":{\"type\":\"struct\","
	                     "\"fields\":[{\"id\":6,\"name\":\"z\",\"required\":false,\"type\":\"int\","
	                     "\"initial-default\":3}]}}]}}]}";
	CHECK_INT(commit_json(&next, md, nested, "/warehouse/t/metadata/00000-a.metadata.json", &err), POND_EUNSUPPORTED);
	CHECK(strstr(err.msg, "field \"z\"") != NULL);
	CHECK(next == NULL);
	pond_iceberg_metadata_free(&md);
}
