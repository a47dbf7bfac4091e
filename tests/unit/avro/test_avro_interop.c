/*
 * pond writes, avsc (an independent Avro implementation, run through
 * tests/node/avro_dump.js) reads: every codec, the Iceberg metadata keys,
 * and every record of the "everything" schema. Fails when node or the
 * script is missing.
 */
#include "../test.h"

#include "avro_helpers.h"

#include <jansson.h>
#include <stdlib.h>

static int write_file(const char *path, pond_avro_codec codec, int n, pond_error *err)
{
	pond_avro_schema *schema;
	int rc = pond_avro_schema_parse(&schema, avro_test_everything_schema, strlen(avro_test_everything_schema),
	                                NULL, err);
	if (rc)
		return rc;
	pond_avro_writer_options opts = POND_AVRO_WRITER_OPTIONS_INIT;
	opts.codec = codec;
	opts.block_bytes = 1000;
	pond_avro_writer *w = NULL;
	pond_arena *arena = pond_arena_new();
	rc = pond_avro_writer_open_file(&w, path, schema, &opts, err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "schema", "{\"type\":\"struct\",\"fields\":[]}", err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "partition-spec", "[]", err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "partition-spec-id", "0", err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "format-version", "2", err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "content", "data", err);
	for (int i = 0; !rc && i < n; i++) {
		rc = pond_avro_writer_append(w, avro_test_everything(arena, pond_avro_schema_root(schema), i), err);
		pond_arena_reset(arena);
	}
	if (!rc)
		rc = pond_avro_writer_finish(w, err);
	pond_avro_writer_free(&w);
	pond_arena_free(&arena);
	pond_avro_schema_free(&schema);
	return rc;
}

TEST(avro_interop_avsc_reads_what_pond_writes_every_codec)
{
	const pond_avro_codec codecs[] = {POND_AVRO_CODEC_NULL, POND_AVRO_CODEC_DEFLATE, POND_AVRO_CODEC_SNAPPY,
	                                  POND_AVRO_CODEC_ZSTANDARD};
	CHECK_MSG(pond_file_exists("tests/node/avro_dump.js"), "tests/node/avro_dump.js is missing (cwd must be the repo root)");
	pond_avro_schema *schema;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_avro_schema_parse(&schema, avro_test_everything_schema, strlen(avro_test_everything_schema), NULL, &err), &err);
	for (size_t c = 0; c < 4; c++) {
		const int n = 60;
		char path[4200];
		snprintf(path, sizeof(path), "%s/interop-%s.avro", pond_test_tmpdir(), pond_avro_codec_name(codecs[c]));
		CHECK_OK(write_file(path, codecs[c], n, &err), &err);
		char **lines = avro_test_avsc_dump(path);
		CHECK_MSG(lines != NULL, "node tests/node/avro_dump.js failed on %s", path);
		json_error_t jerr;
		json_t *head = json_loads(lines[0], 0, &jerr);
		bool head_ok = head && json_is_object(head) &&
		               strcmp(json_string_value(json_object_get(head, "codec")), pond_avro_codec_name(codecs[c])) == 0;
		json_t *meta = head ? json_object_get(head, "meta") : NULL;
		head_ok = head_ok && meta &&
		          strcmp(json_string_value(json_object_get(meta, "format-version")), "2") == 0 &&
		          strcmp(json_string_value(json_object_get(meta, "partition-spec-id")), "0") == 0 &&
		          strcmp(json_string_value(json_object_get(meta, "partition-spec")), "[]") == 0 &&
		          strcmp(json_string_value(json_object_get(meta, "content")), "data") == 0 &&
		          strcmp(json_string_value(json_object_get(meta, "schema")), "{\"type\":\"struct\",\"fields\":[]}") == 0;
		json_decref(head);
		if (!head_ok) {
			avro_test_free_lines(lines);
			CHECK_MSG(0, "codec %s: header differs", pond_avro_codec_name(codecs[c]));
		}
		pond_arena *arena = pond_arena_new();
		int i = 0;
		bool same = true;
		for (; lines[i + 1] && same; i++) {
			char *expect = avro_test_json(avro_test_everything(arena, pond_avro_schema_root(schema), i));
			same = avro_test_json_equal(expect, lines[i + 1]);
			pond_free(expect);
			pond_arena_reset(arena);
		}
		pond_arena_free(&arena);
		avro_test_free_lines(lines);
		CHECK_MSG(same, "codec %s: record %d differs", pond_avro_codec_name(codecs[c]), i - 1);
		CHECK_MSG(i == n, "codec %s: avsc read %d records of %d", pond_avro_codec_name(codecs[c]), i, n);
	}
	pond_avro_schema_free(&schema);
}
