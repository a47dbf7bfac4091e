/*
 * Compaction: small files become one file per partition with the same
 * rows (compared with a native DuckDB table holding the rows inserted, and
 * with the snapshot before); the thresholds decide what is rewritten;
 * files of an older spec move to the current one; position and equality
 * deletes are applied and their files removed; the rewritten rows keep
 * the sequence number they were read at, so an equality delete committed
 * meanwhile still applies; a concurrent append lands; a concurrent delete
 * of a rewritten file is a conflict with nothing lost; the sort order is
 * kept. Concurrent commits are made from the progress callback, which
 * runs between planning and writing: no timing involved.
 *
 * pond never writes delete files; fx_add_delete_file (fixture_files.c)
 * writes them as another engine would (a Parquet file with the spec's
 * field ids, a delete manifest, one snapshot).
 */
#include "../test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

/* Bytes of the live data and delete files, as the size summaries count them. */
static const char *live_bytes(table_fixture *f)
{
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(f, &io);
	int64_t n = 0;
	for (size_t i = 0; plan && i < plan->ntasks; i++)
		n += plan->tasks[i].file_size_in_bytes;
	for (size_t i = 0; plan && i < plan->ndeletes; i++)
		n += plan->deletes[i].file_size_in_bytes;
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	return pond_arena_sprintf(f->a, "%lld", (long long)n);
}

/* ---- bin-packing ---- */

/* Eight appends of the same rows to the table and to a native DuckDB table. */
static int eight_appends(table_fixture *f)
{
	if (fx_engine_exec(f, "create table ref (id bigint, name varchar, x double, d date)") != 0)
		return -1;
	for (int i = 0; i < 8; i++) {
		const char *q = pond_arena_sprintf(f->a, "select range + %d * 100 as id, case when range %% 3 = 0 then null "
		                                   "else 'n' || range end as name, range / 7 as x, date '2024-01-01' + "
		                                   "cast(range as int) as d from range(50)", i);
		if (i == 0 ? fx_create_with(f, q, NULL) != 0 : fx_append(f, q) < 0)
			return -1;
		if (fx_engine_exec(f, pond_arena_sprintf(f->a, "insert into ref %s", q)) != 0)
			return -1;
	}
	return 0;
}

TEST(compact_bin_packs_small_files_into_one_with_the_same_rows)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(eight_appends(&f) == 0);
	int64_t before = fx_snapshot(&f);
	const pond_iceberg_snapshot *read;
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	read = pond_iceberg_metadata_current_snapshot(t->metadata);
	int64_t read_seq = read->sequence_number;
	pond_table_free(&t);
	CHECK_INT(fx_count_data_files(&f), 8);
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(r.data_files_before, 8);
	CHECK_INT(r.rewritten_files, 8);
	CHECK_INT(r.added_files, 1);
	CHECK_INT(r.data_files_after, 1);
	CHECK_INT(r.groups, 1);
	CHECK(r.bytes_after < r.bytes_before);
	CHECK_INT(fx_count_data_files(&f), 1);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_STR(fx_diff_rows(&f, 0, fx_snapshot_sql(&f, before)), "0 0");
	CHECK_STR(fx_summary(&f, "operation"), "replace");
	CHECK_STR(fx_summary(&f, "deleted-data-files"), "8");
	CHECK_STR(fx_summary(&f, "added-data-files"), "1");
	CHECK_STR(fx_summary(&f, "added-records"), "400");
	CHECK_STR(fx_summary(&f, "deleted-records"), "400");
	CHECK_STR(fx_summary(&f, "total-records"), "400");
	CHECK_STR(fx_summary(&f, "total-data-files"), "1");
	/* The rewritten rows keep the sequence number they were read at. */
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(&f, &io);
	CHECK(plan && plan->ntasks == 1);
	CHECK_INT(plan->tasks[0].sequence_number, read_seq);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	/* Nothing left to do: no commit. */
	int64_t after = fx_snapshot(&f);
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK_INT(r.snapshot_id, 0);
	CHECK_INT(fx_snapshot(&f), after);
	/* The snapshot before still reads its eight files. */
	CHECK_STR(fx_query(&f, "count(*)", before), "400");
	fx_teardown(&f);
}

TEST(compact_rewrites_a_partition_from_min_input_files_only)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select 1 as id", NULL) == 0);
	CHECK(fx_append(&f, "select 2") > 0);
	CHECK(fx_append(&f, "select 3") > 0);
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK_INT(r.snapshot_id, 0);
	CHECK_INT(fx_count_data_files(&f), 3);
	pond_compact_options o = POND_COMPACT_OPTIONS_INIT;
	o.min_input_files = 3;
	CHECK_OK(pond_table_compact(f.lake, &f.id, &o, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(fx_count_data_files(&f), 1);
	CHECK_STR(fx_query(&f, "string_agg(id::varchar, ',' order by id)", 0), "1,2,3");
	fx_teardown(&f);
}

/* Six appends, each with rows in three partitions. */
static int partitioned_appends(table_fixture *f)
{
	if (fx_engine_exec(f, "create table ref (id bigint, region varchar)") != 0)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *q = pond_arena_sprintf(f->a, "select range + %d * 100 as id, ['eu', 'us', 'asia'][range %% 3 + 1] "
		                                   "as region from range(30)", i);
		if (i == 0 ? fx_create_with(f, q, "region") != 0 : fx_append(f, q) < 0)
			return -1;
		if (fx_engine_exec(f, pond_arena_sprintf(f->a, "insert into ref %s", q)) != 0)
			return -1;
	}
	return 0;
}

TEST(compact_packs_each_partition_and_where_limits_it)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(partitioned_appends(&f) == 0);
	CHECK_INT(fx_count_data_files(&f), 18);
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	pond_compact_options o = POND_COMPACT_OPTIONS_INIT;
	o.where = "region = 'eu'";
	CHECK_OK(pond_table_compact(f.lake, &f.id, &o, &r, &err), &err);
	CHECK_INT(r.rewritten_files, 6);
	CHECK_INT(r.groups, 1);
	CHECK_INT(fx_count_data_files(&f), 13);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK_INT(r.rewritten_files, 12);
	CHECK_INT(r.groups, 2);
	CHECK_INT(fx_count_data_files(&f), 3);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	/* One file per partition, each holding only its partition's rows. */
	CHECK_STR(fx_query(&f, "count(distinct region)", 0), "3");
	o.where = "nosuchcolumn = 1";
	CHECK_INT(pond_table_compact(f.lake, &f.id, &o, &r, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "nosuchcolumn") != NULL, "%s", err.msg);
	fx_teardown(&f);
}

TEST(compact_splits_a_big_partition_into_files_of_the_target_size)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(partitioned_appends(&f) == 0);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(&f, &io);
	CHECK(plan != NULL);
	int64_t biggest = 0;
	for (size_t i = 0; i < plan->ntasks; i++)
		if (plan->tasks[i].file_size_in_bytes > biggest)
			biggest = plan->tasks[i].file_size_in_bytes;
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	/* Two of the six files of a partition fit a target: three files each. */
	pond_compact_options o = POND_COMPACT_OPTIONS_INIT;
	o.target_file_size = biggest * 5 / 2;
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_OK(pond_table_compact(f.lake, &f.id, &o, &r, &err), &err);
	CHECK_INT(r.rewritten_files, 18);
	CHECK_INT(r.added_files, 9);
	CHECK_INT(fx_count_data_files(&f), 9);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	fx_teardown(&f);
}

TEST(compact_moves_files_of_an_older_spec_into_the_current_one)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id, ['a', 'b'][range % 2 + 1] as k from range(10)", NULL) == 0);
	CHECK(fx_append(&f, "select range + 10, ['a', 'b'][range % 2 + 1] from range(10)") > 0);
	pond_error err = POND_ERROR_INIT;
	pond_partition_field_def def;
	CHECK_OK(pond_partition_field_parse(&def, "k", f.a, &err), &err);
	CHECK_OK(pond_table_add_partition_field(f.lake, &f.id, &def, &err), &err);
	CHECK(fx_append(&f, "select range + 20, 'a' from range(10)") > 0);
	int64_t before = fx_snapshot(&f);
	pond_compact_result r;
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	/* Both old files go (a group of two that must move), the new one
	 * alone stays. */
	CHECK_INT(r.rewritten_files, 2);
	CHECK_STR(fx_diff_rows(&f, 0, fx_snapshot_sql(&f, before)), "0 0");
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	int32_t spec = t->metadata->default_spec_id;
	pond_table_free(&t);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(&f, &io);
	CHECK(plan != NULL);
	CHECK_INT(plan->ntasks, 3);  /* the kept one, and one per partition */
	for (size_t i = 0; i < plan->ntasks; i++)
		CHECK_INT(plan->tasks[i].spec_id, spec);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	fx_teardown(&f);
}

/* ---- deletes ---- */

TEST(compact_applies_position_and_equality_deletes_and_drops_their_files)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id, 'v' || range as v from range(10)", NULL) == 0);
	CHECK(fx_append(&f, "select range + 10, 'v' || range from range(10)") > 0);
	CHECK(fx_append(&f, "select range + 20, 'v' || range from range(10)") > 0);
	const char *first = fx_file_of_id(&f, 0);
	CHECK(first != NULL);
	/* Half the first file by position: over the 30% ratio on its own. */
	CHECK(fx_add_delete_file(&f, f.lake, POND_CONTENT_POSITION_DELETES,
	                         pond_arena_sprintf(f.a, "select '%s' as file_path, range as pos from range(5)", first),
	                         0, first, NULL) == 0);
	/* An equality delete over the whole table. */
	CHECK(fx_add_delete_file(&f, f.lake, POND_CONTENT_EQUALITY_DELETES, "select 12::bigint as id union all select 25", 1,
	                         NULL, NULL) == 0);
	CHECK_INT(fx_count_delete_files(&f), 2);
	CHECK_STR(fx_query(&f, "count(*)", 0), "23");
	int64_t before = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	/* Only the first file's partition of the table (all of it, here) may
	 * be touched: the first file goes for its deletes, alone; the
	 * position deletes go with it, the equality ones still apply to the
	 * other two files. */
	pond_compact_options o = POND_COMPACT_OPTIONS_INIT;
	o.where = "id < 10";
	CHECK_OK(pond_table_compact(f.lake, &f.id, &o, &r, &err), &err);
	CHECK_INT(r.rewritten_files, 1);
	CHECK_INT(r.removed_delete_files, 1);
	CHECK_STR(fx_diff_rows(&f, 0, fx_snapshot_sql(&f, before)), "0 0");
	CHECK_INT(fx_count_delete_files(&f), 1);
	CHECK_STR(fx_summary(&f, "removed-position-deletes"), "5");
	/* A file with many deleted rows takes its partition's other small
	 * files along (as Java does): all three, and both delete files go. */
	CHECK(fx_add_delete_file(&f, f.lake, POND_CONTENT_POSITION_DELETES,
	                         pond_arena_sprintf(f.a, "select '%s' as file_path, range as pos from range(4)",
	                                            fx_file_of_id(&f, 20)),
	                         0, fx_file_of_id(&f, 20), NULL) == 0);
	before = fx_snapshot(&f);
	const char *all_bytes = live_bytes(&f);  /* every live file goes, delete files too */
	CHECK_STR(fx_query(&f, "count(*)", 0), "19");
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK_INT(r.rewritten_files, 3);
	CHECK_INT(r.removed_delete_files, 2);
	CHECK_INT(fx_count_delete_files(&f), 0);
	CHECK_INT(fx_count_data_files(&f), 1);
	CHECK_STR(fx_diff_rows(&f, 0, fx_snapshot_sql(&f, before)), "0 0");
	CHECK_STR(fx_query(&f, "count(*)", 0), "19");
	CHECK_STR(fx_summary(&f, "removed-equality-deletes"), "2");
	CHECK_STR(fx_summary(&f, "removed-position-deletes"), "4");
	/* removed-files-size counts the delete files' bytes too. */
	CHECK_STR(fx_summary(&f, "removed-files-size"), all_bytes);
	fx_teardown(&f);
}

/* Spark's equality deletes on a partitioned table (the duckdb-iceberg
 * fixture, 3 rows at v6): each one-row file with a delete on it goes, the
 * deletes go with them, the rows stay. The table records its location
 * relative to a root (data/persistent/...), and new files go under the
 * recorded location: the test works in the project folder, which is that
 * root, and registers the metadata file by its absolute path. */
TEST(compact_applies_spark_equality_deletes_of_a_fixture_table)
{
	table_fixture f;
	CHECK(fx_setup(&f, "mydb.mytable_partitioned") == 0);
	const char *root = f.project->root;
	/* Named as pond names metadata files (the commit numbers the next one
	 * after it); the content is Spark's v6. */
	const char *md = "data/persistent/equality_deletes/warehouse/mydb/mytable_partitioned/metadata";
	const char *cmd = pond_arena_sprintf(f.a, "mkdir -p '%s/data/persistent' && "
	                                     "cp -r '%s/iceberg/duckdb-iceberg/data/persistent/equality_deletes' "
	                                     "'%s/data/persistent/' && cp '%s/%s/v6.metadata.json' "
	                                     "'%s/%s/00006-5f0c1d2e-0000-4000-8000-000000000006.metadata.json'",
	                                     root, pond_test_fixtures(), root, root, md, root, md);
	CHECK(system(cmd) == 0);
	CHECK(chdir(root) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = pond_lake_catalog(f.lake);
	CHECK_OK(pond_catalog_create_namespace(cat, &f.id.ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_register_table(cat, &f.id.ns, f.id.name,
	                                     pond_arena_sprintf(f.a, "%s/%s/00006-5f0c1d2e-0000-4000-8000-000000000006"
	                                                        ".metadata.json", root, md), &err), &err);
	int64_t before = fx_snapshot(&f);
	CHECK_STR(fx_query(&f, "count(*)", 0), "3");
	CHECK_INT(fx_count_data_files(&f), 6);
	CHECK_INT(fx_count_delete_files(&f), 3);
	pond_compact_result r;
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(r.removed_delete_files, 3);
	CHECK_INT(fx_count_delete_files(&f), 0);
	CHECK_STR(fx_diff_rows(&f, 0, fx_snapshot_sql(&f, before)), "0 0");
	CHECK_STR(fx_query(&f, "count(*)", 0), "3");
	CHECK_STR(fx_summary(&f, "operation"), "replace");
	fx_teardown(&f);
}

/* ---- concurrency, through the progress callback ---- */

typedef struct meanwhile {
	table_fixture *f;
	const char *what;  /* "append", "delete", "eqdelete", "posdelete" */
	int rc;
} meanwhile;

/* Commits through a second lake (another writer) after the compaction
 * chose its files and before it reads them. */
static void commit_meanwhile(const pond_compact_progress *p, void *payload)
{
	(void)p;
	meanwhile *m = payload;
	pond_error err = POND_ERROR_INIT;
	pond_lake *other = NULL;
	m->rc = pond_lake_open(&other, m->f->project, NULL, &err);
	if (m->rc == 0)
		pond_lake_set_write_through(other, true);  /* the append is a file, as the test counts */
	pond_write_result wr;
	if (m->rc == 0 && strcmp(m->what, "append") == 0)
		m->rc = pond_table_append_query(other, &m->f->id, "select 1000 + range, 'new' from range(5)", NULL, &wr, &err);
	else if (m->rc == 0 && strcmp(m->what, "delete") == 0)
		m->rc = pond_table_delete_where(other, &m->f->id, "id = 3", NULL, &wr, &err);
	else if (m->rc == 0 && strcmp(m->what, "posdelete") == 0) {
		/* id 3 is row 3 of the first append's file */
		const char *file = fx_file_of_id(m->f, 3);
		m->rc = file ? fx_add_delete_file(m->f, other, POND_CONTENT_POSITION_DELETES,
		                                  pond_arena_sprintf(m->f->a, "select '%s' as file_path, 3::bigint as pos", file),
		                                  0, file, NULL)
		             : -1;
	} else if (m->rc == 0)
		m->rc = fx_add_delete_file(m->f, other, POND_CONTENT_EQUALITY_DELETES, "select 7::bigint as id", 1, NULL, NULL);
	if (m->rc)
		fprintf(stderr, "    meanwhile %s: %s\n", m->what, err.msg);
	pond_lake_close(&other);
}

/* Compacts f's table with the commit m makes meanwhile. */
static int compact_meanwhile(table_fixture *f, meanwhile *m, pond_compact_result *r, pond_error *err)
{
	pond_compact_options o = POND_COMPACT_OPTIONS_INIT;
	o.progress = commit_meanwhile;
	o.payload = m;
	return pond_table_compact(f->lake, &f->id, &o, r, err);
}

/* A table made by a create and n - 1 appends of 10 rows each: n files. */
static int appends(table_fixture *f, int n)
{
	for (int i = 0; i < n; i++) {
		const char *q = pond_arena_sprintf(f->a, "select range + %d * 10 as id, 'v' as v from range(10)", i);
		if (i == 0 ? fx_create_with(f, q, NULL) != 0 : fx_append(f, q) < 0)
			return -1;
	}
	return 0;
}

static int five_appends(table_fixture *f)
{
	return appends(f, 5);
}

TEST(compact_keeps_an_append_committed_meanwhile)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(five_appends(&f) == 0);
	meanwhile m = {&f, "append", -1};
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_OK(compact_meanwhile(&f, &m, &r, &err), &err);
	CHECK_INT(m.rc, 0);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(fx_snapshot(&f), r.snapshot_id);
	CHECK_STR(fx_query(&f, "count(*)", 0), "55");
	CHECK_STR(fx_query(&f, "count(*) filter (where v = 'new')", 0), "5");
	CHECK_INT(fx_count_data_files(&f), 2);  /* the compacted file and the append */
	CHECK_STR(fx_summary(&f, "total-records"), "55");
	fx_teardown(&f);
}

TEST(compact_conflicts_with_a_delete_of_a_rewritten_file_and_loses_nothing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(five_appends(&f) == 0);
	meanwhile m = {&f, "delete", -1};
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_INT(compact_meanwhile(&f, &m, &r, &err), POND_ECONFLICT);
	CHECK_INT(m.rc, 0);
	CHECK_MSG(strstr(err.msg, "main.t") != NULL, "%s", err.msg);
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");  /* the delete's snapshot is current */
	CHECK_STR(fx_query(&f, "count(*)", 0), "49");
	CHECK_STR(fx_query(&f, "count(*) filter (where id = 3)", 0), "0");
	CHECK_STR(fx_query(&f, "count(distinct id)", 0), "49");
	CHECK_INT(fx_count_data_files(&f), 5);
	/* Run again, it compacts. */
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	CHECK_INT(fx_count_data_files(&f), 1);
	CHECK_STR(fx_query(&f, "count(distinct id)", 0), "49");
	fx_teardown(&f);
}

/* A position delete on a file the compaction rewrites, committed while it
 * runs: the rewrite would bring the deleted row back, so it is a conflict
 * and nothing changes. */
TEST(compact_conflicts_with_a_position_delete_on_a_rewritten_file)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(five_appends(&f) == 0);
	meanwhile m = {&f, "posdelete", -1};
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_INT(compact_meanwhile(&f, &m, &r, &err), POND_ECONFLICT);
	CHECK_INT(m.rc, 0);
	CHECK_STR(fx_query(&f, "count(*)", 0), "49");
	CHECK_STR(fx_query(&f, "count(*) filter (where id = 3)", 0), "0");
	CHECK_INT(fx_count_data_files(&f), 5);
	CHECK_INT(fx_count_delete_files(&f), 1);
	fx_teardown(&f);
}

TEST(compact_keeps_sequence_numbers_so_an_equality_delete_meanwhile_still_applies)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(five_appends(&f) == 0);
	meanwhile m = {&f, "eqdelete", -1};
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	CHECK_OK(compact_meanwhile(&f, &m, &r, &err), &err);
	CHECK_INT(m.rc, 0);
	CHECK(r.snapshot_id > 0);
	/* id 7 was deleted after the compaction read it: it stays deleted. */
	CHECK_STR(fx_query(&f, "count(*) filter (where id = 7)", 0), "0");
	CHECK_STR(fx_query(&f, "count(*)", 0), "49");
	CHECK_INT(fx_count_delete_files(&f), 1);
	fx_teardown(&f);
}

/* ---- sort order ---- */

static int build_sort_order(const pond_iceberg_metadata *base, pond_arena *a, pond_iceberg_requirement **reqs,
                            size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)reqs; (void)nreqs; (void)err;
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(base);
	pond_iceberg_sort_order *order = pond_arena_calloc(a, 1, sizeof(*order));
	pond_iceberg_sort_field *field = pond_arena_calloc(a, 1, sizeof(*field));
	field->transform.kind = POND_ICEBERG_IDENTITY;
	field->source_id = schema->root->fields[*(int *)payload].id;
	field->descending = true;
	order->order_id = 1;
	order->nfields = 1;
	order->fields = field;
	pond_iceberg_update *u = pond_arena_calloc(a, 2, sizeof(*u));
	u[0].action = POND_ICEBERG_ADD_SORT_ORDER;
	u[0].sort_order = order;
	u[1].action = POND_ICEBERG_SET_DEFAULT_SORT_ORDER;
	u[1].id = -1;
	*ups = u;
	*nups = 2;
	return 0;
}

TEST(compact_sorts_rows_by_the_table_sort_order)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(five_appends(&f) == 0);
	pond_error err = POND_ERROR_INIT;
	int column = 0;
	CHECK_OK(pond_table_commit(f.lake, &f.id, build_sort_order, &column, NULL, NULL, &err), &err);
	pond_compact_result r;
	CHECK_OK(pond_table_compact(f.lake, &f.id, NULL, &r, &err), &err);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(&f, &io);
	CHECK(plan && plan->ntasks == 1);
	const char *q = pond_arena_sprintf(f.a, "select count(*) from (select id, lag(id) over (order by file_row_number) "
	                                   "as prev from read_parquet('%s', file_row_number = true)) where prev < id",
	                                   plan->tasks[0].path);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	int64_t unsorted = -1;
	CHECK_OK(pond_engine_query_int(pond_lake_engine(f.lake), q, &unsorted, &err), &err);
	CHECK_INT(unsorted, 0);
	CHECK_STR(fx_query(&f, "count(distinct id)", 0), "50");
	fx_teardown(&f);
}

TEST(compact_under_allocation_failures_fails_cleanly_or_compacts)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	/* Two files (and a minimum of two): every allocation of a compaction
	 * still fails in turn, and each file's own are made twice, not five
	 * times. */
	CHECK(appends(&f, 2) == 0);
	pond_compact_options o = POND_COMPACT_OPTIONS_INIT;
	o.min_input_files = 2;
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const char *dir = pond_arena_strdup(f.a, t->metadata->location);
	pond_table_free(&t);
	pond_error err = POND_ERROR_INIT;
	pond_compact_result r;
	bool done = false;
	long failed = 0;
	/* A failed compaction commits nothing: the snapshot stays (and so
	 * the rows, read back every 50th time to be sure). */
	int64_t snap = fx_snapshot(&f);
	for (long n = 1; n < 20000 && !done; n++) {
		int files = fx_count_files(dir, NULL);
		pond_alloc_fail_at(n);
		int rc = pond_table_compact(f.lake, &f.id, &o, &r, &err);
		pond_alloc_fail_at(0);
		if (rc == 0) {
			done = true;
			break;
		}
		failed++;
		CHECK_MSG(err.msg[0] != '\0', "allocation %ld: failure without a message", n);
		CHECK_MSG(fx_count_files(dir, NULL) == files, "allocation %ld: files left behind (%s)", n, err.msg);
		CHECK_MSG(fx_snapshot(&f) == snap, "allocation %ld: a commit despite the failure (%s)", n, err.msg);
		const char *rows = n % 50 ? "20" : fx_query(&f, "count(*)", 0);
		CHECK_MSG(strcmp(rows, "20") == 0, "allocation %ld: %s rows after a failed compaction (%s)", n, rows,
		          err.msg);
	}
	CHECK(done);
	CHECK_MSG(failed > 100, "only %ld allocations failed the compaction", failed);
	CHECK_INT(fx_count_data_files(&f), 1);
	CHECK_STR(fx_query(&f, "count(distinct id)", 0), "20");
	fx_teardown(&f);
}
