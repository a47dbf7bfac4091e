/*
 * Export definitions: exports/NAME.yml parsed into a pond_export. Every
 * error names "exports/NAME.yml:LINE"; unknown keys are refused, so a typo
 * does not silently drop a setting. Queries and column names are checked
 * against the data when the export runs (run.c, xlsx.c), still naming the
 * line. See docs/exports.md.
 */
#include "export_internal.h"

#include <string.h>

#include <xlsxwriter.h>

typedef struct {
	const char *what;
	pond_arena *arena;
	pond_error *err;
} parse_ctx;

static int bad(parse_ctx *c, const pond_yaml_node *n, const char *fmt, const char *a1)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, a1 ? a1 : "");
	return pond_error_set(c->err, POND_EINVAL, "%s:%d: %s", c->what, n ? n->line : 1, msg);
}

static int oom(parse_ctx *c)
{
	return pond_error_set(c->err, POND_ENOMEM, "out of memory");
}

static int get_str(parse_ctx *c, const pond_yaml_node *map, const char *key, const char **out)
{
	const pond_yaml_node *n = pond_yaml_get(map, key);
	if (!n || pond_yaml_is_null(n))
		return 0;
	return pond_yaml_string(n, out, c->what, key, c->err);
}

static const pond_yaml_node *line_of(const pond_yaml_node *map, const char *key)
{
	const pond_yaml_node *n = pond_yaml_get(map, key);
	return n ? n : map;
}

static bool plain_table_name(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || *p == '_' ||
		      (*p == '.' && p[1] && p[1] != '.')))
			return false;
	return true;
}

/* sql: or table: (exactly one) into sheet->sql. */
static int parse_query(parse_ctx *c, const pond_yaml_node *map, pond_export_sheet *sheet)
{
	const char *sql = NULL, *table = NULL;
	int rc;
	if ((rc = get_str(c, map, "sql", &sql)) || (rc = get_str(c, map, "table", &table)))
		return rc;
	if (sql && table)
		return bad(c, line_of(map, "table"), "give \"sql\" or \"table\", not both", NULL);
	if (!sql && !table)
		return bad(c, map, "\"sql\" or \"table\" is missing (the query to export)", NULL);
	if (table) {
		if (!plain_table_name(table))
			return bad(c, line_of(map, "table"), "bad table name \"%s\" (expected ns.table)", table);
		sql = pond_arena_sprintf(c->arena, "select * from %s", table);
		if (!sql)
			return oom(c);
	}
	sheet->sql = sql;
	/* Query errors point at the query. */
	sheet->line = line_of(map, pond_yaml_get(map, "sql") ? "sql" : "table")->line;
	return 0;
}

static int parse_columns(parse_ctx *c, const pond_yaml_node *map, pond_export_sheet *sheet)
{
	static const char *const allowed[] = {"format", "width", NULL};
	const pond_yaml_node *n = pond_yaml_get(map, "columns");
	if (!n || pond_yaml_is_null(n))
		return 0;
	if (n->kind != POND_YAML_MAP)
		return bad(c, n, "\"columns\" must map column names to settings, e.g. {close: {format: \"0.00\"}}", NULL);
	sheet->columns = pond_arena_calloc(c->arena, n->count ? n->count : 1, sizeof(*sheet->columns));
	if (!sheet->columns)
		return oom(c);
	for (size_t i = 0; i < n->count; i++) {
		const pond_yaml_node *v = n->values[i];
		pond_export_column *col = &sheet->columns[i];
		col->name = n->keys[i];
		col->line = v->line;
		if (v->kind == POND_YAML_SCALAR && !pond_yaml_is_null(v)) {
			col->format = v->value;  /* close: "0.00" is short for {format: ...} */
			continue;
		}
		if (v->kind != POND_YAML_MAP)
			return bad(c, v, "column \"%s\" must be a map such as {format: \"0.00\", width: 12}", col->name);
		int rc = pond_yaml_check_keys(v, allowed, c->what, c->err);
		if (rc || (rc = get_str(c, v, "format", &col->format)))
			return rc;
		const pond_yaml_node *w = pond_yaml_get(v, "width");
		if (w && !pond_yaml_is_null(w)) {
			int64_t width;
			if ((rc = pond_yaml_int(w, &width, c->what, "width", c->err)))
				return rc;
			if (width < 1 || width > 255)
				return bad(c, w, "\"width\" must be between 1 and 255 characters", NULL);
			col->width = (double)width;
		}
	}
	sheet->ncolumns = n->count;
	return 0;
}

static int parse_chart(parse_ctx *c, const pond_yaml_node *map, pond_export_sheet *sheet)
{
	static const char *const allowed[] = {"type", "x", "y", "title", NULL};
	const pond_yaml_node *n = pond_yaml_get(map, "chart");
	if (!n || pond_yaml_is_null(n))
		return 0;
	if (n->kind != POND_YAML_MAP)
		return bad(c, n, "\"chart\" must be a map: {type: line, x: COLUMN, y: [COLUMN], title: TEXT}", NULL);
	int rc = pond_yaml_check_keys(n, allowed, c->what, c->err);
	if (rc)
		return rc;
	pond_export_chart *chart = pond_arena_calloc(c->arena, 1, sizeof(*chart));
	if (!chart)
		return oom(c);
	chart->line = n->line;
	const char *type = NULL;
	if ((rc = get_str(c, n, "type", &type)) || (rc = get_str(c, n, "x", &chart->x)) ||
	    (rc = get_str(c, n, "title", &chart->title)))
		return rc;
	if (!type || strcmp(type, "line") == 0)
		chart->type = POND_EXPORT_CHART_LINE;
	else if (strcmp(type, "column") == 0)
		chart->type = POND_EXPORT_CHART_COLUMN;
	else if (strcmp(type, "bar") == 0)
		chart->type = POND_EXPORT_CHART_BAR;
	else
		return bad(c, pond_yaml_get(n, "type"), "unknown chart type \"%s\" (expected line, column or bar)", type);
	if (!chart->x)
		return bad(c, n, "chart needs \"x\" (the column of categories, e.g. a date)", NULL);
	const pond_yaml_node *y = pond_yaml_get(n, "y");
	if (!y || pond_yaml_is_null(y))
		return bad(c, n, "chart needs \"y\" (a column or a list of columns to plot)", NULL);
	size_t ny = y->kind == POND_YAML_SEQ ? y->count : 1;
	if (y->kind == POND_YAML_MAP || ny == 0)
		return bad(c, y, "chart \"y\" must be a column or a list of columns", NULL);
	chart->y = pond_arena_calloc(c->arena, ny, sizeof(char *));
	if (!chart->y)
		return oom(c);
	for (size_t i = 0; i < ny; i++)
		if ((rc = pond_yaml_string(y->kind == POND_YAML_SEQ ? y->items[i] : y, &chart->y[i], c->what, "y", c->err)))
			return rc;
	chart->ny = ny;
	sheet->chart = chart;
	return 0;
}

/* Excel's rules for a sheet name: 1-31 characters, none of []:*?/\, not
 * starting or ending with an apostrophe, unique without case. */
static int check_sheet_name(parse_ctx *c, const pond_yaml_node *n, const char *name, pond_export_sheet *sheets,
                            size_t count)
{
	size_t chars = 0;
	for (const char *p = name; *p; p++)
		if (((unsigned char)*p & 0xC0) != 0x80)
			chars++;
	if (chars == 0 || chars > LXW_SHEETNAME_MAX)
		return bad(c, n, "sheet name \"%s\" must be 1 to 31 characters (an Excel rule)", name);
	if (strpbrk(name, "[]:*?/\\"))
		return bad(c, n, "sheet name \"%s\" cannot hold any of []:*?/\\ (an Excel rule)", name);
	if (name[0] == '\'' || name[strlen(name) - 1] == '\'')
		return bad(c, n, "sheet name \"%s\" cannot start or end with an apostrophe (an Excel rule)", name);
	for (size_t i = 0; i < count; i++)
		if (pond_str_ieq(sheets[i].name, name))
			return bad(c, n, "sheet name \"%s\" is used twice (Excel ignores case)", name);
	return 0;
}

static int parse_sheet(parse_ctx *c, const pond_yaml_node *map, pond_export_sheet *sheets, size_t index)
{
	static const char *const allowed[] = {"name", "sql", "table", "columns", "chart", NULL};
	if (map->kind != POND_YAML_MAP)
		return bad(c, map, "each sheet must be a map: {name: NAME, sql: QUERY}", NULL);
	int rc = pond_yaml_check_keys(map, allowed, c->what, c->err);
	pond_export_sheet *sheet = &sheets[index];
	sheet->line = map->line;
	if (rc || (rc = get_str(c, map, "name", &sheet->name)))
		return rc;
	if (!sheet->name)
		return bad(c, map, "sheet needs a \"name\"", NULL);
	if ((rc = check_sheet_name(c, line_of(map, "name"), sheet->name, sheets, index)))
		return rc;
	if ((rc = parse_query(c, map, sheet)) || (rc = parse_columns(c, map, sheet)) || (rc = parse_chart(c, map, sheet)))
		return rc;
	return 0;
}

/* The sheet name of a single-query workbook: the export's name, cut to
 * Excel's 31 characters. */
static const char *default_sheet_name(parse_ctx *c, const char *name)
{
	return pond_arena_strndup(c->arena, name, LXW_SHEETNAME_MAX);
}

int pond_export_parse(pond_export **out, const char *name, const char *text, size_t len, const char *what,
                      pond_arena *arena, pond_error *err)
{
	static const char *const allowed[] = {"format", "path", "sql", "table", "sheets", "sheet", "columns",
	                                      "chart", "description", NULL};
	parse_ctx c = {what, arena, err};
	pond_yaml_node *root;
	int rc = pond_yaml_parse(&root, text, len, what, arena, err);
	if (rc)
		return rc;
	if (root->kind != POND_YAML_MAP)
		return bad(&c, root, "expected a map of settings (format, path, sql or sheets)", NULL);
	if ((rc = pond_yaml_check_keys(root, allowed, what, err)))
		return rc;
	pond_export *e = pond_arena_calloc(arena, 1, sizeof(*e));
	if (!e || !(e->name = pond_arena_strdup(arena, name)) || !(e->what = pond_arena_strdup(arena, what)))
		return oom(&c);
	const char *format = NULL, *description = NULL;
	if ((rc = get_str(&c, root, "format", &format)) || (rc = get_str(&c, root, "path", &e->path)) ||
	    (rc = get_str(&c, root, "description", &description)))
		return rc;
	if (!e->path)
		return bad(&c, root, "\"path\" is missing (where to write, e.g. out/report-{date}.xlsx)", NULL);
	e->path_line = line_of(root, "path")->line;
	if (format && !pond_export_format_parse(format, &e->format))
		return bad(&c, line_of(root, "format"), "unknown format \"%s\" (expected xlsx, csv, parquet, json or ndjson)",
		           format);
	if (!format && !pond_export_format_from_path(e->path, &e->format))
		return bad(&c, line_of(root, "path"),
		           "cannot tell the format from \"%s\": add format: xlsx, csv, parquet, json or ndjson", e->path);
	if (pond_str_starts_with(e->path, "s3://") || strstr(e->path, "://"))
		return bad(&c, line_of(root, "path"), "\"%s\": only local paths are supported for now", e->path);
	const char *expanded;
	pond_error perr = POND_ERROR_INIT;
	if (pond_export_expand_path(&expanded, e->path, 1, NULL, arena, &perr) != 0)
		return bad(&c, line_of(root, "path"), "%s", perr.msg);

	const pond_yaml_node *sheets = pond_yaml_get(root, "sheets");
	bool xlsx = e->format == POND_EXPORT_XLSX;
	if (sheets && !pond_yaml_is_null(sheets)) {
		if (!xlsx)
			return bad(&c, sheets, "\"sheets\" is only for xlsx; a %s export takes one \"sql\" or \"table\"",
			           pond_export_format_name(e->format));
		static const char *const single_keys[] = {"sql", "table", "columns", "chart", "sheet"};
		for (size_t i = 0; i < sizeof(single_keys) / sizeof(single_keys[0]); i++)
			if (pond_yaml_get(root, single_keys[i]))
				return bad(&c, pond_yaml_get(root, single_keys[i]),
				           "\"%s\" belongs inside a sheet when \"sheets\" is given", single_keys[i]);
		if (sheets->kind != POND_YAML_SEQ || sheets->count == 0)
			return bad(&c, sheets, "\"sheets\" must be a list of {name, sql or table}", NULL);
		e->sheets = pond_arena_calloc(arena, sheets->count, sizeof(*e->sheets));
		if (!e->sheets)
			return oom(&c);
		for (size_t i = 0; i < sheets->count; i++)
			if ((rc = parse_sheet(&c, sheets->items[i], e->sheets, i)))
				return rc;
		e->nsheets = sheets->count;
	} else {
		e->sheets = pond_arena_calloc(arena, 1, sizeof(*e->sheets));
		if (!e->sheets)
			return oom(&c);
		e->nsheets = 1;
		pond_export_sheet *sheet = &e->sheets[0];
		sheet->line = root->line;
		if (!xlsx) {
			static const char *const xlsx_keys[] = {"columns", "chart", "sheet"};
			for (size_t i = 0; i < sizeof(xlsx_keys) / sizeof(xlsx_keys[0]); i++)
				if (pond_yaml_get(root, xlsx_keys[i]))
					return bad(&c, pond_yaml_get(root, xlsx_keys[i]), "\"%s\" is only for xlsx exports",
					           xlsx_keys[i]);
		} else {
			if ((rc = get_str(&c, root, "sheet", &sheet->name)))
				return rc;
			if (!sheet->name && !(sheet->name = default_sheet_name(&c, name)))
				return oom(&c);
			if ((rc = check_sheet_name(&c, line_of(root, "sheet"), sheet->name, NULL, 0)))
				return rc;
		}
		if ((rc = parse_query(&c, root, sheet)) || (rc = parse_columns(&c, root, sheet)) ||
		    (rc = parse_chart(&c, root, sheet)))
			return rc;
	}
	*out = e;
	return 0;
}

int pond_export_load(pond_export **out, const char *root, const char *name, pond_arena *arena, pond_error *err)
{
	if (!*name)
		return pond_error_set(err, POND_EINVAL, "bad export name \"\"");
	for (const char *p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return pond_error_set(err, POND_EINVAL, "bad export name \"%s\" (letters, digits, _ and -)", name);
	const char *path = pond_arena_sprintf(arena, "%s/exports/%s.yml", root, name);
	const char *what = pond_arena_sprintf(arena, "exports/%s.yml", name);
	if (!path || !what)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!pond_file_exists(path))
		return pond_error_set(err, POND_ENOTFOUND, "no export %s: %s does not exist", name, what);
	char *text;
	size_t len;
	int rc = pond_file_read(&text, &len, path, 1 << 20, err);
	if (rc)
		return rc;
	rc = pond_export_parse(out, name, text, len, what, arena, err);
	pond_free(text);
	return rc;
}

int pond_export_from_query(pond_export **out, pond_export_format format, const char *sql, const char *path,
                           const char *sheet_name, pond_arena *arena, pond_error *err)
{
	parse_ctx c = {"export", arena, err};
	pond_export *e = pond_arena_calloc(arena, 1, sizeof(*e));
	pond_export_sheet *sheet = pond_arena_calloc(arena, 1, sizeof(*sheet));
	if (!e || !sheet || !(e->path = pond_arena_strdup(arena, path)) || !(sheet->sql = pond_arena_strdup(arena, sql)))
		return oom(&c);
	e->name = "query";
	e->what = "export";
	e->format = format;
	e->sheets = sheet;
	e->nsheets = 1;
	if (strstr(path, "://"))
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: only local paths are supported for now", path);
	if (format == POND_EXPORT_XLSX) {
		sheet->name = sheet_name ? pond_arena_strdup(arena, sheet_name) : "Sheet1";
		if (!sheet->name)
			return oom(&c);
		pond_error e2 = POND_ERROR_INIT;
		parse_ctx c2 = {"export", arena, &e2};
		if (check_sheet_name(&c2, NULL, sheet->name, NULL, 0) != 0)
			/* Drop the "export:1: " prefix: there is no file. */
			return pond_error_set(err, POND_EINVAL, "%s", strchr(e2.msg, ' ') ? strchr(e2.msg, ' ') + 1 : e2.msg);
	}
	*out = e;
	return 0;
}

/* ---- formats -------------------------------------------------------------------- */

static const struct {
	const char *name;
	pond_export_format format;
} format_names[] = {
	{"xlsx", POND_EXPORT_XLSX}, {"csv", POND_EXPORT_CSV}, {"json", POND_EXPORT_JSON},
	{"ndjson", POND_EXPORT_NDJSON}, {"jsonl", POND_EXPORT_NDJSON}, {"parquet", POND_EXPORT_PARQUET},
};

bool pond_export_format_parse(const char *name, pond_export_format *out)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
		if (pond_str_ieq(name, format_names[i].name)) {
			*out = format_names[i].format;
			return true;
		}
	}
	return false;
}

const char *pond_export_format_name(pond_export_format format)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (format_names[i].format == format)
			return format_names[i].name;
	return "unknown";
}

bool pond_export_format_from_path(const char *path, pond_export_format *out)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return false;
	return pond_export_format_parse(dot + 1, out);
}
