/*
 * A fixture the table-layer tests (and the layers above: ingest, transform,
 * export, server) share: a fresh project with a SQLite catalog in the test's
 * tmpdir, its lake, one table name and, on demand, a SQL session; helpers to
 * create the table from a query, append to it and read it back through the
 * scan SQL. Helpers print what failed on stderr and return -1, NULL or a
 * "(...)" text, so a test checks one value.
 */
#ifndef POND_TEST_TABLE_FIXTURE_H
#define POND_TEST_TABLE_FIXTURE_H

#include "pond/table.h"

typedef struct table_fixture {
	pond_arena *a;
	pond_project *project;
	pond_lake *lake;
	pond_table_ident id;
	pond_session *session; /* NULL until fx_session */
} table_fixture;

/* Opens a new project (in pond_test_tmpdir()/proj) and names table. Its
 * lake writes through (pond_lake_set_write_through): every append is a
 * snapshot. */
int fx_setup(table_fixture *f, const char *table);
/* The same in pond_test_tmpdir()/folder; table may be NULL (f->id empty). */
int fx_setup_in(table_fixture *f, const char *folder, const char *table);
/* Opens the existing project in pond_test_tmpdir()/folder (a backup's
 * restore, say) as a fixture on table, writing through as fx_setup's. */
int fx_open_existing(table_fixture *f, const char *folder, const char *table);
/* The same in pond_test_tmpdir()/proj-pg with its catalog in the
 * PostgreSQL database catalog_url, under a catalog name of its own. */
int fx_setup_pg(table_fixture *f, const char *table, const char *catalog_url);
/* The same in pond_test_tmpdir()/folder with its warehouse on the suite's
 * S3 test server (POND_TEST_S3_URL), in a new bucket (named into bucket,
 * room for 64) under the prefix wh; credentials come through variables
 * pond.yml names. */
int fx_setup_s3(table_fixture *f, const char *folder, const char *table, char *bucket);
/* Closes the session, the lake and the project; frees the arena. */
void fx_teardown(table_fixture *f);

/* The fixture's SQL session, opened on first use (NULL on failure); closed
 * by fx_teardown. */
pond_session *fx_session(table_fixture *f);

/* Creates f->id with the schema of query, partitioned by spec_json (an
 * Iceberg partition spec over the query's column ids; NULL: none). */
int fx_create(table_fixture *f, const char *query, const char *spec_json);
/* Creates f->id (identity-partitioned on identity_col when not NULL) and
 * appends the query's rows. */
int fx_create_with(table_fixture *f, const char *query, const char *identity_col);

/* Appends the query's rows to f->id: the new snapshot id, -1 on failure. */
int64_t fx_append(table_fixture *f, const char *query);

/* "select EXPR from <the table at snapshot_id (0: current)>", as text in
 * the arena ("NULL" for SQL NULL; "(...)" on failure). */
const char *fx_query(table_fixture *f, const char *expr, int64_t snapshot_id);
/* The same over the current snapshot of the table named table ("ns.t");
 * "(no table)" when it cannot be loaded. */
const char *fx_query_named(table_fixture *f, const char *table, const char *expr);
/* The rows of a query through the fixture's session (its WHERE prunes:
 * the query is bound, then wrapped), sorted, one per line, in the
 * fixture's arena; "(failed)" on failure. */
const char *fx_rows(table_fixture *f, const char *query);
/* The same from a plain DuckDB engine e (a reference holding native
 * tables), in arena a. */
const char *fx_engine_rows(pond_engine *e, pond_arena *a, const char *query);
/* A current snapshot summary entry ("operation" too), or NULL. */
const char *fx_summary(table_fixture *f, const char *key);
/* The current snapshot id, -1 when the table cannot be loaded. */
int64_t fx_snapshot(table_fixture *f);
/* The table as it is now (NULL on failure); free with pond_table_free. */
pond_table *fx_load(table_fixture *f);
/* The table named name ("ns.t") as it is now; NULL when it cannot be
 * loaded (a missing table included, quietly). */
pond_table *fx_load_named(table_fixture *f, const char *name);

/* ---- the table's files (fixture_files.c) ---- */

/* Rows of the table at snapshot (0: current) that are not in other_sql,
 * and rows of other_sql not in the table (EXCEPT ALL both ways): "0 0"
 * when they hold the same rows. */
const char *fx_diff_rows(table_fixture *f, int64_t snapshot, const char *other_sql);
/* The read SQL of the table at snapshot (time travel), in f's arena. */
const char *fx_snapshot_sql(table_fixture *f, int64_t snapshot);
/* Runs sql on the fixture's engine (native DuckDB tables for reference). */
int fx_engine_exec(table_fixture *f, const char *sql);
/* The current snapshot's plan (NULL on failure): files, sequence numbers;
 * *io (the caller frees both) carries the table's remap. */
pond_scan_plan *fx_current_plan(table_fixture *f, pond_fileio **io);
int64_t fx_count_data_files(table_fixture *f);
int64_t fx_count_delete_files(table_fixture *f);
/* Regular files below dir whose names end with suffix (NULL: all); -1
 * when dir cannot be walked. */
int64_t fx_count_files(const char *dir, const char *suffix);
/* Writes n bytes to the file name in the test's tmpdir: its path (in f's
 * arena), NULL when it cannot be written. fx_write_text: a string. */
const char *fx_write_bytes(table_fixture *f, const char *name, const char *bytes, size_t n);
const char *fx_write_text(table_fixture *f, const char *name, const char *text);
/* Writes rows_sql as a delete file of f->id and commits it through lake,
 * as another engine would (pond writes none): position deletes (columns
 * file_path, pos; all in the data file referenced, when not NULL, as
 * writers record now) or equality deletes on the column of field id
 * eq_field (rows_sql's one column has its name). partition: the file's
 * tuple under the default spec, one value per field (NULL: unpartitioned). */
int fx_add_delete_file(table_fixture *f, pond_lake *lake, pond_file_content content, const char *rows_sql,
                       int32_t eq_field, const char *referenced, const pond_iceberg_literal *partition);
/* The path of the current data file holding the row with id (NULL: none). */
const char *fx_file_of_id(table_fixture *f, int64_t id);

#endif
