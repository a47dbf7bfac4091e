/*
 * Unit tests for the xlsx reader: cell references and ranges, number
 * formats that make dates, serial dates in both date systems, OOXML
 * escapes, and loads of small workbooks that each test writes itself with
 * libzip, so every edge case is spelled out in the XML: the 1904 date
 * system, rich-text runs and phonetic runs in shared strings, inline
 * strings, formulas with and without cached values, error cells, sparse
 * rows, rows and cells without r attributes, sheets by name and number,
 * ranges, header rows, write modes, and the one-line errors that leave
 * the table as it was.
 */
#include "../test.h"

#include <stdlib.h>
#include <zip.h>

#include "ingest/xlsx.h"
#include "pond/ingest.h"
#include "../table/fixture.h"

/* ---- pure functions ----------------------------------------------------------------- */

TEST(xlsx_refs_and_ranges_parse)
{
	int32_t col, row;
	CHECK(pond__xlsx_ref_parse("C17", &col, &row));
	CHECK_INT(col, 3);
	CHECK_INT(row, 17);
	CHECK(pond__xlsx_ref_parse("$AB$2", &col, &row));
	CHECK_INT(col, 28);
	CHECK_INT(row, 2);
	CHECK(pond__xlsx_ref_parse("XFD1048576", &col, &row));
	CHECK_INT(col, 16384);
	CHECK(!pond__xlsx_ref_parse("XFE1", &col, &row));
	CHECK(!pond__xlsx_ref_parse("A1048577", &col, &row));
	CHECK(!pond__xlsx_ref_parse("A0", &col, &row));
	CHECK(!pond__xlsx_ref_parse("1A", &col, &row));
	CHECK(!pond__xlsx_ref_parse("", &col, &row));
	xlsx_range r;
	CHECK(pond__xlsx_range_parse("B3:F200", &r));
	CHECK(r.col1 == 2 && r.row1 == 3 && r.col2 == 6 && r.row2 == 200);
	CHECK(pond__xlsx_range_parse("b3", &r));
	CHECK(r.col1 == 2 && r.row1 == 3 && r.col2 == 0 && r.row2 == 0);
	CHECK(pond__xlsx_range_parse("B:F", &r));
	CHECK(r.col1 == 2 && r.row1 == 0 && r.col2 == 6 && r.row2 == 0);
	CHECK(pond__xlsx_range_parse("B3:F", &r));
	CHECK(r.row1 == 3 && r.col2 == 6 && r.row2 == 0);
	CHECK(!pond__xlsx_range_parse("F3:B9", &r));
	CHECK(!pond__xlsx_range_parse("B9:F3", &r));
	CHECK(!pond__xlsx_range_parse("B:F9", &r));
	CHECK(!pond__xlsx_range_parse("B3:", &r));
	CHECK(!pond__xlsx_range_parse(":F3", &r));
	CHECK(!pond__xlsx_range_parse("prices", &r));
	char name[4];
	pond__xlsx_col_name(name, 1);
	CHECK_STR(name, "A");
	pond__xlsx_col_name(name, 27);
	CHECK_STR(name, "AA");
	pond__xlsx_col_name(name, 16384);
	CHECK_STR(name, "XFD");
}

TEST(xlsx_number_formats_say_which_numbers_are_dates)
{
	/* ECMA-376 18.8.30: the built-in ids */
	CHECK_INT(pond__xlsx_format_kind(0, NULL), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(2, NULL), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(14, NULL), XLSX_DATE);
	CHECK_INT(pond__xlsx_format_kind(17, NULL), XLSX_DATE);
	CHECK_INT(pond__xlsx_format_kind(18, NULL), XLSX_TIME);
	CHECK_INT(pond__xlsx_format_kind(21, NULL), XLSX_TIME);
	CHECK_INT(pond__xlsx_format_kind(22, NULL), XLSX_DATETIME);
	CHECK_INT(pond__xlsx_format_kind(45, NULL), XLSX_TIME);
	CHECK_INT(pond__xlsx_format_kind(46, NULL), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(47, NULL), XLSX_TIME);
	/* custom codes */
	CHECK_INT(pond__xlsx_format_kind(164, "yyyy-mm-dd"), XLSX_DATE);
	CHECK_INT(pond__xlsx_format_kind(164, "dd/mm/yyyy hh:mm"), XLSX_DATETIME);
	CHECK_INT(pond__xlsx_format_kind(164, "mmm"), XLSX_DATE);
	CHECK_INT(pond__xlsx_format_kind(164, "mm:ss.0"), XLSX_TIME);
	CHECK_INT(pond__xlsx_format_kind(164, "h:mm AM/PM"), XLSX_TIME);
	CHECK_INT(pond__xlsx_format_kind(164, "[$-409]d-mmm-yy;@"), XLSX_DATE);
	CHECK_INT(pond__xlsx_format_kind(164, "[h]:mm:ss"), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(164, "General"), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(164, "0.00E+00"), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(164, "#,##0.00 \"days\""), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(164, "\\d0.00"), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(164, "[Red]#,##0;[Blue]yyyy"), XLSX_NUMBER);
	CHECK_INT(pond__xlsx_format_kind(164, "[$€-2] #,##0.00"), XLSX_NUMBER);
}

/* "YYYY-MM-DD HH:MM:SS.mmm" of microseconds since 1970. */
static const char *us_text(char *buf, size_t cap, int64_t us)
{
	int64_t days = us / 86400000000LL - (us % 86400000000LL < 0), y;
	int64_t rest = us - days * 86400000000LL;
	unsigned m, d;
	pond_civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%04lld-%02u-%02u %02d:%02d:%02d.%03d", (long long)y, m, d, (int)(rest / 3600000000LL),
	         (int)(rest / 60000000 % 60), (int)(rest / 1000000 % 60), (int)(rest / 1000 % 1000));
	return buf;
}

TEST(xlsx_serial_dates_in_the_1900_and_1904_systems)
{
	char buf[40];
	int64_t us;
	CHECK(pond__xlsx_serial_to_us(1, false, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "1900-01-01 00:00:00.000");
	CHECK(pond__xlsx_serial_to_us(59, false, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "1900-02-28 00:00:00.000");
	/* Excel's 1900-02-29 did not exist; 61 is the day after the 28th. */
	CHECK(pond__xlsx_serial_to_us(61, false, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "1900-03-01 00:00:00.000");
	CHECK(pond__xlsx_serial_to_us(45658.5, false, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "2025-01-01 12:00:00.000");
	CHECK(pond__xlsx_serial_to_us(45658 + 0.1234567 / 86400, false, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "2025-01-01 00:00:00.123");
	CHECK(pond__xlsx_serial_to_us(2958465.99999999, false, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "9999-12-31 23:59:59.999");
	CHECK(!pond__xlsx_serial_to_us(2958466, false, &us));
	CHECK(!pond__xlsx_serial_to_us(-1, false, &us));
	CHECK(pond__xlsx_serial_to_us(0, true, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "1904-01-01 00:00:00.000");
	CHECK(pond__xlsx_serial_to_us(45658 - 1462 + 0.25, true, &us));
	CHECK_STR(us_text(buf, sizeof(buf), us), "2025-01-01 06:00:00.000");
}

TEST(xlsx_unescapes_ooxml_character_escapes)
{
	char s[64];
	snprintf(s, sizeof(s), "a_x000D__x000A_b");
	pond__xlsx_unescape(s);
	CHECK_STR(s, "a\r\nb");
	snprintf(s, sizeof(s), "_x00E9_t_x00e9_");
	pond__xlsx_unescape(s);
	CHECK_STR(s, "\xc3\xa9t\xc3\xa9");
	snprintf(s, sizeof(s), "_xD83D__xDE00_");
	pond__xlsx_unescape(s);
	CHECK_STR(s, "\xf0\x9f\x98\x80");
	snprintf(s, sizeof(s), "_x005F_x0041_ _x41_ _xZZZZ_");
	pond__xlsx_unescape(s);
	CHECK_STR(s, "_x0041_ _x41_ _xZZZZ_");
}

/* ---- workbooks written here ----------------------------------------------------------- */

typedef struct {
	const char *name, *text;
} part;

/* Writes a zip of parts (NULL-terminated) at dir/name, deflated or (store)
 * not; its path in f's arena. */
static const char *write_zip(table_fixture *f, const char *name, const part *parts, bool store)
{
	const char *path = pond_arena_sprintf(f->a, "%s/%s", pond_test_tmpdir(), name);
	int zerr;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (!z)
		return NULL;
	for (const part *p = parts; p->name; p++) {
		zip_source_t *src = zip_source_buffer(z, p->text, strlen(p->text), 0);
		zip_int64_t idx = src ? zip_file_add(z, p->name, src, ZIP_FL_ENC_UTF_8) : -1;
		if (idx < 0 || (store && zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0)) {
			if (idx < 0)
				zip_source_free(src);
			zip_discard(z);
			return NULL;
		}
	}
	return zip_close(z) == 0 ? path : NULL;
}

#define XML_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

static const char root_rels[] = XML_HEAD
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"" NS_REL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
	"</Relationships>";

/* Workbook rels: rId1.. for sheet1.xml.., then styles and shared strings. */
static const char *workbook_rels(table_fixture *f, int nsheets)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_puts(&b, XML_HEAD "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">");
	for (int i = 1; i <= nsheets; i++)
		pond_buf_printf(&b, "<Relationship Id=\"rId%d\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet%d.xml\"/>",
		                i, i);
	pond_buf_printf(&b, "<Relationship Id=\"rId%d\" Type=\"" NS_REL "/styles\" Target=\"styles.xml\"/>"
	                    "<Relationship Id=\"rId%d\" Type=\"" NS_REL "/sharedStrings\" Target=\"/xl/sharedStrings.xml\"/>"
	                    "</Relationships>",
	                nsheets + 1, nsheets + 2);
	const char *s = pond_arena_strdup(f->a, pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	return s;
}

/* Styles: 0 general, 1 built-in date (14), 2 a custom date-time, 3 a
 * built-in time (20), 4 an elapsed duration, 5 a number with a quoted d. */
static const char styles[] = XML_HEAD
	"<styleSheet xmlns=\"" NS_MAIN "\"><numFmts count=\"3\">"
	"<numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\\ hh:mm:ss\"/>"
	"<numFmt numFmtId=\"165\" formatCode=\"[h]:mm:ss\"/>"
	"<numFmt numFmtId=\"166\" formatCode=\"&quot;day &quot;0.00\"/></numFmts>"
	"<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
	"<cellXfs count=\"6\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/>"
	"<xf numFmtId=\"164\" applyNumberFormat=\"1\"/><xf numFmtId=\"20\"/><xf numFmtId=\"165\"/>"
	"<xf numFmtId=\"166\"/></cellXfs></styleSheet>";

/* 0 "name", 1 rich runs "Rich text " with a phonetic run, 2 "id",
 * 3 "a<CR>b" escaped. */
static const char shared_strings[] = XML_HEAD
	"<sst xmlns=\"" NS_MAIN "\" count=\"4\" uniqueCount=\"4\"><si><t>name</t></si>"
	"<si><r><rPr><b/><sz val=\"11\"/></rPr><t>Rich </t></r><r><t xml:space=\"preserve\">text </t></r>"
	"<rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh><phoneticPr fontId=\"1\"/></si>"
	"<si><t>id</t></si><si><t>a_x000D_b</t></si></sst>";

/* A workbook with sheets named names[] (n of them) holding sheet_xml[]
 * (the <sheetData> content), in the 1904 system when date1904. */
static const char *write_book(table_fixture *f, const char *file, bool date1904, int n, const char *const *names,
                              const char *const *sheet_xml)
{
	pond_buf wb = POND_BUF_INIT;
	pond_buf_printf(&wb, XML_HEAD "<workbook xmlns=\"%s\" xmlns:r=\"%s\"><workbookPr%s/><sheets>", NS_MAIN, NS_REL,
	                date1904 ? " date1904=\"1\"" : "");
	for (int i = 0; i < n; i++)
		pond_buf_printf(&wb, "<sheet name=\"%s\" sheetId=\"%d\" r:id=\"rId%d\"/>", names[i], i + 1, i + 1);
	pond_buf_puts(&wb, "</sheets></workbook>");
	part parts[16] = {{"_rels/.rels", root_rels},
	                  {"xl/workbook.xml", pond_arena_strdup(f->a, pond_buf_cstr(&wb))},
	                  {"xl/_rels/workbook.xml.rels", workbook_rels(f, n)},
	                  {"xl/styles.xml", styles},
	                  {"xl/sharedStrings.xml", shared_strings}};
	pond_buf_dispose(&wb);
	for (int i = 0; i < n && i < 10; i++) {
		parts[5 + i].name = pond_arena_sprintf(f->a, "xl/worksheets/sheet%d.xml", i + 1);
		parts[5 + i].text = pond_arena_sprintf(f->a, XML_HEAD "<worksheet xmlns=\"%s\"><dimension ref=\"A1\"/>"
		                                                      "<sheetData>%s</sheetData><pageMargins/></worksheet>",
		                                       NS_MAIN, sheet_xml[i]);
	}
	return write_zip(f, file, parts, false);
}

/* The table's rows as text, ordered by order_by: the values of columns
 * (names separated by ',') joined by ',', NULL as "~", rows by '|'. */
static const char *rows_of(table_fixture *f, const char *table, const char *columns, const char *order_by)
{
	pond_error err = POND_ERROR_INIT;
	pond_table_ident id;
	pond_table *t;
	if (pond_table_ident_parse(&id, f->a, table, &err) || pond_table_load(&t, f->lake, &id, &err))
		return "(no table)";
	pond_buf sql = POND_BUF_INIT, values = POND_BUF_INIT;
	char *list = pond_arena_strdup(f->a, columns), *save = NULL;
	for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		pond_buf_printf(&values, "%scoalesce(CAST(", values.len ? ", " : "");
		pond_sql_quote_ident(&values, c);
		pond_buf_puts(&values, " AS VARCHAR), '~')");
	}
	const char *out = "(query failed)";
	if (pond_table_scan_sql(&sql, f->lake, t, NULL, &err) == 0) {
		const char *q = pond_arena_sprintf(f->a, "SELECT string_agg(concat_ws(',', %s), '|' ORDER BY %s) FROM (%s)",
		                                   pond_buf_cstr(&values), order_by, pond_buf_cstr(&sql));
		char *text = NULL;
		if (pond_engine_query_string(pond_lake_engine(f->lake), q, &text, &err) == 0)
			out = pond_arena_strdup(f->a, text ? text : "");
		else
			fprintf(stderr, "    query: %s\n", err.msg);
		pond_free(text);
	}
	pond_buf_dispose(&values);
	pond_buf_dispose(&sql);
	pond_table_free(&t);
	return out;
}

/* The table's columns as "name type, ..." (DuckDB's type names). */
static const char *columns_of(table_fixture *f, const char *table)
{
	pond_error err = POND_ERROR_INIT;
	pond_table_ident id;
	pond_table *t;
	if (pond_table_ident_parse(&id, f->a, table, &err) || pond_table_load(&t, f->lake, &id, &err))
		return "(no table)";
	const pond_iceberg_type *root = pond_iceberg_metadata_current_schema(t->metadata)->root;
	pond_buf b = POND_BUF_INIT;
	for (size_t i = 0; i < root->nfields; i++) {
		pond_buf_printf(&b, "%s%s ", i ? ", " : "", root->fields[i].name);
		pond_engine_iceberg_type_sql(&b, root->fields[i].type);
	}
	const char *out = pond_arena_strdup(f->a, pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	pond_table_free(&t);
	return out;
}

/* ---- loads ---------------------------------------------------------------------------------- */

/* Every kind of cell, in the 1904 date system: row 3 has no r
 * attributes, row 4 is missing (an empty row between rows), row 6 only
 * a styled empty cell (trailing: not a row). */
static const char every_kind[] =
	"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>2</v></c><c r=\"B1\" t=\"s\"><v>0</v></c>"
	"<c r=\"C1\" t=\"inlineStr\"><is><t>amount</t></is></c><c r=\"D1\" t=\"str\"><f>\"day\"</f><v>day</v></c>"
	"<c r=\"E1\" t=\"inlineStr\"><is><t>at</t></is></c><c r=\"F1\" t=\"inlineStr\"><is><t>t</t></is></c>"
	"<c r=\"G1\" t=\"inlineStr\"><is><t>ok</t></is></c><c r=\"H1\" t=\"inlineStr\"><is><t>mixed</t></is></c>"
	"<c r=\"I1\" t=\"inlineStr\"><is><t>dur</t></is></c><c r=\"J1\" t=\"inlineStr\"><is><t>f</t></is></c>"
	"<c r=\"K1\" t=\"inlineStr\"><is><t> fs </t></is></c></row>"
	"<row r=\"2\"><c r=\"A2\"><v>1</v></c><c r=\"B2\" t=\"s\"><v>1</v></c><c r=\"C2\"><v>1.5</v></c>"
	"<c r=\"D2\" s=\"1\"><v>0</v></c><c r=\"E2\" s=\"2\"><v>1.5</v></c><c r=\"F2\" s=\"3\"><v>0.75</v></c>"
	"<c r=\"G2\" t=\"b\"><v>1</v></c><c r=\"H2\"><v>7</v></c><c r=\"I2\" s=\"4\"><v>1.25</v></c>"
	"<c r=\"J2\"><f>A2*2</f><v>2</v></c><c r=\"K2\" t=\"str\"><f>B2&amp;\"\"</f><v>x &amp; y</v></c></row>"
	"<row><c><v>2</v></c><c t=\"inlineStr\"><is><r><rPr><i/></rPr><t>in</t></r><r><t>line</t></r>"
	"<rPh sb=\"0\" eb=\"1\"><t>NO</t></rPh></is></c><c><v>2</v></c><c s=\"1\"><v>1</v></c><c s=\"2\"><v>0</v></c>"
	"<c s=\"3\"><v>0</v></c><c t=\"b\"><v>0</v></c><c t=\"s\"><v>3</v></c><c s=\"5\"><v>2</v></c>"
	"<c><f>A3*2</f><v>4</v></c><c t=\"e\"><f>NA()</f><v>#N/A</v></c></row>"
	"<row r=\"5\" spans=\"1:11\"><c r=\"A5\"><v>5</v></c><c r=\"G5\" t=\"e\"><v>#DIV/0!</v></c>"
	"<c r=\"J5\"><f>1/0</f><v></v></c></row>"
	"<row r=\"6\"><c r=\"A6\" s=\"1\"/></row>";

TEST(xlsx_loads_every_kind_of_cell_with_column_types)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "kinds", NULL) == 0);
	const char *names[] = {"Data"};
	const char *sheets[] = {every_kind};
	const char *path = write_book(&f, "kinds.xlsx", true, 1, names, sheets);
	CHECK(path != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.kinds";
	pond_ingest_result r;
	CHECK_OK(pond_ingest_file(f.lake, path, &rd, &w, NULL, &r, &err), &err);
	CHECK(r.created);
	CHECK_INT(r.rows, 4);
	CHECK_INT(r.error_cells, 2);
	pond_ingest_result_dispose(&r);
	CHECK_STR(columns_of(&f, "raw.kinds"),
	          "id BIGINT, name VARCHAR, amount DOUBLE, day DATE, at TIMESTAMP, t TIME, ok BOOLEAN, mixed VARCHAR, "
	          "dur DOUBLE, f BIGINT, fs VARCHAR");
	CHECK_STR(rows_of(&f, "raw.kinds", "id,name,amount,day,at,t,ok,mixed,dur,f,fs", "coalesce(id, 4)"),
	          "1,Rich text ,1.5,1904-01-01,1904-01-02 12:00:00,18:00:00,true,7,1.25,2,x & y|"
	          "2,inline,2.0,1904-01-02,1904-01-01 00:00:00,00:00:00,false,a\rb,2.0,4,~|"
	          "~,~,~,~,~,~,~,~,~,~,~|"
	          "5,~,~,~,~,~,~,~,~,~,~");
	fx_teardown(&f);
}

/* A title in A1, a table at B3:D6 with a header row, a stray E column. */
static const char q3[] =
	"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Prices, third quarter</t></is></c></row>"
	"<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>sku</t></is></c><c r=\"C3\" t=\"inlineStr\"><is><t>Price</t>"
	"</is></c><c r=\"D3\" t=\"inlineStr\"><is><t>price</t></is></c><c r=\"E3\"><v>99</v></c></row>"
	"<row r=\"4\"><c r=\"B4\" t=\"inlineStr\"><is><t>a</t></is></c><c r=\"C4\"><v>10</v></c><c r=\"D4\"><v>11</v></c>"
	"<c r=\"E4\"><v>99</v></c></row>"
	"<row r=\"5\"><c r=\"B5\" t=\"inlineStr\"><is><t>b</t></is></c><c r=\"C5\"><v>20</v></c><c r=\"D5\"><v>21</v></c></row>"
	"<row r=\"6\"><c r=\"B6\" t=\"inlineStr\"><is><t>c</t></is></c><c r=\"C6\"><v>30</v></c><c r=\"D6\"><v>31</v></c></row>";

static int load(table_fixture *f, const char *path, const char *table, const char *sheet, const char *range,
                int header, pond_ingest_mode mode, pond_error *err)
{
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	rd.sheet = sheet;
	rd.range = range;
	rd.header = header;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = table;
	w.mode = mode;
	pond_ingest_result r;
	int rc = pond_ingest_file(f->lake, path, &rd, &w, NULL, &r, err);
	pond_ingest_result_dispose(&r);
	return rc;
}

TEST(xlsx_sheets_by_name_or_number_ranges_and_header_rows)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "ranges", NULL) == 0);
	const char *names[] = {"First", "Q3"};
	const char *sheets[] = {"<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>", q3};
	const char *path = write_book(&f, "book.xlsx", false, 2, names, sheets);
	CHECK(path != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(load(&f, path, "raw.a", "Q3", "B3:D5", -1, POND_INGEST_APPEND, &err), &err);
	/* Names differing only in case are one name to DuckDB. */
	CHECK_STR(columns_of(&f, "raw.a"), "sku VARCHAR, Price BIGINT, price_2 BIGINT");
	CHECK_STR(rows_of(&f, "raw.a", "sku,Price,price_2", "sku"), "a,10,11|b,20,21");
	CHECK_OK(load(&f, path, "raw.b", "2", "C4:D5", 0, POND_INGEST_APPEND, &err), &err);
	CHECK_STR(columns_of(&f, "raw.b"), "C BIGINT, D BIGINT");
	CHECK_STR(rows_of(&f, "raw.b", "C,D", "C"), "10,11|20,21");
	CHECK_OK(load(&f, path, "raw.c", "q3", "B3", 1, POND_INGEST_APPEND, &err), &err);
	CHECK_STR(columns_of(&f, "raw.c"), "sku VARCHAR, Price BIGINT, price_2 BIGINT, 99 BIGINT");
	CHECK_STR(rows_of(&f, "raw.c", "sku,99", "sku"), "a,99|b,~|c,~");
	/* No range: from the first row with a value; the title is a header. */
	CHECK_OK(load(&f, path, "raw.d", NULL, NULL, 0, POND_INGEST_APPEND, &err), &err);
	CHECK_STR(rows_of(&f, "raw.d", "A", "A"), "1");
	CHECK_OK(load(&f, path, "raw.e", "Q3", "B:C", 0, POND_INGEST_APPEND, &err), &err);
	/* Rows open: from the first row with a value in the columns. */
	CHECK_STR(rows_of(&f, "raw.e", "B,C", "B"), "a,10|b,20|c,30|sku,Price");
	fx_teardown(&f);
}

/* The current snapshot of table, 0 when it does not exist. */
static int64_t snapshot_of(table_fixture *f, const char *table)
{
	pond_error err = POND_ERROR_INIT;
	pond_table_ident id;
	pond_table *t;
	if (pond_table_ident_parse(&id, f->a, table, &err) || pond_table_load(&t, f->lake, &id, &err))
		return 0;
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	int64_t v = s ? s->snapshot_id : 0;
	pond_table_free(&t);
	return v;
}

/* Each bad input fails with one line naming the file, the sheet and the
 * cell, and leaves the table at the snapshot it had. */
TEST(xlsx_bad_input_is_one_line_and_commits_nothing)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "bad", NULL) == 0);
	const char *names[] = {"First", "Q3", "Bad", "Num", "Str", "Huge"};
	const char *sheets[] = {"<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>", q3,
	                        "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"B2\"><v>2</c></row>",
	                        "<row r=\"1\"><c r=\"C1\"><v>1</v></c></row><row r=\"7\"><c r=\"C7\"><v>abc</v></c></row>",
	                        "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>99</v></c></row>",
	                        "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"1048576\"><c r=\"XFD1048576\">"
	                        "<v>1</v></c></row>"};
	const char *path = write_book(&f, "book.xlsx", false, 6, names, sheets);
	CHECK(path != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(load(&f, path, "raw.t", "Q3", "B3:D6", 1, POND_INGEST_APPEND, &err), &err);
	int64_t snap = snapshot_of(&f, "raw.t");
	CHECK(snap != 0);
	struct {
		const char *file, *sheet, *range, *want;
	} cases[] = {
		{path, "Q4", NULL,
		 "book.xlsx: no sheet \"Q4\" (the workbook has \"First\", \"Q3\", \"Bad\", \"Num\", \"Str\", \"Huge\")"},
		{path, "9", NULL, "no sheet \"9\""},
		{path, "Q3", "D9:B1", "book.xlsx: bad range \"D9:B1\" (expected cells such as B3:F200, B3 or B:F)"},
		{path, "Bad", NULL, "book.xlsx: sheet \"Bad\": cell B2: malformed XML: "},
		{path, "Num", NULL, "book.xlsx: sheet \"Num\": cell C7: \"abc\" is not a number"},
		{path, "Str", NULL, "book.xlsx: sheet \"Str\": cell A1: shared string \"99\" does not exist (the workbook has 4)"},
		/* Two cells far apart: refused before anything is appended. */
		{path, "Huge", NULL, "book.xlsx: sheet \"Huge\": 1048576 rows by 16384 columns is over 100000000 cells"},
		{fx_write_text(&f, "junk.xlsx", "id,name\n1,a\n"), NULL, NULL,
		 "junk.xlsx: not an xlsx workbook (a zip): "},
		{write_zip(&f, "empty.xlsx", (const part[]){{"hello.txt", "hi"}, {NULL, NULL}}, false), NULL, NULL,
		 "empty.xlsx: not an xlsx workbook (no xl/workbook.xml in the zip)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(cases[i].file != NULL);
		pond_error_clear(&err);
		CHECK(load(&f, cases[i].file, "raw.t", cases[i].sheet, cases[i].range, 1, POND_INGEST_APPEND, &err) != 0);
		CHECK_MSG(strstr(err.msg, cases[i].want) != NULL, "case %zu: \"%s\" does not contain \"%s\"", i, err.msg,
		          cases[i].want);
		CHECK(strchr(err.msg, '\n') == NULL);
		CHECK_INT(snapshot_of(&f, "raw.t"), snap);
	}
	/* A sheet stored uncompressed with a byte changed after its CRC was
	 * taken: the XML parses, the zip's check fails at the end. */
	part parts[] = {{"_rels/.rels", root_rels}, {"xl/workbook.xml", "<workbook xmlns:r=\"" NS_REL "\"><sheets>"
	                "<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"},
	                {"xl/_rels/workbook.xml.rels", workbook_rels(&f, 1)},
	                {"xl/styles.xml", styles}, {"xl/sharedStrings.xml", shared_strings},
	                {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>12345</v></c>"
	                 "</row></sheetData></worksheet>"}, {NULL, NULL}};
	const char *crc = write_zip(&f, "crc.xlsx", parts, true);
	CHECK(crc != NULL);
	char *bytes;
	size_t len;
	CHECK_OK(pond_file_read(&bytes, &len, crc, 1 << 20, &err), &err);
	char *digits = memmem(bytes, len, "12345", 5);
	if (digits)
		digits[4] = '6';
	int wrc = digits ? pond_file_write_atomic(crc, bytes, len, &err) : -1;
	pond_free(bytes);
	CHECK(wrc == 0);
	CHECK(load(&f, crc, "raw.t", NULL, NULL, 1, POND_INGEST_APPEND, &err) != 0);
	CHECK_MSG(strstr(err.msg, "crc.xlsx: sheet \"S\"") && strstr(err.msg, "could not inflate the sheet: CRC error"),
	          "%s", err.msg);
	CHECK_INT(snapshot_of(&f, "raw.t"), snap);
	/* A new table is not created by a failed load. */
	CHECK(load(&f, path, "raw.never", "Num", NULL, 1, POND_INGEST_APPEND, &err) != 0);
	CHECK_INT(snapshot_of(&f, "raw.never"), 0);
	fx_teardown(&f);
}

static int parse_source(pond_source **out, const char *yaml, pond_arena *a, pond_error *err)
{
	return pond_source_parse(out, "prices", yaml, strlen(yaml), "sources/prices.yml", NULL, a, err);
}

TEST(xlsx_source_config_parses_and_refuses_bad_keys)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	CHECK_OK(parse_source(&s, "type: xlsx\ntable: raw.prices\npath: prices.xlsx\nsheet: Q3\nrange: B3:F200\n"
	                          "header: false\nmode: merge\nkey: sku\n", a, &err), &err);
	CHECK_STR(pond_source_type(s), "xlsx");
	CHECK_INT(s->read.format, POND_FORMAT_XLSX);
	CHECK_STR(s->read.sheet, "Q3");
	CHECK_STR(s->read.range, "B3:F200");
	CHECK_INT(s->read.header, 0);
	CHECK(parse_source(&s, "type: xlsx\ntable: raw.p\npath: p.xlsx\nrange: 'B3:'\n", a, &err) == POND_EINVAL);
	CHECK_STR(err.msg, "sources/prices.yml:4: bad range \"B3:\" (expected cells such as B3:F200, B3 or B:F)");
	CHECK(parse_source(&s, "type: xlsx\ntable: raw.p\npath: p.xlsx\ndelimiter: ';'\n", a, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "sources/prices.yml:4") && strstr(err.msg, "delimiter"));
	CHECK(parse_source(&s, "type: xlsx\ntable: raw.p\n", a, &err) == POND_EINVAL);
	CHECK_STR(err.msg, "sources/prices.yml:1: \"path\" is missing (an .xlsx file or URL)");
	pond_arena_free(&a);
}

/* A type: xlsx source runs with the write modes and schema evolution of
 * every source. */
TEST(xlsx_source_appends_replaces_merges_and_evolves)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "modes", NULL) == 0);
	const char *names[] = {"Q3"};
	const char *first[] = {q3};
	const char *path = write_book(&f, "prices.xlsx", false, 1, names, first);
	CHECK(path != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	const char *yaml = pond_arena_sprintf(f.a, "type: xlsx\ntable: raw.p\npath: %s\nsheet: Q3\nrange: B3:D6\n", path);
	CHECK_OK(parse_source(&s, yaml, f.a, &err), &err);
	pond_ingest_result r;
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	CHECK_INT(r.rows, 3);
	pond_ingest_result_dispose(&r);
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	CHECK_STR(rows_of(&f, "raw.p", "sku,Price", "sku, Price"), "a,10|a,10|b,20|b,20|c,30|c,30");
	s->write.mode = POND_INGEST_REPLACE;
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	CHECK_STR(rows_of(&f, "raw.p", "sku,Price", "sku"), "a,10|b,20|c,30");
	/* The next version of the workbook: b changed, d new, a new column. */
	const char *second[] = {
		"<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>sku</t></is></c><c r=\"C3\" t=\"inlineStr\"><is><t>Price</t>"
		"</is></c><c r=\"D3\" t=\"inlineStr\"><is><t>price</t></is></c><c r=\"E3\" t=\"inlineStr\"><is><t>note</t>"
		"</is></c></row><row r=\"4\"><c r=\"B4\" t=\"inlineStr\"><is><t>b</t></is></c><c r=\"C4\"><v>25</v></c>"
		"<c r=\"D4\"><v>26</v></c><c r=\"E4\" t=\"inlineStr\"><is><t>up</t></is></c></row><row r=\"5\"><c r=\"B5\" "
		"t=\"inlineStr\"><is><t>d</t></is></c><c r=\"C5\"><v>40</v></c><c r=\"D5\"><v>41</v></c></row>"};
	CHECK(write_book(&f, "prices.xlsx", false, 1, names, second) != NULL);
	static const char *keys[] = {"sku"};
	s->write.mode = POND_INGEST_MERGE;
	s->write.keys = keys;
	s->write.nkeys = 1;
	s->read.range = "B3:E6";
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	CHECK_INT(r.replaced_records, 1);
	CHECK_INT(r.nchanges, 1);
	CHECK_STR(r.changes[0].kind, "add");
	CHECK_STR(r.changes[0].column, "note");
	pond_ingest_result_dispose(&r);
	CHECK_STR(rows_of(&f, "raw.p", "sku,Price,price_2,note", "sku"), "a,10,11,~|b,25,26,up|c,30,31,~|d,40,41,~");
	fx_teardown(&f);
}
