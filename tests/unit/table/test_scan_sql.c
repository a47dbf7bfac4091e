/*
 * The read SQL: every fixture table written by Spark, Java and pyiceberg
 * reads through DuckDB with the fixtures README's row counts (moved paths,
 * identity partition columns missing from files, name-mapped files,
 * position and equality deletes, renamed and added columns with defaults),
 * and time travel reads the snapshot's own schema.
 */
#include "../test.h"

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

#define FX_DUCK "/iceberg/duckdb-iceberg/data/persistent/"
#define FX_BIRD "/iceberg/icebird/spark/"

/* pond__scan_sql over a local file IO carrying the table's remap. */
static int local_scan_sql(pond_buf *sql, pond_engine *e, const pond_iceberg_metadata *md, const char *path,
                          const pond_scan_options *opts, pond_error *err)
{
	pond_fileio *io;
	int rc = pond_fileio_local_new(&io, err);
	if (rc == 0)
		rc = pond_fileio_remap_table(io, md, path, err);
	if (rc == 0)
		rc = pond__scan_sql(sql, e, md, io, opts, NULL, 0, NULL, err);
	pond_fileio_free(&io);
	return rc;
}

/* Builds the read SQL of a fixture metadata file into sql. */
static int fixture_sql(pond_buf *sql, pond_engine *e, const char *rel, const pond_scan_options *opts,
                       pond_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s%s", pond_test_fixtures(), rel);
	pond_iceberg_metadata *md;
	int rc = pond_iceberg_metadata_load_file(&md, path, err);
	if (rc)
		return rc;
	pond_buf_clear(sql);
	rc = local_scan_sql(sql, e, md, path, opts, err);
	pond_iceberg_metadata_free(&md);
	return rc;
}

/* Runs "select EXPR from (<read sql>)" and returns the text of the result. */
static char *fixture_query(pond_engine *e, const char *rel, const pond_scan_options *opts, const char *select,
                           pond_error *err)
{
	pond_buf sql = POND_BUF_INIT, q = POND_BUF_INIT;
	char *out = NULL;
	if (fixture_sql(&sql, e, rel, opts, err) == 0) {
		pond_buf_printf(&q, "select %s from (%s) t", select, pond_buf_cstr(&sql));
		if (pond_engine_query_string(e, pond_buf_cstr(&q), &out, err) != 0)
			out = NULL;
	}
	pond_buf_dispose(&sql);
	pond_buf_dispose(&q);
	return out;
}

static const struct {
	const char *path;
	int64_t rows;
} counts[] = {
	{FX_DUCK "iceberg/lineitem_iceberg/metadata/v1.metadata.json", 60175},
	{FX_DUCK "iceberg/lineitem_iceberg/metadata/v2.metadata.json", 51793},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v2.metadata.json", 4},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v4.metadata.json", 2},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v5.metadata.json", 1},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v6.metadata.json", 3},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v7.metadata.json", 2},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v2.metadata.json", 4},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v3.metadata.json", 3},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v4.metadata.json", 2},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v5.metadata.json", 4},
	{FX_DUCK "equality_deletes/warehouse/mydb/mytable_partitioned/metadata/v6.metadata.json", 3},
	{FX_DUCK "null_stats/default/test_nulls/metadata/00001-2ce4255e-e070-489c-9d2f-c0a9e1db179b.metadata.json", 3},
	{FX_DUCK "null_stats/default/test_nulls/metadata/00002-066881b3-e853-4868-9a22-db18cdbc2a68.metadata.json", 6},
	{FX_DUCK "null_stats/default/test_nulls/metadata/00003-9d6a621e-8a72-4190-a880-f6ca02e32b86.metadata.json", 9},
	{FX_DUCK "add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/00001-af871980-15f9-44a3-9761-ba6ac5225b74.metadata.json", 2},
	{FX_DUCK "add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/00003-3f1801a5-7dfb-4072-b14a-39cd12f9279b.metadata.json", 3},
	{FX_DUCK "column_mapping/warehouse/default.db/my_table/metadata/00001-75643dae-a7a7-46ae-ab30-ea80d3793f3f.metadata.json", 3},
	{FX_DUCK "expression_filter/metadata/00001-19739cda-f528-4429-84cc-377ffdd24c75.metadata.json", 3},
	{FX_DUCK "uuid/metadata/00001-43fda1f4-1c96-4376-ad16-91beb71d0759.metadata.json", 10},
	{FX_DUCK "partition_integer/metadata/v2.metadata.json", 2},
	{FX_BIRD "bunnies/metadata/v3.metadata.json", 20},
	{FX_BIRD "bunnies/metadata/v5.metadata.json", 20},
	{FX_BIRD "rename_column/metadata/v3.metadata.json", 4},
};

TEST(scan_sql_reads_every_fixture_with_readme_row_counts)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		char *n = fixture_query(e, counts[i].path, NULL, "count(*)", &err);
		CHECK_MSG(n != NULL, "%s: %s", counts[i].path, err.msg);
		int64_t v = -1;
		pond_str_to_i64(n, &v);
		pond_free(n);
		CHECK_MSG(v == counts[i].rows, "%s: %lld rows, expected %lld", counts[i].path, (long long)v,
		          (long long)counts[i].rows);
	}
	pond_engine_close(&e);
}

TEST(scan_sql_fills_identity_partition_columns_missing_from_files)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	char *rows = fixture_query(e, FX_DUCK "partition_integer/metadata/v2.metadata.json", NULL,
	                           "string_agg(concat_ws(',', partition_col, user_id, event_type), ';' "
	                           "order by partition_col desc)", &err);
	CHECK_MSG(rows != NULL, "%s", err.msg);
	CHECK_STR(rows, "1337,67890,purchase;42,12345,click");
	pond_free(rows);
	pond_engine_close(&e);
}

TEST(scan_sql_resolves_added_columns_defaults_and_renames_by_field_id)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	/* Rows written before the columns were added read their initial-default. */
	char *v = fixture_query(e, FX_DUCK "add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/"
	                           "00003-3f1801a5-7dfb-4072-b14a-39cd12f9279b.metadata.json", NULL,
	                        "count(*) filter (where col_integer = 342342 and col_string = 'HELLO' and "
	                        "col_date = date '2003-10-20' and col_boolean and col_decimal = 12345.00 and "
	                        "col_binary = '\\x01\\x02'::blob)", &err);
	CHECK_MSG(v != NULL, "%s", err.msg);
	CHECK_STR(v, "2");
	pond_free(v);
	/* bunnies v5 added breed_name_length; every row has it. */
	v = fixture_query(e, FX_BIRD "bunnies/metadata/v5.metadata.json", NULL, "count(breed_name_length)", &err);
	CHECK_MSG(v != NULL, "%s", err.msg);
	CHECK_STR(v, "20");
	pond_free(v);
	/* rename_column: the renamed column reads the old files' values. */
	pond_buf sql = POND_BUF_INIT;
	CHECK_OK(fixture_sql(&sql, e, FX_BIRD "rename_column/metadata/v3.metadata.json", NULL, &err), &err);
	pond_iceberg_metadata *md;
	char path[4096];
	snprintf(path, sizeof path, "%s%s", pond_test_fixtures(), FX_BIRD "rename_column/metadata/v3.metadata.json");
	CHECK_OK(pond_iceberg_metadata_load_file(&md, path, &err), &err);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(md);
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "select count(");
	pond_sql_quote_ident(&q, s->root->fields[0].name);
	pond_buf_printf(&q, ") from (%s)", pond_buf_cstr(&sql));
	int64_t nonnull = -1;
	CHECK_OK(pond_engine_query_int(e, pond_buf_cstr(&q), &nonnull, &err), &err);
	CHECK_INT(nonnull, 4);
	pond_iceberg_metadata_free(&md);
	pond_buf_dispose(&q);
	pond_buf_dispose(&sql);
	pond_engine_close(&e);
}

TEST(scan_sql_applies_position_and_equality_deletes)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	pond_buf sql = POND_BUF_INIT;
	/* Deletes make the read an anti-join; a table without them stays a
	 * plain read_parquet. */
	CHECK_OK(fixture_sql(&sql, e, FX_BIRD "bunnies/metadata/v3.metadata.json", NULL, &err), &err);
	CHECK(strstr(pond_buf_cstr(&sql), "ANTI JOIN") != NULL);
	CHECK_OK(fixture_sql(&sql, e, FX_DUCK "equality_deletes/warehouse/mydb/mytable/metadata/v4.metadata.json", NULL,
	                     &err), &err);
	CHECK(strstr(pond_buf_cstr(&sql), "IS NOT DISTINCT FROM") != NULL);
	CHECK_OK(fixture_sql(&sql, e, FX_DUCK "null_stats/default/test_nulls/metadata/"
	                     "00001-2ce4255e-e070-489c-9d2f-c0a9e1db179b.metadata.json", NULL, &err), &err);
	CHECK(strncmp(pond_buf_cstr(&sql), "SELECT ", 7) == 0 && strstr(pond_buf_cstr(&sql), "JOIN") == NULL);
	CHECK(strstr(pond_buf_cstr(&sql), "read_parquet([") != NULL);
	/* One schema with plain names: read by name, without the id map. */
	CHECK(strstr(pond_buf_cstr(&sql), "schema = map {") == NULL);
	/* Renamed columns (rename_column has two schemas) read by field id. */
	CHECK_OK(fixture_sql(&sql, e, FX_BIRD "rename_column/metadata/v3.metadata.json", NULL, &err), &err);
	CHECK(strstr(pond_buf_cstr(&sql), "schema = map {") != NULL);
	pond_buf_dispose(&sql);
	pond_engine_close(&e);
}

TEST(scan_sql_time_travel_reads_the_snapshot_schema)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	const char *rel = FX_BIRD "bunnies/metadata/v5.metadata.json";
	char path[4096];
	snprintf(path, sizeof path, "%s%s", pond_test_fixtures(), rel);
	pond_iceberg_metadata *md;
	CHECK_OK(pond_iceberg_metadata_load_file(&md, path, &err), &err);
	/* The first snapshot, before the column was added. */
	const pond_iceberg_snapshot *first = NULL;
	for (size_t i = 0; i < md->nsnapshots; i++)
		if (!md->snapshots[i].has_parent)
			first = &md->snapshots[i];
	CHECK(first != NULL);
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = true;
	so.snapshot_id = first->snapshot_id;
	pond_buf sql = POND_BUF_INIT;
	CHECK_OK(local_scan_sql(&sql, e, md, path, &so, &err), &err);
	pond_buf q = POND_BUF_INIT;
	pond_buf_printf(&q, "select count(*) from (describe %s) where column_name = 'breed_name_length'", pond_buf_cstr(&sql));
	int64_t n = -1;
	CHECK_OK(pond_engine_query_int(e, pond_buf_cstr(&q), &n, &err), &err);
	CHECK_INT(n, 0);
	pond_buf_clear(&q);
	pond_buf_printf(&q, "select count(*) from (%s)", pond_buf_cstr(&sql));
	CHECK_OK(pond_engine_query_int(e, pond_buf_cstr(&q), &n, &err), &err);
	CHECK(n > 0);
	/* Current: the column is there. */
	pond_buf_clear(&sql);
	CHECK_OK(local_scan_sql(&sql, e, md, path, NULL, &err), &err);
	pond_buf_clear(&q);
	pond_buf_printf(&q, "select count(*) from (describe %s) where column_name = 'breed_name_length'", pond_buf_cstr(&sql));
	CHECK_OK(pond_engine_query_int(e, pond_buf_cstr(&q), &n, &err), &err);
	CHECK_INT(n, 1);
	pond_buf_dispose(&q);
	pond_buf_dispose(&sql);
	pond_iceberg_metadata_free(&md);
	pond_engine_close(&e);
}

/* Many partitions: the files' partition values come from one joined
 * VALUES list instead of a read per partition (which would exceed DuckDB's
 * expression depth at about a thousand). */
TEST(scan_sql_many_identity_partitions_read_through_one_join)
{
	pond_error err = POND_ERROR_INIT;
	table_fixture f;
	CHECK(fx_setup(&f, "many") == 0);
	CHECK(fx_create_with(&f, "select range as id, range % 100 as k from range(1000)", "k") == 0);
	CHECK_STR(fx_summary(&f, "added-data-files"), "100");
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	pond_buf sql = POND_BUF_INIT, cq = POND_BUF_INIT;
	CHECK_OK(pond_table_scan_sql(&sql, f.lake, t, NULL, &err), &err);
	CHECK(strstr(pond_buf_cstr(&sql), "JOIN (VALUES") != NULL);
	pond_buf_printf(&cq, "select count(*) * 1000000 + sum(k) from (%s)", pond_buf_cstr(&sql));
	int64_t v = 0;
	CHECK_OK(pond_engine_query_int(pond_lake_engine(f.lake), pond_buf_cstr(&cq), &v, &err), &err);
	CHECK_INT(v, 1000 * 1000000LL + 49500);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&cq);
	pond_table_free(&t);
	/* Writes read through it too. */
	pond_write_result r;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id % 10 = 0", NULL, &r, &err), &err);
	CHECK_INT(r.deleted_files, 10);
	CHECK_INT(r.added_records, 0);
	fx_teardown(&f);
}

/* ---- hand-made tables: schemas pond's SQL cannot create (issue 11 items 4, 5) ---- */

/* Table metadata (format 2, which pond reads defaults from) with the given
 * schemas JSON array, current schema id and no partitions. */
static int handmade_metadata(pond_iceberg_metadata **md, const char *schemas, int current, int last_column_id,
                             pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_printf(&b,
	                "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
	                "\"location\":\"%s/t\",\"last-sequence-number\":0,\"last-updated-ms\":1,"
	                "\"last-column-id\":%d,\"current-schema-id\":%d,\"schemas\":%s,"
	                "\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],"
	                "\"last-partition-id\":999,\"default-sort-order-id\":0,"
	                "\"sort-orders\":[{\"order-id\":0,\"fields\":[]}]}",
	                pond_test_tmpdir(), last_column_id, current, schemas);
	int rc = pond_buf_ok(&b) ? pond_iceberg_metadata_parse(md, b.ptr, b.len, "handmade metadata", err) : POND_ENOMEM;
	pond_buf_dispose(&b);
	return rc;
}

/* "select EXPR from (<read sql of files under md's current schema>)". */
static char *handmade_query(pond_engine *e, const pond_iceberg_metadata *md, const char *const *files, size_t n,
                            const char *select, pond_error *err)
{
	pond_scan_task tasks[8];
	const pond_scan_task *ptrs[8];
	memset(tasks, 0, sizeof tasks);
	for (size_t i = 0; i < n && i < 8; i++) {
		tasks[i].path = files[i];
		tasks[i].file_format = "PARQUET";
		tasks[i].record_count = 1;
		ptrs[i] = &tasks[i];
	}
	pond_fileio *io = NULL;
	pond_buf sql = POND_BUF_INIT, q = POND_BUF_INIT;
	char *out = NULL;
	if (pond_fileio_local_new(&io, err) == 0 &&
	    pond__scan_sql_tasks(&sql, e, md, io, pond_iceberg_metadata_current_schema(md), ptrs, n, false, err) == 0) {
		pond_buf_printf(&q, "select %s from (%s) t", select, pond_buf_cstr(&sql));
		if (pond_engine_query_string(e, pond_buf_cstr(&q), &out, err) != 0)
			out = NULL;
	}
	pond_fileio_free(&io);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&q);
	return out;
}

TEST(scan_sql_columns_differing_only_in_case_read_their_own_field)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	char path[4096];
	snprintf(path, sizeof path, "%s/cases.parquet", pond_test_tmpdir());
	char copy[4300];
	snprintf(copy, sizeof copy,
	         "copy (select 1 as user_id, 2 as \"uSeR_Id_x\") to '%s' (format parquet, field_ids {user_id: 1, uSeR_Id_x: 2})",
	         path);
	CHECK_OK(pond_engine_exec(e, copy, &err), &err);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(handmade_metadata(&md,
	                           "[{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	                           "{\"id\":1,\"name\":\"user_id\",\"required\":false,\"type\":\"int\"},"
	                           "{\"id\":2,\"name\":\"uSeR_Id\",\"required\":false,\"type\":\"int\"}]}]",
	                           0, 2, &err), &err);
	const char *files[] = {path};
	/* DuckDB names the second column of a relation uSeR_Id_1 */
	char *v = handmade_query(e, md, files, 1, "user_id || ',' || \"uSeR_Id_1\"", &err);
	CHECK_MSG(v != NULL, "%s", err.msg);
	CHECK_STR(v, "1,2");
	pond_free(v);
	pond_iceberg_metadata_free(&md);
	pond_engine_close(&e);
}

TEST(scan_sql_nested_initial_defaults_fill_rows_written_before_the_field)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e;
	CHECK_OK(pond_engine_open(&e, NULL, &err), &err);
	char old_file[4096], new_file[4096], copy[9000];
	snprintf(old_file, sizeof old_file, "%s/old.parquet", pond_test_tmpdir());
	snprintf(new_file, sizeof new_file, "%s/new.parquet", pond_test_tmpdir());
	/* written before s.z existed: ids 1 (id), 2 (s), 3 (s.a); a null s too */
	snprintf(copy, sizeof copy,
	         "copy (select * from (values (1, {'a': 10}), (2, null)) v(id, s)) to '%s' "
	         "(format parquet, field_ids {id: 1, s: {__duckdb_field_id: 2, a: 3}})", old_file);
	CHECK_OK(pond_engine_exec(e, copy, &err), &err);
	/* written after: s.z (id 4) present, null in one row */
	snprintf(copy, sizeof copy,
	         "copy (select * from (values (3, {'a': 30, 'z': 7}), (4, {'a': 40, 'z': null})) v(id, s)) to '%s' "
	         "(format parquet, field_ids {id: 1, s: {__duckdb_field_id: 2, a: 3, z: 4}})", new_file);
	CHECK_OK(pond_engine_exec(e, copy, &err), &err);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(handmade_metadata(&md,
	                           "[{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	                           "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"int\"},"
	                           "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	                           "{\"id\":3,\"name\":\"a\",\"required\":false,\"type\":\"int\"}]}}]},"
	                           "{\"type\":\"struct\",\"schema-id\":1,\"fields\":["
	                           "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"int\"},"
	                           "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	                           "{\"id\":3,\"name\":\"a\",\"required\":false,\"type\":\"int\"},"
	                           "{\"id\":4,\"name\":\"z\",\"required\":false,\"type\":\"int\",\"initial-default\":5}]}}]}]",
	                           1, 4, &err), &err);
	const char *files[] = {old_file, new_file};
	char *v = handmade_query(e, md, files, 2,
	                         "string_agg(id || ':' || coalesce(s.a::varchar, '-') || ':' || coalesce(s.z::varchar, '-') "
	                         "|| ':' || (s is null), ' ' order by id)", &err);
	CHECK_MSG(v != NULL, "%s", err.msg);
	/* the old row gets the default; the null struct stays null; a null
	 * written after the field existed stays null */
	CHECK_STR(v, "1:10:5:false 2:-:-:true 3:30:7:false 4:40:-:false");
	pond_free(v);
	pond_iceberg_metadata_free(&md);
	pond_engine_close(&e);
}
