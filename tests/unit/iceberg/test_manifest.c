/*
 * Manifests and manifest lists: every field written and read back by pond,
 * and the same files read by an independent Avro reader (avsc through
 * tests/node/avro_dump.js), with both contents and partition tuples of
 * several types; 100k entries stream through bounded memory; fixture
 * manifests of Java and Spark read by field id.
 */
#include "../test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "pond/manifest.h"

static const char *rt_schema =
	"{\"type\":\"struct\",\"schema-id\":3,\"fields\":["
	"{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
	"{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
	"{\"id\":3,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
	"{\"id\":4,\"name\":\"price\",\"required\":false,\"type\":\"decimal(9,2)\"},"
	"{\"id\":5,\"name\":\"flag\",\"required\":false,\"type\":\"boolean\"},"
	"{\"id\":6,\"name\":\"x\",\"required\":false,\"type\":\"double\"},"
	"{\"id\":7,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
	"{\"id\":8,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"}]}";

static const char *rt_spec =
	"{\"spec-id\":7,\"fields\":["
	"{\"name\":\"id_bucket\",\"transform\":\"bucket[8]\",\"source-id\":1,\"field-id\":1000},"
	"{\"name\":\"s\",\"transform\":\"identity\",\"source-id\":2,\"field-id\":1001},"
	"{\"name\":\"d_month\",\"transform\":\"month\",\"source-id\":3,\"field-id\":1002},"
	"{\"name\":\"price\",\"transform\":\"identity\",\"source-id\":4,\"field-id\":1003},"
	"{\"name\":\"flag\",\"transform\":\"identity\",\"source-id\":5,\"field-id\":1004},"
	"{\"name\":\"x\",\"transform\":\"identity\",\"source-id\":6,\"field-id\":1005},"
	"{\"name\":\"u\",\"transform\":\"identity\",\"source-id\":7,\"field-id\":1006},"
	"{\"name\":\"ts_hour\",\"transform\":\"hour\",\"source-id\":8,\"field-id\":1007}]}";

#define NPART 8

typedef struct rt {
	pond_arena *arena;
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec;
	pond_fileio *io;
	pond_iceberg_literal parts[3][NPART];
	pond_column_count counts[2];
	pond_column_bound lower[2], upper[2];
	int64_t splits[2];
	int32_t eq_ids[2];
	uint8_t key_metadata[3];
} rt;

static int rt_open(rt *r, pond_error *err)
{
	memset(r, 0, sizeof *r);
	r->arena = pond_arena_new();
	json_t *sj = json_loads(rt_schema, 0, NULL), *pj = json_loads(rt_spec, 0, NULL);
	int rc = pond_iceberg_schema_from_json(&r->schema, sj, r->arena, "schema", err);
	if (!rc)
		rc = pond_iceberg_partition_spec_from_json(&r->spec, pj, NULL, r->arena, "spec", err);
	json_decref(sj);
	json_decref(pj);
	if (!rc)
		rc = pond_fileio_local_new(&r->io, err);
	static const uint8_t u[16] = {0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd,
	                              0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7};
	for (int i = 0; i < 3; i++) {
		r->parts[i][0] = pond_iceberg_literal_int(i);
		r->parts[i][1] = i == 1 ? pond_iceberg_literal_null(POND_ICEBERG_STRING)
		                        : pond_iceberg_literal_string(i ? "zz" : "a b", i ? 2 : 3);
		r->parts[i][2] = pond_iceberg_literal_int(650 + i);
		r->parts[i][3] = pond_iceberg_literal_decimal(-1420 + i * 1000, 2);
		r->parts[i][4] = pond_iceberg_literal_bool(i == 2);
		r->parts[i][5] = pond_iceberg_literal_double(i == 2 ? NAN : 1.5 * i);
		r->parts[i][6] = pond_iceberg_literal_uuid(u);
		r->parts[i][7] = pond_iceberg_literal_int(470000 + i);
	}
	r->counts[0] = (pond_column_count){1, 100};
	r->counts[1] = (pond_column_count){2, 90};
	static const uint8_t lo1[8] = {1, 0, 0, 0, 0, 0, 0, 0}, hi1[8] = {0xe8, 3, 0, 0, 0, 0, 0, 0};
	r->lower[0] = (pond_column_bound){1, lo1, 8};
	r->upper[0] = (pond_column_bound){1, hi1, 8};
	r->lower[1] = (pond_column_bound){2, (const uint8_t *)"aa", 2};
	r->upper[1] = (pond_column_bound){2, (const uint8_t *)"zz", 2};
	r->splits[0] = 4;
	r->splits[1] = 1 << 20;
	r->eq_ids[0] = 1;
	r->eq_ids[1] = 2;
	memcpy(r->key_metadata, "\x01\x02\x03", 3);
	return rc;
}

static void rt_close(rt *r)
{
	pond_fileio_free(&r->io);
	pond_arena_free(&r->arena);
}

static pond_manifest_entry rt_entry(rt *r, int i, bool deletes)
{
	pond_manifest_entry e;
	memset(&e, 0, sizeof e);
	pond_data_file *df = &e.data_file;
	e.status = i == 0 ? POND_MANIFEST_ADDED : i == 1 ? POND_MANIFEST_EXISTING : POND_MANIFEST_DELETED;
	if (i > 0) {
		e.has_snapshot_id = true;
		e.snapshot_id = 100 + i;
		e.has_sequence_number = e.has_file_sequence_number = true;
		e.sequence_number = i;
		e.file_sequence_number = i + 10;
	}
	df->content = deletes ? (i == 0 ? POND_CONTENT_POSITION_DELETES : POND_CONTENT_EQUALITY_DELETES) : POND_CONTENT_DATA;
	df->file_path = pond_arena_sprintf(r->arena, "s3://bucket/t/data/f%d.parquet", i);
	df->file_format = "PARQUET";
	df->npartition = NPART;
	df->partition = r->parts[i];
	df->record_count = 1000 + i;
	df->file_size_in_bytes = 4096 + i;
	df->column_sizes = r->counts;
	df->ncolumn_sizes = 2;
	df->value_counts = r->counts;
	df->nvalue_counts = 2;
	df->null_value_counts = r->counts;
	df->nnull_value_counts = 1;
	df->nan_value_counts = NULL;
	df->lower_bounds = r->lower;
	df->nlower_bounds = 2;
	df->upper_bounds = r->upper;
	df->nupper_bounds = 2;
	df->key_metadata = i == 1 ? r->key_metadata : NULL;
	df->key_metadata_len = i == 1 ? 3 : 0;
	df->split_offsets = r->splits;
	df->nsplit_offsets = 2;
	if (deletes && i > 0) {
		df->equality_ids = r->eq_ids;
		df->nequality_ids = 2;
	}
	df->has_sort_order_id = i != 2;
	df->sort_order_id = 0;
	if (deletes && i == 0)
		df->referenced_data_file = "s3://bucket/t/data/x.parquet";
	return e;
}

static int write_rt_manifest(rt *r, const char *path, bool deletes, pond_manifest_file *mf, pond_error *err)
{
	pond_manifest_writer_options o = POND_MANIFEST_WRITER_OPTIONS_INIT;
	o.schema = r->schema;
	o.spec = r->spec;
	o.content = deletes ? POND_MANIFEST_CONTENT_DELETES : POND_MANIFEST_CONTENT_DATA;
	o.snapshot_id = 77;
	pond_manifest_writer *w = NULL;
	int rc = pond_manifest_writer_open(&w, r->io, path, &o, err);
	for (int i = 0; !rc && i < 3; i++) {
		pond_manifest_entry e = rt_entry(r, i, deletes);
		rc = pond_manifest_writer_add(w, &e, err);
	}
	if (!rc)
		rc = pond_manifest_writer_finish(w, mf, r->arena, err);
	pond_manifest_writer_free(&w);
	return rc;
}

static bool same_counts(const pond_column_count *a, size_t na, const pond_column_count *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].field_id != b[i].field_id || a[i].value != b[i].value)
			return false;
	return true;
}

static bool same_bounds(const pond_column_bound *a, size_t na, const pond_column_bound *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].field_id != b[i].field_id || a[i].len != b[i].len || memcmp(a[i].ptr, b[i].ptr, a[i].len) != 0)
			return false;
	return true;
}

static bool same_literal(const pond_iceberg_literal *a, const pond_iceberg_literal *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	if (a->type == POND_ICEBERG_DOUBLE && isnan(a->v.f64))
		return b->type == POND_ICEBERG_DOUBLE && isnan(b->v.f64);
	return a->type == b->type && pond_iceberg_literal_equal(a, b);
}

/* Reads the manifest back and compares every field with what was written. */
static void check_rt_read(rt *r, const char *path, bool deletes, const pond_manifest_file *mf)
{
	pond_error err = POND_ERROR_INIT;
	pond_manifest_reader *rd = NULL;
	CHECK_OK(pond_manifest_reader_open(&rd, r->io, path, mf, NULL, NULL, &err), &err);
	CHECK_INT(pond_manifest_reader_format_version(rd), 2);
	CHECK_INT(pond_manifest_reader_spec_id(rd), 7);
	CHECK_INT(pond_manifest_reader_content(rd), deletes ? POND_MANIFEST_CONTENT_DELETES : POND_MANIFEST_CONTENT_DATA);
	/* the spec came from the file's own metadata */
	CHECK_INT(pond_manifest_reader_spec(rd)->nfields, NPART);
	CHECK_STR(pond_manifest_reader_spec(rd)->fields[2].name, "d_month");
	pond_arena *a = pond_arena_new();
	for (int i = 0; i < 3; i++) {
		const pond_manifest_entry *e = NULL;
		pond_arena_reset(a);
		int rc = pond_manifest_reader_next(rd, a, &e, &err);
		CHECK_MSG(rc == 1, "entry %d: %d %s", i, rc, err.msg);
		pond_manifest_entry want = rt_entry(r, i, deletes);
		CHECK_INT(e->status, want.status);
		CHECK(e->has_snapshot_id);
		CHECK_INT(e->snapshot_id, i == 0 ? 77 : want.snapshot_id);
		/* ADDED entry 0 inherits the list's sequence number (42) */
		CHECK(e->has_sequence_number && e->has_file_sequence_number);
		CHECK_INT(e->sequence_number, i == 0 ? 42 : want.sequence_number);
		CHECK_INT(e->file_sequence_number, i == 0 ? 42 : want.file_sequence_number);
		const pond_data_file *df = &e->data_file, *wd = &want.data_file;
		CHECK_INT(df->content, wd->content);
		CHECK_STR(df->file_path, wd->file_path);
		CHECK_STR(df->file_format, "PARQUET");
		CHECK_INT(df->spec_id, 7);
		CHECK_INT(df->npartition, NPART);
		for (int k = 0; k < NPART; k++)
			CHECK_MSG(same_literal(&df->partition[k], &wd->partition[k]), "entry %d partition %d", i, k);
		CHECK(df->partition[2].type == POND_ICEBERG_INT); /* month: int */
		CHECK(df->partition[7].type == POND_ICEBERG_INT); /* hour: int */
		CHECK(df->partition[3].type == POND_ICEBERG_DECIMAL && df->partition[3].scale == 2);
		CHECK_INT(df->record_count, wd->record_count);
		CHECK_INT(df->file_size_in_bytes, wd->file_size_in_bytes);
		CHECK(same_counts(df->column_sizes, df->ncolumn_sizes, wd->column_sizes, wd->ncolumn_sizes));
		CHECK(same_counts(df->value_counts, df->nvalue_counts, wd->value_counts, wd->nvalue_counts));
		CHECK(same_counts(df->null_value_counts, df->nnull_value_counts, wd->null_value_counts,
		                  wd->nnull_value_counts));
		CHECK_INT(df->nnan_value_counts, 0);
		CHECK(same_bounds(df->lower_bounds, df->nlower_bounds, wd->lower_bounds, wd->nlower_bounds));
		CHECK(same_bounds(df->upper_bounds, df->nupper_bounds, wd->upper_bounds, wd->nupper_bounds));
		CHECK_INT(df->key_metadata_len, wd->key_metadata_len);
		CHECK(!wd->key_metadata || memcmp(df->key_metadata, wd->key_metadata, 3) == 0);
		CHECK_INT(df->nsplit_offsets, 2);
		CHECK_INT(df->split_offsets[1], 1 << 20);
		CHECK_INT(df->nequality_ids, wd->nequality_ids);
		for (size_t k = 0; k < df->nequality_ids; k++)
			CHECK_INT(df->equality_ids[k], wd->equality_ids[k]);
		CHECK_INT(df->has_sort_order_id, wd->has_sort_order_id);
		CHECK((df->referenced_data_file == NULL) == (wd->referenced_data_file == NULL));
	}
	const pond_manifest_entry *e = NULL;
	CHECK_INT(pond_manifest_reader_next(rd, a, &e, &err), 0);
	pond_arena_free(&a);
	pond_manifest_reader_close(&rd);
}

/* Runs node on FILE; the output is the JSON lines (caller frees). */
static char *node_dump(const char *file)
{
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "node tests/node/avro_dump.js '%s' 2>&1", file);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	pond_buf b = POND_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		pond_buf_put(&b, chunk, n);
	int status = pclose(p);
	if (status != 0) {
		fprintf(stderr, "node failed (%d): %s\n", status, pond_buf_cstr(&b));
		pond_buf_dispose(&b);
		return NULL;
	}
	return pond_buf_detach(&b);
}

/* Line i (0 = the header) of the dump, parsed. */
static json_t *dump_line(const char *dump, int i)
{
	const char *p = dump;
	while (i-- > 0 && p) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return NULL;
	const char *end = strchr(p, '\n');
	return json_loadb(p, end ? (size_t)(end - p) : strlen(p), JSON_DECODE_INT_AS_REAL * 0, NULL);
}

static void check_node_reads_manifest(const char *path, bool deletes)
{
	char *dump = node_dump(path);
	CHECK_MSG(dump != NULL, "node could not read %s (is node installed?)", path);
	json_t *hdr = dump_line(dump, 0);
	json_t *e0 = dump_line(dump, 1), *e1 = dump_line(dump, 2), *e2 = dump_line(dump, 3);
	bool ok = hdr && e0 && e1 && e2 && !dump_line(dump, 4);
	free(dump);
	CHECK(ok);
	json_t *meta = json_object_get(hdr, "meta");
	CHECK_STR(json_string_value(json_object_get(meta, "format-version")), "2");
	CHECK_STR(json_string_value(json_object_get(meta, "partition-spec-id")), "7");
	CHECK_STR(json_string_value(json_object_get(meta, "content")), deletes ? "deletes" : "data");
	CHECK(strstr(json_string_value(json_object_get(meta, "schema")), "\"decimal(9, 2)\"") ||
	      strstr(json_string_value(json_object_get(meta, "schema")), "\"decimal(9,2)\""));
	CHECK(strstr(json_string_value(json_object_get(meta, "partition-spec")), "\"bucket[8]\"") != NULL);
	CHECK_STR(json_string_value(json_object_get(hdr, "codec")), "deflate");
	CHECK_INT(json_integer_value(json_object_get(e0, "status")), 1);
	CHECK(json_is_null(json_object_get(e0, "sequence_number")));
	CHECK_INT(json_integer_value(json_object_get(e1, "sequence_number")), 1);
	CHECK_INT(json_integer_value(json_object_get(e2, "file_sequence_number")), 12);
	json_t *df = json_object_get(e1, "data_file");
	CHECK_INT(json_integer_value(json_object_get(df, "content")), deletes ? 2 : 0);
	CHECK_STR(json_string_value(json_object_get(df, "file_path")), "s3://bucket/t/data/f1.parquet");
	CHECK_INT(json_integer_value(json_object_get(df, "record_count")), 1001);
	json_t *part = json_object_get(df, "partition");
	CHECK_INT(json_integer_value(json_object_get(part, "id_bucket")), 1);
	CHECK(json_is_null(json_object_get(part, "s")));
	CHECK_INT(json_integer_value(json_object_get(part, "d_month")), 651);
	/* decimal(9,2) is fixed[4]: -420 unscaled = 0xfffffe5c */
	CHECK_STR(json_string_value(json_object_get(part, "price")), "fffffe5c");
	CHECK(json_is_false(json_object_get(part, "flag")));
	CHECK_STR(json_string_value(json_object_get(part, "u")), "f79c3e09677c4bbda4793f349cb785e7");
	json_t *lb = json_object_get(df, "lower_bounds");
	CHECK_INT(json_array_size(lb), 2);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(lb, 0), "key")), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(lb, 0), "value")), "0100000000000000");
	CHECK_STR(json_string_value(json_object_get(json_array_get(lb, 1), "value")), "6161");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(df, "value_counts"), 1), "value")), 90);
	CHECK_STR(json_string_value(json_object_get(df, "key_metadata")), "010203");
	CHECK_INT(json_integer_value(json_array_get(json_object_get(df, "split_offsets"), 1)), 1 << 20);
	if (deletes)
		CHECK_INT(json_integer_value(json_array_get(json_object_get(df, "equality_ids"), 1)), 2);
	CHECK_STR(json_string_value(json_object_get(json_object_get(e0, "data_file"), "partition") ?
	                                json_object_get(json_object_get(json_object_get(e0, "data_file"), "partition"), "s")
	                                                                                                   : NULL),
	          "a b");
	json_decref(hdr);
	json_decref(e0);
	json_decref(e1);
	json_decref(e2);
}

TEST(manifest_roundtrip_every_field_both_contents)
{
	pond_error err = POND_ERROR_INIT;
	rt r;
	CHECK_OK(rt_open(&r, &err), &err);
	for (int deletes = 0; deletes < 2; deletes++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/m%d.avro", pond_test_tmpdir(), deletes);
		pond_manifest_file mf;
		CHECK_OK(write_rt_manifest(&r, path, deletes, &mf, &err), &err);
		CHECK_STR(mf.manifest_path, path);
		CHECK(mf.manifest_length > 100);
		CHECK_INT(mf.partition_spec_id, 7);
		CHECK_INT(mf.added_files_count, 1);
		CHECK_INT(mf.existing_files_count, 1);
		CHECK_INT(mf.deleted_files_count, 1);
		CHECK_INT(mf.added_rows_count, 1000);
		CHECK_INT(mf.existing_rows_count, 1001);
		CHECK_INT(mf.deleted_rows_count, 1002);
		CHECK_INT(mf.added_snapshot_id, 77);
		CHECK_INT(mf.min_sequence_number, POND_MANIFEST_UNASSIGNED_SEQ); /* entry 0 inherits */
		/* summaries: s has a null; x has a NaN; bounds over the rest */
		CHECK_INT(mf.npartitions, NPART);
		CHECK(!mf.partitions[0].contains_null && mf.partitions[1].contains_null);
		CHECK(mf.partitions[5].has_contains_nan && mf.partitions[5].contains_nan);
		CHECK(!mf.partitions[0].has_contains_nan);
		CHECK_INT(mf.partitions[0].lower_bound_len, 4);
		CHECK_INT(mf.partitions[0].lower_bound[0], 0);
		CHECK_INT(mf.partitions[0].upper_bound[0], 2);
		CHECK_INT(mf.partitions[1].lower_bound_len, 3); /* "a b" */
		CHECK_INT(mf.partitions[1].upper_bound_len, 2); /* "zz" */
		pond_iceberg_literal lo;
		CHECK_OK(pond_iceberg_bound_decode(&lo, r.schema->root->fields[5].type, mf.partitions[5].upper_bound,
		                                   mf.partitions[5].upper_bound_len, &err), &err);
		CHECK(lo.v.f64 == 1.5);
		mf.sequence_number = 42; /* as the list would assign */
		mf.min_sequence_number = 1;
		check_rt_read(&r, path, deletes, &mf);
		check_node_reads_manifest(path, deletes);
	}
	rt_close(&r);
}

TEST(manifest_list_roundtrip_pond_and_node)
{
	pond_error err = POND_ERROR_INIT;
	rt r;
	CHECK_OK(rt_open(&r, &err), &err);
	char mpath[4096], lpath[4096];
	snprintf(mpath, sizeof mpath, "%s/m.avro", pond_test_tmpdir());
	snprintf(lpath, sizeof lpath, "%s/snap.avro", pond_test_tmpdir());
	pond_manifest_file mf[2];
	CHECK_OK(write_rt_manifest(&r, mpath, false, &mf[0], &err), &err);
	mf[1] = mf[0];
	mf[1].manifest_path = "s3://bucket/t/metadata/old.avro";
	mf[1].content = POND_MANIFEST_CONTENT_DELETES;
	mf[1].sequence_number = 3;
	mf[1].min_sequence_number = 2;
	mf[1].added_snapshot_id = 5;
	mf[1].has_partitions = false;
	mf[1].npartitions = 0;
	mf[1].key_metadata = (const uint8_t *)"k";
	mf[1].key_metadata_len = 1;
	pond_manifest_list_writer_options o = POND_MANIFEST_LIST_WRITER_OPTIONS_INIT;
	o.snapshot_id = 77;
	o.has_parent_snapshot_id = true;
	o.parent_snapshot_id = 5;
	o.sequence_number = 9;
	pond_manifest_list_writer *w = NULL;
	CHECK_OK(pond_manifest_list_writer_open(&w, r.io, lpath, &o, &err), &err);
	CHECK_OK(pond_manifest_list_writer_add(w, &mf[0], &err), &err);
	CHECK_OK(pond_manifest_list_writer_add(w, &mf[1], &err), &err);
	CHECK_OK(pond_manifest_list_writer_finish(w, &err), &err);
	pond_manifest_list_writer_free(&w);

	pond_manifest_list_reader *rd = NULL;
	CHECK_OK(pond_manifest_list_reader_open(&rd, r.io, lpath, &err), &err);
	CHECK_INT(pond_manifest_list_reader_format_version(rd), 2);
	pond_arena *a = pond_arena_new();
	const pond_manifest_file *got = NULL;
	CHECK_INT(pond_manifest_list_reader_next(rd, a, &got, &err), 1);
	CHECK_STR(got->manifest_path, mpath);
	CHECK_INT(got->manifest_length, mf[0].manifest_length);
	CHECK_INT(got->partition_spec_id, 7);
	CHECK_INT(got->content, POND_MANIFEST_CONTENT_DATA);
	CHECK_INT(got->sequence_number, 9); /* unassigned -> the list's */
	CHECK_INT(got->min_sequence_number, 9);
	CHECK_INT(got->added_snapshot_id, 77);
	CHECK_INT(got->added_files_count, 1);
	CHECK_INT(got->existing_rows_count, 1001);
	CHECK_INT(got->deleted_rows_count, 1002);
	CHECK(got->has_partitions);
	CHECK_INT(got->npartitions, NPART);
	CHECK(got->partitions[1].contains_null);
	CHECK(got->partitions[5].has_contains_nan && got->partitions[5].contains_nan);
	CHECK_INT(got->partitions[1].lower_bound_len, 3);
	CHECK(memcmp(got->partitions[1].lower_bound, "a b", 3) == 0);
	CHECK(got->key_metadata == NULL);
	CHECK_INT(pond_manifest_list_reader_next(rd, a, &got, &err), 1);
	CHECK_STR(got->manifest_path, "s3://bucket/t/metadata/old.avro");
	CHECK_INT(got->content, POND_MANIFEST_CONTENT_DELETES);
	CHECK_INT(got->sequence_number, 3);
	CHECK_INT(got->min_sequence_number, 2);
	CHECK_INT(got->added_snapshot_id, 5);
	CHECK(!got->has_partitions);
	CHECK_INT(got->key_metadata_len, 1);
	CHECK_INT(pond_manifest_list_reader_next(rd, a, &got, &err), 0);
	pond_manifest_list_reader_close(&rd);
	pond_arena_free(&a);

	char *dump = node_dump(lpath);
	CHECK_MSG(dump != NULL, "node could not read %s (is node installed?)", lpath);
	json_t *hdr = dump_line(dump, 0), *l0 = dump_line(dump, 1), *l1 = dump_line(dump, 2);
	free(dump);
	CHECK(hdr && l0 && l1);
	json_t *meta = json_object_get(hdr, "meta");
	CHECK_STR(json_string_value(json_object_get(meta, "snapshot-id")), "77");
	CHECK_STR(json_string_value(json_object_get(meta, "parent-snapshot-id")), "5");
	CHECK_STR(json_string_value(json_object_get(meta, "sequence-number")), "9");
	CHECK_STR(json_string_value(json_object_get(meta, "format-version")), "2");
	CHECK_STR(json_string_value(json_object_get(l0, "manifest_path")), mpath);
	CHECK_INT(json_integer_value(json_object_get(l0, "sequence_number")), 9);
	CHECK_INT(json_integer_value(json_object_get(l0, "added_files_count")), 1);
	json_t *p1 = json_array_get(json_object_get(l0, "partitions"), 1);
	CHECK(json_is_true(json_object_get(p1, "contains_null")));
	CHECK_STR(json_string_value(json_object_get(p1, "lower_bound")), "612062");
	CHECK_INT(json_integer_value(json_object_get(l1, "content")), 1);
	CHECK(json_is_null(json_object_get(l1, "partitions")));
	CHECK_STR(json_string_value(json_object_get(l1, "key_metadata")), "6b");
	json_decref(hdr);
	json_decref(l0);
	json_decref(l1);
	rt_close(&r);
}

TEST(manifest_100k_entries_stream_in_bounded_memory)
{
	pond_error err = POND_ERROR_INIT;
	rt r;
	CHECK_OK(rt_open(&r, &err), &err);
	char path[4096];
	snprintf(path, sizeof path, "%s/big.avro", pond_test_tmpdir());
	pond_manifest_writer_options o = POND_MANIFEST_WRITER_OPTIONS_INIT;
	o.schema = r.schema;
	o.spec = r.spec;
	o.snapshot_id = 1;
	pond_manifest_writer *w = NULL;
	CHECK_OK(pond_manifest_writer_open(&w, r.io, path, &o, &err), &err);
	const int n = 100000;
	for (int i = 0; i < n; i++) {
		pond_manifest_entry e = rt_entry(&r, i % 2, false);
		e.data_file.file_path = "s3://bucket/t/data/some-long-file-name-00000-0000000000.parquet";
		e.data_file.record_count = i;
		CHECK_OK(pond_manifest_writer_add(w, &e, &err), &err);
	}
	pond_manifest_file mf;
	CHECK_OK(pond_manifest_writer_finish(w, &mf, r.arena, &err), &err);
	pond_manifest_writer_free(&w);
	CHECK_INT(mf.added_files_count + mf.existing_files_count, n);

	pond_manifest_reader *rd = NULL;
	CHECK_OK(pond_manifest_reader_open(&rd, r.io, path, &mf, r.spec, r.schema, &err), &err);
	pond_arena *a = pond_arena_new();
	int64_t sum = 0, count = 0;
	size_t max_arena = 0;
	for (;;) {
		const pond_manifest_entry *e = NULL;
		pond_arena_reset(a);
		int rc = pond_manifest_reader_next(rd, a, &e, &err);
		CHECK_MSG(rc >= 0, "%s", err.msg);
		if (rc == 0)
			break;
		sum += e->data_file.record_count;
		count++;
		if (pond_arena_used(a) > max_arena)
			max_arena = pond_arena_used(a);
	}
	pond_manifest_reader_close(&rd);
	pond_arena_free(&a);
	CHECK_INT(count, n);
	CHECK_INT(sum, (int64_t)n * (n - 1) / 2);
	CHECK_MSG(max_arena < 64 * 1024, "one entry used %zu bytes of arena", max_arena);
	rt_close(&r);
}

TEST(manifest_reads_java_v1_and_v2_fixture_manifests_by_field_id)
{
	pond_error err = POND_ERROR_INIT;
	pond_fileio *io = NULL;
	CHECK_OK(pond_fileio_local_new(&io, &err), &err);
	char path[4096];
	/* Java 1.x v2 manifest of equality deletes, partitioned by name */
	snprintf(path, sizeof path, "%s/iceberg/duckdb-iceberg/data/persistent/equality_deletes/warehouse/mydb/"
	         "mytable_partitioned/metadata/ff275eec-b23b-435f-a6a5-1ab7ce1c8749-m0.avro", pond_test_fixtures());
	pond_manifest_reader *rd = NULL;
	CHECK_OK(pond_manifest_reader_open(&rd, io, path, NULL, NULL, NULL, &err), &err);
	CHECK_INT(pond_manifest_reader_format_version(rd), 2);
	CHECK_INT(pond_manifest_reader_content(rd), POND_MANIFEST_CONTENT_DELETES);
	pond_arena *a = pond_arena_new();
	const pond_manifest_entry *e = NULL;
	CHECK_INT(pond_manifest_reader_next(rd, a, &e, &err), 1);
	CHECK_INT(e->data_file.content, POND_CONTENT_EQUALITY_DELETES);
	CHECK(!e->has_sequence_number); /* null, and no list record to inherit from */
	CHECK_INT(e->data_file.npartition, 1);
	CHECK(e->data_file.partition[0].type == POND_ICEBERG_STRING);
	CHECK_INT(e->data_file.partition[0].v.bytes.len, 1);
	CHECK_INT(e->data_file.partition[0].v.bytes.ptr[0], 'f');
	CHECK_INT(e->data_file.nequality_ids, 1);
	CHECK_INT(e->data_file.lower_bounds[0].field_id, 2);
	pond_manifest_reader_close(&rd);
	/* v1 manifest (legacy_v1): sequence numbers read as 0 */
	snprintf(path, sizeof path, "%s/iceberg/duckdb-iceberg/data/persistent/iceberg_v1_deprecated/default/legacy_v1/"
	         "metadata/d65f86b0-b799-467f-b1f4-9c697e4c4fc7-m0.avro", pond_test_fixtures());
	CHECK_OK(pond_manifest_reader_open(&rd, io, path, NULL, NULL, NULL, &err), &err);
	CHECK_INT(pond_manifest_reader_format_version(rd), 1);
	pond_arena_reset(a);
	CHECK_INT(pond_manifest_reader_next(rd, a, &e, &err), 1);
	CHECK(e->has_sequence_number);
	CHECK_INT(e->sequence_number, 0);
	CHECK_INT(e->data_file.content, POND_CONTENT_DATA);
	pond_manifest_reader_close(&rd);
	/* a manifest list is not a manifest */
	snprintf(path, sizeof path, "%s/iceberg/duckdb-iceberg/data/persistent/equality_deletes/warehouse/mydb/"
	         "mytable_partitioned/metadata/snap-3138177759849079112-1-ff275eec-b23b-435f-a6a5-1ab7ce1c8749.avro",
	         pond_test_fixtures());
	CHECK(pond_manifest_reader_open(&rd, io, path, NULL, NULL, NULL, &err) == POND_ECORRUPT);
	CHECK(strstr(err.msg, "snap-3138177759849079112") != NULL);
	pond_arena_free(&a);
	pond_fileio_free(&io);
}
