/*
 * Export tests: definitions and their errors, path templates, workbooks
 * read back by openpyxl (xlsx_dump.py: an independent reader), Excel's row
 * limit, atomic writes when a query fails on a late row, and CSV, JSON,
 * NDJSON and Parquet files read back by DuckDB with the same rows.
 */
#include "../test.h"
#include "../table/fixture.h"

#include <dirent.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "export/export_internal.h"
#include "pond/export.h"

/* ---- helpers ------------------------------------------------------------------------ */

static pond_export *parse(pond_arena *a, const char *yml, pond_error *err)
{
	pond_export *e = NULL;
	if (pond_export_parse(&e, "report", yml, strlen(yml), "exports/report.yml", a, err) != 0)
		return NULL;
	return e;
}

/* Files in dir (hidden ones too), not counting . and .. */
static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int run_sql(pond_session *s, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	pond_result *r = NULL;
	const char *msg = NULL;
	int rc = pond_session_run(s, sql, a, &r, &msg, &err);
	if (rc)
		fprintf(stderr, "    sql: %s\n", err.msg);
	pond_result_free(&r);
	pond_arena_free(&a);
	return rc;
}

/* A project with marts.prices (5 days) and a session over it. */
typedef struct {
	table_fixture fx;
	pond_session *session; /* the fixture's (fx_session), borrowed */
	const char *out;   /* an empty folder for files */
} export_fixture;

static int setup(export_fixture *x)
{
	if (fx_setup(&x->fx, "marts.prices") || !(x->session = fx_session(&x->fx)))
		return -1;
	x->out = pond_arena_sprintf(x->fx.a, "%s/out", pond_test_tmpdir());
	mkdir(x->out, 0777);
	return run_sql(x->session, "create table marts.prices as select date '2024-01-01' + range::int as day, "
	                           "'ACME' as ticker, 100 + range * 1.25 as close, (range * 1000)::bigint as volume "
	                           "from range(5)");
}

static void teardown(export_fixture *x)
{
	fx_teardown(&x->fx);
}

static int write_export(export_fixture *x, const pond_export *def, pond_export_result *r, pond_error *err)
{
	pond_export_options o = POND_EXPORT_OPTIONS_INIT;
	o.base_dir = x->out;
	o.run_time_us = 1706700000000000LL; /* 2024-01-31 11:20 UTC */
	return pond_export_write(pond_lake_engine(x->fx.lake), x->session, def, &o, r, err);
}

/* Runs xlsx_dump.py (beside this file) on path with Debian's python3 and
 * openpyxl; NULL when it fails. */
static json_t *dump_xlsx(const char *path)
{
	char *here = strdup(__FILE__);
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/xlsx_dump.py '%s'", dirname(here), path);
	free(here);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	pond_buf b = POND_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		pond_buf_put(&b, chunk, n);
	int status = pclose(p);
	json_t *j = NULL;
	pond_error err = POND_ERROR_INIT;
	if (status != 0 || pond_json_parse(&j, pond_buf_cstr(&b), b.len, "xlsx_dump", &err) != 0)
		fprintf(stderr, "    xlsx_dump.py failed (status %d): %s\n", status, err.msg);
	pond_buf_dispose(&b);
	return j;
}

static json_t *sheet_of(json_t *dump, size_t i)
{
	return json_array_get(json_object_get(dump, "sheets"), i);
}

/* The cell at (row, col), 0-based with the header as row 0; NULL when empty. */
static json_t *cell_at(json_t *sheet, size_t row, size_t col)
{
	return json_array_get(json_array_get(json_object_get(sheet, "rows"), row), col);
}

static const char *cell_type(json_t *sheet, size_t row, size_t col)
{
	json_t *c = cell_at(sheet, row, col);
	return c && json_is_object(c) ? json_string_value(json_object_get(c, "t")) : "empty";
}

static const char *str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "(none)";
}

/* ---- definitions ------------------------------------------------------------------------ */

TEST(export_parse_the_documented_example)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *yml = "format: xlsx\n"
	                  "path: out/report-{date}.xlsx\n"
	                  "sheets:\n"
	                  "  - name: Prices\n"
	                  "    sql: select * from marts.prices order by day\n"
	                  "    columns: {close: {format: \"#,##0.00\"}, day: {format: \"yyyy-mm-dd\", width: 14}}\n"
	                  "    chart: {type: line, x: day, y: [close], title: Close}\n"
	                  "  - name: Holdings\n"
	                  "    table: marts.holdings\n";
	pond_export *e = parse(a, yml, &err);
	CHECK_MSG(e, "%s", err.msg);
	CHECK_INT(e->format, POND_EXPORT_XLSX);
	CHECK_STR(e->path, "out/report-{date}.xlsx");
	CHECK_INT(e->nsheets, 2);
	CHECK_STR(e->sheets[0].name, "Prices");
	CHECK_INT(e->sheets[0].ncolumns, 2);
	CHECK_STR(e->sheets[0].columns[0].name, "close");
	CHECK_STR(e->sheets[0].columns[0].format, "#,##0.00");
	CHECK(e->sheets[0].columns[1].width == 14);
	CHECK(e->sheets[0].chart != NULL);
	CHECK_INT(e->sheets[0].chart->type, POND_EXPORT_CHART_LINE);
	CHECK_STR(e->sheets[0].chart->x, "day");
	CHECK_INT(e->sheets[0].chart->ny, 1);
	CHECK_STR(e->sheets[0].chart->title, "Close");
	CHECK_STR(e->sheets[1].sql, "select * from marts.holdings");

	/* A single query; the format from the extension. */
	e = parse(a, "path: out/p.parquet\ntable: marts.prices\n", &err);
	CHECK_MSG(e, "%s", err.msg);
	CHECK_INT(e->format, POND_EXPORT_PARQUET);
	CHECK_INT(e->nsheets, 1);
	CHECK(e->sheets[0].name == NULL);
	e = parse(a, "path: x.xlsx\nsql: select 1\n", &err);
	CHECK_MSG(e, "%s", err.msg);
	CHECK_STR(e->sheets[0].name, "report");
	pond_arena_free(&a);
}

TEST(export_parse_errors_name_the_file_and_line)
{
	static const struct {
		const char *yml;
		const char *want;
	} cases[] = {
		{"format: xlsx\npath: a.xlsx\nsql: select 1\nsheeet: x\n", "exports/report.yml:4: unknown key \"sheeet\""},
		{"format: csv\npath: a.csv\nsheets:\n  - {name: A, sql: select 1}\n", "exports/report.yml:4: \"sheets\" is only for xlsx"},
		{"path: a.csv\n", "exports/report.yml:1: \"sql\" or \"table\" is missing"},
		{"format: xlsx\npath: a.xlsx\nsheets:\n  - name: A\n    sql: select 1\n  - name: a\n    sql: select 2\n",
		 "exports/report.yml:6: sheet name \"a\" is used twice"},
		{"format: xlsx\npath: a.xlsx\nsheets:\n  - name: \"a/b\"\n    sql: select 1\n", "exports/report.yml:4: sheet name \"a/b\" cannot hold"},
		{"path: a.xlsx\nsql: select 1\nchart: {type: pie, x: a, y: b}\n", "exports/report.yml:3: unknown chart type \"pie\""},
		{"path: a.xlsx\nsql: select 1\nchart: {x: a}\n", "exports/report.yml:3: chart needs \"y\""},
		{"path: out/{day}.csv\nsql: select 1\n", "exports/report.yml:1: unknown placeholder \"{day}\""},
		{"format: xls\npath: a.xls\nsql: select 1\n", "exports/report.yml:1: unknown format \"xls\""},
		{"path: a.txt\nsql: select 1\n", "exports/report.yml:1: cannot tell the format"},
		{"path: a.csv\nsql: select 1\ntable: t\n", "exports/report.yml:3: give \"sql\" or \"table\", not both"},
		{"path: a.csv\nsql: select 1\ncolumns: {a: {format: x}}\n", "exports/report.yml:3: \"columns\" is only for xlsx"},
		{"path: a.xlsx\nsql: select 1\ncolumns:\n  a: {fromat: x}\n", "exports/report.yml:4: unknown key \"fromat\""},
		{"path: s3://bucket/a.csv\nsql: select 1\n", "only local paths"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_error err = POND_ERROR_INIT;
		pond_arena *a = pond_arena_new();
		pond_export *e = parse(a, cases[i].yml, &err);
		pond_arena_free(&a);
		CHECK_MSG(!e, "case %zu parsed", i);
		CHECK_MSG(strstr(err.msg, cases[i].want), "case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
	}
}

TEST(export_path_templates_use_the_run_date)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	setenv("TZ", "UTC", 1);
	tzset();
	const int64_t t = 1706700000000000LL; /* 2024-01-31 11:20:00 UTC */
	const char *p;
	CHECK_OK(pond_export_expand_path(&p, "out/report-{date}.xlsx", t, NULL, a, &err), &err);
	CHECK_STR(p, "out/report-2024-01-31.xlsx");
	CHECK_OK(pond_export_expand_path(&p, "{yyyy}/{mm}/{dd}/r-{datetime}.csv", t, "/proj", a, &err), &err);
	CHECK_STR(p, "/proj/2024/01/31/r-2024-01-31_112000.csv");
	CHECK_OK(pond_export_expand_path(&p, "/abs/x.csv", t, "/proj", a, &err), &err);
	CHECK_STR(p, "/abs/x.csv");
	CHECK(pond_export_expand_path(&p, "x-{date.csv", t, NULL, a, &err) == POND_EINVAL);
	unsetenv("TZ");
	tzset();
	pond_arena_free(&a);
}

/* ---- Excel ----------------------------------------------------------------------------- */

TEST(export_xlsx_typed_cells_formats_and_chart_read_by_openpyxl)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *yml =
		"format: xlsx\n"
		"path: report-{date}.xlsx\n"
		"sheets:\n"
		"  - name: Prices\n"
		"    sql: select * from marts.prices order by day\n"
		"    columns: {close: {format: \"#,##0.00\"}, volume: {width: 20}}\n"
		"    chart: {type: line, x: day, y: [close], title: Close}\n"
		"  - name: Types\n"
		"    sql: >\n"
		"      select 42::int as i, 2.5::double as d, 123.45::decimal(10,2) as dec, true as b,\n"
		"             'text, \"quoted\"' as s, null::varchar as n, date '2024-02-29' as dt,\n"
		"             timestamp '2024-01-31 12:34:56' as ts, time '06:30:00' as tm,\n"
		"             9007199254740993::bigint as big, 'a much longer text value than the header' as wide\n"
		"      union all\n"
		"      select -1, null, null, false, '', 'x', null, null, null, 1, 'w'\n";
	pond_export *def = parse(x.fx.a, yml, &err);
	CHECK_MSG(def, "%s", err.msg);
	setenv("TZ", "UTC", 1);
	tzset();
	pond_export_result r;
	int rc = write_export(&x, def, &r, &err);
	unsetenv("TZ");
	tzset();
	CHECK_OK(rc, &err);
	const char *path = pond_arena_sprintf(x.fx.a, "%s/report-2024-01-31.xlsx", x.out);
	CHECK_STR(r.path, path);
	CHECK_INT(r.rows, 7);
	CHECK_INT(r.nsheets, 2);
	CHECK_STR(r.sheets[0].name, "Prices");
	CHECK_INT(r.sheets[0].rows, 5);
	CHECK_INT(r.sheets[1].rows, 2);
	CHECK(r.bytes > 0);
	pond_export_result_dispose(&r);
	CHECK_INT(count_files(x.out), 1);  /* no temporary file left */

	json_t *dump = dump_xlsx(path);
	CHECK(dump);
	json_t *prices = sheet_of(dump, 0), *types = sheet_of(dump, 1);
	CHECK_STR(str_of(prices, "name"), "Prices");
	CHECK_STR(str_of(types, "name"), "Types");
	/* Header: the column names, bold; frozen below it; autofilter over all rows. */
	CHECK_STR(str_of(cell_at(prices, 0, 0), "v"), "day");
	CHECK_STR(str_of(cell_at(prices, 0, 3), "v"), "volume");
	CHECK(json_is_true(json_object_get(cell_at(prices, 0, 0), "bold")));
	CHECK_STR(str_of(prices, "freeze"), "A2");
	CHECK_STR(str_of(prices, "autofilter"), "A1:D6");
	CHECK_STR(str_of(types, "autofilter"), "A1:K3");
	/* Values and types. */
	CHECK_STR(cell_type(prices, 1, 0), "d");
	CHECK_STR(str_of(cell_at(prices, 1, 0), "v"), "2024-01-01 00:00:00");
	CHECK_STR(str_of(cell_at(prices, 5, 0), "v"), "2024-01-05 00:00:00");
	CHECK_STR(str_of(cell_at(prices, 1, 0), "f"), "yyyy-mm-dd");
	CHECK_STR(cell_type(prices, 1, 1), "s");
	CHECK_STR(str_of(cell_at(prices, 1, 1), "v"), "ACME");
	CHECK_STR(cell_type(prices, 2, 2), "n");
	CHECK(json_number_value(json_object_get(cell_at(prices, 2, 2), "v")) == 101.25);
	CHECK_STR(str_of(cell_at(prices, 2, 2), "f"), "#,##0.00");
	CHECK_STR(cell_type(prices, 5, 3), "n");
	CHECK_INT(json_number_value(json_object_get(cell_at(prices, 5, 3), "v")), 4000);

	CHECK_STR(cell_type(types, 1, 0), "n");
	CHECK_INT(json_number_value(json_object_get(cell_at(types, 1, 0), "v")), 42);
	CHECK_INT(json_number_value(json_object_get(cell_at(types, 2, 0), "v")), -1);
	CHECK(json_number_value(json_object_get(cell_at(types, 1, 1), "v")) == 2.5);
	CHECK_STR(cell_type(types, 1, 2), "n");
	CHECK(json_number_value(json_object_get(cell_at(types, 1, 2), "v")) == 123.45);
	CHECK_STR(str_of(cell_at(types, 1, 2), "f"), "0.00");
	CHECK_STR(cell_type(types, 1, 3), "b");
	CHECK(json_is_true(json_object_get(cell_at(types, 1, 3), "v")));
	CHECK(json_is_false(json_object_get(cell_at(types, 2, 3), "v")));
	CHECK_STR(str_of(cell_at(types, 1, 4), "v"), "text, \"quoted\"");
	CHECK_STR(cell_type(types, 1, 5), "empty");   /* NULL */
	CHECK_STR(cell_type(types, 2, 1), "empty");
	CHECK_STR(cell_type(types, 2, 5), "s");
	CHECK_STR(cell_type(types, 1, 6), "d");
	CHECK_STR(str_of(cell_at(types, 1, 6), "v"), "2024-02-29 00:00:00");
	CHECK_STR(cell_type(types, 1, 7), "d");
	CHECK_STR(str_of(cell_at(types, 1, 7), "v"), "2024-01-31 12:34:56");
	CHECK_STR(str_of(cell_at(types, 1, 7), "f"), "yyyy-mm-dd hh:mm:ss");
	CHECK_STR(cell_type(types, 1, 8), "t");
	CHECK_STR(str_of(cell_at(types, 1, 8), "v"), "06:30:00");
	/* Past 2^53 a number would lose digits: kept exact as text. */
	CHECK_STR(cell_type(types, 1, 9), "s");
	CHECK_STR(str_of(cell_at(types, 1, 9), "v"), "9007199254740993");
	CHECK_STR(cell_type(types, 2, 9), "n");
	CHECK_STR(cell_type(types, 1, 10), "s");

	/* Widths: fitted from the widest value, or as the definition says. */
	json_t *w = json_object_get(types, "widths");
	double wide = json_number_value(json_object_get(w, "K")), narrow = json_number_value(json_object_get(w, "A"));
	CHECK_MSG(wide >= 40 && wide <= 61, "K width %g", wide);
	CHECK_MSG(narrow >= 6 && narrow < 12, "A width %g", narrow);
	/* Excel stores a width of 20 characters as 20.71 (cell padding). */
	double fixed = json_number_value(json_object_get(json_object_get(prices, "widths"), "D"));
	CHECK_MSG(fixed >= 20 && fixed < 21, "D width %g", fixed);
	CHECK(json_number_value(json_object_get(json_object_get(prices, "widths"), "A")) >= 10);
	/* The chart on Prices, none on Types. */
	json_t *charts = json_object_get(prices, "charts");
	CHECK_INT(json_array_size(charts), 1);
	CHECK_STR(str_of(json_array_get(charts, 0), "type"), "line");
	CHECK_INT(json_integer_value(json_object_get(json_array_get(charts, 0), "series")), 1);
	CHECK_INT(json_array_size(json_object_get(types, "charts")), 0);
	json_decref(dump);
	teardown(&x);
}

TEST(export_xlsx_definition_columns_must_exist)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_export *def = parse(x.fx.a, "path: r.xlsx\ntable: marts.prices\ncolumns:\n  clse: \"0.00\"\n", &err);
	CHECK_MSG(def, "%s", err.msg);
	pond_export_result r;
	CHECK(write_export(&x, def, &r, &err) == POND_EINVAL);
	pond_export_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "exports/report.yml:4: sheet report has no column \"clse\""), "%s", err.msg);
	def = parse(x.fx.a, "path: r.xlsx\ntable: marts.prices\nchart: {type: column, x: day, y: ticker}\n", &err);
	CHECK(write_export(&x, def, &r, &err) == POND_EINVAL);
	pond_export_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "exports/report.yml:3: chart y column \"ticker\""), "%s", err.msg);
	CHECK_INT(count_files(x.out), 0);
	teardown(&x);
}

TEST(export_xlsx_row_limit_names_the_sheet_and_writes_nothing)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_export *def;
	pond_export_result r;
	int64_t saved = pond__export_xlsx_row_limit;
	pond__export_xlsx_row_limit = 11;  /* 10 data rows and the header */
	CHECK_OK(pond_export_from_query(&def, POND_EXPORT_XLSX, "select range as n from range(10)", "fits.xlsx", "Big",
	                                x.fx.a, &err), &err);
	int rc = write_export(&x, def, &r, &err);
	pond_export_result_dispose(&r);
	CHECK_OK(rc, &err);
	CHECK_OK(pond_export_from_query(&def, POND_EXPORT_XLSX, "select range as n from range(11)", "over.xlsx", "Big",
	                                x.fx.a, &err), &err);
	rc = write_export(&x, def, &r, &err);
	pond_export_result_dispose(&r);
	pond__export_xlsx_row_limit = saved;
	CHECK_INT(rc, POND_ELIMIT);
	CHECK_MSG(strstr(err.msg, "sheet Big has more than 10 rows"), "%s", err.msg);
	CHECK_INT(count_files(x.out), 1);  /* fits.xlsx only */
	teardown(&x);
}

TEST(export_xlsx_real_excel_row_limit)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_export *def;
	pond_export_result r;
	/* 1,048,576 data rows and the header: one row too many. */
	CHECK_OK(pond_export_from_query(&def, POND_EXPORT_XLSX, "select range::int as n from range(1048576)", "big.xlsx",
	                                "Everything", x.fx.a, &err), &err);
	int rc = write_export(&x, def, &r, &err);
	pond_export_result_dispose(&r);
	CHECK_INT(rc, POND_ELIMIT);
	CHECK_MSG(strstr(err.msg, "sheet Everything has more than 1048575 rows"), "%s", err.msg);
	CHECK_INT(count_files(x.out), 0);
	teardown(&x);
}

/* ---- atomic writes ------------------------------------------------------------------------ */

TEST(export_failure_on_a_late_row_leaves_no_file)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	static const pond_export_format formats[] = {POND_EXPORT_XLSX, POND_EXPORT_CSV, POND_EXPORT_JSON,
	                                             POND_EXPORT_NDJSON, POND_EXPORT_PARQUET};
	/* Rows stream out fine until the cast fails near the end. */
	const char *bad = "select range as id, cast(case when range < 290000 then '1' else 'x' end as int) as v "
	                  "from range(300000)";
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		pond_error err = POND_ERROR_INIT;
		pond_export *def;
		pond_export_result r;
		const char *name = pond_arena_sprintf(x.fx.a, "sub/new.%s", pond_export_format_name(formats[i]));
		CHECK_OK(pond_export_from_query(&def, formats[i], bad, name, NULL, x.fx.a, &err), &err);
		int rc = write_export(&x, def, &r, &err);
		pond_export_result_dispose(&r);
		CHECK_MSG(rc != 0, "%s export of a failing query succeeded", pond_export_format_name(formats[i]));
		CHECK_MSG(strstr(err.msg, "Conversion Error") || strstr(err.msg, "x"), "%s", err.msg);
		const char *sub = pond_arena_sprintf(x.fx.a, "%s/sub", x.out);
		CHECK_MSG(count_files(sub) == 0, "%s: %d files left in %s", pond_export_format_name(formats[i]),
		          count_files(sub), sub);
	}
	/* A file from an earlier run stays as it was. */
	pond_error err = POND_ERROR_INIT;
	pond_export *def;
	pond_export_result r;
	const char *path = pond_arena_sprintf(x.fx.a, "%s/keep.csv", x.out);
	CHECK_OK(pond_file_write_atomic(path, "old\n", 4, &err), &err);
	CHECK_OK(pond_export_from_query(&def, POND_EXPORT_CSV, bad, "keep.csv", NULL, x.fx.a, &err), &err);
	CHECK(write_export(&x, def, &r, &err) != 0);
	pond_export_result_dispose(&r);
	char *text;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, path, 1 << 20, &err), &err);
	CHECK_STR(text, "old\n");
	pond_free(text);
	CHECK_INT(count_files(x.out), 2);  /* sub/ and keep.csv */
	teardown(&x);
}

TEST(export_refuses_queries_that_write)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_export *def;
	pond_export_result r;
	CHECK_OK(pond_export_from_query(&def, POND_EXPORT_CSV, "delete from marts.prices", "d.csv", NULL, x.fx.a, &err),
	         &err);
	CHECK(write_export(&x, def, &r, &err) == POND_EINVAL);
	pond_export_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "must read only"), "%s", err.msg);
	CHECK_OK(pond_export_from_query(&def, POND_EXPORT_CSV, "select 1; select 2", "d.csv", NULL, x.fx.a, &err), &err);
	CHECK(write_export(&x, def, &r, &err) == POND_EINVAL);
	pond_export_result_dispose(&r);
	CHECK_STR(fx_query(&x.fx, "count(*)", 0), "5");
	CHECK_INT(count_files(x.out), 0);
	teardown(&x);
}

/* ---- CSV, JSON, NDJSON, Parquet ------------------------------------------------------------------ */

TEST(export_text_and_parquet_round_trip_through_duckdb)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	static const struct {
		pond_export_format format;
		const char *reader;
	} cases[] = {
		{POND_EXPORT_CSV, "read_csv"},
		{POND_EXPORT_JSON, "read_json"},
		{POND_EXPORT_NDJSON, "read_json"},
		{POND_EXPORT_PARQUET, "read_parquet"},
	};
	const char *source = "select id, name, amount, day from marts.orders";
	CHECK(run_sql(x.session, "create table marts.orders as select range as id, "
	                         "case when range % 7 = 0 then null else 'n, \"' || range || '\"' end as name, "
	                         "range * 0.5 as amount, date '2024-01-01' + (range % 40)::int as day "
	                         "from range(3000)") == 0);
	pond_engine *engine = pond_lake_engine(x.fx.lake);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_error err = POND_ERROR_INIT;
		pond_export *def;
		pond_export_result r;
		const char *file = pond_arena_sprintf(x.fx.a, "orders.%s", pond_export_format_name(cases[i].format));
		CHECK_OK(pond_export_from_query(&def, cases[i].format, source, file, NULL, x.fx.a, &err), &err);
		CHECK_OK(write_export(&x, def, &r, &err), &err);
		CHECK_INT(r.rows, 3000);
		pond_export_result_dispose(&r);
		/* Same rows both ways (the table's copy lives in a plain DuckDB
		 * table, so the check does not go through the session). */
		char *sql = NULL;
		int64_t diff = -1;
		if (i == 0)
			CHECK_OK(pond_engine_exec(engine, "create or replace table orders_copy as select id, name, amount, day "
			                                  "from (select range as id, case when range % 7 = 0 then null else "
			                                  "'n, \"' || range || '\"' end as name, range * 0.5 as amount, "
			                                  "date '2024-01-01' + (range % 40)::int as day from range(3000))", &err),
			         &err);
		CHECK(asprintf(&sql, "select count(*) from ((select * from orders_copy except all select id, name, "
		                     "amount, day::date from %s('%s/%s')) union all (select id, name, amount, day::date "
		                     "from %s('%s/%s') except all select * from orders_copy))",
		               cases[i].reader, x.out, file, cases[i].reader, x.out, file) > 0);
		int rc = pond_engine_query_int(engine, sql, &diff, &err);
		free(sql);
		CHECK_OK(rc, &err);
		CHECK_MSG(diff == 0, "%s: %lld rows differ", file, (long long)diff);
		CHECK(asprintf(&sql, "select count(*) from %s('%s/%s')", cases[i].reader, x.out, file) > 0);
		rc = pond_engine_query_int(engine, sql, &diff, &err);
		free(sql);
		CHECK_OK(rc, &err);
		CHECK_INT(diff, 3000);
	}
	CHECK_INT(count_files(x.out), 4);
	teardown(&x);
}

TEST(export_text_rows_match_pond_sql_output)
{
	/* The CSV field rules render.c relies on. */
	pond_buf b = POND_BUF_INIT;
	pond_export_csv_field(&b, "plain", 5);
	pond_buf_putc(&b, '|');
	pond_export_csv_field(&b, "a,b", 3);
	pond_buf_putc(&b, '|');
	pond_export_csv_field(&b, "say \"hi\"", 8);
	pond_buf_putc(&b, '|');
	pond_export_csv_field(&b, " edge", 5);
	CHECK_STR(pond_buf_cstr(&b), "plain|\"a,b\"|\"say \"\"hi\"\"\"|\" edge\"");
	pond_buf_dispose(&b);
}

/* ---- for pipelines ------------------------------------------------------------------------------ */

TEST(export_run_by_name_for_pipelines)
{
	export_fixture x;
	CHECK(setup(&x) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *root = x.fx.project->root;
	const char *yml = "format: csv\npath: out/daily-{date}.csv\nsql: select day, close from marts.prices order by day\n";
	CHECK_OK(pond_mkdirs(pond_arena_sprintf(x.fx.a, "%s/exports", root), &err), &err);
	CHECK_OK(pond_file_write_atomic(pond_arena_sprintf(x.fx.a, "%s/exports/daily.yml", root), yml, strlen(yml), &err),
	         &err);
	pond_export_options o = POND_EXPORT_OPTIONS_INIT;
	o.run_time_us = 1706700000000000LL;
	setenv("TZ", "UTC", 1);
	tzset();
	pond_export_result r;
	int rc = pond_export_run(x.fx.lake, "daily", &o, &r, &err);
	unsetenv("TZ");
	tzset();
	CHECK_OK(rc, &err);
	const char *want = pond_arena_sprintf(x.fx.a, "%s/out/daily-2024-01-31.csv", root);
	CHECK_STR(r.path, want);
	CHECK_INT(r.rows, 5);
	pond_export_result_dispose(&r);
	char *text;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, want, 1 << 20, &err), &err);
	CHECK_MSG(pond_str_starts_with(text, "day,close\n2024-01-01,100.00\n2024-01-02,101.25\n"), "%s", text);
	pond_free(text);

	CHECK(pond_export_run(x.fx.lake, "nope", &o, &r, &err) == POND_ENOTFOUND);
	pond_export_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "exports/nope.yml does not exist"), "%s", err.msg);
	teardown(&x);
}

TEST(export_parse_survives_every_failed_allocation)
{
	const char *yml = "format: xlsx\npath: out/r-{date}.xlsx\nsheets:\n"
	                  "  - name: A\n    sql: select 1 as a\n    columns: {a: {format: \"0.00\", width: 9}}\n"
	                  "    chart: {type: bar, x: a, y: [a, a], title: T}\n"
	                  "  - name: B\n    table: marts.b\n";
	int failures = 0;
	for (long n = 1; n < 400; n++) {
		pond_error err = POND_ERROR_INIT;
		pond_arena *a = pond_arena_new();
		CHECK(a);
		pond_export *e = NULL;
		pond_alloc_fail_at(n);
		int rc = pond_export_parse(&e, "r", yml, strlen(yml), "exports/r.yml", a, &err);
		pond_alloc_fail_at(0);
		pond_arena_free(&a);
		if (rc != 0) {
			failures++;
			CHECK_MSG(rc == POND_ENOMEM || strstr(err.msg, "memory"), "n=%ld: %d %s", n, rc, err.msg);
		}
	}
	CHECK(failures > 0);  /* the hook reached the parser */
}
