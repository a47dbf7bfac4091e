/*
 * CSV, JSON and NDJSON: the row text that exports write and that `pond
 * sql` prints (src/cli/render.c calls the same functions, so a file and a
 * terminal agree), the streaming file writer, and Parquet through DuckDB's
 * COPY. Values are rendered by the engine (pond_value_format).
 */
#include "export_internal.h"

#include <duckdb.h>
#include <stdio.h>
#include <string.h>

void pond_export_csv_field(pond_buf *out, const char *s, size_t len)
{
	bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		pond_buf_put(out, s, len);
		return;
	}
	pond_buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			pond_buf_putc(out, '"');
		pond_buf_putc(out, s[i]);
	}
	pond_buf_putc(out, '"');
}

void pond_export_text_header(pond_buf *out, pond_export_format format, const pond_result *result)
{
	if (format != POND_EXPORT_CSV)
		return;
	idx_t ncols = pond_result_column_count(result);
	for (idx_t c = 0; c < ncols; c++) {
		if (c)
			pond_buf_putc(out, ',');
		const char *name = pond_result_column_name(result, c);
		pond_export_csv_field(out, name, strlen(name));
	}
	pond_buf_putc(out, '\n');
}

void pond_export_text_row(pond_buf *out, pond_buf *scratch, pond_export_format format, const pond_result *result,
                          duckdb_data_chunk chunk, idx_t row, int64_t index)
{
	idx_t ncols = pond_result_column_count(result);
	if (format == POND_EXPORT_CSV) {
		for (idx_t c = 0; c < ncols; c++) {
			if (c)
				pond_buf_putc(out, ',');
			pond_buf_clear(scratch);
			pond_value_format(scratch, duckdb_data_chunk_get_vector(chunk, c), pond_result_column_type(result, c),
			                  row, POND_VALUE_TEXT);
			pond_export_csv_field(out, pond_buf_cstr(scratch), scratch->len);
		}
		pond_buf_putc(out, '\n');
		return;
	}
	if (format == POND_EXPORT_JSON)
		pond_buf_puts(out, index == 0 ? "[\n" : ",\n");
	pond_buf_putc(out, '{');
	for (idx_t c = 0; c < ncols; c++) {
		if (c)
			pond_buf_putc(out, ',');
		const char *name = pond_result_column_name(result, c);
		pond_json_quote(out, name, strlen(name));
		pond_buf_putc(out, ':');
		pond_value_format(out, duckdb_data_chunk_get_vector(chunk, c), pond_result_column_type(result, c), row,
		                  POND_VALUE_JSON);
	}
	pond_buf_putc(out, '}');
	if (format == POND_EXPORT_NDJSON)
		pond_buf_putc(out, '\n');
}

void pond_export_text_end(pond_buf *out, pond_export_format format, int64_t rows)
{
	if (format == POND_EXPORT_JSON)
		pond_buf_puts(out, rows == 0 ? "[]\n" : "\n]\n");
}

/* ---- the file writer --------------------------------------------------------------- */

static int flush(pond_buf *line, FILE *f, const char *path, pond_error *err)
{
	if (!pond_buf_ok(line))
		return pond_error_set(err, POND_ENOMEM, "out of memory writing %s", path);
	if (line->len && fwrite(line->ptr, 1, line->len, f) != line->len)
		return pond_error_set(err, POND_EIO, "could not write %s: %m", path);
	pond_buf_clear(line);
	return 0;
}

int pond__export_write_text(export_run *run, const char *tmp_path, pond_error *err)
{
	pond_export_format format = run->def->format;
	const char *path = run->result->path;
	pond_result *result = NULL;
	int rc = pond__export_query(run, &run->def->sheets[0], &result, err);
	if (rc)
		return rc;
	FILE *f = fopen(tmp_path, "w");
	if (!f) {
		pond_result_free(&result);
		return pond_error_set(err, POND_EIO, "could not write %s: %m", path);
	}
	pond_buf line = POND_BUF_INIT, cell = POND_BUF_INIT;
	int64_t rows = 0;
	pond_export_text_header(&line, format, result);
	duckdb_data_chunk chunk;
	while (rc == 0 && (rc = pond_result_next(result, &chunk, err)) == 1) {
		rc = pond__export_check_cancel(run, err);
		idx_t n = duckdb_data_chunk_get_size(chunk);
		for (idx_t r = 0; rc == 0 && r < n; r++) {
			pond_export_text_row(&line, &cell, format, result, chunk, r, rows++);
			if (line.len > (1 << 16))
				rc = flush(&line, f, path, err);
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	if (rc == 0) {
		pond_export_text_end(&line, format, rows);
		rc = flush(&line, f, path, err);
	}
	if (fclose(f) != 0 && rc == 0)
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", path);
	pond_buf_dispose(&line);
	pond_buf_dispose(&cell);
	pond_result_free(&result);
	run->result->sheets[0].rows = rows;
	return rc;
}

/* ---- Parquet ------------------------------------------------------------------------- */

int pond__export_write_parquet(export_run *run, const char *tmp_path, pond_error *err)
{
	const char *statement;
	int rc = pond__export_statement(run, &run->def->sheets[0], &statement, err);
	if (rc)
		return rc;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "copy (");
	pond_buf_puts(&sql, statement);
	pond_buf_puts(&sql, "\n) to ");
	pond_sql_quote_literal(&sql, tmp_path);
	/* use_tmp_file false: the file is already a temporary one. */
	pond_buf_puts(&sql, " (format parquet, compression zstd, use_tmp_file false)");
	if (!pond_buf_ok(&sql)) {
		pond_buf_dispose(&sql);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_result *result = NULL;
	const char *message = NULL;
	rc = run->session ? pond_session_run(run->session, pond_buf_cstr(&sql), run->arena, &result, &message, err)
	                  : pond_engine_query(run->engine, pond_buf_cstr(&sql), &result, err);
	if (rc)
		pond_error_prefix(err, "%s", run->def->what);
	else
		run->result->sheets[0].rows = result ? pond_result_rows_changed(result) : 0;
	pond_result_free(&result);
	pond_buf_dispose(&sql);
	return rc;
}
