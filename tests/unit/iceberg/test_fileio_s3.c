/*
 * The iceberg layer's file IO on S3, against the suite's S3 test server
 * (POND_TEST_S3_URL): metadata JSON and Avro files written and read back
 * through pond_fileio, with and without the object cache, and a manifest
 * written and read through the manifest API.
 */
#include "../test.h"

#include <string.h>

#include "../io/s3_test_util.h"
#include "pond/manifest.h"

static const char *long_schema = "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"n\",\"type\":\"long\"}]}";

/* Writes n records {n: i*3} to url through io. */
static int write_avro(pond_fileio *io, const char *url, int n, pond_error *err)
{
	pond_avro_schema *schema;
	int rc = pond_avro_schema_parse(&schema, long_schema, strlen(long_schema), "test", err);
	if (rc)
		return rc;
	pond_avro_writer *w = NULL;
	pond_arena *a = pond_arena_new();
	rc = pond_fileio_create_avro(io, url, schema, NULL, &w, err);
	for (int i = 0; rc == 0 && i < n; i++) {
		pond_avro_value *rec = pond_avro_value_record(a, pond_avro_schema_root(schema));
		rec->u.record.fields[0] = pond_avro_value_long(a, (int64_t)i * 3);
		rc = pond_avro_writer_append(w, rec, err);
	}
	if (rc == 0)
		rc = pond_avro_writer_finish(w, err);
	if (w)
		pond_avro_writer_free(&w);
	pond_arena_free(&a);
	pond_avro_schema_free(&schema);
	return rc;
}

/* Reads the records back: their count, and false on a wrong value. */
static bool read_avro(pond_fileio *io, const char *url, int *count, pond_error *err)
{
	pond_avro_reader *r;
	if (pond_fileio_open_avro(io, url, &r, err) != 0)
		return false;
	pond_arena *a = pond_arena_new();
	const pond_avro_value *v;
	bool ok = true;
	*count = 0;
	int rc;
	while ((rc = pond_avro_reader_next(r, a, &v, err)) == 1) {
		int64_t n = -1;
		pond_avro_value_get_long(v->u.record.fields[0], &n);
		ok = ok && n == (int64_t)*count * 3;
		(*count)++;
		pond_arena_reset(a);
	}
	pond_arena_free(&a);
	pond_avro_reader_close(&r);
	return ok && rc == 0;
}

TEST(fileio_s3_writes_and_reads_metadata_and_avro_files)
{
	NEED_SERVER();
	char url[256], json_url[256];
	pond_error err = POND_ERROR_INIT;
	s3t_fileio f;
	CHECK_OK(s3t_fileio_open(&f, false, &err), &err);
	const char *bucket = f.bucket;
	pond_fileio *io = f.io;

	snprintf(json_url, sizeof json_url, "s3://%s/db/t/metadata/00001-x.metadata.json", bucket);
	const char *json = "{\"format-version\":2}";
	CHECK_OK(pond_fileio_write(io, json_url, json, strlen(json), &err), &err);
	char *text;
	size_t len;
	CHECK_OK(pond_fileio_read(io, json_url, &text, &len, 1 << 20, &err), &err);
	CHECK_STR(text, json);
	pond_free(text);
	CHECK_INT(pond_fileio_read(io, json_url, &text, &len, 5, &err), POND_ELIMIT);

	snprintf(url, sizeof url, "s3a://%s/db/t/metadata/snap-1.avro", bucket);
	CHECK_OK(write_avro(io, url, 1000, &err), &err);
	int64_t size = 0;
	CHECK_OK(pond_fileio_size(io, url, &size, &err), &err);
	CHECK(size > 1000);
	int count;
	CHECK(read_avro(io, url, &count, &err));
	CHECK_INT(count, 1000);

	snprintf(url, sizeof url, "s3://%s/db/t/metadata/missing.avro", bucket);
	pond_avro_reader *r;
	CHECK_INT(pond_fileio_open_avro(io, url, &r, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "NoSuchKey") != NULL);
	s3t_fileio_close(&f);
}

TEST(fileio_s3_reads_avro_through_the_object_cache)
{
	NEED_SERVER();
	char url[256];
	pond_error err = POND_ERROR_INIT;
	s3t_fileio f;
	CHECK_OK(s3t_fileio_open(&f, true, &err), &err);
	const char *bucket = f.bucket;
	pond_fileio *io = f.io;
	snprintf(url, sizeof url, "s3://%s/m/x-m0.avro", bucket);
	CHECK_OK(write_avro(io, url, 50, &err), &err);
	int count;
	CHECK(read_avro(io, url, &count, &err));
	CHECK_INT(count, 50);
	bool all_signed;
	int gets = s3t_count(bucket, "GET", NULL, &all_signed);
	CHECK(read_avro(io, url, &count, &err));
	CHECK_INT(count, 50);
	CHECK_INT(s3t_count(bucket, "GET", NULL, &all_signed), gets); /* the second read was local */
	CHECK(all_signed);
	s3t_fileio_close(&f);
}

TEST(fileio_s3_create_avro_never_replaces_where_the_server_refuses)
{
	NEED_SERVER();
	char url[256], faults[256];
	pond_error err = POND_ERROR_INIT;
	s3t_fileio f;
	CHECK_OK(s3t_fileio_open(&f, false, &err), &err);
	const char *bucket = f.bucket;
	pond_fileio *io = f.io;
	snprintf(faults, sizeof faults, "{\"bucket\":\"%s\",\"conditional\":true}", bucket);
	CHECK(s3t_faults(faults));
	snprintf(url, sizeof url, "s3://%s/m/once.avro", bucket);
	CHECK_OK(write_avro(io, url, 3, &err), &err);
	CHECK_INT(write_avro(io, url, 7, &err), POND_EEXISTS);
	CHECK(strstr(err.msg, "PreconditionFailed") != NULL);
	int count;
	CHECK(read_avro(io, url, &count, &err));
	CHECK_INT(count, 3);
	/* a writer freed unfinished uploads nothing */
	pond_avro_schema *schema;
	CHECK_OK(pond_avro_schema_parse(&schema, long_schema, strlen(long_schema), "test", &err), &err);
	pond_avro_writer *w;
	snprintf(url, sizeof url, "s3://%s/m/abandoned.avro", bucket);
	CHECK_OK(pond_fileio_create_avro(io, url, schema, NULL, &w, &err), &err);
	pond_avro_writer_free(&w);
	pond_avro_schema_free(&schema);
	int64_t size;
	CHECK_INT(pond_fileio_size(io, url, &size, &err), POND_ENOTFOUND);
	s3t_fileio_close(&f);
}
