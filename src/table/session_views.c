/*
 * Pond views in SQL sessions. A pond view is a name and a SELECT kept in
 * the catalog database (table pond_views, written by the transform layer
 * for `materialized: view` models), so every SQL session of the project
 * can read it like a table. When a statement names one, its SELECT has its
 * own catalog tables (and views) bound first, then it is defined in DuckDB
 * as a view of that name. Views are not stored in DuckDB between runs:
 * the catalog database is the one place they live.
 */
#include "session_internal.h"

#include <string.h>

/* Views reading views reading views: past this, a definition loop. */
#define VIEW_DEPTH_MAX 16

typedef struct {
	const char *sql;
	pond_arena *arena;
} view_row;

static int take_sql(int ncols, const char *const *names, const char *const *values, void *payload)
{
	view_row *row = payload;
	(void)names;
	if (ncols > 0 && values[0])
		row->sql = pond_arena_strdup(row->arena, values[0]);
	return 0;
}

static int take_any(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols;
	(void)names;
	(void)values;
	*(bool *)payload = true;
	return 0;
}

/* Whether pond_views exists, asked in a way that is never an error (an
 * error would abort a PostgreSQL transaction and fill its log). Only a
 * yes is remembered: views may appear while a session is open. */
static int have_views_table(pond_session *s, bool *out, pond_error *err)
{
	if (s->has_views_table) {
		*out = true;
		return 0;
	}
	pond_catalog *cat = s->lake->catalog;
	const char *probe = strcmp(pond_catalog_backend(cat), "postgresql") == 0
	                        ? "SELECT 1 FROM pg_catalog.pg_tables WHERE tablename = 'pond_views' AND schemaname = current_schema()"
	                        : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pond_views'";
	bool found = false;
	int rc = pond_catalog_query(cat, probe, NULL, 0, take_any, &found, err);
	s->has_views_table = found;
	*out = found;
	return rc;
}

int pond__session_view_sql(pond_session *s, const pond_table_ident *id, pond_arena *a, const char **sql,
                           pond_error *err)
{
	*sql = NULL;
	bool present = false;
	int rc = have_views_table(s, &present, err);
	if (rc || !present || id->ns.nlevels != 1)
		return rc;
	const char *params[] = {pond_catalog_name(s->lake->catalog), id->ns.levels[0], id->name};
	view_row row = {NULL, a};
	rc = pond_catalog_query(s->lake->catalog,
	                        "SELECT view_sql FROM pond_views WHERE catalog_name = ? AND view_namespace = ? AND view_name = ?",
	                        params, 3, take_sql, &row, err);
	*sql = row.sql;
	return rc;
}

int pond__session_bind_view(pond_session *s, const session_ref *r, pond_arena *a, pond_error *err)
{
	const char *name = pond_table_ident_format(a, &r->id);
	if (r->at != SESSION_AT_NONE)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s is a view: views cannot be read at a snapshot", name);
	if (s->view_depth >= VIEW_DEPTH_MAX)
		return pond_error_set(err, POND_ELIMIT, "view %s: views nest more than %d deep (a view reads itself?)", name,
		                      VIEW_DEPTH_MAX);
	const char *body;
	s->view_depth++;
	int rc = pond__session_bind(s, r->view_sql, a, &body, NULL, err);
	s->view_depth--;
	if (rc)
		return pond_error_prefix(err, "view %s", name);
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
	pond_sql_quote_ident(&sql, r->id.ns.levels[0]);
	pond_buf_puts(&sql, "; CREATE OR REPLACE VIEW ");
	pond_sql_quote_ident(&sql, r->id.ns.levels[0]);
	pond_buf_putc(&sql, '.');
	pond_sql_quote_ident(&sql, r->id.name);
	pond_buf_printf(&sql, " AS %s", body);
	rc = pond_buf_ok(&sql) ? pond_engine_exec(s->lake->engine, pond_buf_cstr(&sql), err)
	                       : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	if (rc && rc != POND_ENOMEM)
		pond_error_prefix(err, "view %s", name);
	return rc;
}
