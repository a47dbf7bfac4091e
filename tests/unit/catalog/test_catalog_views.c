/*
 * Views in the SQL catalog: iceberg_tables rows with iceberg_type 'VIEW'
 * (Java's JdbcCatalog), kept apart from tables in every listing and lookup
 * but sharing their name space. Each test runs on SQLite and PostgreSQL.
 */
#include <stdio.h>
#include <string.h>

#include "catalog_test_util.h"

static int take_type(int ncols, const char *const *names, const char *const *values, void *payload)
{
	snprintf(payload, 16, "%s", values[0] ? values[0] : "(null)");
	return 0;
}

CATALOG_TEST(catalog_views_are_view_rows_apart_from_tables)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = NULL;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	pond_arena *arena = pond_arena_new();
	pond_ns db = POND_NS("db"), other = POND_NS("other");
	CHECK_OK(pond_catalog_create_namespace(cat, &db, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &other, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(cat, &db, "t", "/w/t/metadata/00000-a.metadata.json", &err), &err);
	CHECK_OK(pond_catalog_create_view(cat, &db, "v", "/w/v/metadata/00000-b.metadata.json", &err), &err);

	/* the row is Java's: iceberg_type 'VIEW' */
	char type[16] = "";
	const char *params[] = {"db", "v"};
	CHECK_OK(pond_catalog_query(cat, "SELECT iceberg_type FROM iceberg_tables WHERE table_namespace = ? AND "
	                            "table_name = ?", params, 2, take_type, type, &err), &err);
	CHECK_STR(type, "VIEW");

	const char **names;
	size_t n;
	CHECK_OK(pond_catalog_list_tables(cat, &db, arena, &names, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_STR(names[0], "t");
	CHECK_OK(pond_catalog_list_views(cat, &db, arena, &names, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_STR(names[0], "v");
	CHECK_INT(pond_catalog_list_views(cat, &POND_NS("nowhere"), arena, &names, &n, &err), POND_ENOTFOUND);

	bool exists;
	CHECK_OK(pond_catalog_view_exists(cat, &db, "v", &exists, &err), &err);
	CHECK(exists);
	CHECK_OK(pond_catalog_view_exists(cat, &db, "t", &exists, &err), &err);
	CHECK(!exists);
	CHECK_OK(pond_catalog_table_exists(cat, &db, "v", &exists, &err), &err);
	CHECK(!exists);
	pond_catalog_table row;
	CHECK_INT(pond_catalog_load_table(cat, &db, "v", arena, &row, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "table db.v does not exist");
	CHECK_INT(pond_catalog_load_view(cat, &db, "t", arena, &row, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "view db.t does not exist");
	CHECK_OK(pond_catalog_load_view(cat, &db, "v", arena, &row, &err), &err);
	CHECK_STR(row.metadata_location, "/w/v/metadata/00000-b.metadata.json");
	CHECK(row.previous_metadata_location == NULL);

	/* one name space: a view cannot take a table's name, nor the reverse */
	CHECK_INT(pond_catalog_create_view(cat, &db, "t", "/w/x.json", &err), POND_EEXISTS);
	CHECK_STR(err.msg, "cannot create view db.t: table db.t already exists");
	CHECK_INT(pond_catalog_create_table(cat, &db, "v", "/w/x.json", &err), POND_EEXISTS);
	CHECK_STR(err.msg, "cannot create table db.v: view db.v already exists");
	CHECK_INT(pond_catalog_create_view(cat, &db, "v", "/w/x.json", &err), POND_EEXISTS);
	CHECK_STR(err.msg, "view db.v already exists");
	CHECK_INT(pond_catalog_rename_view(cat, &db, "v", &db, "t", &err), POND_EEXISTS);
	CHECK_STR(err.msg, "cannot rename db.v: table db.t already exists");
	CHECK_INT(pond_catalog_rename_table(cat, &db, "t", &db, "v", &err), POND_EEXISTS);
	CHECK_STR(err.msg, "cannot rename db.t: view db.v already exists");

	/* table calls do not touch views, and view calls do not touch tables */
	CHECK_INT(pond_catalog_drop_table(cat, &db, "v", &err), POND_ENOTFOUND);
	CHECK_INT(pond_catalog_drop_view(cat, &db, "t", &err), POND_ENOTFOUND);
	CHECK_INT(pond_catalog_commit_view(cat, &db, "t", "/w/t/metadata/00000-a.metadata.json", "/w/y.json", &err),
	          POND_ENOTFOUND);
	CHECK_STR(err.msg, "view db.t does not exist");
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}

CATALOG_TEST(catalog_view_commit_rename_and_drop)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = NULL;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	pond_arena *arena = pond_arena_new();
	pond_ns db = POND_NS("db"), other = POND_NS("other");
	CHECK_OK(pond_catalog_create_namespace(cat, &db, NULL, 0, &err), &err);
	const char *m0 = "/w/v/metadata/00000-a.metadata.json", *m1 = "/w/v/metadata/00001-b.metadata.json";
	CHECK_OK(pond_catalog_create_view(cat, &db, "v", m0, &err), &err);

	/* the commit is a compare-and-swap, as for tables */
	CHECK_OK(pond_catalog_commit_view(cat, &db, "v", m0, m1, &err), &err);
	CHECK_INT(pond_catalog_commit_view(cat, &db, "v", m0, "/w/v/metadata/00001-c.metadata.json", &err),
	          POND_ECONFLICT);
	CHECK_STR(err.msg, "commit conflict on db.v: metadata changed since it was read");
	pond_catalog_table row;
	CHECK_OK(pond_catalog_load_view(cat, &db, "v", arena, &row, &err), &err);
	CHECK_STR(row.metadata_location, m1);
	CHECK_STR(row.previous_metadata_location, m0);

	/* rename: the target namespace must exist */
	CHECK_INT(pond_catalog_rename_view(cat, &db, "v", &other, "w", &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "namespace other does not exist");
	CHECK_OK(pond_catalog_create_namespace(cat, &other, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_rename_view(cat, &db, "v", &other, "w", &err), &err);
	CHECK_INT(pond_catalog_load_view(cat, &db, "v", arena, &row, &err), POND_ENOTFOUND);
	CHECK_OK(pond_catalog_load_view(cat, &other, "w", arena, &row, &err), &err);
	CHECK_STR(row.metadata_location, m1);
	CHECK_INT(pond_catalog_rename_view(cat, &db, "ghost", &other, "g", &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "view db.ghost does not exist");

	/* a namespace holding only a view is not empty */
	CHECK_INT(pond_catalog_drop_namespace(cat, &other, &err), POND_EINVAL);
	CHECK_OK(pond_catalog_drop_view(cat, &other, "w", &err), &err);
	CHECK_INT(pond_catalog_drop_view(cat, &other, "w", &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "view other.w does not exist");
	CHECK_OK(pond_catalog_drop_namespace(cat, &other, &err), &err);
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}
