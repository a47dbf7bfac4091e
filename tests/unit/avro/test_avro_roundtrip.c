/*
 * Write then read: every Avro type (the "everything" schema: nested
 * records, arrays, maps, unions, fixed, enums, Iceberg's int-keyed map
 * encoding, logical types) through every codec, to memory and to files.
 */
#include "../test.h"

#include "avro_helpers.h"

#include <stdlib.h>

static const pond_avro_codec all_codecs[] = {
	POND_AVRO_CODEC_NULL, POND_AVRO_CODEC_DEFLATE, POND_AVRO_CODEC_SNAPPY, POND_AVRO_CODEC_ZSTANDARD,
};

/* Writes n records (small blocks, so several blocks) and reads them back,
 * comparing each record's JSON. */
static int roundtrip(pond_avro_codec codec, const char *path, int n, pond_error *err)
{
	pond_avro_schema *schema = NULL;
	pond_avro_writer *w = NULL;
	pond_avro_reader *r = NULL;
	pond_arena *arena = pond_arena_new();
	pond_buf out = POND_BUF_INIT;
	pond_avro_writer_options opts = POND_AVRO_WRITER_OPTIONS_INIT;
	int rc, bad = 0;
	opts.codec = codec;
	opts.block_bytes = 700;
	rc = pond_avro_schema_parse(&schema, avro_test_everything_schema, strlen(avro_test_everything_schema),
	                            NULL, err);
	if (!rc)
		rc = path ? pond_avro_writer_open_file(&w, path, schema, &opts, err)
		          : pond_avro_writer_open_buf(&w, &out, schema, &opts, err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "format-version", "2", err);
	for (int i = 0; !rc && i < n; i++) {
		rc = pond_avro_writer_append(w, avro_test_everything(arena, pond_avro_schema_root(schema), i), err);
		pond_arena_reset(arena);
	}
	if (!rc)
		rc = pond_avro_writer_finish(w, err);
	pond_avro_writer_free(&w);
	if (!rc)
		rc = path ? pond_avro_reader_open_file(&r, path, err)
		          : pond_avro_reader_open_memory(&r, out.ptr, out.len, "roundtrip", err);
	if (!rc && (pond_avro_reader_codec(r) != codec || !pond_avro_reader_meta(r, "format-version", NULL) ||
	            strcmp(pond_avro_reader_meta(r, "format-version", NULL), "2") != 0))
		bad = 1;
	pond_arena *expect_arena = pond_arena_new();
	int got = 0;
	const pond_avro_value *v;
	while (!rc && !bad && (rc = pond_avro_reader_next(r, arena, &v, err)) == 1) {
		char *a = avro_test_json(v);
		char *b = avro_test_json(avro_test_everything(expect_arena, pond_avro_schema_root(schema), got));
		if (!a || !b || strcmp(a, b) != 0) {
			fprintf(stderr, "    record %d differs:\n      %s\n      %s\n", got, a, b);
			bad = 1;
		}
		pond_free(a);
		pond_free(b);
		pond_arena_reset(arena);
		pond_arena_reset(expect_arena);
		got++;
		rc = 0;
	}
	if (rc == 0 && got != n && !bad) {
		fprintf(stderr, "    read %d records, wrote %d\n", got, n);
		bad = 1;
	}
	pond_avro_reader_close(&r);
	pond_arena_free(&expect_arena);
	pond_arena_free(&arena);
	pond_buf_dispose(&out);
	pond_avro_schema_free(&schema);
	return rc < 0 ? rc : bad ? POND_ERROR : 0;
}

TEST(avro_roundtrip_every_type_every_codec_in_memory)
{
	pond_error err = POND_ERROR_INIT;
	for (size_t c = 0; c < 4; c++) {
		int rc = roundtrip(all_codecs[c], NULL, 200, &err);
		CHECK_MSG(rc == 0, "codec %s: %s", pond_avro_codec_name(all_codecs[c]), err.msg);
	}
}

TEST(avro_roundtrip_every_type_every_codec_to_file)
{
	pond_error err = POND_ERROR_INIT;
	for (size_t c = 0; c < 4; c++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/rt-%s.avro", pond_test_tmpdir(), pond_avro_codec_name(all_codecs[c]));
		int rc = roundtrip(all_codecs[c], path, 57, &err);
		CHECK_MSG(rc == 0, "codec %s: %s", pond_avro_codec_name(all_codecs[c]), err.msg);
	}
}

TEST(avro_roundtrip_values_decode_as_typed)
{
	pond_error err = POND_ERROR_INIT;
	pond_avro_schema *schema;
	pond_arena *arena = pond_arena_new();
	pond_buf out = POND_BUF_INIT;
	pond_avro_writer *w;
	CHECK_OK(pond_avro_schema_parse(&schema, avro_test_everything_schema, strlen(avro_test_everything_schema), NULL, &err), &err);
	const pond_avro_node *root = pond_avro_schema_root(schema);
	CHECK_OK(pond_avro_writer_open_buf(&w, &out, schema, NULL, &err), &err);
	CHECK_OK(pond_avro_writer_append(w, avro_test_everything(arena, root, 5), &err), &err);
	CHECK_OK(pond_avro_writer_finish(w, &err), &err);
	pond_avro_writer_free(&w);
	pond_avro_reader *r;
	const pond_avro_value *v;
	CHECK_OK(pond_avro_reader_open_memory(&r, out.ptr, out.len, "typed", &err), &err);
	CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 1);
	int64_t l;
	CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 3, NULL), &l) && l == 5000);
	CHECK(pond_avro_value_get_long(pond_avro_record_get(v, 4, "l"), &l) && l == INT64_MAX - 5);
	CHECK_STR(pond_avro_value_get_string(pond_avro_record_get(v, 16, "opt")), "optional 5");
	CHECK_INT(pond_avro_record_get(v, 16, NULL)->branch, 1);
	CHECK_INT(pond_avro_record_get_by_name(v, "u")->type, POND_AVRO_STRING);
	CHECK_STR(pond_avro_record_get_by_id(v, 9)->u.enm.symbol, "blue");
	const pond_avro_value *counts = pond_avro_record_get_by_id(v, 22);
	CHECK_INT(counts->type, POND_AVRO_MAP);
	CHECK_INT(counts->u.map.count, 1);
	CHECK_INT(counts->u.map.entries[0].key->u.i32, 1);
	CHECK_INT(counts->u.map.entries[0].value->u.i64, 1005);
	CHECK_INT(counts->schema->logical, POND_AVRO_LOGICAL_ICEBERG_MAP);
	CHECK_INT(counts->schema->key_id, 23);
	CHECK_INT(counts->schema->value_id, 24);
	const pond_avro_value *nested = pond_avro_record_get_by_id(v, 18);
	CHECK_INT(pond_avro_record_get_by_id(nested, 19)->u.i32, 32);
	CHECK_INT(pond_avro_record_get_by_id(nested, 20)->u.array.count, 2);
	CHECK_STR(pond_avro_value_get_string(pond_avro_record_get_by_id(nested, 20)->u.array.items[1]), "tag-5-1");
	CHECK(pond_avro_value_is_null(pond_avro_record_get_by_id(v, 1)));
	CHECK(pond_avro_record_get(v, 999, "nope") == NULL);
	CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 0);
	pond_avro_reader_close(&r);
	pond_buf_dispose(&out);
	pond_arena_free(&arena);
	pond_avro_schema_free(&schema);
}

TEST(avro_writer_fills_missing_fields_with_null_or_default)
{
	pond_error err = POND_ERROR_INIT;
	const char *js = "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
	                 "{\"name\":\"a\",\"type\":\"long\",\"field-id\":1},"
	                 "{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"field-id\":2},"
	                 "{\"name\":\"c\",\"type\":\"int\",\"default\":42,\"field-id\":3},"
	                 "{\"name\":\"d\",\"type\":{\"type\":\"array\",\"items\":\"string\"},\"default\":[\"x\"]}]}";
	const char *other = "{\"type\":\"record\",\"name\":\"o\",\"fields\":["
	                    "{\"name\":\"renamed_a\",\"type\":\"long\",\"field-id\":1}]}";
	pond_avro_schema *schema, *oschema;
	CHECK_OK(pond_avro_schema_parse(&schema, js, strlen(js), NULL, &err), &err);
	CHECK_OK(pond_avro_schema_parse(&oschema, other, strlen(other), NULL, &err), &err);
	pond_arena *arena = pond_arena_new();
	pond_buf out = POND_BUF_INIT;
	pond_avro_writer *w;
	CHECK_OK(pond_avro_writer_open_buf(&w, &out, schema, NULL, &err), &err);
	/* A record of another schema: "a" is matched by field id. */
	pond_avro_value *rec = pond_avro_value_record(arena, pond_avro_schema_root(oschema));
	pond_avro_record_set(rec, "renamed_a", pond_avro_value_long(arena, 77));
	CHECK_OK(pond_avro_writer_append(w, rec, &err), &err);
	/* A value of the wrong type is refused, and the writer goes on. */
	pond_avro_value *bad = pond_avro_value_record(arena, pond_avro_schema_root(schema));
	pond_avro_record_set(bad, "a", pond_avro_value_string(arena, "x"));
	CHECK(pond_avro_writer_append(w, bad, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "field \"a\"") != NULL);
	CHECK(pond_avro_writer_set_meta_string(w, "late", "x", &err) == POND_EINVAL);
	CHECK_OK(pond_avro_writer_finish(w, &err), &err);
	CHECK_INT(pond_avro_writer_records(w), 1);
	pond_avro_writer_free(&w);
	pond_avro_reader *r;
	const pond_avro_value *v;
	CHECK_OK(pond_avro_reader_open_memory(&r, out.ptr, out.len, "defaults", &err), &err);
	CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 1);
	char *j = avro_test_json(v);
	CHECK_STR(j, "{\"a\":77,\"b\":null,\"c\":42,\"d\":[\"x\"]}");
	pond_free(j);
	CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 0);
	pond_avro_reader_close(&r);
	pond_buf_dispose(&out);
	pond_arena_free(&arena);
	pond_avro_schema_free(&schema);
	pond_avro_schema_free(&oschema);
}

TEST(avro_writer_file_is_never_overwritten_and_empty_file_reads)
{
	pond_error err = POND_ERROR_INIT;
	pond_avro_schema *schema;
	CHECK_OK(pond_avro_schema_parse(&schema, "\"long\"", 6, NULL, &err), &err);
	char path[4200];
	snprintf(path, sizeof(path), "%s/empty.avro", pond_test_tmpdir());
	pond_avro_writer *w;
	CHECK_OK(pond_avro_writer_open_file(&w, path, schema, NULL, &err), &err);
	CHECK_OK(pond_avro_writer_finish(w, &err), &err);
	pond_avro_writer_free(&w);
	CHECK(pond_avro_writer_open_file(&w, path, schema, NULL, &err) == POND_EEXISTS);
	CHECK(w == NULL);
	pond_avro_reader *r;
	const pond_avro_value *v;
	pond_arena *arena = pond_arena_new();
	CHECK_OK(pond_avro_reader_open_file(&r, path, &err), &err);
	CHECK_INT(pond_avro_reader_next(r, arena, &v, &err), 0);
	CHECK_INT(pond_avro_schema_root(pond_avro_reader_schema(r))->type, POND_AVRO_LONG);
	pond_avro_reader_close(&r);
	/* A writer freed before finish removes its file. */
	snprintf(path, sizeof(path), "%s/abandoned.avro", pond_test_tmpdir());
	CHECK_OK(pond_avro_writer_open_file(&w, path, schema, NULL, &err), &err);
	CHECK_OK(pond_avro_writer_append(w, pond_avro_value_long(arena, 1), &err), &err);
	pond_avro_writer_free(&w);
	CHECK(!pond_file_exists(path));
	CHECK(pond_avro_reader_open_file(&r, path, &err) == POND_ENOTFOUND);
	pond_arena_free(&arena);
	pond_avro_schema_free(&schema);
}
