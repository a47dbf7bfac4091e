/*
 * `pond init`: a new project folder, with a small example that runs as it
 * is (a sample CSV, a source, a model with tests, an export and a pipeline
 * joining them), or bare with --bare.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char init_help[] =
	"usage: pond init [DIR] [--name NAME] [--bare]\n"
	"\n"
	"Creates a pond project in DIR (default: the current folder): pond.yml\n"
	"naming a SQLite catalog (catalog.db) and a warehouse folder, the folders\n"
	"sources/, models/ and exports/, and a .gitignore for data and secrets.\n"
	"It also writes a small example that runs as it is: data/sales.csv, the\n"
	"source sources/sales.yml, the model models/marts/daily_sales.sql with\n"
	"tests, the export exports/daily_sales.yml and the pipeline `example`\n"
	"in pond.yml. Try it with: pond run example\n"
	"Refuses to overwrite an existing pond.yml.\n"
	"\n"
	"options:\n"
	"  --name NAME   the project's name (default: the folder's name)\n"
	"  --bare        pond.yml and the folders only, no example\n";

static const cli_file example_files[] = {
	{"data/sales.csv",
	 "day,store,product,quantity,unit_price\n"
	 "2024-01-02,Zurich,coffee,12,4.50\n"
	 "2024-01-02,Zurich,croissant,8,2.80\n"
	 "2024-01-02,Basel,coffee,9,4.20\n"
	 "2024-01-03,Zurich,coffee,15,4.50\n"
	 "2024-01-03,Basel,coffee,11,4.20\n"
	 "2024-01-03,Basel,croissant,6,2.60\n"
	 "2024-01-04,Zurich,coffee,10,4.50\n"
	 "2024-01-04,Zurich,croissant,9,2.80\n"
	 "2024-01-04,Basel,coffee,13,4.20\n"},
	{"sources/sales.yml",
	 "# A source: where rows come from and which table they land in.\n"
	 "# Files, globs, URLs, HTTP APIs and databases: see docs/ingest.md.\n"
	 "type: file\n"
	 "path: data/sales.csv\n"
	 "table: raw.sales\n"
	 "mode: replace          # or append, or merge with key: [day, store, product]\n"},
	{"models/marts/daily_sales.sql",
	 "-- A model: a SELECT whose result becomes the table marts.daily_sales\n"
	 "-- (namespace from the folder, name from the file). Settings and data\n"
	 "-- tests go in this leading comment: see docs/models.md.\n"
	 "-- materialized: table\n"
	 "-- description: revenue and items sold per store and day\n"
	 "-- tests: not_null(day, store), unique(day, store), row_count(>= 1)\n"
	 "select day, store, sum(quantity * unit_price)::decimal(12, 2) as revenue, sum(quantity) as items\n"
	 "from raw.sales\n"
	 "group by all\n"},
	{"exports/daily_sales.yml",
	 "# An export: a file made from a query. xlsx, csv, parquet, json or\n"
	 "# ndjson; {date} in the path is the run's date. See docs/exports.md.\n"
	 "format: csv\n"
	 "path: out/daily_sales.csv\n"
	 "sql: select * from marts.daily_sales order by day, store\n"},
};

static const char example_pipeline[] =
	"\n"
	"# A pipeline: steps run in order (retries, timeouts and schedules: see\n"
	"# docs/pipelines.md). Run it now with: pond run example\n"
	"pipelines:\n"
	"  example:\n"
	"    description: load the sample sales, build the model, test it, write the CSV\n"
	"    # schedule: \"0 6 * * *\"   # every day at 06:00 while pond serve runs\n"
	"    steps:\n"
	"      - ingest: sales\n"
	"      - transform\n"
	"      - test\n"
	"      - export: daily_sales\n";

int cli_write_files(const char *dir, const cli_file *files, size_t n, pond_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		pond_buf path = POND_BUF_INIT;
		pond_buf_printf(&path, "%s/%s", dir, files[i].path);
		if (!pond_buf_ok(&path)) {
			pond_buf_dispose(&path);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		char *slash = strrchr(path.ptr, '/');
		*slash = '\0';
		rc = pond_mkdirs(path.ptr, err);
		*slash = '/';
		if (rc == 0)
			rc = pond_file_write_atomic(path.ptr, files[i].text, strlen(files[i].text), err);
		pond_buf_dispose(&path);
	}
	return rc;
}

/* Appends the example pipeline to the pond.yml pond_project_init wrote. */
static int add_example(const char *dir, pond_error *err)
{
	int rc = cli_write_files(dir, example_files, sizeof(example_files) / sizeof(example_files[0]), err);
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/pond.yml", dir);
	char *text = NULL;
	size_t len;
	if (rc == 0)
		rc = pond_file_read(&text, &len, pond_buf_cstr(&path), 1 << 20, err);
	if (rc == 0) {
		pond_buf yml = POND_BUF_INIT;
		pond_buf_put(&yml, text, len);
		pond_buf_puts(&yml, example_pipeline);
		rc = pond_buf_ok(&yml) ? pond_file_write_atomic(pond_buf_cstr(&path), yml.ptr, yml.len, err)
		                       : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_buf_dispose(&yml);
	}
	pond_free(text);
	pond_buf_dispose(&path);
	return rc;
}

static int cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"bare", no_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	bool bare = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'b': bare = true; break;
		case 'h': return cli_print_help(&cli_init_command);
		case ':': return cli_usage_error("init", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("init", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("init", "expected at most one folder");
	const char *dir = optind < argc ? argv[optind] : ".";
	pond_error err = POND_ERROR_INIT;
	if (pond_project_init(dir, name, &err) != 0 || (!bare && add_example(dir, &err) != 0))
		return cli_fail(&err);
	printf("created a pond project in %s\n", dir);
	if (!bare)
		printf("try the example: cd %s && pond run example && cat out/daily_sales.csv\n", dir);
	return EXIT_OK;
}

const cli_command cli_init_command = {
	"init", "create a project: pond.yml, a catalog, a warehouse and a runnable example", init_help, cmd_init,
};
