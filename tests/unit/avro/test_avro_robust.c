/*
 * Untrusted input and failing allocations: truncated and corrupted files
 * give a one-line error naming the byte offset, never a crash or a leak
 * (the sanitizer build checks both); every allocation of a write and a
 * read is made to fail in turn; 100k records stream in bounded memory.
 */
#include "../test.h"

#include "avro_helpers.h"
#include "avro/internal.h"

#include <stdlib.h>

static const pond_avro_codec codecs[] = {POND_AVRO_CODEC_NULL, POND_AVRO_CODEC_DEFLATE, POND_AVRO_CODEC_SNAPPY,
                                         POND_AVRO_CODEC_ZSTANDARD};

static int make_file(pond_buf *out, pond_avro_codec codec, int n, size_t block_bytes, pond_error *err)
{
	pond_avro_schema *schema;
	int rc = pond_avro_schema_parse(&schema, avro_test_everything_schema, strlen(avro_test_everything_schema),
	                                NULL, err);
	if (rc)
		return rc;
	pond_avro_writer_options opts = POND_AVRO_WRITER_OPTIONS_INIT;
	opts.codec = codec;
	opts.block_bytes = block_bytes;
	pond_avro_writer *w = NULL;
	pond_arena *arena = pond_arena_new();
	rc = pond_avro_writer_open_buf(&w, out, schema, &opts, err);
	if (!rc)
		rc = pond_avro_writer_set_meta_string(w, "format-version", "2", err);
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

/* Reads everything; returns the reader's final code, records through *n. */
static int read_all(const char *data, size_t len, int *n, pond_error *err)
{
	pond_avro_reader *r;
	*n = 0;
	int rc = pond_avro_reader_open_memory(&r, data, len, "x.avro", err);
	if (rc)
		return rc;
	pond_arena *arena = pond_arena_new();
	const pond_avro_value *v;
	if (!arena) {
		pond_avro_reader_close(&r);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	while ((rc = pond_avro_reader_next(r, arena, &v, err)) == 1) {
		(*n)++;
		pond_arena_reset(arena);
	}
	pond_arena_free(&arena);
	pond_avro_reader_close(&r);
	return rc;
}

TEST(avro_truncated_file_errors_name_the_byte)
{
	for (size_t c = 0; c < 4; c++) {
		pond_error err = POND_ERROR_INIT;
		pond_buf file = POND_BUF_INIT;
		/* Every cut of the file is read, so its size costs quadratic
		 * time: 16 records in blocks of ~300 bytes still make several
		 * blocks, each cut in its sync marker, count and body. */
		CHECK_OK(make_file(&file, codecs[c], 16, 300, &err), &err);
		int total;
		CHECK_OK(read_all(file.ptr, file.len, &total, &err), &err);
		CHECK_INT(total, 16);
		int errors = 0;
		for (size_t cut = 0; cut < file.len; cut++) {
			int n;
			int rc = read_all(file.ptr, cut, &n, &err);
			if (rc < 0) {
				errors++;
				if (!strstr(err.msg, "could not read avro file x.avro: ") || !strstr(err.msg, " at byte ") ||
				    strchr(err.msg, '\n')) {
					pond_buf_dispose(&file);
					CHECK_MSG(0, "cut at %zu: bad message: %s", cut, err.msg);
				}
			} else if (n >= total) {
				pond_buf_dispose(&file);
				CHECK_MSG(0, "cut at %zu read all %d records", cut, n);
			}
		}
		/* Only cuts exactly between blocks read cleanly. */
		CHECK_MSG(errors > (int)file.len - 16, "codec %s: only %d errors in %zu cuts",
		          pond_avro_codec_name(codecs[c]), errors, file.len);
		pond_buf_dispose(&file);
	}
}

TEST(avro_truncated_block_message)
{
	pond_error err = POND_ERROR_INIT;
	pond_buf file = POND_BUF_INIT;
	CHECK_OK(make_file(&file, POND_AVRO_CODEC_NULL, 10, 1 << 20, &err), &err);
	int n;
	CHECK(read_all(file.ptr, file.len - 20, &n, &err) == POND_ECORRUPT);
	CHECK_MSG(strstr(err.msg, "could not read avro file x.avro: truncated block at byte ") == err.msg, "%s", err.msg);
	pond_buf_dispose(&file);
}

TEST(avro_corrupted_bytes_never_crash)
{
	for (size_t c = 0; c < 4; c++) {
		pond_error err = POND_ERROR_INIT;
		pond_buf file = POND_BUF_INIT;
		CHECK_OK(make_file(&file, codecs[c], 8, 250, &err), &err);
		char *copy = malloc(file.len);
		CHECK(copy != NULL);
		int errors = 0;
		/* Every byte flipped once, all its bits or only the lowest by
		 * turns: 0x01 changes a zigzag varint's sign, 0xff also its
		 * continuation bit. */
		const uint8_t flips[] = {0xff, 0x01};
		for (size_t pos = 0; pos < file.len; pos++) {
			memcpy(copy, file.ptr, file.len);
			copy[pos] = (char)(copy[pos] ^ flips[pos % 2]);
			int n;
			int rc = read_all(copy, file.len, &n, &err);
			if (rc < 0) {
				errors++;
				if (!strstr(err.msg, "could not read avro file x.avro: ") || strchr(err.msg, '\n')) {
					free(copy);
					pond_buf_dispose(&file);
					CHECK_MSG(0, "flip at %zu: bad message: %s", pond_avro_codec_name(codecs[c]) ? pos : 0,
					          err.msg);
				}
			}
		}
		free(copy);
		CHECK_MSG(errors > 0, "no flip was detected");
		pond_buf_dispose(&file);
	}
}

TEST(avro_hostile_sizes_are_refused_before_allocation)
{
	/* A header whose metadata value claims 2^62 bytes, then a block that
	 * claims 2^40 records and bytes. */
	pond_error err = POND_ERROR_INIT;
	pond_buf b = POND_BUF_INIT;
	pond_buf_put(&b, "Obj\x01", 4);
	pond_buf_putc(&b, 2);                    /* one entry */
	pond_buf_put(&b, "\x16" "avro.schema", 12);
	pond_buf_put(&b, "\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
	int n;
	CHECK(read_all(b.ptr, b.len, &n, &err) == POND_ECORRUPT);
	CHECK_MSG(strstr(err.msg, "truncated metadata value at byte 17"), "%s", err.msg);
	pond_buf_clear(&b);
	pond_buf file = POND_BUF_INIT;
	CHECK_OK(make_file(&file, POND_AVRO_CODEC_NULL, 0, 100, &err), &err);
	pond_buf_put(&b, file.ptr, file.len);
	pond_buf_put(&b, "\x80\x80\x80\x80\x80\x40", 6);    /* count 2^40 */
	pond_buf_put(&b, "\x80\x80\x80\x80\x80\x40", 6);    /* size 2^40 */
	CHECK(read_all(b.ptr, b.len, &n, &err) == POND_ECORRUPT);
	CHECK_MSG(strstr(err.msg, "truncated block at byte"), "%s", err.msg);
	/* A string length beyond its block. */
	pond_avro_schema *schema;
	CHECK_OK(pond_avro_schema_parse(&schema, "\"string\"", 8, NULL, &err), &err);
	pond_arena *arena = pond_arena_new();
	const pond_avro_value *v;
	size_t pos = 0;
	const uint8_t str[] = {0xfe, 0xff, 0xff, 0xff, 0x0f, 'a'};
	CHECK(pond_avro_decode(&v, pond_avro_schema_root(schema), str, sizeof(str), &pos, arena, 100, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "truncated string at byte 100");
	pond_arena_free(&arena);
	pond_avro_schema_free(&schema);
	pond_buf_dispose(&file);
	pond_buf_dispose(&b);
}

TEST(avro_allocation_failures_write_and_read)
{
	pond_avro_schema *schema;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_avro_schema_parse(&schema, avro_test_everything_schema, strlen(avro_test_everything_schema), NULL, &err), &err);
	pond_arena *values = pond_arena_new();
	pond_avro_value *recs[12];
	for (int i = 0; i < 12; i++)
		recs[i] = avro_test_everything(values, pond_avro_schema_root(schema), i);
	for (size_t c = 0; c < 4; c++) {
		pond_avro_writer_options opts = POND_AVRO_WRITER_OPTIONS_INIT;
		opts.codec = codecs[c];
		opts.block_bytes = 400;
		bool completed = false;
		pond_buf good = POND_BUF_INIT;
		for (long fail = 1; fail < 5000 && !completed; fail++) {
			pond_buf out = POND_BUF_INIT;
			pond_avro_writer *w = NULL;
			pond_alloc_fail_at(fail);
			int rc = pond_avro_writer_open_buf(&w, &out, schema, &opts, &err);
			if (!rc)
				rc = pond_avro_writer_set_meta_string(w, "format-version", "2", &err);
			for (int i = 0; !rc && i < 12; i++)
				rc = pond_avro_writer_append(w, recs[i], &err);
			if (!rc)
				rc = pond_avro_writer_finish(w, &err);
			pond_avro_writer_free(&w);
			bool reached = pond_alloc_count() >= fail;
			pond_alloc_fail_at(0);
			if (rc == 0 && !reached) {
				completed = true;
				pond_buf_put(&good, out.ptr, out.len);
			} else if (reached) {
				CHECK_MSG(rc == POND_ENOMEM, "write, failing allocation %ld: returned %d: %s", fail, rc, err.msg);
			}
			pond_buf_dispose(&out);
		}
		CHECK_MSG(completed, "codec %s: write never completed", pond_avro_codec_name(codecs[c]));
		completed = false;
		for (long fail = 1; fail < 5000 && !completed; fail++) {
			int n;
			pond_alloc_fail_at(fail);
			int rc = read_all(good.ptr, good.len, &n, &err);
			bool reached = pond_alloc_count() >= fail;
			pond_alloc_fail_at(0);
			if (!reached) {
				CHECK_MSG(rc == 0 && n == 12, "read returned %d with %d records: %s", rc, n, err.msg);
				completed = true;
			} else {
				CHECK_MSG(rc == POND_ENOMEM, "read, failing allocation %ld: returned %d: %s", fail, rc, err.msg);
			}
		}
		CHECK_MSG(completed, "codec %s: read never completed", pond_avro_codec_name(codecs[c]));
		pond_buf_dispose(&good);
	}
	pond_arena_free(&values);
	pond_avro_schema_free(&schema);
}

TEST(avro_streams_100k_records_in_bounded_memory)
{
	const char *js = "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
	                 "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
	                 "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"field-id\":1},"
	                 "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
	                 "{\"name\":\"value_counts\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\",\"items\":"
	                 "{\"type\":\"record\",\"name\":\"k119_v120\",\"fields\":[{\"name\":\"key\",\"type\":\"int\",\"field-id\":119},"
	                 "{\"name\":\"value\",\"type\":\"long\",\"field-id\":120}]}}],\"field-id\":109}]}";
	pond_error err = POND_ERROR_INIT;
	pond_avro_schema *schema;
	CHECK_OK(pond_avro_schema_parse(&schema, js, strlen(js), NULL, &err), &err);
	const pond_avro_node *root = pond_avro_schema_root(schema);
	char path[4200];
	snprintf(path, sizeof(path), "%s/big.avro", pond_test_tmpdir());
	pond_avro_writer_options opts = POND_AVRO_WRITER_OPTIONS_INIT;
	opts.codec = POND_AVRO_CODEC_DEFLATE;
	pond_avro_writer *w;
	pond_arena *arena = pond_arena_new();
	CHECK_OK(pond_avro_writer_open_file(&w, path, schema, &opts, &err), &err);
	const int total = 100000;
	size_t max_writer = 0;
	for (int i = 0; i < total; i++) {
		char p[128];
		pond_avro_value *rec = pond_avro_value_record(arena, root);
		snprintf(p, sizeof(p), "s3://bucket/table/data/%08d-0-c0ffee.parquet", i);
		pond_avro_record_set(rec, "status", pond_avro_value_int(arena, 1));
		pond_avro_record_set(rec, "snapshot_id", pond_avro_value_long(arena, 1000000000000LL + i));
		pond_avro_record_set(rec, "file_path", pond_avro_value_string(arena, p));
		pond_avro_value *counts = pond_avro_value_map(arena, 3);
		for (int k = 0; k < 3; k++) {
			counts->u.map.entries[k].key = pond_avro_value_int(arena, k + 1);
			counts->u.map.entries[k].value = pond_avro_value_long(arena, i * 3 + k);
		}
		pond_avro_record_set(rec, "value_counts", counts);
		CHECK_OK(pond_avro_writer_append(w, rec, &err), &err);
		pond_arena_reset(arena);
		if (pond_avro_writer_buffer_bytes(w) > max_writer)
			max_writer = pond_avro_writer_buffer_bytes(w);
	}
	CHECK_OK(pond_avro_writer_finish(w, &err), &err);
	pond_avro_writer_free(&w);
	char *data;
	size_t len;
	CHECK(avro_test_slurp(path, &data, &len) == 0);
	pond_free(data);
	CHECK_MSG(len > (size_t)1 << 20, "file is only %zu bytes", len);
	CHECK_MSG(max_writer < 512 * 1024, "writer held %zu bytes", max_writer);

	pond_avro_reader *r;
	CHECK_OK(pond_avro_reader_open_file(&r, path, &err), &err);
	const pond_avro_value *v;
	size_t max_arena = 0, max_reader = 0;
	int n = 0, rc;
	while ((rc = pond_avro_reader_next(r, arena, &v, &err)) == 1) {
		int64_t l;
		const pond_avro_value *vc = pond_avro_record_get(v, 109, NULL);
		if (!pond_avro_value_get_long(pond_avro_record_get(v, 1, NULL), &l) || l != 1000000000000LL + n ||
		    vc->type != POND_AVRO_MAP || vc->u.map.entries[2].value->u.i64 != n * 3 + 2)
			break;
		if (pond_arena_used(arena) > max_arena)
			max_arena = pond_arena_used(arena);
		if (pond_avro_reader_buffer_bytes(r) > max_reader)
			max_reader = pond_avro_reader_buffer_bytes(r);
		pond_arena_reset(arena);
		n++;
	}
	CHECK_INT(rc, 0);
	CHECK_INT(n, total);
	CHECK_MSG(max_arena < 2048, "a record used %zu arena bytes", max_arena);
	CHECK_MSG(max_reader < 512 * 1024, "reader held %zu bytes for a %zu byte file", max_reader, len);
	pond_avro_reader_close(&r);
	pond_arena_free(&arena);
	pond_avro_schema_free(&schema);
}

/* Bytes the arena holds after reading every record of data (records are
 * kept, as a manifest reader keeps its entries); the reader's code in *rc. */
static size_t arena_bytes_after_read(const void *data, size_t len, int *rc, pond_error *err)
{
	pond_avro_reader *r;
	if ((*rc = pond_avro_reader_open_memory(&r, data, len, "crafted.avro", err)))
		return 0;
	pond_arena *arena = pond_arena_new();
	const pond_avro_value *v;
	while ((*rc = pond_avro_reader_next(r, arena, &v, err)) == 1)
		;
	size_t used = pond_arena_used(arena);
	pond_arena_free(&arena);
	pond_avro_reader_close(&r);
	return used;
}

/* A container of one record with a schema of our own and a body. */
static void crafted_container(pond_buf *out, const char *schema, const pond_buf *body)
{
	pond_buf_put(out, "Obj\x01", 4);
	pond__avro_put_long(out, 2);
	pond__avro_put_long(out, 11);
	pond_buf_puts(out, "avro.schema");
	pond__avro_put_long(out, (int64_t)strlen(schema));
	pond_buf_puts(out, schema);
	pond__avro_put_long(out, 10);
	pond_buf_puts(out, "avro.codec");
	pond__avro_put_long(out, 4);
	pond_buf_puts(out, "null");
	pond_buf_putc(out, 0);
	pond_buf_put(out, "ZZZZZZZZZZZZZZZZ", 16);
	pond__avro_put_long(out, 1);
	pond__avro_put_long(out, (int64_t)body->len);
	pond_buf_put(out, body->ptr, body->len);
	pond_buf_put(out, "ZZZZZZZZZZZZZZZZ", 16);
}

TEST(avro_crafted_nested_null_arrays_cost_memory_in_proportion)
{
	/* tests/fuzz/corpus/avro/crafted-nested-null-arrays.avro: 212 bytes,
	 * an array of arrays of nulls, each inner one claiming 65536 items;
	 * it used to cost hundreds of megabytes. */
	pond_error err = POND_ERROR_INIT;
	char *data = NULL;
	size_t len = 0;
	CHECK_OK(pond_file_read(&data, &len, "tests/fuzz/corpus/avro/crafted-nested-null-arrays.avro", 1 << 20, &err),
	         &err);
	CHECK(len < 256);
	int rc;
	size_t used = arena_bytes_after_read(data, len, &rc, &err);
	CHECK_MSG(used < (8u << 20), "%zu bytes for a %zu-byte file", used, len);
	CHECK_INT(rc, POND_ECORRUPT);
	CHECK_MSG(strstr(err.msg, "array count 65536 too large at byte"), "%s", err.msg);
	pond_free(data);
}

TEST(avro_many_one_item_blocks_grow_arrays_geometrically)
{
	/* 4000 blocks of one int each: copying the array for every block cost
	 * 4000^2 / 2 pointers; doubling costs twice the final array. */
	pond_buf body = POND_BUF_INIT, file = POND_BUF_INIT;
	for (int i = 0; i < 4000; i++) {
		pond__avro_put_long(&body, 1);
		pond__avro_put_long(&body, i % 50);
	}
	pond__avro_put_long(&body, 0);
	crafted_container(&file, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\","
	                         "\"type\":{\"type\":\"array\",\"items\":\"int\"}}]}", &body);
	pond_buf map_body = POND_BUF_INIT, map_file = POND_BUF_INIT;
	for (int i = 0; i < 4000; i++) {
		pond__avro_put_long(&map_body, 1);
		pond__avro_put_long(&map_body, 1);
		pond_buf_putc(&map_body, 'k');
		pond__avro_put_long(&map_body, i % 50);
	}
	pond__avro_put_long(&map_body, 0);
	crafted_container(&map_file, "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"m\","
	                             "\"type\":{\"type\":\"map\",\"values\":\"int\"}}]}", &map_body);
	pond_error err = POND_ERROR_INIT;
	int rc;
	size_t used = arena_bytes_after_read(file.ptr, file.len, &rc, &err);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK_MSG(used < 64 * file.len + (1u << 20), "array: %zu bytes for a %zu-byte file", used, file.len);
	used = arena_bytes_after_read(map_file.ptr, map_file.len, &rc, &err);
	CHECK_MSG(rc == 0, "%s", err.msg);
	CHECK_MSG(used < 64 * map_file.len + (1u << 20), "map: %zu bytes for a %zu-byte file", used, map_file.len);
	pond_buf_dispose(&body);
	pond_buf_dispose(&file);
	pond_buf_dispose(&map_body);
	pond_buf_dispose(&map_file);
}
