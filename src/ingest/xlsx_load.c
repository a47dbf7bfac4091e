/*
 * Loading a sheet: each column gets one type from all of its cells
 * (numbers: BIGINT when every one is a whole number DuckDB can hold
 * exactly, else DOUBLE; dates DATE, with datetimes TIMESTAMP; times TIME;
 * booleans BOOLEAN; text, and columns of mixed kinds, VARCHAR with each
 * value written as text), names from the header row (or the column
 * letters), and the rows go through DuckDB's appender into a temporary
 * table that the common load (load.c) reads as its source: one commit,
 * with the same schema policies and write modes as every other input.
 *
 * Why the appender: the cells are already typed values in memory, so the
 * appender copies them into DuckDB's vectors directly, where a temporary
 * CSV or JSON file would print every number and date as text for DuckDB
 * to parse back (and sniff types it then might get wrong).
 */
#include "xlsx.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#define US_PER_DAY 86400000000LL

typedef enum { COL_VARCHAR, COL_BIGINT, COL_DOUBLE, COL_BOOLEAN, COL_DATE, COL_TIMESTAMP, COL_TIME } col_type;

static const char *const col_type_sql[] = {"VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "TIME"};

/* The type of column c from row `from` on. */
static col_type column_type(const xlsx_sheet *sh, size_t c, size_t from)
{
	unsigned seen = 0;
	bool integral = true;
	const xlsx_column_cells *col = &sh->cols[c];
	for (size_t i = 0; i < col->len; i++) {
		const xlsx_cell *cell = &col->cells[i];
		if (col->rows[i] < from || cell->kind == XLSX_EMPTY || cell->kind == XLSX_ERROR)
			continue;
		seen |= 1u << cell->kind;
		/* Whole numbers up to 2^53: beyond it a double is not exact. */
		if (cell->kind == XLSX_NUMBER && (cell->v.num != floor(cell->v.num) || fabs(cell->v.num) > 9007199254740992.0))
			integral = false;
	}
	if (seen == 1u << XLSX_NUMBER)
		return integral ? COL_BIGINT : COL_DOUBLE;
	if (seen == 1u << XLSX_BOOL)
		return COL_BOOLEAN;
	if (seen == 1u << XLSX_DATE)
		return COL_DATE;
	if (seen && (seen & ~((1u << XLSX_DATE) | (1u << XLSX_DATETIME))) == 0)
		return COL_TIMESTAMP;
	if (seen == 1u << XLSX_TIME)
		return COL_TIME;
	return COL_VARCHAR;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* "HH:MM:SS" and ".ffffff" without trailing zeros, for us since midnight. */
static size_t put_time(char *buf, size_t cap, int64_t us)
{
	int64_t s = us / 1000000, frac = us % 1000000;
	int n = snprintf(buf, cap, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
	if (frac && n > 0 && (size_t)n < cap) {
		int digits = 6;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		n += snprintf(buf + n, cap - (size_t)n, ".%0*lld", digits, (long long)frac);
	}
	return n > 0 ? (size_t)n : 0;
}

/* A cell as text (VARCHAR columns, header names), in buf or borrowed;
 * NULL for empty and error cells. Numbers in the fewest digits that read
 * back the same, dates and times in ISO 8601. */
static const char *cell_text(const xlsx_cell *cell, char *buf, size_t cap)
{
	switch (cell->kind) {
	case XLSX_TEXT: return cell->v.text;
	case XLSX_BOOL: return cell->v.num ? "true" : "false";
	case XLSX_NUMBER: {
		double v = cell->v.num;
		if (v == floor(v) && fabs(v) < 1e15) {
			snprintf(buf, cap, "%.0f", v == 0 ? 0.0 : v);
			return buf;
		}
		for (int precision = 15; precision <= 17; precision++) {
			snprintf(buf, cap, "%.*g", precision, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		return buf;
	}
	case XLSX_DATE: case XLSX_DATETIME: {
		int64_t days = floor_div(cell->v.us, US_PER_DAY), y;
		unsigned m, d;
		pond_civil_from_days(days, &y, &m, &d);
		int n = snprintf(buf, cap, "%04lld-%02u-%02u", (long long)y, m, d);
		if (cell->kind == XLSX_DATETIME && n > 0 && (size_t)n + 1 < cap) {
			buf[n] = ' ';
			put_time(buf + n + 1, cap - (size_t)n - 1, cell->v.us - days * US_PER_DAY);
		}
		return buf;
	}
	case XLSX_TIME:
		put_time(buf, cap, cell->v.us);
		return buf;
	default: return NULL;
	}
}

/* The columns' names: the header row's texts (surrounding spaces cut),
 * else the column letters; a name taken already (DuckDB's names ignore
 * case) gets _2, _3, ... */
static int column_names(const char ***out, const xlsx_sheet *sh, bool header, pond_arena *a, pond_error *err)
{
	const char **names = pond_arena_calloc(a, sh->ncols ? sh->ncols : 1, sizeof(char *));
	if (!names)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t c = 0; c < sh->ncols; c++) {
		char buf[64], letters[4];
		const char *text = header && sh->nrows ? cell_text(pond__xlsx_cell(sh, 0, c), buf, sizeof(buf)) : NULL;
		while (text && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r'))
			text++;
		size_t len = text ? strlen(text) : 0;
		while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
		pond__xlsx_col_name(letters, sh->first_col + (int32_t)c);
		const char *base = len ? pond_arena_strndup(a, text, len) : pond_arena_strdup(a, letters);
		const char *name = base;
		for (int k = 2; name; k++) {
			size_t j = 0;
			while (j < c && strcasecmp(names[j], name) != 0)
				j++;
			if (j == c)
				break;
			name = pond_arena_sprintf(a, "%s_%d", base, k);
		}
		if (!name)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		names[c] = name;
	}
	*out = names;
	return 0;
}

static int append_cell(pond_appender *app, const xlsx_cell *cell, col_type type, pond_error *err)
{
	char buf[64];
	if (cell->kind == XLSX_EMPTY || cell->kind == XLSX_ERROR)
		return pond_appender_null(app, err);
	switch (type) {
	case COL_BIGINT: return pond_appender_int(app, (int64_t)cell->v.num, err);
	case COL_DOUBLE: return pond_appender_double(app, cell->v.num, err);
	case COL_BOOLEAN: return pond_appender_bool(app, cell->v.num != 0, err);
	case COL_DATE: return pond_appender_date(app, (int32_t)floor_div(cell->v.us, US_PER_DAY), err);
	case COL_TIMESTAMP: return pond_appender_timestamp(app, cell->v.us, err);
	case COL_TIME: return pond_appender_time(app, cell->v.us, err);
	default: return pond_appender_text(app, cell_text(cell, buf, sizeof(buf)), err);
	}
}

/* Creates the temporary table `table` with the sheet's columns and
 * appends its rows from `from` on. */
static int fill_table(pond_engine *engine, const char *table, const xlsx_sheet *sh, size_t from, const char **names,
                      const col_type *types, const volatile int *cancel, pond_error *err)
{
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "CREATE OR REPLACE TEMP TABLE ");
	pond_sql_quote_ident(&sql, table);
	pond_buf_puts(&sql, " (");
	for (size_t c = 0; c < sh->ncols; c++) {
		pond_buf_puts(&sql, c ? ", " : "");
		pond_sql_quote_ident(&sql, names[c]);
		pond_buf_printf(&sql, " %s", col_type_sql[types[c]]);
	}
	pond_buf_puts(&sql, ")");
	int rc = pond_buf_ok(&sql) ? pond_engine_exec(engine, pond_buf_cstr(&sql), err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	pond_appender *app = NULL;
	/* Each column's next cell: columns keep only the cells they have. */
	size_t *next = rc == 0 ? pond_calloc(sh->ncols, sizeof(size_t)) : NULL;
	if (rc == 0 && !next)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t c = 0; rc == 0 && c < sh->ncols; c++)
		while (next[c] < sh->cols[c].len && sh->cols[c].rows[next[c]] < from)
			next[c]++;
	if (rc == 0)
		rc = pond_appender_open(engine, NULL, table, &app, err);
	static const xlsx_cell empty;
	for (size_t r = from; rc == 0 && r < sh->nrows; r++) {
		for (size_t c = 0; rc == 0 && c < sh->ncols; c++) {
			const xlsx_column_cells *col = &sh->cols[c];
			const xlsx_cell *cell = &empty;
			if (next[c] < col->len && col->rows[next[c]] == r)
				cell = &col->cells[next[c]++];
			rc = append_cell(app, cell, types[c], err);
		}
		if (rc == 0)
			rc = pond_appender_end_row(app, err);
		if (rc == 0 && (r & 65535) == 0 && cancel && *cancel)
			rc = pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
	}
	pond_free(next);
	pond_error ignored = POND_ERROR_INIT;
	int crc = pond_appender_close(&app, rc ? &ignored : err);
	return rc ? rc : crc;
}

/* The temporary table's name: unique in the process, so loads on one
 * engine never meet. */
static const char *temp_name(pond_arena *a)
{
	static atomic_long counter;
	return pond_arena_sprintf(a, "pond_xlsx_%ld", atomic_fetch_add(&counter, 1) + 1);
}

static int load_sheet(pond_lake *lake, const xlsx_sheet *sh, const char *what, const pond_ingest_read *read,
                      const pond_ingest_write *write, const pond_ingest_options *opts, pond_ingest_result *result,
                      pond_error *err)
{
	pond_arena *a = result->arena;
	if (sh->ncols == 0)
		return pond_error_set(err, POND_EINVAL, "%s: sheet \"%s\" has no cells with values%s", what, sh->name,
		                      read->range ? " in the range" : "");
	bool header = read->header != 0;
	size_t from = header && sh->nrows ? 1 : 0;
	const char **names = NULL;
	col_type *types = pond_arena_calloc(a, sh->ncols, sizeof(col_type));
	int rc = types ? column_names(&names, sh, header, a, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		return rc;
	for (size_t c = 0; c < sh->ncols; c++)
		types[c] = column_type(sh, c, from);
	pond_engine *engine = pond_lake_engine(lake);
	const char *table = temp_name(a);
	rc = table ? fill_table(engine, table, sh, from, names, types, opts->cancel, err)
	           : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond__ingest_check_cancel(opts, err);
	if (rc == 0) {
		const char *read_sql = pond_arena_sprintf(a, "SELECT * FROM temp.main.\"%s\"", table);
		ingest_load l = {.read_sql = read_sql, .what = what, .write = write, .cancel = opts->cancel};
		rc = read_sql ? pond__ingest_load(lake, &l, result, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		result->rows = (int64_t)(sh->nrows - from);
		result->error_cells = sh->errors;
	}
	const char *drop = pond_arena_sprintf(a, "DROP TABLE IF EXISTS temp.main.\"%s\"", table);
	pond_error ignored = POND_ERROR_INIT;
	if (drop)
		pond_engine_exec(engine, drop, &ignored);
	return rc;
}

int pond__ingest_xlsx(pond_lake *lake, const char *path, const char *what, const pond_ingest_read *read,
                      const pond_ingest_write *write, const pond_ingest_options *opts, pond_ingest_result *result,
                      pond_error *err)
{
	xlsx_book *book;
	int rc = pond__xlsx_book_open(&book, path, what, err);
	if (rc)
		return rc;
	xlsx_sheet *sh = NULL;
	rc = pond__xlsx_sheet_read(&sh, book, read->sheet, read->range, opts->cancel, err);
	if (rc == 0)
		rc = load_sheet(lake, sh, what, read, write, opts, result, err);
	pond__xlsx_sheet_free(&sh);
	pond__xlsx_book_close(&book);
	return rc;
}
