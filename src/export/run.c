/*
 * Running an export: expand the destination, reserve a temporary file
 * beside it, let the format's writer fill it, and rename it into place;
 * on any failure remove the temporary file, so the destination is either
 * the complete new file or what was there before. Queries run through a
 * SQL session (catalog tables) or straight on the engine (files).
 */
#include "export_internal.h"

#include <jansson.h>
#include <string.h>

/* "exports/x.yml:LINE: " for a defined export; "" for a one-off query. */
static void where(pond_buf *b, const pond_export *def, int line)
{
	if (pond_str_ends_with(def->what, ".yml"))
		pond_buf_printf(b, "%s:%d: ", def->what, line > 0 ? line : 1);
}

static bool is_read_only(const char *sql)
{
	static const char *const readers[] = {"select", "with", "from", "values", "table", "pivot", "unpivot",
	                                     "summarize", "describe", "show", NULL};
	const char *p = sql;
	pond_sql_token tok;
	while (pond_sql_next_token(&p, &tok) && tok.kind == POND_TOK_SYMBOL && tok.len == 1 && tok.start[0] == '(')
		;
	if (tok.kind != POND_TOK_WORD)
		return false;
	for (const char *const *w = readers; *w; w++)
		if (pond_sql_token_is(&tok, *w))
			return true;
	return false;
}

int pond__export_statement(export_run *run, const pond_export_sheet *sheet, const char **out, pond_error *err)
{
	char **stmts;
	size_t n;
	pond_buf at = POND_BUF_INIT;
	where(&at, run->def, sheet->line);
	if (sheet->name && run->def->nsheets > 1)
		pond_buf_printf(&at, "sheet %s: ", sheet->name);
	int rc = pond_sql_split(sheet->sql, run->arena, &stmts, &n, err);
	if (rc)
		pond_error_prefix(err, "%s", pond_buf_cstr(&at));
	else if (n != 1)
		rc = pond_error_set(err, POND_EINVAL, "%sthe query must be one statement, not %zu", pond_buf_cstr(&at), n);
	else if (!is_read_only(stmts[0]))
		rc = pond_error_set(err, POND_EINVAL, "%san export query must read only (select, with, from, values, ...)",
		                    pond_buf_cstr(&at));
	else
		*out = stmts[0];
	pond_buf_dispose(&at);
	return rc;
}

int pond__export_query(export_run *run, const pond_export_sheet *sheet, pond_result **out, pond_error *err)
{
	const char *sql;
	int rc = pond__export_statement(run, sheet, &sql, err);
	if (rc)
		return rc;
	const char *message = NULL;
	*out = NULL;
	rc = run->session ? pond_session_run(run->session, sql, run->arena, out, &message, err)
	                  : pond_engine_query(run->engine, sql, out, err);
	if (rc == 0 && (!*out || !pond_result_has_rows(*out))) {
		pond_result_free(out);
		rc = pond_error_set(err, POND_EINVAL, "the query returns no rows to export");
	}
	if (rc) {
		pond_buf at = POND_BUF_INIT;
		where(&at, run->def, sheet->line);
		if (sheet->name && run->def->nsheets > 1)
			pond_buf_printf(&at, "sheet %s: ", sheet->name);
		if (at.len)
			pond_error_prefix(err, "%.*s", (int)at.len - 2, pond_buf_cstr(&at));
		pond_buf_dispose(&at);
	}
	return rc;
}

int pond__export_check_cancel(export_run *run, pond_error *err)
{
	if (run->opts->cancel && *run->opts->cancel)
		return pond_error_set(err, POND_ECANCELED, "export canceled; nothing was written");
	return 0;
}

void pond_export_result_dispose(pond_export_result *result)
{
	if (!result)
		return;
	pond_arena_free(&result->arena);
	memset(result, 0, sizeof(*result));
}

json_t *pond_export_result_to_json(const pond_export_result *r)
{
	json_t *sheets = json_array();
	for (size_t i = 0; i < r->nsheets; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "name", r->sheets[i].name ? json_string(r->sheets[i].name) : json_null());
		json_object_set_new(s, "rows", json_integer(r->sheets[i].rows));
		json_array_append_new(sheets, s);
	}
	json_t *j = json_object();
	json_object_set_new(j, "path", r->path ? json_string(r->path) : json_null());
	json_object_set_new(j, "format", json_string(pond_export_format_name(r->format)));
	json_object_set_new(j, "rows", json_integer(r->rows));
	json_object_set_new(j, "bytes", json_integer(r->bytes));
	json_object_set_new(j, "seconds", json_real((double)r->duration_ns / 1e9));
	json_object_set_new(j, "sheets", sheets);
	return j;
}

int pond_export_write(pond_engine *engine, pond_session *session, const pond_export *def,
                      const pond_export_options *opts, pond_export_result *result, pond_error *err)
{
	static const pond_export_options no_opts = POND_EXPORT_OPTIONS_INIT;
	int64_t start = pond_time_mono_ns();
	memset(result, 0, sizeof(*result));
	result->format = def->format;
	if (!opts)
		opts = &no_opts;
	if (!(result->arena = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	result->sheets = pond_arena_calloc(result->arena, def->nsheets, sizeof(*result->sheets));
	if (!result->sheets)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	result->nsheets = def->nsheets;
	for (size_t i = 0; i < def->nsheets; i++)
		if (def->sheets[i].name && !(result->sheets[i].name = pond_arena_strdup(result->arena, def->sheets[i].name)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");

	pond_arena *arena = pond_arena_new();
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	export_run run = {engine, session, def, opts, arena, result};
	export_file file = {0};
	const char *path;
	int rc = pond_export_expand_path(&path, def->path, opts->run_time_us, opts->base_dir, result->arena, err);
	if (rc) {
		pond_buf at = POND_BUF_INIT;
		where(&at, def, def->path_line);
		if (at.len)
			pond_error_prefix(err, "%.*s", (int)at.len - 2, pond_buf_cstr(&at));
		pond_buf_dispose(&at);
	}
	if (rc == 0) {
		result->path = path;
		rc = pond__export_file_open(&file, path, arena, err);
	}
	if (rc == 0) {
		switch (def->format) {
		case POND_EXPORT_XLSX: rc = pond__export_write_xlsx(&run, file.tmp, err); break;
		case POND_EXPORT_PARQUET: rc = pond__export_write_parquet(&run, file.tmp, err); break;
		default: rc = pond__export_write_text(&run, file.tmp, err); break;
		}
		if (rc == 0)
			rc = pond__export_check_cancel(&run, err);
		if (rc == 0)
			rc = pond__export_file_commit(&file, &result->bytes, err);
		else
			pond__export_file_abort(&file);
	}
	if (rc == POND_ECANCELED)
		pond_error_set(err, POND_ECANCELED, "export canceled; nothing was written");
	for (size_t i = 0; i < result->nsheets; i++)
		result->rows += result->sheets[i].rows;
	result->duration_ns = pond_time_mono_ns() - start;
	pond_arena_free(&arena);
	return rc;
}

int pond_export_run(pond_lake *lake, const char *name, const pond_export_options *opts, pond_export_result *result,
                    pond_error *err)
{
	memset(result, 0, sizeof(*result));
	const pond_project *project = pond_lake_project(lake);
	pond_arena *arena = pond_arena_new();
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_export *def;
	pond_session *session = NULL;
	pond_export_options o = POND_EXPORT_OPTIONS_INIT;
	if (opts)
		o = *opts;
	o.base_dir = project->root;
	int rc = pond_export_load(&def, project->root, name, arena, err);
	if (rc == 0)
		rc = pond_session_open(&session, lake, err);
	if (rc == 0)
		rc = pond_export_write(pond_lake_engine(lake), session, def, &o, result, err);
	pond_session_close(&session);
	pond_arena_free(&arena);
	return rc;
}
