/*
 * Excel workbooks through libxlsxwriter, one sheet per query, rows
 * streamed in constant-memory mode. Cells keep their types: numbers
 * (integers, doubles, decimals) as numbers, dates and timestamps as Excel
 * serial dates with a date format, booleans as booleans, NULL as an empty
 * cell, everything else as text. Each sheet gets a bold frozen header, an
 * autofilter, columns fitted to their widest value (capped), the number
 * formats of the definition and, when asked, a native chart.
 *
 * A sheet holds 1,048,576 rows with the header: past that the export fails
 * naming the sheet. libxlsxwriter writes the file only in workbook_close,
 * so a failure before it frees the workbook and nothing is written.
 */
#include "export_internal.h"

#include <duckdb.h>
#include <math.h>
#include <string.h>

#include <xlsxwriter.h>

int64_t pond__export_xlsx_row_limit = LXW_ROW_MAX;

/* Widest fitted column, in characters: long text wraps the view, not the
 * sheet. */
#define FIT_MAX_WIDTH 60.0
#define FIT_MIN_WIDTH 6.0

/* Excel's serial day 0 is 1899-12-30 for every date after 1900-02-28;
 * 25569 is 1970-01-01. Earlier dates are off by one (Excel's 1900 leap
 * day), and Excel shows nothing before 1900-01-01 or after 9999-12-31. */
#define EXCEL_UNIX_EPOCH 25569.0
#define EXCEL_MAX_SERIAL 2958466.0

typedef enum {
	CELL_TEXT,
	CELL_BOOL,
	CELL_INT,       /* signed integers up to 64 bits */
	CELL_UINT,      /* unsigned up to 64 bits */
	CELL_HUGE,      /* 128-bit */
	CELL_REAL,      /* float, double */
	CELL_DECIMAL,
	CELL_DATE,
	CELL_TIMESTAMP,
	CELL_TIME,
} cell_kind;

typedef struct {
	cell_kind kind;
	duckdb_type type;           /* the physical type to read */
	int64_t units_per_sec;      /* timestamps */
	uint8_t scale;              /* decimals */
	const pond_export_column *def;
	lxw_format *format;
	double width;               /* widest value seen, in characters */
} xlsx_column;

typedef struct {
	export_run *run;
	lxw_workbook *wb;
	lxw_format *header;
	pond_buf text;
} xlsx_writer;

static int lxw_fail(pond_error *err, const char *path, const char *sheet, lxw_error e)
{
	return pond_error_set(err, POND_EIO, "could not write %s (sheet %s): %s", path, sheet ? sheet : "",
	                      lxw_strerror(e));
}

static double text_width(const char *s, size_t len)
{
	/* Code points of the longest line. */
	double w = 0, line = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			line = 0;
		else if (((unsigned char)s[i] & 0xC0) != 0x80 && ++line > w)
			w = line;
	}
	return w;
}

static void classify(xlsx_column *col, duckdb_logical_type t)
{
	duckdb_type id = duckdb_get_type_id(t);
	col->type = id;
	col->kind = CELL_TEXT;
	switch (id) {
	case DUCKDB_TYPE_BOOLEAN: col->kind = CELL_BOOL; break;
	case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_BIGINT:
		col->kind = CELL_INT; break;
	case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT:
		col->kind = CELL_UINT; break;
	case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: col->kind = CELL_HUGE; break;
	case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE: col->kind = CELL_REAL; break;
	case DUCKDB_TYPE_DECIMAL:
		col->kind = CELL_DECIMAL;
		col->scale = duckdb_decimal_scale(t);
		col->type = duckdb_decimal_internal_type(t);
		break;
	case DUCKDB_TYPE_DATE: col->kind = CELL_DATE; break;
	case DUCKDB_TYPE_TIME: col->kind = CELL_TIME; break;
	case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_TIMESTAMP_TZ:
		col->kind = CELL_TIMESTAMP; col->units_per_sec = 1000000; break;
	case DUCKDB_TYPE_TIMESTAMP_S: col->kind = CELL_TIMESTAMP; col->units_per_sec = 1; break;
	case DUCKDB_TYPE_TIMESTAMP_MS: col->kind = CELL_TIMESTAMP; col->units_per_sec = 1000; break;
	case DUCKDB_TYPE_TIMESTAMP_NS: col->kind = CELL_TIMESTAMP; col->units_per_sec = 1000000000; break;
	default: break;
	}
}

/* The number format a column gets when the definition names none. */
static const char *default_format(const xlsx_column *col, char *buf, size_t size)
{
	switch (col->kind) {
	case CELL_DATE: return "yyyy-mm-dd";
	case CELL_TIMESTAMP: return "yyyy-mm-dd hh:mm:ss";
	case CELL_TIME: return "hh:mm:ss";
	case CELL_DECIMAL:
		if (col->scale == 0 || col->scale > 15)
			return NULL;
		snprintf(buf, size, "0.%.*s", (int)col->scale, "000000000000000");
		return buf;
	default: return NULL;
	}
}

static double decimal_value(const xlsx_column *col, void *data, idx_t row)
{
	double v;
	switch (col->type) {
	case DUCKDB_TYPE_SMALLINT: v = ((int16_t *)data)[row]; break;
	case DUCKDB_TYPE_INTEGER: v = ((int32_t *)data)[row]; break;
	case DUCKDB_TYPE_BIGINT: v = (double)((int64_t *)data)[row]; break;
	default: {
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		v = (double)h.upper * 18446744073709551616.0 + (double)h.lower;
	}
	}
	return v / pow(10.0, col->scale);
}

/* Reads a numeric cell; false when it is not exact as a double (integers
 * past 2^53 are written as text so no digit is lost). */
static bool number_value(const xlsx_column *col, void *data, idx_t row, double *out)
{
	const int64_t exact = (int64_t)1 << 53;
	switch (col->kind) {
	case CELL_INT: {
		int64_t v;
		switch (col->type) {
		case DUCKDB_TYPE_TINYINT: v = ((int8_t *)data)[row]; break;
		case DUCKDB_TYPE_SMALLINT: v = ((int16_t *)data)[row]; break;
		case DUCKDB_TYPE_INTEGER: v = ((int32_t *)data)[row]; break;
		default: v = ((int64_t *)data)[row]; break;
		}
		*out = (double)v;
		return v >= -exact && v <= exact;
	}
	case CELL_UINT: {
		uint64_t v;
		switch (col->type) {
		case DUCKDB_TYPE_UTINYINT: v = ((uint8_t *)data)[row]; break;
		case DUCKDB_TYPE_USMALLINT: v = ((uint16_t *)data)[row]; break;
		case DUCKDB_TYPE_UINTEGER: v = ((uint32_t *)data)[row]; break;
		default: v = ((uint64_t *)data)[row]; break;
		}
		*out = (double)v;
		return v <= (uint64_t)exact;
	}
	case CELL_HUGE: {
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		bool small = (h.upper == 0 && h.lower <= (uint64_t)exact) ||
		             (col->type != DUCKDB_TYPE_UHUGEINT && h.upper == -1 && h.lower >= (uint64_t)-exact);
		*out = h.upper == 0 ? (double)h.lower : -(double)(~h.lower + 1);
		return small;
	}
	case CELL_REAL:
		*out = col->type == DUCKDB_TYPE_FLOAT ? ((float *)data)[row] : ((double *)data)[row];
		return isfinite(*out);
	case CELL_DECIMAL:
		*out = decimal_value(col, data, row);
		return true;
	default:
		return false;
	}
}

/* Excel's serial date-time for a timestamp in units since the epoch;
 * false outside the years Excel shows. */
static bool serial_value(const xlsx_column *col, void *data, idx_t row, double *out)
{
	double days;
	if (col->kind == CELL_DATE) {
		int32_t d = ((int32_t *)data)[row];
		days = d;
	} else {
		int64_t v = ((int64_t *)data)[row];
		if (v == INT64_MAX || v == -INT64_MAX)
			return false;
		int64_t per_day = col->units_per_sec * 86400;
		int64_t whole = v / per_day, rem = v % per_day;
		if (rem < 0) {
			rem += per_day;
			whole--;
		}
		days = (double)whole + (double)rem / (double)per_day;
	}
	double serial = days + EXCEL_UNIX_EPOCH;
	if (serial < 61)
		serial -= 1;  /* before 1900-03-01 */
	if (serial < 1 || serial >= EXCEL_MAX_SERIAL)
		return false;
	*out = serial;
	return true;
}

/* Writes one cell and widens its column to fit it. */
static lxw_error write_cell(xlsx_writer *w, lxw_worksheet *ws, xlsx_column *col, lxw_row_t r, lxw_col_t c,
                            duckdb_vector vec, duckdb_logical_type type, idx_t row)
{
	uint64_t *validity = duckdb_vector_get_validity(vec);
	if (validity && !duckdb_validity_row_is_valid(validity, row))
		return LXW_NO_ERROR;  /* NULL: an empty cell */
	void *data = duckdb_vector_get_data(vec);
	double v;
	switch (col->kind) {
	case CELL_BOOL: {
		bool b = ((bool *)data)[row];
		if (col->width < 5)
			col->width = 5;
		return worksheet_write_boolean(ws, r, c, b, col->format);
	}
	case CELL_DATE: case CELL_TIMESTAMP:
		if (!serial_value(col, data, row, &v))
			break;
		if (col->width < (col->kind == CELL_DATE ? 10 : 19))
			col->width = col->kind == CELL_DATE ? 10 : 19;
		return worksheet_write_number(ws, r, c, v, col->format);
	case CELL_TIME:
		v = (double)((int64_t *)data)[row] / 86400e6;
		if (col->width < 8)
			col->width = 8;
		return worksheet_write_number(ws, r, c, v, col->format);
	case CELL_TEXT:
		break;
	default:
		if (!number_value(col, data, row, &v))
			break;
		char num[40];
		int n = snprintf(num, sizeof(num), "%.10g", v);
		/* Room for thousands separators a format may add. */
		double width = n + (col->def && col->def->format && strchr(col->def->format, ',') ? n / 3 : 0);
		if (width > col->width)
			col->width = width;
		return worksheet_write_number(ws, r, c, v, col->format);
	}
	pond_buf_clear(&w->text);
	pond_value_format(&w->text, vec, type, row, POND_VALUE_TEXT);
	if (!pond_buf_ok(&w->text))
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	double width = text_width(pond_buf_cstr(&w->text), w->text.len);
	if (width > col->width)
		col->width = width;
	return worksheet_write_string(ws, r, c, pond_buf_cstr(&w->text), col->format);
}

static const char *column_list(pond_arena *a, const pond_result *result)
{
	pond_buf b = POND_BUF_INIT;
	for (idx_t c = 0; c < pond_result_column_count(result); c++)
		pond_buf_printf(&b, "%s%s", c ? ", " : "", pond_result_column_name(result, c));
	const char *s = pond_buf_ok(&b) ? pond_arena_strdup(a, pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return s ? s : "";
}

static int find_column(const pond_result *result, const char *name)
{
	idx_t n = pond_result_column_count(result);
	for (idx_t c = 0; c < n; c++)
		if (strcmp(pond_result_column_name(result, c), name) == 0)
			return (int)c;
	for (idx_t c = 0; c < n; c++)
		if (pond_str_ieq(pond_result_column_name(result, c), name))
			return (int)c;
	return -1;
}

/* The definition's columns and chart must name result columns. */
static int check_names(xlsx_writer *w, const pond_export_sheet *sheet, const pond_result *result,
                       xlsx_column *cols, pond_error *err)
{
	const char *what = w->run->def->what;
	for (size_t i = 0; i < sheet->ncolumns; i++) {
		int c = find_column(result, sheet->columns[i].name);
		if (c < 0)
			return pond_error_set(err, POND_EINVAL, "%s:%d: sheet %s has no column \"%s\" (it has %s)", what,
			                      sheet->columns[i].line, sheet->name, sheet->columns[i].name,
			                      column_list(w->run->arena, result));
		cols[c].def = &sheet->columns[i];
	}
	const pond_export_chart *ch = sheet->chart;
	if (!ch)
		return 0;
	if (find_column(result, ch->x) < 0)
		return pond_error_set(err, POND_EINVAL, "%s:%d: chart x column \"%s\" is not in sheet %s (it has %s)", what,
		                      ch->line, ch->x, sheet->name, column_list(w->run->arena, result));
	for (size_t i = 0; i < ch->ny; i++) {
		int c = find_column(result, ch->y[i]);
		if (c < 0)
			return pond_error_set(err, POND_EINVAL, "%s:%d: chart y column \"%s\" is not in sheet %s (it has %s)",
			                      what, ch->line, ch->y[i], sheet->name, column_list(w->run->arena, result));
		if (!pond_type_is_numeric(pond_result_column_type(result, (idx_t)c)))
			return pond_error_set(err, POND_EINVAL, "%s:%d: chart y column \"%s\" of sheet %s is not a number", what,
			                      ch->line, ch->y[i], sheet->name);
	}
	return 0;
}

static int add_chart(xlsx_writer *w, lxw_worksheet *ws, const pond_export_sheet *sheet, const pond_result *result,
                     int64_t rows, pond_error *err)
{
	static const uint8_t types[] = {LXW_CHART_LINE, LXW_CHART_COLUMN, LXW_CHART_BAR};
	const pond_export_chart *ch = sheet->chart;
	lxw_chart *chart = workbook_add_chart(w->wb, types[ch->type]);
	if (!chart)
		return pond_error_set(err, POND_ENOMEM, "out of memory adding a chart to sheet %s", sheet->name);
	lxw_row_t last = (lxw_row_t)(rows > 0 ? rows : 1);
	lxw_col_t x = (lxw_col_t)find_column(result, ch->x);
	for (size_t i = 0; i < ch->ny; i++) {
		lxw_col_t y = (lxw_col_t)find_column(result, ch->y[i]);
		lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
		if (!s)
			return pond_error_set(err, POND_ENOMEM, "out of memory adding a chart to sheet %s", sheet->name);
		chart_series_set_categories(s, sheet->name, 1, x, last, x);
		chart_series_set_values(s, sheet->name, 1, y, last, y);
		chart_series_set_name_range(s, sheet->name, 0, y);
	}
	if (ch->title)
		chart_title_set_name(chart, ch->title);
	chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
	lxw_error e = worksheet_insert_chart(ws, 1, (lxw_col_t)(pond_result_column_count(result) + 1), chart);
	return e ? lxw_fail(err, w->run->result->path, sheet->name, e) : 0;
}

static int write_sheet(xlsx_writer *w, const pond_export_sheet *sheet, int64_t *rows_out, pond_error *err)
{
	const char *path = w->run->result->path;
	pond_result *result = NULL;
	int rc = pond__export_query(w->run, sheet, &result, err);
	if (rc)
		return rc;
	idx_t ncols = pond_result_column_count(result);
	xlsx_column *cols = NULL;
	lxw_worksheet *ws = workbook_add_worksheet(w->wb, sheet->name);
	if (!ws) {
		rc = pond_error_set(err, POND_EINVAL, "could not add sheet %s to %s", sheet->name, path);
		goto done;
	}
	if (ncols > LXW_COL_MAX) {
		rc = pond_error_set(err, POND_ELIMIT, "sheet %s has %llu columns; an Excel sheet holds at most %d",
		                    sheet->name, (unsigned long long)ncols, LXW_COL_MAX);
		goto done;
	}
	cols = pond_arena_calloc(w->run->arena, ncols, sizeof(*cols));
	if (!cols) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	for (idx_t c = 0; c < ncols; c++)
		classify(&cols[c], pond_result_column_type(result, c));
	if ((rc = check_names(w, sheet, result, cols, err)) != 0)
		goto done;
	lxw_error e = LXW_NO_ERROR;
	for (idx_t c = 0; c < ncols && !e; c++) {
		char buf[32];
		const char *numfmt = cols[c].def && cols[c].def->format ? cols[c].def->format
		                                                        : default_format(&cols[c], buf, sizeof(buf));
		if (numfmt) {
			if (!(cols[c].format = workbook_add_format(w->wb))) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				goto done;
			}
			format_set_num_format(cols[c].format, numfmt);
		}
		const char *name = pond_result_column_name(result, c);
		/* Room for the autofilter's button. */
		cols[c].width = text_width(name, strlen(name)) + 2;
		e = worksheet_write_string(ws, 0, (lxw_col_t)c, name, w->header);
	}

	int64_t rows = 0;
	duckdb_data_chunk chunk;
	while (rc == 0 && !e && (rc = pond_result_next(result, &chunk, err)) == 1) {
		rc = pond__export_check_cancel(w->run, err);
		idx_t n = duckdb_data_chunk_get_size(chunk);
		if (rc == 0 && rows + (int64_t)n + 1 > pond__export_xlsx_row_limit)
			rc = pond_error_set(err, POND_ELIMIT,
			                    "sheet %s has more than %lld rows, the most an Excel sheet holds (%lld with the "
			                    "header); filter or aggregate the query, or export csv or parquet; nothing was "
			                    "written", sheet->name, (long long)(pond__export_xlsx_row_limit - 1),
			                    (long long)pond__export_xlsx_row_limit);
		for (idx_t r = 0; rc == 0 && !e && r < n; r++) {
			lxw_row_t xr = (lxw_row_t)(rows + 1);
			for (idx_t c = 0; c < ncols && !e; c++)
				e = write_cell(w, ws, &cols[c], xr, (lxw_col_t)c, duckdb_data_chunk_get_vector(chunk, c),
				               pond_result_column_type(result, c), r);
			if (!e)
				rows++;
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	if (rc < 0)
		goto done;
	rc = 0;
	if (e) {
		rc = e == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED
		         ? pond_error_set(err, POND_ELIMIT, "sheet %s, row %lld: a value is longer than Excel's 32,767 "
		                          "characters", sheet->name, (long long)rows + 2)
		         : lxw_fail(err, path, sheet->name, e);
		goto done;
	}
	worksheet_freeze_panes(ws, 1, 0);
	e = worksheet_autofilter(ws, 0, 0, (lxw_row_t)rows, (lxw_col_t)(ncols - 1));
	for (idx_t c = 0; c < ncols && !e; c++) {
		double width = cols[c].def && cols[c].def->width > 0 ? cols[c].def->width : cols[c].width + 1;
		if (!(cols[c].def && cols[c].def->width > 0))
			width = width > FIT_MAX_WIDTH ? FIT_MAX_WIDTH : width < FIT_MIN_WIDTH ? FIT_MIN_WIDTH : width;
		e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, width, NULL);
	}
	if (e) {
		rc = lxw_fail(err, path, sheet->name, e);
		goto done;
	}
	if (sheet->chart)
		rc = add_chart(w, ws, sheet, result, rows, err);
	*rows_out = rows;
done:
	pond_result_free(&result);
	return rc;
}

int pond__export_write_xlsx(export_run *run, const char *tmp_path, pond_error *err)
{
	lxw_workbook_options o = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
	xlsx_writer w = {run, workbook_new_opt(tmp_path, &o), NULL, POND_BUF_INIT};
	if (!w.wb)
		return pond_error_set(err, POND_ENOMEM, "could not start workbook %s", run->result->path);
	int rc = 0;
	if (!(w.header = workbook_add_format(w.wb)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	else
		format_set_bold(w.header);
	for (size_t i = 0; rc == 0 && i < run->def->nsheets; i++)
		rc = write_sheet(&w, &run->def->sheets[i], &run->result->sheets[i].rows, err);
	pond_buf_dispose(&w.text);
	if (rc) {
		/* Nothing has touched the file yet: drop the workbook unwritten. */
		lxw_workbook_free(w.wb);
		return rc;
	}
	lxw_error e = workbook_close(w.wb);
	if (e)
		return pond_error_set(err, POND_EIO, "could not write %s: %s", run->result->path, lxw_strerror(e));
	return 0;
}
