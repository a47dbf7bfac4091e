/*
 * Pond views in SQL sessions. A pond view is a name and a SELECT kept in
 * the catalog database (views.c keeps them; the transform layer stores one
 * per `materialized: view` model), so every SQL session of the project
 * can read it like a table. When a statement names one, its SELECT has its
 * own catalog tables (and views) bound first, then it is defined in DuckDB
 * as a view of that name. Views are not stored in DuckDB between runs:
 * the catalog database is the one place they live.
 */
#include "session_internal.h"

#include <string.h>

/* Views reading views reading views: past this, a definition loop. */
#define VIEW_DEPTH_MAX 16

int pond__session_view_sql(pond_session *s, const pond_table_ident *id, pond_arena *a, const char **sql,
                           pond_error *err)
{
	return pond__view_sql(s->lake->catalog, id, &s->has_views_table, a, sql, err);
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
