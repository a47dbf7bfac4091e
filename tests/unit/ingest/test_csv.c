/*
 * Unit tests for messy CSV: lines skipped before the header, null strings,
 * numbers with a decimal comma and thousands separators, date and
 * timestamp formats per column, and files in other encodings; each into a
 * real lake, with the errors that name the file's own line and commit
 * nothing.
 */
#include "../test.h"

#include <stdlib.h>

#include "ingest/ingest_internal.h"
#include "pond/ingest.h"
#include "../table/fixture.h"

static int load(table_fixture *f, const char *path, const pond_ingest_read *rd, const char *table,
                const pond_ingest_options *opts, pond_error *err)
{
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = table;
	pond_ingest_result r;
	int rc = pond_ingest_file(f->lake, path, rd, &w, opts, &r, err);
	pond_ingest_result_dispose(&r);
	return rc;
}

static int parse(pond_source **out, const char *yaml, pond_arena *a, pond_error *err)
{
	return pond_source_parse(out, "bank", yaml, strlen(yaml), "sources/bank.yml", NULL, a, err);
}

/* ---- config -------------------------------------------------------------------------- */

TEST(ingest_csv_config_reads_the_messy_keys)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	CHECK_OK(parse(&s,
	               "type: file\ntable: raw.bank\npath: bank.csv\n"
	               "skip: 2\nnull: ['', NA, '-']\ndecimal_mark: ','\nthousands: '.'\nencoding: windows-1252\n"
	               "columns:\n  day: {type: date, format: '%d.%m.%Y'}\n  ts: {type: timestamp, format: '%d/%m/%Y %H:%M'}\n"
	               "  zip: text\n",
	               a, &err),
	         &err);
	CHECK_INT(s->read.skip, 2);
	CHECK_INT(s->read.nnulls, 3);
	CHECK_STR(s->read.nulls[1], "NA");
	CHECK_INT(s->read.decimal_mark, ',');
	CHECK_INT(s->read.thousands, '.');
	CHECK_STR(s->read.encoding, "windows-1252");
	CHECK_INT(s->read.ncolumns, 3);
	CHECK_STR(s->read.columns[1].name, "ts");
	CHECK_STR(s->read.columns[1].format, "%d/%m/%Y %H:%M");
	CHECK_STR(s->read.columns[2].type, "text");
	/* A decimal comma alone implies a thousands dot, as for web pages. */
	CHECK_OK(parse(&s, "type: folder\ntable: raw.bank\npath: 'in/*.csv'\ndecimal_mark: ','\nheader_line: 4\n", a, &err),
	         &err);
	CHECK_INT(s->read.thousands, '.');
	CHECK_INT(s->read.skip, 3);
	CHECK_INT(s->read.header, 1);
	pond_arena_free(&a);
}

TEST(ingest_csv_config_errors_name_the_line)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	static const struct { const char *yaml, *msg; } cases[] = {
		{"skip: 1\nheader_line: 2\n", "sources/bank.yml:5: give \"skip\" or \"header_line\", not both"},
		{"skip: -1\n", "sources/bank.yml:4: \"skip\" must be between 0 and 2147483647"},
		{"decimal_mark: ';'\n", "sources/bank.yml:4: \"decimal_mark\" is \".\" or \",\""},
		{"decimal_mark: ','\nthousands: ','\n", "sources/bank.yml:5: \"thousands\" is one of , . ' or a space (or "
		                                        "\"\" for none), other than the decimal mark"},
		{"columns:\n  day: {type: date}\n", "sources/bank.yml:5: column \"day\" needs \"format\" (e.g. \"%d.%m.%Y\")"},
		{"columns:\n  day: dat\n", "sources/bank.yml:5: column \"day\": unknown type \"dat\" (expected text, long, "
		                           "double, boolean, date or timestamp)"},
		{"columns:\n  a: {type: date, format: '%d.%m.%Y'}\n  b: {type: date, format: '%Y-%m-%d'}\n",
		 "sources/bank.yml:6: column \"b\": the dates of one CSV file share one format (\"%d.%m.%Y\", not "
		 "\"%Y-%m-%d\")"},
		{"columns:\n  n: {type: long, format: x}\n", "sources/bank.yml:5: column \"n\": \"format\" is for date and "
		                                            "timestamp columns"},
		{"columns:\n  n: {type: long, fmt: x}\n", "sources/bank.yml:5: unknown key \"fmt\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *yaml = pond_arena_sprintf(a, "type: file\ntable: raw.bank\npath: bank.csv\n%s", cases[i].yaml);
		CHECK(parse(&s, yaml, a, &err) != 0);
		CHECK_MSG(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0, "case %zu: %s", i, err.msg);
	}
	/* The html source's keys of the same names mean the same. */
	CHECK(parse(&s, "type: html\ntable: raw.t\nurl: x.html\ndecimal_mark: ','\nthousands: ','\n", a, &err) != 0);
	CHECK(strstr(err.msg, "sources/bank.yml:5: \"thousands\" is one of") != NULL);
	pond_arena_free(&a);
}

TEST(ingest_csv_number_format_is_the_html_sources)
{
	char d, t;
	const char *why;
	CHECK(pond_ingest_number_format_parse(",", NULL, &d, &t, &why));
	CHECK(d == ',' && t == '.');
	CHECK(pond_ingest_number_format_parse(NULL, NULL, &d, &t, &why));
	CHECK(d == '.' && t == ',');
	CHECK(pond_ingest_number_format_parse(",", "", &d, &t, &why));
	CHECK(d == ',' && t == '\0');
	CHECK(pond_ingest_number_format_parse(".", "'", &d, &t, &why));
	CHECK(t == '\'');
	CHECK(!pond_ingest_number_format_parse(".", ".", &d, &t, &why));
	CHECK(!pond_ingest_number_format_parse("x", NULL, &d, &t, &why));
	CHECK_STR(pond_ingest_column_sql_type("date"), "DATE");
	CHECK(pond_ingest_column_sql_type("datum") == NULL);
}

/* ---- loads ----------------------------------------------------------------------------- */

TEST(ingest_csv_skip_drops_titles_and_keeps_line_numbers)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "csv_skip", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *good =
		fx_write_text(&f, "skip.csv", "Account report\nExported on 2025-01-16\nid;name;n\n1;a;10\n2;b;20\n");
	const char *ragged = fx_write_text(&f, "skip_bad.csv", "Account report\n\nid;name;n\n1;a;10\n2;b;20;x\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	rd.skip = 2;
	CHECK_OK(load(&f, good, &rd, "raw.skip", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.skip", "sum(n)"), "30");
	CHECK_STR(fx_query_named(&f, "raw.skip", "string_agg(name, ',' ORDER BY id)"), "a,b");
	CHECK(load(&f, ragged, &rd, "raw.skip", NULL, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:5: expected 3 columns, found 4", ragged));
	CHECK_STR(fx_query_named(&f, "raw.skip", "count(*)"), "2");
	/* The header on line 3: skip 2 lines and read a header. */
	pond_ingest_read hl = POND_INGEST_READ_INIT;
	hl.skip = 2;
	hl.header = 1;
	CHECK_OK(load(&f, good, &hl, "raw.skip_hl", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.skip_hl", "max(name)"), "b");
	fx_teardown(&f);
}

TEST(ingest_csv_null_strings_read_as_null)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "csv_null", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *csv = fx_write_text(&f, "nulls.csv", "id,v,w\n1,NA,x\n2,-,y\n3,,z\n4,5,NA\n");
	static const char *const nulls[] = {"", "NA", "-"};
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	rd.nulls = nulls;
	rd.nnulls = 3;
	CHECK_OK(load(&f, csv, &rd, "raw.nulls", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.nulls", "count(v)"), "1");
	CHECK_STR(fx_query_named(&f, "raw.nulls", "sum(v)"), "5");  /* a number column, not text */
	CHECK_STR(fx_query_named(&f, "raw.nulls", "count(w)"), "3");
	fx_teardown(&f);
}

TEST(ingest_csv_decimal_comma_and_thousands_load_as_numbers)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "csv_numbers", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *csv = fx_write_text(&f, "num.csv", "id;amount;count;note;plain\n1;1.234,50;1.000;a 1,5;2,5\n"
	                                               "2;-5,25;12;3,5;3\n3;;2.345.678;x;\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	/* Without a number format such columns stay text, never misread. */
	CHECK_OK(load(&f, csv, &rd, "raw.text", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.text", "typeof(amount) || ' ' || typeof(count)"), "VARCHAR VARCHAR");
	CHECK_STR(fx_query_named(&f, "raw.text", "max(amount)"), "1.234,50");
	rd.decimal_mark = ',';
	rd.thousands = '.';
	CHECK_OK(load(&f, csv, &rd, "raw.num", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.num", "typeof(amount) || ' ' || typeof(count) || ' ' || typeof(note) || ' ' || "
	                                    "typeof(plain)"),
	          "DOUBLE BIGINT VARCHAR DOUBLE");
	CHECK_STR(fx_query_named(&f, "raw.num", "sum(amount)"), "1229.25");
	CHECK_STR(fx_query_named(&f, "raw.num", "sum(count)"), "2346690");
	CHECK_STR(fx_query_named(&f, "raw.num", "count(amount)"), "2");
	/* Into the table that now exists: the same conversion, appended. */
	CHECK_OK(load(&f, csv, &rd, "raw.num", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.num", "sum(amount)"), "2458.5");
	/* A value that is not a number in the table's number column: its line. */
	const char *bad = fx_write_text(&f, "num_bad.csv", "id;amount;count;note;plain\n1;1.234,50;1.000;a;1\n"
	                                                   "2;12,5;1.2.3;b;1\n");
	CHECK(load(&f, bad, &rd, "raw.num", NULL, &err) != 0);
	CHECK(strstr(err.msg, "num_bad.csv:3: ") != NULL);
	CHECK(strstr(err.msg, "\"count\"") != NULL);
	CHECK_STR(fx_query_named(&f, "raw.num", "count(*)"), "6");
	/* A fraction in the table's whole-number column fails, not rounds. */
	const char *frac =
		fx_write_text(&f, "num_frac.csv", "id;amount;count;note;plain\n1;1,5;1.000;a;1\n2;2,5;1,5;b;1\n");
	CHECK(load(&f, frac, &rd, "raw.num", NULL, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s: column \"count\" has numbers with a fraction, but it is a "
	                                           "whole-number column of table raw.num", frac));
	CHECK_STR(fx_query_named(&f, "raw.num", "count(*)"), "6");
	/* Thousands with a decimal point: "1,234.5" quoted in a comma file. */
	const char *us = fx_write_text(&f, "us.csv", "id,amount\n1,\"1,234.5\"\n2,\"12,000\"\n");
	pond_ingest_read dot = POND_INGEST_READ_INIT;
	dot.decimal_mark = '.';
	dot.thousands = ',';
	CHECK_OK(load(&f, us, &dot, "raw.us", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.us", "sum(amount)"), "13234.5");
	fx_teardown(&f);
}

TEST(ingest_csv_date_formats_per_column)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "csv_dates", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *csv = fx_write_text(&f, "dates.csv", "id,day,ts\n1,Jan 1 2000,31/12/2024 23:59\n"
	                                                 "2,Feb 29 2004,01/02/2025 08:05\n");
	pond_ingest_column cols[] = {{"day", "date", "%b %d %Y"}, {"ts", "timestamp", "%d/%m/%Y %H:%M"}};
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	rd.columns = cols;
	rd.ncolumns = 2;
	CHECK_OK(load(&f, csv, &rd, "raw.dates", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.dates", "min(day)"), "2000-01-01");
	CHECK_STR(fx_query_named(&f, "raw.dates", "typeof(day) || ' ' || typeof(ts)"), "DATE TIMESTAMP");
	CHECK_STR(fx_query_named(&f, "raw.dates", "max(ts)"), "2025-02-01 08:05:00");
	/* Appended to the table that exists: the read keeps its formats. */
	CHECK_OK(load(&f, csv, &rd, "raw.dates", NULL, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.dates", "count(DISTINCT day) || ' of ' || count(*)"), "2 of 4");
	/* A value that does not match: the file's line and the column. */
	const char *bad = fx_write_text(&f, "dates_bad.csv", "id,day,ts\n1,Jan 1 2000,31/12/2024 23:59\n"
	                                                     "2,2000-01-02,01/02/2025 08:05\n");
	CHECK(load(&f, bad, &rd, "raw.dates", NULL, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:3: error when converting column \"day\": could not convert "
	                                           "string \"2000-01-02\" to 'DATE'", bad));
	CHECK(load(&f, bad, &rd, "raw.dates_new", NULL, &err) != 0);
	CHECK(strstr(err.msg, "dates_bad.csv:3: ") != NULL);
	CHECK_STR(fx_query_named(&f, "raw.dates", "count(*)"), "4");
	CHECK_STR(fx_query_named(&f, "raw.dates_new", "count(*)"), "(no table)");
	/* Two date columns, two formats: what DuckDB's reader cannot do. */
	pond_ingest_column two[] = {{"day", "date", "%b %d %Y"}, {"ts", "date", "%d/%m/%Y"}};
	rd.columns = two;
	CHECK_INT(load(&f, csv, &rd, "raw.dates2", NULL, &err), POND_EUNSUPPORTED);
	CHECK(strstr(err.msg, "share one format") != NULL);
	fx_teardown(&f);
}

TEST(ingest_csv_encodings_convert_to_utf8)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "csv_enc", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *tmp = pond_arena_sprintf(f.a, "%s/enc_tmp", pond_test_tmpdir());
	CHECK_OK(pond_mkdirs(tmp, &err), &err);
	pond_ingest_options o = POND_INGEST_OPTIONS_INIT;
	o.tmpdir = tmp;
	/* windows-1252: 0x80 is the euro sign, 0xe4 a-umlaut. */
	static const char cp1252[] = "id;text\n1;\x80 5\n2;B\xe4""ckerei\n";
	const char *csv = fx_write_bytes(&f, "cp1252.csv", cp1252, sizeof(cp1252) - 1);
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	rd.encoding = "windows-1252";
	CHECK_OK(load(&f, csv, &rd, "raw.enc", &o, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.enc", "string_agg(text, '|' ORDER BY id)"), "\xe2\x82\xac 5|B\xc3\xa4""ckerei");
	CHECK_INT(fx_count_files(tmp, NULL), 0);
	/* latin-1 is glibc's latin1; a UTF-8 byte order mark is dropped
	 * whatever the encoding. */
	static const char bom[] = "\xef\xbb\xbfid;text\n3;Gr\xfc\xdf""e\n";
	const char *bom_csv = fx_write_bytes(&f, "bom.csv", bom, sizeof(bom) - 1);
	rd.encoding = "latin-1";
	CHECK_OK(load(&f, bom_csv, &rd, "raw.enc", &o, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.enc", "max(text) FILTER (WHERE id = 3)"), "Gr\xc3\xbc\xc3\x9f""e");
	/* UTF-16 with its byte order mark. */
	static const char utf16[] = "\xff\xfei\0d\0;\0t\0e\0x\0t\0\n\0""4\0;\0\xac\x20\n\0";
	const char *u16 = fx_write_bytes(&f, "u16.csv", utf16, sizeof(utf16) - 1);
	rd.encoding = "utf-16";
	CHECK_OK(load(&f, u16, &rd, "raw.enc", &o, &err), &err);
	CHECK_STR(fx_query_named(&f, "raw.enc", "max(text) FILTER (WHERE id = 4)"), "\xe2\x82\xac");
	/* A byte windows-1252 does not have: its line; nothing committed,
	 * nothing left behind. */
	static const char bad[] = "id;text\n5;a\n6;b\n7;\x81\n";
	const char *bad_csv = fx_write_bytes(&f, "bad1252.csv", bad, sizeof(bad) - 1);
	rd.encoding = "windows-1252";
	CHECK_INT(load(&f, bad_csv, &rd, "raw.enc", &o, &err), POND_ECORRUPT);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:4: byte 0x81 is not valid windows-1252", bad_csv));
	CHECK_STR(fx_query_named(&f, "raw.enc", "count(*)"), "4");
	CHECK_INT(fx_count_files(tmp, NULL), 0);
	/* Errors after the conversion name the file, not the copy. */
	static const char ragged[] = "id;text\n8;a\n9;b;\xe4\n";
	const char *ragged_csv = fx_write_bytes(&f, "ragged1252.csv", ragged, sizeof(ragged) - 1);
	CHECK(load(&f, ragged_csv, &rd, "raw.enc", &o, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:3: expected 2 columns, found 3", ragged_csv));
	CHECK_INT(fx_count_files(tmp, NULL), 0);
	/* A file that stops inside a character: the line it stops on. */
	static const char cut16[] = "\xff\xfei\0d\0\n\0""4";
	const char *cut = fx_write_bytes(&f, "cut16.csv", cut16, sizeof(cut16) - 1);
	rd.encoding = "utf-16";
	CHECK_INT(load(&f, cut, &rd, "raw.enc", &o, &err), POND_ECORRUPT);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:2: the file ends in the middle of a utf-16 character", cut));
	CHECK_INT(fx_count_files(tmp, NULL), 0);
	/* A glob converts nothing: a folder source does, file by file. */
	const char *glob = pond_arena_sprintf(f.a, "%s/cp*.csv", pond_test_tmpdir());
	rd.encoding = "windows-1252";
	CHECK_INT(load(&f, glob, &rd, "raw.enc", &o, &err), POND_EUNSUPPORTED);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s: an encoding is converted one file at a time (not for a glob: "
	                                           "define a folder source)", glob));
	CHECK_STR(fx_query_named(&f, "raw.enc", "count(*)"), "4");
	static const char zstd[] = "\x28\xb5\x2f\xfd\x00\x00";
	const char *zst = fx_write_bytes(&f, "x.csv.zst", zstd, sizeof(zstd) - 1);
	CHECK_INT(load(&f, zst, &rd, "raw.enc", &o, &err), POND_EUNSUPPORTED);
	CHECK(strstr(err.msg, "cannot convert a zstd file") != NULL);
	rd.encoding = "klingon-8";
	CHECK_INT(load(&f, csv, &rd, "raw.enc", &o, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "unknown encoding \"klingon-8\"") != NULL);
	/* Ctrl-C during the conversion: nothing committed or left. */
	volatile int flag = 1;
	o.cancel = &flag;
	rd.encoding = "windows-1252";
	CHECK_INT(load(&f, csv, &rd, "raw.enc", &o, &err), POND_ECANCELED);
	CHECK_INT(fx_count_files(tmp, NULL), 0);
	CHECK_STR(fx_query_named(&f, "raw.enc", "count(*)"), "4");
	fx_teardown(&f);
}

TEST(ingest_csv_folder_source_converts_each_file)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "csv_folder", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *dir = pond_arena_sprintf(f.a, "%s/bank_in", pond_test_tmpdir());
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	static const char a[] = "Konto\nDatum;Betrag;Text\n31.12.2024;1.234,50;M\xe4rz\n";
	static const char b[] = "Konto\nDatum;Betrag;Text\n02.01.2025;-4,20;n/a\n";
	fx_write_bytes(&f, "bank_in/a.csv", a, sizeof(a) - 1);
	fx_write_bytes(&f, "bank_in/b.csv", b, sizeof(b) - 1);
	const char *yaml = pond_arena_sprintf(f.a, "type: folder\ntable: raw.konto\npath: %s/*.csv\nheader_line: 2\n"
	                                           "encoding: latin-1\ndecimal_mark: ','\nnull: n/a\n"
	                                           "columns: {Datum: {type: date, format: '%%d.%%m.%%Y'}}\n", dir);
	pond_source *s;
	CHECK_OK(pond_source_parse(&s, "konto", yaml, strlen(yaml), "sources/konto.yml", NULL, f.a, &err), &err);
	pond_ingest_result r;
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	CHECK_INT(r.rows, 2);
	pond_ingest_result_dispose(&r);
	CHECK_STR(fx_query_named(&f, "raw.konto", "sum(Betrag)"), "1230.3");
	CHECK_STR(fx_query_named(&f, "raw.konto", "min(Datum)"), "2024-12-31");
	CHECK_STR(fx_query_named(&f, "raw.konto", "count(Text) || ' ' || max(Text)"), "1 M\xc3\xa4rz");
	/* A new file with a bad date: named with its line, not the copy. */
	static const char c[] = "Konto\nDatum;Betrag;Text\n03.01.2025;1,00;x\n32.01.2025;2,00;y\n";
	const char *cpath = fx_write_bytes(&f, "bank_in/c.csv", c, sizeof(c) - 1);
	CHECK(pond_ingest_source(f.lake, s, NULL, &r, &err) != 0);
	pond_ingest_result_dispose(&r);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:4: error when converting column \"Datum\": could not convert "
	                                           "string \"32.01.2025\" to 'DATE'", cpath));
	CHECK_STR(fx_query_named(&f, "raw.konto", "count(*)"), "2");
	fx_teardown(&f);
}
