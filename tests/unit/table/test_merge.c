/*
 * Merges (upserts on keys): changed rows replaced in place, new keys
 * appended, the last of duplicate keys in the input wins, and re-merging
 * the same rows keeps the row count.
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

TEST(merge_updates_changed_rows_and_appends_new_keys)
{
	fixture f;
	CHECK(setup(&f, "t") == 0);
	CHECK(create_with(&f, "select range as id, 'v' || range as v from range(100)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	const char *keys[] = {"id"};
	const char *rows = "select * from (values (5, 'five'), (200, 'a'), (201, 'first'), (201, 'last'), (7, 'x'),"
	                   " (7, 'seven')) t(id, v)";
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, rows, keys, 1, NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_STR(query(&f, "count(*)", 0), "102");
	CHECK_STR(query(&f, "count(distinct id)", 0), "102");
	CHECK_STR(query(&f, "max(v) filter (where id = 5)", 0), "five");
	CHECK_STR(query(&f, "max(v) filter (where id = 7)", 0), "seven");
	CHECK_STR(query(&f, "max(v) filter (where id = 201)", 0), "last");
	CHECK_STR(query(&f, "max(v) filter (where id = 6)", 0), "v6");
	CHECK_STR(summary(&f, "operation"), "overwrite");
	CHECK_STR(summary(&f, "total-records"), "102");
	/* The same rows again: nothing new, counts stable, values kept. */
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, rows, keys, 1, NULL, &r, &err), &err);
	CHECK_STR(query(&f, "count(*)", 0), "102");
	CHECK_STR(query(&f, "max(v) filter (where id = 201)", 0), "last");
	CHECK_STR(summary(&f, "total-records"), "102");
	/* Only new keys: an append. */
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, "select 300, 'n'", keys, 1, NULL, &r, &err), &err);
	CHECK_STR(query(&f, "count(*)", 0), "103");
	CHECK_STR(summary(&f, "operation"), "append");
	teardown(&f);
}

TEST(merge_on_two_keys_into_a_partitioned_table)
{
	fixture f;
	CHECK(setup(&f, "events") == 0);
	CHECK(create_with(&f, "select range % 4 as k, range // 4 as n, 0 as v from range(40)", "k") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	const char *keys[] = {"k", "n"};
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, "select 2, 3, 1 union all select 2, 30, 1 union all select 3, 3, 1",
	                                keys, 2, NULL, &r, &err), &err);
	CHECK_STR(query(&f, "count(*)", 0), "41");
	CHECK_STR(query(&f, "sum(v)", 0), "3");
	CHECK_STR(query(&f, "count(*) filter (where k = 2 and n = 3)", 0), "1");
	/* Only the two partitions touched were rewritten. */
	CHECK_INT(r.deleted_files, 2);
	CHECK_STR(summary(&f, "changed-partition-count"), "2");
	teardown(&f);
}

TEST(merge_refuses_an_unknown_key_and_changes_nothing)
{
	fixture f;
	CHECK(setup(&f, "t") == 0);
	CHECK(create_with(&f, "select range as id from range(3)", NULL) == 0);
	int64_t before = current_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	const char *keys[] = {"nope"};
	CHECK_INT(pond_table_merge_query(f.lake, &f.id, "select 1", keys, 1, NULL, &r, &err), POND_EINVAL);
	CHECK_STR(err.msg, "merge into main.t: key column \"nope\" is not a column of the table");
	CHECK_INT(current_snapshot(&f), before);
	CHECK_STR(query(&f, "count(*)", 0), "3");
	teardown(&f);
}
