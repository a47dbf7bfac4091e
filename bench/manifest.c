/*
 * Benchmark: write then read a manifest of N entries (default 100,000) with
 * partition tuples and column statistics like Spark writes, streaming with
 * one arena reset per entry. Prints times and peak RSS after each phase.
 * Usage: manifest FILE [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "pond/manifest.h"

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void die(const pond_error *err)
{
	fprintf(stderr, "bench/manifest: %s\n", err->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: manifest FILE [N]\n");
		return 2;
	}
	const char *path = argv[1];
	long n = argc > 2 ? atol(argv[2]) : 100000;
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *schema_json = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	                          "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
	                          "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
	                          "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"}]}";
	const char *spec_json = "{\"spec-id\":0,\"fields\":[{\"name\":\"ts_day\",\"transform\":\"day\","
	                        "\"source-id\":2,\"field-id\":1000}]}";
	json_t *sj = json_loads(schema_json, 0, NULL), *pj = json_loads(spec_json, 0, NULL);
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec;
	pond_fileio *io;
	if (pond_iceberg_schema_from_json(&schema, sj, a, "schema", &err) ||
	    pond_iceberg_partition_spec_from_json(&spec, pj, NULL, a, "spec", &err) || pond_fileio_local_new(&io, &err))
		die(&err);
	json_decref(sj);
	json_decref(pj);

	pond_manifest_writer_options o = POND_MANIFEST_WRITER_OPTIONS_INIT;
	o.schema = schema;
	o.spec = spec;
	o.snapshot_id = 1;
	pond_manifest_writer *w;
	int64_t t0 = pond_time_mono_ns();
	if (pond_manifest_writer_open(&w, io, path, &o, &err))
		die(&err);
	pond_column_count counts[3] = {{1, 1000}, {2, 1000}, {3, 1000}};
	pond_column_count nulls[3] = {{1, 0}, {2, 3}, {3, 10}};
	uint8_t lo[3][8], hi[3][8];
	pond_column_bound lower[3], upper[3];
	int64_t splits[1] = {4};
	char file[128];
	for (long i = 0; i < n; i++) {
		for (int c = 0; c < 3; c++) {
			int64_t l = i * 1000, h = i * 1000 + 999;
			memcpy(lo[c], &l, 8);
			memcpy(hi[c], &h, 8);
			lower[c] = (pond_column_bound){c + 1, lo[c], 8};
			upper[c] = (pond_column_bound){c + 1, hi[c], 8};
		}
		pond_iceberg_literal part = pond_iceberg_literal_date((int32_t)(19723 + i % 365));
		snprintf(file, sizeof file, "s3://bucket/warehouse/db/t/data/ts_day=x/00000-%ld-6b2c6e8e-0e0f-4f6c.parquet", i);
		pond_manifest_entry e = {0};
		e.status = POND_MANIFEST_ADDED;
		e.data_file.file_path = file;
		e.data_file.file_format = "PARQUET";
		e.data_file.npartition = 1;
		e.data_file.partition = &part;
		e.data_file.record_count = 1000;
		e.data_file.file_size_in_bytes = 123456;
		e.data_file.column_sizes = counts;
		e.data_file.ncolumn_sizes = 3;
		e.data_file.value_counts = counts;
		e.data_file.nvalue_counts = 3;
		e.data_file.null_value_counts = nulls;
		e.data_file.nnull_value_counts = 3;
		e.data_file.lower_bounds = lower;
		e.data_file.nlower_bounds = 3;
		e.data_file.upper_bounds = upper;
		e.data_file.nupper_bounds = 3;
		e.data_file.split_offsets = splits;
		e.data_file.nsplit_offsets = 1;
		if (pond_manifest_writer_add(w, &e, &err))
			die(&err);
	}
	pond_manifest_file mf;
	if (pond_manifest_writer_finish(w, &mf, a, &err))
		die(&err);
	pond_manifest_writer_free(&w);
	int64_t t1 = pond_time_mono_ns();
	long rss_write = peak_rss_kb();

	pond_manifest_reader *r;
	mf.sequence_number = 1;
	if (pond_manifest_reader_open(&r, io, path, &mf, spec, schema, &err))
		die(&err);
	pond_arena *ea = pond_arena_new();
	int64_t records = 0;
	long entries = 0;
	for (;;) {
		const pond_manifest_entry *e;
		pond_arena_reset(ea);
		int rc = pond_manifest_reader_next(r, ea, &e, &err);
		if (rc < 0)
			die(&err);
		if (rc == 0)
			break;
		records += e->data_file.record_count;
		entries++;
	}
	pond_manifest_reader_close(&r);
	int64_t t2 = pond_time_mono_ns();
	printf("entries %ld bytes %lld write_ms %.1f read_ms %.1f peak_rss_after_write_kb %ld peak_rss_after_read_kb %ld\n",
	       entries, (long long)mf.manifest_length, (t1 - t0) / 1e6, (t2 - t1) / 1e6, rss_write, peak_rss_kb());
	pond_arena_free(&ea);
	pond_fileio_free(&io);
	pond_arena_free(&a);
	return records == n * 1000 ? 0 : 1;
}
