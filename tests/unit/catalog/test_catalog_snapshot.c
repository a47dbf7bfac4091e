/*
 * pond_catalog_snapshot: a consistent copy of the whole catalog database
 * (the catalog's tables and pond's state tables) in a new SQLite file, from
 * either backend.
 */
#include <stdio.h>
#include <string.h>

#include "catalog_test_util.h"

static int first_value(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols; (void)names;
	snprintf(payload, 64, "%s", values[0] ? values[0] : "NULL");
	return 0;
}

CATALOG_TEST(catalog_snapshot_copies_every_table_row_and_key)
{
	(void)bk;
	pond_error err = POND_ERROR_INIT;
	char copy[4200], dir[4096], value[64] = "";
	snprintf(dir, sizeof dir, "%s/copy", pond_test_tmpdir());
	snprintf(copy, sizeof copy, "%s/catalog.db", dir);
	pond_catalog *cat, *back;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &POND_NS("sales"), NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(cat, &POND_NS("sales"), "orders", "/w/sales/orders/m.json", &err), &err);
	CHECK_OK(pond_catalog_exec(cat, "CREATE TABLE pond_snap_test (id BIGINT PRIMARY KEY, v TEXT, x DOUBLE PRECISION)",
	                           NULL, 0, NULL, &err),
	         &err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_snap_test VALUES (1, 'a', 1.5), (2, NULL, NULL)", NULL, 0,
	                           NULL, &err),
	         &err);
	CHECK_OK(pond_catalog_exec(cat, "CREATE TABLE other_app (id BIGINT)", NULL, 0, NULL, &err), &err);
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	CHECK_OK(pond_file_write_atomic(copy, "not a database", 14, &err), &err); /* replaced */
	CHECK_OK(pond_catalog_snapshot(cat, copy, &err), &err);
	/* Writes after the copy are not in it. */
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_snap_test VALUES (3, 'late', 0)", NULL, 0, NULL, &err), &err);
	pond_catalog_options o = POND_CATALOG_OPTIONS_INIT;
	o.create_tables = false;
	CHECK_OK(pond_catalog_open(&back, copy, &o, &err), &err);
	pond_arena *a = pond_arena_new();
	pond_catalog_table t;
	CHECK_OK(pond_catalog_load_table(back, &POND_NS("sales"), "orders", a, &t, &err), &err);
	CHECK_STR(t.metadata_location, "/w/sales/orders/m.json");
	pond_arena_free(&a);
	CHECK_OK(pond_catalog_query(back, "SELECT count(*) || ',' || sum(id) || ',' || sum(x) FROM pond_snap_test", NULL,
	                            0, first_value, value, &err),
	         &err);
	CHECK_STR(value, "2,3,1.5");
	CHECK_OK(pond_catalog_query(back, "SELECT coalesce(v, 'null') FROM pond_snap_test WHERE id = 2", NULL, 0,
	                            first_value, value, &err),
	         &err);
	CHECK_STR(value, "null");
	/* Keys came along: a second table of the same name is refused. */
	CHECK_CODE(pond_catalog_create_table(back, &POND_NS("sales"), "orders", "/w/x.json", &err), POND_EEXISTS, &err);
	CHECK_CODE(pond_catalog_exec(back, "INSERT INTO pond_snap_test VALUES (1, 'again', 0)", NULL, 0, NULL, &err),
	           POND_EEXISTS, &err);
	bool has = true;
	CHECK_OK(pond_catalog_has_table(back, "other_app", &has, &err), &err);
	if (bk == BK_PG)
		CHECK(!has); /* only iceberg_* and pond_* tables */
	/* Not inside a transaction: the copy would not see its writes. */
	CHECK_OK(pond_catalog_tx_begin(cat, &err), &err);
	CHECK(pond_catalog_snapshot(cat, copy, &err) == POND_EINVAL);
	pond_catalog_tx_rollback(cat);
	pond_catalog_close(&back);
	pond_catalog_close(&cat);
}
