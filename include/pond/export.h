/*
 * pond export layer: handing results to people. An export is a query (or
 * several: one per Excel sheet) and a destination file. Excel workbooks get
 * typed cells, a bold frozen header with an autofilter, fitted columns,
 * number and date formats and optional charts (libxlsxwriter); CSV, JSON
 * and NDJSON are written by pond's own row writers (the same ones `pond
 * sql` prints with); Parquet by DuckDB's COPY. Definitions live in
 * exports/NAME.yml (docs/exports.md). Every file is written under a
 * temporary name in its destination folder and renamed when complete, so
 * nobody opens half a file and a failed export leaves nothing behind.
 * Relies on the table layer's SQL sessions for catalog tables.
 */
#ifndef POND_EXPORT_H
#define POND_EXPORT_H

#include "pond/engine.h"
#include "pond/table.h"
#include "pond/util.h"

typedef enum {
	POND_EXPORT_XLSX = 0,
	POND_EXPORT_CSV,
	POND_EXPORT_JSON,     /* one JSON array of objects */
	POND_EXPORT_NDJSON,   /* one JSON object per line */
	POND_EXPORT_PARQUET,
} pond_export_format;

/* "xlsx", "csv", "json", "ndjson" (or "jsonl"), "parquet"; false if unknown. */
bool pond_export_format_parse(const char *name, pond_export_format *out);
const char *pond_export_format_name(pond_export_format format);
/* The format a destination's extension names (.xlsx, .csv, .json, .ndjson,
 * .jsonl, .parquet); false when it names none. */
bool pond_export_format_from_path(const char *path, pond_export_format *out);

/* ---- definitions ------------------------------------------------------------ */

typedef enum {
	POND_EXPORT_CHART_LINE = 0,
	POND_EXPORT_CHART_COLUMN,
	POND_EXPORT_CHART_BAR,
} pond_export_chart_type;

/* Settings of one result column (xlsx). */
typedef struct pond_export_column {
	const char *name;     /* the result column it applies to */
	const char *format;   /* an Excel number format ("#,##0.00"); NULL: by type */
	double width;         /* in characters; 0: fitted to the values */
	int line;             /* in the definition, for errors */
} pond_export_column;

/* A native Excel chart beside a sheet's data. */
typedef struct pond_export_chart {
	pond_export_chart_type type;
	const char *x;        /* the category column */
	const char **y;       /* the value columns, one series each */
	size_t ny;
	const char *title;    /* NULL: none */
	int line;
} pond_export_chart;

/* One query and, for xlsx, the sheet it fills. */
typedef struct pond_export_sheet {
	const char *name;     /* sheet name (xlsx); NULL for the other formats */
	const char *sql;      /* one query: SELECT, WITH, FROM, VALUES, TABLE */
	pond_export_column *columns;
	size_t ncolumns;
	const pond_export_chart *chart;  /* NULL: none */
	int line;
} pond_export_sheet;

/* A whole export. Everything lives in the arena it was made in. */
typedef struct pond_export {
	const char *name;     /* "prices"; "query" for one-off exports */
	const char *what;     /* "exports/prices.yml": the prefix of errors */
	pond_export_format format;
	const char *path;     /* destination or template ({date}, ...); s3:// not yet */
	int path_line;
	pond_export_sheet *sheets;  /* several only for xlsx */
	size_t nsheets;
} pond_export;

/* Parses an export definition's YAML text; `what` names it in errors
 * ("exports/NAME.yml:LINE: ..."), unknown keys are refused. */
int pond_export_parse(pond_export **out, const char *name, const char *text, size_t len, const char *what,
                      pond_arena *arena, pond_error *err);
/* Reads ROOT/exports/NAME.yml. POND_ENOTFOUND names the file. */
int pond_export_load(pond_export **out, const char *root, const char *name, pond_arena *arena, pond_error *err);
/* A one-off export of one query to path (sheet_name: the xlsx sheet; NULL:
 * "Sheet1"). */
int pond_export_from_query(pond_export **out, pond_export_format format, const char *sql, const char *path,
                           const char *sheet_name, pond_arena *arena, pond_error *err);

/* Expands a destination template at run_time_us (local time): {date}
 * 2024-01-31, {datetime} 2024-01-31_063000, {yyyy}, {mm}, {dd}; a relative
 * result is joined to base_dir (NULL: left relative). The path lives in
 * arena. POND_EINVAL names an unknown placeholder. */
int pond_export_expand_path(const char **out, const char *template_path, int64_t run_time_us, const char *base_dir,
                            pond_arena *arena, pond_error *err);

/* ---- running ---------------------------------------------------------------- */

typedef struct pond_export_options {
	int64_t run_time_us;          /* the run's time for path templates; 0: now */
	const char *base_dir;         /* relative paths resolve here; NULL: the current folder */
	/* When set and it becomes non-zero (a signal handler), the export stops
	 * between chunks with POND_ECANCELED and writes nothing. Cancel a
	 * running query through pond_engine_interrupt. */
	const volatile int *cancel;
} pond_export_options;

#define POND_EXPORT_OPTIONS_INIT {0, NULL, NULL}

typedef struct pond_export_sheet_result {
	const char *name;     /* the sheet; NULL for non-xlsx formats */
	int64_t rows;         /* data rows written, header not counted */
} pond_export_sheet_result;

/* What an export wrote; strings in the result's arena, freed by
 * pond_export_result_dispose. */
typedef struct pond_export_result {
	pond_arena *arena;
	const char *path;     /* the file written (template expanded) */
	pond_export_format format;
	int64_t rows;         /* all sheets */
	int64_t bytes;        /* size of the file */
	int64_t duration_ns;
	size_t nsheets;
	pond_export_sheet_result *sheets;
} pond_export_result;

void pond_export_result_dispose(pond_export_result *result);
/* {"path":..., "format":..., "rows":..., "bytes":..., "seconds":...,
 * "sheets":[{"name":..., "rows":...}]}; caller json_decref's. */
json_t *pond_export_result_to_json(const pond_export_result *result);

/* Runs an export: each sheet's query runs through session (catalog tables
 * as ns.t) or, when session is NULL, straight on engine (files only), and
 * the file appears at its destination complete or not at all: on any
 * failure (a query error on a late row, Excel's row limit, a full disk)
 * neither the destination nor a temporary file is left, and a file there
 * before stays as it was. result is filled (and must be disposed) whether
 * or not the export succeeds. opts may be NULL. */
int pond_export_write(pond_engine *engine, pond_session *session, const pond_export *def,
                      const pond_export_options *opts, pond_export_result *result, pond_error *err);

/* For pipelines: runs exports/NAME.yml of the lake's project, its queries
 * over the lake's catalog tables, relative paths from the project root.
 * opts->base_dir is ignored; opts may be NULL. */
int pond_export_run(pond_lake *lake, const char *name, const pond_export_options *opts, pond_export_result *result,
                    pond_error *err);

/* ---- row text shared with `pond sql` -------------------------------------------- */

/* Appends one CSV field, quoted when it holds a comma, quote, line break
 * or edge space (RFC 4180). */
void pond_export_csv_field(pond_buf *out, const char *s, size_t len);
/* What comes before the rows: the CSV header line; nothing for JSON. */
void pond_export_text_header(pond_buf *out, pond_export_format format, const pond_result *result);
/* One row (index: rows written before it): a CSV line (NULL as an empty
 * field), a JSON object (after "[\n" or ",\n"), an NDJSON line. scratch is
 * the caller's buffer for a cell's text. */
void pond_export_text_row(pond_buf *out, pond_buf *scratch, pond_export_format format, const pond_result *result,
                          duckdb_data_chunk chunk, idx_t row, int64_t index);
/* What closes the rows: "]" for JSON ("[]" when there were none). */
void pond_export_text_end(pond_buf *out, pond_export_format format, int64_t rows);

#endif
