/*
 * Scan planning: every fixture table written by Spark, Java and pyiceberg
 * plans with the row counts the fixtures README lists (moved paths
 * remapped), generated tables prune exactly the files a filter excludes
 * (each partition transform, manifest summaries, column bounds and null
 * counts), delete files attach by the spec's sequence-number rules, and
 * snapshots are chosen by id, ref and time. Corrupt input and allocation
 * failures end in errors, never crashes or leaks.
 */
#include "../test.h"

#include <jansson.h>
#include <stdlib.h>

#include "pond/manifest.h"

#define FX_DUCK "/iceberg/duckdb-iceberg/data/persistent/"
#define FX_BIRD "/iceberg/icebird/spark/"

typedef struct fixture_plan {
	pond_iceberg_metadata *md;
	pond_fileio *io;
	pond_scan_plan *plan;
} fixture_plan;

static void fp_free(fixture_plan *fp)
{
	pond_scan_plan_free(&fp->plan);
	pond_fileio_free(&fp->io);
	pond_iceberg_metadata_free(&fp->md);
}

/* Loads a metadata file (relative to the fixtures folder) and plans it. */
static int plan_path(fixture_plan *fp, const char *path, const pond_scan_options *opts, pond_error *err)
{
	memset(fp, 0, sizeof *fp);
	int rc = pond_iceberg_metadata_load_file(&fp->md, path, err);
	if (!rc)
		rc = pond_fileio_local_new(&fp->io, err);
	if (!rc)
		rc = pond_fileio_remap_table(fp->io, fp->md, path, err);
	if (!rc)
		rc = pond_scan_plan_files(&fp->plan, fp->md, fp->io, opts, err);
	return rc;
}

static int plan_fixture(fixture_plan *fp, const char *rel, const pond_scan_options *opts, pond_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s%s", pond_test_fixtures(), rel);
	return plan_path(fp, path, opts, err);
}

static size_t attached(const pond_scan_plan *plan)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->ntasks; i++)
		n += plan->tasks[i].ndeletes;
	return n;
}

static bool all_files_exist(const pond_scan_plan *plan)
{
	for (size_t i = 0; i < plan->ntasks; i++)
		if (!pond_file_exists(plan->tasks[i].path))
			return false;
	for (size_t i = 0; i < plan->ndeletes; i++)
		if (!pond_file_exists(plan->deletes[i].path))
			return false;
	return true;
}

static const struct {
	const char *path;
	size_t files;
	int64_t records;
	size_t deletes;
	size_t attached;
} fixture_expect[] = {
	{FX_DUCK "iceberg/lineitem_iceberg/metadata/v1.metadata.json", 1, 60175, 0, 0},
	{FX_DUCK "iceberg/lineitem_iceberg/metadata/v2.metadata.json", 1, 51793, 0, 0},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v2.metadata.json", 1, 4, 0, 0},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v4.metadata.json", 1, 4, 2, 2},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v5.metadata.json", 1, 4, 3, 3},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v6.metadata.json", 2, 6, 3, 3},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v7.metadata.json", 2, 6, 4, 5},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v2.metadata.json", 4, 4, 0, 0},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v3.metadata.json", 4, 4, 1, 1},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v4.metadata.json", 4, 4, 2, 2},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v5.metadata.json", 6, 6, 2, 2},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v6.metadata.json", 6, 6, 3, 3},
	{FX_DUCK "null_stats/default/test_nulls/metadata/00001-2ce4255e-e070-489c-9d2f-c0a9e1db179b.metadata.json", 1, 3, 0, 0},
	{FX_DUCK "null_stats/default/test_nulls/metadata/00002-066881b3-e853-4868-9a22-db18cdbc2a68.metadata.json", 2, 6, 0, 0},
	{FX_DUCK "null_stats/default/test_nulls/metadata/00003-9d6a621e-8a72-4190-a880-f6ca02e32b86.metadata.json", 3, 9, 0, 0},
	{FX_DUCK "add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/00001-af871980-15f9-44a3-9761-ba6ac5225b74.metadata.json", 1, 2, 0, 0},
	{FX_DUCK "add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/00003-3f1801a5-7dfb-4072-b14a-39cd12f9279b.metadata.json", 2, 3, 0, 0},
	{FX_DUCK "column_mapping/warehouse/default.db/my_table/metadata/00001-75643dae-a7a7-46ae-ab30-ea80d3793f3f.metadata.json", 1, 3, 0, 0},
	{FX_DUCK "expression_filter/metadata/00001-19739cda-f528-4429-84cc-377ffdd24c75.metadata.json", 1, 3, 0, 0},
	{FX_DUCK "uuid/metadata/00001-43fda1f4-1c96-4376-ad16-91beb71d0759.metadata.json", 2, 10, 0, 0},
	{FX_DUCK "partition_integer/metadata/v2.metadata.json", 2, 2, 0, 0},
	{FX_DUCK "partition_double/metadata/v2.metadata.json", 2, 2, 0, 0},
	{FX_DUCK "partition_binary/metadata/v2.metadata.json", 2, 2, 0, 0},
	{FX_DUCK "partition_decimal_integer/metadata/v2.metadata.json", 3, 3, 0, 0},
	{FX_DUCK "iceberg_v1_deprecated/default/legacy_v1/metadata/v2.metadata.json", 2, 3, 0, 0},
	{FX_DUCK "iceberg_v1_deprecated/default/legacy_v1/metadata/v1.metadata.json", 0, 0, 0, 0},
	/* bunnies v3: 21 rows, one position delete (20 rows after it) */
	{FX_BIRD "bunnies/metadata/v3.metadata.json", 1, 21, 1, 1},
	/* v5 rewrote the data file after the delete: it no longer applies */
	{FX_BIRD "bunnies/metadata/v5.metadata.json", 1, 20, 1, 0},
	{FX_BIRD "rename_column/metadata/v3.metadata.json", 3, 4, 0, 0},
};

TEST(scan_fixture_tables_plan_with_readme_row_counts)
{
	for (size_t i = 0; i < sizeof fixture_expect / sizeof fixture_expect[0]; i++) {
		pond_error err = POND_ERROR_INIT;
		fixture_plan fp;
		int rc = plan_fixture(&fp, fixture_expect[i].path, NULL, &err);
		CHECK_MSG(rc == 0, "%s: %s", fixture_expect[i].path, err.msg);
		bool ok = fp.plan->ntasks == fixture_expect[i].files && fp.plan->data_records == fixture_expect[i].records &&
		          fp.plan->ndeletes == fixture_expect[i].deletes && attached(fp.plan) == fixture_expect[i].attached &&
		          all_files_exist(fp.plan);
		size_t nt = fp.plan->ntasks, nd = fp.plan->ndeletes, na = attached(fp.plan);
		long long rec = (long long)fp.plan->data_records;
		fp_free(&fp);
		CHECK_MSG(ok, "%s: files %zu records %lld deletes %zu attached %zu (or a path does not exist)",
		          fixture_expect[i].path, nt, rec, nd, na);
	}
}

TEST(scan_fixture_deletes_attach_to_their_partition)
{
	pond_error err = POND_ERROR_INIT;
	fixture_plan fp;
	CHECK_OK(plan_fixture(&fp, FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v6.metadata.json",
	                      NULL, &err), &err);
	int checked = 0;
	for (size_t i = 0; i < fp.plan->ntasks; i++) {
		const pond_scan_task *t = &fp.plan->tasks[i];
		for (size_t k = 0; k < t->ndeletes; k++) {
			const pond_scan_delete *d = t->deletes[k];
			CHECK(d->content == POND_CONTENT_EQUALITY_DELETES);
			/* Spark wrote [2] or [2, 1]: name (and id) */
			CHECK(d->nequality_ids >= 1 && d->nequality_ids <= 2);
			CHECK_INT(d->equality_ids[0], 2);
			CHECK(d->sequence_number > t->sequence_number);
			CHECK(t->npartition == 1 && d->npartition == 1);
			CHECK(pond_iceberg_literal_equal(&t->partition[0], &d->partition[0]));
			checked++;
		}
		/* the file in partition name=e has no delete */
		if (t->partition[0].v.bytes.len == 1 && t->partition[0].v.bytes.ptr[0] == 'e')
			CHECK_INT(t->ndeletes, 0);
	}
	CHECK_INT(checked, 3);
	fp_free(&fp);

	CHECK_OK(plan_fixture(&fp, FX_BIRD "bunnies/metadata/v3.metadata.json", NULL, &err), &err);
	CHECK_INT(fp.plan->tasks[0].ndeletes, 1);
	CHECK(fp.plan->tasks[0].deletes[0]->content == POND_CONTENT_POSITION_DELETES);
	CHECK(strstr(fp.plan->tasks[0].deletes[0]->path, "icebird/spark/bunnies/data/") != NULL);
	fp_free(&fp);
}

TEST(scan_moved_paths_remap_both_quirks)
{
	pond_error err = POND_ERROR_INIT;
	fixture_plan fp;
	/* s3a://hyperparam-iceberg/spark/<table> */
	CHECK_OK(plan_fixture(&fp, FX_BIRD "rename_column/metadata/v3.metadata.json", NULL, &err), &err);
	CHECK(pond_str_starts_with(fp.plan->tasks[0].path, pond_test_fixtures()));
	CHECK(strstr(fp.plan->tasks[0].path, "s3a:") == NULL);
	fp_free(&fp);
	/* relative "data/persistent/..." and "./lineitem_iceberg" */
	CHECK_OK(plan_fixture(&fp, FX_DUCK "iceberg/lineitem_iceberg/metadata/v1.metadata.json", NULL, &err), &err);
	CHECK(pond_file_exists(fp.plan->tasks[0].path));
	CHECK(strstr(fp.plan->tasks[0].path, "iceberg/lineitem_iceberg/data/") != NULL);
	fp_free(&fp);
	/* file:// URIs resolve for the local backend, remap or not */
	pond_fileio *io = NULL;
	CHECK_OK(pond_fileio_local_new(&io, &err), &err);
	pond_buf b = POND_BUF_INIT;
	pond_fileio_resolve(io, "file:///tmp/x.parquet", &b);
	CHECK_STR(pond_buf_cstr(&b), "/tmp/x.parquet");
	pond_buf_clear(&b);
	CHECK_OK(pond_fileio_set_remap(io, "s3://b/t/", "/data/t", &err), &err);
	pond_fileio_resolve(io, "s3://b/t/data/f.parquet", &b);
	CHECK_STR(pond_buf_cstr(&b), "/data/t/data/f.parquet");
	pond_buf_clear(&b);
	pond_fileio_resolve(io, "s3://b/tt/data/f.parquet", &b);
	CHECK_STR(pond_buf_cstr(&b), "s3://b/tt/data/f.parquet");
	pond_buf_dispose(&b);
	pond_fileio_free(&io);
}

TEST(scan_missing_manifest_list_names_the_file)
{
	pond_error err = POND_ERROR_INIT;
	fixture_plan fp;
	int rc = plan_fixture(&fp, FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v3.metadata.json", NULL, &err);
	fp_free(&fp);
	CHECK(rc < 0);
	CHECK(strstr(err.msg, "snap-7342794868382145167") != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
}

/* ---- generated tables ---- */

static const char *gen_schema =
	"{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	"{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
	"{\"id\":2,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
	"{\"id\":3,\"name\":\"d\",\"required\":false,\"type\":\"date\"},"
	"{\"id\":4,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
	"{\"id\":5,\"name\":\"n\",\"required\":false,\"type\":\"int\"}]}";

typedef struct gen_table {
	pond_arena *arena;
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec;
	pond_fileio *io;
	char dir[4096];
	int nmanifests;
} gen_table;

static int gen_open_in(gen_table *g, const char *name, const char *spec_fields, pond_error *err)
{
	memset(g, 0, sizeof *g);
	g->arena = pond_arena_new();
	snprintf(g->dir, sizeof g->dir, "%s/%s", pond_test_tmpdir(), name);
	char metadir[4200];
	snprintf(metadir, sizeof metadir, "%s/metadata", g->dir);
	int rc = pond_mkdirs(metadir, err);
	json_t *sj = json_loads(gen_schema, 0, NULL);
	char spec_text[1024];
	snprintf(spec_text, sizeof spec_text, "{\"spec-id\":0,\"fields\":[%s]}", spec_fields);
	json_t *pj = json_loads(spec_text, 0, NULL);
	if (!rc)
		rc = pond_iceberg_schema_from_json(&g->schema, sj, g->arena, "schema", err);
	if (!rc)
		rc = pond_iceberg_partition_spec_from_json(&g->spec, pj, NULL, g->arena, "spec", err);
	json_decref(sj);
	json_decref(pj);
	if (!rc)
		rc = pond_fileio_local_new(&g->io, err);
	return rc;
}

static int gen_open(gen_table *g, const char *spec_fields, pond_error *err)
{
	return gen_open_in(g, "t", spec_fields, err);
}

static void gen_close(gen_table *g)
{
	pond_fileio_free(&g->io);
	pond_arena_free(&g->arena);
}

/* A data file entry with optional bounds on one column. */
static pond_manifest_entry gen_entry(pond_arena *a, const char *name, pond_file_content content, int64_t seq,
                                     const pond_iceberg_literal *partition, size_t np)
{
	pond_manifest_entry e;
	memset(&e, 0, sizeof e);
	e.status = POND_MANIFEST_ADDED;
	if (seq >= 0) {
		e.has_sequence_number = e.has_file_sequence_number = true;
		e.sequence_number = e.file_sequence_number = seq;
	}
	e.data_file.content = content;
	e.data_file.file_path = pond_arena_sprintf(a, "data/%s.parquet", name);
	e.data_file.file_format = "PARQUET";
	e.data_file.record_count = 10;
	e.data_file.file_size_in_bytes = 1000;
	e.data_file.npartition = np;
	e.data_file.partition = (pond_iceberg_literal *)partition;
	return e;
}

static int gen_manifest(gen_table *g, pond_manifest_content content, const pond_manifest_entry *entries, size_t n,
                        pond_manifest_file *out, pond_error *err)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/metadata/m%d.avro", g->dir, g->nmanifests++);
	pond_manifest_writer_options o = POND_MANIFEST_WRITER_OPTIONS_INIT;
	o.schema = g->schema;
	o.spec = g->spec;
	o.content = content;
	o.snapshot_id = 1;
	pond_manifest_writer *w = NULL;
	int rc = pond_manifest_writer_open(&w, g->io, path, &o, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = pond_manifest_writer_add(w, &entries[i], err);
	if (!rc)
		rc = pond_manifest_writer_finish(w, out, g->arena, err);
	pond_manifest_writer_free(&w);
	return rc;
}

static int gen_list(gen_table *g, const char *name, int64_t snapshot_id, int64_t seq, const pond_manifest_file *m,
                    size_t n, pond_error *err)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/metadata/%s", g->dir, name);
	pond_manifest_list_writer_options o = POND_MANIFEST_LIST_WRITER_OPTIONS_INIT;
	o.snapshot_id = snapshot_id;
	o.sequence_number = seq;
	pond_manifest_list_writer *w = NULL;
	int rc = pond_manifest_list_writer_open(&w, g->io, path, &o, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = pond_manifest_list_writer_add(w, &m[i], err);
	if (!rc)
		rc = pond_manifest_list_writer_finish(w, err);
	pond_manifest_list_writer_free(&w);
	return rc;
}

/* Metadata with snapshots 1 (t=1000, list snap-1.avro, seq 1) and, when
 * two, 2 (t=2000, snap-2.avro, seq 2); main at the last, tag "first" at 1,
 * branch "dev" at 1. */
/* The generated tables' properties (a JSON object). */
static const char *gen_properties = "{}";

static int gen_metadata(gen_table *g, int nsnapshots, const char *spec_fields, pond_iceberg_metadata **out,
                        pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_printf(&b,
	                "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
	                "\"location\":\"%s\",\"last-sequence-number\":%d,\"last-updated-ms\":3000,"
	                "\"last-column-id\":5,\"current-schema-id\":0,\"schemas\":[%s],"
	                "\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[%s]}],"
	                "\"last-partition-id\":1010,\"default-sort-order-id\":0,"
	                "\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],\"properties\":%s,"
	                "\"current-snapshot-id\":%d,\"snapshots\":[",
	                g->dir, nsnapshots, gen_schema, spec_fields, gen_properties, nsnapshots);
	for (int i = 1; i <= nsnapshots; i++)
		pond_buf_printf(&b,
		                "%s{\"snapshot-id\":%d,%s\"sequence-number\":%d,\"timestamp-ms\":%d,"
		                "\"manifest-list\":\"%s/metadata/snap-%d.avro\",\"summary\":{\"operation\":\"append\"},"
		                "\"schema-id\":0}",
		                i > 1 ? "," : "", i, i > 1 ? "\"parent-snapshot-id\":1," : "", i, i * 1000, g->dir, i);
	pond_buf_printf(&b, "],\"snapshot-log\":[");
	for (int i = 1; i <= nsnapshots; i++)
		pond_buf_printf(&b, "%s{\"timestamp-ms\":%d,\"snapshot-id\":%d}", i > 1 ? "," : "", i * 1000, i);
	pond_buf_printf(&b,
	                "],\"metadata-log\":[],\"refs\":{\"main\":{\"snapshot-id\":%d,\"type\":\"branch\"},"
	                "\"first\":{\"snapshot-id\":1,\"type\":\"tag\"},\"dev\":{\"snapshot-id\":1,\"type\":\"branch\"}}}",
	                nsnapshots);
	int rc = pond_buf_ok(&b) ? pond_iceberg_metadata_parse(out, b.ptr, b.len, "generated", err)
	                         : pond_error_set(err, POND_ENOMEM, "oom");
	pond_buf_dispose(&b);
	return rc;
}

static int plan_text(pond_scan_plan **out, gen_table *g, pond_iceberg_metadata *md, const char *filter,
                     pond_error *err)
{
	pond_scan_options o = POND_SCAN_OPTIONS_INIT;
	pond_expr *e = NULL;
	pond_arena *a = pond_arena_new();
	int rc = filter ? pond_expr_parse(&e, filter, a, err) : 0;
	o.filter = e;
	if (!rc)
		rc = pond_scan_plan_files(out, md, g->io, &o, err);
	pond_arena_free(&a);
	return rc;
}

static bool plan_has(const pond_scan_plan *p, const char *name)
{
	for (size_t i = 0; i < p->ntasks; i++)
		if (strstr(p->tasks[i].path, name))
			return true;
	return false;
}

static int64_t ts_us(const char *text)
{
	int64_t us = 0;
	pond_time_parse_us(text, &us, NULL);
	return us;
}

/* One case per transform: two files whose source values differ; the
 * filter keeps the partition of file "a" only. No column stats, so only
 * partition pruning can drop "b". */
static const struct {
	const char *spec_field;
	int source;
	const char *a, *b; /* source values as text */
	const char *filter;
} transform_cases[] = {
	{"{\"name\":\"n\",\"transform\":\"identity\",\"source-id\":5,\"field-id\":1000}", 5, "1", "2", "n = 1"},
	{"{\"name\":\"n\",\"transform\":\"identity\",\"source-id\":5,\"field-id\":1000}", 5, "1", "2", "n in (0, 1)"},
	{"{\"name\":\"id_b\",\"transform\":\"bucket[16]\",\"source-id\":1,\"field-id\":1000}", 1, "1", "100", "id = 1"},
	{"{\"name\":\"n_t\",\"transform\":\"truncate[10]\",\"source-id\":5,\"field-id\":1000}", 5, "5", "25", "n < 10"},
	{"{\"name\":\"s_t\",\"transform\":\"truncate[2]\",\"source-id\":4,\"field-id\":1000}", 4, "aa1", "bb2",
	 "s = 'aa1'"},
	{"{\"name\":\"s_t\",\"transform\":\"truncate[2]\",\"source-id\":4,\"field-id\":1000}", 4, "aa1", "bb2",
	 "s <= 'ab'"},
	{"{\"name\":\"ts_day\",\"transform\":\"day\",\"source-id\":2,\"field-id\":1000}", 2, "2024-01-01T10:00:00",
	 "2024-01-03T10:00:00", "ts >= '2024-01-01T00:00:00' and ts < '2024-01-02T00:00:00'"},
	{"{\"name\":\"d_month\",\"transform\":\"month\",\"source-id\":3,\"field-id\":1000}", 3, "2024-01-15",
	 "2024-03-15", "d < '2024-02-01'"},
	{"{\"name\":\"ts_year\",\"transform\":\"year\",\"source-id\":2,\"field-id\":1000}", 2, "2024-06-01T00:00:00",
	 "2023-06-01T00:00:00", "ts >= '2024-01-01T00:00:00'"},
	{"{\"name\":\"ts_hour\",\"transform\":\"hour\",\"source-id\":2,\"field-id\":1000}", 2, "2024-01-01T10:15:00",
	 "2024-01-01T12:15:00", "ts = '2024-01-01T10:30:00' or ts = '2024-01-01T10:45:00'"},
	{"{\"name\":\"d_day\",\"transform\":\"day\",\"source-id\":3,\"field-id\":1000}", 3, "2024-01-15",
	 "2024-01-16", "not d > '2024-01-15'"},
};

TEST(scan_partition_pruning_through_each_transform)
{
	for (size_t c = 0; c < sizeof transform_cases / sizeof transform_cases[0]; c++) {
		pond_error err = POND_ERROR_INIT;
		gen_table g;
		char name[32];
		snprintf(name, sizeof name, "t%zu", c);
		CHECK_OK(gen_open_in(&g, name, transform_cases[c].spec_field, &err), &err);
		const pond_iceberg_field *src = pond_iceberg_schema_find_field(g.schema, transform_cases[c].source);
		pond_iceberg_literal va, vb, pa, pb;
		CHECK_OK(pond_iceberg_literal_from_text(&va, src->type, transform_cases[c].a, g.arena, &err), &err);
		CHECK_OK(pond_iceberg_literal_from_text(&vb, src->type, transform_cases[c].b, g.arena, &err), &err);
		CHECK_OK(pond_iceberg_transform_apply(&pa, g.spec->fields[0].transform, &va, &err), &err);
		CHECK_OK(pond_iceberg_transform_apply(&pb, g.spec->fields[0].transform, &vb, &err), &err);
		CHECK_MSG(!pond_iceberg_literal_equal(&pa, &pb), "case %zu: both files in one partition", c);
		pond_manifest_entry es[2] = {
			gen_entry(g.arena, "a", POND_CONTENT_DATA, -1, &pa, 1),
			gen_entry(g.arena, "b", POND_CONTENT_DATA, -1, &pb, 1),
		};
		pond_manifest_file mf;
		CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, es, 2, &mf, &err), &err);
		CHECK_OK(gen_list(&g, "snap-1.avro", 1, 1, &mf, 1, &err), &err);
		pond_iceberg_metadata *md = NULL;
		CHECK_OK(gen_metadata(&g, 1, transform_cases[c].spec_field, &md, &err), &err);
		pond_scan_plan *plan = NULL;
		int rc = plan_text(&plan, &g, md, transform_cases[c].filter, &err);
		pond_iceberg_metadata_free(&md);
		gen_close(&g);
		CHECK_MSG(rc == 0, "case %zu: %s", c, err.msg);
		bool ok = plan->ntasks == 1 && plan_has(plan, "data/a.parquet") && plan->files_skipped == 1;
		size_t n = plan->ntasks;
		pond_scan_plan_free(&plan);
		CHECK_MSG(ok, "case %zu (%s): kept %zu files", c, transform_cases[c].filter, n);
	}
}

TEST(scan_manifest_summaries_skip_whole_manifests)
{
	const char *spec = "{\"name\":\"d_day\",\"transform\":\"day\",\"source-id\":3,\"field-id\":1000}";
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, spec, &err), &err);
	/* 10 manifests, one day each, 5 files per manifest */
	pond_manifest_file mfs[10];
	for (int m = 0; m < 10; m++) {
		pond_iceberg_literal *p = pond_arena_alloc(g.arena, sizeof *p);
		*p = pond_iceberg_literal_date((int32_t)(19723 + m)); /* 2024-01-01 + m */
		pond_manifest_entry es[5];
		for (int i = 0; i < 5; i++)
			es[i] = gen_entry(g.arena, pond_arena_sprintf(g.arena, "m%d_f%d", m, i), POND_CONTENT_DATA, -1, p, 1);
		CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, es, 5, &mfs[m], &err), &err);
		CHECK(mfs[m].partitions[0].lower_bound != NULL);
	}
	CHECK_OK(gen_list(&g, "snap-1.avro", 1, 1, mfs, 10, &err), &err);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(gen_metadata(&g, 1, spec, &md, &err), &err);
	pond_scan_plan *plan = NULL;
	CHECK_OK(plan_text(&plan, &g, md, "d = '2024-01-04'", &err), &err);
	CHECK_INT(plan->ntasks, 5);
	CHECK_INT(plan->manifests_total, 10);
	CHECK_INT(plan->manifests_skipped, 9);
	CHECK_INT(plan->entries_read, 5);
	CHECK(plan_has(plan, "m3_f0"));
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "d >= '2024-01-09'", &err), &err);
	CHECK_INT(plan->ntasks, 10);
	CHECK_INT(plan->manifests_skipped, 8);
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, NULL, &err), &err);
	CHECK_INT(plan->ntasks, 50);
	CHECK_INT(plan->data_records, 500);
	pond_scan_plan_free(&plan);
	pond_iceberg_metadata_free(&md);
	gen_close(&g);
}

static void set_bounds(pond_arena *a, pond_manifest_entry *e, int32_t field_id, pond_iceberg_literal lo,
                       pond_iceberg_literal hi)
{
	pond_buf b = POND_BUF_INIT;
	pond_column_bound *l = pond_arena_alloc(a, sizeof *l), *u = pond_arena_alloc(a, sizeof *u);
	pond_iceberg_bound_encode(&b, &lo);
	l->field_id = field_id;
	l->len = b.len;
	l->ptr = pond_arena_memdup(a, b.ptr, b.len);
	pond_buf_clear(&b);
	pond_iceberg_bound_encode(&b, &hi);
	u->field_id = field_id;
	u->len = b.len;
	u->ptr = pond_arena_memdup(a, b.ptr, b.len);
	pond_buf_dispose(&b);
	e->data_file.lower_bounds = l;
	e->data_file.nlower_bounds = 1;
	e->data_file.upper_bounds = u;
	e->data_file.nupper_bounds = 1;
}

static void set_counts(pond_arena *a, pond_manifest_entry *e, int32_t field_id, int64_t values, int64_t nulls)
{
	pond_column_count *v = pond_arena_alloc(a, sizeof *v), *n = pond_arena_alloc(a, sizeof *n);
	v->field_id = n->field_id = field_id;
	v->value = values;
	n->value = nulls;
	e->data_file.value_counts = v;
	e->data_file.nvalue_counts = 1;
	e->data_file.null_value_counts = n;
	e->data_file.nnull_value_counts = 1;
}

TEST(scan_column_bounds_and_null_counts_prune_files)
{
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, "", &err), &err);
	pond_manifest_entry es[6];
	es[0] = gen_entry(g.arena, "id_1_10", POND_CONTENT_DATA, -1, NULL, 0);
	set_bounds(g.arena, &es[0], 1, pond_iceberg_literal_long(1), pond_iceberg_literal_long(10));
	es[1] = gen_entry(g.arena, "id_11_20", POND_CONTENT_DATA, -1, NULL, 0);
	set_bounds(g.arena, &es[1], 1, pond_iceberg_literal_long(11), pond_iceberg_literal_long(20));
	es[2] = gen_entry(g.arena, "id_21_30", POND_CONTENT_DATA, -1, NULL, 0);
	set_bounds(g.arena, &es[2], 1, pond_iceberg_literal_long(21), pond_iceberg_literal_long(30));
	es[3] = gen_entry(g.arena, "no_stats", POND_CONTENT_DATA, -1, NULL, 0);
	es[4] = gen_entry(g.arena, "s_all_null", POND_CONTENT_DATA, -1, NULL, 0);
	set_counts(g.arena, &es[4], 4, 10, 10);
	es[5] = gen_entry(g.arena, "s_no_null", POND_CONTENT_DATA, -1, NULL, 0);
	set_counts(g.arena, &es[5], 4, 10, 0);
	set_bounds(g.arena, &es[5], 4, pond_iceberg_literal_string("apple", 5), pond_iceberg_literal_string("melon", 5));
	pond_manifest_file mf;
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, es, 6, &mf, &err), &err);
	CHECK_OK(gen_list(&g, "snap-1.avro", 1, 1, &mf, 1, &err), &err);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(gen_metadata(&g, 1, "", &md, &err), &err);
	pond_scan_plan *plan = NULL;

	/* files without id bounds (3 of them) are always kept */
	CHECK_OK(plan_text(&plan, &g, md, "id > 15", &err), &err);
	CHECK_INT(plan->ntasks, 5);
	CHECK(!plan_has(plan, "id_1_10"));
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "id = 5", &err), &err);
	CHECK_INT(plan->ntasks, 4);
	CHECK(plan_has(plan, "id_1_10") && !plan_has(plan, "id_11_20") && !plan_has(plan, "id_21_30"));
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "id in (12, 25)", &err), &err);
	CHECK_INT(plan->ntasks, 5);
	CHECK(!plan_has(plan, "id_1_10"));
	pond_scan_plan_free(&plan);
	/* null counts: all-null file cannot match s = 'x'; no-null file
	 * cannot match s is null; bounds drop s = 'zebra' */
	CHECK_OK(plan_text(&plan, &g, md, "s = 'kiwi'", &err), &err);
	CHECK(!plan_has(plan, "s_all_null") && plan_has(plan, "s_no_null"));
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "s is null", &err), &err);
	CHECK(plan_has(plan, "s_all_null") && !plan_has(plan, "s_no_null"));
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "s = 'zebra'", &err), &err);
	CHECK(!plan_has(plan, "s_no_null") && !plan_has(plan, "s_all_null") && plan_has(plan, "no_stats"));
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "s is not null", &err), &err);
	CHECK(!plan_has(plan, "s_all_null") && plan_has(plan, "s_no_null"));
	pond_scan_plan_free(&plan);
	/* unknown column: a clear error */
	CHECK(plan_text(&plan, &g, md, "nope = 1", &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "unknown column nope") != NULL);
	pond_iceberg_metadata_free(&md);
	gen_close(&g);
}

TEST(scan_delete_files_follow_sequence_number_rules)
{
	const char *spec = "{\"name\":\"n\",\"transform\":\"identity\",\"source-id\":5,\"field-id\":1000}";
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, spec, &err), &err);
	pond_iceberg_literal *p1 = pond_arena_alloc(g.arena, sizeof *p1), *p2 = pond_arena_alloc(g.arena, sizeof *p2);
	*p1 = pond_iceberg_literal_int(1);
	*p2 = pond_iceberg_literal_int(2);
	pond_manifest_entry data[1] = {gen_entry(g.arena, "data_seq2", POND_CONTENT_DATA, 2, p1, 1)};
	pond_manifest_entry dels[5] = {
		gen_entry(g.arena, "pos_seq1", POND_CONTENT_POSITION_DELETES, 1, p1, 1),      /* older: no */
		gen_entry(g.arena, "pos_seq2", POND_CONTENT_POSITION_DELETES, 2, p1, 1),      /* same: yes */
		gen_entry(g.arena, "eq_seq2", POND_CONTENT_EQUALITY_DELETES, 2, p1, 1),       /* same: no */
		gen_entry(g.arena, "eq_seq3", POND_CONTENT_EQUALITY_DELETES, 3, p1, 1),       /* newer: yes */
		gen_entry(g.arena, "eq_seq3_other", POND_CONTENT_EQUALITY_DELETES, 3, p2, 1), /* other partition */
	};
	int32_t eq_ids[1] = {5};
	for (int i = 2; i < 5; i++) {
		dels[i].data_file.equality_ids = eq_ids;
		dels[i].data_file.nequality_ids = 1;
	}
	pond_manifest_file mf[2];
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, data, 1, &mf[0], &err), &err);
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DELETES, dels, 5, &mf[1], &err), &err);
	CHECK_INT(mf[1].min_sequence_number, 1);
	CHECK_OK(gen_list(&g, "snap-1.avro", 1, 3, mf, 2, &err), &err);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(gen_metadata(&g, 1, spec, &md, &err), &err);
	pond_scan_plan *plan = NULL;
	CHECK_OK(plan_text(&plan, &g, md, NULL, &err), &err);
	CHECK_INT(plan->ntasks, 1);
	CHECK_INT(plan->ndeletes, 5);
	CHECK_INT(plan->tasks[0].sequence_number, 2);
	CHECK_INT(plan->tasks[0].ndeletes, 2);
	bool pos2 = false, eq3 = false;
	for (size_t i = 0; i < plan->tasks[0].ndeletes; i++) {
		const pond_scan_delete *d = plan->tasks[0].deletes[i];
		pos2 |= strstr(d->path, "pos_seq2") != NULL;
		eq3 |= strstr(d->path, "eq_seq3.parquet") != NULL;
		if (d->content == POND_CONTENT_EQUALITY_DELETES) {
			CHECK_INT(d->nequality_ids, 1);
			CHECK_INT(d->equality_ids[0], 5);
		}
	}
	CHECK(pos2 && eq3);
	pond_scan_plan_free(&plan);
	pond_iceberg_metadata_free(&md);
	gen_close(&g);
}

TEST(scan_selects_snapshot_by_id_ref_and_time)
{
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, "", &err), &err);
	pond_manifest_entry e1[1] = {gen_entry(g.arena, "first", POND_CONTENT_DATA, -1, NULL, 0)};
	pond_manifest_entry e2[1] = {gen_entry(g.arena, "second", POND_CONTENT_DATA, -1, NULL, 0)};
	pond_manifest_file m[2];
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, e1, 1, &m[0], &err), &err);
	CHECK_OK(gen_list(&g, "snap-1.avro", 1, 1, m, 1, &err), &err);
	m[0].sequence_number = 1;
	m[0].min_sequence_number = 1;
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, e2, 1, &m[1], &err), &err);
	CHECK_OK(gen_list(&g, "snap-2.avro", 2, 2, m, 2, &err), &err);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(gen_metadata(&g, 2, "", &md, &err), &err);

	pond_scan_options o = POND_SCAN_OPTIONS_INIT;
	pond_scan_plan *plan = NULL;
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->snapshot_id, 2);
	CHECK_INT(plan->ntasks, 2);
	/* inherited sequence numbers: first file 1, second file 2 */
	for (size_t i = 0; i < plan->ntasks; i++)
		CHECK_INT(plan->tasks[i].sequence_number, strstr(plan->tasks[i].path, "first") ? 1 : 2);
	pond_scan_plan_free(&plan);

	o.has_snapshot_id = true;
	o.snapshot_id = 1;
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->ntasks, 1);
	CHECK(plan_has(plan, "first"));
	pond_scan_plan_free(&plan);

	o = (pond_scan_options)POND_SCAN_OPTIONS_INIT;
	o.ref = "first";
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->snapshot_id, 1);
	pond_scan_plan_free(&plan);
	o.ref = "dev";
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->snapshot_id, 1);
	pond_scan_plan_free(&plan);
	o.ref = "main";
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->snapshot_id, 2);
	pond_scan_plan_free(&plan);

	o = (pond_scan_options)POND_SCAN_OPTIONS_INIT;
	o.has_as_of = true;
	o.as_of_ms = 1500;
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->snapshot_id, 1);
	pond_scan_plan_free(&plan);
	o.as_of_ms = 2000;
	CHECK_OK(pond_scan_plan_files(&plan, md, g.io, &o, &err), &err);
	CHECK_INT(plan->snapshot_id, 2);
	pond_scan_plan_free(&plan);

	/* errors */
	o.as_of_ms = 999;
	CHECK(pond_scan_plan_files(&plan, md, g.io, &o, &err) == POND_ENOTFOUND);
	CHECK(strstr(err.msg, "no snapshot at or before 1970-01-01") != NULL);
	o = (pond_scan_options)POND_SCAN_OPTIONS_INIT;
	o.has_snapshot_id = true;
	o.snapshot_id = 42;
	CHECK(pond_scan_plan_files(&plan, md, g.io, &o, &err) == POND_ENOTFOUND);
	CHECK_STR(err.msg, "snapshot 42 not found in table metadata");
	o = (pond_scan_options)POND_SCAN_OPTIONS_INIT;
	o.ref = "nope";
	CHECK(pond_scan_plan_files(&plan, md, g.io, &o, &err) == POND_ENOTFOUND);
	CHECK_STR(err.msg, "no branch or tag named \"nope\"");
	CHECK(plan == NULL);
	pond_iceberg_metadata_free(&md);
	gen_close(&g);
}

TEST(scan_corrupt_manifest_error_names_the_file)
{
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, "", &err), &err);
	pond_manifest_entry e1[1] = {gen_entry(g.arena, "first", POND_CONTENT_DATA, -1, NULL, 0)};
	pond_manifest_file m;
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, e1, 1, &m, &err), &err);
	CHECK_OK(gen_list(&g, "snap-1.avro", 1, 1, &m, 1, &err), &err);
	/* truncate the manifest in the middle of its block */
	char *data = NULL;
	size_t len = 0;
	CHECK_OK(pond_file_read(&data, &len, m.manifest_path, 1 << 20, &err), &err);
	FILE *f = fopen(m.manifest_path, "wb");
	fwrite(data, 1, len - 40, f);
	fclose(f);
	pond_free(data);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(gen_metadata(&g, 1, "", &md, &err), &err);
	pond_scan_plan *plan = NULL;
	int rc = plan_text(&plan, &g, md, NULL, &err);
	CHECK(rc < 0);
	CHECK_MSG(strstr(err.msg, "m0.avro") != NULL, "message: %s", err.msg);
	/* not an avro file at all */
	f = fopen(m.manifest_path, "wb");
	fputs("this is not avro", f);
	fclose(f);
	rc = plan_text(&plan, &g, md, NULL, &err);
	CHECK(rc < 0);
	CHECK_MSG(strstr(err.msg, "m0.avro") != NULL, "message: %s", err.msg);
	pond_iceberg_metadata_free(&md);
	gen_close(&g);
}

TEST(scan_allocation_failures_never_crash_or_leak)
{
	char path[4096];
	snprintf(path, sizeof path, "%s%s", pond_test_fixtures(),
	         FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v6.metadata.json");
	pond_arena *a = pond_arena_new();
	pond_expr *filter = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_expr_parse(&filter, "name <> 'q' and id >= 0", a, &err), &err);
	int successes = 0;
	long n;
	for (n = 1; n < 20000; n++) {
		fixture_plan fp;
		pond_scan_options o = POND_SCAN_OPTIONS_INIT;
		o.filter = filter;
		pond_alloc_fail_at(n);
		int rc = plan_path(&fp, path, &o, &err);
		pond_alloc_fail_at(0);
		if (rc == 0) {
			CHECK_INT(fp.plan->ntasks, 6);
			CHECK_INT(attached(fp.plan), 3);
			successes++;
		} else {
			CHECK(err.msg[0] != 0);
		}
		fp_free(&fp);
		if (rc == 0 && successes > 3)
			break;
	}
	pond_arena_free(&a);
	CHECK(successes > 0);
	CHECK(n > 10);
}

TEST(expr_parse_bind_and_format)
{
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, "", &err), &err);
	pond_expr *e = NULL, *b = NULL;
	CHECK_OK(pond_expr_parse(&e, "n > 5 and (s = 'it''s' or s is null) and not id in (1, 2) and 3 < n", g.arena,
	                         &err), &err);
	CHECK_OK(pond_expr_bind(&b, e, g.schema, g.arena, &err), &err);
	pond_buf out = POND_BUF_INIT;
	pond_expr_format(&out, b);
	CHECK_STR(pond_buf_cstr(&out), "(((n > 5 and (s = 'it''s' or s is null)) and id not in (1, 2)) and n > 3)");
	pond_buf_clear(&out);
	/* NOT pushed down; required column never null */
	CHECK_OK(pond_expr_parse(&e, "not (n < 1 or id is null)", g.arena, &err), &err);
	CHECK_OK(pond_expr_bind(&b, e, g.schema, g.arena, &err), &err);
	pond_expr_format(&out, b);
	CHECK_STR(pond_buf_cstr(&out), "n >= 1");
	pond_buf_dispose(&out);
	/* dates and timestamps from text */
	CHECK_OK(pond_expr_parse(&e, "d = '2024-01-02' and ts < '2024-01-02T03:04:05'", g.arena, &err), &err);
	CHECK_OK(pond_expr_bind(&b, e, g.schema, g.arena, &err), &err);
	CHECK_INT(b->left->literals[0].v.i32, 19724);
	CHECK(b->left->literals[0].type == POND_ICEBERG_DATE);
	CHECK_INT(b->right->literals[0].v.i64, ts_us("2024-01-02T03:04:05"));
	/* errors name the position or the column */
	CHECK(pond_expr_parse(&e, "n > ", g.arena, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "position 5") != NULL);
	CHECK(pond_expr_parse(&e, "n > 1 junk", g.arena, &err) == POND_EINVAL);
	CHECK_OK(pond_expr_parse(&e, "d = 'not a date'", g.arena, &err), &err);
	CHECK(pond_expr_bind(&b, e, g.schema, g.arena, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "column d") != NULL);
	/* C builders */
	pond_iceberg_literal vals[2] = {pond_iceberg_literal_long(3), pond_iceberg_literal_long(4)};
	pond_expr *c = pond_expr_and(g.arena, pond_expr_in(g.arena, "n", vals, 2, false),
	                             pond_expr_compare(g.arena, POND_EXPR_NE, "s", pond_iceberg_literal_string("x", 1)));
	CHECK(c != NULL);
	CHECK_OK(pond_expr_bind(&b, c, g.schema, g.arena, &err), &err);
	CHECK(b->left->literals[1].type == POND_ICEBERG_INT);
	gen_close(&g);
}

/* ---- what statistics cannot prove (issue 11 items 3, 6) ---- */

static const char *stats_schema =
	"{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	"{\"id\":1,\"name\":\"x\",\"required\":false,\"type\":\"double\"},"
	"{\"id\":2,\"name\":\"kids\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":3,"
	"\"element\":\"int\",\"element-required\":false}}]}";

static bool file_may_match(const char *filter, const pond_iceberg_schema *schema, const pond_data_file *df,
                           pond_arena *a)
{
	pond_error err = POND_ERROR_INIT;
	pond_expr *e = NULL, *b = NULL;
	if (pond_expr_parse(&e, filter, a, &err) || pond_expr_bind(&b, e, schema, a, &err)) {
		fprintf(stderr, "    %s: %s\n", filter, err.msg);
		return false;
	}
	return pond_expr_metrics_may_match(b, df);
}

static pond_column_bound double_bound(pond_arena *a, double v)
{
	pond_buf b = POND_BUF_INIT;
	pond_iceberg_literal l = pond_iceberg_literal_double(v);
	pond_iceberg_bound_encode(&b, &l);
	pond_column_bound out = {1, pond_arena_memdup(a, b.ptr, b.len), b.len};
	pond_buf_dispose(&b);
	return out;
}

TEST(scan_statistics_that_cannot_prove_a_file_empty_keep_it)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	json_t *sj = json_loads(stats_schema, 0, NULL);
	pond_iceberg_schema *schema = NULL;
	CHECK_OK(pond_iceberg_schema_from_json(&schema, sj, a, "schema", &err), &err);
	json_decref(sj);
	pond_data_file df;
	memset(&df, 0, sizeof df);
	df.record_count = 10;
	pond_column_count values = {1, 10}, nulls = {1, 0}, nans = {1, 0};
	pond_column_bound lo = double_bound(a, 1), hi = double_bound(a, 2);
	df.value_counts = &values;
	df.nvalue_counts = 1;
	df.lower_bounds = &lo;
	df.nlower_bounds = 1;
	df.upper_bounds = &hi;
	df.nupper_bounds = 1;
	/* null counts missing: neither is null nor is not null can skip */
	CHECK(file_may_match("x is null", schema, &df, a));
	CHECK(file_may_match("x is not null", schema, &df, a));
	/* NaN counts missing: NaN rows are above every number in DuckDB */
	CHECK(file_may_match("x > 5", schema, &df, a));
	CHECK(file_may_match("x >= 5", schema, &df, a));
	CHECK(!file_may_match("x < 0.5", schema, &df, a));
	CHECK(!file_may_match("x = 7", schema, &df, a));
	df.nan_value_counts = &nans;
	df.nnan_value_counts = 1;
	CHECK(!file_may_match("x > 5", schema, &df, a));  /* no NaN: the bound proves it */
	df.null_value_counts = &nulls;
	df.nnull_value_counts = 1;
	CHECK(!file_may_match("x is null", schema, &df, a));
	/* -0.0 equals 0.0 in SQL */
	lo = hi = double_bound(a, -0.0);
	CHECK(file_may_match("x = 0", schema, &df, a));
	CHECK(file_may_match("x >= 0", schema, &df, a));
	/* a null check on a list column binds and keeps every file */
	CHECK(file_may_match("kids is not null", schema, &df, a));
	CHECK(file_may_match("kids is null", schema, &df, a));
	pond_arena_free(&a);
}

TEST(scan_summaries_without_nan_information_are_not_all_null)
{
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, "", &err), &err);
	pond_arena *a = g.arena;
	json_t *sj = json_loads(stats_schema, 0, NULL);
	json_t *pj = json_loads("{\"spec-id\":0,\"fields\":[{\"source-id\":1,\"field-id\":1000,\"name\":\"x\","
	                        "\"transform\":\"identity\"}]}", 0, NULL);
	pond_iceberg_schema *schema = NULL;
	pond_iceberg_partition_spec *spec = NULL;
	CHECK_OK(pond_iceberg_schema_from_json(&schema, sj, a, "schema", &err), &err);
	CHECK_OK(pond_iceberg_partition_spec_from_json(&spec, pj, NULL, a, "spec", &err), &err);
	json_decref(sj);
	json_decref(pj);
	pond_expr *e = NULL, *b = NULL, *p = NULL;
	CHECK_OK(pond_expr_parse(&e, "x is not null", a, &err), &err);
	CHECK_OK(pond_expr_bind(&b, e, schema, a, &err), &err);
	CHECK_OK(pond_expr_project(&p, b, spec, schema, a, &err), &err);
	/* nulls and no bounds, NaN unknown: the values may be NaN */
	pond_partition_summary s = {.contains_null = true};
	CHECK(pond_expr_summaries_may_match(p, spec, NULL, &s, 1));
	s.has_contains_nan = true;  /* and contains_nan false: all null */
	CHECK(!pond_expr_summaries_may_match(p, spec, NULL, &s, 1));
	CHECK_OK(pond_expr_parse(&e, "x > 3", a, &err), &err);
	CHECK_OK(pond_expr_bind(&b, e, schema, a, &err), &err);
	CHECK_OK(pond_expr_project(&p, b, spec, schema, a, &err), &err);
	s.contains_nan = true;
	CHECK(pond_expr_summaries_may_match(p, spec, NULL, &s, 1));
	gen_close(&g);
}

/* Files imported without field ids read a column the name mapping leaves
 * unmapped as null, whatever their statistics say (issue 11 item 3). */
TEST(scan_statistics_of_columns_the_name_mapping_leaves_unmapped_prune_nothing)
{
	pond_error err = POND_ERROR_INIT;
	gen_table g;
	CHECK_OK(gen_open(&g, "", &err), &err);
	pond_manifest_entry es[1];
	es[0] = gen_entry(g.arena, "imported", POND_CONTENT_DATA, -1, NULL, 0);
	set_counts(g.arena, &es[0], 5, 10, 0);
	set_bounds(g.arena, &es[0], 5, pond_iceberg_literal_int(1), pond_iceberg_literal_int(5));
	pond_manifest_file mf;
	CHECK_OK(gen_manifest(&g, POND_MANIFEST_CONTENT_DATA, es, 1, &mf, &err), &err);
	CHECK_OK(gen_list(&g, "snap-1.avro", 1, 1, &mf, 1, &err), &err);
	pond_iceberg_metadata *md = NULL;
	pond_scan_plan *plan = NULL;
	/* without a mapping the statistics prove it */
	CHECK_OK(gen_metadata(&g, 1, "", &md, &err), &err);
	CHECK_OK(plan_text(&plan, &g, md, "n is null", &err), &err);
	CHECK_INT(plan->ntasks, 0);
	pond_scan_plan_free(&plan);
	pond_iceberg_metadata_free(&md);
	/* a mapping without n (id 5): n reads null in such files */
	gen_properties = "{\"schema.name-mapping.default\":\"[{\\\"names\\\":[\\\"id\\\"],\\\"field-id\\\":1},"
	                 "{\\\"names\\\":[\\\"s\\\"],\\\"field-id\\\":4}]\"}";
	int rc = gen_metadata(&g, 1, "", &md, &err);
	gen_properties = "{}";
	CHECK_OK(rc, &err);
	CHECK_OK(plan_text(&plan, &g, md, "n is null", &err), &err);
	CHECK_INT(plan->ntasks, 1);
	pond_scan_plan_free(&plan);
	CHECK_OK(plan_text(&plan, &g, md, "n = 100 or id = 1", &err), &err);
	CHECK_INT(plan->ntasks, 1);
	pond_scan_plan_free(&plan);
	pond_iceberg_metadata_free(&md);
	gen_close(&g);
}

/* Text filters (DELETE/UPDATE pruning, pond show --where): 1.50 is a
 * decimal whose digits bind exactly; a value the column cannot hold
 * exactly is an error (the caller then keeps every file), never rounded. */
TEST(expr_decimal_text_binds_exactly_or_not_at_all)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	json_t *sj = json_loads("{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	                        "{\"id\":1,\"name\":\"m\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
	                        "{\"id\":2,\"name\":\"x\",\"required\":false,\"type\":\"double\"},"
	                        "{\"id\":3,\"name\":\"n\",\"required\":false,\"type\":\"int\"}]}", 0, NULL);
	pond_iceberg_schema *schema = NULL;
	CHECK_OK(pond_iceberg_schema_from_json(&schema, sj, a, "schema", &err), &err);
	json_decref(sj);
	pond_expr *e = NULL, *b = NULL;
	CHECK_OK(pond_expr_parse(&e, "m = 1.5 and x = 2.25 and n = 2.0", a, &err), &err);
	CHECK_OK(pond_expr_bind(&b, e, schema, a, &err), &err);
	pond_buf out = POND_BUF_INIT;
	pond_expr_format(&out, b);
	CHECK_STR(pond_buf_cstr(&out), "((m = 1.50 and x = 2.25) and n = 2)");
	pond_buf_dispose(&out);
	CHECK_OK(pond_expr_parse(&e, "m > 1.505", a, &err), &err);
	CHECK(pond_expr_bind(&b, e, schema, a, &err) == POND_EINVAL);
	CHECK_OK(pond_expr_parse(&e, "n < 2.5", a, &err), &err);
	CHECK(pond_expr_bind(&b, e, schema, a, &err) == POND_EINVAL);
	/* a double that the scale cannot hold is not rounded either */
	CHECK_OK(pond_expr_parse(&e, "m > 1.505e0", a, &err), &err);
	CHECK(pond_expr_bind(&b, e, schema, a, &err) == POND_EINVAL);
	pond_arena_free(&a);
}
