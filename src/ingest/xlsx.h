/*
 * Excel workbooks (.xlsx) as an ingest input: the zip is opened with
 * libzip and its XML parts streamed through libxml2 (xmlTextReader for the
 * small parts, the SAX2 push parser for the sheet), so a sheet of any size
 * is read in one pass without a tree. A sheet's cells
 * (one region: a range, or every cell that holds a value) are kept as
 * typed values per column until the whole sheet is read, because a
 * column's type depends on all of its cells; then they go to a temporary
 * DuckDB table through the appender and from there into the load every
 * source ends in (load.c).
 *
 * Files: xlsx_book.c (the zip, workbook, relationships, styles, shared
 * strings), xlsx_sheet.c (a sheet's cells), xlsx_load.c (column types,
 * names, the temporary table and the load).
 */
#ifndef POND_INGEST_XLSX_H
#define POND_INGEST_XLSX_H

#include "ingest_internal.h"

/* What a cell holds once read. Dates, datetimes and times are numbers
 * whose number format says so; they are kept as microseconds. */
typedef enum {
	XLSX_EMPTY = 0,
	XLSX_NUMBER,     /* v.num */
	XLSX_DATE,       /* v.us: midnight of the day, since 1970-01-01 */
	XLSX_DATETIME,   /* v.us since 1970-01-01 */
	XLSX_TIME,       /* v.us since midnight, under a day */
	XLSX_BOOL,       /* v.num 0 or 1 */
	XLSX_TEXT,       /* v.text (the sheet's or the book's strings) */
	XLSX_ERROR,      /* #N/A, #DIV/0!, ...: loaded as NULL */
} xlsx_kind;

typedef struct {
	uint8_t kind;
	union {
		double num;
		int64_t us;
		const char *text;
	} v;
} xlsx_cell;

/* A cell range; 0 leaves a side open ("A3" is from A3 on, "B:F" is
 * columns B to F of every row). Columns and rows count from 1. */
typedef struct {
	int32_t col1, row1, col2, row2;
} xlsx_range;

/* Parses "B3:F200", "B3", "B:F" or "B3:F" (letters case-insensitive);
 * false when it is none of them or out of Excel's bounds. */
bool pond__xlsx_range_parse(const char *text, xlsx_range *out);
/* Parses a cell reference's column letters and row ("C17"); row is 0
 * when the reference has none. False when it is not one. */
bool pond__xlsx_ref_parse(const char *ref, int32_t *col, int32_t *row);
/* Writes a column's letters ("A", "AB") for col >= 1 into out (room for 4). */
void pond__xlsx_col_name(char out[4], int32_t col);

/* What a number format makes of a number: XLSX_NUMBER, XLSX_DATE,
 * XLSX_DATETIME or XLSX_TIME, by its built-in id (14-22, 45-47) or, when
 * code is not NULL, by the d, m, y, h and s tokens of its code (outside
 * quotes, escapes and [...] sections; elapsed times such as [h]:mm are
 * numbers). */
xlsx_kind pond__xlsx_format_kind(int id, const char *code);

/* Converts a serial date-time of the 1900 system (Excel's, with its
 * fictitious 1900-02-29: serials under 60 are a day later) or the 1904
 * system to microseconds since 1970-01-01, rounded to the millisecond
 * (as Excel keeps them).
 * False outside years 1900 (1904) to 9999. */
bool pond__xlsx_serial_to_us(double serial, bool date1904, int64_t *out);

/* An opened workbook: its sheets, date system, cell formats and shared
 * strings. */
typedef struct xlsx_book xlsx_book;

/* Opens path (named what in errors: "prices.xlsx: ...") and reads its
 * workbook, relationships, styles and shared strings. */
int pond__xlsx_book_open(xlsx_book **out, const char *path, const char *what, pond_error *err);
void pond__xlsx_book_close(xlsx_book **book);

/* A column's cells that hold something (errors included), with their rows
 * in the region (0-based, ascending). */
typedef struct xlsx_column_cells {
	xlsx_cell *cells;
	uint32_t *rows;
	size_t len, cap;
} xlsx_column_cells;

/* A sheet's cells: a region of nrows rows and ncols columns starting at
 * (first_row, first_col); cells of row r (0-based) and column c. */
typedef struct {
	const char *name;       /* the sheet's name */
	int32_t first_row, first_col;
	size_t nrows, ncols;
	int64_t errors;         /* error cells (as NULL) */
	xlsx_column_cells *cols;   /* ncols of them */
	pond_arena *arena;      /* the name, inline strings */
} xlsx_sheet;

/* Reads the sheet named by read->sheet (a name, else a 1-based index;
 * NULL: the first) within read->range (NULL: the cells that hold values,
 * from the first row that has one to the last). Header rows are not set
 * apart here. Checks *cancel (may be NULL) now and then. */
int pond__xlsx_sheet_read(xlsx_sheet **out, xlsx_book *book, const char *sheet, const char *range,
                          const volatile int *cancel, pond_error *err);
/* The cell at row r, column c of the region (an empty cell past what the
 * sheet held); borrowed. */
const xlsx_cell *pond__xlsx_cell(const xlsx_sheet *sheet, size_t r, size_t c);
void pond__xlsx_sheet_free(xlsx_sheet **sheet);

/* Internals of xlsx_book.c that xlsx_sheet.c uses. */
const char *pond__xlsx_book_what(const xlsx_book *book);
bool pond__xlsx_book_date1904(const xlsx_book *book);
/* The number kind (pond__xlsx_format_kind) of a cell's style index. */
xlsx_kind pond__xlsx_style_kind(const xlsx_book *book, size_t style);
/* Shared string idx (borrowed) or NULL when there is no such string. */
const char *pond__xlsx_shared_string(const xlsx_book *book, size_t idx, size_t *count);
/* The zip entry of the sheet named or numbered `sheet` (NULL: the first);
 * *name is its name. An error names the sheets there are. */
int pond__xlsx_book_find_sheet(const xlsx_book *book, const char *sheet, const char **entry, const char **name,
                               pond_error *err);

/* The raw bytes of one zip entry (a zip_file_t, as void * to keep
 * libzip out of this header). */
int pond__xlsx_entry_open(void **out, xlsx_book *book, const char *entry, pond_error *err);
/* Up to n bytes; 0 at the end, -1 on failure with *why (borrowed) set. */
int64_t pond__xlsx_entry_read(void *zf, void *buf, size_t n, const char **why);
void pond__xlsx_entry_close(void **zf);

/* Decodes OOXML's _xHHHH_ escapes in s (in place). */
void pond__xlsx_unescape(char *s);

/* Loads a sheet of the workbook at path (a local file; what names it in
 * errors) into write->table in one commit. */
int pond__ingest_xlsx(pond_lake *lake, const char *path, const char *what, const pond_ingest_read *read,
                      const pond_ingest_write *write, const pond_ingest_options *opts, pond_ingest_result *result,
                      pond_error *err);

#endif
