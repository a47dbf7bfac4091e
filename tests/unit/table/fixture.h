/*
 * A fixture the table-layer tests share: a fresh project with a SQLite
 * catalog in the test's tmpdir, its lake, and one table name; helpers to
 * create the table from a query and read it back through the scan SQL.
 */
#ifndef POND_TEST_TABLE_FIXTURE_H
#define POND_TEST_TABLE_FIXTURE_H

#include "pond/table.h"

typedef struct table_fixture {
	pond_arena *a;
	pond_project *project;
	pond_lake *lake;
	pond_table_ident id;
} table_fixture;

/* Opens a new project (in pond_test_tmpdir()/proj) and names table. */
int fx_setup(table_fixture *f, const char *table);
void fx_teardown(table_fixture *f);

/* Creates f->id with the schema of query, partitioned by spec_json (an
 * Iceberg partition spec over the query's column ids; NULL: none). */
int fx_create(table_fixture *f, const char *query, const char *spec_json);
/* Creates f->id (identity-partitioned on identity_col when not NULL) and
 * appends the query's rows. */
int fx_create_with(table_fixture *f, const char *query, const char *identity_col);

/* "select EXPR from <the table at snapshot_id (0: current)>", as text in
 * the arena ("NULL" for SQL NULL; "(...)" on failure). */
const char *fx_query(table_fixture *f, const char *expr, int64_t snapshot_id);
/* A current snapshot summary entry ("operation" too), or NULL. */
const char *fx_summary(table_fixture *f, const char *key);
/* The current snapshot id, -1 when the table cannot be loaded. */
int64_t fx_snapshot(table_fixture *f);
/* The table as it is now (NULL on failure); free with pond_table_free. */
pond_table *fx_load(table_fixture *f);

#endif
