/*
 * The commit between two metadata versions (pond_iceberg_metadata_diff):
 * sent through its REST JSON and applied to the base by the same apply
 * the REST server uses, it gives the next version; its requirements fail
 * once the table moved.
 */
#include "../test.h"

#include "pond/iceberg.h"

#include <jansson.h>
#include <string.h>

#define NOW 1700000000000LL

static int apply_json(pond_iceberg_metadata **out, const pond_iceberg_metadata *base, const char *json,
                      const char *base_location, pond_error *err)
{
	pond_iceberg_commit *c;
	pond_iceberg_apply_options opts = POND_ICEBERG_APPLY_OPTIONS_INIT;
	opts.base_metadata_location = base_location;
	opts.now_ms = NOW;
	int rc = pond_iceberg_commit_parse(&c, json, strlen(json), err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_apply(out, base, c->requirements, c->nrequirements, c->updates, c->nupdates, &opts, err);
	pond_iceberg_commit_free(&c);
	return rc;
}

/* The diff from base to next as REST JSON text (caller frees). */
static char *diff_text(const pond_iceberg_metadata *base, const pond_iceberg_metadata *next, pond_error *err)
{
	pond_iceberg_commit *c;
	if (pond_iceberg_metadata_diff(&c, base, next, err) != 0)
		return NULL;
	json_t *j = pond_iceberg_commit_to_json(c);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	pond_iceberg_commit_free(&c);
	return text;
}

/* Metadata JSON text, without what depends on the path between versions
 * when loose. Caller frees. */
static char *metadata_text(const pond_iceberg_metadata *md, bool loose)
{
	json_t *j;
	pond_error err = POND_ERROR_INIT;
	if (pond_iceberg_metadata_to_json(&j, md, &err) != 0)
		return NULL;
	if (loose) {
		json_object_del(j, "metadata-log");
		json_object_del(j, "snapshot-log");
		json_object_del(j, "last-updated-ms");
	}
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

/* diff(base, next) applied to base equals next. */
static void check_round_trip(const pond_iceberg_metadata *base, const pond_iceberg_metadata *next,
                             const char *base_location, bool loose)
{
	pond_error err = POND_ERROR_INIT;
	char *json = diff_text(base, next, &err);
	CHECK_MSG(json != NULL, "%s", err.msg);
	pond_iceberg_metadata *got = NULL;
	CHECK_OK(apply_json(&got, base, json, base_location, &err), &err);
	char *want_text = metadata_text(next, loose), *got_text = got ? metadata_text(got, loose) : NULL;
	CHECK_MSG(want_text && got_text && strcmp(want_text, got_text) == 0, "diff %s\nwant %s\ngot  %s", json, want_text,
	          got_text);
	free(want_text);
	free(got_text);
	free(json);
	pond_iceberg_metadata_free(&got);
}

static pond_iceberg_metadata *create_table(pond_error *err)
{
	const char *schema_json = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
		"{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
		"{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"}]}";
	json_t *j = json_loads(schema_json, 0, NULL);
	pond_arena *arena = pond_arena_new();
	pond_iceberg_schema *schema;
	pond_iceberg_metadata *md = NULL;
	pond_iceberg_partition_field pf = {2, 1000, "ts_day", {POND_ICEBERG_DAY, 0}};
	pond_iceberg_partition_spec spec = {0, 1, &pf};
	pond_iceberg_kv props[] = {{"owner", "pond"}, {"gone", "soon"}};
	if (!pond_iceberg_schema_from_json(&schema, j, arena, "test", err))
		pond_iceberg_metadata_create(&md, schema, &spec, NULL, "/warehouse/t", props, 2, err);
	json_decref(j);
	pond_arena_free(&arena);
	return md;
}

#define SNAP(id, parent, seq) \
	"{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":" #id parent ",\"sequence-number\":" #seq \
	",\"timestamp-ms\":1600000000000,\"manifest-list\":\"/m/" #id ".avro\",\"summary\":{\"operation\":\"append\"},\"schema-id\":0}}"
#define MAIN(id) "{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"type\":\"branch\",\"snapshot-id\":" #id "}"

TEST(update_diff_applied_to_the_base_gives_the_next_version)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err), *v1 = NULL, *v2 = NULL, *v3 = NULL;
	CHECK_MSG(md != NULL, "%s", err.msg);
	CHECK_OK(apply_json(&v1, md, "{\"updates\":[" SNAP(11, "", 1) "," MAIN(11) "]}", "/m/0.json", &err), &err);
	CHECK_OK(apply_json(&v2, v1,
		"{\"updates\":[{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
		"{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
		"{\"id\":3,\"name\":\"price\",\"required\":false,\"type\":\"double\"}]}},{\"action\":\"set-current-schema\",\"schema-id\":-1},"
		"{\"action\":\"add-spec\",\"spec\":{\"spec-id\":1,\"fields\":[{\"name\":\"p\",\"transform\":\"bucket[8]\",\"source-id\":1,\"field-id\":1001}]}},"
		"{\"action\":\"set-default-spec\",\"spec-id\":-1},"
		"{\"action\":\"add-sort-order\",\"sort-order\":{\"order-id\":1,\"fields\":[{\"transform\":\"identity\",\"source-id\":1,\"direction\":\"asc\",\"null-order\":\"nulls-first\"}]}},"
		"{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1},"
		"{\"action\":\"set-location\",\"location\":\"/moved\"},"
		"{\"action\":\"set-properties\",\"updates\":{\"owner\":\"me\",\"new\":\"1\"}},"
		"{\"action\":\"remove-properties\",\"removals\":[\"gone\"]}," SNAP(12, ",\"parent-snapshot-id\":11", 2) "," MAIN(12) ","
		"{\"action\":\"set-snapshot-ref\",\"ref-name\":\"v1\",\"type\":\"tag\",\"snapshot-id\":11,\"max-ref-age-ms\":5},"
		"{\"action\":\"set-snapshot-ref\",\"ref-name\":\"dev\",\"type\":\"branch\",\"snapshot-id\":11}]}", "/m/1.json", &err), &err);
	CHECK_OK(apply_json(&v3, v2, "{\"updates\":[{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"v1\"},"
	                             "{\"action\":\"remove-snapshot-ref\",\"ref-name\":\"dev\"},"
	                             "{\"action\":\"remove-snapshots\",\"snapshot-ids\":[11]}]}", "/m/2.json", &err), &err);
	check_round_trip(NULL, md, NULL, true);
	check_round_trip(md, v1, "/m/0.json", false);
	check_round_trip(v1, v2, "/m/1.json", false);
	check_round_trip(v2, v3, "/m/2.json", false);
	/* across several versions, and main rolled back */
	check_round_trip(md, v2, "/m/0.json", true);
	pond_iceberg_metadata *v4 = NULL;
	CHECK_OK(apply_json(&v4, v2, "{\"updates\":[" MAIN(11) "]}", "/m/2.json", &err), &err);
	check_round_trip(v2, v4, "/m/2.json", false);
	pond_iceberg_metadata_free(&v4);
	pond_iceberg_metadata_free(&v3);
	pond_iceberg_metadata_free(&v2);
	pond_iceberg_metadata_free(&v1);
	pond_iceberg_metadata_free(&md);
}

TEST(update_diff_requirements_fail_once_the_table_moved)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err), *v1 = NULL, *v2 = NULL, *other = create_table(&err), *bad = NULL;
	CHECK_MSG(md && other, "%s", err.msg);
	CHECK_OK(apply_json(&v1, md, "{\"updates\":[" SNAP(11, "", 1) "," MAIN(11) "]}", NULL, &err), &err);
	CHECK_OK(apply_json(&v2, md, "{\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"x\":\"y\"}}]}", NULL, &err),
	         &err);
	/* a commit built on md: a properties change still asserts main */
	char *props = diff_text(md, v2, &err), *append = diff_text(md, v1, &err);
	CHECK(props && append);
	CHECK(strstr(props, "\"assert-ref-snapshot-id\"") && strstr(props, "\"assert-table-uuid\""));
	CHECK(strstr(props, "assert-current-schema-id") == NULL);
	/* main moved since md was read */
	CHECK_INT(apply_json(&bad, v1, props, NULL, &err), POND_ECONFLICT);
	CHECK(strstr(err.msg, "main"));
	CHECK_INT(apply_json(&bad, v1, append, NULL, &err), POND_ECONFLICT);
	/* another table of the same shape */
	CHECK_INT(apply_json(&bad, other, props, NULL, &err), POND_ECONFLICT);
	CHECK(strstr(err.msg, "uuid"));
	/* creating what exists */
	char *create = diff_text(NULL, md, &err);
	CHECK(create && strstr(create, "assert-create"));
	CHECK_INT(apply_json(&bad, md, create, NULL, &err), POND_ECONFLICT);
	CHECK(bad == NULL);
	free(create);
	free(props);
	free(append);
	pond_iceberg_metadata_free(&other);
	pond_iceberg_metadata_free(&v2);
	pond_iceberg_metadata_free(&v1);
	pond_iceberg_metadata_free(&md);
}

TEST(update_diff_of_a_new_schema_asserts_the_ids_it_numbered_after)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = create_table(&err), *v1 = NULL;
	CHECK_MSG(md != NULL, "%s", err.msg);
	CHECK_OK(apply_json(&v1, md,
		"{\"updates\":[{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
		"{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},{\"id\":3,\"name\":\"n\",\"required\":false,\"type\":\"int\"}]}},"
		"{\"action\":\"set-current-schema\",\"schema-id\":-1}]}", NULL, &err), &err);
	char *json = diff_text(md, v1, &err);
	CHECK(json);
	CHECK(strstr(json, "{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0}"));
	CHECK(strstr(json, "{\"type\":\"assert-last-assigned-field-id\",\"last-assigned-field-id\":2}"));
	CHECK(strstr(json, "\"add-schema\"") && strstr(json, "\"set-current-schema\""));
	CHECK(strstr(json, "add-spec") == NULL && strstr(json, "add-snapshot") == NULL);
	free(json);
	pond_iceberg_metadata_free(&v1);
	pond_iceberg_metadata_free(&md);
}
