/*
 * Pond views in the catalog database: table pond_views, one row per view
 * (its SELECT and the model file it came from), a versioned "views" schema
 * of pond's state (pond_catalog_migrate). This file is the one place its
 * SQL lives: the transform layer stores views through pond_view_put and
 * pond_view_drop, SQL sessions read them through pond__view_sql
 * (session_views.c).
 */
#include "table_internal.h"

#include <stdio.h>

static const char *const views_v1[] = {
	"CREATE TABLE IF NOT EXISTS pond_views ("
	"catalog_name VARCHAR(255) NOT NULL, "
	"view_namespace VARCHAR(255) NOT NULL, "
	"view_name VARCHAR(255) NOT NULL, "
	"view_sql TEXT NOT NULL, "
	"model_path VARCHAR(1000), "
	"updated_at BIGINT, "
	"PRIMARY KEY (catalog_name, view_namespace, view_name))",
};

/* Version 1 is the text the transform layer used before versions were
 * recorded. Append migrations; never edit a released one. */
static const pond_catalog_migration views_migrations[] = {
	{views_v1, sizeof(views_v1) / sizeof(views_v1[0])},
};

static const pond_catalog_schema views_schema = {
	"views", views_migrations, sizeof(views_migrations) / sizeof(views_migrations[0]),
};

static int check_ident(const pond_table_ident *id, pond_error *err)
{
	if (id->ns.nlevels == 1)
		return 0;
	return pond_error_set(err, POND_EUNSUPPORTED, "view %s: a view's namespace has one level", id->name);
}

int pond_view_put(pond_catalog *catalog, const pond_table_ident *id, const char *select_sql, const char *model_path,
                  pond_error *err)
{
	int rc = check_ident(id, err);
	if (rc || (rc = pond_catalog_migrate(catalog, &views_schema, err)) != 0)
		return rc;
	char now[24];
	snprintf(now, sizeof(now), "%lld", (long long)pond_time_now_ms());
	const char *params[] = {pond_catalog_name(catalog), id->ns.levels[0], id->name, select_sql, model_path, now};
	return pond_catalog_exec(catalog,
	                         "INSERT INTO pond_views (catalog_name, view_namespace, view_name, view_sql, model_path, "
	                         "updated_at) VALUES (?, ?, ?, ?, ?, CAST(? AS BIGINT)) "
	                         "ON CONFLICT (catalog_name, view_namespace, view_name) DO UPDATE SET "
	                         "view_sql = excluded.view_sql, model_path = excluded.model_path, "
	                         "updated_at = excluded.updated_at",
	                         params, 6, NULL, err);
}

int pond_view_drop(pond_catalog *catalog, const pond_table_ident *id, bool *dropped, pond_error *err)
{
	long changes = 0;
	if (dropped)
		*dropped = false;
	if (id->ns.nlevels != 1)
		return 0; /* no such view can exist */
	int rc = pond_catalog_migrate(catalog, &views_schema, err);
	if (rc)
		return rc;
	const char *params[] = {pond_catalog_name(catalog), id->ns.levels[0], id->name};
	rc = pond_catalog_exec(catalog,
	                       "DELETE FROM pond_views WHERE catalog_name = ? AND view_namespace = ? AND view_name = ?",
	                       params, 3, &changes, err);
	if (dropped)
		*dropped = changes > 0;
	return rc;
}

typedef struct {
	pond_arena *arena;
	const char *sql;
} view_row;

static int take_sql(int ncols, const char *const *names, const char *const *values, void *payload)
{
	view_row *row = payload;
	if (ncols > 0 && values[0] && !(row->sql = pond_arena_strdup(row->arena, values[0])))
		return POND_ENOMEM;
	return 0;
}

int pond__view_sql(pond_catalog *catalog, const pond_table_ident *id, bool *table_seen, pond_arena *arena,
                   const char **select_sql, pond_error *err)
{
	*select_sql = NULL;
	if (id->ns.nlevels != 1)
		return 0;
	/* Probe first: a missing table must not be an error, which would abort
	 * an open PostgreSQL transaction and fill its log. Only a yes is
	 * remembered: views may appear while a session is open. */
	int rc = 0;
	if (!*table_seen && ((rc = pond_catalog_has_table(catalog, "pond_views", table_seen, err)) != 0 || !*table_seen))
		return rc;
	const char *params[] = {pond_catalog_name(catalog), id->ns.levels[0], id->name};
	view_row row = {arena, NULL};
	rc = pond_catalog_query(catalog,
	                        "SELECT view_sql FROM pond_views WHERE catalog_name = ? AND view_namespace = ? AND "
	                        "view_name = ?",
	                        params, 3, take_sql, &row, err);
	if (rc == POND_ENOMEM)
		return pond_error_set(err, rc, "out of memory");
	*select_sql = row.sql;
	return rc;
}

int pond_view_sql(pond_catalog *catalog, const pond_table_ident *id, pond_arena *arena, const char **select_sql,
                  pond_error *err)
{
	bool table_seen = false;
	return pond__view_sql(catalog, id, &table_seen, arena, select_sql, err);
}
