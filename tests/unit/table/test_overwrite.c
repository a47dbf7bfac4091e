/*
 * Overwrites: the whole table (every live file DELETED, only the query's
 * rows left) and by filter (delete-insert in one snapshot), with the
 * summaries Java writes and older snapshots still readable.
 */
#include "../test.h"

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

TEST(overwrite_whole_table_keeps_only_the_new_rows)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id, 'old' as v from range(100)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 500 + range, 'old' from range(10)", NULL, &r, &err), &err);
	int64_t before = fx_snapshot(&f);
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select range, 'new' from range(7)", NULL, NULL, &r, &err),
	         &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(r.deleted_files, 2);
	CHECK_INT(r.deleted_records, 110);
	CHECK_INT(r.added_records, 7);
	CHECK_STR(fx_query(&f, "count(*)", 0), "7");
	CHECK_STR(fx_query(&f, "count(*) filter (where v = 'new')", 0), "7");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	CHECK_STR(fx_summary(&f, "deleted-data-files"), "2");
	CHECK_STR(fx_summary(&f, "deleted-records"), "110");
	CHECK_STR(fx_summary(&f, "total-records"), "7");
	CHECK_STR(fx_summary(&f, "total-data-files"), "1");
	CHECK_STR(fx_query(&f, "count(*)", before), "110");
	/* An empty query empties the table: a "delete" with no files left. */
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select 1, 'x' where false", NULL, NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_STR(fx_query(&f, "count(*)", 0), "0");
	CHECK_STR(fx_summary(&f, "total-records"), "0");
	CHECK_STR(fx_summary(&f, "total-data-files"), "0");
	fx_teardown(&f);
}

TEST(overwrite_by_filter_replaces_the_matching_rows_in_one_snapshot)
{
	table_fixture f;
	CHECK(fx_setup(&f, "events") == 0);
	CHECK(fx_create_with(&f, "select range as id, range % 3 as k, 'old' as v from range(300)", "k") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	int64_t before = fx_snapshot(&f);
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select range * 3 + 1, 1, 'new' from range(10)", "k = 1",
	                                    NULL, &r, &err), &err);
	CHECK_INT(r.deleted_files, 1);
	CHECK_INT(r.deleted_records, 100);
	CHECK_INT(r.added_records, 10);
	CHECK_STR(fx_query(&f, "count(*)", 0), "210");
	CHECK_STR(fx_query(&f, "count(*) filter (where k = 1)", 0), "10");
	CHECK_STR(fx_query(&f, "count(*) filter (where k = 1 and v = 'new')", 0), "10");
	CHECK_STR(fx_query(&f, "count(*) filter (where v = 'old')", 0), "200");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	CHECK_STR(fx_summary(&f, "changed-partition-count"), "1");
	CHECK_STR(fx_summary(&f, "total-records"), "210");
	CHECK(fx_snapshot(&f) != before);
	/* Rows in a file that only partly match: the rest is kept. */
	CHECK_OK(pond_table_overwrite_query(f.lake, &f.id, "select 1000, 0, 'x'", "k = 0 and id < 30", NULL, &r, &err),
	         &err);
	CHECK_STR(fx_query(&f, "count(*)", 0), "201");
	CHECK_STR(fx_query(&f, "count(*) filter (where k = 0)", 0), "91");
	fx_teardown(&f);
}
