/*
 * Merges (upserts on keys): changed rows replaced in place, new keys
 * appended, the last of duplicate keys in the input wins, and re-merging
 * the same rows keeps the row count.
 */
#include "../test.h"

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

TEST(merge_updates_changed_rows_and_appends_new_keys)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id, 'v' || range as v from range(100)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	const char *keys[] = {"id"};
	const char *rows = "select * from (values (5, 'five'), (200, 'a'), (201, 'first'), (201, 'last'), (7, 'x'),"
	                   " (7, 'seven')) t(id, v)";
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, rows, keys, 1, NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_STR(fx_query(&f, "count(*)", 0), "102");
	CHECK_STR(fx_query(&f, "count(distinct id)", 0), "102");
	CHECK_STR(fx_query(&f, "max(v) filter (where id = 5)", 0), "five");
	CHECK_STR(fx_query(&f, "max(v) filter (where id = 7)", 0), "seven");
	CHECK_STR(fx_query(&f, "max(v) filter (where id = 201)", 0), "last");
	CHECK_STR(fx_query(&f, "max(v) filter (where id = 6)", 0), "v6");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	CHECK_STR(fx_summary(&f, "total-records"), "102");
	/* The same rows again: nothing new, counts stable, values kept. */
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, rows, keys, 1, NULL, &r, &err), &err);
	CHECK_STR(fx_query(&f, "count(*)", 0), "102");
	CHECK_STR(fx_query(&f, "max(v) filter (where id = 201)", 0), "last");
	CHECK_STR(fx_summary(&f, "total-records"), "102");
	/* Only new keys: an append. */
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, "select 300, 'n'", keys, 1, NULL, &r, &err), &err);
	CHECK_STR(fx_query(&f, "count(*)", 0), "103");
	CHECK_STR(fx_summary(&f, "operation"), "append");
	fx_teardown(&f);
}

TEST(merge_on_two_keys_into_a_partitioned_table)
{
	table_fixture f;
	CHECK(fx_setup(&f, "events") == 0);
	CHECK(fx_create_with(&f, "select range % 4 as k, range // 4 as n, 0 as v from range(40)", "k") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	const char *keys[] = {"k", "n"};
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, "select 2, 3, 1 union all select 2, 30, 1 union all select 3, 3, 1",
	                                keys, 2, NULL, &r, &err), &err);
	CHECK_STR(fx_query(&f, "count(*)", 0), "41");
	CHECK_STR(fx_query(&f, "sum(v)", 0), "3");
	CHECK_STR(fx_query(&f, "count(*) filter (where k = 2 and n = 3)", 0), "1");
	/* Only the two partitions touched were rewritten. */
	CHECK_INT(r.deleted_files, 2);
	CHECK_STR(fx_summary(&f, "changed-partition-count"), "2");
	fx_teardown(&f);
}

TEST(merge_refuses_an_unknown_key_and_changes_nothing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id from range(3)", NULL) == 0);
	int64_t before = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	const char *keys[] = {"nope"};
	CHECK_INT(pond_table_merge_query(f.lake, &f.id, "select 1", keys, 1, NULL, &r, &err), POND_EINVAL);
	CHECK_STR(err.msg, "merge into main.t: key column \"nope\" is not a column of the table");
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_STR(fx_query(&f, "count(*)", 0), "3");
	fx_teardown(&f);
}
