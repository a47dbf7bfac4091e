/*
 * pond's state schema: versioned migrations per component, recorded in
 * pond_schema_version, on SQLite and on PostgreSQL (catalog_test_util.h).
 * A database made before versions were recorded is adopted; a second run
 * changes nothing; a database a newer pond migrated is used as it is.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "catalog_test_util.h"

/* Version 1 is the CREATE TABLE text a component used before versions
 * were recorded; version 2 adds a column, which fails if run twice. */
static const char *const widget_v1[] = {
	"CREATE TABLE IF NOT EXISTS pond_test_widgets (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL)",
};
static const char *const widget_v2[] = {
	"ALTER TABLE pond_test_widgets ADD COLUMN colour VARCHAR(16)",
	"UPDATE pond_test_widgets SET colour = 'blue'",
};
static const pond_catalog_migration widget_migrations[] = {
	{widget_v1, 1},
	{widget_v2, 2},
};

/* Schemas of one and two versions; distinct objects, as a newer pond's
 * would be. */
static const pond_catalog_schema widgets_v1 = {"widgets", widget_migrations, 1};
static const pond_catalog_schema widgets_v2 = {"widgets", widget_migrations, 2};

static pond_catalog *open_catalog(const char *uri, pond_error *err)
{
	pond_catalog *cat = NULL;
	if (pond_catalog_open(&cat, uri, NULL, err) != 0)
		return NULL;
	return cat;
}

static int first_value(int ncols, const char *const *names, const char *const *values, void *payload)
{
	snprintf(payload, 32, "%s", values[0] ? values[0] : "(null)");
	return 0;
}

CATALOG_TEST(state_migrate_adopts_a_database_made_before_versions)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	/* what an older pond left: its tables and rows, no version table */
	CHECK_OK(pond_catalog_exec(cat, widget_v1[0], NULL, 0, NULL, &err), &err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_test_widgets (id, name) VALUES (1, 'old')", NULL, 0, NULL,
	                           &err), &err);
	bool present = true;
	CHECK_OK(pond_catalog_has_table(cat, "pond_schema_version", &present, &err), &err);
	CHECK(!present);
	int version = -1;
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 0);

	CHECK_OK(pond_catalog_migrate(cat, &widgets_v2, &err), &err);
	CHECK_OK(pond_catalog_has_table(cat, "pond_schema_version", &present, &err), &err);
	CHECK(present);
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 2);
	char colour[32] = "";
	CHECK_OK(pond_catalog_query(cat, "SELECT colour FROM pond_test_widgets WHERE id = 1", NULL, 0, first_value,
	                            colour, &err), &err);
	CHECK_STR(colour, "blue");
	pond_catalog_close(&cat);
}

CATALOG_TEST(state_migrate_runs_only_new_steps_and_twice_is_a_no_op)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v1, &err), &err);
	int version = -1;
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 1);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_test_widgets (id, name) VALUES (7, 'w')", NULL, 0, NULL, &err),
	         &err);
	char when[32] = "";
	CHECK_OK(pond_catalog_query(cat, "SELECT migrated_ms FROM pond_schema_version WHERE component = 'widgets'",
	                            NULL, 0, first_value, when, &err), &err);
	/* the same schema again, on this connection and on a new one */
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v1, &err), &err);
	pond_catalog_close(&cat);
	cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "reopen: %s", err.msg);
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v1, &err), &err);
	char again[32] = "";
	CHECK_OK(pond_catalog_query(cat, "SELECT migrated_ms FROM pond_schema_version WHERE component = 'widgets'",
	                            NULL, 0, first_value, again, &err), &err);
	CHECK_STR(again, when);

	/* a newer pond: only step 2 runs (step 1 again would be harmless, step
	 * 2 again would fail on the existing column) */
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v2, &err), &err);
	pond_catalog_close(&cat);
	cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "reopen: %s", err.msg);
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v2, &err), &err);
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 2);
	char colour[32] = "";
	CHECK_OK(pond_catalog_query(cat, "SELECT colour FROM pond_test_widgets WHERE id = 7", NULL, 0, first_value,
	                            colour, &err), &err);
	CHECK_STR(colour, "blue");

	/* an older pond on a database a newer one migrated changes nothing */
	pond_catalog_close(&cat);
	cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "reopen: %s", err.msg);
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v1, &err), &err);
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 2);
	pond_catalog_close(&cat);
}

CATALOG_TEST(state_migrate_failure_changes_nothing_and_names_the_step)
{
	static const char *const bad_v2[] = {
		"ALTER TABLE pond_test_widgets ADD COLUMN size BIGINT",
		"SELECT no_such_column FROM pond_test_widgets",
	};
	static const pond_catalog_migration bad[] = {{widget_v1, 1}, {bad_v2, 2}};
	static const pond_catalog_schema bad_schema = {"widgets", bad, 2};
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v1, &err), &err);
	CHECK_CODE(pond_catalog_migrate(cat, &bad_schema, &err), POND_ESQL, &err);
	CHECK_CONTAINS(err.msg, "could not bring pond's widgets tables up to date: migration 2");
	int version = -1;
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 1);
	/* the step's first statement was rolled back with it */
	CHECK_OK(pond_catalog_migrate(cat, &widgets_v2, &err), &err);
	CHECK_CODE(pond_catalog_exec(cat, "SELECT size FROM pond_test_widgets", NULL, 0, NULL, &err), POND_ESQL, &err);
	/* inside a caller's transaction: joins it, and its rollback undoes it */
	static const pond_catalog_schema other = {"other", widget_migrations, 1};
	CHECK_OK(pond_catalog_exec(cat, "DROP TABLE pond_test_widgets", NULL, 0, NULL, &err), &err);
	CHECK_OK(pond_catalog_tx_begin(cat, &err), &err);
	CHECK_OK(pond_catalog_migrate(cat, &other, &err), &err);
	CHECK_OK(pond_catalog_schema_version(cat, "other", &version, &err), &err);
	CHECK_INT(version, 1);
	pond_catalog_tx_rollback(cat);
	CHECK_OK(pond_catalog_schema_version(cat, "other", &version, &err), &err);
	CHECK_INT(version, 0);
	bool present = true;
	CHECK_OK(pond_catalog_has_table(cat, "pond_test_widgets", &present, &err), &err);
	CHECK(!present);
	/* not remembered as done: a later call migrates for real */
	CHECK_OK(pond_catalog_migrate(cat, &other, &err), &err);
	CHECK_OK(pond_catalog_has_table(cat, "pond_test_widgets", &present, &err), &err);
	CHECK(present);
	pond_catalog_close(&cat);
}

typedef struct {
	const char *uri;
	int rc;
	pond_error err;
} racer;

static void *race_migrate(void *payload)
{
	racer *r = payload;
	pond_catalog *cat = NULL;
	r->rc = pond_catalog_open(&cat, r->uri, NULL, &r->err);
	if (r->rc == 0)
		r->rc = pond_catalog_migrate(cat, &widgets_v2, &r->err);
	pond_catalog_close(&cat);
	return NULL;
}

CATALOG_TEST(state_migrate_from_several_connections_at_once_runs_each_step_once)
{
	racer r[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		r[i] = (racer){uri, -1, POND_ERROR_INIT};
		CHECK(pthread_create(&t[i], NULL, race_migrate, &r[i]) == 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK_MSG(r[i].rc == 0, "connection %d: %s", i, r[i].err.msg);
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	int version = -1;
	CHECK_OK(pond_catalog_schema_version(cat, "widgets", &version, &err), &err);
	CHECK_INT(version, 2);
	pond_catalog_close(&cat);
}
