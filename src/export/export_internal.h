/*
 * Internals shared by the export layer's files: the destination file
 * (a temporary name beside it, renamed on success), the query runner, and
 * one writer per format. Unit tests reach the Excel row limit here.
 */
#ifndef POND_EXPORT_INTERNAL_H
#define POND_EXPORT_INTERNAL_H

#include "pond/export.h"

/* Rows an Excel sheet holds, the header row included: 1,048,576. Tests
 * lower it to show the limit without writing a million rows. */
extern int64_t pond__export_xlsx_row_limit;

/* A destination being written: `tmp` is a fresh hidden name in the same
 * folder (".NAME.XXXXXX.tmp"), so the rename is atomic. */
typedef struct export_file {
	const char *path;
	char *tmp;           /* arena */
} export_file;

/* Creates the destination's folder when missing and reserves the
 * temporary name (an empty file). */
int pond__export_file_open(export_file *f, const char *path, pond_arena *arena, pond_error *err);
/* Flushes the temporary file to disk and renames it over the destination;
 * *bytes gets its size. On failure the temporary file is removed. */
int pond__export_file_commit(export_file *f, int64_t *bytes, pond_error *err);
/* Removes the temporary file (after a failure). */
void pond__export_file_abort(export_file *f);

/* What the writers share for one run. */
typedef struct export_run {
	pond_engine *engine;
	pond_session *session;      /* NULL: engine only */
	const pond_export *def;
	const pond_export_options *opts;
	pond_arena *arena;
	pond_export_result *result;
} export_run;

/* The sheet's query as one statement (no trailing ';'), refused unless it
 * reads only (SELECT, WITH, FROM, VALUES, TABLE, ...): an export must never
 * change a table. Errors name the definition's line. */
int pond__export_statement(export_run *run, const pond_export_sheet *sheet, const char **out, pond_error *err);
/* Runs one export query (checked to be a single read-only statement) and
 * returns its streaming result. Errors name the definition and sheet. */
int pond__export_query(export_run *run, const pond_export_sheet *sheet, pond_result **out, pond_error *err);
/* Fails with POND_ECANCELED once the run's cancel flag is set. */
int pond__export_check_cancel(export_run *run, pond_error *err);

int pond__export_write_xlsx(export_run *run, const char *tmp_path, pond_error *err);
int pond__export_write_text(export_run *run, const char *tmp_path, pond_error *err);
int pond__export_write_parquet(export_run *run, const char *tmp_path, pond_error *err);

#endif
