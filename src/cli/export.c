/*
 * `pond export`: run an export defined in exports/NAME.yml, or export one
 * query to a file (--xlsx, --csv, --parquet, --json, --ndjson). The work
 * is the export layer's; this file reads options, opens the project (when
 * there is one), turns Ctrl-C and SIGTERM into a clean cancel and prints
 * what was written.
 */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pond/export.h"

static const char export_help[] =
	"usage: pond export NAME [--date YYYY-MM-DD] [--report-json] [-q]\n"
	"       pond export QUERY --xlsx|--csv|--parquet|--json|--ndjson FILE [--sheet NAME]\n"
	"       pond export          (lists the exports of the project)\n"
	"\n"
	"Runs the export defined in exports/NAME.yml (an Excel workbook of one or\n"
	"more sheets, or a CSV, Parquet, JSON or NDJSON file; see docs/exports.md),\n"
	"or writes the rows of QUERY to FILE. In a project, queries read catalog\n"
	"tables as ns.table; anywhere, they read files ('prices.csv').\n"
	"\n"
	"Files appear complete or not at all: they are written under a temporary\n"
	"name beside the destination and renamed when done. Paths of NAME exports\n"
	"are relative to the project folder and may hold {date}, {datetime},\n"
	"{yyyy}, {mm} and {dd}; FILE is relative to the current folder.\n"
	"\n"
	"options:\n"
	"      --xlsx FILE      an Excel workbook (one sheet)\n"
	"      --csv FILE       CSV with a header line\n"
	"      --parquet FILE   Parquet (zstd)\n"
	"      --json FILE      a JSON array of objects\n"
	"      --ndjson FILE    one JSON object per line\n"
	"      --sheet NAME     the sheet's name with --xlsx (default Sheet1)\n"
	"      --date DATE      the run date for path templates (default: today)\n"
	"      --report-json    print what was written as JSON\n"
	"  -q, --quiet          print nothing on success\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status: 0 ok, 1 the export failed (no file was written), 2 usage error\n";

static void print_result(const pond_export_result *r, bool json)
{
	if (json) {
		json_t *j = pond_export_result_to_json(r);
		char *text = pond_json_dumps(j, false);
		json_decref(j);
		if (text)
			printf("%s\n", text);
		pond_free(text);
		return;
	}
	printf("wrote %lld row%s to %s (%.1f kB) in %.2f s\n", (long long)r->rows, r->rows == 1 ? "" : "s", r->path,
	       (double)r->bytes / 1e3, (double)r->duration_ns / 1e9);
	if (r->nsheets > 1 || (r->nsheets == 1 && r->sheets[0].name))
		for (size_t i = 0; i < r->nsheets; i++)
			printf("  sheet %s: %lld row%s\n", r->sheets[i].name, (long long)r->sheets[i].rows,
			       r->sheets[i].rows == 1 ? "" : "s");
}

/* `pond export` alone: the names in exports/, with format and path. */
static int list_exports(void)
{
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	int rc = cli_project_dir ? pond_project_load(&project, cli_project_dir, &err)
	                         : pond_project_find(&project, NULL, true, &err);
	if (rc)
		return cli_fail(&err);
	char *dir_path = NULL;
	if (asprintf(&dir_path, "%s/exports", project->root) < 0)
		dir_path = NULL;
	DIR *dir = dir_path ? opendir(dir_path) : NULL;
	int n = 0;
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 4, ".yml") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), de->d_name);
		pond_arena *a = pond_arena_new();
		pond_export *def;
		pond_error e = POND_ERROR_INIT;
		if (a && pond_export_load(&def, project->root, name, a, &e) == 0)
			printf("%-20s %-8s %s\n", name, pond_export_format_name(def->format), def->path);
		else
			printf("%-20s (invalid: %s)\n", name, e.msg);
		pond_arena_free(&a);
		n++;
	}
	if (dir)
		closedir(dir);
	if (n == 0)
		printf("no exports: add exports/NAME.yml (see pond help export)\n");
	free(dir_path);
	pond_project_free(&project);
	return EXIT_OK;
}

static int parse_date(const char *s, int64_t *out_us)
{
	int y, m, d;
	char end;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	/* Noon local time: the date is the same in every time zone offset
	 * the template is expanded in. */
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12, .tm_isdst = -1};
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out_us = (int64_t)t * 1000000;
	return 0;
}

/* What the command line asks for. */
typedef struct {
	const char *input;       /* NAME or QUERY */
	const char *file, *sheet;
	pond_export_format format;
	int64_t run_time_us;     /* --date; 0: now */
	bool report_json, quiet;
} export_args;

/* Reads the command line into *a; returns the exit code when the command
 * ends here (help, usage errors, the list of exports), else -1. */
static int parse_args(export_args *a, int argc, char **argv)
{
	enum { OPT_XLSX = 256, OPT_CSV, OPT_PARQUET, OPT_JSON, OPT_NDJSON, OPT_SHEET, OPT_DATE, OPT_REPORT };
	static const struct option longopts[] = {
		{"xlsx", required_argument, NULL, OPT_XLSX},       {"csv", required_argument, NULL, OPT_CSV},
		{"parquet", required_argument, NULL, OPT_PARQUET}, {"json", required_argument, NULL, OPT_JSON},
		{"ndjson", required_argument, NULL, OPT_NDJSON},   {"sheet", required_argument, NULL, OPT_SHEET},
		{"date", required_argument, NULL, OPT_DATE},       {"report-json", no_argument, NULL, OPT_REPORT},
		{"quiet", no_argument, NULL, 'q'},                 {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	a->format = POND_EXPORT_CSV;
	const char *date = NULL;
	int opt, nfiles = 0;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_XLSX: case OPT_CSV: case OPT_PARQUET: case OPT_JSON: case OPT_NDJSON:
			a->file = optarg;
			nfiles++;
			a->format = opt == OPT_XLSX ? POND_EXPORT_XLSX : opt == OPT_CSV ? POND_EXPORT_CSV
			          : opt == OPT_PARQUET ? POND_EXPORT_PARQUET : opt == OPT_JSON ? POND_EXPORT_JSON
			                                                      : POND_EXPORT_NDJSON;
			break;
		case OPT_SHEET: a->sheet = optarg; break;
		case OPT_DATE: date = optarg; break;
		case OPT_REPORT: a->report_json = true; break;
		case 'q': a->quiet = true; break;
		case 'h': return cli_print_help(&cli_export_command);
		case ':': return cli_usage_error("export", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("export", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind == 0 && !a->file)
		return list_exports();
	if (argc - optind != 1)
		return cli_usage_error("export", "expected one NAME or QUERY, got %d (quote the query)", argc - optind);
	if (nfiles > 1)
		return cli_usage_error("export", "give one of --xlsx, --csv, --parquet, --json or --ndjson");
	a->input = argv[optind];
	if (a->sheet && a->format != POND_EXPORT_XLSX)
		return cli_usage_error("export", "--sheet goes with --xlsx");
	if (date && parse_date(date, &a->run_time_us) != 0)
		return cli_usage_error("export", "--date must be YYYY-MM-DD, not \"%s\"", date);
	if (!a->file && strpbrk(a->input, " \t\n"))
		return cli_usage_error("export", "to export a query, give a file: --xlsx, --csv, --parquet, --json or "
		                                 "--ndjson FILE");
	return -1;
}

static int cmd_export(int argc, char **argv)
{
	export_args a;
	int code = parse_args(&a, argc, argv);
	if (code >= 0)
		return code;
	pond_error err = POND_ERROR_INIT;
	pond_arena *arena = pond_arena_new();
	pond_engine *engine = NULL;
	pond_project *project = NULL;
	pond_lake *lake = NULL;
	pond_session *session = NULL;
	pond_export *def = NULL;
	pond_export_result result;
	memset(&result, 0, sizeof(result));
	pond_export_options opts = POND_EXPORT_OPTIONS_INIT;
	opts.run_time_us = a.run_time_us;
	opts.cancel = cli_cancel_flag();
	int exit_code = EXIT_OK;
	if (!arena || cli_engine_open(&engine, &err) != 0) {
		exit_code = cli_fail(&err);
		goto out;
	}
	/* A defined export needs its project; a query works outside one too,
	 * on files. */
	int prc = cli_open_project(&project, &lake, engine, &err);
	if (prc == 0)
		prc = pond_session_open(&session, lake, &err);
	if (prc != 0 && (!a.file || prc != POND_ENOTFOUND || cli_project_dir)) {
		exit_code = cli_fail(&err);
		goto out;
	}
	if (a.file) {
		if (pond_export_from_query(&def, a.format, a.input, a.file, a.sheet, arena, &err) != 0) {
			exit_code = cli_fail(&err);
			goto out;
		}
	} else {
		if (pond_export_load(&def, project->root, a.input, arena, &err) != 0) {
			exit_code = cli_fail(&err);
			goto out;
		}
		opts.base_dir = project->root;
	}
	cli_cancel_install(engine, true);
	int rc = pond_export_write(engine, session, def, &opts, &result, &err);
	cli_progress_clear();
	cli_cancel_install(NULL, true);
	if (rc != 0) {
		exit_code = cli_fail(&err);
		goto out;
	}
	if (!a.quiet)
		print_result(&result, a.report_json);
out:
	pond_export_result_dispose(&result);
	pond_session_close(&session);
	cli_close_project(&project, &lake);
	pond_engine_close(&engine);
	pond_arena_free(&arena);
	return exit_code;
}

const cli_command cli_export_command = {
	"export", "write query results to Excel, CSV, Parquet or JSON files", export_help, cmd_export,
};
