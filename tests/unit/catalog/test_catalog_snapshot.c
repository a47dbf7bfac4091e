/*
 * pond_catalog_snapshot: a consistent copy of the whole catalog database
 * (the catalog's tables and pond's state tables) in a new SQLite file.
 */
#include <stdio.h>
#include <string.h>

#include "pond/catalog.h"
#include "../test.h"

static int count_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols; (void)names;
	snprintf(payload, 32, "%s", values[0] ? values[0] : "NULL");
	return 0;
}

TEST(catalog_snapshot_copies_every_table_and_row_of_a_sqlite_catalog)
{
	pond_error err = POND_ERROR_INIT;
	char path[4096], copy[4096], value[32] = "";
	snprintf(path, sizeof path, "%s/catalog.db", pond_test_tmpdir());
	snprintf(copy, sizeof copy, "%s/copy/catalog.db", pond_test_tmpdir());
	pond_catalog *cat, *back;
	CHECK_OK(pond_catalog_open(&cat, path, NULL, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &POND_NS("sales"), NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(cat, &POND_NS("sales"), "orders", "/w/sales/orders/m.json", &err), &err);
	CHECK_OK(pond_catalog_exec(cat, "CREATE TABLE pond_buffer_test (id BIGINT, v TEXT)", NULL, 0, NULL, &err),
	         &err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_buffer_test VALUES (1, 'a'), (2, NULL)", NULL, 0, NULL, &err),
	         &err);
	CHECK_OK(pond_mkdirs(pond_test_tmpdir(), &err), &err);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/copy", pond_test_tmpdir());
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	CHECK_OK(pond_file_write_atomic(copy, "not a database", 14, &err), &err); /* replaced */
	CHECK_OK(pond_catalog_snapshot(cat, copy, &err), &err);
	/* Writes after the copy are not in it. */
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_buffer_test VALUES (3, 'late')", NULL, 0, NULL, &err), &err);
	pond_catalog_options o = POND_CATALOG_OPTIONS_INIT;
	o.create_tables = false;
	CHECK_OK(pond_catalog_open(&back, copy, &o, &err), &err);
	pond_arena *a = pond_arena_new();
	pond_catalog_table t;
	CHECK_OK(pond_catalog_load_table(back, &POND_NS("sales"), "orders", a, &t, &err), &err);
	CHECK_STR(t.metadata_location, "/w/sales/orders/m.json");
	CHECK_OK(pond_catalog_query(back, "SELECT count(*) || ',' || sum(id) FROM pond_buffer_test", NULL, 0, count_row,
	                            value, &err),
	         &err);
	CHECK_STR(value, "2,3");
	pond_arena_free(&a);
	/* Not inside a transaction: the copy would not see its writes. */
	CHECK_OK(pond_catalog_tx_begin(cat, &err), &err);
	CHECK(pond_catalog_snapshot(cat, copy, &err) == POND_EINVAL);
	pond_catalog_tx_rollback(cat);
	pond_catalog_close(&back);
	pond_catalog_close(&cat);
}
