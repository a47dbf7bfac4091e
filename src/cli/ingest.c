/*
 * `pond ingest`: load a file or URL into a table once, or run a source
 * defined in sources/NAME.yml. The work is the ingest layer's; this file
 * reads options, opens the project, shows progress and prints the result.
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "pond/ingest.h"

static const char ingest_help[] =
	"usage: pond ingest FILE_OR_URL --table NS.T [OPTIONS]\n"
	"       pond ingest PAGE_URL --html [--select TABLE] --table NS.T [OPTIONS]\n"
	"       pond ingest QUERY_OR_TABLE --bigquery --key-file KEY.json --table NS.T [OPTIONS]\n"
	"       pond ingest SOURCE [--json]\n"
	"\n"
	"Loads a file (CSV, TSV, JSON, NDJSON, Parquet; .gz and .zst too; or a\n"
	"sheet of an Excel .xlsx workbook), a glob or an http(s) URL into a table\n"
	"in one commit, creating the table from the data's schema when it does\n"
	"not exist. With SOURCE, runs the source defined in sources/SOURCE.yml\n"
	"(files, folders, Excel workbooks, HTTP APIs, web pages, PostgreSQL, SQLite,\n"
	"BigQuery): see docs/ingest.md.\n"
	"\n"
	"options:\n"
	"  -t, --table NS.T       the table to load (one-off loads)\n"
	"  -m, --mode MODE        append (default), replace or merge\n"
	"  -k, --key COL[,COL]    merge keys\n"
	"  -f, --format FMT       csv, tsv, json, ndjson, parquet or xlsx (default: by name)\n"
	"      --delimiter X      CSV field separator (default: detected)\n"
	"      --header BOOL      CSV has a header line: true or false (default: detected);\n"
	"                         xlsx: the first row holds the names (default true)\n"
	"      --sheet SHEET      xlsx: the sheet's name or number (default: the first)\n"
	"      --range CELLS      xlsx: the cells to read, e.g. B3:F200, B3 or B:F\n"
	"                         (default: every cell that holds a value)\n"
	"      --skip N           CSV: drop N lines before the header (titles, \"Exported on\")\n"
	"      --header-line N    CSV: the header is line N (--skip N-1 --header true)\n"
	"      --null STR         CSV: read STR as NULL (repeat for more; default: empty fields)\n"
	"      --decimal-mark X   CSV: numbers use X (. or ,) as decimal mark: text columns\n"
	"                         whose every value is such a number load as numbers\n"
	"      --thousands X      CSV: with --decimal-mark, the thousands separator (, . ' space\n"
	"                         or \"\"; default: the other of . and ,)\n"
	"      --column NAME=TYPE[:FORMAT]\n"
	"                         CSV: read NAME as text, long, double, boolean, date or\n"
	"                         timestamp; dates and timestamps with a strptime FORMAT\n"
	"                         (e.g. 'day=date:%d.%m.%Y'); repeatable\n"
	"      --encoding ENC     CSV: the file's encoding (any name iconv knows: windows-1252,\n"
	"                         latin-1, utf-16, ...); converted to UTF-8 first\n"
	"      --schema POLICY    new fields: evolve (default), freeze or discard\n"
	"      --flatten[=N]      nested objects become a__b columns (N: only N levels deep)\n"
	"      --rejects NS.T     CSV: keep the good rows, put bad lines (with their line numbers) in NS.T\n"
	"      --html             the input is a web page (URL or saved file): load a <table> of it\n"
	"      --select TABLE     with --html: a CSS selector or 1-based index of the table (default: 1)\n"
	"      --bigquery         the input is a BigQuery query, or a table (dataset.table or\n"
	"                         project.dataset.table), read with a service account's key\n"
	"      --key-file FILE    with --bigquery: the service account's JSON key\n"
	"      --gcp-project P    with --bigquery: the Google Cloud project to run in (default:\n"
	"                         the key's)\n"
	"      --location L       with --bigquery: where the datasets are (EU, US, ...)\n"
	"      --endpoint URL     with --bigquery: the API (default https://bigquery.googleapis.com)\n"
	"      --stall-timeout S  URLs: fail when no byte arrives for S seconds (default 60)\n"
	"      --timeout S        URLs: fail when the download takes over S seconds (default: none)\n"
	"      --json             print the result as JSON\n"
	"  -q, --quiet            print nothing on success\n"
	"  -h, --help             show this help\n"
	"\n"
	"exit status: 0 ok, 1 the load failed (nothing was committed), 2 usage error\n";

typedef struct {
	bool tty;
	bool drawn;
} progress_state;

static void on_progress(int64_t rows, int64_t bytes, int64_t elapsed_ns, void *payload)
{
	progress_state *p = payload;
	if (!p->tty || elapsed_ns < 1000000000LL)
		return;
	double secs = (double)elapsed_ns / 1e9;
	fprintf(stderr, "\r\033[Kfetched %lld rows, %.1f MB (%.0f rows/s)", (long long)rows, (double)bytes / 1e6,
	        (double)rows / secs);
	p->drawn = true;
}

static void split_keys(char *list, const char **keys, size_t *n, size_t max)
{
	char *save = NULL;
	*n = 0;
	for (char *k = strtok_r(list, ",", &save); k && *n < max; k = strtok_r(NULL, ",", &save))
		if (*k)
			keys[(*n)++] = k;
}

/* What a fan-out with fetch: unseen did with the ids it was given. */
static void print_fan_out(const pond_ingest_result *r)
{
	if (r->fanout_new || r->fanout_refreshed || r->fanout_unchanged)
		printf("  ids: %lld new, %lld refreshed, %lld unchanged (not fetched)\n", (long long)r->fanout_new,
		       (long long)r->fanout_refreshed, (long long)r->fanout_unchanged);
}

static void print_result(const pond_ingest_result *r, const char *table, const char *rejects, bool json)
{
	if (json) {
		json_t *j = pond_ingest_result_to_json(r);
		json_object_set_new(j, "table", json_string(table));
		char *text = pond_json_dumps(j, false);
		json_decref(j);
		if (text)
			printf("%s\n", text);
		pond_free(text);
		return;
	}
	double secs = (double)r->duration_ns / 1e9;
	if (!r->snapshot_id && !r->buffered) {
		printf("no new rows for %s (%.2f s)\n", table, secs);
		print_fan_out(r);
		return;
	}
	printf("loaded %lld rows into %s in %.2f s (%.0f rows/s)", (long long)r->rows, table, secs,
	       secs > 0 ? (double)r->rows / secs : 0.0);
	if (r->buffered)
		printf(", buffered");
	if (r->replaced_records)
		printf(", %lld replaced", (long long)r->replaced_records);
	if (r->deleted_records > r->replaced_records)
		printf(" (%lld rows rewritten)", (long long)r->deleted_records);
	printf("\n");
	print_fan_out(r);
	if (r->rejected)
		printf("  %lld rejected lines in %s\n", (long long)r->rejected, rejects ? rejects : "the rejects table");
	if (r->error_cells)
		printf("  %lld error cells (#N/A, #DIV/0!, ...) loaded as NULL\n", (long long)r->error_cells);
	for (size_t i = 0; i < r->nchanges; i++) {
		const pond_ingest_change *c = &r->changes[i];
		if (strcmp(c->kind, "create") == 0)
			printf("  created table %s\n", table);
		else
			printf("  %s column %s (%s)\n", strcmp(c->kind, "discard") == 0 ? "discarded" : "added", c->column,
			       c->type ? c->type : "");
	}
}

/* What the command line asks for. */
typedef struct {
	pond_ingest_write w;
	pond_ingest_read rd;
	const char *input;       /* FILE_OR_URL or SOURCE */
	bool html;               /* input is a web page */
	const char *select;      /* its table */
	bool bigquery;           /* input is a BigQuery query or table */
	const char *key_file, *project, *location, *endpoint;
	const char *keys[64];    /* w.keys */
	bool json, quiet;
	int64_t stall_s, timeout_s;
	const char *nulls[64];   /* rd.nulls */
	pond_ingest_column columns[64];  /* rd.columns */
	const char *decimal, *thousands;
	int64_t header_line;
} ingest_args;

/* --column NAME=TYPE[:FORMAT] into the next of a->columns. */
static int add_column(ingest_args *a, char *spec)
{
	char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		return cli_usage_error("ingest", "--column is NAME=TYPE or NAME=TYPE:FORMAT, not \"%s\"", spec);
	if (a->rd.ncolumns == 64)
		return cli_usage_error("ingest", "too many --column options (at most 64)");
	*eq = '\0';
	char *colon = strchr(eq + 1, ':');
	if (colon)
		*colon = '\0';
	a->columns[a->rd.ncolumns++] = (pond_ingest_column){spec, eq + 1, colon ? colon + 1 : NULL};
	a->rd.columns = a->columns;
	return -1;
}

/* The CSV options' values, checked together. */
static int check_csv_args(ingest_args *a)
{
	const char *why;
	if ((a->decimal || a->thousands) &&
	    !pond_ingest_number_format_parse(a->decimal, a->thousands, &a->rd.decimal_mark, &a->rd.thousands, &why))
		return cli_usage_error("ingest", "%s", strstr(why, "\"thousands\"") == why ? "--thousands is one of , . ' "
		                       "or a space (or \"\" for none), other than the decimal mark"
		                       : "--decimal-mark is . or ,");
	if (a->header_line) {
		if (a->rd.skip)
			return cli_usage_error("ingest", "give --skip or --header-line, not both");
		a->rd.skip = a->header_line - 1;
		a->rd.header = 1;
	}
	for (size_t i = 0; i < a->rd.ncolumns; i++) {
		const pond_ingest_column *c = &a->columns[i];
		const char *sql = pond_ingest_column_sql_type(c->type);
		if (!sql)
			return cli_usage_error("ingest", "--column %s: unknown type \"%s\" (expected text, long, double, "
			                       "boolean, date or timestamp)", c->name, c->type);
		bool dated = strcmp(sql, "DATE") == 0 || strcmp(sql, "TIMESTAMP") == 0;
		if (dated != (c->format != NULL))
			return cli_usage_error("ingest", "--column %s: %s", c->name,
			                       dated ? "dates and timestamps need a format (NAME=date:%d.%m.%Y)"
			                             : "a format is for date and timestamp columns");
	}
	return -1;
}

/* Checks the values of the options and the one argument. */
static int check_args(ingest_args *a, int argc, char **argv, const char *mode, const char *schema, const char *format,
                      char *keylist)
{
	if (argc - optind != 1)
		return cli_usage_error("ingest", "expected one FILE_OR_URL or SOURCE, got %d", argc - optind);
	a->input = argv[optind];
	if (mode && !pond_ingest_mode_parse(mode, &a->w.mode))
		return cli_usage_error("ingest", "unknown mode \"%s\" (expected append, replace or merge)", mode);
	if (schema && !pond_schema_policy_parse(schema, &a->w.schema))
		return cli_usage_error("ingest", "unknown schema policy \"%s\" (expected evolve, freeze or discard)", schema);
	if (format && !pond_ingest_format_parse(format, &a->rd.format))
		return cli_usage_error("ingest", "unknown format \"%s\" (expected csv, tsv, json, ndjson, parquet or xlsx)",
		                       format);
	if (a->rd.delimiter && strlen(a->rd.delimiter) != 1 && strcmp(a->rd.delimiter, "\\t") != 0)
		return cli_usage_error("ingest", "--delimiter must be one character");
	if (keylist) {
		split_keys(keylist, a->keys, &a->w.nkeys, 64);
		a->w.keys = a->keys;
	}
	if (a->w.mode == POND_INGEST_MERGE && a->w.nkeys == 0)
		return cli_usage_error("ingest", "--mode merge needs --key COL[,COL]");
	if (a->select && !a->html)
		return cli_usage_error("ingest", "--select needs --html");
	if (a->html && !a->w.table)
		return cli_usage_error("ingest", "--html needs --table NS.T");
	if ((a->key_file || a->project || a->location || a->endpoint) && !a->bigquery)
		return cli_usage_error("ingest", "--key-file, --gcp-project, --location and --endpoint need --bigquery");
	if (a->bigquery && (!a->w.table || !a->key_file || a->html))
		return cli_usage_error("ingest", "--bigquery needs --table NS.T and --key-file FILE (and no --html)");
	return check_csv_args(a);
}

/* Reads the command line into *a; returns the exit code when the command
 * ends here (help, usage errors), else -1. */
static int parse_args(ingest_args *a, int argc, char **argv)
{
	enum { OPT_DELIM = 256, OPT_HEADER, OPT_SCHEMA, OPT_FLATTEN, OPT_JSON, OPT_STALL, OPT_TIMEOUT, OPT_REJECTS,
	       OPT_HTML, OPT_SELECT, OPT_SHEET, OPT_RANGE, OPT_SKIP, OPT_HEADER_LINE, OPT_NULL, OPT_DECIMAL,
	       OPT_THOUSANDS, OPT_COLUMN, OPT_ENCODING, OPT_BIGQUERY, OPT_KEY_FILE, OPT_PROJECT, OPT_LOCATION,
	       OPT_ENDPOINT };
	static const struct option longopts[] = {
		{"table", required_argument, NULL, 't'},   {"mode", required_argument, NULL, 'm'},
		{"key", required_argument, NULL, 'k'},     {"format", required_argument, NULL, 'f'},
		{"delimiter", required_argument, NULL, OPT_DELIM}, {"header", required_argument, NULL, OPT_HEADER},
		{"schema", required_argument, NULL, OPT_SCHEMA},   {"flatten", optional_argument, NULL, OPT_FLATTEN},
		{"json", no_argument, NULL, OPT_JSON},     {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},          {"stall-timeout", required_argument, NULL, OPT_STALL},
		{"timeout", required_argument, NULL, OPT_TIMEOUT}, {"rejects", required_argument, NULL, OPT_REJECTS},
		{"html", no_argument, NULL, OPT_HTML},     {"select", required_argument, NULL, OPT_SELECT},
		{"sheet", required_argument, NULL, OPT_SHEET},     {"range", required_argument, NULL, OPT_RANGE},
		{"skip", required_argument, NULL, OPT_SKIP},       {"header-line", required_argument, NULL, OPT_HEADER_LINE},
		{"null", required_argument, NULL, OPT_NULL},       {"decimal-mark", required_argument, NULL, OPT_DECIMAL},
		{"thousands", required_argument, NULL, OPT_THOUSANDS}, {"column", required_argument, NULL, OPT_COLUMN},
		{"encoding", required_argument, NULL, OPT_ENCODING},
		{"bigquery", no_argument, NULL, OPT_BIGQUERY}, {"key-file", required_argument, NULL, OPT_KEY_FILE},
		{"gcp-project", required_argument, NULL, OPT_PROJECT}, {"location", required_argument, NULL, OPT_LOCATION},
		{"endpoint", required_argument, NULL, OPT_ENDPOINT},
		{NULL, 0, NULL, 0},
	};
	static const pond_ingest_write write_init = POND_INGEST_WRITE_INIT;
	static const pond_ingest_read read_init = POND_INGEST_READ_INIT;
	memset(a, 0, sizeof(*a));
	a->w = write_init;
	a->rd = read_init;
	const char *mode = NULL, *schema = NULL, *format = NULL;
	char *keylist = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:m:k:f:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': a->w.table = optarg; break;
		case 'm': mode = optarg; break;
		case 'k': keylist = optarg; break;
		case 'f': format = optarg; break;
		case 'q': a->quiet = true; break;
		case OPT_DELIM: a->rd.delimiter = optarg; break;
		case OPT_HEADER:
			if (strcmp(optarg, "true") == 0)
				a->rd.header = 1;
			else if (strcmp(optarg, "false") == 0)
				a->rd.header = 0;
			else
				return cli_usage_error("ingest", "--header must be true or false, not \"%s\"", optarg);
			break;
		case OPT_SCHEMA: schema = optarg; break;
		case OPT_FLATTEN: {
			int64_t depth = POND_FLATTEN_ALL;
			if (optarg && (!pond_str_to_i64(optarg, &depth) || depth < 1 || depth > POND_FLATTEN_MAX))
				return cli_usage_error("ingest", "--flatten=N needs a depth from 1 to %d, not \"%s\"",
				                       POND_FLATTEN_MAX, optarg);
			a->w.flatten = (int)depth;
			break;
		}
		case OPT_JSON: a->json = true; break;
		case OPT_REJECTS: a->w.rejects = optarg; break;
		case OPT_HTML: a->html = true; break;
		case OPT_SELECT: a->select = optarg; break;
		case OPT_BIGQUERY: a->bigquery = true; break;
		case OPT_KEY_FILE: a->key_file = optarg; break;
		case OPT_PROJECT: a->project = optarg; break;
		case OPT_LOCATION: a->location = optarg; break;
		case OPT_ENDPOINT: a->endpoint = optarg; break;
		case OPT_SHEET: a->rd.sheet = optarg; break;
		case OPT_RANGE: a->rd.range = optarg; break;
		case OPT_SKIP:
		case OPT_HEADER_LINE: {
			int64_t v;
			if (!pond_str_to_i64(optarg, &v) || v < (opt == OPT_SKIP ? 0 : 1) || v > INT32_MAX)
				return cli_usage_error("ingest", "--%s must be a line count, not \"%s\"",
				                       opt == OPT_SKIP ? "skip" : "header-line", optarg);
			*(opt == OPT_SKIP ? &a->rd.skip : &a->header_line) = v;
			break;
		}
		case OPT_NULL:
			if (a->rd.nnulls == 64)
				return cli_usage_error("ingest", "too many --null options (at most 64)");
			a->nulls[a->rd.nnulls++] = optarg;
			a->rd.nulls = a->nulls;
			break;
		case OPT_DECIMAL: a->decimal = optarg; break;
		case OPT_THOUSANDS: a->thousands = optarg; break;
		case OPT_ENCODING: a->rd.encoding = optarg; break;
		case OPT_COLUMN: {
			int code = add_column(a, optarg);
			if (code >= 0)
				return code;
			break;
		}
		case OPT_STALL:
		case OPT_TIMEOUT: {
			int64_t v;
			if (!pond_str_to_i64(optarg, &v) || v < 1 || v > 604800)
				return cli_usage_error("ingest", "--%s must be a number of seconds, not \"%s\"",
				                       opt == OPT_STALL ? "stall-timeout" : "timeout", optarg);
			*(opt == OPT_STALL ? &a->stall_s : &a->timeout_s) = v;
			break;
		}
		case 'h': return cli_print_help(&cli_ingest_command);
		case ':': return cli_usage_error("ingest", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("ingest", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	return check_args(a, argc, argv, mode, schema, format, keylist);
}

/* Runs the load (a defined source, or the one-off input) with a progress
 * line on a terminal and Ctrl-C cancelling it. */
static int run_load(const ingest_args *a, pond_lake *lake, pond_engine *engine, const pond_source *source,
                    pond_ingest_result *result, pond_error *err)
{
	/* Ctrl-C: stop fetching (the ingest layer polls the flag) and cancel the
	 * running statement; nothing is committed. */
	cli_cancel_install(engine, true);
	progress_state ps = {isatty(STDERR_FILENO) != 0, false};
	pond_ingest_options io = POND_INGEST_OPTIONS_INIT;
	io.progress = on_progress;
	io.progress_payload = &ps;
	io.cancel = cli_cancel_flag();
	io.stall_timeout_ms = a->stall_s * 1000;
	io.timeout_ms = a->timeout_s * 1000;
	int rc = source ? pond_ingest_source(lake, source, &io, result, err)
	                : pond_ingest_file(lake, a->input, &a->rd, &a->w, &io, result, err);
	cli_progress_clear();
	if (ps.drawn)
		fprintf(stderr, "\r\033[K");
	cli_cancel_install(NULL, true);
	return rc;
}

static int cmd_ingest(int argc, char **argv)
{
	ingest_args a;
	int code = parse_args(&a, argc, argv);
	if (code >= 0)
		return code;
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	pond_engine *engine = NULL;
	pond_lake *lake = NULL;
	pond_arena *arena = pond_arena_new();
	pond_ingest_result result;
	memset(&result, 0, sizeof(result));
	int exit_code = EXIT_OK;
	if (!arena || (cli_project_dir ? pond_project_load(&project, cli_project_dir, &err)
	                               : pond_project_find(&project, NULL, true, &err)) != 0) {
		exit_code = cli_fail(&err);
		goto out;
	}
	/* A bare name with a sources/NAME.yml is a source. */
	const pond_source *source = NULL;
	bool named = !strchr(a.input, '/') && !strchr(a.input, '.') && !strchr(a.input, ':');
	if (a.html) {
		pond_source *s;
		if (pond_source_html(&s, a.input, a.select, &a.w, arena, &err) != 0) {
			exit_code = cli_fail(&err);
			goto out;
		}
		source = s;
	} else if (a.bigquery) {
		pond_source *s;
		if (pond_source_bigquery(&s, a.input, a.key_file, a.project, a.location, a.endpoint, &a.w, arena, &err) !=
		    0) {
			exit_code = cli_fail(&err);
			goto out;
		}
		source = s;
	} else if (!a.w.table && named) {
		pond_source *s;
		if (pond_source_load(&s, project->root, a.input, arena, &err) != 0) {
			exit_code = cli_fail(&err);
			goto out;
		}
		source = s;
	} else if (!a.w.table) {
		exit_code = cli_usage_error("ingest", "give --table NS.T for %s (or define sources/NAME.yml)", a.input);
		goto out;
	}
	if (cli_engine_open(&engine, &err) != 0 || pond_lake_open(&lake, project, engine, &err) != 0 ||
	    run_load(&a, lake, engine, source, &result, &err) != 0) {
		exit_code = cli_fail(&err);
		goto out;
	}
	if (!a.quiet)
		print_result(&result, source ? pond_source_table(source) : a.w.table, source ? NULL : a.w.rejects, a.json);
out:
	pond_ingest_result_dispose(&result);
	pond_lake_close(&lake);
	pond_engine_close(&engine);
	pond_project_free(&project);
	pond_arena_free(&arena);
	return exit_code;
}

const cli_command cli_ingest_command = {
	"ingest", "load files, URLs and defined sources (APIs, databases) into tables", ingest_help, cmd_ingest,
};
