/*
 * Table metadata: the iceberg-rust accept/reject fixtures, every metadata
 * file written by Spark, Java and pyiceberg in tests/fixtures, exact
 * round trips (unknown keys kept), gzip files, and allocation failures.
 */
#include "../test.h"

#include "pond/iceberg.h"

#include <ftw.h>
#include <jansson.h>
#include <stdlib.h>
#include <zlib.h>

static int load(pond_iceberg_metadata **md, const char *rel, pond_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/iceberg/%s", pond_test_fixtures(), rel);
	return pond_iceberg_metadata_load_file(md, path, err);
}

TEST(metadata_accepts_valid_iceberg_rust_fixtures)
{
	const char *names[] = {"TableMetadataV1Valid", "TableMetadataV1Compat", "TableMetadataV1SchemasWithoutCurrentId",
	                       "TableMetadataV1PartitionSpecsWithoutDefaultId", "TableMetadataV2Valid",
	                       "TableMetadataV2ValidMinimal"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char rel[256];
		pond_error err = POND_ERROR_INIT;
		pond_iceberg_metadata *md = NULL;
		snprintf(rel, sizeof(rel), "iceberg-rust/table_metadata/%s.json", names[i]);
		CHECK_OK(load(&md, rel, &err), &err);
		CHECK(pond_iceberg_metadata_current_schema(md) != NULL);
		CHECK(pond_iceberg_metadata_default_spec(md) != NULL);
		pond_iceberg_metadata_free(&md);
		CHECK(md == NULL);
	}
}

TEST(metadata_reads_v1_and_v2_fields)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md;
	CHECK_OK(load(&md, "iceberg-rust/table_metadata/TableMetadataV1Valid.json", &err), &err);
	CHECK_INT(md->format_version, 1);
	CHECK_INT(md->nspecs, 1);
	CHECK_INT(md->specs[0]->fields[0].field_id, 1000);
	CHECK_INT(md->last_partition_id, 1000);
	CHECK_INT(md->current_snapshot_id, POND_ICEBERG_NO_SNAPSHOT);
	CHECK_INT(md->default_sort_order_id, 0);
	CHECK_STR(md->schemas[0]->root->fields[1].doc, "comment");
	pond_iceberg_metadata_free(&md);

	CHECK_OK(load(&md, "iceberg-rust/table_metadata/TableMetadataV1PartitionSpecsWithoutDefaultId.json", &err), &err);
	CHECK_INT(md->default_spec_id, 2);
	pond_iceberg_metadata_free(&md);

	CHECK_OK(load(&md, "iceberg-rust/table_metadata/TableMetadataV2Valid.json", &err), &err);
	CHECK_INT(md->format_version, 2);
	CHECK_INT(md->last_sequence_number, 34);
	CHECK_INT(md->current_schema_id, 1);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(md);
	CHECK_INT(s->nidentifier_field_ids, 2);
	CHECK_INT(pond_iceberg_schema_highest_field_id(s), 3);
	CHECK_STR(pond_iceberg_schema_find_name(s, "z")->name, "z");
	const pond_iceberg_sort_order *o = pond_iceberg_metadata_sort_order(md, 3);
	CHECK(o && o->nfields == 2 && o->fields[1].descending && !o->fields[1].nulls_first);
	CHECK_INT(o->fields[1].transform.kind, POND_ICEBERG_BUCKET);
	const pond_iceberg_snapshot *cur = pond_iceberg_metadata_current_snapshot(md);
	CHECK(cur && cur->has_parent && cur->parent_snapshot_id == 3051729675574597004LL);
	CHECK_STR(cur->manifest_list, "s3://a/b/2.avro");
	CHECK_STR(cur->operation, "append");
	/* no refs in the file: main is implied by current-snapshot-id */
	const pond_iceberg_ref *main_ref = pond_iceberg_metadata_ref(md, "main");
	CHECK(main_ref && !main_ref->is_tag && main_ref->snapshot_id == 3055729675574597004LL);
	CHECK_INT(md->nsnapshot_log, 2);
	pond_iceberg_metadata_free(&md);
}

static void check_rejected(const char *name, int code, const char *needle)
{
	char rel[256];
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = NULL;
	snprintf(rel, sizeof(rel), "iceberg-rust/table_metadata/%s.json", name);
	int rc = load(&md, rel, &err);
	CHECK_MSG(rc == code, "%s: returned %d (%s)", name, rc, err.msg);
	CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: message \"%s\" does not name %s", name, err.msg, needle);
	CHECK_MSG(strstr(err.msg, name) != NULL, "%s: message \"%s\" does not name the file", name, err.msg);
	CHECK(md == NULL);
}

TEST(metadata_rejects_invalid_fixtures_naming_the_field)
{
	check_rejected("TableMetadataV1NoValidSchema", POND_EINVAL, "\"current-schema-id\"");
	check_rejected("TableMetadataV2MissingSortOrder", POND_EINVAL, "\"sort-orders\"");
	check_rejected("TableMetadataV2MissingSchemas", POND_EINVAL, "\"schemas\"");
	check_rejected("TableMetadataV2MissingPartitionSpecs", POND_EINVAL, "\"partition-specs\"");
	check_rejected("TableMetadataV2MissingLastPartitionId", POND_EINVAL, "\"last-partition-id\"");
	check_rejected("TableMetadataV2CurrentSchemaNotFound", POND_EINVAL, "current-schema-id 2");
	check_rejected("TableMetadataUnsupportedVersion", POND_EUNSUPPORTED, "format-version");
	check_rejected("TableMetadataV3ValidMinimal", POND_EUNSUPPORTED, "format v3 is not supported");
	check_rejected("TableMetadataV3ValidEncryption", POND_EUNSUPPORTED, "format v3 is not supported");
}

/* parse -> serialize -> parse -> serialize: the two texts are equal, and
 * every key of the original file is still there. */
static int round_trip(const char *path, char *msg, size_t msglen)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *a = NULL, *b = NULL;
	char *ta = NULL, *tb = NULL;
	json_t *orig = NULL, *written = NULL;
	int rc = pond_iceberg_metadata_load_file(&a, path, &err);
	if (!rc)
		rc = pond_iceberg_metadata_serialize(&ta, a, false, &err);
	if (!rc)
		rc = pond_iceberg_metadata_parse(&b, ta, strlen(ta), "round trip", &err);
	if (!rc)
		rc = pond_iceberg_metadata_serialize(&tb, b, false, &err);
	if (!rc && strcmp(ta, tb) != 0)
		rc = pond_error_set(&err, POND_ERROR, "second serialization differs");
	if (!rc && !pond_json_load_file(&orig, path, &err) && !pond_json_parse(&written, ta, strlen(ta), "w", &err)) {
		const char *key;
		json_t *value;
		json_object_foreach(orig, key, value) {
			bool v1_only = !strcmp(key, "schema") || !strcmp(key, "partition-spec");
			if (!v1_only && !json_object_get(written, key))
				rc = pond_error_set(&err, POND_ERROR, "key \"%s\" lost", key);
			else if (!strcmp(key, "properties") || !strcmp(key, "statistics") || !strcmp(key, "snapshot-log") ||
			         !strcmp(key, "metadata-log") || !strcmp(key, "table-uuid") || !strcmp(key, "location"))
				if (!json_equal(value, json_object_get(written, key)))
					rc = pond_error_set(&err, POND_ERROR, "key \"%s\" changed", key);
		}
	}
	if (rc)
		snprintf(msg, msglen, "%s: %s", path, err.msg);
	json_decref(orig);
	json_decref(written);
	pond_free(ta);
	pond_free(tb);
	pond_iceberg_metadata_free(&a);
	pond_iceberg_metadata_free(&b);
	return rc;
}

static int walked, walk_failures;
static char walk_msg[2048];

static int walk_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)ftw;
	if (flag != FTW_F || !pond_str_ends_with(path, ".metadata.json"))
		return 0;
	walked++;
	char msg[2048];
	if (round_trip(path, msg, sizeof(msg))) {
		walk_failures++;
		snprintf(walk_msg, sizeof(walk_msg), "%s", msg);
	}
	return 0;
}

TEST(metadata_round_trips_every_fixture_written_by_other_engines)
{
	char root[4096];
	const char *dirs[] = {"duckdb-iceberg", "icebird"};
	walked = walk_failures = 0;
	for (size_t i = 0; i < 2; i++) {
		snprintf(root, sizeof(root), "%s/iceberg/%s", pond_test_fixtures(), dirs[i]);
		CHECK(nftw(root, walk_entry, 16, FTW_PHYS) == 0);
	}
	CHECK_MSG(walk_failures == 0, "%d of %d failed, e.g. %s", walk_failures, walked, walk_msg);
	CHECK(walked >= 40);
	const char *more[] = {"iceberg-rust/example_table_metadata_v2_partition_evolution.json",
	                      "iceberg-rust/table_metadata/TableMetadataV2Valid.json",
	                      "iceberg-rust/table_metadata/TableMetadataV2ValidMinimal.json",
	                      "iceberg-rust/table_metadata/TableMetadataV1Valid.json",
	                      "iceberg-rust/table_metadata/TableMetadataV1Compat.json"};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		char path[4096], msg[2048];
		snprintf(path, sizeof(path), "%s/iceberg/%s", pond_test_fixtures(), more[i]);
		CHECK_MSG(round_trip(path, msg, sizeof(msg)) == 0, "%s", msg);
	}
}

TEST(metadata_keeps_unknown_keys_and_statistics)
{
	const char *text =
		"{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"/t\","
		"\"last-sequence-number\":0,\"last-updated-ms\":1,\"last-column-id\":1,\"current-schema-id\":0,"
		"\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":false,"
		"\"type\":\"int\",\"initial-default\":7,\"write-default\":{\"a\":[1]}}]}],"
		"\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],\"last-partition-id\":999,"
		"\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],"
		"\"statistics\":[{\"snapshot-id\":1,\"statistics-path\":\"s\",\"blob-metadata\":[]}],"
		"\"x-vendor\":{\"k\":[1,2]}}";
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md;
	char *out;
	CHECK_OK(pond_iceberg_metadata_parse(&md, text, strlen(text), "inline", &err), &err);
	CHECK_STR(md->schemas[0]->root->fields[0].initial_default, "7");
	CHECK_OK(pond_iceberg_metadata_serialize(&out, md, false, &err), &err);
	CHECK(strstr(out, "\"x-vendor\":{\"k\":[1,2]}") != NULL);
	CHECK(strstr(out, "\"statistics-path\":\"s\"") != NULL);
	CHECK(strstr(out, "\"write-default\":{\"a\":[1]}") != NULL);
	CHECK(strstr(out, "\"current-snapshot-id\":-1") != NULL);
	pond_free(out);
	pond_iceberg_metadata_free(&md);
}

TEST(metadata_reads_gzip_files)
{
	char path[4096], *text;
	size_t len;
	pond_error err = POND_ERROR_INIT;
	snprintf(path, sizeof(path), "%s/iceberg/iceberg-rust/table_metadata/TableMetadataV2Valid.json",
	         pond_test_fixtures());
	CHECK_OK(pond_file_read(&text, &len, path, 1 << 20, &err), &err);
	char gz[4096];
	snprintf(gz, sizeof(gz), "%s/00001-x.gz.metadata.json", pond_test_tmpdir());
	gzFile f = gzopen(gz, "wb");
	CHECK(f != NULL);
	CHECK(gzwrite(f, text, (unsigned)len) == (int)len);
	gzclose(f);
	pond_free(text);
	pond_iceberg_metadata *md;
	CHECK_OK(pond_iceberg_metadata_load_file(&md, gz, &err), &err);
	CHECK_INT(md->last_sequence_number, 34);
	pond_iceberg_metadata_free(&md);
	const char bad[] = "\x1f\x8b\x08\x00garbage";
	CHECK(pond_iceberg_metadata_parse(&md, bad, sizeof(bad) - 1, "bad.gz", &err) == POND_ECORRUPT);
}

TEST(metadata_survives_every_allocation_failure)
{
	char path[4096], *text;
	size_t len;
	pond_error err = POND_ERROR_INIT;
	snprintf(path, sizeof(path), "%s/iceberg/iceberg-rust/table_metadata/TableMetadataV2Valid.json",
	         pond_test_fixtures());
	CHECK_OK(pond_file_read(&text, &len, path, 1 << 20, &err), &err);
	int failures = 0;
	for (long n = 1; n < 10000; n++) {
		pond_iceberg_metadata *md = NULL;
		char *out = NULL;
		pond_alloc_fail_at(n);
		int rc = pond_iceberg_metadata_parse(&md, text, len, "sweep", &err);
		if (!rc)
			rc = pond_iceberg_metadata_serialize(&out, md, false, &err);
		pond_alloc_fail_at(0);
		pond_free(out);
		pond_iceberg_metadata_free(&md);
		if (!rc)
			break;
		CHECK_MSG(rc == POND_ENOMEM, "allocation %ld: %d %s", n, rc, err.msg);
		failures++;
	}
	pond_free(text);
	CHECK(failures > 0);
}

TEST(metadata_file_name_counts_versions)
{
	char name[64];
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_iceberg_metadata_file_name(name, NULL, &err), &err);
	CHECK(strncmp(name, "00000-", 6) == 0 && pond_str_ends_with(name, ".metadata.json") && strlen(name) == 56);
	CHECK_OK(pond_iceberg_metadata_file_name(name, "s3://b/t/metadata/00041-d099e962-c779-4b0d-84d3-bfca774862f4.metadata.json", &err), &err);
	CHECK(strncmp(name, "00042-", 6) == 0);
	/* Hadoop tables' names: the next is numbered after them, in Java's form. */
	CHECK_OK(pond_iceberg_metadata_file_name(name, "/t/metadata/v3.metadata.json", &err), &err);
	CHECK(strncmp(name, "00004-", 6) == 0);
	CHECK(pond_iceberg_metadata_file_name(name, "/t/metadata/v.metadata.json", &err) == POND_EINVAL);
	CHECK(pond_iceberg_metadata_file_name(name, "/t/metadata/v3-x.metadata.json", &err) == POND_EINVAL);
	CHECK(pond_iceberg_metadata_file_name(name, "/t/metadata/table.metadata.json", &err) == POND_EINVAL);
}
