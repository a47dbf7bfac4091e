/*
 * Unit tests for appends: data files, manifests and snapshots that scan
 * planning and DuckDB read back, partitioned and not.
 */
#include "../test.h"

#include <dirent.h>
#include <stdlib.h>

#include "fixture.h"
#include "pond/table.h"

/* Plans the current snapshot (with an optional filter) and counts rows
 * through DuckDB over the planned files. */
static int64_t count_rows(table_fixture *f, const char *filter, size_t *nfiles)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t;
	pond_fileio *io;
	pond_scan_plan *plan;
	if (pond_table_load(&t, f->lake, &f->id, &err) || pond_fileio_local_new(&io, &err))
		return -1;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	pond_expr *e = NULL;
	if (filter && pond_expr_parse(&e, filter, f->a, &err) != 0)
		return -2;
	so.filter = e;
	if (pond_scan_plan_files(&plan, t->metadata, io, &so, &err) != 0) {
		fprintf(stderr, "    plan: %s\n", err.msg);
		return -3;
	}
	*nfiles = plan->ntasks;
	int64_t rows = 0;
	if (plan->ntasks > 0) {
		pond_buf sql = POND_BUF_INIT;
		pond_buf_puts(&sql, "select count(*) from read_parquet([");
		for (size_t i = 0; i < plan->ntasks; i++) {
			if (i)
				pond_buf_putc(&sql, ',');
			pond_sql_quote_literal(&sql, plan->tasks[i].path);
		}
		pond_buf_puts(&sql, "])");
		if (pond_engine_query_int(pond_lake_engine(f->lake), pond_buf_cstr(&sql), &rows, &err) != 0)
			rows = -4;
		pond_buf_dispose(&sql);
	}
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return rows;
}

/* The value of a summary key in the table's current snapshot, or NULL. */
static const char *current_summary(const pond_table *t, const char *key)
{
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	for (size_t i = 0; s && i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, key) == 0)
			return s->summary[i].value;
	return NULL;
}

TEST(append_twice_makes_two_snapshots_read_back_by_duckdb)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	const char *q = "select range as id, 'n' || range as name from range(1000)";
	CHECK(fx_create(&f, q, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r1, r2;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r1, &err), &err);
	CHECK_INT(r1.added_records, 1000);
	CHECK(r1.snapshot_id > 0);
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 5000 + range, NULL from range(500)", NULL, &r2, &err), &err);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, f.lake, &f.id, &err), &err);
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	CHECK(s != NULL);
	CHECK_INT(s->snapshot_id, r2.snapshot_id);
	CHECK(s->has_parent);
	CHECK_INT(s->parent_snapshot_id, r1.snapshot_id);
	CHECK_INT(s->sequence_number, 2);
	CHECK_STR(s->operation, "append");
	CHECK_STR(current_summary(t, "total-records"), "1500");
	pond_table_free(&t);
	size_t nfiles;
	CHECK_INT(count_rows(&f, NULL, &nfiles), 1500);
	CHECK_INT(nfiles, 2);
	/* Column bounds prune: ids of the second append are all >= 5000. */
	CHECK_INT(count_rows(&f, "id >= 5000", &nfiles), 500);
	CHECK_INT(nfiles, 1);
	fx_teardown(&f);
}

TEST(append_to_a_partitioned_table_splits_files_and_prunes_by_partition)
{
	table_fixture f;
	CHECK(fx_setup(&f, "events") == 0);
	const char *q = "select range as id, range % 3 as k, timestamp '2024-01-01' + to_hours(range) as ts from range(240)";
	CHECK(fx_create(&f, q,
		"{\"spec-id\": 0, \"fields\": [{\"source-id\": 2, \"field-id\": 1000, \"name\": \"k\", \"transform\": \"identity\"},"
		" {\"source-id\": 3, \"field-id\": 1001, \"name\": \"ts_day\", \"transform\": \"day\"}]}") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	CHECK_INT(r.added_records, 240);
	CHECK_INT(r.added_files, 30);  /* 3 values of k x 10 days */
	size_t nfiles;
	CHECK_INT(count_rows(&f, NULL, &nfiles), 240);
	CHECK_INT(nfiles, 30);
	CHECK_INT(count_rows(&f, "k = 1", &nfiles), 80);
	CHECK_INT(nfiles, 10);
	CHECK_INT(count_rows(&f, "ts >= '2024-01-10T00:00:00'", &nfiles), 24);
	CHECK_INT(nfiles, 3);
	fx_teardown(&f);
}

TEST(append_refuses_a_query_with_the_wrong_column_count_and_commits_nothing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1 as a, 2 as b", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_INT(pond_table_append_query(f.lake, &f.id, "select 1", NULL, &r, &err), POND_EINVAL);
	CHECK_STR(err.msg, "table main.t has 2 columns but the query returns 1");
	CHECK_INT(pond_table_append_query(f.lake, &f.id, "select 1, 2, 3", NULL, &r, &err), POND_EINVAL);
	CHECK_STR(err.msg, "table main.t has 2 columns but the query returns 3");
	/* The query's own column-count error is its own. */
	CHECK_INT(pond_table_append_query(f.lake, &f.id, "select 1, 2 union all select 1", NULL, &r, &err), POND_ESQL);
	CHECK(strstr(err.msg, "same number of result columns") != NULL);
	CHECK_INT(pond_table_append_query(f.lake, &f.id, "select 'x', 2", NULL, &r, &err), POND_ESQL);
	CHECK(strstr(err.msg, "Could not convert") != NULL);
	/* An empty result commits nothing. */
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 1, 2 where false", NULL, &r, &err), &err);
	CHECK_INT(r.snapshot_id, 0);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, f.lake, &f.id, &err), &err);
	CHECK(pond_iceberg_metadata_current_snapshot(t->metadata) == NULL);
	/* No data files were left behind by the failed writes. */
	const char *data = pond_arena_sprintf(f.a, "%s/data", t->metadata->location);
	DIR *d = opendir(data);
	int files = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			files += pond_str_ends_with(e->d_name, ".parquet");
		closedir(d);
	}
	CHECK_INT(files, 0);
	pond_table_free(&t);
	fx_teardown(&f);
}

TEST(append_to_a_branch_keeps_main_and_records_summary_entries)
{
	table_fixture f;
	CHECK(fx_setup(&f, "b") == 0);
	const char *q = "select range as id from range(10)";
	CHECK(fx_create(&f, q, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r1, r2;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r1, &err), &err);
	pond_iceberg_kv extra[] = {{"pond.source-state", "{\"cursor\": 42}"}};
	pond_write_options o = POND_WRITE_OPTIONS_INIT;
	o.branch = "dev";
	o.summary = extra;
	o.nsummary = 1;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, &o, &r2, &err), &err);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, f.lake, &f.id, &err), &err);
	CHECK_INT(t->metadata->current_snapshot_id, r1.snapshot_id);
	const pond_iceberg_ref *dev = pond_iceberg_metadata_ref(t->metadata, "dev");
	CHECK(dev != NULL && !dev->is_tag);
	CHECK_INT(dev->snapshot_id, r2.snapshot_id);
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_snapshot(t->metadata, r2.snapshot_id);
	CHECK_INT(s->parent_snapshot_id, r1.snapshot_id);
	const char *state = NULL;
	for (size_t i = 0; i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, "pond.source-state") == 0)
			state = s->summary[i].value;
	CHECK_STR(state, "{\"cursor\": 42}");
	pond_table_free(&t);
	fx_teardown(&f);
}

TEST(append_of_no_rows_commits_its_summary_only_when_asked)
{
	table_fixture f;
	CHECK(fx_setup(&f, "e") == 0);
	const char *q = "select range as id from range(10)";
	CHECK(fx_create(&f, q, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r1, r2, r3;
	pond_iceberg_kv state[] = {{"pond.source-state", "{\"height\": 7}"}};
	pond_write_options o = POND_WRITE_OPTIONS_INIT;
	o.summary = state;
	o.nsummary = 1;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, &o, &r1, &err), &err);
	/* No rows: nothing to commit, unless the summary must be recorded. */
	state[0].value = "{\"height\": 9}";
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 1 as id where false", &o, &r2, &err), &err);
	CHECK_INT(r2.snapshot_id, 0);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, f.lake, &f.id, &err), &err);
	CHECK_INT(t->metadata->current_snapshot_id, r1.snapshot_id);
	CHECK_STR(current_summary(t, "pond.source-state"), "{\"height\": 7}");
	pond_table_free(&t);
	o.commit_empty = true;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 1 as id where false", &o, &r3, &err), &err);
	CHECK(r3.snapshot_id > 0 && r3.snapshot_id != r1.snapshot_id);
	CHECK_INT(r3.added_records, 0);
	CHECK_OK(pond_table_load(&t, f.lake, &f.id, &err), &err);
	CHECK_INT(t->metadata->current_snapshot_id, r3.snapshot_id);
	CHECK_STR(current_summary(t, "pond.source-state"), "{\"height\": 9}");
	CHECK_STR(current_summary(t, "total-records"), "10");
	pond_table_free(&t);
	size_t nfiles;
	CHECK_INT(count_rows(&f, NULL, &nfiles), 10);
	CHECK_INT(nfiles, 1);
	fx_teardown(&f);
}

TEST(append_to_bucket_partitions_places_rows_where_planning_looks)
{
	table_fixture f;
	CHECK(fx_setup(&f, "bucketed") == 0);
	const char *q = "select range as id, 'n' || range as name, (range / 100.0)::decimal(10,2) as amount from range(200)";
	CHECK(fx_create(&f, q,
		"{\"spec-id\": 0, \"fields\": [{\"source-id\": 1, \"field-id\": 1000, \"name\": \"id_bucket\", \"transform\": \"bucket[4]\"},"
		" {\"source-id\": 3, \"field-id\": 1001, \"name\": \"amount_bucket\", \"transform\": \"bucket[2]\"}]}") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	CHECK_INT(r.added_records, 200);
	CHECK(r.added_files <= 8 && r.added_files >= 4);
	size_t nfiles;
	CHECK_INT(count_rows(&f, NULL, &nfiles), 200);
	/* Planning computes the bucket of 7 with the iceberg layer; the writer
	 * computed each row's bucket in SQL. They must agree: the file kept
	 * for id = 7 holds row 7. */
	CHECK(count_rows(&f, "id = 7", &nfiles) > 0);
	CHECK(nfiles >= 1 && nfiles <= 2);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	pond_fileio *io;
	pond_scan_plan *plan;
	pond_expr *e;
	CHECK_OK(pond_fileio_local_new(&io, &err), &err);
	CHECK_OK(pond_expr_parse(&e, "id = 7", f.a, &err), &err);
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.filter = e;
	CHECK_OK(pond_scan_plan_files(&plan, t->metadata, io, &so, &err), &err);
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "select count(*) from read_parquet([");
	for (size_t i = 0; i < plan->ntasks; i++) {
		if (i)
			pond_buf_putc(&sql, ',');
		pond_sql_quote_literal(&sql, plan->tasks[i].path);
	}
	pond_buf_puts(&sql, "]) where id = 7");
	int64_t hits = 0;
	CHECK_OK(pond_engine_query_int(pond_lake_engine(f.lake), pond_buf_cstr(&sql), &hits, &err), &err);
	CHECK_INT(hits, 1);
	pond_buf_dispose(&sql);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	fx_teardown(&f);
}

/* The current snapshot's data files, through the manifests. */
static int data_files(table_fixture *f, pond_data_file **out, size_t *n)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_fileio *io = NULL;
	pond_manifest_file *mfs = NULL;
	size_t nm = 0, cap = 0;
	*n = 0;
	*out = NULL;
	if (!t || pond_fileio_local_new(&io, &err) ||
	    pond_snapshot_manifests(&mfs, &nm, io, pond_iceberg_metadata_current_snapshot(t->metadata), f->a, &err))
		return -1;
	int rc = 0;
	for (size_t m = 0; m < nm && rc == 0; m++) {
		pond_manifest_reader *r;
		const pond_manifest_entry *e;
		if ((rc = pond_manifest_reader_open(&r, io, mfs[m].manifest_path, &mfs[m], NULL, NULL, &err)) != 0)
			break;
		while ((rc = pond_manifest_reader_next(r, f->a, &e, &err)) == 1) {
			if (!pond_arena_grow(f->a, (void **)out, *n, &cap, sizeof(**out)))
				break;
			(*out)[(*n)++] = e->data_file;
		}
		pond_manifest_reader_close(&r);
	}
	pond_fileio_free(&io);
	pond_table_free(&t);
	return rc < 0 ? rc : 0;
}

static const pond_column_bound *bound_of(const pond_column_bound *b, size_t n, int32_t field_id)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].field_id == field_id)
			return &b[i];
	return NULL;
}

TEST(append_writes_only_the_table_columns_each_with_its_field_id)
{
	table_fixture f;
	CHECK(fx_setup(&f, "derived") == 0);
	const char *q = "select range as id, range % 3 as k, timestamp '2024-01-01' + to_hours(range * 7) as ts from range(60)";
	CHECK(fx_create(&f, q,
		"{\"spec-id\": 0, \"fields\": [{\"source-id\": 2, \"field-id\": 1000, \"name\": \"k\", \"transform\": \"identity\"},"
		" {\"source-id\": 3, \"field-id\": 1001, \"name\": \"ts_day\", \"transform\": \"day\"},"
		" {\"source-id\": 1, \"field-id\": 1002, \"name\": \"id_bucket_4\", \"transform\": \"bucket[4]\"}]}") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	pond_data_file *files;
	size_t n;
	CHECK(data_files(&f, &files, &n) == 0);
	CHECK(n > 1);
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "select string_agg(c, ' ' order by c) from (select distinct name || ':' || "
	                    "coalesce(field_id::varchar, 'none') as c from parquet_schema([");
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(&sql, i ? ", " : "");
		pond_sql_quote_literal(&sql, files[i].file_path);
	}
	pond_buf_puts(&sql, "]) where name <> 'duckdb_schema')");
	char *cols = NULL;
	CHECK_OK(pond_engine_query_string(pond_lake_engine(f.lake), pond_buf_cstr(&sql), &cols, &err), &err);
	pond_buf_dispose(&sql);
	CHECK_STR(cols, "id:1 k:2 ts:3");
	pond_free(cols);
	/* The partition tuples still say where each row is. */
	size_t nfiles;
	CHECK_INT(count_rows(&f, "k = 1", &nfiles), 20);
	CHECK_INT(count_rows(&f, NULL, &nfiles), 60);
	CHECK_STR(fx_query(&f, "count(*) filter (where k = 2 and ts >= '2024-01-10')", 0), "10");
	fx_teardown(&f);
}

TEST(append_writes_bounds_for_booleans_wide_decimals_and_binary)
{
	table_fixture f;
	CHECK(fx_setup(&f, "bounds") == 0);
	const char *q = "select range % 2 = 0 as b, (range * 1000000000000.25)::decimal(38,2) as d38, "
	                "(range / 4)::decimal(4,1) as d4, ('\\x00' || range)::blob as bl from range(1, 5)";
	CHECK(fx_create(&f, q, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	pond_data_file *files;
	size_t n;
	CHECK(data_files(&f, &files, &n) == 0);
	CHECK_INT(n, 1);
	for (int32_t id = 1; id <= 4; id++) {
		CHECK_MSG(bound_of(files[0].lower_bounds, files[0].nlower_bounds, id) != NULL, "no lower bound for %d", id);
		CHECK_MSG(bound_of(files[0].upper_bounds, files[0].nupper_bounds, id) != NULL, "no upper bound for %d", id);
	}
	const pond_column_bound *lo = bound_of(files[0].lower_bounds, files[0].nlower_bounds, 1);
	const pond_column_bound *hi = bound_of(files[0].upper_bounds, files[0].nupper_bounds, 1);
	CHECK(lo->len == 1 && lo->ptr[0] == 0 && hi->len == 1 && hi->ptr[0] == 1);
	/* decimal(38,2): the unscaled value 100000000000025 big-endian */
	lo = bound_of(files[0].lower_bounds, files[0].nlower_bounds, 2);
	pond_iceberg_literal lit;
	pond_iceberg_type *t38;
	CHECK_OK(pond_iceberg_type_parse_primitive(&t38, "decimal(38,2)", f.a, &err), &err);
	CHECK_OK(pond_iceberg_bound_decode(&lit, t38, lo->ptr, lo->len, &err), &err);
	pond_buf text = POND_BUF_INIT;
	pond_iceberg_literal_to_text(&text, &lit);
	CHECK_STR(pond_buf_cstr(&text), "1000000000000.25");
	pond_buf_dispose(&text);
	hi = bound_of(files[0].upper_bounds, files[0].nupper_bounds, 4);
	CHECK(hi->len == 2 && hi->ptr[0] == 0 && hi->ptr[1] == '4');
	fx_teardown(&f);
}

typedef struct commit_note {
	int calls;
	bool fail;
} commit_note;

/* An on_commit hook: writes a row of its own, in the commit's transaction,
 * then fails when told to. */
static int note_commit(pond_catalog *catalog, void *payload, pond_error *err)
{
	commit_note *n = payload;
	n->calls++;
	int rc = pond_catalog_exec(catalog, "INSERT INTO commit_notes VALUES (1)", NULL, 0, NULL, err);
	if (rc == 0 && n->fail)
		rc = pond_error_set(err, POND_EIO, "the hook failed");
	return rc;
}

static int count_notes(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols, (void)names;
	*(int *)payload = atoi(values[0]);
	return 0;
}

/* pond_write_options.on_commit runs in the transaction that commits the
 * rows, on an existing table and on the write that creates one: its rows
 * land with the snapshot, and its failure leaves neither (and such a write
 * is never buffered). */
TEST(append_on_commit_work_commits_with_the_rows_or_not_at_all)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	pond_lake_set_write_through(f.lake, false);
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = pond_lake_catalog(f.lake);
	CHECK_OK(pond_catalog_exec(cat, "CREATE TABLE commit_notes (n INTEGER)", NULL, 0, NULL, &err), &err);
	CHECK(fx_create(&f, "select 1 as a", NULL) == 0);
	commit_note note = {0, false};
	pond_write_options o = POND_WRITE_OPTIONS_INIT;
	o.on_commit = note_commit;
	o.on_commit_payload = &note;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 2", &o, &r, &err), &err);
	CHECK(!r.buffered);
	CHECK(r.snapshot_id != 0);
	note.fail = true;
	CHECK_INT(pond_table_append_query(f.lake, &f.id, "select 3", &o, &r, &err), POND_EIO);
	CHECK_STR(err.msg, "the hook failed");
	CHECK_STR(fx_query(&f, "string_agg(a::varchar, ',' order by a)", 0), "2");
	int notes = -1;
	CHECK_OK(pond_catalog_query(cat, "SELECT count(*) FROM commit_notes", NULL, 0, count_notes, &notes, &err), &err);
	CHECK_INT(notes, 1);
	/* The write that creates its table. */
	pond_arena *a = pond_arena_new();
	pond_iceberg_schema *schema;
	CHECK_OK(pond_engine_query_schema(pond_lake_engine(f.lake), "select 1 as b", a, &schema, &err), &err);
	o.create_schema = schema;
	pond_table_ident made = {f.id.ns, "made"};
	CHECK_INT(pond_table_append_query(f.lake, &made, "select 7", &o, &r, &err), POND_EIO);
	bool exists = true;
	CHECK_OK(pond_catalog_table_exists(cat, &made.ns, made.name, &exists, &err), &err);
	CHECK(!exists);
	note.fail = false;
	CHECK_OK(pond_table_append_query(f.lake, &made, "select 7", &o, &r, &err), &err);
	CHECK_OK(pond_catalog_table_exists(cat, &made.ns, made.name, &exists, &err), &err);
	CHECK(exists);
	CHECK_OK(pond_catalog_query(cat, "SELECT count(*) FROM commit_notes", NULL, 0, count_notes, &notes, &err), &err);
	CHECK_INT(notes, 2);
	CHECK_INT(note.calls, 4);
	pond_arena_free(&a);
	fx_teardown(&f);
}
