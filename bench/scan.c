/*
 * Benchmark: scan planning on a generated table of 10,000 data files in
 * 100 manifests (partitioned by day of `ts`, one day per manifest, with
 * bounds on `id` and `ts`). Times planning with a selective filter (one day
 * and a bound on id) and, as the reference, with no filter (all files).
 * Usage: scan DIR [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pond/manifest.h"

#define MANIFESTS 100
#define FILES_PER 100
#define DAY_US (86400LL * 1000000)
#define DAY0 19723 /* 2024-01-01 */

static void die(const pond_error *err)
{
	fprintf(stderr, "bench/scan: %s\n", err->msg);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double plan_ms(const pond_iceberg_metadata *md, pond_fileio *io, const pond_expr *filter, size_t *kept,
                      size_t *skipped)
{
	pond_error err = POND_ERROR_INIT;
	pond_scan_options o = POND_SCAN_OPTIONS_INIT;
	o.filter = filter;
	pond_scan_plan *plan;
	int64_t t0 = pond_time_mono_ns();
	if (pond_scan_plan_files(&plan, md, io, &o, &err))
		die(&err);
	double ms = (pond_time_mono_ns() - t0) / 1e6;
	*kept = plan->ntasks;
	*skipped = plan->manifests_skipped;
	pond_scan_plan_free(&plan);
	return ms;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: scan DIR [RUNS]\n");
		return 2;
	}
	const char *dir = argv[1];
	int runs = argc > 2 ? atoi(argv[2]) : 15;
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *schema_json = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	                          "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
	                          "{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
	                          "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"}]}";
	const char *spec_fields = "{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":2,\"field-id\":1000}";
	char spec_json[256];
	snprintf(spec_json, sizeof spec_json, "{\"spec-id\":0,\"fields\":[%s]}", spec_fields);
	json_t *sj = json_loads(schema_json, 0, NULL), *pj = json_loads(spec_json, 0, NULL);
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec;
	pond_fileio *io;
	char path[4096];
	snprintf(path, sizeof path, "%s/metadata", dir);
	if (pond_iceberg_schema_from_json(&schema, sj, a, "schema", &err) ||
	    pond_iceberg_partition_spec_from_json(&spec, pj, NULL, a, "spec", &err) || pond_fileio_local_new(&io, &err) ||
	    pond_mkdirs(path, &err))
		die(&err);
	json_decref(sj);
	json_decref(pj);

	/* generate */
	pond_manifest_file *mfs = pond_arena_calloc(a, MANIFESTS, sizeof *mfs);
	for (int m = 0; m < MANIFESTS; m++) {
		pond_manifest_writer_options o = POND_MANIFEST_WRITER_OPTIONS_INIT;
		o.schema = schema;
		o.spec = spec;
		o.snapshot_id = 1;
		pond_manifest_writer *w;
		snprintf(path, sizeof path, "%s/metadata/m%03d.avro", dir, m);
		if (pond_manifest_writer_open(&w, io, path, &o, &err))
			die(&err);
		pond_iceberg_literal part = pond_iceberg_literal_date(DAY0 + m);
		for (int f = 0; f < FILES_PER; f++) {
			long i = (long)m * FILES_PER + f;
			int64_t id_lo = i * 1000, id_hi = i * 1000 + 999;
			int64_t ts_lo = (DAY0 + m) * DAY_US + f * 1000000LL, ts_hi = ts_lo + 999999;
			uint8_t b[4][8];
			memcpy(b[0], &id_lo, 8);
			memcpy(b[1], &id_hi, 8);
			memcpy(b[2], &ts_lo, 8);
			memcpy(b[3], &ts_hi, 8);
			pond_column_bound lower[2] = {{1, b[0], 8}, {2, b[2], 8}}, upper[2] = {{1, b[1], 8}, {2, b[3], 8}};
			pond_column_count counts[3] = {{1, 1000}, {2, 1000}, {3, 1000}}, nulls[3] = {{1, 0}, {2, 0}, {3, 5}};
			char file[128];
			snprintf(file, sizeof file, "%s/data/ts_day=%d/f%05ld.parquet", dir, DAY0 + m, i);
			pond_manifest_entry e = {0};
			e.status = POND_MANIFEST_ADDED;
			e.data_file.file_path = file;
			e.data_file.file_format = "PARQUET";
			e.data_file.npartition = 1;
			e.data_file.partition = &part;
			e.data_file.record_count = 1000;
			e.data_file.file_size_in_bytes = 100000;
			e.data_file.column_sizes = counts;
			e.data_file.ncolumn_sizes = 3;
			e.data_file.value_counts = counts;
			e.data_file.nvalue_counts = 3;
			e.data_file.null_value_counts = nulls;
			e.data_file.nnull_value_counts = 3;
			e.data_file.lower_bounds = lower;
			e.data_file.nlower_bounds = 2;
			e.data_file.upper_bounds = upper;
			e.data_file.nupper_bounds = 2;
			if (pond_manifest_writer_add(w, &e, &err))
				die(&err);
		}
		if (pond_manifest_writer_finish(w, &mfs[m], a, &err))
			die(&err);
		pond_manifest_writer_free(&w);
	}
	pond_manifest_list_writer_options lo = POND_MANIFEST_LIST_WRITER_OPTIONS_INIT;
	lo.snapshot_id = 1;
	lo.sequence_number = 1;
	pond_manifest_list_writer *lw;
	snprintf(path, sizeof path, "%s/metadata/snap-1.avro", dir);
	if (pond_manifest_list_writer_open(&lw, io, path, &lo, &err))
		die(&err);
	for (int m = 0; m < MANIFESTS; m++)
		if (pond_manifest_list_writer_add(lw, &mfs[m], &err))
			die(&err);
	if (pond_manifest_list_writer_finish(lw, &err))
		die(&err);
	pond_manifest_list_writer_free(&lw);
	char *md_text = NULL;
	if (asprintf(&md_text,
	             "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"%s\","
	             "\"last-sequence-number\":1,\"last-updated-ms\":1000,\"last-column-id\":3,\"current-schema-id\":0,"
	             "\"schemas\":[%s],\"default-spec-id\":0,\"partition-specs\":[%s],\"last-partition-id\":1000,"
	             "\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],\"properties\":{},"
	             "\"current-snapshot-id\":1,\"snapshots\":[{\"snapshot-id\":1,\"sequence-number\":1,"
	             "\"timestamp-ms\":1000,\"manifest-list\":\"%s\",\"summary\":{\"operation\":\"append\"}}],"
	             "\"refs\":{\"main\":{\"snapshot-id\":1,\"type\":\"branch\"}}}",
	             dir, schema_json, spec_json, path) < 0)
		return 1;
	pond_iceberg_metadata *md;
	if (pond_iceberg_metadata_parse(&md, md_text, strlen(md_text), "generated", &err))
		die(&err);
	free(md_text);

	/* plan: one day (2024-01-05, manifest 4: ids 400000..499999) and id < 450000 */
	pond_expr *filter;
	if (pond_expr_parse(&filter, "ts >= '2024-01-05T00:00:00' and ts < '2024-01-06T00:00:00' and id < 450000", a,
	                    &err))
		die(&err);
	double sel[64], all[64];
	if (runs > 64)
		runs = 64;
	size_t kept = 0, skipped = 0, kept_all = 0, skipped_all = 0;
	plan_ms(md, io, filter, &kept, &skipped); /* warm the page cache */
	for (int r = 0; r < runs; r++) {
		sel[r] = plan_ms(md, io, filter, &kept, &skipped);
		all[r] = plan_ms(md, io, NULL, &kept_all, &skipped_all);
	}
	printf("selective_ms %.3f kept %zu manifests_skipped %zu all_ms %.3f kept_all %zu runs %d\n", median(sel, runs),
	       kept, skipped, median(all, runs), kept_all, runs);
	pond_iceberg_metadata_free(&md);
	pond_fileio_free(&io);
	pond_arena_free(&a);
	return kept == 50 && kept_all == MANIFESTS * FILES_PER ? 0 : 1;
}
