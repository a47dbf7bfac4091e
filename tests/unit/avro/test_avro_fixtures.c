/*
 * Reading real Iceberg files written by others: iceberg-rust manifest
 * lists, DuckDB's and Spark's (Java, deflate) and pyiceberg's (null codec)
 * manifests and manifest lists. Every record of every file is compared
 * with what avsc (an independent reader) decodes, and a few values are
 * checked by hand.
 */
#include "../test.h"

#include "avro_helpers.h"

#include <ftw.h>
#include <stdlib.h>

static char fixture_list[256][1024];
static int nfixtures;

static int collect(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)ftw;
	if (flag == FTW_F && pond_str_ends_with(path, ".avro") && !strstr(path, "encrypted") &&
	    (strstr(path, "/metadata/") || strstr(path, "/manifests_lists/")) && nfixtures < 256)
		snprintf(fixture_list[nfixtures++], sizeof(fixture_list[0]), "%s", path);
	return 0;
}

static void fixture_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/iceberg/%s", pond_test_fixtures(), rel);
}

TEST(avro_fixtures_match_independent_reader)
{
	char root[2048];
	fixture_path(root, sizeof(root), "");
	nfixtures = 0;
	CHECK(nftw(root, collect, 16, FTW_PHYS) == 0);
	CHECK_MSG(nfixtures >= 60, "found %d fixture files under %s", nfixtures, root);
	const char *paths[256];
	for (int f = 0; f < nfixtures; f++)
		paths[f] = fixture_list[f];
	char ***avsc = avro_test_avsc_dump_files(paths, (size_t)nfixtures);
	CHECK_MSG(avsc != NULL, "avsc could not read the fixtures under %s", root);
	int records = 0;
	for (int f = 0; f < nfixtures; f++) {
		pond_error err = POND_ERROR_INIT;
		char **ours = avro_test_pond_dump(fixture_list[f], &err);
		char **theirs = avsc[f];
		if (!ours || !theirs) {
			avro_test_free_lines(ours);
			avro_test_free_files(avsc, (size_t)nfixtures);
			CHECK_MSG(0, "%s: %s", fixture_list[f], ours ? "no records from avsc" : err.msg);
		}
		size_t i = 0;
		for (; ours[i] && theirs[i + 1]; i++) {
			if (!avro_test_json_equal(ours[i], theirs[i + 1])) {
				avro_test_free_lines(ours);
				avro_test_free_files(avsc, (size_t)nfixtures);
				CHECK_MSG(0, "%s: record %zu differs", fixture_list[f], i);
			}
			records++;
		}
		bool same_count = !ours[i] && !theirs[i + 1];
		avro_test_free_lines(ours);
		if (!same_count) {
			avro_test_free_files(avsc, (size_t)nfixtures);
			CHECK_MSG(0, "%s: record counts differ", fixture_list[f]);
		}
	}
	avro_test_free_files(avsc, (size_t)nfixtures);
	CHECK(records > 100);
}

/* iceberg-rust's two manifest lists name field 504 differently
 * (added_data_files_count, added_files_count): found by id either way. */
TEST(avro_fixture_manifest_lists_resolve_renamed_field_by_id)
{
	const char *names[] = {"manifest-list-v2-1.avro", "manifest-list-v2-2.avro"};
	const int64_t snapshot_ids[] = {6653143792592159268LL, 3083072880052097243LL};
	const int64_t lengths[] = {6658, 6660};
	for (int k = 0; k < 2; k++) {
		pond_error err = POND_ERROR_INIT;
		char rel[256], path[2048];
		snprintf(rel, sizeof(rel), "iceberg-rust/manifests_lists/%s", names[k]);
		fixture_path(path, sizeof(path), rel);
		pond_avro_reader *r;
		CHECK_OK(pond_avro_reader_open_file(&r, path, &err), &err);
		pond_arena *arena = pond_arena_new();
		CHECK_INT(pond_avro_reader_codec(r), POND_AVRO_CODEC_DEFLATE);
		CHECK_STR(pond_avro_reader_meta(r, "format-version", NULL), "2");
		CHECK_STR(pond_avro_reader_meta(r, "parent-snapshot-id", NULL), "null");
		char sid[32];
		snprintf(sid, sizeof(sid), "%lld", (long long)snapshot_ids[k]);
		CHECK_STR(pond_avro_reader_meta(r, "snapshot-id", NULL), sid);
		CHECK(pond_avro_reader_meta(r, "no-such-key", NULL) == NULL);
		const pond_avro_value *v;
		int64_t n;
		CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 1);
		CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 504, "added_data_files_count"), &n) && n == 1);
		CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 501, "manifest_length"), &n) && n == lengths[k]);
		CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 503, NULL), &n) && n == snapshot_ids[k]);
		CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 512, NULL), &n) && n == 1);
		const char *fname = pond_avro_node_field_by_id(v->schema, 504, NULL)->name;
		CHECK_STR(fname, k == 0 ? "added_data_files_count" : "added_files_count");
		if (k == 1)
			CHECK(pond_avro_record_get_by_name(v, "added_data_files_count") == NULL);
		const pond_avro_value *parts = pond_avro_record_get(v, 507, "partitions");
		CHECK(parts && parts->type == POND_AVRO_ARRAY && parts->u.array.count == 0);
		CHECK(pond_avro_node_field_by_id(v->schema, 507, NULL)->type->branches[1]->element_id == 508);
		CHECK(pond_avro_value_get_string(pond_avro_record_get(v, 500, NULL)) != NULL);
		CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 0);
		CHECK_INT(pond_avro_reader_records(r), 1);
		pond_avro_reader_close(&r);
		pond_arena_free(&arena);
	}
}

/* A Spark (Java, deflate) manifest: entries with data_file records, int-keyed
 * maps (column_sizes, k117_v118) decoded as maps. */
TEST(avro_fixture_spark_manifest_values)
{
	pond_error err = POND_ERROR_INIT;
	char path[2048];
	fixture_path(path, sizeof(path), "icebird/spark/rename_column/metadata/abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro");
	pond_avro_reader *r;
	CHECK_OK(pond_avro_reader_open_file(&r, path, &err), &err);
	CHECK_STR(pond_avro_reader_meta(r, "partition-spec-id", NULL), "0");
	CHECK(pond_avro_reader_meta(r, "partition-spec", NULL) != NULL);
	CHECK(strstr(pond_avro_reader_meta(r, "schema", NULL), "\"decimal(10, 2)\"") != NULL);
	pond_arena *arena = pond_arena_new();
	const pond_avro_value *v;
	int64_t n;
	CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 1);
	CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 0, "status"), &n) && n == 1);
	CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 1, "snapshot_id"), &n) && n == 5276958600260276572LL);
	CHECK(pond_avro_value_is_null(pond_avro_record_get(v, 3, "sequence_number")));
	const pond_avro_value *df = pond_avro_record_get(v, 2, "data_file");
	CHECK(df && df->type == POND_AVRO_RECORD);
	CHECK(pond_avro_value_get_long(pond_avro_record_get(df, 103, "record_count"), &n) && n == 1);
	CHECK(pond_avro_value_get_long(pond_avro_record_get(df, 104, "file_size_in_bytes"), &n) && n == 1353);
	CHECK_STR(pond_avro_value_get_string(pond_avro_record_get(df, 101, "file_format")), "PARQUET");
	const pond_avro_value *part = pond_avro_record_get(df, 102, "partition");
	CHECK(pond_avro_value_get_long(pond_avro_record_get_by_name(part, "id_bucket"), &n) && n == 3);
	const pond_avro_value *sizes = pond_avro_record_get(df, 108, "column_sizes");
	CHECK(sizes && sizes->type == POND_AVRO_MAP && sizes->u.map.count == 5);
	CHECK_INT(sizes->schema->key_id, 117);
	CHECK_INT(sizes->schema->value_id, 118);
	CHECK_INT(sizes->u.map.entries[1].key->u.i32, 2);
	CHECK_INT(sizes->u.map.entries[1].value->u.i64, 52);
	int count = 1, rc;
	while ((rc = pond_avro_reader_next(r, arena, &v, &err)) == 1)
		count++;
	CHECK_INT(rc, 0);
	CHECK_INT(count, 3);
	pond_avro_reader_close(&r);
	pond_arena_free(&arena);
}

/* pyiceberg writes the null codec; read from memory this time. */
TEST(avro_fixture_null_codec_from_memory)
{
	char root[2048];
	fixture_path(root, sizeof(root), "");
	nfixtures = 0;
	CHECK(nftw(root, collect, 16, FTW_PHYS) == 0);
	int seen = 0;
	for (int f = 0; f < nfixtures; f++) {
		pond_error err = POND_ERROR_INIT;
		char *data;
		size_t len;
		CHECK(avro_test_slurp(fixture_list[f], &data, &len) == 0);
		pond_avro_reader *r;
		int rc = pond_avro_reader_open_memory(&r, data, len, fixture_list[f], &err);
		if (rc) {
			pond_free(data);
			CHECK_MSG(0, "%s", err.msg);
		}
		if (pond_avro_reader_codec(r) == POND_AVRO_CODEC_NULL) {
			seen++;
			pond_arena *arena = pond_arena_new();
			const pond_avro_value *v;
			int n = 0;
			while ((rc = pond_avro_reader_next(r, arena, &v, &err)) == 1) {
				n++;
				pond_arena_reset(arena);
			}
			pond_arena_free(&arena);
			CHECK_MSG(rc == 0 && n > 0, "%s: %s", fixture_list[f], err.msg);
		}
		pond_avro_reader_close(&r);
		pond_free(data);
	}
	CHECK(seen >= 5);
}

TEST(avro_fixture_encrypted_manifest_list_is_refused)
{
	pond_error err = POND_ERROR_INIT;
	char path[2048];
	fixture_path(path, sizeof(path), "iceberg-rust/manifests_lists/manifest-list-v3-encrypted.avro");
	pond_avro_reader *r;
	CHECK(pond_avro_reader_open_file(&r, path, &err) == POND_ECORRUPT);
	CHECK(r == NULL);
	CHECK(strstr(err.msg, "bad magic") && strstr(err.msg, "at byte 0"));
}
