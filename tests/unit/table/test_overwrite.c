/*
 * Overwrites: the whole table (every live file DELETED, only the query's
 * rows left) and by filter (delete-insert in one snapshot), with the
 * summaries Java writes and older snapshots still readable.
 */
#include "../test.h"

#include "pond/table.h"
#include "table/table_internal.h"

typedef struct {
	pond_arena *a;
	pond_project *project;
	pond_lake *lake;
	pond_table_ident id;
} fixture;

static int setup(fixture *f, const char *table)
{
	pond_error err = POND_ERROR_INIT;
	f->a = pond_arena_new();
	const char *dir = pond_arena_sprintf(f->a, "%s/proj", pond_test_tmpdir());
	if (pond_project_init(dir, "t", &err) || pond_project_load(&f->project, dir, &err) ||
	    pond_lake_open(&f->lake, f->project, NULL, &err) || pond_table_ident_parse(&f->id, f->a, table, &err)) {
		fprintf(stderr, "    setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void teardown(fixture *f)
{
	pond_lake_close(&f->lake);
	pond_project_free(&f->project);
	pond_arena_free(&f->a);
}

/* Creates the table with the schema of query (partitioned by identity on
 * `identity_col` when not NULL) and appends the query's rows. */
static int create_with(fixture *f, const char *query, const char *identity_col)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec = NULL;
	pond_write_result r;
	if (pond_engine_query_schema(pond_lake_engine(f->lake), query, f->a, &schema, &err) != 0)
		goto fail;
	if (identity_col) {
		const pond_iceberg_field *src = pond_iceberg_schema_find_name(schema, identity_col);
		spec = pond_arena_calloc(f->a, 1, sizeof(*spec));
		spec->nfields = 1;
		spec->fields = pond_arena_calloc(f->a, 1, sizeof(*spec->fields));
		spec->fields[0] = (pond_iceberg_partition_field){src->id, 1000, identity_col, {POND_ICEBERG_IDENTITY, 0}};
	}
	if (pond_table_create(f->lake, &f->id, schema, spec, NULL, 0, NULL, &err) != 0 ||
	    pond_table_append_query(f->lake, &f->id, query, NULL, &r, &err) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "    create: %s\n", err.msg);
	return -1;
}

/* "select EXPR from <table at snapshot (0: current)>" as text (arena). */
static const char *query(fixture *f, const char *expr, int64_t snapshot_id)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t;
	if (pond_table_load(&t, f->lake, &f->id, &err) != 0)
		return "(load failed)";
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = snapshot_id != 0;
	so.snapshot_id = snapshot_id;
	pond_buf sql = POND_BUF_INIT, q = POND_BUF_INIT;
	const char *out = "(scan failed)";
	char *v = NULL;
	if (pond_table_scan_sql(&sql, f->lake, t, &so, &err) == 0) {
		pond_buf_printf(&q, "select %s from (%s) t", expr, pond_buf_cstr(&sql));
		out = pond_engine_query_string(pond_lake_engine(f->lake), pond_buf_cstr(&q), &v, &err) == 0
		          ? pond_arena_strdup(f->a, v ? v : "NULL")
		          : "(query failed)";
	}
	if (err.code)
		fprintf(stderr, "    query: %s\n", err.msg);
	pond_free(v);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&q);
	pond_table_free(&t);
	return out;
}

static int64_t current_snapshot(fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t;
	if (pond_table_load(&t, f->lake, &f->id, &err) != 0)
		return -1;
	int64_t id = t->metadata->current_snapshot_id;
	pond_table_free(&t);
	return id;
}

static const char *summary(fixture *f, const char *key)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t;
	if (pond_table_load(&t, f->lake, &f->id, &err) != 0)
		return NULL;
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	const char *v = NULL;
	if (s && strcmp(key, "operation") == 0)
		v = pond_arena_strdup(f->a, s->operation);
	for (size_t i = 0; s && i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, key) == 0)
			v = pond_arena_strdup(f->a, s->summary[i].value);
	pond_table_free(&t);
	return v;
}

TEST(overwrite_whole_table_keeps_only_the_new_rows)
{
	fixture f;
	CHECK(setup(&f, "t") == 0);
	CHECK(create_with(&f, "select range as id, 'old' as v from range(100)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 500 + range, 'old' from range(10)", NULL, &r, &err), &err);
	int64_t before = current_snapshot(&f);
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select range, 'new' from range(7)", NULL, NULL, &r, &err),
	         &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(r.deleted_files, 2);
	CHECK_INT(r.deleted_records, 110);
	CHECK_INT(r.added_records, 7);
	CHECK_STR(query(&f, "count(*)", 0), "7");
	CHECK_STR(query(&f, "count(*) filter (where v = 'new')", 0), "7");
	CHECK_STR(summary(&f, "operation"), "overwrite");
	CHECK_STR(summary(&f, "deleted-data-files"), "2");
	CHECK_STR(summary(&f, "deleted-records"), "110");
	CHECK_STR(summary(&f, "total-records"), "7");
	CHECK_STR(summary(&f, "total-data-files"), "1");
	CHECK_STR(query(&f, "count(*)", before), "110");
	/* An empty query empties the table: a "delete" with no files left. */
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select 1, 'x' where false", NULL, NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_STR(query(&f, "count(*)", 0), "0");
	CHECK_STR(summary(&f, "total-records"), "0");
	CHECK_STR(summary(&f, "total-data-files"), "0");
	teardown(&f);
}

TEST(overwrite_by_filter_replaces_the_matching_rows_in_one_snapshot)
{
	fixture f;
	CHECK(setup(&f, "events") == 0);
	CHECK(create_with(&f, "select range as id, range % 3 as k, 'old' as v from range(300)", "k") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	int64_t before = current_snapshot(&f);
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select range * 3 + 1, 1, 'new' from range(10)", "k = 1",
	                                    NULL, &r, &err), &err);
	CHECK_INT(r.deleted_files, 1);
	CHECK_INT(r.deleted_records, 100);
	CHECK_INT(r.added_records, 10);
	CHECK_STR(query(&f, "count(*)", 0), "210");
	CHECK_STR(query(&f, "count(*) filter (where k = 1)", 0), "10");
	CHECK_STR(query(&f, "count(*) filter (where k = 1 and v = 'new')", 0), "10");
	CHECK_STR(query(&f, "count(*) filter (where v = 'old')", 0), "200");
	CHECK_STR(summary(&f, "operation"), "overwrite");
	CHECK_STR(summary(&f, "changed-partition-count"), "1");
	CHECK_STR(summary(&f, "total-records"), "210");
	CHECK(current_snapshot(&f) != before);
	/* Rows in a file that only partly match: the rest is kept. */
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select 1000, 0, 'x'", "k = 0 and id < 30", NULL, &r, &err),
	         &err);
	CHECK_STR(query(&f, "count(*)", 0), "201");
	CHECK_STR(query(&f, "count(*) filter (where k = 0)", 0), "91");
	teardown(&f);
}
