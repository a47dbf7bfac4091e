/*
 * libFuzzer target: xlsx workbooks. Input starting with "PK" is a whole
 * workbook (the zip); anything else is the XML of its one sheet, put in a
 * fixed workbook (stored uncompressed) so that mutations reach the sheet
 * parser. Either reads to cells or to a one-line error, never a crash or
 * a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <zip.h>

#include "ingest/xlsx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rels[] =
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" "
	"Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
	"Target=\"xl/workbook.xml\"/></Relationships>";
static const char workbook[] =
	"<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><workbookPr "
	"date1904=\"1\"/><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char workbook_rels[] =
	"<Relationships><Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"x/styles\" Target=\"styles.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";
static const char styles[] =
	"<styleSheet><numFmts><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd hh:mm\"/></numFmts><cellXfs>"
	"<xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/><xf numFmtId=\"20\"/></cellXfs></styleSheet>";
static const char strings[] = "<sst><si><t>a</t></si><si><r><t>b</t></r><rPh><t>c</t></rPh></si></sst>";

static int add(zip_t *z, const char *name, const void *data, size_t len)
{
	zip_source_t *src = zip_source_buffer(z, data, len, 0);
	zip_int64_t idx = src ? zip_file_add(z, name, src, ZIP_FL_OVERWRITE) : -1;
	if (idx < 0) {
		zip_source_free(src);
		return -1;
	}
	return zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
}

static void read_book(const char *path)
{
	pond_error err = POND_ERROR_INIT;
	xlsx_book *book;
	if (pond__xlsx_book_open(&book, path, "fuzz.xlsx", &err) != 0)
		return;
	xlsx_sheet *sheet = NULL;
	if (pond__xlsx_sheet_read(&sheet, book, NULL, NULL, NULL, &err) == 0) {
		for (size_t r = 0; r < sheet->nrows && r < 64; r++)
			for (size_t c = 0; c < sheet->ncols && c < 64; c++)
				(void)pond__xlsx_cell(sheet, r, c);
	}
	pond__xlsx_sheet_free(&sheet);
	pond__xlsx_book_close(&book);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/pond-fuzz-xlsx-%d.xlsx", (int)getpid());
	if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
		FILE *f = fopen(path, "wb");
		if (!f)
			return 0;
		fwrite(data, 1, size, f);
		fclose(f);
		read_book(path);
		return 0;
	}
	int zerr;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	if (!z)
		return 0;
	if (add(z, "_rels/.rels", rels, sizeof(rels) - 1) || add(z, "xl/workbook.xml", workbook, sizeof(workbook) - 1) ||
	    add(z, "xl/_rels/workbook.xml.rels", workbook_rels, sizeof(workbook_rels) - 1) ||
	    add(z, "xl/styles.xml", styles, sizeof(styles) - 1) ||
	    add(z, "xl/sharedStrings.xml", strings, sizeof(strings) - 1) ||
	    add(z, "xl/worksheets/sheet1.xml", data, size) || zip_close(z) != 0) {
		zip_discard(z);
		return 0;
	}
	read_book(path);
	return 0;
}
