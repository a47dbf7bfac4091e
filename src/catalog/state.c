/*
 * pond's state schema: the tables each layer keeps beside the Iceberg
 * catalog tables (run history, model runs, views), versioned per component
 * in table pond_schema_version. A layer declares its tables as an ordered
 * list of migrations (pond_catalog_schema); pond_catalog_migrate runs the
 * ones a database has not seen, under the backend's DDL lock, and records
 * the version in the same transaction. The first migration of every
 * component is the CREATE TABLE IF NOT EXISTS text pond used before versions
 * were recorded, which is how a database made by an older pond is adopted.
 */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_internal.h"

static const char *const version_table_sql[] = {
	"CREATE TABLE IF NOT EXISTS pond_schema_version ("
	"component VARCHAR(64) NOT NULL PRIMARY KEY, "
	"version INTEGER NOT NULL, "
	"migrated_ms BIGINT)",
};

static int note_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	*(bool *)payload = true;
	return 0;
}

int pond_catalog_has_table(pond_catalog *cat, const char *table, bool *out, pond_error *err)
{
	*out = false;
	const char *params[] = {table};
	return pond_catalog_query(cat, cat->backend->table_exists_sql, params, 1, note_row, out, err);
}

static int take_version(int ncols, const char *const *names, const char *const *values, void *payload)
{
	int64_t v = 0;
	if (ncols > 0 && values[0] && pond_str_to_i64(values[0], &v) && v >= 0 && v <= 1000000)
		*(int *)payload = (int)v;
	return 0;
}

/* The recorded version, pond_schema_version known to exist. */
static int read_version(pond_catalog *cat, const char *component, int *out, pond_error *err)
{
	*out = 0;
	const char *params[] = {component};
	return pond_catalog_query(cat, "SELECT version FROM pond_schema_version WHERE component = ?", params, 1,
	                          take_version, out, err);
}

int pond_catalog_schema_version(pond_catalog *cat, const char *component, int *out, pond_error *err)
{
	bool present = false;
	*out = 0;
	int rc = pond_catalog_has_table(cat, "pond_schema_version", &present, err);
	return rc || !present ? rc : read_version(cat, component, out, err);
}

static bool remembered(const pond_catalog *cat, const pond_catalog_schema *schema)
{
	for (size_t i = 0; i < cat->nmigrated; i++)
		if (cat->migrated[i] == schema)
			return true;
	return false;
}

static void remember(pond_catalog *cat, const pond_catalog_schema *schema)
{
	if (cat->nmigrated < POND__CATALOG_MAX_SCHEMAS)
		cat->migrated[cat->nmigrated++] = schema;
}

/* Inside the write transaction, after the DDL lock: reads the version again
 * (another process may have migrated meanwhile) and runs what is missing. */
static int migrate_in_tx(pond_catalog *cat, void *payload, pond_error *err)
{
	const pond_catalog_schema *schema = payload;
	int version = 0;
	pond__catalog_statements version_table = {version_table_sql, 1};
	int rc = pond__catalog_exec_all(cat, &version_table, err);
	if (!rc)
		rc = read_version(cat, schema->component, &version, err);
	if (rc || (size_t)version >= schema->nmigrations)
		return rc;
	for (size_t m = (size_t)version; m < schema->nmigrations; m++) {
		pond__catalog_statements step = {schema->migrations[m].statements, schema->migrations[m].nstatements};
		if ((rc = pond__catalog_exec_all(cat, &step, err)) != 0)
			return pond_error_prefix(err, "migration %zu", m + 1);
	}
	char to[24], now[24];
	snprintf(to, sizeof(to), "%zu", schema->nmigrations);
	snprintf(now, sizeof(now), "%lld", (long long)pond_time_now_ms());
	const char *params[] = {schema->component, to, now};
	return pond_catalog_exec(cat,
	                         "INSERT INTO pond_schema_version (component, version, migrated_ms) "
	                         "VALUES (?, CAST(? AS INTEGER), CAST(? AS BIGINT)) "
	                         "ON CONFLICT (component) DO UPDATE SET version = excluded.version, "
	                         "migrated_ms = excluded.migrated_ms",
	                         params, 3, NULL, err);
}

int pond_catalog_migrate(pond_catalog *cat, const pond_catalog_schema *schema, pond_error *err)
{
	if (remembered(cat, schema))
		return 0;
	/* Up to date already: a read, without taking the write lock. */
	int version = 0;
	int rc = pond_catalog_schema_version(cat, schema->component, &version, err);
	if (rc == 0 && (size_t)version < schema->nmigrations)
		rc = pond__catalog_ddl_tx(cat, migrate_in_tx, (void *)schema, err);
	if (rc)
		return pond_error_prefix(err, "could not bring pond's %s tables up to date", schema->component);
	/* Inside the caller's transaction the migration may yet be rolled back. */
	if (!cat->in_tx)
		remember(cat, schema);
	return 0;
}
