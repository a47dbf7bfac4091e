/*
 * A catalog database made by pond before its state schema was versioned
 * (the tables of pipeline/history.c, transform/state.c and the views, as
 * that pond created them, and no pond_schema_version) opens in this pond:
 * each component adopts its tables as version 1, keeps their rows, and a
 * second open changes nothing. On SQLite and PostgreSQL.
 */
#include <stdio.h>
#include <string.h>

#include "../catalog/catalog_test_util.h"
#include "pond/pipeline.h"
#include "pond/table.h"
#include "transform/transform_internal.h"

/* The DDL pond ran before versions were recorded, verbatim. */
static const char *const old_runs_sql[] = {
	"CREATE TABLE IF NOT EXISTS pond_runs ("
	"id BIGINT NOT NULL PRIMARY KEY, pipeline VARCHAR(255) NOT NULL, run_trigger VARCHAR(16) NOT NULL, "
	"parameters TEXT NOT NULL, status VARCHAR(16) NOT NULL, error TEXT, holder VARCHAR(255), "
	"scheduled_ms BIGINT, queued_ms BIGINT NOT NULL, started_ms BIGINT, ended_ms BIGINT)",
	"CREATE INDEX IF NOT EXISTS pond_runs_status ON pond_runs (status, id)",
	"CREATE TABLE IF NOT EXISTS pond_run_steps ("
	"run_id BIGINT NOT NULL, step VARCHAR(255) NOT NULL, attempt INTEGER NOT NULL, status VARCHAR(16) NOT NULL, "
	"row_count BIGINT, byte_count BIGINT, started_ms BIGINT NOT NULL, duration_ms BIGINT, error TEXT, seq BIGINT, "
	"PRIMARY KEY (run_id, step, attempt))",
	"CREATE TABLE IF NOT EXISTS pond_run_logs ("
	"run_id BIGINT NOT NULL, step VARCHAR(255) NOT NULL, log TEXT NOT NULL, PRIMARY KEY (run_id, step))",
	"CREATE TABLE IF NOT EXISTS pond_leases ("
	"pipeline VARCHAR(255) NOT NULL PRIMARY KEY, holder VARCHAR(255) NOT NULL, run_id BIGINT, "
	"expires_ms BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS pond_schedule_state ("
	"pipeline VARCHAR(255) NOT NULL PRIMARY KEY, last_fire_ms BIGINT NOT NULL)",
};

static const char *const old_transform_sql[] = {
	"CREATE TABLE IF NOT EXISTS pond_model_runs ("
	"run_id VARCHAR(64) NOT NULL, "
	"catalog_name VARCHAR(255) NOT NULL, "
	"model VARCHAR(255) NOT NULL, "
	"path VARCHAR(1000), "
	"materialized VARCHAR(16), "
	"status VARCHAR(16) NOT NULL, "
	"snapshot_id BIGINT, "
	"rows_written BIGINT, "
	"duration_ms DOUBLE PRECISION, "
	"model_hash VARCHAR(32), "
	"inputs TEXT, "
	"message TEXT, "
	"started_at BIGINT, "
	"finished_at BIGINT, "
	"PRIMARY KEY (run_id, catalog_name, model))",
	"CREATE TABLE IF NOT EXISTS pond_test_results ("
	"run_id VARCHAR(64) NOT NULL, "
	"catalog_name VARCHAR(255) NOT NULL, "
	"model VARCHAR(255) NOT NULL, "
	"test_name VARCHAR(1000) NOT NULL, "
	"severity VARCHAR(8) NOT NULL, "
	"status VARCHAR(8) NOT NULL, "
	"failures BIGINT, "
	"sample TEXT, "
	"message TEXT, "
	"duration_ms DOUBLE PRECISION, "
	"finished_at BIGINT, "
	"PRIMARY KEY (run_id, catalog_name, model, test_name))",
	"CREATE TABLE IF NOT EXISTS pond_views ("
	"catalog_name VARCHAR(255) NOT NULL, "
	"view_namespace VARCHAR(255) NOT NULL, "
	"view_name VARCHAR(255) NOT NULL, "
	"view_sql TEXT NOT NULL, "
	"model_path VARCHAR(1000), "
	"updated_at BIGINT, "
	"PRIMARY KEY (catalog_name, view_namespace, view_name))",
};


static int first_value(int ncols, const char *const *names, const char *const *values, void *payload)
{
	snprintf(payload, 64, "%s", values[0] ? values[0] : "(null)");
	return 0;
}

static void create_old_database(pond_catalog *cat, pond_error *err)
{
	for (size_t i = 0; i < sizeof(old_runs_sql) / sizeof(old_runs_sql[0]); i++)
		CHECK_OK(pond_catalog_exec(cat, old_runs_sql[i], NULL, 0, NULL, err), err);
	for (size_t i = 0; i < sizeof(old_transform_sql) / sizeof(old_transform_sql[0]); i++)
		CHECK_OK(pond_catalog_exec(cat, old_transform_sql[i], NULL, 0, NULL, err), err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_runs (id, pipeline, run_trigger, parameters, status, "
	                           "queued_ms) VALUES (1, 'daily', 'manual', '{}', 'ok', 1000)", NULL, 0, NULL, err), err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_model_runs (run_id, catalog_name, model, status) "
	                           "VALUES ('r1', 'pond', 'main.m', 'ok')", NULL, 0, NULL, err), err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_views (catalog_name, view_namespace, view_name, view_sql) "
	                           "VALUES ('pond', 'main', 'v', 'SELECT 42 AS answer')", NULL, 0, NULL, err), err);
}

static void check_versions(pond_catalog *cat, int want, pond_error *err)
{
	static const char *const components[] = {"runs", "transform", "views"};
	for (size_t i = 0; i < 3; i++) {
		int version = -1;
		CHECK_OK(pond_catalog_schema_version(cat, components[i], &version, err), err);
		CHECK_MSG(version == want, "%s at version %d, want %d", components[i], version, want);
	}
}

static void open_as_today(pond_catalog *cat, pond_arena *a, pond_error *err)
{
	pond_table_ident v = {POND_NS("main"), "v"};
	const char *sql = NULL;
	CHECK_OK(pond_runs_ensure_tables(cat, err), err);
	CHECK_OK(pond__transform_state_init(cat, err), err);
	CHECK_OK(pond_view_sql(cat, &v, a, &sql, err), err);
	CHECK_STR(sql, "SELECT 42 AS answer");
	CHECK_OK(pond_view_put(cat, &v, sql, "models/v.sql", err), err);
}

CATALOG_TEST(state_database_from_before_versions_opens_and_migrates)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	pond_catalog *cat = NULL;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	create_old_database(cat, &err);
	check_versions(cat, 0, &err);
	open_as_today(cat, a, &err);
	check_versions(cat, 1, &err);
	char value[64] = "";
	CHECK_OK(pond_catalog_query(cat, "SELECT pipeline FROM pond_runs WHERE id = 1", NULL, 0, first_value, value,
	                            &err), &err);
	CHECK_STR(value, "daily");
	CHECK_OK(pond_catalog_query(cat, "SELECT model FROM pond_model_runs WHERE run_id = 'r1'", NULL, 0, first_value,
	                            value, &err), &err);
	CHECK_STR(value, "main.m");
	CHECK_OK(pond_catalog_query(cat, "SELECT model_path FROM pond_views WHERE view_name = 'v'", NULL, 0,
	                            first_value, value, &err), &err);
	CHECK_STR(value, "models/v.sql");
	/* a second pond opening the same database: nothing to do */
	pond_catalog_close(&cat);
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	char when[64] = "";
	CHECK_OK(pond_catalog_query(cat, "SELECT MAX(migrated_ms) FROM pond_schema_version", NULL, 0, first_value, when,
	                            &err), &err);
	open_as_today(cat, a, &err);
	check_versions(cat, 1, &err);
	CHECK_OK(pond_catalog_query(cat, "SELECT MAX(migrated_ms) FROM pond_schema_version", NULL, 0, first_value, value,
	                            &err), &err);
	CHECK_STR(value, when);
	pond_catalog_close(&cat);
	pond_arena_free(&a);
}

TEST(state_views_read_on_a_fresh_database_creates_nothing)
{
	char uri[2048];
	CHECK(catalog_test_uri(BK_SQLITE, uri, sizeof(uri)));
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	pond_catalog *cat = NULL;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	pond_table_ident v = {POND_NS("main"), "nothing"};
	const char *sql = "x";
	CHECK_OK(pond_view_sql(cat, &v, a, &sql, &err), &err);
	CHECK(sql == NULL);
	bool present = true;
	CHECK_OK(pond_catalog_has_table(cat, "pond_views", &present, &err), &err);
	CHECK(!present);
	bool dropped = true;
	CHECK_OK(pond_view_drop(cat, &v, &dropped, &err), &err);
	CHECK(!dropped);
	pond_catalog_close(&cat);
	pond_arena_free(&a);
}
